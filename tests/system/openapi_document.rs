//! The served API document is valid OpenAPI 3.1: check-jsonschema checks
//! it against the OpenAPI Initiative's schema of 3.1 documents, kept in
//! `openapi-schema/` (the 2022-10-07 edition) so the check needs no network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::TestSystem;
use crate::helpers::http;

/// check-jsonschema from `deploy/provision.sh`'s virtual environment, or
/// from PATH.
fn check_jsonschema() -> PathBuf {
    let provisioned =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".envmon/venv/bin/check-jsonschema");
    if provisioned.is_file() {
        return provisioned;
    }
    PathBuf::from("check-jsonschema")
}

/// Validates `document` as written to a file named after `label`.
fn validate(document: &str, label: &str) -> Output {
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/system/openapi-schema/oas-3.1.json");
    let file = std::env::temp_dir().join(format!(
        "envmon-openapi-{label}-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, document).unwrap();
    let output = Command::new(check_jsonschema())
        .arg("--schemafile")
        .arg(schema)
        .arg(&file)
        .output()
        .expect("check-jsonschema is installed; run deploy/provision.sh");
    std::fs::remove_file(&file).unwrap();
    output
}

#[tokio::test]
async fn the_served_openapi_document_is_valid_openapi_3_1() {
    let system = TestSystem::start_publisher_only().await;
    let response = http::get(system.publisher_addr, "/api/v1/openapi.json")
        .await
        .unwrap();
    system.shutdown().await;
    assert_eq!(response.status, 200);
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    let output = validate(&document.to_string(), "served");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // The check means something only if it refuses a broken document: a
    // parameter must say where it goes.
    let mut broken = document.clone();
    let parameter = broken["paths"]["/api/v1/stations"]["get"]["parameters"][0]
        .as_object_mut()
        .unwrap();
    parameter.insert("in".into(), "body".into());
    assert!(!validate(&broken.to_string(), "broken").status.success());
}
