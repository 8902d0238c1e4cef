//! Recent answers of the statistics routes (areas' AQI, period statistics, rankings), kept for a
//! short time and served again without asking PostgreSQL.
//!
//! These answers read years of daily aggregates and change at most when a rollup does; every
//! newsroom asking "this year's good-day ratio" at once would otherwise make the same reads again
//! and again. An answer is at most [`FRESH_FOR`] older than the data, well inside the
//! `Cache-Control: max-age=60` it is published with, so nothing is promised that this breaks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long an answer is served again.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(30);
/// Most answers kept; when full, the whole cache starts over (answers are cheap to remake and
/// this bounds memory without bookkeeping per entry).
const MAX_ENTRIES: usize = 512;
/// Largest answer kept.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The kept answers, by path and query.
#[derive(Debug, Default)]
pub(crate) struct AnswerCache {
    entries: Mutex<HashMap<String, Kept>>,
}

#[derive(Debug, Clone)]
struct Kept {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

/// The middleware: a fresh kept answer if there is one, else the handler's, kept when 200.
pub(crate) async fn serve(
    State(cache): State<Arc<AnswerCache>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = request
        .uri()
        .path_and_query()
        .map_or_else(String::new, ToString::to_string);
    let now = Instant::now();
    let kept = cache
        .entries
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .filter(|k| now.duration_since(k.at) < FRESH_FOR)
        .cloned();
    if let Some(kept) = kept {
        let mut response = Body::from(kept.body).into_response();
        *response.headers_mut() = kept.headers;
        return response;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    {
        let mut entries = cache.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Kept {
                at: now,
                headers: parts.headers.clone(),
                body: body.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::extract::Query;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn app(calls: Arc<AtomicUsize>) -> Router {
        let handler = move |Query(q): Query<HashMap<String, String>>| {
            let calls = Arc::clone(&calls);
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if q.contains_key("fail") {
                    return (StatusCode::BAD_REQUEST, "no").into_response();
                }
                ([("content-type", "text/csv")], format!("answer {n}")).into_response()
            }
        };
        Router::new()
            .route("/s", get(handler))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(AnswerCache::default()),
                serve,
            ))
    }

    async fn get_text(app: &Router, uri: &str) -> (StatusCode, String, Option<String>) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap(), kind)
    }

    #[tokio::test]
    async fn an_answer_is_served_again_with_its_headers_and_failures_are_not_kept() {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = app(Arc::clone(&calls));
        let first = get_text(&app, "/s?a=1").await;
        assert_eq!(
            first,
            (StatusCode::OK, "answer 0".into(), Some("text/csv".into()))
        );
        assert_eq!(get_text(&app, "/s?a=1").await, first);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the second came from the cache"
        );
        // Another query is another answer.
        assert_eq!(get_text(&app, "/s?a=2").await.1, "answer 1");
        // A refusal is made again each time.
        get_text(&app, "/s?fail=1").await;
        get_text(&app, "/s?fail=1").await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
