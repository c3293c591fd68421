//! The deadline watch (督办 that runs by itself): warnings, reminders and escalations the server
//! records on its own, on the working-day calendar and each jurisdiction's policy.
//!
//! The decisions are the domain's ([`hcp_domain::watch::plan`]: pure, the clock a parameter); this
//! module reads the cases whose deadline runs ([`cases::running`], the one rule
//! `CaseState::has_running_deadline`), and applies what the domain plans through the one case
//! workflow ([`workflow::execute`]) as the system principal, so each automatic action is an
//! ordinary case event: in the timeline, the change feed (every replica receives it) and the audit
//! log.
//!
//! - **Idempotent.** Inside each write transaction the case is read again and planned again, so a
//!   decision and its write are one (a case that moved on meanwhile gets what it needs now, or
//!   nothing). Each command's id names the case, the deadline and the period it is for
//!   (`sys:watch:17:urge:2026-02-14:0`): a second process, or a restart that planned the same
//!   action, is answered "duplicate" by the workflow and records nothing.
//! - **Bounded write-lock holds.** Writes are batched by time: a transaction takes cases until
//!   [`WRITE_BUDGET`] has passed, commits, and the next one continues; the read and the planning
//!   run outside any write transaction.
//! - **One process at a time.** Several servers on one PostgreSQL database elect the one that
//!   runs the watch with a session advisory lock ([`Db::try_lease`]); when it dies, its session
//!   ends, and the next tick of another process takes over.
//!
//! The server runs [`pass`] at start-up and then every `deadline_watch_seconds` (see
//! [`spawn_watch`]; 0 turns it off).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hcp_domain::watch;
use hcp_domain::{Calendar, CaseCommand, PolicyContext};
use hcp_protocol::{CommandEnvelope, CommandStatus, JurisdictionPolicy};
use serde::Serialize;

use crate::db::{cases, settings, Conn, Db, DbResult, Lease};
use crate::workflow::{self, Principal, SYSTEM_ID_PREFIX};

/// The advisory-lock key of the watch's lease ("hcpwatch").
pub const WATCH_LEASE: i64 = 0x6863_7077_6174_6368;

/// How long one write transaction of the watch keeps taking cases before it commits (the write
/// lock is then held for this plus one case's commands).
pub const WRITE_BUDGET: Duration = Duration::from_millis(10);

/// What one pass did and what it cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PassReport {
    /// Cases whose deadline runs, looked at.
    pub running: u64,
    /// Cases with something to do.
    pub due: u64,
    pub warned: u64,
    pub urged: u64,
    pub escalated: u64,
    /// Commands the workflow refused (the case changed between planning and writing).
    pub refused: u64,
    /// Reading the running cases and their policies, in ms.
    pub read_ms: f64,
    /// Planning every case (pure domain), in ms.
    pub plan_ms: f64,
    pub write_transactions: u64,
    /// The longest write transaction, in ms (from asking for the write lock to the commit: an
    /// upper bound of the time the lock was held).
    pub longest_write_ms: f64,
    /// Of that transaction, the time spent planning and writing its cases (the rest is taking the
    /// lock, beginning and committing), in ms.
    pub longest_write_work_ms: f64,
    pub total_ms: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn context<'a>(calendar: &'a Calendar, policy: &JurisdictionPolicy) -> PolicyContext<'a> {
    PolicyContext { calendar, deadlines: policy.deadlines, escalation: policy.escalation }
}

/// One pass over every case whose deadline runs (blocking): plan, then apply in time-bounded
/// write transactions.
pub fn pass(db: &Db, bundled: &Calendar, now: DateTime<Utc>) -> DbResult<PassReport> {
    let started = Instant::now();
    let mut report = PassReport::default();
    let (calendar, running, policies) = db.read_blocking(|c| {
        let calendar = settings::calendar(c, bundled)?;
        let running = cases::running(c)?;
        let mut policies: HashMap<String, JurisdictionPolicy> = HashMap::new();
        for (_, path, _) in &running {
            if !policies.contains_key(path) {
                policies.insert(path.clone(), settings::policy(c, path)?);
            }
        }
        Ok((calendar, running, policies))
    })?;
    report.read_ms = ms(started.elapsed());
    report.running = running.len() as u64;

    let planning = Instant::now();
    let due: Vec<i64> = running
        .iter()
        .filter(|(_, path, case)| {
            let policy = policies.get(path).copied().unwrap_or_default();
            !watch::plan(case, &context(&calendar, &policy), &policy.watch, now).is_empty()
        })
        .map(|(id, _, _)| *id)
        .collect();
    report.plan_ms = ms(planning.elapsed());
    report.due = due.len() as u64;

    let mut next = 0;
    while next < due.len() {
        let asked = Instant::now();
        let (done, counts, work) = db.write_blocking(|c| {
            let began = Instant::now();
            let mut counts = Counts::default();
            let mut done = 0;
            while next + done < due.len() && (done == 0 || began.elapsed() < WRITE_BUDGET) {
                act(c, due[next + done], bundled, now, &mut counts)?;
                done += 1;
            }
            Ok((done, counts, began.elapsed()))
        })?;
        let held = ms(asked.elapsed());
        if held > report.longest_write_ms {
            report.longest_write_ms = held;
            report.longest_write_work_ms = ms(work);
        }
        report.write_transactions += 1;
        report.warned += counts.warned;
        report.urged += counts.urged;
        report.escalated += counts.escalated;
        report.refused += counts.refused;
        next += done;
    }
    report.total_ms = ms(started.elapsed());
    Ok(report)
}

#[derive(Default)]
struct Counts {
    warned: u64,
    urged: u64,
    escalated: u64,
    refused: u64,
}

/// Plans one case again on its current state and applies the plan, in the caller's transaction.
fn act(c: &Conn<'_>, case_id: i64, bundled: &Calendar, now: DateTime<Utc>, counts: &mut Counts) -> DbResult<()> {
    let Some(row) = cases::get(c, case_id)? else { return Ok(()) };
    let Some(case) = row.aggregate.as_deref() else { return Ok(()) };
    if !case.state.has_running_deadline() {
        return Ok(());
    }
    let calendar = settings::calendar(c, bundled)?;
    let policy = settings::policy(c, &row.unit_path)?;
    let plan = watch::plan(case, &context(&calendar, &policy), &policy.watch, now);
    // The system acts as a supervisor of the case's own unit: its audit entries are seen by every
    // jurisdiction above the case.
    let system = Principal::system(case.unit.clone());
    for planned in plan {
        let env = CommandEnvelope {
            command_id: format!("{SYSTEM_ID_PREFIX}watch:{case_id}:{}", planned.key),
            client_seq: None,
            case_id: Some(case_id),
            base_version: None,
            attachments: Vec::new(),
            command: planned.command.clone(),
        };
        let result = workflow::execute(c, &system, &env, None, None, now, bundled)?;
        match (result.status, &planned.command) {
            (CommandStatus::Applied, CaseCommand::Warn) => counts.warned += 1,
            (CommandStatus::Applied, CaseCommand::Urge { .. }) => counts.urged += 1,
            (CommandStatus::Applied, _) => counts.escalated += 1,
            (CommandStatus::Duplicate, _) => {}
            (CommandStatus::Rejected, _) => {
                counts.refused += 1;
                tracing::warn!(case_id, key = %planned.key, code = ?result.code, "deadline watch: command refused");
            }
        }
    }
    Ok(())
}

/// The state of a running watch, for tests and the log.
#[derive(Debug, Default)]
pub struct WatchStatus {
    /// This process holds the lease and runs the passes.
    pub leading: AtomicBool,
    /// Passes completed by this process.
    pub passes: AtomicU64,
}

/// A background watch: abort the task to stop it (its lease ends with it).
pub struct WatchHandle {
    pub task: tokio::task::JoinHandle<()>,
    pub status: Arc<WatchStatus>,
}

/// Runs the watch at once and then every `every`, while this process holds the lease (see the
/// module doc); a process without it tries again at each tick.
pub fn spawn_watch(state: crate::AppState, every: Duration) -> WatchHandle {
    let status = Arc::new(WatchStatus::default());
    let shared = status.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lease: Option<Lease> = None;
        // The bottom rules (倒逼) are evaluated by the same leader, once a day.
        let mut consequences = crate::assessment::Schedule::default();
        loop {
            tick.tick().await;
            let db = state.db.clone();
            let calendar = state.calendar.clone();
            let now = state.clock.now();
            let held = lease.take();
            let assess = consequences.pending(now);
            let chunks = state.chunks.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                // Keep a lease whose session is alive; otherwise (none yet, or it died) try for one.
                let lease = match held.map(|mut l| (l.holds(), l)) {
                    Some((true, l)) => Some(l),
                    _ => db.try_lease(WATCH_LEASE)?,
                };
                let report = match &lease {
                    Some(_) => Some(pass(&db, &calendar, now)?),
                    None => None,
                };
                if lease.is_some() {
                    let swept =
                        db.write_blocking(|c| crate::evidence_store::sweep_abandoned(c, chunks.as_ref(), now))?;
                    if swept > 0 {
                        tracing::info!(swept, "abandoned evidence uploads swept");
                    }
                }
                let assessed = match (&lease, &assess) {
                    (Some(_), Some(done)) => Some(crate::assessment::evaluate(&db, &calendar, now, done)?),
                    _ => None,
                };
                Ok::<_, crate::db::DbError>((lease, report, assessed))
            })
            .await;
            match outcome {
                Ok(Ok((held, report, assessed))) => {
                    if let Some(a) = assessed {
                        consequences.record(&a);
                        if a.opened + a.refused > 0 {
                            tracing::info!(?a, "bottom rules evaluated");
                        }
                    }
                    let leading = held.is_some();
                    if leading != shared.leading.swap(leading, Ordering::SeqCst) {
                        tracing::info!(leading, "deadline watch leadership changed");
                    }
                    lease = held;
                    if let Some(r) = report {
                        shared.passes.fetch_add(1, Ordering::SeqCst);
                        if r.warned + r.urged + r.escalated + r.refused > 0 {
                            tracing::info!(?r, "deadline watch pass");
                        } else {
                            tracing::debug!(?r, "deadline watch pass");
                        }
                    }
                }
                Ok(Err(e)) => {
                    shared.leading.store(false, Ordering::SeqCst);
                    tracing::warn!(error = %e, "deadline watch failed; retrying at the next tick");
                }
                Err(e) => {
                    shared.leading.store(false, Ordering::SeqCst);
                    tracing::warn!(error = %e, "deadline watch task failed; retrying at the next tick");
                }
            }
        }
    });
    WatchHandle { task, status }
}
