//! The Prometheus endpoint on `[metrics] listen`: `/metrics` in the text
//! exposition format, with the metrics of the daemons this process runs.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::http::header;
use axum::routing::get;
use envmon_core::metrics::MetricsSettings;

/// Which daemons' metrics a process exposes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exposed {
    pub(crate) ingest: bool,
    pub(crate) publisher: bool,
}

/// Binds `[metrics] listen`, if set, and serves `/metrics` in the
/// background for the life of the process. Returns the bound address.
pub(crate) async fn serve(
    settings: &MetricsSettings,
    exposed: Exposed,
) -> anyhow::Result<Option<SocketAddr>> {
    let Some(listen) = settings.listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen for metrics on {listen}"))?;
    let addr = listener.local_addr()?;
    let app = Router::new().route(
        "/metrics",
        get(move || async move {
            let mut text = String::new();
            if exposed.ingest {
                text.push_str(&envmon_ingest::metrics::render());
            }
            if exposed.publisher {
                text.push_str(&envmon_publisher::metrics::render());
            }
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                text,
            )
        }),
    );
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(error = %error, "Metrics server failed.");
        }
    });
    tracing::info!(addr = %addr, "Serving metrics.");
    Ok(Some(addr))
}
