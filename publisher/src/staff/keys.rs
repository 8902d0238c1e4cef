//! The notice signing key: a file holding a 32-byte Ed25519 seed as hex.
//! Created on first start when absent, with mode 0600 and its directory
//! 0700, and never overwritten: replacing it would orphan every notice
//! already signed.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use envmon_core::alert::{NoticeSigner, hex};

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or created.
    #[error("cannot use signing key file {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file does not hold 64 hex digits.
    #[error("signing key file {0} does not hold a 32-byte key as 64 hex digits")]
    Malformed(String),
    /// Anyone beyond the owner and its group may read the file.
    #[error("signing key file {0} is readable by others; chmod 600 it")]
    Exposed(String),
    /// No randomness for a new key.
    #[error("no randomness for a new signing key: {0}")]
    Random(String),
}

/// Loads the signer from `path`, creating a new key there when absent.
///
/// # Errors
/// When the file cannot be read or written, is malformed or is readable
/// by others than the owner and its group.
pub fn load_or_create(path: &str) -> Result<NoticeSigner, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let file = Path::new(path);
    if !file.exists() {
        create(file).map_err(|e| match e {
            CreateError::Io(source) => io(source),
            CreateError::Random(why) => KeyError::Random(why),
        })?;
        tracing::info!(path, "Created a new notice signing key.");
    }
    // Group read is allowed: a Kubernetes Secret volume can only give the
    // pod's user the file through its fsGroup. Others never.
    let mode = std::fs::metadata(file).map_err(io)?.permissions().mode();
    if mode & 0o007 != 0 {
        return Err(KeyError::Exposed(path.to_owned()));
    }
    let text = std::fs::read_to_string(file).map_err(io)?;
    let seed = hex::decode::<32>(&text).ok_or_else(|| KeyError::Malformed(path.to_owned()))?;
    Ok(NoticeSigner::from_seed(&seed))
}

enum CreateError {
    Io(std::io::Error),
    Random(String),
}

fn create(file: &Path) -> Result<(), CreateError> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(CreateError::Io)?;
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| CreateError::Random(e.to_string()))?;
    // create_new: two publishers starting at once cannot both write a key.
    let mut out = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(CreateError::Io(e)),
    };
    writeln!(out, "{}", hex::encode(&seed)).map_err(CreateError::Io)?;
    out.sync_all().map_err(CreateError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_private_and_stable() {
        let dir = std::env::temp_dir().join(format!("envmon-key-{}", std::process::id()));
        let path = dir.join("keys/signing.key");
        let path = path.to_str().unwrap();
        let first = load_or_create(path).unwrap();
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create(path).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o440)).unwrap();
        assert!(load_or_create(path).is_ok(), "a Secret volume's group read");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(load_or_create(path), Err(KeyError::Exposed(_))));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
