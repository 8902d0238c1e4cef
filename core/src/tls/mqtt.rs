//! TLS to the MQTT broker: the `[broker.tls]` settings and the rumqttc
//! transport they make.

use std::path::PathBuf;
use std::sync::Arc;

use rumqttc::{TlsConfiguration, Transport};
use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};

use super::TlsError;
use super::pem;
use super::verify::{Check, NameCheck, client_config};

/// TLS for every envmon client of the broker (ingest, publisher, simulator).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerTls {
    /// Connect over TLS (MQTT's TLS port is 8883). Off for a broker on the
    /// same host.
    pub enabled: bool,
    /// CA certificates (PEM) the broker's certificate must chain to; absent
    /// for the system's CA store.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM), for a broker that authenticates clients by
    /// certificate; with `client_key_file`.
    pub client_cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM), readable by its owner
    /// (and group) only.
    pub client_key_file: Option<PathBuf>,
    /// The name the broker's certificate must carry; absent for `host`.
    pub server_name: Option<String>,
}

impl BrokerTls {
    /// The transport to the broker: plain TCP, or TLS as configured.
    ///
    /// # Errors
    /// When a file cannot be read or the server name is malformed.
    pub fn transport(&self) -> Result<Transport, TlsError> {
        if !self.enabled {
            return Ok(Transport::Tcp);
        }
        let (roots, trusted) = match &self.ca_file {
            Some(path) => (pem::root_store(path)?, path.display().to_string()),
            None => (pem::system_roots()?, "the system's CA store".to_owned()),
        };
        // rumqttc verifies the host it dials; a configured name replaces it.
        let name = match &self.server_name {
            Some(name) => NameCheck::Fixed(
                ServerName::try_from(name.clone())
                    .map_err(|_| TlsError::ServerName(name.clone()))?,
            ),
            None => NameCheck::Dialled,
        };
        let identity = pem::client_identity(
            self.client_cert_file.as_deref(),
            self.client_key_file.as_deref(),
        )?;
        let config = client_config(
            Check::Chain {
                roots,
                trusted,
                name,
            },
            identity,
        )?;
        Ok(Transport::Tls(TlsConfiguration::Rustls(Arc::new(config))))
    }
}
