//! Announcing changes to the stored aggregates: the transaction that rewrites a station's or an
//! area's hourly and daily aggregates also sends a PostgreSQL notification (`NOTIFY`, delivered
//! at commit to every listening session, never for a rolled-back transaction), so a publisher
//! can answer "has this changed?" from memory instead of asking the database on every request.

use tokio_postgres::GenericClient;

/// The notification channel.
pub const CHANNEL: &str = "envmon_aggregates";

/// A payload longer than this says "everything" instead (PostgreSQL's limit is 8,000 bytes).
const MAX_PAYLOAD: usize = 7_000;

/// What a notification says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// Anything may have: the registry, retention, a rebuild, or too many to list.
    Everything,
    /// These stations' and areas' aggregates.
    These {
        stations: Vec<String>,
        areas: Vec<String>,
    },
}

impl Changed {
    /// The notification's payload: `*`, or `s:CODE` and `a:ID` items separated by commas.
    pub fn payload(&self) -> String {
        match self {
            Self::Everything => "*".to_owned(),
            Self::These { stations, areas } => {
                let items: Vec<String> = stations
                    .iter()
                    .map(|s| format!("s:{s}"))
                    .chain(areas.iter().map(|a| format!("a:{a}")))
                    .collect();
                let text = items.join(",");
                if text.len() > MAX_PAYLOAD {
                    "*".to_owned()
                } else {
                    text
                }
            }
        }
    }

    /// Reads a payload; anything unreadable means everything, so no change is ever missed.
    pub fn parse(payload: &str) -> Self {
        let mut stations = Vec::new();
        let mut areas = Vec::new();
        for item in payload.split(',').filter(|i| !i.is_empty()) {
            match item.split_once(':') {
                Some(("s", code)) => stations.push(code.to_owned()),
                Some(("a", id)) => areas.push(id.to_owned()),
                _ => return Self::Everything,
            }
        }
        if stations.is_empty() && areas.is_empty() {
            return Self::Everything;
        }
        Self::These { stations, areas }
    }
}

/// Announces `changed` when the caller's transaction commits.
///
/// # Errors
/// When the statement fails.
pub async fn announce(
    client: &impl GenericClient,
    changed: &Changed,
) -> Result<(), tokio_postgres::Error> {
    if matches!(changed, Changed::These { stations, areas } if stations.is_empty() && areas.is_empty())
    {
        return Ok(());
    }
    client
        .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &changed.payload()])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_anything_odd_means_everything() {
        let changed = Changed::These {
            stations: vec!["1141A".into(), "wusongkou".into()],
            areas: vec!["pudong".into()],
        };
        assert_eq!(changed.payload(), "s:1141A,s:wusongkou,a:pudong");
        assert_eq!(Changed::parse(&changed.payload()), changed);
        for odd in ["*", "", "x:1", "1141A"] {
            assert_eq!(Changed::parse(odd), Changed::Everything, "{odd}");
        }
        let many = Changed::These {
            stations: (0..2_000).map(|i| format!("S{i:04}")).collect(),
            areas: Vec::new(),
        };
        assert_eq!(many.payload(), "*");
    }
}
