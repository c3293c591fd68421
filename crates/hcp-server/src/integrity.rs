//! Integrity detection (异常评价线索): finds fake good reviews (刷好评) and malicious bad reviews
//! (恶意差评) among the ratings received, with `hcp_domain::integrity::detect`, and queues each
//! lead as an [`IntegrityFlagRow`] for the hall's verification queue.
//!
//! [`scan`] looks at the ratings received since its last run (`integrity_scan`), a batch at a
//! time. For each hall and Beijing day with new ratings it reads that day's ratings (an hour more
//! on each side, so a burst across midnight is seen whole) and applies the burst, self-rating,
//! one-record and near-duplicate rules (near-duplicates only as three or more texts about one staff
//! member: a stock phrase chosen by different citizens for different people is ordinary); for each hall it reads the bad reviews of the 30 days
//! around the new ones for the evaluator-cluster rule. Phone numbers and certificates are compared
//! as keyed hashes computed in memory; they never leave the server, and explanations never name
//! them. A lead found again is recognised by its fingerprint; one that grew (a burst that went
//! on) widens the open flag; ratings already decided on are not raised again.
//!
//! The server runs [`scan`] in the background every minute (see [`spawn_scanner`]); supervisors
//! and administrators can run it at once through `POST /api/v1/integrity/scan`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hcp_domain::integrity::{detect, Flag, FlagKind, IntegrityParams, RatingEvidence, ServiceRecord, Severity};
use hcp_domain::Level;
use hcp_protocol::FlagStatus;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::integrity_flags::{self, Evidence, NewFlag};
use crate::db::{org_units, Conn, DbError, DbResult};

/// Ratings looked at per scan transaction.
pub const SCAN_BATCH: usize = 5_000;

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScanReport {
    /// New ratings looked at.
    pub ratings: u64,
    /// Flags raised.
    pub created: u64,
    /// Open flags that took in more ratings.
    pub widened: u64,
}

/// The hash a staff member's certificate is registered under, and an evaluator's certificate is
/// compared with. `None` for an empty value.
pub fn cert_hash(cert: &str) -> Option<String> {
    let norm: String = cert.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect();
    if norm.is_empty() {
        return None;
    }
    Some(hex::encode(Sha256::digest(format!("hcp-cert|{norm}").as_bytes())))
}

fn phone_hash(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(hex::encode(Sha256::digest(format!("hcp-phone|{digits}").as_bytes())))
}

fn parse_time(s: &str) -> DbResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Corrupt(format!("ratings.rated_at '{s}': {e}")))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The local (Beijing) day of an instant.
fn local_day(t: DateTime<Utc>, params: &IntegrityParams) -> NaiveDate {
    (t + Duration::minutes(i64::from(params.utc_offset_minutes))).date_naive()
}

/// The UTC instant a local day starts.
fn day_start(d: NaiveDate, params: &IntegrityParams) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - Duration::minutes(i64::from(params.utc_offset_minutes))
}

/// Evidence as the domain reads it; staff certificates looked up once per scan.
struct Converter<'c, 'a> {
    conn: &'c Conn<'a>,
    staff_by_cert: BTreeMap<String, Option<i64>>,
}

impl Converter<'_, '_> {
    fn convert(&mut self, e: Evidence) -> DbResult<RatingEvidence> {
        let cert = e.cert.as_deref().and_then(cert_hash);
        let rater_staff_id = match &cert {
            None => None,
            Some(h) => match self.staff_by_cert.get(h) {
                Some(v) => *v,
                None => {
                    let v = integrity_flags::staff_by_cert_hash(self.conn, h)?;
                    self.staff_by_cert.insert(h.clone(), v);
                    v
                }
            },
        };
        let level = Level::parse(&e.level).map_err(|err| DbError::Corrupt(format!("ratings.level: {err}")))?;
        let text = e.comment.trim();
        Ok(RatingEvidence {
            rating_id: e.id,
            rated_at: parse_time(&e.rated_at)?,
            level,
            staff_id: e.staff_id,
            rater_staff_id,
            device_id: e.device_id.filter(|d| !d.trim().is_empty()),
            phone_hash: e.phone.as_deref().and_then(phone_hash),
            certificate_hash: cert,
            service_record_no: Some(e.service_record_no),
            text: (!text.is_empty()).then(|| text.to_owned()),
        })
    }

    fn load(
        &mut self,
        unit: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bad_only: bool,
    ) -> DbResult<Vec<RatingEvidence>> {
        integrity_flags::evidence(self.conn, unit, &rfc3339(from), &rfc3339(to), bad_only)?
            .into_iter()
            .map(|e| self.convert(e))
            .collect()
    }
}

/// The service records among the evidence and the staff who handled them (as rated).
fn records(ratings: &[RatingEvidence]) -> Vec<ServiceRecord> {
    let mut by_no: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for r in ratings {
        if let (Some(no), Some(staff)) = (r.service_record_no.as_deref(), r.staff_id) {
            by_no.entry(no).or_default().insert(staff);
        }
    }
    by_no
        .into_iter()
        .map(|(no, staff)| ServiceRecord { record_no: no.to_owned(), staff_ids: staff.into_iter().collect() })
        .collect()
}

/// Looks at every rating received since the last scan, a batch per transaction, and queues what
/// it finds. Call repeatedly (each call one batch) until `ratings` is 0.
pub fn scan(conn: &Conn<'_>, now: DateTime<Utc>, params: &IntegrityParams) -> DbResult<ScanReport> {
    let after = integrity_flags::scanned_up_to(conn)?;
    let fresh = integrity_flags::new_ratings(conn, after, SCAN_BATCH)?;
    let Some(last) = fresh.last().map(|r| r.0) else { return Ok(ScanReport::default()) };
    let mut report = ScanReport { ratings: fresh.len() as u64, ..ScanReport::default() };
    let new_ids: BTreeSet<i64> = fresh.iter().map(|r| r.0).collect();
    let mut days: BTreeMap<i64, BTreeSet<NaiveDate>> = BTreeMap::new();
    for (_, unit, at) in &fresh {
        days.entry(*unit).or_default().insert(local_day(parse_time(at)?, params));
    }
    let detected_at = rfc3339(now);
    let mut conv = Converter { conn, staff_by_cert: BTreeMap::new() };
    for (unit, unit_days) in &days {
        let Some(hall) = org_units::get(conn, *unit)? else { continue };
        let mut found: Vec<Flag> = Vec::new();
        for day in unit_days {
            let from = day_start(*day, params) - Duration::hours(1);
            let to = day_start(*day, params) + Duration::hours(25);
            let evidence = conv.load(*unit, from, to, false)?;
            let staff_of: BTreeMap<i64, Option<i64>> = evidence.iter().map(|e| (e.rating_id, e.staff_id)).collect();
            found.extend(
                detect(&evidence, &records(&evidence), params)
                    .into_iter()
                    .filter(|f| f.kind != FlagKind::EvaluatorClusterOnStaff)
                    .filter(|f| f.kind != FlagKind::NearDuplicateText || copy_pasted_praise(f, &staff_of)),
            );
        }
        let (Some(first), Some(last_day)) = (unit_days.first(), unit_days.last()) else { continue };
        let span = Duration::days(i64::from(params.evaluator_window_days));
        let bad = conv.load(*unit, day_start(*first, params) - span, day_start(*last_day, params) + span, true)?;
        found.extend(detect(&bad, &[], params).into_iter().filter(|f| f.kind == FlagKind::EvaluatorClusterOnStaff));
        for mut flag in found {
            // Leads made only of ratings scanned before were raised (or refused) then.
            if !flag.rating_ids.iter().any(|id| new_ids.contains(id)) {
                continue;
            }
            flag.explanation_zh = name_staff(conn, &flag.explanation_zh)?;
            match raise(conn, hall.id, &hall.path, &flag, &detected_at)? {
                Raised::Created => report.created += 1,
                Raised::Widened => report.widened += 1,
                Raised::Known => {}
            }
        }
    }
    integrity_flags::set_scanned_up_to(conn, last)?;
    if report.created + report.widened > 0 {
        tracing::info!(ratings = report.ratings, created = report.created, widened = report.widened, "integrity scan");
    }
    Ok(report)
}

/// Whether near-identical texts look copy-pasted rather than a common phrase: three or more of
/// them (the domain rates pairs as low), all about one staff member. Citizens choosing the same
/// stock phrase ("窗口服务热情周到") for different people is ordinary.
fn copy_pasted_praise(flag: &Flag, staff_of: &BTreeMap<i64, Option<i64>>) -> bool {
    let staff: BTreeSet<Option<i64>> = flag.rating_ids.iter().map(|id| staff_of.get(id).copied().flatten()).collect();
    flag.severity != Severity::Low && staff.len() == 1 && staff.first().is_some_and(Option::is_some)
}

/// The domain names staff members by id (`（工号 17）`); the queue shows their name and real
/// employee number (`刘敏（工号 GH00017）`).
fn name_staff(conn: &Conn<'_>, text: &str) -> DbResult<String> {
    const OPEN: &str = "（工号 ";
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        let staff = match (digits.parse::<i64>(), after[digits.len()..].starts_with('）')) {
            (Ok(id), true) => crate::db::staff::get(conn, id)?,
            _ => None,
        };
        out.push_str(&rest[..at]);
        match staff {
            Some(s) => {
                out.push_str(&format!("{}（工号 {}）", s.name, s.employee_no));
                rest = &after[digits.len() + '）'.len_utf8()..];
            }
            None => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

enum Raised {
    Created,
    Widened,
    Known,
}

fn fingerprint(kind: FlagKind, ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{}:{}", kind.as_str(), ids.join(","))
}

/// Queues one lead: new, widening an open flag of the same kind that shares ratings with it, or
/// nothing when it is known or all its ratings were already decided on.
fn raise(conn: &Conn<'_>, unit_id: i64, unit_path: &str, flag: &Flag, at: &str) -> DbResult<Raised> {
    if integrity_flags::exists(conn, &flag.fingerprint())? {
        return Ok(Raised::Known);
    }
    let overlapping = integrity_flags::overlapping(conn, flag.kind, &flag.rating_ids)?;
    let decided: BTreeSet<i64> = overlapping
        .iter()
        .filter(|f| f.status != FlagStatus::Open)
        .flat_map(|f| f.rating_ids.iter().copied())
        .collect();
    let ids: Vec<i64> = flag.rating_ids.iter().copied().filter(|id| !decided.contains(id)).collect();
    if ids.is_empty() {
        return Ok(Raised::Known);
    }
    if let Some(open) = overlapping.iter().find(|f| f.status == FlagStatus::Open) {
        let merged: Vec<i64> =
            open.rating_ids.iter().chain(ids.iter()).copied().collect::<BTreeSet<_>>().into_iter().collect();
        if merged == open.rating_ids {
            return Ok(Raised::Known);
        }
        let fp = fingerprint(flag.kind, &merged);
        integrity_flags::widen(conn, open, &merged, &flag.explanation_zh, open.severity.max(flag.severity), &fp, at)?;
        return Ok(Raised::Widened);
    }
    let fp = fingerprint(flag.kind, &ids);
    integrity_flags::insert(
        conn,
        &NewFlag {
            unit_id,
            unit_path,
            kind: flag.kind,
            severity: flag.severity,
            explanation: &flag.explanation_zh,
            rating_ids: &ids,
            fingerprint: &fp,
            detected_at: at,
        },
    )?;
    Ok(Raised::Created)
}

/// Scans until every rating received so far was looked at (one transaction per batch).
pub async fn scan_all(state: &crate::AppState) -> DbResult<ScanReport> {
    let mut total = ScanReport::default();
    loop {
        let now = state.clock.now();
        let r = state.db.write(move |c| scan(c, now, &IntegrityParams::default())).await?;
        if r.ratings == 0 {
            return Ok(total);
        }
        total.ratings += r.ratings;
        total.created += r.created;
        total.widened += r.widened;
    }
}

/// The advisory-lock key of the background scan's lease ("hcpintgr").
pub const INTEGRITY_LEASE: i64 = 0x6863_7069_6e74_6772;

/// Runs [`scan_all`] every `every` in the background, for as long as the runtime lives, while
/// this process holds the scan's lease ([`crate::db::Db::try_lease`]): of several server
/// processes on one database only one scans (each would otherwise look at the same new ratings,
/// holding the write lock that intake needs); when it dies, another takes the lease at its next
/// tick. SQLite is served by one process, which always holds it.
pub fn spawn_scanner(state: crate::AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lease: Option<crate::db::Lease> = None;
        loop {
            tick.tick().await;
            let db = state.db.clone();
            let held = lease.take();
            // Keep a lease whose session is alive; otherwise (none yet, or it died) try for one.
            let got = tokio::task::spawn_blocking(move || match held.map(|mut l| (l.holds(), l)) {
                Some((true, l)) => Ok(Some(l)),
                _ => db.try_lease(INTEGRITY_LEASE),
            })
            .await;
            lease = match got {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "integrity scan: cannot take the lease; retrying at the next tick");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "integrity scan: lease task failed; retrying at the next tick");
                    None
                }
            };
            if lease.is_none() {
                continue;
            }
            if let Err(e) = scan_all(&state).await {
                tracing::warn!(error = %e, "integrity scan failed; retrying at the next tick");
            }
        }
    })
}

#[cfg(test)]
mod lease_tests {
    use super::*;
    use crate::db::integrity_flags::scanned_up_to;
    use crate::seed::{seed_demo, SeedOptions};
    use crate::testing::{Backend, TestDb};

    /// Of two processes on one PostgreSQL database only the lease holder scans in the background:
    /// while another session holds the lease this process's scanner looks at nothing, and once
    /// that session ends it takes over and scans every rating.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_the_lease_holder_scans_in_the_background() {
        let store = tokio::task::spawn_blocking(|| {
            let store = TestDb::new(Backend::Postgres)?;
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
            seed_demo(&store.db, &SeedOptions { evaluations: 200, seed: 11, today }).expect("seed");
            Some(store)
        })
        .await
        .expect("seed task");
        let Some(store) = store else { return };
        let db = store.db.clone();
        let read = |db: crate::db::Db| async move {
            db.read(|c| Ok((scanned_up_to(c)?, c.query_row("SELECT max(id) FROM ratings", (), |r| r.get::<i64>(0))?)))
                .await
                .expect("read")
        };
        let (start, newest) = read(db.clone()).await;
        assert!(start < newest, "the seeded ratings are not scanned yet: {start} / {newest}");
        let d = db.clone();
        let other = tokio::task::spawn_blocking(move || d.try_lease(INTEGRITY_LEASE))
            .await
            .expect("lease task")
            .expect("lease")
            .expect("the lease is free");
        let scanner = spawn_scanner(crate::AppState::new(db.clone()), std::time::Duration::from_millis(50));
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert_eq!(read(db.clone()).await.0, start, "a process without the lease scanned");
        tokio::task::spawn_blocking(move || drop(other)).await.expect("end the other session");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while read(db.clone()).await.0 < newest {
            assert!(std::time::Instant::now() < deadline, "the scanner never took over the lease");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        scanner.abort();
    }
}
