//! Attacks on what sensors may claim: readings dated in the future, values
//! that are not numbers, HJ 212 loggers without their station's secret or
//! from outside its networks, connection floods, and the logger's MN
//! looked for in every public response. Each runs against the real ingest
//! and publisher, a real PostgreSQL and a real Mosquitto (messages sent with
//! `mosquitto_pub`), and real TCP connections to the HJ 212 listener, and
//! checks that what legitimate sensors sent around the attack was stored.

mod exposure;
mod future;
mod identity;
mod values;
pub(crate) mod wire;
