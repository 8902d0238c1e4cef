//! Issued alert notices as the public receives them: read by the public
//! API, the live feed and the broadcaster, written only by the staff
//! workflow.

mod issued;
mod queries;

pub(crate) use issued::{every_notice, present};
pub(crate) use queries::{current_documents, issued_version, latest_documents};
