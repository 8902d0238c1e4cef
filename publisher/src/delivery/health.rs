//! Delivery health for staff: subscriptions per channel and state, and the
//! queue (pending, failed, oldest due). Counts only: staff see no address.

use serde_json::{Value, json};
use tokio_postgres::GenericClient;

const BY_CHANNEL: &str =
    "SELECT channel, state, count(*) FROM subscription GROUP BY channel, state";

const QUEUE: &str = "SELECT
        count(*) FILTER (WHERE state = 'pending'),
        count(*) FILTER (WHERE state = 'pending' AND attempts > 0),
        count(*) FILTER (WHERE state = 'failed'),
        count(*) FILTER (WHERE state = 'delivered' AND delivered_at > now() - interval '24 hours'),
        min(due_at) FILTER (WHERE state = 'pending'),
        (SELECT count(*) FROM outbox_event WHERE fanned_out_at IS NULL)
    FROM delivery";

/// The counts as the staff API answers them.
///
/// # Errors
/// When a query fails.
pub(crate) async fn report(client: &impl GenericClient) -> Result<Value, tokio_postgres::Error> {
    let mut channels = serde_json::Map::new();
    for channel in ["email", "webhook", "push"] {
        channels.insert(
            channel.into(),
            json!({ "pending": 0, "active": 0, "disabled": 0 }),
        );
    }
    for row in client.query(BY_CHANNEL, &[]).await? {
        let (channel, state, count): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        if let Some(entry) = channels.get_mut(&channel) {
            entry[state] = json!(count);
        }
    }
    let queue = client.query_one(QUEUE, &[]).await?;
    let oldest_due: Option<chrono::DateTime<chrono::Utc>> = queue.get(4);
    Ok(json!({
        "channels": channels,
        "deliveries": {
            "pending": queue.get::<_, i64>(0),
            "retrying": queue.get::<_, i64>(1),
            "failed": queue.get::<_, i64>(2),
            "delivered_24h": queue.get::<_, i64>(3),
            "oldest_due_at": oldest_due,
            "events_waiting": queue.get::<_, i64>(5),
        },
    }))
}
