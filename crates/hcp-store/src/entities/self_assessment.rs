//! `self_assessments`: a hall's quarterly 自我评价 on the plan's seven headings, drafted, submitted
//! and reviewed. Replicated by the hall's path. The same migration creates `survey_results`
//! (第三方评价, see [`super::survey_result`]).

use hcp_domain::self_assessment::Status;
use hcp_protocol::{Entity, EntityRow, SelfAssessmentRow};

use crate::{args, parse_col, DbError, DbResult, Replicated, Row, Value};

/// The server's tables (`self_assessments` and `survey_results`).
pub const SERVER_DDL: &str = "
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

/// The replica's tables: `self_assessments` and `survey_results` as [`crate::replica_table`]
/// keeps the server's, their indexes, and the hall manager's drafts (kept on the laptop only).
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<SelfAssessmentRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(&crate::replica_table::<hcp_protocol::SurveyResultRow>(SERVER_DDL).unwrap_or_default());
    ddl.push_str(REPLICA_REST);
    ddl
}

const REPLICA_REST: &str = "
CREATE INDEX self_assessments_path ON self_assessments(unit_path, period);
CREATE INDEX survey_results_path ON survey_results(unit_path, period);
CREATE TABLE self_assessment_drafts (
    unit_id    INTEGER NOT NULL,
    period     TEXT NOT NULL,
    form       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (unit_id, period)
);
";

pub const TABLE: &str = "self_assessments";

impl Replicated for SelfAssessmentRow {
    const ENTITY: Entity = Entity::SelfAssessment;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str =
        "id, unit_id, unit_path, period, form, total, status, submitted_by, submitted_by_name, submitted_at,
    submissions, reviewed_by, reviewed_by_name, reviewed_at, review_comment, version";

    fn from_row(r: &Row) -> DbResult<Self> {
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

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.unit_id,
            &self.unit_path,
            &self.period,
            form_text(&self.form)?,
            self.total,
            self.status.as_str(),
            self.submitted_by,
            &self.submitted_by_name,
            &self.submitted_at,
            self.submissions,
            self.reviewed_by,
            &self.reviewed_by_name,
            &self.reviewed_at,
            &self.review_comment,
            self.version
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::SelfAssessment(self)
    }
}

/// A form as it is stored (JSON).
pub fn form_text(form: &hcp_domain::self_assessment::Form) -> DbResult<String> {
    serde_json::to_string(form).map_err(|e| DbError::Corrupt(format!("self_assessments.form: {e}")))
}
