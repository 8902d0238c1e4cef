//! `envmon bench`: measured figures of ingest against its ceilings.

use crate::settings::Settings;

/// `envmon bench ingest`.
pub(crate) async fn ingest(_settings: &Settings, _seconds: u64) -> anyhow::Result<()> {
    anyhow::bail!("envmon bench ingest is not built yet")
}
