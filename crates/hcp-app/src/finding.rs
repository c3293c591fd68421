//! 监督检查发现: a supervisor records a finding of their own inspection as a new case (source
//! `Supervision`, the domain's `CaseCommand::Create`): the unit (within the jurisdiction), the
//! service item, the staff member if any, content codes and a description. Queued in the outbox
//! like every command, so it works offline; the inbox lists it at once as a pending new case.
//!
//! The item goes in the `Create` command's `service_item_id`: the server checks that it belongs
//! to the unit inside the jurisdiction and stores its name on the case, as a rated case's item
//! (the inbox, its search, the case page and the notices show it). The case's text is the
//! description alone.

use hcp_domain::{CaseCommand, CaseSource, ContentCode, Role, ScopePath};
use hcp_replica::Replica;
use serde::{Deserialize, Serialize};

use crate::cases::{self, Issued};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// A unit a finding can be about, with its path (items and staff are picked below it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FindingUnit {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub name: String,
    /// `district`, `hall`, `department`, …
    pub kind: String,
    /// Below the user's own unit (0: the unit itself).
    pub depth: u32,
    pub path: String,
}

/// A service item of the jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FindingItem {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit_path: String,
}

/// A window staff member's account (the rated staff of a case).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FindingStaff {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub user_id: i64,
    pub name: String,
    pub unit_path: String,
}

/// A content code a finding may carry (the 不满意 codes), with its meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FindingCode {
    pub code: u16,
    pub zh: String,
    pub en: String,
}

/// What the finding form offers (works offline).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FindingOptions {
    pub units: Vec<FindingUnit>,
    pub items: Vec<FindingItem>,
    pub staff: Vec<FindingStaff>,
    pub codes: Vec<FindingCode>,
}

/// A finding as the form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindingInput {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub item_id: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub staff_user_id: Option<i64>,
    pub content_codes: Vec<u16>,
    pub description: String,
}

fn refuse(m: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, m)
}

fn supervisor_only(role: Role) -> ApiResult<()> {
    if role != Role::Supervisor {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("监督检查发现由督查人员录入，{}不能录入", role.label_zh()),
        ));
    }
    Ok(())
}

fn db(e: rusqlite::Error) -> ApiError {
    ApiError::from(hcp_replica::ReplicaError::from(e))
}

/// The form's choices: the units, service items and window staff of the user's jurisdiction and
/// the content codes.
pub fn options(r: &Replica, user: &hcp_protocol::UserInfo) -> ApiResult<FindingOptions> {
    supervisor_only(user.role)?;
    let scope = user.scope_path.as_str();
    let conn = r.conn();
    let mut stmt = conn
        .prepare(
            "SELECT id, name, kind, path FROM org_units
              WHERE path >= ?1 AND path < ?1 || '~' AND kind NOT IN ('window', 'community') AND active = 1
              ORDER BY path",
        )
        .map_err(db)?;
    let base = scope.matches('/').count();
    let units = stmt
        .query_map([scope], |row| {
            let path: String = row.get(3)?;
            Ok(FindingUnit {
                id: row.get(0)?,
                name: row.get(1)?,
                kind: row.get(2)?,
                depth: path.matches('/').count().saturating_sub(base) as u32,
                path,
            })
        })
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    let mut stmt = conn
        .prepare(
            "SELECT id, code, name, unit_path FROM service_items
              WHERE active = 1 AND unit_path >= ?1 AND unit_path < ?1 || '~' ORDER BY unit_path, code",
        )
        .map_err(db)?;
    let items = stmt
        .query_map([scope], |row| {
            Ok(FindingItem { id: row.get(0)?, code: row.get(1)?, name: row.get(2)?, unit_path: row.get(3)? })
        })
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    let mut stmt = conn
        .prepare(
            "SELECT id, display_name, unit_path FROM users
              WHERE role = 'staff_member' AND active = 1 AND unit_path >= ?1 AND unit_path < ?1 || '~'
              ORDER BY unit_path, display_name",
        )
        .map_err(db)?;
    let staff = stmt
        .query_map([scope], |row| Ok(FindingStaff { user_id: row.get(0)?, name: row.get(1)?, unit_path: row.get(2)? }))
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    let codes = (201..=299u16)
        .filter_map(|c| ContentCode::new(c).ok())
        .filter_map(|c| {
            Some(FindingCode { code: c.value(), zh: c.label_zh()?.to_owned(), en: c.label_en()?.to_owned() })
        })
        .collect();
    Ok(FindingOptions { units, items, staff, codes })
}

/// The most characters of a description.
const MAX_DESCRIPTION: usize = 2_000;

/// Checks a finding against the jurisdiction and queues it as a new supervision case.
pub fn create(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    input: &FindingInput,
    calendar: &hcp_domain::Calendar,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Issued> {
    let opts = options(r, user)?;
    let unit = opts
        .units
        .iter()
        .find(|u| u.id == input.unit_id)
        .ok_or_else(|| refuse(format!("单位 {} 不存在，或不在您的辖区内", input.unit_id)))?;
    let under = |path: &str| path == unit.path || path.starts_with(&format!("{}/", unit.path.trim_end_matches('/')));
    let description = input.description.trim();
    let chars = description.chars().count();
    if chars < 5 {
        return Err(refuse("请填写检查发现的问题（至少 5 个字）"));
    }
    if chars > MAX_DESCRIPTION {
        return Err(refuse(format!("问题描述不超过 {MAX_DESCRIPTION} 字")));
    }
    let item = match input.item_id {
        Some(id) => Some(
            opts.items
                .iter()
                .find(|i| i.id == id && under(&i.unit_path))
                .ok_or_else(|| refuse(format!("服务事项 {id} 不存在，或不属于“{}”", unit.name)))?,
        ),
        None => None,
    };
    if let Some(id) = input.staff_user_id {
        if !opts.staff.iter().any(|s| s.user_id == id && under(&s.unit_path)) {
            return Err(refuse(format!("被评价工作人员 {id} 不存在，或不是“{}”的窗口工作人员", unit.name)));
        }
    }
    let mut content_codes = Vec::with_capacity(input.content_codes.len());
    for c in &input.content_codes {
        let code = ContentCode::new(*c).map_err(|e| refuse(e.to_string()))?;
        if !opts.codes.iter().any(|k| k.code == *c) {
            return Err(refuse(format!("评价内容代码 {c} 不适用于监督检查发现")));
        }
        if !content_codes.contains(&code) {
            content_codes.push(code);
        }
    }
    let path = ScopePath::try_from(unit.path.clone()).map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    let command = CaseCommand::Create {
        source: CaseSource::Supervision,
        unit: path,
        rated_staff_id: input.staff_user_id,
        real_name: false,
        summary: description.to_owned(),
        content_codes,
        service_item_id: item.map(|i| i.id),
    };
    cases::issue(r, user, None, &command, calendar, now)
}

impl crate::App {
    /// The 监督检查发现 form's choices (works offline).
    pub async fn finding_options(&self) -> ApiResult<FindingOptions> {
        self.with_replica(|r, a, _| options(r, &a.user)).await
    }

    /// Records a 监督检查发现 as a new supervision case: checked and queued (works offline), sent
    /// with the next sync.
    #[tracing::instrument(skip_all)]
    pub async fn create_finding(&self, input: FindingInput) -> ApiResult<Issued> {
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let issued = create(r, &a.user, &input, cal, chrono::Utc::now())?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(issued)
    }
}
