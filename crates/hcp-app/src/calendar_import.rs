//! Reading a year's holiday arrangement from the State Council notice (国务院办公厅关于 XXXX 年部分
//! 节假日安排的通知) as an administrator pastes it — the notice's text or its table — into the
//! holiday-cn form the server imports, and what importing it would change.
//!
//! The notice's lines read like `一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）
//! 上班。`; a table row like `春节 | 2月15日至23日 | 2月14日（周六）、2月28日（周六）上班 | 9`. A date
//! range (… 至 …) or a single date is the holiday; dates in a part that says 上班 are make-up
//! working days. A year written out (`2025年12月28日`) sets the year of the dates after it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use hcp_domain::calendar::{CalendarYear, Notice};
use hcp_domain::Calendar;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The holidays the notices name, in the order of a year.
const HOLIDAYS: [&str; 7] = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"];

/// One span of holidays as a screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct HolidayView {
    pub name: String,
    /// YYYY-MM-DD.
    pub first: String,
    pub last: String,
    pub days: u32,
}

/// A make-up working day (调休上班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct WorkdayView {
    pub name: String,
    /// YYYY-MM-DD.
    pub date: String,
}

/// One year of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CalendarYearView {
    pub year: i32,
    /// From a State Council notice (else the provisional arrangement: statutory holidays only).
    pub official: bool,
    /// The notice's number, when official.
    pub notice: Option<String>,
    pub holidays: Vec<HolidayView>,
    pub workdays: Vec<WorkdayView>,
}

/// What importing a pasted notice would change, before the administrator confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CalendarImportPreview {
    pub year: i32,
    pub notice_number: String,
    /// The year as it would be.
    pub incoming: CalendarYearView,
    /// What the year is counted on now: `official`, `provisional` or `none`.
    pub replaces: String,
    /// Days that become days off (YYYY-MM-DD).
    pub new_days_off: Vec<String>,
    /// Days off now that become ordinary days again.
    pub no_longer_off: Vec<String>,
    /// Make-up working days added.
    pub new_workdays: Vec<String>,
    /// Make-up working days dropped.
    pub dropped_workdays: Vec<String>,
}

/// A notice read from the pasted text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedNotice {
    pub year: i32,
    pub notice: Notice,
    pub year_data: CalendarYear,
}

impl ParsedNotice {
    /// `{"year", "days": [{"name", "date", "isOffDay"}]}` as the server's import takes it.
    pub fn holiday_cn_json(&self) -> serde_json::Value {
        let mut days = Vec::new();
        for h in &self.year_data.holidays {
            let mut d = h.first;
            while d <= h.last {
                days.push(
                    serde_json::json!({ "name": h.name, "date": d.format("%Y-%m-%d").to_string(), "isOffDay": true }),
                );
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        for w in &self.year_data.working_days {
            days.push(
                serde_json::json!({ "name": w.name, "date": w.date.format("%Y-%m-%d").to_string(), "isOffDay": false }),
            );
        }
        serde_json::json!({ "year": self.year, "days": days })
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// Drops parenthesised remarks (（周四）, (农历腊月二十八)), which carry no dates we need.
fn without_remarks(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The number such as `国办发明电〔2025〕7号`.
fn notice_number(text: &str) -> Option<String> {
    let start = text.find("国办发")?;
    let rest = &text[start..];
    let end = rest.find('号')?;
    let n = &rest[..end + '号'.len_utf8()];
    (n.chars().count() <= 30).then(|| n.to_owned())
}

/// The year the notice arranges: `关于2027年部分节假日安排`, else the first year written out.
fn notice_year(text: &str) -> Option<i32> {
    let four = |s: &str| -> Option<i32> {
        let digits: String =
            s.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
        (digits.len() == 4).then(|| digits.parse().ok()).flatten()
    };
    if let Some(i) = text.find("年部分节假日") {
        if let Some(y) = four(&text[..i]) {
            return Some(y);
        }
    }
    text.match_indices('年').find_map(|(i, _)| four(&text[..i]))
}

/// The dates of a segment in order, and whether each came after a `至`.
fn dates(segment: &str, year: i32) -> ApiResult<Vec<(NaiveDate, bool)>> {
    let mut out = Vec::new();
    let (mut y, mut month, mut num, mut after_to) = (year, None::<u32>, String::new(), false);
    for c in segment.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: Option<u32> = if num.is_empty() { None } else { num.parse().ok() };
        num.clear();
        match (c, n) {
            ('年', Some(n)) => y = n as i32,
            ('月', Some(n)) => month = Some(n),
            // A number before 号 with no month yet is a document number (国办发明电〔2025〕7号), not a day.
            ('日' | '号', Some(n)) if month.is_some() => {
                let m = month.unwrap_or_default();
                let d = NaiveDate::from_ymd_opt(y, m, n)
                    .ok_or_else(|| invalid(format!("“{segment}”中有不存在的日期：{y}年{m}月{n}日")))?;
                out.push((d, after_to));
                after_to = false;
            }
            ('至' | '~' | '～' | '—' | '-', _) => after_to = true,
            _ => {}
        }
    }
    Ok(out)
}

/// Reads the notice pasted by an administrator.
pub fn parse(text: &str) -> ApiResult<ParsedNotice> {
    if text.chars().count() > 20_000 {
        return Err(invalid("粘贴的内容过长：请只粘贴通知的正文或表格"));
    }
    let number =
        notice_number(text).ok_or_else(|| invalid("未找到通知文号：请连同文号（如 国办发明电〔2025〕7号）一起粘贴"))?;
    let year =
        notice_year(text).ok_or_else(|| invalid("未找到通知所安排的年份（如“关于2027年部分节假日安排的通知”）"))?;
    if !(2000..=2100).contains(&year) {
        return Err(invalid(format!("年份 {year} 不在 2000–2100 之间")));
    }
    let mut holidays: Vec<hcp_domain::calendar::HolidaySpan> = Vec::new();
    let mut working_days: Vec<hcp_domain::calendar::MakeupDay> = Vec::new();
    // Remarks first (they may hold 、 after 初七), then each numbered item on a line of its own, so a
    // notice pasted without its line breaks (copied from a PDF, say) reads the same.
    let mut body = without_remarks(text);
    for ordinal in ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、"] {
        body = body.replace(ordinal, &format!("\n{ordinal}"));
    }
    for line in body.lines() {
        let mut names: Vec<(usize, &str)> = HOLIDAYS.iter().filter_map(|h| line.find(h).map(|i| (i, *h))).collect();
        if names.is_empty() {
            continue;
        }
        names.sort_unstable();
        let name = names.iter().map(|(_, n)| *n).collect::<Vec<_>>().join("、");
        for segment in line.split(['。', '；', ';', '|', '\t', '，', ',']).flat_map(split_cells) {
            let found = dates(&segment, year)?;
            if found.is_empty() {
                continue;
            }
            if segment.contains("上班") {
                working_days.extend(
                    found.into_iter().map(|(date, _)| hcp_domain::calendar::MakeupDay { name: name.clone(), date }),
                );
            } else {
                let first = found[0].0;
                let last = found.iter().skip(1).find(|(_, to)| *to).map_or(first, |(d, _)| *d);
                if last < first || (last - first).num_days() > 15 {
                    return Err(invalid(format!("{name}的放假时间“{segment}”无法识别")));
                }
                holidays.push(hcp_domain::calendar::HolidaySpan { name: name.clone(), first, last });
            }
        }
    }
    if holidays.is_empty() {
        return Err(invalid("未识别出任何放假安排：请粘贴通知中“一、元旦：……”起的正文，或其表格"));
    }
    holidays.sort_by_key(|h| h.first);
    holidays.dedup();
    working_days.sort_by_key(|w| w.date);
    working_days.dedup();
    let title = format!("国务院办公厅关于{year}年部分节假日安排的通知");
    let notice = Notice { number, title, url: String::new() };
    let year_data = CalendarYear { year, notices: vec![notice.clone()], holidays, working_days };
    // The same checks as the server's (overlaps, a make-up day inside a holiday…).
    Calendar::bundled().with_year(year_data.clone()).map_err(|e| invalid(format!("放假安排有误：{e}")))?;
    Ok(ParsedNotice { year, notice, year_data })
}

/// A table cell pasted with spaces between the columns.
fn split_cells(s: &str) -> Vec<String> {
    let s = s.replace(" 至 ", "至").replace(" 上班", "上班");
    s.split_whitespace().map(str::to_owned).collect()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn year_view(y: &CalendarYear, official: bool) -> CalendarYearView {
    CalendarYearView {
        year: y.year,
        official,
        notice: official.then(|| y.notices.first().map(|n| n.number.clone())).flatten(),
        holidays: y
            .holidays
            .iter()
            .map(|h| HolidayView {
                name: h.name.clone(),
                first: day(h.first),
                last: day(h.last),
                days: (h.last - h.first).num_days() as u32 + 1,
            })
            .collect(),
        workdays: y.working_days.iter().map(|w| WorkdayView { name: w.name.clone(), date: day(w.date) }).collect(),
    }
}

/// The calendar's years, newest first: official arrangements and the provisional ones.
pub fn years_view(calendar: &Calendar) -> Vec<CalendarYearView> {
    let mut out: Vec<CalendarYearView> = calendar.data().years.iter().map(|y| year_view(y, true)).collect();
    out.extend(calendar.provisional_arrangements().iter().map(|y| year_view(y, false)));
    out.sort_by_key(|y| std::cmp::Reverse(y.year));
    out.dedup_by_key(|y| y.year);
    out
}

fn off_days(y: &CalendarYear) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    for h in &y.holidays {
        let mut d = h.first;
        while d <= h.last {
            out.insert(d);
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    out
}

/// What importing `text` would change in `current`.
pub fn preview(current: &Calendar, text: &str) -> ApiResult<CalendarImportPreview> {
    let parsed = parse(text)?;
    let year = parsed.year;
    let (before, replaces) = match current.data().years.iter().find(|y| y.year == year) {
        Some(y) => (Some(y.clone()), "official"),
        None => match current.provisional_arrangements().iter().find(|y| y.year == year) {
            Some(y) => (Some(y.clone()), "provisional"),
            None => (None, "none"),
        },
    };
    let empty = CalendarYear { year, notices: vec![], holidays: vec![], working_days: vec![] };
    let before = before.unwrap_or(empty);
    let (old_off, new_off) = (off_days(&before), off_days(&parsed.year_data));
    let old_work: BTreeSet<NaiveDate> = before.working_days.iter().map(|w| w.date).collect();
    let new_work: BTreeSet<NaiveDate> = parsed.year_data.working_days.iter().map(|w| w.date).collect();
    let list = |s: BTreeSet<&NaiveDate>| s.into_iter().map(|d| day(*d)).collect::<Vec<_>>();
    Ok(CalendarImportPreview {
        year,
        notice_number: parsed.notice.number.clone(),
        incoming: year_view(&parsed.year_data, true),
        replaces: replaces.to_owned(),
        new_days_off: list(new_off.difference(&old_off).collect()),
        no_longer_off: list(old_off.difference(&new_off).collect()),
        new_workdays: list(new_work.difference(&old_work).collect()),
        dropped_workdays: list(old_work.difference(&new_work).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 2026 notice (国办发明电〔2025〕7号) as published.
    const NOTICE_2026: &str = "国务院办公厅关于2026年部分节假日安排的通知\n国办发明电〔2025〕7号\n\
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n\
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。\n\
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n\
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。\n\
三、清明节：4月4日（周六）至6日（周一）放假，共3天。\n\
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。\n\
五、端午节：6月19日（周五）至21日（周日）放假，共3天。\n\
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。\n\
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。\n";

    fn official_2026() -> CalendarYear {
        let json = std::fs::read_to_string(format!(
            "{}/../../../shared/data/holiday-cn/2026.json",
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
        ))
        .ok();
        let notice =
            Notice { number: "国办发明电〔2025〕7号".into(), title: String::new(), url: String::new() };
        match json {
            Some(j) => CalendarYear::from_holiday_cn(&j, notice).expect("holiday-cn 2026"),
            None => parse(NOTICE_2026).expect("parse").year_data,
        }
    }

    #[test]
    fn the_2026_notice_text_reads_as_the_official_data_set() {
        let p = parse(NOTICE_2026).expect("parse");
        assert_eq!(p.year, 2026);
        assert_eq!(p.notice.number, "国办发明电〔2025〕7号");
        let official = official_2026();
        assert_eq!(off_days(&p.year_data), off_days(&official));
        let work: Vec<_> = p.year_data.working_days.iter().map(|w| day(w.date)).collect();
        assert_eq!(work, ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]);
        let json = p.holiday_cn_json();
        assert_eq!(json["days"].as_array().map(Vec::len), Some(33 + 6));
    }

    #[test]
    fn a_pasted_table_reads_the_same() {
        let table = "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）\n\
节日\t放假时间\t调休上班日期\t放假天数\n\
元旦\t1月1日至3日\t1月4日（周日）上班\t3天\n\
春节\t2月15日至23日\t2月14日（周六）、2月28日（周六）上班\t9天\n\
清明节\t4月4日至6日\t\t3天\n\
劳动节\t5月1日至5日\t5月9日（周六）上班\t5天\n\
端午节\t6月19日至21日\t\t3天\n\
中秋节\t9月25日至27日\t\t3天\n\
国庆节\t10月1日至7日\t9月20日（周日）、10月10日（周六）上班\t7天\n";
        let a = parse(table).expect("table");
        let b = parse(NOTICE_2026).expect("text");
        assert_eq!(a.year_data.holidays, b.year_data.holidays);
        assert_eq!(a.year_data.working_days, b.year_data.working_days);
    }

    #[test]
    fn a_notice_pasted_without_its_line_breaks_reads_the_same() {
        let one_line = NOTICE_2026.replace('\n', " ");
        let a = parse(&one_line).expect("one line");
        let b = parse(NOTICE_2026).expect("text");
        assert_eq!(a.year_data.holidays, b.year_data.holidays);
        assert_eq!(a.year_data.working_days, b.year_data.working_days);
    }

    #[test]
    fn nonsense_is_refused_with_what_to_do() {
        assert!(parse("hello").expect_err("no number").message.contains("文号"));
        let no_days = "国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕1号";
        assert!(parse(no_days).expect_err("nothing").message.contains("未识别"));
        let bad = "关于2027年部分节假日安排 国办发明电〔2026〕1号\n一、元旦：2月30日至31日放假";
        assert_eq!(parse(bad).expect_err("bad date").code, ErrorCode::InvalidInput);
    }

    #[test]
    fn the_preview_says_what_changes_against_the_provisional_year() {
        // A calendar without 2026's notice counts 2026 on the statutory holidays only.
        let mut data = Calendar::bundled().data().clone();
        data.years.retain(|y| y.year < 2026);
        let current = Calendar::from_data(data).expect("calendar");
        let p = preview(&current, NOTICE_2026).expect("preview");
        assert_eq!(p.replaces, "provisional");
        assert!(p.new_workdays.contains(&"2026-02-14".to_owned()), "{p:?}");
        assert!(
            p.new_days_off.contains(&"2026-02-22".to_owned()) || p.new_days_off.contains(&"2026-02-23".to_owned()),
            "{p:?}"
        );
        // Against the bundled calendar, which has the official 2026, nothing changes.
        let same = preview(&Calendar::bundled(), NOTICE_2026).expect("preview");
        assert_eq!(same.replaces, "official");
        assert!(
            same.new_days_off.is_empty() && same.no_longer_off.is_empty() && same.new_workdays.is_empty(),
            "{same:?}"
        );
    }
}
