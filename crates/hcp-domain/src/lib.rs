//! The domain of government-service "好差评" supervision as pure Rust.
//!
//! Nothing here performs I/O or reads a clock: time is always a parameter. The server applies these
//! rules as the authority; the desktop client uses the same code to project pending offline actions.

pub mod calendar;
pub mod case;
pub mod content;
pub mod disclosure;
pub mod docno;
pub mod error_code;
pub mod escalation;
pub mod integrity;
pub mod kpi;
pub mod league;
pub mod level;
pub mod merit;
pub mod org;
pub mod ranking;
pub mod role;
pub mod self_assessment;
mod str_enum;
pub mod survey;
pub mod watch;

pub use calendar::{Calendar, CalendarError, DeadlinePolicy, DeadlineRules, RectifyFrom, Stage};
pub use case::machine::{
    apply, available_commands, replay, Actor, Case, CaseCommand, CaseEvent, CommandKind, EventPayload, PolicyContext,
    ReplayError, TransitionError,
};
pub use case::{CaseSource, CaseState};
pub use content::{ContentCode, ContentCodeError};
pub use error_code::ErrorCode;
pub use escalation::{EscalationLevel, EscalationPolicy};
pub use integrity::{
    detect, BurstRule, Flag, FlagKind, FlagVerdict, IntegrityParams, RatingEvidence, ServiceRecord, Severity,
};
pub use kpi::{
    kpis, kpis_by, Aggregate, AggregateError, CaseFact, GroupBy, KpiParams, Kpis, Period, RatingFact, Ratio, Subject,
};
pub use level::{Channel, Level, LevelCodeError};
pub use org::{OrgKind, ScopePath};
pub use ranking::{rank, rank_with, RankedUnit, RankingParams, ScoreMethod, UnitScore};
pub use role::Role;
