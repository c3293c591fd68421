//! `integrity_flags` and `flag_ratings`: the verification queue of suspicious ratings
//! (异常评价线索), replicated from the server. `flag_ratings` lists each flag's ratings with
//! whether its verdict took them out of the statistics; the statistics views read it, as
//! `hcp-stats` does on the server.

use hcp_domain::integrity::{FlagKind, Severity};
use hcp_protocol::{FlagStatus, IntegrityFlagRow};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{ReplicaError, Result};

pub const DDL: &str = "
CREATE TABLE integrity_flags (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL,
    unit_path       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    explanation     TEXT NOT NULL,
    rating_ids      TEXT NOT NULL,
    status          TEXT NOT NULL,
    decided_by      INTEGER,
    decided_by_name TEXT,
    decided_at      TEXT,
    decision_note   TEXT,
    detected_at     TEXT NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX integrity_flags_path ON integrity_flags(unit_path);
CREATE TABLE flag_ratings (
    flag_id   INTEGER NOT NULL,
    rating_id INTEGER NOT NULL,
    excluded  INTEGER NOT NULL,
    PRIMARY KEY (flag_id, rating_id)
);
CREATE INDEX flag_ratings_excluded ON flag_ratings(rating_id) WHERE excluded = 1;
";

/// The statistics views with the flags' verdicts: a rating confirmed fake or malicious leaves
/// the statistics, and so does the case it opened. Supersedes the views of
/// [`crate::aggregates::VIEWS_DDL`] (a later migration, so existing replicas get it too).
pub const STATS_DDL: &str = "
DROP VIEW stat_ratings;
DROP VIEW stat_cases;
CREATE VIEW stat_ratings AS
SELECT r.id, r.unit_id, r.unit_path, r.staff_id, date(r.rated_at, '+480 minutes') AS day, r.level, r.channel,
       r.real_name <> 0 AS real_name,
       EXISTS (SELECT 1 FROM cases c WHERE c.rating_id = r.id
                  AND json_extract(c.aggregate, '$.excluded_from_stats') = 1)
       OR EXISTS (SELECT 1 FROM flag_ratings f WHERE f.rating_id = r.id AND f.excluded = 1) AS excluded
  FROM ratings r;
CREATE VIEW stat_cases AS
SELECT c.id, c.unit_id, c.unit_path, c.staff_id, c.rating_id,
       date(c.created_at, '+480 minutes') AS day,
       CASE WHEN date(c.deadline) = c.deadline THEN c.deadline END AS due,
       c.state = 'closed' AS closed,
       coalesce(json_extract(c.aggregate, '$.real_name'), 0) <> 0 AS real_name,
       coalesce(json_extract(c.aggregate, '$.excluded_from_stats'), 0) <> 0
       OR EXISTS (SELECT 1 FROM flag_ratings f WHERE f.rating_id = c.rating_id AND f.excluded = 1) AS excl,
       (SELECT date(max(e.at), '+480 minutes') FROM case_events e
         WHERE e.case_id = c.id AND e.kind IN ('rectification_reported', 'resolved_on_spot')) AS handled_day,
       (SELECT json_extract(e.data, '$.payload.satisfied') FROM case_events e
         WHERE e.case_id = c.id AND e.kind = 'return_visited' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS visit
  FROM cases c;
";

pub fn upsert(conn: &Connection, r: &IntegrityFlagRow) -> Result<()> {
    let ids = serde_json::to_string(&r.rating_ids).map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO integrity_flags (id, unit_id, unit_path, kind, severity, explanation, rating_ids,
            status, decided_by, decided_by_name, decided_at, decision_note, detected_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        r.id,
        r.unit_id,
        r.unit_path,
        r.kind.as_str(),
        r.severity.as_str(),
        r.explanation,
        ids,
        r.status.as_str(),
        r.decided_by,
        r.decided_by_name,
        r.decided_at,
        r.decision_note,
        r.detected_at,
        r.version
    ])?;
    conn.prepare_cached("DELETE FROM flag_ratings WHERE flag_id = ?1")?.execute([r.id])?;
    let excluded = i64::from(r.status.excludes_from_stats());
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO flag_ratings (flag_id, rating_id, excluded) VALUES (?1, ?2, ?3)")?;
    for rating in &r.rating_ids {
        insert.execute(params![r.id, rating, excluded])?;
    }
    Ok(())
}

pub fn remove(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM flag_ratings WHERE flag_id = ?1")?.execute([id])?;
    Ok(())
}

/// The ratings a flag holds now (before a change replaces it).
pub fn rating_ids(conn: &Connection, id: i64) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached("SELECT rating_id FROM flag_ratings WHERE flag_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

const COLS: &str = "id, unit_id, unit_path, kind, severity, explanation, rating_ids, status, decided_by,
    decided_by_name, decided_at, decision_note, detected_at, version";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<IntegrityFlagRow> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("integrity_flags.{what}").into(),
        )
    };
    let kind: String = r.get(3)?;
    let severity: String = r.get(4)?;
    let ids: String = r.get(6)?;
    let status: String = r.get(7)?;
    Ok(IntegrityFlagRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        kind: FlagKind::parse(&kind).ok_or_else(|| bad(3, "kind"))?,
        severity: Severity::parse(&severity).ok_or_else(|| bad(4, "severity"))?,
        explanation: r.get(5)?,
        rating_ids: serde_json::from_str(&ids).map_err(|_| bad(6, "rating_ids"))?,
        status: FlagStatus::parse(&status).ok_or_else(|| bad(7, "status"))?,
        decided_by: r.get(8)?,
        decided_by_name: r.get(9)?,
        decided_at: r.get(10)?,
        decision_note: r.get(11)?,
        detected_at: r.get(12)?,
        version: r.get(13)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<IntegrityFlagRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM integrity_flags WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The flags under `scope`, open ones first, then newest first; `status` filters.
pub fn list(conn: &Connection, scope: &str, status: Option<FlagStatus>) -> Result<Vec<IntegrityFlagRow>> {
    let upper = format!("{scope}~");
    let status = status.map(FlagStatus::as_str);
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM integrity_flags
              WHERE unit_path >= ?1 AND unit_path < ?2 AND (?3 IS NULL OR status = ?3)
              ORDER BY status <> 'open', id DESC"
        ))?
        .query_map(params![scope, upper, status], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// The open flags (integrity leads awaiting a verdict) that hold the rating `rating_id`, newest
/// first: a case opened by that rating is under suspicion until they are decided.
pub fn open_for_rating(conn: &Connection, rating_id: i64) -> Result<Vec<IntegrityFlagRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM integrity_flags
              WHERE status = 'open' AND id IN (SELECT flag_id FROM flag_ratings WHERE rating_id = ?1)
              ORDER BY id DESC"
        ))?
        .query_map([rating_id], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Open flags under `scope` (the queue's badge).
pub fn open_count(conn: &Connection, scope: &str) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM integrity_flags WHERE unit_path >= ?1 AND unit_path < ?2 AND status = 'open'",
        )?
        .query_row(params![scope, format!("{scope}~")], |r| r.get(0))?;
    Ok(n as u64)
}

/// One rating of a flag, as the verification queue shows it (the evaluator masked).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FlaggedRating {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub rating_id: i64,
    /// e.g. `very_satisfied`.
    pub level: String,
    pub rated_at: String,
    pub channel: u8,
    pub service_record_no: String,
    pub item_name: String,
    pub staff_name: Option<String>,
    pub comment: String,
    pub evaluator_masked: String,
}

/// The ratings with these ids that the replica holds, in id order.
pub fn ratings(conn: &Connection, ids: &[i64]) -> Result<Vec<FlaggedRating>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.level, r.rated_at, r.channel, r.service_record_no, r.item_name, s.name, r.comment,
                r.evaluator_masked
           FROM ratings r LEFT JOIN staff s ON s.id = r.staff_id WHERE r.id = ?1",
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(r) = stmt
            .query_row([id], |r| {
                Ok(FlaggedRating {
                    rating_id: r.get(0)?,
                    level: r.get(1)?,
                    rated_at: r.get(2)?,
                    channel: r.get(3)?,
                    service_record_no: r.get(4)?,
                    item_name: r.get(5)?,
                    staff_name: r.get(6)?,
                    comment: r.get(7)?,
                    evaluator_masked: r.get(8)?,
                })
            })
            .optional()?
        {
            out.push(r);
        }
    }
    out.sort_by_key(|r| r.rating_id);
    Ok(out)
}
