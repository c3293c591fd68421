//! Statistical charts drawn with plotters, with CJK labels.
//!
//! Every chart takes plain input data and returns SVG (for the screen) or
//! PNG (for print; rendered at twice the SVG size, ≈ 330 dpi when placed
//! 156 mm wide on A4) bytes.

use std::collections::HashMap;
use std::sync::Mutex;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};
use crate::fonts::Fonts;

/// Output format of a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// Scalable vector graphics for the screen (text refers to the font family by name).
    Svg,
    /// PNG raster for print, twice the SVG size.
    Png,
}

/// The language of a chart's own words (legends, axes, the empty-chart message); titles and
/// labels passed in are drawn as given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

/// The colours of a chart: dark for a screen in dark mode, light for paper and light mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Dark text on white.
    #[default]
    Light,
    /// Light text on the dark panel colour, with readable contrast.
    Dark,
}

/// How a chart is drawn: its language and its colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Look {
    pub lang: Lang,
    pub theme: Theme,
}

impl Look {
    /// The chart's word in its language.
    pub fn tr(self, zh: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn background(self) -> RGBColor {
        match self.theme {
            Theme::Light => WHITE,
            // The dark theme's panel colour.
            Theme::Dark => RGBColor(0x1D, 0x1E, 0x1F),
        }
    }

    fn text(self) -> RGBColor {
        match self.theme {
            Theme::Light => TEXT,
            Theme::Dark => RGBColor(0xE5, 0xEA, 0xF3),
        }
    }

    fn grid(self) -> RGBColor {
        match self.theme {
            Theme::Light => GRID,
            Theme::Dark => RGBColor(0x41, 0x44, 0x4A),
        }
    }

    /// The colour of empty heat-map cells.
    fn empty_cell(self) -> RGBColor {
        match self.theme {
            Theme::Light => RGBColor(0xF5, 0xF6, 0xF8),
            Theme::Dark => RGBColor(0x2A, 0x2B, 0x2D),
        }
    }
}

/// The message an empty chart shows instead of empty axes.
pub fn no_data_message(lang: Lang) -> &'static str {
    Look { lang, theme: Theme::Light }.tr("本月暂无数据", "No data for this month")
}

/// Logical chart size in SVG pixels.
pub const CHART_SIZE: (u32, u32) = (1000, 560);

/// Scale of PNG output relative to [`CHART_SIZE`].
pub const PNG_SCALE: f64 = 2.0;

/// Font family name registered with plotters. It is written as-is into SVG
/// `font-family` attributes, so it carries CSS fallbacks for other systems.
const FAMILY: &str = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif";

/// Enlarges every label so that charts stay legible when printed 156 mm wide.
const TEXT_SCALE: f64 = 1.15;

const TEXT: RGBColor = RGBColor(0x30, 0x31, 0x33);
const GRID: RGBColor = RGBColor(0xDC, 0xDF, 0xE6);
const BLUE: RGBColor = RGBColor(0x2F, 0x6F, 0xD1);
const GREEN: RGBColor = RGBColor(0x3F, 0x9F, 0x4F);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9A, 0x1E);
const RED: RGBColor = RGBColor(0xC8, 0x2A, 0x2A);
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x2F, 0x6F, 0xD1),
    RGBColor(0x3F, 0x9F, 0x4F),
    RGBColor(0xE6, 0x9A, 0x1E),
    RGBColor(0xC8, 0x2A, 0x2A),
    RGBColor(0x7B, 0x4F, 0xB8),
    RGBColor(0x1C, 0x9C, 0xA6),
    RGBColor(0x8C, 0x6D, 0x46),
    RGBColor(0x90, 0x93, 0x99),
];

// ---------------------------------------------------------------- inputs

/// One month of the bad-review trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthPoint {
    /// Axis label, e.g. "2026-03" or "3月".
    pub month: String,
    /// Number of ratings received.
    pub ratings: u64,
    /// Number of bad reviews (不满意 + 非常不满意) among them.
    pub bad_reviews: u64,
}

/// Input of [`bad_review_rate_by_month`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthlyTrend {
    /// Chart title.
    pub title: String,
    /// Months in chronological order.
    pub points: Vec<MonthPoint>,
}

/// How the values of a ranking are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueKind {
    /// A count (integer).
    Count,
    /// A ratio in 0..=1 shown as a percentage.
    Ratio,
    /// A score with one decimal.
    Score,
}

/// One bar of a ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankedValue {
    /// Unit (department, hall, window) name.
    pub unit: String,
    /// The value ranked.
    pub value: f64,
}

/// Input of [`unit_ranking`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitRanking {
    /// Chart title.
    pub title: String,
    /// Name of the measure, shown under the value axis.
    pub value_label: String,
    /// How values are formatted.
    pub kind: ValueKind,
    /// `true` when a larger value ranks better (e.g. a score); `false` for
    /// e.g. a bad-review rate.
    pub higher_is_better: bool,
    /// Values, in any order (the chart sorts them, best on top).
    pub rows: Vec<RankedValue>,
}

/// Handling timeliness of one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelinessRow {
    /// Unit name.
    pub unit: String,
    /// Cases closed within the deadline.
    pub on_time: u64,
    /// Cases closed after the deadline.
    pub late: u64,
    /// Cases still open past the deadline.
    pub overdue: u64,
}

/// Input of [`timeliness_by_unit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeliness {
    /// Chart title.
    pub title: String,
    /// One row per unit, drawn top to bottom in this order.
    pub rows: Vec<TimelinessRow>,
}

/// Number of ratings received through one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelShare {
    /// Channel name (e.g. "移动端").
    pub channel: String,
    /// Ratings received.
    pub count: u64,
}

/// Input of [`channel_mix`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelMix {
    /// Chart title.
    pub title: String,
    /// Channels in display order.
    pub channels: Vec<ChannelShare>,
}

/// Bad reviews carrying one content code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentCodeCount {
    /// Content code, e.g. "110".
    pub code: String,
    /// Short description, e.g. "超时办理".
    pub label: String,
    /// Occurrences.
    pub count: u64,
}

/// Input of [`content_code_pareto`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentCodePareto {
    /// Chart title.
    pub title: String,
    /// Codes in any order (the chart sorts them and groups the tail as 其他).
    pub codes: Vec<ContentCodeCount>,
}

/// Input of [`weekday_hour_heatmap`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekdayHourHeatmap {
    /// Chart title.
    pub title: String,
    /// Bad reviews by weekday (index 0 = Monday) and hour (0–23).
    pub counts: [[u32; 24]; 7],
}

// ---------------------------------------------------------------- formatting helpers

/// Formats a ratio (0..=1) as a percentage with a precision suited to its size.
pub fn fmt_ratio(r: f64) -> String {
    let p = r * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p.abs() < 0.1 {
        format!("{p:.3}%")
    } else if p.abs() < 10.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Formats a count with thousands separators.
pub fn fmt_count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_value(kind: ValueKind, v: f64) -> String {
    match kind {
        ValueKind::Count => fmt_count(v.max(0.0).round() as u64),
        ValueKind::Ratio => fmt_ratio(v),
        ValueKind::Score => format!("{v:.1}"),
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

// ---------------------------------------------------------------- rendering machinery

type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Scale-aware style helper: every size is given at SVG scale.
#[derive(Clone, Copy)]
struct Sty {
    s: f64,
    look: Look,
}

impl Sty {
    fn tr(self, zh: &'static str, en: &'static str) -> &'static str {
        self.look.tr(zh, en)
    }
    fn bg(self) -> RGBColor {
        self.look.background()
    }
    fn grid(self) -> RGBColor {
        self.look.grid()
    }
    fn px(self, v: f64) -> u32 {
        (v * self.s).round().max(0.0) as u32
    }
    fn pxi(self, v: f64) -> i32 {
        (v * self.s).round() as i32
    }
    fn font(self, size: f64) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FAMILY), size * self.s * TEXT_SCALE, FontStyle::Normal).color(&self.look.text())
    }
    fn bold(self, size: f64) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FAMILY), size * self.s * TEXT_SCALE, FontStyle::Bold).color(&self.look.text())
    }
    /// Dark text whatever the theme, for labels on light fills (orange bars, light heat cells).
    fn ink(self, size: f64) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FAMILY), size * self.s * TEXT_SCALE, FontStyle::Normal).color(&TEXT)
    }
    fn white(self, size: f64, style: FontStyle) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FAMILY), size * self.s * TEXT_SCALE, style).color(&WHITE)
    }
}

trait Chart {
    fn title(&self) -> &str;
    /// Nothing to draw: the chart says so instead of drawing empty axes.
    fn is_empty(&self) -> bool;
    fn validate(&self) -> Result<()>;
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB>;
}

/// Registered (family, style) → font path, so we register (and leak) once.
static REGISTERED: Mutex<Option<HashMap<&'static str, std::path::PathBuf>>> = Mutex::new(None);

fn register_fonts(fonts: &Fonts) -> Result<()> {
    let mut guard = REGISTERED.lock().map_err(|_| ReportError::Chart("font registry poisoned".into()))?;
    let map = guard.get_or_insert_with(HashMap::new);
    for (key, style, face) in [("normal", FontStyle::Normal, &fonts.sans), ("bold", FontStyle::Bold, &fonts.sans_bold)]
    {
        if map.get(key).map(|p| p.as_path()) == Some(face.path()) {
            continue;
        }
        // plotters needs 'static bytes: leak them once per distinct font file.
        let bytes: &'static [u8] = Box::leak(face.bytes_as_face0().into_boxed_slice());
        plotters::style::register_font(FAMILY, style, bytes).map_err(|_| ReportError::FontInvalid {
            path: face.path().to_path_buf(),
            index: face.index(),
            reason: "plotters could not register the font".into(),
        })?;
        map.insert(key, face.path().to_path_buf());
    }
    Ok(())
}

fn chart_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ReportError {
    ReportError::Chart(e.to_string())
}

fn frame<DB: DrawingBackend, C: Chart>(root: DrawingArea<DB, Shift>, chart: &C, st: Sty) -> DrawResult<DB> {
    root.fill(&st.bg())?;
    let area = root.titled(chart.title(), st.bold(24.0))?;
    if chart.is_empty() {
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            no_data_message(st.look.lang).to_string(),
            ((w / 2) as i32, (h / 2) as i32),
            st.font(20.0).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    } else {
        chart.draw(&area, st)?;
    }
    root.present()
}

fn check<C: Chart>(chart: &C) -> Result<()> {
    if chart.is_empty() {
        Ok(())
    } else {
        chart.validate()
    }
}

fn render<C: Chart>(fonts: &Fonts, chart: &C, format: Format) -> Result<Vec<u8>> {
    render_as(fonts, chart, format, Look::default())
}

fn render_as<C: Chart>(fonts: &Fonts, chart: &C, format: Format, look: Look) -> Result<Vec<u8>> {
    check(chart)?;
    register_fonts(fonts)?;
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
                frame(root, chart, Sty { s: 1.0, look }).map_err(chart_err)?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let (rgb, w, h) = render_rgb(fonts, chart, PNG_SCALE, look)?;
            encode_png(&rgb, w, h)
        }
    }
}

/// Renders to a raw RGB8 buffer (used for PNG output and PDF embedding).
fn render_rgb<C: Chart>(fonts: &Fonts, chart: &C, scale: f64, look: Look) -> Result<(Vec<u8>, u32, u32)> {
    check(chart)?;
    register_fonts(fonts)?;
    let w = (f64::from(CHART_SIZE.0) * scale).round() as u32;
    let h = (f64::from(CHART_SIZE.1) * scale).round() as u32;
    let mut buf = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        frame(root, chart, Sty { s: scale, look }).map_err(chart_err)?;
    }
    Ok((buf, w, h))
}

/// Encodes an RGB8 buffer as PNG.
pub(crate) fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // 2× of 96 dpi screen pixels, stored as pixels per metre.
        let ppm = (96.0 * PNG_SCALE / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions { xppu: ppm, yppu: ppm, unit: png::Unit::Meter }));
        let mut writer = enc.write_header().map_err(|e| ReportError::Png(e.to_string()))?;
        writer.write_image_data(rgb).map_err(|e| ReportError::Png(e.to_string()))?;
    }
    Ok(out)
}

fn seg_label(v: &SegmentValue<i32>, labels: &[String]) -> String {
    match v {
        SegmentValue::CenterOf(i) => usize::try_from(*i).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Draws a centred row of legend entries (colour box + label).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: Sty,
    entries: &[(&str, RGBColor)],
) -> DrawResult<DB> {
    let font = st.font(15.0);
    let box_w = st.pxi(14.0);
    let gap = st.pxi(8.0);
    let spacing = st.pxi(26.0);
    let mut widths = Vec::with_capacity(entries.len());
    for (label, _) in entries {
        let (w, _) = area.estimate_text_size(label, &font)?;
        widths.push(w as i32);
    }
    let total: i32 = widths.iter().map(|w| box_w + gap + w).sum::<i32>() + spacing * (entries.len() as i32 - 1).max(0);
    let (aw, ah) = area.dim_in_pixel();
    let mut x = (aw as i32 - total) / 2;
    let y = ah as i32 / 2;
    for ((label, color), w) in entries.iter().zip(widths) {
        area.draw(&Rectangle::new([(x, y - box_w / 2), (x + box_w, y + box_w / 2)], color.filled()))?;
        area.draw(&Text::new(label.to_string(), (x + box_w + gap, y), font.pos(Pos::new(HPos::Left, VPos::Center))))?;
        x += box_w + gap + w + spacing;
    }
    Ok(())
}

fn nonempty<T>(v: &[T], what: &str) -> Result<()> {
    if v.is_empty() {
        Err(ReportError::InvalidInput(format!("{what}: no data to chart")))
    } else {
        Ok(())
    }
}

fn finite(values: impl IntoIterator<Item = f64>, what: &str) -> Result<()> {
    if values.into_iter().all(f64::is_finite) {
        Ok(())
    } else {
        Err(ReportError::InvalidInput(format!("{what}: non-finite value")))
    }
}

// ---------------------------------------------------------------- 1. trend

impl Chart for MonthlyTrend {
    fn title(&self) -> &str {
        &self.title
    }
    fn is_empty(&self) -> bool {
        self.points.iter().all(|p| p.ratings == 0)
    }
    fn validate(&self) -> Result<()> {
        nonempty(&self.points, "bad-review trend")?;
        if self.points.iter().any(|p| p.bad_reviews > p.ratings) {
            return Err(ReportError::InvalidInput("bad-review trend: more bad reviews than ratings".into()));
        }
        Ok(())
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB> {
        let (legend, area) = area.split_vertically(st.px(34.0));
        let (count_label, rate_label) = (st.tr("差评数（件）", "Bad reviews"), st.tr("差评率", "Bad-review rate"));
        draw_legend(&legend, st, &[(count_label, BLUE), (rate_label, RED)])?;
        let n = self.points.len() as i32;
        let labels: Vec<String> = self.points.iter().map(|p| p.month.clone()).collect();
        let max_bad = self.points.iter().map(|p| p.bad_reviews).max().unwrap_or(0);
        let y_max = ((max_bad as f64) * 1.2).ceil().max(5.0) as u64;
        let rates: Vec<f64> = self.points.iter().map(|p| ratio(p.bad_reviews, p.ratings)).collect();
        let max_rate = rates.iter().copied().fold(0.0, f64::max);
        let r_max = if max_rate > 0.0 { max_rate * 1.3 } else { 0.001 };
        let mut chart = ChartBuilder::on(&area)
            .margin(st.px(14.0))
            .x_label_area_size(st.px(40.0))
            .y_label_area_size(st.px(80.0))
            .right_y_label_area_size(st.px(90.0))
            .build_cartesian_2d((0..n - 1).into_segmented(), 0u64..y_max)?
            .set_secondary_coord((0..n - 1).into_segmented(), 0f64..r_max);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(st.bg())
            .bold_line_style(st.grid())
            .axis_style(st.grid())
            .x_labels(self.points.len())
            .x_label_formatter(&|v| seg_label(v, &labels))
            .y_label_formatter(&|v| fmt_count(*v))
            .y_desc(count_label)
            .label_style(st.font(15.0))
            .axis_desc_style(st.font(15.0))
            .draw()?;
        chart
            .configure_secondary_axes()
            .axis_style(st.grid())
            .y_desc(rate_label)
            .y_label_formatter(&|v| fmt_ratio(*v))
            .label_style(st.font(15.0))
            .axis_desc_style(st.font(15.0))
            .draw()?;
        let (plot_w, _) = chart.plotting_area().dim_in_pixel();
        let bar_pad = ((plot_w as f64 / f64::from(n.max(1))) * 0.22) as u32;
        chart.draw_series(self.points.iter().enumerate().map(|(i, p)| {
            let i = i as i32;
            let mut r = Rectangle::new(
                [(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), p.bad_reviews)],
                BLUE.mix(0.75).filled(),
            );
            r.set_margin(0, 0, bar_pad, bar_pad);
            r
        }))?;
        let pts: Vec<(SegmentValue<i32>, f64)> =
            rates.iter().enumerate().map(|(i, r)| (SegmentValue::CenterOf(i as i32), *r)).collect();
        chart.draw_secondary_series(LineSeries::new(pts.clone(), RED.stroke_width(st.px(3.0))))?;
        let label_font = st.font(14.0).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart.draw_secondary_series(pts.into_iter().map(|(x, r)| {
            EmptyElement::at((x, r))
                + Circle::new((0, 0), st.px(5.0), RED.filled())
                + Text::new(fmt_ratio(r), (0, -st.pxi(9.0)), label_font.clone())
        }))?;
        Ok(())
    }
}

/// Bad-review count (bars) and rate (line) per month.
pub fn bad_review_rate_by_month(fonts: &Fonts, input: &MonthlyTrend, format: Format) -> Result<Vec<u8>> {
    render(fonts, input, format)
}

// ---------------------------------------------------------------- 2. ranking

impl UnitRanking {
    fn sorted(&self) -> Vec<&RankedValue> {
        let mut rows: Vec<&RankedValue> = self.rows.iter().collect();
        rows.sort_by(|a, b| {
            let o = a.value.total_cmp(&b.value);
            if self.higher_is_better {
                o.reverse()
            } else {
                o
            }
        });
        rows
    }
}

impl Chart for UnitRanking {
    fn title(&self) -> &str {
        &self.title
    }
    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    fn validate(&self) -> Result<()> {
        nonempty(&self.rows, "unit ranking")?;
        finite(self.rows.iter().map(|r| r.value), "unit ranking")?;
        if self.rows.len() > 40 {
            return Err(ReportError::InvalidInput("unit ranking: at most 40 units fit on one chart".into()));
        }
        Ok(())
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB> {
        let rows = self.sorted();
        let n = rows.len() as i32;
        // Rank 1 is drawn at the top, i.e. at the highest y segment.
        let labels: Vec<String> = (0..rows.len())
            .map(|y| {
                let rank = rows.len() - 1 - y;
                format!("{}. {}", rank + 1, rows[rank].unit)
            })
            .collect();
        let max_v = rows.iter().map(|r| r.value).fold(0.0, f64::max);
        let x_max = if max_v > 0.0 { max_v * 1.18 } else { 1.0 };
        let kind = self.kind;
        let mut chart = ChartBuilder::on(area)
            .margin(st.px(14.0))
            .margin_right(st.px(30.0))
            .x_label_area_size(st.px(56.0))
            .y_label_area_size(st.px(200.0))
            .build_cartesian_2d(0f64..x_max, (0..n - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(st.bg())
            .bold_line_style(st.grid())
            .axis_style(st.grid())
            .y_labels(rows.len())
            .y_label_formatter(&|v| seg_label(v, &labels))
            .x_label_formatter(&|v| fmt_value(kind, *v))
            .x_desc(self.value_label.as_str())
            .label_style(st.font(15.0))
            .axis_desc_style(st.font(15.0))
            .draw()?;
        let (_, plot_h) = chart.plotting_area().dim_in_pixel();
        let pad = ((plot_h as f64 / f64::from(n.max(1))) * 0.18) as u32;
        let tail = if rows.len() >= 6 { 3 } else { 0 };
        chart.draw_series(rows.iter().enumerate().map(|(rank, r)| {
            let y = n - 1 - rank as i32;
            let color = if rank + tail >= rows.len() { RED } else { BLUE };
            let mut rect = Rectangle::new(
                [(0.0, SegmentValue::Exact(y)), (r.value, SegmentValue::Exact(y + 1))],
                color.mix(0.8).filled(),
            );
            rect.set_margin(pad, pad, 0, 0);
            rect
        }))?;
        let font = st.font(14.0).pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(rows.iter().enumerate().map(|(rank, r)| {
            let y = n - 1 - rank as i32;
            EmptyElement::at((r.value, SegmentValue::CenterOf(y)))
                + Text::new(fmt_value(kind, r.value), (st.pxi(6.0), 0), font.clone())
        }))?;
        Ok(())
    }
}

/// Horizontal bars of units ranked by one measure (best on top, the last three in red).
pub fn unit_ranking(fonts: &Fonts, input: &UnitRanking, format: Format) -> Result<Vec<u8>> {
    render(fonts, input, format)
}

// ---------------------------------------------------------------- 3. timeliness

impl Chart for Timeliness {
    fn title(&self) -> &str {
        &self.title
    }
    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    fn validate(&self) -> Result<()> {
        nonempty(&self.rows, "timeliness")?;
        if self.rows.len() > 40 {
            return Err(ReportError::InvalidInput("timeliness: at most 40 units fit on one chart".into()));
        }
        Ok(())
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB> {
        let (legend, area) = area.split_vertically(st.px(34.0));
        draw_legend(
            &legend,
            st,
            &[
                (st.tr("按期办结", "On time"), GREEN),
                (st.tr("超期办结", "Late"), ORANGE),
                (st.tr("逾期未办结", "Overdue, open"), RED),
            ],
        )?;
        let n = self.rows.len() as i32;
        let labels: Vec<String> =
            (0..self.rows.len()).map(|y| self.rows[self.rows.len() - 1 - y].unit.clone()).collect();
        let mut chart = ChartBuilder::on(&area)
            .margin(st.px(14.0))
            .margin_right(st.px(30.0))
            .x_label_area_size(st.px(56.0))
            .y_label_area_size(st.px(180.0))
            .build_cartesian_2d(0f64..100f64, (0..n - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(st.bg())
            .bold_line_style(st.grid())
            .axis_style(st.grid())
            .y_labels(self.rows.len())
            .y_label_formatter(&|v| seg_label(v, &labels))
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .x_desc(st.tr("占已到期工单的比例", "Share of cases due"))
            .label_style(st.font(15.0))
            .axis_desc_style(st.font(15.0))
            .draw()?;
        let (_, plot_h) = chart.plotting_area().dim_in_pixel();
        let pad = ((plot_h as f64 / f64::from(n.max(1))) * 0.18) as u32;
        let font_dark = st.ink(13.0).pos(Pos::new(HPos::Center, VPos::Center));
        let font_light = st.white(13.0, FontStyle::Normal).pos(Pos::new(HPos::Center, VPos::Center));
        for (i, row) in self.rows.iter().enumerate() {
            let y = n - 1 - i as i32;
            let total = row.on_time + row.late + row.overdue;
            let mut x0 = 0.0;
            for (count, color) in [(row.on_time, GREEN), (row.late, ORANGE), (row.overdue, RED)] {
                let share = ratio(count, total) * 100.0;
                if share <= 0.0 {
                    continue;
                }
                let mut rect = Rectangle::new(
                    [(x0, SegmentValue::Exact(y)), (x0 + share, SegmentValue::Exact(y + 1))],
                    color.filled(),
                );
                rect.set_margin(pad, pad, 0, 0);
                chart.draw_series(std::iter::once(rect))?;
                if share >= 7.0 {
                    let font = if color == ORANGE { &font_dark } else { &font_light };
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{share:.0}%"),
                        (x0 + share / 2.0, SegmentValue::CenterOf(y)),
                        font.clone(),
                    )))?;
                }
                x0 += share;
            }
            if total == 0 {
                chart.draw_series(std::iter::once(Text::new(
                    st.tr("无到期工单", "No case due").to_string(),
                    (1.0, SegmentValue::CenterOf(y)),
                    st.font(13.0).pos(Pos::new(HPos::Left, VPos::Center)),
                )))?;
            }
        }
        Ok(())
    }
}

/// 100 % stacked bars: on time / late / overdue share per unit.
pub fn timeliness_by_unit(fonts: &Fonts, input: &Timeliness, format: Format) -> Result<Vec<u8>> {
    render(fonts, input, format)
}

// ---------------------------------------------------------------- 4. channel mix

impl Chart for ChannelMix {
    fn title(&self) -> &str {
        &self.title
    }
    fn is_empty(&self) -> bool {
        self.channels.iter().all(|c| c.count == 0)
    }
    fn validate(&self) -> Result<()> {
        nonempty(&self.channels, "channel mix")?;
        if self.channels.iter().all(|c| c.count == 0) {
            return Err(ReportError::InvalidInput("channel mix: all counts are zero".into()));
        }
        Ok(())
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB> {
        let (w, h) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally((w as f64 * 0.5) as u32);
        let total: u64 = self.channels.iter().map(|c| c.count).sum();
        let cx = (w as f64 * 0.25) as i32;
        let cy = h as i32 / 2;
        let radius = (f64::from(h.min(w / 2)) * 0.40).max(10.0);
        let mut start = -std::f64::consts::FRAC_PI_2;
        let label_font = st.white(15.0, FontStyle::Bold).pos(Pos::new(HPos::Center, VPos::Center));
        for (i, c) in self.channels.iter().enumerate() {
            if c.count == 0 {
                continue;
            }
            let share = ratio(c.count, total);
            let sweep = share * std::f64::consts::TAU;
            let steps = ((sweep.to_degrees()).ceil() as usize).max(2);
            let mut pts = vec![(cx, cy)];
            for k in 0..=steps {
                let a = start + sweep * k as f64 / steps as f64;
                pts.push((cx + (radius * a.cos()).round() as i32, cy + (radius * a.sin()).round() as i32));
            }
            let color = PALETTE[i % PALETTE.len()];
            left.draw(&Polygon::new(pts.clone(), color.filled()))?;
            pts.push((cx, cy));
            left.draw(&PathElement::new(pts, st.bg().stroke_width(st.px(2.0))))?;
            if share >= 0.04 {
                let mid = start + sweep / 2.0;
                left.draw(&Text::new(
                    format!("{:.0}%", share * 100.0),
                    (cx + (radius * 0.68 * mid.cos()) as i32, cy + (radius * 0.68 * mid.sin()) as i32),
                    label_font.clone(),
                ))?;
            }
            start += sweep;
        }
        // Legend table on the right.
        let font = st.font(16.0).pos(Pos::new(HPos::Left, VPos::Center));
        let font_r = st.font(16.0).pos(Pos::new(HPos::Right, VPos::Center));
        let row_h = st.pxi(34.0).min((h as i32 - st.pxi(40.0)) / (self.channels.len() as i32 + 1));
        let top = cy - row_h * (self.channels.len() as i32 + 1) / 2;
        let rw = right.dim_in_pixel().0 as i32;
        let col_count = rw - st.pxi(160.0);
        let col_pct = rw - st.pxi(50.0);
        right.draw(&Text::new(
            st.tr("渠道", "Channel").to_string(),
            (st.pxi(34.0), top),
            st.bold(16.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        right.draw(&Text::new(
            st.tr("评价数", "Ratings").to_string(),
            (col_count, top),
            st.bold(16.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        right.draw(&Text::new(
            st.tr("占比", "Share").to_string(),
            (col_pct, top),
            st.bold(16.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (i, c) in self.channels.iter().enumerate() {
            let y = top + row_h * (i as i32 + 1);
            let color = PALETTE[i % PALETTE.len()];
            let b = st.pxi(8.0);
            right.draw(&Rectangle::new([(st.pxi(10.0), y - b), (st.pxi(10.0) + 2 * b, y + b)], color.filled()))?;
            right.draw(&Text::new(c.channel.clone(), (st.pxi(34.0), y), font.clone()))?;
            right.draw(&Text::new(fmt_count(c.count), (col_count, y), font_r.clone()))?;
            right.draw(&Text::new(format!("{:.1}%", ratio(c.count, total) * 100.0), (col_pct, y), font_r.clone()))?;
        }
        let y = top + row_h * (self.channels.len() as i32 + 1);
        right.draw(&Text::new(
            st.tr("合计", "Total").to_string(),
            (st.pxi(34.0), y),
            st.bold(16.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        right.draw(&Text::new(
            fmt_count(total),
            (col_count, y),
            st.bold(16.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        Ok(())
    }
}

/// Pie of ratings by channel with a table of counts and shares.
pub fn channel_mix(fonts: &Fonts, input: &ChannelMix, format: Format) -> Result<Vec<u8>> {
    render(fonts, input, format)
}

// ---------------------------------------------------------------- 5. Pareto

/// At most this many codes get their own bar; the rest are grouped as 其他.
pub const PARETO_MAX_BARS: usize = 10;

impl ContentCodePareto {
    fn bars_in(&self, lang: Lang) -> Vec<ContentCodeCount> {
        let mut codes = self.codes.clone();
        codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        if codes.len() > PARETO_MAX_BARS {
            let rest: u64 = codes[PARETO_MAX_BARS - 1..].iter().map(|c| c.count).sum();
            codes.truncate(PARETO_MAX_BARS - 1);
            let (code, label) = match lang {
                Lang::Zh => ("其他", "其他原因合计"),
                Lang::En => ("Other", "All other reasons"),
            };
            codes.push(ContentCodeCount { code: code.into(), label: label.into(), count: rest });
        }
        codes
    }
}

impl Chart for ContentCodePareto {
    fn title(&self) -> &str {
        &self.title
    }
    fn is_empty(&self) -> bool {
        self.codes.iter().all(|c| c.count == 0)
    }
    fn validate(&self) -> Result<()> {
        nonempty(&self.codes, "content-code Pareto")?;
        if self.codes.iter().all(|c| c.count == 0) {
            return Err(ReportError::InvalidInput("content-code Pareto: all counts are zero".into()));
        }
        Ok(())
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB> {
        let bars = self.bars_in(st.look.lang);
        let total: u64 = bars.iter().map(|c| c.count).sum();
        let (legend, area) = area.split_vertically(st.px(34.0));
        draw_legend(
            &legend,
            st,
            &[(st.tr("差评数（件）", "Bad reviews"), BLUE), (st.tr("累计占比", "Cumulative share"), RED)],
        )?;
        let (w, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally((w as f64 * 0.64) as u32);
        let n = bars.len() as i32;
        let labels: Vec<String> = bars.iter().map(|c| c.code.clone()).collect();
        let max = bars.iter().map(|c| c.count).max().unwrap_or(1);
        let y_max = ((max as f64) * 1.15).ceil().max(5.0) as u64;
        let mut chart = ChartBuilder::on(&left)
            .margin(st.px(14.0))
            .x_label_area_size(st.px(40.0))
            .y_label_area_size(st.px(70.0))
            .right_y_label_area_size(st.px(60.0))
            .build_cartesian_2d((0..n - 1).into_segmented(), 0u64..y_max)?
            .set_secondary_coord((0..n - 1).into_segmented(), 0f64..100f64);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(st.bg())
            .bold_line_style(st.grid())
            .axis_style(st.grid())
            .x_labels(bars.len())
            .x_label_formatter(&|v| seg_label(v, &labels))
            .y_label_formatter(&|v| fmt_count(*v))
            .label_style(st.font(14.0))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .label_style(st.font(14.0))
            .draw()?;
        let (plot_w, _) = chart.plotting_area().dim_in_pixel();
        let pad = ((plot_w as f64 / f64::from(n.max(1))) * 0.15) as u32;
        chart.draw_series(bars.iter().enumerate().map(|(i, c)| {
            let i = i as i32;
            let mut r = Rectangle::new(
                [(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), c.count)],
                BLUE.mix(0.8).filled(),
            );
            r.set_margin(0, 0, pad, pad);
            r
        }))?;
        let count_font = st.font(13.0).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart.draw_series(bars.iter().enumerate().map(|(i, c)| {
            Text::new(fmt_count(c.count), (SegmentValue::CenterOf(i as i32), c.count), count_font.clone())
        }))?;
        let mut acc = 0u64;
        let cum: Vec<(SegmentValue<i32>, f64)> = bars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                acc += c.count;
                (SegmentValue::CenterOf(i as i32), ratio(acc, total) * 100.0)
            })
            .collect();
        chart.draw_secondary_series(DashedLineSeries::new(
            [(SegmentValue::Exact(0), 80.0), (SegmentValue::Exact(n), 80.0)],
            st.px(8.0),
            st.px(6.0),
            RED.mix(0.6).stroke_width(st.px(1.5).max(1)),
        ))?;
        chart.draw_secondary_series(LineSeries::new(cum.clone(), RED.stroke_width(st.px(3.0))))?;
        chart.draw_secondary_series(cum.into_iter().map(|p| Circle::new(p, st.px(4.5), RED.filled())))?;
        // Key of codes on the right.
        let font = st.font(14.5).pos(Pos::new(HPos::Left, VPos::Center));
        let (_, rh) = right.dim_in_pixel();
        let row_h = st.pxi(30.0).min(rh as i32 / (bars.len() as i32 + 1));
        right.draw(&Text::new(
            st.tr("代码  问题类型", "Code  Problem").to_string(),
            (st.pxi(8.0), row_h / 2 + st.pxi(10.0)),
            st.bold(15.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        for (i, c) in bars.iter().enumerate() {
            let label: String = if c.label.chars().count() > 13 {
                c.label.chars().take(12).chain(std::iter::once('…')).collect()
            } else {
                c.label.clone()
            };
            right.draw(&Text::new(
                format!("{}  {}", c.code, label),
                (st.pxi(8.0), row_h * (i as i32 + 1) + row_h / 2 + st.pxi(10.0)),
                font.clone(),
            ))?;
        }
        Ok(())
    }
}

/// Pareto chart of bad reviews by content code (bars, cumulative line, 80 % line).
pub fn content_code_pareto(fonts: &Fonts, input: &ContentCodePareto, format: Format) -> Result<Vec<u8>> {
    render(fonts, input, format)
}

// ---------------------------------------------------------------- 6. heat map

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn heat_color(t: f64) -> RGBColor {
    // White → light red → deep red.
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: u8, b: u8, t: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    if t < 0.5 {
        let u = t * 2.0;
        RGBColor(lerp(0xFF, 0xF4, u), lerp(0xFF, 0xA3, u), lerp(0xFF, 0x9A, u))
    } else {
        let u = (t - 0.5) * 2.0;
        RGBColor(lerp(0xF4, 0xA3, u), lerp(0xA3, 0x16, u), lerp(0x9A, 0x1C, u))
    }
}

impl Chart for WeekdayHourHeatmap {
    fn title(&self) -> &str {
        &self.title
    }
    fn is_empty(&self) -> bool {
        self.counts.iter().flatten().all(|c| *c == 0)
    }
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: Sty) -> DrawResult<DB> {
        let max = self.counts.iter().flat_map(|d| d.iter()).copied().max().unwrap_or(0);
        let (legend, area) = area.split_vertically(st.px(34.0));
        let note = match st.look.lang {
            Lang::Zh => format!("颜色越深，差评越多（单格最多 {max} 件）"),
            Lang::En => format!("Darker means more bad reviews (at most {max} in one cell)"),
        };
        legend.draw(&Text::new(
            note,
            ((legend.dim_in_pixel().0 / 2) as i32, (legend.dim_in_pixel().1 / 2) as i32),
            st.font(15.0).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        let hours: Vec<String> = (0..24).map(|h| format!("{h}")).collect();
        let weekdays = match st.look.lang {
            Lang::Zh => WEEKDAYS,
            Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        };
        let days: Vec<String> = (0..7).map(|y| weekdays[6 - y].to_string()).collect();
        let mut chart = ChartBuilder::on(&area)
            .margin(st.px(14.0))
            .margin_right(st.px(24.0))
            .x_label_area_size(st.px(50.0))
            .y_label_area_size(st.px(60.0))
            .build_cartesian_2d((0..23).into_segmented(), (0..6).into_segmented())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(24)
            .y_labels(7)
            .x_label_formatter(&|v| seg_label(v, &hours))
            .y_label_formatter(&|v| seg_label(v, &days))
            .x_desc(st.tr("时段（时）", "Hour of day"))
            .label_style(st.font(15.0))
            .axis_desc_style(st.font(15.0))
            .draw()?;
        let dark = st.ink(13.0).pos(Pos::new(HPos::Center, VPos::Center));
        let light = st.white(13.0, FontStyle::Normal).pos(Pos::new(HPos::Center, VPos::Center));
        let gap = st.px(1.0).max(1);
        for (d, row) in self.counts.iter().enumerate() {
            let y = 6 - d as i32;
            for (h, &c) in row.iter().enumerate() {
                let x = h as i32;
                let t = if max == 0 { 0.0 } else { f64::from(c) / f64::from(max) };
                let fill = if c == 0 { st.look.empty_cell() } else { heat_color(0.12 + 0.88 * t) };
                let mut rect = Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    fill.filled(),
                );
                rect.set_margin(gap, gap, gap, gap);
                chart.draw_series(std::iter::once(rect))?;
                if c > 0 {
                    let font = if t > 0.55 { &light } else { &dark };
                    chart.draw_series(std::iter::once(Text::new(
                        c.to_string(),
                        (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                        font.clone(),
                    )))?;
                }
            }
        }
        Ok(())
    }
}

/// Weekday × hour heat map of bad reviews.
pub fn weekday_hour_heatmap(fonts: &Fonts, input: &WeekdayHourHeatmap, format: Format) -> Result<Vec<u8>> {
    render(fonts, input, format)
}

// ---------------------------------------------------------------- embedding in PDFs

/// A chart rendered as raw RGB pixels, ready to be placed in a PDF.
pub(crate) struct RgbImage {
    pub(crate) pixels: Vec<u8>,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Any of the charts, for embedding in the monthly report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnyChart {
    /// See [`bad_review_rate_by_month`].
    Trend(MonthlyTrend),
    /// See [`unit_ranking`].
    Ranking(UnitRanking),
    /// See [`timeliness_by_unit`].
    Timeliness(Timeliness),
    /// See [`channel_mix`].
    Channels(ChannelMix),
    /// See [`content_code_pareto`].
    Pareto(ContentCodePareto),
    /// See [`weekday_hour_heatmap`] (boxed: the grid is large).
    Heatmap(Box<WeekdayHourHeatmap>),
}

impl AnyChart {
    /// Renders the chart in the given format (Chinese, light).
    pub fn render(&self, fonts: &Fonts, format: Format) -> Result<Vec<u8>> {
        self.render_as(fonts, format, Look::default())
    }

    /// Renders the chart in the given format, language and colours.
    pub fn render_as(&self, fonts: &Fonts, format: Format, look: Look) -> Result<Vec<u8>> {
        match self {
            AnyChart::Trend(c) => render_as(fonts, c, format, look),
            AnyChart::Ranking(c) => render_as(fonts, c, format, look),
            AnyChart::Timeliness(c) => render_as(fonts, c, format, look),
            AnyChart::Channels(c) => render_as(fonts, c, format, look),
            AnyChart::Pareto(c) => render_as(fonts, c, format, look),
            AnyChart::Heatmap(c) => render_as(fonts, c.as_ref(), format, look),
        }
    }

    pub(crate) fn render_rgb(&self, fonts: &Fonts, scale: f64) -> Result<RgbImage> {
        let look = Look::default();
        let (pixels, width, height) = match self {
            AnyChart::Trend(c) => render_rgb(fonts, c, scale, look)?,
            AnyChart::Ranking(c) => render_rgb(fonts, c, scale, look)?,
            AnyChart::Timeliness(c) => render_rgb(fonts, c, scale, look)?,
            AnyChart::Channels(c) => render_rgb(fonts, c, scale, look)?,
            AnyChart::Pareto(c) => render_rgb(fonts, c, scale, look)?,
            AnyChart::Heatmap(c) => render_rgb(fonts, c.as_ref(), scale, look)?,
        };
        Ok(RgbImage { pixels, width, height })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_counts_and_ratios() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(fmt_ratio(0.0), "0%");
        assert_eq!(fmt_ratio(0.00012), "0.012%");
        assert_eq!(fmt_ratio(0.0123), "1.23%");
        assert_eq!(fmt_ratio(0.956), "95.6%");
    }

    #[test]
    fn pareto_groups_the_tail() {
        let p = ContentCodePareto {
            title: String::new(),
            codes: (0..15)
                .map(|i| ContentCodeCount { code: format!("{}", 100 + i), label: String::new(), count: 20 - i })
                .collect(),
        };
        let bars = p.bars_in(Lang::Zh);
        assert_eq!(bars.len(), PARETO_MAX_BARS);
        assert_eq!(bars[0].count, 20);
        assert_eq!(bars.last().map(|c| c.code.as_str()), Some("其他"));
        let total: u64 = bars.iter().map(|c| c.count).sum();
        assert_eq!(total, (6..=20).sum::<u64>());
    }
}
