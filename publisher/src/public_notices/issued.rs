//! Issued notices as the public receives them: in their public status
//! (`expired` once past `expires`) and signed by the current signing key.
//!
//! The database is the truth for the notices this publisher issued, so
//! what it holds is served and announced as it stands; only the signature
//! is renewed when the status shown differs from the stored one or the
//! stored signature is by an earlier key (after a key rotation), so that
//! everything served verifies with the key in use now.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use envmon_core::alert::{NoticeSigner, PublicNotice};
use envmon_core::db::DbError;

use super::queries::{latest_documents, public_status};

/// The notice as the public sees it at `now`.
pub(crate) fn present(
    signer: &NoticeSigner,
    mut notice: PublicNotice,
    now: DateTime<Utc>,
) -> PublicNotice {
    let status = public_status(&notice, now);
    if status != notice.status || !signer.signed_it(&notice) {
        notice.status = status;
        signer.sign(&mut notice);
    }
    notice
}

/// The latest issued version of every notice, as the public sees it at
/// `now`: what the live feed holds, to refuse a replayed older version of
/// any of them.
pub(crate) async fn every_notice(
    pool: &Pool,
    signer: &NoticeSigner,
    now: DateTime<Utc>,
) -> Result<Vec<PublicNotice>, DbError> {
    let client = pool.get().await?;
    Ok(latest_documents(&client, i64::MAX)
        .await?
        .into_iter()
        .map(|notice| present(signer, notice, now))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use envmon_core::alert::{
        Area, Bilingual, Certainty, NoticeContent, NoticeStatus, Severity, TrustedKeys, Urgency,
    };

    fn notice(expires: DateTime<Utc>) -> PublicNotice {
        let text = Bilingual {
            zh: "文".into(),
            en: "text".into(),
        };
        PublicNotice {
            id: "AN-2026-00001".into(),
            version: 1,
            version_id: "AN-2026-00001.v1".into(),
            status: NoticeStatus::Published,
            content: NoticeContent {
                severity: Severity::Red,
                urgency: Urgency::Immediate,
                certainty: Certainty::Observed,
                headline: text.clone(),
                description: text.clone(),
                instruction: text,
                area: Area {
                    districts: vec!["浦东新区".into()],
                    stations: Vec::new(),
                },
                effective: expires - chrono::Duration::hours(2),
                expires,
                evidence_url: None,
            },
            published_at: expires - chrono::Duration::hours(2),
            references: None,
            cap_url: "/api/v1/alerts/AN-2026-00001.v1.cap".into(),
            signature: None,
        }
    }

    #[test]
    fn an_old_key_or_a_passed_expiry_is_signed_anew_else_kept_as_issued() {
        let old = NoticeSigner::from_seed(&[1; 32]);
        let new = NoticeSigner::from_seed(&[2; 32]);
        let now = Utc::now();
        let mut issued = notice(now + chrono::Duration::hours(1));
        new.sign(&mut issued);
        assert_eq!(present(&new, issued.clone(), now), issued, "as issued");

        let mut by_old = notice(now + chrono::Duration::hours(1));
        old.sign(&mut by_old);
        let shown = present(&new, by_old, now);
        let keys = TrustedKeys::single(new.public_key());
        let json = serde_json::to_value(&shown).unwrap();
        assert!(keys.verify(&json, now).is_ok(), "signed with the new key");

        let mut ended = notice(now - chrono::Duration::minutes(1));
        new.sign(&mut ended);
        let shown = present(&new, ended, now);
        assert_eq!(shown.status, NoticeStatus::Expired);
        let json = serde_json::to_value(&shown).unwrap();
        assert!(keys.verify(&json, now).is_ok(), "signed as expired");
    }
}
