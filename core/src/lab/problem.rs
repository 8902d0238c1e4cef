//! One thing wrong with an import, located by row and column so staff can
//! fix the sheet and send it again.

use std::fmt;

use serde::Serialize;

/// A problem with one row (or the header, or the whole document).
///
/// Displays as `row 7, column unit: expected mg/L for 硫酸盐 (sulfate), got
/// mg/m3`. Row 0 is the JSON document as a whole (its top-level fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabProblem {
    /// The CSV line the record starts on (the header is row 1), or the
    /// 1-based index in the JSON `results`; 0 for the JSON document itself.
    pub row: usize,
    /// The column or JSON field at fault; `None` when the row as a whole is.
    pub column: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl LabProblem {
    pub(super) fn new(row: usize, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            row,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for LabProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (0, Some(column)) => write!(f, "field {column}: {}", self.message),
            (0, None) => f.write_str(&self.message),
            (row, Some(column)) => write!(f, "row {row}, column {column}: {}", self.message),
            (row, None) => write!(f, "row {row}: {}", self.message),
        }
    }
}
