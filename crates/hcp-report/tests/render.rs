//! Renders every chart, notice and report and checks text (through pdftotext)
//! and page geometry (measured on PNGs rendered by pdftoppm).
//!
//! Needs the Debian packages fonts-noto-cjk and poppler-utils.

use std::path::PathBuf;
use std::process::Command;

use hcp_report::charts::{self, AnyChart, ChannelMix, ChannelShare, RankedValue, UnitRanking, ValueKind};
use hcp_report::{monthly, notice, sample, Fonts, Format, ReportError};

const DPI: f32 = 100.0;
const TOLERANCE_MM: f32 = 2.0;

fn fonts() -> Fonts {
    Fonts::locate().expect("CJK fonts missing: apt-get install fonts-noto-cjk")
}

/// A private directory removed when the returned guard drops, and the path `name` inside it.
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix("hcp-report-test-").tempdir().expect("temp dir");
    let path = dir.path().join(name);
    (dir, path)
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    assert!(probe.is_ok(), "`{name}` is not installed: apt-get install poppler-utils (needed to check PDFs)");
    Command::new(name)
}

/// Text of the given pages (1-based, inclusive) as extracted by pdftotext.
fn pdftotext(pdf: &[u8], first: u32, last: u32) -> String {
    let (_dir, path) = scratch("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = tool("pdftotext")
        .args(["-layout", "-f", &first.to_string(), "-l", &last.to_string(), "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 text")
}

fn page_count(pdf: &[u8]) -> usize {
    // pdftotext ends every page with a form feed.
    pdftotext(pdf, 1, 9999).matches('\u{c}').count()
}

/// A greyscale rendering of one page.
struct Page {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Page {
    fn mm(px: usize) -> f32 {
        px as f32 * 25.4 / DPI
    }
    fn width_mm(&self) -> f32 {
        Self::mm(self.w)
    }
    fn height_mm(&self) -> f32 {
        Self::mm(self.h)
    }
    fn dark(&self, x: usize, y: usize) -> bool {
        self.px[y * self.w + x] < 200
    }
    /// Bounding box of the ink (left, top, right, bottom) in mm from the top-left corner.
    fn ink_box(&self) -> (f32, f32, f32, f32) {
        let (mut l, mut t, mut r, mut b) = (self.w, self.h, 0, 0);
        for y in 0..self.h {
            for x in 0..self.w {
                if self.dark(x, y) {
                    l = l.min(x);
                    r = r.max(x);
                    t = t.min(y);
                    b = b.max(y);
                }
            }
        }
        assert!(r > 0, "page is blank");
        (Self::mm(l), Self::mm(t), Self::mm(r + 1), Self::mm(b + 1))
    }
    /// Ink box restricted to rows between `from_mm` and `to_mm`.
    fn ink_rows(&self, from_mm: f32, to_mm: f32) -> Option<(f32, f32)> {
        let y0 = (from_mm / 25.4 * DPI) as usize;
        let y1 = ((to_mm / 25.4 * DPI) as usize).min(self.h);
        let mut first = None;
        let mut last = None;
        for y in y0..y1 {
            if (0..self.w).any(|x| self.dark(x, y)) {
                first.get_or_insert(y);
                last = Some(y);
            }
        }
        Some((Self::mm(first?), Self::mm(last? + 1)))
    }
}

/// Renders page `n` with pdftoppm to PNG and decodes it.
fn render_page(pdf: &[u8], n: u32) -> Page {
    let (_dir, path) = scratch("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let prefix = path.with_file_name("page");
    let out = tool("pdftoppm")
        .args(["-r", &format!("{DPI}"), "-gray", "-png", "-singlefile"])
        .args(["-f", &n.to_string(), "-l", &n.to_string()])
        .arg(&path)
        .arg(&prefix)
        .output()
        .expect("run pdftoppm");
    assert!(out.status.success(), "pdftoppm failed: {}", String::from_utf8_lossy(&out.stderr));
    let png_bytes = std::fs::read(prefix.with_extension("png")).expect("read png");
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let px = match info.color_type {
        png::ColorType::Grayscale => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).map(|p| p.iter().copied().min().unwrap_or(255)).collect(),
        png::ColorType::Rgba => buf.chunks_exact(4).map(|p| p[..3].iter().copied().min().unwrap_or(255)).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    Page { w: info.width as usize, h: info.height as usize, px }
}

fn assert_mm(what: &str, measured: f32, expected: f32) {
    println!("{what}: measured {measured:.1} mm, expected {expected:.1} mm");
    assert!(
        (measured - expected).abs() <= TOLERANCE_MM,
        "{what}: measured {measured:.1} mm, expected {expected:.1} ± {TOLERANCE_MM} mm"
    );
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

// ------------------------------------------------------------------ notices

#[test]
fn notice_text_follows_the_case_and_hides_the_evaluator() {
    let mut n = sample::notice();
    n.content = "窗口让我补材料，我的电话13812345678，身份证50010119900101123X。".into();
    let pdf = notice::render(&fonts(), &[n]).expect("render notice");
    let text = pdftotext(&pdf, 1, 9999);
    let flat = squash(&text);
    for needle in [
        "示例市政务服务管理办公室文件",
        "示政管督〔2026〕12号",
        "政务服务“好差评”差评整改通知书",
        "示例市不动产登记中心：",
        "2026年3月9日",
        "国有建设用地使用权及房屋所有权转移登记",
        "（办件编号：SL-5001-20260309-0042）",
        "（工单编号：HCP-2026-000318），经核实，反映的问题属实。",
        "“非常不满意”评价",
        "请你单位于5个工作日内（2026年3月27日前）完成整改",
        "（一）立即核查该办件",
        "（四）完成整改后及时组织回访",
        "2026年3月20日",
        "抄送：市纪委监委驻市政务服务管理办公室纪检监察组。",
        "2026年3月20日印发",
        "138******78",
    ] {
        assert!(flat.contains(needle), "notice text lacks {needle:?}:\n{text}");
    }
    assert!(!flat.contains("13812345678"), "phone number leaked");
    assert!(!flat.contains("19900101"), "ID number leaked");
    assert!(flat.contains("—1—"), "page number 1 missing:\n{text}");
    assert!(flat.contains("—2—"), "page number 2 missing:\n{text}");
}

/// The text of one notice as pdftotext reads it, without white space and page numbers (which
/// fall into the middle of a sentence at a page break).
fn notice_text(n: notice::NoticeInput) -> String {
    let flat = squash(&pdftotext(&notice::render(&fonts(), &[n]).expect("render notice"), 1, 9999));
    let mut out = String::new();
    let mut rest = flat.as_str();
    while let Some(at) = rest.find('—') {
        out.push_str(&rest[..at]);
        let after = &rest[at + '—'.len_utf8()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        match after[digits..].strip_prefix('—') {
            Some(tail) if digits > 0 => rest = tail,
            _ => {
                out.push('—');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn reminders_and_supervision_sheets_share_the_layout_and_say_their_own_thing() {
    use notice::{NoticeKind, NoticeStatus};
    let reminder = sample::reminder();
    let sheet = sample::supervision_sheet();
    // Batch-printed together: each starts on its own page with its own header and number.
    let pdf = notice::render(&fonts(), &[reminder.clone(), sheet.clone()]).expect("render");
    let all = squash(&pdftotext(&pdf, 1, 9999));
    assert_eq!(all.matches("示例市政务服务管理办公室文件").count(), 2, "{all}");
    let flat = notice_text(reminder);
    for needle in [
        "示政管督〔2026〕14号",
        "政务服务“好差评”差评工单催办通知书",
        "示例市不动产登记中心：",
        "（工单编号：HCP-2026-000318）",
        "该工单整改期限为2026年3月17日，截至2026年3月20日已逾期3个工作日，你单位仍未完成整改。",
        "现予催办。",
        "催办意见：请于明日下班前电话回复办理进展，联系电话138******78。",
        "（一）立即核查该办件",
        "将按督办规则逐级升级",
        "2026年3月20日印发",
    ] {
        assert!(flat.contains(needle), "the reminder lacks {needle:?}: {flat}");
    }
    assert!(!flat.contains("13812345678"), "a phone number in the note is masked");
    assert!(!flat.contains("整改通知书"), "a reminder is not a rectification notice: {flat}");
    let flat = notice_text(sheet);
    for needle in [
        "示政管督〔2026〕15号",
        "政务服务“好差评”差评工单督办通知单",
        "示例市住房城乡建设委：",
        "已逾期5个工作日",
        "该工单已升级至“政府督查”，由示例市政务服务管理办公室挂牌督办。",
        "督办要求如下：",
    ] {
        assert!(flat.contains(needle), "the supervision sheet lacks {needle:?}: {flat}");
    }
    assert!(!flat.contains("个工作日内（"), "a supervision sheet grants no fresh deadline: {flat}");
    // A reminder before the deadline says how little time is left.
    let mut early = sample::notice();
    early.kind = NoticeKind::Reminder;
    early.status = NoticeStatus::Running { deadline: day(2026, 3, 23), working_days_left: 1 };
    let flat = notice_text(early);
    assert!(flat.contains("距期限仅剩1个工作日") && flat.contains("在整改期限内完成整改"), "{flat}");
}

#[test]
fn a_notice_states_the_cases_real_deadline_and_never_a_fresh_one() {
    use notice::NoticeStatus;
    // On track: the case's own deadline, counted from the date of issue; the case number is a
    // 工单编号, never passed off as the service record's 办件编号.
    let flat = notice_text(sample::notice());
    assert!(flat.contains("政务服务“好差评”差评整改通知书"), "{flat}");
    assert!(!flat.contains("办件编号：HCP"), "the case number is not a service record number: {flat}");

    // Due on the day of issue: no "0个工作日内".
    let mut due_today = sample::notice();
    due_today.status = NoticeStatus::Running { deadline: due_today.issue_date, working_days_left: 0 };
    let flat = notice_text(due_today);
    assert!(flat.contains("该工单整改期限为2026年3月20日，请你单位于当日完成整改"), "{flat}");
    assert!(!flat.contains("0个工作日内"), "{flat}");

    // 51 working days overdue and at 追责问责: a 督办 notice that says so and grants no new days.
    let mut overdue = sample::notice();
    overdue.issue_date = day(2026, 11, 20);
    overdue.status = NoticeStatus::Overdue { deadline: day(2026, 9, 1), working_days_overdue: 51 };
    overdue.escalation = Some("追责问责".into());
    overdue.reopened = 1;
    let flat = notice_text(overdue);
    for needle in [
        "政务服务“好差评”差评督办整改通知书",
        "该工单整改期限为2026年9月1日，截至2026年11月20日已逾期51个工作日，你单位仍未完成整改。",
        "该工单已升级至“追责问责”。",
        "经回访，办事群众对整改结果不满意，该工单已重新办理1次。",
        "请你单位立即完成整改，并将整改落实情况、逾期原因和群众回访结果书面报送",
        "该工单已进入追责问责程序，将依规依纪追究相关单位和人员的责任。",
    ] {
        assert!(flat.contains(needle), "the overdue notice lacks {needle:?}: {flat}");
    }
    assert!(!flat.contains("个工作日内（"), "an overdue notice grants no fresh deadline: {flat}");
    assert!(!flat.contains("限期整改"), "{flat}");

    // Overdue at a lower rung: the ladder goes on.
    let mut late = sample::notice();
    late.status = NoticeStatus::Overdue { deadline: day(2026, 3, 16), working_days_overdue: 4 };
    late.escalation = Some("政府督查".into());
    let flat = notice_text(late);
    assert!(flat.contains("已逾期4个工作日") && flat.contains("该工单已升级至“政府督查”。"), "{flat}");
    assert!(flat.contains("仍未完成整改的，将按督办规则逐级升级，直至追责问责。"), "{flat}");

    // An extension waits: the clock stands, the approval decides.
    let mut paused = sample::notice();
    paused.status = NoticeStatus::Paused { deadline: day(2026, 3, 27) };
    let flat = notice_text(paused);
    assert!(flat.contains("你单位的延期申请正在审批中，整改期限（原定2026年3月27日）以审批结果为准。"), "{flat}");
    assert!(!flat.contains("个工作日内（"), "{flat}");

    // Not numbered yet (a preview): the number is left blank, never invented.
    let mut unnumbered = sample::notice();
    unnumbered.doc_no = None;
    let flat = notice_text(unnumbered);
    assert!(flat.contains("示政管督〔2026〕号"), "{flat}");
}

#[test]
fn notice_body_has_28_characters_per_full_line() {
    let pdf = notice::render(&fonts(), &[sample::notice()]).expect("render notice");
    let text = pdftotext(&pdf, 1, 1);
    let full_lines: Vec<&str> =
        text.lines().map(str::trim).filter(|l| l.chars().all(|c| !c.is_ascii()) && l.chars().count() == 28).collect();
    assert!(!full_lines.is_empty(), "no full 28-character line:\n{text}");
    for l in text.lines() {
        let cjk = l.chars().filter(|c| !c.is_ascii()).count();
        assert!(cjk <= 28, "line longer than 28 characters: {l}");
    }
}

#[test]
fn notice_page_geometry_matches_gbt_9704() {
    let pdf = notice::render(&fonts(), &[sample::notice()]).expect("render notice");
    assert_eq!(page_count(&pdf), 2, "the sample notice fills two pages");

    let p1 = render_page(&pdf, 1);
    assert_mm("page width", p1.width_mm(), 210.0);
    assert_mm("page height", p1.height_mm(), 297.0);
    let (l, t, r, _) = p1.ink_box();
    assert_mm("page 1 left margin", l, 28.0);
    assert_mm("page 1 right edge of the type area", r, 28.0 + 156.0);
    // The red header starts 35 mm below the top of the type area.
    assert_mm("page 1 header top", t, 37.0 + 35.0);

    let p2 = render_page(&pdf, 2);
    let (l, t, r, b) = p2.ink_box();
    assert_mm("page 2 top margin", t, 37.0);
    assert_mm("page 2 left margin", l, 28.0);
    assert_mm("page 2 right margin", 210.0 - r, 26.0);
    // Page number: 4号 digits with dashes 7 mm below the 225 mm type area.
    let (num_top, num_bottom) = p2.ink_rows(37.0 + 225.0 + 1.0, 297.0).expect("page number ink");
    assert_mm("page number centre", (num_top + num_bottom) / 2.0, 37.0 + 225.0 + 7.0);
    assert_mm("page bottom ink", b, num_bottom);
    // The 版记 ends with a rule on the bottom edge of the type area.
    let (_, colophon_bottom) = p2.ink_rows(37.0 + 200.0, 37.0 + 225.0 + 1.0).expect("colophon");
    assert_mm("colophon bottom rule", colophon_bottom, 37.0 + 225.0);
}

#[test]
fn batch_notices_start_on_new_pages_with_their_own_page_numbers() {
    let pdf =
        notice::render(&fonts(), &[sample::notice(), sample::notice_2(), sample::notice()]).expect("render batch");
    let pages = page_count(&pdf);
    assert!(pages >= 5, "three notices need at least five pages, got {pages}");
    let p3 = pdftotext(&pdf, 3, 3);
    assert!(squash(&p3).contains("示政管督〔2026〕13号"), "second notice must start on page 3:\n{p3}");
    assert!(squash(&p3).contains("—1—"), "page numbers restart for each notice:\n{p3}");
    assert!(squash(&p3).contains("示例市住房城乡建设委："));
}

#[test]
fn a_notice_lists_its_evidence_files_and_prints_the_photo_as_an_appendix() {
    let pdf = notice::render(&fonts(), &[sample::notice_with_evidence()]).expect("render");
    let pages = page_count(&pdf);
    let text = squash(&pdftotext(&pdf, 1, pages as u32));
    assert!(text.contains("附件：1.整改后窗口.jpg（1.2MB，SHA-2563f2a9c1b3f2a…）"), "{text}");
    assert!(text.contains("2.修订后的办事指南.pdf（340.0KB，SHA-256b81d04e7b81d…）"), "{text}");
    // The photo is on the last page, after the notice's own pages, with its caption.
    let last = squash(&pdftotext(&pdf, pages as u32, pages as u32));
    assert!(last.contains("附图（HCP-2026-000318）") && last.contains("附图1整改后窗口.jpg"), "{last}");
    let without = notice::render(&fonts(), &[sample::notice_with_evidence_list_only()]).expect("render");
    assert_eq!(page_count(&without) + 1, pages, "the appendix adds one page");
    // The photo's pixels are drawn: the page has a large inked block (the wall and the counter).
    let page = render_page(&pdf, pages as u32);
    let (x0, y0, x1, y1) = page.ink_box();
    assert!(x1 - x0 > 120.0 && y1 - y0 > 90.0, "the photo fills the type area's width: {:?}", (x0, y0, x1, y1));
}

#[test]
fn notice_rejects_an_empty_batch() {
    assert!(matches!(notice::render(&fonts(), &[]), Err(ReportError::InvalidInput(_))));
}

// ------------------------------------------------------------------ monthly report

#[test]
fn monthly_report_text_and_geometry() {
    let input = sample::monthly_report();
    let pdf = monthly::render(&fonts(), &input).expect("render report");
    let text = pdftotext(&pdf, 1, 9999);
    let flat = squash(&text);
    for needle in [
        "政务服务“好差评”工作通报",
        "（2026年第3期）",
        "关于2026年3月政务服务“好差评”工作情况的通报",
        "各区县（园区）政务服务管理机构，市级有关部门：",
        "一、总体情况",
        "全市10个单位共收到评价233,312条，其中差评85条，差评率0.04%",
        "二、各单位指标情况",
        "市公安局",
        "48,210",
        "合计",
        "三、排名情况",
        "四、突出问题",
        "无正当理由超过法定办理时限（代码110），23件",
        "五、工作要求",
        "附件：2026年3月政务服务“好差评”统计图表",
        "图1",
        "图6",
        "2026年4月3日印发",
    ] {
        assert!(flat.contains(needle), "report text lacks {needle:?}:\n{text}");
    }
    let pages = page_count(&pdf) as u32;
    assert!(pages >= 4, "report with charts has {pages} pages");

    let p1 = render_page(&pdf, 1);
    let (l, t, r, _) = p1.ink_box();
    assert_mm("report page 1 left margin", l, 28.0);
    assert_mm("report page 1 right edge", r, 184.0);
    assert!(t >= 37.0 - TOLERANCE_MM, "ink above the type area: {t:.1} mm");

    // Page 2 starts with the KPI table whose top rule lies on the type area's top edge.
    let p2 = render_page(&pdf, 2);
    let (l, t, r, _) = p2.ink_box();
    assert_mm("report page 2 top margin", t, 37.0);
    assert_mm("report page 2 left margin", l, 28.0);
    assert_mm("report page 2 right margin", 210.0 - r, 26.0);
}

/// GB/T 9704: the signature never stands alone on a page. Whatever the length of the body, the
/// page that carries the signature (and the attachment note) also carries the last paragraph.
#[test]
fn monthly_report_keeps_the_signature_with_the_text() {
    let fonts = fonts();
    let base = sample::monthly_report();
    for extra in 0..10 {
        let mut input = base.clone();
        for i in 0..extra {
            input.highlights.push(format!("示例单位{i}推行帮办代办和延时服务，群众满意度持续提升，本月无差评。"));
        }
        let last = input.requirements.last().cloned().expect("requirements");
        let pdf = monthly::render(&fonts, &input).expect("render");
        let pages = page_count(&pdf) as u32;
        let with_note = (1..=pages)
            .find(|p| squash(&pdftotext(&pdf, *p, *p)).contains("附件：2026年3月"))
            .expect("the attachment note");
        let page = squash(&pdftotext(&pdf, with_note, with_note));
        let tail: String = squash(&last).chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
        assert!(page.contains(&tail), "{extra} highlights: page {with_note} has the signature alone:\n{page}");
        assert!(page.contains("示例市政务服务管理办公室") && page.contains("2026年4月3日"), "{extra}: signature");
    }
}

#[test]
fn monthly_report_rejects_inconsistent_kpis() {
    let mut input = sample::monthly_report();
    input.units[0].bad_reviews = input.units[0].ratings + 1;
    assert!(matches!(monthly::render(&fonts(), &input), Err(ReportError::InvalidInput(_))));
}

// ------------------------------------------------------------------ charts

#[test]
fn every_chart_renders_as_svg_and_png() {
    let fonts = fonts();
    for (name, chart) in sample::all_charts() {
        let svg = String::from_utf8(chart.render(&fonts, Format::Svg).expect("svg")).expect("utf-8 svg");
        assert!(svg.starts_with("<svg"), "{name}: not an SVG");
        assert!(svg.contains("（2026年3月）") || svg.contains("近六个月"), "{name}: title missing");
        assert!(svg.contains("Noto Sans CJK SC"), "{name}: font family missing");

        let png_bytes = chart.render(&fonts, Format::Png).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("png frame");
        assert_eq!((info.width, info.height), (2000, 1120), "{name}: PNG size");
        let colourful = buf.chunks_exact(3).filter(|p| p[0].abs_diff(p[1]) > 40 || p[1].abs_diff(p[2]) > 40).count();
        assert!(colourful > 5_000, "{name}: the chart has almost no coloured pixels");
    }
}

#[test]
fn charts_handle_a_single_row_say_when_empty_and_reject_bad_input() {
    let fonts = fonts();
    let one = UnitRanking {
        title: "单一单位".into(),
        value_label: "得分".into(),
        kind: ValueKind::Score,
        higher_is_better: true,
        rows: vec![RankedValue { unit: "市公安局".into(), value: 98.5 }],
    };
    charts::unit_ranking(&fonts, &one, Format::Png).expect("one bar");
    // No data: the chart says so, in the screen's language, instead of drawing empty axes.
    let empty = UnitRanking { rows: vec![], ..one };
    let svg = String::from_utf8(charts::unit_ranking(&fonts, &empty, Format::Svg).expect("empty")).expect("utf-8");
    assert!(svg.contains("本月暂无数据"), "{svg}");
    let zero =
        ChannelMix { title: "空".into(), channels: vec![ChannelShare { channel: "移动端".into(), count: 0 }] };
    let english = charts::Look { lang: charts::Lang::En, theme: charts::Theme::Dark };
    let svg = AnyChart::Channels(zero).render_as(&fonts, Format::Svg, english).expect("empty mix");
    let svg = String::from_utf8(svg).expect("utf-8");
    assert!(svg.contains("No data for this month") && !svg.contains("移动端"), "{svg}");
    let nan = UnitRanking { rows: vec![RankedValue { unit: "x".into(), value: f64::NAN }], ..empty };
    assert!(matches!(charts::unit_ranking(&fonts, &nan, Format::Svg), Err(ReportError::InvalidInput(_))));
}

/// In English and dark mode the charts' own words are English and the background is dark, with
/// light text; in Chinese and light mode, Chinese on white.
#[test]
fn charts_follow_the_screens_language_and_theme() {
    let fonts = fonts();
    let dark_en = charts::Look { lang: charts::Lang::En, theme: charts::Theme::Dark };
    for (name, chart) in sample::all_charts() {
        let svg = String::from_utf8(chart.render_as(&fonts, Format::Svg, dark_en).expect("svg")).expect("utf-8");
        for zh in ["差评数（件）", "按期办结", "评价数", "累计占比", "周一", "合计"] {
            assert!(!svg.contains(zh), "{name}: {zh} in English mode");
        }
        assert!(svg.contains("#1D1E1F") || svg.contains("#1d1e1f"), "{name}: dark background");
        let png = chart.render_as(&fonts, Format::Png, dark_en).expect("png");
        let img = image_rgb(&png);
        // The corner is the dark panel colour; some text is light on it.
        assert_eq!(img.pixel(2, 2), [0x1D, 0x1E, 0x1F], "{name}: dark corner");
        assert!(img.count(|p| p.iter().all(|c| *c > 0xC0)) > 200, "{name}: light text on dark");
        let light = chart.render_as(&fonts, Format::Png, charts::Look::default()).expect("png");
        assert_eq!(image_rgb(&light).pixel(2, 2), [0xFF, 0xFF, 0xFF], "{name}: white on paper");
    }
    let svg = String::from_utf8(AnyChart::Trend(sample::trend()).render_as(&fonts, Format::Svg, dark_en).expect("svg"))
        .expect("utf-8");
    assert!(svg.contains("Bad-review rate") && svg.contains("Bad reviews"), "{svg}");
}

/// A decoded RGB image.
struct Rgb {
    width: usize,
    pixels: Vec<u8>,
}

impl Rgb {
    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
    fn count(&self, f: impl Fn(&[u8]) -> bool) -> usize {
        self.pixels.chunks(3).filter(|p| f(p)).count()
    }
}

fn image_rgb(png_bytes: &[u8]) -> Rgb {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    Rgb { width: info.width as usize, pixels: buf }
}

// ------------------------------------------------------------------ fonts

#[test]
fn missing_fonts_give_a_typed_error_naming_the_package() {
    let (_dir, empty) = scratch("no-fonts");
    std::fs::create_dir_all(&empty).expect("dir");
    match Fonts::locate_under(&empty) {
        Err(e @ ReportError::FontMissing { .. }) => {
            assert!(e.to_string().contains("fonts-noto-cjk"), "{e}");
        }
        other => panic!("expected FontMissing, got {other:?}"),
    }
}

// ------------------------------------------------------------------ previews

/// Decodes a PNG of ours to greyscale (darkest channel) plus the RGB pixels.
fn decode_preview(png_bytes: &[u8]) -> (Page, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb, "previews are RGB");
    let px = buf.chunks_exact(3).map(|p| p.iter().copied().min().unwrap_or(255)).collect();
    (Page { w: info.width as usize, h: info.height as usize, px }, buf)
}

/// How much two renderings of a page differ: the darkness of 16×16-pixel (4 mm) blocks compared, as the
/// share of the ink (0.0: the same). Blocks absorb sub-pixel offsets between two rasterisers;
/// comparing darkness rather than a thresholded ink mask keeps pale chart fills from counting
/// resampling noise.
fn ink_difference(a: &Page, b: &Page) -> f32 {
    const BLOCK: usize = 16;
    let (w, h) = (a.w.min(b.w), a.h.min(b.h));
    let darkness = |p: &Page, bx: usize, by: usize| {
        let mut sum = 0u32;
        for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
            for x in bx * BLOCK..((bx + 1) * BLOCK).min(w) {
                sum += 255 - u32::from(p.px[y * p.w + x]);
            }
        }
        sum as f32
    };
    let (mut diff, mut ink) = (0.0f32, 0.0f32);
    for by in 0..h.div_ceil(BLOCK) {
        for bx in 0..w.div_ceil(BLOCK) {
            let (da, db) = (darkness(a, bx, by), darkness(b, bx, by));
            diff += (da - db).abs();
            ink += da.max(db);
        }
    }
    assert!(ink > 0.0, "both pages are blank");
    diff / ink
}

/// Every page of the preview against pdftoppm's rendering of the PDF made from the same layout.
fn assert_preview_matches_pdf(fonts: &Fonts, pages: &hcp_report::Pages, what: &str) {
    let pdf = pages.pdf(fonts).expect("pdf");
    assert_eq!(pages.len(), page_count(&pdf), "{what}: one preview per PDF page");
    for n in 0..pages.len() {
        let (ours, _) = decode_preview(&pages.png(fonts, n, DPI).expect("preview"));
        let theirs = render_page(&pdf, n as u32 + 1);
        assert!(ours.w.abs_diff(theirs.w) <= 1 && ours.h.abs_diff(theirs.h) <= 1, "{what} p{n}: A4 at {DPI} dpi");
        let (a, b) = (ours.ink_box(), theirs.ink_box());
        for (name, x, y) in [("left", a.0, b.0), ("top", a.1, b.1), ("right", a.2, b.2), ("bottom", a.3, b.3)] {
            assert!(
                (x - y).abs() <= 0.8,
                "{what} page {}: ink {name} edge {x:.1} mm in the preview, {y:.1} mm in the PDF",
                n + 1
            );
        }
        let difference = ink_difference(&ours, &theirs);
        println!("{what} page {}: ink difference {difference:.3}", n + 1);
        // Text and rules differ by about 0.1 (anti-aliasing); pages of chart images by up to 0.3,
        // as the two rasterisers resample the images differently. Another page differs by > 0.8.
        assert!(
            difference <= 0.35,
            "{what} page {}: the preview and the PDF differ ({difference:.3} of the ink)",
            n + 1
        );
    }
    // The measure tells pages apart: the first preview against the PDF's second page.
    if pages.len() > 1 {
        let (first, _) = decode_preview(&pages.png(fonts, 0, DPI).expect("preview"));
        let other = ink_difference(&first, &render_page(&pdf, 2));
        println!("{what}: page 1 against page 2, ink difference {other:.3}");
        assert!(other >= 0.6, "{what}: different pages must differ, got {other:.3}");
    }
}

#[test]
fn notice_previews_draw_the_pdfs_pages() {
    let fonts = fonts();
    let pages = notice::pages(&fonts, &[sample::notice(), sample::notice_2()]).expect("lay out");
    assert_preview_matches_pdf(&fonts, &pages, "notice");
    // The red header is red in the preview.
    let (first, rgb) = decode_preview(&pages.png(&fonts, 0, DPI).expect("preview"));
    let red = rgb.chunks_exact(3).filter(|p| p[0] > 180 && p[1] < 80 && p[2] < 80).count();
    assert!(red > 2_000, "the red header and rule: {red} red pixels");
    assert_eq!(first.w, (210.0 / 25.4 * DPI).round() as usize);
}

#[test]
fn report_previews_draw_tables_rules_and_charts_like_the_pdf() {
    let fonts = fonts();
    let pages = monthly::pages(&fonts, &sample::monthly_report()).expect("lay out");
    assert_preview_matches_pdf(&fonts, &pages, "monthly report");
}

#[test]
fn previews_refuse_missing_pages_and_absurd_resolutions() {
    let fonts = fonts();
    let pages = notice::pages(&fonts, &[sample::notice()]).expect("lay out");
    assert_eq!(pages.len(), 2);
    assert!(matches!(pages.png(&fonts, 2, DPI), Err(ReportError::InvalidInput(_))));
    assert!(matches!(pages.png(&fonts, 0, 2_000.0), Err(ReportError::InvalidInput(_))));
    assert!(matches!(pages.png(&fonts, 0, 0.0), Err(ReportError::InvalidInput(_))));
    let (small, _) = decode_preview(&pages.png(&fonts, 1, 72.0).expect("72 dpi"));
    assert_eq!((small.w, small.h), (595, 842), "A4 at 72 dpi");
    assert!(notice::pages(&fonts, &[]).is_err());
}
