//! The verification queue of integrity flags (异常评价线索), read from the replica, and the
//! verdicts, queued in the outbox like every other action (so they work offline) and sent to
//! `POST /api/v1/integrity/flags/{id}/decision` by the sync engine.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hcp_domain::integrity::{check_verdict, FlagKind, FlagVerdict};
use hcp_protocol::outbox::QueuedVerdict;
use hcp_protocol::{ClientCommand, FlagStatus, IntegrityFlagRow};
use hcp_replica::tables::integrity_flags::FlaggedRating;
use hcp_replica::Replica;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// One flag as the queue shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FlagItem {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub unit_name: String,
    /// e.g. `burst_same_device`.
    pub kind: String,
    /// e.g. 同一设备集中评价.
    pub kind_label: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    pub explanation: String,
    pub ratings: Vec<FlaggedRating>,
    /// Ratings of the flag not (yet) in the replica.
    pub missing_ratings: u32,
    /// `open`, `confirmed_fake`, `confirmed_malicious` or `dismissed`.
    pub status: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub detected_at: String,
    /// The verdict this user queued and the server has not confirmed yet.
    pub pending_verdict: Option<String>,
    /// Whether this user may record a verdict now.
    pub may_decide: bool,
}

/// The queue: `status` filters (`open`, …, none for all).
pub fn list(r: &Replica, user: &hcp_protocol::UserInfo, status: Option<&str>) -> ApiResult<Vec<FlagItem>> {
    if !user.role.may_view_integrity_flags() {
        return Err(ApiError::new(ErrorCode::Forbidden, "您的角色无权查看异常评价线索"));
    }
    let status = match status.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            FlagStatus::parse(s).ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, format!("无效的状态：{s}")))?,
        ),
    };
    let pending = pending(r)?;
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    let mut out = Vec::new();
    for f in r.integrity_flags(&user.scope_path, status)? {
        let unit_name = match names.get(&f.unit_id) {
            Some(n) => n.clone(),
            None => {
                let n = r.unit_name(f.unit_id)?.unwrap_or_default();
                names.insert(f.unit_id, n.clone());
                n
            }
        };
        out.push(item(r, user, f, unit_name, &pending)?);
    }
    Ok(out)
}

fn item(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    f: IntegrityFlagRow,
    unit_name: String,
    pending: &BTreeMap<i64, FlagVerdict>,
) -> ApiResult<FlagItem> {
    let ratings = r.flagged_ratings(&f.rating_ids)?;
    let pending_verdict = pending.get(&f.id).map(|v| FlagStatus::of(*v).as_str().to_owned());
    Ok(FlagItem {
        id: f.id,
        unit_name,
        kind: f.kind.as_str().to_owned(),
        kind_label: f.kind.label_zh().to_owned(),
        severity: f.severity.as_str().to_owned(),
        explanation: f.explanation,
        missing_ratings: f.rating_ids.len().saturating_sub(ratings.len()) as u32,
        ratings,
        status: f.status.as_str().to_owned(),
        decided_by_name: f.decided_by_name,
        decided_at: f.decided_at,
        decision_note: f.decision_note,
        detected_at: f.detected_at,
        may_decide: user.role.may_decide_integrity_flags() && f.status == FlagStatus::Open && pending_verdict.is_none(),
        pending_verdict,
    })
}

/// Verdicts waiting in the outbox, by flag.
fn pending(r: &Replica) -> ApiResult<BTreeMap<i64, FlagVerdict>> {
    let mut out = BTreeMap::new();
    for i in r.outbox()? {
        if let (true, Ok(ClientCommand::DecideFlag(d))) = (i.status == "pending", i.client_command()) {
            out.insert(d.flag_id, d.verdict);
        }
    }
    Ok(out)
}

/// Checks a verdict against the replica and queues it; returns the flag as the queue now shows
/// it and the command's id. Works offline.
pub fn decide(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    flag_id: i64,
    verdict: FlagVerdict,
    note: &str,
    now: DateTime<Utc>,
) -> ApiResult<(FlagItem, String)> {
    let refused = |e: hcp_domain::integrity::VerdictRefusal| ApiError::new(e.code(), e.to_string());
    check_verdict(user.role, note, None).map_err(refused)?;
    let flag = r
        .integrity_flag(flag_id)?
        .filter(|f| f.unit_path.starts_with(&user.scope_path))
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "本地没有该线索，请同步后再试"))?;
    let decided = (flag.status != FlagStatus::Open)
        .then(|| (flag.decided_by_name.as_deref().unwrap_or("他人"), flag.decided_at.as_deref()));
    let note = check_verdict(user.role, note, decided).map_err(refused)?;
    if pending(r)?.contains_key(&flag_id) {
        return Err(ApiError::new(ErrorCode::Conflict, "该线索的核实结论已在待同步队列中"));
    }
    let queued = ClientCommand::DecideFlag(QueuedVerdict { flag_id, verdict, note: note.to_owned() });
    let command_id = crate::cases::queue(r, None, Some(flag.version), &queued, now)?;
    let unit_name = r.unit_name(flag.unit_id)?.unwrap_or_default();
    Ok((item(r, user, flag, unit_name, &pending(r)?)?, command_id))
}

/// A refused verdict issued again (against the flag as it stands now); returns the new command id.
pub fn reissue(r: &Replica, user: &hcp_protocol::UserInfo, d: &QueuedVerdict, now: DateTime<Utc>) -> ApiResult<String> {
    Ok(decide(r, user, d.flag_id, d.verdict, &d.note, now)?.1)
}

/// Reads a verdict: `confirmed_fake`, `confirmed_malicious` or `dismissed`.
pub fn parse_verdict(s: &str) -> ApiResult<FlagVerdict> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| ApiError::new(ErrorCode::InvalidInput, format!("无效的核实结论：{s}")))
}

/// The kinds of flag with their labels, for the queue's filter.
pub fn kinds() -> Vec<(String, String)> {
    FlagKind::ALL.iter().map(|k| (k.as_str().to_owned(), k.label_zh().to_owned())).collect()
}
