//! Certificates made for one test with `openssl`: our CA, a server
//! certificate for 127.0.0.1 and localhost, a client certificate, and an
//! unrelated CA with a server certificate of its own for the same names.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::unique;

/// The role the client certificate authenticates as (its common name).
pub const CLIENT_NAME: &str = "envmon_cert";

/// A directory of PEM files, removed when dropped.
#[derive(Debug)]
pub struct Certs {
    pub dir: PathBuf,
}

const EC_KEY: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
];

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A self-signed CA `name`.crt / `name`.key.
fn make_ca(dir: &Path, name: &str, subject: &str) {
    let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
    let mut args = vec!["req", "-x509"];
    args.extend(EC_KEY);
    args.extend([
        "-keyout", &key, "-out", &crt, "-days", "2", "-subj", subject,
    ]);
    openssl(dir, &args);
}

/// `name`.crt / `name`.key signed by `ca`, with the extensions `ext`.
fn make_leaf(dir: &Path, name: &str, ca: &str, subject: &str, ext: &str) {
    let (key, csr, crt, extfile) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("{name}.ext"),
    );
    std::fs::write(dir.join(&extfile), ext).unwrap();
    let mut args = vec!["req"];
    args.extend(EC_KEY);
    args.extend(["-keyout", &key, "-out", &csr, "-subj", subject]);
    openssl(dir, &args);
    let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_crt,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &crt,
            "-extfile",
            &extfile,
        ],
    );
}

impl Certs {
    /// Makes every certificate the TLS tests use.
    pub fn make() -> Self {
        let dir = std::env::temp_dir().join(unique("envmon-certs"));
        std::fs::create_dir_all(&dir).unwrap();
        let server_ext = "subjectAltName=IP:127.0.0.1,DNS:localhost\n\
                          basicConstraints=CA:FALSE\n\
                          extendedKeyUsage=serverAuth\n";
        make_ca(&dir, "ca", "/CN=envmon test CA");
        make_leaf(&dir, "server", "ca", "/CN=localhost", server_ext);
        make_leaf(
            &dir,
            "client",
            "ca",
            &format!("/CN={CLIENT_NAME}"),
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        );
        make_ca(&dir, "other-ca", "/CN=an unrelated CA");
        make_leaf(
            &dir,
            "other-server",
            "other-ca",
            "/CN=localhost",
            server_ext,
        );
        // Mosquitto drops to its own user and must read the server keys; the
        // client key is the daemons', which refuse a key others may read.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let mode = if path.ends_with("client.key") {
                0o600
            } else {
                0o644
            };
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))
                .unwrap();
        }
        Self { dir }
    }

    /// A file of this set, e.g. `ca.crt`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
