//! The messages subscribers receive, in their language: what happened, why
//! they are told (the subscription, in words) and how to stop.
//!
//! A message is rendered once, at fan-out, and stored with its delivery, so
//! every retry sends the same words. Every channel sends the same message:
//! e-mail its subject and text, a webhook its JSON, a push its title and body.

use envmon_core::alert::PublicNotice;
use envmon_core::aqi::{Edition, level_for};
use envmon_core::subscription::{Language, Topic};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message, as stored in `delivery.message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Message {
    /// `notice`, `level`, `daily_summary`, `daily_forecast`, `confirmation`
    /// or `webhook_disabled`: the webhook body's `type`.
    pub(crate) kind: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    /// Why this person receives it: their subscription, in words.
    pub(crate) reason: String,
    /// Where to read more (or, for a confirmation, the link to click).
    pub(crate) link: String,
    /// The one-click unsubscribe link (RFC 8058); none for a confirmation
    /// (nothing to stop yet) or an owner's notice.
    pub(crate) unsubscribe_url: Option<String>,
    /// Machine-readable details for webhooks.
    pub(crate) data: Value,
    /// Push urgency (RFC 8030 §5.3): `high` for notices, else `normal`.
    pub(crate) urgency: String,
}

/// What a subscription is about, for the words of its messages.
#[derive(Debug, Clone)]
pub(crate) struct Subscribed {
    pub(crate) language: Language,
    pub(crate) topic: Topic,
    /// The area's or station's name in the subscriber's language.
    pub(crate) target_name: String,
    pub(crate) level: Option<u8>,
}

/// The name of HJ 633 level `level` in `language`, e.g. 轻度污染 / Lightly Polluted.
fn level_name(language: Language, level: u8) -> &'static str {
    let aqi = envmon_core::subscription::level_aqi_min(level);
    let band = level_for(Edition::Hj633_2026, aqi.max(1));
    match language {
        Language::Zh => band.category_zh,
        Language::En => band.category_en,
    }
}

impl Subscribed {
    /// The subscription in words: the reason line of every message.
    pub(crate) fn reason(&self) -> String {
        let name = &self.target_name;
        let level = self
            .level
            .map(|l| level_name(self.language, l))
            .unwrap_or_default();
        match (self.language, self.topic) {
            (Language::Zh, Topic::Notices) => {
                format!("您订阅了{name}的空气质量预警公告，因此收到此消息。")
            }
            (Language::Zh, Topic::Level) => {
                format!("您订阅了{name}空气质量达到“{level}”及以上时的提醒，因此收到此消息。")
            }
            (Language::Zh, Topic::DailyForecast) => {
                format!("您订阅了{name}的每日空气质量预报，因此收到此消息。")
            }
            (Language::Zh, Topic::DailySummary) => {
                format!("您订阅了{name}的每日空气质量小结，因此收到此消息。")
            }
            (Language::En, Topic::Notices) => format!(
                "You receive this because you subscribed to air quality notices for {name}."
            ),
            (Language::En, Topic::Level) => format!(
                "You receive this because you asked to be told when the air at {name} reaches \"{level}\" or worse."
            ),
            (Language::En, Topic::DailyForecast) => format!(
                "You receive this because you subscribed to the daily air quality forecast for {name}."
            ),
            (Language::En, Topic::DailySummary) => format!(
                "You receive this because you subscribed to the daily air quality summary for {name}."
            ),
        }
    }

    fn message(
        &self,
        kind: &str,
        subject: String,
        text: String,
        link: String,
        data: Value,
    ) -> Message {
        Message {
            kind: kind.to_owned(),
            subject,
            text,
            reason: self.reason(),
            link,
            unsubscribe_url: None,
            data,
            urgency: if kind == "notice" { "high" } else { "normal" }.to_owned(),
        }
    }

    /// A notice issued, updated or cancelled.
    pub(crate) fn notice(&self, notice: &PublicNotice, base_url: &str) -> Message {
        let content = &notice.content;
        let (headline, description, instruction) = match self.language {
            Language::Zh => (
                &content.headline.zh,
                &content.description.zh,
                &content.instruction.zh,
            ),
            Language::En => (
                &content.headline.en,
                &content.description.en,
                &content.instruction.en,
            ),
        };
        let status = notice.status.as_str();
        let subject = match (self.language, status) {
            (Language::Zh, "cancelled") => format!("解除：{headline}"),
            (Language::En, "cancelled") => format!("Cancelled: {headline}"),
            (Language::Zh, "updated") => format!("更新：{headline}"),
            (Language::En, "updated") => format!("Updated: {headline}"),
            _ => headline.clone(),
        };
        let link = format!("{base_url}/api/v1/alerts/{}", notice.version_id);
        let text = format!("{subject}\n\n{description}\n\n{instruction}\n\n{link}");
        let data = serde_json::json!({
            "notice_id": notice.id, "version": notice.version, "status": status,
            "severity": content.severity, "headline": headline, "expires": content.expires,
            "url": link,
        });
        self.message("notice", subject, text, link, data)
    }

    /// The target reached the subscribed level.
    pub(crate) fn level_reached(
        &self,
        aqi: u16,
        hour_end: chrono::DateTime<chrono::Utc>,
        base_url: &str,
    ) -> Message {
        let level = level_for(Edition::Hj633_2026, aqi).level;
        let category = level_name(self.language, level);
        let name = &self.target_name;
        let time = hour_end
            .with_timezone(&envmon_core::beijing::offset())
            .format("%Y-%m-%d %H:%M");
        let (subject, text) = match self.language {
            Language::Zh => (
                format!("{name}空气质量：{category}（AQI {aqi}）"),
                format!("{name}在 {time}（北京时间）的空气质量指数为 {aqi}，级别：{category}。"),
            ),
            Language::En => (
                format!("Air at {name}: {category} (AQI {aqi})"),
                format!(
                    "The air quality index at {name} was {aqi} for the hour ending {time} Beijing time: {category}."
                ),
            ),
        };
        let link = format!("{base_url}/");
        let data =
            serde_json::json!({ "target": name, "aqi": aqi, "level": level, "hour_end": hour_end });
        self.message("level", subject, text, link, data)
    }

    /// Yesterday's AQI in the area; `None` when it has none.
    pub(crate) fn daily_summary(
        &self,
        day: chrono::NaiveDate,
        aqi: Option<u16>,
        base_url: &str,
    ) -> Message {
        let name = &self.target_name;
        let (subject, text) = match (self.language, aqi) {
            (Language::Zh, Some(aqi)) => (
                format!(
                    "{name} {day} 空气质量：{}",
                    level_name(self.language, level_for(Edition::Hj633_2026, aqi).level)
                ),
                format!("{name} {day} 的日空气质量指数为 {aqi}。"),
            ),
            (Language::Zh, None) => (
                format!("{name} {day} 空气质量"),
                format!("{name} {day} 的日空气质量指数数据不足。"),
            ),
            (Language::En, Some(aqi)) => (
                format!(
                    "{name} on {day}: {}",
                    level_name(self.language, level_for(Edition::Hj633_2026, aqi).level)
                ),
                format!("The daily air quality index of {name} on {day} was {aqi}."),
            ),
            (Language::En, None) => (
                format!("{name} on {day}"),
                format!("Too little data for a daily air quality index of {name} on {day}."),
            ),
        };
        let data = serde_json::json!({ "day": day, "aqi": aqi });
        self.message("daily_summary", subject, text, format!("{base_url}/"), data)
    }

    /// A forecast published for the area.
    pub(crate) fn forecast(
        &self,
        forecast: &envmon_core::outbox::ForecastSummary,
        base_url: &str,
    ) -> Message {
        let name = &self.target_name;
        let (subject, text) = match self.language {
            Language::Zh => (format!("{name}空气质量预报"), forecast.text_zh.clone()),
            Language::En => (
                format!("Air quality forecast for {name}"),
                forecast.text_en.clone(),
            ),
        };
        let data = serde_json::json!({ "forecast_id": forecast.forecast_id, "text": text });
        self.message(
            "daily_forecast",
            subject,
            text,
            format!("{base_url}/"),
            data,
        )
    }

    /// The double opt-in: one link to click, nothing sent before it is.
    pub(crate) fn confirmation(&self, confirm_url: String) -> Message {
        let (subject, text) = match self.language {
            Language::Zh => (
                "请确认您的空气质量订阅".to_owned(),
                format!(
                    "请点击以下链接确认订阅：\n{confirm_url}\n\n如果这不是您本人的操作，请忽略此邮件，您不会再收到任何消息。"
                ),
            ),
            Language::En => (
                "Please confirm your air quality subscription".to_owned(),
                format!(
                    "Click this link to confirm the subscription:\n{confirm_url}\n\nIf you did not ask for this, ignore this message: you will receive nothing more."
                ),
            ),
        };
        self.message("confirmation", subject, text, confirm_url, Value::Null)
    }

    /// A webhook failed for too long and was disabled: told to its owner.
    pub(crate) fn webhook_disabled(&self, url: &str) -> Message {
        let (subject, text) = match self.language {
            Language::Zh => (
                "您的 Webhook 已停用".to_owned(),
                format!("发往 {url} 的消息持续失败，该 Webhook 订阅已停用。请修复后重新订阅。"),
            ),
            Language::En => (
                "Your webhook was disabled".to_owned(),
                format!(
                    "Messages to {url} kept failing, so the webhook subscription was disabled. Subscribe again once it works."
                ),
            ),
        };
        self.message(
            "webhook_disabled",
            subject,
            text,
            url.to_owned(),
            serde_json::json!({ "url": url }),
        )
    }
}
