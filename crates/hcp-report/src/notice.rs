//! The notices of a case, A4 PDFs laid out per GB/T 9704-2012 in one layout (red header, 文号,
//! title, recipient, body, signature, 版记): the 整改通知书 (rectification notice, or 督办整改通知书
//! once overdue), the 催办通知书 (reminder) and the 督办通知单 (supervision sheet). Only the title
//! and the body's wording differ by [`NoticeKind`].
//!
//! The notice states the facts of the case (item, date, level, content) and
//! never the evaluator's identity: the input has no field for it, and long
//! digit runs in the free text (phone or ID numbers) are masked.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};
use crate::fonts::Fonts;
use crate::pdf::{
    pt_to_mm, Align, Doc, Face, Pages, Style, CHAR_PITCH, LINE_PITCH, MARGIN_LEFT, MARGIN_TOP, RED, SIZE_2HAO,
    SIZE_4HAO, TYPE_BOTTOM, TYPE_RIGHT, TYPE_W,
};

/// Which notice of a case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 整改通知书: the case handed over for rectification (a 督办整改通知书 once overdue).
    #[default]
    Rectification,
    /// 催办通知书: a reminder to the responsible unit that the case is late or nearly so.
    Reminder,
    /// 督办通知单: the case put under supervision at its rung of the escalation ladder.
    Supervision,
}

impl NoticeKind {
    /// The notice's name, e.g. for file names: 整改通知书, 催办通知书, 督办通知单.
    pub fn name_zh(self) -> &'static str {
        match self {
            NoticeKind::Rectification => "整改通知书",
            NoticeKind::Reminder => "催办通知书",
            NoticeKind::Supervision => "督办通知单",
        }
    }
}

/// Everything a notice shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeInput {
    /// Which notice (the register's notices from before 催办 and 督办 are rectification notices).
    #[serde(default)]
    pub kind: NoticeKind,
    /// The supervisor's note (催办意见 / 督办意见), quoted in a reminder or supervision sheet.
    #[serde(default)]
    pub note: Option<String>,
    /// Issuing unit (发文机关), also the signature.
    pub issuing_unit: String,
    /// Red header (发文机关标志); defaults to "{issuing_unit}文件".
    pub header_title: Option<String>,
    /// Prefix of the document number (发文机关代字), e.g. "示政管督"; may be empty.
    pub doc_prefix: String,
    /// Year of the document number.
    pub doc_year: i32,
    /// Sequence of the document number; `None` while the notice is not numbered yet (a preview
    /// of a notice to be issued: the number is left blank).
    pub doc_no: Option<u32>,
    /// Title; defaults to "政务服务“好差评”差评整改通知书", or "…督办整改通知书" when overdue.
    pub title: Option<String>,
    /// Recipient unit (主送机关).
    pub recipient_unit: String,
    /// The case number (工单编号).
    pub case_no: String,
    /// The service record number (办件编号) the rating concerns, when there is one.
    #[serde(default)]
    pub service_record_no: Option<String>,
    /// Service item name.
    pub item_name: String,
    /// Date of the service / rating.
    pub service_date: NaiveDate,
    /// Level as shown to readers, e.g. "非常不满意".
    pub level_label: String,
    /// Content of the review (free text and/or content-code descriptions).
    pub content: String,
    /// Rectification required, one item per entry.
    pub rectification_required: Vec<String>,
    /// Where the case stands against its deadline on the date of issue.
    pub status: NoticeStatus,
    /// The rung of the escalation ladder the case is at, when above the first line (e.g. 追责问责).
    #[serde(default)]
    pub escalation: Option<String>,
    /// How often the citizen was not satisfied and the case went round again.
    #[serde(default)]
    pub reopened: u32,
    /// Date of issue (成文日期).
    pub issue_date: NaiveDate,
    /// Optional note (附注), e.g. contact person and phone of the issuing office.
    pub contact: Option<String>,
    /// Copy-to units (抄送机关) shown in the 版记.
    pub cc: Vec<String>,
    /// The case's evidence files, listed as 附件 under the body.
    #[serde(default)]
    pub attachments: Vec<crate::attachments::AttachmentLine>,
    /// Photos printed as 附图 pages after the notice.
    #[serde(skip)]
    pub appendix: Vec<crate::attachments::AppendixImage>,
}

/// Where a case stands against its rectification deadline when the notice is issued: the notice
/// states the case's real deadline and never grants a fresh one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Rectification runs: due by the end of `deadline`, `working_days_left` working days after
    /// the date of issue (0: due that day).
    Running { deadline: NaiveDate, working_days_left: u32 },
    /// An extension request waits for approval: the clock stands at `deadline`.
    Paused { deadline: NaiveDate },
    /// The deadline passed `working_days_overdue` working days before the date of issue.
    Overdue { deadline: NaiveDate, working_days_overdue: u32 },
}

impl NoticeStatus {
    /// The deadline the case has.
    pub fn deadline(&self) -> NaiveDate {
        match self {
            NoticeStatus::Running { deadline, .. }
            | NoticeStatus::Paused { deadline }
            | NoticeStatus::Overdue { deadline, .. } => *deadline,
        }
    }
}

/// The default title of a notice: an overdue case gets a 督办 notice.
pub const TITLE_RECTIFICATION: &str = "政务服务“好差评”差评整改通知书";
pub const TITLE_URGING: &str = "政务服务“好差评”差评督办整改通知书";
pub const TITLE_REMINDER: &str = "政务服务“好差评”差评工单催办通知书";
pub const TITLE_SUPERVISION: &str = "政务服务“好差评”差评工单督办通知单";

/// Formats a date the way official documents do: 2026年3月20日.
pub fn fmt_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Chinese numeral for list numbering (1 → 一, 12 → 十二).
pub fn chinese_numeral(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", D[n % 10]),
        20..=99 => {
            let ones = if n.is_multiple_of(10) { "" } else { D[n % 10] };
            format!("{}十{}", D[n / 10], ones)
        }
        _ => n.to_string(),
    }
}

/// Masks long digit runs (phone, ID card or bank numbers) in free text,
/// keeping the first three and last two characters.
pub fn redact_personal_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == 'X' || chars[j] == 'x') {
                j += 1;
            }
            let run = &chars[i..j];
            if run.len() >= 7 {
                for (k, c) in run.iter().enumerate() {
                    out.push(if k < 3 || k + 2 >= run.len() { *c } else { '*' });
                }
            } else {
                out.extend(run);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

impl NoticeInput {
    /// The document number, e.g. "示政管督〔2026〕12号"; the sequence is left blank ("示政管督〔2026〕　号")
    /// until the notice is numbered.
    pub fn doc_number(&self) -> String {
        match self.doc_no {
            Some(n) => format!("{}〔{}〕{}号", self.doc_prefix, self.doc_year, n),
            None => format!("{}〔{}〕\u{3000}\u{3000}号", self.doc_prefix, self.doc_year),
        }
    }

    /// The title printed: the given one, else a 整改通知书, or a 整改督办通知书 for an overdue case.
    pub fn title_text(&self) -> String {
        self.title.clone().unwrap_or_else(|| match (self.kind, &self.status) {
            (NoticeKind::Reminder, _) => TITLE_REMINDER.to_owned(),
            (NoticeKind::Supervision, _) => TITLE_SUPERVISION.to_owned(),
            (NoticeKind::Rectification, NoticeStatus::Overdue { .. }) => TITLE_URGING.to_owned(),
            (NoticeKind::Rectification, _) => TITLE_RECTIFICATION.to_owned(),
        })
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(ReportError::InvalidInput(format!("notice {}: {m}", self.doc_number())));
        if self.issuing_unit.trim().is_empty() {
            return bad("issuing unit is empty");
        }
        if self.recipient_unit.trim().is_empty() {
            return bad("recipient unit is empty");
        }
        if self.rectification_required.iter().all(|r| r.trim().is_empty()) {
            return bad("no rectification required");
        }
        match self.status {
            NoticeStatus::Running { deadline, .. } if deadline < self.issue_date => {
                bad("a running deadline before the date of issue")
            }
            NoticeStatus::Overdue { deadline, .. } if deadline >= self.issue_date => {
                bad("an overdue case whose deadline has not passed")
            }
            _ => Ok(()),
        }
    }

    /// The facts of the case: the review and what became of it, in every kind of notice.
    fn facts(&self) -> String {
        let content = redact_personal_numbers(self.content.trim());
        let content = content.trim_end_matches(['。', '.', '；', ';', '，', ',']);
        let record = match self.service_record_no.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(no) => format!("（办件编号：{no}）"),
            None => String::new(),
        };
        let mut facts = format!(
            "{}，办事群众在你单位办理“{}”事项{}后作出“{}”评价，评价内容为：“{}”。该差评已立为工单（工单编号：{}），经核实，反映的问题属实。",
            fmt_date(self.service_date),
            self.item_name.trim(),
            record,
            self.level_label.trim(),
            content,
            self.case_no.trim(),
        );
        if self.reopened > 0 {
            facts.push_str(&format!("经回访，办事群众对整改结果不满意，该工单已重新办理{}次。", self.reopened));
        }
        facts
    }

    /// "已逾期N个工作日" or "已超过整改期限" (over a weekend only).
    fn late_by(working_days_overdue: u32) -> String {
        if working_days_overdue == 0 {
            "已超过整改期限".to_owned()
        } else {
            format!("已逾期{working_days_overdue}个工作日")
        }
    }

    /// The supervisor's note as its own paragraph, when there is one.
    fn note_paragraph(&self, label: &str) -> Option<String> {
        let note = redact_personal_numbers(self.note.as_deref().map(str::trim).unwrap_or(""));
        let note = note.trim_end_matches(['。', '.', '；', ';', '，', ',']);
        (!note.is_empty()).then(|| format!("{label}：{note}。"))
    }

    /// The body paragraphs (after the recipient line), as plain text.
    pub fn body_paragraphs(&self) -> Vec<String> {
        let (lead, closing) = match self.kind {
            NoticeKind::Rectification => self.rectification_body(),
            NoticeKind::Reminder => self.reminder_body(),
            NoticeKind::Supervision => self.supervision_body(),
        };
        let mut paras = vec![self.facts()];
        paras.extend(lead);
        for (i, r) in self.rectification_required.iter().filter(|r| !r.trim().is_empty()).enumerate() {
            paras.push(format!("（{}）{}", chinese_numeral(i + 1), r.trim()));
        }
        paras.push(closing);
        paras
    }

    /// Where the case stands, as a reminder or supervision sheet says it.
    fn standing_text(&self) -> String {
        match self.status {
            NoticeStatus::Running { deadline, working_days_left: 0 } => {
                format!("该工单整改期限为{}，今日到期，目前尚未报送整改结果。", fmt_date(deadline))
            }
            NoticeStatus::Running { deadline, working_days_left } => format!(
                "该工单整改期限为{}，距期限仅剩{}个工作日，目前尚未报送整改结果。",
                fmt_date(deadline),
                working_days_left
            ),
            NoticeStatus::Paused { deadline } => format!(
                "该工单整改期限原定为{}，你单位的延期申请正在审批中，目前尚未报送整改结果。",
                fmt_date(deadline)
            ),
            NoticeStatus::Overdue { deadline, working_days_overdue } => format!(
                "该工单整改期限为{}，截至{}{}，你单位仍未完成整改。",
                fmt_date(deadline),
                fmt_date(self.issue_date),
                Self::late_by(working_days_overdue)
            ),
        }
    }

    fn reminder_body(&self) -> (Vec<String>, String) {
        let issuer = self.issuing_unit.trim();
        let mut lead = vec![format!("{}根据政务服务“好差评”工作有关规定，现予催办。", self.standing_text())];
        lead.extend(self.note_paragraph("催办意见"));
        lead.push("请你单位：".to_owned());
        let closing = match self.status {
            NoticeStatus::Overdue { .. } => format!(
                "请你单位接此通知后立即办理，并将办理进展、逾期原因和群众回访结果书面报送{issuer}。仍未完成整改的，将按督办规则逐级升级，直至追责问责。"
            ),
            _ => format!(
                "请你单位在整改期限内完成整改，并将整改落实情况和群众回访结果书面报送{issuer}。逾期未完成的，将按有关规定予以督办。"
            ),
        };
        (lead, closing)
    }

    fn supervision_body(&self) -> (Vec<String>, String) {
        let issuer = self.issuing_unit.trim();
        let rung = self.escalation.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let listed = match rung {
            Some(r) => format!("该工单已升级至“{r}”，由{issuer}挂牌督办。"),
            None => format!("该工单由{issuer}挂牌督办。"),
        };
        let mut lead = vec![format!("{}{listed}", self.standing_text())];
        lead.extend(self.note_paragraph("督办意见"));
        lead.push("督办要求如下：".to_owned());
        let closing = if rung == Some("追责问责") {
            format!(
                "请你单位立即完成整改，并将整改落实情况、逾期原因、责任人员和群众回访结果书面报送{issuer}。该工单已进入追责问责程序，将依规依纪追究相关单位和人员的责任。"
            )
        } else {
            format!(
                "请你单位立即完成整改，并将整改落实情况、逾期原因和群众回访结果书面报送{issuer}。仍未完成整改的，将按督办规则逐级升级，直至追责问责。"
            )
        };
        (lead, closing)
    }

    fn rectification_body(&self) -> (Vec<String>, String) {
        let rung = self.escalation.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let escalated = rung.map_or(String::new(), |r| format!("该工单已升级至“{r}”。"));
        let issuer = self.issuing_unit.trim();
        let (charge, closing) = match self.status {
            NoticeStatus::Running { deadline, working_days_left } => (
                format!("{escalated}根据政务服务“好差评”工作有关规定，现将该差评问题交你单位限期整改。具体要求如下："),
                if working_days_left == 0 {
                    format!(
                        "该工单整改期限为{}，请你单位于当日完成整改，并将整改落实情况和群众回访结果书面报送{issuer}。逾期未完成整改或整改不到位的，将按有关规定予以督办通报。",
                        fmt_date(deadline)
                    )
                } else {
                    format!(
                        "请你单位于{}个工作日内（{}前）完成整改，并将整改落实情况和群众回访结果书面报送{issuer}。逾期未完成整改或整改不到位的，将按有关规定予以督办通报。",
                        working_days_left,
                        fmt_date(deadline)
                    )
                },
            ),
            NoticeStatus::Paused { deadline } => (
                format!("{escalated}根据政务服务“好差评”工作有关规定，现将该差评问题交你单位限期整改。具体要求如下："),
                format!(
                    "你单位的延期申请正在审批中，整改期限（原定{}）以审批结果为准。审批期间请继续推进整改，并将整改落实情况和群众回访结果书面报送{issuer}。",
                    fmt_date(deadline)
                ),
            ),
            NoticeStatus::Overdue { deadline, working_days_overdue } => (
                format!(
                    "该工单整改期限为{}，截至{}{}，你单位仍未完成整改。{escalated}根据政务服务“好差评”工作有关规定，现予督办。具体要求如下：",
                    fmt_date(deadline),
                    fmt_date(self.issue_date),
                    Self::late_by(working_days_overdue)
                ),
                format!(
                    "请你单位立即完成整改，并将整改落实情况、逾期原因和群众回访结果书面报送{issuer}。{}",
                    if rung == Some("追责问责") {
                        "该工单已进入追责问责程序，将依规依纪追究相关单位和人员的责任。"
                    } else {
                        "仍未完成整改的，将按督办规则逐级升级，直至追责问责。"
                    }
                ),
            ),
        };
        (vec![charge], closing)
    }
}

/// Snaps a y position down to the next line of the body grid.
fn snap_to_grid(y: f32) -> f32 {
    let k = ((y - MARGIN_TOP) / LINE_PITCH - 0.001).ceil().max(0.0);
    MARGIN_TOP + k * LINE_PITCH
}

/// Draws the red 版头: 发文机关标志, 发文字号 and the red separator line.
/// Returns the y of the separator line.
pub(crate) fn red_header(doc: &mut Doc<'_>, header: &str, doc_number: &str) -> Result<f32> {
    let mut hs = Style { face: Face::Title, size: 40.0, color: RED, cell: None };
    let natural = doc.ink_width(&hs, header).max(1.0);
    let mut scale = (TYPE_W * 0.98 / natural * 100.0).min(100.0);
    if scale < 60.0 {
        hs.size *= scale / 60.0;
        scale = 60.0;
    }
    let width = doc.ink_width(&hs, header) * scale / 100.0;
    // GB/T 9704 7.2.3: the header's top edge is 35 mm below the type area's top edge.
    let top = MARGIN_TOP + 35.0;
    let x = MARGIN_LEFT + (TYPE_W - width) / 2.0;
    doc.text_scaled(&hs, x, Doc::baseline(&hs, top), header, 0.0, scale)?;
    let header_bottom = top + pt_to_mm(hs.size);
    // 发文字号: two blank lines below the header, centred.
    let ns = Style::plain(Face::Body, crate::pdf::SIZE_3HAO);
    let no_top = header_bottom + 2.0 * LINE_PITCH - (LINE_PITCH - pt_to_mm(ns.size));
    let w = doc.ink_width(&ns, doc_number);
    doc.text_at(&ns, MARGIN_LEFT + (TYPE_W - w) / 2.0, Doc::baseline(&ns, no_top), doc_number, 0.0)?;
    // Red separator 4 mm below the document number, as wide as the type area.
    let line_y = no_top + pt_to_mm(ns.size) + 4.0;
    doc.hline(MARGIN_LEFT, TYPE_RIGHT, line_y, 0.6, RED);
    Ok(line_y)
}

/// Draws a centred multi-line title in 2号 小标宋 starting at the cursor.
pub(crate) fn title(doc: &mut Doc<'_>, text: &str) -> Result<()> {
    let ts = Style::plain(Face::Title, SIZE_2HAO);
    doc.paragraph(text, &ts, 0.0, Align::Center, LINE_PITCH)
}

/// Draws the signature and the date: date four characters from the right
/// margin, signature centred on the date (GB/T 9704 7.3.5.2, unsealed).
pub(crate) fn signature(doc: &mut Doc<'_>, unit: &str, date: NaiveDate) -> Result<()> {
    let st = Style::body();
    doc.ensure(2.0 * LINE_PITCH)?;
    let date_text = fmt_date(date);
    let date_w = doc.ink_width(&st, &date_text);
    let date_end = TYPE_RIGHT - 4.0 * CHAR_PITCH;
    let centre = date_end - date_w / 2.0;
    let sig_w = doc.ink_width(&st, unit);
    let sig_x = (centre - sig_w / 2.0).min(TYPE_RIGHT - sig_w).max(MARGIN_LEFT);
    let y = doc.y;
    doc.text_at(&st, sig_x, Doc::baseline(&st, y), unit, 0.0)?;
    let y2 = y + LINE_PITCH;
    doc.text_at(&st, date_end - date_w, Doc::baseline(&st, y2), &date_text, 0.0)?;
    doc.y = y2 + LINE_PITCH;
    Ok(())
}

/// Draws the 版记 (copy-to and printing lines) at the bottom of the type area.
pub(crate) fn colophon(doc: &mut Doc<'_>, cc: &[String], printer: &str, printed: NaiveDate) -> Result<()> {
    let st = Style::plain(Face::Body, SIZE_4HAO);
    let em = pt_to_mm(st.size);
    let row_h = LINE_PITCH * 0.8;
    let cc_text =
        if cc.is_empty() { None } else { Some(format!("抄送：{}。", cc.join("，").trim_end_matches('。'))) };
    let cc_lines = match &cc_text {
        Some(t) => {
            let width_of = |s: &str| doc.advance(&st, s);
            crate::pdf::break_lines(t, &width_of, TYPE_W - 2.0 * em, TYPE_W - 2.0 * em - 3.0 * em)
        }
        None => Vec::new(),
    };
    let rows = cc_lines.len() + 1;
    let height = row_h * rows as f32;
    if doc.y + LINE_PITCH > TYPE_BOTTOM - height {
        doc.new_page()?;
    }
    let top = TYPE_BOTTOM - height;
    doc.hline(MARGIN_LEFT, TYPE_RIGHT, top, 0.35, crate::pdf::BLACK);
    let text_top = |row: usize| top + row_h * row as f32 + (row_h - em) / 2.0;
    for (i, l) in cc_lines.iter().enumerate() {
        // Continuation lines align with the first character after the colon.
        let x = MARGIN_LEFT + em + if i == 0 { 0.0 } else { 3.0 * em };
        doc.text_at(&st, x, Doc::baseline(&st, text_top(i)), l, 0.0)?;
    }
    if !cc_lines.is_empty() {
        doc.hline(MARGIN_LEFT, TYPE_RIGHT, top + row_h * cc_lines.len() as f32, 0.25, crate::pdf::BLACK);
    }
    let last = cc_lines.len();
    doc.text_at(&st, MARGIN_LEFT + em, Doc::baseline(&st, text_top(last)), printer, 0.0)?;
    let printed_text = format!("{}印发", fmt_date(printed));
    let w = doc.ink_width(&st, &printed_text);
    doc.text_at(&st, TYPE_RIGHT - em - w, Doc::baseline(&st, text_top(last)), &printed_text, 0.0)?;
    doc.hline(MARGIN_LEFT, TYPE_RIGHT, TYPE_BOTTOM, 0.35, crate::pdf::BLACK);
    Ok(())
}

fn layout(doc: &mut Doc<'_>, n: &NoticeInput) -> Result<()> {
    doc.new_page()?;
    let header = n.header_title.clone().unwrap_or_else(|| format!("{}文件", n.issuing_unit.trim()));
    let line_y = red_header(doc, &header, &n.doc_number())?;
    // Title two lines below the separator.
    doc.y = snap_to_grid(line_y + LINE_PITCH);
    title(doc, &n.title_text())?;
    doc.y = snap_to_grid(doc.y + LINE_PITCH * 0.5);
    let body = Style::body();
    doc.paragraph(&format!("{}：", n.recipient_unit.trim()), &body, 0.0, Align::Justify, LINE_PITCH)?;
    for p in n.body_paragraphs() {
        doc.paragraph(&p, &body, 2.0, Align::Justify, LINE_PITCH)?;
    }
    crate::attachments::list(doc, &n.attachments)?;
    doc.y += LINE_PITCH;
    signature(doc, n.issuing_unit.trim(), n.issue_date)?;
    if let Some(c) = n.contact.as_deref().filter(|c| !c.trim().is_empty()) {
        doc.paragraph(&format!("（{}）", c.trim()), &body, 2.0, Align::Justify, LINE_PITCH)?;
    }
    colophon(doc, &n.cc, n.issuing_unit.trim(), n.issue_date)?;
    crate::attachments::appendix(doc, &n.case_no, &n.appendix, 0)?;
    Ok(())
}

/// Lays one or many notices out; each notice starts on a new page and has its
/// own page numbers. The result draws the PDF and the preview images.
pub fn pages(fonts: &Fonts, notices: &[NoticeInput]) -> Result<Pages> {
    if notices.is_empty() {
        return Err(ReportError::InvalidInput("no notice to render".into()));
    }
    let mut doc = Doc::new(fonts, notices[0].kind.name_zh());
    for n in notices {
        n.validate()?;
        doc.start_document();
        layout(&mut doc, n)?;
    }
    doc.finish()
}

/// Renders one or many notices into a single PDF (see [`pages`]).
pub fn render(fonts: &Fonts, notices: &[NoticeInput]) -> Result<Vec<u8>> {
    pages(fonts, notices)?.pdf(fonts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_and_dates() {
        assert_eq!(chinese_numeral(1), "一");
        assert_eq!(chinese_numeral(10), "十");
        assert_eq!(chinese_numeral(12), "十二");
        assert_eq!(chinese_numeral(20), "二十");
        assert_eq!(chinese_numeral(34), "三十四");
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).expect("date");
        assert_eq!(fmt_date(d), "2026年3月5日");
    }

    #[test]
    fn masks_phone_and_id_numbers() {
        assert_eq!(redact_personal_numbers("电话13812345678联系"), "电话138******78联系");
        assert_eq!(redact_personal_numbers("身份证50010119900101123X"), "身份证500*************3X");
        assert_eq!(redact_personal_numbers("跑了3次，等了120分钟"), "跑了3次，等了120分钟");
    }

    #[test]
    fn document_number_uses_hexagonal_brackets() {
        let mut n = crate::sample::notice();
        assert_eq!(n.doc_number(), "示政管督〔2026〕12号");
        n.doc_no = None;
        assert_eq!(n.doc_number(), "示政管督〔2026〕\u{3000}\u{3000}号", "the number is left blank until issued");
    }

    #[test]
    fn rejects_inconsistent_input() {
        let mut n = crate::sample::notice();
        n.status = NoticeStatus::Running {
            deadline: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            working_days_left: 3,
        };
        assert!(matches!(n.validate(), Err(ReportError::InvalidInput(_))));
        let mut n = crate::sample::notice();
        n.status = NoticeStatus::Overdue { deadline: n.issue_date, working_days_overdue: 2 };
        assert!(n.validate().is_err(), "overdue only after the deadline");
        let mut n = crate::sample::notice();
        n.rectification_required.clear();
        assert!(n.validate().is_err());
    }
}
