//! The statistics dashboard (统计分析): KPIs of the user's jurisdiction for one month, units ranked
//! fairly, and the charts, all read from the replica's incremental aggregates (works offline, and
//! stays fast on a million ratings) and finished with the same domain maths the server publishes
//! with (`hcp_replica::aggregates`).

use chrono::{DateTime, Datelike, Utc};
use hcp_domain::calendar::beijing_date;
use hcp_domain::kpi::{GroupBy, Kpis, Period, Ratio, Subject};
use hcp_domain::ranking::{rank, UnitScore};
use hcp_domain::Channel;
use hcp_replica::Replica;
use hcp_report::charts::{
    self, ChannelMix, ChannelShare, Lang, Look, MonthPoint, MonthlyTrend, RankedValue, Timeliness, TimelinessRow,
    UnitRanking, ValueKind,
};
use hcp_stats as stats;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RatioView {
    pub numerator: u32,
    pub denominator: u32,
    /// 0..=1; none when the denominator is 0.
    pub value: Option<f64>,
    /// e.g. `8.70%（4/46）`
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct KpiView {
    pub rated: u32,
    pub bad: u32,
    pub excluded_ratings: u32,
    pub cases: u32,
    pub overdue_open: u32,
    pub bad_rate: RatioView,
    pub satisfaction: RatioView,
    pub timeliness: RatioView,
    pub rectification: RatioView,
    pub visit_satisfaction: RatioView,
    pub real_name_visit_coverage: RatioView,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UnitKpiRow {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    /// 1-based; none for a unit without ratings.
    pub rank: Option<u32>,
    /// The small-sample-corrected satisfaction score, 0..=1.
    pub score: Option<f64>,
    pub sample_size: u32,
    pub kpis: KpiView,
}

/// The charts as SVG documents (empty when the CJK fonts are missing).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DashboardCharts {
    pub trend: String,
    pub channels: String,
    pub ranking: String,
    pub timeliness: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// `2026-11`
    pub month: String,
    /// `2026年11月`
    pub label: String,
    pub first: String,
    pub last: String,
    pub totals: KpiView,
    pub units: Vec<UnitKpiRow>,
    pub charts: DashboardCharts,
    /// Months with ratings, newest first.
    pub months: Vec<String>,
    /// The clock the 整改及时率 measures in the user's jurisdiction.
    pub timeliness_clock: TimelinessClock,
}

/// The rectification clock the 整改及时率 measures: `days` working (or calendar) days from
/// assignment or from the bad review's arrival (the jurisdiction's policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TimelinessClock {
    pub from: hcp_domain::RectifyFrom,
    pub days: u32,
    pub working_days: bool,
}

impl TimelinessClock {
    pub fn of(rules: &hcp_domain::DeadlineRules) -> TimelinessClock {
        let (days, working_days) = match rules.policy {
            hcp_domain::DeadlinePolicy::WorkingDays(n) => (n, true),
            hcp_domain::DeadlinePolicy::CalendarDays(n) => (n, false),
        };
        TimelinessClock { from: rules.rectify_from, days, working_days }
    }
}

pub(crate) fn stats_error(e: stats::StatsError) -> ApiError {
    ApiError::new(ErrorCode::Replica, format!("统计数据读取失败：{e}"))
}

fn n(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn ratio(r: &Ratio) -> RatioView {
    RatioView { numerator: n(r.numerator), denominator: n(r.denominator), value: r.value(), label: r.label_zh() }
}

fn view(k: &Kpis) -> KpiView {
    KpiView {
        rated: n(k.rated),
        bad: n(k.bad),
        excluded_ratings: n(k.excluded_ratings),
        cases: n(k.cases),
        overdue_open: n(k.overdue_open),
        bad_rate: ratio(&k.bad_rate),
        satisfaction: ratio(&k.satisfaction_rate),
        timeliness: ratio(&k.timeliness),
        rectification: ratio(&k.rectification_rate),
        visit_satisfaction: ratio(&k.return_visit_satisfaction),
        real_name_visit_coverage: ratio(&k.real_name_visit_coverage),
    }
}

fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

fn svg(result: hcp_report::Result<Vec<u8>>) -> String {
    match result {
        Ok(bytes) => String::from_utf8(bytes).unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "chart not drawn");
            String::new()
        }
    }
}

/// The screen's language, as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ScreenLanguage {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

/// The screen's theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ScreenTheme {
    #[default]
    Light,
    Dark,
}

/// How the dashboard's charts are drawn: in the screen's language and theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartStyle {
    pub language: ScreenLanguage,
    pub theme: ScreenTheme,
}

impl ChartStyle {
    pub fn look(self) -> Look {
        Look {
            lang: match self.language {
                ScreenLanguage::ZhCn => Lang::Zh,
                ScreenLanguage::En => Lang::En,
            },
            theme: match self.theme {
                ScreenTheme::Light => charts::Theme::Light,
                ScreenTheme::Dark => charts::Theme::Dark,
            },
        }
    }
}

/// Everything one month's statistics need, computed once for the screen and for the report.
struct Month {
    chosen: String,
    scope: String,
    period: Period,
    /// The jurisdiction's root unit: (id, name, kind).
    scope_unit: Option<(i64, String, String)>,
    previous: Kpis,
    totals: Kpis,
    units: Vec<UnitKpiRow>,
    by_unit: Vec<(String, Kpis)>,
    months: Vec<String>,
    trend: MonthlyTrend,
    channels: ChannelMix,
    ranking: UnitRanking,
    timeliness: Timeliness,
}

fn compute(r: &Replica, month: Option<&str>, now: DateTime<Utc>, look: Look) -> ApiResult<Month> {
    let scope = r.scope()?.unwrap_or_else(|| "/".to_owned());
    let months = r.rating_months(&scope)?;
    let chosen = match month {
        Some(m) => m.to_owned(),
        None => months.first().cloned().unwrap_or_else(|| beijing_date(now).format("%Y-%m").to_string()),
    };
    let period = parse_month(&chosen)
        .and_then(|(y, m)| Period::month(y, m))
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, format!("月份“{chosen}”无效，应形如 2026-11")))?;
    let month_back = |back: i32| {
        let total = period.first.year() * 12 + period.first.month0() as i32 - back;
        Period::month(total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
    };
    // Every figure comes from the replica's aggregates (kept current as changes apply), finished
    // with the same domain maths the server publishes with.
    let totals = r.kpis(&scope, Subject::All, &period, now)?;
    let previous = match month_back(1) {
        Some(p) => r.kpis(&scope, Subject::All, &p, now)?,
        None => Kpis::default(),
    };
    let scope_unit = stats::scope_unit(r.conn(), &scope).map_err(stats_error)?;
    let by_unit = r.kpis_by(&scope, GroupBy::Unit, &period, now)?;
    let names = unit_names(r, by_unit.keys().copied())?;
    let scores: Vec<UnitScore> = by_unit.iter().map(|(id, k)| UnitScore::satisfaction(*id, k)).collect();
    let ranked = rank(&scores);
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("{} {id}", look.tr("单位", "Unit")));
    let mut units: Vec<UnitKpiRow> = ranked
        .iter()
        .filter_map(|ru| {
            by_unit.get(&ru.unit_id).map(|k| UnitKpiRow {
                unit_id: ru.unit_id,
                unit_name: name_of(ru.unit_id),
                rank: ru.rank,
                score: ru.score,
                sample_size: n(ru.sample_size),
                kpis: view(k),
            })
        })
        .collect();
    units.sort_by_key(|u| (u.rank.is_none(), u.rank));

    // Twelve months up to the chosen one.
    let first = month_back(11).map_or(period.first, |p| p.first);
    let volume = r.monthly_volume(&scope, &Period::new(first, period.last))?;
    let mut points = Vec::new();
    for back in (0..12).rev() {
        let Some(p) = month_back(back) else { continue };
        let label = p.first.format("%Y-%m").to_string();
        let (rated, bad) = volume.iter().find(|(m, _, _)| *m == label).map_or((0, 0), |(_, r, b)| (*r, *b));
        if rated > 0 || back == 0 {
            points.push(MonthPoint { month: label, ratings: rated, bad_reviews: bad });
        }
    }
    let channels = r
        .channel_counts(&scope, &period)?
        .into_iter()
        .map(|(code, count)| ChannelShare { channel: channel_label(code, look.lang), count })
        .collect();
    let ranking_rows: Vec<RankedValue> = units
        .iter()
        .filter_map(|u| u.score.map(|s| RankedValue { unit: u.unit_name.clone(), value: s }))
        .take(40)
        .collect();
    let timeliness_rows: Vec<TimelinessRow> = by_unit
        .iter()
        .filter(|(_, k)| k.timeliness.denominator > 0)
        .take(40)
        .map(|(id, k)| TimelinessRow {
            unit: name_of(*id),
            on_time: k.timeliness.numerator,
            overdue: k.overdue_open,
            late: k.timeliness.denominator.saturating_sub(k.timeliness.numerator + k.overdue_open),
        })
        .collect();
    Ok(Month {
        chosen,
        scope,
        period,
        scope_unit,
        previous,
        totals,
        by_unit: by_unit.iter().map(|(id, k)| (name_of(*id), k.clone())).collect(),
        units,
        months,
        trend: MonthlyTrend { title: look.tr("差评率月度趋势", "Bad-review rate by month").into(), points },
        channels: ChannelMix { title: look.tr("评价渠道分布", "Ratings by channel").into(), channels },
        ranking: UnitRanking {
            title: look.tr("单位满意度排名（小样本校正）", "Units by satisfaction (small-sample corrected)").into(),
            value_label: look.tr("校正满意度", "Corrected satisfaction").into(),
            kind: ValueKind::Ratio,
            higher_is_better: true,
            rows: ranking_rows,
        },
        timeliness: Timeliness {
            title: look.tr("办理及时性", "Timeliness of handling").into(), rows: timeliness_rows
        },
    })
}

/// The names of the units `ids`, by id: only those ranked (a province's replica holds tens of
/// thousands of units, a few thousand of them rated halls).
fn unit_names(r: &Replica, ids: impl Iterator<Item = i64>) -> ApiResult<std::collections::HashMap<i64, String>> {
    let ids = serde_json::to_string(&ids.collect::<Vec<_>>())
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("单位编号无法编码：{e}")))?;
    let mut stmt = r
        .conn()
        .prepare_cached("SELECT id, name FROM org_units WHERE id IN (SELECT value FROM json_each(?1))")
        .map_err(hcp_replica::ReplicaError::from)?;
    let rows = stmt
        .query_map([ids], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(hcp_replica::ReplicaError::from)?
        .collect::<rusqlite::Result<_>>()
        .map_err(hcp_replica::ReplicaError::from)?;
    Ok(rows)
}

/// A channel's name in the chart's language.
fn channel_label(code: u8, lang: Lang) -> String {
    match (Channel::try_from(code), lang) {
        (Ok(c), Lang::Zh) => c.label_zh().to_owned(),
        (Ok(c), Lang::En) => c.label_en().to_owned(),
        (Err(_), Lang::Zh) => format!("渠道{code}"),
        (Err(_), Lang::En) => format!("Channel {code}"),
    }
}

/// The CJK fonts, located and parsed once per process. Loading them reads and parses the Noto
/// and Fandol collections (tens of megabytes), which took longer than the rest of a dashboard; a
/// failure is not kept, so fonts installed later are found.
fn fonts() -> hcp_report::Result<hcp_report::Fonts> {
    static FONTS: std::sync::OnceLock<hcp_report::Fonts> = std::sync::OnceLock::new();
    if let Some(f) = FONTS.get() {
        return Ok(f.clone());
    }
    let f = hcp_report::Fonts::locate()?;
    Ok(FONTS.get_or_init(|| f).clone())
}

/// The dashboard for `month` (`YYYY-MM`; the newest month with data when none), its charts drawn
/// in the screen's language and theme.
pub fn dashboard(
    r: &Replica,
    month: Option<&str>,
    now: DateTime<Utc>,
    look: Look,
    rules: &hcp_domain::DeadlineRules,
) -> ApiResult<Dashboard> {
    let m = compute(r, month, now, look)?;
    let charts = match fonts() {
        Err(e) => {
            tracing::warn!(error = %e, "no CJK fonts: the dashboard shows numbers only");
            DashboardCharts {
                trend: String::new(),
                channels: String::new(),
                ranking: String::new(),
                timeliness: String::new(),
            }
        }
        Ok(fonts) => {
            let draw = |c: charts::AnyChart| svg(c.render_as(&fonts, charts::Format::Svg, look));
            DashboardCharts {
                trend: draw(charts::AnyChart::Trend(m.trend)),
                channels: draw(charts::AnyChart::Channels(m.channels)),
                ranking: draw(charts::AnyChart::Ranking(m.ranking)),
                timeliness: draw(charts::AnyChart::Timeliness(m.timeliness)),
            }
        }
    };
    Ok(Dashboard {
        month: m.chosen,
        label: match look.lang {
            Lang::Zh => m.period.label_zh(),
            Lang::En => m.period.label_en(),
        },
        first: m.period.first.format("%Y-%m-%d").to_string(),
        last: m.period.last.format("%Y-%m-%d").to_string(),
        totals: view(&m.totals),
        units: m.units,
        charts,
        months: m.months,
        timeliness_clock: TimelinessClock::of(rules),
    })
}

/// The 月调度通报 (monthly dispatch report) of `month` as the PDF shows it: the same figures as the
/// screen ([`dashboard`]) and `GET /api/v1/kpis`, for the user's jurisdiction.
/// 堵点分析 in the monthly report: the five themes the month's comments name most, with the month
/// before's counts.
fn voices(r: &Replica, month: &str) -> ApiResult<Vec<String>> {
    let h = crate::hotspots::hotspots(r, month)?;
    if h.themes.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> =
        h.themes.iter().take(5).map(|t| format!("“{}”（{}条，上月{}条）", t.word, t.count, t.previous)).collect();
    Ok(vec![format!("从{}条差评留言看，群众反映较多的是{}。", h.comments, list.join("、"))])
}

/// 窗口、工作人员排名 for the monthly report: the month's top and bottom windows and staff members
/// of the staff and window leagues (those ranked; the minimum sample from the policy).
fn league_paragraphs(r: &Replica, month: &str, scope: &str, now: DateTime<Utc>) -> ApiResult<Vec<String>> {
    use hcp_domain::league::LeagueOf;
    let assessment = crate::cases::policy(r, scope)?.assessment;
    let mut out = Vec::new();
    for (of, what) in [(LeagueOf::Window, "窗口"), (LeagueOf::Staff, "工作人员")] {
        let t = crate::rankings::league(r, of, month, &assessment, now)?;
        let k = if t.ranked.len() >= 6 { 3 } else { t.ranked.len() / 2 };
        if k == 0 {
            continue;
        }
        // 西山区医疗保障局12号窗口 (not 西山区医疗保障局窗口12号窗口); 郭涛（东湖区政务服务中心）.
        let who = |lines: &[hcp_domain::league::LeagueEntry]| {
            lines
                .iter()
                .map(|e| match (&e.unit_name, of) {
                    (Some(unit), LeagueOf::Window) => {
                        let unit = if e.name.ends_with("窗口") { unit.trim_end_matches("窗口") } else { unit };
                        format!("{unit}{}", e.name)
                    }
                    (Some(unit), LeagueOf::Staff) => format!("{}（{unit}）", e.name),
                    (None, _) => e.name.clone(),
                })
                .collect::<Vec<_>>()
                .join("、")
        };
        out.push(format!(
            "{what}排名（样本不少于{}条的{}个{what}参与排名）：{}位列前{}位；{}列后{}位。",
            t.min_sample,
            t.ranked.len(),
            who(&t.ranked[..k]),
            hcp_report::notice::chinese_numeral(k),
            who(&t.ranked[t.ranked.len() - k..]),
            hcp_report::notice::chinese_numeral(k),
        ));
    }
    Ok(out)
}

pub fn monthly_report_input(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    month: &str,
    now: DateTime<Utc>,
) -> ApiResult<hcp_report::monthly::MonthlyReportInput> {
    use hcp_report::monthly::{MonthlyReportInput, ProblemItem, UnitKpi};
    let m = compute(r, Some(month), now, Look::default())?;
    if m.totals.rated == 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("{}没有评价数据，无法生成月调度通报", m.period.label_zh()),
        ));
    }
    let units = m
        .by_unit
        .iter()
        .map(|(name, k)| UnitKpi {
            unit: name.clone(),
            ratings: k.rated,
            bad_reviews: k.bad,
            cases: k.cases,
            cases_due: k.timeliness.denominator,
            on_time: k.timeliness.numerator,
            overdue: k.overdue_open,
            late: k.timeliness.denominator.saturating_sub(k.timeliness.numerator + k.overdue_open),
            closed: k.rectification_rate.denominator,
            rectified: k.rectification_rate.numerator,
            return_visits: k.return_visit_satisfaction.denominator,
            return_visits_satisfied: k.return_visit_satisfaction.numerator,
        })
        .collect();
    let issuing_unit = issuing_unit(r, user)?;
    let highlights: Vec<String> = m
        .units
        .iter()
        .filter(|u| u.kpis.rated >= 20 && u.kpis.bad == 0)
        .map(|u| format!("{}本月参评 {} 件，无差评。", u.unit_name, u.kpis.rated))
        .take(5)
        .chain(league_paragraphs(r, &m.chosen, &user.scope_path, now)?)
        .collect();
    // 突出问题: the content codes most bad reviews carry, each with its meaning.
    let problems = r
        .bad_review_content_codes(&m.scope, &m.period)?
        .into_iter()
        .take(5)
        .map(|(code, count)| {
            let known = hcp_domain::ContentCode::new(code).ok();
            ProblemItem {
                code: known.map_or_else(|| code.to_string(), |c| c.to_string()),
                label: known.and_then(|c| c.label_zh()).unwrap_or("未定义的内容代码").to_owned(),
                count,
                example: None,
            }
        })
        .collect();
    Ok(MonthlyReportInput {
        issuing_unit,
        bulletin_name: "政务服务“好差评”工作通报".into(),
        year: m.period.first.year(),
        issue_no: m.period.first.month(),
        recipients: "辖区各政务服务大厅、便民服务中心，各有关部门".into(),
        period_label: m.period.label_zh(),
        scope_name: stats::scope_name_zh(m.scope_unit.as_ref()),
        issue_date: beijing_date(now),
        units,
        previous_bad_review_rate: m.previous.bad_rate.value(),
        problems,
        voices: voices(r, &m.chosen)?,
        highlights,
        requirements: vec![
            "对本月差评逐件落实整改，实名差评100%回访。".into(),
            "逾期未办结工单由督查人员挂牌督办，相关单位书面说明原因。".into(),
            "严禁诱导、强制办事群众评价，发现刷好评、恶意差评线索及时报告。".into(),
        ],
        charts: vec![
            charts::AnyChart::Trend(m.trend),
            charts::AnyChart::Ranking(m.ranking),
            charts::AnyChart::Timeliness(m.timeliness),
            charts::AnyChart::Channels(m.channels),
        ],
        cc: vec![],
    })
}

/// The office a document of the user's is issued by: a jurisdiction's 政务服务管理办公室, or a
/// hall itself.
pub fn issuing_unit(r: &Replica, user: &hcp_protocol::UserInfo) -> ApiResult<String> {
    let (unit_name, unit_kind) = r.unit(user.unit_id)?.unwrap_or_else(|| (user.unit_name.clone(), "hall".into()));
    Ok(match unit_kind.as_str() {
        "city" | "district" | "park" | "town" => format!("{unit_name}政务服务管理办公室"),
        _ => unit_name,
    })
}

/// The 月调度通报 (monthly dispatch report) for `month` as a PDF under `out_dir`.
pub fn monthly_report(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    month: &str,
    now: DateTime<Utc>,
    out_dir: &std::path::Path,
) -> ApiResult<crate::PrintedFile> {
    let input = monthly_report_input(r, user, month, now)?;
    let fonts = fonts().map_err(|e| ApiError::new(ErrorCode::FontsMissing, format!("无法生成通报：{e}")))?;
    let pdf = hcp_report::monthly::render(&fonts, &input)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("月调度通报生成失败：{e}")))?;
    let path = crate::exports::save_new_pdf(out_dir, &format!("月调度通报-{}", month.trim()), now, &pdf)?;
    Ok(crate::PrintedFile { path: path.display().to_string(), count: 1 })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    use hcp_domain::kpi::{kpis, kpis_by, KpiParams};
    use hcp_protocol::{Change, ChangeOp, Entity, EntityRow};
    use hcp_replica::ReplicaKey;
    use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
    use hcp_server::{AppState, Db};

    use super::*;

    /// The dashboard's figures as the facts give them (what the dashboard computed before the
    /// aggregates, and what the server publishes).
    fn assert_matches_the_facts(r: &Replica, month: &str, now: DateTime<Utc>) {
        let m = compute(r, Some(month), now, Look::default()).expect("dashboard");
        let scope = r.scope().expect("scope").expect("bootstrapped");
        let ratings = stats::rating_facts(r.conn(), &scope).expect("ratings");
        let cases = stats::case_facts(r.conn(), &scope).expect("cases");
        let params = KpiParams::beijing(now);
        assert_eq!(m.totals, kpis(&ratings, &cases, Subject::All, &m.period, &params), "{month}: totals");
        let by_unit = kpis_by(&ratings, &cases, GroupBy::Unit, &m.period, &params);
        assert_eq!(m.by_unit.len(), by_unit.len(), "{month}: units");
        for u in &m.units {
            assert_eq!(Some(&u.kpis), by_unit.get(&u.unit_id).map(view).as_ref(), "{month}: unit {}", u.unit_id);
        }
        let months: BTreeSet<String> =
            ratings.iter().map(|f| beijing_date(f.rated_at).format("%Y-%m").to_string()).collect();
        assert_eq!(m.months, months.into_iter().rev().collect::<Vec<_>>());
        for p in &m.trend.points {
            let (y, mo) = parse_month(&p.month).expect("month");
            let k = kpis(&ratings, &cases, Subject::All, &Period::month(y, mo).expect("period"), &params);
            assert_eq!((p.ratings, p.bad_reviews), (k.rated, k.bad), "{month}: trend {}", p.month);
        }
        // The channel mix is the domain's, and adds up to the ratings counted.
        let expected: Vec<(String, u64)> = hcp_domain::kpi::channel_counts(&ratings, Subject::All, &m.period, &params)
            .into_iter()
            .map(|(c, n)| (channel_label(c, Lang::Zh), n))
            .collect();
        let got: Vec<(String, u64)> = m.channels.channels.iter().map(|c| (c.channel.clone(), c.count)).collect();
        assert_eq!(got.iter().map(|(_, n)| n).sum::<u64>(), m.totals.rated, "{month}: channels add up");
        assert_eq!(got, expected, "{month}: channels");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_dashboard_from_the_aggregates_equals_the_facts_through_exclusions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("server.db")).expect("db");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        seed_demo(&db, &SeedOptions { evaluations: 1_200, seed: 5, today }).expect("seed");
        let srv = hcp_server::spawn(AppState::new(db), "127.0.0.1:0").await.expect("spawn");
        let client = hcp_sync::Client::new(&srv.url()).expect("client");
        let login = client.login("city.supervisor", DEMO_PASSWORD, None).await.expect("login");
        let replica = Arc::new(Mutex::new(
            Replica::open(&dir.path().join("r.db"), &ReplicaKey::from_bytes([4; 32])).expect("replica"),
        ));
        hcp_sync::bootstrap(&client, &login.token, replica.clone(), "2026-11-20T00:00:00Z".into(), |_| {})
            .await
            .expect("bootstrap");
        srv.stop().await;
        let mut r = replica.lock().expect("lock");
        let now = Utc::now();
        for month in ["2026-11", "2026-10", "2026-09"] {
            assert_matches_the_facts(&r, month, now);
        }

        // A pulled change excludes a counted bad review (its appeal overturned), then another (a
        // correction) counts it again.
        let id: i64 = r
            .conn()
            .query_row(
                "SELECT c.id FROM cases c JOIN ratings t ON t.id = c.rating_id
                  WHERE json_extract(c.aggregate, '$.excluded_from_stats') = 0
                    AND substr(t.rated_at, 1, 7) = '2026-11' ORDER BY c.id LIMIT 1",
                [],
                |row| row.get(0),
            )
            .expect("a counted bad review");
        let counted = r.case(id).expect("case").expect("exists");
        let before = compute(&r, Some("2026-11"), now, Look::default()).expect("dashboard").totals;
        let mut excluded = counted.clone();
        if let Some(a) = excluded.aggregate.as_mut() {
            a.appeal = hcp_domain::case::machine::AppealState::Overturned;
            a.excluded_from_stats = true;
        }
        excluded.version += 1;
        let cursor = r.cursor().expect("cursor").expect("bootstrapped");
        let change = |seq: i64, row: &hcp_protocol::CaseRow| Change {
            seq,
            op: ChangeOp::Upsert,
            entity: Entity::Case,
            entity_id: id,
            row: Some(EntityRow::Case(row.clone())),
        };
        r.apply_changes(&[change(cursor + 1, &excluded)], cursor + 1).expect("exclude");
        let after = compute(&r, Some("2026-11"), now, Look::default()).expect("dashboard").totals;
        assert_eq!(after.excluded_ratings, before.excluded_ratings + 1);
        assert_eq!(after.rated + 1, before.rated);
        assert_eq!(after.bad + 1, before.bad);
        assert_matches_the_facts(&r, "2026-11", now);
        r.apply_changes(&[change(cursor + 2, &counted)], cursor + 2).expect("re-include");
        assert_eq!(compute(&r, Some("2026-11"), now, Look::default()).expect("dashboard").totals, before);
        assert_matches_the_facts(&r, "2026-11", now);
    }
}
