//! Intake of ratings from every channel and of 12345 complaints. Idempotent on the rating's natural
//! key (source, service record number, rating count); a bad review opens a case automatically.

use chrono::{DateTime, Utc};
use hcp_domain::{Calendar, CaseCommand, CaseSource, Channel, ContentCode, Level, OrgKind, ScopePath};
use hcp_protocol::{
    codes, ChangeOp, CommandEnvelope, CommandStatus, ComplaintIn, Entity, IntakeResult, IntakeStatus, LevelIn,
    RatingIn, RatingRow,
};

use crate::db::{changes, org_units, ratings, staff, Conn, DbResult};
use crate::workflow::{self, Origin, Principal};

/// The most ratings one intake request may carry.
pub const MAX_BATCH: usize = 1_000;

/// Why a rating was refused: a code and a message naming the field.
pub type Invalid = (&'static str, String);

/// What became of an accepted rating: created or duplicate, its id, and the case it opened.
pub type Accepted = (IntakeStatus, i64, Option<i64>);

fn invalid(msg: impl Into<String>) -> Invalid {
    (codes::INVALID_INPUT, msg.into())
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

fn ticket_hash(ticket: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(ticket.as_bytes())[..12])
}

pub use hcp_protocol::mask_evaluator;

/// Validates and stores one rating; opens a case for a bad review. Runs inside the caller's
/// transaction. `Err` means the rating was refused (nothing stored).
pub fn rating(
    conn: &Conn<'_>,
    r: &RatingIn,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Result<Accepted, Invalid>> {
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
    if let Some(id) = ratings::find(conn, &r.source, &r.service_record_no, r.rating_count)? {
        return Ok(Ok((IntakeStatus::Duplicate, id, None)));
    }
    let Some(hall) = org_units::by_code(conn, &r.unit_code)?.filter(|u| u.kind == OrgKind::Hall) else {
        return Ok(Err(invalid(format!("unit_code“{}”不是已登记的服务大厅", r.unit_code))));
    };
    let window = match &r.window_code {
        None => None,
        Some(code) => match org_units::by_code(conn, code)?
            .filter(|w| w.kind == OrgKind::Window && w.path.starts_with(&hall.path))
        {
            Some(w) => Some(w),
            None => return Ok(Err(invalid(format!("window_code“{code}”不是该大厅的窗口")))),
        },
    };
    let staff = match &r.staff_employee_no {
        None => None,
        Some(no) => match staff::by_employee_no(conn, no)?.filter(|s| s.unit_id == hall.id) {
            Some(s) => Some(s),
            None => return Ok(Err(invalid(format!("staff_employee_no“{no}”不是该大厅的工作人员")))),
        },
    };
    let unit_path = window.as_ref().map_or(hall.path.clone(), |w| w.path.clone());
    let department_id = match &window {
        Some(w) => match w.parent_id.map(|p| org_units::get(conn, p)).transpose()?.flatten() {
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
        unit_path: unit_path.clone(),
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
    let received = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let rating_id = ratings::insert(conn, &row, &who, &received)?;
    changes::record(conn, Entity::Rating, rating_id, &row.unit_path, ChangeOp::Upsert, &received)?;
    let mut case_id = None;
    if level.is_bad() {
        let unit = ScopePath::try_from(row.unit_path.clone()).map_err(crate::db::DbError::Corrupt)?;
        let summary = if r.comment.trim().is_empty() {
            r.item_name.clone()
        } else {
            format!("{}：{}", r.item_name, r.comment.trim())
        };
        let env = CommandEnvelope {
            command_id: format!("{}intake-rating-{rating_id}", workflow::SYSTEM_ID_PREFIX),
            client_seq: None,
            case_id: None,
            base_version: None,
            command: CaseCommand::Create {
                source: CaseSource::BadReview,
                unit: unit.clone(),
                rated_staff_id: staff.as_ref().map(|s| crate::db::users::by_staff(conn, s.id)).transpose()?.flatten(),
                real_name: r.real_name,
                summary,
                content_codes: codes,
            },
        };
        let origin = Origin {
            rating_id: Some(rating_id),
            level: Some(level),
            channel: Some(channel.code()),
            item_name: Some(r.item_name.clone()),
            staff_id: staff.map(|s| s.id),
            department_id,
        };
        let res = workflow::execute(conn, &Principal::system(unit), &env, None, Some(&origin), now, calendar)?;
        if res.status == CommandStatus::Applied {
            case_id = res.case.map(|c| c.id);
        } else {
            tracing::warn!(code = ?res.code, "a bad review could not open a case");
        }
    }
    Ok(Ok((IntakeStatus::Created, rating_id, case_id)))
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
            code: Some(code.to_owned()),
            message: Some(message),
        },
    }
}

/// Opens a case for a 12345 complaint; the ticket number makes it idempotent.
pub fn complaint(
    conn: &Conn<'_>,
    c: &ComplaintIn,
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
    let Some(unit) = org_units::by_code(conn, &c.unit_code)? else {
        return Ok(Err(invalid(format!("unit_code“{}”不是已登记的单位", c.unit_code))));
    };
    let path = ScopePath::try_from(unit.path.clone()).map_err(crate::db::DbError::Corrupt)?;
    let env = CommandEnvelope {
        // Hashed so that any ticket number (up to 64 characters) gives a short, fixed-size id.
        command_id: format!("{}hotline-{}", workflow::SYSTEM_ID_PREFIX, ticket_hash(c.ticket_no.trim())),
        client_seq: None,
        case_id: None,
        base_version: None,
        command: CaseCommand::Create {
            source: CaseSource::Hotline12345,
            unit: path.clone(),
            rated_staff_id: None,
            real_name: c.real_name,
            summary: c.summary.trim().to_owned(),
            content_codes: vec![],
        },
    };
    let res = workflow::execute(conn, &Principal::system(path), &env, None, None, received_at.min(now), calendar)?;
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
