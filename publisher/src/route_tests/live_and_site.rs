//! Health, the live routes' refusals, and the dashboard's files.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;

use super::app;
use crate::health::READY_WITHOUT_DATABASE;

#[tokio::test]
async fn readiness_needs_the_broker_but_not_the_database() {
    let app = app();
    let alive = app.get("/healthz").await;
    assert_eq!(
        (alive.status, alive.text().as_str()),
        (StatusCode::OK, "ok")
    );

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.text(), READY_WITHOUT_DATABASE);

    app.state.broker_connected.store(false, Ordering::Release);
    let unready = app.get("/readyz").await;
    assert_eq!(unready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(unready.text(), "broker unreachable");
}

#[tokio::test]
async fn live_routes_refuse_bad_queries_and_plain_requests() {
    let app = app();
    let bad_kind = app.get("/api/v1/live/sse?kind=ocean").await;
    bad_kind.assert_client_error(StatusCode::BAD_REQUEST, "bad_request", "kind");
    let bad_station = app.get("/api/v1/live?station=no%20such").await;
    bad_station.assert_client_error(StatusCode::BAD_REQUEST, "bad_request", "station");
    let not_upgrade = app.get("/api/v1/live").await;
    assert!(
        not_upgrade.status.is_client_error(),
        "{}",
        not_upgrade.status
    );
}

#[tokio::test]
async fn an_event_stream_opens_with_the_snapshot() {
    use axum::body::Body;
    use axum::http::Request;
    use futures_util::StreamExt;
    use tower::ServiceExt;

    let app = app();
    let mut request = Request::get("/api/v1/live/sse")
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 8],
            40_000,
        ))));
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(
        response.headers().get("content-encoding").is_none(),
        "never compressed"
    );
    let mut body = response.into_body().into_data_stream();
    let mut seen = String::new();
    while !seen.contains("snapshot") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("the snapshot within 5 s")
            .expect("the stream stays open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn dashboard_files_are_served_gzipped_with_etags_that_answer_304() {
    let app = app();
    let page = app.get_with("/", &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.header("content-encoding"), Some("gzip"));
    let gzip_tag = page.header("etag").unwrap().to_owned();

    let plain = app.get("/app.js").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.header("content-encoding").is_none());
    let plain_tag = plain.header("etag").unwrap().to_owned();
    assert!(plain.text().contains("import"));

    let again = app
        .get_with(
            "/",
            &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(gzip_tag.as_str()));

    let other_file = app.get_with("/", &[("if-none-match", &plain_tag)]).await;
    assert_eq!(
        other_file.status,
        StatusCode::OK,
        "app.js's tag is not the page's"
    );

    for asset in ["/embed/embed.js", "/embed/embed.css", "/style.css"] {
        assert_eq!(app.get(asset).await.status, StatusCode::OK, "{asset}");
    }
}
