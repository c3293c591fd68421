//! The bad-review case (差评工单): where it came from and where it stands.
//!
//! The state machine (commands, guards, events and replay) lives in [`machine`].

use serde::{Deserialize, Serialize};

pub mod machine;

/// Where a case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CaseSource {
    /// A 不满意 / 非常不满意 rating.
    BadReview,
    /// A complaint through the 12345 hotline.
    #[serde(rename = "hotline_12345")]
    Hotline12345,
    /// A supervisor's own observation (体验式办理, 监督员).
    Supervision,
    /// 限期整改 after ranking at the bottom again and again (the policy's `assessment.bottom_rule`),
    /// opened by the server against the staff member or window.
    Assessment,
}

crate::str_enum!(CaseSource {
    BadReview => "bad_review",
    Hotline12345 => "hotline_12345",
    Supervision => "supervision",
    Assessment => "assessment",
});

impl CaseSource {
    /// The case number's prefix (`CP-2026-000123`): 差评, 热线, 督查, 限期整改.
    pub fn case_no_prefix(self) -> &'static str {
        match self {
            CaseSource::BadReview => "CP",
            CaseSource::Hotline12345 => "RX",
            CaseSource::Supervision => "DC",
            CaseSource::Assessment => "XQ",
        }
    }
}

/// The lifecycle states of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CaseState {
    /// 待核实: created, waiting to be verified.
    New,
    /// 剔除待审批: verified as malicious or mistaken, exclusion waits for a second person.
    ExclusionRequested,
    /// 待处置: verified as genuine, to be resolved on the spot or assigned.
    Verified,
    /// 已交办: assigned to a department and handler, not yet accepted.
    Assigned,
    /// 整改中: accepted by the handler, rectification under way.
    InRectification,
    /// 延期审批中: an extension waits for approval; the deadline clock is paused.
    ExtensionRequested,
    /// 待回访: rectified or resolved on the spot, waiting for the return visit.
    Rectified,
    /// 已办结
    Closed,
    /// 已剔除: excluded from statistics as malicious or mistaken.
    Excluded,
}

crate::str_enum!(CaseState {
    New => "new",
    ExclusionRequested => "exclusion_requested",
    Verified => "verified",
    Assigned => "assigned",
    InRectification => "in_rectification",
    ExtensionRequested => "extension_requested",
    Rectified => "rectified",
    Closed => "closed",
    Excluded => "excluded",
});

impl CaseState {
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseState::New => "待核实",
            CaseState::ExclusionRequested => "剔除待审批",
            CaseState::Verified => "待处置",
            CaseState::Assigned => "已交办",
            CaseState::InRectification => "整改中",
            CaseState::ExtensionRequested => "延期审批中",
            CaseState::Rectified => "待回访",
            CaseState::Closed => "已办结",
            CaseState::Excluded => "已剔除",
        }
    }

    /// Closed and excluded cases need no further work.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseState::Closed | CaseState::Excluded)
    }

    /// Whether a stage's clock runs in this state (when the case has a deadline for that stage,
    /// [`crate::case::machine::Case::clock`]): every open state but the one where an extension
    /// request pauses the rectification clock. The one rule for the inbox, the case detail, the
    /// 督办 board and the deadline watch.
    pub fn has_running_deadline(self) -> bool {
        self.stage().is_some() && self != CaseState::ExtensionRequested
    }

    /// The stage whose clock belongs to this state (paused while an extension waits).
    pub fn stage(self) -> Option<crate::calendar::Stage> {
        use crate::calendar::Stage;
        match self {
            CaseState::New | CaseState::ExclusionRequested | CaseState::Verified => Some(Stage::Verify),
            CaseState::Assigned => Some(Stage::Accept),
            CaseState::InRectification | CaseState::ExtensionRequested => Some(Stage::Rectify),
            CaseState::Rectified => Some(Stage::ReturnVisit),
            CaseState::Closed | CaseState::Excluded => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_sources_round_trip_through_their_names() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
        }
        for s in CaseSource::ALL {
            assert_eq!(CaseSource::parse(s.as_str()), Some(s));
            let wire = serde_json::to_string(&s).expect("serialize");
            assert_eq!(wire, format!("\"{}\"", s.as_str()), "serde and as_str agree");
        }
        for s in CaseState::ALL {
            let wire = serde_json::to_string(&s).expect("serialize");
            assert_eq!(wire, format!("\"{}\"", s.as_str()), "serde and as_str agree");
        }
        assert!(CaseState::Closed.is_terminal());
        assert!(!CaseState::New.is_terminal());
        assert!(!CaseState::ExtensionRequested.has_running_deadline());
    }
}
