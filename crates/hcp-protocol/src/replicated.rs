//! The replicated rows (ratings, cases, events…), one enum of them, and the entity names.

use super::*;

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

/// The server's statistics of one closed month (评价统计月汇总), kept by the server and replicated
/// like any row, so that a replica holding only recent ratings in full (its window) still shows every
/// earlier month. Rows are kept per rated unit and the path its ratings were given at (a window's,
/// or the unit's own), as the replica's aggregates are, in three kinds: a unit's ratings per level
/// (`staff_id` 0, `channel` 0), a unit's counted ratings per channel (`staff_id` 0, no level), and a
/// staff member's ratings per level (`channel` 0). `n_rated` ratings counted, `n_real_name` of them
/// with a real name, `n_excluded` ratings that left the statistics (a channel's row counts only the
/// counted ones, in `n_rated`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RatingStatRow {
    pub id: i64,
    /// `YYYY-MM`, Beijing time.
    pub month: String,
    pub unit_id: i64,
    pub unit_path: String,
    /// 0 on a unit's rows.
    pub staff_id: i64,
    /// Absent on a channel's row.
    #[schema(value_type = Option<String>, example = "satisfied")]
    pub level: Option<Level>,
    /// 1–8 on a channel's row; 0 on the others.
    pub channel: u8,
    pub n_rated: i64,
    pub n_real_name: i64,
    pub n_excluded: i64,
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
    RatingStat(RatingStatRow),
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
            EntityRow::RatingStat(r) => r.id,
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
            EntityRow::RatingStat(r) => &r.unit_path,
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
            EntityRow::RatingStat(_) => Entity::RatingStat,
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
    RatingStat,
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
    RatingStat => "rating_stat",
});
