//! Rectification notices (整改通知书) for cases, as one PDF ready to print.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use hcp_domain::Calendar;
use hcp_replica::Replica;
use serde::Serialize;

use crate::error::{codes, ApiError, ApiResult};

/// A generated document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PrintedFile {
    /// Where the PDF was saved.
    pub path: String,
    /// How many notices it holds.
    pub count: u32,
}

/// Working days a notice gives for rectification (the default jurisdiction policy).
const NOTICE_WORKING_DAYS: u32 = 5;

fn rectification_items() -> Vec<String> {
    vec![
        "立即核查该办件的受理和办理情况，对符合条件的申请当即办结，并向办事群众当面说明情况；".into(),
        "深入分析差评原因，查找制度、流程和作风方面的问题，制定并落实整改措施；".into(),
        "整改完成后将整改情况（含佐证材料）书面报送，并做好回访工作。".into(),
    ]
}

/// Renders notices for `case_ids` (in that order) into one PDF under `out_dir`.
pub fn notices(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
    out_dir: &Path,
) -> ApiResult<PrintedFile> {
    if case_ids.is_empty() {
        return Err(ApiError::new(codes::INVALID_INPUT, "请先选择要打印整改通知书的工单"));
    }
    if case_ids.len() > 200 {
        return Err(ApiError::new(codes::INVALID_INPUT, "一次最多打印 200 份整改通知书"));
    }
    let fonts =
        hcp_report::Fonts::locate().map_err(|e| ApiError::new("fonts_missing", format!("无法生成通知书：{e}")))?;
    let today = (now + chrono::Duration::hours(8)).date_naive();
    let deadline = calendar.add_working_days(today, NOTICE_WORKING_DAYS);
    let (unit_name, unit_kind) = r.unit(user.unit_id)?.unwrap_or_else(|| (user.unit_name.clone(), "hall".into()));
    let issuing_unit = match unit_kind.as_str() {
        "city" | "district" | "park" | "town" => format!("{unit_name}政务服务管理办公室"),
        _ => unit_name.clone(),
    };
    let prefix = format!("{}政管督", unit_name.chars().next().unwrap_or('政'));
    let seq_key = format!("notice_seq:{}", today.year());
    let mut seq: u32 = r.meta(&seq_key)?.and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut inputs = Vec::with_capacity(case_ids.len());
    for id in case_ids {
        let item = r.case_item(*id)?.ok_or_else(|| ApiError::new(codes::NOT_FOUND, format!("本地没有工单 {id}")))?;
        seq += 1;
        let service_date = DateTime::parse_from_rfc3339(&item.created_at)
            .map(|d| (d.with_timezone(&Utc) + chrono::Duration::hours(8)).date_naive())
            .unwrap_or(today);
        inputs.push(hcp_report::notice::NoticeInput {
            issuing_unit: issuing_unit.clone(),
            header_title: None,
            doc_prefix: prefix.clone(),
            doc_year: today.year(),
            doc_no: seq,
            title: None,
            recipient_unit: item.department_name.clone().unwrap_or_else(|| item.unit_name.clone()),
            case_no: item.case_no.clone(),
            item_name: item.item_name.clone().unwrap_or_else(|| "政务服务".into()),
            service_date,
            level_label: item.level.map_or("投诉".into(), |l| l.label_zh().to_owned()),
            content: item.summary.clone(),
            rectification_required: rectification_items(),
            working_days: NOTICE_WORKING_DAYS,
            deadline,
            issue_date: today,
            contact: None,
            cc: vec![],
        });
    }
    let pdf = hcp_report::notice::render(&fonts, &inputs)
        .map_err(|e| ApiError::new(codes::INTERNAL, format!("通知书生成失败：{e}")))?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| ApiError::new(codes::INTERNAL, format!("无法创建 {}：{e}", out_dir.display())))?;
    let first = inputs.first().map(|i| i.case_no.clone()).unwrap_or_default();
    let name = if inputs.len() == 1 {
        format!("整改通知书-{first}-{}.pdf", now.format("%Y%m%d%H%M%S"))
    } else {
        format!("整改通知书-{first}等{}件-{}.pdf", inputs.len(), now.format("%Y%m%d%H%M%S"))
    };
    let path: PathBuf = out_dir.join(name);
    std::fs::write(&path, pdf)
        .map_err(|e| ApiError::new(codes::INTERNAL, format!("无法保存 {}：{e}", path.display())))?;
    r.set_meta(&seq_key, &seq.to_string())?;
    Ok(PrintedFile { path: path.display().to_string(), count: inputs.len() as u32 })
}
