//! Subscriptions end to end, against real parts: a real SMTP server
//! (Debian's aiosmtpd, started here on a free port) receiving the opt-in and
//! the notice; a local HTTP receiver checking webhook signatures; a local
//! endpoint speaking RFC 8030 whose bodies are decrypted by Python's
//! `cryptography` with the browser's private key, so our RFC 8291 code is not
//! the only judge of itself. Faults: the SMTP server down then up, a webhook
//! answering 500 then 200, the publisher killed mid-batch.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::helpers::http::send;
use crate::helpers::process::free_addr;
use crate::helpers::subscribers::{
    Receiver, SmtpServer, body, browser_keys, decrypt_as_browser, delivery_settings, header,
    issue_notice, issue_notice_by, link_path, scratch_dir, signature_is_valid, subscribe,
};
use crate::helpers::{TestSystem, wait_for};

#[tokio::test]
async fn an_email_subscriber_confirms_then_gets_the_notice_with_one_click_unsubscribe() {
    // Arrange: the SMTP server is down when the subscriber signs up.
    let dir = scratch_dir();
    let smtp_port = free_addr().port();
    let settings = delivery_settings(&dir, Some(smtp_port));
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "email", "address": "Ann@Example.org", "topic": "notices",
            "area": "pudong", "language": "en" }),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert!(
        answer.json().get("unsubscribe_url").is_none(),
        "no link before the mailbox is proven"
    );
    wait_for("a failed attempt at the opt-in", Duration::from_secs(10), || async {
        let failed = system
            .db
            .count("SELECT count(*) FROM delivery WHERE attempts >= 1 AND last_error IS NOT NULL AND state = 'pending'")
            .await;
        if failed == 1 { Ok(()) } else { Err(format!("{failed} rows")) }
    })
    .await;

    // Act: the server comes up; the retry delivers the opt-in.
    let mail = SmtpServer::start(smtp_port, &dir.join("maildir"));
    let opt_in = wait_for("the opt-in message", Duration::from_secs(15), || async {
        mail.messages()
            .pop()
            .ok_or_else(|| "nothing yet".to_owned())
    })
    .await;
    assert!(
        header(&opt_in, "Subject").unwrap().contains("confirm"),
        "{opt_in}"
    );
    assert!(
        header(&opt_in, "List-Unsubscribe").is_none(),
        "nothing to stop before opting in"
    );
    let confirm = link_path(&body(&opt_in), "http");
    assert!(
        confirm.starts_with("/api/v1/subscriptions/confirm?token="),
        "{confirm}"
    );
    let confirmed = send(system.publisher_addr, "GET", &confirm, &[], None).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM subscription WHERE state = 'active'")
            .await,
        1
    );

    // A notice naming Pudong reaches the subscriber, with the reason and the one-click link.
    issue_notice(&system, "Orange alert for Pudong").await;
    let notice = wait_for("the notice message", Duration::from_secs(15), || async {
        mail.messages()
            .into_iter()
            .find(|m| header(m, "Subject").is_some_and(|s| s.contains("Orange alert for Pudong")))
            .ok_or_else(|| format!("{} messages", mail.messages().len()))
    })
    .await;
    assert_eq!(header(&notice, "To").as_deref(), Some("ann@example.org"));
    assert_eq!(
        header(&notice, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = header(&notice, "List-Unsubscribe").unwrap();
    let unsubscribe = link_path(&unsubscribe, "http");
    let text = body(&notice);
    assert!(
        text.contains(
            "You receive this because you subscribed to air quality notices for Pudong New Area."
        ),
        "{text}"
    );
    assert_eq!(mail.messages().len(), 2, "one opt-in, one notice");

    // A GET of the link changes nothing (link scanners); the one-click POST deletes it all.
    let page = send(system.publisher_addr, "GET", &unsubscribe, &[], None).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        system.db.count("SELECT count(*) FROM subscription").await,
        1
    );
    let gone = send(
        system.publisher_addr,
        "POST",
        &unsubscribe,
        &[],
        Some("List-Unsubscribe=One-Click"),
    )
    .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(
        system.db.count("SELECT count(*) FROM subscription").await,
        0
    );
    assert_eq!(
        system.db.count("SELECT count(*) FROM delivery").await,
        0,
        "deleted with it"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------
// Webhooks

#[tokio::test]
async fn a_webhook_passes_its_challenge_and_gets_a_signed_event_retried_after_a_500() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let dir = scratch_dir();
    let settings = delivery_settings(&dir, None);
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;

    // A URL that does not answer its challenge is refused.
    let refused = subscribe(
        &system,
        serde_json::json!({ "channel": "webhook", "address": format!("http://127.0.0.1:{}/none", free_addr().port()),
            "topic": "notices", "area": "shanghai", "language": "zh" }),
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);

    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/hook"),
            "topic": "notices", "area": "shanghai", "language": "zh" }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let secret = answer.json()["secret"].as_str().unwrap().to_owned();
    let challenge = receiver.received.lock().unwrap()[0].clone();
    assert!(
        signature_is_valid(&challenge, &secret),
        "the challenge is signed too"
    );

    // The first event is answered 500, the retry 200.
    receiver.statuses.lock().unwrap().push_back(500);
    let (notice, approver) = issue_notice_by(&system, "Citywide alert").await;
    let events = wait_for(
        "the event and its retry",
        Duration::from_secs(15),
        || async {
            let events = receiver.events();
            if events.len() >= 2 {
                Ok(events)
            } else {
                Err(format!("{} events", events.len()))
            }
        },
    )
    .await;
    wait_for("the delivery recorded", Duration::from_secs(5), || async {
        let delivered = system
            .db
            .count("SELECT count(*) FROM delivery WHERE state = 'delivered' AND attempts = 2")
            .await;
        if delivered == 1 {
            Ok(())
        } else {
            Err(format!("{delivered}"))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let events = if receiver.events().len() > events.len() {
        receiver.events()
    } else {
        events
    };
    assert_eq!(events.len(), 2, "delivered once after the 500: {events:?}");
    assert_eq!(
        events[0].headers["webhook-id"], events[1].headers["webhook-id"],
        "one idempotency key"
    );
    for event in &events {
        assert!(signature_is_valid(event, &secret), "{event:?}");
        let body: serde_json::Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(body["type"], "notice");
        assert_eq!(body["data"]["headline"], "重污染天气橙色预警");
        assert!(
            body["reason"].as_str().unwrap().contains("预警公告"),
            "{body}"
        );
    }
    // Operators see both outcomes counted.
    let metrics = envmon_publisher::metrics::render();
    for outcome in ["retry", "delivered"] {
        let series =
            format!("envmon_delivery_attempts_total{{channel=\"webhook\",outcome=\"{outcome}\"}}");
        assert!(metrics.contains(&series), "{series} missing");
    }
    // A forged signature would not verify.
    let mut forged = events[0].clone();
    forged.body.push(b' ');
    assert!(!signature_is_valid(&forged, &secret));

    // The cancellation is a message of its own.
    let cancelled = approver
        .call(
            "POST",
            &format!("/api/v1/staff/notices/{notice}/cancel"),
            Some("{}"),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let cancellation = wait_for("the cancellation", Duration::from_secs(15), || async {
        receiver
            .events()
            .into_iter()
            .map(|e| serde_json::from_slice::<serde_json::Value>(&e.body).unwrap())
            .find(|body| body["data"]["status"] == "cancelled")
            .ok_or_else(|| "not yet".to_owned())
    })
    .await;
    assert!(
        cancellation["subject"]
            .as_str()
            .unwrap()
            .starts_with("解除："),
        "{cancellation}"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn webhook_urls_on_private_addresses_are_refused_unless_allowed() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let mut settings = delivery_settings(&scratch_dir(), None);
    settings.allow_private_addresses = false;
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    for url in [
        format!("https://{addr}/hook"),
        format!("https://localhost:{}/hook", addr.port()),
    ] {
        let refused = subscribe(
            &system,
            serde_json::json!({ "channel": "webhook", "address": url, "topic": "notices",
                "area": "shanghai", "language": "en" }),
        )
        .await;
        assert_eq!(refused.status, 400, "{url}: {}", refused.body);
        assert!(refused.body.contains("private"), "{}", refused.body);
    }
    assert!(
        receiver.received.lock().unwrap().is_empty(),
        "nothing reached the address"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------
// Web Push

#[tokio::test]
async fn a_push_subscription_gets_a_payload_only_its_browser_can_decrypt() {
    let push_service = Receiver::default();
    let addr = push_service.start().await;
    let system = TestSystem::start_publisher_only_with(|s| {
        s.delivery = delivery_settings(&scratch_dir(), None)
    })
    .await;
    let options = send(
        system.publisher_addr,
        "GET",
        "/api/v1/subscriptions",
        &[],
        None,
    )
    .await
    .json();
    let vapid = options["vapid_public_key"].as_str().unwrap().to_owned();
    let (private, public, auth) = browser_keys();
    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "push", "topic": "notices", "area": "shanghai", "language": "en",
            "push": { "endpoint": format!("http://{addr}/push/send/abc"), "keys": { "p256dh": public, "auth": auth } } }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);

    issue_notice(&system, "Push alert").await;
    let push = wait_for("the push request", Duration::from_secs(15), || async {
        push_service
            .events()
            .pop()
            .ok_or_else(|| "nothing yet".to_owned())
    })
    .await;
    assert_eq!(push.path, "/push/send/abc");
    assert_eq!(push.headers["content-encoding"], "aes128gcm");
    assert_eq!(push.headers["urgency"], "high");
    assert!(push.headers["ttl"].parse::<u32>().unwrap() > 0);
    let authorization = &push.headers["authorization"];
    assert!(authorization.starts_with("vapid t="), "{authorization}");
    assert!(
        authorization.ends_with(&format!(", k={vapid}")),
        "{authorization}"
    );
    let payload: serde_json::Value =
        serde_json::from_str(&decrypt_as_browser(&push.body, &private, &public, &auth)).unwrap();
    assert_eq!(payload["title"], "Push alert");
    assert!(
        payload["url"].as_str().unwrap().contains("/api/v1/alerts/"),
        "{payload}"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------
// The worker killed mid-batch

#[tokio::test]
async fn a_worker_killed_mid_batch_leaves_every_message_delivered_once_by_key() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let dir = scratch_dir();
    let settings = delivery_settings(&dir, None);
    let mut system = TestSystem::start_publisher_only_with(|s| s.delivery = settings.clone()).await;
    const HOOKS: usize = 5;
    for n in 0..HOOKS {
        let answer = subscribe(
            &system,
            serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/hook/{n}"),
                "topic": "notices", "area": "shanghai", "language": "en" }),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    // Every answer waits, so the whole batch is in flight when the worker dies.
    *receiver.delay_ms.lock().unwrap() = 3_000;
    issue_notice(&system, "Killed mid-batch").await;
    wait_for("the batch in flight", Duration::from_secs(10), || async {
        let n = receiver.events().len();
        if n >= HOOKS {
            Ok(())
        } else {
            Err(format!("{n} in flight"))
        }
    })
    .await;
    system.kill_publisher().await;
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM delivery WHERE state = 'delivered'")
            .await,
        0
    );

    // A new worker claims them again once the lease is over.
    *receiver.delay_ms.lock().unwrap() = 0;
    let settings = envmon_publisher::Settings {
        delivery: settings,
        ..system.publisher_settings()
    };
    system.start_publisher_again_with(settings).await;
    wait_for(
        "every message delivered",
        Duration::from_secs(20),
        || async {
            let delivered = system
                .db
                .count("SELECT count(*) FROM delivery WHERE state = 'delivered'")
                .await;
            if delivered == HOOKS as i64 {
                Ok(())
            } else {
                Err(format!("{delivered} delivered"))
            }
        },
    )
    .await;
    let events = receiver.events();
    let keys: BTreeSet<&str> = events
        .iter()
        .map(|e| e.headers["webhook-id"].as_str())
        .collect();
    let paths: BTreeSet<&str> = events.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(keys.len(), HOOKS, "one key per subscription: {keys:?}");
    assert_eq!(paths.len(), HOOKS, "every hook reached");
    assert!(
        events.len() <= 2 * HOOKS,
        "at most the one resend per message"
    );
    for path in paths {
        let keys_of_path: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.path == path)
            .map(|e| e.headers["webhook-id"].as_str())
            .collect();
        assert_eq!(keys_of_path.len(), 1, "{path} got one message (by key)");
    }
    system.shutdown().await;
}
