//! Fictional sample inputs used by the examples, the tests and docs/samples/.
//!
//! Every name, number and case here is invented.

use chrono::NaiveDate;

use crate::charts::{
    AnyChart, ChannelMix, ChannelShare, ContentCodeCount, ContentCodePareto, MonthPoint, MonthlyTrend, RankedValue,
    Timeliness, TimelinessRow, UnitRanking, ValueKind, WeekdayHourHeatmap,
};
use crate::export::CaseRow;
use crate::monthly::{MonthlyReportInput, ProblemItem, UnitKpi};
use crate::notice::{NoticeInput, NoticeStatus};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// (unit, ratings, bad, due, on time, late, overdue, rectified, revisits, satisfied)
type KpiRaw = (&'static str, u64, u64, u64, u64, u64, u64, u64, u64, u64);

/// Per-unit KPIs of March 2026.
pub fn unit_kpis() -> Vec<UnitKpi> {
    // (unit, ratings, bad, due, on time, late, overdue, rectified, revisits, satisfied)
    let raw: [KpiRaw; 10] = [
        ("市公安局", 48_210, 9, 9, 9, 0, 0, 9, 9, 9),
        ("市人力资源社会保障局", 36_544, 12, 12, 11, 1, 0, 12, 12, 11),
        ("市市场监管局", 29_870, 7, 7, 7, 0, 0, 7, 7, 7),
        ("市不动产登记中心", 22_416, 21, 20, 15, 3, 2, 18, 19, 15),
        ("市医疗保障局", 19_985, 6, 6, 6, 0, 0, 6, 6, 6),
        ("市税务局", 31_402, 8, 8, 8, 0, 0, 8, 8, 7),
        ("市住房城乡建设委", 9_876, 11, 11, 8, 2, 1, 10, 10, 8),
        ("市交通运输局", 12_033, 4, 4, 4, 0, 0, 4, 4, 4),
        ("市民政局", 7_654, 2, 2, 2, 0, 0, 2, 2, 2),
        ("市住房公积金中心", 15_322, 5, 5, 4, 1, 0, 5, 5, 5),
    ];
    raw.iter()
        .map(|&(unit, ratings, bad, due, on_time, late, overdue, rectified, revisits, satisfied)| UnitKpi {
            unit: unit.to_string(),
            ratings,
            bad_reviews: bad,
            // Every bad review opened a case; no complaints in the sample.
            cases: bad,
            cases_due: due,
            on_time,
            late,
            overdue,
            // The samples close every bad review by the end of the month.
            closed: bad,
            rectified,
            return_visits: revisits,
            return_visits_satisfied: satisfied,
        })
        .collect()
}

/// Trend of the last six months.
pub fn trend() -> MonthlyTrend {
    let raw = [
        ("2025-10", 231_004, 96),
        ("2025-11", 226_870, 88),
        ("2025-12", 240_115, 102),
        ("2026-01", 218_432, 79),
        ("2026-02", 170_990, 61),
        ("2026-03", 233_312, 85),
    ];
    MonthlyTrend {
        title: "近六个月差评数及差评率".into(),
        points: raw.iter().map(|&(m, r, b)| MonthPoint { month: m.into(), ratings: r, bad_reviews: b }).collect(),
    }
}

/// Ranking by bad-review rate (lower is better).
pub fn ranking() -> UnitRanking {
    UnitRanking {
        title: "各单位差评率排名（2026年3月）".into(),
        value_label: "差评率".into(),
        kind: ValueKind::Ratio,
        higher_is_better: false,
        rows: unit_kpis()
            .iter()
            .map(|k| RankedValue { unit: k.unit.clone(), value: k.bad_review_rate().unwrap_or(0.0) })
            .collect(),
    }
}

/// Timeliness by unit.
pub fn timeliness() -> Timeliness {
    Timeliness {
        title: "各单位差评整改及时情况（2026年3月）".into(),
        rows: unit_kpis()
            .iter()
            .map(|k| TimelinessRow { unit: k.unit.clone(), on_time: k.on_time, late: k.late, overdue: k.overdue })
            .collect(),
    }
}

/// Channel mix.
pub fn channels() -> ChannelMix {
    let raw = [
        ("网上办事大厅", 31_220),
        ("移动端", 88_410),
        ("二维码", 29_815),
        ("窗口评价器", 64_002),
        ("自助终端", 6_130),
        ("电话回访", 4_410),
        ("短信", 7_203),
        ("系统默认评价", 2_122),
    ];
    ChannelMix {
        title: "评价渠道构成（2026年3月）".into(),
        channels: raw.iter().map(|&(c, n)| ChannelShare { channel: c.into(), count: n }).collect(),
    }
}

/// Content codes of bad reviews.
pub fn pareto() -> ContentCodePareto {
    let raw = [
        ("110", "无正当理由超过法定办理时限", 23),
        ("104", "一次性告知不到位", 17),
        ("108", "办事指南与实际要求不一致", 12),
        ("112", "窗口人员服务态度差", 9),
        ("103", "系统故障无法办理", 7),
        ("106", "要求提供法定外材料", 5),
        ("101", "排队等候时间过长", 4),
        ("115", "线上线下标准不一", 3),
        ("109", "咨询电话无人接听", 2),
        ("111", "评价后未予回复", 2),
        ("113", "收费标准不透明", 1),
    ];
    ContentCodePareto {
        title: "差评问题类型帕累托分析（2026年3月）".into(),
        codes: raw
            .iter()
            .map(|&(code, label, count)| ContentCodeCount { code: code.into(), label: label.into(), count })
            .collect(),
    }
}

/// Weekday × hour heat map with a deterministic, plausible pattern.
pub fn heatmap() -> WeekdayHourHeatmap {
    let mut counts = [[0u32; 24]; 7];
    for (d, row) in counts.iter_mut().enumerate() {
        for (h, c) in row.iter_mut().enumerate() {
            let office = (9..12).contains(&h) || (14..17).contains(&h);
            let weekend = d >= 5;
            let base: u32 = match (office, weekend) {
                (true, false) => 2 + ((d * 7 + h * 3) % 4) as u32,
                (true, true) => ((d + h) % 2) as u32,
                (false, false) if (8..19).contains(&h) => ((d + h) % 3 == 0) as u32,
                _ => 0,
            };
            // Monday morning peak.
            *c = if d == 0 && (9..11).contains(&h) { base + 5 } else { base };
        }
    }
    WeekdayHourHeatmap { title: "差评发生时段分布（2026年3月）".into(), counts }
}

/// All six sample charts.
pub fn all_charts() -> Vec<(&'static str, AnyChart)> {
    vec![
        ("chart-bad-review-rate-by-month", AnyChart::Trend(trend())),
        ("chart-unit-ranking", AnyChart::Ranking(ranking())),
        ("chart-timeliness-by-unit", AnyChart::Timeliness(timeliness())),
        ("chart-channel-mix", AnyChart::Channels(channels())),
        ("chart-content-code-pareto", AnyChart::Pareto(pareto())),
        ("chart-weekday-hour-heatmap", AnyChart::Heatmap(Box::new(heatmap()))),
    ]
}

/// A rectification notice.
pub fn notice() -> NoticeInput {
    NoticeInput {
        kind: crate::notice::NoticeKind::Rectification,
        note: None,
        issuing_unit: "示例市政务服务管理办公室".into(),
        header_title: None,
        doc_prefix: "示政管督".into(),
        doc_year: 2026,
        doc_no: Some(12),
        title: None,
        recipient_unit: "示例市不动产登记中心".into(),
        case_no: "HCP-2026-000318".into(),
        service_record_no: Some("SL-5001-20260309-0042".into()),
        item_name: "国有建设用地使用权及房屋所有权转移登记".into(),
        service_date: date(2026, 3, 9),
        level_label: "非常不满意".into(),
        content: "材料已按办事指南准备齐全，窗口仍要求补充开具无犯罪记录证明，来回跑了三次，超过承诺时限仍未办结。"
            .into(),
        rectification_required: vec![
            "立即核查该办件的受理和审核情况，对符合条件的申请当即办结，并向办事群众当面说明情况、赔礼道歉；".into(),
            "对照省级事项清单全面清理办事指南，取消无法定依据的证明材料，确保线上线下标准一致；".into(),
            "落实一次性告知和首问负责制度，对相关窗口人员开展业务培训和作风教育；".into(),
            "完成整改后及时组织回访，回访结果录入好差评系统。".into(),
        ],
        status: NoticeStatus::Running { deadline: date(2026, 3, 27), working_days_left: 5 },
        escalation: None,
        reopened: 0,
        issue_date: date(2026, 3, 20),
        contact: Some("联系人：王晓明，电话：023-12345678".into()),
        cc: vec!["市纪委监委驻市政务服务管理办公室纪检监察组".into()],
        attachments: Vec::new(),
        appendix: Vec::new(),
    }
}

/// A 督办整改通知书 listing the case's evidence files, with a photo of the rectification as 附图.
pub fn notice_with_evidence() -> NoticeInput {
    use crate::attachments::{AppendixImage, AttachmentLine};
    let (w, h) = (800u32, 600u32);
    // A synthetic "photo": a window counter in front of a wall, drawn as bands.
    let rgb = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            if y > h * 2 / 3 {
                [150, 110, 70]
            } else if (w / 4..w * 3 / 4).contains(&x) && (h / 5..h / 2).contains(&y) {
                [200, 225, 245]
            } else {
                [235 - (y * 40 / h) as u8, 232, 220]
            }
        })
        .collect();
    let line = |name: &str, seed: &str, size: i64| AttachmentLine { name: name.into(), sha256: seed.repeat(8), size };
    NoticeInput {
        kind: crate::notice::NoticeKind::Rectification,
        doc_no: Some(16),
        status: NoticeStatus::Overdue { deadline: date(2026, 3, 17), working_days_overdue: 2 },
        attachments: vec![
            line("整改后窗口.jpg", "3f2a9c1b", 1_258_291),
            line("修订后的办事指南.pdf", "b81d04e7", 348_160),
        ],
        appendix: vec![AppendixImage {
            caption: "整改后窗口.jpg（1.2 MB，SHA-256 3f2a9c1b3f2a…）".into(),
            rgb,
            width: w,
            height: h,
        }],
        ..notice()
    }
}

/// A second, shorter notice for batch printing.
pub fn notice_2() -> NoticeInput {
    NoticeInput {
        doc_no: Some(13),
        recipient_unit: "示例市住房城乡建设委".into(),
        case_no: "HCP-2026-000327".into(),
        service_record_no: None,
        item_name: "建筑工程施工许可证核发".into(),
        service_date: date(2026, 3, 11),
        level_label: "不满意".into(),
        content: "网上申报系统多次提示上传失败，咨询电话无人接听。".into(),
        rectification_required: vec![
            "协调系统运维单位排查申报系统故障，恢复正常申报；".into(),
            "确保咨询电话工作时间有人接听，做好来电登记和回复。".into(),
        ],
        contact: None,
        cc: Vec::new(),
        ..notice()
    }
}

/// The same notice without its photo: the 附件 list only.
pub fn notice_with_evidence_list_only() -> NoticeInput {
    NoticeInput { appendix: Vec::new(), ..notice_with_evidence() }
}

/// The monthly dispatch report of March 2026.
pub fn monthly_report() -> MonthlyReportInput {
    MonthlyReportInput {
        issuing_unit: "示例市政务服务管理办公室".into(),
        bulletin_name: "政务服务“好差评”工作通报".into(),
        year: 2026,
        issue_no: 3,
        recipients: "各区县（园区）政务服务管理机构，市级有关部门".into(),
        period_label: "2026年3月".into(),
        scope_name: "全市".into(),
        issue_date: date(2026, 4, 3),
        units: unit_kpis(),
        previous_bad_review_rate: Some(61.0 / 170_990.0),
        problems: pareto()
            .codes
            .iter()
            .take(5)
            .map(|c| ProblemItem { code: c.code.clone(), label: c.label.clone(), count: c.count, example: None })
            .collect(),
        voices: vec![
            "从群众留言看，反映较多的是“排队”（12条，上月8条）、“材料”（9条，上月9条）、“窗口”（7条，上月3条）。"
                .into(),
        ],
        highlights: vec![
            "市公安局、市民政局、市交通运输局等单位差评均在规定时限内完成整改，回访满意率达到100%。".into()
        ],
        requirements: vec![
            "各单位要对本月差评逐件复盘，举一反三，从制度层面查找原因，防止同类问题反复发生。".into(),
            "差评整改及时率低于90%的单位，要在5个工作日内向市政务服务管理办公室书面说明原因。".into(),
            "严格落实实名差评100%回访整改要求，不得以任何方式诱导、干预群众评价。".into(),
        ],
        charts: vec![
            AnyChart::Trend(trend()),
            AnyChart::Ranking(ranking()),
            AnyChart::Timeliness(timeliness()),
            AnyChart::Channels(channels()),
            AnyChart::Pareto(pareto()),
            AnyChart::Heatmap(Box::new(heatmap())),
        ],
        cc: vec!["市委办公室，市人大常委会办公室，市政府办公室，市政协办公室".into()],
    }
}

/// Case rows for the exports.
pub fn cases() -> Vec<CaseRow> {
    vec![
        CaseRow {
            case_no: "HCP-2026-000318".into(),
            unit: "示例市不动产登记中心".into(),
            item_name: "国有建设用地使用权及房屋所有权转移登记".into(),
            channel: "窗口评价器".into(),
            level: "非常不满意".into(),
            content_codes: "110;106".into(),
            rated_on: date(2026, 3, 9),
            deadline: Some(date(2026, 3, 27)),
            state: "整改中".into(),
            closed_on: None,
            handler: "李四".into(),
            evaluator_masked: "张*".into(),
        },
        CaseRow {
            case_no: "HCP-2026-000327".into(),
            unit: "示例市住房城乡建设委".into(),
            item_name: "建筑工程施工许可证核发".into(),
            channel: "网上办事大厅".into(),
            level: "不满意".into(),
            content_codes: "103;109".into(),
            rated_on: date(2026, 3, 11),
            deadline: Some(date(2026, 3, 18)),
            state: "已办结".into(),
            closed_on: Some(date(2026, 3, 17)),
            handler: "王五".into(),
            evaluator_masked: "=HYPERLINK(\"x\")".into(),
        },
        CaseRow {
            case_no: "HCP-2026-000331".into(),
            unit: "示例市不动产登记中心".into(),
            item_name: "抵押权登记".into(),
            channel: "移动端".into(),
            level: "不满意".into(),
            content_codes: "110".into(),
            rated_on: date(2026, 3, 12),
            deadline: Some(date(2026, 3, 19)),
            state: "已办结".into(),
            closed_on: Some(date(2026, 3, 20)),
            handler: "赵六".into(),
            evaluator_masked: "匿名".into(),
        },
    ]
}

/// A 催办通知书 for the first sample case, three working days late, quoting the supervisor's note.
pub fn reminder() -> NoticeInput {
    NoticeInput {
        kind: crate::notice::NoticeKind::Reminder,
        doc_no: Some(14),
        note: Some("请于明日下班前电话回复办理进展，联系电话13812345678".into()),
        status: NoticeStatus::Overdue { deadline: date(2026, 3, 17), working_days_overdue: 3 },
        ..notice()
    }
}

/// A 督办通知单 for the second sample case, at 政府督查 and five working days late.
pub fn supervision_sheet() -> NoticeInput {
    NoticeInput {
        kind: crate::notice::NoticeKind::Supervision,
        doc_no: Some(15),
        escalation: Some("政府督查".into()),
        status: NoticeStatus::Overdue { deadline: date(2026, 3, 13), working_days_overdue: 5 },
        ..notice_2()
    }
}

/// 服务明星 / 办事能手 of a month, as the list and the certificates print them.
pub fn awards() -> crate::awards::AwardsInput {
    use crate::awards::{AwardInput, AwardsInput};
    let award = |title: &str, name: &str, no: &str, unit: &str, score: f64, n: i64| AwardInput {
        title: title.into(),
        name: name.into(),
        employee_no: no.into(),
        unit_name: unit.into(),
        score,
        sample_size: n,
    };
    AwardsInput {
        period_label: "2026年11月".into(),
        issuer: "江城市政务服务管理办公室".into(),
        issue_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default(),
        awards: vec![
            award("服务明星", "赵丽", "GH00062", "江城市政务服务中心", 0.9778, 118),
            award("服务明星", "何杰", "GH00035", "西山区政务服务中心", 0.9761, 96),
            award("办事能手", "胡建华", "GH00028", "东湖街道便民服务中心", 0.9741, 214),
        ],
    }
}
