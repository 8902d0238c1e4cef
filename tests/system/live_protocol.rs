//! The live protocol over real sockets: sequence numbers and epochs,
//! subscriptions, alert notices, resume, SSE, slow and silent clients,
//! limits, and two publishers on one broker.
//!
//! Station states are published straight onto the live topics (as ingest
//! does after a commit), so each test controls exactly what the publisher
//! receives; the ingest path to these topics has tests of its own.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rumqttc::{AsyncClient, QoS};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::system::LiveClient;
use crate::helpers::{TestSystem, http, unique, wait_for};

/// A station state as ingest publishes it.
fn state(station: &str, kind: &str, pm25: f64, minute: u32) -> Value {
    let at = format!("2026-11-25T10:{minute:02}:00Z");
    json!({
        "station": station, "kind": kind, "updated_at": at,
        "readings": { "pm25": { "value": pm25, "unit": "ug/m3", "observed_at": at, "quality": "valid" } }
    })
}

/// A notice signed with the key the test publishers trust.
fn notice(id: &str, version: i64, status: &str, districts: &[&str]) -> Value {
    crate::helpers::staff::signed(json!({
        "id": id, "version": version, "status": status, "severity": "orange",
        "headline": {"zh": "重污染天气橙色预警", "en": "Orange alert: heavy pollution"},
        "description": {"zh": "", "en": ""}, "instruction": {"zh": "", "en": ""},
        "area": {"districts": districts, "stations": []},
        "effective": "2026-11-25T08:00:00Z", "expires": "2099-01-01T00:00:00Z",
        "published_at": "2026-11-25T08:00:00Z", "references": null,
        "cap_url": format!("/api/v1/alerts/{id}.cap")
    }))
}

/// Publishes onto the test broker from this process, for floods that
/// `mosquitto_pub` (one process per message) is too slow for. States go
/// out as ingest and notices as the publisher: the broker lets no one else
/// write them. Each publish waits for the broker's PUBACK, so messages sent
/// one after the other on the two connections reach subscribers in order.
struct Mqtt {
    client: Publishing,
    notices: Publishing,
}

/// One connection, and the count of PUBACKs it received.
struct Publishing {
    client: AsyncClient,
    acked: tokio::sync::watch::Receiver<u64>,
    sent: std::sync::atomic::AtomicU64,
    task: tokio::task::JoinHandle<()>,
}

impl Publishing {
    fn connect(settings: envmon_core::broker::BrokerSettings) -> Self {
        let options = settings.mqtt_options(&unique("test-pub")).unwrap();
        let (client, mut eventloop) = AsyncClient::new(options, 1024);
        let (acks, acked) = tokio::sync::watch::channel(0);
        let task = tokio::spawn(async move {
            while let Ok(event) = eventloop.poll().await {
                if let rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) = event {
                    acks.send_modify(|n| *n += 1);
                }
            }
        });
        Self {
            client,
            acked,
            sent: std::sync::atomic::AtomicU64::new(0),
            task,
        }
    }

    async fn publish(&self, topic: String, retain: bool, payload: &Value) {
        let sent = self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.to_string())
            .await
            .unwrap();
        let mut acked = self.acked.clone();
        tokio::time::timeout(Duration::from_secs(10), acked.wait_for(|n| *n >= sent))
            .await
            .expect("the broker acknowledges in time")
            .unwrap();
    }
}

impl Mqtt {
    async fn connect(system: &TestSystem) -> Self {
        Self {
            client: Publishing::connect(system.broker.ingest_settings()),
            notices: Publishing::connect(system.broker.publisher_settings()),
        }
    }

    async fn live(&self, kind: &str, station: &str, payload: &Value) {
        self.client
            .publish(format!("live/{kind}/{station}"), false, payload)
            .await;
    }

    async fn notice(&self, payload: &Value) {
        let id = payload["id"].as_str().unwrap();
        self.notices
            .publish(format!("live/alert/{id}"), true, payload)
            .await;
    }
}

impl Drop for Publishing {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn connect(addr: SocketAddr, query: &str) -> LiveClient {
    let url = format!("ws://{addr}/api/v1/live{query}");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next JSON message, within `within`.
async fn next_json(client: &mut LiveClient, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, client.next())
            .await
            .expect("a live message in time")
            .expect("the socket stays open")
            .unwrap();
        match frame {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(close) => panic!("closed: {close:?}"),
            _ => {}
        }
    }
}

async fn next(client: &mut LiveClient) -> Value {
    next_json(client, Duration::from_secs(10)).await
}

/// The next message of `kind`, skipping others.
async fn next_of(client: &mut LiveClient, kind: &str) -> Value {
    loop {
        let message = next(client).await;
        if message["type"] == kind {
            return message;
        }
    }
}

/// Asserts nothing but pings arrives for `quiet`.
async fn assert_quiet(client: &mut LiveClient, quiet: Duration) {
    let deadline = Instant::now() + quiet;
    while let Ok(frame) = tokio::time::timeout(
        deadline.saturating_duration_since(Instant::now()),
        client.next(),
    )
    .await
    {
        if let Some(Ok(Message::Text(text))) = frame {
            panic!("expected nothing, got {text}");
        }
    }
}

fn stations_of(snapshot: &Value) -> Vec<String> {
    snapshot["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["station"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_message_carries_seq_and_epoch_and_updates_follow_the_snapshot() {
    let system = TestSystem::start_publisher_only().await;
    let mqtt = Mqtt::connect(&system).await;
    let mut client = connect(system.publisher_addr, "").await;
    let snapshot = next(&mut client).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["stations"], json!([]));
    assert_eq!(snapshot["notices"], json!([]));
    let epoch = snapshot["epoch"].as_str().unwrap().to_owned();
    let mut last = snapshot["seq"].as_u64().unwrap();

    for (i, station) in ["1141A", "1142A", "1141A"].into_iter().enumerate() {
        let minute = u32::try_from(i).unwrap();
        mqtt.live(
            "air",
            station,
            &state(station, "air", 30.0 + f64::from(minute), minute),
        )
        .await;
        let update = next(&mut client).await;
        assert_eq!(update["type"], "update");
        assert_eq!(update["state"]["station"], station);
        assert_eq!(update["epoch"], epoch.as_str());
        let seq = update["seq"].as_u64().unwrap();
        assert_eq!(seq, last + 1, "one number per event, in order");
        last = seq;
    }
    system.shutdown().await;
}

#[tokio::test]
async fn subscriptions_narrow_by_kind_station_and_district() {
    let system = TestSystem::start_publisher_only().await;
    let mqtt = Mqtt::connect(&system).await;
    mqtt.live("air", "1141A", &state("1141A", "air", 30.0, 1))
        .await;
    mqtt.live("river", "wusongkou", &state("wusongkou", "river", 1.0, 1))
        .await;
    let mut client = connect(system.publisher_addr, "").await;
    let everything = wait_for("both stations", Duration::from_secs(10), || async {
        let mut probe = connect(system.publisher_addr, "").await;
        let snapshot = next(&mut probe).await;
        if stations_of(&snapshot).len() == 2 {
            Ok(snapshot)
        } else {
            Err(snapshot.to_string())
        }
    })
    .await;
    assert_eq!(stations_of(&everything), ["1141A", "wusongkou"]);

    // Arrange: the first subscription replaces "everything".
    next_of(&mut client, "snapshot").await;
    client
        .send(Message::text(
            json!({"type": "subscribe", "kinds": ["river"]}).to_string(),
        ))
        .await
        .unwrap();
    let rivers = next_of(&mut client, "snapshot").await;
    assert_eq!(stations_of(&rivers), ["wusongkou"]);
    assert!(rivers["seq"].is_u64() && rivers["epoch"].is_string());

    // Act: an air update is not sent; a river update is.
    mqtt.live("air", "1141A", &state("1141A", "air", 31.0, 2))
        .await;
    mqtt.live("river", "wusongkou", &state("wusongkou", "river", 2.0, 2))
        .await;
    let update = next(&mut client).await;
    assert_eq!(update["state"]["station"], "wusongkou");

    // A district adds the air station in it (1141A is in Putuo), in either language.
    client
        .send(Message::text(
            json!({"type": "subscribe", "districts": ["putuo"]}).to_string(),
        ))
        .await
        .unwrap();
    let with_putuo = next_of(&mut client, "snapshot").await;
    assert_eq!(stations_of(&with_putuo), ["1141A", "wusongkou"]);
    client
        .send(Message::text(
            json!({"type": "unsubscribe", "kinds": ["river"], "districts": ["putuo"]}).to_string(),
        ))
        .await
        .unwrap();
    let none = next_of(&mut client, "snapshot").await;
    assert_eq!(stations_of(&none), Vec::<String>::new());
    client
        .send(Message::text(
            json!({"type": "subscribe", "stations": ["1141A"], "districts": ["普陀区"]})
                .to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(
        stations_of(&next_of(&mut client, "snapshot").await),
        ["1141A"]
    );

    // Bad requests get an error naming the field, and the connection stays.
    client
        .send(Message::text(
            json!({"type": "subscribe", "kinds": ["lake"]}).to_string(),
        ))
        .await
        .unwrap();
    let error = next(&mut client).await;
    assert_eq!(error["type"], "error");
    assert!(
        error["message"].as_str().unwrap().contains("`kinds`"),
        "{error}"
    );
    client.send(Message::text("nonsense")).await.unwrap();
    assert_eq!(next(&mut client).await["type"], "error");

    // A subscription in the URL: no full snapshot first.
    let mut narrow = connect(system.publisher_addr, "?kind=river").await;
    assert_eq!(stations_of(&next(&mut narrow).await), ["wusongkou"]);
    let bad = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/v1/live?kind=lake",
        system.publisher_addr
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&bad, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 400),
        "{bad:?}"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn alert_notices_are_relayed_and_active_ones_kept_for_snapshots() {
    let system = TestSystem::start_publisher_only().await;
    let mqtt = Mqtt::connect(&system).await;
    let mut client = connect(system.publisher_addr, "").await;
    next_of(&mut client, "snapshot").await;
    let mut jingan_only = connect(system.publisher_addr, "?district=静安区").await;
    next_of(&mut jingan_only, "snapshot").await;

    mqtt.notice(&notice("n1", 1, "published", &["普陀区"]))
        .await;
    let relayed = next(&mut client).await;
    assert_eq!(relayed["type"], "notice");
    assert_eq!(relayed["notice"]["headline"]["zh"], "重污染天气橙色预警");
    assert!(relayed["seq"].is_u64() && relayed["epoch"].is_string());

    let mut late = connect(system.publisher_addr, "").await;
    let snapshot = next(&mut late).await;
    assert_eq!(snapshot["notices"][0]["id"], "n1");

    // The same version again (a retained message after a resubscription)
    // is not news; a cancellation is, and empties the active set.
    mqtt.notice(&notice("n1", 1, "published", &["普陀区"]))
        .await;
    mqtt.notice(&notice("n1", 2, "cancelled", &["普陀区"]))
        .await;
    let cancelled = next(&mut client).await;
    assert_eq!(
        (
            cancelled["type"].as_str(),
            cancelled["notice"]["version"].as_i64()
        ),
        (Some("notice"), Some(2))
    );
    let mut later = connect(system.publisher_addr, "").await;
    assert_eq!(next(&mut later).await["notices"], json!([]));
    // A client following only another district heard none of it.
    assert_quiet(&mut jingan_only, Duration::from_millis(300)).await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_resuming_client_gets_what_it_missed_or_a_fresh_snapshot() {
    let mut system = TestSystem::start_publisher_only().await;
    let mut settings = system.publisher_settings();
    settings.live_replay_events = 4;
    let addr = system.spawn_publisher(settings).await;
    let mqtt = Mqtt::connect(&system).await;
    let mut client = connect(addr, "").await;
    let snapshot = next(&mut client).await;
    let epoch = snapshot["epoch"].as_str().unwrap().to_owned();
    let seen = snapshot["seq"].as_u64().unwrap();
    drop(client);

    // Missed: two states of one station, one of another, and a notice.
    mqtt.live("air", "1141A", &state("1141A", "air", 30.0, 1))
        .await;
    mqtt.live("air", "1142A", &state("1142A", "air", 40.0, 1))
        .await;
    mqtt.live("air", "1141A", &state("1141A", "air", 35.0, 2))
        .await;
    mqtt.notice(&notice("n7", 1, "published", &[])).await;
    let mut watcher = connect(addr, "").await;
    wait_for("the four events", Duration::from_secs(10), || async {
        let snapshot = next(&mut connect(addr, "").await).await;
        let seq = snapshot["seq"].as_u64().unwrap();
        if seq == seen + 4 {
            Ok(())
        } else {
            Err(snapshot.to_string())
        }
    })
    .await;
    next_of(&mut watcher, "snapshot").await;

    let mut resumed = connect(addr, &format!("?resume={epoch}:{seen}")).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(next(&mut resumed).await);
    }
    let kinds: Vec<&str> = replayed
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["update", "update", "notice"], "{replayed:?}");
    assert_eq!(replayed[0]["state"]["station"], "1142A");
    assert_eq!(
        replayed[1]["state"]["readings"]["pm25"]["value"], 35.0,
        "the station's latest state, coalesced"
    );
    let seqs: Vec<u64> = replayed
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_quiet(&mut resumed, Duration::from_millis(200)).await;

    // Too far behind (the ring holds four events), another epoch, or a
    // position from the future: a fresh snapshot.
    mqtt.live("air", "1143A", &state("1143A", "air", 50.0, 1))
        .await;
    while next_of(&mut watcher, "update").await["state"]["station"] != "1143A" {}
    for position in [
        format!("{epoch}:{seen}"),
        format!("0{epoch}:{}", seen + 4),
        format!("{epoch}:{}", seen + 99),
    ] {
        let mut client = connect(addr, &format!("?resume={position}")).await;
        let first = next(&mut client).await;
        assert_eq!(first["type"], "snapshot", "resume from {position}");
        assert_eq!(first["notices"][0]["id"], "n7");
        assert_eq!(stations_of(&first).len(), 3);
    }
    system.shutdown().await;
}

/// `state` with the AQI of the hour ending at `hour`:00.
fn with_aqi(mut state: Value, hour: u32, aqi: i64) -> Value {
    state["aqi"] = json!({
        "hour_end": format!("2026-11-25T{hour:02}:00:00Z"), "edition": "HJ 633-2026",
        "aqi": aqi, "level": 2, "primary": ["pm25"],
        "report": {"aqi": aqi, "sub_indices": [{"pollutant": "pm25", "iaqi": aqi}]}
    });
    state
}

#[tokio::test]
async fn an_update_leaves_out_an_unchanged_aqi_and_a_resume_gets_it_whole() {
    let system = TestSystem::start_publisher_only().await;
    let mqtt = Mqtt::connect(&system).await;
    let mut client = connect(system.publisher_addr, "").await;
    let snapshot = next(&mut client).await;
    let epoch = snapshot["epoch"].as_str().unwrap().to_owned();
    let seen = snapshot["seq"].as_u64().unwrap();

    let first = with_aqi(state("1141A", "air", 30.0, 1), 10, 62);
    mqtt.live("air", "1141A", &first).await;
    let update = next_of(&mut client, "update").await;
    assert_eq!(update["state"]["aqi"]["aqi"], 62, "a new station: whole");
    assert!(update.get("unchanged").is_none(), "{update}");

    let same_hour = with_aqi(state("1141A", "air", 33.0, 2), 10, 62);
    mqtt.live("air", "1141A", &same_hour).await;
    let update = next_of(&mut client, "update").await;
    assert_eq!(update["state"]["readings"]["pm25"]["value"], 33.0);
    assert!(update["state"].get("aqi").is_none(), "{update}");
    assert_eq!(update["unchanged"], json!(["aqi"]));

    let next_hour = with_aqi(state("1141A", "air", 35.0, 3), 11, 70);
    mqtt.live("air", "1141A", &next_hour).await;
    let update = next_of(&mut client, "update").await;
    assert_eq!(
        update["state"]["aqi"]["aqi"], 70,
        "a new hour: the new block"
    );
    assert!(update.get("unchanged").is_none(), "{update}");
    let newest = update["seq"].as_u64().unwrap();
    let same_again = with_aqi(state("1141A", "air", 36.0, 4), 11, 70);
    mqtt.live("air", "1141A", &same_again).await;
    assert_eq!(
        next_of(&mut client, "update").await["unchanged"],
        json!(["aqi"])
    );

    // A resume from before all four: the one coalesced update, whole,
    // although its usual form leaves the AQI out.
    let mut resumed = connect(system.publisher_addr, &format!("?resume={epoch}:{seen}")).await;
    let replayed = next(&mut resumed).await;
    assert_eq!(replayed["type"], "update");
    assert!(replayed["seq"].as_u64().unwrap() > newest);
    assert_eq!(replayed["state"]["readings"]["pm25"]["value"], 36.0);
    assert_eq!(replayed["state"]["aqi"]["aqi"], 70, "{replayed}");
    assert!(replayed.get("unchanged").is_none(), "{replayed}");
    system.shutdown().await;
}

/// A WebSocket client whose socket takes almost nothing until it reads.
async fn stalled_client(addr: SocketAddr) -> LiveClient {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let url = format!("ws://{addr}/api/v1/live");
    tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .unwrap()
        .0
}

/// A state padded with corrections to about 6 KB, as a large commit's update is.
fn big_state(station: &str, value: f64, minute: u32) -> Value {
    let mut payload = state(station, "air", value, minute);
    payload["revisions"] = (0..60)
        .map(|i| {
            json!({"parameter": "pm10", "observed_at": format!("2026-11-24T{:02}:{:02}:00Z", i / 60, i % 60),
                   "value": f64::from(i), "quality": "valid"})
        })
        .collect();
    payload
}

#[tokio::test]
async fn a_slow_client_is_disconnected_and_never_delays_the_others() {
    let mut system = TestSystem::start_publisher_only().await;
    let mut settings = system.publisher_settings();
    settings.live_max_lag = Duration::from_millis(800);
    settings.write_timeout = Duration::from_secs(2);
    settings.socket_send_buffer_bytes = 16 * 1024;
    let addr = system.spawn_publisher(settings).await;
    let mqtt = Mqtt::connect(&system).await;
    let mut fast = connect(addr, "").await;
    next(&mut fast).await;
    let mut slow = stalled_client(addr).await;

    // Act: 20 stations, a round every 100 ms for 3 s; the fast client
    // reads as it goes and notes how late each round's last update is.
    let stations: Vec<String> = (0..20).map(|i| format!("S{i:02}")).collect();
    let mut worst = Duration::ZERO;
    for round in 0..30u32 {
        let sent = Instant::now();
        for station in &stations {
            mqtt.live("air", station, &big_state(station, f64::from(round), round))
                .await;
        }
        loop {
            let message = next_json(&mut fast, Duration::from_secs(5)).await;
            if message["state"]["station"] == "S19"
                && message["state"]["readings"]["pm25"]["value"] == f64::from(round)
            {
                break;
            }
        }
        worst = worst.max(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(sent.elapsed())).await;
    }
    assert!(
        worst < Duration::from_secs(1),
        "the fast client waited {worst:?} for a round"
    );

    // Assert: the slow client, reading at last, finds its stream ended,
    // with the close reason when the close frame could still be sent.
    let mut frames = 0;
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Text(_))) => frames += 1,
                Some(Ok(Message::Close(close))) => return close,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the slow client is disconnected");
    assert!(frames < 600, "the slow client got all {frames} updates");
    if let Some(close) = ended {
        assert_eq!(close.code, CloseCode::Policy);
        assert_eq!(close.reason.as_str(), "client too slow");
    }
    system.shutdown().await;
}

#[tokio::test]
async fn pings_keep_a_client_alive_and_a_silent_one_is_closed() {
    let mut system = TestSystem::start_publisher_only().await;
    let mut settings = system.publisher_settings();
    settings.ping_interval = Duration::from_millis(200);
    settings.idle_timeout = Duration::from_secs(1);
    let addr = system.spawn_publisher(settings).await;

    let mut silent = raw_websocket(addr).await;
    let mut alive = connect(addr, "").await;
    // Reading answers pings (tungstenite replies with pongs as it reads).
    let started = Instant::now();
    let mut pings = 0;
    while started.elapsed() < Duration::from_secs(2) {
        match tokio::time::timeout(Duration::from_millis(500), alive.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(Some(Ok(Message::Close(close)))) => panic!("a live client was closed: {close:?}"),
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert!(pings >= 5, "{pings} pings in 2 s");

    // A client's ping is answered with its payload, in order with the
    // stream; a client's close with a close frame.
    alive
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    let pong = loop {
        match next_frame(&mut alive).await {
            Message::Pong(payload) => break payload,
            Message::Ping(_) => {}
            other => panic!("expected a pong, got {other:?}"),
        }
    };
    assert_eq!(&pong[..], b"are you there");
    alive.send(Message::Close(None)).await.unwrap();
    let closed = loop {
        match next_frame(&mut alive).await {
            Message::Close(close) => break close,
            Message::Ping(_) => {}
            other => panic!("expected the close answer, got {other:?}"),
        }
    };
    assert_eq!(closed.map(|c| c.code), Some(CloseCode::Normal));

    // The silent client never answered: its stream ends with the close
    // frame, code 1001 and the reason.
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut bytes))
        .await
        .expect("the silent client is closed")
        .unwrap();
    let mut close = vec![0x88, 2 + 12, 0x03, 0xE9];
    close.extend_from_slice(b"idle timeout");
    assert!(
        bytes.windows(close.len()).any(|w| w == close),
        "no close frame in {bytes:?}"
    );
    system.shutdown().await;
}

/// A WebSocket opened by hand that never reads or answers, so its bytes
/// can be checked as they came.
async fn raw_websocket(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/v1/live HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

#[tokio::test]
async fn oversized_messages_and_excess_connections_are_refused() {
    let mut system = TestSystem::start_publisher_only().await;
    let mut settings = system.publisher_settings();
    settings.max_client_message_bytes = 1024;
    settings.max_live_clients_per_address = 2;
    let addr = system.spawn_publisher(settings).await;

    let mut first = connect(addr, "").await;
    next(&mut first).await;
    let _second = connect(addr, "").await;
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/live"))
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));

    let stations: Vec<String> = (0..200).map(|i| format!("S{i:03}")).collect();
    first
        .send(Message::text(
            json!({"type": "subscribe", "stations": stations}).to_string(),
        ))
        .await
        .unwrap();
    let close = loop {
        if let Message::Close(close) = next_frame(&mut first).await {
            break close.unwrap();
        }
    };
    assert_eq!(
        (close.code, close.reason.as_str()),
        (CloseCode::Size, "message too big")
    );
    drop(first);
    // The slot comes back.
    wait_for("a free slot", Duration::from_secs(5), || async {
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/live"))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await;
    system.shutdown().await;
}

async fn next_frame(client: &mut LiveClient) -> Message {
    tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("a frame in time")
        .expect("open")
        .unwrap()
}

/// A minimal EventSource: one GET, then events as they come.
struct Sse {
    stream: TcpStream,
    /// Body bytes read, de-chunked.
    body: Vec<u8>,
    raw: Vec<u8>,
}

/// One Server-Sent Event.
#[derive(Debug)]
struct SseEvent {
    id: Option<String>,
    data: String,
}

impl Sse {
    async fn open(addr: SocketAddr, query: &str, last_event_id: Option<&str>) -> (u16, Self) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let header = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET /api/v1/live/sse{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{header}\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut sse = Self {
            stream,
            body: Vec::new(),
            raw: Vec::new(),
        };
        let head = loop {
            if let Some(end) = sse.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(sse.raw[..end].to_vec()).unwrap();
                sse.raw.drain(..end + 4);
                break head;
            }
            sse.read_more().await;
        };
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        assert!(
            status != 200
                || head
                    .to_lowercase()
                    .contains("content-type: text/event-stream"),
            "{head}"
        );
        (status, sse)
    }

    async fn read_more(&mut self) {
        let mut buf = [0u8; 16 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut buf))
            .await
            .expect("SSE data in time")
            .unwrap();
        assert!(n > 0, "the event stream ended");
        self.raw.extend_from_slice(&buf[..n]);
    }

    /// Moves complete chunks from `raw` to `body`.
    fn dechunk(&mut self) {
        while let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(
                std::str::from_utf8(&self.raw[..line_end]).unwrap().trim(),
                16,
            )
            .unwrap();
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            self.body
                .extend_from_slice(&self.raw[line_end + 2..line_end + 2 + size]);
            self.raw.drain(..line_end + 2 + size + 2);
        }
    }

    async fn next_event(&mut self) -> SseEvent {
        loop {
            self.dechunk();
            if let Some(end) = self.body.windows(2).position(|w| w == b"\n\n") {
                let block = String::from_utf8(self.body[..end].to_vec()).unwrap();
                self.body.drain(..end + 2);
                let mut event = SseEvent {
                    id: None,
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.to_owned());
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data.push_str(data);
                    }
                }
                if !event.data.is_empty() {
                    return event;
                }
                continue;
            }
            self.read_more().await;
        }
    }
}

#[tokio::test]
async fn sse_streams_the_same_messages_and_resumes_from_last_event_id() {
    let system = TestSystem::start_publisher_only().await;
    let mqtt = Mqtt::connect(&system).await;
    let addr = system.publisher_addr;
    let mut ws = connect(addr, "?kind=air").await;
    next(&mut ws).await;
    let (status, mut sse) = Sse::open(addr, "?kind=air", None).await;
    assert_eq!(status, 200);
    let snapshot = sse.next_event().await;
    let message: Value = serde_json::from_str(&snapshot.data).unwrap();
    assert_eq!(message["type"], "snapshot");
    assert_eq!(
        snapshot.id.as_deref().unwrap(),
        format!("{}:{}", message["epoch"].as_str().unwrap(), message["seq"])
    );

    mqtt.live("air", "1141A", &state("1141A", "air", 30.0, 1))
        .await;
    let over_sse = sse.next_event().await;
    let Message::Text(over_ws) = next_frame(&mut ws).await else {
        panic!("a text frame")
    };
    assert_eq!(over_sse.data, over_ws.as_str(), "the same bytes on both");
    let last_id = over_sse.id.unwrap();
    drop(sse);

    mqtt.live("river", "wusongkou", &state("wusongkou", "river", 1.0, 1))
        .await;
    mqtt.live("air", "1142A", &state("1142A", "air", 40.0, 1))
        .await;
    next_frame(&mut ws).await;
    let (_, mut resumed) = Sse::open(addr, "?kind=air", Some(&last_id)).await;
    let missed: Value = serde_json::from_str(&resumed.next_event().await.data).unwrap();
    assert_eq!(
        (missed["type"].as_str(), missed["state"]["station"].as_str()),
        (Some("update"), Some("1142A")),
        "the air update it missed, and not the river one"
    );

    let (status, _) = Sse::open(addr, "", Some("garbage")).await;
    assert_eq!(status, 400);
    system.shutdown().await;
}

#[tokio::test]
async fn two_publishers_on_one_broker_serve_identical_streams() {
    let mut system = TestSystem::start_publisher_only().await;
    let second = system.spawn_publisher(system.publisher_settings()).await;
    let mqtt = Mqtt::connect(&system).await;
    let mut one = connect(system.publisher_addr, "").await;
    let mut two = connect(second, "").await;
    let first_one = next(&mut one).await;
    let first_two = next(&mut two).await;
    assert_ne!(
        first_one["epoch"], first_two["epoch"],
        "each server its own epoch"
    );

    // One event at a time (a burst would be coalesced, each server
    // choosing by its own timing), each read from both servers.
    let strip = |mut message: Value| {
        message.as_object_mut().unwrap().remove("epoch");
        message
    };
    for i in 0..10u32 {
        let station = ["1141A", "1142A", "wusongkou"][i as usize % 3];
        let kind = if station == "wusongkou" {
            "river"
        } else {
            "air"
        };
        if i == 5 {
            mqtt.notice(&notice("n9", 1, "published", &["普陀区"]))
                .await;
        } else {
            mqtt.live(kind, station, &state(station, kind, f64::from(i), i))
                .await;
        }
        let a = strip(next(&mut one).await);
        let b = strip(next(&mut two).await);
        assert_eq!(a, b, "event {i}");
        assert_eq!(a["seq"], i + 1);
    }
    system.shutdown().await;
}

#[tokio::test]
async fn the_snapshot_over_http_is_compressed_and_a_socket_resumes_after_it() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let mqtt = Mqtt::connect(&system).await;
    for (i, station) in ["1141A", "1142A", "1143A"].into_iter().enumerate() {
        let minute = u32::try_from(i).unwrap();
        mqtt.live("air", station, &state(station, "air", 40.0, minute))
            .await;
    }
    wait_for(
        "the three states in the snapshot over HTTP",
        Duration::from_secs(10),
        || async {
            let body = http::get(addr, "/api/v1/live/snapshot")
                .await
                .unwrap()
                .json();
            let n = body["stations"].as_array().map_or(0, Vec::len);
            if n == 3 { Ok(()) } else { Err(n.to_string()) }
        },
    )
    .await;

    let plain = http::get(addr, "/api/v1/live/snapshot").await.unwrap();
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("cache-control"), Some("no-store"));
    let snapshot = plain.json();
    assert_eq!(snapshot["type"], "snapshot");
    // The same message a socket starts with.
    let mut socket = connect(addr, "").await;
    assert_eq!(next(&mut socket).await, snapshot);
    let gzipped = http::get_bytes(
        addr,
        "/api/v1/live/snapshot",
        &[("Accept-Encoding", "gzip")],
    )
    .await
    .unwrap();
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert!(gzipped.body.len() < plain.body.len() / 2);

    // A socket opened from it gets no snapshot again, only what follows.
    let epoch = snapshot["epoch"].as_str().unwrap();
    let seq = snapshot["seq"].as_u64().unwrap();
    let mut resumed = connect(addr, &format!("?resume={epoch}:{seq}")).await;
    assert_quiet(&mut resumed, Duration::from_millis(300)).await;
    mqtt.live("air", "1141A", &state("1141A", "air", 55.0, 9))
        .await;
    let update = next(&mut resumed).await;
    assert_eq!(update["type"], "update");
    assert_eq!(update["seq"].as_u64(), Some(seq + 1));

    // A narrow one, and what is refused.
    let air = http::get(addr, "/api/v1/live/snapshot?station=1142A")
        .await
        .unwrap()
        .json();
    assert_eq!(air["stations"].as_array().map(Vec::len), Some(1));
    for bad in ["?kind=lake", "?resume=abc:1", "?seq=1"] {
        let answer = http::get(addr, &format!("/api/v1/live/snapshot{bad}"))
            .await
            .unwrap();
        assert_eq!(answer.status, 400, "{bad}");
    }
    system.shutdown().await;
}
