//! The other side of the leagues: 服务明星 / 办事能手 candidates, and the 绩效考核 score sheet.
//!
//! - **Candidates** come from a period's staff league by the policy's [`StarRule`]: ranked (so at
//!   least the league's minimum sample), at least the rule's own sample and fair score, and no bad
//!   review left standing in the period (excluded ratings, i.e. confirmed fakes and reviews
//!   overturned on appeal, are already out of the league's figures). The best scores are 服务明星;
//!   of the rest, the largest samples are 办事能手. A supervisor confirms them; nothing is awarded
//!   by the rule alone.
//! - **Score sheets** apply the policy's [`ScoreFormula`] to facts, each naming its case or award, so
//!   every point on a sheet can be traced: base points, less so many per upheld bad review, per
//!   overdue case and per unsatisfied return visit, plus so many per award, never below zero.

use serde::{Deserialize, Serialize};

use crate::league::{LeagueEntry, LeagueTable};

/// The two awards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AwardKind {
    /// 服务明星: the best fair scores.
    Star,
    /// 办事能手: of the other candidates, the most ratings (the most citizens served well).
    Able,
}

crate::str_enum!(AwardKind {
    Star => "star",
    Able => "able",
});

impl AwardKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            AwardKind::Star => "服务明星",
            AwardKind::Able => "办事能手",
        }
    }
}

/// Who may be proposed for an award (the `assessment.stars` part of a policy).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default, deny_unknown_fields)]
pub struct StarRule {
    /// Ratings a candidate needs in the period (besides the league's own minimum).
    pub min_sample: u32,
    /// The least small-sample-corrected satisfaction (0.5–1).
    pub min_score: f64,
    /// 服务明星 places (0–20; ties at the last place all count).
    pub stars: u32,
    /// 办事能手 places (0–20; ties at the last place all count).
    pub able: u32,
}

impl Default for StarRule {
    fn default() -> Self {
        StarRule { min_sample: 30, min_score: 0.95, stars: 3, able: 3 }
    }
}

impl StarRule {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=10_000).contains(&self.min_sample) {
            return Err(format!("服务明星的最低样本量须在 1 到 10000 之间（现为 {}）", self.min_sample));
        }
        if !(0.5..=1.0).contains(&self.min_score) {
            return Err(format!("服务明星的最低得分须在 50% 到 100% 之间（现为 {:.1}%）", self.min_score * 100.0));
        }
        if self.stars > 20 || self.able > 20 {
            return Err(format!("服务明星、办事能手的名额须在 0 到 20 之间（现为 {}、{}）", self.stars, self.able));
        }
        Ok(())
    }
}

/// A proposed award: the league line and why it qualifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub kind: AwardKind,
    pub entry: LeagueEntry,
    /// 校正得分 99.1%，评价 45 条（满意 45 条），期内无差评.
    pub reason: String,
}

/// The candidates of a staff (or window) league by `rule`: 服务明星 first, best score first; then
/// 办事能手, largest sample first. Nobody is proposed twice.
pub fn candidates(table: &LeagueTable, rule: &StarRule) -> Vec<Candidate> {
    let eligible: Vec<&LeagueEntry> = table
        .ranked
        .iter()
        .filter(|e| {
            e.sample_size >= rule.min_sample && e.bad_reviews == 0 && e.score.is_some_and(|s| s >= rule.min_score)
        })
        .collect();
    let score = |e: &LeagueEntry| e.score.unwrap_or(0.0);
    // `ranked` is best first already; keep that order and let ties at the last place in.
    let stars = take_with_ties(&eligible, rule.stars as usize, |a, b| (score(a) - score(b)).abs() < 1e-12);
    let mut rest: Vec<&LeagueEntry> =
        eligible.iter().copied().filter(|e| !stars.iter().any(|s| s.id == e.id)).collect();
    rest.sort_by(|a, b| b.sample_size.cmp(&a.sample_size).then(score(b).total_cmp(&score(a))).then(a.id.cmp(&b.id)));
    let able = take_with_ties(&rest, rule.able as usize, |a, b| a.sample_size == b.sample_size);
    let reason = |e: &LeagueEntry| {
        format!("校正得分 {:.1}%，评价 {} 条（满意 {} 条），期内无差评", score(e) * 100.0, e.sample_size, e.satisfied)
    };
    stars
        .into_iter()
        .map(|e| Candidate { kind: AwardKind::Star, entry: e.clone(), reason: reason(e) })
        .chain(able.into_iter().map(|e| Candidate { kind: AwardKind::Able, entry: e.clone(), reason: reason(e) }))
        .collect()
}

/// The first `n` of `sorted`, and after them every one tied with the last taken.
fn take_with_ties<'a>(
    sorted: &[&'a LeagueEntry],
    n: usize,
    tied: impl Fn(&LeagueEntry, &LeagueEntry) -> bool,
) -> Vec<&'a LeagueEntry> {
    if n == 0 {
        return Vec::new();
    }
    let mut out: Vec<&LeagueEntry> = sorted.iter().take(n).copied().collect();
    if let Some(last) = out.last().copied() {
        out.extend(sorted.iter().skip(n).take_while(|e| tied(last, e)).copied());
    }
    out
}

/// The 绩效考核 formula (the `assessment.score` part of a policy): points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default, deny_unknown_fields)]
pub struct ScoreFormula {
    /// What a unit or member of staff starts from (基础分).
    pub base: f64,
    /// Deducted per bad review left standing (not excluded, not overturned).
    pub per_bad_review: f64,
    /// Deducted per case handled after its deadline, or still open past it.
    pub per_overdue: f64,
    /// Deducted per return visit the citizen was not satisfied with.
    pub per_unsatisfied_visit: f64,
    /// Added per confirmed award (服务明星, 办事能手).
    pub per_award: f64,
}

impl Default for ScoreFormula {
    fn default() -> Self {
        ScoreFormula { base: 100.0, per_bad_review: 2.0, per_overdue: 1.0, per_unsatisfied_visit: 1.0, per_award: 2.0 }
    }
}

impl ScoreFormula {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.base.is_finite() && (1.0..=1000.0).contains(&self.base)) {
            return Err(format!("绩效考核基础分须在 1 到 1000 之间（现为 {}）", self.base));
        }
        for (name, v) in [
            ("每条差评扣分", self.per_bad_review),
            ("每件超期扣分", self.per_overdue),
            ("每次回访不满意扣分", self.per_unsatisfied_visit),
            ("每项表彰加分", self.per_award),
        ] {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                return Err(format!("{name}须在 0 到 100 之间（现为 {v}）"));
            }
        }
        Ok(())
    }

    /// The points one fact adds (an award) or takes away (the rest, negative).
    pub fn points(&self, kind: FactKind) -> f64 {
        match kind {
            FactKind::BadReview => -self.per_bad_review,
            FactKind::Overdue => -self.per_overdue,
            FactKind::UnsatisfiedVisit => -self.per_unsatisfied_visit,
            FactKind::Award => self.per_award,
        }
    }
}

/// What a score sheet counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    BadReview,
    Overdue,
    UnsatisfiedVisit,
    Award,
}

impl FactKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            FactKind::BadReview => "差评（成立）",
            FactKind::Overdue => "超期办理",
            FactKind::UnsatisfiedVisit => "回访不满意",
            FactKind::Award => "表彰加分",
        }
    }
}

/// One fact about a unit or member of staff: what it is and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// The unit or staff id the fact counts against (or for).
    pub subject: i64,
    pub kind: FactKind,
    /// The case it rests on (none for an award).
    pub case_id: Option<i64>,
    /// The case number, or the award's title and period.
    pub reference: String,
    /// A short description (dates, deadline, the award).
    pub note: String,
}

/// Who a sheet scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub id: i64,
    pub name: String,
    /// The staff number (工号) or the unit's code.
    pub code: String,
    /// The unit a member of staff works in (empty for a unit).
    pub unit_name: String,
}

/// One line of a score sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SheetLine {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub id: i64,
    pub name: String,
    pub code: String,
    pub unit_name: String,
    pub bad_reviews: u32,
    pub overdue: u32,
    pub unsatisfied_visits: u32,
    pub awards: u32,
    /// Points taken away (positive).
    pub deducted: f64,
    pub added: f64,
    /// `base − deducted + added`, never below zero.
    pub score: f64,
}

/// One traceable item of a sheet: a fact and its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SheetItem {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub subject: i64,
    pub subject_name: String,
    pub kind: FactKind,
    pub kind_label: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub case_id: Option<i64>,
    pub reference: String,
    pub note: String,
    pub points: f64,
}

/// A score sheet: one line per subject (best score first, then by name) and every item behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ScoreSheet {
    pub formula: ScoreFormula,
    pub lines: Vec<SheetLine>,
    pub items: Vec<SheetItem>,
}

/// Applies `formula` to `facts` for `subjects`. A fact about someone not among the subjects (a
/// member of staff since removed from the roster) gets a line under their id, so no point is lost.
pub fn sheet(formula: &ScoreFormula, subjects: &[Subject], facts: &[Fact]) -> ScoreSheet {
    let blank = |s: &Subject| SheetLine {
        id: s.id,
        name: s.name.clone(),
        code: s.code.clone(),
        unit_name: s.unit_name.clone(),
        bad_reviews: 0,
        overdue: 0,
        unsatisfied_visits: 0,
        awards: 0,
        deducted: 0.0,
        added: 0.0,
        score: 0.0,
    };
    let mut lines: Vec<SheetLine> = subjects.iter().map(blank).collect();
    let mut items = Vec::with_capacity(facts.len());
    for f in facts {
        let i = match lines.iter().position(|l| l.id == f.subject) {
            Some(i) => i,
            None => {
                let unknown = Subject {
                    id: f.subject,
                    name: format!("#{}", f.subject),
                    code: String::new(),
                    unit_name: String::new(),
                };
                lines.push(blank(&unknown));
                lines.len() - 1
            }
        };
        let line = &mut lines[i];
        let points = formula.points(f.kind);
        match f.kind {
            FactKind::BadReview => line.bad_reviews += 1,
            FactKind::Overdue => line.overdue += 1,
            FactKind::UnsatisfiedVisit => line.unsatisfied_visits += 1,
            FactKind::Award => line.awards += 1,
        }
        if points < 0.0 {
            line.deducted += -points;
        } else {
            line.added += points;
        }
        items.push(SheetItem {
            subject: f.subject,
            subject_name: line.name.clone(),
            kind: f.kind,
            kind_label: f.kind.label_zh().to_owned(),
            case_id: f.case_id,
            reference: f.reference.clone(),
            note: f.note.clone(),
            points,
        });
    }
    for l in &mut lines {
        l.deducted = round2(l.deducted);
        l.added = round2(l.added);
        l.score = round2((formula.base - l.deducted + l.added).max(0.0));
    }
    lines.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.name.cmp(&b.name)).then(a.id.cmp(&b.id)));
    items.sort_by(|a, b| {
        a.subject_name.cmp(&b.subject_name).then(a.kind.cmp(&b.kind)).then(a.reference.cmp(&b.reference))
    });
    ScoreSheet { formula: *formula, lines, items }
}

/// Points to two decimals (sums of tenths drift in binary).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::league::{LeagueOf, LeagueTable};
    use chrono::NaiveDate;

    fn entry(id: i64, score: f64, sample: u32, bad: u32) -> LeagueEntry {
        LeagueEntry {
            id,
            name: format!("员工{id}"),
            code: format!("G{id:03}"),
            unit_id: Some(1),
            unit_name: Some("东湖区政务服务中心".into()),
            rank: Some(1),
            score: Some(score),
            sample_size: sample,
            satisfied: sample - bad,
            raw_rate: Some(f64::from(sample - bad) / f64::from(sample)),
            bad_reviews: bad,
        }
    }

    fn table(ranked: Vec<LeagueEntry>) -> LeagueTable {
        LeagueTable {
            of: LeagueOf::Staff,
            period: "2026-11".into(),
            period_label: "2026年11月".into(),
            first_day: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            last_day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
            min_sample: 10,
            ranked,
            too_few: Vec::new(),
        }
    }

    #[test]
    fn candidates_follow_the_rule() {
        // Best first as a league lists them.
        let t = table(vec![
            entry(1, 0.990, 40, 0), // star
            entry(2, 0.985, 20, 0), // sample below the rule's 30: nobody
            entry(3, 0.980, 80, 1), // a bad review stands: nobody
            entry(4, 0.975, 60, 0), // star (tied with 5 at the last place)
            entry(5, 0.975, 35, 0), // star by the tie
            entry(6, 0.970, 90, 0), // 办事能手: the largest sample of the rest
            entry(7, 0.960, 50, 0), // 办事能手
            entry(8, 0.955, 31, 0), // not: two places of 办事能手 taken
            entry(9, 0.940, 99, 0), // score below 0.95: nobody
        ]);
        let rule = StarRule { min_sample: 30, min_score: 0.95, stars: 2, able: 2 };
        let got: Vec<(AwardKind, i64)> = candidates(&t, &rule).iter().map(|c| (c.kind, c.entry.id)).collect();
        assert_eq!(
            got,
            vec![
                (AwardKind::Star, 1),
                (AwardKind::Star, 4),
                (AwardKind::Star, 5),
                (AwardKind::Able, 6),
                (AwardKind::Able, 7)
            ]
        );
        let first = &candidates(&t, &rule)[0];
        assert_eq!(first.reason, "校正得分 99.0%，评价 40 条（满意 40 条），期内无差评");
        // No places: no candidates.
        assert!(candidates(&t, &StarRule { stars: 0, able: 0, ..rule }).is_empty());
    }

    #[test]
    fn star_rule_bounds() {
        assert!(StarRule::default().validate().is_ok());
        assert!(StarRule { min_score: 0.3, ..StarRule::default() }.validate().is_err());
        assert!(StarRule { stars: 21, ..StarRule::default() }.validate().is_err());
        assert!(StarRule { min_sample: 0, ..StarRule::default() }.validate().is_err());
    }

    fn fact(subject: i64, kind: FactKind, case: Option<i64>) -> Fact {
        Fact {
            subject,
            kind,
            case_id: case,
            reference: case.map_or_else(|| "服务明星 2026年11月".into(), |c| format!("HP-{c}")),
            note: String::new(),
        }
    }

    #[test]
    fn the_formula_hand_computed() {
        let formula = ScoreFormula {
            base: 100.0,
            per_bad_review: 2.5,
            per_overdue: 1.0,
            per_unsatisfied_visit: 0.5,
            per_award: 3.0,
        };
        let subjects = vec![
            Subject { id: 1, name: "甲".into(), code: "G001".into(), unit_name: "大厅".into() },
            Subject { id: 2, name: "乙".into(), code: "G002".into(), unit_name: "大厅".into() },
            Subject { id: 3, name: "丙".into(), code: "G003".into(), unit_name: "大厅".into() },
        ];
        let facts = vec![
            // 甲: two bad reviews (−5), one of them also overdue (−1), an unsatisfied visit (−0.5) = 93.5
            fact(1, FactKind::BadReview, Some(11)),
            fact(1, FactKind::BadReview, Some(12)),
            fact(1, FactKind::Overdue, Some(12)),
            fact(1, FactKind::UnsatisfiedVisit, Some(11)),
            // 乙: a star (+3) = 103
            fact(2, FactKind::Award, None),
            // Someone no longer on the roster: one overdue case (−1) = 99
            fact(9, FactKind::Overdue, Some(19)),
        ];
        let s = sheet(&formula, &subjects, &facts);
        let got: Vec<(i64, f64, f64, f64)> = s.lines.iter().map(|l| (l.id, l.deducted, l.added, l.score)).collect();
        assert_eq!(got, vec![(2, 0.0, 3.0, 103.0), (3, 0.0, 0.0, 100.0), (9, 1.0, 0.0, 99.0), (1, 6.5, 0.0, 93.5)]);
        let jia = s.lines.iter().find(|l| l.id == 1).expect("甲");
        assert_eq!((jia.bad_reviews, jia.overdue, jia.unsatisfied_visits, jia.awards), (2, 1, 1, 0));
        // Every point is an item naming its case: the items add up to each line.
        for l in &s.lines {
            let sum: f64 = s.items.iter().filter(|i| i.subject == l.id).map(|i| i.points).sum();
            assert!((formula.base + sum - l.score).abs() < 1e-9, "{l:?}");
        }
        assert_eq!(s.items.iter().filter(|i| i.case_id == Some(12)).count(), 2);
        // Never below zero.
        let harsh = ScoreFormula { base: 1.0, ..formula };
        assert_eq!(sheet(&harsh, &subjects, &facts).lines.iter().find(|l| l.id == 1).map(|l| l.score), Some(0.0));
    }

    #[test]
    fn formula_bounds() {
        assert!(ScoreFormula::default().validate().is_ok());
        assert!(ScoreFormula { per_overdue: -1.0, ..ScoreFormula::default() }.validate().is_err());
        assert!(ScoreFormula { base: f64::NAN, ..ScoreFormula::default() }.validate().is_err());
    }
}
