//! One record's fields as envmon reads them, type-checked, and the base
//! fields in force as the records go by (RFC 8428 §4.1).

use std::collections::HashSet;

use serde_json::Value;

use super::SENML_VERSION;
use super::error::SenmlError;
use super::pack::Element;

/// The base fields in force (RFC 8428 §4.1): each replaces the previous one
/// from the record that sets it on.
#[derive(Debug, Default)]
pub(super) struct Base<'a> {
    pub(super) name: &'a str,
    pub(super) time: f64,
    pub(super) unit: Option<&'a str>,
    pub(super) value: Option<f64>,
    pub(super) sum: Option<f64>,
}

impl<'a> Base<'a> {
    pub(super) fn update(&mut self, fields: &Fields<'a>) {
        if let Some(name) = fields.bn {
            self.name = name;
        }
        if let Some(time) = fields.bt {
            self.time = time;
        }
        if let Some(unit) = fields.bu {
            self.unit = Some(unit);
        }
        if let Some(value) = fields.bv {
            self.value = Some(value);
        }
        if let Some(sum) = fields.bs {
            self.sum = Some(sum);
        }
    }
}

/// The fields of one record that envmon reads, type-checked.
#[derive(Debug, Default)]
pub(super) struct Fields<'a> {
    pub(super) bn: Option<&'a str>,
    pub(super) bt: Option<f64>,
    pub(super) bu: Option<&'a str>,
    pub(super) bv: Option<f64>,
    pub(super) bs: Option<f64>,
    pub(super) n: Option<&'a str>,
    pub(super) u: Option<&'a str>,
    pub(super) v: Option<f64>,
    pub(super) s: Option<f64>,
    pub(super) t: Option<f64>,
    /// The kind of a non-numeric value (`vs`, `vb`, `vd`), if any.
    pub(super) other_value: Option<&'static str>,
}

impl<'a> Fields<'a> {
    pub(super) fn read(index: usize, element: &'a Element) -> Result<Self, SenmlError> {
        let entries = match element {
            Element::Record(entries) => entries,
            Element::Other(found) => return Err(SenmlError::NotARecord { index, found }),
        };
        let mut fields = Self::default();
        let mut seen = HashSet::with_capacity(entries.len());
        for (label, value) in entries {
            if !seen.insert(label.as_str()) {
                return Err(SenmlError::DuplicateField {
                    index,
                    field: label.clone(),
                });
            }
            let string_field = |field| string(index, field, value);
            let number_field = |field| number(index, field, value);
            match label.as_str() {
                "bn" => fields.bn = Some(string_field("bn")?),
                "bt" => fields.bt = Some(number_field("bt")?),
                "bu" => fields.bu = Some(string_field("bu")?),
                "bv" => fields.bv = Some(number_field("bv")?),
                "bs" => fields.bs = Some(number_field("bs")?),
                "bver" => check_version(index, value)?,
                "n" => fields.n = Some(string_field("n")?),
                "u" => fields.u = Some(string_field("u")?),
                "v" => fields.v = Some(number_field("v")?),
                "s" => fields.s = Some(number_field("s")?),
                "t" => fields.t = Some(number_field("t")?),
                "ut" => {
                    number_field("ut")?;
                }
                "vs" => fields.other_value = Some(string_field("vs").map(|_| "string")?),
                "vd" => fields.other_value = Some(string_field("vd").map(|_| "data")?),
                "vb" => {
                    if !value.is_boolean() {
                        return Err(SenmlError::BadField {
                            index,
                            field: "vb",
                            expected: "a boolean",
                        });
                    }
                    fields.other_value = Some("boolean");
                }
                other if other.ends_with('_') => {
                    return Err(SenmlError::MustUnderstand {
                        index,
                        field: other.to_owned(),
                    });
                }
                _ => {} // RFC 8428 §4.4: unknown fields are ignored.
            }
        }
        Ok(fields)
    }

    /// A record that only sets base fields: no name of its own, no value.
    pub(super) fn is_header(&self) -> bool {
        self.n.is_none() && self.v.is_none() && self.s.is_none() && self.other_value.is_none()
    }
}

fn string<'a>(index: usize, field: &'static str, value: &'a Value) -> Result<&'a str, SenmlError> {
    value.as_str().ok_or(SenmlError::BadField {
        index,
        field,
        expected: "a string",
    })
}

fn number(index: usize, field: &'static str, value: &Value) -> Result<f64, SenmlError> {
    value.as_f64().ok_or(SenmlError::BadField {
        index,
        field,
        expected: "a number",
    })
}

fn check_version(index: usize, value: &Value) -> Result<(), SenmlError> {
    match value.as_u64() {
        Some(version) if version > SENML_VERSION => {
            Err(SenmlError::UnsupportedVersion { index, version })
        }
        Some(1..) => Ok(()),
        _ => Err(SenmlError::BadField {
            index,
            field: "bver",
            expected: "a positive integer",
        }),
    }
}
