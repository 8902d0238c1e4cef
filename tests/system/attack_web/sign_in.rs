//! Sign-in under attack: a flood of wrong passwords against one account and
//! many while the open API is timed; one answer, in one time, for unknown,
//! wrong and disabled; the per-address limit, an IPv6 /64 counting as one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use envmon_publisher::settings::Network;
use envmon_publisher::staff::{Role, disable_user};

use super::{cookie_pair, login_from, set_cookies, sign_in_from};
use crate::helpers::TestSystem;
use crate::helpers::http::{Response, send};
use crate::helpers::staff::{self, PASSWORD};

const WRONG: &str = "wrong password!!";

/// Trusting the test's own address as a proxy lets each request name its
/// client in `X-Forwarded-For`, as clients all over the internet would be.
fn behind_proxy(system: &TestSystem) -> envmon_publisher::Settings {
    let mut settings = system.publisher_settings();
    settings.trusted_proxies = vec![Network::try_from("127.0.0.1".to_owned()).unwrap()];
    settings
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    percentile(&values, 0.5)
}

/// One request to the open API from one of a few visitors' addresses: a
/// list read from the database every time, or a station's latest state.
async fn probe(addr: std::net::SocketAddr, n: usize) -> (Duration, u16) {
    let path = if n.is_multiple_of(2) {
        "/api/v1/alerts"
    } else {
        "/api/v1/stations/1141A/latest"
    };
    let visitor = format!("198.51.100.{}", 20 + n % 8);
    let started = Instant::now();
    let response = send(addr, "GET", path, &[("X-Forwarded-For", &visitor)], None).await;
    (started.elapsed(), response.status)
}

/// Runs `work` on a thread and runtime of its own, as a separate client
/// machine would: the test's clients never slow the server's runtime, nor
/// the probes the flood.
fn on_own_thread<T, F>(work: impl FnOnce() -> F + Send + 'static) -> std::thread::JoinHandle<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(work())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_leaves_the_open_api_fast_and_the_right_password_still_gets_in() {
    let mut system = TestSystem::start().await;
    for (name, role) in [
        ("target", Role::Approver),
        ("bystander", Role::Approver),
        ("spare", Role::Operator),
    ] {
        staff::add(&system.db, name, role).await;
    }
    let mut settings = behind_proxy(&system);
    settings.staff.login_delay = Duration::from_millis(500);
    settings.staff.login_max_delay = Duration::from_secs(2);
    // One database connection, and one password check at a time (the
    // default on two cores): if a check held the connection, the probes,
    // which need the database, would queue behind every sign-in of the
    // flood.
    settings.database.max_connections = 1;
    settings.staff.login_concurrency = 1;
    let addr = system.spawn_publisher(settings).await;

    // Before: the target signs in once from their browser, which the
    // account then knows; and the open API's usual latency.
    let first = sign_in_from(addr, "198.51.100.10", "target").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let known_browser = cookie_pair(&first, "envmon_browser").expect("a known-browser cookie");
    let mut baseline = on_own_thread(move || async move {
        let mut latencies = Vec::new();
        for n in 0..40 {
            let (latency, status) = probe(addr, n).await;
            assert_eq!(status, 200);
            latencies.push(latency);
        }
        latencies
    })
    .join()
    .unwrap();
    baseline.sort();

    // A password check holds no database connection. Twelve wrong sign-ins
    // at once on a publisher that lets them all check together (on two
    // cores) take several checks' time, however fast one is; a request
    // that needs the pool's only connection, sent just after them, is
    // answered long before they are all done. Were a check to hold the
    // connection, the sign-ins would take it one after another and the
    // request would queue behind them all.
    let mut parallel = behind_proxy(&system);
    parallel.database.max_connections = 1;
    parallel.staff.login_concurrency = 12;
    let parallel_addr = system.spawn_publisher(parallel).await;
    const QUEUED: usize = 12;
    for round in 0..3 {
        let logins: Vec<_> = (0..QUEUED)
            .map(|i| {
                on_own_thread(move || async move {
                    let started = Instant::now();
                    let ip = format!("192.0.2.{}", 50 + round * QUEUED + i);
                    let name = format!("ghost-check-{round}-{i}");
                    let response = login_from(parallel_addr, &ip, &name, WRONG, None).await;
                    (started.elapsed(), response.status)
                })
            })
            .collect();
        let probing = on_own_thread(move || async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let (latency, status) = probe(parallel_addr, 0).await;
            (Duration::from_millis(20) + latency, status)
        });
        let (probe_done, probe_status) =
            tokio::task::spawn_blocking(move || probing.join().unwrap())
                .await
                .unwrap();
        let mut all_done = Duration::ZERO;
        for login in logins {
            let (took, status) = tokio::task::spawn_blocking(move || login.join().unwrap())
                .await
                .unwrap();
            assert_eq!(status, 401);
            all_done = all_done.max(took);
        }
        assert_eq!(probe_status, 200);
        // Queued behind the checks, the request would be answered with the last
        // of them; it must come before. No ratio: the probe's own work slows
        // too when the checks fill both cores, and more so when other tests
        // share the machine.
        assert!(
            probe_done < all_done,
            "a request needing the database waited for password checks: answered after \
             {probe_done:?}, the {QUEUED} queued sign-ins took {all_done:?}"
        );
    }

    // The flood: 600 wrong sign-ins at once, each from an address of its
    // own (a /64 each), half against the target, the rest against many
    // names, real and not.
    const FLOOD: usize = 600;
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let flood = {
        let done = Arc::clone(&done);
        on_own_thread(move || async move {
            let tasks: Vec<_> = (0..FLOOD)
                .map(|i| {
                    let name = match i % 4 {
                        0 | 1 => "target".to_owned(),
                        2 => "spare".to_owned(),
                        _ => format!("ghost{i}"),
                    };
                    let ip = format!("2001:db8:{:x}:{:x}::1", i / 256 + 1, i % 256);
                    let done = Arc::clone(&done);
                    tokio::spawn(async move {
                        let response = login_from(addr, &ip, &name, WRONG, None).await;
                        done.fetch_add(1, Ordering::Relaxed);
                        (name, response)
                    })
                })
                .collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.unwrap());
            }
            results
        })
    };

    // During it: the open API, timed, and the target from their known
    // browser with the right password.
    let probing = {
        let done = Arc::clone(&done);
        on_own_thread(move || async move {
            let mut latencies = Vec::new();
            let mut known_signed_in = None;
            let mut n = 0;
            while done.load(Ordering::Relaxed) < FLOOD {
                let (latency, status) = probe(addr, n).await;
                assert_eq!(status, 200, "the open API failed during the flood");
                latencies.push(latency);
                if n == 5 {
                    let response = login_from(
                        addr,
                        "198.51.100.10",
                        "target",
                        PASSWORD,
                        Some(&known_browser),
                    )
                    .await;
                    known_signed_in = Some((response.status, response.body));
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                assert!(
                    started.elapsed() < Duration::from_secs(90),
                    "the flood never ended"
                );
            }
            (latencies, known_signed_in)
        })
    };
    let results = flood.join().unwrap();
    let flood_time = started.elapsed();
    let (mut during, known_signed_in) = probing.join().unwrap();
    let mut checked_target = 0;
    let mut outcomes = std::collections::BTreeMap::<u16, usize>::new();
    for (name, response) in results {
        let response: Response = response;
        *outcomes.entry(response.status).or_default() += 1;
        assert!(
            matches!(response.status, 401 | 429),
            "a wrong password got {}: {}",
            response.status,
            response.body
        );
        assert!(set_cookies(&response).is_empty());
        if response.status == 429 {
            let wait: u64 = response.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=2).contains(&wait), "Retry-After {wait}");
        }
        if name == "target" && response.status == 401 {
            checked_target += 1;
        }
    }
    during.sort();
    println!(
        "login flood: {FLOOD} wrong sign-ins in {flood_time:?}, outcomes {outcomes:?}, \
         target's password checked {checked_target} times; open API p50/p99/max \
         before {:?}/{:?}/{:?}, during {:?}/{:?}/{:?} ({} probes)",
        percentile(&baseline, 0.5),
        percentile(&baseline, 0.99),
        baseline[baseline.len() - 1],
        percentile(&during, 0.5),
        percentile(&during, 0.99),
        during[during.len() - 1],
        during.len()
    );

    // The open API stayed fast.
    assert!(during.len() >= 5, "the flood was too short to measure");
    assert!(
        percentile(&during, 0.99) < Duration::from_millis(1000),
        "open API p99 during the flood: {:?}",
        percentile(&during, 0.99)
    );
    // Parallel attempts on one name did not each get a check: the five
    // free ones, then one per delay (0.5 s, 1 s, then 2 s at most).
    let bound = 5 + 2 + flood_time.as_secs() as usize / 2 + 1;
    assert!(
        checked_target <= bound,
        "{checked_target} checks of the target's password in {flood_time:?} (bound {bound})"
    );
    let audited = system
        .db
        .count(
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND subject = 'target'",
        )
        .await;
    assert_eq!(
        audited, checked_target as i64,
        "every check is in the audit log"
    );

    // The owner got in during the flood from their known browser.
    let (status, body) = known_signed_in.expect("the flood outlasted five probes");
    assert_eq!(status, 200, "the known browser was kept out: {body}");
    // Another account was never touched.
    let other = sign_in_from(addr, "198.51.100.11", "bystander").await;
    assert_eq!(other.status, 200, "{}", other.body);
    // From a new browser, the target waits out the delay it was told, at
    // most the longest delay, and then the right password gets in.
    let waited = Instant::now();
    let mut response = sign_in_from(addr, "198.51.100.12", "target").await;
    for _ in 0..3 {
        if response.status != 429 {
            break;
        }
        let wait: u64 = response.header("retry-after").unwrap().parse().unwrap();
        assert!(wait <= 2, "a wait longer than login_max_delay: {wait}");
        tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(50)).await;
        response = sign_in_from(addr, "198.51.100.12", "target").await;
    }
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(waited.elapsed() < Duration::from_secs(5));
    system.shutdown().await;
}

#[tokio::test]
async fn unknown_wrong_and_disabled_get_one_answer_in_one_time() {
    let mut system = TestSystem::start().await;
    staff::add(&system.db, "wendy", Role::Operator).await;
    staff::add(&system.db, "dora", Role::Operator).await;
    {
        let pool = system.db.settings().pool().unwrap();
        let mut client = pool.get().await.unwrap();
        disable_user(&mut client, "test", "dora").await.unwrap();
    }
    let addr = system.spawn_publisher(behind_proxy(&system)).await;
    let kinds = [
        ("wendy", WRONG),
        ("nobody-here", PASSWORD),
        ("dora", PASSWORD),
    ];
    let mut times = vec![Vec::new(); kinds.len()];
    let mut bodies = Vec::new();
    for round in 0..5 {
        for (k, (name, password)) in kinds.iter().enumerate() {
            let ip = format!("203.0.113.{}", 10 * round + k);
            let started = Instant::now();
            let response = login_from(addr, &ip, name, password, None).await;
            times[k].push(started.elapsed());
            assert_eq!(response.status, 401, "{name}: {}", response.body);
            assert!(set_cookies(&response).is_empty());
            bodies.push(response.body);
        }
    }
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "the answers differ: {bodies:?}"
    );
    let medians: Vec<Duration> = times.iter().cloned().map(median).collect();
    println!(
        "sign-in refusals, median time: wrong {:?}, unknown {:?}, disabled {:?}",
        medians[0], medians[1], medians[2]
    );
    for (k, m) in medians.iter().enumerate() {
        // Each ran argon2, and none is told apart by its time: an answer
        // without a check would take a few milliseconds against a hundred
        // or more; the bound leaves room for a loaded machine.
        let ratio = m.as_secs_f64() / medians[0].as_secs_f64();
        assert!(
            (1.0 / 3.0..=3.0).contains(&ratio),
            "{} takes {m:?} against {:?} for a wrong password",
            kinds[k].0,
            medians[0]
        );
    }

    // Past the free attempts, every one waits, with the same answer, and
    // fast: no password is checked.
    let mut waits = Vec::new();
    let mut wait_times = Vec::new();
    for (k, (name, password)) in kinds.iter().enumerate() {
        let started = Instant::now();
        let response = login_from(
            addr,
            &format!("203.0.113.{}", 100 + k),
            name,
            password,
            None,
        )
        .await;
        wait_times.push(started.elapsed());
        assert_eq!(response.status, 429, "{name}: {}", response.body);
        waits.push((
            response.header("retry-after").map(str::to_owned),
            response.body,
        ));
    }
    assert!(waits.iter().all(|w| *w == waits[0]), "{waits:?}");
    assert!(median(wait_times) < medians[0] / 2);

    // And after the wait the right password gets in.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ok = sign_in_from(addr, "203.0.113.200", "wendy").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    system.shutdown().await;
}

#[tokio::test]
async fn one_address_is_limited_and_ipv6_counts_by_its_64() {
    let mut system = TestSystem::start().await;
    staff::add(&system.db, "una", Role::Operator).await;
    let mut settings = behind_proxy(&system);
    settings.staff.login_burst = 3;
    settings.staff.login_attempts_per_minute = 6;
    let addr = system.spawn_publisher(settings).await;

    // Three addresses of one /64 share one budget of three.
    for (i, ip) in ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:abcd::3"]
        .iter()
        .enumerate()
    {
        let response = login_from(addr, ip, &format!("probe{i}"), WRONG, None).await;
        assert_eq!(response.status, 401, "{ip}: {}", response.body);
    }
    let limited = login_from(
        addr,
        "2001:db8:7:1:ffff:ffff:ffff:ffff",
        "una",
        PASSWORD,
        None,
    )
    .await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "Retry-After {wait}");
    assert!(
        limited.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many sign-in attempts")
    );
    // The next /64 has a budget of its own; so has an IPv4 address.
    let next = login_from(addr, "2001:db8:7:2::1", "una", PASSWORD, None).await;
    assert_eq!(next.status, 200, "{}", next.body);
    for i in 0..3 {
        let response = login_from(addr, "192.0.2.7", &format!("v4probe{i}"), WRONG, None).await;
        assert_eq!(response.status, 401);
    }
    let v4 = login_from(addr, "192.0.2.7", "una", PASSWORD, None).await;
    assert_eq!(v4.status, 429, "{}", v4.body);
    assert!(v4.header("retry-after").is_some());
    system.shutdown().await;
}
