//! `integrity_flags` and `flag_ratings`: the verification queue of suspicious ratings (异常评价线索).
//!
//! A flag names the ratings it concerns in `rating_ids` (replicated as is) and, one row per rating,
//! in `flag_ratings`, whose `excluded` column says whether a decision took the rating out of the
//! statistics. `hcp-stats` and the replica's statistics read exclusions from `flag_ratings`, so a
//! confirmed fake or malicious rating leaves every figure at once. The detection that fills the
//! queue is [`crate::integrity`]; it also keeps, in `integrity_scan`, the last rating it looked at.

use hcp_domain::integrity::{FlagKind, Severity};
use hcp_domain::Role;
use hcp_protocol::{ChangeOp, Entity, FlagStatus, IntegrityFlagRow};

use super::{args, parse_col, Conn, DbError, DbResult, Row};

pub const DDL: &str = "
ALTER TABLE ratings ADD COLUMN device_id TEXT;
ALTER TABLE staff ADD COLUMN cert_hash TEXT;
CREATE INDEX ratings_unit_time ON ratings(unit_id, rated_at);
CREATE INDEX staff_cert ON staff(cert_hash);
CREATE TABLE integrity_flags (
    id                  INTEGER PRIMARY KEY,
    unit_id             INTEGER NOT NULL REFERENCES org_units(id),
    unit_path           TEXT NOT NULL,
    kind                TEXT NOT NULL,
    severity            TEXT NOT NULL,
    explanation         TEXT NOT NULL,
    rating_ids          TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    status              TEXT NOT NULL,
    decided_by          INTEGER REFERENCES users(id),
    decided_by_name     TEXT,
    decided_at          TEXT,
    decision_note       TEXT,
    decision_command_id TEXT UNIQUE,
    detected_at         TEXT NOT NULL,
    version             INTEGER NOT NULL
);
CREATE INDEX integrity_flags_path ON integrity_flags(unit_path);
CREATE INDEX integrity_flags_fingerprint ON integrity_flags(fingerprint);
CREATE TABLE flag_ratings (
    flag_id   INTEGER NOT NULL REFERENCES integrity_flags(id),
    rating_id INTEGER NOT NULL REFERENCES ratings(id),
    kind      TEXT NOT NULL,
    excluded  INTEGER NOT NULL,
    PRIMARY KEY (flag_id, rating_id)
);
CREATE INDEX flag_ratings_rating ON flag_ratings(rating_id, kind);
CREATE TABLE integrity_scan (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

const COLS: &str = "id, unit_id, unit_path, kind, severity, explanation, rating_ids, status, decided_by,
    decided_by_name, decided_at, decision_note, detected_at, version";

fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn parse_ids(s: &str) -> DbResult<Vec<i64>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| DbError::Corrupt(format!("integrity_flags.rating_ids = '{s}'"))))
        .collect()
}

fn from_row(r: &Row) -> DbResult<IntegrityFlagRow> {
    let kind: String = r.get(3)?;
    let severity: String = r.get(4)?;
    let ids: String = r.get(6)?;
    let status: String = r.get(7)?;
    Ok(IntegrityFlagRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        kind: parse_col(&kind, "integrity_flags.kind", FlagKind::parse)?,
        severity: parse_col(&severity, "integrity_flags.severity", Severity::parse)?,
        explanation: r.get(5)?,
        rating_ids: parse_ids(&ids)?,
        status: parse_col(&status, "integrity_flags.status", FlagStatus::parse)?,
        decided_by: r.get(8)?,
        decided_by_name: r.get(9)?,
        decided_at: r.get(10)?,
        decision_note: r.get(11)?,
        detected_at: r.get(12)?,
        version: r.get(13)?,
    })
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<IntegrityFlagRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM integrity_flags WHERE id = ?1"), [id], from_row)
}

pub fn in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    f: impl FnMut(IntegrityFlagRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan(
        conn,
        &format!("SELECT {COLS} FROM integrity_flags WHERE unit_path >= ?1 AND unit_path < ?2 ORDER BY id"),
        scope,
        upper,
        from_row,
        f,
    )
}

/// The flags in scope with an id above `after` (a resumed snapshot).
pub fn in_scope_after(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    f: impl FnMut(IntegrityFlagRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!("SELECT {COLS} FROM integrity_flags WHERE unit_path >= ?1 AND unit_path < ?2 AND id > ?3 ORDER BY id"),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}

/// The explanation roles outside the verification queue receive instead of the lead's own.
pub const REDACTED_EXPLANATION: &str = "经核实，所涉评价已不计入统计。";

/// What of an integrity flag `role` receives through the snapshot, the change feed and the scope
/// digest (every derived read). Roles that see the verification queue
/// ([`Role::may_view_integrity_flags`]) get the whole lead. The others (handlers, staff members,
/// administrators) learn only which ratings a verdict took out of the statistics, so that their
/// figures agree with the server's: without the explanation, the notes or who decided. Open and
/// dismissed leads never reach them.
pub fn for_role(f: IntegrityFlagRow, role: Role) -> Option<IntegrityFlagRow> {
    if role.may_view_integrity_flags() {
        return Some(f);
    }
    if !f.status.excludes_from_stats() {
        return None;
    }
    Some(IntegrityFlagRow {
        explanation: REDACTED_EXPLANATION.to_owned(),
        decided_by: None,
        decided_by_name: None,
        decision_note: None,
        ..f
    })
}

/// The flags in scope with an id above `after` (0: all), by id, as `role` may receive them.
pub fn for_role_in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    role: Role,
    mut f: impl FnMut(IntegrityFlagRow) -> DbResult<()>,
) -> DbResult<()> {
    in_scope_after(conn, scope, upper, after, |r| match for_role(r, role) {
        Some(r) => f(r),
        None => Ok(()),
    })
}

/// How many rows [`for_role_in_scope`] gives.
pub fn count_for_role_in_scope(conn: &Conn<'_>, scope: &str, upper: &str, after: i64, role: Role) -> DbResult<u64> {
    let mut n = 0;
    for_role_in_scope(conn, scope, upper, after, role, |_| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// Whether a flag with exactly these ratings and kind was raised before.
pub fn exists(conn: &Conn<'_>, fingerprint: &str) -> DbResult<bool> {
    Ok(conn.query_opt("SELECT 1 FROM integrity_flags WHERE fingerprint = ?1", [fingerprint], |_| Ok(()))?.is_some())
}

/// The flags of `kind` that already hold one of `rating_ids`, oldest first.
pub fn overlapping(conn: &Conn<'_>, kind: FlagKind, rating_ids: &[i64]) -> DbResult<Vec<IntegrityFlagRow>> {
    let mut ids = std::collections::BTreeSet::new();
    for r in rating_ids {
        for id in conn.query_map(
            "SELECT flag_id FROM flag_ratings WHERE rating_id = ?1 AND kind = ?2",
            args![*r, kind.as_str()],
            |row| row.get::<i64>(0),
        )? {
            ids.insert(id);
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(get(conn, id)?);
    }
    Ok(out)
}

/// A new flag in the queue.
pub struct NewFlag<'a> {
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub kind: FlagKind,
    pub severity: Severity,
    pub explanation: &'a str,
    pub rating_ids: &'a [i64],
    pub fingerprint: &'a str,
    pub detected_at: &'a str,
}

pub fn insert(conn: &Conn<'_>, f: &NewFlag<'_>) -> DbResult<i64> {
    let id = conn.insert(
        "INSERT INTO integrity_flags (unit_id, unit_path, kind, severity, explanation, rating_ids, fingerprint,
            status, detected_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, 1) RETURNING id",
        args![
            f.unit_id,
            f.unit_path,
            f.kind.as_str(),
            f.severity.as_str(),
            f.explanation,
            ids_text(f.rating_ids),
            f.fingerprint,
            f.detected_at
        ],
    )?;
    link(conn, id, f.kind, f.rating_ids)?;
    super::changes::record(conn, Entity::IntegrityFlag, id, f.unit_path, ChangeOp::Upsert, f.detected_at)?;
    Ok(id)
}

fn link(conn: &Conn<'_>, flag_id: i64, kind: FlagKind, rating_ids: &[i64]) -> DbResult<()> {
    for r in rating_ids {
        conn.execute(
            "INSERT INTO flag_ratings (flag_id, rating_id, kind, excluded) VALUES (?1, ?2, ?3, 0)
             ON CONFLICT (flag_id, rating_id) DO NOTHING",
            args![flag_id, *r, kind.as_str()],
        )?;
    }
    Ok(())
}

/// Widens an open flag with more ratings found later (a burst that went on, say), at `at`.
#[allow(clippy::too_many_arguments)]
pub fn widen(
    conn: &Conn<'_>,
    flag: &IntegrityFlagRow,
    rating_ids: &[i64],
    explanation: &str,
    severity: Severity,
    fingerprint: &str,
    at: &str,
) -> DbResult<()> {
    conn.execute(
        "UPDATE integrity_flags SET rating_ids = ?2, explanation = ?3, severity = ?4, fingerprint = ?5,
                version = version + 1
          WHERE id = ?1",
        args![flag.id, ids_text(rating_ids), explanation, severity.as_str(), fingerprint],
    )?;
    link(conn, flag.id, flag.kind, rating_ids)?;
    super::changes::record(conn, Entity::IntegrityFlag, flag.id, &flag.unit_path, ChangeOp::Upsert, at)?;
    Ok(())
}

/// Records a verdict: the flag leaves the queue, and its ratings leave the statistics when the
/// verdict says so.
pub struct Decision<'a> {
    pub status: FlagStatus,
    pub user_id: i64,
    pub user_name: &'a str,
    pub at: &'a str,
    pub note: &'a str,
    pub command_id: &'a str,
}

pub fn decide(conn: &Conn<'_>, flag: &IntegrityFlagRow, d: &Decision<'_>) -> DbResult<()> {
    let id = flag.id;
    conn.execute(
        "UPDATE integrity_flags SET status = ?2, decided_by = ?3, decided_by_name = ?4, decided_at = ?5,
                decision_note = ?6, decision_command_id = ?7, version = version + 1
          WHERE id = ?1",
        args![id, d.status.as_str(), d.user_id, d.user_name, d.at, d.note, d.command_id],
    )?;
    conn.execute(
        "UPDATE flag_ratings SET excluded = ?2 WHERE flag_id = ?1",
        args![id, i64::from(d.status.excludes_from_stats())],
    )?;
    super::changes::record(conn, Entity::IntegrityFlag, id, &flag.unit_path, ChangeOp::Upsert, d.at)?;
    // The verdict may take the ratings out of (or back into) a closed month's statistics.
    super::rating_stats::ratings_changed_by_id(conn, &flag.rating_ids, d.at)
}

/// The flag a decision command was applied to, if it was.
pub fn by_command(conn: &Conn<'_>, command_id: &str) -> DbResult<Option<i64>> {
    conn.query_opt("SELECT id FROM integrity_flags WHERE decision_command_id = ?1", [command_id], |r| r.get(0))
}

/// The last rating id the detection has looked at.
pub fn scanned_up_to(conn: &Conn<'_>) -> DbResult<i64> {
    Ok(conn.query_opt("SELECT value FROM integrity_scan WHERE name = 'ratings'", (), |r| r.get(0))?.unwrap_or(0))
}

pub fn set_scanned_up_to(conn: &Conn<'_>, id: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO integrity_scan (name, value) VALUES ('ratings', ?1)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [id],
    )?;
    Ok(())
}

/// What detection needs to know about a rating: evidence, personal data included (server only,
/// never logged or sent).
pub struct Evidence {
    pub id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub rated_at: String,
    pub level: String,
    pub service_record_no: String,
    pub comment: String,
    pub phone: Option<String>,
    pub cert: Option<String>,
    pub device_id: Option<String>,
    /// The staff member whose registered certificate matches the evaluator's (filled in by the caller).
    pub rater_staff_id: Option<i64>,
}

/// The ratings of one hall rated in `[from, to)` (RFC 3339 UTC), optionally only bad reviews.
pub fn evidence(conn: &Conn<'_>, unit_id: i64, from: &str, to: &str, bad_only: bool) -> DbResult<Vec<Evidence>> {
    let levels = if bad_only { "AND r.level IN ('dissatisfied', 'very_dissatisfied')" } else { "" };
    conn.query_map(
        &format!(
            "SELECT r.id, r.unit_id, r.staff_id, r.rated_at, r.level, r.service_record_no, r.comment,
                    r.evaluator_phone, r.evaluator_cert, r.device_id
               FROM ratings r
              WHERE r.unit_id = ?1 AND r.rated_at >= ?2 AND r.rated_at < ?3 {levels}
              ORDER BY r.id"
        ),
        args![unit_id, from, to],
        |r| {
            Ok(Evidence {
                id: r.get(0)?,
                unit_id: r.get(1)?,
                staff_id: r.get(2)?,
                rated_at: r.get(3)?,
                level: r.get(4)?,
                service_record_no: r.get(5)?,
                comment: r.get(6)?,
                phone: r.get(7)?,
                cert: r.get(8)?,
                device_id: r.get(9)?,
                rater_staff_id: None,
            })
        },
    )
}

/// The staff member registered with this certificate hash, if any.
pub fn staff_by_cert_hash(conn: &Conn<'_>, hash: &str) -> DbResult<Option<i64>> {
    conn.query_opt("SELECT min(id) FROM staff WHERE cert_hash = ?1", [hash], |r| r.get::<Option<i64>>(0))
        .map(Option::flatten)
}

/// New ratings after `after`, in id order: (id, hall, rated_at).
pub fn new_ratings(conn: &Conn<'_>, after: i64, limit: usize) -> DbResult<Vec<(i64, i64, String)>> {
    conn.query_map(
        "SELECT id, unit_id, rated_at FROM ratings WHERE id > ?1 ORDER BY id LIMIT ?2",
        args![after, limit],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
