//! Alert notices in the hub: which versions are news, and which the
//! database's own copies override.

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::super::event::{Event, EventKey};
use super::super::notice::Notice;
use super::{Hub, Inner, encode};

/// Notices kept whole before the inactive ones are dropped (their rank is
/// kept, to refuse replays of older versions).
const MAX_KEPT_NOTICES: usize = 1000;

impl Hub {
    /// Relays a verified notice from the broker when it is newer than any
    /// version held (a retained notice arrives again after every
    /// resubscription: it is not news then, and a replayed older version
    /// is not news either). Returns whether it was relayed.
    pub(crate) fn apply_notice(&self, notice: Notice) -> bool {
        let mut inner = self.lock();
        if inner
            .ranks
            .get(&notice.id)
            .is_some_and(|held| *held >= notice.rank())
        {
            return false;
        }
        self.relay_notice(&mut inner, notice);
        true
    }

    /// Folds in the notices this publisher issued, read from its database,
    /// the truth for them: one wins over a version held from the broker
    /// when it ranks the same or higher. Sends those that changed and are
    /// active or were held; records the rest, so their older versions are
    /// refused when replayed.
    pub(crate) fn reload_notices(&self, notices: Vec<Notice>) {
        let mut inner = self.lock();
        let now = Utc::now();
        for notice in notices {
            let held_rank = inner.ranks.get(&notice.id).copied();
            if held_rank.is_some_and(|held| held > notice.rank()) {
                continue;
            }
            let held = inner.notices.get(&notice.id);
            if held.is_some_and(|held| held.body == notice.body) {
                continue;
            }
            if held.is_none() && !notice.is_active(now) {
                inner.ranks.insert(notice.id.clone(), notice.rank());
                continue;
            }
            self.relay_notice(&mut inner, notice);
        }
    }

    fn relay_notice(&self, inner: &mut Inner, notice: Notice) {
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            notice: &'a Value,
            seq: u64,
            epoch: &'a str,
        }
        let seq = inner.seq + 1;
        let Some(text) = encode(&Message {
            r#type: "notice",
            notice: &notice.body,
            seq,
            epoch: &self.epoch,
        }) else {
            return;
        };
        let event = Event::new(
            seq,
            EventKey::Notice(notice.id.clone()),
            notice.scope(),
            text,
            Arc::clone(&self.epoch),
        );
        inner.ranks.insert(notice.id.clone(), notice.rank());
        inner.notices.insert(notice.id.clone(), notice);
        if inner.notices.len() > MAX_KEPT_NOTICES {
            let now = Utc::now();
            inner.notices.retain(|_, n| n.is_active(now));
        }
        self.emit(inner, event);
    }
}
