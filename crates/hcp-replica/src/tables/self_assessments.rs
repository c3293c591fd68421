//! `self_assessments` and `survey_results`, replicated read-only from the server (a hall's
//! 自我评价 per quarter; third-party survey results per unit and month), and
//! `self_assessment_drafts`: the hall manager's own draft of a form, kept on this laptop only
//! (it survives restarts and offline days; the outbox carries the submission).

use hcp_domain::self_assessment::Form;
use hcp_protocol::{SelfAssessmentRow, SurveyResultRow};
use hcp_store::{args, Conn, Replicated};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{ReplicaError, Result};

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::self_assessment::replica_ddl as ddl;

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ReplicaError::Corrupt(e.to_string()))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<SelfAssessmentRow>> {
    Ok(hcp_store::get(&Conn::sqlite(conn), id)?)
}

/// The hall's self-assessment for a quarter.
pub fn of(conn: &Connection, unit_id: i64, period: &str) -> Result<Option<SelfAssessmentRow>> {
    let sql = format!("SELECT {} FROM self_assessments WHERE unit_id = ?1 AND period = ?2", SelfAssessmentRow::COLUMNS);
    Ok(Conn::sqlite(conn).query_opt(&sql, args![unit_id, period], SelfAssessmentRow::from_row)?)
}

/// The self-assessments under `scope` for a quarter (every quarter when `None`), by hall path.
pub fn list(conn: &Connection, scope: &str, period: Option<&str>) -> Result<Vec<SelfAssessmentRow>> {
    let sql = format!(
        "SELECT {} FROM self_assessments
          WHERE unit_path >= ?1 AND unit_path < ?2 AND (?3 IS NULL OR period = ?3)
          ORDER BY period DESC, unit_path",
        SelfAssessmentRow::COLUMNS
    );
    Ok(Conn::sqlite(conn).query_map(&sql, args![scope, format!("{scope}~"), period], SelfAssessmentRow::from_row)?)
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

/// The survey results under `scope` whose month starts with `period` (`2026-11`, or `2026` for a
/// year; all when `None`), newest month first.
pub fn surveys(conn: &Connection, scope: &str, period: Option<&str>) -> Result<Vec<SurveyResultRow>> {
    let sql = format!(
        "SELECT {} FROM survey_results
          WHERE unit_path >= ?1 AND unit_path < ?2 AND (?3 IS NULL OR substr(period, 1, length(?3)) = ?3)
          ORDER BY period DESC, unit_path, method, agency",
        SurveyResultRow::COLUMNS
    );
    Ok(Conn::sqlite(conn).query_map(&sql, args![scope, format!("{scope}~"), period], SurveyResultRow::from_row)?)
}
