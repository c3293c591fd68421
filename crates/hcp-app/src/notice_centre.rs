//! 通知书 (the notice centre): every notice this laptop issued for the user's office, from the
//! replica's notice register (整改通知书 and 督办整改通知书, 催办通知书, 督办通知单), with its 文号,
//! case, date and file; filters; 重新打印 (one or a filtered batch), 打开, 打开所在文件夹 and 另存为.
//!
//! Every output is rendered again from the content the register kept when the notice was first
//! numbered, so a reprint carries the same number and the same text; a file that was moved or
//! deleted is simply rendered again (and the register notes the new file). Nothing here takes a
//! new number.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hcp_replica::tables::notices::IssuedNotice;
use hcp_replica::Replica;
use hcp_report::notice::NoticeInput;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::print::{KIND_REMINDER, KIND_SUPERVISION};

/// Which notice of the register: its case and register kind (the office is the user's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoticeKey {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub case_id: i64,
    pub kind: String,
}

/// The filters of the centre. Dates are `YYYY-MM-DD` (Beijing), both ends included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoticeQuery {
    /// `rectification` (整改通知书, with its 督办 form), `reminder` (催办通知书) or `supervision` (督办通知单).
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Part of the 文号, the 工单编号, the recipient unit or the service item.
    pub text: Option<String>,
}

/// One registered notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NoticeEntry {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub case_id: i64,
    /// The register kind (`rectification`, `urging`, `reminder:2`, `supervision:district`).
    pub kind: String,
    /// The family the filter uses: `rectification`, `reminder` or `supervision`.
    pub family: String,
    /// 整改通知书, 督办整改通知书, 催办通知书, 督办通知单.
    pub title: String,
    pub doc_number: String,
    pub case_no: String,
    pub recipient_unit: String,
    pub item_name: String,
    /// The office that issued it (the signature).
    pub issuing_unit: String,
    /// RFC 3339
    pub issued_at: String,
    /// The last PDF it was saved in, and whether that file is still there.
    pub file: Option<String>,
    pub file_exists: bool,
}

/// The register as the centre lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NoticeRegister {
    pub items: Vec<NoticeEntry>,
    /// Who issued them: every notice in this replica was issued by the signed-in user.
    pub issued_by: String,
    /// Notices in the register before filtering.
    pub total: u32,
}

fn family(kind: &str) -> &'static str {
    if kind.starts_with(KIND_REMINDER) {
        "reminder"
    } else if kind.starts_with(KIND_SUPERVISION) {
        "supervision"
    } else {
        "rectification"
    }
}

fn stored_input(n: &IssuedNotice) -> ApiResult<NoticeInput> {
    serde_json::from_str(&n.content)
        .map_err(|e| ApiError::new(ErrorCode::Replica, format!("本机登记的通知书 {} 无法读取：{e}", n.doc_number)))
}

fn forbidden(role: hcp_domain::Role) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("通知书由督查人员或大厅负责人出具，{}没有本机登记的通知书", role.label_zh()),
    )
}

fn check_date(what: &str, d: Option<&str>) -> ApiResult<()> {
    if let Some(d) = d.filter(|d| !d.is_empty()) {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ApiError::new(ErrorCode::InvalidInput, format!("{what}“{d}”不是有效日期（应为 YYYY-MM-DD）"))
        })?;
    }
    Ok(())
}

fn entry(n: &IssuedNotice) -> ApiResult<NoticeEntry> {
    let input = stored_input(n)?;
    let file_exists = n.file.as_deref().is_some_and(|f| Path::new(f).is_file());
    Ok(NoticeEntry {
        case_id: n.case_id,
        kind: n.kind.clone(),
        family: family(&n.kind).to_owned(),
        title: input.title_text(),
        doc_number: n.doc_number.clone(),
        case_no: input.case_no.clone(),
        recipient_unit: input.recipient_unit.clone(),
        item_name: input.item_name.clone(),
        issuing_unit: input.issuing_unit.clone(),
        issued_at: n.issued_at.clone(),
        file: n.file.clone(),
        file_exists,
    })
}

/// The office's notices this laptop issued, newest first, filtered (works offline).
pub fn list(r: &Replica, user: &hcp_protocol::UserInfo, q: &NoticeQuery) -> ApiResult<NoticeRegister> {
    if !user.role.may_issue_notices() {
        return Err(forbidden(user.role));
    }
    check_date("开始日期", q.from.as_deref())?;
    check_date("结束日期", q.to.as_deref())?;
    let wanted = q.kind.as_deref().filter(|k| !k.is_empty());
    if let Some(k) = wanted {
        if !["rectification", "reminder", "supervision"].contains(&k) {
            return Err(ApiError::new(ErrorCode::InvalidInput, format!("未知的通知书类型“{k}”")));
        }
    }
    let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    let all = r.issued_notices(user.unit_id)?;
    let total = all.len() as u32;
    let mut items = Vec::new();
    for n in &all {
        let e = entry(n)?;
        if wanted.is_some_and(|k| e.family != k) {
            continue;
        }
        let day = DateTime::parse_from_rfc3339(&e.issued_at)
            .map(|d| hcp_domain::calendar::beijing_date(d.with_timezone(&Utc)).format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        if q.from.as_deref().filter(|f| !f.is_empty()).is_some_and(|f| day.as_str() < f)
            || q.to.as_deref().filter(|t| !t.is_empty()).is_some_and(|t| day.as_str() > t)
        {
            continue;
        }
        if let Some(t) = &text {
            let hay = format!("{} {} {} {} {}", e.doc_number, e.case_no, e.recipient_unit, e.item_name, e.title)
                .to_lowercase();
            if !hay.contains(t.as_str()) {
                continue;
            }
        }
        items.push(e);
    }
    Ok(NoticeRegister { items, issued_by: user.display_name.clone(), total })
}

/// The registered notices named by `keys`, in that order; each must be in the register.
fn registered(r: &Replica, user: &hcp_protocol::UserInfo, keys: &[NoticeKey]) -> ApiResult<Vec<IssuedNotice>> {
    if !user.role.may_issue_notices() {
        return Err(forbidden(user.role));
    }
    if keys.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidInput, "请先选择通知书"));
    }
    if keys.len() > 200 {
        return Err(ApiError::new(ErrorCode::InvalidInput, "一次最多打印 200 份通知书"));
    }
    keys.iter()
        .map(|k| {
            r.issued_notice(user.unit_id, k.case_id, &k.kind)?.ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, format!("本机登记簿中没有工单 {} 的这份通知书", k.case_id))
            })
        })
        .collect()
}

fn render(inputs: &[NoticeInput]) -> ApiResult<Vec<u8>> {
    let fonts = crate::print::document_fonts()?;
    hcp_report::notice::render(fonts, inputs)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("通知书生成失败：{e}")))
}

/// The file name a reprint gets (before its time stamp): the title, the 文号's number and the case.
fn file_stem(inputs: &[NoticeInput]) -> String {
    let first = &inputs[0];
    let no = first.doc_no.map(|n| format!("{n}号")).unwrap_or_default();
    if inputs.len() == 1 {
        format!("{}-{}-{}{no}-重印", first.kind.name_zh(), first.case_no, first.doc_year)
    } else {
        format!("通知书-{}等{}份-重印", first.case_no, inputs.len())
    }
}

/// What a reprint or save produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReprintedFile {
    pub path: String,
    pub count: u32,
    /// The notices' numbers, unchanged from their first issue.
    pub doc_numbers: Vec<String>,
}

/// Renders the registered notices `keys` again, with their numbers and text, into one PDF under
/// `out_dir` (the app's notices folder), and notes it as their file.
pub fn reprint(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    keys: &[NoticeKey],
    now: DateTime<Utc>,
    out_dir: &Path,
) -> ApiResult<ReprintedFile> {
    let notices = registered(r, user, keys)?;
    let inputs: Vec<NoticeInput> = notices.iter().map(stored_input).collect::<ApiResult<_>>()?;
    let pdf = render(&inputs)?;
    let path = crate::exports::save_new_pdf(out_dir, &file_stem(&inputs), now, &pdf)?;
    let file = path.display().to_string();
    for n in &notices {
        r.note_notice_file(user.unit_id, n.case_id, &n.kind, &file)?;
    }
    tracing::info!(count = inputs.len(), "notices reprinted");
    Ok(ReprintedFile {
        path: file,
        count: inputs.len() as u32,
        doc_numbers: notices.iter().map(|n| n.doc_number.clone()).collect(),
    })
}

fn write(path: &Path, pdf: &[u8]) -> ApiResult<()> {
    std::fs::write(path, pdf)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法保存 {}：{e}", path.display())))
}

/// The file of one registered notice to open: its last file when it still exists (and lies in
/// the app's notices folder), else the notice rendered again there.
pub fn file_to_open(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    key: &NoticeKey,
    now: DateTime<Utc>,
    notices_dir: &Path,
) -> ApiResult<PathBuf> {
    let n = registered(r, user, std::slice::from_ref(key))?.remove(0);
    let ours = std::fs::canonicalize(notices_dir).ok();
    if let Some(f) = n.file.as_deref().and_then(|f| std::fs::canonicalize(f).ok()) {
        if f.is_file() && ours.as_ref().is_some_and(|d| f.starts_with(d)) {
            return Ok(f);
        }
    }
    let file = reprint(r, user, std::slice::from_ref(key), now, notices_dir)?;
    Ok(PathBuf::from(file.path))
}

/// 另存为: renders the notices `keys` (same numbers and text) into the PDF `target` the user chose
/// in the save dialog, and notes it as their file.
pub fn save_as(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    keys: &[NoticeKey],
    target: &str,
) -> ApiResult<ReprintedFile> {
    let path = PathBuf::from(target.trim());
    if !path.is_absolute() {
        return Err(ApiError::new(ErrorCode::InvalidInput, "请选择保存位置"));
    }
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        return Err(ApiError::new(ErrorCode::InvalidInput, "通知书只能另存为 PDF 文件（文件名以 .pdf 结尾）"));
    }
    if !path.parent().is_some_and(Path::is_dir) {
        return Err(ApiError::new(ErrorCode::InvalidInput, format!("文件夹不存在：{}", path.display())));
    }
    let notices = registered(r, user, keys)?;
    let inputs: Vec<NoticeInput> = notices.iter().map(stored_input).collect::<ApiResult<_>>()?;
    let pdf = render(&inputs)?;
    write(&path, &pdf)?;
    let file = path.display().to_string();
    for n in &notices {
        r.note_notice_file(user.unit_id, n.case_id, &n.kind, &file)?;
    }
    tracing::info!(count = inputs.len(), "notices saved to a chosen file");
    Ok(ReprintedFile {
        path: file,
        count: inputs.len() as u32,
        doc_numbers: notices.iter().map(|n| n.doc_number.clone()).collect(),
    })
}

/// The suggested file name for 另存为.
pub fn suggested_name(r: &Replica, user: &hcp_protocol::UserInfo, keys: &[NoticeKey]) -> ApiResult<String> {
    let notices = registered(r, user, keys)?;
    let inputs: Vec<NoticeInput> = notices.iter().map(stored_input).collect::<ApiResult<_>>()?;
    let first = &inputs[0];
    Ok(if inputs.len() == 1 {
        format!("{}-{}.pdf", first.title_text().replace(['/', '\\'], ""), notices[0].doc_number)
    } else {
        format!("通知书-{}等{}份.pdf", first.case_no, inputs.len())
    })
}

impl crate::App {
    /// 通知书: the notices this laptop issued for the user's office, filtered (works offline).
    pub async fn notice_register(&self, query: NoticeQuery) -> ApiResult<NoticeRegister> {
        self.with_replica(move |r, a, _| list(r, &a.user, &query)).await
    }

    /// 重新打印: the registered notices again (same 文号 and text) as one PDF in the notices
    /// folder, handed to the printer when `print` is set.
    pub async fn reprint_notices(&self, keys: Vec<NoticeKey>, print: bool) -> ApiResult<ReprintedFile> {
        let out = self.data_dir().join("notices");
        let file = self.with_replica(move |r, a, _| reprint(r, &a.user, &keys, Utc::now(), &out)).await?;
        if print {
            let path = PathBuf::from(&file.path);
            tokio::task::spawn_blocking(move || crate::print::send_to_printer(&path))
                .await
                .map_err(crate::internal)??;
        }
        Ok(file)
    }

    /// 打开 / 打开所在文件夹 of a registered notice; a file that is gone is rendered again first.
    pub async fn open_registered_notice(&self, key: NoticeKey, folder: bool) -> ApiResult<()> {
        let out = self.data_dir().join("notices");
        let path = self.with_replica(move |r, a, _| file_to_open(r, &a.user, &key, Utc::now(), &out)).await?;
        tokio::task::spawn_blocking(move || crate::print::open_document(&path, folder))
            .await
            .map_err(crate::internal)?
    }

    /// The file name 另存为 suggests for the notices.
    pub async fn notice_file_name(&self, keys: Vec<NoticeKey>) -> ApiResult<String> {
        self.with_replica(move |r, a, _| suggested_name(r, &a.user, &keys)).await
    }

    /// 另存为: the notices (same 文号 and text) as one PDF at the path the user chose.
    pub async fn save_notices_as(&self, keys: Vec<NoticeKey>, path: String) -> ApiResult<ReprintedFile> {
        self.with_replica(move |r, a, _| save_as(r, &a.user, &keys, &path)).await
    }
}
