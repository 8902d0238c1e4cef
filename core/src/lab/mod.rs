//! Laboratory results: the monthly and quarterly results laboratories send
//! for rivers, drinking-water sources, water plants and network points,
//! parsed, validated and judged. Pure, no IO: staff import a file, the
//! caller stores what comes back.
//!
//! # Layout
//!
//! - [`item`]: [`LabItem`], an item of GB 3838-2002 or GB 5749-2022, found by
//!   its code or its Chinese name.
//! - `rfc4180`: the CSV reader (quotes, CRLF or LF, a UTF-8 BOM).
//! - `field`: one row's fields, each checked on its own.
//! - [`sample`]: rows grouped into [`LabSample`]s, and their consistency.
//! - `csv_form` and `json_form`: the two forms of format version 1.
//! - [`verdict`]: a sample judged by the standard of its site.
//! - [`problem`]: [`LabProblem`], one thing wrong, by row and column.
//!
//! # Format version 1
//!
//! A CSV whose header row holds exactly the columns of [`COLUMNS`] in any
//! order, one result a row, or the JSON
//! `{"format_version": 1, "results": [{"site": …, …}, …]}` with the same
//! fields, `value` a number or a string. Either is checked whole: every
//! problem is reported, and nothing is returned unless the file is clean, so
//! a half-imported quarter never exists. Rows are file lines (the header is
//! row 1); a JSON result's row is its 1-based index in `results`.
//!
//! - `site`: a registered river, source, plant or tap. River and source
//!   results are GB 3838-2002 items (Tables 1, 2 and 3), plant and tap results GB 5749-2022
//!   items, given by code (`nh3n`, `free_chlorine`) or by the Chinese name
//!   the standard prints.
//! - `sampled_at`: RFC 3339 with an offset, or `YYYY-MM-DD HH:MM[:SS]` read
//!   as Beijing time, as laboratory sheets write it.
//! - `value`: for supply items whatever [`drinking::parse`] accepts; for
//!   surface items a number, `<DL` or 未检出/ND. A below-detection result is
//!   kept as such, never as zero.
//! - `unit`: the item's unit; µg/L is accepted for mg/L items and converted.
//! - A sample is the rows of one (site, sample_id); they must agree on
//!   `sampled_at` and `laboratory` and give each item once.
//!
//! # Judging below-detection results of GB 3838-2002 items
//!
//! GB 3838-2002 is judged on numbers. A result `<DL` says the true value is
//! at most DL, so it is judged as DL when DL is within the limit it must
//! meet (the target class for the class, class III and Table 2 for source
//! compliance, see [`judge_sample`]): it then passes whatever the true
//! value. When DL is above that limit, or the limit is a minimum or a range,
//! the result proves nothing and is left out (not judged). 未检出 without a
//! detection limit counts as 0 for fecal coliform, a count where "none
//! found" is a count, and is left out for every other item. GB 5749-2022
//! results keep their own rules ([`drinking`]).
//!
//! [`drinking::parse`]: crate::drinking::parse
//! [`drinking`]: crate::drinking

mod csv_form;
mod field;
pub mod item;
mod json_form;
pub mod problem;
mod rfc4180;
pub mod sample;
pub mod verdict;

#[cfg(test)]
mod tests;

pub use csv_form::parse_csv;
pub use item::LabItem;
pub use json_form::parse_json;
pub use problem::LabProblem;
pub use sample::{LabResult, LabSample};
pub use verdict::{LabVerdict, ResultOutcome, SpecificResult, judge_sample};

/// The format version this module reads.
pub const FORMAT_VERSION: u16 = 1;

/// The columns of format version 1, in the order the fields are documented
/// (a file may order them freely).
pub const COLUMNS: [&str; 8] = [
    "site",
    "sampled_at",
    "item",
    "value",
    "unit",
    "method",
    "laboratory",
    "sample_id",
];

/// `COLUMNS` as one list, for messages about a missing or unknown column.
fn expected_columns() -> String {
    COLUMNS.join(",")
}
