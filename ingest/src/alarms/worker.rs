//! The alarm worker: every `interval`, on its own connection, evaluates
//! every rule in one transaction and raises, worsens or clears alarms.
//!
//! Several ingest instances may run: a transaction-level advisory lock lets
//! one evaluate at a time (the others skip that round), and the unique index
//! on open alarms keeps a (rule, station) pair from being raised twice.

use std::collections::HashMap;

use envmon_core::db::{DatabaseSettings, DbError};
use serde_json::Value;
use tokio_postgres::{Client, Transaction};
use tokio_util::sync::CancellationToken;

use super::measure::{Measurement, measure};
use super::rules::{AlarmRule, AlarmSettings, Decision, decide};

/// Arbitrary key of the advisory lock one evaluation round holds.
const ALARM_LOCK: i64 = 0x616c_6172_6d00;

/// Evidence entries kept per alarm: the raising one, then the newest.
const MAX_EVIDENCE: usize = 20;

/// Evaluates the configured rules until shutdown.
#[derive(Debug)]
pub(crate) struct AlarmWorker {
    pub(crate) database: DatabaseSettings,
    pub(crate) settings: AlarmSettings,
}

struct OpenAlarm {
    id: i64,
    worst: f64,
    evidence: Vec<Value>,
}

impl AlarmWorker {
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        if self.settings.interval.is_zero() || self.settings.rules.is_empty() {
            // Nothing to evaluate, but a task ends only when asked.
            shutdown.cancelled().await;
            return;
        }
        let mut client: Option<Client> = None;
        let mut ticks = tokio::time::interval(self.settings.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => return,
            }
            if client.as_ref().is_none_or(Client::is_closed) {
                client = match self.database.open_session("alarms").await {
                    Ok(client) => Some(client),
                    Err(error) => {
                        tracing::warn!(error = %error, "Alarm worker cannot connect; retrying.");
                        continue;
                    }
                };
            }
            let Some(client) = client.as_mut() else {
                continue;
            };
            if let Err(error) = self.round(client).await {
                tracing::warn!(error = %error, "Alarm evaluation failed; retrying next round.");
            }
        }
    }

    /// One evaluation of every rule, in one transaction.
    async fn round(&self, client: &mut Client) -> Result<(), DbError> {
        let mut tx = client.transaction().await?;
        let locked: bool = tx
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&ALARM_LOCK])
            .await?
            .get(0);
        if !locked {
            return Ok(());
        }
        let mut open = load_open(&tx).await?;
        for rule in &self.settings.rules {
            // One rule failing (a statement timeout, say) must not stop the
            // others: each runs in its own savepoint.
            let mut savepoint = tx.savepoint("alarm_rule").await?;
            match apply_rule(&mut savepoint, rule, &mut open).await {
                Ok(()) => savepoint.commit().await?,
                Err(error) => {
                    tracing::warn!(rule = %rule.name, error = %error, "Alarm rule failed; the others go on.");
                    savepoint.rollback().await?;
                    // Its in-memory changes may not match the rolled-back rows.
                    open = load_open(&tx).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Measures one rule and applies its decisions.
async fn apply_rule(
    tx: &mut Transaction<'_>,
    rule: &AlarmRule,
    open: &mut HashMap<(String, String), OpenAlarm>,
) -> Result<(), DbError> {
    for measurement in measure(&*tx, rule).await? {
        let key = (rule.name.clone(), measurement.station.clone());
        let current = open.get_mut(&key);
        match decide(rule, current.as_ref().map(|a| a.worst), measurement.value) {
            Decision::Raise => raise(tx, rule, &measurement).await?,
            Decision::Worsen => {
                if let Some(alarm) = current {
                    worsen(tx, alarm, &measurement).await?;
                }
            }
            Decision::Clear => {
                if let Some(alarm) = current {
                    clear(tx, rule, alarm, &measurement).await?;
                }
                open.remove(&key);
            }
            Decision::Keep => {}
        }
    }
    Ok(())
}

async fn load_open(tx: &Transaction<'_>) -> Result<HashMap<(String, String), OpenAlarm>, DbError> {
    let rows = tx
        .query(
            "SELECT id, rule, station_code, worst, evidence FROM alarm WHERE state = 'raised'",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let evidence: Value = row.get(4);
            let alarm = OpenAlarm {
                id: row.get(0),
                worst: row.get::<_, Option<f64>>(3).unwrap_or(f64::NEG_INFINITY),
                evidence: evidence.as_array().cloned().unwrap_or_default(),
            };
            ((row.get(1), row.get(2)), alarm)
        })
        .collect())
}

fn describe(rule: &AlarmRule, measurement: &Measurement) -> String {
    let what = match rule.parameter {
        Some(parameter) => format!("{} {}", rule.name, parameter.code()),
        None => rule.name.clone(),
    };
    format!(
        "{what}: {:.1} reached {} (clears below {})",
        measurement.value, rule.raise_at, rule.clear_below
    )
}

async fn raise(
    tx: &Transaction<'_>,
    rule: &AlarmRule,
    measurement: &Measurement,
) -> Result<(), DbError> {
    let parameter = rule.parameter.map(|p| p.code().to_owned());
    let evidence = Value::Array(vec![measurement.evidence.clone()]);
    let raised = tx
        .execute(
            "INSERT INTO alarm (rule, station_code, parameter_code, state, raised_at, threshold,
                worst, message, evidence)
             VALUES ($1, $2, $3, 'raised', now(), $4, $5, $6, $7)
             ON CONFLICT (rule, station_code) WHERE state = 'raised' DO NOTHING",
            &[
                &rule.name,
                &measurement.station,
                &parameter,
                &rule.raise_at,
                &measurement.value,
                &describe(rule, measurement),
                &evidence,
            ],
        )
        .await?;
    if raised > 0 {
        tracing::info!(rule = %rule.name, station = %measurement.station, value = measurement.value, "Alarm raised.");
    }
    Ok(())
}

fn keep_evidence(alarm: &mut OpenAlarm, measurement: &Measurement) -> Value {
    alarm.evidence.push(measurement.evidence.clone());
    if alarm.evidence.len() > MAX_EVIDENCE {
        // Keep the reading that raised it and the newest ones.
        let excess = alarm.evidence.len() - MAX_EVIDENCE;
        alarm.evidence.drain(1..=excess);
    }
    Value::Array(alarm.evidence.clone())
}

async fn worsen(
    tx: &Transaction<'_>,
    alarm: &mut OpenAlarm,
    measurement: &Measurement,
) -> Result<(), DbError> {
    alarm.worst = measurement.value;
    let evidence = keep_evidence(alarm, measurement);
    tx.execute(
        "UPDATE alarm SET worst = $2, evidence = $3, changed_at = now() WHERE id = $1",
        &[&alarm.id, &measurement.value, &evidence],
    )
    .await?;
    Ok(())
}

async fn clear(
    tx: &Transaction<'_>,
    rule: &AlarmRule,
    alarm: &mut OpenAlarm,
    measurement: &Measurement,
) -> Result<(), DbError> {
    let evidence = keep_evidence(alarm, measurement);
    tx.execute(
        "UPDATE alarm SET state = 'cleared', cleared_at = now(), evidence = $2, changed_at = now()
         WHERE id = $1",
        &[&alarm.id, &evidence],
    )
    .await?;
    tracing::info!(rule = %rule.name, station = %measurement.station, value = measurement.value, "Alarm cleared.");
    Ok(())
}
