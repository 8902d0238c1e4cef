//! The canonical byte form of a JSON document: the JSON Canonicalization
//! Scheme (JCS, RFC 8785). Object keys sorted by their UTF-16 code units,
//! no whitespace, strings with the fewest escapes, numbers as ECMAScript
//! writes them.
//!
//! A signature or hash must not depend on how a document was stored or
//! re-serialised (PostgreSQL `jsonb` reorders keys, a client may pretty-print
//! it), so both sides compute over this form instead of the bytes received.
//! JCS is what a browser computes with `JSON.stringify` and a key sort, and
//! what third-party libraries implement, so anyone can check a notice.
//!
//! Notices signed before this form was JCS used keys sorted by UTF-8 bytes
//! and serde_json's number writer. The two forms agree on every document
//! envmon issues (ASCII keys, integer numbers below 2^53, strings escaped
//! alike), so those signatures still verify. They could differ for keys
//! mixing characters from U+E000 to U+FFFF with characters beyond U+FFFF
//! (UTF-8 and UTF-16 order those differently), for fractional or very large
//! numbers (`1.0` vs `1`, `1e30` vs `1e+30`) and for integers beyond 2^53.

use serde_json::{Number, Value};

/// `value` in canonical (RFC 8785) form.
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
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
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
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            // RFC 8785 3.2.3: by UTF-16 code units, as JavaScript sorts.
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// RFC 8785 3.2.2.2: the string with `"` and `\` escaped, the control
/// characters as `\b \t \n \f \r` or `\u00xx` (lowercase), all else as is.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The largest integer every IEEE 754 double holds exactly.
const EXACT_INTEGER: u64 = 1 << 53;

/// RFC 8785 3.2.2.3: a JSON number is an IEEE 754 double, written as
/// ECMAScript's `Number.prototype.toString` writes it.
fn write_number(number: &Number, out: &mut String) {
    if let Some(integer) = number.as_i64()
        && integer.unsigned_abs() <= EXACT_INTEGER
    {
        out.push_str(&integer.to_string());
    } else if let Some(integer) = number.as_u64()
        && integer <= EXACT_INTEGER
    {
        out.push_str(&integer.to_string());
    } else {
        // Always a double without serde_json's arbitrary_precision.
        out.push_str(&ecmascript_number(number.as_f64().unwrap_or(f64::NAN)));
    }
}

/// `value` as ECMAScript writes a number (ECMA-262, Number::toString):
/// the shortest digits that read back to the same double, in plain
/// notation from 1e-6 up to 1e21 and in exponent notation outside.
/// NaN and the infinities, which JSON cannot hold, are written `null`.
pub fn ecmascript_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned(); // -0 too
    }
    let sign = if value < 0.0 { "-" } else { "" };
    // Ryu writes the shortest digits that read back to the same double and,
    // of those, the closest to it, as ECMA-262 asks; only its layout differs.
    let mut buffer = ryu::Buffer::new();
    let (digits, n) = decimal_digits(buffer.format_finite(value.abs()));
    // ECMA-262's k (digit count) and n (decimal point position).
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let body = if k <= n && n <= 21 {
        format!(
            "{digits}{}",
            "0".repeat(usize::try_from(n - k).unwrap_or(0))
        )
    } else if 0 < n && n <= 21 {
        let (whole, fraction) = digits.split_at(usize::try_from(n).unwrap_or(0));
        format!("{whole}.{fraction}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).unwrap_or(0)))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.unsigned_abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.unsigned_abs())
        }
    };
    format!("{sign}{body}")
}

/// The significant digits of a positive decimal text (`1424953923781206.2`,
/// `1e-7`, `1.5e30`, `0.001`) and where its decimal point falls among them:
/// the value is `0.DIGITS * 10^n`.
fn decimal_digits(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text
        .split_once(['e', 'E'])
        .map_or((text, 0), |(m, e)| (m, e.parse::<i32>().unwrap_or(0)));
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = format!("{whole}{fraction}");
    let mut point = i32::try_from(whole.len()).unwrap_or(0) + exponent;
    while digits.starts_with('0') {
        digits.remove(0);
        point -= 1;
    }
    while digits.ends_with('0') {
        digits.pop();
    }
    (digits, point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{ "z": {"b": 2, "a": "é"}, "a": 1 }"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":1,"z":{"a":"\u00e9","b":2}}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":1,"z":{"a":"é","b":2}}"#);
    }

    /// RFC 8785 section 3.2.2, the example's input and its canonical form.
    /// The numbers are given as Rust literals: the parse of decimal text to
    /// a double is not what is under test here.
    #[test]
    fn rfc_8785_example_of_3_2_2() {
        let input: Value = serde_json::from_str(
            r#"{
              "numbers": [0, 0, 0, 0, 0],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .unwrap();
        let mut input = input;
        // The RFC writes the first as 333333333.33333329.
        #[allow(clippy::excessive_precision)]
        let first = 333_333_333.333_333_29_f64;
        input["numbers"] = json!([first, 1e30, 4.50, 2e-3, 1e-27]);
        assert_eq!(
            canonical_json(&input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// RFC 8785 section 3.2.3: keys sort by UTF-16 code units, so the emoji
    /// (a surrogate pair, 0xD83D...) comes before U+FB33, which UTF-8 byte
    /// order would put first.
    #[test]
    fn rfc_8785_sorting_example_of_3_2_3() {
        let input: Value = serde_json::from_str(
            r#"{
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
             \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
             \"\u{1f600}\":\"Emoji: Grinning Face\",\
             \"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    /// RFC 8785 appendix B: IEEE 754 doubles (as bits) and their canonical
    /// text. The same table was checked against Node's `String(number)`.
    #[test]
    fn rfc_8785_number_examples_of_appendix_b() {
        let cases: &[(u64, &str)] = &[
            (0x0000_0000_0000_0000, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5553, "333333333.3333332"),
            (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ];
        for (bits, expected) in cases {
            let value = f64::from_bits(*bits);
            assert_eq!(&ecmascript_number(value), expected, "{bits:#018x}");
            if let Some(number) = Number::from_f64(value) {
                assert_eq!(&canonical_json(&Value::Number(number)), expected);
            }
        }
    }

    #[test]
    fn integers_beyond_2_53_are_written_as_doubles() {
        assert_eq!(
            canonical_json(&json!(9_007_199_254_740_993_u64)),
            "9007199254740992"
        );
        assert_eq!(canonical_json(&json!(-42)), "-42");
        assert_eq!(canonical_json(&json!(1.0)), "1");
    }

    #[test]
    fn control_characters_use_the_short_escapes_or_lowercase_hex() {
        let value = json!("\u{8}\t\n\u{c}\r\u{1}\u{1f}\u{7f}\u{2028}");
        assert_eq!(
            canonical_json(&value),
            "\"\\b\\t\\n\\f\\r\\u0001\\u001f\u{7f}\u{2028}\""
        );
    }

    proptest::proptest! {
        /// Every finite double is written so that it reads back exactly.
        #[test]
        fn every_double_reads_back_exactly(bits in proptest::prelude::any::<u64>()) {
            let value = f64::from_bits(bits);
            proptest::prop_assume!(value.is_finite());
            let text = ecmascript_number(value);
            let back: f64 = text.parse().unwrap();
            proptest::prop_assert!(back == value, "{} -> {}", value, text);
        }
    }
}
