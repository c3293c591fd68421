//! 堵点分析: what citizens complain about, from the words of the month's bad reviews.
//!
//! Each comment of a bad review (excluded ratings left out) is segmented with jieba (a maintained
//! Chinese segmenter and its dictionary) and tagged with parts of speech; the content words
//! (nouns, verbs, adjectives, idioms; two characters or more, common filler words left out) are
//! the comment's themes, each counted once per comment. The month's themes come with their count
//! in the month before (the trend), a few example comments with phone and ID numbers masked, and
//! the themes of the service items and units with the most bad reviews.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use chrono::Datelike;
use hcp_domain::kpi::Period;
use hcp_replica::Replica;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Words too common in complaints to say what went wrong.
const FILLER: [&str; 30] = [
    "没有",
    "无法",
    "办理",
    "不同",
    "要求",
    "还要",
    "可以",
    "需要",
    "这个",
    "那个",
    "什么",
    "一个",
    "怎么",
    "现在",
    "已经",
    "觉得",
    "时候",
    "问题",
    "情况",
    "进行",
    "表示",
    "希望",
    "为什么",
    "不能",
    "不是",
    "就是",
    "还是",
    "这样",
    "因为",
    "所以",
];

/// Themes listed for the month, for each item and for each unit.
const TOP_THEMES: usize = 10;
const TOP_PER_GROUP: usize = 3;
const TOP_GROUPS: usize = 5;
const EXAMPLES: usize = 2;

fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// The distinct content words of one comment, in the order they first appear.
pub fn themes_of(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for t in jieba().tag(text, true) {
        let content = ["n", "v", "a", "l", "i", "s"].iter().any(|p| t.tag.starts_with(p)) && !t.tag.starts_with("nr");
        if content && t.word.chars().count() >= 2 && !FILLER.contains(&t.word) && seen.insert(t.word) {
            out.push(t.word.to_owned());
        }
    }
    out
}

/// One theme of the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Theme {
    pub word: String,
    /// Bad-review comments of the month that name it.
    pub count: u32,
    /// The same in the month before.
    pub previous: u32,
    /// Up to two of the month's comments that name it, phone and ID numbers masked.
    pub examples: Vec<String>,
}

/// A service item's or a unit's top themes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GroupThemes {
    pub name: String,
    /// Its bad reviews with a comment this month.
    pub comments: u32,
    /// Its top themes with their counts in the month.
    pub themes: Vec<(String, u32)>,
}

/// 堵点分析 of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Hotspots {
    /// `YYYY-MM`.
    pub month: String,
    /// Bad reviews with a comment this month.
    pub comments: u32,
    pub themes: Vec<Theme>,
    pub by_item: Vec<GroupThemes>,
    pub by_unit: Vec<GroupThemes>,
}

fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts themes over (group key, text) pairs: per theme the comments naming it, and per group its
/// comments and theme counts.
struct Tally {
    theme: HashMap<String, Vec<usize>>,
    /// By service item and by unit: comments and theme counts.
    groups: [BTreeMap<String, Group>; 2],
}

type Group = (usize, HashMap<String, u32>);

fn tally(texts: &[(String, String, String)]) -> Tally {
    let mut t = Tally { theme: HashMap::new(), groups: [BTreeMap::new(), BTreeMap::new()] };
    for (i, (item, unit, text)) in texts.iter().enumerate() {
        let words = themes_of(text);
        for (g, key) in [item, unit].into_iter().enumerate() {
            let group = t.groups[g].entry(key.clone()).or_default();
            group.0 += 1;
            for w in &words {
                *group.1.entry(w.clone()).or_default() += 1;
            }
        }
        for w in words {
            t.theme.entry(w).or_default().push(i);
        }
    }
    t
}

fn top<K: Clone + Ord>(counts: impl IntoIterator<Item = (K, u32)>, n: usize) -> Vec<(K, u32)> {
    let mut v: Vec<(K, u32)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// The analysis of `texts` — (service item, unit name, comment) of the month — against the month
/// before's comments.
pub fn analyse(month: &str, texts: &[(String, String, String)], before: &[(String, String, String)]) -> Hotspots {
    let now = tally(texts);
    let then = tally(before);
    let themes = top(now.theme.iter().map(|(w, c)| (w.clone(), small(c.len()))), TOP_THEMES)
        .into_iter()
        .map(|(word, count)| Theme {
            previous: then.theme.get(&word).map_or(0, |c| small(c.len())),
            examples: now.theme[&word]
                .iter()
                .take(EXAMPLES)
                .map(|i| hcp_report::notice::redact_personal_numbers(&texts[*i].2))
                .collect(),
            word,
            count,
        })
        .collect();
    let groups = |g: usize| {
        top(now.groups[g].iter().map(|(k, (n, _))| (k.clone(), small(*n))), TOP_GROUPS)
            .into_iter()
            .map(|(name, comments)| GroupThemes {
                themes: top(now.groups[g][&name].1.iter().map(|(w, c)| (w.clone(), *c)), TOP_PER_GROUP),
                name,
                comments,
            })
            .collect()
    };
    Hotspots { month: month.to_owned(), comments: small(texts.len()), themes, by_item: groups(0), by_unit: groups(1) }
}

/// 堵点分析 of `month` (`YYYY-MM`) under the replica's scope, offline.
pub fn hotspots(r: &Replica, month: &str) -> ApiResult<Hotspots> {
    let bad = || ApiError::new(ErrorCode::InvalidInput, format!("月份“{month}”无效，应形如 2026-11"));
    let (y, m) = month.split_once('-').and_then(|(y, m)| Some((y.parse().ok()?, m.parse().ok()?))).ok_or_else(bad)?;
    let period = Period::month(y, m).ok_or_else(bad)?;
    let before = period.first.pred_opt().and_then(|d| Period::month(d.year(), d.month())).ok_or_else(bad)?;
    let scope = r.scope()?.unwrap_or_else(|| "/".to_owned());
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut read = |p: &Period| -> ApiResult<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        for (item, unit, text) in r.bad_review_texts(&scope, p)? {
            let name = match names.entry(unit) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(r.unit(unit)?.map_or_else(|| format!("单位 {unit}"), |(name, _)| name))
                }
            };
            out.push((item, name.clone(), text));
        }
        Ok(out)
    };
    Ok(analyse(month, &read(&period)?, &read(&before)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(item: &str, unit: &str, text: &str) -> (String, String, String) {
        (item.into(), unit.into(), text.into())
    }

    #[test]
    fn a_comments_themes_are_its_content_words() {
        assert_eq!(themes_of("排队等了两个多小时，只开了一个窗口"), ["排队", "小时", "只开", "窗口"]);
        assert_eq!(themes_of("材料清单没有一次性告知，前后跑了三趟"), ["材料", "清单", "告知"]);
        // Each word once per comment; punctuation and numbers are not themes.
        assert_eq!(themes_of("窗口，窗口！123"), ["窗口"]);
        assert!(themes_of("").is_empty());
    }

    #[test]
    fn the_months_themes_with_their_trend_examples_and_groups() {
        let november = [
            t("不动产登记", "东湖区政务服务中心", "排队等了两个多小时，只开了一个窗口，电话13812345678"),
            t("不动产登记", "东湖区政务服务中心", "预约了也要重新排队取号"),
            t("社保卡补换", "西山区政务服务中心", "排队太久，窗口工作人员离岗"),
            t("户口迁移", "西山区政务服务中心", "材料清单没有一次性告知，前后跑了三趟"),
        ];
        let october = [t("不动产登记", "东湖区政务服务中心", "排队时间长")];
        let h = analyse("2026-11", &november, &october);
        assert_eq!(h.comments, 4);
        let first = &h.themes[0];
        assert_eq!((first.word.as_str(), first.count, first.previous), ("排队", 3, 1));
        assert_eq!(first.examples.len(), 2);
        assert!(first.examples[0].contains("138******78") && !first.examples[0].contains("13812345678"));
        let window = h.themes.iter().find(|t| t.word == "窗口").expect("窗口");
        assert_eq!((window.count, window.previous), (2, 0));
        assert_eq!(h.by_item[0].name, "不动产登记");
        assert_eq!(h.by_item[0].comments, 2);
        assert_eq!(h.by_item[0].themes[0], ("排队".to_owned(), 2));
        assert_eq!(h.by_unit.iter().map(|g| g.comments).sum::<u32>(), 4);
    }
}
