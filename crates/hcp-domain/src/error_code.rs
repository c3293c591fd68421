//! The one closed set of error codes: what the server answers (`{code, message}`), why the domain
//! refuses a case command, and what the desktop application reports to its UI. Each is serialized as
//! its snake_case name; the UI switches on the generated TypeScript union of these names.

use serde::{Deserialize, Serialize};

/// A stable machine code that a client or the UI acts on; the message beside it is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // ----- Answered by the server.
    /// Wrong user name or password.
    AuthFailed,
    /// Missing, unknown, revoked or expired bearer token.
    Unauthorized,
    /// The request or the input is malformed or fails validation.
    InvalidInput,
    /// The resource does not exist or is outside the caller's jurisdiction.
    NotFound,
    /// Something failed; details are in a log, never in the response.
    Internal,
    /// The caller's role may not do this.
    Forbidden,
    /// The case changed since the version the command was based on.
    VersionConflict,
    /// Too many failed sign-ins: wait before trying again.
    Throttled,
    /// The request clashes with existing data (a code or name already in use, a flag already
    /// decided, a verdict already queued).
    Conflict,
    /// The request body is larger than the endpoint accepts.
    TooLarge,
    /// The integrity flag was already decided (by someone else, or by an earlier command).
    AlreadyDecided,
    /// The unit named (a hall, window or department) is deactivated (已停用): it keeps its
    /// history but receives no new ratings, cases or assignments.
    UnitInactive,

    // ----- Why the case state machine refuses a command (`TransitionError::code`).
    /// The actor's role may not issue this command.
    RoleNotAllowed,
    /// The case lies outside the actor's jurisdiction.
    OutOfScope,
    /// The command does not apply in the case's current state.
    IllegalState,
    /// The case does not exist yet.
    CaseNotCreated,
    /// The case was already created.
    CaseAlreadyExists,
    /// Whoever asked may not also approve.
    SamePersonApproval,
    /// A reason must be given.
    ReasonRequired,
    /// Only the assignee may do this.
    NotAssignee,
    /// Only the rated staff member may appeal.
    NotRatedStaff,
    /// An appeal was already filed.
    AppealAlreadyFiled,
    /// No appeal is waiting for review.
    NoPendingAppeal,
    /// A return visit must come first.
    ReturnVisitRequired,
    /// The extension asked for is not allowed.
    InvalidExtension,
    /// The deadline given is not valid.
    InvalidDeadline,
    /// The case is already at the top rung.
    EscalationExhausted,
    /// The case does not need escalating.
    EscalationNotRequired,
    /// Accountability needs the case escalated to that rung first.
    AccountabilityNotEscalated,
    /// Evidence must be cited.
    EvidenceRequired,
    /// The points given are not valid.
    InvalidPoints,
    /// The deadline is not at risk (no reminder is due).
    DeadlineNotAtRisk,
    /// An interview (约谈) does not apply to this case.
    InterviewNotApplicable,
    /// An interview cannot be recorded in the future.
    InterviewInFuture,

    // ----- Reported by the desktop application to its UI.
    /// The server is unreachable.
    Network,
    /// The token expired or was revoked: sign in again.
    SessionExpired,
    /// Nobody is signed in.
    NotLoggedIn,
    /// The OS keyring is unavailable or refused access.
    Keyring,
    /// The local replica failed.
    Replica,
    /// The server failed, or answered with something this version does not know.
    Server,
    /// This laptop holds too few reserved document numbers (文号) and cannot reach the server.
    NoDocNumbers,
    /// No program to print or open a document with (xdg-utils or a PDF viewer missing).
    NoViewer,
    /// The fonts a printed document needs are not installed.
    FontsMissing,
}

crate::str_enum!(ErrorCode {
    AuthFailed => "auth_failed",
    Unauthorized => "unauthorized",
    InvalidInput => "invalid_input",
    NotFound => "not_found",
    Internal => "internal",
    Forbidden => "forbidden",
    VersionConflict => "version_conflict",
    Throttled => "throttled",
    Conflict => "conflict",
    TooLarge => "too_large",
    AlreadyDecided => "already_decided",
    UnitInactive => "unit_inactive",
    RoleNotAllowed => "role_not_allowed",
    OutOfScope => "out_of_scope",
    IllegalState => "illegal_state",
    CaseNotCreated => "case_not_created",
    CaseAlreadyExists => "case_already_exists",
    SamePersonApproval => "same_person_approval",
    ReasonRequired => "reason_required",
    NotAssignee => "not_assignee",
    NotRatedStaff => "not_rated_staff",
    AppealAlreadyFiled => "appeal_already_filed",
    NoPendingAppeal => "no_pending_appeal",
    ReturnVisitRequired => "return_visit_required",
    InvalidExtension => "invalid_extension",
    InvalidDeadline => "invalid_deadline",
    EscalationExhausted => "escalation_exhausted",
    EscalationNotRequired => "escalation_not_required",
    AccountabilityNotEscalated => "accountability_not_escalated",
    EvidenceRequired => "evidence_required",
    InvalidPoints => "invalid_points",
    DeadlineNotAtRisk => "deadline_not_at_risk",
    InterviewNotApplicable => "interview_not_applicable",
    InterviewInFuture => "interview_in_future",
    Network => "network",
    SessionExpired => "session_expired",
    NotLoggedIn => "not_logged_in",
    Keyring => "keyring",
    Replica => "replica",
    Server => "server",
    NoDocNumbers => "no_doc_numbers",
    NoViewer => "no_viewer",
    FontsMissing => "fonts_missing",
});

impl ErrorCode {
    /// A code read back from storage or from another version's answer: a name this version does
    /// not know becomes [`ErrorCode::Server`] (the message beside it still says what happened).
    pub fn read(s: &str) -> ErrorCode {
        ErrorCode::parse(s).unwrap_or(ErrorCode::Server)
    }

    /// Reads a code leniently (see [`ErrorCode::read`]); for `#[serde(deserialize_with)]` on the
    /// wire types a client reads.
    pub fn deserialize_lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ErrorCode, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ErrorCode::read(&s))
    }

    /// [`ErrorCode::deserialize_lenient`] for an optional code.
    pub fn deserialize_lenient_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ErrorCode>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        Ok(s.as_deref().map(ErrorCode::read))
    }
}

/// A code equals its name (`code == "forbidden"`), as tests and logs compare it.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_written_and_read_under_its_name() {
        crate::assert_serde_names!(ErrorCode);
        assert_eq!(ErrorCode::read("a_code_of_a_later_version"), ErrorCode::Server);
        assert_eq!(ErrorCode::read("version_conflict"), ErrorCode::VersionConflict);
        assert_eq!(ErrorCode::Forbidden, "forbidden");
        assert!(ErrorCode::Forbidden != *"not_found");
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(deserialize_with = "ErrorCode::deserialize_lenient")]
            code: ErrorCode,
            #[serde(default, deserialize_with = "ErrorCode::deserialize_lenient_opt")]
            other: Option<ErrorCode>,
        }
        let b: Body = serde_json::from_str(r#"{"code":"brand_new","other":"throttled"}"#).expect("lenient");
        assert_eq!((b.code, b.other), (ErrorCode::Server, Some(ErrorCode::Throttled)));
        let b: Body = serde_json::from_str(r#"{"code":"forbidden"}"#).expect("lenient");
        assert_eq!((b.code, b.other), (ErrorCode::Forbidden, None));
    }
}
