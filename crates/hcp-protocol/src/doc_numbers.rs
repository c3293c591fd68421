//! Document numbers (文号) reserved in blocks.

use super::*;

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
