//! Rectification notices (整改通知书) for cases: a page-by-page preview, one PDF ready to print,
//! and handing that PDF to the system for printing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;

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

/// One page of the notices' preview, drawn from the same layout as the PDF.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NoticePreview {
    /// The page shown, from 0.
    pub page: u32,
    /// How many pages the PDF will have.
    pub page_count: u32,
    /// How many notices it holds.
    pub count: u32,
    /// The page as a PNG `data:` URL (an image: the citizens' text in it is pixels, never markup).
    pub image: String,
    /// The image's width and height in pixels.
    pub width: u32,
    pub height: u32,
}

/// Working days a notice gives for rectification (the default jurisdiction policy).
const NOTICE_WORKING_DAYS: u32 = 5;

/// Resolution of the preview images: sharp on a HiDPI screen at the dialog's size.
const PREVIEW_DPI: f32 = 144.0;

/// The document fonts, read from the system once.
fn fonts() -> ApiResult<&'static hcp_report::Fonts> {
    static FONTS: OnceLock<hcp_report::Fonts> = OnceLock::new();
    if let Some(f) = FONTS.get() {
        return Ok(f);
    }
    let fonts =
        hcp_report::Fonts::locate().map_err(|e| ApiError::new("fonts_missing", format!("无法生成通知书：{e}")))?;
    Ok(FONTS.get_or_init(|| fonts))
}

/// The notices for `case_ids` and the document number the last one takes (nothing stored).
struct Notices {
    inputs: Vec<hcp_report::notice::NoticeInput>,
    seq_key: String,
    last_seq: u32,
}

fn rectification_items() -> Vec<String> {
    vec![
        "立即核查该办件的受理和办理情况，对符合条件的申请当即办结，并向办事群众当面说明情况；".into(),
        "深入分析差评原因，查找制度、流程和作风方面的问题，制定并落实整改措施；".into(),
        "整改完成后将整改情况（含佐证材料）书面报送，并做好回访工作。".into(),
    ]
}

/// The notices for `case_ids` (in that order), numbered after the last one printed.
fn prepare(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<Notices> {
    if case_ids.is_empty() {
        return Err(ApiError::new(codes::INVALID_INPUT, "请先选择要打印整改通知书的工单"));
    }
    if case_ids.len() > 200 {
        return Err(ApiError::new(codes::INVALID_INPUT, "一次最多打印 200 份整改通知书"));
    }
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
    Ok(Notices { inputs, seq_key, last_seq: seq })
}

fn layout_failed(e: hcp_report::ReportError) -> ApiError {
    ApiError::new(codes::INTERNAL, format!("通知书生成失败：{e}"))
}

/// Page `page` (from 0) of the notices for `case_ids`, as they will print. Nothing is saved and
/// no document number is used up.
pub fn preview(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    page: u32,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<NoticePreview> {
    let fonts = fonts()?;
    let n = prepare(r, user, case_ids, calendar, now)?;
    let pages = hcp_report::notice::pages(fonts, &n.inputs).map_err(layout_failed)?;
    let page_count = pages.len() as u32;
    if page >= page_count {
        return Err(ApiError::new(codes::INVALID_INPUT, format!("预览只有 {page_count} 页，没有第 {} 页", page + 1)));
    }
    let png = pages.png(fonts, page as usize, PREVIEW_DPI).map_err(layout_failed)?;
    let (width, height) = png_size(&png);
    Ok(NoticePreview {
        page,
        page_count,
        count: n.inputs.len() as u32,
        image: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png)),
        width,
        height,
    })
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |at: usize| png.get(at..at + 4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    (be(16), be(20))
}

/// Renders notices for `case_ids` (in that order) into one PDF under `out_dir`; the document
/// numbers they take are used up.
pub fn notices(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
    out_dir: &Path,
) -> ApiResult<PrintedFile> {
    let fonts = fonts()?;
    let Notices { inputs, seq_key, last_seq: seq } = prepare(r, user, case_ids, calendar, now)?;
    let pdf = hcp_report::notice::render(fonts, &inputs).map_err(layout_failed)?;
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

/// The program that prints a PDF: `HCP_PRINT_COMMAND` (a program and its arguments, separated by
/// spaces; the PDF's path is appended), else the system's handler for PDF files, whose viewer
/// prints with the system print dialog.
fn print_command() -> Vec<String> {
    if let Some(cmd) = std::env::var("HCP_PRINT_COMMAND").ok().filter(|c| !c.trim().is_empty()) {
        return cmd.split_whitespace().map(str::to_owned).collect();
    }
    if cfg!(target_os = "windows") {
        // `start "" file` opens the file with its associated program.
        vec!["cmd".into(), "/C".into(), "start".into(), String::new()]
    } else if cfg!(target_os = "macos") {
        vec!["open".into()]
    } else {
        vec!["xdg-open".into()]
    }
}

/// Hands a saved PDF to the system for printing. Waits a few seconds for the program to fail
/// (no PDF viewer, no printer); one still running by then is taken to have opened it.
pub fn send_to_printer(pdf: &Path) -> ApiResult<()> {
    run_print_command(&print_command(), pdf)
}

fn run_print_command(cmd: &[String], pdf: &Path) -> ApiResult<()> {
    let (program, args) = cmd.split_first().ok_or_else(|| ApiError::new(codes::INTERNAL, "没有可用的打印程序"))?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .arg(pdf)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            ApiError::new(
                codes::INTERNAL,
                format!("无法启动打印程序 {program}：{e}。通知书已保存在 {}，可手动打开打印", pdf.display()),
            )
        })?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                tracing::warn!(%status, program, "the print program failed");
                return Err(ApiError::new(
                    codes::INTERNAL,
                    format!(
                        "系统未能打开打印（{program} 退出码 {status}）。通知书已保存在 {}，可手动打开打印",
                        pdf.display()
                    ),
                ));
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => break,
            Err(e) => return Err(ApiError::new(codes::INTERNAL, format!("打印程序状态未知：{e}"))),
        }
    }
    tracing::info!(program, "notices handed to the system for printing");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn the_print_command_gets_the_pdf_and_its_failures_are_explained() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pdf = dir.path().join("整改通知书.pdf");
        std::fs::write(&pdf, b"%PDF-1.7").expect("pdf");
        let log = dir.path().join("printed.txt");
        let script = format!("printf '%s' \"$0\" > {}", log.display());
        run_print_command(&cmd(&["sh", "-c", &script]), &pdf).expect("printed");
        assert_eq!(std::fs::read_to_string(&log).expect("log"), pdf.display().to_string());

        let failed = run_print_command(&cmd(&["false"]), &pdf).expect_err("a failing viewer");
        assert!(failed.message.contains("系统未能打开打印") && failed.message.contains("整改通知书.pdf"), "{failed:?}");
        let missing = run_print_command(&cmd(&["/nonexistent/lp"]), &pdf).expect_err("no such program");
        assert!(missing.message.contains("无法启动打印程序 /nonexistent/lp"), "{missing:?}");
        assert!(run_print_command(&[], &pdf).is_err());
    }

    #[test]
    fn png_sizes_come_from_the_header() {
        let mut png = vec![0u8; 24];
        png[16..20].copy_from_slice(&1191u32.to_be_bytes());
        png[20..24].copy_from_slice(&1684u32.to_be_bytes());
        assert_eq!(png_size(&png), (1191, 1684));
        assert_eq!(png_size(&[]), (0, 0));
    }
}
