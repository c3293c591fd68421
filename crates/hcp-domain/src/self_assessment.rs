//! 自我评价 (a hall's periodic self-assessment) on the Chongqing plan's seven headings, and who may
//! do what with it.
//!
//! A hall (an org unit of kind hall) assesses itself once per **quarter** (`2026-Q4`). A quarter,
//! not a month: the headings (大厅建设, 便民利民创新举措, 流程优化 …) describe work that changes over
//! months, the monthly rhythm is already the rankings' and the 月调度's, and a supervisor reviewing
//! every hall of a district each month would review nothing well.
//!
//! Each heading has a maximum ([`Heading::max_points`]); the maxima add up to 100. A score is a
//! whole number from 0 to the heading's maximum, and every heading needs a text (what was done,
//! 2–1000 characters) before the form can be submitted. A draft may be incomplete; it lives on the
//! hall manager's laptop only.
//!
//! States (the server's record; the draft is local): [`Status::Submitted`] (已提交) →
//! [`Status::Approved`] (已通过) or [`Status::Returned`] (已退回, with the supervisor's comment) →
//! resubmitted → … Only the hall's own manager submits, once per hall and quarter (a returned form
//! is revised and submitted again, the same record); only a supervisor whose jurisdiction holds the
//! hall reviews it, and only while it is submitted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::league::LeaguePeriod;
use crate::org::ScopePath;
use crate::role::Role;

/// The seven headings of the Chongqing plan, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Heading {
    /// 事项清单管理
    ItemList,
    /// 流程优化
    Process,
    /// 服务态度
    Attitude,
    /// 大厅(窗口)建设
    HallBuilding,
    /// 监督检查
    Inspection,
    /// 差评投诉
    Complaints,
    /// 便民利民创新举措
    Innovation,
}

crate::str_enum!(Heading {
    ItemList => "item_list",
    Process => "process",
    Attitude => "attitude",
    HallBuilding => "hall_building",
    Inspection => "inspection",
    Complaints => "complaints",
    Innovation => "innovation",
});

impl Heading {
    pub fn label_zh(self) -> &'static str {
        match self {
            Heading::ItemList => "事项清单管理",
            Heading::Process => "流程优化",
            Heading::Attitude => "服务态度",
            Heading::HallBuilding => "大厅(窗口)建设",
            Heading::Inspection => "监督检查",
            Heading::Complaints => "差评投诉",
            Heading::Innovation => "便民利民创新举措",
        }
    }

    /// The heading's maximum score; the seven add up to [`MAX_TOTAL`].
    pub fn max_points(self) -> u32 {
        match self {
            Heading::ItemList => 15,
            Heading::Process => 15,
            Heading::Attitude => 20,
            Heading::HallBuilding => 15,
            Heading::Inspection => 10,
            Heading::Complaints => 15,
            Heading::Innovation => 10,
        }
    }
}

/// The highest total score.
pub const MAX_TOTAL: u32 = 100;
/// Characters of a heading's text, at least and at most (when submitted).
pub const TEXT_MIN: usize = 2;
pub const TEXT_MAX: usize = 1000;
/// Characters of a review comment (a return needs one; an approval may have one).
pub const COMMENT_MAX: usize = 500;

/// One heading of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Entry {
    pub heading: Heading,
    /// `None` while a draft has no score yet.
    pub score: Option<u32>,
    pub text: String,
}

/// The form: one entry per heading (a draft may leave some out).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Form {
    pub entries: Vec<Entry>,
}

/// What is wrong with a form, one problem per heading (or the form), in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    pub heading: Option<Heading>,
    pub message: String,
}

impl Form {
    /// The entry of a heading.
    pub fn entry(&self, h: Heading) -> Option<&Entry> {
        self.entries.iter().find(|e| e.heading == h)
    }

    /// The sum of the scores given.
    pub fn total(&self) -> u32 {
        self.entries.iter().filter_map(|e| e.score).sum()
    }

    /// Problems that even a draft may not have: a heading twice, a score above its maximum, a text
    /// too long.
    pub fn draft_problems(&self) -> Vec<FormProblem> {
        let mut out = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let h = e.heading;
            if self.entries[..i].iter().any(|o| o.heading == h) {
                out.push(FormProblem { heading: Some(h), message: format!("“{}”重复填写", h.label_zh()) });
                continue;
            }
            if let Some(s) = e.score.filter(|s| *s > h.max_points()) {
                out.push(FormProblem {
                    heading: Some(h),
                    message: format!("“{}”得分 {s} 超过满分 {}", h.label_zh(), h.max_points()),
                });
            }
            if e.text.trim().chars().count() > TEXT_MAX {
                out.push(FormProblem {
                    heading: Some(h),
                    message: format!("“{}”的说明不能超过 {TEXT_MAX} 个字", h.label_zh()),
                });
            }
        }
        out
    }

    /// Problems that keep the form from being submitted: the draft's, and every heading needs a
    /// score and a text.
    pub fn submit_problems(&self) -> Vec<FormProblem> {
        let mut out = self.draft_problems();
        for h in Heading::ALL {
            match self.entry(h) {
                None => out.push(FormProblem { heading: Some(h), message: format!("请填写“{}”", h.label_zh()) }),
                Some(e) => {
                    if e.score.is_none() {
                        out.push(FormProblem {
                            heading: Some(h), message: format!("请为“{}”打分", h.label_zh())
                        });
                    }
                    if e.text.trim().chars().count() < TEXT_MIN {
                        out.push(FormProblem {
                            heading: Some(h),
                            message: format!("请填写“{}”的工作情况（至少 {TEXT_MIN} 个字）", h.label_zh()),
                        });
                    }
                }
            }
        }
        out
    }

    /// The form with its entries in heading order and texts trimmed (as stored).
    pub fn normalized(&self) -> Form {
        let mut entries: Vec<Entry> =
            self.entries.iter().map(|e| Entry { text: e.text.trim().to_owned(), ..e.clone() }).collect();
        entries.sort_by_key(|e| e.heading);
        Form { entries }
    }
}

/// The state of a submitted self-assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Status {
    /// 已提交: waiting for the supervisor.
    Submitted,
    /// 已退回: the supervisor asked for a revision.
    Returned,
    /// 已通过: final.
    Approved,
}

crate::str_enum!(Status {
    Submitted => "submitted",
    Returned => "returned",
    Approved => "approved",
});

impl Status {
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Submitted => "已提交",
            Status::Returned => "已退回",
            Status::Approved => "已通过",
        }
    }
}

/// The supervisor's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ReviewDecision {
    /// 通过
    Approve,
    /// 退回修改
    Return,
}

crate::str_enum!(ReviewDecision {
    Approve => "approve",
    Return => "return",
});

impl ReviewDecision {
    /// The state a review leaves the form in.
    pub fn outcome(self) -> Status {
        match self {
            ReviewDecision::Approve => Status::Approved,
            ReviewDecision::Return => Status::Returned,
        }
    }
}

/// Why an action on a self-assessment is refused (Chinese messages; the server answers 403, 409 or
/// 422 by the variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The role or the user's unit may not do this (403).
    #[error("{0}")]
    NotAllowed(String),
    /// The record's state does not allow it (409).
    #[error("{0}")]
    WrongState(String),
    /// The input is wrong (422).
    #[error("{0}")]
    Invalid(String),
}

/// The period of a self-assessment: a quarter, `2026-Q4`.
pub fn parse_period(s: &str) -> Result<LeaguePeriod, Refusal> {
    match LeaguePeriod::parse(s) {
        Some(p @ LeaguePeriod::Quarter { .. }) => Ok(p),
        _ => Err(Refusal::Invalid(format!("期间“{}”无效：自我评价按季度填报，应写作 2026-Q4", s.trim()))),
    }
}

/// Whether `today` (local date) is late enough to assess `period`: from its first day on (a
/// quarter is assessed at its end or after it, never before it starts).
pub fn period_open(period: LeaguePeriod, today: NaiveDate) -> bool {
    period.dates().is_some_and(|d| d.first <= today)
}

/// Whether a user may submit (or resubmit) the self-assessment of `hall`: a hall manager whose own
/// unit is that hall. `existing` is the hall's record for the period, if there is one.
pub fn may_submit(
    role: Role,
    user_unit_path: &ScopePath,
    hall_path: &ScopePath,
    existing: Option<Status>,
) -> Result<(), Refusal> {
    if role != Role::HallManager {
        return Err(Refusal::NotAllowed("只有大厅负责人可以提交本大厅的自我评价".into()));
    }
    if user_unit_path != hall_path {
        return Err(Refusal::NotAllowed("只能提交您所负责大厅的自我评价".into()));
    }
    match existing {
        None | Some(Status::Returned) => Ok(()),
        Some(Status::Submitted) => Err(Refusal::WrongState("本期自我评价已提交，正在等待督查审核".into())),
        Some(Status::Approved) => Err(Refusal::WrongState("本期自我评价已审核通过，不能再次提交".into())),
    }
}

/// Whether a user may review a self-assessment of the hall at `hall_path` in state `status`: a
/// supervisor whose jurisdiction holds the hall; a return needs a comment.
pub fn may_review(
    role: Role,
    user_scope: &ScopePath,
    hall_path: &ScopePath,
    status: Status,
    decision: ReviewDecision,
    comment: &str,
) -> Result<(), Refusal> {
    if role != Role::Supervisor {
        return Err(Refusal::NotAllowed("只有督查人员可以审核自我评价".into()));
    }
    if !user_scope.contains(hall_path) {
        return Err(Refusal::NotAllowed("该大厅不在您的辖区内".into()));
    }
    let n = comment.trim().chars().count();
    if n > COMMENT_MAX {
        return Err(Refusal::Invalid(format!("审核意见不能超过 {COMMENT_MAX} 个字")));
    }
    if decision == ReviewDecision::Return && n < 2 {
        return Err(Refusal::Invalid("退回时请写明修改意见（至少 2 个字）".into()));
    }
    match status {
        Status::Submitted => Ok(()),
        Status::Returned => Err(Refusal::WrongState("该自我评价已退回，等待大厅修改后重新提交".into())),
        Status::Approved => Err(Refusal::WrongState("该自我评价已审核通过".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> ScopePath {
        ScopePath::try_from(s.to_owned()).expect("path")
    }

    fn full(score: u32) -> Form {
        Form {
            entries: Heading::ALL
                .into_iter()
                .map(|h| Entry { heading: h, score: Some(score.min(h.max_points())), text: "已完成".into() })
                .collect(),
        }
    }

    #[test]
    fn the_maxima_add_up_to_a_hundred_and_names_round_trip() {
        assert_eq!(Heading::ALL.iter().map(|h| h.max_points()).sum::<u32>(), MAX_TOTAL);
        for h in Heading::ALL {
            assert_eq!(Heading::parse(h.as_str()), Some(h));
        }
        for s in [Status::Submitted, Status::Returned, Status::Approved] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Heading::parse("x"), None);
    }

    #[test]
    fn a_complete_form_submits_and_totals() {
        let f = full(100);
        assert!(f.submit_problems().is_empty(), "{:?}", f.submit_problems());
        assert_eq!(f.total(), 100);
        assert_eq!(full(10).total(), 10 * 7);
    }

    #[test]
    fn a_draft_may_be_incomplete_but_never_above_a_maximum() {
        let mut f = Form { entries: vec![Entry { heading: Heading::Attitude, score: Some(18), text: String::new() }] };
        assert!(f.draft_problems().is_empty());
        let problems = f.submit_problems();
        // Six headings missing; the one given has no text.
        assert_eq!(problems.len(), 7, "{problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("服务态度") && p.message.contains("工作情况")));
        f.entries[0].score = Some(21);
        let p = f.draft_problems();
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("超过满分 20"), "{p:?}");
        f.entries.push(Entry { heading: Heading::Attitude, score: Some(1), text: "x".into() });
        assert!(f.draft_problems().iter().any(|p| p.message.contains("重复")));
        let mut g = full(5);
        g.entries[3].text = "长".repeat(TEXT_MAX + 1);
        assert!(g.submit_problems().iter().any(|p| p.message.contains("不能超过")));
        g.entries[3].score = None;
        assert!(g.submit_problems().iter().any(|p| p.message.contains("打分")));
    }

    #[test]
    fn normalizing_sorts_and_trims() {
        let f = Form {
            entries: vec![
                Entry { heading: Heading::Innovation, score: Some(1), text: "  b ".into() },
                Entry { heading: Heading::ItemList, score: Some(2), text: "a".into() },
            ],
        };
        let n = f.normalized();
        assert_eq!(n.entries[0].heading, Heading::ItemList);
        assert_eq!(n.entries[1].text, "b");
    }

    #[test]
    fn periods_are_quarters_that_have_begun() {
        assert_eq!(parse_period("2026-Q4").expect("q4").key(), "2026-Q4");
        for bad in ["2026-11", "2026", "2026-Q5", "x"] {
            assert!(matches!(parse_period(bad), Err(Refusal::Invalid(_))), "{bad}");
        }
        let q4 = parse_period("2026-Q4").expect("q4");
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        assert!(!period_open(q4, d(9, 30)));
        assert!(period_open(q4, d(10, 1)));
        assert!(period_open(q4, d(12, 31)));
    }

    #[test]
    fn only_the_halls_own_manager_submits_once_unless_returned() {
        let hall = path("/1/2/3/");
        assert!(may_submit(Role::HallManager, &hall, &hall, None).is_ok());
        assert!(may_submit(Role::HallManager, &hall, &hall, Some(Status::Returned)).is_ok());
        assert!(matches!(
            may_submit(Role::HallManager, &hall, &hall, Some(Status::Submitted)),
            Err(Refusal::WrongState(_))
        ));
        assert!(matches!(
            may_submit(Role::HallManager, &hall, &hall, Some(Status::Approved)),
            Err(Refusal::WrongState(_))
        ));
        // Another hall's manager, a manager above the hall, a supervisor: refused.
        assert!(matches!(may_submit(Role::HallManager, &path("/1/2/4/"), &hall, None), Err(Refusal::NotAllowed(_))));
        assert!(matches!(may_submit(Role::HallManager, &path("/1/2/"), &hall, None), Err(Refusal::NotAllowed(_))));
        for r in Role::ALL.into_iter().filter(|r| *r != Role::HallManager) {
            assert!(matches!(may_submit(r, &hall, &hall, None), Err(Refusal::NotAllowed(_))), "{r:?}");
        }
    }

    #[test]
    fn a_supervisor_of_the_jurisdiction_reviews_a_submitted_form() {
        let hall = path("/1/2/3/");
        let district = path("/1/2/");
        use ReviewDecision::{Approve, Return};
        assert!(may_review(Role::Supervisor, &district, &hall, Status::Submitted, Approve, "").is_ok());
        assert!(may_review(Role::Supervisor, &district, &hall, Status::Submitted, Return, "请补充数据").is_ok());
        assert!(matches!(
            may_review(Role::Supervisor, &district, &hall, Status::Submitted, Return, " "),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            may_review(Role::Supervisor, &path("/1/9/"), &hall, Status::Submitted, Approve, ""),
            Err(Refusal::NotAllowed(_))
        ));
        assert!(matches!(
            may_review(Role::HallManager, &hall, &hall, Status::Submitted, Approve, ""),
            Err(Refusal::NotAllowed(_))
        ));
        for s in [Status::Returned, Status::Approved] {
            assert!(matches!(
                may_review(Role::Supervisor, &district, &hall, s, Approve, ""),
                Err(Refusal::WrongState(_))
            ));
        }
        assert_eq!(Return.outcome(), Status::Returned);
        assert_eq!(Approve.outcome(), Status::Approved);
    }
}
