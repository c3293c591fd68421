//! Integrity flags (异常评价线索): fake good reviews (刷好评) and malicious bad reviews (恶意差评).
//!
//! [`detect`] reads the evidence of a batch of ratings (typically one hall or unit over one period)
//! and returns [`Flag`]s, each with the ratings concerned, a severity and a Chinese explanation with
//! the numbers. Flags are leads, not verdicts: they go to the hall manager's verification queue, and
//! only a [`FlagVerdict`] that [excludes](FlagVerdict::excludes_from_stats) a rating takes it out of
//! the statistics (by setting `excluded` on its [`crate::kpi::RatingFact`]); the decision itself is
//! recorded and audited by the caller.
//!
//! The rules, with the defaults of [`IntegrityParams`]:
//!
//! | kind | rule | default |
//! | --- | --- | --- |
//! | `burst_same_device` | ≥ N ratings from one device within M minutes | 5 in 10 min |
//! | `burst_same_phone` | ≥ N ratings from one phone (hash) within M minutes | 3 in 30 min |
//! | `burst_same_certificate` | ≥ N ratings from one certificate (hash) within M minutes | 3 in 30 min |
//! | `self_rating` | the evaluator is the staff member rated, or one who handled the service record | — |
//! | `many_ratings_one_record` | more ratings of one service record than "一事一评" plus a follow-up (追评) allows | > 2 |
//! | `near_duplicate_text` | texts of ≥ 8 characters whose character-bigram Jaccard similarity is ≥ 0.8 | 8 chars, 0.8 |
//! | `evaluator_cluster_on_staff` | ≥ K bad reviews from one evaluator (certificate, else phone) of one staff member within D days | 3 in 30 days |
//!
//! Windows are inclusive (the first and last rating may be exactly M minutes apart). Overlapping
//! windows that each reach the threshold merge into one flag. Texts are compared after keeping only
//! letters and digits (CJK included) and lower-casing; near-duplicates are grouped transitively.
//! Everything is deterministic: flags are ordered by kind, then by their smallest rating id, and
//! rating ids within a flag ascend. Evaluator identities (phone, certificate) never appear in an
//! explanation.
//!
//! The text comparison is quadratic in the number of texts: call [`detect`] per unit and period.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{DeadlineRules, BEIJING_UTC_OFFSET_MINUTES};
use crate::level::Level;

/// What [`detect`] needs to know about one rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingEvidence {
    pub rating_id: i64,
    pub rated_at: DateTime<Utc>,
    pub level: Level,
    /// The staff member rated.
    pub staff_id: Option<i64>,
    /// The evaluator's own staff id, when the evaluator is a staff member.
    pub rater_staff_id: Option<i64>,
    /// The hall device (window evaluator, tablet, kiosk) the rating came from.
    pub device_id: Option<String>,
    /// A keyed hash of the evaluator's phone number.
    pub phone_hash: Option<String>,
    /// A keyed hash of the evaluator's certificate (ID card / credit code).
    pub certificate_hash: Option<String>,
    /// The service record (办件编号) rated.
    pub service_record_no: Option<String>,
    pub text: Option<String>,
}

/// The staff members who handled one service record (受理、审核、办结 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub record_no: String,
    pub staff_ids: Vec<i64>,
}

/// "At least `min_count` ratings within `window_minutes`"; a `min_count` below 2 is read as 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstRule {
    pub min_count: u32,
    pub window_minutes: u32,
}

/// The thresholds of [`detect`]; see the module doc for the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntegrityParams {
    /// Hall devices are shared by everyone at a window, so their threshold is higher.
    pub device_burst: BurstRule,
    pub phone_burst: BurstRule,
    pub certificate_burst: BurstRule,
    /// "一事一评" plus one follow-up rating (追评).
    pub max_ratings_per_record: u32,
    /// Texts shorter than this (after normalisation, in characters) are not compared.
    pub near_duplicate_min_chars: u32,
    /// Character-bigram Jaccard similarity at or above which two texts are near-duplicates.
    pub near_duplicate_jaccard: f64,
    /// Bad reviews of one staff member from one evaluator that make a cluster.
    pub evaluator_min_bad: u32,
    pub evaluator_window_days: u32,
    /// The time zone of the times in explanations (Beijing: +480).
    pub utc_offset_minutes: i16,
}

impl Default for IntegrityParams {
    fn default() -> Self {
        IntegrityParams {
            device_burst: BurstRule { min_count: 5, window_minutes: 10 },
            phone_burst: BurstRule { min_count: 3, window_minutes: 30 },
            certificate_burst: BurstRule { min_count: 3, window_minutes: 30 },
            max_ratings_per_record: 2,
            near_duplicate_min_chars: 8,
            near_duplicate_jaccard: 0.8,
            evaluator_min_bad: 3,
            evaluator_window_days: 30,
            utc_offset_minutes: BEIJING_UTC_OFFSET_MINUTES,
        }
    }
}

/// The kinds of flag, in the order [`detect`] reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    BurstSameDevice,
    BurstSamePhone,
    BurstSameCertificate,
    SelfRating,
    ManyRatingsOneRecord,
    NearDuplicateText,
    EvaluatorClusterOnStaff,
}

crate::str_enum!(FlagKind {
    BurstSameDevice => "burst_same_device",
    BurstSamePhone => "burst_same_phone",
    BurstSameCertificate => "burst_same_certificate",
    SelfRating => "self_rating",
    ManyRatingsOneRecord => "many_ratings_one_record",
    NearDuplicateText => "near_duplicate_text",
    EvaluatorClusterOnStaff => "evaluator_cluster_on_staff",
});

impl FlagKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            FlagKind::BurstSameDevice => "同一设备集中评价",
            FlagKind::BurstSamePhone => "同一手机号集中评价",
            FlagKind::BurstSameCertificate => "同一证件集中评价",
            FlagKind::SelfRating => "工作人员自评",
            FlagKind::ManyRatingsOneRecord => "同一办件多次评价",
            FlagKind::NearDuplicateText => "评价内容高度雷同",
            FlagKind::EvaluatorClusterOnStaff => "同一评价人集中差评同一工作人员",
        }
    }
}

/// How urgently a flag should be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

crate::str_enum!(Severity {
    Low => "low",
    Medium => "medium",
    High => "high",
});

impl Severity {
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::Low => "低",
            Severity::Medium => "中",
            Severity::High => "高",
        }
    }
}

/// One lead for the verification queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// Ascending.
    pub rating_ids: Vec<i64>,
    pub explanation_zh: String,
    pub severity: Severity,
}

impl Flag {
    /// A stable key (`kind:id,id,…`) so that a queue can recognise a flag found again in a later run.
    pub fn fingerprint(&self) -> String {
        let ids: Vec<String> = self.rating_ids.iter().map(i64::to_string).collect();
        format!("{}:{}", self.kind.as_str(), ids.join(","))
    }
}

/// The hall manager's decision on a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagVerdict {
    /// 核实为虚假评价（刷好评）: the ratings leave the statistics.
    ConfirmedFake,
    /// 核实为恶意差评: the ratings leave the statistics.
    ConfirmedMalicious,
    /// 核实为正常评价: nothing changes.
    Dismissed,
}

/// Why a verdict on a flag is refused (the client before queuing it, the server before applying
/// it: one rule, see [`check_verdict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerdictRefusal {
    /// The role does not decide flags.
    RoleNotAllowed,
    /// The note (what was checked) is missing or too long.
    NoteLength,
    /// The flag was already decided, by `by` (at `at`, when known).
    AlreadyDecided { by: String, at: Option<String> },
}

impl VerdictRefusal {
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            VerdictRefusal::RoleNotAllowed => crate::ErrorCode::Forbidden,
            VerdictRefusal::NoteLength => crate::ErrorCode::InvalidInput,
            VerdictRefusal::AlreadyDecided { .. } => crate::ErrorCode::AlreadyDecided,
        }
    }
}

impl std::fmt::Display for VerdictRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerdictRefusal::RoleNotAllowed => f.write_str("只有大厅负责人和督查人员可以核实异常评价线索"),
            VerdictRefusal::NoteLength => f.write_str("请填写核实情况（2–500 个字）"),
            VerdictRefusal::AlreadyDecided { by, at: Some(at) } => {
                write!(f, "该线索已由{by}于 {at} 核实，不能重复核实")
            }
            VerdictRefusal::AlreadyDecided { by, at: None } => write!(f, "该线索已由{by}核实，不能重复核实"),
        }
    }
}

impl std::error::Error for VerdictRefusal {}

/// Whether `role` may give a verdict with `note` on a flag that is open, or was decided by
/// `decided` (who, and when if known); returns the note as kept (trimmed, 2–500 characters).
pub fn check_verdict<'a>(
    role: crate::Role,
    note: &'a str,
    decided: Option<(&str, Option<&str>)>,
) -> Result<&'a str, VerdictRefusal> {
    if !role.may_decide_integrity_flags() {
        return Err(VerdictRefusal::RoleNotAllowed);
    }
    let note = note.trim();
    if !(2..=500).contains(&note.chars().count()) {
        return Err(VerdictRefusal::NoteLength);
    }
    if let Some((by, at)) = decided {
        return Err(VerdictRefusal::AlreadyDecided { by: by.to_owned(), at: at.map(str::to_owned) });
    }
    Ok(note)
}

impl FlagVerdict {
    pub fn excludes_from_stats(self) -> bool {
        matches!(self, FlagVerdict::ConfirmedFake | FlagVerdict::ConfirmedMalicious)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            FlagVerdict::ConfirmedFake => "核实为虚假评价",
            FlagVerdict::ConfirmedMalicious => "核实为恶意差评",
            FlagVerdict::Dismissed => "核实为正常评价",
        }
    }
}

/// Reads the grouping key (device, phone or certificate) of a rating.
type KeyOf = fn(&RatingEvidence) -> Option<&String>;

/// All the flags the evidence raises, ordered by kind, then by smallest rating id.
pub fn detect(ratings: &[RatingEvidence], staff_records: &[ServiceRecord], params: &IntegrityParams) -> Vec<Flag> {
    let mut flags = Vec::new();
    let fmt = TimeFormat { utc_offset_minutes: params.utc_offset_minutes };

    let sources: [(FlagKind, BurstRule, KeyOf); 3] = [
        (FlagKind::BurstSameDevice, params.device_burst, |r| r.device_id.as_ref()),
        (FlagKind::BurstSamePhone, params.phone_burst, |r| r.phone_hash.as_ref()),
        (FlagKind::BurstSameCertificate, params.certificate_burst, |r| r.certificate_hash.as_ref()),
    ];
    for (kind, rule, key_of) in sources {
        let mut groups: BTreeMap<&str, Vec<&RatingEvidence>> = BTreeMap::new();
        for r in ratings {
            if let Some(key) = key_of(r).filter(|k| !k.is_empty()) {
                groups.entry(key.as_str()).or_default().push(r);
            }
        }
        for (key, group) in groups {
            let window = Duration::minutes(i64::from(rule.window_minutes));
            for run in bursts(group, rule.min_count, window) {
                let (Some(first), Some(last)) = (run.first(), run.last()) else { continue };
                let who = match kind {
                    FlagKind::BurstSameDevice => format!("同一评价设备（{key}）"),
                    FlagKind::BurstSamePhone => "同一手机号（已脱敏）".to_owned(),
                    _ => "同一证件（已脱敏）".to_owned(),
                };
                let explanation_zh = format!(
                    "{who}于 {} 至 {}（{} 分钟内）提交 {} 条评价，达到阈值（{} 分钟内 {} 条），疑似集中刷评。",
                    fmt.at(first.rated_at),
                    fmt.at(last.rated_at),
                    (last.rated_at - first.rated_at).num_minutes(),
                    run.len(),
                    rule.window_minutes,
                    rule.min_count.max(2)
                );
                flags.push(flag(kind, &run, explanation_zh, Severity::Medium));
            }
        }
    }

    let handlers: BTreeMap<&str, BTreeSet<i64>> = staff_records.iter().fold(BTreeMap::new(), |mut m, rec| {
        m.entry(rec.record_no.as_str()).or_insert_with(BTreeSet::new).extend(rec.staff_ids.iter().copied());
        m
    });
    for r in ratings {
        let Some(rater) = r.rater_staff_id else { continue };
        let record = r.service_record_no.as_deref().unwrap_or("");
        let rated_self = r.staff_id == Some(rater);
        let handled = handlers.get(record).is_some_and(|s| s.contains(&rater));
        if rated_self || handled {
            // The evaluator is personal data even when a staff member: the lead says that the
            // certificates match, never whose (a reveal, which is logged, names the evaluator).
            let what = if rated_self {
                "评价的是该工作人员本人提供的服务"
            } else {
                "评价的是该工作人员经办的办件"
            };
            let record_note = if record.is_empty() { String::new() } else { format!("（办件编号 {record}）") };
            let explanation_zh = format!(
                "评价人证件与本单位一名在册工作人员的登记证件一致（身份已脱敏），{what}{record_note}，评价等级“{}”，属于自评，不应计入统计。",
                r.level.label_zh()
            );
            flags.push(flag(FlagKind::SelfRating, &[r], explanation_zh, Severity::High));
        }
    }

    let mut by_record: BTreeMap<&str, Vec<&RatingEvidence>> = BTreeMap::new();
    for r in ratings {
        if let Some(no) = r.service_record_no.as_deref().filter(|n| !n.is_empty()) {
            by_record.entry(no).or_default().push(r);
        }
    }
    for (no, group) in by_record {
        if group.len() > params.max_ratings_per_record as usize {
            let explanation_zh = format!(
                "办件 {no} 共收到 {} 条评价，超过“一事一评”允许的 {} 条（含追评），疑似重复或代评。",
                group.len(),
                params.max_ratings_per_record
            );
            flags.push(flag(FlagKind::ManyRatingsOneRecord, &group, explanation_zh, Severity::Medium));
        }
    }

    flags.extend(near_duplicates(ratings, params));

    let mut by_evaluator: BTreeMap<(&str, i64), Vec<&RatingEvidence>> = BTreeMap::new();
    for r in ratings {
        if !r.level.is_bad() {
            continue;
        }
        let evaluator = r.certificate_hash.as_deref().filter(|s| !s.is_empty()).or(r.phone_hash.as_deref());
        if let (Some(e), Some(staff)) = (evaluator.filter(|s| !s.is_empty()), r.staff_id) {
            by_evaluator.entry((e, staff)).or_default().push(r);
        }
    }
    for ((_, staff), group) in by_evaluator {
        let window = Duration::days(i64::from(params.evaluator_window_days));
        for run in bursts(group, params.evaluator_min_bad, window) {
            let (Some(first), Some(last)) = (run.first(), run.last()) else { continue };
            let explanation_zh = format!(
                "同一评价人（身份已脱敏）于 {} 至 {}（{} 天内）对工作人员（工号 {staff}）给出 {} 条差评，达到阈值（{} 天内 {} 条），疑似恶意差评。",
                fmt.day(first.rated_at),
                fmt.day(last.rated_at),
                (last.rated_at - first.rated_at).num_days(),
                run.len(),
                params.evaluator_window_days,
                params.evaluator_min_bad.max(2)
            );
            flags.push(flag(FlagKind::EvaluatorClusterOnStaff, &run, explanation_zh, Severity::High));
        }
    }

    flags.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.rating_ids.cmp(&b.rating_ids)));
    flags
}

fn flag(kind: FlagKind, ratings: &[&RatingEvidence], explanation_zh: String, severity: Severity) -> Flag {
    let mut rating_ids: Vec<i64> = ratings.iter().map(|r| r.rating_id).collect();
    rating_ids.sort_unstable();
    rating_ids.dedup();
    Flag { kind, rating_ids, explanation_zh, severity }
}

struct TimeFormat {
    utc_offset_minutes: i16,
}

impl TimeFormat {
    fn at(&self, t: DateTime<Utc>) -> String {
        let rules = DeadlineRules { utc_offset_minutes: self.utc_offset_minutes, ..DeadlineRules::default() };
        t.with_timezone(&rules.offset()).format("%Y-%m-%d %H:%M").to_string()
    }

    fn day(&self, t: DateTime<Utc>) -> String {
        let rules = DeadlineRules { utc_offset_minutes: self.utc_offset_minutes, ..DeadlineRules::default() };
        rules.local_date(t).to_string()
    }
}

/// Maximal runs of time-ordered ratings in which every rating lies in some window of `window`
/// holding at least `min_count` ratings.
fn bursts(mut group: Vec<&RatingEvidence>, min_count: u32, window: Duration) -> Vec<Vec<&RatingEvidence>> {
    let min_count = (min_count.max(2)) as usize;
    group.sort_by_key(|r| (r.rated_at, r.rating_id));
    // Qualifying windows as index ranges [i, j], merged when they overlap.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut j = 0;
    for i in 0..group.len() {
        j = j.max(i);
        while j + 1 < group.len() && group[j + 1].rated_at - group[i].rated_at <= window {
            j += 1;
        }
        if j + 1 - i >= min_count {
            match runs.last_mut() {
                Some(last) if i <= last.1 => last.1 = last.1.max(j),
                _ => runs.push((i, j)),
            }
        }
    }
    runs.into_iter().filter_map(|(i, j)| group.get(i..=j).map(<[_]>::to_vec)).collect()
}

/// Letters and digits only, lower-cased.
fn normalise(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn bigrams(chars: &[char]) -> BTreeSet<(char, char)> {
    chars
        .windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

fn jaccard(a: &BTreeSet<(char, char)>, b: &BTreeSet<(char, char)>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

fn near_duplicates(ratings: &[RatingEvidence], params: &IntegrityParams) -> Vec<Flag> {
    let threshold = if params.near_duplicate_jaccard.is_finite() {
        params.near_duplicate_jaccard.clamp(0.0, 1.0)
    } else {
        IntegrityParams::default().near_duplicate_jaccard
    };
    let min_chars = params.near_duplicate_min_chars.max(2) as usize;
    let mut texts: Vec<(&RatingEvidence, BTreeSet<(char, char)>)> = ratings
        .iter()
        .filter_map(|r| {
            let chars = normalise(r.text.as_deref()?);
            (chars.len() >= min_chars).then(|| (r, bigrams(&chars)))
        })
        .collect();
    texts.sort_by_key(|(r, _)| r.rating_id);

    let n = texts.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (&texts[i].1, &texts[j].1);
            // Jaccard ≤ min/max of the set sizes: skip pairs that cannot reach the threshold.
            let (lo, hi) = (a.len().min(b.len()) as f64, a.len().max(b.len()) as f64);
            if hi == 0.0 || lo / hi < threshold {
                continue;
            }
            let s = jaccard(a, b);
            if s >= threshold {
                edges.push((i, j, s));
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                if ri != rj {
                    parent[ri.max(rj)] = ri.min(rj);
                }
            }
        }
    }
    let mut components: BTreeMap<usize, (Vec<&RatingEvidence>, f64, f64)> = BTreeMap::new();
    for (i, j, s) in edges {
        let root = find(&mut parent, i);
        let entry = components.entry(root).or_insert_with(|| (Vec::new(), 1.0, 0.0));
        entry.0.push(texts[i].0);
        entry.0.push(texts[j].0);
        entry.1 = entry.1.min(s);
        entry.2 = entry.2.max(s);
    }
    components
        .into_values()
        .map(|(mut members, min_similarity, max_similarity)| {
            members.sort_by_key(|r| r.rating_id);
            members.dedup_by_key(|r| r.rating_id);
            let sample: String = members
                .first()
                .and_then(|r| r.text.as_deref())
                .map(|t| t.trim().chars().take(30).collect())
                .unwrap_or_default();
            let explanation_zh = format!(
                "{} 条评价的文字高度雷同（字符二元组 Jaccard 相似度 {:.2}–{:.2}，阈值 {:.2}），疑似复制粘贴：“{sample}”。",
                members.len(),
                min_similarity,
                max_similarity,
                threshold
            );
            let severity = if members.len() >= 3 { Severity::Medium } else { Severity::Low };
            flag(FlagKind::NearDuplicateText, &members, explanation_zh, severity)
        })
        .collect()
}

#[cfg(test)]
mod tests;
