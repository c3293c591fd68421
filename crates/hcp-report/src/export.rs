//! CSV and XLSX exports of case lists and KPI tables, and the anonymised
//! public-disclosure export.
//!
//! CSV files start with a UTF-8 byte-order mark so that spreadsheet programs
//! on Chinese Windows open them correctly; cells starting with a formula
//! character are prefixed with an apostrophe (CSV injection).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format as XFormat, FormatAlign, FormatBorder, Workbook};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::monthly::{ranked, totals, UnitKpi, KPI_HEADERS};

/// One case of a case list export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseRow {
    /// Case number.
    pub case_no: String,
    /// Responsible unit.
    pub unit: String,
    /// Service item.
    pub item_name: String,
    /// Rating channel.
    pub channel: String,
    /// Level label.
    pub level: String,
    /// Content codes, `;`-separated.
    pub content_codes: String,
    /// Date of the rating.
    pub rated_on: NaiveDate,
    /// Rectification deadline.
    pub deadline: Option<NaiveDate>,
    /// State label.
    pub state: String,
    /// Date closed.
    pub closed_on: Option<NaiveDate>,
    /// Handler (staff) name: personal data, internal exports only.
    pub handler: String,
    /// Evaluator, already masked by the caller: internal exports only.
    pub evaluator_masked: String,
}

/// Column headers of the case list.
pub const CASE_HEADERS: [&str; 12] = [
    "工单编号",
    "责任单位",
    "事项名称",
    "评价渠道",
    "评价等级",
    "问题代码",
    "评价日期",
    "整改期限",
    "状态",
    "办结日期",
    "承办人",
    "评价人（脱敏）",
];

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Neutralises spreadsheet formulas in CSV cells.
fn safe_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn case_cells(c: &CaseRow) -> [String; 12] {
    [
        c.case_no.clone(),
        c.unit.clone(),
        c.item_name.clone(),
        c.channel.clone(),
        c.level.clone(),
        c.content_codes.clone(),
        date(Some(c.rated_on)),
        date(c.deadline),
        c.state.clone(),
        date(c.closed_on),
        c.handler.clone(),
        c.evaluator_masked.clone(),
    ]
}

fn kpi_cells(rank: usize, k: &UnitKpi) -> [String; 8] {
    let [bad_rate, timeliness, rectification, visits] = k.rate_cells();
    [
        if rank == 0 { String::new() } else { rank.to_string() },
        k.unit.clone(),
        k.ratings.to_string(),
        k.bad_reviews.to_string(),
        bad_rate,
        timeliness,
        rectification,
        visits,
    ]
}

fn write_csv<const N: usize>(headers: [&str; N], rows: impl Iterator<Item = [String; N]>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(headers)?;
    for r in rows {
        w.write_record(r.iter().map(|c| safe_cell(c)))?;
    }
    w.into_inner().map_err(|e| crate::error::ReportError::Io(std::io::Error::other(e.to_string())))
}

/// Case list as CSV (internal use: contains the handler and the masked evaluator).
pub fn cases_csv(cases: &[CaseRow]) -> Result<Vec<u8>> {
    write_csv(CASE_HEADERS, cases.iter().map(case_cells))
}

/// KPI table as CSV, ranked by bad-review rate, with a total row.
pub fn kpis_csv(units: &[UnitKpi]) -> Result<Vec<u8>> {
    let t = totals(units);
    let rows = ranked(units)
        .into_iter()
        .enumerate()
        .map(|(i, k)| kpi_cells(i + 1, k))
        .chain(std::iter::once(kpi_cells(0, &t)));
    write_csv(KPI_HEADERS, rows)
}

fn xlsx<const N: usize>(
    sheet_name: &str,
    headers: [&str; N],
    widths: [f64; N],
    rows: &[[String; N]],
) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    write_sheet(wb.add_worksheet(), sheet_name, &headers, &widths, rows.iter().map(|r| r.as_slice()))?;
    Ok(wb.save_to_buffer()?)
}

/// Fills one worksheet: a bold header row (frozen), then the rows; cells that read as numbers are
/// written as numbers (except codes with a leading zero), so that the sheet can sum them.
fn write_sheet<'r>(
    ws: &mut rust_xlsxwriter::Worksheet,
    name: &str,
    headers: &[&str],
    widths: &[f64],
    rows: impl Iterator<Item = &'r [String]>,
) -> Result<()> {
    ws.set_name(name)?;
    let head = XFormat::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color(0xEEEEEE);
    let cell = XFormat::new().set_border(FormatBorder::Thin);
    for (c, (h, w)) in headers.iter().zip(widths).enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *h, &head)?;
        ws.set_column_width(c, *w)?;
    }
    for (r, row) in rows.enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if !v.is_empty() && !v.starts_with('0') || v == "0" || v.starts_with("0.") => {
                    ws.write_number_with_format(r, c as u16, n, &cell)?
                }
                _ => ws.write_string_with_format(r, c as u16, v, &cell)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// One worksheet of a workbook: its name, column headers and widths, and rows of cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub widths: Vec<f64>,
    pub rows: Vec<Vec<String>>,
}

/// Several tables as one XLSX workbook, a worksheet each, in order.
pub fn workbook_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    for s in sheets {
        let headers: Vec<&str> = s.headers.iter().map(String::as_str).collect();
        write_sheet(wb.add_worksheet(), &s.name, &headers, &s.widths, s.rows.iter().map(Vec::as_slice))?;
    }
    Ok(wb.save_to_buffer()?)
}

/// Case list as XLSX.
pub fn cases_xlsx(cases: &[CaseRow]) -> Result<Vec<u8>> {
    let rows: Vec<[String; 12]> = cases.iter().map(case_cells).collect();
    xlsx("差评工单", CASE_HEADERS, [18.0, 24.0, 36.0, 14.0, 12.0, 12.0, 12.0, 12.0, 10.0, 12.0, 10.0, 14.0], &rows)
}

/// KPI table as XLSX.
pub fn kpis_xlsx(units: &[UnitKpi]) -> Result<Vec<u8>> {
    let t = totals(units);
    let rows: Vec<[String; 8]> = ranked(units)
        .into_iter()
        .enumerate()
        .map(|(i, k)| kpi_cells(i + 1, k))
        .chain(std::iter::once(kpi_cells(0, &t)))
        .collect();
    xlsx("指标", KPI_HEADERS, [6.0, 24.0, 10.0, 8.0, 10.0, 12.0, 10.0, 12.0], &rows)
}

/// Public-disclosure export: bad reviews per unit, month and level, with no
/// personal data (no case numbers, handlers or evaluators) and counts below
/// `min_count` suppressed as "<min_count".
pub fn public_disclosure_csv(cases: &[CaseRow], min_count: u64) -> Result<Vec<u8>> {
    let mut counts: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut closed: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for c in cases {
        let key = (c.unit.clone(), c.rated_on.format("%Y-%m").to_string(), c.level.clone());
        *counts.entry(key.clone()).or_default() += 1;
        if c.closed_on.is_some() {
            *closed.entry(key).or_default() += 1;
        }
    }
    let show = |n: u64| {
        if n > 0 && n < min_count {
            format!("<{min_count}")
        } else {
            n.to_string()
        }
    };
    let rows = counts.into_iter().map(|(key, n)| {
        let done = closed.get(&key).copied().unwrap_or(0);
        let (unit, month, level) = key;
        [unit, month, level, show(n), show(done)]
    });
    write_csv(["单位", "月份", "评价等级", "差评数", "已办结数"], rows)
}

/// Any table whose cells are already what is published (e.g. the monthly public disclosure,
/// computed and suppressed by the server) as CSV.
pub fn table_csv<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> Result<Vec<u8>> {
    write_csv(headers, rows.iter().cloned())
}

/// The same table as XLSX, one sheet named `sheet_name`, columns `width` wide.
pub fn table_xlsx<const N: usize>(
    sheet_name: &str,
    headers: [&str; N],
    width: f64,
    rows: &[[String; N]],
) -> Result<Vec<u8>> {
    xlsx(sheet_name, headers, [width; N], rows)
}

/// One entry of an audit trail export (acting users only: the audit log never holds citizens'
/// personal data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    /// When (Beijing time, `YYYY-MM-DD HH:MM:SS`).
    pub at: String,
    /// The acting user.
    pub actor: String,
    /// Their unit.
    pub unit: String,
    /// The desktop client the action came from, if any.
    pub client: String,
    /// What was done (label and code).
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// Applied, refused (with the code), ok or failed.
    pub outcome: String,
    /// Detail.
    pub detail: String,
}

/// Column headers of the audit trail.
pub const AUDIT_HEADERS: [&str; 8] = ["时间", "操作人", "所属单位", "客户端", "操作", "对象", "结果", "说明"];

fn audit_cells(a: &AuditRow) -> [String; 8] {
    [
        a.at.clone(),
        a.actor.clone(),
        a.unit.clone(),
        a.client.clone(),
        a.action.clone(),
        a.target.clone(),
        a.outcome.clone(),
        a.detail.clone(),
    ]
}

/// Audit trail as CSV.
pub fn audit_csv(rows: &[AuditRow]) -> Result<Vec<u8>> {
    write_csv(AUDIT_HEADERS, rows.iter().map(audit_cells))
}

/// Audit trail as XLSX.
pub fn audit_xlsx(rows: &[AuditRow]) -> Result<Vec<u8>> {
    let cells: Vec<[String; 8]> = rows.iter().map(audit_cells).collect();
    xlsx("审计日志", AUDIT_HEADERS, [20.0, 12.0, 24.0, 14.0, 22.0, 22.0, 16.0, 36.0], &cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &[u8]) -> String {
        assert!(b.starts_with(BOM), "CSV starts with a BOM");
        String::from_utf8(b[3..].to_vec()).expect("utf-8")
    }

    #[test]
    fn cases_csv_has_headers_and_neutralises_formulas() {
        let s = text(&cases_csv(&crate::sample::cases()).expect("csv"));
        assert!(s.starts_with("工单编号,责任单位"));
        assert!(s.contains("HCP-2026-000318"));
        assert!(s.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{s}");
    }

    #[test]
    fn kpis_csv_is_ranked_with_a_total_row() {
        let s = text(&kpis_csv(&crate::sample::unit_kpis()).expect("csv"));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 12);
        assert!(lines[1].starts_with("1,市公安局,48210,9,0.02%"), "{}", lines[1]);
        assert!(lines[11].starts_with(",合计,233312,85,"), "{}", lines[11]);
    }

    #[test]
    fn public_disclosure_suppresses_small_counts_and_personal_data() {
        let mut cases = crate::sample::cases();
        for i in 0..6 {
            let mut c = cases[0].clone();
            c.case_no = format!("X{i}");
            cases.push(c);
        }
        let s = text(&public_disclosure_csv(&cases, 5).expect("csv"));
        assert!(s.contains("示例市不动产登记中心,2026-03,非常不满意,7,0"), "{s}");
        assert!(s.contains("示例市住房城乡建设委,2026-03,不满意,<5,<5"), "{s}");
        for personal in ["HCP-", "李四", "王五", "张*", "X1"] {
            assert!(!s.contains(personal), "{personal} leaked: {s}");
        }
    }

    #[test]
    fn audit_exports_keep_every_column_and_neutralise_formulas() {
        let row = AuditRow {
            at: "2026-11-20 09:30:00".into(),
            actor: "王督查".into(),
            unit: "东湖区".into(),
            client: "c-1".into(),
            action: "交办 case.assign".into(),
            target: "工单 HCP-2026-000001".into(),
            outcome: "已执行".into(),
            detail: "=cmd()".into(),
        };
        let s = text(&audit_csv(std::slice::from_ref(&row)).expect("csv"));
        assert!(s.starts_with("时间,操作人,所属单位,客户端,操作,对象,结果,说明"), "{s}");
        assert!(
            s.contains("2026-11-20 09:30:00,王督查,东湖区,c-1,交办 case.assign,工单 HCP-2026-000001,已执行,'=cmd()"),
            "{s}"
        );
        assert!(audit_xlsx(&[row]).expect("xlsx").starts_with(b"PK"));
    }

    #[test]
    fn xlsx_exports_are_zip_files() {
        let a = cases_xlsx(&crate::sample::cases()).expect("xlsx");
        let b = kpis_xlsx(&crate::sample::unit_kpis()).expect("xlsx");
        assert!(a.starts_with(b"PK") && b.starts_with(b"PK"));
    }
}
