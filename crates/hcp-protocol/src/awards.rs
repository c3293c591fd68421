//! Awards (服务明星 / 办事能手).

use super::*;

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
