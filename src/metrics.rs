//! The Prometheus endpoint on `[metrics] listen`: `/metrics` in the
//! OpenMetrics text format, with the metrics of the daemons this process
//! runs, the build's version and the process's own figures.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::http::header;
use axum::routing::get;
use envmon_core::metrics::process::ProcessMetrics;
use envmon_core::metrics::{CONTENT_TYPE, FloatGauge, Metric, MetricsSettings, Registry};

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
    let registry = std::sync::Arc::new(registry(exposed));
    let app = Router::new().route(
        "/metrics",
        get(move || async move {
            (
                [(header::CONTENT_TYPE, CONTENT_TYPE)],
                envmon_core::metrics::encode(&registry),
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

/// `envmon_build_info{version}`: always 1; the version is in the label, so
/// dashboards can show which build runs and alerts can compare them.
static BUILD_INFO: FloatGauge = FloatGauge::new(
    "envmon_build_info",
    "Always 1; labelled with the version of the envmon build running.",
    &["version"],
);

/// Everything this process exposes: the build, the process, and the
/// metrics of the daemons it runs.
fn registry(exposed: Exposed) -> Registry {
    let mut registry = Registry::default();
    BUILD_INFO.set(&[env!("CARGO_PKG_VERSION")], 1.0);
    BUILD_INFO.register(&mut registry);
    ProcessMetrics.register(&mut registry);
    if exposed.ingest {
        envmon_ingest::metrics::register(&mut registry);
    }
    if exposed.publisher {
        envmon_publisher::metrics::register(&mut registry);
    }
    registry
}
