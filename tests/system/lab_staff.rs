//! Laboratory results through the staff API: a CSV quarter previewed and
//! submitted by an operator, refused to its submitter, published by an
//! approver who names the file they reviewed; the JSON form of the same
//! results gives the same preview; problems come back as 422 by row and
//! column; rejecting, roles and the audit log.

use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use envmon_publisher::staff::Role;
use serde_json::{Value, json};

use crate::helpers::staff::{self, Staff};
use crate::helpers::{TestSystem, http};

async fn post_file(staff: &Staff, path: &str, media: &str, body: &str) -> http::Response {
    http::send(
        staff.addr,
        "POST",
        path,
        &[
            ("Cookie", &staff.cookie),
            ("Origin", &staff.origin),
            ("Content-Type", media),
        ],
        Some(body),
    )
    .await
}

/// The CSV's rows of one site as the JSON form's results.
fn as_json(csv: &str, site: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let results: Vec<Value> = lines
        .filter(|l| l.starts_with(&format!("{site},")))
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            Value::Object(
                header
                    .iter()
                    .zip(&fields)
                    .map(|(h, f)| {
                        (
                            (*h).to_owned(),
                            Value::String((*f).trim_matches('"').to_owned()),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    json!({ "format_version": 1, "results": results }).to_string()
}

#[tokio::test]
async fn staff_preview_submit_and_a_second_person_publishes_a_laboratory_file() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "clerk", Role::Operator).await;
    staff::add(&system.db, "chemist", Role::Approver).await;
    let clerk = Staff::login(addr, "clerk").await;
    let chemist = Staff::login(addr, "chemist").await;
    let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
    let quarter = envmon_simulator::lab::quarter_csv(&stations, 2026, 3, 11);

    // Problems: 422, each by row and column, nothing stored.
    let broken = quarter.replacen(",mg/L,", ",kg,", 1);
    let response = post_file(&clerk, "/api/v1/staff/lab/batches", "text/csv", &broken).await;
    assert_eq!(response.status, 422, "{}", response.body);
    let problems = response.json()["error"]["problems"].clone();
    assert_eq!(problems.as_array().unwrap().len(), 1, "{problems}");
    assert_eq!(problems[0]["column"], "unit");
    assert!(problems[0]["row"].as_u64().unwrap() > 1);
    assert_eq!(system.db.count("SELECT count(*) FROM lab_batch").await, 0);
    let response = post_file(&clerk, "/api/v1/staff/lab/batches", "text/plain", &quarter).await;
    assert_eq!(response.status, 400, "{}", response.body);

    // The JSON form of one plant's rows previews as the CSV form does.
    let site_rows: String = std::iter::once(quarter.lines().next().unwrap())
        .chain(quarter.lines().filter(|l| l.starts_with("plant-jinhai,")))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let from_csv = post_file(&clerk, "/api/v1/staff/lab/preview", "text/csv", &site_rows).await;
    let from_json = post_file(
        &clerk,
        "/api/v1/staff/lab/preview",
        "application/json",
        &as_json(&quarter, "plant-jinhai"),
    )
    .await;
    assert_eq!(from_csv.status, 200, "{}", from_csv.body);
    assert_eq!(from_json.status, 200, "{}", from_json.body);
    let strip = |mut v: Value| {
        v["preview"]["body_sha256"] = Value::Null;
        v
    };
    assert_eq!(strip(from_csv.json()), strip(from_json.json()));
    assert_eq!(from_csv.json()["preview"]["samples"], 3);

    // Submitted by the clerk, published only by someone else who names the file.
    let response = post_file(
        &clerk,
        "/api/v1/staff/lab/batches?file_name=2026-q3.csv",
        "text/csv",
        &quarter,
    )
    .await;
    assert_eq!(response.status, 201, "{}", response.body);
    let submitted = response.json();
    let id = submitted["id"].as_i64().unwrap();
    let sha = submitted["preview"]["body_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(submitted["preview"]["new_samples"], 87);
    let publish = format!("/api/v1/staff/lab/batches/{id}/publish");
    let body = json!({ "body_sha256": sha }).to_string();
    // An operator may not publish; nor may an approver who reviewed another file.
    let response = clerk.call("POST", &publish, Some(&body)).await;
    assert_eq!(response.status, 403, "{}", response.body);
    let wrong = json!({ "body_sha256": "00".repeat(32) }).to_string();
    let response = chemist.call("POST", &publish, Some(&wrong)).await;
    assert_eq!(response.status, 409, "{}", response.body);
    let response = chemist.call("POST", &publish, Some(&body)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["published"]["samples"], 87);
    let response = chemist.call("POST", &publish, Some(&body)).await;
    assert_eq!(response.status, 409, "{}", response.body);

    // An approver's own import is refused to them, and rejected by another.
    let response = post_file(
        &chemist,
        "/api/v1/staff/lab/batches",
        "text/csv",
        &site_rows,
    )
    .await;
    assert_eq!(
        response.status, 403,
        "approvers do not submit: {}",
        response.body
    );
    let response = post_file(&clerk, "/api/v1/staff/lab/batches", "text/csv", &site_rows).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let second = response.json();
    assert_eq!(second["preview"]["unchanged_samples"], 3, "{second}");
    let second_id = second["id"].as_i64().unwrap();
    let response = chemist
        .call(
            "POST",
            &format!("/api/v1/staff/lab/batches/{second_id}/reject"),
            Some(r#"{"reason":"sent twice"}"#),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);

    let list = chemist
        .call("GET", "/api/v1/staff/lab/batches", None)
        .await
        .json();
    let states: Vec<&str> = list["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["rejected", "published"]);
    let actions: Vec<String> = system
        .db
        .client()
        .await
        .query(
            "SELECT action FROM audit_log WHERE action LIKE 'lab.%' ORDER BY seq",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        actions,
        ["lab.submit", "lab.publish", "lab.submit", "lab.reject"]
    );
    // The public sees the published quarter only.
    let public = http::get(addr, "/api/v1/drinking/samples?period=2026-Q3")
        .await
        .unwrap()
        .json();
    assert_eq!(public["samples"].as_array().unwrap().len(), 87);
    system.shutdown().await;
}

/// Crossing the laboratory import as an attacker would: without a session,
/// with a body past the size limit, and with script in the laboratory's
/// name and method, which the public report must show as text.
#[tokio::test]
async fn a_laboratory_file_cannot_be_sent_unsigned_oversized_or_with_live_script() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "clerk", Role::Operator).await;
    staff::add(&system.db, "chemist", Role::Approver).await;
    let clerk = Staff::login(addr, "clerk").await;
    let chemist = Staff::login(addr, "chemist").await;
    let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
    let quarter = envmon_simulator::lab::quarter_csv(&stations, 2026, 3, 3);
    let header = quarter.lines().next().unwrap();
    let rows: String = quarter
        .lines()
        .filter(|l| l.starts_with("plant-taihe,"))
        .map(|l| format!("{l}\r\n"))
        .collect();

    // No session: refused, nothing stored.
    let origin = format!("http://{addr}");
    let anonymous = http::send(
        addr,
        "POST",
        "/api/v1/staff/lab/batches",
        &[("Origin", &origin), ("Content-Type", "text/csv")],
        Some(&format!("{header}\r\n{rows}")),
    )
    .await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);

    // Past the 8 MiB limit: refused before it is parsed.
    let huge = format!(
        "{header}\r\n{}",
        rows.repeat(9 * 1024 * 1024 / rows.len() + 1)
    );
    let response = post_file(&clerk, "/api/v1/staff/lab/preview", "text/csv", &huge).await;
    assert_eq!(
        response.status,
        413,
        "{}",
        &response.body[..response.body.len().min(200)]
    );

    // Script in the laboratory's name and the method: stored as given,
    // published, and shown as text by the report.
    let hostile = rows
        .replace("上海市供水水质监测中心", "<script>alert(1)</script>")
        .replacen("GB/T", "<img src=x onerror=alert(2)> GB/T", 1);
    let response = post_file(
        &clerk,
        "/api/v1/staff/lab/batches",
        "text/csv",
        &format!("{header}\r\n{hostile}"),
    )
    .await;
    assert_eq!(response.status, 201, "{}", response.body);
    let submitted = response.json();
    let body = json!({ "body_sha256": submitted["preview"]["body_sha256"] }).to_string();
    let id = submitted["id"].as_i64().unwrap();
    let response = chemist
        .call(
            "POST",
            &format!("/api/v1/staff/lab/batches/{id}/publish"),
            Some(&body),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(system.db.count("SELECT count(*) FROM lab_batch").await, 1);
    let report = http::get(addr, "/drinking/report/2026-Q3?lang=en")
        .await
        .unwrap();
    assert_eq!(report.status, 200);
    assert!(
        report
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the laboratory is not shown"
    );
    assert!(
        !report.body.contains("<script>alert"),
        "script reached the report"
    );
    assert!(
        !report.body.contains("<img src=x"),
        "markup reached the report"
    );
    system.shutdown().await;
}
