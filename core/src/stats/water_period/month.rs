//! The calendar month the statistics count in, written `YYYY-MM`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A calendar month of the Beijing calendar, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarMonth {
    /// Always the first day of the month.
    first_day: NaiveDate,
}

/// Text that is not a month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a month written YYYY-MM, e.g. 2027-01")]
pub struct InvalidMonth(pub String);

impl CalendarMonth {
    /// The month `month` (1–12) of `year`; `None` if there is no such month.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|first_day| Self { first_day })
    }

    /// The month a day is in.
    pub fn of(day: NaiveDate) -> Self {
        Self {
            first_day: day.with_day(1).unwrap_or(day),
        }
    }

    /// Parses `YYYY-MM`. A full date is refused: statistics cover whole months only, and a
    /// date would suggest otherwise.
    ///
    /// # Errors
    /// When the text is not a month.
    pub fn parse(text: &str) -> Result<Self, InvalidMonth> {
        let invalid = || InvalidMonth(text.to_owned());
        let (year, month) = text.trim().split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        Self::new(year, month).ok_or_else(invalid)
    }

    pub fn first_day(self) -> NaiveDate {
        self.first_day
    }

    /// The first day of the next month.
    pub fn end(self) -> NaiveDate {
        self.next().first_day
    }

    pub fn next(self) -> Self {
        let next = self.first_day.checked_add_months(chrono::Months::new(1));
        Self {
            first_day: next.unwrap_or(NaiveDate::MAX),
        }
    }

    /// Every month from `self` to `last`, both included; empty if `last` is earlier.
    pub fn through(self, last: Self) -> Vec<Self> {
        let mut months = Vec::new();
        let mut month = self;
        while month <= last && month.first_day != NaiveDate::MAX {
            months.push(month);
            month = month.next();
        }
        months
    }
}

impl fmt::Display for CalendarMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}",
            self.first_day.year(),
            self.first_day.month()
        )
    }
}

impl FromStr for CalendarMonth {
    type Err = InvalidMonth;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for CalendarMonth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
