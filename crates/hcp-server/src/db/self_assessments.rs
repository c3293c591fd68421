//! `self_assessments` (自我评价, one per hall and quarter) and `survey_results` (第三方评价 /
//! 满意度测评, one per unit, month, method and agency): the hall's own and a third party's view of
//! a hall, both replicated read-only beside the citizens' ratings and never mixed into them.
//!
//! `self_assessment_commands` remembers every submit and review command applied, so the same
//! outbox command sent again is answered once.

use hcp_domain::self_assessment::{Form, Status};
use hcp_domain::survey::SurveyMethod;
use hcp_protocol::{ChangeOp, Entity, SelfAssessmentRow, SurveyResultRow};

use super::{args, Conn, DbResult};
use hcp_store::Replicated;

pub use hcp_store::entities::self_assessment::SERVER_DDL as DDL;

const COLS: &str = SelfAssessmentRow::COLUMNS;

/// The hall's self-assessment for a quarter.
pub fn of(conn: &Conn<'_>, unit_id: i64, period: &str) -> DbResult<Option<SelfAssessmentRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM self_assessments WHERE unit_id = ?1 AND period = ?2"),
        args![unit_id, period],
        SelfAssessmentRow::from_row,
    )
}

/// The assessment a command was applied to, if it was.
pub fn by_command(conn: &Conn<'_>, command_id: &str) -> DbResult<Option<i64>> {
    conn.query_opt("SELECT assessment_id FROM self_assessment_commands WHERE command_id = ?1", [command_id], |r| {
        r.get(0)
    })
}

fn remember(conn: &Conn<'_>, command_id: &str, id: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO self_assessment_commands (command_id, assessment_id) VALUES (?1, ?2)",
        args![command_id, id],
    )?;
    Ok(())
}

/// A submission (the first, or again after a return).
pub struct Submission<'a> {
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub period: &'a str,
    pub form: &'a Form,
    pub user_id: i64,
    pub user_name: &'a str,
    pub at: &'a str,
    pub command_id: &'a str,
}

/// Stores a submission: a new record, or the returned one (`existing`) submitted again.
pub fn submit(conn: &Conn<'_>, existing: Option<i64>, s: &Submission<'_>) -> DbResult<i64> {
    let form = hcp_store::entities::self_assessment::form_text(s.form)?;
    let total = s.form.total();
    let id = match existing {
        None => conn.insert(
            "INSERT INTO self_assessments (unit_id, unit_path, period, form, total, status, submitted_by,
                submitted_by_name, submitted_at, submissions, version)
             VALUES (?1, ?2, ?3, ?4, ?5, 'submitted', ?6, ?7, ?8, 1, 1) RETURNING id",
            args![s.unit_id, s.unit_path, s.period, form, total, s.user_id, s.user_name, s.at],
        )?,
        Some(id) => {
            conn.execute(
                "UPDATE self_assessments SET form = ?2, total = ?3, status = 'submitted', submitted_by = ?4,
                        submitted_by_name = ?5, submitted_at = ?6, submissions = submissions + 1, version = version + 1
                  WHERE id = ?1",
                args![id, form, total, s.user_id, s.user_name, s.at],
            )?;
            id
        }
    };
    remember(conn, s.command_id, id)?;
    super::changes::record(conn, Entity::SelfAssessment, id, s.unit_path, ChangeOp::Upsert, s.at)?;
    Ok(id)
}

/// A supervisor's review.
pub struct Review<'a> {
    pub status: Status,
    pub user_id: i64,
    pub user_name: &'a str,
    pub at: &'a str,
    pub comment: Option<&'a str>,
    pub command_id: &'a str,
}

pub fn review(conn: &Conn<'_>, id: i64, r: &Review<'_>) -> DbResult<()> {
    let path: String = conn.query_row(
        "UPDATE self_assessments SET status = ?2, reviewed_by = ?3, reviewed_by_name = ?4, reviewed_at = ?5,
                review_comment = ?6, version = version + 1
          WHERE id = ?1 RETURNING unit_path",
        args![id, r.status.as_str(), r.user_id, r.user_name, r.at, r.comment.map(str::to_owned)],
        |row| row.get(0),
    )?;
    remember(conn, r.command_id, id)?;
    super::changes::record(conn, Entity::SelfAssessment, id, &path, ChangeOp::Upsert, r.at)?;
    Ok(())
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<SelfAssessmentRow>> {
    hcp_store::get(conn, id)
}

pub fn survey(conn: &Conn<'_>, id: i64) -> DbResult<Option<SurveyResultRow>> {
    hcp_store::get(conn, id)
}

const SURVEY_COLS: &str = SurveyResultRow::COLUMNS;

use hcp_store::entities::survey_result::levels_text;

/// The stored result with this key.
pub fn survey_by_key(
    conn: &Conn<'_>,
    unit_id: i64,
    period: &str,
    method: SurveyMethod,
    agency: &str,
) -> DbResult<Option<SurveyResultRow>> {
    conn.query_opt(
        &format!(
            "SELECT {SURVEY_COLS} FROM survey_results WHERE unit_id = ?1 AND period = ?2 AND method = ?3 AND agency = ?4"
        ),
        args![unit_id, period, method.as_str(), agency],
        SurveyResultRow::from_row,
    )
}

/// One result to store.
pub struct NewSurvey<'a> {
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub period: &'a str,
    pub method: SurveyMethod,
    pub agency: &'a str,
    pub respondents: u32,
    pub satisfaction_centi: u32,
    pub levels: Option<[u32; 5]>,
    pub note: &'a str,
    pub file_name: &'a str,
    pub user_id: i64,
    pub user_name: &'a str,
    pub at: &'a str,
}

/// Stores a new result and records its change; returns its id.
pub fn insert_survey(conn: &Conn<'_>, s: &NewSurvey<'_>) -> DbResult<i64> {
    let id = conn.insert(
        "INSERT INTO survey_results (unit_id, unit_path, period, method, agency, respondents, satisfaction_centi,
            levels, note, file_name, imported_by, imported_by_name, imported_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1) RETURNING id",
        args![
            s.unit_id,
            s.unit_path,
            s.period,
            s.method.as_str(),
            s.agency,
            s.respondents,
            s.satisfaction_centi,
            levels_text(s.levels),
            s.note,
            s.file_name,
            s.user_id,
            s.user_name,
            s.at
        ],
    )?;
    super::changes::record(conn, Entity::SurveyResult, id, s.unit_path, ChangeOp::Upsert, s.at)?;
    Ok(id)
}

/// Replaces the values of a stored result (a corrected file).
pub fn update_survey(conn: &Conn<'_>, id: i64, s: &NewSurvey<'_>) -> DbResult<()> {
    conn.execute(
        "UPDATE survey_results SET respondents = ?2, satisfaction_centi = ?3, levels = ?4, note = ?5, file_name = ?6,
                imported_by = ?7, imported_by_name = ?8, imported_at = ?9, version = version + 1
          WHERE id = ?1",
        args![
            id,
            s.respondents,
            s.satisfaction_centi,
            levels_text(s.levels),
            s.note,
            s.file_name,
            s.user_id,
            s.user_name,
            s.at
        ],
    )?;
    super::changes::record(conn, Entity::SurveyResult, id, s.unit_path, ChangeOp::Upsert, s.at)?;
    Ok(())
}

/// Whether a stored result already holds these values.
pub fn same_values(row: &SurveyResultRow, s: &NewSurvey<'_>) -> bool {
    row.respondents == s.respondents
        && row.satisfaction_centi == s.satisfaction_centi
        && row.levels == s.levels
        && row.note == s.note
}
