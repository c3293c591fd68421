//! 服务明星 / 办事能手: the period's list (名单) as a table, and one certificate (荣誉证书) per award,
//! as A4 PDFs on the documents' grid. Only staff are named (from the roster); never an evaluator.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};
use crate::fonts::Fonts;
use crate::notice::{fmt_date, signature, title};
use crate::pdf::{
    Align, Doc, Face, Pages, Style, BLACK, LINE_PITCH, MARGIN_LEFT, MARGIN_TOP, RED, SIZE_2HAO, SIZE_4HAO, TYPE_BOTTOM,
    TYPE_RIGHT, TYPE_W,
};

/// One award as the documents print it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AwardInput {
    /// 服务明星 or 办事能手.
    pub title: String,
    pub name: String,
    pub employee_no: String,
    pub unit_name: String,
    /// The small-sample-corrected satisfaction, 0–1.
    pub score: f64,
    pub sample_size: i64,
}

/// The documents' common facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AwardsInput {
    /// 2026年11月, 2026年第四季度, 2026年度.
    pub period_label: String,
    /// The supervision office that confirmed them (signature).
    pub issuer: String,
    pub issue_date: NaiveDate,
    pub awards: Vec<AwardInput>,
}

impl AwardsInput {
    fn validate(&self) -> Result<()> {
        if self.awards.is_empty() {
            return Err(ReportError::InvalidInput("no award to print".into()));
        }
        if self.issuer.trim().is_empty() || self.period_label.trim().is_empty() {
            return Err(ReportError::InvalidInput("the issuer or the period is empty".into()));
        }
        Ok(())
    }
}

/// The list's columns: header, width in mm.
const COLUMNS: [(&str, f32); 6] =
    [("序号", 12.0), ("称号", 24.0), ("姓名", 22.0), ("工号", 30.0), ("单位", 48.0), ("满意度", 20.0)];

/// Cuts `text` to what fits in `width` mm, ending in … when cut.
fn fit(doc: &Doc<'_>, style: &Style, text: &str, width: f32) -> String {
    if doc.advance(style, text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let next = format!("{out}{c}…");
        if doc.advance(style, &next) > width {
            break;
        }
        out.push(c);
    }
    format!("{out}…")
}

fn list_layout(doc: &mut Doc<'_>, input: &AwardsInput) -> Result<()> {
    doc.new_page()?;
    doc.y = MARGIN_TOP;
    title(doc, &format!("{}“服务明星”“办事能手”名单", input.period_label.trim()))?;
    doc.y += LINE_PITCH * 0.5;
    let body = Style::body();
    doc.paragraph(
        &format!(
            "根据政务服务“好差评”{}评价结果，经公平性校正排名、样本量和差评情况审核，确认以下{}名工作人员为{}“服务明星”“办事能手”，现予公布。",
            input.period_label.trim(),
            input.awards.len(),
            input.period_label.trim()
        ),
        &body,
        2.0,
        Align::Justify,
        LINE_PITCH,
    )?;
    doc.y += LINE_PITCH * 0.3;
    let cell = Style::plain(Face::Body, SIZE_4HAO);
    let head = Style::plain(Face::Hei, SIZE_4HAO);
    let row_h = LINE_PITCH * 0.9;
    let table_w: f32 = COLUMNS.iter().map(|c| c.1).sum();
    let x0 = MARGIN_LEFT + (TYPE_W - table_w) / 2.0;
    let draw_head = |doc: &mut Doc<'_>| -> Result<()> {
        let top = doc.y;
        doc.hline(x0, x0 + table_w, top, 0.5, BLACK);
        let mut x = x0;
        for (h, w) in COLUMNS {
            doc.text_at(&head, x + 1.5, Doc::baseline(&head, top + (row_h - 4.9) / 2.0), h, 0.0)?;
            x += w;
        }
        doc.y = top + row_h;
        doc.hline(x0, x0 + table_w, doc.y, 0.3, BLACK);
        Ok(())
    };
    draw_head(doc)?;
    for (i, a) in input.awards.iter().enumerate() {
        if doc.y + row_h > TYPE_BOTTOM - 2.0 * LINE_PITCH {
            doc.new_page()?;
            doc.y = MARGIN_TOP;
            draw_head(doc)?;
        }
        let top = doc.y;
        let cells = [
            (i + 1).to_string(),
            a.title.clone(),
            a.name.clone(),
            a.employee_no.clone(),
            a.unit_name.clone(),
            format!("{:.1}%", a.score * 100.0),
        ];
        let mut x = x0;
        for ((_, w), text) in COLUMNS.iter().zip(cells) {
            let shown = fit(doc, &cell, &text, w - 3.0);
            doc.text_at(&cell, x + 1.5, Doc::baseline(&cell, top + (row_h - 4.9) / 2.0), &shown, 0.0)?;
            x += w;
        }
        doc.y = top + row_h;
        doc.hline(x0, x0 + table_w, doc.y, 0.2, BLACK);
    }
    doc.y += LINE_PITCH;
    doc.paragraph(
        "满意度为经小样本校正的满意率（贝叶斯收缩），评价数不足或期内有成立差评者不参评。",
        &cell,
        0.0,
        Align::Justify,
        LINE_PITCH * 0.8,
    )?;
    doc.y += LINE_PITCH;
    signature(doc, input.issuer.trim(), input.issue_date)?;
    Ok(())
}

fn certificate_layout(doc: &mut Doc<'_>, input: &AwardsInput, a: &AwardInput) -> Result<()> {
    doc.new_page()?;
    // A red frame around the type area.
    let (top, bottom) = (MARGIN_TOP - 8.0, TYPE_BOTTOM - 2.0);
    let (left, right) = (MARGIN_LEFT - 8.0, TYPE_RIGHT + 8.0);
    for (x0, y0, x1, y1) in
        [(left, top, right, top), (left, bottom, right, bottom), (left, top, left, bottom), (right, top, right, bottom)]
    {
        doc.line(x0, y0, x1, y1, 1.2, RED);
    }
    doc.y = MARGIN_TOP + LINE_PITCH * 2.0;
    let big = Style { color: RED, ..Style::plain(Face::Title, SIZE_2HAO * 1.6) };
    doc.paragraph("荣 誉 证 书", &big, 0.0, Align::Center, LINE_PITCH * 2.0)?;
    doc.y += LINE_PITCH * 2.0;
    let body = Style::body();
    doc.paragraph(&format!("{}同志：", a.name.trim()), &body, 0.0, Align::Justify, LINE_PITCH)?;
    doc.paragraph(
        &format!(
            "你在{}政务服务“好差评”中，获得群众评价{}条，经校正的满意度达{:.1}%，服务优质高效，被评为“{}”。",
            input.period_label.trim(),
            a.sample_size,
            a.score * 100.0,
            a.title.trim()
        ),
        &body,
        2.0,
        Align::Justify,
        LINE_PITCH,
    )?;
    doc.paragraph("特发此证，以资鼓励。", &body, 2.0, Align::Justify, LINE_PITCH)?;
    doc.y += LINE_PITCH;
    let small = Style::plain(Face::Body, SIZE_4HAO);
    doc.paragraph(
        &format!("工号：{}　单位：{}", a.employee_no.trim(), a.unit_name.trim()),
        &small,
        0.0,
        Align::Center,
        LINE_PITCH,
    )?;
    doc.y = TYPE_BOTTOM - 5.0 * LINE_PITCH;
    signature(doc, input.issuer.trim(), input.issue_date)?;
    Ok(())
}

/// The list (名单): one table, numbered, on as many pages as it needs.
pub fn list_pages(fonts: &Fonts, input: &AwardsInput) -> Result<Pages> {
    input.validate()?;
    let mut doc = Doc::new(fonts, &format!("{}服务明星、办事能手名单", input.period_label));
    doc.start_document();
    list_layout(&mut doc, input)?;
    doc.finish()
}

/// One certificate per award, each on its own page.
pub fn certificate_pages(fonts: &Fonts, input: &AwardsInput) -> Result<Pages> {
    input.validate()?;
    let mut doc = Doc::new(fonts, &format!("{}荣誉证书", input.period_label));
    for a in &input.awards {
        doc.start_document();
        certificate_layout(&mut doc, input, a)?;
    }
    doc.finish()
}

/// The list as a PDF.
pub fn render_list(fonts: &Fonts, input: &AwardsInput) -> Result<Vec<u8>> {
    list_pages(fonts, input)?.pdf(fonts)
}

/// The certificates as one PDF.
pub fn render_certificates(fonts: &Fonts, input: &AwardsInput) -> Result<Vec<u8>> {
    certificate_pages(fonts, input)?.pdf(fonts)
}

/// The date as the documents print it.
pub fn date_text(d: NaiveDate) -> String {
    fmt_date(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(n: usize) -> AwardsInput {
        AwardsInput {
            period_label: "2026年11月".into(),
            issuer: "东湖区政务服务管理办公室".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 12, 6).expect("date"),
            awards: (0..n)
                .map(|i| AwardInput {
                    title: if i % 2 == 0 { "服务明星" } else { "办事能手" }.into(),
                    name: format!("刘敏{i}"),
                    employee_no: format!("GH{i:05}"),
                    unit_name: "东湖区政务服务中心（一个很长很长很长很长很长的单位名称）".into(),
                    score: 0.987,
                    sample_size: 45,
                })
                .collect(),
        }
    }

    #[test]
    fn a_list_and_one_certificate_per_award() {
        let Ok(fonts) = Fonts::locate() else { return };
        let list = list_pages(&fonts, &input(3)).expect("list");
        assert_eq!(list.len(), 1);
        let text = list.text().replace('\n', "");
        assert!(text.contains("2026年11月“服务明星”“办事能手”名单"), "{text}");
        assert!(text.contains("刘敏2") && text.contains("98.7%"), "{text}");
        assert!(text.contains("…"), "a long unit name is cut to its column: {text}");
        // A long list goes on over pages, with its head again.
        let long = list_pages(&fonts, &input(40)).expect("long list");
        assert!(long.len() >= 2, "{}", long.len());
        let certs = certificate_pages(&fonts, &input(3)).expect("certificates");
        assert_eq!(certs.len(), 3);
        let text = certs.text().replace('\n', "");
        assert!(text.contains("荣 誉 证 书") && text.contains("刘敏1同志：") && text.contains("“办事能手”"), "{text}");
        let pdf = render_certificates(&fonts, &input(1)).expect("pdf");
        assert!(pdf.starts_with(b"%PDF"));
        assert!(list_pages(&fonts, &input(0)).is_err(), "nothing to print is an error");
    }
}
