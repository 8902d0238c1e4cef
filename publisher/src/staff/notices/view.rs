//! What staff see of a notice: every version with its content hash and,
//! for a draft of an update, the fields it changes from the issued text.

use axum::Json;
use axum::extract::{Path, State};
use envmon_core::alert::content_hash;
use serde_json::{Value, json};

use super::super::StaffState;
use super::super::notice_store::{self as store, VersionRow};
use super::super::users::StaffUser;
use crate::error::ApiError;

/// A notice's versions as staff see them: each with its content hash (what
/// an approval names) and, for a draft that updates an issued version, the
/// fields it changes.
fn view(id: &str, alarm_id: Option<i64>, versions: &[VersionRow]) -> Value {
    let issued = versions.iter().rev().find(|v| !v.is_draft());
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let changes = match issued {
                Some(issued) if v.is_draft() => {
                    Value::from(changed_fields(&issued.content, &v.content))
                }
                _ => Value::Null,
            };
            json!({
                "version": v.version,
                "state": v.state,
                "content": v.content,
                "content_hash": content_hash(&v.content),
                "changes_from_issued": changes,
                "drafted_by": v.drafted_by_name,
                "drafted_at": v.drafted_at,
                "approved_by": v.approved_by_name,
                "published_at": v.published_at,
                "document": v.document,
            })
        })
        .collect();
    json!({ "id": id, "alarm_id": alarm_id, "versions": versions })
}

/// The dotted paths (`headline.en`, `area.stations`) at which `after`
/// differs from `before`; lists compare whole.
fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<String>) {
        match (before, after) {
            (Some(Value::Object(b)), Some(Value::Object(a))) => {
                let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let inner = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(&inner, b.get(key.as_str()), a.get(key.as_str()), out);
                }
            }
            (b, a) if b.filter(|v| !v.is_null()) != a.filter(|v| !v.is_null()) => {
                out.push(path.to_owned());
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", Some(before), Some(after), &mut out);
    out
}

pub(super) async fn load_view(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Value, ApiError> {
    let versions = store::versions(client, id, false).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no notice {id}")));
    }
    Ok(view(id, store::alarm_of(client, id).await?, &versions))
}

pub(super) async fn list(
    State(app): State<StaffState>,
    _user: StaffUser,
) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    let mut notices = Vec::new();
    for id in store::recent_ids(&client, 100).await? {
        notices.push(load_view(&client, &id).await?);
    }
    Ok(Json(json!({ "notices": notices })))
}

pub(super) async fn one(
    State(app): State<StaffState>,
    _user: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    Ok(Json(load_view(&client, &id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_each_field_it_changes() {
        let before = json!({
            "severity": "orange", "headline": {"zh": "甲", "en": "A"},
            "area": {"districts": ["浦东新区"], "stations": []}, "evidence_url": null
        });
        let after = json!({
            "severity": "red", "headline": {"zh": "甲", "en": "B"},
            "area": {"districts": ["浦东新区", "徐汇区"], "stations": []}
        });
        assert_eq!(
            changed_fields(&before, &after),
            ["area.districts", "headline.en", "severity"]
        );
        assert!(changed_fields(&before, &before).is_empty());
    }
}
