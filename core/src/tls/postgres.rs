//! TLS to PostgreSQL, as libpq does it: `sslmode`, `sslrootcert`, `sslcert`
//! and `sslkey`, in the database URL or in `[database.tls]`.
//!
//! tokio-postgres knows only `disable`, `prefer` and `require` and refuses
//! the file parameters, so [`split_connection_string`] takes them out of the
//! URL before it is parsed, and [`PgTls::connector`] does the certificate
//! checks of the stronger modes.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::TlsError;
use super::pem;
use super::verify::{Check, NameCheck, client_config};

/// How much TLS a database connection needs, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Plain text.
    Disable,
    /// TLS when the server offers it, plain text otherwise; the server is
    /// not verified.
    Prefer,
    /// TLS; the server is verified only when a CA is configured.
    Require,
    /// TLS, and the server's certificate chains to the configured CA.
    VerifyCa,
    /// TLS, the chain, and the certificate names the host connected to.
    VerifyFull,
}

impl SslMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = TlsError;

    fn from_str(text: &str) -> Result<Self, TlsError> {
        [
            Self::Disable,
            Self::Prefer,
            Self::Require,
            Self::VerifyCa,
            Self::VerifyFull,
        ]
        .into_iter()
        .find(|mode| mode.as_str() == text)
        .ok_or_else(|| TlsError::UnknownSslMode(text.to_owned()))
    }
}

/// TLS to PostgreSQL. Each key may be given instead as the libpq parameter
/// of the same meaning in the database URL (`?sslmode=verify-full&...`), but
/// not in both places with different values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PgTls {
    /// `sslmode`: disable, prefer, require, verify-ca or verify-full. Absent
    /// (and not in the URL): disable, plain text, for a database on the same
    /// host. Across a network use verify-full.
    pub mode: Option<SslMode>,
    /// `sslrootcert`: CA certificates (PEM) the server's certificate must
    /// chain to, or "system" for the system's CA store.
    pub ca_file: Option<PathBuf>,
    /// `sslcert`: client certificate (PEM), for a server that authenticates
    /// clients by certificate; with `client_key_file`.
    pub client_cert_file: Option<PathBuf>,
    /// `sslkey`: the client certificate's private key (PEM), readable by its
    /// owner (and group) only.
    pub client_key_file: Option<PathBuf>,
}

/// The value of `sslrootcert` that means the system's CA store, as in libpq.
const SYSTEM_CA: &str = "system";

impl PgTls {
    /// These settings completed by those of the URL.
    ///
    /// # Errors
    /// When a key is set in both places to different values.
    pub fn merged_with(&self, from_url: &Self) -> Result<Self, TlsError> {
        fn one<T: PartialEq + Clone + fmt::Debug>(
            key: &'static str,
            in_settings: &Option<T>,
            in_url: &Option<T>,
        ) -> Result<Option<T>, TlsError> {
            match (in_settings, in_url) {
                (Some(a), Some(b)) if a != b => Err(TlsError::Conflict {
                    key,
                    in_url: format!("{b:?}"),
                    in_settings: format!("{a:?}"),
                }),
                (Some(a), _) => Ok(Some(a.clone())),
                (None, b) => Ok(b.clone()),
            }
        }
        Ok(Self {
            mode: one("sslmode", &self.mode, &from_url.mode)?,
            ca_file: one("sslrootcert", &self.ca_file, &from_url.ca_file)?,
            client_cert_file: one(
                "sslcert",
                &self.client_cert_file,
                &from_url.client_cert_file,
            )?,
            client_key_file: one("sslkey", &self.client_key_file, &from_url.client_key_file)?,
        })
    }

    /// The mode in effect: `disable` unless set.
    pub fn effective_mode(&self) -> SslMode {
        self.mode.unwrap_or(SslMode::Disable)
    }

    /// The mode as tokio-postgres negotiates it: the verify modes are
    /// `require` there, and the connector does the verifying.
    pub fn negotiation(&self) -> tokio_postgres::config::SslMode {
        match self.effective_mode() {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        }
    }

    /// The TLS connector of every PostgreSQL connection. As in libpq, a
    /// configured CA is checked in every mode that uses TLS, and only
    /// `verify-full` checks the host name.
    ///
    /// # Errors
    /// When a file cannot be read, or a verify mode has no CA.
    pub fn connector(&self) -> Result<MakeRustlsConnect, TlsError> {
        let mode = self.effective_mode();
        if mode == SslMode::Disable {
            // Never used: tokio-postgres does not negotiate TLS.
            return Ok(MakeRustlsConnect::new(client_config(Check::Nothing, None)?));
        }
        let check = match &self.ca_file {
            None if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) => {
                return Err(TlsError::ModeNeedsCa(mode));
            }
            None => Check::Nothing,
            Some(path) => {
                let (roots, trusted) = if path.as_os_str() == SYSTEM_CA {
                    (pem::system_roots()?, "the system's CA store".to_owned())
                } else {
                    (pem::root_store(path)?, path.display().to_string())
                };
                let name = if mode == SslMode::VerifyFull {
                    NameCheck::Dialled
                } else {
                    NameCheck::Skip
                };
                Check::Chain {
                    roots,
                    trusted,
                    name,
                }
            }
        };
        let identity = pem::client_identity(
            self.client_cert_file.as_deref(),
            self.client_key_file.as_deref(),
        )?;
        Ok(MakeRustlsConnect::new(client_config(check, identity)?))
    }

    fn set(&mut self, key: &str, value: String) -> Result<bool, TlsError> {
        match key {
            "sslmode" => self.mode = Some(value.parse()?),
            "sslrootcert" => self.ca_file = Some(value.into()),
            "sslcert" => self.client_cert_file = Some(value.into()),
            "sslkey" => self.client_key_file = Some(value.into()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Takes the TLS parameters out of a connection string (a
/// `postgres://...?sslmode=...` URL or libpq's `key=value` form): the
/// string for tokio-postgres, and what they said.
///
/// # Errors
/// When `sslmode` has a value libpq does not know.
pub fn split_connection_string(text: &str) -> Result<(String, PgTls), TlsError> {
    let mut tls = PgTls::default();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let Some((base, query)) = text.split_once('?') else {
            return Ok((text.to_owned(), tls));
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !tls.set(key, percent_decode(value))? {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, tls));
    }
    let mut kept = Vec::new();
    for (token, key, value) in key_values(text) {
        if !tls.set(key, value)? {
            kept.push(token);
        }
    }
    Ok((kept.join(" "), tls))
}

/// `%XX` escapes decoded; malformed ones are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// The `key = value` pairs of libpq's keyword form, each with its text as
/// written: values may be single-quoted, and `\` escapes a character.
fn key_values(text: &str) -> Vec<(&str, &str, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            return pairs;
        };
        let mut key_end = text.len();
        while let Some((i, c)) = chars.peek().copied() {
            if c == '=' || c.is_whitespace() {
                key_end = i;
                break;
            }
            chars.next();
        }
        let key = &text[start..key_end];
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            // Malformed: left whole for tokio-postgres to refuse.
            pairs.push((&text[start..], key, String::new()));
            return pairs;
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if(|(_, c)| *c == '\'').is_some();
        let mut value = String::new();
        let mut end = text.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => value.extend(chars.next().map(|(_, c)| c)),
                '\'' if quoted => {
                    end = i + 1;
                    break;
                }
                c if c.is_whitespace() && !quoted => {
                    end = i;
                    break;
                }
                c => value.push(c),
            }
        }
        pairs.push((&text[start..end], key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_are_taken_out_and_others_kept() {
        let (rest, tls) = split_connection_string(
            "postgres://u:p@db:5432/envmon?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@db:5432/envmon?application_name=x");
        assert_eq!(tls.mode, Some(SslMode::VerifyFull));
        assert_eq!(tls.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert!(rest.parse::<tokio_postgres::Config>().is_ok());
    }

    #[test]
    fn a_url_without_tls_parameters_is_unchanged() {
        let url = "postgres://envmon:envmon@127.0.0.1:5432/envmon";
        assert_eq!(
            split_connection_string(url).unwrap(),
            (url.to_owned(), PgTls::default())
        );
        let (rest, _) = split_connection_string(&format!("{url}?sslmode=require")).unwrap();
        assert_eq!(rest, url);
    }

    #[test]
    fn keyword_form_handles_quotes_and_escapes() {
        let (rest, tls) = split_connection_string(
            "host=db password='a b\\'c' sslmode = verify-ca sslkey='/k y.pem' dbname=envmon",
        )
        .unwrap();
        assert_eq!(rest, "host=db password='a b\\'c' dbname=envmon");
        assert_eq!(tls.mode, Some(SslMode::VerifyCa));
        assert_eq!(tls.client_key_file, Some(PathBuf::from("/k y.pem")));
        let config: tokio_postgres::Config = rest.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"a b'c"[..]));
    }

    #[test]
    fn unknown_sslmode_is_refused_by_name() {
        let error = split_connection_string("postgres://db/envmon?sslmode=verify-any").unwrap_err();
        assert!(error.to_string().contains("verify-any"), "{error}");
    }

    #[test]
    fn the_same_key_in_url_and_settings_must_agree() {
        let settings = PgTls {
            mode: Some(SslMode::VerifyFull),
            ..PgTls::default()
        };
        let same = settings.clone();
        assert_eq!(settings.merged_with(&same).unwrap(), settings);
        let other = PgTls {
            mode: Some(SslMode::Require),
            ca_file: Some("/ca.pem".into()),
            ..PgTls::default()
        };
        let error = settings.merged_with(&other).unwrap_err();
        assert!(error.to_string().contains("sslmode"), "{error}");
        let ca_only = PgTls {
            ca_file: Some("/ca.pem".into()),
            ..PgTls::default()
        };
        let merged = settings.merged_with(&ca_only).unwrap();
        assert_eq!(merged.mode, Some(SslMode::VerifyFull));
        assert_eq!(merged.ca_file, ca_only.ca_file);
    }

    #[test]
    fn verify_modes_need_a_ca() {
        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let tls = PgTls {
                mode: Some(mode),
                ..PgTls::default()
            };
            assert!(matches!(tls.connector(), Err(TlsError::ModeNeedsCa(_))));
        }
        let default = PgTls::default();
        assert_eq!(default.effective_mode(), SslMode::Disable);
        assert!(default.connector().is_ok());
    }
}
