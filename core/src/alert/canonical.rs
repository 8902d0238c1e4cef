//! The canonical byte form of a JSON document: object keys sorted by their
//! UTF-8 bytes, no whitespace, strings and numbers as serde_json writes them.
//!
//! A signature or hash must not depend on how a document was stored or
//! re-serialised (PostgreSQL `jsonb` reorders keys, a client may pretty-print
//! it), so both sides compute over this form instead of the bytes received.

use serde_json::Value;

/// `value` in canonical form.
///
/// ```
/// let value = serde_json::json!({"b": 1, "a": [true, null, "x"]});
/// assert_eq!(envmon_core::alert::canonical::canonical_json(&value), r#"{"a":[true,null,"x"],"b":1}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(&Value::String(key.clone()), out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        // Scalars: serde_json's own writer cannot fail on them.
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{ "z": {"b": 2, "a": "é"}, "a": 1 }"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":1,"z":{"a":"\u00e9","b":2}}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":1,"z":{"a":"é","b":2}}"#);
    }
}
