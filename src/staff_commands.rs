//! `envmon user add|disable|enable`, `envmon alerts verify`,
//! `envmon alerts public-key` and `envmon audit verify`.
//!
//! Staff accounts are created here only, on the server's command line,
//! never over the web API: someone who could create accounts over the web
//! could give themselves a second person to approve their own drafts. Here
//! it takes the database's own credentials, which already allow anything.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use envmon_core::alert::audit::AuditHead;
use envmon_core::alert::{TrustedKey, TrustedKeys, hex, verify_notice};
use envmon_publisher::staff::{
    Role, add_user, disable_user, enable_user, keys, verify_audit, verify_audit_against,
};

use envmon::settings::Settings;

/// Where `user add` reads the password when stdin is not used.
pub(crate) const PASSWORD_ENV: &str = "ENVMON_USER_PASSWORD";

/// Adds a staff user. The password comes from `ENVMON_USER_PASSWORD` or,
/// without it, from the first line of stdin: never from the command line,
/// where every user of the machine could read it in the process list.
pub(crate) async fn user_add(
    settings: &Settings,
    username: &str,
    role: &str,
) -> anyhow::Result<()> {
    let role = Role::parse(role)?;
    let password = match std::env::var(PASSWORD_ENV) {
        Ok(password) => password,
        Err(_) => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading the password from stdin")?;
            input.lines().next().unwrap_or_default().to_owned()
        }
    };
    crate::commands::run_migrations(settings).await?;
    let pool = settings.database.pool()?;
    let mut client = pool.get().await.context("connecting to PostgreSQL")?;
    let id = add_user(&mut client, &cli_actor(), username, role, &password).await?;
    println!("Added {} {username} (id {id}).", role.as_str());
    Ok(())
}

/// Disables or enables a staff user.
pub(crate) async fn user_enabled(
    settings: &Settings,
    username: &str,
    enabled: bool,
) -> anyhow::Result<()> {
    crate::commands::run_migrations(settings).await?;
    let pool = settings.database.pool()?;
    let mut client = pool.get().await.context("connecting to PostgreSQL")?;
    if enabled {
        enable_user(&mut client, &cli_actor(), username).await?;
        println!("Enabled {username}.");
    } else {
        disable_user(&mut client, &cli_actor(), username).await?;
        println!("Disabled {username}: sessions ended, API tokens revoked.");
    }
    Ok(())
}

/// Who the audit log names for a command-line action: `cli:` and the
/// operating-system user, when known.
fn cli_actor() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(user) if !user.is_empty() => {
            format!("cli:{}", user.chars().take(32).collect::<String>())
        }
        _ => "cli".to_owned(),
    }
}

/// Checks a notice's signature, printing the verdict; fails when it does
/// not verify. The trusted key is `--public-key`, or else the one derived
/// from the configured signing key file.
pub(crate) fn alerts_verify(
    settings: &Settings,
    file: &Path,
    public_key: Option<&str>,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let key = match public_key {
        Some(hex_key) => hex::decode::<32>(hex_key)
            .context("--public-key must be 64 hex digits (see /api/v1/alerts/public-key)")?,
        None => {
            let path = &settings.publisher.staff.signing_key_file;
            anyhow::ensure!(
                Path::new(path).is_file(),
                "no --public-key given and no signing key at {path}"
            );
            keys::load_or_create(path)?.public_key()
        }
    };
    match verify_notice(&text, &key) {
        Ok(()) => {
            println!(
                "{}: signature valid (Ed25519, key {}).",
                file.display(),
                hex::encode(&key)
            );
            Ok(())
        }
        Err(error) => anyhow::bail!("{}: NOT valid: {error}", file.display()),
    }
}

/// Prints the public key of a signing key file (the configured one by
/// default); never creates one.
pub(crate) fn alerts_public_key(settings: &Settings, file: Option<&Path>) -> anyhow::Result<()> {
    let configured = Path::new(&settings.publisher.staff.signing_key_file);
    let file = file.unwrap_or(configured);
    anyhow::ensure!(file.is_file(), "no signing key at {}", file.display());
    let path = file.to_str().context("the key file's path is not UTF-8")?;
    println!("{}", keys::load_or_create(path)?.public_key_hex());
    Ok(())
}

/// Re-checks the whole audit chain; fails at the first broken entry and,
/// given a kept head, when the chain does not pass through it.
pub(crate) async fn audit_verify(
    settings: &Settings,
    against: Option<&Path>,
    public_key: Option<&str>,
) -> anyhow::Result<()> {
    let head = match against {
        Some(file) => Some(kept_head(settings, file, public_key)?),
        None => None,
    };
    let pool = settings.database.pool()?;
    let client = pool.get().await.context("connecting to PostgreSQL")?;
    let verified = match &head {
        Some(head) => verify_audit_against(&client, head).await,
        None => verify_audit(&client).await,
    };
    match (verified, &head) {
        (Ok(count), Some(head)) => {
            println!(
                "Audit log intact: {count} entries verified; it passes through the kept head \
                 (entry {}, signed {}).",
                head.seq,
                head.signed_at.to_rfc3339()
            );
            Ok(())
        }
        (Ok(count), None) => {
            println!("Audit log intact: {count} entries verified.");
            Ok(())
        }
        (Err(error), _) => anyhow::bail!("audit log NOT intact: {error}"),
    }
}

/// Reads a kept head and checks its signature: against `--public-key`, or
/// else the configured signing key's and `trusted_keys`.
fn kept_head(
    settings: &Settings,
    file: &Path,
    public_key: Option<&str>,
) -> anyhow::Result<AuditHead> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let keys = match public_key {
        Some(hex_key) => TrustedKeys::single(
            hex::decode::<32>(hex_key).context("--public-key must be 64 hex digits")?,
        ),
        None => {
            let staff = &settings.publisher.staff;
            let own = Path::new(&staff.signing_key_file)
                .is_file()
                .then(|| keys::load_or_create(&staff.signing_key_file))
                .transpose()?
                .map(|signer| TrustedKey::always(signer.public_key()));
            anyhow::ensure!(
                own.is_some() || !staff.trusted_keys.is_empty(),
                "no --public-key given, no signing key at {} and no trusted_keys",
                staff.signing_key_file
            );
            TrustedKeys::new(own.into_iter().chain(staff.trusted_keys.iter().cloned()))
        }
    };
    AuditHead::from_signed(&text, &keys)
        .with_context(|| format!("{} is not a head to check against", file.display()))
}
