//! A small RFC 4180 reader: fields separated by commas, quoted fields that
//! may hold commas, doubled quotes and line breaks, records ended by CRLF or
//! LF, a leading UTF-8 BOM (as spreadsheets save) skipped, blank lines
//! skipped. Each record keeps the line it starts on, which is how staff find
//! it in their sheet. Malformed quoting is an error of that record only, so
//! the rest of the file is still checked.

/// One record and the line it starts on (the first line is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CsvRecord {
    pub(super) line: usize,
    pub(super) fields: Vec<String>,
}

/// A record whose quoting is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CsvSyntaxError {
    pub(super) line: usize,
    pub(super) message: &'static str,
}

/// The record being read.
#[derive(Default)]
struct Pending {
    fields: Vec<String>,
    field: String,
    /// The current field began with a quote.
    quoted: bool,
    /// Inside a quoted field.
    in_quotes: bool,
    /// Nothing of the current field has been read yet.
    at_field_start: bool,
    error: Option<&'static str>,
}

impl Pending {
    fn new() -> Self {
        Self {
            at_field_start: true,
            ..Self::default()
        }
    }

    fn end_field(&mut self) {
        self.fields.push(std::mem::take(&mut self.field));
        self.quoted = false;
        self.at_field_start = true;
    }

    fn is_blank_line(&self) -> bool {
        self.fields.len() == 1 && self.fields[0].is_empty() && self.error.is_none()
    }
}

/// Reads every record of `text`, in order.
pub(super) fn read(text: &str) -> Vec<Result<CsvRecord, CsvSyntaxError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    let mut record_line = 1;
    let mut pending = Pending::new();
    while let Some(c) = chars.next() {
        if pending.in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    pending.field.push('"');
                }
                '"' => pending.in_quotes = false,
                '\n' => {
                    line += 1;
                    pending.field.push(c);
                }
                _ => pending.field.push(c),
            }
            continue;
        }
        match c {
            ',' => pending.end_field(),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                pending.end_field();
                finish(
                    std::mem::replace(&mut pending, Pending::new()),
                    record_line,
                    &mut out,
                );
                line += 1;
                record_line = line;
            }
            '"' if pending.at_field_start => {
                pending.in_quotes = true;
                pending.quoted = true;
                pending.at_field_start = false;
            }
            '"' => {
                pending.error.get_or_insert(
                    "a quote inside an unquoted field; quote the whole field and double the quote",
                );
            }
            _ if pending.quoted => {
                pending
                    .error
                    .get_or_insert("text after the closing quote of a quoted field");
            }
            _ => {
                pending.field.push(c);
                pending.at_field_start = false;
            }
        }
    }
    if pending.in_quotes {
        pending.error = Some("a quoted field is not closed before the end of the file");
    }
    if !pending.fields.is_empty()
        || !pending.field.is_empty()
        || pending.quoted
        || pending.error.is_some()
    {
        pending.end_field();
        finish(pending, record_line, &mut out);
    }
    out
}

fn finish(pending: Pending, line: usize, out: &mut Vec<Result<CsvRecord, CsvSyntaxError>>) {
    if pending.is_blank_line() {
        return;
    }
    out.push(match pending.error {
        Some(message) => Err(CsvSyntaxError { line, message }),
        None => Ok(CsvRecord {
            line,
            fields: pending.fields,
        }),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(usize, Vec<String>)> {
        read(text)
            .into_iter()
            .map(|r| {
                let r = r.unwrap();
                (r.line, r.fields)
            })
            .collect()
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text =
            "\u{feff}a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\r\nlines\",z\r\n\r\nlast,\"\"";
        assert_eq!(
            fields(text),
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["x, y".into(), "say \"hi\"".into()]),
                (3, vec!["two\r\nlines".into(), "z".into()]),
                (6, vec!["last".into(), String::new()]),
            ]
        );
    }

    #[test]
    fn malformed_quoting_fails_its_record_only() {
        let out = read("a,b\nab\"c,d\n\"x\"y,z\nok,1\n\"open,2\n");
        assert!(matches!(out[1], Err(CsvSyntaxError { line: 2, .. })));
        assert!(matches!(out[2], Err(CsvSyntaxError { line: 3, .. })));
        assert_eq!(
            out[3],
            Ok(CsvRecord {
                line: 4,
                fields: vec!["ok".into(), "1".into()]
            })
        );
        assert!(matches!(out[4], Err(CsvSyntaxError { line: 5, .. })));
    }
}
