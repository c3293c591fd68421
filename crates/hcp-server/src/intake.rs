//! Intake of ratings from every channel and of 12345 complaints. Idempotent on the rating's natural
//! key (source, service record number, rating count); a bad review opens a case automatically.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use hcp_domain::{Calendar, CaseCommand, CaseSource, Channel, ContentCode, Level, OrgKind, ScopePath};
use hcp_protocol::{
    CommandEnvelope, CommandStatus, ComplaintIn, ErrorCode, IntakeResult, IntakeStatus, LevelIn, OrgUnitRow, RatingIn,
    RatingRow, StaffRow,
};

use crate::db::{org_units, ratings, staff, Conn, DbResult};
use crate::workflow::{self, Origin, Principal};

/// The most ratings one intake request may carry.
pub const MAX_BATCH: usize = 1_000;

/// Why a rating was refused: a code and a message naming the field.
pub type Invalid = (ErrorCode, String);

/// What became of an accepted rating: created or duplicate, its id, and the case it opened.
pub type Accepted = (IntakeStatus, i64, Option<i64>);

fn invalid(msg: impl Into<String>) -> Invalid {
    (ErrorCode::InvalidInput, msg.into())
}

fn parse_level(l: &LevelIn) -> Result<Level, Invalid> {
    match l {
        LevelIn::Name(n) => Level::parse(n).map_err(|e| invalid(format!("level：{e}"))),
        LevelIn::Code { code, system } => match system.as_str() {
            "gbt39046" => Level::from_gbt39046_code(*code),
            "zhejiang" => Level::from_zhejiang_code(*code),
            other => return Err(invalid(format!("level.system“{other}”无效：应为 gbt39046 或 zhejiang"))),
        }
        .map_err(|e| invalid(format!("level：{e}"))),
    }
}

fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<(), Invalid> {
    if required && value.trim().is_empty() {
        return Err(invalid(format!("{field} 不能为空")));
    }
    if value.chars().count() > max {
        return Err(invalid(format!("{field} 超过 {max} 个字符")));
    }
    Ok(())
}

fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(format!("{field}“{s}”不是 RFC 3339 时间，例如 2026-11-20T10:15:00+08:00")))
}

/// Who reports ratings and complaints.
#[derive(Debug, Clone)]
pub enum Reporter {
    /// The server itself (the seeder): any unit.
    System,
    /// A channel system signed in with an administrator account: only the halls and units of its
    /// jurisdiction, and it is recorded (with the client it came from) as the actor of the cases
    /// its bad reviews and complaints open.
    Account { user_id: i64, name: String, scope: ScopePath, client_id: Option<String> },
}

impl Reporter {
    /// Whether the reporter may report for the unit at `path`.
    fn covers(&self, path: &str) -> bool {
        match self {
            Reporter::System => true,
            Reporter::Account { scope, .. } => path.starts_with(scope.as_str()),
        }
    }

    /// The principal that opens a case at `unit`: the server's own authority to open cases (a
    /// channel account may not issue case commands itself), recorded as the reporting account.
    fn principal(&self, unit: ScopePath) -> Principal {
        match self {
            Reporter::System => Principal::system(unit),
            Reporter::Account { user_id, name, scope, .. } => {
                Principal { user_id: *user_id, name: name.clone(), ..Principal::system(scope.clone()) }
            }
        }
    }

    fn client_id(&self) -> Option<&str> {
        match self {
            Reporter::System => None,
            Reporter::Account { client_id, .. } => client_id.as_deref(),
        }
    }
}

fn ticket_hash(ticket: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(ticket.as_bytes())[..12])
}

pub use hcp_protocol::mask_evaluator;

/// Reference data the ratings of one request name (halls, windows, staff, the windows' parent
/// units), read with a few multi-row queries up front instead of several queries per rating.
/// Names not preloaded are looked up one by one (and kept).
#[derive(Default)]
pub struct Lookups {
    units: HashMap<String, Option<OrgUnitRow>>,
    staff: HashMap<String, Option<StaffRow>>,
    parents: HashMap<i64, Option<OrgUnitRow>>,
}

impl Lookups {
    /// Reads everything `batch` names.
    pub fn preload(conn: &Conn<'_>, batch: &[RatingIn]) -> DbResult<Lookups> {
        let mut l = Lookups::default();
        let codes: BTreeSet<&str> =
            batch.iter().flat_map(|r| std::iter::once(r.unit_code.as_str()).chain(r.window_code.as_deref())).collect();
        let codes: Vec<&str> = codes.into_iter().collect();
        for u in org_units::by_codes(conn, &codes)? {
            l.units.entry(u.code.clone()).or_insert(Some(u));
        }
        for c in codes {
            l.units.entry(c.to_owned()).or_insert(None);
        }
        let nos: BTreeSet<&str> = batch.iter().filter_map(|r| r.staff_employee_no.as_deref()).collect();
        let nos: Vec<&str> = nos.into_iter().collect();
        for s in staff::by_employee_nos(conn, &nos)? {
            l.staff.insert(s.employee_no.clone(), Some(s));
        }
        for n in nos {
            l.staff.entry(n.to_owned()).or_insert(None);
        }
        let parents: BTreeSet<i64> =
            l.units.values().flatten().filter(|u| u.kind == OrgKind::Window).filter_map(|u| u.parent_id).collect();
        let parents: Vec<i64> = parents.into_iter().collect();
        for u in org_units::by_ids(conn, &parents)? {
            l.parents.insert(u.id, Some(u));
        }
        for p in parents {
            l.parents.entry(p).or_insert(None);
        }
        Ok(l)
    }

    fn unit(&mut self, conn: &Conn<'_>, code: &str) -> DbResult<Option<OrgUnitRow>> {
        if let Some(u) = self.units.get(code) {
            return Ok(u.clone());
        }
        let u = org_units::by_code(conn, code)?;
        self.units.insert(code.to_owned(), u.clone());
        Ok(u)
    }

    fn staff(&mut self, conn: &Conn<'_>, no: &str) -> DbResult<Option<StaffRow>> {
        if let Some(s) = self.staff.get(no) {
            return Ok(s.clone());
        }
        let s = staff::by_employee_no(conn, no)?;
        self.staff.insert(no.to_owned(), s.clone());
        Ok(s)
    }

    fn parent(&mut self, conn: &Conn<'_>, id: i64) -> DbResult<Option<OrgUnitRow>> {
        if let Some(u) = self.parents.get(&id) {
            return Ok(u.clone());
        }
        let u = org_units::get(conn, id)?;
        self.parents.insert(id, u.clone());
        Ok(u)
    }
}

/// A rating that passed the field checks: its natural key and either everything needed to store
/// it or why its hall, window or staff member was refused (reported only when it is not a
/// duplicate, as the duplicate check comes first).
pub struct Plan {
    key: ratings::Key,
    resolved: Result<Resolved, Invalid>,
}

/// A rating ready to be stored.
pub struct Resolved {
    row: RatingRow,
    who: ratings::Evaluator,
    level: Level,
    channel: Channel,
    codes: Vec<ContentCode>,
    staff: Option<StaffRow>,
    department_id: Option<i64>,
    item_name: String,
    comment: String,
    real_name: bool,
}

/// Checks one rating's fields and resolves its hall, window and staff member; reads only.
pub fn check(conn: &Conn<'_>, r: &RatingIn, by: &Reporter, lookups: &mut Lookups) -> DbResult<Result<Plan, Invalid>> {
    let checked = (|| -> Result<_, Invalid> {
        check_text("source", &r.source, 64, true)?;
        check_text("service_record_no", &r.service_record_no, 64, true)?;
        check_text("item_code", &r.item_code, 64, true)?;
        check_text("item_name", &r.item_name, 200, true)?;
        check_text("comment", &r.comment, 2000, false)?;
        check_text("device_id", r.device_id.as_deref().unwrap_or_default(), 64, false)?;
        if !(1..=2).contains(&r.rating_count) {
            return Err(invalid("rating_count 应为 1（首次评价）或 2（追评）"));
        }
        let channel = Channel::try_from(r.channel).map_err(invalid)?;
        let level = parse_level(&r.level)?;
        let codes: Vec<ContentCode> = r
            .content_codes
            .iter()
            .map(|c| ContentCode::new(*c).map_err(|e| invalid(format!("content_codes：{e}"))))
            .collect::<Result<_, _>>()?;
        if codes.len() > 20 {
            return Err(invalid("content_codes 最多 20 个"));
        }
        let rated_at = parse_time("rated_at", &r.rated_at)?;
        Ok((channel, level, codes, rated_at))
    })();
    let (channel, level, codes, rated_at) = match checked {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };
    let key = (r.source.clone(), r.service_record_no.clone(), r.rating_count);
    let refused = |e: Invalid| Ok(Ok(Plan { key: key.clone(), resolved: Err(e) }));
    let unknown_hall = || invalid(format!("unit_code“{}”不是您辖区内已登记的服务大厅", r.unit_code));
    let Some(hall) = lookups.unit(conn, &r.unit_code)?.filter(|u| u.kind == OrgKind::Hall) else {
        return refused(unknown_hall());
    };
    // Another jurisdiction's hall is refused as if unknown, before the duplicate check (which
    // would tell whether, and under which id, that hall holds the rating).
    if !by.covers(&hall.path) {
        return Ok(Err(unknown_hall()));
    }
    let window = match &r.window_code {
        None => None,
        Some(code) => {
            match lookups.unit(conn, code)?.filter(|w| w.kind == OrgKind::Window && w.path.starts_with(&hall.path)) {
                Some(w) => Some(w),
                None => return refused(invalid(format!("window_code“{code}”不是该大厅的窗口"))),
            }
        }
    };
    // A deactivated hall or window receives no new ratings (checked after the duplicate check,
    // so a rating stored before the deactivation is still reported as a duplicate).
    if let Some(off) = [Some(&hall), window.as_ref()].into_iter().flatten().find(|u| !u.active) {
        return refused((ErrorCode::UnitInactive, crate::unit_state::inactive_message(off)));
    }
    let staff = match &r.staff_employee_no {
        None => None,
        Some(no) => match lookups.staff(conn, no)?.filter(|s| s.unit_id == hall.id) {
            Some(s) => Some(s),
            None => return refused(invalid(format!("staff_employee_no“{no}”不是该大厅的工作人员"))),
        },
    };
    let unit_path = window.as_ref().map_or(hall.path.clone(), |w| w.path.clone());
    let department_id = match &window {
        Some(w) => match w.parent_id.map(|p| lookups.parent(conn, p)).transpose()?.flatten() {
            Some(p) if p.kind == OrgKind::Department => Some(p.id),
            _ => None,
        },
        None => None,
    };
    let row = RatingRow {
        id: 0,
        source: r.source.clone(),
        service_record_no: r.service_record_no.clone(),
        rating_count: r.rating_count,
        unit_id: hall.id,
        unit_path,
        department_id,
        window_id: window.as_ref().map(|w| w.id),
        staff_id: staff.as_ref().map(|s| s.id),
        item_code: r.item_code.clone(),
        item_name: r.item_name.clone(),
        channel: channel.code(),
        level,
        content_codes: codes.iter().map(|c| c.value()).collect(),
        comment: r.comment.clone(),
        evaluator_masked: mask_evaluator(r.real_name, r.evaluator.name.as_deref(), r.evaluator.phone.as_deref()),
        real_name: r.real_name,
        rated_at: rated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let who = ratings::Evaluator {
        name: r.evaluator.name.clone(),
        phone: r.evaluator.phone.clone(),
        cert: r.evaluator.cert.clone(),
        device_id: r.device_id.clone(),
    };
    Ok(Ok(Plan {
        key,
        resolved: Ok(Resolved {
            row,
            who,
            level,
            channel,
            codes,
            staff,
            department_id,
            item_name: r.item_name.clone(),
            comment: r.comment.clone(),
            real_name: r.real_name,
        }),
    }))
}

fn received_at(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Stores one new rating with its change, and opens its case when it is a bad review.
fn store(conn: &Conn<'_>, res: Resolved, by: &Reporter, now: DateTime<Utc>, calendar: &Calendar) -> DbResult<Accepted> {
    let received = received_at(now);
    let rating_id = ratings::insert(conn, &res.row, &res.who, &received)?;
    let case_id = if res.level.is_bad() { open_case(conn, rating_id, res, by, now, calendar)? } else { None };
    Ok((IntakeStatus::Created, rating_id, case_id))
}

/// Opens the case of a stored bad review.
fn open_case(
    conn: &Conn<'_>,
    rating_id: i64,
    res: Resolved,
    by: &Reporter,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Option<i64>> {
    let unit = ScopePath::try_from(res.row.unit_path.clone()).map_err(crate::db::DbError::Corrupt)?;
    let summary = if res.comment.trim().is_empty() {
        res.item_name.clone()
    } else {
        format!("{}：{}", res.item_name, res.comment.trim())
    };
    let env = CommandEnvelope {
        command_id: format!("{}intake-rating-{rating_id}", workflow::SYSTEM_ID_PREFIX),
        client_seq: None,
        case_id: None,
        base_version: None,
        attachments: Vec::new(),
        command: CaseCommand::Create {
            source: CaseSource::BadReview,
            unit: unit.clone(),
            rated_staff_id: res.staff.as_ref().map(|s| crate::db::users::by_staff(conn, s.id)).transpose()?.flatten(),
            real_name: res.real_name,
            summary,
            content_codes: res.codes,
            service_item_id: None,
        },
    };
    let origin = Origin {
        rating_id: Some(rating_id),
        level: Some(res.level),
        channel: Some(res.channel.code()),
        item_name: Some(res.item_name),
        staff_id: res.staff.map(|s| s.id),
        department_id: res.department_id,
        ticket_no: None,
    };
    let out = workflow::execute(conn, &by.principal(unit), &env, by.client_id(), Some(&origin), now, calendar)?;
    if out.status == CommandStatus::Applied {
        Ok(out.case.map(|c| c.id))
    } else {
        tracing::warn!(code = ?out.code, "a bad review could not open a case");
        Ok(None)
    }
}

/// Validates and stores one rating; opens a case for a bad review. Runs inside the caller's
/// transaction. `Err` means the rating was refused (nothing stored).
pub fn rating(
    conn: &Conn<'_>,
    r: &RatingIn,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Result<Accepted, Invalid>> {
    let plan = match check(conn, r, &Reporter::System, &mut Lookups::default())? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(id) = ratings::find(conn, &plan.key.0, &plan.key.1, plan.key.2)? {
        return Ok(Ok((IntakeStatus::Duplicate, id, None)));
    }
    match plan.resolved {
        Err(e) => Ok(Err(e)),
        Ok(res) => store(conn, res, &Reporter::System, now, calendar).map(Ok),
    }
}

/// Validates and stores a batch of ratings inside the caller's transaction, with the outcome of
/// each as [`rating`] would give it one by one in order (a rating repeated within the batch is a
/// duplicate of its first copy). Nothing is written before every rating is checked; the reference
/// data is read once for the batch, the duplicates are found with one query per chunk, and runs of
/// ratings that open no case are inserted, with their changes, by multi-row statements. On
/// PostgreSQL every write transaction holds the global write lock: this keeps the statements
/// under it to a handful per batch instead of several per rating.
pub fn ratings_batch(
    conn: &Conn<'_>,
    batch: &[RatingIn],
    by: &Reporter,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Vec<IntakeResult>> {
    let mut lookups = Lookups::preload(conn, batch)?;
    let plans: Vec<Result<Plan, Invalid>> =
        batch.iter().map(|r| check(conn, r, by, &mut lookups)).collect::<DbResult<_>>()?;
    let keys: Vec<ratings::Key> = plans.iter().filter_map(|p| p.as_ref().ok().map(|p| p.key.clone())).collect();
    let stored = ratings::find_many(conn, &keys)?;
    let received = received_at(now);

    let mut results: Vec<Option<IntakeResult>> = vec![None; batch.len()];
    // Ratings of this batch already accepted: their id, or None while waiting in `pending`.
    let mut accepted: HashMap<ratings::Key, Option<i64>> = HashMap::new();
    let mut pending: Vec<(usize, ratings::Key, Resolved)> = Vec::new();
    let flush = |pending: &mut Vec<(usize, ratings::Key, Resolved)>,
                 results: &mut Vec<Option<IntakeResult>>,
                 accepted: &mut HashMap<ratings::Key, Option<i64>>|
     -> DbResult<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let rows: Vec<(&RatingRow, &ratings::Evaluator)> = pending.iter().map(|(_, _, r)| (&r.row, &r.who)).collect();
        let ids = ratings::insert_many(conn, &rows, &received)?;
        for (i, key, _) in pending.iter() {
            let id =
                *ids.get(key).ok_or_else(|| crate::db::DbError::Corrupt("a rating's id was not returned".into()))?;
            results[*i] = Some(result_line(*i, Ok((IntakeStatus::Created, id, None))));
            accepted.insert(key.clone(), Some(id));
        }
        pending.clear();
        Ok(())
    };
    for (i, plan) in plans.into_iter().enumerate() {
        let plan = match plan {
            Ok(p) => p,
            Err(e) => {
                results[i] = Some(result_line(i, Err(e)));
                continue;
            }
        };
        if let Some(id) = stored.get(&plan.key) {
            results[i] = Some(result_line(i, Ok((IntakeStatus::Duplicate, *id, None))));
            continue;
        }
        if let Some(prev) = accepted.get(&plan.key).copied() {
            let id = match prev {
                Some(id) => id,
                None => {
                    flush(&mut pending, &mut results, &mut accepted)?;
                    accepted.get(&plan.key).copied().flatten().ok_or_else(|| {
                        crate::db::DbError::Corrupt("a rating of this batch has no id after its insert".into())
                    })?
                }
            };
            results[i] = Some(result_line(i, Ok((IntakeStatus::Duplicate, id, None))));
            continue;
        }
        let res = match plan.resolved {
            Ok(r) => r,
            Err(e) => {
                results[i] = Some(result_line(i, Err(e)));
                continue;
            }
        };
        if res.level.is_bad() {
            // Stored in order: the ratings before it first, then it and its case.
            flush(&mut pending, &mut results, &mut accepted)?;
            let (status, id, case) = store(conn, res, by, now, calendar)?;
            accepted.insert(plan.key, Some(id));
            results[i] = Some(result_line(i, Ok((status, id, case))));
        } else {
            accepted.insert(plan.key.clone(), None);
            pending.push((i, plan.key, res));
        }
    }
    flush(&mut pending, &mut results, &mut accepted)?;
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| crate::db::DbError::Corrupt("a rating of the batch has no outcome".into())))
        .collect()
}

/// Turns one rating's outcome into its result line.
pub fn result_line(index: usize, outcome: Result<Accepted, Invalid>) -> IntakeResult {
    match outcome {
        Ok((status, rating_id, case_id)) => {
            IntakeResult { index, status, rating_id: Some(rating_id), case_id, code: None, message: None }
        }
        Err((code, message)) => IntakeResult {
            index,
            status: IntakeStatus::Rejected,
            rating_id: None,
            case_id: None,
            code: Some(code),
            message: Some(message),
        },
    }
}

/// Opens a case for a 12345 complaint as the server itself (see [`complaint_by`]).
pub fn complaint(
    conn: &Conn<'_>,
    c: &ComplaintIn,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Result<hcp_protocol::CommandResult, Invalid>> {
    complaint_by(conn, c, &Reporter::System, now, calendar)
}

/// Opens a case for a 12345 complaint reported by `by`; the ticket number makes it idempotent.
pub fn complaint_by(
    conn: &Conn<'_>,
    c: &ComplaintIn,
    by: &Reporter,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Result<hcp_protocol::CommandResult, Invalid>> {
    let checked = (|| -> Result<_, Invalid> {
        check_text("ticket_no", &c.ticket_no, 64, true)?;
        check_text("summary", &c.summary, 2000, true)?;
        parse_time("received_at", &c.received_at)
    })();
    let received_at = match checked {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let Some(unit) = org_units::by_code(conn, &c.unit_code)?.filter(|u| by.covers(&u.path)) else {
        return Ok(Err(invalid(format!("unit_code“{}”不是您辖区内已登记的单位", c.unit_code))));
    };
    if let Some(off) = org_units::inactive_on_path(conn, &unit.path)? {
        return Ok(Err((ErrorCode::UnitInactive, crate::unit_state::inactive_message(&off))));
    }
    let path = ScopePath::try_from(unit.path.clone()).map_err(crate::db::DbError::Corrupt)?;
    let env = CommandEnvelope {
        // Hashed so that any ticket number (up to 64 characters) gives a short, fixed-size id.
        command_id: format!("{}hotline-{}", workflow::SYSTEM_ID_PREFIX, ticket_hash(c.ticket_no.trim())),
        client_seq: None,
        case_id: None,
        base_version: None,
        attachments: Vec::new(),
        command: CaseCommand::Create {
            source: CaseSource::Hotline12345,
            unit: path.clone(),
            rated_staff_id: None,
            real_name: c.real_name,
            summary: c.summary.trim().to_owned(),
            content_codes: vec![],
            service_item_id: None,
        },
    };
    let origin = Origin { ticket_no: Some(c.ticket_no.trim().to_owned()), ..Origin::default() };
    let res = workflow::execute(
        conn,
        &by.principal(path),
        &env,
        by.client_id(),
        Some(&origin),
        received_at.min(now),
        calendar,
    )?;
    Ok(Ok(res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluators_are_masked() {
        assert_eq!(mask_evaluator(true, Some("张三丰"), Some("13812345678")), "张*（138****5678）");
        assert_eq!(mask_evaluator(false, Some("张三丰"), Some("13812345678")), "匿名用户");
        assert_eq!(mask_evaluator(true, None, Some("123")), "实名用户");
        assert_eq!(mask_evaluator(true, None, Some("0731-5823456")), "****56", "a landline is never readable");
        assert_eq!(mask_evaluator(true, None, Some("1234567")), "****67");
        assert_eq!(mask_evaluator(true, Some("李"), None), "李*");
    }

    #[test]
    fn levels_parse_by_name_or_by_code_in_either_direction() {
        assert_eq!(parse_level(&LevelIn::Name("dissatisfied".into())), Ok(Level::Dissatisfied));
        assert_eq!(parse_level(&LevelIn::Code { code: 1, system: "gbt39046".into() }), Ok(Level::VerySatisfied));
        assert_eq!(parse_level(&LevelIn::Code { code: 1, system: "zhejiang".into() }), Ok(Level::VeryDissatisfied));
        assert!(parse_level(&LevelIn::Code { code: 1, system: "xx".into() }).is_err());
        assert!(parse_level(&LevelIn::Name("meh".into())).is_err());
    }
}
