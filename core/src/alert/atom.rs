//! The Atom (RFC 4287) feed of public notices, each entry linking to its
//! CAP document, the way CAP feeds are commonly aggregated.

use chrono::{DateTime, SecondsFormat, Utc};

use super::PublicNotice;
use super::notice::Lang;
use super::xml::XmlWriter;

/// The feed's MIME type.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

/// An Atom feed of `notices` (newest first), served at `self_url`.
pub fn render_atom(
    self_url: &str,
    title: &str,
    notices: &[PublicNotice],
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
