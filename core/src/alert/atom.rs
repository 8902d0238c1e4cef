//! The Atom (RFC 4287) feed of public notices, each entry linking to its
//! CAP document, the way CAP feeds are commonly aggregated.

use chrono::{DateTime, SecondsFormat, Utc};

use super::PublicNotice;
use super::notice::Lang;
use super::xml::XmlWriter;

/// The feed's MIME type.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

/// The namespace of the audit head element in the feed.
pub const AUDIT_HEAD_NAMESPACE: &str = "urn:envmon:audit-head";

/// An Atom feed of `notices` (newest first), served at `self_url`, with
/// the audit chain's signed head (its JSON text) as the feed's
/// `<envmon:auditHead>` element, so every reader or archive of the feed
/// keeps a copy of it.
pub fn render_atom(
    self_url: &str,
    title: &str,
    notices: &[PublicNotice],
    audit_head: Option<&str>,
    generated_at: DateTime<Utc>,
) -> String {
    let updated = notices
        .iter()
        .map(|n| n.published_at)
        .max()
        .unwrap_or(generated_at);
    let mut xml = XmlWriter::new();
    xml.open("feed", &[("xmlns", "http://www.w3.org/2005/Atom")]);
    xml.text("id", self_url);
    xml.text("title", title);
    xml.text("updated", &rfc3339(updated));
    xml.empty("link", &[("rel", "self"), ("href", self_url)]);
    xml.open("author", &[]);
    xml.text("name", title);
    xml.close("author");
    if let Some(head) = audit_head {
        xml.text_with(
            "envmon:auditHead",
            &[("xmlns:envmon", AUDIT_HEAD_NAMESPACE)],
            head,
        );
    }
    for notice in notices {
        let content = &notice.content;
        xml.open("entry", &[]);
        xml.text("id", &format!("urn:envmon:alert:{}", notice.version_id));
        xml.text(
            "title",
            &format!(
                "{} / {}",
                content.headline.get(Lang::Zh),
                content.headline.get(Lang::En)
            ),
        );
        xml.text("updated", &rfc3339(notice.published_at));
        xml.text("published", &rfc3339(notice.published_at));
        xml.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "application/cap+xml"),
                ("href", &notice.cap_url),
            ],
        );
        xml.empty(
            "category",
            &[
                ("term", content.severity.as_str()),
                ("label", notice.status.as_str()),
            ],
        );
        xml.text_with(
            "summary",
            &[("type", "text")],
            &format!(
                "[{}] {}",
                notice.status.as_str(),
                content.description.get(Lang::En)
            ),
        );
        xml.close("entry");
    }
    xml.close("feed");
    xml.finish()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
