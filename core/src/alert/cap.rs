//! CAP 1.2 (OASIS Common Alerting Protocol) rendering of a public notice:
//! one `alert` per notice version, one `info` block per language.
//!
//! The schema leaves some rules to the text; these are kept here: times with
//! a numeric offset, `references` as space-separated `sender,identifier,sent`
//! triples, `identifier` and `sender` without spaces, commas, `<` or `&`.

use super::notice::Lang;
use super::xml::{XmlWriter, beijing};
use super::{NoticeStatus, PublicNotice};

/// The CAP 1.2 namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// The MIME type CAP documents are served with.
pub const CAP_CONTENT_TYPE: &str = "application/cap+xml; charset=utf-8";

/// Who issues the notices.
#[derive(Debug, Clone)]
pub struct CapSender {
    /// The CAP `sender`: no spaces, commas, `<` or `&`, e.g.
    /// `envmon@sthj.sh.gov.cn`.
    pub sender: String,
    /// `senderName` in Chinese.
    pub name_zh: String,
    /// `senderName` in English.
    pub name_en: String,
}

/// An earlier version a CAP Update or Cancel refers to.
#[derive(Debug, Clone)]
pub struct CapReference {
    /// Its CAP `identifier` (version id).
    pub identifier: String,
    /// When it was sent.
    pub sent: chrono::DateTime<chrono::Utc>,
}

/// Whether `value` can be a CAP `identifier` or `sender`.
pub fn is_cap_token(value: &str) -> bool {
    !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ',' | '<' | '&'))
}

/// The CAP 1.2 XML of `notice`, referring to every earlier issued version
/// in `references` (oldest first).
pub fn render_cap(
    notice: &PublicNotice,
    references: &[CapReference],
    sender: &CapSender,
) -> String {
    let content = &notice.content;
    let mut xml = XmlWriter::new();
    xml.open("alert", &[("xmlns", CAP_NAMESPACE)]);
    xml.text("identifier", &notice.version_id);
    xml.text("sender", &sender.sender);
    xml.text("sent", &beijing(notice.published_at));
    xml.text("status", "Actual");
    xml.text("msgType", notice.cap_msg_type());
    xml.text("scope", "Public");
    if notice.version > 1 && !references.is_empty() {
        let triples: Vec<String> = references
            .iter()
            .map(|r| format!("{},{},{}", sender.sender, r.identifier, beijing(r.sent)))
            .collect();
        xml.text("references", &triples.join(" "));
    }
    for lang in Lang::ALL {
        xml.open("info", &[]);
        xml.text("language", lang.cap());
        xml.text("category", "Env");
        xml.text(
            "event",
            match lang {
                Lang::Zh => "重污染天气预警",
                Lang::En => "Heavy air pollution warning",
            },
        );
        let response = if notice.status == NoticeStatus::Cancelled {
            "AllClear"
        } else {
            "Monitor"
        };
        xml.text("responseType", response);
        xml.text("urgency", content.urgency.cap());
        xml.text("severity", content.severity.cap());
        xml.text("certainty", content.certainty.cap());
        xml.text("effective", &beijing(content.effective));
        xml.text("expires", &beijing(content.expires));
        xml.text(
            "senderName",
            match lang {
                Lang::Zh => &sender.name_zh,
                Lang::En => &sender.name_en,
            },
        );
        xml.text("headline", content.headline.get(lang));
        xml.text("description", content.description.get(lang));
        xml.text("instruction", content.instruction.get(lang));
        if let Some(url) = content
            .evidence_url
            .as_deref()
            .filter(|u| u.starts_with("http"))
        {
            xml.text("web", url);
        }
        parameter(&mut xml, "warningColour", content.severity.as_str());
        parameter(&mut xml, "warningLevel", content.severity.name(lang));
        xml.open("area", &[]);
        xml.text("areaDesc", &area_description(notice, lang));
        for station in &content.area.stations {
            xml.open("geocode", &[]);
            xml.text("valueName", "envmonStation");
            xml.text("value", station);
            xml.close("geocode");
        }
        xml.close("area");
        xml.close("info");
    }
    xml.close("alert");
    xml.finish()
}

fn parameter(xml: &mut XmlWriter, name: &str, value: &str) {
    xml.open("parameter", &[]);
    xml.text("valueName", name);
    xml.text("value", value);
    xml.close("parameter");
}

fn area_description(notice: &PublicNotice, lang: Lang) -> String {
    let area = &notice.content.area;
    if !area.districts.is_empty() {
        let separator = if lang == Lang::Zh { "、" } else { ", " };
        return area.districts.join(separator);
    }
    let stations = area.stations.join(", ");
    match lang {
        Lang::Zh => format!("监测站点 {stations}"),
        Lang::En => format!("Monitoring stations {stations}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::notice::tests::content;
    use chrono::{TimeZone, Utc};

    fn sender() -> CapSender {
        CapSender {
            sender: "envmon@example.org".into(),
            name_zh: "生态环境局".into(),
            name_en: "Ecology and Environment Bureau".into(),
        }
    }

    #[test]
    fn update_refers_to_earlier_versions_and_escapes_text() {
        let notice = PublicNotice {
            id: "AN-2026-00001".into(),
            version: 2,
            version_id: "AN-2026-00001.v2".into(),
            status: NoticeStatus::Updated,
            content: content(),
            published_at: Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap(),
            references: Some("AN-2026-00001.v1".into()),
            cap_url: String::new(),
            signature: None,
        };
        let reference = CapReference {
            identifier: "AN-2026-00001.v1".into(),
            sent: Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap(),
        };
        let xml = render_cap(&notice, &[reference], &sender());
        assert!(xml.contains("<msgType>Update</msgType>"));
        assert!(xml.contains(
            "<references>envmon@example.org,AN-2026-00001.v1,2026-11-25T09:00:00+08:00</references>"
        ));
        assert!(xml.contains("<language>zh-CN</language>"));
        assert!(xml.contains("<language>en-US</language>"));
        assert!(xml.contains("<severity>Severe</severity>"));
        assert!(xml.contains("&lt;&amp; so on&gt;"));
        assert!(!xml.contains("Z<"), "times carry +08:00, never Z");
    }

    #[test]
    fn cap_tokens_refuse_spaces_and_commas() {
        assert!(is_cap_token("envmon@example.org"));
        assert!(!is_cap_token("a b"));
        assert!(!is_cap_token("a,b"));
        assert!(!is_cap_token(""));
    }
}
