//! The case state machine: commands, guards, events and replay.
//!
//! [`apply`] checks a [`CaseCommand`] issued by an [`Actor`] against the current [`Case`] and, when
//! every guard passes, returns the new case and exactly one [`CaseEvent`]. The event carries every
//! value the transition computed (due dates, paused days), so [`replay`] rebuilds the case from
//! the event log alone, without the calendar or the policy that were in force at the time.
//!
//! # Guards, checked in this order
//!
//! 1. **Role** ([`CommandKind::allowed_roles`]), error `role_not_allowed`:
//!
//! | command | roles |
//! | --- | --- |
//! | create | hall manager, supervisor (a `supervision` case: supervisor only) |
//! | verify | hall manager, supervisor |
//! | approve / reject exclusion | supervisor |
//! | resolve on the spot | hall manager |
//! | assign (交办) | hall manager, supervisor |
//! | accept, request extension, report rectification | department handler |
//! | approve / reject extension | supervisor |
//! | return visit, close, reopen | hall manager, supervisor |
//! | escalate | supervisor |
//! | urge (催办), warn (超期预警, issued only by the deadline watch) | supervisor |
//! | appeal | staff member |
//! | decide appeal | supervisor (the reviewer) |
//! | record accountability | discipline-inspection liaison |
//!
//! The administrator handles no cases.
//! 2. **Scope**, error `out_of_scope`: the actor's scope contains the case's unit. A department
//!    handler who is the case's assignee, and the rated staff member appealing, act on the case
//!    through that personal link even when their own unit lies elsewhere in the tree.
//! 3. **State** ([`CommandKind::allowed_from`]), error `illegal_state` (or `case_not_created`,
//!    `case_already_exists`).
//! 4. **Person and attributes**: only the assignee accepts, asks for an extension and reports
//!    (`not_assignee`); only the rated staff member appeals, once (`not_rated_staff`,
//!    `appeal_already_filed`); an exclusion or extension is approved by someone other than the
//!    person who asked (`same_person_approval`); a real-name bad review is closed only through a
//!    return visit (`return_visit_required`); accountability is recorded only once the case has
//!    reached the accountability rung (`accountability_not_escalated`).
//! 5. **Content**: mandatory reasons, explanations and measures (`reason_required`), evidence for
//!    accountability (`evidence_required`), extension length, deadline and points.
//!
//! Escalation level and appeal are attributes of the case beside its [`CaseState`]: escalating,
//! appealing, deciding an appeal and recording accountability leave the state as it is.
//!
//! Where a rectification goes round again (an unsatisfied return visit, a reopening), a case with
//! an assignee returns to `in_rectification` with a fresh deadline counted from that moment; a
//! case that was resolved on the spot and never assigned returns to `verified`, to be resolved or
//! assigned anew.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{CaseSource, CaseState};
use crate::calendar::{Calendar, DeadlineRules, Stage};
use crate::content::ContentCode;
use crate::escalation::{self, DeadlineStatus, EscalationLevel, EscalationPolicy};
use crate::org::ScopePath;
use crate::role::Role;
use crate::ErrorCode;

/// Who issues a command.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    pub scope: ScopePath,
}

/// The result of verification (核实).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// 属实
    Genuine,
    /// 恶意差评
    Malicious,
    /// 误评
    Mistaken,
}

impl VerifyOutcome {
    pub fn label_zh(self) -> &'static str {
        match self {
            VerifyOutcome::Genuine => "属实",
            VerifyOutcome::Malicious => "恶意差评",
            VerifyOutcome::Mistaken => "误评",
        }
    }
}

/// How a return visit (回访) was made.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitMethod {
    Phone,
    Sms,
    Wechat,
    InPerson,
}

/// The appeal (申诉复核) of the rated staff member, beside the case state.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealState {
    /// No appeal filed.
    #[default]
    None,
    /// Filed, waiting for the reviewer.
    Pending,
    /// The rating stands.
    Upheld,
    /// The rating is overturned and leaves the statistics.
    Overturned,
}

/// The reviewer's decision on an appeal.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealDecision {
    Upheld,
    Overturned,
}

/// An accountability measure (追责问责).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccountabilityKind {
    /// 扣减绩效分
    DeductedPoints { points: u32 },
    /// 取消年度评优资格
    LossOfAnnualAward,
    /// 诫勉谈话 / 提醒谈话
    Admonition,
    /// 移送纪检监察机关
    ReferralToDisciplineInspection,
}

impl AccountabilityKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            AccountabilityKind::DeductedPoints { .. } => "扣减绩效分",
            AccountabilityKind::LossOfAnnualAward => "取消年度评优资格",
            AccountabilityKind::Admonition => "诫勉谈话",
            AccountabilityKind::ReferralToDisciplineInspection => "移送纪检监察机关",
        }
    }
}

/// Why a case is escalated.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EscalationBasis {
    /// A supervisor's decision, one rung up, with a reason (multi-department, systemic…).
    Manual { reason: String },
    /// The escalation policy requires it because the case is overdue; goes straight to the
    /// required rung.
    Overdue,
}

/// A command on a case, as the client's outbox and the server's API carry it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseCommand {
    /// Open a case about `unit` (the hall, department or window concerned).
    Create {
        source: CaseSource,
        unit: ScopePath,
        #[serde(default)]
        #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
        rated_staff_id: Option<i64>,
        #[serde(default)]
        real_name: bool,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        content_codes: Vec<ContentCode>,
        /// The service item concerned, when a supervisor's finding names one (a rated case takes
        /// its item from the rating). Left out of the JSON when absent, so commands and events
        /// without it read and hash as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
        service_item_id: Option<i64>,
    },
    /// 核实: malicious and mistaken need a reason and go to exclusion approval.
    Verify {
        outcome: VerifyOutcome,
        #[serde(default)]
        reason: String,
    },
    ApproveExclusion {
        #[serde(default)]
        comment: String,
    },
    RejectExclusion {
        reason: String,
    },
    /// 当场解决 (解释说明, 当场裁定).
    ResolveOnSpot {
        explanation: String,
    },
    /// 交办. Without `due_date` the jurisdiction's policy sets it (a reassignment keeps the
    /// running deadline).
    Assign {
        #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
        department_id: i64,
        #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
        handler_id: i64,
        #[serde(default)]
        due_date: Option<NaiveDate>,
    },
    Accept,
    RequestExtension {
        reason: String,
        extra_working_days: u32,
    },
    ApproveExtension {
        #[serde(default)]
        comment: String,
    },
    RejectExtension {
        reason: String,
    },
    ReportRectification {
        measures: String,
        #[serde(default)]
        evidence: Vec<String>,
    },
    ReturnVisit {
        method: VisitMethod,
        satisfied: bool,
        #[serde(default)]
        note: String,
    },
    /// Close without a return visit (anonymous reviews only), with a note why.
    Close {
        note: String,
    },
    Reopen {
        reason: String,
    },
    Escalate {
        basis: EscalationBasis,
    },
    /// 催办: presses the handler of a case whose deadline runs, with a note (by a supervisor, or by
    /// the deadline watch as the system once the case is overdue).
    Urge {
        note: String,
    },
    /// 超期预警: records that the running deadline is within the policy's at-risk window. Issued by
    /// the deadline watch ([`crate::watch`]); refused when the case is not at risk.
    Warn,
    Appeal {
        reason: String,
    },
    DecideAppeal {
        decision: AppealDecision,
        reason: String,
    },
    /// 问责决定 about one person of the jurisdiction's staff roster (`staff.id`: the name, staff
    /// number and unit the liaison picks; the server checks they exist in the case's district).
    RecordAccountability {
        decision: AccountabilityKind,
        #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
        subject_staff_id: i64,
        reason: String,
        evidence: Vec<String>,
    },
    /// 约谈: a supervisor records a talk held with whoever a 限期整改 case (one the assessment rules
    /// opened) is about: when, with whom, and what was said and required.
    RecordInterview {
        held_on: NaiveDate,
        /// Who was talked to (name and post).
        interviewee: String,
        /// What was said and the rectification required.
        content: String,
    },
}

/// The kinds of command, without their data.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    Create,
    Verify,
    ApproveExclusion,
    RejectExclusion,
    ResolveOnSpot,
    Assign,
    Accept,
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    ReportRectification,
    ReturnVisit,
    Close,
    Reopen,
    Escalate,
    Urge,
    Warn,
    Appeal,
    DecideAppeal,
    RecordAccountability,
    RecordInterview,
}

crate::str_enum!(CommandKind {
    Create => "create",
    Verify => "verify",
    ApproveExclusion => "approve_exclusion",
    RejectExclusion => "reject_exclusion",
    ResolveOnSpot => "resolve_on_spot",
    Assign => "assign",
    Accept => "accept",
    RequestExtension => "request_extension",
    ApproveExtension => "approve_extension",
    RejectExtension => "reject_extension",
    ReportRectification => "report_rectification",
    ReturnVisit => "return_visit",
    Close => "close",
    Reopen => "reopen",
    Escalate => "escalate",
    Urge => "urge",
    Warn => "warn",
    Appeal => "appeal",
    DecideAppeal => "decide_appeal",
    RecordAccountability => "record_accountability",
    RecordInterview => "record_interview",
});

impl CommandKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            CommandKind::Create => "创建工单",
            CommandKind::Verify => "核实",
            CommandKind::ApproveExclusion => "批准剔除",
            CommandKind::RejectExclusion => "驳回剔除",
            CommandKind::ResolveOnSpot => "当场解决",
            CommandKind::Assign => "交办",
            CommandKind::Accept => "签收",
            CommandKind::RequestExtension => "申请延期",
            CommandKind::ApproveExtension => "批准延期",
            CommandKind::RejectExtension => "驳回延期",
            CommandKind::ReportRectification => "报送整改情况",
            CommandKind::ReturnVisit => "回访",
            CommandKind::Close => "办结",
            CommandKind::Reopen => "重新办理",
            CommandKind::Escalate => "督办升级",
            CommandKind::Urge => "催办",
            CommandKind::Warn => "超期预警",
            CommandKind::Appeal => "申诉",
            CommandKind::DecideAppeal => "申诉复核",
            CommandKind::RecordAccountability => "记录问责决定",
            CommandKind::RecordInterview => "记录约谈",
        }
    }

    /// Kinds only the server's deadline watch issues: never offered as a button.
    pub fn is_automatic(self) -> bool {
        self == CommandKind::Warn
    }

    /// The roles that may issue this kind of command.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            CommandKind::Create
            | CommandKind::Verify
            | CommandKind::Assign
            | CommandKind::ReturnVisit
            | CommandKind::Close
            | CommandKind::Reopen => &[HallManager, Supervisor],
            CommandKind::ResolveOnSpot => &[HallManager],
            CommandKind::ApproveExclusion
            | CommandKind::RejectExclusion
            | CommandKind::ApproveExtension
            | CommandKind::RejectExtension
            | CommandKind::Escalate
            | CommandKind::Urge
            | CommandKind::Warn
            | CommandKind::DecideAppeal
            | CommandKind::RecordInterview => &[Supervisor],
            CommandKind::Accept | CommandKind::RequestExtension | CommandKind::ReportRectification => {
                &[DepartmentHandler]
            }
            CommandKind::Appeal => &[StaffMember],
            CommandKind::RecordAccountability => &[DisciplineLiaison],
        }
    }

    /// Whether a case in `state` accepts this kind of command (creation needs no case at all).
    pub fn allowed_from(self, state: CaseState) -> bool {
        use CaseState::*;
        match self {
            CommandKind::Create => false,
            CommandKind::Verify => state == New,
            CommandKind::ApproveExclusion | CommandKind::RejectExclusion => state == ExclusionRequested,
            CommandKind::ResolveOnSpot => state == Verified,
            CommandKind::Assign => matches!(state, Verified | Assigned),
            CommandKind::Accept => state == Assigned,
            CommandKind::RequestExtension | CommandKind::ReportRectification => state == InRectification,
            CommandKind::ApproveExtension | CommandKind::RejectExtension => state == ExtensionRequested,
            CommandKind::ReturnVisit | CommandKind::Close => state == Rectified,
            CommandKind::Reopen => state == Closed,
            CommandKind::Escalate => {
                matches!(
                    state,
                    New | ExclusionRequested | Verified | Assigned | InRectification | ExtensionRequested | Rectified
                )
            }
            CommandKind::Urge | CommandKind::Warn => state.has_running_deadline(),
            CommandKind::Appeal => state != Excluded,
            CommandKind::DecideAppeal => true,
            CommandKind::RecordAccountability => {
                matches!(state, Verified | Assigned | InRectification | ExtensionRequested | Rectified | Closed)
            }
            CommandKind::RecordInterview => state != Excluded,
        }
    }
}

impl CaseCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            CaseCommand::Create { .. } => CommandKind::Create,
            CaseCommand::Verify { .. } => CommandKind::Verify,
            CaseCommand::ApproveExclusion { .. } => CommandKind::ApproveExclusion,
            CaseCommand::RejectExclusion { .. } => CommandKind::RejectExclusion,
            CaseCommand::ResolveOnSpot { .. } => CommandKind::ResolveOnSpot,
            CaseCommand::Assign { .. } => CommandKind::Assign,
            CaseCommand::Accept => CommandKind::Accept,
            CaseCommand::RequestExtension { .. } => CommandKind::RequestExtension,
            CaseCommand::ApproveExtension { .. } => CommandKind::ApproveExtension,
            CaseCommand::RejectExtension { .. } => CommandKind::RejectExtension,
            CaseCommand::ReportRectification { .. } => CommandKind::ReportRectification,
            CaseCommand::ReturnVisit { .. } => CommandKind::ReturnVisit,
            CaseCommand::Close { .. } => CommandKind::Close,
            CaseCommand::Reopen { .. } => CommandKind::Reopen,
            CaseCommand::Escalate { .. } => CommandKind::Escalate,
            CaseCommand::Urge { .. } => CommandKind::Urge,
            CaseCommand::Warn => CommandKind::Warn,
            CaseCommand::Appeal { .. } => CommandKind::Appeal,
            CaseCommand::DecideAppeal { .. } => CommandKind::DecideAppeal,
            CaseCommand::RecordAccountability { .. } => CommandKind::RecordAccountability,
            CaseCommand::RecordInterview { .. } => CommandKind::RecordInterview,
        }
    }
}

/// The case aggregate (差评工单) as the event log defines it.
///
/// Stored and sent as JSON in every case row (server, change feed, replica): an absent `Option`
/// is left out rather than written as `null` (a province's replica holds 154,000 of them; the
/// nulls were about a third of each), and read back as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// The number of events applied; the first event has version 1.
    pub version: u64,
    pub state: CaseState,
    pub source: CaseSource,
    /// The unit the case concerns; scope checks use its path.
    pub unit: ScopePath,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rated_staff_id: Option<i64>,
    pub real_name: bool,
    pub summary: String,
    pub content_codes: Vec<ContentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerifyOutcome>,
    /// Who asked for the exclusion now waiting for (or granted) approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusion_requested_by: Option<i64>,
    /// Excluded from statistics: malicious or mistaken review, or overturned on appeal.
    pub excluded_from_stats: bool,
    /// The last rectification was an on-the-spot resolution.
    pub resolved_on_spot: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<i64>,
    /// The local date by whose end rectification is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// When the pending extension request paused the clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_extension_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_requested_by: Option<i64>,
    /// Working days the clock stood still, over all extension requests.
    pub paused_working_days: u32,
    /// Extra working days granted, over all extensions.
    pub extension_working_days_granted: u32,
    /// Whether the last rectification was reported by its due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rectified_on_time: Option<bool>,
    /// How often the case went round again (unsatisfied return visit or reopening).
    pub reopen_count: u32,
    pub escalation: EscalationLevel,
    pub appeal: AppealState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appellant_id: Option<i64>,
    pub accountability_decisions: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The last 催办 (reminder): the deadline it pressed and how overdue the case was then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_urge: Option<UrgeMark>,
    /// The 催办 recorded, over the case's life.
    #[serde(default)]
    pub urge_count: u32,
    /// The deadline the last 超期预警 (warning) was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warned_due: Option<NaiveDate>,
    /// The due date of the current stage's own clock: 核实处置 (from arrival), 签收 (from
    /// assignment) or 回访 (from the rectification report); the rectification clock is
    /// [`Case::due_date`]. See [`Case::deadline`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_due: Option<NaiveDate>,
}

/// What the last 催办 was about: the deadline and the working days overdue when it was recorded
/// (0 before the due date), so the deadline watch knows which reminder period it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgeMark {
    pub due_date: Option<NaiveDate>,
    pub working_days_overdue: u32,
}

/// What happened to a case: one event per successful command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// The case version this event produces (1 for creation, then +1 each).
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub payload: EventPayload,
}

impl CaseEvent {
    /// The event kind, as the payload's `kind` tag names it.
    pub fn kind(&self) -> &'static str {
        self.payload.kind()
    }
}

/// The data of an event, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventPayload {
    Created {
        source: CaseSource,
        unit: ScopePath,
        rated_staff_id: Option<i64>,
        real_name: bool,
        summary: String,
        content_codes: Vec<ContentCode>,
        /// The 核实处置 clock's due date ([`DeadlineRules::verify_within_working_days`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verify_due: Option<NaiveDate>,
        /// The service item a supervisor's finding names (absent from older events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service_item_id: Option<i64>,
    },
    Verified {
        outcome: VerifyOutcome,
        reason: String,
    },
    ExclusionApproved {
        comment: String,
    },
    ExclusionRejected {
        reason: String,
    },
    ResolvedOnSpot {
        explanation: String,
        /// The 回访 clock's due date ([`DeadlineRules::return_visit_within_working_days`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit_due: Option<NaiveDate>,
    },
    Assigned {
        department_id: i64,
        handler_id: i64,
        /// The rectification deadline.
        due_date: NaiveDate,
        /// The 签收 clock's due date ([`DeadlineRules::accept_within_working_days`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        accept_due: Option<NaiveDate>,
    },
    Accepted,
    ExtensionRequested {
        reason: String,
        extra_working_days: u32,
    },
    ExtensionApproved {
        comment: String,
        paused_working_days: u32,
        granted_working_days: u32,
        due_date: NaiveDate,
    },
    ExtensionRejected {
        reason: String,
        paused_working_days: u32,
        due_date: NaiveDate,
    },
    RectificationReported {
        measures: String,
        evidence: Vec<String>,
        on_time: bool,
        /// The 回访 clock's due date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit_due: Option<NaiveDate>,
    },
    ReturnVisited {
        method: VisitMethod,
        satisfied: bool,
        note: String,
        /// The new deadline when an unsatisfied citizen sends an assigned case back.
        due_date: Option<NaiveDate>,
    },
    Closed {
        note: String,
    },
    Reopened {
        reason: String,
        due_date: Option<NaiveDate>,
    },
    Escalated {
        from: EscalationLevel,
        to: EscalationLevel,
        basis: EscalationBasis,
    },
    Urged {
        note: String,
        /// The running deadline pressed (the current stage's).
        due_date: Option<NaiveDate>,
        /// Working days overdue at the time (0 when not yet due).
        working_days_overdue: u32,
        /// The stage whose deadline was pressed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<Stage>,
    },
    Warned {
        due_date: NaiveDate,
        /// Working days left until the due date (0: due today).
        working_days_left: u32,
        /// The stage whose deadline is near.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<Stage>,
    },
    Appealed {
        reason: String,
    },
    AppealDecided {
        decision: AppealDecision,
        reason: String,
    },
    AccountabilityRecorded {
        decision: AccountabilityKind,
        subject_staff_id: i64,
        reason: String,
        evidence: Vec<String>,
    },
    InterviewRecorded {
        held_on: NaiveDate,
        interviewee: String,
        content: String,
    },
}

impl EventPayload {
    pub fn kind(&self) -> &'static str {
        match self {
            EventPayload::Created { .. } => "created",
            EventPayload::Verified { .. } => "verified",
            EventPayload::ExclusionApproved { .. } => "exclusion_approved",
            EventPayload::ExclusionRejected { .. } => "exclusion_rejected",
            EventPayload::ResolvedOnSpot { .. } => "resolved_on_spot",
            EventPayload::Assigned { .. } => "assigned",
            EventPayload::Accepted => "accepted",
            EventPayload::ExtensionRequested { .. } => "extension_requested",
            EventPayload::ExtensionApproved { .. } => "extension_approved",
            EventPayload::ExtensionRejected { .. } => "extension_rejected",
            EventPayload::RectificationReported { .. } => "rectification_reported",
            EventPayload::ReturnVisited { .. } => "return_visited",
            EventPayload::Closed { .. } => "closed",
            EventPayload::Reopened { .. } => "reopened",
            EventPayload::Escalated { .. } => "escalated",
            EventPayload::Urged { .. } => "urged",
            EventPayload::Warned { .. } => "warned",
            EventPayload::Appealed { .. } => "appealed",
            EventPayload::AppealDecided { .. } => "appeal_decided",
            EventPayload::AccountabilityRecorded { .. } => "accountability_recorded",
            EventPayload::InterviewRecorded { .. } => "interview_recorded",
        }
    }

    /// The kind of command that produces this event.
    pub fn command_kind(&self) -> CommandKind {
        match self {
            EventPayload::Created { .. } => CommandKind::Create,
            EventPayload::Verified { .. } => CommandKind::Verify,
            EventPayload::ExclusionApproved { .. } => CommandKind::ApproveExclusion,
            EventPayload::ExclusionRejected { .. } => CommandKind::RejectExclusion,
            EventPayload::ResolvedOnSpot { .. } => CommandKind::ResolveOnSpot,
            EventPayload::Assigned { .. } => CommandKind::Assign,
            EventPayload::Accepted => CommandKind::Accept,
            EventPayload::ExtensionRequested { .. } => CommandKind::RequestExtension,
            EventPayload::ExtensionApproved { .. } => CommandKind::ApproveExtension,
            EventPayload::ExtensionRejected { .. } => CommandKind::RejectExtension,
            EventPayload::RectificationReported { .. } => CommandKind::ReportRectification,
            EventPayload::ReturnVisited { .. } => CommandKind::ReturnVisit,
            EventPayload::Closed { .. } => CommandKind::Close,
            EventPayload::Reopened { .. } => CommandKind::Reopen,
            EventPayload::Escalated { .. } => CommandKind::Escalate,
            EventPayload::Urged { .. } => CommandKind::Urge,
            EventPayload::Warned { .. } => CommandKind::Warn,
            EventPayload::Appealed { .. } => CommandKind::Appeal,
            EventPayload::AppealDecided { .. } => CommandKind::DecideAppeal,
            EventPayload::AccountabilityRecorded { .. } => CommandKind::RecordAccountability,
            EventPayload::InterviewRecorded { .. } => CommandKind::RecordInterview,
        }
    }
}

/// The calendar and the jurisdiction's policies a transition may need.
#[derive(Debug, Clone, Copy)]
pub struct PolicyContext<'a> {
    pub calendar: &'a Calendar,
    pub deadlines: DeadlineRules,
    pub escalation: EscalationPolicy,
}

impl<'a> PolicyContext<'a> {
    /// The default policies (Chongqing's 5 working days, default escalation thresholds).
    pub fn new(calendar: &'a Calendar) -> PolicyContext<'a> {
        PolicyContext { calendar, deadlines: DeadlineRules::default(), escalation: EscalationPolicy::default() }
    }
}

/// Why a command was refused. [`TransitionError::code`] is stable; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{}无权执行“{}”操作", .role.label_zh(), .command.label_zh())]
    RoleNotAllowed { role: Role, command: CommandKind },
    #[error("工单所属单位 {unit} 不在您的辖区 {scope} 内，不能执行“{}”操作", .command.label_zh())]
    OutOfScope { scope: ScopePath, unit: ScopePath, command: CommandKind },
    #[error("工单当前状态为“{}”，不能执行“{}”操作", .state.label_zh(), .command.label_zh())]
    IllegalState { state: CaseState, command: CommandKind },
    #[error("工单尚未创建，不能执行“{}”操作", .command.label_zh())]
    CaseNotCreated { command: CommandKind },
    #[error("工单已存在，不能重复创建")]
    CaseAlreadyExists,
    #[error("“{}”须由申请人以外的人员办理，不能审批自己的申请", .command.label_zh())]
    SamePersonApproval { command: CommandKind },
    #[error("{field}不能为空")]
    ReasonRequired { field: &'static str },
    #[error("只有本工单的承办人才能执行“{}”操作", .command.label_zh())]
    NotAssignee { command: CommandKind },
    #[error("只有被评价的工作人员本人才能申诉")]
    NotRatedStaff,
    #[error("本工单已提出过申诉，不能重复申诉")]
    AppealAlreadyFiled,
    #[error("本工单没有待复核的申诉")]
    NoPendingAppeal,
    #[error("实名差评须经回访方可办结")]
    ReturnVisitRequired,
    #[error("延期天数应为 1–{max} 个工作日")]
    InvalidExtension { max: u32 },
    #[error("整改期限 {due} 早于今天 {today}")]
    InvalidDeadline { due: NaiveDate, today: NaiveDate },
    #[error("工单已升级至“追责问责”，不能继续升级")]
    EscalationExhausted,
    #[error("工单未达到督办规则要求的逾期程度（当前“{}”），不能按逾期升级；如需升级请说明理由", .current.label_zh())]
    EscalationNotRequired { current: EscalationLevel },
    #[error("工单须先升级至“追责问责”阶段才能记录问责决定")]
    AccountabilityNotEscalated,
    #[error("问责决定须附证据材料")]
    EvidenceRequired,
    #[error("扣减绩效分须大于 0")]
    InvalidPoints,
    #[error("工单的整改期限未进入预警期，不能发出超期预警")]
    DeadlineNotAtRisk,
    #[error("约谈记录只能附于排名考核开出的限期整改工单")]
    InterviewNotApplicable,
    #[error("约谈日期 {held_on} 晚于今天 {today}")]
    InterviewInFuture { held_on: NaiveDate, today: NaiveDate },
}

impl TransitionError {
    /// A stable snake_case code the UI and the API switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            TransitionError::RoleNotAllowed { .. } => ErrorCode::RoleNotAllowed,
            TransitionError::OutOfScope { .. } => ErrorCode::OutOfScope,
            TransitionError::IllegalState { .. } => ErrorCode::IllegalState,
            TransitionError::CaseNotCreated { .. } => ErrorCode::CaseNotCreated,
            TransitionError::CaseAlreadyExists => ErrorCode::CaseAlreadyExists,
            TransitionError::SamePersonApproval { .. } => ErrorCode::SamePersonApproval,
            TransitionError::ReasonRequired { .. } => ErrorCode::ReasonRequired,
            TransitionError::NotAssignee { .. } => ErrorCode::NotAssignee,
            TransitionError::NotRatedStaff => ErrorCode::NotRatedStaff,
            TransitionError::AppealAlreadyFiled => ErrorCode::AppealAlreadyFiled,
            TransitionError::NoPendingAppeal => ErrorCode::NoPendingAppeal,
            TransitionError::ReturnVisitRequired => ErrorCode::ReturnVisitRequired,
            TransitionError::InvalidExtension { .. } => ErrorCode::InvalidExtension,
            TransitionError::InvalidDeadline { .. } => ErrorCode::InvalidDeadline,
            TransitionError::EscalationExhausted => ErrorCode::EscalationExhausted,
            TransitionError::EscalationNotRequired { .. } => ErrorCode::EscalationNotRequired,
            TransitionError::AccountabilityNotEscalated => ErrorCode::AccountabilityNotEscalated,
            TransitionError::EvidenceRequired => ErrorCode::EvidenceRequired,
            TransitionError::InvalidPoints => ErrorCode::InvalidPoints,
            TransitionError::DeadlineNotAtRisk => ErrorCode::DeadlineNotAtRisk,
            TransitionError::InterviewNotApplicable => ErrorCode::InterviewNotApplicable,
            TransitionError::InterviewInFuture { .. } => ErrorCode::InterviewInFuture,
        }
    }
}

/// Why an event log does not describe a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("事件记录为空")]
    Empty,
    #[error("事件记录的第一条必须是创建工单")]
    NotCreatedFirst,
    #[error("工单已创建，不能再次创建")]
    CreatedTwice,
    #[error("事件版本不连续：应为 {expected}，实为 {found}")]
    VersionGap { expected: u64, found: u64 },
    #[error("事件“{kind}”不能发生在“{}”状态", .state.label_zh())]
    IllegalEvent { state: CaseState, kind: &'static str },
}

/// Applies a command. `case` is `None` before the case exists (only `create` is possible then).
/// On success returns the new case and the one event describing the change.
pub fn apply(
    case: Option<&Case>,
    actor: &Actor,
    cmd: &CaseCommand,
    now: DateTime<Utc>,
    ctx: &PolicyContext<'_>,
) -> Result<(Case, CaseEvent), TransitionError> {
    authorize(case, actor, cmd.kind())?;
    let payload = decide(case, actor, cmd, now, ctx)?;
    let event = CaseEvent { version: case.map_or(1, |c| c.version + 1), at: now, actor: actor.clone(), payload };
    // `evolve` cannot refuse an event that passed the guards above; should it ever, report the
    // state rather than panic.
    let next = evolve(case, &event).map_err(|_| TransitionError::IllegalState {
        state: case.map_or(CaseState::New, |c| c.state),
        command: cmd.kind(),
    })?;
    Ok((next, event))
}

/// The kinds of command `actor` may issue on `case` now, for buttons in the UI. Content checks
/// (reasons, evidence, extension length) still apply when the command is issued.
pub fn available_commands(case: Option<&Case>, actor: &Actor) -> Vec<CommandKind> {
    CommandKind::ALL.into_iter().filter(|k| !k.is_automatic() && authorize(case, actor, *k).is_ok()).collect()
}

/// Rebuilds a case from its event log.
pub fn replay(events: &[CaseEvent]) -> Result<Case, ReplayError> {
    let mut case: Option<Case> = None;
    for event in events {
        case = Some(evolve(case.as_ref(), event)?);
    }
    case.ok_or(ReplayError::Empty)
}

/// Guards 1–4 of the module doc: role, scope, state, person and attributes.
fn authorize(case: Option<&Case>, actor: &Actor, kind: CommandKind) -> Result<(), TransitionError> {
    if !kind.allowed_roles().contains(&actor.role) {
        return Err(TransitionError::RoleNotAllowed { role: actor.role, command: kind });
    }
    let case = match (case, kind) {
        (None, CommandKind::Create) => return Ok(()),
        (None, command) => return Err(TransitionError::CaseNotCreated { command }),
        (Some(_), CommandKind::Create) => return Err(TransitionError::CaseAlreadyExists),
        (Some(case), _) => case,
    };
    let is_assignee = case.assignee_id == Some(actor.user_id);
    let is_rated_staff = case.rated_staff_id == Some(actor.user_id);
    let personal_link = match actor.role {
        Role::DepartmentHandler => is_assignee,
        Role::StaffMember => is_rated_staff,
        _ => false,
    };
    if !actor.scope.contains(&case.unit) && !personal_link {
        return Err(TransitionError::OutOfScope { scope: actor.scope.clone(), unit: case.unit.clone(), command: kind });
    }
    if !kind.allowed_from(case.state) {
        return Err(TransitionError::IllegalState { state: case.state, command: kind });
    }
    match kind {
        CommandKind::Accept | CommandKind::RequestExtension | CommandKind::ReportRectification if !is_assignee => {
            Err(TransitionError::NotAssignee { command: kind })
        }
        CommandKind::ApproveExclusion if case.exclusion_requested_by == Some(actor.user_id) => {
            Err(TransitionError::SamePersonApproval { command: kind })
        }
        CommandKind::ApproveExtension | CommandKind::RejectExtension
            if case.extension_requested_by == Some(actor.user_id) =>
        {
            Err(TransitionError::SamePersonApproval { command: kind })
        }
        CommandKind::Close if case.real_name => Err(TransitionError::ReturnVisitRequired),
        CommandKind::Escalate if case.escalation.next().is_none() => Err(TransitionError::EscalationExhausted),
        CommandKind::Appeal if !is_rated_staff => Err(TransitionError::NotRatedStaff),
        CommandKind::Appeal if case.appeal != AppealState::None => Err(TransitionError::AppealAlreadyFiled),
        CommandKind::DecideAppeal if case.appeal != AppealState::Pending => Err(TransitionError::NoPendingAppeal),
        CommandKind::DecideAppeal if case.appellant_id == Some(actor.user_id) => {
            Err(TransitionError::SamePersonApproval { command: kind })
        }
        CommandKind::RecordAccountability if case.escalation != EscalationLevel::Accountability => {
            Err(TransitionError::AccountabilityNotEscalated)
        }
        CommandKind::RecordInterview if case.source != CaseSource::Assessment => {
            Err(TransitionError::InterviewNotApplicable)
        }
        _ => Ok(()),
    }
}

/// A mandatory text, trimmed.
fn required(field: &'static str, text: &str) -> Result<String, TransitionError> {
    let t = text.trim();
    if t.is_empty() {
        Err(TransitionError::ReasonRequired { field })
    } else {
        Ok(t.to_owned())
    }
}

/// Evidence references, trimmed, blanks dropped.
fn clean_list(items: &[String]) -> Vec<String> {
    items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Working days the clock stood still between the extension request and `now`.
fn paused_days(case: &Case, now: DateTime<Utc>, ctx: &PolicyContext<'_>) -> u32 {
    let Some(since) = case.paused_since else {
        return 0;
    };
    let from = ctx.deadlines.local_date(since);
    let to = ctx.deadlines.local_date(now);
    u32::try_from(ctx.calendar.working_days_between(from, to).max(0)).unwrap_or(u32::MAX)
}

/// Guard 5 and the computed values: the event payload for an authorised command.
fn decide(
    case: Option<&Case>,
    actor: &Actor,
    cmd: &CaseCommand,
    now: DateTime<Utc>,
    ctx: &PolicyContext<'_>,
) -> Result<EventPayload, TransitionError> {
    let kind = cmd.kind();
    if let CaseCommand::Create { source, unit, rated_staff_id, real_name, summary, content_codes, service_item_id } =
        cmd
    {
        if matches!(source, CaseSource::Supervision | CaseSource::Assessment) && actor.role != Role::Supervisor {
            return Err(TransitionError::RoleNotAllowed { role: actor.role, command: kind });
        }
        if !actor.scope.contains(unit) {
            return Err(TransitionError::OutOfScope { scope: actor.scope.clone(), unit: unit.clone(), command: kind });
        }
        return Ok(EventPayload::Created {
            source: *source,
            unit: unit.clone(),
            rated_staff_id: *rated_staff_id,
            real_name: *real_name,
            summary: summary.trim().to_owned(),
            content_codes: content_codes.clone(),
            verify_due: ctx.deadlines.stage_due(ctx.calendar, now, ctx.deadlines.verify_within_working_days),
            service_item_id: *service_item_id,
        });
    }
    let Some(case) = case else {
        return Err(TransitionError::CaseNotCreated { command: kind });
    };
    let today = ctx.deadlines.local_date(now);
    let fresh_due = || ctx.deadlines.due_date(ctx.calendar, now);
    let stage_due = |days: Option<u32>| ctx.deadlines.stage_due(ctx.calendar, now, days);
    let visit_due = || stage_due(ctx.deadlines.return_visit_within_working_days);
    let payload = match cmd {
        CaseCommand::Create { .. } => return Err(TransitionError::CaseAlreadyExists),
        CaseCommand::Verify { outcome, reason } => EventPayload::Verified {
            outcome: *outcome,
            reason: match outcome {
                VerifyOutcome::Genuine => reason.trim().to_owned(),
                VerifyOutcome::Malicious | VerifyOutcome::Mistaken => required("剔除理由", reason)?,
            },
        },
        CaseCommand::ApproveExclusion { comment } => {
            EventPayload::ExclusionApproved { comment: comment.trim().to_owned() }
        }
        CaseCommand::RejectExclusion { reason } => {
            EventPayload::ExclusionRejected { reason: required("驳回理由", reason)? }
        }
        CaseCommand::ResolveOnSpot { explanation } => {
            EventPayload::ResolvedOnSpot { explanation: required("解释说明", explanation)?, visit_due: visit_due() }
        }
        CaseCommand::Assign { department_id, handler_id, due_date } => {
            let due = match (due_date, case.due_date) {
                (Some(due), _) => {
                    if *due < today {
                        return Err(TransitionError::InvalidDeadline { due: *due, today });
                    }
                    *due
                }
                // A reassignment keeps the running deadline.
                (None, Some(running)) if case.state == CaseState::Assigned => running,
                (None, _) => ctx.deadlines.rectification_due(ctx.calendar, case.created_at, now),
            };
            EventPayload::Assigned {
                department_id: *department_id,
                handler_id: *handler_id,
                due_date: due,
                accept_due: stage_due(ctx.deadlines.accept_within_working_days),
            }
        }
        CaseCommand::Accept => EventPayload::Accepted,
        CaseCommand::RequestExtension { reason, extra_working_days } => {
            let max = ctx.deadlines.max_extension_working_days;
            if *extra_working_days == 0 || *extra_working_days > max {
                return Err(TransitionError::InvalidExtension { max });
            }
            EventPayload::ExtensionRequested {
                reason: required("延期理由", reason)?,
                extra_working_days: *extra_working_days,
            }
        }
        CaseCommand::ApproveExtension { comment } => {
            let paused = paused_days(case, now, ctx);
            let granted = case.pending_extension_days.unwrap_or(0);
            let base = case.due_date.unwrap_or(today);
            EventPayload::ExtensionApproved {
                comment: comment.trim().to_owned(),
                paused_working_days: paused,
                granted_working_days: granted,
                due_date: ctx.calendar.add_working_days(base, paused.saturating_add(granted)),
            }
        }
        CaseCommand::RejectExtension { reason } => {
            let paused = paused_days(case, now, ctx);
            let base = case.due_date.unwrap_or(today);
            EventPayload::ExtensionRejected {
                reason: required("驳回理由", reason)?,
                paused_working_days: paused,
                due_date: ctx.calendar.add_working_days(base, paused),
            }
        }
        CaseCommand::ReportRectification { measures, evidence } => EventPayload::RectificationReported {
            measures: required("整改措施", measures)?,
            evidence: clean_list(evidence),
            on_time: case.due_date.is_none_or(|due| today <= due),
            visit_due: visit_due(),
        },
        CaseCommand::ReturnVisit { method, satisfied, note } => EventPayload::ReturnVisited {
            method: *method,
            satisfied: *satisfied,
            note: note.trim().to_owned(),
            due_date: (!satisfied && case.assignee_id.is_some()).then(fresh_due),
        },
        CaseCommand::Close { note } => EventPayload::Closed { note: required("办结说明", note)? },
        CaseCommand::Reopen { reason } => EventPayload::Reopened {
            reason: required("重新办理理由", reason)?,
            due_date: case.assignee_id.is_some().then(fresh_due),
        },
        CaseCommand::Escalate { basis } => {
            let (to, basis) = match basis {
                EscalationBasis::Manual { reason } => (
                    case.escalation.next().ok_or(TransitionError::EscalationExhausted)?,
                    EscalationBasis::Manual { reason: required("督办理由", reason)? },
                ),
                EscalationBasis::Overdue => {
                    let assessment = escalation::assess(case, ctx.calendar, &ctx.deadlines, &ctx.escalation, now);
                    let to = assessment
                        .escalation_due
                        .ok_or(TransitionError::EscalationNotRequired { current: case.escalation })?;
                    (to, EscalationBasis::Overdue)
                }
            };
            EventPayload::Escalated { from: case.escalation, to, basis }
        }
        CaseCommand::Urge { note } => {
            let status = escalation::deadline_status(case, ctx.calendar, &ctx.deadlines, &ctx.escalation, now);
            let working_days_overdue = match status {
                DeadlineStatus::Overdue { working_days_overdue, .. } => working_days_overdue,
                _ => 0,
            };
            let clock = case.deadline();
            EventPayload::Urged {
                note: required("催办意见", note)?,
                due_date: clock.map(|(_, due)| due),
                working_days_overdue,
                stage: clock.map(|(stage, _)| stage),
            }
        }
        CaseCommand::Warn => {
            match escalation::deadline_status(case, ctx.calendar, &ctx.deadlines, &ctx.escalation, now) {
                DeadlineStatus::AtRisk { due, working_days_left } => {
                    EventPayload::Warned { due_date: due, working_days_left, stage: case.state.stage() }
                }
                _ => return Err(TransitionError::DeadlineNotAtRisk),
            }
        }
        CaseCommand::Appeal { reason } => EventPayload::Appealed { reason: required("申诉理由", reason)? },
        CaseCommand::DecideAppeal { decision, reason } => {
            EventPayload::AppealDecided { decision: *decision, reason: required("复核意见", reason)? }
        }
        CaseCommand::RecordAccountability { decision, subject_staff_id, reason, evidence } => {
            if matches!(decision, AccountabilityKind::DeductedPoints { points: 0 }) {
                return Err(TransitionError::InvalidPoints);
            }
            let reason = required("问责理由", reason)?;
            let evidence = clean_list(evidence);
            if evidence.is_empty() {
                return Err(TransitionError::EvidenceRequired);
            }
            EventPayload::AccountabilityRecorded {
                decision: *decision,
                subject_staff_id: *subject_staff_id,
                reason,
                evidence,
            }
        }
        CaseCommand::RecordInterview { held_on, interviewee, content } => {
            let today = ctx.deadlines.local_date(now);
            if *held_on > today {
                return Err(TransitionError::InterviewInFuture { held_on: *held_on, today });
            }
            EventPayload::InterviewRecorded {
                held_on: *held_on,
                interviewee: required("被约谈人", interviewee)?,
                content: required("约谈内容", content)?,
            }
        }
    };
    Ok(payload)
}

/// Applies an event to a case without the guards: the shared step of [`apply`] and [`replay`].
/// Checks only that the log is well formed (creation first, versions contiguous, the event
/// possible from the current state).
pub fn evolve(case: Option<&Case>, event: &CaseEvent) -> Result<Case, ReplayError> {
    let at = event.at;
    let Some(case) = case else {
        let EventPayload::Created {
            source, unit, rated_staff_id, real_name, summary, content_codes, verify_due, ..
        } = &event.payload
        else {
            return Err(ReplayError::NotCreatedFirst);
        };
        if event.version != 1 {
            return Err(ReplayError::VersionGap { expected: 1, found: event.version });
        }
        return Ok(Case {
            version: 1,
            state: CaseState::New,
            source: *source,
            unit: unit.clone(),
            created_at: at,
            created_by: event.actor.user_id,
            updated_at: at,
            rated_staff_id: *rated_staff_id,
            real_name: *real_name,
            summary: summary.clone(),
            content_codes: content_codes.clone(),
            verification: None,
            exclusion_requested_by: None,
            excluded_from_stats: false,
            resolved_on_spot: false,
            department_id: None,
            assignee_id: None,
            due_date: None,
            paused_since: None,
            pending_extension_days: None,
            extension_requested_by: None,
            paused_working_days: 0,
            extension_working_days_granted: 0,
            rectified_on_time: None,
            reopen_count: 0,
            escalation: EscalationLevel::FirstLine,
            appeal: AppealState::None,
            appellant_id: None,
            accountability_decisions: 0,
            closed_at: None,
            last_urge: None,
            urge_count: 0,
            warned_due: None,
            stage_due: *verify_due,
        });
    };
    if matches!(event.payload, EventPayload::Created { .. }) {
        return Err(ReplayError::CreatedTwice);
    }
    if event.version != case.version + 1 {
        return Err(ReplayError::VersionGap { expected: case.version + 1, found: event.version });
    }
    if !event.payload.command_kind().allowed_from(case.state) {
        return Err(ReplayError::IllegalEvent { state: case.state, kind: event.payload.kind() });
    }
    let mut next = case.clone();
    next.version = event.version;
    next.updated_at = at;
    let back_to_work = |next: &mut Case, due: Option<NaiveDate>| {
        next.reopen_count += 1;
        next.closed_at = None;
        next.rectified_on_time = None;
        match (next.assignee_id, due) {
            (Some(_), Some(due)) => {
                next.state = CaseState::InRectification;
                next.due_date = Some(due);
            }
            _ => {
                next.state = CaseState::Verified;
                next.due_date = None;
            }
        }
        next.stage_due = None;
    };
    match &event.payload {
        EventPayload::Created { .. } => return Err(ReplayError::CreatedTwice),
        EventPayload::Verified { outcome, .. } => {
            next.verification = Some(*outcome);
            if *outcome == VerifyOutcome::Genuine {
                next.state = CaseState::Verified;
            } else {
                next.state = CaseState::ExclusionRequested;
                next.exclusion_requested_by = Some(event.actor.user_id);
            }
        }
        EventPayload::ExclusionApproved { .. } => {
            next.state = CaseState::Excluded;
            next.excluded_from_stats = true;
        }
        EventPayload::ExclusionRejected { .. } => {
            next.state = CaseState::Verified;
            next.verification = Some(VerifyOutcome::Genuine);
            next.exclusion_requested_by = None;
        }
        EventPayload::ResolvedOnSpot { visit_due, .. } => {
            next.state = CaseState::Rectified;
            next.stage_due = *visit_due;
            next.resolved_on_spot = true;
            next.rectified_on_time = Some(true);
        }
        EventPayload::Assigned { department_id, handler_id, due_date, accept_due } => {
            next.state = CaseState::Assigned;
            next.stage_due = *accept_due;
            next.department_id = Some(*department_id);
            next.assignee_id = Some(*handler_id);
            next.due_date = Some(*due_date);
            next.resolved_on_spot = false;
        }
        EventPayload::Accepted => {
            next.state = CaseState::InRectification;
            next.stage_due = None;
        }
        EventPayload::ExtensionRequested { extra_working_days, .. } => {
            next.state = CaseState::ExtensionRequested;
            next.paused_since = Some(at);
            next.pending_extension_days = Some(*extra_working_days);
            next.extension_requested_by = Some(event.actor.user_id);
        }
        EventPayload::ExtensionApproved { paused_working_days, granted_working_days, due_date, .. } => {
            next.state = CaseState::InRectification;
            next.due_date = Some(*due_date);
            next.paused_working_days = next.paused_working_days.saturating_add(*paused_working_days);
            next.extension_working_days_granted =
                next.extension_working_days_granted.saturating_add(*granted_working_days);
            next.paused_since = None;
            next.pending_extension_days = None;
            next.extension_requested_by = None;
        }
        EventPayload::ExtensionRejected { paused_working_days, due_date, .. } => {
            next.state = CaseState::InRectification;
            next.due_date = Some(*due_date);
            next.paused_working_days = next.paused_working_days.saturating_add(*paused_working_days);
            next.paused_since = None;
            next.pending_extension_days = None;
            next.extension_requested_by = None;
        }
        EventPayload::RectificationReported { on_time, visit_due, .. } => {
            next.state = CaseState::Rectified;
            next.stage_due = *visit_due;
            next.rectified_on_time = Some(*on_time);
        }
        EventPayload::ReturnVisited { satisfied, due_date, .. } => {
            if *satisfied {
                next.state = CaseState::Closed;
                next.closed_at = Some(at);
                next.stage_due = None;
            } else {
                back_to_work(&mut next, *due_date);
            }
        }
        EventPayload::Closed { .. } => {
            next.state = CaseState::Closed;
            next.closed_at = Some(at);
            next.stage_due = None;
        }
        EventPayload::Reopened { due_date, .. } => back_to_work(&mut next, *due_date),
        EventPayload::Escalated { to, .. } => next.escalation = next.escalation.max(*to),
        EventPayload::Urged { due_date, working_days_overdue, .. } => {
            next.last_urge = Some(UrgeMark { due_date: *due_date, working_days_overdue: *working_days_overdue });
            next.urge_count = next.urge_count.saturating_add(1);
        }
        EventPayload::Warned { due_date, .. } => next.warned_due = Some(*due_date),
        EventPayload::Appealed { .. } => {
            next.appeal = AppealState::Pending;
            next.appellant_id = Some(event.actor.user_id);
        }
        EventPayload::AppealDecided { decision, .. } => match decision {
            AppealDecision::Upheld => next.appeal = AppealState::Upheld,
            AppealDecision::Overturned => {
                next.appeal = AppealState::Overturned;
                next.excluded_from_stats = true;
            }
        },
        EventPayload::AccountabilityRecorded { .. } => {
            next.accountability_decisions = next.accountability_decisions.saturating_add(1);
        }
        EventPayload::InterviewRecorded { .. } => {}
    }
    Ok(next)
}

impl Case {
    /// The current stage's deadline, also while an extension request pauses it: 核实处置 and
    /// 回访 by their own clocks ([`Case::stage_due`]), 签收 by its clock but never later than
    /// the rectification deadline, 整改 by [`Case::due_date`]. `None` for a closed or excluded
    /// case and for a stage the policy set no clock for when it began.
    pub fn deadline(&self) -> Option<(Stage, NaiveDate)> {
        let stage = self.state.stage()?;
        let due = match stage {
            Stage::Verify | Stage::ReturnVisit => self.stage_due,
            Stage::Accept => match (self.stage_due, self.due_date) {
                (Some(accept), Some(rectify)) => Some(accept.min(rectify)),
                (accept, rectify) => accept.or(rectify),
            },
            Stage::Rectify => self.due_date,
        }?;
        Some((stage, due))
    }

    /// The deadline whose clock runs now ([`Case::deadline`] unless paused): the one the inbox,
    /// the detail, the 督办 board and the deadline watch count against.
    pub fn clock(&self) -> Option<(Stage, NaiveDate)> {
        self.deadline().filter(|_| self.state.has_running_deadline())
    }

    /// Checks the rules that tie the fields to the state; `Err` names the first one broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        use CaseState::*;
        let s = self.state;
        let fail = |rule: &str| Err(format!("{rule} (state {})", s.as_str()));
        if self.version == 0 {
            return fail("a case has at least its creation event");
        }
        if s == New && self.verification.is_some() {
            return fail("a new case is not verified");
        }
        if s == ExclusionRequested
            && (self.exclusion_requested_by.is_none()
                || matches!(self.verification, None | Some(VerifyOutcome::Genuine)))
        {
            return fail("an exclusion request names its requester and a non-genuine outcome");
        }
        if s == Excluded && !self.excluded_from_stats {
            return fail("an excluded case is out of the statistics");
        }
        if matches!(s, Assigned | InRectification | ExtensionRequested)
            && (self.assignee_id.is_none() || self.department_id.is_none() || self.due_date.is_none())
        {
            return fail("assigned work has a department, a handler and a due date");
        }
        let paused = s == ExtensionRequested;
        if paused != self.paused_since.is_some()
            || paused != self.pending_extension_days.is_some()
            || paused != self.extension_requested_by.is_some()
        {
            return fail("the clock is paused exactly while an extension waits");
        }
        if (s == Closed) != self.closed_at.is_some() {
            return fail("a closing time exactly for closed cases");
        }
        if s == Rectified && !self.resolved_on_spot && self.assignee_id.is_none() {
            return fail("a rectified case was resolved on the spot or by a handler");
        }
        if s == Rectified && self.rectified_on_time.is_none() {
            return fail("a rectified case records whether it was on time");
        }
        if s == Verified && self.verification != Some(VerifyOutcome::Genuine) {
            return fail("a verified case is genuine");
        }
        if self.appeal == AppealState::Pending && self.appellant_id.is_none() {
            return fail("a pending appeal has an appellant");
        }
        if self.appeal == AppealState::Overturned && !self.excluded_from_stats {
            return fail("an overturned rating is out of the statistics");
        }
        if self.appeal != AppealState::None && self.rated_staff_id.is_none() {
            return fail("only a rated staff member appeals");
        }
        if self.accountability_decisions > 0 && self.escalation != EscalationLevel::Accountability {
            return fail("accountability follows escalation to accountability");
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use chrono::FixedOffset;

    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    /// A Beijing-time instant.
    pub fn bj(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        d(y, m, day)
            .and_hms_opt(h, min, 0)
            .expect("valid test time")
            .and_local_timezone(FixedOffset::east_opt(8 * 3600).expect("offset"))
            .single()
            .expect("unique local time")
            .with_timezone(&Utc)
    }

    /// The district `/1/4/`, its hall `/1/4/17/` and the window `/1/4/17/9/` the case concerns.
    pub fn district() -> ScopePath {
        ScopePath::root(1).child(4)
    }

    pub fn window() -> ScopePath {
        district().child(17).child(9)
    }

    pub const HALL_MANAGER: i64 = 10;
    pub const SUPERVISOR: i64 = 20;
    pub const LIAISON: i64 = 30;
    pub const HANDLER: i64 = 40;
    pub const STAFF: i64 = 50;
    pub const ADMIN: i64 = 60;
    pub const DEPARTMENT: i64 = 300;

    /// The actor of each role used across the tests: the handler sits in a department elsewhere
    /// in the district, the staff member at the window rated.
    pub fn actor(role: Role) -> Actor {
        let (user_id, scope) = match role {
            Role::HallManager => (HALL_MANAGER, district().child(17)),
            Role::Supervisor => (SUPERVISOR, district()),
            Role::DisciplineLiaison => (LIAISON, district()),
            Role::DepartmentHandler => (HANDLER, district().child(DEPARTMENT)),
            Role::StaffMember => (STAFF, window()),
            Role::Administrator => (ADMIN, ScopePath::root(1)),
        };
        Actor { user_id, role, scope }
    }

    pub fn create_cmd(real_name: bool) -> CaseCommand {
        CaseCommand::Create {
            source: CaseSource::BadReview,
            unit: window(),
            rated_staff_id: Some(STAFF),
            real_name,
            summary: "窗口办理超时".to_owned(),
            content_codes: vec![ContentCode::new(110).expect("valid")],
            service_item_id: None,
        }
    }

    pub fn assign_cmd() -> CaseCommand {
        CaseCommand::Assign { department_id: DEPARTMENT, handler_id: HANDLER, due_date: None }
    }

    /// Runs commands from creation, panicking with the step on failure; returns case and log.
    pub fn run(steps: &[(Role, CaseCommand)], at: DateTime<Utc>, ctx: &PolicyContext<'_>) -> (Case, Vec<CaseEvent>) {
        let mut case: Option<Case> = None;
        let mut log = Vec::new();
        for (i, (role, cmd)) in steps.iter().enumerate() {
            let (next, event) = apply(case.as_ref(), &actor(*role), cmd, at, ctx)
                .unwrap_or_else(|e| panic!("step {i} {:?} failed: {e}", cmd.kind()));
            log.push(event);
            case = Some(next);
        }
        (case.expect("at least one step"), log)
    }

    /// A case assigned at `at` whose running clock is the rectification deadline: created and
    /// assigned under a policy without 核实处置 and 签收 clocks (the stage clocks have their own
    /// tests).
    pub fn assigned_case(at: DateTime<Utc>) -> Case {
        let cal = Calendar::bundled();
        let mut ctx = PolicyContext::new(&cal);
        ctx.deadlines.verify_within_working_days = None;
        ctx.deadlines.accept_within_working_days = None;
        run(
            &[
                (Role::HallManager, create_cmd(true)),
                (Role::HallManager, CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: String::new() }),
                (Role::HallManager, assign_cmd()),
            ],
            at,
            &ctx,
        )
        .0
    }
}

#[cfg(test)]
mod tests;
