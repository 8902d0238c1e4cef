//! Public alert notices (预警/公告) and the staff audit chain: the pure part.
//!
//! Staff write a [`NoticeContent`]; once approved it is issued as a
//! [`PublicNotice`], signed with Ed25519 over its [`canonical`] form, and
//! rendered as CAP 1.2 ([`cap`]) and in an Atom feed ([`atom`]). The
//! [`audit`] chain links every staff action to the one before it. Storage,
//! HTTP and MQTT live in the publisher; this module has no IO and no clock.
//!
//! # Layout
//!
//! - [`notice`]: severity, urgency, certainty, content, the public document.
//! - [`canonical`]: the byte form that is signed and hashed.
//! - [`signing`]: Ed25519 signing and verification of notices.
//! - [`trust`]: the keys a verifier trusts, each for a period.
//! - [`link`]: which links a notice may carry.
//! - [`cap`] and [`atom`]: the XML renderings, written by [`xml`].
//! - [`audit`]: the append-only hash chain of staff actions.
//! - [`hex`]: lowercase hexadecimal, for keys, signatures and hashes.

pub mod atom;
pub mod audit;
pub mod canonical;
pub mod cap;
pub mod hex;
pub mod link;
pub mod notice;
pub mod signing;
pub mod trust;
pub(crate) mod xml;

pub use notice::{
    Area, Bilingual, Certainty, ContentError, NoticeContent, NoticeStatus, PublicNotice, Severity,
    UnsafeLink, Urgency, content_hash,
};
pub use signing::{NoticeSignature, NoticeSigner, VerifyError, verify_notice};
pub use trust::{TrustedKey, TrustedKeys};
