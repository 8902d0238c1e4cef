//! Answers of `/api/v1/latest` kept per query until the live state moves
//! on (its sequence number changes), so a burst of identical requests costs
//! one serialisation.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Distinct queries kept; past it the cache starts over.
const MAX_ENTRIES: usize = 256;

/// Serialised answers by query, each with the live `seq` it reflects.
#[derive(Debug, Default)]
pub(crate) struct LatestCache {
    entries: Mutex<HashMap<String, (u64, Bytes)>>,
}

impl LatestCache {
    /// The answer to `key` if it reflects `seq`.
    pub(crate) fn get(&self, key: &str, seq: u64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| *at == seq)
            .map(|(_, body)| body.clone())
    }

    /// Keeps the answer to `key` at `seq`.
    pub(crate) fn put(&self, key: String, seq: u64, body: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (seq, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_lasts_until_the_state_moves_on() {
        let cache = LatestCache::default();
        cache.put("air".into(), 7, Bytes::from_static(b"x"));
        assert_eq!(cache.get("air", 7), Some(Bytes::from_static(b"x")));
        assert_eq!(cache.get("air", 8), None);
        assert_eq!(cache.get("river", 7), None);
    }
}
