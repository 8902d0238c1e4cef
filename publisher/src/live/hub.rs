//! The hub: every station's latest state and the active alert notices, the
//! numbered stream of events, and the ring of recent events that lets a
//! reconnecting client resume.
//!
//! Each event is numbered and serialised once, under one lock with the
//! state change, then broadcast to every client as shared bytes; a client
//! joins under the same lock, so what it starts from (a snapshot or a
//! replay) and what the broadcast brings next meet with no gap.
//!
//! Events leave at [`Hub::flush`], all that are waiting in one batch: the
//! feed flushes a few milliseconds after the first of a burst, so the
//! states of a committed batch reach each client together, and it wakes
//! once and writes them in one go instead of once per station.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use chrono::Utc;
use envmon_core::wire::StationState;
use envmon_core::{Station, StationCode, StationKind};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use super::event::{Batch, Event, EventKey, SnapshotFrame};
use super::filter::{District, Filter, Scope};
use super::notice::Notice;

/// Events buffered in the broadcast per client before the client counts as
/// lagging (and is sent a fresh snapshot). Clients move events into their
/// own coalescing queue at once, so only a starved task lags this far.
const BROADCAST_CAPACITY: usize = 1024;

/// Snapshots kept ready, one per distinct filter: thousands of clients
/// following the same stations share one serialisation.
const SNAPSHOT_CACHE: usize = 64;

/// Notices kept whole before the inactive ones are dropped (their rank is
/// kept, to refuse replays of older versions).
const MAX_KEPT_NOTICES: usize = 1000;

/// How a client starts.
#[derive(Debug)]
pub(crate) enum Start {
    /// The current state of what it follows.
    Snapshot(SnapshotFrame),
    /// The events it missed since its last `seq` (to be coalesced).
    Replay(Vec<Arc<Event>>),
}

/// A client joining the stream.
#[derive(Debug)]
pub(crate) struct Joined {
    pub(crate) start: Start,
    /// The last event the start covers: later batches may still bring
    /// events up to here, which the client has already.
    pub(crate) through: u64,
    pub(crate) events: broadcast::Receiver<Arc<Batch>>,
}

/// The live state and its stream.
#[derive(Debug)]
pub(crate) struct Hub {
    epoch: Arc<str>,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<Batch>>,
}

#[derive(Debug)]
struct Inner {
    /// The last event's number; 0 before any.
    seq: u64,
    stations: BTreeMap<StationCode, StationState>,
    /// Kind and district of each registered station, for filtering.
    registry: HashMap<StationCode, (StationKind, District)>,
    /// The newest version of every notice seen, active or not.
    notices: BTreeMap<String, Notice>,
    /// The newest rank ([`Notice::rank`]) of every notice ever accepted,
    /// never dropped: notices are few, and only signed ones get here.
    ranks: HashMap<String, (i64, u8)>,
    ring: VecDeque<Arc<Event>>,
    ring_capacity: usize,
    snapshots: HashMap<String, SnapshotFrame>,
    /// Events numbered but not yet broadcast (see [`Hub::flush`]).
    unsent: Vec<Arc<Event>>,
}

impl Hub {
    /// An empty hub keeping `ring_capacity` events for resuming clients.
    pub(crate) fn new(ring_capacity: usize) -> Self {
        Self {
            epoch: Arc::from(new_epoch()),
            inner: Mutex::new(Inner {
                seq: 0,
                stations: BTreeMap::new(),
                registry: HashMap::new(),
                notices: BTreeMap::new(),
                ranks: HashMap::new(),
                ring: VecDeque::new(),
                ring_capacity,
                snapshots: HashMap::new(),
                unsent: Vec::new(),
            }),
            events: broadcast::channel(BROADCAST_CAPACITY).0,
        }
    }

    /// This server's epoch: sequence numbers are comparable only within it.
    #[cfg(test)]
    pub(crate) fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The last event's number: while it stays, nothing held has changed.
    pub(crate) fn seq(&self) -> u64 {
        self.lock().seq
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Learns the kind and district of every registered station.
    pub(crate) fn set_registry(&self, stations: &[Station]) {
        let mut inner = self.lock();
        inner.registry = stations
            .iter()
            .map(|s| {
                let district = District {
                    zh: s.district_zh.clone(),
                    en: s.district_en.clone(),
                };
                (s.code.clone(), (s.kind, district))
            })
            .collect();
        inner.snapshots.clear();
    }

    /// Merges a station's committed state and sends the merged result (at
    /// the next flush), with the revisions the update carried (the kept
    /// state holds none).
    pub(crate) fn apply_update(&self, mut incoming: StationState) {
        let revisions = std::mem::take(&mut incoming.revisions);
        let mut inner = self.lock();
        let (mut merged, unchanged) = match inner.stations.get_mut(&incoming.station) {
            Some(current) => {
                let before = Blocks::of(current);
                current.merge(incoming);
                (current.clone(), before.unchanged_in(current))
            }
            None => {
                inner
                    .stations
                    .insert(incoming.station.clone(), incoming.clone());
                (incoming, Vec::new())
            }
        };
        merged.revisions = revisions;
        self.emit_update(&mut inner, &merged, &unchanged);
    }

    /// Merges states read from the database and sends an update for each
    /// station they changed, so clients (and resumes) see what the live
    /// topics missed while this server was not subscribed.
    pub(crate) fn apply_reload(&self, states: Vec<StationState>) {
        let mut inner = self.lock();
        for state in states {
            let merged = match inner.stations.get_mut(&state.station) {
                Some(current) => {
                    let before = current.clone();
                    current.merge(state);
                    (*current != before).then(|| {
                        let before = Blocks {
                            aqi: before.aqi,
                            water: before.water,
                        };
                        (current.clone(), before.unchanged_in(current))
                    })
                }
                None => {
                    inner.stations.insert(state.station.clone(), state.clone());
                    Some((state, Vec::new()))
                }
            };
            if let Some((merged, unchanged)) = merged {
                self.emit_update(&mut inner, &merged, &unchanged);
            }
        }
    }

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

    /// Sends a station's state; `unchanged` names the blocks that are as
    /// in its previous update, left out of the usual form.
    fn emit_update(&self, inner: &mut Inner, state: &StationState, unchanged: &[&'static str]) {
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            state: &'a StationState,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            unchanged: &'a [&'static str],
            seq: u64,
            epoch: &'a str,
        }
        let seq = inner.seq + 1;
        let message = |state, unchanged| {
            encode(&Message {
                r#type: "update",
                state,
                unchanged,
                seq,
                epoch: &self.epoch,
            })
        };
        let Some(whole) = message(state, &[]) else {
            return;
        };
        let scope = inner.scope_of(state);
        let key = EventKey::Station(state.station.clone());
        let event = if unchanged.is_empty() {
            Event::new(seq, key, scope, whole, Arc::clone(&self.epoch))
        } else {
            let mut usual = state.clone();
            for block in unchanged {
                match *block {
                    AQI => usual.aqi = None,
                    WATER => usual.water = None,
                    _ => {}
                }
            }
            let Some(text) = message(&usual, unchanged) else {
                return;
            };
            Event::new(seq, key, scope, text, Arc::clone(&self.epoch)).with_whole(whole)
        };
        self.emit(inner, event);
    }

    fn emit(&self, inner: &mut Inner, event: Event) {
        inner.seq = event.seq;
        inner.snapshots.clear();
        let event = Arc::new(event);
        if inner.ring_capacity > 0 {
            if inner.ring.len() == inner.ring_capacity {
                inner.ring.pop_front();
            }
            inner.ring.push_back(Arc::clone(&event));
        }
        inner.unsent.push(event);
    }

    /// Whether events wait for the next flush.
    pub(crate) fn has_unsent(&self) -> bool {
        !self.lock().unsent.is_empty()
    }

    /// Broadcasts the events made since the last flush, as one batch.
    pub(crate) fn flush(&self) {
        let mut inner = self.lock();
        if inner.unsent.is_empty() {
            return;
        }
        let batch = Arc::new(Batch::new(std::mem::take(&mut inner.unsent)));
        // No receivers is fine: nobody is watching yet.
        let _ = self.events.send(batch);
    }

    /// Joins the stream following `filter`: resumes after `resume` (epoch,
    /// last seq seen) when this server still holds every event since, else
    /// starts from a snapshot.
    pub(crate) fn join(&self, filter: &Filter, resume: Option<(&str, u64)>) -> Joined {
        let mut inner = self.lock();
        let events = self.events.subscribe();
        let replay = resume.and_then(|(epoch, seq)| {
            (epoch == &*self.epoch && inner.covers(seq)).then(|| {
                inner
                    .ring
                    .iter()
                    .filter(|e| e.seq > seq && filter.matches(&e.scope))
                    .cloned()
                    .collect()
            })
        });
        let start = match replay {
            Some(events) => Start::Replay(events),
            None => Start::Snapshot(self.snapshot_locked(&mut inner, filter)),
        };
        Joined {
            start,
            through: inner.seq,
            events,
        }
    }

    /// The current state of what `filter` follows.
    pub(crate) fn snapshot(&self, filter: &Filter) -> SnapshotFrame {
        let mut inner = self.lock();
        self.snapshot_locked(&mut inner, filter)
    }

    fn snapshot_locked(&self, inner: &mut Inner, filter: &Filter) -> SnapshotFrame {
        let key = filter.key();
        if let Some(cached) = inner.snapshots.get(&key) {
            return cached.clone();
        }
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            stations: Vec<&'a StationState>,
            notices: Vec<&'a Value>,
            seq: u64,
            epoch: &'a str,
        }
        let now = Utc::now();
        let message = Message {
            r#type: "snapshot",
            stations: inner
                .stations
                .values()
                .filter(|s| filter.matches(&inner.scope_of(s)))
                .collect(),
            notices: inner
                .notices
                .values()
                .filter(|n| n.is_active(now) && filter.matches(&n.scope()))
                .map(|n| &n.body)
                .collect(),
            seq: inner.seq,
            epoch: &self.epoch,
        };
        let text = encode(&message).unwrap_or_else(|| Utf8Bytes::from_static("{}"));
        let frame = SnapshotFrame::new(inner.seq, text, Arc::clone(&self.epoch));
        if inner.snapshots.len() >= SNAPSHOT_CACHE {
            inner.snapshots.clear();
        }
        inner.snapshots.insert(key, frame.clone());
        frame
    }
}

impl Hub {
    /// The kind of a registered station, as learned at start.
    pub(crate) fn kind_of(&self, station: &StationCode) -> Option<StationKind> {
        self.lock().registry.get(station).map(|(kind, _)| *kind)
    }

    /// The latest state of every station with data that `keep` accepts,
    /// given its code, kind and district; for the open-data API.
    pub(crate) fn states(
        &self,
        keep: impl Fn(&StationCode, StationKind, Option<&District>) -> bool,
    ) -> Vec<StationState> {
        let inner = self.lock();
        inner
            .stations
            .values()
            .filter(|s| {
                let district = inner.registry.get(&s.station).map(|(_, d)| d);
                keep(&s.station, s.kind, district)
            })
            .cloned()
            .collect()
    }
}

impl Inner {
    /// Whether every event after `seq` is still in the ring.
    fn covers(&self, seq: u64) -> bool {
        if seq > self.seq {
            return false;
        }
        match self.ring.front() {
            Some(first) => first.seq <= seq + 1,
            None => seq == self.seq,
        }
    }

    fn scope_of(&self, state: &StationState) -> Scope {
        let district = self
            .registry
            .get(&state.station)
            .map(|(_, district)| district.clone());
        Scope::Station {
            code: state.station.clone(),
            kind: state.kind,
            district,
        }
    }
}

/// The names of a state's blocks in `unchanged`.
const AQI: &str = "aqi";
const WATER: &str = "water";

/// A state's blocks before a merge, to tell which the merge left as they
/// were.
struct Blocks {
    aqi: Option<envmon_core::wire::AqiNow>,
    water: Option<envmon_core::wire::WaterNow>,
}

impl Blocks {
    fn of(state: &StationState) -> Self {
        Self {
            aqi: state.aqi.clone(),
            water: state.water.clone(),
        }
    }

    /// The blocks `after` holds exactly as before.
    fn unchanged_in(&self, after: &StationState) -> Vec<&'static str> {
        let mut unchanged = Vec::new();
        if after.aqi.is_some() && after.aqi == self.aqi {
            unchanged.push(AQI);
        }
        if after.water.is_some() && after.water == self.water {
            unchanged.push(WATER);
        }
        unchanged
    }
}

/// Serialises a message into a text frame.
fn encode<T: Serialize>(message: &T) -> Option<Utf8Bytes> {
    match serde_json::to_string(message) {
        Ok(text) => Some(Utf8Bytes::from(text)),
        Err(error) => {
            tracing::error!(error = %error, "Cannot serialise live message.");
            None
        }
    }
}

/// A name for this server's run: the start time in nanoseconds and the
/// process id, so two servers (or two runs) never share one.
fn new_epoch() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STARTED: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}{:x}{n:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use envmon_core::wire::LatestValue;
    use envmon_core::{Parameter, QualityFlag};

    fn state(station: &str, pm25: f64, minute: u32) -> StationState {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, minute, 0).unwrap();
        StationState {
            station: StationCode::parse(station).unwrap(),
            kind: StationKind::Air,
            updated_at: at,
            readings: [(
                Parameter::Pm25,
                LatestValue {
                    value: pm25,
                    unit: "ug/m3".into(),
                    observed_at: at,
                    quality: QualityFlag::Valid,
                },
            )]
            .into(),
            aqi: None,
            water: None,
            revisions: Vec::new(),
            committed_at: None,
        }
    }

    fn json(text: &Utf8Bytes) -> Value {
        serde_json::from_str(text.as_str()).unwrap()
    }

    #[test]
    fn every_message_carries_seq_and_epoch() {
        let hub = Hub::new(16);
        let mut rx = hub.join(&Filter::default(), None).events;
        hub.apply_update(state("A", 1.0, 1));
        assert!(rx.try_recv().is_err(), "nothing leaves before the flush");
        hub.flush();
        let batch = rx.try_recv().unwrap();
        let message = json(&batch.events[0].text);
        assert_eq!(message["type"], "update");
        assert_eq!(message["seq"], 1);
        assert_eq!(message["epoch"], hub.epoch());
        let Start::Snapshot(snapshot) = hub.join(&Filter::default(), None).start else {
            panic!("no resume asked: a snapshot")
        };
        let message = json(&snapshot.text);
        assert_eq!(
            (
                message["seq"].as_u64(),
                message["stations"][0]["station"].as_str()
            ),
            (Some(1), Some("A"))
        );
    }

    #[test]
    fn a_resume_within_the_ring_replays_and_one_outside_gets_a_snapshot() {
        let hub = Hub::new(3);
        for minute in 1..=5 {
            hub.apply_update(state("A", f64::from(minute), minute));
        }
        let epoch = hub.epoch().to_owned();
        let replayed = |seq| match hub.join(&Filter::default(), Some((&epoch, seq))).start {
            Start::Replay(events) => Some(events.iter().map(|e| e.seq).collect::<Vec<_>>()),
            Start::Snapshot(_) => None,
        };
        assert_eq!(replayed(2), Some(vec![3, 4, 5]));
        assert_eq!(replayed(5), Some(vec![]));
        assert_eq!(replayed(1), None, "event 2 has left the ring");
        assert_eq!(replayed(6), None, "a seq from the future");
        assert!(matches!(
            hub.join(&Filter::default(), Some(("other", 4))).start,
            Start::Snapshot(_)
        ));
    }

    #[test]
    fn a_flush_sends_what_waited_as_one_batch_and_a_joiner_knows_it_has_it() {
        let hub = Hub::new(16);
        let mut early = hub.join(&Filter::default(), None).events;
        hub.apply_update(state("A", 1.0, 1));
        hub.apply_update(state("B", 2.0, 1));
        let late = hub.join(&Filter::default(), None);
        assert_eq!(late.through, 2, "its snapshot already holds A and B");
        hub.flush();
        hub.flush();
        let seqs: Vec<u64> = early
            .try_recv()
            .unwrap()
            .events
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [1, 2]);
        assert!(early.try_recv().is_err(), "an empty flush sends nothing");
    }

    #[test]
    fn an_update_leaves_out_the_aqi_block_it_did_not_change_but_keeps_it_whole() {
        use super::super::event::Form;
        let with_aqi = |minute: u32, hour: u32| {
            let mut state = state("A", f64::from(minute), minute);
            state.aqi = Some(envmon_core::wire::AqiNow {
                hour_end: Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap(),
                edition: "HJ 633-2026".into(),
                aqi: Some(55),
                level: Some(2),
                primary: vec!["pm25".into()],
                report: serde_json::json!({"aqi": 55}),
                us_epa: None,
            });
            state
        };
        let hub = Hub::new(16);
        let mut rx = hub.join(&Filter::default(), None).events;
        hub.apply_update(with_aqi(1, 10));
        hub.apply_update(with_aqi(2, 10));
        hub.apply_update(with_aqi(3, 11));
        hub.flush();
        let batch = rx.try_recv().unwrap();
        let usual: Vec<Value> = batch
            .events
            .iter()
            .map(|e| json(e.text(Form::Usual)))
            .collect();
        assert_eq!(usual[0]["state"]["aqi"]["aqi"], 55, "new station: whole");
        assert!(usual[0].get("unchanged").is_none());
        assert!(
            usual[1]["state"].get("aqi").is_none(),
            "same hour: left out"
        );
        assert_eq!(usual[1]["unchanged"], serde_json::json!(["aqi"]));
        assert_eq!(usual[1]["state"]["readings"]["pm25"]["value"], 2.0);
        assert_eq!(usual[2]["state"]["aqi"]["hour_end"], "2026-11-25T11:00:00Z");
        let whole = json(batch.events[1].text(Form::Whole));
        assert_eq!(whole["state"]["aqi"]["aqi"], 55);
        assert!(whole.get("unchanged").is_none());
        assert_eq!(whole["seq"], usual[1]["seq"]);
    }

    #[test]
    fn a_reload_sends_only_what_changed() {
        let hub = Hub::new(16);
        hub.apply_update(state("A", 1.0, 1));
        hub.apply_reload(vec![state("A", 1.0, 1), state("B", 2.0, 1)]);
        assert_eq!(hub.seq(), 2);
    }

    fn notice(version: i64, status: &str) -> Notice {
        let signer = super::super::notice::tests::signer();
        let body = super::super::notice::tests::body(
            "n1",
            version,
            status,
            "2099-01-01T00:00:00Z",
            Some(&signer),
        );
        let keys = envmon_core::alert::TrustedKeys::single(signer.public_key());
        Notice::verified("n1", body.to_string().as_bytes(), &keys, Utc::now()).unwrap()
    }

    #[test]
    fn a_notice_version_seen_before_is_not_news() {
        let hub = Hub::new(16);
        assert!(hub.apply_notice(notice(1, "published")));
        assert!(!hub.apply_notice(notice(1, "published")));
        assert_eq!(hub.seq(), 1);
        let Start::Snapshot(snapshot) = hub.join(&Filter::default(), None).start else {
            panic!()
        };
        assert_eq!(json(&snapshot.text)["notices"][0]["id"], "n1");
        assert!(hub.apply_notice(notice(2, "cancelled")));
        assert_eq!(hub.seq(), 2);
        let snapshot = hub.snapshot(&Filter::default());
        assert_eq!(json(&snapshot.text)["notices"], serde_json::json!([]));
        // The first version again, replayed: refused, the cancellation holds.
        assert!(!hub.apply_notice(notice(1, "published")));
        let snapshot = hub.snapshot(&Filter::default());
        assert_eq!(json(&snapshot.text)["notices"], serde_json::json!([]));
    }

    #[test]
    fn the_database_wins_ties_and_the_broker_never_overrides_it() {
        let hub = Hub::new(16);
        hub.reload_notices(vec![notice(2, "updated")]);
        assert_eq!(hub.seq(), 1);
        assert!(!hub.apply_notice(notice(2, "updated")), "equal: not news");
        assert!(!hub.apply_notice(notice(1, "published")), "older");
        // Re-signed in the database (another key, same version): it wins.
        let mut resigned = notice(2, "updated");
        resigned.body["signature"]["value"] = "00".into();
        hub.reload_notices(vec![resigned.clone()]);
        assert_eq!(hub.seq(), 2);
        hub.reload_notices(vec![resigned]);
        assert_eq!(hub.seq(), 2, "unchanged: nothing sent");
        // An inactive notice never held is recorded, not sent, and its
        // older versions are refused from then on.
        let fresh = Hub::new(16);
        fresh.reload_notices(vec![notice(3, "cancelled")]);
        assert_eq!(fresh.seq(), 0);
        assert!(!fresh.apply_notice(notice(1, "published")), "a replay");
        assert_eq!(fresh.seq(), 0);
        assert_eq!(
            json(&fresh.snapshot(&Filter::default()).text)["notices"],
            serde_json::json!([])
        );
    }
}
