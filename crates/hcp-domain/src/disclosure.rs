//! 定期公开: the month's 好差评 figures per hall in the layout the provinces publish monthly
//! (Guangdong's 政务服务“好差评”情况 tables): ratings per channel, bad reviews, the bad-review and
//! rectification rates, and the service items and problem types bad reviews concern most.
//!
//! Publishable as it stands: no personal data enters (no case numbers, staff, handlers or
//! evaluators: only units, service items and content codes), and small counts are suppressed so
//! that nobody can be recognised from them — a count of 1 to `min_count - 1` reads `<min_count`, a
//! rate over fewer than `min_count` cases reads `—`.

use serde::{Deserialize, Serialize};

use crate::kpi::Kpis;
use crate::level::Channel;

/// Counts below this are shown as `<5`.
pub const MIN_COUNT: u64 = 5;

/// The columns of the published table.
pub const HEADERS: [&str; 16] = [
    "单位",
    "月份",
    "评价总数",
    "网上办事大厅",
    "移动端",
    "二维码",
    "窗口评价器",
    "自助终端",
    "电话回访",
    "短信",
    "系统默认评价",
    "差评数",
    "差评率",
    "差评整改率",
    "主要差评事项",
    "主要问题类型",
];

/// One row of the table (a hall, or the jurisdiction's total), every cell as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureRow {
    pub unit: String,
    pub month: String,
    pub ratings: String,
    /// Channels 1–8 in the national numbering.
    pub channels: [String; 8],
    pub bad_reviews: String,
    pub bad_rate: String,
    pub rectification_rate: String,
    /// The (up to three) service items with most bad reviews, `事项（n件）` joined by `；`.
    pub top_items: String,
    /// The (up to three) content codes bad reviews carry most, `110 超过法定（承诺）办理时限（n件）`.
    pub top_problems: String,
}

impl DisclosureRow {
    /// The cells in [`HEADERS`] order.
    pub fn cells(&self) -> [String; 16] {
        let c = &self.channels;
        [
            self.unit.clone(),
            self.month.clone(),
            self.ratings.clone(),
            c[0].clone(),
            c[1].clone(),
            c[2].clone(),
            c[3].clone(),
            c[4].clone(),
            c[5].clone(),
            c[6].clone(),
            c[7].clone(),
            self.bad_reviews.clone(),
            self.bad_rate.clone(),
            self.rectification_rate.clone(),
            self.top_items.clone(),
            self.top_problems.clone(),
        ]
    }
}

/// A count as published: `<5` for 1–4.
pub fn count(n: u64) -> String {
    if n > 0 && n < MIN_COUNT {
        format!("<{MIN_COUNT}")
    } else {
        n.to_string()
    }
}

/// A rate as published: one decimal percent, `—` over fewer than [`MIN_COUNT`].
pub fn rate(numerator: u64, denominator: u64) -> String {
    if denominator < MIN_COUNT {
        "—".to_owned()
    } else {
        format!("{:.1}%", numerator as f64 * 100.0 / denominator as f64)
    }
}

/// The `top` entries with most counts (ties by name), each with its suppressed count.
pub fn top(mut counts: Vec<(String, u64)>, top: usize) -> String {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.into_iter().take(top).map(|(name, n)| format!("{name}（{}件）", count(n))).collect::<Vec<_>>().join("；")
}

/// What the row of one unit is made of.
pub struct UnitFigures<'a> {
    pub unit: &'a str,
    pub month: &'a str,
    pub kpis: &'a Kpis,
    /// Non-excluded ratings per channel code.
    pub channels: &'a std::collections::BTreeMap<u8, u64>,
    /// Bad reviews per service item name.
    pub items: Vec<(String, u64)>,
    /// Bad reviews per content code.
    pub codes: Vec<(u16, u64)>,
}

/// The published row of one unit.
pub fn row(f: UnitFigures<'_>) -> DisclosureRow {
    let channels = std::array::from_fn(|i| count(f.channels.get(&(i as u8 + 1)).copied().unwrap_or(0)));
    let problems = f
        .codes
        .into_iter()
        .map(|(code, n)| {
            let label = crate::ContentCode::new(code).ok().and_then(|c| c.label_zh()).unwrap_or("其他");
            (format!("{code} {label}"), n)
        })
        .collect();
    DisclosureRow {
        unit: f.unit.to_owned(),
        month: f.month.to_owned(),
        ratings: count(f.kpis.rated),
        channels,
        bad_reviews: count(f.kpis.bad),
        bad_rate: rate(f.kpis.bad, f.kpis.rated),
        rectification_rate: rate(f.kpis.rectification_rate.numerator, f.kpis.rectification_rate.denominator),
        top_items: top(f.items, 3),
        top_problems: top(problems, 3),
    }
}

/// The channel labels in numbering order (for tests and screens).
pub fn channel_labels() -> [&'static str; 8] {
    std::array::from_fn(|i| Channel::try_from(i as u8 + 1).map_or("", |c| c.label_zh()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_and_rates_on_few_cases_are_suppressed() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1), "<5");
        assert_eq!(count(4), "<5");
        assert_eq!(count(5), "5");
        assert_eq!(rate(1, 4), "—");
        assert_eq!(rate(3, 6), "50.0%");
        assert_eq!(
            top(vec![("甲".into(), 2), ("乙".into(), 9), ("丙".into(), 9), ("丁".into(), 1)], 3),
            "丙（9件）；乙（9件）；甲（<5件）"
        );
    }

    #[test]
    fn the_headers_name_the_channels_in_their_numbering() {
        assert_eq!(&HEADERS[3..11], &channel_labels());
    }
}
