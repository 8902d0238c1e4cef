//! TLS for envmon's own connections: the daemons to the MQTT broker and to
//! PostgreSQL.
//!
//! Both use rustls with the ring provider. [`BrokerTls`] turns the
//! `[broker.tls]` settings into rumqttc's transport; [`PgTls`] reads the
//! libpq-style `sslmode`, `sslrootcert`, `sslcert` and `sslkey` from the
//! database URL or from `[database.tls]` and makes the one connector every
//! PostgreSQL connection uses. The certificate checks themselves live in
//! `verify`, so a refusal says which server, why, and which CA file was
//! trusted.

mod mqtt;
mod pem;
mod postgres;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use mqtt::BrokerTls;
pub use postgres::{PgTls, SslMode, split_connection_string};

/// TLS settings that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("cannot read the {what} {path}")]
    Read {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// A file holds no usable PEM item of the kind needed.
    #[error("the {what} {path} holds no PEM {item}")]
    NoPem {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The PEM item looked for.
        item: &'static str,
    },
    /// A private key file others may read.
    #[error("the private key {0} is readable by others; chmod o-rwx it")]
    ExposedKey(PathBuf),
    /// Only one half of a client identity is configured.
    #[error("a client certificate needs its key, and a key its certificate: set both or neither")]
    HalfIdentity,
    /// The client certificate and key do not make an identity.
    #[error("the client certificate and key cannot be used together")]
    ClientIdentity(#[source] rustls::Error),
    /// The server name to verify is not a DNS name or an IP address.
    #[error("{0:?} is not a DNS name or an IP address to verify a certificate against")]
    ServerName(String),
    /// The system's CA store could not be read.
    #[error("cannot read the system's CA certificates: {0}")]
    SystemRoots(String),
    /// rustls refused the configuration.
    #[error("cannot set up TLS")]
    Config(#[source] rustls::Error),
    /// The certificate checks could not be built from the trusted CAs.
    #[error("cannot set up certificate verification")]
    Verifier(#[source] rustls::client::VerifierBuilderError),
    /// An `sslmode` libpq does not know.
    #[error("sslmode {0:?} is not one of disable, prefer, require, verify-ca, verify-full")]
    UnknownSslMode(String),
    /// A mode that verifies certificates without a CA to verify them with.
    #[error(
        "sslmode {0} verifies the server's certificate: set sslrootcert (a CA file, or \"system\")"
    )]
    ModeNeedsCa(SslMode),
    /// A setting given both in the database URL and in `[database.tls]`,
    /// with different values.
    #[error(
        "{key} is {in_url:?} in the database url but {in_settings:?} in [database.tls]: set it in one place"
    )]
    Conflict {
        /// The libpq parameter name.
        key: &'static str,
        /// Its value in the URL.
        in_url: String,
        /// Its value in the settings.
        in_settings: String,
    },
}

/// The cryptography behind every TLS connection: ring, which builds without
/// cmake. Passed explicitly, so no process-wide default has to be installed.
/// rustls deprecates it for lacking post-quantum key exchange, which
/// matters against recorded traffic decrypted years later; these are a
/// deployment's internal links, and aws-lc-rs brings a large C library
/// to build.
#[expect(
    deprecated,
    reason = "ring has no post-quantum key exchange; see above"
)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
