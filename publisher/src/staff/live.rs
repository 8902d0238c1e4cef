//! The staff live channel, `GET /api/v1/staff/live`: Server-Sent Events of
//! alarm changes (raised, cleared, acknowledged), for signed-in staff only.
//!
//! Each connection polls the alarm table every `live_poll` for rows changed
//! since the last one it sent: staff are a handful of people, and the
//! database is where ingest's alarms are committed, so no other path can
//! lose one.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use futures_util::stream;

use super::StaffState;
use super::alarms::{alarm_json, changed_since};
use super::users::StaffUser;
use crate::error::ApiError;

pub(crate) fn router() -> Router<StaffState> {
    Router::new().route("/api/v1/staff/live", get(live))
}

struct Cursor {
    app: StaffState,
    since: DateTime<Utc>,
    pending: VecDeque<Event>,
}

async fn live(
    State(app): State<StaffState>,
    user: StaffUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let since: DateTime<Utc> = {
        let client = app.pool.get().await?;
        client.query_one("SELECT now()", &[]).await?.get(0)
    };
    tracing::debug!(user = %user.username, "Staff live channel opened.");
    let hello = Event::default()
        .event("hello")
        .data(format!("{{\"username\":{:?}}}", user.username));
    let cursor = Cursor {
        app,
        since,
        pending: VecDeque::from([hello]),
    };
    let events = stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(event) = cursor.pending.pop_front() {
                return Some((Ok(event), cursor));
            }
            let poll = cursor.app.settings.staff.live_poll;
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = cursor.app.shutdown.cancelled() => return None,
            }
            let Ok(client) = cursor.app.pool.get().await else {
                continue;
            };
            let Ok(rows) = changed_since(&client, cursor.since).await else {
                continue;
            };
            for row in &rows {
                let changed: DateTime<Utc> = row.get(13);
                cursor.since = cursor.since.max(changed);
                cursor.pending.push_back(
                    Event::default()
                        .event("alarm")
                        .data(alarm_json(row).to_string()),
                );
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
