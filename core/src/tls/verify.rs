//! The server certificate checks, and the client configuration built on
//! them.
//!
//! One verifier covers every mode envmon uses: the chain and the name (the
//! broker, `verify-full`), the chain and a configured name instead of the
//! one dialled (`[broker.tls] server_name`), the chain alone (`verify-ca`),
//! or nothing (`require` without a CA, as libpq does: encrypted, not
//! authenticated). A refusal names the server, the reason and what was
//! trusted, so an operator can tell a wrong CA file from a wrong host name.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, OtherError, RootCertStore,
    SignatureScheme,
};

use super::TlsError;
use super::pem::Identity;

/// Which name the server's certificate must carry.
#[derive(Debug)]
pub(crate) enum NameCheck {
    /// The name the client dialled.
    Dialled,
    /// This name, whatever was dialled.
    Fixed(ServerName<'static>),
    /// Any name: the chain alone is checked.
    Skip,
}

/// What a server must prove.
#[derive(Debug)]
pub(crate) enum Check {
    /// Nothing: the connection is encrypted but the server is not
    /// authenticated.
    Nothing,
    /// A chain to one of `roots` (described by `trusted` in refusals), and
    /// a name.
    Chain {
        roots: RootCertStore,
        trusted: String,
        name: NameCheck,
    },
}

/// A server certificate verifier for one [`Check`].
#[derive(Debug)]
struct ServerVerifier {
    /// `None` for [`Check::Nothing`].
    chain: Option<Arc<WebPkiServerVerifier>>,
    trusted: String,
    name: NameCheck,
    provider: Arc<CryptoProvider>,
}

/// A certificate refused, with what was expected of it.
#[derive(Debug, thiserror::Error)]
#[error("the server's certificate for {server} is refused: {reason} (trusted CAs: {trusted})")]
struct Refused {
    server: String,
    reason: String,
    trusted: String,
}

fn describe(server: &ServerName<'_>) -> String {
    match server {
        ServerName::DnsName(name) => name.as_ref().to_owned(),
        ServerName::IpAddress(address) => std::net::IpAddr::from(*address).to_string(),
        _ => format!("{server:?}"),
    }
}

fn reason(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => "it is not signed by a trusted CA".to_owned(),
        CertificateError::NotValidForNameContext { presented, .. } => {
            let names: Vec<&str> = presented.iter().map(|name| bare_name(name)).collect();
            format!("it names {}, not this server", names.join(", "))
        }
        CertificateError::NotValidForName => "it does not name this server".to_owned(),
        other => other.to_string(),
    }
}

/// `localhost` for webpki's `DnsName("localhost")`, `127.0.0.1` for
/// `IpAddress(127.0.0.1)`.
fn bare_name(presented: &str) -> &str {
    presented
        .strip_prefix("DnsName(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .or_else(|| {
            presented
                .strip_prefix("IpAddress(")
                .and_then(|rest| rest.strip_suffix(')'))
        })
        .unwrap_or(presented)
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        dialled: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        let server = match &self.name {
            NameCheck::Fixed(name) => name,
            NameCheck::Dialled | NameCheck::Skip => dialled,
        };
        // webpki checks the chain before the name: a name mismatch means the
        // chain is good.
        match chain.verify_server_cert(end_entity, intermediates, server, ocsp_response, now) {
            Ok(verified) => Ok(verified),
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if matches!(self.name, NameCheck::Skip) => Ok(ServerCertVerified::assertion()),
            // rustls shows its certificate errors as debug text; this says
            // which server, why, and what was trusted.
            Err(Error::InvalidCertificate(error)) => {
                Err(Error::Other(OtherError(Arc::new(Refused {
                    server: describe(server),
                    reason: reason(&error),
                    trusted: self.trusted.clone(),
                }))))
            }
            Err(other) => Err(other),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client configuration that checks servers as `check` says and presents
/// `identity` when the server asks for a certificate.
///
/// # Errors
/// When the CAs or the identity cannot be used.
pub(crate) fn client_config(
    check: Check,
    identity: Option<Identity>,
) -> Result<ClientConfig, TlsError> {
    let provider = super::provider();
    let verifier = match check {
        Check::Nothing => ServerVerifier {
            chain: None,
            trusted: "none, the server is not verified".to_owned(),
            name: NameCheck::Skip,
            provider: provider.clone(),
        },
        Check::Chain {
            roots,
            trusted,
            name,
        } => ServerVerifier {
            chain: Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(TlsError::Verifier)?,
            ),
            trusted,
            name,
            provider: provider.clone(),
        },
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match identity {
        Some((certificates, key)) => builder
            .with_client_auth_cert(certificates, key)
            .map_err(TlsError::ClientIdentity),
        None => Ok(builder.with_no_client_auth()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_are_shown_bare() {
        assert_eq!(bare_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(bare_name("URI(x)"), "URI(x)");
    }
}
