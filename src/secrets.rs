//! Secrets in the settings: hidden from `envmon config show` and from
//! error messages, and refused in a settings file every user can read.
//!
//! What counts as a secret is decided in one place,
//! [`envmon_core::redact`]: a setting named like one (`password`,
//! `*_secret`, `*_key`...) or a password inside a connection string. Every
//! setting is walked, so a secret added to any section later is covered
//! without a change here.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use envmon_core::redact::{REDACTED, is_secret_key, redact_url};
use toml::Value;

/// `value` with every secret in it replaced.
pub fn redacted(value: Value) -> Value {
    match value {
        Value::Table(table) => Value::Table(
            table
                .into_iter()
                .map(|(key, value)| {
                    let value = match value {
                        Value::String(text) if is_secret_key(&key) && !text.is_empty() => {
                            Value::String(REDACTED.to_owned())
                        }
                        Value::Array(items) if is_secret_key(&key) => Value::Array(
                            items
                                .into_iter()
                                .map(|_| Value::String(REDACTED.to_owned()))
                                .collect(),
                        ),
                        other => redacted(other),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        Value::String(text) => Value::String(redact_url(&text)),
        other => other,
    }
}

/// The dotted paths of the secrets in `value`.
pub(crate) fn secrets_in(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect(value, "", &mut found);
    found
}

fn collect(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Table(table) => {
            for (key, value) in table {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let named = is_secret_key(key)
                    && match value {
                        Value::String(text) => !text.is_empty(),
                        Value::Array(items) => !items.is_empty(),
                        _ => true,
                    };
                if named {
                    found.push(here);
                } else {
                    collect(value, &here, found);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect(item, &format!("{path}[{index}]"), found);
            }
        }
        Value::String(text) if redact_url(text) != *text => {
            found.push(format!("{path} (its password)"));
        }
        _ => {}
    }
}

/// Refuses a settings file that holds a secret and that users other than
/// its owner and group may read (mode `o+r`), as key files with loose
/// permissions are refused.
///
/// # Errors
/// The message names the file, its mode, the secrets and the fixes.
pub(crate) fn refuse_readable_secrets(file: &Path) -> anyhow::Result<()> {
    let mode = std::fs::metadata(file)?.permissions().mode();
    if mode & 0o004 == 0 {
        return Ok(());
    }
    // Unparsable text is for the settings loader to report, by key.
    let Ok(value) = std::fs::read_to_string(file)?.parse::<Value>() else {
        return Ok(());
    };
    let secrets = secrets_in(&value);
    if secrets.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "settings file {} holds a secret ({}) and every user of this machine can read it \
         (mode {:04o}): make it private (chmod o-r {}), or take the secret out of the file \
         and give it in the environment instead (e.g. ENVMON__DATABASE__URL, ENVMON__BROKER__PASSWORD)",
        file.display(),
        secrets.join(", "),
        mode & 0o7777,
        file.display()
    )
}

/// A settings error, with the value of a secret setting left out: serde
/// names the value it could not use ("found string ..."), and that value
/// may be a password.
pub(crate) fn settings_error(error: figment::Error) -> anyhow::Error {
    let messages: Vec<String> = error
        .into_iter()
        .map(|mut one| {
            let secret = one.path.iter().any(|key| is_secret_key(key));
            if secret {
                one.kind = figment::error::Kind::Message(format!(
                    "invalid value ({REDACTED}: not shown, the key holds a secret)"
                ));
            }
            redact_url(&one.to_string())
        })
        .collect();
    anyhow::anyhow!("invalid settings: {}", messages.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[database]
url = "postgres://envmon:hunter2@db:5432/envmon"

[broker]
host = "mqtt.internal"
username = "envmon"
password = "mqtt-secret"

[publisher.staff]
signing_key_file = "/var/lib/envmon/signing.key"
"#;

    #[test]
    fn every_secret_is_replaced_and_nothing_else() {
        let value: Value = TEXT.parse().unwrap();
        let shown = toml::to_string(&redacted(value.clone())).unwrap();
        assert!(
            !shown.contains("hunter2") && !shown.contains("mqtt-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://envmon:***@db:5432/envmon"),
            "{shown}"
        );
        assert!(shown.contains("mqtt.internal") && shown.contains("signing.key"));
        assert_eq!(
            secrets_in(&value),
            ["broker.password", "database.url (its password)"]
        );
        let clean: Value = "[broker]\nhost = \"h\"\n".parse().unwrap();
        assert!(secrets_in(&clean).is_empty());
    }

    #[test]
    fn a_readable_file_with_a_secret_is_refused_and_a_private_one_is_not() {
        let dir = std::env::temp_dir().join(format!("envmon-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("envmon.toml");
        std::fs::write(&file, TEXT).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = refuse_readable_secrets(&file).unwrap_err().to_string();
        assert!(
            error.contains("broker.password") && error.contains("0644"),
            "{error}"
        );
        assert!(!error.contains("mqtt-secret"), "{error}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(refuse_readable_secrets(&file).is_ok());
        std::fs::write(&file, "[broker]\nhost = \"h\"\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(refuse_readable_secrets(&file).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_secret_value_is_not_repeated_in_the_error() {
        let error = figment::Figment::new()
            .merge(figment::providers::Serialized::default(
                "password",
                123_456_789,
            ))
            .extract::<Only>()
            .unwrap_err();
        let message = settings_error(error).to_string();
        assert!(!message.contains("123456789"), "{message}");
        assert!(message.contains("password"), "{message}");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Only {
        password: String,
    }
}
