//! A small XML writer: elements with escaped text, enough for CAP and Atom.
//! Hand-written because both documents are flat and fixed in shape.

use std::fmt::Write;

use chrono::{DateTime, Utc};

/// An XML document being written.
#[derive(Debug, Default)]
pub(crate) struct XmlWriter {
    out: String,
    indent: usize,
}

impl XmlWriter {
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            indent: 0,
        }
    }

    /// Opens `<name attr="value"...>` on its own line.
    pub(crate) fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.pad();
        self.out.push('<');
        self.out.push_str(name);
        self.attributes(attributes);
        self.out.push_str(">\n");
        self.indent += 1;
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.indent = self.indent.saturating_sub(1);
        self.pad();
        let _ = writeln!(self.out, "</{name}>");
    }

    /// `<name>text</name>`, text escaped.
    pub(crate) fn text(&mut self, name: &str, text: &str) {
        self.text_with(name, &[], text);
    }

    pub(crate) fn text_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.pad();
        self.out.push('<');
        self.out.push_str(name);
        self.attributes(attributes);
        self.out.push('>');
        self.out.push_str(&escape(text));
        let _ = writeln!(self.out, "</{name}>");
    }

    /// `<name attr="value"/>`.
    pub(crate) fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.pad();
        self.out.push('<');
        self.out.push_str(name);
        self.attributes(attributes);
        self.out.push_str("/>\n");
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn attributes(&mut self, attributes: &[(&str, &str)]) {
        for (name, value) in attributes {
            let _ = write!(self.out, " {name}=\"{}\"", escape(value));
        }
    }

    fn pad(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }
}

/// Text and attribute escaping; control characters other than tab and
/// newline cannot appear in XML 1.0 and are dropped (content validation
/// refuses them before they get here).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Beijing time (UTC+8), as CAP wants it: an explicit numeric offset,
/// never `Z`, no fraction (CAP 1.2 §3.3.2).
pub(crate) fn beijing(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::beijing::offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn markup_is_escaped_and_times_carry_an_offset() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
        assert_eq!(beijing(at), "2026-11-25T08:00:00+08:00");
    }
}
