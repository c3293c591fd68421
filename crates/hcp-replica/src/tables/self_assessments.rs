//! `self_assessments` and `survey_results`, replicated read-only from the server (a hall's
//! 自我评价 per quarter; third-party survey results per unit and month), and
//! `self_assessment_drafts`: the hall manager's own draft of a form, kept on this laptop only
//! (it survives restarts and offline days; the outbox carries the submission).

use hcp_domain::self_assessment::{Form, Status};
use hcp_domain::survey::SurveyMethod;
use hcp_protocol::{SelfAssessmentRow, SurveyResultRow};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{ReplicaError, Result};

pub const DDL: &str = "
CREATE TABLE self_assessments (
    id                INTEGER PRIMARY KEY,
    unit_id           INTEGER NOT NULL,
    unit_path         TEXT NOT NULL,
    period            TEXT NOT NULL,
    form              TEXT NOT NULL,
    total             INTEGER NOT NULL,
    status            TEXT NOT NULL,
    submitted_by      INTEGER NOT NULL,
    submitted_by_name TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    submissions       INTEGER NOT NULL,
    reviewed_by       INTEGER,
    reviewed_by_name  TEXT,
    reviewed_at       TEXT,
    review_comment    TEXT,
    version           INTEGER NOT NULL
);
CREATE INDEX self_assessments_path ON self_assessments(unit_path, period);
CREATE TABLE survey_results (
    id                 INTEGER PRIMARY KEY,
    unit_id            INTEGER NOT NULL,
    unit_path          TEXT NOT NULL,
    period             TEXT NOT NULL,
    method             TEXT NOT NULL,
    agency             TEXT NOT NULL,
    respondents        INTEGER NOT NULL,
    satisfaction_centi INTEGER NOT NULL,
    levels             TEXT,
    note               TEXT NOT NULL,
    file_name          TEXT NOT NULL,
    imported_by_name   TEXT NOT NULL,
    imported_at        TEXT NOT NULL,
    version            INTEGER NOT NULL
);
CREATE INDEX survey_results_path ON survey_results(unit_path, period);
CREATE TABLE self_assessment_drafts (
    unit_id    INTEGER NOT NULL,
    period     TEXT NOT NULL,
    form       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (unit_id, period)
);
";

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ReplicaError::Corrupt(e.to_string()))
}

fn bad(i: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.to_owned().into())
}

pub fn upsert(conn: &Connection, r: &SelfAssessmentRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO self_assessments (id, unit_id, unit_path, period, form, total, status, submitted_by,
            submitted_by_name, submitted_at, submissions, reviewed_by, reviewed_by_name, reviewed_at, review_comment,
            version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        r.id,
        r.unit_id,
        r.unit_path,
        r.period,
        json(&r.form)?,
        r.total,
        r.status.as_str(),
        r.submitted_by,
        r.submitted_by_name,
        r.submitted_at,
        r.submissions,
        r.reviewed_by,
        r.reviewed_by_name,
        r.reviewed_at,
        r.review_comment,
        r.version
    ])?;
    Ok(())
}

const COLS: &str = "id, unit_id, unit_path, period, form, total, status, submitted_by, submitted_by_name, submitted_at,
    submissions, reviewed_by, reviewed_by_name, reviewed_at, review_comment, version";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<SelfAssessmentRow> {
    let form: String = r.get(4)?;
    let status: String = r.get(6)?;
    Ok(SelfAssessmentRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        period: r.get(3)?,
        form: serde_json::from_str(&form).map_err(|_| bad(4, "self_assessments.form"))?,
        total: r.get(5)?,
        status: Status::parse(&status).ok_or_else(|| bad(6, "self_assessments.status"))?,
        submitted_by: r.get(7)?,
        submitted_by_name: r.get(8)?,
        submitted_at: r.get(9)?,
        submissions: r.get(10)?,
        reviewed_by: r.get(11)?,
        reviewed_by_name: r.get(12)?,
        reviewed_at: r.get(13)?,
        review_comment: r.get(14)?,
        version: r.get(15)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<SelfAssessmentRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM self_assessments WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The hall's self-assessment for a quarter.
pub fn of(conn: &Connection, unit_id: i64, period: &str) -> Result<Option<SelfAssessmentRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM self_assessments WHERE unit_id = ?1 AND period = ?2"))?
        .query_row(params![unit_id, period], from_row)
        .optional()?)
}

/// The self-assessments under `scope` for a quarter (every quarter when `None`), by hall path.
pub fn list(conn: &Connection, scope: &str, period: Option<&str>) -> Result<Vec<SelfAssessmentRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM self_assessments
              WHERE unit_path >= ?1 AND unit_path < ?2 AND (?3 IS NULL OR period = ?3)
              ORDER BY period DESC, unit_path"
        ))?
        .query_map(params![scope, format!("{scope}~"), period], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// The draft of a hall's form for a quarter, with when it was saved.
pub fn draft(conn: &Connection, unit_id: i64, period: &str) -> Result<Option<(Form, String)>> {
    let got: Option<(String, String)> = conn
        .prepare_cached("SELECT form, updated_at FROM self_assessment_drafts WHERE unit_id = ?1 AND period = ?2")?
        .query_row(params![unit_id, period], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    got.map(|(f, at)| {
        serde_json::from_str(&f).map(|f| (f, at)).map_err(|e| ReplicaError::Corrupt(format!("draft form: {e}")))
    })
    .transpose()
}

pub fn save_draft(conn: &Connection, unit_id: i64, period: &str, form: &Form, at: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO self_assessment_drafts (unit_id, period, form, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (unit_id, period) DO UPDATE SET form = excluded.form, updated_at = excluded.updated_at",
    )?
    .execute(params![unit_id, period, json(form)?, at])?;
    Ok(())
}

/// The quarters with a draft for this hall.
pub fn draft_periods(conn: &Connection, unit_id: i64) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT period FROM self_assessment_drafts WHERE unit_id = ?1 ORDER BY period DESC")?
        .query_map([unit_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

pub fn upsert_survey(conn: &Connection, r: &SurveyResultRow) -> Result<()> {
    let levels = r.levels.map(|l| l.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
    conn.prepare_cached(
        "INSERT OR REPLACE INTO survey_results (id, unit_id, unit_path, period, method, agency, respondents,
            satisfaction_centi, levels, note, file_name, imported_by_name, imported_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        r.id,
        r.unit_id,
        r.unit_path,
        r.period,
        r.method.as_str(),
        r.agency,
        r.respondents,
        r.satisfaction_centi,
        levels,
        r.note,
        r.file_name,
        r.imported_by_name,
        r.imported_at,
        r.version
    ])?;
    Ok(())
}

const SURVEY_COLS: &str = "id, unit_id, unit_path, period, method, agency, respondents, satisfaction_centi, levels,
    note, file_name, imported_by_name, imported_at, version";

fn survey_from_row(r: &rusqlite::Row) -> rusqlite::Result<SurveyResultRow> {
    let method: String = r.get(4)?;
    let levels: Option<String> = r.get(8)?;
    let levels = match levels {
        None => None,
        Some(s) => {
            let v: Vec<u32> = s
                .split(',')
                .map(|p| p.parse().map_err(|_| bad(8, "survey_results.levels")))
                .collect::<rusqlite::Result<_>>()?;
            Some(<[u32; 5]>::try_from(v).map_err(|_| bad(8, "survey_results.levels"))?)
        }
    };
    Ok(SurveyResultRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        period: r.get(3)?,
        method: SurveyMethod::parse(&method).ok_or_else(|| bad(4, "survey_results.method"))?,
        agency: r.get(5)?,
        respondents: r.get(6)?,
        satisfaction_centi: r.get(7)?,
        levels,
        note: r.get(9)?,
        file_name: r.get(10)?,
        imported_by_name: r.get(11)?,
        imported_at: r.get(12)?,
        version: r.get(13)?,
    })
}

/// The survey results under `scope` whose month starts with `period` (`2026-11`, or `2026` for a
/// year; all when `None`), newest month first.
pub fn surveys(conn: &Connection, scope: &str, period: Option<&str>) -> Result<Vec<SurveyResultRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SURVEY_COLS} FROM survey_results
              WHERE unit_path >= ?1 AND unit_path < ?2 AND (?3 IS NULL OR substr(period, 1, length(?3)) = ?3)
              ORDER BY period DESC, unit_path, method, agency"
        ))?
        .query_map(params![scope, format!("{scope}~"), period], survey_from_row)?
        .collect::<rusqlite::Result<_>>()?)
}
