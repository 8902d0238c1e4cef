//! Certificates and keys from PEM files, with errors that name the file.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsError;

/// A client's certificate chain and its private key.
pub(crate) type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Every certificate in a PEM file; at least one.
pub(crate) fn certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(what, path)?;
    let certificates: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certificates.is_empty() {
        return Err(TlsError::NoPem {
            what,
            path: path.to_owned(),
            item: "certificate",
        });
    }
    Ok(certificates)
}

/// The trust anchors of a CA file.
pub(crate) fn root_store(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certificates("CA file", path)?);
    if added == 0 {
        return Err(TlsError::NoPem {
            what: "CA file",
            path: path.to_owned(),
            item: "CA certificate",
        });
    }
    Ok(roots)
}

/// The trust anchors of the system's CA store.
pub(crate) fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_owned(), ToString::to_string);
        return Err(TlsError::SystemRoots(why));
    }
    Ok(roots)
}

/// A private key (PKCS#8, PKCS#1 or SEC1). Like the notice signing key, a
/// key others may read is refused: group read is allowed, as a Kubernetes
/// Secret volume gives files to the pod's user only through its group.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let what = "client key";
    let mode = std::fs::metadata(path)
        .map_err(|source| TlsError::Read {
            what,
            path: path.to_owned(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o007 != 0 {
        return Err(TlsError::ExposedKey(path.to_owned()));
    }
    PrivateKeyDer::from_pem_slice(&read(what, path)?).map_err(|_| TlsError::NoPem {
        what,
        path: path.to_owned(),
        item: "private key",
    })
}

/// The client identity to present, when both files are configured.
///
/// # Errors
/// When only one of them is, or either cannot be read.
pub(crate) fn client_identity(
    certificate: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<Identity>, TlsError> {
    match (certificate, key) {
        (None, None) => Ok(None),
        (Some(certificate), Some(key)) => Ok(Some((
            certificates("client certificate", certificate)?,
            private_key(key)?,
        ))),
        _ => Err(TlsError::HalfIdentity),
    }
}
