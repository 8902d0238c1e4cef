//! Fan-out: each outbox event, once, into the deliveries it owes.
//!
//! One transaction per event: the event is taken with `FOR UPDATE SKIP
//! LOCKED` (so several workers share the table without waiting on each
//! other), its matching subscriptions are found, a message is rendered for
//! each and inserted with the key (subscription, event), and the event is
//! marked done. A crash in between rolls everything back; a second fan-out
//! of the same event could insert nothing new, by the key.

use chrono::{DateTime, NaiveDate, Utc};
use envmon_core::alert::PublicNotice;
use envmon_core::outbox::{ForecastSummary, OutboxCause};
use envmon_core::subscription::{Channel, Language, LevelMemory, Topic, decide_level};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Transaction};

use super::message::{Message, Subscribed};

const TAKE_EVENT: &str = "SELECT id, payload FROM outbox_event WHERE fanned_out_at IS NULL
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";

const EVENT_DONE: &str = "UPDATE outbox_event SET fanned_out_at = now() WHERE id = $1";

/// Every column a message needs, with the target's names; `WHERE` follows.
const SUBSCRIPTIONS: &str = "SELECT s.id, s.channel, s.address, s.owner_email, s.language, s.topic,
        s.level, s.manage_token, s.confirm_token, COALESCE(a.name_zh, st.name_zh),
        COALESCE(a.name_en, st.name_en), s.area_id, s.station_code, s.level_above,
        s.level_alerted_at
    FROM subscription s
    LEFT JOIN area a ON a.id = s.area_id
    LEFT JOIN station st ON st.code = s.station_code";

/// The areas a notice concerns: the city always, the districts it names
/// (by either name or id), and the districts of the stations it names.
const NOTICE_AREAS: &str = "SELECT id FROM area
        WHERE kind = 'city' OR id = ANY($1) OR name_zh = ANY($1) OR name_en = ANY($1)
    UNION SELECT a.id FROM area_station x JOIN area a ON a.id = x.area_id
        WHERE a.kind = 'district' AND x.station_code = ANY($2)";

const LATEST_STATION_AQI: &str = "SELECT aqi, hour_end FROM aqi_hourly
    WHERE station_code = $1 AND aqi IS NOT NULL ORDER BY hour_end DESC LIMIT 1";

const LATEST_AREA_AQI: &str = "SELECT aqi, hour_end FROM area_aqi_hourly
    WHERE area_id = $1 AND aqi IS NOT NULL ORDER BY hour_end DESC LIMIT 1";

const AREA_DAY_AQI: &str = "SELECT aqi FROM area_aqi_daily WHERE area_id = $1 AND day = $2";

const REMEMBER_LEVEL: &str =
    "UPDATE subscription SET level_above = $2, level_alerted_at = $3 WHERE id = $1";

const INSERT_DELIVERY: &str = "INSERT INTO delivery
        (subscription_id, event_id, channel, address, message, state, give_up_at)
    VALUES ($1, $2, $3, $4, $5, 'pending', now() + $6 * interval '1 second')
    ON CONFLICT (subscription_id, event_id) DO NOTHING";

/// What fan-out needs besides the database.
#[derive(Debug, Clone)]
pub(super) struct FanOut {
    /// The public origin, for links.
    pub(super) base_url: String,
    /// Seconds after which a message is given up.
    pub(super) give_up_seconds: f64,
}

/// One subscription as fan-out reads it.
struct Target {
    id: i64,
    channel: Channel,
    address: String,
    owner_email: Option<String>,
    manage_token: String,
    confirm_token: Option<String>,
    area_id: Option<String>,
    station_code: Option<String>,
    memory: LevelMemory,
    subscribed: Subscribed,
}

impl Target {
    fn from_row(row: &Row) -> Option<Self> {
        let language = Language::parse(row.get::<_, &str>(4));
        let topic = match row.get::<_, &str>(5) {
            "notices" => Topic::Notices,
            "level" => Topic::Level,
            "daily_forecast" => Topic::DailyForecast,
            _ => Topic::DailySummary,
        };
        let (name_zh, name_en): (Option<String>, Option<String>) = (row.get(9), row.get(10));
        let target_name = match language {
            Language::Zh => name_zh,
            Language::En => name_en,
        }
        .unwrap_or_default();
        Some(Self {
            id: row.get(0),
            channel: Channel::parse(row.get(1))?,
            address: row.get(2),
            owner_email: row.get(3),
            manage_token: row.get(7),
            confirm_token: row.get(8),
            area_id: row.get(11),
            station_code: row.get(12),
            memory: LevelMemory {
                above: row.get(13),
                alerted_at: row.get(14),
            },
            subscribed: Subscribed {
                language,
                topic,
                target_name,
                level: row
                    .get::<_, Option<i16>>(6)
                    .and_then(|l| u8::try_from(l).ok()),
            },
        })
    }
}

/// Fans out the oldest event no other worker holds; `false` when none is left.
pub(super) async fn fan_out_one(
    client: &mut Client,
    ctx: &FanOut,
) -> Result<bool, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let Some(row) = tx.query_opt(TAKE_EVENT, &[]).await? else {
        return Ok(false);
    };
    let event_id: i64 = row.get(0);
    match OutboxCause::from_stored(row.get(1)) {
        Ok(cause) => {
            let owed = owed(&tx, ctx, &cause).await?;
            for (target, channel, address, message) in owed {
                let message = serde_json::to_value(&message).unwrap_or_default();
                tx.execute(
                    INSERT_DELIVERY,
                    &[
                        &target,
                        &event_id,
                        &channel.as_str(),
                        &address,
                        &message,
                        &ctx.give_up_seconds,
                    ],
                )
                .await?;
            }
        }
        Err(error) => {
            tracing::warn!(event = event_id, error = %error, "Skipping an outbox event this version cannot read.");
        }
    }
    tx.execute(EVENT_DONE, &[&event_id]).await?;
    tx.commit().await?;
    Ok(true)
}

/// A delivery to insert: subscription, channel, address, message.
type Owed = (i64, Channel, String, Message);

async fn subscriptions(
    tx: &Transaction<'_>,
    condition: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Target>, tokio_postgres::Error> {
    // `condition` is one of this module's constants, never input.
    let sql = format!("{SUBSCRIPTIONS} WHERE {condition} ORDER BY s.id FOR UPDATE OF s");
    Ok(tx
        .query(&sql, params)
        .await?
        .iter()
        .filter_map(Target::from_row)
        .collect())
}

/// The message of `target` with its unsubscribe link, to its own address.
fn to_subscriber(target: &Target, mut message: Message, ctx: &FanOut) -> Owed {
    message.unsubscribe_url = Some(format!(
        "{}/api/v1/subscriptions/unsubscribe?token={}",
        ctx.base_url, target.manage_token
    ));
    (target.id, target.channel, target.address.clone(), message)
}

async fn owed(
    tx: &Transaction<'_>,
    ctx: &FanOut,
    cause: &OutboxCause,
) -> Result<Vec<Owed>, tokio_postgres::Error> {
    match cause {
        OutboxCause::Notice { notice } => notice_owed(tx, ctx, notice).await,
        OutboxCause::HourlyAqi {
            stations, areas, ..
        } => level_owed(tx, ctx, stations, areas).await,
        OutboxCause::DailySummary { day } => summary_owed(tx, ctx, *day).await,
        OutboxCause::DailyForecast(forecast) => forecast_owed(tx, ctx, forecast).await,
        OutboxCause::Confirmation { subscription_id } => {
            let targets =
                subscriptions(tx, "s.id = $1 AND s.state = 'pending'", &[subscription_id]).await?;
            Ok(targets
                .into_iter()
                .filter_map(|t| {
                    let token = t.confirm_token.as_ref()?;
                    let url = format!(
                        "{}/api/v1/subscriptions/confirm?token={token}",
                        ctx.base_url
                    );
                    let message = t.subscribed.confirmation(url);
                    Some((t.id, Channel::Email, t.address.clone(), message))
                })
                .collect())
        }
        OutboxCause::WebhookDisabled { subscription_id } => {
            let targets = subscriptions(
                tx,
                "s.id = $1 AND s.owner_email IS NOT NULL",
                &[subscription_id],
            )
            .await?;
            Ok(targets
                .into_iter()
                .filter_map(|t| {
                    let owner = t.owner_email.clone()?;
                    Some((
                        t.id,
                        Channel::Email,
                        owner,
                        t.subscribed.webhook_disabled(&t.address),
                    ))
                })
                .collect())
        }
    }
}

async fn notice_owed(
    tx: &Transaction<'_>,
    ctx: &FanOut,
    notice: &PublicNotice,
) -> Result<Vec<Owed>, tokio_postgres::Error> {
    let area = &notice.content.area;
    let areas: Vec<String> = tx
        .query(NOTICE_AREAS, &[&area.districts, &area.stations])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let targets = subscriptions(
        tx,
        "s.state = 'active' AND s.topic = 'notices' AND s.area_id = ANY($1)",
        &[&areas],
    )
    .await?;
    Ok(targets
        .iter()
        .map(|t| to_subscriber(t, t.subscribed.notice(notice, &ctx.base_url), ctx))
        .collect())
}

async fn level_owed(
    tx: &Transaction<'_>,
    ctx: &FanOut,
    stations: &[String],
    areas: &[String],
) -> Result<Vec<Owed>, tokio_postgres::Error> {
    let targets = subscriptions(
        tx,
        "s.state = 'active' AND s.topic = 'level' AND (s.station_code = ANY($1) OR s.area_id = ANY($2))",
        &[&stations, &areas],
    )
    .await?;
    let now = Utc::now();
    let mut owed = Vec::new();
    for target in &targets {
        let latest = match (&target.station_code, &target.area_id) {
            (Some(code), _) => tx.query_opt(LATEST_STATION_AQI, &[code]).await?,
            (None, Some(area)) => tx.query_opt(LATEST_AREA_AQI, &[area]).await?,
            (None, None) => None,
        };
        let Some(latest) = latest else { continue };
        let aqi = u16::try_from(latest.get::<_, i16>(0)).unwrap_or(0);
        let hour_end: DateTime<Utc> = latest.get(1);
        let level = target.subscribed.level.unwrap_or(6);
        let decision = decide_level(level, target.memory, aqi, now);
        if decision.memory != target.memory {
            tx.execute(
                REMEMBER_LEVEL,
                &[
                    &target.id,
                    &decision.memory.above,
                    &decision.memory.alerted_at,
                ],
            )
            .await?;
        }
        if decision.send {
            let message = target
                .subscribed
                .level_reached(aqi, hour_end, &ctx.base_url);
            owed.push(to_subscriber(target, message, ctx));
        }
    }
    Ok(owed)
}

async fn summary_owed(
    tx: &Transaction<'_>,
    ctx: &FanOut,
    day: NaiveDate,
) -> Result<Vec<Owed>, tokio_postgres::Error> {
    let targets =
        subscriptions(tx, "s.state = 'active' AND s.topic = 'daily_summary'", &[]).await?;
    let mut owed = Vec::new();
    for target in &targets {
        let aqi = match &target.area_id {
            Some(area) => tx
                .query_opt(AREA_DAY_AQI, &[area, &day])
                .await?
                .and_then(|r| r.get::<_, Option<i16>>(0))
                .and_then(|a| u16::try_from(a).ok()),
            None => None,
        };
        let message = target.subscribed.daily_summary(day, aqi, &ctx.base_url);
        owed.push(to_subscriber(target, message, ctx));
    }
    Ok(owed)
}

async fn forecast_owed(
    tx: &Transaction<'_>,
    ctx: &FanOut,
    forecast: &ForecastSummary,
) -> Result<Vec<Owed>, tokio_postgres::Error> {
    let targets = subscriptions(
        tx,
        "s.state = 'active' AND s.topic = 'daily_forecast' AND s.area_id = ANY($1)",
        &[&forecast.area_ids],
    )
    .await?;
    Ok(targets
        .iter()
        .map(|t| to_subscriber(t, t.subscribed.forecast(forecast, &ctx.base_url), ctx))
        .collect())
}
