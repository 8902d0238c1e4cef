//! Secrets out of sight: what `envmon config show`, `Debug` output, error
//! messages and logs print in place of passwords and keys.
//!
//! Two shapes of secret are recognised wherever they appear:
//!
//! - a setting whose *name* says it is one ([`is_secret_key`]): `password`,
//!   `*_password`, `secret`, `*_secret`, `*token`, `key`, `*_key` (but not
//!   `*_key_file` or `public_*`: a path to a key, or a public key, is not
//!   the key);
//! - a password inside a *connection string* ([`redact_url`]): the
//!   `user:password@` of a URL, a `password=` query parameter, or the
//!   `password=` of a libpq key-value string (`host=db password=...`).

/// What a secret is replaced with.
pub const REDACTED: &str = "***";

/// Whether a setting called `key` holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if key.starts_with("public") || key.ends_with("_file") || key.ends_with("_path") {
        return false;
    }
    key.contains("password")
        || key.contains("secret")
        || key.ends_with("token")
        || key == "key"
        || key.ends_with("_key")
}

/// `text` with every password in it replaced by [`REDACTED`]: the
/// `user:password@` of a URL and any `password=value` (URL query or libpq
/// key-value), quoted or not. Text without one comes back unchanged.
pub fn redact_url(text: &str) -> String {
    redact_parameters(&redact_userinfo(text))
}

/// `scheme://user:password@host` to `scheme://user:***@host`. A password
/// may hold unescaped `/`, `?` or `@`, so everything from the first `:`
/// after the scheme to the last `@` of the word goes: more than the
/// password at worst, never less.
fn redact_userinfo(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let start = scheme_end + 3;
    let rest = &text[start..];
    let word = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    let Some(at) = word.rfind('@') else {
        return text.to_owned();
    };
    let Some(colon) = word[..at].find(':') else {
        return text.to_owned();
    };
    format!(
        "{}{REDACTED}{}",
        &text[..=start + colon],
        &text[start + at..]
    )
}

/// Every `...password=value` to `...password=***`.
fn redact_parameters(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("password=") {
        let value_start = search + found + "password=".len();
        let rest = &text[value_start..];
        let value_len = if let Some(quoted) = rest.strip_prefix('\'') {
            // libpq: a quoted value ends at the next unescaped quote.
            let mut end = quoted.len();
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = i + 1;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            1 + end.min(quoted.len())
        } else {
            rest.find(|c: char| c == '&' || c == '#' || c.is_whitespace())
                .unwrap_or(rest.len())
        };
        out.push_str(&text[copied..value_start]);
        out.push_str(REDACTED);
        copied = value_start + value_len;
        search = copied;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_and_connection_strings_are_hidden() {
        let cases = [
            (
                "postgres://envmon:s3cr%40t@db:5432/envmon",
                "postgres://envmon:***@db:5432/envmon",
            ),
            ("postgres://db/envmon", "postgres://db/envmon"),
            ("postgres://envmon@db/envmon", "postgres://envmon@db/envmon"),
            (
                "postgres://db/envmon?user=a&password=hunter2&sslmode=require",
                "postgres://db/envmon?user=a&password=***&sslmode=require",
            ),
            (
                "host=db user=envmon password=hunter2 dbname=envmon",
                "host=db user=envmon password=*** dbname=envmon",
            ),
            (
                r"host=db password='it\'s secret' dbname=x",
                "host=db password=*** dbname=x",
            ),
            (
                "mqtts://ingest:pa:ss@broker:8883",
                "mqtts://ingest:***@broker:8883",
            ),
            ("sslpassword=abc", "sslpassword=***"),
            (
                "postgres://u:pa/ss?w@rd@db/envmon",
                "postgres://u:***@db/envmon",
            ),
            ("no secret here", "no secret here"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact_url(text), expected, "{text}");
        }
    }

    #[test]
    fn settings_debug_output_shows_no_password() {
        let database = crate::db::DatabaseSettings {
            url: "postgres://envmon:hunter2@db/envmon".into(),
            ..crate::db::DatabaseSettings::default()
        };
        let broker = crate::broker::BrokerSettings {
            username: Some("ingest".into()),
            password: Some("mqtt-secret".into()),
            ..crate::broker::BrokerSettings::default()
        };
        let shown = format!("{database:?} {broker:?} {database:#?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("mqtt-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("envmon:***@db") && shown.contains("\"ingest\""),
            "{shown}"
        );
    }

    #[test]
    fn secret_keys_are_named_so_paths_and_public_keys_are_not() {
        for key in [
            "password",
            "broker_password",
            "PASSWORD",
            "secret",
            "client_secret",
            "api_token",
            "key",
            "private_key",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "signing_key_file",
            "password_file",
            "public_key",
            "username",
            "url",
            "keep_alive",
            "keys",
            "ca_path",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
