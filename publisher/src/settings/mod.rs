//! The publisher's settings: the public site, live clients and limits
//! (`publisher`), and the staff console and notice workflow (`staff`).
//!
//! Both live here, below every module that reads them, so that reading a
//! setting never ties a module to the one that defines it.

mod basemap;
mod delivery;
mod publisher;
mod staff;

pub use basemap::{BasemapSettings, TileUrl};
pub use delivery::{DeliverySettings, SmtpSecurity, SmtpSettings};
pub use publisher::{Network, PublicUrl, Settings};
pub use staff::StaffSettings;
