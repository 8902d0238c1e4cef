//! `envmon stations secret`: the secret a station's HJ 212 data logger
//! sends as PW, stored hashed.

use std::io::Read;

use anyhow::Context;
use envmon_core::StationCode;
use envmon_core::logger_secret::SecretHash;
use envmon_core::registry::{remove_hj212_secret, set_hj212_secret};

use envmon::settings::Settings;

/// Where the secret may be given instead of stdin.
pub(crate) const SECRET_ENV: &str = "ENVMON_STATION_SECRET";

/// Sets (or with `remove`, removes) a station's logger secret. The secret
/// comes from `ENVMON_STATION_SECRET` or, without it, from the first line
/// of stdin: never from the command line, where every user of the machine
/// could read it in the process list. Only its salted hash is stored.
pub(crate) async fn secret(settings: &Settings, code: &str, remove: bool) -> anyhow::Result<()> {
    let station = StationCode::parse(code).with_context(|| format!("station code {code:?}"))?;
    let hash = if remove {
        None
    } else {
        let secret = match std::env::var(SECRET_ENV) {
            Ok(secret) => secret,
            Err(_) => {
                let mut input = String::new();
                std::io::stdin()
                    .read_to_string(&mut input)
                    .context("reading the secret from stdin")?;
                input.lines().next().unwrap_or_default().to_owned()
            }
        };
        Some(SecretHash::new(&secret).context("the secret cannot be used as an HJ 212 PW")?)
    };
    crate::commands::run_migrations(settings).await?;
    let pool = settings.database.pool()?;
    let client = pool.get().await.context("connecting to PostgreSQL")?;
    match hash {
        Some(hash) => {
            let set = set_hj212_secret(&**client, &station, &hash).await?;
            anyhow::ensure!(set, "no station {station} is registered");
            println!(
                "Set the HJ 212 logger secret of station {station}; ingest takes it within a minute."
            );
        }
        None => {
            let removed = remove_hj212_secret(&**client, &station).await?;
            anyhow::ensure!(removed, "station {station} has no logger secret");
            println!("Removed the HJ 212 logger secret of station {station}.");
        }
    }
    Ok(())
}
