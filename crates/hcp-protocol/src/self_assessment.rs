//! Halls' self-assessments and third-party survey results.

use super::*;

/// A hall's 自我评价 for a quarter as the server keeps it (the draft lives on the hall manager's
/// laptop until it is submitted). Replicated to the hall and every jurisdiction above it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SelfAssessmentRow {
    pub id: i64,
    /// The hall assessed.
    pub unit_id: i64,
    pub unit_path: String,
    /// The quarter, `2026-Q4`.
    pub period: String,
    /// One entry per heading (`heading`, `score`, `text`), in heading order.
    #[schema(value_type = Object)]
    pub form: hcp_domain::self_assessment::Form,
    /// The sum of the scores (out of 100).
    pub total: u32,
    /// `submitted`, `returned` or `approved`.
    #[schema(value_type = String, example = "submitted")]
    pub status: hcp_domain::self_assessment::Status,
    pub submitted_by: i64,
    pub submitted_by_name: String,
    /// RFC 3339, of the last submission.
    pub submitted_at: String,
    /// How many times it was submitted (a returned form is resubmitted).
    pub submissions: u32,
    pub reviewed_by: Option<i64>,
    pub reviewed_by_name: Option<String>,
    /// RFC 3339, of the last review.
    pub reviewed_at: Option<String>,
    /// The last review's comment (the reason of a return).
    pub review_comment: Option<String>,
    pub version: i64,
}

/// `POST /api/v1/self-assessments`: the hall manager submits (or resubmits) the hall's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfAssessmentSubmitRequest {
    /// A UUID chosen by the client (the outbox's command id); a repeated id is answered once.
    pub command_id: String,
    /// The hall (the submitter's own unit).
    pub unit_id: i64,
    /// The quarter, `2026-Q4`.
    pub period: String,
    #[schema(value_type = Object)]
    pub form: hcp_domain::self_assessment::Form,
}

/// `POST /api/v1/self-assessments/{id}/review`: the supervisor approves or returns a submitted form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfAssessmentReviewRequest {
    pub command_id: String,
    #[schema(value_type = String, example = "approve")]
    pub decision: hcp_domain::self_assessment::ReviewDecision,
    /// Required (2–500 characters) to return; optional to approve.
    #[serde(default)]
    pub comment: String,
}

/// A third-party survey result (第三方评价 / 满意度测评) for one unit and month, imported from a
/// file. Its own source: never mixed into the citizens' ratings. Replicated read-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SurveyResultRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    /// The month, `2026-11`.
    pub period: String,
    /// `on_site`, `phone`, `online` or `other`.
    #[schema(value_type = String, example = "phone")]
    pub method: hcp_domain::survey::SurveyMethod,
    /// Who carried it out (测评机构).
    pub agency: String,
    pub respondents: u32,
    /// The satisfaction score in hundredths (9512 = 95.12).
    pub satisfaction_centi: u32,
    /// Respondents per level, 非常满意 … 非常不满意, when the file gave them.
    pub levels: Option<[u32; 5]>,
    pub note: String,
    /// The file it came from last.
    pub file_name: String,
    pub imported_by_name: String,
    /// RFC 3339
    pub imported_at: String,
    pub version: i64,
}

/// `POST /api/v1/surveys/import`: a survey file's table, read by the client (CSV or XLSX) into
/// cells; the server checks every row. `dry_run` reports and changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyImportRequest {
    pub dry_run: bool,
    /// The file's name (kept with the rows).
    pub file_name: String,
    /// The first row: the column names (单位编码, 期间, 测评方式, 测评机构, 样本数, 满意度, 非常满意,
    /// 满意, 基本满意, 不满意, 非常不满意, 备注).
    pub header: Vec<String>,
    pub rows: Vec<SurveyImportLine>,
}

/// One data row of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyImportLine {
    /// The line in the file (the header is line 1).
    pub line: u32,
    pub cells: Vec<String>,
}

/// One problem of a survey file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SurveyProblem {
    pub line: u32,
    /// The column's name; empty for the whole row.
    pub column: String,
    /// Why (Chinese).
    pub reason: String,
}

/// What an import did, or (dry run) would do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct SurveyImportReport {
    pub dry_run: bool,
    /// Data rows in the file.
    pub rows: u32,
    /// Every problem; a file with any is not imported at all.
    pub problems: Vec<SurveyProblem>,
    /// Results new to the server.
    pub created: u32,
    /// Results whose values the file changes.
    pub updated: u32,
    /// Results already stored with the same values.
    pub unchanged: u32,
    /// Whether the file was stored (never on a dry run or with problems).
    pub applied: bool,
}
