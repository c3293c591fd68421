//! A small A4 layout engine on top of printpdf, following GB/T 9704-2012:
//! 156 × 225 mm type area, 37 mm top and 28 mm left margins, a grid of 22
//! lines of 28 characters in 3号 (16 pt), page numbers "— N —" in 4号 7 mm
//! below the type area (odd pages right, even pages left, one character in).

use std::sync::Arc;

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, RawImage, RawImageData, RawImageFormat, Rect, Rgb, TextItem, XObjectTransform,
};

use crate::error::{ReportError, Result};
use crate::fonts::{FontFace, Fonts};

/// A4 width in mm.
pub const PAGE_W: f32 = 210.0;
/// A4 height in mm.
pub const PAGE_H: f32 = 297.0;
/// Top margin (page edge to the type area) in mm.
pub const MARGIN_TOP: f32 = 37.0;
/// Left margin in mm.
pub const MARGIN_LEFT: f32 = 28.0;
/// Width of the type area in mm.
pub const TYPE_W: f32 = 156.0;
/// Height of the type area in mm.
pub const TYPE_H: f32 = 225.0;
/// Lines per page of the body grid.
pub const GRID_LINES: usize = 22;
/// Characters per line of the body grid.
pub const GRID_CHARS: usize = 28;
/// 2号 (title) size in pt.
pub const SIZE_2HAO: f32 = 22.0;
/// 3号 (body) size in pt.
pub const SIZE_3HAO: f32 = 16.0;
/// 4号 (page numbers, 版记) size in pt.
pub const SIZE_4HAO: f32 = 14.0;
/// 小四 size in pt (tables).
pub const SIZE_XIAO4: f32 = 12.0;

/// Bottom edge of the type area, from the top of the page, in mm.
pub const TYPE_BOTTOM: f32 = MARGIN_TOP + TYPE_H;
/// Right edge of the type area, from the left of the page, in mm.
pub const TYPE_RIGHT: f32 = MARGIN_LEFT + TYPE_W;
/// Vertical pitch of the body grid in mm (225 / 22).
pub const LINE_PITCH: f32 = TYPE_H / GRID_LINES as f32;
/// Horizontal pitch of the body grid in mm (156 / 28).
pub const CHAR_PITCH: f32 = TYPE_W / GRID_CHARS as f32;

pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;
/// Height of the ideographic em box above the baseline (Noto CJK, Fandol).
const ASCENT_EM: f32 = 0.88;

/// Official red of document headers.
pub const RED: (f32, f32, f32) = (0.86, 0.0, 0.0);
/// Black.
pub const BLACK: (f32, f32, f32) = (0.0, 0.0, 0.0);

pub(crate) fn pt_to_mm(pt: f32) -> f32 {
    pt * MM_PER_PT
}

fn color((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

/// Which document face to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    /// 仿宋-style body.
    Body,
    /// 小标宋-style title.
    Title,
    /// 黑体-style headings.
    Hei,
}

impl Face {
    pub(crate) fn idx(self) -> usize {
        match self {
            Face::Body => 0,
            Face::Title => 1,
            Face::Hei => 2,
        }
    }
}

/// Horizontal alignment of a paragraph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Align {
    /// Flush left, justified except for the last line.
    Justify,
    /// Centred.
    Center,
    /// Flush left, never stretched (lists of file names, hashes and sizes).
    Left,
}

/// A text style: face, size, colour, and whether to sit on the 28-per-line grid.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub face: Face,
    pub size: f32,
    pub color: (f32, f32, f32),
    /// Character cell width in mm; `None` uses the natural advance.
    pub cell: Option<f32>,
}

impl Style {
    pub fn body() -> Self {
        Self { face: Face::Body, size: SIZE_3HAO, color: BLACK, cell: Some(CHAR_PITCH) }
    }
    pub fn with_face(mut self, face: Face) -> Self {
        self.face = face;
        self
    }
    pub fn plain(face: Face, size: f32) -> Self {
        Self { face, size, color: BLACK, cell: None }
    }
    /// Extra character spacing in pt that puts full-width glyphs on the grid.
    pub(crate) fn base_spacing_pt(&self) -> f32 {
        match self.cell {
            Some(cell) => cell / MM_PER_PT - self.size,
            None => 0.0,
        }
    }
    fn em_mm(&self) -> f32 {
        pt_to_mm(self.size)
    }
}

/// Characters that may not start a line (closing punctuation).
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』”’】〕…—%,.;:?!)]".contains(c)
}

/// Characters that may not end a line (opening punctuation).
fn no_line_end(c: char) -> bool {
    "（《「『“‘【〔([".contains(c)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/:@#+%".contains(c)
}

/// Splits text into unbreakable tokens: runs of ASCII word characters, or single characters.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_word_char(c) {
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Line breaking with the basic Chinese kinsoku rules.
///
/// `width_of` gives the advance of a token in mm (including its character
/// spacing); `first` and `rest` are the available widths of the first and
/// following lines.
pub(crate) fn break_lines(text: &str, width_of: &dyn Fn(&str) -> f32, first: f32, rest: f32) -> Vec<String> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let mut cur_w = 0.0f32;
    let avail = |n: usize| if n == 0 { first } else { rest };
    let eps = 0.01;
    for tok in tokens(text) {
        let w = width_of(&tok);
        if cur_w + w <= avail(lines.len()) + eps || cur.is_empty() {
            if cur.is_empty() && w > avail(lines.len()) + eps && tok.chars().count() > 1 {
                // An over-long word: split it by characters.
                for c in tok.chars() {
                    let s = c.to_string();
                    let cw = width_of(&s);
                    if cur_w + cw > avail(lines.len()) + eps && !cur.is_empty() {
                        lines.push(std::mem::take(&mut cur));
                        cur_w = 0.0;
                    }
                    cur_w += cw;
                    cur.push(s);
                }
                continue;
            }
            cur_w += w;
            cur.push(tok);
            continue;
        }
        // `tok` does not fit: start a new line, respecting the kinsoku rules.
        let mut carry: Vec<String> = Vec::new();
        let starts_bad = tok.chars().next().is_some_and(no_line_start);
        if starts_bad && cur.len() > 1 {
            if let Some(last) = cur.pop() {
                carry.push(last);
            }
        }
        while cur.len() > 1 && cur.last().and_then(|t| t.chars().last()).is_some_and(no_line_end) {
            if let Some(last) = cur.pop() {
                carry.insert(0, last);
            }
        }
        lines.push(std::mem::take(&mut cur));
        cur = carry;
        cur.push(tok);
        cur_w = cur.iter().map(|t| width_of(t)).sum();
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines.into_iter().map(|l| l.concat()).collect()
}

/// An RGB colour, each channel 0–1.
pub(crate) type Rgb3 = (f32, f32, f32);

/// An RGB8 image placed on a page.
#[derive(Debug)]
pub(crate) struct Pixels {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// One drawing operation of a laid-out page, in mm from the page's top-left corner. The PDF and
/// the preview images are both drawn from these, so they cannot disagree.
#[derive(Clone, Debug)]
pub(crate) enum Mark {
    /// A run of text with its baseline at `baseline`; `spacing_pt` after every glyph and a
    /// horizontal scaling in percent, as PDF's Tc and Tz.
    Text { face: Face, size: f32, color: Rgb3, x: f32, baseline: f32, text: String, spacing_pt: f32, hscale: f32 },
    /// A straight stroke of `thickness` mm (butt caps).
    Line { x0: f32, y0: f32, x1: f32, y1: f32, thickness: f32, color: Rgb3 },
    /// A filled rectangle given by its top-left corner and size.
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb3 },
    /// An image stretched over the rectangle (x, y, w, h).
    Image { pixels: Arc<Pixels>, x: f32, y: f32, w: f32, h: f32 },
}

/// A laid-out document: pages of marks, drawn as one PDF or page by page as PNG previews.
#[derive(Clone, Debug)]
pub struct Pages {
    title: String,
    pages: Vec<Vec<Mark>>,
}

impl Pages {
    /// Number of pages.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether there is no page (never true for a finished document).
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    pub(crate) fn marks(&self, page: usize) -> Option<&[Mark]> {
        self.pages.get(page).map(Vec::as_slice)
    }

    /// Every text run of every page, one per line (what a test reads).
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        for m in self.pages.iter().flatten() {
            if let Mark::Text { text, .. } = m {
                out.push_str(text);
                out.push('\n');
            }
        }
        out
    }

    /// The whole document as a PDF (fonts subset).
    pub fn pdf(&self, fonts: &Fonts) -> Result<Vec<u8>> {
        let mut pdf = PdfDocument::new(&self.title);
        let mut font_ids: [Option<FontId>; 3] = [None, None, None];
        let mut out = Vec::with_capacity(self.pages.len());
        for marks in &self.pages {
            let mut ops = Vec::with_capacity(marks.len() * 8);
            for m in marks {
                pdf_ops(&mut pdf, &mut font_ids, fonts, m, &mut ops)?;
            }
            out.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
        }
        let mut warnings = Vec::new();
        let opts = PdfSaveOptions { subset_fonts: true, ..Default::default() };
        let bytes = pdf.with_pages(out).save(&opts, &mut warnings);
        if bytes.is_empty() {
            return Err(ReportError::Pdf("printpdf produced no output".into()));
        }
        Ok(bytes)
    }

    /// Page `page` (from 0) as a PNG image at `dpi` dots per inch, drawn from the same marks as
    /// the PDF with the same fonts.
    pub fn png(&self, fonts: &Fonts, page: usize, dpi: f32) -> Result<Vec<u8>> {
        let marks = self
            .marks(page)
            .ok_or_else(|| ReportError::InvalidInput(format!("page {} of {} does not exist", page + 1, self.len())))?;
        crate::raster::page_png(fonts, marks, dpi)
    }
}

pub(crate) fn face_of(fonts: &Fonts, face: Face) -> &FontFace {
    match face {
        Face::Body => &fonts.body,
        Face::Title => &fonts.title,
        Face::Hei => &fonts.hei,
    }
}

fn font_id(pdf: &mut PdfDocument, ids: &mut [Option<FontId>; 3], fonts: &Fonts, face: Face) -> Result<FontId> {
    if let Some(id) = &ids[face.idx()] {
        return Ok(id.clone());
    }
    let ff = face_of(fonts, face);
    let mut warnings = Vec::new();
    let parsed = ParsedFont::from_bytes(ff.bytes(), ff.index() as usize, &mut warnings).ok_or_else(|| {
        ReportError::FontInvalid {
            path: ff.path().to_path_buf(),
            index: ff.index(),
            reason: "printpdf could not parse the font".into(),
        }
    })?;
    let id = pdf.add_font(&parsed);
    ids[face.idx()] = Some(id.clone());
    Ok(id)
}

/// The PDF operations of one mark.
fn pdf_ops(
    pdf: &mut PdfDocument,
    ids: &mut [Option<FontId>; 3],
    fonts: &Fonts,
    mark: &Mark,
    ops: &mut Vec<Op>,
) -> Result<()> {
    match mark {
        Mark::Text { face, size, color: rgb, x, baseline, text, spacing_pt, hscale } => {
            let id = font_id(pdf, ids, fonts, *face)?;
            ops.push(Op::StartTextSection);
            ops.push(Op::SetFillColor { col: color(*rgb) });
            ops.push(Op::SetFont { font: PdfFontHandle::External(id), size: Pt(*size) });
            // Tc and Tz belong to the graphics state and survive BT/ET: always set both.
            ops.push(Op::SetCharacterSpacing { multiplier: *spacing_pt });
            ops.push(Op::SetHorizontalScaling { percent: *hscale });
            ops.push(Op::SetTextCursor { pos: Point::new(Mm(*x), Mm(PAGE_H - baseline)) });
            ops.push(Op::ShowText { items: vec![TextItem::Text(text.clone())] });
            ops.push(Op::EndTextSection);
        }
        Mark::Line { x0, y0, x1, y1, thickness, color: rgb } => {
            ops.push(Op::SetOutlineColor { col: color(*rgb) });
            ops.push(Op::SetOutlineThickness { pt: Pt(thickness / MM_PER_PT) });
            ops.push(Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint { p: Point::new(Mm(*x0), Mm(PAGE_H - y0)), bezier: false },
                        LinePoint { p: Point::new(Mm(*x1), Mm(PAGE_H - y1)), bezier: false },
                    ],
                    is_closed: false,
                },
            });
        }
        Mark::Rect { x, y, w, h, color: rgb } => {
            ops.push(Op::SetFillColor { col: color(*rgb) });
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Mm(*x).into(),
                    y: Mm(PAGE_H - y - h).into(),
                    width: Mm(*w).into(),
                    height: Mm(*h).into(),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
        }
        Mark::Image { pixels, x, y, w, h } => {
            let raw = RawImage {
                pixels: RawImageData::U8(pixels.data.clone()),
                width: pixels.width as usize,
                height: pixels.height as usize,
                data_format: RawImageFormat::RGB8,
                tag: Vec::new(),
            };
            let id = pdf.add_image(&raw);
            let dpi = pixels.width as f32 / (w / 25.4);
            ops.push(Op::UseXobject {
                id,
                transform: XObjectTransform {
                    translate_x: Some(Mm(*x).into()),
                    translate_y: Some(Mm(PAGE_H - y - h).into()),
                    dpi: Some(dpi),
                    ..Default::default()
                },
            });
        }
    }
    Ok(())
}

/// Document builder: lays text out on the GB/T 9704 grid into pages of marks, with a text flow
/// cursor.
pub(crate) struct Doc<'f> {
    fonts: &'f Fonts,
    title: String,
    pages: Vec<Vec<Mark>>,
    marks: Vec<Mark>,
    /// Top of the next line, from the top of the page, in mm.
    pub y: f32,
    /// Page number within the current document (restarts for each notice).
    page_no: u32,
    page_open: bool,
}

impl<'f> Doc<'f> {
    pub fn new(fonts: &'f Fonts, title: &str) -> Self {
        Self {
            fonts,
            title: title.to_owned(),
            pages: Vec::new(),
            marks: Vec::new(),
            y: MARGIN_TOP,
            page_no: 0,
            page_open: false,
        }
    }

    fn face(&self, face: Face) -> &'f FontFace {
        face_of(self.fonts, face)
    }

    /// Width of `text` in mm with the given style and extra spacing (pt),
    /// counting the spacing after every glyph.
    pub fn advance(&self, style: &Style, text: &str) -> f32 {
        let face = self.face(style.face);
        let em: f32 = text.chars().map(|c| face.advance_em(c)).sum();
        let n = text.chars().count() as f32;
        pt_to_mm(em * style.size + n * style.base_spacing_pt())
    }

    /// Ink width of `text` (without the spacing after the last glyph).
    pub fn ink_width(&self, style: &Style, text: &str) -> f32 {
        let n = text.chars().count();
        if n == 0 {
            return 0.0;
        }
        self.advance(style, text) - pt_to_mm(style.base_spacing_pt())
    }

    /// Starts a new document in the same PDF (page numbers restart at 1).
    pub fn start_document(&mut self) {
        self.finish_page();
        self.page_no = 0;
    }

    /// Opens a new page and puts the cursor at the top of the type area.
    pub fn new_page(&mut self) -> Result<()> {
        self.finish_page();
        self.page_no += 1;
        self.page_open = true;
        self.y = MARGIN_TOP;
        Ok(())
    }

    fn finish_page(&mut self) {
        if !self.page_open {
            return;
        }
        self.page_number();
        let marks = std::mem::take(&mut self.marks);
        self.pages.push(marks);
        self.page_open = false;
    }

    /// "— N —" in 4号, 7 mm below the type area; odd pages right, even pages left.
    fn page_number(&mut self) {
        let style = Style::plain(Face::Body, SIZE_4HAO);
        let text = format!("— {} —", self.page_no);
        let w = self.ink_width(&style, &text);
        let one_char = style.em_mm();
        let x = if self.page_no % 2 == 1 { TYPE_RIGHT - one_char - w } else { MARGIN_LEFT + one_char };
        // The dash sits at the middle of the em box (0.38 em above the baseline).
        let baseline = TYPE_BOTTOM + 7.0 + 0.38 * style.em_mm();
        self.push_text(&style, x, baseline, &text, 0.0, 100.0);
    }

    /// Ensures `h` mm fit below the cursor, else opens a new page.
    pub fn ensure(&mut self, h: f32) -> Result<bool> {
        if !self.page_open || self.y + h > TYPE_BOTTOM + 0.01 {
            self.new_page()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Draws one run of text with its baseline at `baseline` mm from the top.
    pub fn text_at(&mut self, style: &Style, x: f32, baseline: f32, text: &str, extra_pt: f32) -> Result<()> {
        self.text_scaled(style, x, baseline, text, extra_pt, 100.0)
    }

    /// Like [`Doc::text_at`], with a horizontal scaling in percent.
    pub fn text_scaled(
        &mut self,
        style: &Style,
        x: f32,
        baseline: f32,
        text: &str,
        extra_pt: f32,
        hscale: f32,
    ) -> Result<()> {
        self.push_text(style, x, baseline, text, extra_pt, hscale);
        Ok(())
    }

    fn push_text(&mut self, style: &Style, x: f32, baseline: f32, text: &str, extra_pt: f32, hscale: f32) {
        if text.is_empty() {
            return;
        }
        self.marks.push(Mark::Text {
            face: style.face,
            size: style.size,
            color: style.color,
            x,
            baseline,
            text: text.to_owned(),
            spacing_pt: style.base_spacing_pt() + extra_pt,
            hscale,
        });
    }

    /// Baseline of a line whose em box top is at `top`.
    pub fn baseline(style: &Style, top: f32) -> f32 {
        top + ASCENT_EM * style.em_mm()
    }

    /// Flows a paragraph at the cursor, `pitch` mm per line, breaking pages as needed.
    pub fn paragraph(&mut self, text: &str, style: &Style, indent_chars: f32, align: Align, pitch: f32) -> Result<()> {
        let cell = style.cell.unwrap_or(style.em_mm());
        let indent = indent_chars * cell;
        let avail = TYPE_W;
        let lines = {
            let width_of = |t: &str| self.advance(style, t);
            break_lines(text, &width_of, avail - indent, avail)
        };
        let count = lines.len();
        for (i, line) in lines.iter().enumerate() {
            self.ensure(style.em_mm())?;
            let x0 = MARGIN_LEFT + if i == 0 { indent } else { 0.0 };
            let width = self.ink_width(style, line);
            let line_avail = avail - if i == 0 { indent } else { 0.0 };
            let (x, extra) = match align {
                Align::Justify => {
                    let n = line.chars().count();
                    let gap = line_avail - width;
                    let extra = if i + 1 < count && n > 1 && gap > 0.0 && gap < 0.5 * style.em_mm() * n as f32 {
                        gap / (n - 1) as f32 / MM_PER_PT
                    } else {
                        0.0
                    };
                    (x0, extra)
                }
                Align::Center => (MARGIN_LEFT + (TYPE_W - width) / 2.0, 0.0),
                Align::Left => (x0, 0.0),
            };
            let top = self.y;
            self.text_at(style, x, Self::baseline(style, top), line, extra)?;
            self.y += pitch;
        }
        Ok(())
    }

    /// Draws a horizontal line at `y` mm from the top, from x0 to x1.
    pub fn hline(&mut self, x0: f32, x1: f32, y: f32, thickness_mm: f32, rgb: (f32, f32, f32)) {
        self.line(x0, y, x1, y, thickness_mm, rgb);
    }

    /// Draws a straight line between two points (mm, from the top-left corner).
    pub fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, thickness_mm: f32, rgb: (f32, f32, f32)) {
        self.marks.push(Mark::Line { x0, y0, x1, y1, thickness: thickness_mm, color: rgb });
    }

    /// Fills a rectangle given by its top-left corner and size in mm.
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        self.marks.push(Mark::Rect { x, y, w, h, color: rgb });
    }

    /// Places an RGB8 image with its top-left corner at (x, y) mm, `w` mm wide; returns its height.
    pub fn image(&mut self, pixels: Vec<u8>, px_w: u32, px_h: u32, x: f32, y: f32, w: f32) -> f32 {
        let h = w * px_h as f32 / px_w.max(1) as f32;
        let pixels = Arc::new(Pixels { data: pixels, width: px_w, height: px_h });
        self.marks.push(Mark::Image { pixels, x, y, w, h });
        h
    }

    /// Finishes the last page: the laid-out document.
    pub fn finish(mut self) -> Result<Pages> {
        self.finish_page();
        if self.pages.is_empty() {
            return Err(ReportError::InvalidInput("nothing to render".into()));
        }
        Ok(Pages { title: self.title, pages: self.pages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cjk_width(t: &str) -> f32 {
        t.chars().map(|c| if c.is_ascii() { 0.5 } else { 1.0 }).sum()
    }

    #[test]
    fn breaks_28_per_line_and_keeps_punctuation_off_line_starts() {
        let full: String = "一二三四五六七八九十".repeat(3).chars().take(28).collect();
        let lines = break_lines(&full, &cjk_width, 28.0, 28.0);
        assert_eq!(lines, vec![full.clone()]);
        let lines = break_lines(&(full + "，后面"), &cjk_width, 28.0, 28.0);
        assert_eq!(lines[0].chars().count(), 27, "{lines:?}");
        assert!(lines[1].starts_with("八，"), "{lines:?}");
        for l in &lines {
            assert!(!l.starts_with('，'));
        }
    }

    #[test]
    fn keeps_words_together_and_opening_brackets_at_line_ends_move_down() {
        let text = format!("{}（HCP-2026-000318）", "字".repeat(26));
        let lines = break_lines(&text, &cjk_width, 28.0, 28.0);
        assert_eq!(lines[0], "字".repeat(26), "{lines:?}");
        assert!(lines[1].starts_with("（HCP-2026-000318"), "{lines:?}");
    }

    #[test]
    fn grid_pitches_match_the_standard() {
        assert!((LINE_PITCH - 10.227).abs() < 0.01);
        assert!((CHAR_PITCH - 5.571).abs() < 0.01);
        assert!((Style::body().base_spacing_pt() + 0.207).abs() < 0.01);
    }
}
