//! Integrity flags (异常评价线索) and verdicts on them.

use super::*;

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
