//! What a client queues offline: one typed command per outbox entry. Case commands go to the
//! server in batches (`POST /api/v1/sync/push`); the others go one by one, in their place in the
//! queue's order, to their own endpoints. The outbox stores each as its kind and its payload (the
//! JSON of the inner value), which [`ClientCommand::payload`] and [`ClientCommand::read`] convert.

use hcp_domain::integrity::FlagVerdict;
use hcp_domain::merit::AwardKind;
use hcp_domain::self_assessment::{Form, ReviewDecision};
use hcp_domain::CaseCommand;
use serde::{Deserialize, Serialize};

/// The outbox kind of a verdict on an integrity flag (`POST /api/v1/integrity/flags/{id}/decision`).
pub const DECIDE_FLAG: &str = "decide_flag";
/// The outbox kind of an award confirmation (服务明星 / 办事能手, `POST /api/v1/awards`).
pub const CONFIRM_AWARD: &str = "confirm_award";
/// The outbox kind of a self-assessment submission (`POST /api/v1/self-assessments`).
pub const SUBMIT_SELF_ASSESSMENT: &str = "submit_self_assessment";
/// The outbox kind of a self-assessment review (`POST /api/v1/self-assessments/{id}/review`).
pub const REVIEW_SELF_ASSESSMENT: &str = "review_self_assessment";

/// A verdict on an integrity flag, as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedVerdict {
    pub flag_id: i64,
    pub verdict: FlagVerdict,
    pub note: String,
}

/// An award confirmation, as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedAward {
    pub kind: AwardKind,
    pub period: String,
    pub staff_id: i64,
}

/// A self-assessment submission, as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedSubmission {
    pub unit_id: i64,
    pub period: String,
    pub form: Form,
}

/// A self-assessment review, as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedReview {
    pub assessment_id: i64,
    pub decision: ReviewDecision,
    pub comment: String,
}

/// One queued command.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientCommand {
    /// A command on a case, decided by `hcp_domain::apply`.
    Case(CaseCommand),
    /// A verdict on an integrity flag, checked by `hcp_domain::integrity::check_verdict`.
    DecideFlag(QueuedVerdict),
    ConfirmAward(QueuedAward),
    SubmitSelfAssessment(QueuedSubmission),
    ReviewSelfAssessment(QueuedReview),
}

impl ClientCommand {
    /// The kind the outbox stores: the case command's own kind, or one of this module's constants.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientCommand::Case(c) => c.kind().as_str(),
            ClientCommand::DecideFlag(_) => DECIDE_FLAG,
            ClientCommand::ConfirmAward(_) => CONFIRM_AWARD,
            ClientCommand::SubmitSelfAssessment(_) => SUBMIT_SELF_ASSESSMENT,
            ClientCommand::ReviewSelfAssessment(_) => REVIEW_SELF_ASSESSMENT,
        }
    }

    /// Whether an entry of this kind goes on its own to its endpoint (not in a push batch).
    pub fn sent_alone(kind: &str) -> bool {
        matches!(kind, DECIDE_FLAG | CONFIRM_AWARD | SUBMIT_SELF_ASSESSMENT | REVIEW_SELF_ASSESSMENT)
    }

    /// The payload the outbox stores (the JSON of the inner value).
    pub fn payload(&self) -> serde_json::Result<String> {
        match self {
            ClientCommand::Case(c) => serde_json::to_string(c),
            ClientCommand::DecideFlag(v) => serde_json::to_string(v),
            ClientCommand::ConfirmAward(a) => serde_json::to_string(a),
            ClientCommand::SubmitSelfAssessment(s) => serde_json::to_string(s),
            ClientCommand::ReviewSelfAssessment(r) => serde_json::to_string(r),
        }
    }

    /// The command an outbox entry of `kind` holds as `payload`.
    pub fn read(kind: &str, payload: &str) -> serde_json::Result<ClientCommand> {
        Ok(match kind {
            DECIDE_FLAG => ClientCommand::DecideFlag(serde_json::from_str(payload)?),
            CONFIRM_AWARD => ClientCommand::ConfirmAward(serde_json::from_str(payload)?),
            SUBMIT_SELF_ASSESSMENT => ClientCommand::SubmitSelfAssessment(serde_json::from_str(payload)?),
            REVIEW_SELF_ASSESSMENT => ClientCommand::ReviewSelfAssessment(serde_json::from_str(payload)?),
            _ => ClientCommand::Case(serde_json::from_str(payload)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_reads_back_as_queued_and_only_case_commands_are_batched() {
        let commands = [
            ClientCommand::Case(CaseCommand::Accept),
            ClientCommand::DecideFlag(QueuedVerdict {
                flag_id: 3,
                verdict: FlagVerdict::Dismissed,
                note: "核实".into(),
            }),
            ClientCommand::ConfirmAward(QueuedAward { kind: AwardKind::Star, period: "2026-11".into(), staff_id: 9 }),
            ClientCommand::SubmitSelfAssessment(QueuedSubmission {
                unit_id: 4,
                period: "2026-Q4".into(),
                form: Form::default(),
            }),
            ClientCommand::ReviewSelfAssessment(QueuedReview {
                assessment_id: 5,
                decision: ReviewDecision::Approve,
                comment: "同意".into(),
            }),
        ];
        for c in &commands {
            let payload = c.payload().expect("json");
            assert_eq!(&ClientCommand::read(c.kind(), &payload).expect("read"), c);
            assert_eq!(ClientCommand::sent_alone(c.kind()), !matches!(c, ClientCommand::Case(_)), "{}", c.kind());
        }
        // A queued verdict with a field this version does not know is refused, not half read.
        assert!(
            ClientCommand::read(DECIDE_FLAG, r#"{"flag_id":1,"verdict":"dismissed","note":"x","extra":1}"#).is_err()
        );
        assert!(ClientCommand::read("accept", "{").is_err());
    }
}
