//! The CP data area (数据区, §6.3.3): `Name=Value` fields, grouped into
//! factors by code.
//!
//! The standard separates fields of one factor with `,` and factors with
//! `;`, but devices use either everywhere (reference README §10 item 8), so
//! both separate fields and a field's factor is taken from its name
//! (`a34004-Rtd` belongs to `a34004`), never from the separators. Log text
//! between `//` and `//` (the `i…-Info` fields) is opaque: it may hold
//! anything, separators included. What the values mean is left to the
//! command's reader ([`records`](super::records)).

use super::Hj212Error;

/// All fields of one factor (监测因子) in a packet, e.g. `a34004-Avg=33.7`
/// and `a34004-Flag=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// The factor code: everything before the first `-` (codes never
    /// contain `-`), e.g. `a34004`, or a non-standard code kept as sent.
    pub code: String,
    /// (suffix, value as text) in arrival order; each suffix at most once.
    /// Unknown suffixes are kept (§6.3.3 Table 4 plus practice).
    pub fields: Vec<(String, String)>,
}

impl Factor {
    /// The text of the field with this suffix (`Rtd`, `Avg`, `Flag`…).
    pub fn value(&self, suffix: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(s, _)| s == suffix)
            .map(|(_, v)| v.as_str())
    }

    /// The data flag (§6.3.3 Table 8), from `-Flag` (or the lower-case
    /// `-flag` some devices send).
    pub fn flag(&self) -> Option<&str> {
        self.value("Flag").or_else(|| self.value("flag"))
    }

    /// Adds a field, refusing a suffix already given.
    pub(super) fn add(&mut self, suffix: &str, value: &str) -> Result<(), Hj212Error> {
        if self.value(suffix).is_some() {
            return Err(Hj212Error::field(
                format!("{}-{suffix}", self.code),
                "given twice",
            ));
        }
        self.fields.push((suffix.to_owned(), value.to_owned()));
        Ok(())
    }
}

/// A parsed data area.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct DataArea {
    /// Fields named `code-suffix`, grouped by code in first-seen order.
    pub(super) factors: Vec<Factor>,
    /// Other fields (`DataTime`, `PolId`, `QnRtn`, a bare `Flag`…), in
    /// arrival order; only `DataTime` is refused when repeated.
    pub(super) fields: Vec<(String, String)>,
}

/// Parses the text between `CP=&&` and `&&`.
///
/// # Errors
/// [`Hj212Error::Field`] for a field without `=` or a name, unclosed log
/// text, or a repeated factor field or `DataTime`.
pub(super) fn parse_data_area(text: &str) -> Result<DataArea, Hj212Error> {
    let mut area = DataArea::default();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        if matches!(first, ';' | ',') {
            rest = &rest[1..];
            continue;
        }
        let name_end = rest.find(['=', ';', ',']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if !rest[name_end..].starts_with('=') {
            return Err(Hj212Error::field(name, "has no '='"));
        }
        let after = &rest[name_end + 1..];
        let value_end = if let Some(log) = after.strip_prefix("//") {
            let close = log
                .find("//")
                .ok_or_else(|| Hj212Error::field(name, "log text not closed with //"))?;
            close + 4
        } else {
            after.find([';', ',']).unwrap_or(after.len())
        };
        area.add(name, &after[..value_end])?;
        rest = &after[value_end..];
    }
    Ok(area)
}

impl DataArea {
    fn add(&mut self, name: &str, value: &str) -> Result<(), Hj212Error> {
        if name.is_empty() {
            return Err(Hj212Error::field(name, "has no name"));
        }
        let Some((code, suffix)) = name.split_once('-') else {
            if name == "DataTime" && self.field("DataTime").is_some() {
                return Err(Hj212Error::field(name, "given twice"));
            }
            self.fields.push((name.to_owned(), value.to_owned()));
            return Ok(());
        };
        if code.is_empty() {
            return Err(Hj212Error::field(name, "has no factor code"));
        }
        if let Some(factor) = self.factors.iter_mut().find(|f| f.code == code) {
            return factor.add(suffix, value);
        }
        let mut factor = Factor {
            code: code.to_owned(),
            fields: Vec::new(),
        };
        factor.add(suffix, value)?;
        self.factors.push(factor);
        Ok(())
    }

    /// The first plain field with this name.
    pub(super) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_grouped_by_code_whatever_the_separators() {
        let area =
            parse_data_area("DataTime=20240315103000;B01-Rtd=12.50;011-Flag=N,011-Rtd=38.2;")
                .unwrap();
        assert_eq!(area.field("DataTime"), Some("20240315103000"));
        assert_eq!(area.factors.len(), 2);
        assert_eq!(area.factors[1].code, "011");
        assert_eq!(area.factors[1].value("Rtd"), Some("38.2"));
        assert_eq!(area.factors[1].flag(), Some("N"));
    }

    #[test]
    fn log_text_is_opaque() {
        let area = parse_data_area("PolId=w01018;i11001-Info=//a;b,c=d//;x-Rtd=1").unwrap();
        assert_eq!(area.factors[0].value("Info"), Some("//a;b,c=d//"));
        assert_eq!(area.factors[1].value("Rtd"), Some("1"));
    }

    #[test]
    fn an_empty_value_is_kept_for_the_reader_to_judge() {
        let area = parse_data_area("w01012-Rtd=,w01012-Flag=N").unwrap();
        assert_eq!(area.factors[0].value("Rtd"), Some(""));
    }

    #[test]
    fn malformed_areas_are_refused() {
        for text in [
            "a34004-Rtd=1;a34004-Rtd=2",
            "DataTime=1;DataTime=2",
            "a34004-Rtd",
            "=5",
            "-Rtd=5",
            "i11001-Info=//unclosed",
        ] {
            let error = parse_data_area(text).unwrap_err();
            assert_eq!(error.code(), "hj212_field", "{text}");
        }
    }

    #[test]
    fn an_empty_area_has_no_fields() {
        assert_eq!(parse_data_area("").unwrap(), DataArea::default());
    }
}
