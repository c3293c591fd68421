//! Cases, one day of creations at a time, each lived through the domain's state machine.
//!
//! Every bad review opens a case the moment the server receives it (as intake does), 12345
//! hotline tickets and supervisors' findings open the others. Each case then runs a small
//! discrete-event simulation: hall managers verify and resolve or assign, handlers accept,
//! ask for extensions and report, supervisors decide, watch deadlines and escalate, staff
//! appeal, liaisons record accountability; every step is a real [`hcp_domain::apply`] of a
//! [`CaseCommand`] by an actor whose role and scope allow it, in office hours of the statutory
//! calendar. The simulation stops at the profile's `as_of` instant, so recent cases stand open
//! in every state, some of them overdue.

use std::collections::VecDeque;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use hcp_domain::case::machine::{
    AccountabilityKind, AppealDecision, AppealState, EscalationBasis, VerifyOutcome, VisitMethod,
};
use hcp_domain::{
    apply, Actor, Case, CaseCommand, CaseEvent, CaseSource, CaseState, ContentCode, EscalationLevel, Level,
    PolicyContext, Role, ScopePath,
};
use hcp_protocol::{CaseEventRow, CaseRow, RatingRow};

use crate::data::{HOTLINE_TEXTS, SUPERVISION_TEXTS};
use crate::org::{Hall, Office};
use crate::plan::{instant, rfc3339, Clock, DayPlan, OFFICE_PERIODS};
use crate::ratings::{day_skeletons, materialize, DayTables};
use crate::rng::{stream, Rng};
use crate::{Synth, SynthError};

/// A case with its events, as the server stores them.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthCase {
    /// The case row; `aggregate` holds the domain case the events replay to.
    pub row: CaseRow,
    /// The case's events in order, ids dense across all cases.
    pub events: Vec<CaseEventRow>,
    /// The 12345 ticket number of a hotline case (the server derives its command id from it).
    pub ticket_no: Option<String>,
}

/// The user id the server records for its own commands (cases opened by intake).
const SYSTEM_USER_ID: i64 = 0;
const SYSTEM_NAME: &str = "系统";

/// Where a case came from, with what the case row copies.
#[derive(Debug, Clone)]
enum Origin {
    BadReview { rating: Box<RatingRow>, rated_staff_user: Option<usize> },
    Hotline { unit_path: String, department_id: Option<i64>, summary: String, ticket_no: String, real_name: bool },
    Supervision { unit_path: String, department_id: Option<i64>, summary: String, supervisor: usize },
}

#[derive(Debug, Clone)]
struct CaseSeed {
    at: DateTime<Utc>,
    order: u64,
    hall: usize,
    origin: Origin,
}

/// The cases of the whole period, in id order, one day of creations in memory at a time.
pub struct Cases<'a> {
    synth: &'a Synth,
    tables: DayTables,
    clock: Clock,
    day: usize,
    buffer: VecDeque<CaseSeed>,
    next_case_id: i64,
    next_event_id: i64,
    left: u64,
}

impl<'a> Cases<'a> {
    pub(crate) fn new(synth: &'a Synth) -> Cases<'a> {
        Cases {
            synth,
            tables: DayTables::new(),
            clock: Clock::new(),
            day: 0,
            buffer: VecDeque::new(),
            next_case_id: 1,
            next_event_id: 1,
            left: synth.case_count(),
        }
    }

    /// The day's case creations in time order: its bad reviews and its other cases.
    fn day_seeds(&self, day: usize, plan: &DayPlan) -> Result<VecDeque<CaseSeed>, SynthError> {
        let synth = self.synth;
        let j = &synth.jurisdiction;
        let missing = |what: &str| SynthError::Jurisdiction { date: plan.date, what: what.to_owned() };
        let mut seeds = Vec::with_capacity(plan.cases() as usize);
        if plan.bad > 0 {
            let skeletons = day_skeletons(synth, &self.tables, day, plan)?;
            for (i, s) in skeletons.iter().enumerate() {
                if !s.level.is_bad() {
                    continue;
                }
                let id = plan.first_rating_id + i as i64;
                let rating = materialize(synth, plan, id, s)?;
                let at = instant(&synth.rules, plan.date, s.secs) + Duration::seconds(i64::from(s.delay));
                let rated_staff_user = s.staff.and_then(|x| j.staff_info.get(x as usize)).map(|x| x.user);
                seeds.push(CaseSeed {
                    at,
                    order: i as u64,
                    hall: s.hall as usize,
                    origin: Origin::BadReview { rating: Box::new(rating.row), rated_staff_user },
                });
            }
        }
        let mut rng = Rng::new(synth.profile.seed, &[stream::CASE_DAY, day as u64]);
        let working = synth.calendar.is_working_day(plan.date);
        for k in 0..plan.other_cases {
            let hall_index = j.office_halls.draw(&mut rng).ok_or_else(|| missing("a hall"))?;
            let hall = j.halls.get(hall_index).ok_or_else(|| missing("a hall"))?;
            let supervision = working && rng.chance(0.1);
            let secs = if working { self.clock.office(&mut rng) } else { self.clock.online(&mut rng) };
            let at = instant(&synth.rules, plan.date, secs);
            let di = hall.dept_weights.draw(&mut rng).unwrap_or(0);
            let dept = hall.depts.get(di).ok_or_else(|| missing("a department"))?;
            let origin = if supervision {
                // The district's supervisors mostly; the city's (office 0) sometimes.
                let office = if rng.chance(0.8) { hall.office } else { 0 };
                let pool = &j.offices.get(office).ok_or_else(|| missing("an office"))?.supervisors;
                let supervisor = *rng.pick(pool).ok_or_else(|| missing("a supervisor"))?;
                let u = rng.unit();
                let (unit_path, department_id) = if u < 0.5 && dept.id.is_some() {
                    (dept.path.clone(), dept.id)
                } else if u < 0.8 {
                    match rng.pick(&hall.windows) {
                        Some(w) => (w.path.clone(), hall.depts.get(w.dept).and_then(|d| d.id)),
                        None => (hall.path.clone(), None),
                    }
                } else {
                    (hall.path.clone(), None)
                };
                let summary = rng.pick(SUPERVISION_TEXTS).copied().unwrap_or("督查发现：服务不规范").to_owned();
                Origin::Supervision { unit_path, department_id, summary, supervisor }
            } else {
                let (unit_path, department_id) = if dept.id.is_some() && rng.chance(0.4) {
                    (dept.path.clone(), dept.id)
                } else {
                    (hall.path.clone(), None)
                };
                let item = rng.pick(dept.items).map_or("政务服务事项", |i| i.1);
                let template = rng.pick(HOTLINE_TEXTS).copied().unwrap_or("市民来电反映：{}办理不顺利");
                Origin::Hotline {
                    unit_path,
                    department_id,
                    summary: format!("{}（{}）", template.replacen("{}", item, 1), hall.name),
                    ticket_no: format!("12345-{}-{:05}", plan.date.format("%Y%m%d"), k + 1),
                    real_name: rng.chance(0.7),
                }
            };
            seeds.push(CaseSeed { at, order: plan.bad + k, hall: hall_index, origin });
        }
        seeds.sort_by(|a, b| a.at.cmp(&b.at).then(a.order.cmp(&b.order)));
        Ok(seeds.into())
    }

    fn build(&mut self, case_id: i64, seed: CaseSeed) -> Result<SynthCase, SynthError> {
        let synth = self.synth;
        let j = &synth.jurisdiction;
        let create_failed = |message: &str| SynthError::Create { case_id, message: message.to_owned() };
        let hall = j.halls.get(seed.hall).ok_or_else(|| create_failed("no hall"))?;
        let office = j.offices.get(hall.office).ok_or_else(|| create_failed("no office"))?;
        let mut life = Life::new(synth, hall, office, case_id);
        let (source, unit_path, department_id, ticket_no) = match &seed.origin {
            Origin::BadReview { rating, .. } => {
                (CaseSource::BadReview, rating.unit_path.clone(), rating.department_id, None)
            }
            Origin::Hotline { unit_path, department_id, ticket_no, .. } => {
                (CaseSource::Hotline12345, unit_path.clone(), *department_id, Some(ticket_no.clone()))
            }
            Origin::Supervision { unit_path, department_id, .. } => {
                (CaseSource::Supervision, unit_path.clone(), *department_id, None)
            }
        };
        let unit = ScopePath::try_from(unit_path.clone()).map_err(|e| create_failed(&e))?;
        life.preferred_dept = department_id;
        if let Origin::BadReview { rated_staff_user, rating } = &seed.origin {
            life.rated_staff_user = *rated_staff_user;
            life.rated_staff = rating.staff_id;
        }
        let (who, cmd) = creation(&seed.origin, source, unit).map_err(|e| create_failed(&e))?;
        let created = life.act(who, &cmd, seed.at);
        if !created {
            return Err(create_failed("the domain refused the creation"));
        }
        life.plan(source, seed.at);
        life.run();

        let Some(aggregate) = life.case.take() else {
            return Err(create_failed("no aggregate"));
        };
        let mut events = Vec::with_capacity(life.events.len());
        for (event, who) in &life.events {
            let data =
                serde_json::to_value(event).map_err(|e| SynthError::Serialize { case_id, message: e.to_string() })?;
            let (actor_user_id, actor_name) = match who {
                None => (None, SYSTEM_NAME.to_owned()),
                Some(u) => (Some(user_id(*u)), j.user_row(*u).map(|r| r.display_name.clone()).unwrap_or_default()),
            };
            events.push(CaseEventRow {
                id: self.next_event_id,
                case_id,
                unit_path: unit_path.clone(),
                kind: event.kind().to_owned(),
                actor_user_id,
                actor_name,
                at: rfc3339(event.at),
                data,
            });
            self.next_event_id += 1;
        }
        let (rating_id, staff_id, level, channel, item_name): (_, _, Option<Level>, _, _) = match &seed.origin {
            Origin::BadReview { rating, .. } => (
                Some(rating.id),
                rating.staff_id,
                Some(rating.level),
                Some(rating.channel),
                Some(rating.item_name.clone()),
            ),
            _ => (None, None, None, None, None),
        };
        let created_at = aggregate.created_at;
        let prefix = source.case_no_prefix();
        let year = synth.rules.local_date(created_at).year();
        let row = CaseRow {
            id: case_id,
            case_no: format!("{prefix}-{year}-{case_id:06}"),
            source,
            rating_id,
            unit_id: hall.id,
            unit_path,
            department_id: aggregate.department_id.or(department_id),
            staff_id,
            level,
            channel,
            item_name,
            summary: aggregate.summary.clone(),
            state: aggregate.state,
            escalation_level: aggregate.escalation.index(),
            handler_user_id: aggregate.assignee_id,
            created_at: rfc3339(created_at),
            deadline: aggregate.due_date.map(|d| d.format("%Y-%m-%d").to_string()),
            deadline_provisional: false,
            stage_deadline: aggregate.deadline().map(|(_, d)| d.format("%Y-%m-%d").to_string()),
            version: aggregate.version as i64,
            updated_at: rfc3339(aggregate.updated_at),
            aggregate: Some(Box::new(aggregate)),
        };
        Ok(SynthCase { row, events, ticket_no })
    }
}

impl Iterator for Cases<'_> {
    type Item = Result<SynthCase, SynthError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(seed) = self.buffer.pop_front() {
                let id = self.next_case_id;
                self.next_case_id += 1;
                self.left = self.left.saturating_sub(1);
                return Some(self.build(id, seed));
            }
            let plan = self.synth.plan.days.get(self.day)?;
            let seeds = self.day_seeds(self.day, plan);
            self.next_case_id = plan.first_case_id;
            self.day += 1;
            match seeds {
                Ok(seeds) => self.buffer = seeds,
                Err(e) => {
                    // Nothing sensible follows a broken day: end the stream after the error.
                    self.day = self.synth.plan.days.len();
                    return Some(Err(e));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.left).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

/// Who opens the case and the command: intake (the server itself) for bad reviews and hotline
/// tickets, the supervisor for a finding.
fn creation(origin: &Origin, source: CaseSource, unit: ScopePath) -> Result<(Who, CaseCommand), String> {
    let (who, rated_staff_id, real_name, summary, content_codes) = match origin {
        Origin::BadReview { rating, rated_staff_user } => {
            // As intake writes it: the item, and what the citizen said.
            let summary = if rating.comment.trim().is_empty() {
                rating.item_name.clone()
            } else {
                format!("{}：{}", rating.item_name, rating.comment.trim())
            };
            let codes = rating
                .content_codes
                .iter()
                .map(|c| ContentCode::new(*c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            (Who::System(unit.clone()), rated_staff_user.map(user_id), rating.real_name, summary, codes)
        }
        Origin::Hotline { summary, real_name, .. } => {
            (Who::System(unit.clone()), None, *real_name, summary.clone(), Vec::new())
        }
        Origin::Supervision { summary, supervisor, .. } => {
            (Who::User(*supervisor), None, false, summary.clone(), Vec::new())
        }
    };
    let cmd =
        CaseCommand::Create { source, unit, rated_staff_id, real_name, summary, content_codes, service_item_id: None };
    Ok((who, cmd))
}

fn user_id(index: usize) -> i64 {
    index as i64 + 1
}

/// Who acts: the server itself within a scope, or a user (by index).
#[derive(Debug, Clone)]
enum Who {
    System(ScopePath),
    User(usize),
}

/// What a case's life will hold, decided at its creation.
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    /// Verified as malicious or mistaken.
    not_genuine: bool,
    /// The supervisor approves the exclusion.
    approve_exclusion: bool,
    /// The hall manager resolves it on the spot.
    on_spot: bool,
    /// Assigned to the wrong department first.
    reassign: bool,
    /// The handler asks for more time.
    extension: bool,
    /// The handler reports after the deadline: the deadline watch escalates.
    late: bool,
    /// A serious case: escalated by hand up to accountability.
    serious: bool,
    /// The rated staff member appeals.
    appeal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Verify,
    DecideExclusion,
    Handle,
    Reassign,
    Accept,
    RequestExtension,
    DecideExtension,
    Report,
    /// The deadline watch on a working day after the due date.
    Watch,
    Visit,
    Reopen,
    Appeal,
    DecideAppeal,
    Escalate(u8),
    Accountability(u8),
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    at: DateTime<Utc>,
    seq: u32,
    round: u32,
    step: Step,
}

/// Office minutes in a working day.
const OFFICE_MINUTES_PER_DAY: f64 = 450.0;

struct Life<'a> {
    synth: &'a Synth,
    ctx: PolicyContext<'a>,
    rng: Rng,
    end: DateTime<Utc>,
    hall: &'a Hall,
    office: &'a Office,
    case: Option<Case>,
    /// Events with the index of the user who caused them (`None` for the system).
    events: Vec<(CaseEvent, Option<usize>)>,
    pending: Vec<Pending>,
    seq: u32,
    /// Bumped whenever a new deadline starts, so that steps planned for an old one lapse.
    round: u32,
    visits: u32,
    flags: Flags,
    preferred_dept: Option<i64>,
    rated_staff_user: Option<usize>,
    /// The staff record rated (bad reviews), whom an accountability decision names first.
    rated_staff: Option<i64>,
    accountability_scheduled: bool,
    on_spot_done: bool,
    reassigned: bool,
    extension_done: bool,
    reopened: bool,
}

impl<'a> Life<'a> {
    fn new(synth: &'a Synth, hall: &'a Hall, office: &'a Office, case_id: i64) -> Life<'a> {
        Life {
            synth,
            ctx: PolicyContext::new(&synth.calendar),
            rng: Rng::new(synth.profile.seed, &[stream::CASE_LIFE, case_id as u64]),
            end: synth.as_of(),
            hall,
            office,
            case: None,
            events: Vec::new(),
            pending: Vec::new(),
            seq: 0,
            round: 0,
            visits: 0,
            flags: Flags::default(),
            preferred_dept: None,
            rated_staff_user: None,
            rated_staff: None,
            accountability_scheduled: false,
            on_spot_done: false,
            reassigned: false,
            extension_done: false,
            reopened: false,
        }
    }

    fn state(&self) -> Option<CaseState> {
        self.case.as_ref().map(|c| c.state)
    }

    /// Applies a command; `false` when the domain refuses it (the step then lapses).
    fn act(&mut self, who: Who, cmd: &CaseCommand, at: DateTime<Utc>) -> bool {
        let (actor, index) = match who {
            Who::System(scope) => (Actor { user_id: SYSTEM_USER_ID, role: Role::Supervisor, scope }, None),
            Who::User(i) => {
                let Some(row) = self.synth.jurisdiction.user_row(i) else { return false };
                let Ok(scope) = ScopePath::try_from(row.unit_path.clone()) else { return false };
                (Actor { user_id: row.id, role: row.role, scope }, Some(i))
            }
        };
        match apply(self.case.as_ref(), &actor, cmd, at, &self.ctx) {
            Ok((next, event)) => {
                self.case = Some(next);
                self.events.push((event, index));
                true
            }
            Err(_) => false,
        }
    }

    fn schedule(&mut self, at: DateTime<Utc>, step: Step) {
        self.seq += 1;
        self.pending.push(Pending { at, seq: self.seq, round: self.round, step });
    }

    /// `minutes` of office time after `t`: only working days of the calendar, 08:30–12:00 and
    /// 13:30–17:30 local time.
    fn office_after(&self, t: DateTime<Utc>, minutes: f64) -> DateTime<Utc> {
        let rules = &self.synth.rules;
        let offset = i64::from(rules.offset().local_minus_utc());
        let local = t.naive_utc() + Duration::seconds(offset);
        let mut date = local.date();
        let mut secs = i64::from(local.time().num_seconds_from_midnight());
        let mut left = (minutes.max(0.0) * 60.0) as i64;
        // A year and a half of days off in a row does not happen; the bound only guards the loop.
        for _ in 0..550 {
            if self.synth.calendar.is_working_day(date) {
                for (open, close) in OFFICE_PERIODS {
                    let (open, close) = (i64::from(open), i64::from(close));
                    if secs >= close {
                        continue;
                    }
                    let start = secs.max(open);
                    if left <= close - start {
                        return instant(rules, date, (start + left) as u32);
                    }
                    left -= close - start;
                    secs = close;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
            secs = 0;
        }
        self.end
    }

    fn later(&mut self, t: DateTime<Utc>, lo: f64, hi: f64) -> DateTime<Utc> {
        let minutes = self.rng.skewed(lo, hi);
        self.office_after(t, minutes)
    }

    fn manager(&mut self) -> Option<usize> {
        self.rng.pick(&self.hall.managers).copied()
    }

    fn supervisor(&mut self) -> Option<usize> {
        self.rng.pick(&self.office.supervisors).copied()
    }

    /// A hall manager mostly, a supervisor sometimes.
    fn manager_or_supervisor(&mut self) -> Option<usize> {
        if self.rng.chance(0.8) {
            self.manager().or_else(|| self.supervisor())
        } else {
            self.supervisor().or_else(|| self.manager())
        }
    }

    fn assignee(&self) -> Option<usize> {
        let id = self.case.as_ref()?.assignee_id?;
        usize::try_from(id - 1).ok()
    }

    /// Decides the case's course at its creation and schedules its first steps.
    fn plan(&mut self, source: CaseSource, created: DateTime<Utc>) {
        let r = &mut self.rng;
        let (not_genuine, on_spot) = match source {
            CaseSource::BadReview => (0.10, 0.30),
            CaseSource::Hotline12345 => (0.04, 0.15),
            CaseSource::Supervision | CaseSource::Assessment => (0.0, 0.10),
        };
        let serious = r.chance(0.012);
        self.flags = Flags {
            not_genuine: r.chance(not_genuine),
            approve_exclusion: r.chance(0.8),
            on_spot: !serious && r.chance(on_spot),
            reassign: r.chance(0.05),
            extension: r.chance(0.10),
            late: serious || r.chance(0.12),
            serious,
            appeal: self.rated_staff_user.is_some() && r.chance(0.15),
        };
        let verify = self.later(created, 10.0, 900.0);
        self.schedule(verify, Step::Verify);
        if self.flags.appeal {
            let at = self.later(created, 60.0, 2_400.0);
            self.schedule(at, Step::Appeal);
        }
        if self.flags.serious {
            let at = self.later(created, 600.0, 3_000.0);
            self.schedule(at, Step::Escalate(0));
        }
    }

    /// Runs the planned steps in time order until the `as_of` instant.
    fn run(&mut self) {
        // Every step schedules a bounded number of others; the bound only guards the loop.
        for _ in 0..400 {
            let Some(next) = self.pending.iter().enumerate().min_by_key(|(_, p)| (p.at, p.seq)).map(|(i, _)| i) else {
                return;
            };
            let p = self.pending.swap_remove(next);
            if p.at >= self.end {
                return;
            }
            self.step(p);
        }
    }

    fn step(&mut self, p: Pending) {
        let at = p.at;
        let state = self.state();
        let current = p.round == self.round;
        match p.step {
            Step::Verify if state == Some(CaseState::New) => self.verify(at),
            Step::DecideExclusion if state == Some(CaseState::ExclusionRequested) => self.decide_exclusion(at),
            Step::Handle if state == Some(CaseState::Verified) => self.handle(at),
            Step::Reassign if state == Some(CaseState::Assigned) => self.reassign(at),
            Step::Accept if state == Some(CaseState::Assigned) => self.accept(at),
            Step::RequestExtension if current && state == Some(CaseState::InRectification) => {
                self.request_extension(at)
            }
            Step::DecideExtension if state == Some(CaseState::ExtensionRequested) => self.decide_extension(at),
            Step::Report if current && state == Some(CaseState::InRectification) => self.report(at),
            Step::Watch if current && matches!(state, Some(CaseState::Assigned | CaseState::InRectification)) => {
                self.watch(at)
            }
            Step::Visit if state == Some(CaseState::Rectified) => self.visit(at),
            Step::Reopen if state == Some(CaseState::Closed) => self.reopen(at),
            Step::Appeal => self.appeal(at),
            Step::DecideAppeal => self.decide_appeal(at),
            Step::Escalate(tries) => self.escalate_by_hand(at, tries),
            Step::Accountability(tries) => self.record_accountability(at, tries),
            _ => {}
        }
    }

    fn verify(&mut self, at: DateTime<Utc>) {
        let Some(who) = self.manager_or_supervisor() else { return };
        let cmd = if self.flags.not_genuine {
            let (outcome, reason) = if self.rng.chance(0.5) {
                (VerifyOutcome::Malicious, "同一号码短时间内连续差评，经核实与办件无关")
            } else {
                (VerifyOutcome::Mistaken, "经电话核实，评价人误操作选择了不满意")
            };
            CaseCommand::Verify { outcome, reason: reason.to_owned() }
        } else {
            let reason = if self.rng.chance(0.5) { "经调阅窗口录像核实，情况属实" } else { "" };
            CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: reason.to_owned() }
        };
        if !self.act(Who::User(who), &cmd, at) {
            return;
        }
        if self.state() == Some(CaseState::ExclusionRequested) {
            let next = self.later(at, 60.0, 2_400.0);
            self.schedule(next, Step::DecideExclusion);
        } else {
            let next = self.later(at, 5.0, 480.0);
            self.schedule(next, Step::Handle);
        }
    }

    fn decide_exclusion(&mut self, at: DateTime<Utc>) {
        let Some(who) = self.supervisor() else { return };
        let cmd = if self.flags.approve_exclusion {
            CaseCommand::ApproveExclusion { comment: "同意剔除".to_owned() }
        } else {
            CaseCommand::RejectExclusion { reason: "经复核，差评内容与办件相关，不予剔除".to_owned() }
        };
        if self.act(Who::User(who), &cmd, at) && self.state() == Some(CaseState::Verified) {
            let next = self.later(at, 5.0, 480.0);
            self.schedule(next, Step::Handle);
        }
    }

    fn handle(&mut self, at: DateTime<Utc>) {
        if self.flags.on_spot && !self.on_spot_done {
            self.on_spot_done = true;
            let Some(who) = self.manager() else { return };
            let explanation = if self.rng.chance(0.5) {
                "当场向群众解释政策规定，群众表示理解"
            } else {
                "当场协调窗口加急办理并办结"
            };
            let cmd = CaseCommand::ResolveOnSpot { explanation: explanation.to_owned() };
            if self.act(Who::User(who), &cmd, at) {
                let next = self.later(at, 30.0, 2_400.0);
                self.schedule(next, Step::Visit);
                return;
            }
        }
        let Some(who) = self.manager_or_supervisor() else { return };
        let Some((department_id, handler)) = self.target(true) else { return };
        let cmd = CaseCommand::Assign { department_id, handler_id: user_id(handler), due_date: None };
        if !self.act(Who::User(who), &cmd, at) {
            return;
        }
        self.new_deadline(at);
        let accept = self.later(at, 20.0, 960.0);
        self.schedule(accept, Step::Accept);
        if self.flags.reassign && !self.reassigned {
            let next = self.later(at, 10.0, 240.0);
            self.schedule(next, Step::Reassign);
        }
    }

    /// A department and handler: the case's own department mostly, when it takes assignments.
    fn target(&mut self, prefer_own: bool) -> Option<(i64, usize)> {
        let targets = &self.office.targets;
        let own = self.preferred_dept.and_then(|d| targets.iter().find(|t| t.dept_id == d));
        let target = match own {
            Some(t) if prefer_own && self.rng.chance(0.85) => t,
            _ => self.rng.pick(targets)?,
        };
        let handler = *self.rng.pick(&target.handlers)?;
        Some((target.dept_id, handler))
    }

    fn reassign(&mut self, at: DateTime<Utc>) {
        self.reassigned = true;
        let current = self.assignee();
        let Some(who) = self.manager_or_supervisor() else { return };
        let Some((department_id, handler)) = self.target(false) else { return };
        if Some(handler) == current {
            return;
        }
        let cmd = CaseCommand::Assign { department_id, handler_id: user_id(handler), due_date: None };
        self.act(Who::User(who), &cmd, at);
    }

    fn accept(&mut self, at: DateTime<Utc>) {
        let Some(handler) = self.assignee() else { return };
        if self.act(Who::User(handler), &CaseCommand::Accept, at) {
            self.schedule_report(at);
        }
    }

    /// A new deadline runs from `at`: plan the deadline watch and, in rectification, the report.
    fn new_deadline(&mut self, at: DateTime<Utc>) {
        self.round += 1;
        let Some(due) = self.case.as_ref().and_then(|c| c.due_date) else { return };
        let policy = self.ctx.escalation;
        for days in [policy.coordination_office_after, policy.government_inspection_after, policy.accountability_after]
        {
            if days == 0 {
                continue;
            }
            let date = self.synth.calendar.add_working_days(due, days);
            let secs = 9 * 3600 + self.rng.below(7_200) as u32;
            self.schedule(instant(&self.synth.rules, date, secs), Step::Watch);
        }
        if self.state() == Some(CaseState::InRectification) {
            self.schedule_report(at);
        }
    }

    /// Plans the handler's report: before the due date, or after it for a late case.
    fn schedule_report(&mut self, at: DateTime<Utc>) {
        let Some(due) = self.case.as_ref().and_then(|c| c.due_date) else { return };
        let rules = self.synth.rules;
        let today = rules.local_date(at);
        let days_left = self.synth.calendar.working_days_between(today, due).max(0) as f64;
        let available = (days_left * OFFICE_MINUTES_PER_DAY).max(60.0);
        let report = if self.flags.late {
            let overdue = self.rng.skewed(60.0, 8.0 * OFFICE_MINUTES_PER_DAY);
            self.office_after(rules.due_instant(due), overdue)
        } else {
            let share = 0.05 + 0.9 * self.rng.unit();
            self.office_after(at, available * share)
        };
        self.schedule(report, Step::Report);
        if self.flags.extension && !self.extension_done {
            let share = 0.1 + 0.4 * self.rng.unit();
            let request = self.office_after(at, available * share);
            self.schedule(request, Step::RequestExtension);
        }
    }

    fn request_extension(&mut self, at: DateTime<Utc>) {
        self.extension_done = true;
        let Some(handler) = self.assignee() else { return };
        let extra_working_days = *self.rng.pick(&[3, 5, 5, 10]).unwrap_or(&5);
        let reason = if self.rng.chance(0.5) {
            "需协调上级部门系统整改，无法在期限内完成"
        } else {
            "涉及多个部门会商，需补充调查材料"
        };
        let cmd = CaseCommand::RequestExtension { reason: reason.to_owned(), extra_working_days };
        if self.act(Who::User(handler), &cmd, at) {
            let next = self.later(at, 120.0, 2_400.0);
            self.schedule(next, Step::DecideExtension);
        }
    }

    fn decide_extension(&mut self, at: DateTime<Utc>) {
        let Some(who) = self.supervisor() else { return };
        let cmd = if self.rng.chance(0.75) {
            CaseCommand::ApproveExtension { comment: "同意延期，请按新期限完成整改".to_owned() }
        } else {
            CaseCommand::RejectExtension { reason: "延期理由不充分，请按原期限完成整改".to_owned() }
        };
        if self.act(Who::User(who), &cmd, at) {
            self.new_deadline(at);
        }
    }

    fn report(&mut self, at: DateTime<Utc>) {
        let Some(handler) = self.assignee() else { return };
        let (measures, evidence): (&str, &[&str]) = match self.rng.below(3) {
            0 => ("已与群众当面沟通并完成整改，完善一次性告知清单", &["整改照片.jpg"]),
            1 => ("已对窗口人员开展服务规范培训，调整高峰时段窗口配置", &["培训签到表.pdf", "排班表.xlsx"]),
            _ => ("已为群众办结相关事项，并修订办事指南", &["办结回执.pdf", "办事指南修订稿.docx"]),
        };
        let cmd = CaseCommand::ReportRectification {
            measures: measures.to_owned(),
            evidence: evidence.iter().map(|s| (*s).to_owned()).collect(),
        };
        if self.act(Who::User(handler), &cmd, at) {
            let next = self.later(at, 30.0, 2_400.0);
            self.schedule(next, Step::Visit);
        }
    }

    /// The supervisor's deadline watch: escalates an overdue case as far as the policy requires.
    fn watch(&mut self, at: DateTime<Utc>) {
        let Some(who) = self.supervisor() else { return };
        let cmd = CaseCommand::Escalate { basis: EscalationBasis::Overdue };
        if self.act(Who::User(who), &cmd, at) {
            self.after_escalation(at);
        }
    }

    fn after_escalation(&mut self, at: DateTime<Utc>) {
        let top = self.case.as_ref().is_some_and(|c| c.escalation == EscalationLevel::Accountability);
        if top && !self.accountability_scheduled {
            self.accountability_scheduled = true;
            let next = self.later(at, 450.0, 3_600.0);
            self.schedule(next, Step::Accountability(0));
        }
    }

    fn visit(&mut self, at: DateTime<Utc>) {
        let Some(who) = self.manager_or_supervisor() else { return };
        let Some((real_name, source)) = self.case.as_ref().map(|c| (c.real_name, c.source)) else { return };
        // A supervisor's finding is closed after a re-check; an anonymous citizen often cannot
        // be called back.
        let close_note = match source {
            CaseSource::Supervision | CaseSource::Assessment => Some("经复查，问题已整改到位"),
            _ if real_name || !self.rng.chance(0.55) => None,
            CaseSource::Hotline12345 => Some("来电人未留联系方式，无法回访，整改情况已反馈12345热线"),
            CaseSource::BadReview => Some("匿名评价无法回访，整改情况已在窗口公示"),
        };
        if let Some(note) = close_note {
            if self.act(Who::User(who), &CaseCommand::Close { note: note.to_owned() }, at) {
                self.maybe_reopen(at);
            }
            return;
        }
        let method = match self.rng.below(20) {
            0..=13 => VisitMethod::Phone,
            14..=16 => VisitMethod::Sms,
            17..=18 => VisitMethod::Wechat,
            _ => VisitMethod::InPerson,
        };
        let satisfied = self.visits >= 1 || self.rng.chance(0.88);
        self.visits += 1;
        let note = if satisfied {
            "群众对整改结果表示满意"
        } else {
            "群众表示问题仍未解决，要求重新办理"
        };
        let cmd = CaseCommand::ReturnVisit { method, satisfied, note: note.to_owned() };
        if !self.act(Who::User(who), &cmd, at) {
            return;
        }
        if satisfied {
            self.maybe_reopen(at);
        } else {
            self.back_to_work(at);
        }
    }

    fn maybe_reopen(&mut self, at: DateTime<Utc>) {
        if !self.reopened && self.rng.chance(0.015) {
            let next = self.later(at, 450.0, 9_000.0);
            self.schedule(next, Step::Reopen);
        }
    }

    fn reopen(&mut self, at: DateTime<Utc>) {
        self.reopened = true;
        let Some(who) = self.manager_or_supervisor() else { return };
        let supervision = self.case.as_ref().is_some_and(|c| c.source == CaseSource::Supervision);
        let reason = if supervision {
            "复查发现问题反弹，重新督促整改"
        } else {
            "群众再次反映问题未解决"
        };
        let cmd = CaseCommand::Reopen { reason: reason.to_owned() };
        if self.act(Who::User(who), &cmd, at) {
            self.back_to_work(at);
        }
    }

    /// After an unsatisfied visit or a reopening: rectification again, or a fresh decision.
    fn back_to_work(&mut self, at: DateTime<Utc>) {
        match self.state() {
            Some(CaseState::InRectification) => self.new_deadline(at),
            Some(CaseState::Verified) => {
                let next = self.later(at, 5.0, 480.0);
                self.schedule(next, Step::Handle);
            }
            _ => {}
        }
    }

    fn appeal(&mut self, at: DateTime<Utc>) {
        let Some(staff) = self.rated_staff_user else { return };
        let open = self.case.as_ref().is_some_and(|c| c.appeal == AppealState::None && c.state != CaseState::Excluded);
        if !open {
            return;
        }
        let reason = if self.rng.chance(0.5) {
            "评价人所反映情况与事实不符，有窗口监控录像为证"
        } else {
            "该事项因系统故障无法办理，非本人服务问题"
        };
        if self.act(Who::User(staff), &CaseCommand::Appeal { reason: reason.to_owned() }, at) {
            // The review (复核) may take up to about four weeks.
            let next = self.later(at, 450.0, 9_000.0);
            self.schedule(next, Step::DecideAppeal);
        }
    }

    fn decide_appeal(&mut self, at: DateTime<Utc>) {
        if !self.case.as_ref().is_some_and(|c| c.appeal == AppealState::Pending) {
            return;
        }
        let Some(who) = self.supervisor() else { return };
        let cmd = if self.rng.chance(0.3) {
            CaseCommand::DecideAppeal {
                decision: AppealDecision::Overturned,
                reason: "经调阅监控录像，差评与事实不符，予以撤销".to_owned(),
            }
        } else {
            CaseCommand::DecideAppeal {
                decision: AppealDecision::Upheld,
                reason: "经复核，差评反映问题属实，维持原评价".to_owned(),
            }
        };
        self.act(Who::User(who), &cmd, at);
    }

    /// A serious case: the supervisor escalates it by hand, one rung at a time.
    fn escalate_by_hand(&mut self, at: DateTime<Utc>, tries: u8) {
        let Some(case) = self.case.as_ref() else { return };
        if case.escalation == EscalationLevel::Accountability {
            self.after_escalation(at);
            return;
        }
        match case.state {
            CaseState::New | CaseState::ExclusionRequested => {
                if tries < 6 {
                    let next = self.later(at, 450.0, 900.0);
                    self.schedule(next, Step::Escalate(tries + 1));
                }
                return;
            }
            CaseState::Closed | CaseState::Excluded => return,
            _ => {}
        }
        let reason = match case.escalation {
            EscalationLevel::FirstLine => "涉及多个部门，需协调督办",
            EscalationLevel::CoordinationOffice => "多次督办仍未整改到位，提请政府督查",
            _ => "整改不力造成不良社会影响，移交追责问责",
        };
        let Some(who) = self.supervisor() else { return };
        let cmd = CaseCommand::Escalate { basis: EscalationBasis::Manual { reason: reason.to_owned() } };
        if !self.act(Who::User(who), &cmd, at) {
            return;
        }
        if self.case.as_ref().is_some_and(|c| c.escalation == EscalationLevel::Accountability) {
            self.after_escalation(at);
        } else {
            let next = self.later(at, 450.0, 2_700.0);
            self.schedule(next, Step::Escalate(0));
        }
    }

    fn record_accountability(&mut self, at: DateTime<Utc>, tries: u8) {
        let Some(case) = self.case.as_ref() else { return };
        if matches!(case.state, CaseState::New | CaseState::ExclusionRequested | CaseState::Excluded) {
            if tries < 5 && case.state != CaseState::Excluded {
                let next = self.later(at, 450.0, 900.0);
                self.schedule(next, Step::Accountability(tries + 1));
            }
            return;
        }
        // The staff member rated, else someone at the hall's first window (staff ids are indices + 1).
        let subject = self.rated_staff.or_else(|| {
            self.hall.windows.first().and_then(|w| w.staff.first()).map(|i| i64::try_from(*i).unwrap_or(0) + 1)
        });
        let Some(subject_staff_id) = subject else { return };
        let Some(&liaison) = self.rng.pick(&self.office.liaisons) else { return };
        let decision = match self.rng.below(20) {
            0..=9 => AccountabilityKind::DeductedPoints { points: self.rng.between(2, 10) },
            10..=14 => AccountabilityKind::Admonition,
            15..=17 => AccountabilityKind::LossOfAnnualAward,
            _ => AccountabilityKind::ReferralToDisciplineInspection,
        };
        let cmd = CaseCommand::RecordAccountability {
            decision,
            subject_staff_id,
            reason: "经调查核实，相关人员存在服务不规范、整改不到位问题".to_owned(),
            evidence: vec!["调查报告.pdf".to_owned(), "谈话笔录.pdf".to_owned()],
        };
        self.act(Who::User(liaison), &cmd, at);
    }
}
