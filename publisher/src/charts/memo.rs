//! Data versions read from PostgreSQL, reused for a moment: a popular chart
//! then costs one version query per [`VERSION_REUSE`], not one per request,
//! and new data shows in its ETag at most that much later. Without it, the
//! version query is most of a cached chart's cost (`envmon-bench charts`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::data::DataVersion;

/// How long a version is reused for the same stations and window.
pub(crate) const VERSION_REUSE: Duration = Duration::from_secs(1);

/// Versions kept before stale ones are swept: one per (stations, window)
/// asked within the last second, so only a flood of distinct charts reaches
/// it.
const MAX_KEPT: usize = 4096;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct VersionMemo {
    versions: Mutex<HashMap<String, (Instant, DataVersion)>>,
}

impl VersionMemo {
    /// The version read for `key` less than [`VERSION_REUSE`] ago.
    pub(crate) fn get(&self, key: &str, now: Instant) -> Option<DataVersion> {
        let versions = self
            .versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        versions
            .get(key)
            .filter(|(read, _)| now.duration_since(*read) < VERSION_REUSE)
            .map(|(_, version)| version.clone())
    }

    /// Remembers `version`, read at `read`.
    pub(crate) fn put(&self, key: String, read: Instant, version: DataVersion) {
        let mut versions = self
            .versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if versions.len() >= MAX_KEPT {
            versions.retain(|_, (at, _)| read.duration_since(*at) < VERSION_REUSE);
        }
        versions.insert(key, (read, version));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_reused_for_a_second_only() {
        let memo = VersionMemo::default();
        let t0 = Instant::now();
        memo.put("k".into(), t0, DataVersion::for_test("v1"));
        assert_eq!(
            memo.get("k", t0 + Duration::from_millis(900))
                .unwrap()
                .stamp(),
            "v1"
        );
        assert!(memo.get("k", t0 + VERSION_REUSE).is_none());
        assert!(memo.get("other", t0).is_none());
    }
}
