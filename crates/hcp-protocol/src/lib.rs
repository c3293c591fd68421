//! Wire types shared by `hcp-server` and the client crates.
//!
//! Everything here is a plain data carrier: JSON on the REST API and the sync stream. Levels,
//! states and roles are named explicitly (`very_dissatisfied`, `in_rectification`, …); business
//! rules live in `hcp-domain`.

use hcp_domain::integrity::{FlagKind, FlagVerdict, Severity};
use hcp_domain::{CaseSource, CaseState, Level, OrgKind, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The API version prefix every REST path starts with.
pub const API_PREFIX: &str = "/api/v1";

/// Every error response body: a stable machine code and a human message (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code that clients switch on, e.g. `auth_failed`, `unauthorized`. A
    /// client reads a code it does not know as `server`.
    #[serde(deserialize_with = "ErrorCode::deserialize_lenient")]
    #[schema(schema_with = error_code_schema)]
    pub code: ErrorCode,
    /// A message for people, in Simplified Chinese.
    pub message: String,
}

/// The largest case command (as JSON) a client may send: reasons, measures and evidence
/// references are short texts, and every replica in the jurisdiction receives them. The server
/// refuses larger ones; the client says so before queuing.
pub const MAX_COMMAND_BYTES: usize = 16 * 1024;

/// Why a case command of `json_len` bytes (as JSON) is refused for its size, if it is.
pub fn command_size_refusal(json_len: usize) -> Option<&'static str> {
    (json_len > MAX_COMMAND_BYTES).then_some("操作内容过长（理由、措施和材料合计不超过 16 KB）")
}

/// The closed set of error codes (see [`hcp_domain::ErrorCode`]): the server answers with them,
/// clients and the UI switch on them.
pub use hcp_domain::ErrorCode;

/// The OpenAPI schema of an error code: a string, one of [`ErrorCode::ALL`].
fn error_code_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ErrorCode::ALL.map(ErrorCode::as_str)))
        .description(Some("A stable snake_case error code (one closed set)."))
        .build()
}

/// [`error_code_schema`], or null.
fn optional_error_code_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let mut values: Vec<Option<&str>> = ErrorCode::ALL.map(|c| Some(c.as_str())).to_vec();
    values.push(None);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .description(Some("A stable snake_case error code (one closed set), or null."))
        .build()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A stable id of the client installation, recorded in the audit log.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// `POST /api/v1/auth/password`: the signed-in user changes their own password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    /// 8–128 characters with at least one letter and one digit.
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for the `Authorization` header.
    pub token: String,
    /// RFC 3339 expiry time of the token.
    pub expires_at: String,
    pub user: UserInfo,
}

/// The signed-in user and their jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String, example = "hall_manager")]
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
    /// Materialised path of the user's unit, e.g. `/1/4/17/`: the user sees this unit and below.
    pub scope_path: String,
}

/// An organisation unit (city, district, town, hall, department, window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgUnitRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    #[schema(value_type = String, example = "hall")]
    pub kind: OrgKind,
    pub name: String,
    /// Administrative division code (行政区划代码) or internal unit code.
    pub code: String,
    pub path: String,
    /// False once an administrator deactivated the unit (已停用): it stays in the history
    /// (cases, ratings, statistics) but receives no new ratings, cases or assignments.
    #[serde(default = "unit_active_default")]
    pub active: bool,
}

fn unit_active_default() -> bool {
    true
}

/// A staff member (工作人员) working at a hall window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffRow {
    pub id: i64,
    /// The hall the staff member works in.
    pub unit_id: i64,
    pub department_id: Option<i64>,
    pub window_id: Option<i64>,
    pub name: String,
    pub employee_no: String,
    pub unit_path: String,
}

/// A government service item (政务服务事项) handled at a hall or by a department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceItemRow {
    pub id: i64,
    /// The hall or department that handles the item.
    pub unit_id: i64,
    pub unit_path: String,
    /// The item's code in the province's item catalogue (事项编码).
    pub code: String,
    pub name: String,
    /// The promised processing time in working days (承诺办结时限), when the catalogue gives one.
    pub promised_working_days: Option<i64>,
    pub active: bool,
}

/// A setting of a jurisdiction, distributed through the change feed: the statutory working-day
/// calendar (`calendar`, set at the root) or a jurisdiction's deadline and escalation policy
/// (`policy`). A setting applies to its unit and everything below it; the nearest one wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SettingRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    /// `calendar` or `policy`.
    pub key: String,
    /// The setting as JSON (`hcp_domain::Calendar` data, or [`JurisdictionPolicy`]).
    pub value: serde_json::Value,
    pub updated_at: String,
}

/// Where an integrity flag stands in the verification queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagStatus {
    /// 待核实: waiting for the hall manager.
    Open,
    /// 核实为虚假评价（刷好评）: the ratings left the statistics.
    ConfirmedFake,
    /// 核实为恶意差评: the ratings left the statistics.
    ConfirmedMalicious,
    /// 核实为正常评价: the ratings count.
    Dismissed,
}

hcp_domain::str_enum!(FlagStatus {
    Open => "open",
    ConfirmedFake => "confirmed_fake",
    ConfirmedMalicious => "confirmed_malicious",
    Dismissed => "dismissed",
});

impl FlagStatus {
    pub fn of(verdict: FlagVerdict) -> FlagStatus {
        match verdict {
            FlagVerdict::ConfirmedFake => FlagStatus::ConfirmedFake,
            FlagVerdict::ConfirmedMalicious => FlagStatus::ConfirmedMalicious,
            FlagVerdict::Dismissed => FlagStatus::Dismissed,
        }
    }

    /// Whether the flag's ratings (and their cases) are out of the statistics.
    pub fn excludes_from_stats(self) -> bool {
        matches!(self, FlagStatus::ConfirmedFake | FlagStatus::ConfirmedMalicious)
    }
}

/// An integrity flag (异常评价线索): ratings the server's detection found suspicious, with the
/// explanation, waiting in the hall's verification queue; confirmed fake or malicious ratings
/// leave the statistics. Evaluator identities never appear in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntegrityFlagRow {
    pub id: i64,
    /// The hall (or unit) the ratings were given at.
    pub unit_id: i64,
    pub unit_path: String,
    #[schema(value_type = String, example = "burst_same_device")]
    pub kind: FlagKind,
    #[schema(value_type = String, example = "high")]
    pub severity: Severity,
    /// Why the ratings were flagged, with the numbers (Chinese).
    pub explanation: String,
    /// Ascending.
    pub rating_ids: Vec<i64>,
    #[schema(value_type = String, example = "open")]
    pub status: FlagStatus,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    /// RFC 3339
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// RFC 3339
    pub detected_at: String,
    /// Grows with every change (new ratings merged in, a decision).
    pub version: i64,
}

/// A confirmed award (服务明星 or 办事能手) of a member of staff for a period, with the league
/// figures it was confirmed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardRow {
    pub id: i64,
    #[schema(value_type = String, example = "star")]
    pub kind: hcp_domain::merit::AwardKind,
    /// `2026-11`, `2026-Q4` or `2026`.
    pub period: String,
    pub staff_id: i64,
    pub staff_name: String,
    pub employee_no: String,
    /// The unit the member of staff works in (the row replicates by its path).
    pub unit_id: i64,
    pub unit_path: String,
    /// The jurisdiction whose league it was (the confirming supervisor's).
    pub league_path: String,
    pub score: f64,
    pub sample_size: i64,
    pub satisfied: i64,
    /// Why the rule proposed them (Chinese).
    pub reason: String,
    pub confirmed_by: i64,
    pub confirmed_by_name: String,
    /// RFC 3339
    pub confirmed_at: String,
}

/// `POST /api/v1/awards`: a supervisor confirms one of the period's candidates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    /// A UUID chosen by the client (the outbox's command id); a repeated id is answered once.
    pub command_id: String,
    #[schema(value_type = String, example = "star")]
    pub kind: hcp_domain::merit::AwardKind,
    /// `2026-11`, `2026-Q4` or `2026`.
    pub period: String,
    pub staff_id: i64,
}

/// Where an attachment's bytes are: declared and still arriving, all there and checked, or refused
/// (wrong content, not the hash declared, an executable…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentStatus {
    Pending,
    Complete,
    Refused,
}

hcp_domain::str_enum!(AttachmentStatus {
    Pending => "pending",
    Complete => "complete",
    Refused => "refused",
});

/// An evidence file on a case (整改材料, 回访记录, 申诉材料, 问责决定书…): its metadata, which
/// replicates by the case's visibility path; the bytes are fetched on demand
/// (`GET /api/v1/attachments/{sha256}`) and never travel in the snapshot or the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRow {
    pub id: i64,
    pub case_id: i64,
    /// The case's visibility path (the row replicates by it).
    pub unit_path: String,
    /// Lower-case hex SHA-256 of the content: the file's name on the server and in commands.
    pub sha256: String,
    /// The file name the uploader gave (shown, never trusted for the type).
    pub name: String,
    pub size: i64,
    /// The type read from the content (magic bytes) once every byte arrived; empty before.
    pub mime: String,
    pub uploaded_by: i64,
    pub uploaded_by_name: String,
    /// RFC 3339: when the file was declared.
    pub uploaded_at: String,
    #[schema(value_type = String, example = "pending")]
    pub status: AttachmentStatus,
    /// Why the bytes were refused (Chinese), when they were.
    pub note: String,
}

/// `POST /api/v1/attachments`: declares a file on a case before its bytes are sent. The same
/// case and hash declared again gets the same row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentDeclaration {
    pub case_id: i64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    pub name: String,
    /// Bytes.
    pub size: i64,
}

/// `GET /api/v1/attachments/{sha256}/chunks`: how far an upload got, to resume it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadProgress {
    pub sha256: String,
    pub size: i64,
    /// Bytes per chunk (every chunk but the last is exactly this long).
    pub chunk_size: i64,
    /// How many chunks the file has.
    pub chunks: i64,
    /// The chunks the server holds, ascending.
    pub received: Vec<i64>,
    #[schema(value_type = String, example = "pending")]
    pub status: AttachmentStatus,
    /// Why the bytes were refused (Chinese), when they were.
    pub note: String,
    /// Set when the server holds the whole file but the caller's jurisdiction has not yet shown
    /// it holds it too (it declared a file someone else sent): answer with
    /// `POST /api/v1/attachments/{sha256}/proof`. Knowing a hash is not enough to read a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// `GET /api/v1/attachments/limits`: how large evidence files may be, so a client refuses a file
/// over them before queuing it (the declaration checks them again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentLimitsInfo {
    /// The largest file, in bytes.
    pub max_file_bytes: i64,
    /// The most bytes of files on one case.
    pub max_case_bytes: i64,
}

/// `POST /api/v1/attachments/{sha256}/proof`: shows the caller holds the file it declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PossessionProof {
    /// The `challenge` the server gave in [`UploadProgress`].
    pub challenge: String,
    /// Lower-case hex SHA-256 of the challenge's characters (UTF-8) followed by every byte of the file.
    pub proof: String,
}

/// `POST /api/v1/integrity/flags/{id}/decision`: the hall manager's verdict on a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagDecisionRequest {
    /// A UUID chosen by the client (the outbox's command id); a repeated id is answered once.
    pub command_id: String,
    #[schema(value_type = String, example = "confirmed_fake")]
    pub verdict: FlagVerdict,
    /// The verification notes (核实情况), required.
    pub note: String,
}

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

pub mod filetype;
pub mod outbox;
pub use outbox::ClientCommand;
pub mod replica_image;
pub use replica_image::ReplicaImageInfo;

/// The setting keys.
pub mod setting_keys {
    pub const CALENDAR: &str = "calendar";
    pub const POLICY: &str = "policy";
}

/// A jurisdiction's deadline and escalation policy (the `policy` setting).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct JurisdictionPolicy {
    #[schema(value_type = Object)]
    pub deadlines: hcp_domain::DeadlineRules,
    #[schema(value_type = Object)]
    pub escalation: hcp_domain::EscalationPolicy,
    /// The deadline watch's working hours and reminder rhythm (optional in a policy body: the
    /// defaults, 08:30–17:30 and every 5 working days, when absent).
    #[schema(value_type = Object)]
    pub watch: hcp_domain::watch::WatchPolicy,
    /// The staff and window leagues' rules (optional in a policy body: a minimum sample of 10
    /// ratings when absent).
    #[schema(value_type = Object)]
    pub assessment: hcp_domain::league::AssessmentPolicy,
}

/// A user as other users see them (no credentials): for assignee pickers and timelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserRow {
    pub id: i64,
    pub display_name: String,
    #[schema(value_type = String, example = "department_handler")]
    pub role: Role,
    pub unit_id: i64,
    pub unit_path: String,
    pub active: bool,
}

/// A rating as clients see it. The evaluator's identity is never sent in bulk: only a masked form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingRow {
    pub id: i64,
    /// The system the rating came from (e.g. `cq-ykb`, `hall-device`).
    pub source: String,
    /// 办件编号
    pub service_record_no: String,
    /// 1 for the first rating, 2 for a second rating (追评).
    pub rating_count: i64,
    /// The hall where the service was delivered.
    pub unit_id: i64,
    pub unit_path: String,
    pub department_id: Option<i64>,
    pub window_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub item_code: String,
    pub item_name: String,
    /// 1–8
    pub channel: u8,
    #[schema(value_type = String, example = "dissatisfied")]
    pub level: Level,
    /// Content codes (评价内容代码), the first digit being the level.
    pub content_codes: Vec<u16>,
    pub comment: String,
    /// Masked evaluator, e.g. `张*` / `138****5678`.
    pub evaluator_masked: String,
    pub real_name: bool,
    /// RFC 3339
    pub rated_at: String,
}

/// A bad-review case (差评工单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseRow {
    pub id: i64,
    /// e.g. `CP-2026-000123`
    pub case_no: String,
    #[schema(value_type = String, example = "bad_review")]
    pub source: CaseSource,
    pub rating_id: Option<i64>,
    pub unit_id: i64,
    pub unit_path: String,
    pub department_id: Option<i64>,
    pub staff_id: Option<i64>,
    #[schema(value_type = Option<String>, example = "very_dissatisfied")]
    pub level: Option<Level>,
    pub channel: Option<u8>,
    pub item_name: Option<String>,
    pub summary: String,
    #[schema(value_type = String, example = "assigned")]
    pub state: CaseState,
    /// 0 first line, 1 coordination office, 2 government inspection, 3 accountability.
    pub escalation_level: u8,
    pub handler_user_id: Option<i64>,
    /// RFC 3339
    pub created_at: String,
    /// YYYY-MM-DD, the rectification deadline when one runs.
    pub deadline: Option<String>,
    /// The deadline falls in a year the State Council's notice does not cover yet: it was counted
    /// on the provisional arrangement (statutory holidays only) and is re-counted when the
    /// official one is imported. Computed from the calendar in force when the row is sent, not
    /// stored.
    #[serde(default)]
    pub deadline_provisional: bool,
    /// YYYY-MM-DD, the current stage's deadline (核实处置, 签收, 整改 or 回访; the stage follows
    /// from the state), also while an extension request pauses it: what the inbox, the 督办 board
    /// and the deadline watch count against. `deadline` stays the rectification deadline, which
    /// the KPIs' 整改及时率 measures.
    #[serde(default)]
    pub stage_deadline: Option<String>,
    pub version: i64,
    /// RFC 3339
    pub updated_at: String,
    /// The full domain aggregate, so clients can project their pending commands with the same rules.
    #[schema(value_type = Object)]
    pub aggregate: Option<Box<hcp_domain::Case>>,
}

impl CaseRow {
    /// Sets both deadline columns from the aggregate: `deadline` (rectification) and
    /// `stage_deadline` (the current stage's, [`hcp_domain::Case::deadline`]).
    pub fn set_deadlines(&mut self, case: &hcp_domain::Case) {
        self.deadline = case.due_date.map(|d| d.format("%Y-%m-%d").to_string());
        self.stage_deadline = case.deadline().map(|(_, d)| d.format("%Y-%m-%d").to_string());
    }
}

/// One event in a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseEventRow {
    pub id: i64,
    pub case_id: i64,
    pub unit_path: String,
    /// e.g. `created`, `verified`, `assigned`
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    /// RFC 3339
    pub at: String,
    /// Event details as JSON.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A replicated row of any entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "entity", content = "row", rename_all = "snake_case")]
pub enum EntityRow {
    OrgUnit(OrgUnitRow),
    Staff(StaffRow),
    User(UserRow),
    Rating(RatingRow),
    Case(CaseRow),
    CaseEvent(CaseEventRow),
    ServiceItem(ServiceItemRow),
    Setting(SettingRow),
    IntegrityFlag(IntegrityFlagRow),
    Award(AwardRow),
    SelfAssessment(SelfAssessmentRow),
    SurveyResult(SurveyResultRow),
    Attachment(AttachmentRow),
}

impl EntityRow {
    /// The row's id.
    pub fn id(&self) -> i64 {
        match self {
            EntityRow::OrgUnit(r) => r.id,
            EntityRow::Staff(r) => r.id,
            EntityRow::User(r) => r.id,
            EntityRow::Rating(r) => r.id,
            EntityRow::Case(r) => r.id,
            EntityRow::CaseEvent(r) => r.id,
            EntityRow::ServiceItem(r) => r.id,
            EntityRow::Setting(r) => r.id,
            EntityRow::IntegrityFlag(r) => r.id,
            EntityRow::Award(r) => r.id,
            EntityRow::SelfAssessment(r) => r.id,
            EntityRow::SurveyResult(r) => r.id,
            EntityRow::Attachment(r) => r.id,
        }
    }

    /// The unit path the row belongs to, which decides whose jurisdiction receives it.
    pub fn unit_path(&self) -> &str {
        match self {
            EntityRow::OrgUnit(r) => &r.path,
            EntityRow::Staff(r) => &r.unit_path,
            EntityRow::User(r) => &r.unit_path,
            EntityRow::Rating(r) => &r.unit_path,
            EntityRow::Case(r) => &r.unit_path,
            EntityRow::CaseEvent(r) => &r.unit_path,
            EntityRow::ServiceItem(r) => &r.unit_path,
            EntityRow::Setting(r) => &r.unit_path,
            EntityRow::IntegrityFlag(r) => &r.unit_path,
            EntityRow::Award(r) => &r.unit_path,
            EntityRow::SelfAssessment(r) => &r.unit_path,
            EntityRow::SurveyResult(r) => &r.unit_path,
            EntityRow::Attachment(r) => &r.unit_path,
        }
    }

    pub fn entity(&self) -> Entity {
        match self {
            EntityRow::OrgUnit(_) => Entity::OrgUnit,
            EntityRow::Staff(_) => Entity::Staff,
            EntityRow::User(_) => Entity::User,
            EntityRow::Rating(_) => Entity::Rating,
            EntityRow::Case(_) => Entity::Case,
            EntityRow::CaseEvent(_) => Entity::CaseEvent,
            EntityRow::ServiceItem(_) => Entity::ServiceItem,
            EntityRow::Setting(_) => Entity::Setting,
            EntityRow::IntegrityFlag(_) => Entity::IntegrityFlag,
            EntityRow::Award(_) => Entity::Award,
            EntityRow::SelfAssessment(_) => Entity::SelfAssessment,
            EntityRow::SurveyResult(_) => Entity::SurveyResult,
            EntityRow::Attachment(_) => Entity::Attachment,
        }
    }
}

/// The replicated entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    OrgUnit,
    Staff,
    User,
    Rating,
    Case,
    CaseEvent,
    ServiceItem,
    Setting,
    IntegrityFlag,
    Award,
    SelfAssessment,
    SurveyResult,
    Attachment,
}

hcp_domain::str_enum!(Entity {
    OrgUnit => "org_unit",
    Staff => "staff",
    User => "user",
    Rating => "rating",
    Case => "case",
    CaseEvent => "case_event",
    ServiceItem => "service_item",
    Setting => "setting",
    IntegrityFlag => "integrity_flag",
    Award => "award",
    SelfAssessment => "self_assessment",
    SurveyResult => "survey_result",
    Attachment => "attachment",
});

/// Row counts per entity, in snapshot trailers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    pub org_unit: u64,
    pub staff: u64,
    #[serde(default)]
    pub user: u64,
    pub rating: u64,
    pub case: u64,
    pub case_event: u64,
    #[serde(default)]
    pub service_item: u64,
    #[serde(default)]
    pub setting: u64,
    #[serde(default)]
    pub integrity_flag: u64,
    #[serde(default)]
    pub award: u64,
    #[serde(default)]
    pub self_assessment: u64,
    #[serde(default)]
    pub survey_result: u64,
    #[serde(default)]
    pub attachment: u64,
}

impl Counts {
    pub fn add(&mut self, e: Entity, n: u64) {
        match e {
            Entity::OrgUnit => self.org_unit += n,
            Entity::Staff => self.staff += n,
            Entity::User => self.user += n,
            Entity::Rating => self.rating += n,
            Entity::Case => self.case += n,
            Entity::CaseEvent => self.case_event += n,
            Entity::ServiceItem => self.service_item += n,
            Entity::Setting => self.setting += n,
            Entity::IntegrityFlag => self.integrity_flag += n,
            Entity::Award => self.award += n,
            Entity::SelfAssessment => self.self_assessment += n,
            Entity::SurveyResult => self.survey_result += n,
            Entity::Attachment => self.attachment += n,
        }
    }
    pub fn get(&self, e: Entity) -> u64 {
        match e {
            Entity::OrgUnit => self.org_unit,
            Entity::Staff => self.staff,
            Entity::User => self.user,
            Entity::Rating => self.rating,
            Entity::Case => self.case,
            Entity::CaseEvent => self.case_event,
            Entity::ServiceItem => self.service_item,
            Entity::Setting => self.setting,
            Entity::IntegrityFlag => self.integrity_flag,
            Entity::Award => self.award,
            Entity::SelfAssessment => self.self_assessment,
            Entity::SurveyResult => self.survey_result,
            Entity::Attachment => self.attachment,
        }
    }
    pub fn total(&self) -> u64 {
        self.org_unit
            + self.staff
            + self.user
            + self.rating
            + self.case
            + self.case_event
            + self.service_item
            + self.setting
            + self.integrity_flag
            + self.award
            + self.self_assessment
            + self.survey_result
            + self.attachment
    }
}

/// One line of the NDJSON snapshot stream (`GET /api/v1/sync/snapshot`).
///
/// The stream starts with a `begin` line, carries one `row` line per row, and ends with an `end`
/// line holding the cursor to pull from next and the count of rows sent per entity. A stream
/// without its `end` line was cut off and must not be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "t", rename_all = "snake_case")]
// Nearly every line is a `Row`, so boxing it would cost an allocation per row for nothing.
#[allow(clippy::large_enum_variant)]
pub enum SnapshotLine {
    Begin {
        scope_path: String,
        /// Expected rows per entity, for progress bars. A resumed stream counts only what it sends.
        expected: Counts,
        /// The cursor the `end` line will carry (absent from older servers): a client that saves
        /// part of the rows can resume with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<i64>,
        /// Present when the server resumes an interrupted snapshot as asked: where it starts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resumed: Option<SnapshotResume>,
    },
    Row {
        #[serde(flatten)]
        row: EntityRow,
    },
    End {
        cursor: i64,
        counts: Counts,
    },
}

impl SnapshotLine {
    /// Decodes one line of the stream. Nearly every line is a row, written
    /// `{"t":"row","entity":…,"row":{…}}`: such a line is read directly as the [`EntityRow`] it
    /// carries (serde's generic path for the flattened, tagged line first buffers every field of
    /// the row, which took half the decoding time of a city's snapshot). Any other line, or a row
    /// written another way, goes through the generic path.
    pub fn from_json(line: &[u8]) -> serde_json::Result<SnapshotLine> {
        if line.starts_with(br#"{"t":"row","entity":"#) {
            if let Ok(row) = serde_json::from_slice::<EntityRow>(line) {
                return Ok(SnapshotLine::Row { row });
            }
        }
        serde_json::from_slice(line)
    }
}

/// Where a resumed snapshot starts: entities stream in the order of [`Entity::ALL`], each by id,
/// so `(entity, after_id)` names the last row the client kept. The stream sends the rows of
/// `entity` with an id above `after_id`, then every later entity in full, and ends with the
/// interrupted attempt's `cursor`: pulling from it re-applies whatever changed in between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotResume {
    /// The cursor of the interrupted attempt's `begin` line.
    pub cursor: i64,
    pub entity: Entity,
    pub after_id: i64,
}

/// The query of `GET /api/v1/sync/snapshot`: empty for a whole snapshot; to resume an
/// interrupted one, its cursor and scope and the last row kept (`resume_after` defaults to 0,
/// the whole entity). A server ignores a resume for another scope than the caller's and sends
/// the whole snapshot (its `begin` line then has no `resumed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SnapshotQuery {
    /// The `cursor` of the interrupted attempt's `begin` line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_cursor: Option<i64>,
    /// The unit path the interrupted attempt was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_scope: Option<String>,
    /// The entity of the last row kept (`org_unit`, `staff`, `user`, `rating`, `case`, `case_event`,
    /// `service_item`, `setting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_entity: Option<String>,
    /// The id of the last row kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after: Option<i64>,
}

impl SnapshotQuery {
    pub fn resume(scope: &str, from: &SnapshotResume) -> SnapshotQuery {
        SnapshotQuery {
            resume_cursor: Some(from.cursor),
            resume_scope: Some(scope.to_owned()),
            resume_entity: Some(from.entity.as_str().to_owned()),
            resume_after: Some(from.after_id),
        }
    }
}

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// Position in the change feed; strictly increasing.
    pub seq: i64,
    pub op: ChangeOp,
    pub entity: Entity,
    pub entity_id: i64,
    /// The row's current state for upserts; absent for deletes.
    pub row: Option<EntityRow>,
}

/// `GET /api/v1/sync/pull?after=N&limit=M`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// The cursor to send as `after` next time (covers skipped out-of-scope changes too).
    pub cursor: i64,
    /// True when more changes wait after `cursor`.
    pub has_more: bool,
}

/// A command on a case (`POST /api/v1/cases/commands`) or one entry of a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandEnvelope {
    /// A UUID chosen by the client (UUIDv7 from the outbox); the server applies each id once.
    pub command_id: String,
    /// Per-client sequence number (outbox order); absent for online commands.
    #[serde(default)]
    pub client_seq: Option<i64>,
    /// The case the command acts on; absent for `create`.
    #[serde(default)]
    pub case_id: Option<i64>,
    /// The case version the client saw; the command is rejected if the case has moved on.
    #[serde(default)]
    pub base_version: Option<i64>,
    /// The domain command, tagged by `type` (`verify`, `assign`, `escalate`, …); a field the
    /// command does not have is refused.
    #[schema(value_type = Object)]
    #[serde(deserialize_with = "strict_command")]
    pub command: hcp_domain::CaseCommand,
    /// The evidence files the command cites (SHA-256, lower-case hex), each declared on the case
    /// first (`POST /api/v1/attachments`); their bytes may arrive before or after the command.
    /// Only for 核实, 报送整改, 回访, 申诉, 申诉复核 and 问责决定; the hashes enter the event (and,
    /// for appeals and accountability, the evidence chain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// The first field of `got` (a path such as `basis.level`) that `known` does not have, comparing
/// objects key by key and arrays item by item.
fn unknown_field(got: &serde_json::Value, known: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (got, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(name, v)| match k.get(name) {
            None => Some(name.clone()),
            Some(kv) => unknown_field(v, kv).map(|inner| format!("{name}.{inner}")),
        }),
        (Value::Array(g), Value::Array(k)) => g.iter().zip(k).find_map(|(v, kv)| unknown_field(v, kv)),
        _ => None,
    }
}

/// Reads a case command refusing any field it does not have. The domain's command enum denies
/// unknown fields itself, but serde lets them through on commands without fields
/// (`{"type": "accept", "as_user": 1}`): what was read is written back (every field, defaults
/// included) and must cover every field that came in.
fn strict_command<'de, D: serde::Deserializer<'de>>(d: D) -> Result<hcp_domain::CaseCommand, D::Error> {
    use serde::de::Error;
    let value = serde_json::Value::deserialize(d)?;
    let command = hcp_domain::CaseCommand::deserialize(&value).map_err(D::Error::custom)?;
    let known = serde_json::to_value(&command).map_err(D::Error::custom)?;
    match unknown_field(&value, &known) {
        Some(field) => Err(D::Error::custom(format!("unknown field `{field}` in command"))),
        None => Ok(command),
    }
}

/// What became of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Applied now.
    Applied,
    /// Applied before (same `command_id`); nothing changed now.
    Duplicate,
    /// Refused for a business reason (`code`, `message`); it will never apply as it is.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommandResult {
    pub command_id: String,
    pub status: CommandStatus,
    #[serde(default, deserialize_with = "ErrorCode::deserialize_lenient_opt")]
    #[schema(schema_with = optional_error_code_schema)]
    pub code: Option<ErrorCode>,
    #[serde(default)]
    pub message: Option<String>,
    /// The case as it stands after the command (applied and duplicate only).
    #[serde(default)]
    pub case: Option<CaseRow>,
}

/// `POST /api/v1/sync/push`: an outbox's commands in `client_seq` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub client_id: String,
    pub commands: Vec<CommandEnvelope>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    /// One result per command, in the order applied.
    pub results: Vec<CommandResult>,
}

/// A level as an importer sends it: by name, or by code in a named code system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[serde(deny_unknown_fields)]
pub enum LevelIn {
    /// `very_satisfied` … `very_dissatisfied`
    Name(String),
    /// A numeric code with its direction: `gbt39046` (1 = very satisfied) or `zhejiang` (1 = very dissatisfied).
    Code { code: i64, system: String },
}

/// The evaluator's identity: personal data, stored on the server only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluatorIn {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Certificate key (证件号码 or its hash).
    #[serde(default)]
    pub cert: Option<String>,
}

/// One rating from a channel (`POST /api/v1/intake/ratings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    pub source: String,
    pub service_record_no: String,
    #[serde(default = "one")]
    pub rating_count: i64,
    /// Code of the hall (or department/window) where the service was delivered.
    pub unit_code: String,
    #[serde(default)]
    pub window_code: Option<String>,
    #[serde(default)]
    pub staff_employee_no: Option<String>,
    pub item_code: String,
    pub item_name: String,
    /// 1–8
    pub channel: u8,
    pub level: LevelIn,
    #[serde(default)]
    pub content_codes: Vec<u16>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub evaluator: EvaluatorIn,
    #[serde(default)]
    pub real_name: bool,
    /// RFC 3339
    pub rated_at: String,
    /// The rating device (评价器, pad or kiosk) the rating was given on, when the channel has one.
    #[serde(default)]
    pub device_id: Option<String>,
}

fn one() -> i64 {
    1
}

/// `POST /api/v1/intake/ratings`: one or many ratings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    pub ratings: Vec<RatingIn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    Created,
    Duplicate,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakeResult {
    /// Index of the rating in the request.
    pub index: usize,
    pub status: IntakeStatus,
    #[serde(default)]
    pub rating_id: Option<i64>,
    /// The case a bad review opened.
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default, deserialize_with = "ErrorCode::deserialize_lenient_opt")]
    #[schema(schema_with = optional_error_code_schema)]
    pub code: Option<ErrorCode>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakeResponse {
    pub results: Vec<IntakeResult>,
}

/// A complaint from the 12345 hotline (`POST /api/v1/intake/complaints`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintIn {
    /// The hotline's ticket number; a ticket opens one case.
    pub ticket_no: String,
    /// Code of the unit complained about.
    pub unit_code: String,
    pub summary: String,
    #[serde(default)]
    pub real_name: bool,
    #[serde(default)]
    pub caller: EvaluatorIn,
    /// RFC 3339
    pub received_at: String,
}

/// `POST /api/v1/ratings/{id}/reveal`: why the caller needs the evaluator's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// At least 4 characters; recorded with the caller and the time.
    pub reason: String,
}

/// The evaluator's identity, for the one caller who asked (never replicated, never cached).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevealedEvaluator {
    pub rating_id: i64,
    pub real_name: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub cert: Option<String>,
}

/// `POST /api/v1/doc-numbers/reserve`: a block of document numbers (文号) for the caller's own
/// office, so that notices can be numbered offline. Idempotent on `request_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocNumberReserveRequest {
    /// Chosen by the client (a UUID); a retry with the same id returns the same block.
    pub request_id: String,
    /// The issuing office: the caller's own unit (a unit elsewhere is refused, so a client whose
    /// user moved never numbers notices under the old office).
    pub unit_id: i64,
    /// The year the numbers are for: this year, or next year from December on.
    pub year: i32,
    /// How many numbers (1–50).
    pub count: u32,
}

/// A block of document numbers reserved for one issuing office: `first..=last` of `year`, every
/// one unique for the office and year, none ever given to anyone else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocNumberBlock {
    pub request_id: String,
    /// The issuing office's unit.
    pub unit_id: i64,
    /// The office as it signs its documents, e.g. 东湖区政务服务管理办公室.
    pub office_name: String,
    /// The office's abbreviation (发文机关代字), e.g. 东政管督; no other office has it.
    pub abbreviation: String,
    pub year: i32,
    pub first: u32,
    pub last: u32,
    /// RFC 3339
    pub reserved_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// Masks an evaluator for everyone without the right to see them: `张*（138****5678）`. Mobile
/// numbers (11 digits starting with 1) keep their first 3 and last 4 digits; any other number only
/// its last 2, so a landline is never readable from the mask.
pub fn mask_evaluator(real_name: bool, name: Option<&str>, phone: Option<&str>) -> String {
    if !real_name {
        return "匿名用户".to_owned();
    }
    let name = name.and_then(|n| n.chars().next()).map(|c| format!("{c}*"));
    let phone = phone
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<Vec<char>>())
        .filter(|d| d.len() >= 4)
        .map(|d| {
            let tail2: String = d[d.len() - 2..].iter().collect();
            if d.len() == 11 && d[0] == '1' {
                let head: String = d[..3].iter().collect();
                let tail: String = d[d.len() - 4..].iter().collect();
                format!("{head}****{tail}")
            } else {
                format!("****{tail2}")
            }
        });
    match (name, phone) {
        (Some(n), Some(p)) => format!("{n}（{p}）"),
        (Some(n), None) => n,
        (None, Some(p)) => p,
        (None, None) => "实名用户".to_owned(),
    }
}

/// The scope digest: one hash over every replicated row of a jurisdiction, computed the same way by
/// the server (from its tables) and by a replica (from its copy), so "the replica equals the
/// server" is one comparison. A row contributes its entity, id and the fields that change.
pub mod digest {
    use sha2::{Digest, Sha256};

    use super::{Entity, EntityRow};

    /// The digested fields of a row, in order (absent values as empty strings, booleans as 0/1).
    pub fn fields(row: &EntityRow) -> (Entity, i64, Vec<String>) {
        let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
        let flag = |b: bool| if b { "1".to_owned() } else { "0".to_owned() };
        match row {
            EntityRow::OrgUnit(r) => {
                (Entity::OrgUnit, r.id, vec![r.path.clone(), r.name.clone(), r.code.clone(), flag(r.active)])
            }
            EntityRow::Staff(r) => {
                (Entity::Staff, r.id, vec![r.unit_path.clone(), r.name.clone(), r.employee_no.clone()])
            }
            EntityRow::User(r) => (
                Entity::User,
                r.id,
                vec![r.unit_path.clone(), r.role.as_str().to_owned(), flag(r.active), r.display_name.clone()],
            ),
            EntityRow::Rating(r) => {
                (Entity::Rating, r.id, vec![r.unit_path.clone(), r.level.as_str().to_owned(), r.rated_at.clone()])
            }
            EntityRow::Case(r) => (
                Entity::Case,
                r.id,
                vec![
                    r.version.to_string(),
                    r.state.as_str().to_owned(),
                    r.escalation_level.to_string(),
                    opt(r.handler_user_id),
                    r.deadline.clone().unwrap_or_default(),
                    r.updated_at.clone(),
                ],
            ),
            EntityRow::CaseEvent(r) => {
                (Entity::CaseEvent, r.id, vec![r.case_id.to_string(), r.kind.clone(), r.at.clone()])
            }
            EntityRow::ServiceItem(r) => {
                (Entity::ServiceItem, r.id, vec![r.unit_path.clone(), r.code.clone(), r.name.clone(), flag(r.active)])
            }
            EntityRow::Setting(r) => {
                (Entity::Setting, r.id, vec![r.unit_path.clone(), r.key.clone(), r.updated_at.clone()])
            }
            EntityRow::IntegrityFlag(r) => (
                Entity::IntegrityFlag,
                r.id,
                vec![
                    r.unit_path.clone(),
                    r.kind.as_str().to_owned(),
                    r.status.as_str().to_owned(),
                    r.version.to_string(),
                ],
            ),
            EntityRow::Award(r) => (
                Entity::Award,
                r.id,
                vec![r.unit_path.clone(), r.kind.as_str().to_owned(), r.period.clone(), r.staff_id.to_string()],
            ),
            EntityRow::SelfAssessment(r) => (
                Entity::SelfAssessment,
                r.id,
                vec![r.unit_path.clone(), r.period.clone(), r.status.as_str().to_owned(), r.version.to_string()],
            ),
            EntityRow::SurveyResult(r) => (
                Entity::SurveyResult,
                r.id,
                vec![r.unit_path.clone(), r.period.clone(), r.satisfaction_centi.to_string(), r.version.to_string()],
            ),
            EntityRow::Attachment(r) => (
                Entity::Attachment,
                r.id,
                vec![r.unit_path.clone(), r.sha256.clone(), r.status.as_str().to_owned(), r.mime.clone()],
            ),
        }
    }

    /// One digest line.
    pub fn line(entity: Entity, id: i64, fields: &[String]) -> String {
        let mut s = format!("{}|{id}", entity.as_str());
        for f in fields {
            s.push('|');
            s.push_str(&f.replace('\\', "\\\\").replace('|', "\\|"));
        }
        s
    }

    /// The digest of a set of lines (order does not matter).
    pub fn of(mut lines: Vec<String>) -> String {
        lines.sort_unstable();
        let mut h = Sha256::new();
        for l in &lines {
            h.update(l.as_bytes());
            h.update(b"\n");
        }
        format!("{:x}", h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_lines_are_tagged_flat_json() {
        let line = SnapshotLine::Row {
            row: EntityRow::OrgUnit(OrgUnitRow {
                id: 3,
                parent_id: Some(1),
                kind: OrgKind::Hall,
                name: "岳塘区政务服务中心".into(),
                code: "430304".into(),
                path: "/1/3/".into(),
                active: true,
            }),
        };
        let json = serde_json::to_string(&line).expect("serialize");
        assert!(json.starts_with(r#"{"t":"row","entity":"org_unit","row":{"id":3"#), "{json}");
        let back: SnapshotLine = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, line);
        let end = SnapshotLine::End { cursor: 42, counts: Counts::default() };
        let json = serde_json::to_string(&end).expect("serialize");
        assert!(json.starts_with(r#"{"t":"end","cursor":42"#), "{json}");
    }

    #[test]
    fn a_row_line_decodes_the_same_on_the_direct_path_and_the_generic_one() {
        let row = EntityRow::OrgUnit(OrgUnitRow {
            id: 3,
            parent_id: Some(1),
            kind: OrgKind::Hall,
            name: "岳塘区\"政务\"服务中心".into(),
            code: "430304".into(),
            path: "/1/3/".into(),
            active: true,
        });
        let line = SnapshotLine::Row { row: row.clone() };
        let json = serde_json::to_vec(&line).expect("serialize");
        assert_eq!(SnapshotLine::from_json(&json).expect("direct"), line);
        // Other key orders and the other lines take the generic path and mean the same.
        let reordered = r#"{"t":"row","entity":"org_unit","row":{"path":"/1/3/","code":"430304","name":"岳塘区\"政务\"服务中心","kind":"hall","parent_id":1,"id":3}}"#;
        assert_eq!(SnapshotLine::from_json(reordered.as_bytes()).expect("reordered"), line);
        let row_first = r#"{"row":{"id":3,"parent_id":1,"kind":"hall","name":"岳塘区\"政务\"服务中心","code":"430304","path":"/1/3/"},"entity":"org_unit","t":"row"}"#;
        assert_eq!(SnapshotLine::from_json(row_first.as_bytes()).expect("row first"), line);
        let end = SnapshotLine::End { cursor: 42, counts: Counts::default() };
        assert_eq!(SnapshotLine::from_json(&serde_json::to_vec(&end).expect("end")).expect("end"), end);
        // Broken lines are errors on both paths, never a panic or a wrong row.
        let bad: [&[u8]; 4] = [
            br#"{"t":"row","entity":"org_unit","row":{"id":"x"}}"#,
            br#"{"t":"row","entity":"nope","row":{}}"#,
            b"{",
            b"",
        ];
        for bad in bad {
            assert!(SnapshotLine::from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn commands_up_to_16_kib_are_accepted() {
        assert_eq!(command_size_refusal(MAX_COMMAND_BYTES), None);
        assert!(command_size_refusal(MAX_COMMAND_BYTES + 1).is_some_and(|m| m.contains("16 KB")));
    }

    #[test]
    fn every_stored_name_is_the_serialized_name() {
        // `str_enum!` lists every variant (a missing one fails to compile its `as_str`).
        hcp_domain::assert_serde_names!(Entity, FlagStatus, AttachmentStatus);
        assert_eq!(Entity::ALL.len(), 13);
    }

    #[test]
    fn counts_add_up() {
        let mut c = Counts::default();
        for e in Entity::ALL {
            c.add(e, 2);
            assert_eq!(Entity::parse(e.as_str()), Some(e));
        }
        assert_eq!(c.total(), 2 * Entity::ALL.len() as u64);
    }
}

#[cfg(test)]
mod strict_tests {
    use super::*;

    fn envelope(command: &str) -> String {
        format!(r#"{{"command_id":"c-1","case_id":1,"base_version":1,"command":{command}}}"#)
    }

    /// Every request body refuses fields it does not have, the command inside an envelope too,
    /// also where serde's tagged enums would let them through.
    #[test]
    fn request_bodies_refuse_unknown_fields() {
        let ok = serde_json::from_str::<CommandEnvelope>(&envelope(r#"{"type":"accept"}"#)).expect("accept");
        assert_eq!(ok.command, hcp_domain::CaseCommand::Accept);
        for bad in [
            envelope(r#"{"type":"accept","as_user":1}"#),
            envelope(r#"{"type":"verify","outcome":"genuine","as_user":1}"#),
            envelope(r#"{"type":"escalate","basis":{"type":"overdue","level":3}}"#),
            envelope(r#"{"type":"verify","outcome":"genuine"},"user_id":1"#),
            envelope(
                r#"{"type":"record_accountability","decision":{"type":"admonition","points":1},"subject_user_id":1,"reason":"r","evidence":[]}"#,
            ),
        ] {
            assert!(serde_json::from_str::<CommandEnvelope>(&bad).is_err(), "{bad} was accepted");
        }
        assert!(serde_json::from_str::<LoginRequest>(r#"{"username":"a","password":"b","x":1}"#).is_err());
        assert!(serde_json::from_str::<PushRequest>(r#"{"client_id":"a","commands":[],"x":1}"#).is_err());
        let rating = r#"{"source":"s","service_record_no":"1","unit_code":"u","item_code":"i","item_name":"n",
            "channel":4,"level":{"code":1,"system":"zhejiang","x":1},"rated_at":"2026-11-20T09:00:00+08:00"}"#;
        assert!(serde_json::from_str::<RatingIn>(rating).is_err(), "a level code with an unknown field");
        assert!(serde_json::from_str::<RatingIn>(&rating.replace(r#","x":1"#, "")).is_ok());
        assert!(serde_json::from_str::<RevealRequest>(r#"{"reason":"回访核实","x":1}"#).is_err());
    }
}
