//! `self_assessments` (自我评价, one per hall and quarter) and `survey_results` (第三方评价 /
//! 满意度测评, one per unit, month, method and agency): the hall's own and a third party's view of
//! a hall, both replicated read-only beside the citizens' ratings and never mixed into them.
//!
//! `self_assessment_commands` remembers every submit and review command applied, so the same
//! outbox command sent again is answered once.

use hcp_domain::self_assessment::{Form, Status};
use hcp_domain::survey::SurveyMethod;
use hcp_protocol::{SelfAssessmentRow, SurveyResultRow};

use super::{args, parse_col, Conn, DbError, DbResult, Row};

pub const DDL: &str = "
CREATE TABLE self_assessments (
    id                INTEGER PRIMARY KEY,
    unit_id           INTEGER NOT NULL REFERENCES org_units(id),
    unit_path         TEXT NOT NULL,
    period            TEXT NOT NULL,
    form              TEXT NOT NULL,
    total             INTEGER NOT NULL,
    status            TEXT NOT NULL,
    submitted_by      INTEGER NOT NULL REFERENCES users(id),
    submitted_by_name TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    submissions       INTEGER NOT NULL,
    reviewed_by       INTEGER REFERENCES users(id),
    reviewed_by_name  TEXT,
    reviewed_at       TEXT,
    review_comment    TEXT,
    version           INTEGER NOT NULL,
    UNIQUE (unit_id, period)
);
CREATE INDEX self_assessments_path ON self_assessments(unit_path);
CREATE TABLE self_assessment_commands (
    command_id    TEXT PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES self_assessments(id)
);
CREATE TABLE survey_results (
    id                 INTEGER PRIMARY KEY,
    unit_id            INTEGER NOT NULL REFERENCES org_units(id),
    unit_path          TEXT NOT NULL,
    period             TEXT NOT NULL,
    method             TEXT NOT NULL,
    agency             TEXT NOT NULL,
    respondents        INTEGER NOT NULL,
    satisfaction_centi INTEGER NOT NULL,
    levels             TEXT,
    note               TEXT NOT NULL,
    file_name          TEXT NOT NULL,
    imported_by        INTEGER NOT NULL REFERENCES users(id),
    imported_by_name   TEXT NOT NULL,
    imported_at        TEXT NOT NULL,
    version            INTEGER NOT NULL,
    UNIQUE (unit_id, period, method, agency)
);
CREATE INDEX survey_results_path ON survey_results(unit_path);
";

const COLS: &str = "id, unit_id, unit_path, period, form, total, status, submitted_by, submitted_by_name, submitted_at,
    submissions, reviewed_by, reviewed_by_name, reviewed_at, review_comment, version";

fn from_row(r: &Row) -> DbResult<SelfAssessmentRow> {
    let form: String = r.get(4)?;
    let status: String = r.get(6)?;
    Ok(SelfAssessmentRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        period: r.get(3)?,
        form: serde_json::from_str(&form).map_err(|e| DbError::Corrupt(format!("self_assessments.form: {e}")))?,
        total: r.get(5)?,
        status: parse_col(&status, "self_assessments.status", Status::parse)?,
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

fn form_json(form: &Form) -> DbResult<String> {
    serde_json::to_string(form).map_err(|e| DbError::Corrupt(format!("self_assessments.form: {e}")))
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<SelfAssessmentRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM self_assessments WHERE id = ?1"), [id], from_row)
}

/// The hall's self-assessment for a quarter.
pub fn of(conn: &Conn<'_>, unit_id: i64, period: &str) -> DbResult<Option<SelfAssessmentRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM self_assessments WHERE unit_id = ?1 AND period = ?2"),
        args![unit_id, period],
        from_row,
    )
}

/// The self-assessments in scope with an id above `after` (0: all), by id.
pub fn in_scope_after(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    f: impl FnMut(SelfAssessmentRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!(
            "SELECT {COLS} FROM self_assessments WHERE unit_path >= ?1 AND unit_path < ?2 AND id > ?3 ORDER BY id"
        ),
        scope,
        upper,
        after,
        from_row,
        f,
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
    let form = form_json(s.form)?;
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
    conn.execute(
        "UPDATE self_assessments SET status = ?2, reviewed_by = ?3, reviewed_by_name = ?4, reviewed_at = ?5,
                review_comment = ?6, version = version + 1
          WHERE id = ?1",
        args![id, r.status.as_str(), r.user_id, r.user_name, r.at, r.comment.map(str::to_owned)],
    )?;
    remember(conn, r.command_id, id)
}

const SURVEY_COLS: &str = "id, unit_id, unit_path, period, method, agency, respondents, satisfaction_centi, levels,
    note, file_name, imported_by_name, imported_at, version";

fn levels_text(levels: Option<[u32; 5]>) -> Option<String> {
    levels.map(|l| l.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
}

fn parse_levels(s: &str) -> DbResult<[u32; 5]> {
    let v: Vec<u32> = s
        .split(',')
        .map(|p| p.parse().map_err(|_| DbError::Corrupt(format!("survey_results.levels = '{s}'"))))
        .collect::<DbResult<_>>()?;
    v.try_into().map_err(|_| DbError::Corrupt(format!("survey_results.levels = '{s}'")))
}

fn survey_from_row(r: &Row) -> DbResult<SurveyResultRow> {
    let method: String = r.get(4)?;
    let levels: Option<String> = r.get(8)?;
    Ok(SurveyResultRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        period: r.get(3)?,
        method: parse_col(&method, "survey_results.method", SurveyMethod::parse)?,
        agency: r.get(5)?,
        respondents: r.get(6)?,
        satisfaction_centi: r.get(7)?,
        levels: levels.as_deref().map(parse_levels).transpose()?,
        note: r.get(9)?,
        file_name: r.get(10)?,
        imported_by_name: r.get(11)?,
        imported_at: r.get(12)?,
        version: r.get(13)?,
    })
}

pub fn survey(conn: &Conn<'_>, id: i64) -> DbResult<Option<SurveyResultRow>> {
    conn.query_opt(&format!("SELECT {SURVEY_COLS} FROM survey_results WHERE id = ?1"), [id], survey_from_row)
}

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
        survey_from_row,
    )
}

pub fn surveys_in_scope_after(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    f: impl FnMut(SurveyResultRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!(
            "SELECT {SURVEY_COLS} FROM survey_results WHERE unit_path >= ?1 AND unit_path < ?2 AND id > ?3 ORDER BY id"
        ),
        scope,
        upper,
        after,
        survey_from_row,
        f,
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

pub fn insert_survey(conn: &Conn<'_>, s: &NewSurvey<'_>) -> DbResult<i64> {
    conn.insert(
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
    )
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
    Ok(())
}

/// Whether a stored result already holds these values.
pub fn same_values(row: &SurveyResultRow, s: &NewSurvey<'_>) -> bool {
    row.respondents == s.respondents
        && row.satisfaction_centi == s.satisfaction_centi
        && row.levels == s.levels
        && row.note == s.note
}
