//! Exports of the screens' tables (the inbox with its current filter, the statistics' KPI ranking,
//! the audit trail) as CSV or XLSX to a path the user chose in the save dialog, written with
//! hcp-report's writers; and the audit trail viewer's reads (`GET /api/v1/audit`, online only).
//!
//! Evaluators appear only masked (as the replica holds them); the audit log holds no citizens'
//! data at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use hcp_replica::{CaseQuery, Replica};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::{internal, online_only, App};

/// A table export's file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// A file an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    pub path: String,
    /// Data rows written (without the header and total rows).
    pub rows: u32,
}

/// What the audit trail viewer filters on.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditFilter {
    /// The acting user's name contains this.
    pub actor: Option<String>,
    /// An action prefix: `case.`, `admin.`, `auth.`, `rating.reveal`, `integrity.` …
    pub action: Option<String>,
    /// A case number (工单编号): the entries about that case.
    pub case_no: Option<String>,
    /// First day (Beijing date, `YYYY-MM-DD`), inclusive.
    pub from: Option<String>,
    /// Last day (Beijing date), inclusive.
    pub to: Option<String>,
    /// Entries older than this id (the next page).
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub before: Option<i64>,
}

/// One audit entry as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    /// Beijing time, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    pub actor: String,
    /// The acting user's unit (its name when the replica knows it).
    pub unit: String,
    /// The desktop client it came from (sync pushes), else empty.
    pub client: String,
    /// e.g. `case.assign`.
    pub action: String,
    /// e.g. `case:42`.
    pub target: String,
    /// The target for people: `工单 HCP-2026-000042` when the replica has the case.
    pub target_label: String,
    /// `applied`, `rejected:<code>`, `ok`, `failed`.
    pub outcome: String,
    pub detail: String,
}

/// A page of the trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; null at the end.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub next_before: Option<i64>,
}

#[derive(Deserialize)]
struct EntryWire {
    id: i64,
    at: String,
    user_name: String,
    unit_path: String,
    client_id: Option<String>,
    action: String,
    target: String,
    outcome: String,
    detail: String,
}

/// The most entries one page asks the server for, and an export's limit.
const PAGE: usize = 200;
const EXPORT_MAX: usize = 20_000;
/// The most cases an inbox export holds.
const CASES_MAX: u32 = 100_000;

/// Checks the chosen path: absolute, in an existing folder, with the format's extension (added when
/// missing).
pub fn target_path(path: &str, format: ExportFormat) -> ApiResult<PathBuf> {
    let p = PathBuf::from(path.trim());
    if path.trim().is_empty() || !p.is_absolute() {
        return Err(ApiError::new(ErrorCode::InvalidInput, "请选择保存位置"));
    }
    let p = match p.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case(format.extension()) => p,
        _ => {
            let mut s = p.into_os_string();
            s.push(".");
            s.push(format.extension());
            PathBuf::from(s)
        }
    };
    if !p.parent().is_some_and(Path::is_dir) {
        return Err(ApiError::new(ErrorCode::InvalidInput, format!("保存位置不存在：{}", p.display())));
    }
    Ok(p)
}

/// Writes the file whole or not at all (a temporary file renamed over it).
pub fn write_file(path: &Path, bytes: &[u8]) -> ApiResult<()> {
    let tmp = path.with_extension("part");
    let fail = |e: std::io::Error| ApiError::new(ErrorCode::Internal, format!("无法写入 {}：{e}", path.display()));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Saves a newly generated document as `dir/{stem}-{time}.pdf` (Beijing time to the second), never
/// over an earlier one: a second document in the same second gets `-2`, `-3`, … The file appears
/// whole or not at all.
pub fn save_new_pdf(dir: &Path, stem: &str, now: DateTime<Utc>, bytes: &[u8]) -> ApiResult<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法创建文件夹 {}：{e}", dir.display())))?;
    let stamp = hcp_domain::calendar::beijing_time(now).format("%Y%m%d%H%M%S");
    for n in 1..1000u32 {
        let name = if n == 1 { format!("{stem}-{stamp}.pdf") } else { format!("{stem}-{stamp}-{n}.pdf") };
        let path = dir.join(name);
        // Claim the name first so that two saves in the same second cannot both take it.
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => {
                write_file(&path, bytes).inspect_err(|_| {
                    let _ = std::fs::remove_file(&path);
                })?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(ApiError::new(ErrorCode::Internal, format!("无法保存 {}：{e}", path.display()))),
        }
    }
    Err(ApiError::new(ErrorCode::Internal, format!("无法保存 {stem}：同名文件过多")))
}

fn report_err(e: hcp_report::ReportError) -> ApiError {
    ApiError::new(ErrorCode::Internal, format!("导出失败：{e}"))
}

fn date_of(s: &str) -> Option<NaiveDate> {
    s.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// The inbox's rows for export: every case the query matches (not just the page on screen).
pub fn case_rows(r: &Replica, items: &[hcp_replica::CaseListItem]) -> ApiResult<Vec<hcp_report::export::CaseRow>> {
    let mut out = Vec::with_capacity(items.len());
    for c in items {
        let rating = match r.case(c.id)?.and_then(|row| row.rating_id) {
            Some(id) => r.rating_summary(id)?,
            None => None,
        };
        let rated_on =
            rating.as_ref().and_then(|s| date_of(&s.rated_at)).or_else(|| date_of(&c.created_at)).unwrap_or_default();
        out.push(hcp_report::export::CaseRow {
            case_no: c.case_no.clone(),
            unit: c.unit_name.clone(),
            item_name: c.item_name.clone().unwrap_or_default(),
            channel: c
                .channel
                .and_then(|ch| hcp_domain::Channel::try_from(ch).ok())
                .map_or_else(String::new, |ch| ch.label_zh().to_owned()),
            level: c.level.map_or_else(|| "投诉".to_owned(), |l| l.label_zh().to_owned()),
            content_codes: rating
                .as_ref()
                .map(|s| s.content_codes.iter().map(u16::to_string).collect::<Vec<_>>().join(";"))
                .unwrap_or_default(),
            rated_on,
            deadline: c.deadline.as_deref().and_then(date_of),
            state: c.state.label_zh().to_owned(),
            closed_on: None,
            handler: c.staff_name.clone().unwrap_or_default(),
            // Masked as the replica holds it (`张*（138****5678）`); never the real identity.
            evaluator_masked: rating.map(|s| s.evaluator_masked).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// `YYYY-MM-DD` (Beijing) to the UTC instant of its start, as RFC 3339; `next` gives the next day's.
fn day_start(field: &str, d: &str, next: bool) -> ApiResult<String> {
    let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::new(ErrorCode::InvalidInput, format!("{field}应为 YYYY-MM-DD")))?;
    let date = if next { date.succ_opt().unwrap_or(date) } else { date };
    Ok(format!("{}T00:00:00+08:00", date.format("%Y-%m-%d")))
}

pub(crate) fn beijing(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| hcp_domain::calendar::beijing_time(t.with_timezone(&Utc)).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| at.to_owned())
}

/// The query of `GET /api/v1/audit` for a filter; the case number resolved to its id by `case_id`.
fn audit_query(f: &AuditFilter, case_id: Option<i64>, limit: usize) -> ApiResult<Vec<(&'static str, String)>> {
    let mut q = vec![("limit", limit.to_string())];
    let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(a) = text(&f.actor) {
        q.push(("actor", a));
    }
    if let Some(a) = text(&f.action) {
        q.push(("action", a));
    }
    if let Some(id) = case_id {
        q.push(("target", format!("case:{id}")));
    }
    if let Some(d) = text(&f.from) {
        q.push(("since", day_start("开始日期", &d, false)?));
    }
    if let Some(d) = text(&f.to) {
        q.push(("until", day_start("结束日期", &d, true)?));
    }
    if let Some(b) = f.before {
        q.push(("before", b.to_string()));
    }
    Ok(q)
}

/// Entries as the viewer shows them: times in Beijing, units and cases by name from the replica.
fn entries_view(r: &Replica, rows: Vec<EntryWire>) -> ApiResult<Vec<AuditEntry>> {
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for e in rows {
        let unit = match units.get(&e.unit_path) {
            Some(n) => n.clone(),
            None => {
                let id = e.unit_path.trim_end_matches('/').rsplit('/').next().and_then(|s| s.parse::<i64>().ok());
                let name = match id {
                    Some(id) => r.unit_name(id)?.unwrap_or_else(|| e.unit_path.clone()),
                    None => e.unit_path.clone(),
                };
                units.insert(e.unit_path.clone(), name.clone());
                name
            }
        };
        let target_label = target_label(r, &e.target)?;
        out.push(AuditEntry {
            id: e.id,
            at: beijing(&e.at),
            actor: e.user_name,
            unit,
            client: e.client_id.unwrap_or_default(),
            action: e.action,
            target: e.target,
            target_label,
            outcome: e.outcome,
            detail: e.detail,
        });
    }
    Ok(out)
}

/// What an audit entry's target (`kind:id`) names, readable: a case by its number, an account by
/// its display name, a unit, staff member, service item or setting by name, from the replica.
/// Ratings and integrity leads keep their number only (never an evaluator's identity); a target
/// the replica does not hold (another jurisdiction's, or not synced yet) reads as its kind and id.
fn target_label(r: &Replica, target: &str) -> ApiResult<String> {
    use rusqlite::OptionalExtension;
    let Some((kind, id)) = target.split_once(':').and_then(|(k, v)| Some((k, v.parse::<i64>().ok()?))) else {
        return Ok(target.to_owned());
    };
    let one = |sql: &str| -> ApiResult<Option<String>> {
        r.conn()
            .query_row(sql, [id], |row| row.get::<_, String>(0))
            .optional()
            .map_err(|e| ApiError::from(hcp_replica::ReplicaError::from(e)))
    };
    let (what, name) = match kind {
        "case" => ("工单", r.case(id)?.map(|c| c.case_no)),
        "user" => ("账号", one("SELECT display_name FROM users WHERE id = ?1")?),
        "org_unit" | "unit" => ("单位", one("SELECT name FROM org_units WHERE id = ?1")?),
        "staff" => ("工作人员", one("SELECT name || '（' || employee_no || '）' FROM staff WHERE id = ?1")?),
        "service_item" => ("服务事项", one("SELECT name || '（' || code || '）' FROM service_items WHERE id = ?1")?),
        "setting" => (
            "设置",
            one(
                "SELECT s.key || '@' || coalesce(o.name, '') FROM settings s LEFT JOIN org_units o ON o.id = s.unit_id
                  WHERE s.id = ?1",
            )?
            .map(|k| match k.split_once('@') {
                Some((key, unit)) => {
                    let key = match key {
                        hcp_protocol::setting_keys::POLICY => "时限与督办策略",
                        hcp_protocol::setting_keys::CALENDAR => "工作日历",
                        other => other,
                    };
                    if unit.is_empty() {
                        key.to_owned()
                    } else {
                        format!("{unit} {key}")
                    }
                }
                None => k,
            }),
        ),
        "rating" => ("评价", None),
        "integrity_flag" => ("诚信线索", None),
        "hotline_delivery" => ("12345回传", None),
        "self_assessment" => ("自我评价", None),
        _ => return Ok(target.to_owned()),
    };
    Ok(match name {
        Some(n) => format!("{what} {n}"),
        None => format!("{what} #{id}"),
    })
}

/// The case id of a case number, from the replica.
fn case_id_of(r: &Replica, case_no: &str) -> ApiResult<i64> {
    let page = r.list_cases(&CaseQuery { search: Some(case_no.to_owned()), limit: 20, ..CaseQuery::default() })?;
    page.items
        .into_iter()
        .find(|c| c.case_no.eq_ignore_ascii_case(case_no))
        .map(|c| c.id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("本辖区没有工单 {case_no}（或尚未同步）")))
}

fn audit_rows(entries: &[AuditEntry]) -> Vec<hcp_report::export::AuditRow> {
    entries
        .iter()
        .map(|e| hcp_report::export::AuditRow {
            at: e.at.clone(),
            actor: e.actor.clone(),
            unit: e.unit.clone(),
            client: e.client.clone(),
            action: e.action.clone(),
            target: e.target_label.clone(),
            outcome: e.outcome.clone(),
            detail: e.detail.clone(),
        })
        .collect()
}

/// Writes an export's bytes to `target` (off the async runtime) and reports the file and its rows.
async fn save(target: PathBuf, bytes: Vec<u8>, rows: u32) -> ApiResult<ExportedFile> {
    tokio::task::spawn_blocking(move || write_file(&target, &bytes).map(|()| target))
        .await
        .map_err(internal)?
        .map(|p| ExportedFile { path: p.display().to_string(), rows })
}
impl App {
    /// Writes every case the inbox's query matches (its filters, not its page) to `path`.
    pub async fn export_cases(
        &self,
        mut query: CaseQuery,
        format: ExportFormat,
        path: String,
    ) -> ApiResult<ExportedFile> {
        let target = target_path(&path, format)?;
        let mut items = Vec::new();
        query.offset = 0;
        query.limit = 500;
        loop {
            let page = self.list_cases(query.clone()).await?;
            let n = page.items.len() as u32;
            items.extend(page.items);
            query.offset += n;
            if n == 0 || query.offset >= page.total || query.offset >= CASES_MAX {
                break;
            }
        }
        let rows = self.with_replica(move |r, _, _| case_rows(r, &items)).await?;
        let bytes = match format {
            ExportFormat::Csv => hcp_report::export::cases_csv(&rows),
            ExportFormat::Xlsx => hcp_report::export::cases_xlsx(&rows),
        }
        .map_err(report_err)?;
        save(target, bytes, rows.len() as u32).await
    }

    /// Writes the month's KPI ranking of the jurisdiction's units (with a total row) to `path`:
    /// the figures of the statistics page and of the 月调度通报.
    pub async fn export_stats(&self, month: String, format: ExportFormat, path: String) -> ApiResult<ExportedFile> {
        let target = target_path(&path, format)?;
        let units = self
            .with_replica(move |r, a, _| {
                Ok(crate::dashboard::monthly_report_input(r, &a.user, &month, chrono::Utc::now())?.units)
            })
            .await?;
        let bytes = match format {
            ExportFormat::Csv => hcp_report::export::kpis_csv(&units),
            ExportFormat::Xlsx => hcp_report::export::kpis_xlsx(&units),
        }
        .map_err(report_err)?;
        save(target, bytes, units.len() as u32).await
    }

    async fn audit_fetch(&self, filter: &AuditFilter, limit: usize) -> ApiResult<Vec<AuditEntry>> {
        let a = self.active()?;
        if !matches!(
            a.user.role,
            hcp_domain::Role::Supervisor | hcp_domain::Role::DisciplineLiaison | hcp_domain::Role::Administrator
        ) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "只有督查人员、纪检监察联络员和系统管理员可以查看审计日志",
            ));
        }
        a.require_online("查看审计日志")?;
        let case_no = filter.case_no.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let case_id = match case_no {
            Some(no) => Some(self.with_replica(move |r, _, _| case_id_of(r, &no)).await?),
            None => None,
        };
        let query = audit_query(filter, case_id, limit)?;
        let rows: Vec<EntryWire> =
            a.client.get_json(&a.token, "/api/v1/audit", &query).await.map_err(|e| online_only(e, "审计日志"))?;
        self.with_replica(move |r, _, _| entries_view(r, rows)).await
    }

    /// A page of the audit trail of the user's jurisdiction, newest first (online only).
    pub async fn audit_trail(&self, filter: AuditFilter) -> ApiResult<AuditPage> {
        let entries = self.audit_fetch(&filter, PAGE).await?;
        let next_before = (entries.len() == PAGE).then(|| entries.last().map(|e| e.id)).flatten();
        Ok(AuditPage { entries, next_before })
    }

    /// Writes every entry the filter matches (up to 20 000) to `path`.
    pub async fn export_audit(
        &self,
        mut filter: AuditFilter,
        format: ExportFormat,
        path: String,
    ) -> ApiResult<ExportedFile> {
        let target = target_path(&path, format)?;
        let mut all = Vec::new();
        loop {
            let page = self.audit_fetch(&filter, 500).await?;
            let n = page.len();
            filter.before = page.last().map(|e| e.id);
            all.extend(page);
            if n < 500 || all.len() >= EXPORT_MAX {
                break;
            }
        }
        let rows = audit_rows(&all);
        let bytes = match format {
            ExportFormat::Csv => hcp_report::export::audit_csv(&rows),
            ExportFormat::Xlsx => hcp_report::export::audit_xlsx(&rows),
        }
        .map_err(report_err)?;
        save(target, bytes, rows.len() as u32).await
    }

    /// Saves the month's public disclosure (定期公开) of the user's jurisdiction, as the server
    /// computes it (personal data removed, counts below 5 suppressed), to `path`. Online only.
    pub async fn save_disclosure(&self, month: String, format: ExportFormat, path: String) -> ApiResult<ExportedFile> {
        let target = target_path(&path, format)?;
        let a = self.active()?;
        a.require_online("定期公开数据")?;
        let d: DisclosureWire = a
            .client
            .get_json(&a.token, "/api/v1/disclosure", &[("month", month.trim().to_owned())])
            .await
            .map_err(|e| online_only(e, "定期公开数据"))?;
        let bytes = disclosure_file(&d, format)?;
        let rows = d.rows.len().saturating_sub(1) as u32;
        save(target, bytes, rows).await
    }
}

/// The server's disclosure (`GET /api/v1/disclosure`).
#[derive(Debug, Deserialize)]
pub struct DisclosureWire {
    pub rows: Vec<DisclosureRowWire>,
}

#[derive(Debug, Deserialize)]
pub struct DisclosureRowWire {
    pub unit: String,
    pub month: String,
    pub ratings: String,
    pub channels: Vec<String>,
    pub bad_reviews: String,
    pub bad_rate: String,
    pub rectification_rate: String,
    pub top_items: String,
    pub top_problems: String,
}

/// The disclosure as the published file, in the layout of `hcp_domain::disclosure::HEADERS`.
pub fn disclosure_file(d: &DisclosureWire, format: ExportFormat) -> ApiResult<Vec<u8>> {
    let mut rows = Vec::with_capacity(d.rows.len());
    for r in &d.rows {
        let channels: [String; 8] = r
            .channels
            .clone()
            .try_into()
            .map_err(|_| ApiError::new(ErrorCode::Server, "服务器返回的定期公开数据格式不正确"))?;
        let row = hcp_domain::disclosure::DisclosureRow {
            unit: r.unit.clone(),
            month: r.month.clone(),
            ratings: r.ratings.clone(),
            channels,
            bad_reviews: r.bad_reviews.clone(),
            bad_rate: r.bad_rate.clone(),
            rectification_rate: r.rectification_rate.clone(),
            top_items: r.top_items.clone(),
            top_problems: r.top_problems.clone(),
        };
        rows.push(row.cells());
    }
    let headers = hcp_domain::disclosure::HEADERS;
    match format {
        ExportFormat::Csv => hcp_report::export::table_csv(headers, &rows),
        ExportFormat::Xlsx => hcp_report::export::table_xlsx("定期公开", headers, 14.0, &rows),
    }
    .map_err(report_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_documents_never_overwrite_one_saved_in_the_same_second() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now = "2026-12-06T23:30:05Z".parse::<DateTime<Utc>>().expect("time");
        let a = save_new_pdf(&dir.path().join("reports"), "问责决定记录-X1", now, b"first").expect("first");
        let b = save_new_pdf(&dir.path().join("reports"), "问责决定记录-X1", now, b"second").expect("second");
        assert_eq!(a.file_name().and_then(|n| n.to_str()), Some("问责决定记录-X1-20261207073005.pdf"), "Beijing time");
        assert_eq!(b.file_name().and_then(|n| n.to_str()), Some("问责决定记录-X1-20261207073005-2.pdf"));
        assert_eq!(std::fs::read(&a).expect("a"), b"first");
        assert_eq!(std::fs::read(&b).expect("b"), b"second");
    }

    #[test]
    fn export_paths_are_checked_and_get_their_extension() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("工单");
        let p = target_path(&base.display().to_string(), ExportFormat::Csv).expect("path");
        assert_eq!(p.extension().and_then(|e| e.to_str()), Some("csv"));
        let x = target_path(&dir.path().join("a.XLSX").display().to_string(), ExportFormat::Xlsx).expect("xlsx");
        assert!(x.ends_with("a.XLSX"));
        assert_eq!(target_path("relative.csv", ExportFormat::Csv).expect_err("relative").code, ErrorCode::InvalidInput);
        let missing = dir.path().join("no/such/folder/x.csv");
        assert!(target_path(&missing.display().to_string(), ExportFormat::Csv).is_err());
        write_file(&p, b"abc").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"abc");
        assert!(!p.with_extension("part").exists());
    }

    #[test]
    fn the_audit_filter_becomes_the_servers_query_in_beijing_days() {
        let f = AuditFilter {
            actor: Some(" 王 ".into()),
            action: Some("admin.".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            ..AuditFilter::default()
        };
        let q = audit_query(&f, Some(42), 200).expect("query");
        let get = |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        assert_eq!(get("actor").as_deref(), Some("王"));
        assert_eq!(get("target").as_deref(), Some("case:42"));
        assert_eq!(get("since").as_deref(), Some("2026-11-01T00:00:00+08:00"));
        assert_eq!(get("until").as_deref(), Some("2026-12-01T00:00:00+08:00"));
        let bad = AuditFilter { from: Some("11/01".into()), ..AuditFilter::default() };
        assert_eq!(audit_query(&bad, None, 10).expect_err("date").code, ErrorCode::InvalidInput);
        assert_eq!(beijing("2026-11-20T01:30:00Z"), "2026-11-20 09:30:00");
    }

    #[test]
    fn audit_targets_read_as_names_from_the_replica_and_never_as_evaluators() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = Replica::open(&dir.path().join("r.db"), &hcp_replica::ReplicaKey::from_bytes([7; 32])).expect("open");
        r.conn()
            .execute_batch(
                "INSERT INTO org_units (id, parent_id, kind, name, code, path) VALUES (86, NULL, 'hall', '东湖区政务服务中心', 'DH', '/86/');
                 INSERT INTO users (id, display_name, role, unit_id, unit_path, active) VALUES (28, '王主任', 'hall_manager', 86, '/86/', 1);
                 INSERT INTO staff (id, unit_id, name, employee_no, unit_path) VALUES (5, 86, '李窗口', 'DH-001', '/86/');
                 INSERT INTO service_items (id, unit_id, unit_path, code, name, promised_working_days, active)
                      VALUES (9, 86, '/86/', 'SB-1', '社会保障卡补换', 5, 1);
                 INSERT INTO settings (id, unit_id, unit_path, key, value, updated_at)
                      VALUES (3, 86, '/86/', 'policy', '{}', '2026-11-20T00:00:00Z');",
            )
            .expect("rows");
        let label = |t: &str| target_label(&r, t).expect("label");
        assert_eq!(label("user:28"), "账号 王主任");
        assert_eq!(label("org_unit:86"), "单位 东湖区政务服务中心");
        assert_eq!(label("staff:5"), "工作人员 李窗口（DH-001）");
        assert_eq!(label("service_item:9"), "服务事项 社会保障卡补换（SB-1）");
        assert_eq!(label("setting:3"), "设置 东湖区政务服务中心 时限与督办策略");
        // Not in the replica: the kind and the number. Ratings never name their evaluator.
        assert_eq!(label("user:99"), "账号 #99");
        assert_eq!(label("rating:12"), "评价 #12");
        assert_eq!(label("case:new"), "case:new");
        assert_eq!(label("something:else"), "something:else");
    }
}
