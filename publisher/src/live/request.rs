//! What a live connection asks for when it opens: the query parameters
//! shared by the WebSocket and SSE endpoints, and the resume position.

use serde::Deserialize;

use super::filter::{Filter, Selection};
use crate::error::ApiError;

/// `?kind=air,river&station=1141A&district=普陀区&resume=EPOCH:SEQ`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LiveQuery {
    kind: Option<String>,
    station: Option<String>,
    district: Option<String>,
    /// The `epoch:seq` of the last message the client saw.
    resume: Option<String>,
    /// The same, for EventSource clients that cannot set `Last-Event-ID`.
    last_event_id: Option<String>,
}

/// A position in a server's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) epoch: String,
    pub(crate) seq: u64,
}

impl Position {
    /// Parses `epoch:seq`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (epoch, seq) = text.trim().rsplit_once(':')?;
        let well_formed = !epoch.is_empty()
            && epoch.len() <= 64
            && epoch.bytes().all(|b| b.is_ascii_alphanumeric());
        well_formed.then_some(())?;
        Some(Self {
            epoch: epoch.to_owned(),
            seq: seq.parse().ok()?,
        })
    }
}

/// What a connection asked for.
#[derive(Debug)]
pub(crate) struct Opening {
    pub(crate) filter: Filter,
    /// Whether the client narrowed what it follows (else: everything).
    pub(crate) subscribed: bool,
    pub(crate) resume: Option<Position>,
}

impl LiveQuery {
    /// Checks the query; `last_event_id` is the SSE header, which wins.
    ///
    /// # Errors
    /// A 400 naming the parameter that is wrong.
    pub(crate) fn opening(&self, last_event_id: Option<&str>) -> Result<Opening, ApiError> {
        let selection = Selection::from_query(
            self.kind.as_deref(),
            self.station.as_deref(),
            self.district.as_deref(),
        );
        let (filter, subscribed) = match selection {
            None => (Filter::default(), false),
            Some(selection) => {
                let parsed = selection.parse().map_err(|e| {
                    // The selection names its list (`kinds`); the query
                    // parameter is singular.
                    let message = e
                        .to_string()
                        .replacen("`kinds`", "query parameter `kind`", 1)
                        .replacen("`stations`", "query parameter `station`", 1)
                        .replacen("`districts`", "query parameter `district`", 1);
                    ApiError::BadRequest(message)
                })?;
                let mut filter = Filter::nothing();
                filter.subscribe(parsed);
                (filter, true)
            }
        };
        let resume = match (last_event_id, &self.last_event_id, &self.resume) {
            (Some(text), _, _) => Some(("Last-Event-ID", text)),
            (None, Some(text), _) => Some(("last_event_id", text.as_str())),
            (None, None, Some(text)) => Some(("resume", text.as_str())),
            (None, None, None) => None,
        }
        .map(|(name, text)| {
            Position::parse(text).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{} `{name}` must be EPOCH:SEQ as given in a message",
                    if name == "Last-Event-ID" {
                        "header"
                    } else {
                        "query parameter"
                    }
                ))
            })
        })
        .transpose()?;
        Ok(Opening {
            filter,
            subscribed,
            resume,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_and_nonsense_does_not() {
        assert_eq!(
            Position::parse("18a2b3c:42"),
            Some(Position {
                epoch: "18a2b3c".into(),
                seq: 42
            })
        );
        assert_eq!(Position::parse("18a2b3c"), None);
        assert_eq!(Position::parse(":4"), None);
        assert_eq!(Position::parse("e:-1"), None);
        assert_eq!(Position::parse("a/b:1"), None);
    }

    #[test]
    fn a_bad_kind_is_named_as_the_query_parameter() {
        let query = LiveQuery {
            kind: Some("air,lake".into()),
            ..LiveQuery::default()
        };
        let error = query.opening(None).unwrap_err().to_string();
        assert!(error.contains("query parameter `kind`"), "{error}");
    }
}
