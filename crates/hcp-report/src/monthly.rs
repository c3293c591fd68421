//! 月调度通报 (monthly dispatch report).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::charts::{fmt_count, AnyChart, CHART_SIZE};
use crate::error::{ReportError, Result};
use crate::fonts::Fonts;
use crate::notice::{chinese_numeral, colophon, fmt_date, redact_personal_numbers, signature, title};
use crate::pdf::{
    break_lines, pt_to_mm, Align, Doc, Face, Pages, Style, BLACK, CHAR_PITCH, LINE_PITCH, MARGIN_LEFT, MARGIN_TOP, RED,
    SIZE_3HAO, SIZE_XIAO4, TYPE_RIGHT, TYPE_W,
};

/// KPIs of one unit for the period, as `hcp_domain::kpi::Kpis` counts them: ratings rated in the
/// period, and cases opened in it (their handling, closing and return visit counted with them,
/// whenever they happen), excluded ones left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitKpi {
    /// Unit name.
    pub unit: String,
    /// Ratings received.
    pub ratings: u64,
    /// Bad reviews (verified, not excluded).
    pub bad_reviews: u64,
    /// Cases opened in the period (bad reviews and complaints alike).
    pub cases: u64,
    /// Of those, cases whose deadline has come: handled, or still open past it (the timeliness
    /// rate's denominator).
    pub cases_due: u64,
    /// Of those, handled on time.
    pub on_time: u64,
    /// Of those, handled late.
    pub late: u64,
    /// Of those, still open past the deadline.
    pub overdue: u64,
    /// Cases closed (the rectification rate's denominator).
    pub closed: u64,
    /// Of those, closed with rectification done (not an explanation only).
    pub rectified: u64,
    /// Return visits made.
    pub return_visits: u64,
    /// Return visits where the citizen was satisfied.
    pub return_visits_satisfied: u64,
}

/// `a / b`, or `None` without a denominator (written `—（0/0）`, never 100 %).
fn ratio(a: u64, b: u64) -> Option<f64> {
    if b == 0 {
        None
    } else {
        Some(a as f64 / b as f64)
    }
}

/// A rate as the screen writes it: `95.65%` (two decimals), `—（0/0）` without a denominator.
pub fn fmt_rate(numerator: u64, denominator: u64) -> String {
    match ratio(numerator, denominator) {
        Some(r) => format!("{:.2}%", r * 100.0),
        None => format!("—（{numerator}/{denominator}）"),
    }
}

impl UnitKpi {
    /// Bad reviews / ratings.
    pub fn bad_review_rate(&self) -> Option<f64> {
        ratio(self.bad_reviews, self.ratings)
    }
    /// On-time cases / due cases.
    pub fn timeliness_rate(&self) -> Option<f64> {
        ratio(self.on_time, self.cases_due)
    }
    /// Rectified / closed cases.
    pub fn rectification_rate(&self) -> Option<f64> {
        ratio(self.rectified, self.closed)
    }
    /// Satisfied return visits / return visits.
    pub fn return_visit_satisfaction(&self) -> Option<f64> {
        ratio(self.return_visits_satisfied, self.return_visits)
    }
    /// The four rates as the text writes them: bad-review rate, timeliness, rectification,
    /// return-visit satisfaction.
    pub fn rate_texts(&self) -> [String; 4] {
        [
            fmt_rate(self.bad_reviews, self.ratings),
            fmt_rate(self.on_time, self.cases_due),
            fmt_rate(self.rectified, self.closed),
            fmt_rate(self.return_visits_satisfied, self.return_visits),
        ]
    }

    /// The four rates as a table cell holds them: `—` without a denominator (the note says so).
    pub fn rate_cells(&self) -> [String; 4] {
        self.rate_texts().map(|t| if t.starts_with('—') { "—".to_owned() } else { t })
    }
}

/// One of the top problems of the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemItem {
    /// Content code.
    pub code: String,
    /// Description.
    pub label: String,
    /// Bad reviews with this code.
    pub count: u64,
    /// Optional anonymised example.
    pub example: Option<String>,
}

/// Everything the monthly dispatch report shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReportInput {
    /// Issuing unit.
    pub issuing_unit: String,
    /// Name of the bulletin (red header), e.g. "政务服务“好差评”工作通报".
    pub bulletin_name: String,
    /// Year of the issue number.
    pub year: i32,
    /// Issue number within the year.
    pub issue_no: u32,
    /// Recipients (主送机关), e.g. "各区县政务服务管理机构，市级有关部门".
    pub recipients: String,
    /// Period label, e.g. "2026年3月".
    pub period_label: String,
    /// The jurisdiction the figures cover, as the text names it: "全市", "东湖区", "东湖区政务服务中心".
    pub scope_name: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// KPI rows, one per unit.
    pub units: Vec<UnitKpi>,
    /// Bad-review rate of the previous period, for the comparison sentence.
    pub previous_bad_review_rate: Option<f64>,
    /// Top problems, most frequent first.
    pub problems: Vec<ProblemItem>,
    /// What citizens' comments say most (堵点分析), after the problems; already worded.
    pub voices: Vec<String>,
    /// Good practice worth mentioning.
    pub highlights: Vec<String>,
    /// Requirements for the next period.
    pub requirements: Vec<String>,
    /// Charts appended as an attachment.
    pub charts: Vec<AnyChart>,
    /// Copy-to units.
    pub cc: Vec<String>,
}

/// Totals over all units (rates recomputed from the sums).
pub fn totals(units: &[UnitKpi]) -> UnitKpi {
    let mut t = UnitKpi {
        unit: "合计".to_string(),
        ratings: 0,
        bad_reviews: 0,
        cases: 0,
        cases_due: 0,
        on_time: 0,
        late: 0,
        overdue: 0,
        closed: 0,
        rectified: 0,
        return_visits: 0,
        return_visits_satisfied: 0,
    };
    for u in units {
        t.ratings += u.ratings;
        t.bad_reviews += u.bad_reviews;
        t.cases += u.cases;
        t.cases_due += u.cases_due;
        t.on_time += u.on_time;
        t.late += u.late;
        t.overdue += u.overdue;
        t.closed += u.closed;
        t.rectified += u.rectified;
        t.return_visits += u.return_visits;
        t.return_visits_satisfied += u.return_visits_satisfied;
    }
    t
}

/// Units ranked by bad-review rate, lowest first, units without ratings last (ties: more ratings
/// first, then name).
pub fn ranked(units: &[UnitKpi]) -> Vec<&UnitKpi> {
    let mut v: Vec<&UnitKpi> = units.iter().collect();
    v.sort_by(|a, b| {
        let key = |u: &UnitKpi| u.bad_review_rate().unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then_with(|| b.ratings.cmp(&a.ratings)).then_with(|| a.unit.cmp(&b.unit))
    });
    v
}

/// Column headers of the KPI table (also used by the exports).
pub const KPI_HEADERS: [&str; 8] = ["排名", "单位", "评价数", "差评数", "差评率", "整改及时率", "整改率", "回访满意率"];

/// The KPI table as strings, ranked, with a total row at the end.
pub fn kpi_table(units: &[UnitKpi]) -> Vec<Vec<String>> {
    let row = |rank: String, k: &UnitKpi| {
        let mut cells = vec![rank, k.unit.clone(), fmt_count(k.ratings), fmt_count(k.bad_reviews)];
        cells.extend(k.rate_cells());
        cells
    };
    let mut rows: Vec<Vec<String>> =
        ranked(units).into_iter().enumerate().map(|(i, k)| row((i + 1).to_string(), k)).collect();
    rows.push(row(String::new(), &totals(units)));
    rows
}

fn names(units: &[&UnitKpi]) -> String {
    units.iter().map(|u| u.unit.as_str()).collect::<Vec<_>>().join("、")
}

impl MonthlyReportInput {
    fn validate(&self) -> Result<()> {
        if self.units.is_empty() {
            return Err(ReportError::InvalidInput("monthly report: no unit KPIs".into()));
        }
        for u in &self.units {
            if u.bad_reviews > u.ratings
                || u.on_time + u.late + u.overdue != u.cases_due
                || u.cases_due > u.cases
                || u.closed > u.cases
                || u.rectified > u.closed
                || u.return_visits_satisfied > u.return_visits
            {
                return Err(ReportError::InvalidInput(format!("monthly report: inconsistent KPIs for {}", u.unit)));
            }
        }
        Ok(())
    }

    /// The overview paragraph (一、总体情况). Every figure is the one the statistics screen and
    /// `GET /api/v1/kpis` give for the same month and jurisdiction.
    pub fn overview(&self) -> String {
        let t = totals(&self.units);
        let trend = match (self.previous_bad_review_rate, t.bad_review_rate()) {
            (Some(prev), Some(now)) => {
                let diff = (now - prev) * 100.0;
                if diff.abs() < 0.005 {
                    "，与上月持平".to_string()
                } else if diff > 0.0 {
                    format!("，较上月上升{:.2}个百分点", diff)
                } else {
                    format!("，较上月下降{:.2}个百分点", -diff)
                }
            }
            _ => String::new(),
        };
        let [bad_rate, timeliness, rectification, visits] = t.rate_texts();
        format!(
            "{}，{}{}个单位共收到评价{}条，其中差评{}条，差评率{}{}。本月受理差评、投诉工单{}件，其中已到办理期限{}件：按期办结{}件、超期办结{}件、逾期未办结{}件，整改及时率{}。本月受理的工单中已办结{}件，其中已整改{}件，整改率{}；回访{}件，回访满意率{}。",
            self.period_label,
            self.scope_name.trim(),
            self.units.len(),
            fmt_count(t.ratings),
            fmt_count(t.bad_reviews),
            bad_rate,
            trend,
            fmt_count(t.cases),
            fmt_count(t.cases_due),
            fmt_count(t.on_time),
            fmt_count(t.late),
            fmt_count(t.overdue),
            timeliness,
            fmt_count(t.closed),
            fmt_count(t.rectified),
            rectification,
            fmt_count(t.return_visits),
            visits,
        )
    }

    /// The ranking paragraphs (三、排名情况).
    pub fn ranking_paragraphs(&self) -> Vec<String> {
        let r = ranked(&self.units);
        let k = if r.len() >= 6 { 3 } else { r.len() / 2 };
        let mut out = Vec::new();
        if k > 0 {
            out.push(format!(
                "按差评率由低到高排序，{}位列前{}位；{}差评率相对较高，列后{}位。",
                names(&r[..k]),
                chinese_numeral(k),
                names(&r[r.len() - k..]),
                chinese_numeral(k)
            ));
        }
        let late: Vec<&UnitKpi> = self.units.iter().filter(|u| u.cases_due > 0 && u.on_time < u.cases_due).collect();
        if late.is_empty() && self.units.iter().any(|u| u.cases_due > 0) {
            out.push("各单位到期差评工单均按期完成整改。".to_string());
        } else if late.is_empty() {
            out.push("本月受理的差评工单均未到办理期限。".to_string());
        } else {
            let overdue: u64 = late.iter().map(|u| u.overdue).sum();
            out.push(format!(
                "{}等{}个单位整改及时率未达到100%，其中逾期未办结工单{}件，请相关单位抓紧办理。",
                names(&late),
                late.len(),
                overdue
            ));
        }
        out.extend(self.highlights.iter().filter(|h| !h.trim().is_empty()).cloned());
        out
    }

    /// The top-problem paragraphs (四、突出问题).
    pub fn problem_paragraphs(&self) -> Vec<String> {
        let total = totals(&self.units).bad_reviews;
        self.problems
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut s = format!(
                    "（{}）{}（代码{}），{}件，占差评总数的{}。",
                    chinese_numeral(i + 1),
                    p.label,
                    p.code,
                    p.count,
                    fmt_rate(p.count, total)
                );
                if let Some(e) = p.example.as_deref().filter(|e| !e.trim().is_empty()) {
                    s.push_str(&format!("如：{}", redact_personal_numbers(e.trim())));
                }
                s
            })
            .collect()
    }
}

/// Column widths (mm, 156 in all): every rate column holds `100.00%` on one line.
const TABLE_WIDTHS: [f32; 8] = [10.0, 36.0, 17.0, 13.0, 20.0, 20.0, 20.0, 20.0];

fn draw_table(doc: &mut Doc<'_>, rows: &[Vec<String>]) -> Result<()> {
    let cell = Style::plain(Face::Body, SIZE_XIAO4 - 1.5);
    let head = Style::plain(Face::Hei, SIZE_XIAO4 - 1.5);
    let line_h = pt_to_mm(cell.size) * 1.3;
    let pad = 1.6;
    let lines_of = |doc: &Doc<'_>, st: &Style, text: &str, w: f32| -> Vec<String> {
        let width_of = |t: &str| doc.advance(st, t);
        break_lines(text, &width_of, w - 2.0 * pad, w - 2.0 * pad)
    };
    let draw_row = |doc: &mut Doc<'_>, st: &Style, cells: &[String], shade: bool| -> Result<()> {
        let wrapped: Vec<Vec<String>> = cells.iter().zip(TABLE_WIDTHS).map(|(c, w)| lines_of(doc, st, c, w)).collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = n as f32 * line_h + 2.0 * pad;
        let top = doc.y;
        if shade {
            doc.fill_rect(MARGIN_LEFT, top, TYPE_W, h, (0.93, 0.93, 0.93));
        }
        let mut x = MARGIN_LEFT;
        for (i, (lines, w)) in wrapped.iter().zip(TABLE_WIDTHS).enumerate() {
            let block = lines.len() as f32 * line_h;
            let mut y = top + (h - block) / 2.0;
            for l in lines {
                let lw = doc.ink_width(st, l);
                let lx = if i == 1 && !shade { x + pad } else { x + (w - lw) / 2.0 };
                let ty = y + (line_h - pt_to_mm(st.size)) / 2.0;
                doc.text_at(st, lx, Doc::baseline(st, ty), l, 0.0)?;
                y += line_h;
            }
            x += w;
        }
        // Borders.
        doc.hline(MARGIN_LEFT, TYPE_RIGHT, top, 0.2, BLACK);
        doc.hline(MARGIN_LEFT, TYPE_RIGHT, top + h, 0.2, BLACK);
        let mut x = MARGIN_LEFT;
        doc.line(x, top, x, top + h, 0.2, BLACK);
        for w in TABLE_WIDTHS {
            x += w;
            doc.line(x, top, x, top + h, 0.2, BLACK);
        }
        doc.y = top + h;
        Ok(())
    };
    let headers: Vec<String> = KPI_HEADERS.iter().map(|s| s.to_string()).collect();
    doc.ensure(3.0 * (line_h + 2.0 * pad))?;
    draw_row(doc, &head, &headers, true)?;
    for (i, r) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        if doc.ensure(line_h * 2.0 + 2.0 * pad)? {
            draw_row(doc, &head, &headers, true)?;
        }
        if last {
            draw_row(doc, &head, r, false)?;
        } else {
            draw_row(doc, &cell, r, false)?;
        }
    }
    Ok(())
}

fn heading(doc: &mut Doc<'_>, text: &str) -> Result<()> {
    doc.ensure(2.0 * LINE_PITCH)?;
    doc.paragraph(text, &Style::body().with_face(Face::Hei), 2.0, Align::Justify, LINE_PITCH)
}

fn para(doc: &mut Doc<'_>, text: &str) -> Result<()> {
    doc.paragraph(text, &Style::body(), 2.0, Align::Justify, LINE_PITCH)
}

/// How many lines [`para`] breaks `text` into.
fn para_lines(doc: &Doc<'_>, text: &str) -> usize {
    let style = Style::body();
    let indent = 2.0 * style.cell.unwrap_or(pt_to_mm(style.size));
    let width_of = |t: &str| doc.advance(&style, t);
    break_lines(text, &width_of, TYPE_W - indent, TYPE_W).len().max(1)
}

/// Draws the bulletin header: red name, issue number, unit and date, red rule.
fn bulletin_header(doc: &mut Doc<'_>, r: &MonthlyReportInput) -> Result<()> {
    let mut hs = Style { face: Face::Title, size: 36.0, color: RED, cell: None };
    let natural = doc.ink_width(&hs, &r.bulletin_name).max(1.0);
    if natural > TYPE_W {
        hs.size *= TYPE_W / natural;
    }
    let w = doc.ink_width(&hs, &r.bulletin_name);
    let top = MARGIN_TOP + 4.0;
    doc.text_at(&hs, MARGIN_LEFT + (TYPE_W - w) / 2.0, Doc::baseline(&hs, top), &r.bulletin_name, 0.0)?;
    let body = Style::plain(Face::Body, SIZE_3HAO);
    let issue = format!("（{}年第{}期）", r.year, r.issue_no);
    let iw = doc.ink_width(&body, &issue);
    let itop = top + pt_to_mm(hs.size) + 5.0;
    doc.text_at(&body, MARGIN_LEFT + (TYPE_W - iw) / 2.0, Doc::baseline(&body, itop), &issue, 0.0)?;
    let rtop = itop + LINE_PITCH * 1.4;
    doc.text_at(&body, MARGIN_LEFT + CHAR_PITCH, Doc::baseline(&body, rtop), r.issuing_unit.trim(), 0.0)?;
    let date = fmt_date(r.issue_date);
    let dw = doc.ink_width(&body, &date);
    doc.text_at(&body, TYPE_RIGHT - CHAR_PITCH - dw, Doc::baseline(&body, rtop), &date, 0.0)?;
    let line_y = rtop + pt_to_mm(body.size) + 3.0;
    doc.hline(MARGIN_LEFT, TYPE_RIGHT, line_y, 0.8, RED);
    doc.y = line_y + LINE_PITCH;
    Ok(())
}

/// Renders the monthly dispatch report (PDF with the charts appended as 附件).
pub fn render(fonts: &Fonts, input: &MonthlyReportInput) -> Result<Vec<u8>> {
    pages(fonts, input)?.pdf(fonts)
}

/// Lays the monthly dispatch report out (see [`render`]); the result also draws preview images.
pub fn pages(fonts: &Fonts, input: &MonthlyReportInput) -> Result<Pages> {
    input.validate()?;
    let mut doc = Doc::new(fonts, "月调度通报");
    doc.new_page()?;
    bulletin_header(&mut doc, input)?;
    title(&mut doc, &format!("关于{}政务服务“好差评”工作情况的通报", input.period_label))?;
    doc.y += LINE_PITCH * 0.5;
    let body = Style::body();
    doc.paragraph(&format!("{}：", input.recipients.trim()), &body, 0.0, Align::Justify, LINE_PITCH)?;
    para(
        &mut doc,
        &format!(
            "为推动政务服务“好差评”结果运用，以评促改、以改促优，现将{}{}政务服务“好差评”工作情况通报如下。",
            input.period_label,
            input.scope_name.trim()
        ),
    )?;
    heading(&mut doc, "一、总体情况")?;
    para(&mut doc, &input.overview())?;
    heading(&mut doc, "二、各单位指标情况")?;
    para(&mut doc, "各单位评价数、差评数、差评率、整改及时率、整改率和回访满意率情况见下表（按差评率由低到高排序）。")?;
    doc.y += 2.0;
    draw_table(&mut doc, &kpi_table(&input.units))?;
    doc.y += 2.0;
    let note = Style::plain(Face::Body, SIZE_XIAO4 - 1.5);
    doc.paragraph(
        "注：差评率＝差评数÷评价数；整改及时率＝按期办结数÷已到办理期限的工单数；整改率＝已整改数÷已办结工单数；回访满意率＝回访满意数÷回访数。工单指标按本月受理的差评、投诉工单统计，已剔除的恶意差评、误评不计；分母为0的指标在正文中记为“—（0/0）”，在表中记为“—”。",
        &note,
        0.0,
        Align::Justify,
        pt_to_mm(note.size) * 1.5,
    )?;
    doc.y += LINE_PITCH * 0.3;
    heading(&mut doc, "三、排名情况")?;
    for p in input.ranking_paragraphs() {
        para(&mut doc, &p)?;
    }
    if !input.problems.is_empty() {
        heading(&mut doc, "四、突出问题")?;
        para(&mut doc, "从差评反映的内容看，群众反映的问题主要集中在以下方面：")?;
        for p in input.problem_paragraphs() {
            para(&mut doc, &p)?;
        }
    }
    for v in input.voices.iter().filter(|v| !v.trim().is_empty()) {
        para(&mut doc, v)?;
    }
    // The signature never stands alone on a page (GB/T 9704 7.3.5): the last paragraph of the
    // body, the attachment note and the signature are kept together.
    let note = (!input.charts.is_empty()).then(|| format!("附件：{}政务服务“好差评”统计图表", input.period_label));
    let tail = note.as_deref().map_or(0.0, |n| LINE_PITCH * (1.0 + para_lines(&doc, n) as f32)) + 3.0 * LINE_PITCH;
    if !input.requirements.is_empty() {
        let n = if input.problems.is_empty() { "四" } else { "五" };
        heading(&mut doc, &format!("{n}、工作要求"))?;
        let last = input.requirements.len() - 1;
        for (i, r) in input.requirements.iter().enumerate() {
            let text = format!("（{}）{}", chinese_numeral(i + 1), r.trim());
            if i == last {
                doc.ensure(para_lines(&doc, &text) as f32 * LINE_PITCH + tail)?;
            }
            para(&mut doc, &text)?;
        }
    } else {
        doc.ensure(tail)?;
    }
    if let Some(note) = &note {
        doc.y += LINE_PITCH;
        para(&mut doc, note)?;
    }
    doc.y += LINE_PITCH;
    signature(&mut doc, input.issuing_unit.trim(), input.issue_date)?;
    if !input.charts.is_empty() {
        doc.new_page()?;
        doc.paragraph("附件", &Style::body().with_face(Face::Hei), 0.0, Align::Justify, LINE_PITCH)?;
        doc.y += LINE_PITCH * 0.5;
        title(&mut doc, &format!("{}政务服务“好差评”统计图表", input.period_label))?;
        doc.y += LINE_PITCH * 0.5;
        let img_h = TYPE_W * CHART_SIZE.1 as f32 / CHART_SIZE.0 as f32;
        for (i, chart) in input.charts.iter().enumerate() {
            doc.ensure(img_h + 1.0 + LINE_PITCH * 0.7)?;
            let img = chart.render_rgb(fonts, PDF_CHART_SCALE)?;
            let top = doc.y;
            let h = doc.image(img.pixels, img.width, img.height, MARGIN_LEFT, top, TYPE_W);
            doc.y = top + h + 1.0;
            let cap = Style::plain(Face::Body, SIZE_XIAO4);
            doc.paragraph(&format!("图{}", i + 1), &cap, 0.0, Align::Center, LINE_PITCH * 0.7)?;
            doc.y += 2.0;
        }
    }
    colophon(&mut doc, &input.cc, input.issuing_unit.trim(), input.issue_date)?;
    doc.finish()
}

/// Raster scale of charts embedded in the monthly report (1.6 × 1000 px on 156 mm ≈ 260 dpi).
const PDF_CHART_SCALE: f64 = 1.6;
