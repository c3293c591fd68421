//! 第三方评价 / 满意度测评: survey and phone-survey results a third party delivers as a table, read
//! row by row into [`SurveyRecord`]s with every problem named (line, column, reason in Chinese).
//!
//! These results are their own source: they are stored and shown **beside** the citizens' ratings
//! and never enter the rating statistics (KPIs, rankings).
//!
//! # Columns (the first row of the file names them; order free, unknown columns refused)
//!
//! | column | required | content |
//! | --- | --- | --- |
//! | 单位编码 | yes | the code of the hall or unit assessed (as in the organisation tree) |
//! | 期间 | yes | the month, `2026-11`; a date (`2026-11-20`, `2026/11/20`) means its month |
//! | 测评方式 | yes | 现场问卷, 电话测评, 网络问卷 or 其他 |
//! | 测评机构 | yes | who carried it out (2–100 characters) |
//! | 样本数 | yes | respondents, a whole number from 1 |
//! | 满意度 | one of the two | the agency's satisfaction score, 0–100, up to two decimals |
//! | 非常满意, 满意, 基本满意, 不满意, 非常不满意 | one of the two | respondents per level, all five or none, adding up to 样本数 |
//! | 备注 | no | up to 500 characters |
//!
//! Without 满意度 the score is the share of respondents at 基本满意 or better (the citizens'
//! 满意率 definition). A row is identified by (单位编码, 期间, 测评方式, 测评机构): the same key twice
//! in one file is an error; importing it again replaces the stored values (the same values change
//! nothing), so re-importing a file never doubles it.

use serde::{Deserialize, Serialize};

use crate::league::LeaguePeriod;

/// How the survey was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SurveyMethod {
    /// 现场问卷
    OnSite,
    /// 电话测评
    Phone,
    /// 网络问卷
    Online,
    /// 其他
    Other,
}

crate::str_enum!(SurveyMethod {
    OnSite => "on_site",
    Phone => "phone",
    Online => "online",
    Other => "other",
});

impl SurveyMethod {
    pub fn label_zh(self) -> &'static str {
        match self {
            SurveyMethod::OnSite => "现场问卷",
            SurveyMethod::Phone => "电话测评",
            SurveyMethod::Online => "网络问卷",
            SurveyMethod::Other => "其他",
        }
    }

    /// Reads the Chinese label (or the code).
    pub fn from_label(s: &str) -> Option<SurveyMethod> {
        let s = s.trim();
        SurveyMethod::ALL.into_iter().find(|m| m.label_zh() == s || m.as_str() == s)
    }
}

/// The columns, as the file's header names them.
pub const COLUMNS: [&str; 12] = [
    "单位编码",
    "期间",
    "测评方式",
    "测评机构",
    "样本数",
    "满意度",
    "非常满意",
    "满意",
    "基本满意",
    "不满意",
    "非常不满意",
    "备注",
];
const REQUIRED: [&str; 5] = ["单位编码", "期间", "测评方式", "测评机构", "样本数"];
const LEVELS: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

/// Rows per file, at most.
pub const MAX_ROWS: usize = 5000;

/// Respondents per level, from 非常满意 down to 非常不满意.
pub type LevelCounts = [u32; 5];

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRecord {
    /// The line in the file (the header is line 1).
    pub line: u32,
    pub unit_code: String,
    /// The month, `2026-11`.
    pub period: String,
    pub method: SurveyMethod,
    pub agency: String,
    pub respondents: u32,
    /// The satisfaction score in hundredths (9512 = 95.12).
    pub satisfaction_centi: u32,
    /// Whether the score came from the file (else from the level counts).
    pub score_given: bool,
    pub levels: Option<LevelCounts>,
    pub note: String,
}

impl SurveyRecord {
    /// What identifies a result across imports.
    pub fn key(&self) -> (String, String, SurveyMethod, String) {
        (self.unit_code.clone(), self.period.clone(), self.method, self.agency.clone())
    }
}

/// One problem of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RowProblem {
    /// The line in the file (1 = the header).
    pub line: u32,
    /// The column's name, empty when the problem is the whole row.
    pub column: String,
    pub reason: String,
}

fn problem(line: u32, column: &str, reason: impl Into<String>) -> RowProblem {
    RowProblem { line, column: column.to_owned(), reason: reason.into() }
}

/// Reads `2026-11`, `2026-11-20`, `2026/11/20`, `2026年11月` into the month key.
fn month_of(s: &str) -> Option<String> {
    let s = s.trim().replace(['/', '.', '年', '月'], "-").replace('日', "");
    let parts: Vec<&str> = s.split('-').filter(|p| !p.is_empty()).collect();
    let (y, m) = match parts.as_slice() {
        [y, m] | [y, m, _] => (*y, *m),
        _ => return None,
    };
    if parts.len() == 3 {
        let d: u32 = parts[2].parse().ok()?;
        chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d)?;
    }
    let key = format!("{y}-{:02}", m.parse::<u32>().ok()?);
    match LeaguePeriod::parse(&key)? {
        p @ LeaguePeriod::Month { .. } => Some(p.key()),
        _ => None,
    }
}

/// Reads `95`, `95.5`, `95.12` (0–100) into hundredths.
fn score_centi(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%').trim();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Spreadsheets write 95.1 as 95.09999999999999: that is 95.10, but 95.123 has three decimals.
    let v: f64 = s.parse().ok()?;
    let centi = (v * 100.0).round();
    let exact = (v * 100.0 - centi).abs() < 1e-6;
    (exact && (0.0..=10_000.0).contains(&centi)).then_some(centi as u32)
}

/// Reads a whole number; spreadsheets give `12` as `12.0`.
fn count(s: &str) -> Option<u32> {
    let s = s.trim();
    let s = s.strip_suffix(".0").unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Reads a table: `header` is line 1, each row comes with its line number. Returns the valid rows
/// and every problem; a file with any problem must not be imported at all.
pub fn read_table(header: &[String], rows: &[(u32, Vec<String>)]) -> (Vec<SurveyRecord>, Vec<RowProblem>) {
    let mut problems = Vec::new();
    let mut col: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if h.is_empty() {
            continue;
        }
        match COLUMNS.iter().find(|c| **c == h) {
            None => problems.push(problem(1, h, format!("未知的列“{h}”：可用的列为 {}", COLUMNS.join("、")))),
            Some(c) if col.contains_key(c) => problems.push(problem(1, h, format!("列“{h}”重复"))),
            Some(c) => {
                col.insert(c, i);
            }
        }
    }
    for c in REQUIRED {
        if !col.contains_key(c) {
            problems.push(problem(1, c, format!("缺少必填列“{c}”")));
        }
    }
    let has_levels = LEVELS.iter().filter(|c| col.contains_key(*c)).count();
    if has_levels != 0 && has_levels != LEVELS.len() {
        problems.push(problem(
            1,
            "",
            "各等级人数列（非常满意、满意、基本满意、不满意、非常不满意）应全部提供或全部省略",
        ));
    }
    if !col.contains_key("满意度") && has_levels == 0 {
        problems.push(problem(1, "满意度", "应提供“满意度”列或各等级人数列"));
    }
    if rows.is_empty() {
        problems.push(problem(1, "", "文件中没有数据行"));
    }
    if rows.len() > MAX_ROWS {
        problems.push(problem(1, "", format!("数据行过多（{} 行）：一次最多导入 {MAX_ROWS} 行", rows.len())));
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }
    let mut out: Vec<SurveyRecord> = Vec::new();
    let mut keys: std::collections::BTreeMap<(String, String, SurveyMethod, String), u32> =
        std::collections::BTreeMap::new();
    for (line, cells) in rows {
        let line = *line;
        let cell = |c: &str| -> String {
            col.get(c).and_then(|i| cells.get(*i)).map(|s| s.trim().to_owned()).unwrap_or_default()
        };
        let before = problems.len();
        let unit_code = cell("单位编码");
        if unit_code.is_empty() {
            problems.push(problem(line, "单位编码", "单位编码不能为空"));
        } else if unit_code.chars().count() > 64 {
            problems.push(problem(line, "单位编码", "单位编码过长"));
        }
        let period_s = cell("期间");
        let period = month_of(&period_s);
        if period.is_none() {
            problems.push(problem(
                line,
                "期间",
                format!("期间“{period_s}”无效：应为月份如 2026-11 或日期如 2026-11-20"),
            ));
        }
        let method_s = cell("测评方式");
        let method = SurveyMethod::from_label(&method_s);
        if method.is_none() {
            problems.push(problem(
                line,
                "测评方式",
                format!("测评方式“{method_s}”无效：应为 现场问卷、电话测评、网络问卷 或 其他"),
            ));
        }
        let agency = cell("测评机构");
        let n = agency.chars().count();
        if !(2..=100).contains(&n) {
            problems.push(problem(line, "测评机构", "测评机构应为 2–100 个字"));
        }
        let resp_s = cell("样本数");
        let respondents = count(&resp_s).filter(|n| *n >= 1);
        if respondents.is_none() {
            problems.push(problem(line, "样本数", format!("样本数“{resp_s}”无效：应为不小于 1 的整数")));
        }
        let score_s = cell("满意度");
        let mut score = None;
        if !score_s.is_empty() {
            score = score_centi(&score_s);
            if score.is_none() {
                problems.push(problem(line, "满意度", format!("满意度“{score_s}”无效：应为 0–100 的数，最多两位小数")));
            }
        }
        let mut levels: Option<LevelCounts> = None;
        if has_levels > 0 {
            let raw: Vec<String> = LEVELS.iter().map(|c| cell(c)).collect();
            if raw.iter().all(String::is_empty) {
                if score_s.is_empty() {
                    problems.push(problem(line, "满意度", "满意度和各等级人数不能都为空"));
                }
            } else {
                let mut got = [0u32; 5];
                let mut ok = true;
                for (i, (c, v)) in LEVELS.iter().zip(&raw).enumerate() {
                    match count(v) {
                        Some(n) => got[i] = n,
                        None => {
                            ok = false;
                            problems.push(problem(line, c, format!("“{c}”人数“{v}”无效：应为不小于 0 的整数")));
                        }
                    }
                }
                if ok {
                    let sum: u64 = got.iter().map(|n| u64::from(*n)).sum();
                    if let Some(r) = respondents.filter(|r| u64::from(*r) != sum) {
                        problems.push(problem(line, "样本数", format!("各等级人数合计 {sum} 与样本数 {r} 不符")));
                    }
                    levels = Some(got);
                }
            }
        } else if score_s.is_empty() {
            problems.push(problem(line, "满意度", "满意度不能为空"));
        }
        let note = cell("备注");
        if note.chars().count() > 500 {
            problems.push(problem(line, "备注", "备注不能超过 500 个字"));
        }
        if problems.len() > before {
            continue;
        }
        let (Some(period), Some(method), Some(respondents)) = (period, method, respondents) else { continue };
        let satisfaction_centi = match (score, levels) {
            (Some(s), _) => s,
            (None, Some(l)) => {
                let good = u64::from(l[0]) + u64::from(l[1]) + u64::from(l[2]);
                ((good * 10_000 + u64::from(respondents) / 2) / u64::from(respondents)) as u32
            }
            (None, None) => continue,
        };
        let rec = SurveyRecord {
            line,
            unit_code,
            period,
            method,
            agency,
            respondents,
            satisfaction_centi,
            score_given: score.is_some(),
            levels,
            note,
        };
        if let Some(first) = keys.get(&rec.key()) {
            problems.push(problem(line, "", format!("与第 {first} 行重复（同一单位、期间、测评方式和测评机构）")));
            continue;
        }
        keys.insert(rec.key(), line);
        out.push(rec);
    }
    (out, problems)
}

/// `95.12` from hundredths.
pub fn centi_text(centi: u32) -> String {
    format!("{}.{:02}", centi / 100, centi % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn header() -> Vec<String> {
        s(&COLUMNS)
    }

    #[test]
    fn good_rows_are_read_with_scores_from_the_file_or_the_levels() {
        let rows = vec![
            (
                2,
                s(&[
                    "430304",
                    "2026-11",
                    "电话测评",
                    "湘潭市统计调查中心",
                    "200",
                    "95.50000000000001",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]),
            ),
            (3, s(&["430305", "2026/11/20", "现场问卷", "第三方测评公司", "10", "", "5", "3", "1", "1", "0", "抽样"])),
            (4, s(&["430305", "2026年10月", "网络问卷", "第三方测评公司", "3.0", "88", "1", "1", "1", "0", "0", ""])),
        ];
        let (recs, problems) = read_table(&header(), &rows);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].satisfaction_centi, 9550);
        assert!(recs[0].score_given && recs[0].levels.is_none());
        assert_eq!(recs[1].period, "2026-11");
        assert_eq!(recs[1].satisfaction_centi, 9000, "9 of 10 at 基本满意 or better");
        assert_eq!(recs[1].levels, Some([5, 3, 1, 1, 0]));
        assert!(!recs[1].score_given);
        assert_eq!(recs[2].period, "2026-10");
        assert_eq!(recs[2].satisfaction_centi, 8800, "the file's score wins over the counts");
        assert_eq!(centi_text(9550), "95.50");
    }

    #[test]
    fn every_bad_row_is_named_with_its_line_and_column() {
        let rows = vec![
            (2, s(&["", "2026-13", "上门", "x", "0", "101", "", "", "", "", "", ""])),
            (3, s(&["430304", "2026-11", "电话测评", "湘潭市统计调查中心", "10", "", "5", "3", "1", "1", "1", ""])),
            (4, s(&["430304", "2026-11", "电话测评", "湘潭市统计调查中心", "200", "95.123", "", "", "", "", "", ""])),
            (5, s(&["430304", "2026-11", "电话测评", "湘潭市统计调查中心", "200", "90", "", "", "", "", "", ""])),
            (6, s(&["430304", "2026-11", "电话测评", "湘潭市统计调查中心", "200", "90", "", "", "", "", "", ""])),
            (7, s(&["430304", "2026-11", "其他", "机构甲", "5", "", "a", "1", "1", "1", "1", ""])),
        ];
        let (recs, problems) = read_table(&header(), &rows);
        let at = |line: u32| problems.iter().filter(|p| p.line == line).collect::<Vec<_>>();
        let cols = |line: u32| at(line).iter().map(|p| p.column.clone()).collect::<Vec<_>>();
        assert_eq!(cols(2), s(&["单位编码", "期间", "测评方式", "测评机构", "样本数", "满意度"]), "{problems:?}");
        assert_eq!(cols(3), s(&["样本数"]), "the levels add up to 11, not 10");
        assert!(at(3)[0].reason.contains("11"));
        assert_eq!(cols(4), s(&["满意度"]), "three decimals");
        assert!(at(5).is_empty());
        assert_eq!(cols(6), s(&[""]));
        assert!(at(6)[0].reason.contains("第 5 行"), "{:?}", at(6));
        assert_eq!(cols(7), s(&["非常满意"]));
        assert_eq!(recs.iter().map(|r| r.line).collect::<Vec<_>>(), vec![5]);
    }

    #[test]
    fn the_header_is_checked_first() {
        let (recs, problems) = read_table(&s(&["单位编码", "期间", "满意度", "颜色"]), &[(2, s(&["a"]))]);
        assert!(recs.is_empty());
        let cols: Vec<&str> = problems.iter().map(|p| p.column.as_str()).collect();
        assert!(cols.contains(&"颜色") && cols.contains(&"测评方式") && cols.contains(&"样本数"), "{problems:?}");
        assert!(problems.iter().all(|p| p.line == 1));
        let (_, p) = read_table(&s(&["单位编码", "期间", "测评方式", "测评机构", "样本数", "满意"]), &[]);
        assert!(p.iter().any(|p| p.reason.contains("全部提供")), "{p:?}");
        assert!(p.iter().any(|p| p.reason.contains("没有数据行")), "{p:?}");
    }
}
