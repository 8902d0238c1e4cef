//! The audit log in PostgreSQL: [`append`] adds a staff action to the hash
//! chain inside the caller's transaction (so an action and its record
//! commit together), [`verify_audit`] re-checks the whole chain, and
//! [`verify_audit_against`] checks that it still passes through a head
//! published earlier.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use envmon_core::alert::audit::{
    AnchorBreak, AuditEntry, AuditHead, ChainBreak, GENESIS, verify_chain, verify_chain_against,
};
use envmon_core::alert::canonical::canonical_json;
use envmon_core::db::DbError;
use serde_json::Value;

/// Arbitrary key of the advisory lock that serialises appends, so two
/// concurrent actions cannot both link to the same predecessor.
const AUDIT_LOCK: i64 = 0x6175_6469_7400;

/// Entries read per round trip when verifying.
const VERIFY_PAGE: i64 = 5_000;

/// Adds one entry after the current last one.
///
/// # Errors
/// When a statement fails; the caller's transaction then rolls back.
pub(crate) async fn append(
    client: &impl GenericClient,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &Value,
) -> Result<(), DbError> {
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
        .await?;
    let last = client
        .query_opt(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?;
    let (prev_seq, prev_hash) =
        last.map_or((0, GENESIS.to_owned()), |row| (row.get(0), row.get(1)));
    let now = Utc::now();
    // PostgreSQL keeps microseconds: hash exactly what is stored.
    let at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let mut entry = AuditEntry {
        seq: prev_seq + 1,
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail: canonical_json(detail),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    client
        .execute(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &entry.seq,
                &entry.at,
                &entry.actor,
                &entry.action,
                &entry.subject,
                &entry.detail,
                &entry.prev_hash,
                &entry.hash,
            ],
        )
        .await?;
    Ok(())
}

/// Appends outside any larger transaction (refusals, failed sign-ins).
pub(crate) async fn append_alone(
    client: &mut deadpool_postgres::Client,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &Value,
) -> Result<(), DbError> {
    let tx = client.transaction().await?;
    append(&tx, actor, action, subject, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Why the audit log does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The chain is broken.
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    /// The chain does not pass through the kept head.
    #[error(transparent)]
    Anchor(#[from] AnchorBreak),
    /// The log could not be read.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<deadpool_postgres::PoolError> for AuditError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(DbError::from(error))
    }
}

impl From<tokio_postgres::Error> for AuditError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(DbError::from(error))
    }
}

const LAST_ENTRY: &str = "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
    FROM audit_log ORDER BY seq DESC LIMIT 1";

fn entry_of(row: &tokio_postgres::Row) -> AuditEntry {
    AuditEntry {
        seq: row.get(0),
        at: row.get(1),
        actor: row.get(2),
        action: row.get(3),
        subject: row.get(4),
        detail: row.get(5),
        prev_hash: row.get(6),
        hash: row.get(7),
    }
}

/// The chain's last entry, if any.
///
/// # Errors
/// When the log cannot be read.
pub(crate) async fn last_entry(client: &impl GenericClient) -> Result<Option<AuditEntry>, DbError> {
    let row = client.query_opt(LAST_ENTRY, &[]).await?;
    Ok(row.as_ref().map(entry_of))
}

/// Reads the whole audit log in order and checks the chain; returns the
/// number of entries checked.
///
/// # Errors
/// The first break, or a database failure.
pub async fn verify_audit(client: &impl GenericClient) -> Result<u64, AuditError> {
    Ok(verify_chain(&read_all(client).await?)?)
}

/// [`verify_audit`], and that the chain passes through `head` (a head
/// published earlier and kept): fails when the table was rewritten or cut
/// at or below it.
///
/// # Errors
/// The first break, the head not on the chain, or a database failure.
pub async fn verify_audit_against(
    client: &impl GenericClient,
    head: &AuditHead,
) -> Result<u64, AuditError> {
    Ok(verify_chain_against(&read_all(client).await?, head)?)
}

async fn read_all(client: &impl GenericClient) -> Result<Vec<AuditEntry>, AuditError> {
    let mut entries = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = client
            .query(
                "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
                 FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &VERIFY_PAGE],
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.get(0);
        entries.extend(rows.iter().map(entry_of));
    }
    Ok(entries)
}
