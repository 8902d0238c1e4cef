//! Tests of the alert notice: content checks, hash, and public JSON.

use chrono::{TimeZone, Utc};

use super::*;

/// A valid notice content for tests.
pub(crate) fn content() -> NoticeContent {
    NoticeContent {
        severity: Severity::Orange,
        urgency: Urgency::Expected,
        certainty: Certainty::Likely,
        headline: Bilingual {
            zh: "重污染天气橙色预警".into(),
            en: "Orange warning: heavy air pollution".into(),
        },
        description: Bilingual {
            zh: "预计未来三天PM2.5浓度 > 150 µg/m³ & 持续".into(),
            en: "PM2.5 expected above 150 µg/m³ for three days <& so on>".into(),
        },
        instruction: Bilingual {
            zh: "减少户外活动".into(),
            en: "Reduce outdoor activity".into(),
        },
        area: Area {
            districts: vec!["浦东新区".into()],
            stations: vec!["1141A".into()],
        },
        effective: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
        expires: Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap(),
        evidence_url: Some("/api/v1/stations/1141A/latest".into()),
    }
}

#[test]
fn the_content_hash_ignores_layout_and_sees_every_word() {
    let value = serde_json::to_value(content()).unwrap();
    let reordered: serde_json::Value =
        serde_json::from_str(&serde_json::to_string_pretty(&value).unwrap()).unwrap();
    assert_eq!(content_hash(&value), content_hash(&reordered));
    assert_eq!(content_hash(&value).len(), 64);
    let mut changed = value.clone();
    changed["instruction"]["en"] = "Reduce outdoor activity!".into();
    assert_ne!(content_hash(&value), content_hash(&changed));
    // `printf '{"a":"é"}' | sha256sum` (coreutils) gives the same.
    assert_eq!(
        content_hash(&serde_json::json!({"a": "é"})),
        "b3a092a6af48807fa9482b2ee140105575daa26d5b24b3c0e60a7e2dee6683b1"
    );
}

#[test]
fn severity_maps_to_cap_in_order() {
    let mapped: Vec<_> = [
        Severity::Blue,
        Severity::Yellow,
        Severity::Orange,
        Severity::Red,
    ]
    .map(Severity::cap)
    .to_vec();
    assert_eq!(mapped, ["Minor", "Moderate", "Severe", "Extreme"]);
}

#[test]
fn valid_content_passes_and_each_fault_is_named() {
    assert_eq!(content().validate(), Ok(()));
    let mut empty = content();
    empty.headline.en = "  ".into();
    assert_eq!(
        empty.validate(),
        Err(ContentError::Empty {
            field: "headline.en".into()
        })
    );
    let mut backwards = content();
    backwards.expires = backwards.effective;
    assert_eq!(
        backwards.validate(),
        Err(ContentError::ExpiresBeforeEffective)
    );
    let mut nowhere = content();
    nowhere.area = Area::default();
    assert_eq!(nowhere.validate(), Err(ContentError::EmptyArea));
    let mut script = content();
    script.evidence_url = Some("javascript:alert(1)".into());
    assert_eq!(script.validate(), Err(ContentError::EvidenceUrl));
    let mut control = content();
    control.instruction.zh = "a\u{0}b".into();
    assert!(matches!(
        control.validate(),
        Err(ContentError::ControlCharacter { .. })
    ));
}

#[test]
fn public_json_has_the_shared_contract_fields() {
    let notice = PublicNotice {
        id: "AN-2026-00001".into(),
        version: 2,
        version_id: PublicNotice::version_id_of("AN-2026-00001", 2),
        status: NoticeStatus::Updated,
        content: content(),
        published_at: Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap(),
        references: Some("AN-2026-00001.v1".into()),
        cap_url: "http://x/api/v1/alerts/AN-2026-00001.v2.cap".into(),
        signature: None,
    };
    let json = serde_json::to_value(&notice).unwrap();
    for key in [
        "id",
        "version",
        "status",
        "severity",
        "headline",
        "description",
        "instruction",
        "area",
        "effective",
        "expires",
        "published_at",
        "references",
        "cap_url",
    ] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
    assert_eq!(json["status"], "updated");
    assert_eq!(json["headline"]["zh"], "重污染天气橙色预警");
    assert_eq!(json["area"]["districts"][0], "浦东新区");
    assert_eq!(notice.cap_msg_type(), "Update");
    let back: PublicNotice = serde_json::from_value(json).unwrap();
    assert_eq!(back, notice);
}
