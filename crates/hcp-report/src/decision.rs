//! The 问责决定记录 (record of an accountability decision): an A4 PDF in the notices' GB/T 9704
//! layout (title, body paragraphs, signature, 版记) without a red header or a 文号.
//!
//! The decision itself is the discipline-inspection organ's, numbered in its own register; this
//! record documents what the liaison entered against the case (who, when, why, the subject staff
//! member, the evidence lines and the evidence chain's verification state). It never names an
//! evaluator: the input has no field for one, and long digit runs in the free text are masked.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};
use crate::fonts::Fonts;
use crate::notice::{colophon, fmt_date, redact_personal_numbers, signature, title};
use crate::pdf::{Align, Doc, Pages, Style, LINE_PITCH, MARGIN_TOP};

/// One decision as the record prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionInput {
    /// The liaison's unit (signature and 版记).
    pub recording_unit: String,
    pub case_no: String,
    /// The responsible unit of the case.
    pub unit_name: String,
    pub item_name: Option<String>,
    /// The case's content, as the register shows it.
    pub case_summary: String,
    /// 扣减绩效分（3分）, 诫勉谈话, …
    pub decision: String,
    /// The subject: name, staff number and unit (staff of the roster, not an evaluator).
    pub subject: String,
    pub reason: String,
    pub evidence: Vec<String>,
    /// Who recorded it and when (as printed).
    pub decided_by: String,
    pub decided_at: String,
    /// The evidence chain's verification state, as checked (e.g. 已验证（2026年12月6日 14:02 校验）).
    pub chain_state: String,
    pub issue_date: NaiveDate,
    /// The evidence files (问责决定书, 谈话记录…) cited on the case, listed as 附件.
    #[serde(default)]
    pub attachments: Vec<crate::attachments::AttachmentLine>,
    /// Photos printed as 附图 pages after the record.
    #[serde(skip)]
    pub appendix: Vec<crate::attachments::AppendixImage>,
    /// Photos of the case that could not be had for the appendix (it says how many).
    #[serde(skip)]
    pub appendix_missing: u32,
}

impl DecisionInput {
    fn validate(&self) -> Result<()> {
        for (what, v) in [
            ("recording unit", &self.recording_unit),
            ("case number", &self.case_no),
            ("decision", &self.decision),
            ("subject", &self.subject),
            ("reason", &self.reason),
        ] {
            if v.trim().is_empty() {
                return Err(ReportError::InvalidInput(format!("the {what} is empty")));
            }
        }
        Ok(())
    }

    /// The body's paragraphs, in order.
    pub fn paragraphs(&self) -> Vec<String> {
        let mut out =
            vec![format!("工单编号：{}", self.case_no.trim()), format!("责任单位：{}", self.unit_name.trim())];
        if let Some(item) = self.item_name.as_deref().filter(|i| !i.trim().is_empty()) {
            out.push(format!("服务事项：{}", item.trim()));
        }
        out.push(format!("反映内容：{}", redact_personal_numbers(self.case_summary.trim())));
        out.push(format!("问责对象：{}", self.subject.trim()));
        out.push(format!("问责方式：{}", self.decision.trim()));
        out.push(format!("问责理由：{}", redact_personal_numbers(self.reason.trim())));
        if self.evidence.is_empty() {
            out.push("证据材料：无".to_owned());
        } else {
            out.push("证据材料：".to_owned());
            for (i, e) in self.evidence.iter().enumerate() {
                out.push(format!("{}. {}", i + 1, redact_personal_numbers(e.trim())));
            }
        }
        out.push(format!("记录人：{}　记录时间：{}", self.decided_by.trim(), self.decided_at.trim()));
        out.push(format!("证据链校验：{}", self.chain_state.trim()));
        out
    }
}

fn layout(doc: &mut Doc<'_>, d: &DecisionInput) -> Result<()> {
    doc.new_page()?;
    doc.y = MARGIN_TOP + LINE_PITCH;
    title(doc, "问责决定记录")?;
    doc.y += LINE_PITCH * 0.5;
    let body = Style::body();
    for p in d.paragraphs() {
        doc.paragraph(&p, &body, 2.0, Align::Justify, LINE_PITCH)?;
    }
    crate::attachments::list(doc, &d.attachments)?;
    doc.y += LINE_PITCH;
    signature(doc, d.recording_unit.trim(), d.issue_date)?;
    colophon(doc, &[], d.recording_unit.trim(), d.issue_date)?;
    crate::attachments::appendix(doc, &d.case_no, &d.appendix, d.appendix_missing)?;
    Ok(())
}

/// Lays out one or many records; each starts on a new page with its own page numbers.
pub fn pages(fonts: &Fonts, records: &[DecisionInput]) -> Result<Pages> {
    if records.is_empty() {
        return Err(ReportError::InvalidInput("no decision to render".into()));
    }
    let mut doc = Doc::new(fonts, "问责决定记录");
    for d in records {
        d.validate()?;
        doc.start_document();
        layout(&mut doc, d)?;
    }
    doc.finish()
}

/// Renders the records into one PDF.
pub fn render(fonts: &Fonts, records: &[DecisionInput]) -> Result<Vec<u8>> {
    pages(fonts, records)?.pdf(fonts)
}

/// The date as the record prints it.
pub fn date_text(d: NaiveDate) -> String {
    fmt_date(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DecisionInput {
        DecisionInput {
            recording_unit: "东湖区纪委监委派驻纪检监察组".into(),
            case_no: "CP-2026-000123".into(),
            unit_name: "东湖区市场监督管理局窗口".into(),
            item_name: Some("食品经营许可".into()),
            case_summary: "群众反映窗口多次要求补交材料，电话13812345678".into(),
            decision: "诫勉谈话".into(),
            subject: "张三（GH0001，东湖区市场监督管理局窗口）".into(),
            reason: "整改期限内未落实整改措施".into(),
            evidence: vec!["谈话记录.pdf".into(), "整改台账".into()],
            decided_by: "李四".into(),
            decided_at: "2026年12月6日 10:15".into(),
            chain_state: "已验证".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 12, 6).expect("date"),
            attachments: Vec::new(),
            appendix: Vec::new(),
            appendix_missing: 0,
        }
    }

    #[test]
    fn the_body_states_the_decision_and_masks_numbers() {
        let p = sample().paragraphs();
        assert!(p.iter().any(|l| l == "问责方式：诫勉谈话"));
        assert!(p.iter().any(|l| l == "1. 谈话记录.pdf"));
        assert!(p.iter().all(|l| !l.contains("13812345678")), "{p:?}");
        let mut bad = sample();
        bad.reason = " ".into();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn renders_a_pdf_when_fonts_are_installed() {
        let Ok(fonts) = Fonts::locate() else { return };
        let pdf = render(&fonts, &[sample(), sample()]).expect("render");
        assert!(pdf.starts_with(b"%PDF"));
        assert!(render(&fonts, &[]).is_err());
    }
}
