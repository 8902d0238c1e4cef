//! Route tests: the whole application (`app::app`) called in-process with
//! `tower::ServiceExt::oneshot`, without a broker, a browser or a listening
//! socket. The pool points at a closed port, so a handler that needs the
//! database fails at once, as it would during an outage; everything else
//! (validation, caching headers, CORS, compression, health, the live
//! state) is checked for what a client sees.

mod basemap;
mod live_and_site;
mod open_data;
mod openapi;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use envmon_core::db::DatabaseSettings;
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use tower::ServiceExt;

use crate::Settings;
use crate::live::Hub;
use crate::site::Site;
use crate::state::AppState;

/// Nothing listens on port 1: connecting is refused at once.
const UNREACHABLE_DATABASE: &str = "postgres://envmon:envmon@127.0.0.1:1/envmon";

/// Bodies above this are not read by a test.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The application and the state behind it.
pub(super) struct TestApp {
    pub(super) router: Router,
    pub(super) state: AppState,
    key_file: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.key_file);
    }
}

/// What came back.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

impl Answer {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub(super) fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }

    /// Asserts a client error the client can act on: `status`, the JSON
    /// error body with `code` and a message naming `mentions`.
    pub(super) fn assert_client_error(&self, status: StatusCode, code: &str, mentions: &str) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(mentions),
            "{message:?} should mention {mentions:?}"
        );
    }
}

/// The test application with `settings` changed by `adjust`.
pub(super) fn app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    static KEYS: AtomicU64 = AtomicU64::new(0);
    let key_file = std::env::temp_dir().join(format!(
        "envmon-route-test-{}-{}.key",
        std::process::id(),
        KEYS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut settings = Settings {
        database: DatabaseSettings {
            url: UNREACHABLE_DATABASE.into(),
            ..DatabaseSettings::default()
        },
        ..Settings::default()
    };
    settings.staff.signing_key_file = key_file.display().to_string();
    adjust(&mut settings);
    let topics = settings.broker.topics().unwrap();
    let pool = settings.database.pool().unwrap();
    let live = Arc::new(Hub::new(64));
    live.set_registry(&parse_registry(SHANGHAI_REGISTRY).unwrap());
    let addr = settings.listen;
    let site = Arc::new(Site::resolve(&settings, addr));
    let (staff, _broadcast) = crate::build_staff(
        &settings,
        &topics,
        pool.clone(),
        "envmon-notices-routes",
        &site,
    )
    .unwrap();
    let broker_connected = Arc::new(AtomicBool::new(true));
    let state = AppState::new(settings, pool, live, staff, site, broker_connected);
    TestApp {
        router: crate::app::app(state.clone()),
        state,
        key_file,
    }
}

/// The test application with the default settings.
pub(super) fn app() -> TestApp {
    app_with(|_| {})
}

impl TestApp {
    /// Sends `request` as a client at `peer` would.
    pub(super) async fn send(&self, mut request: Request<Body>) -> Answer {
        let peer = SocketAddr::from(([192, 0, 2, 7], 40_000));
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: to_bytes(body, MAX_BODY).await.unwrap(),
        }
    }

    /// GETs `uri` with `headers`.
    pub(super) async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// GETs `uri`.
    pub(super) async fn get(&self, uri: &str) -> Answer {
        self.get_with(uri, &[]).await
    }
}
