//! The render cache: one entry per chart (its normalised URL), holding the
//! image drawn for one data version. A new version replaces the entry;
//! requests that arrive while it is drawn wait for that one drawing, so a
//! popular chart is drawn once per data change, however many ask at once.
//! Bounded by entry count, least recently used first out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::OnceCell;

/// A drawn chart.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) body: Bytes,
    pub(crate) content_type: &'static str,
}

#[derive(Debug)]
struct Entry {
    version: String,
    cell: Arc<OnceCell<Arc<Rendered>>>,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    clock: u64,
}

/// Whether a request was answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Cached,
    Rendered,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Cached => "cached",
            Self::Rendered => "rendered",
        }
    }
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct RenderCache {
    entries: Mutex<Entries>,
    capacity: usize,
}

impl RenderCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            capacity: capacity.max(1),
        }
    }

    /// The chart `key` at data `version`: from the cache, or drawn by
    /// `render` (once, however many callers wait for it). A failed drawing
    /// is not kept: the next request tries again.
    pub(crate) async fn get_or_render<E, F>(
        &self,
        key: &str,
        version: &str,
        render: F,
    ) -> Result<(Arc<Rendered>, Outcome), E>
    where
        F: Future<Output = Result<Rendered, E>>,
    {
        let cell = self.cell(key, version);
        let mut outcome = Outcome::Cached;
        let rendered = cell
            .get_or_try_init(|| async {
                outcome = Outcome::Rendered;
                render.await.map(Arc::new)
            })
            .await?;
        Ok((Arc::clone(rendered), outcome))
    }

    /// The entry's cell for `version`, made anew when the data moved on.
    fn cell(&self, key: &str, version: &str) -> Arc<OnceCell<Arc<Rendered>>> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.clock += 1;
        let now = entries.clock;
        if let Some(entry) = entries.map.get_mut(key)
            && entry.version == version
        {
            entry.last_used = now;
            return Arc::clone(&entry.cell);
        }
        if !entries.map.contains_key(key) && entries.map.len() >= self.capacity {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.map.remove(&oldest);
            }
        }
        let cell = Arc::new(OnceCell::new());
        entries.map.insert(
            key.to_owned(),
            Entry {
                version: version.to_owned(),
                cell: Arc::clone(&cell),
                last_used: now,
            },
        );
        cell
    }

    /// Charts held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn rendered(text: &'static str) -> Rendered {
        Rendered {
            body: Bytes::from_static(text.as_bytes()),
            content_type: "text/plain",
        }
    }

    #[tokio::test]
    async fn concurrent_requests_for_one_version_draw_once() {
        let cache = Arc::new(RenderCache::new(4));
        let draws = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, draws) = (Arc::clone(&cache), Arc::clone(&draws));
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("a", "v1", async {
                        draws.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, ()>(rendered("one"))
                    })
                    .await
                    .unwrap()
            }));
        }
        let mut rendered_count = 0;
        for task in tasks {
            let (chart, outcome) = task.await.unwrap();
            assert_eq!(&chart.body[..], b"one");
            rendered_count += usize::from(outcome == Outcome::Rendered);
        }
        assert_eq!(draws.load(Ordering::SeqCst), 1);
        assert_eq!(rendered_count, 1);
    }

    #[tokio::test]
    async fn a_new_version_replaces_the_entry_and_failures_are_not_kept() {
        let cache = RenderCache::new(4);
        let (_, first) = cache
            .get_or_render("a", "v1", async { Ok::<_, ()>(rendered("v1")) })
            .await
            .unwrap();
        let (chart, second) = cache
            .get_or_render("a", "v2", async { Ok::<_, ()>(rendered("v2")) })
            .await
            .unwrap();
        assert_eq!((first, second), (Outcome::Rendered, Outcome::Rendered));
        assert_eq!(&chart.body[..], b"v2");
        assert_eq!(cache.len(), 1);
        let failed = cache
            .get_or_render("b", "v1", async { Err::<Rendered, _>("boom") })
            .await;
        assert!(failed.is_err());
        let (_, retried) = cache
            .get_or_render("b", "v1", async { Ok::<_, &str>(rendered("b")) })
            .await
            .unwrap();
        assert_eq!(retried, Outcome::Rendered);
    }

    #[tokio::test]
    async fn the_least_recently_used_chart_leaves_first() {
        let cache = RenderCache::new(2);
        for key in ["a", "b"] {
            cache
                .get_or_render(key, "v", async { Ok::<_, ()>(rendered("x")) })
                .await
                .unwrap();
        }
        // Touch "a", then add "c": "b" goes.
        cache
            .get_or_render("a", "v", async { Ok::<_, ()>(rendered("x")) })
            .await
            .unwrap();
        cache
            .get_or_render("c", "v", async { Ok::<_, ()>(rendered("x")) })
            .await
            .unwrap();
        let (_, a) = cache
            .get_or_render("a", "v", async { Ok::<_, ()>(rendered("x")) })
            .await
            .unwrap();
        let (_, b) = cache
            .get_or_render("b", "v", async { Ok::<_, ()>(rendered("x")) })
            .await
            .unwrap();
        assert_eq!((a, b), (Outcome::Cached, Outcome::Rendered));
    }
}
