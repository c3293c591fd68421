//! Intake: ratings and complaints from the channels.

use super::*;

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
    #[schema(schema_with = crate::errors::optional_error_code_schema)]
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
