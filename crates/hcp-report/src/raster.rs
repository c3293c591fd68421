//! Draws a laid-out page ([`crate::pdf::Mark`]s) into an RGB image and encodes it as PNG: the
//! on-screen preview of exactly what the PDF prints. Glyphs come from the same font faces and sit
//! at the same positions (advances, character spacing and horizontal scaling as in PDF text
//! space); strokes, fills and images as in the PDF. A PNG carries no text, so whatever the
//! citizens wrote stays pixels on the screen.

use ab_glyph::{point, Font, PxScale};
use ab_glyph_rasterizer::Rasterizer;

use crate::error::{ReportError, Result};
use crate::fonts::Fonts;
use crate::pdf::{face_of, Mark, Pixels, Rgb3, MM_PER_PT, PAGE_H, PAGE_W};

/// The lowest and highest resolutions a preview may ask for.
pub const DPI_RANGE: (f32, f32) = (36.0, 300.0);

struct Canvas {
    width: u32,
    height: u32,
    /// RGB8, white to start with.
    px: Vec<u8>,
    /// Pixels per mm.
    k: f32,
}

impl Canvas {
    fn new(dpi: f32) -> Self {
        let k = dpi / 25.4;
        let width = (PAGE_W * k).round() as u32;
        let height = (PAGE_H * k).round() as u32;
        Self { width, height, px: vec![255; width as usize * height as usize * 3], k }
    }

    /// Paints `rgb` over pixel (x, y) with coverage `alpha` (0–1).
    fn blend(&mut self, x: i64, y: i64, rgb: Rgb3, alpha: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) || alpha <= 0.0 {
            return;
        }
        let a = alpha.min(1.0);
        let i = (y as usize * self.width as usize + x as usize) * 3;
        for (c, v) in [rgb.0, rgb.1, rgb.2].into_iter().enumerate() {
            let dst = f32::from(self.px[i + c]);
            self.px[i + c] = (dst + (v.clamp(0.0, 1.0) * 255.0 - dst) * a).round() as u8;
        }
    }

    /// Fills a polygon given in mm (non-zero winding, anti-aliased).
    fn fill_polygon(&mut self, pts: &[(f32, f32)], rgb: Rgb3) {
        let px: Vec<(f32, f32)> = pts.iter().map(|(x, y)| (x * self.k, y * self.k)).collect();
        let min_x = px.iter().map(|p| p.0).fold(f32::INFINITY, f32::min).floor().max(0.0);
        let min_y = px.iter().map(|p| p.1).fold(f32::INFINITY, f32::min).floor().max(0.0);
        let max_x = px.iter().map(|p| p.0).fold(f32::NEG_INFINITY, f32::max).ceil().min(self.width as f32);
        let max_y = px.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max).ceil().min(self.height as f32);
        if max_x <= min_x || max_y <= min_y {
            return;
        }
        let (w, h) = ((max_x - min_x) as usize, (max_y - min_y) as usize);
        let mut r = Rasterizer::new(w, h);
        for i in 0..px.len() {
            let (a, b) = (px[i], px[(i + 1) % px.len()]);
            r.draw_line(point(a.0 - min_x, a.1 - min_y), point(b.0 - min_x, b.1 - min_y));
        }
        let (ox, oy) = (min_x as i64, min_y as i64);
        r.for_each_pixel_2d(|x, y, cov| self.blend(ox + i64::from(x), oy + i64::from(y), rgb, cov));
    }

    fn text(&mut self, fonts: &Fonts, m: &Mark) {
        let Mark::Text { face, size, color, x, baseline, text, spacing_pt, hscale } = m else { return };
        let ff = face_of(fonts, *face);
        let font = ff.font();
        let upem = font.units_per_em().unwrap_or(1000.0);
        let size_px = size * MM_PER_PT * self.k;
        // ab_glyph scales by the ascent-to-descent height, PDF by the em: convert.
        let sy = size_px * font.height_unscaled() / upem;
        let scale = PxScale { x: sy * hscale / 100.0, y: sy };
        let mut pen = x * self.k;
        let base = baseline * self.k;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(outline) = font.outline_glyph(id.with_scale_and_position(scale, point(pen, base))) {
                let b = outline.px_bounds();
                let (ox, oy) = (b.min.x as i64, b.min.y as i64);
                outline.draw(|gx, gy, cov| self.blend(ox + i64::from(gx), oy + i64::from(gy), *color, cov));
            }
            // PDF text space: tx = (w0 × Tfs + Tc) × Th.
            let advance_pt = (font.h_advance_unscaled(id) / upem * size + spacing_pt) * hscale / 100.0;
            pen += advance_pt * MM_PER_PT * self.k;
        }
    }

    fn line(&mut self, (x0, y0, x1, y1): (f32, f32, f32, f32), thickness: f32, rgb: Rgb3) {
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = (dx * dx + dy * dy).sqrt();
        if len <= f32::EPSILON {
            return;
        }
        // At least one device pixel wide, as PDF viewers draw hairlines.
        let half = (thickness.max(1.0 / self.k)) / 2.0;
        let (nx, ny) = (-dy / len * half, dx / len * half);
        self.fill_polygon(&[(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], rgb);
    }

    /// Draws an image stretched over (x, y, w, h) mm: each device pixel takes the mean of the
    /// source pixels it covers (so thin chart lines survive a reduction, as in PDF viewers),
    /// or the nearest source pixel when enlarging.
    fn image(&mut self, img: &Pixels, x: f32, y: f32, w: f32, h: f32) {
        let (sw, sh) = (img.width as usize, img.height as usize);
        if sw == 0 || sh == 0 || img.data.len() < sw * sh * 3 {
            return;
        }
        let (x0, y0) = ((x * self.k).round() as i64, (y * self.k).round() as i64);
        let (x1, y1) = (((x + w) * self.k).round() as i64, ((y + h) * self.k).round() as i64);
        let (dw, dh) = ((x1 - x0).max(1) as f32, (y1 - y0).max(1) as f32);
        // The source span [from, to) of device pixel `d` along an axis of `n` source pixels.
        let span = |d: i64, origin: i64, size: f32, n: usize| {
            let from = ((d - origin) as f32 / size * n as f32).floor() as usize;
            let to = (((d - origin + 1) as f32 / size * n as f32).ceil() as usize).clamp(from + 1, n);
            (from.min(n - 1), to)
        };
        for py in y0.max(0)..y1.min(i64::from(self.height)) {
            let (sy0, sy1) = span(py, y0, dh, sh);
            for px in x0.max(0)..x1.min(i64::from(self.width)) {
                let (sx0, sx1) = span(px, x0, dw, sw);
                let mut sum = [0u32; 3];
                for sy in sy0..sy1 {
                    for sx in sx0..sx1 {
                        let i = (sy * sw + sx) * 3;
                        for (c, acc) in sum.iter_mut().enumerate() {
                            *acc += u32::from(img.data[i + c]);
                        }
                    }
                }
                let n = ((sy1 - sy0) * (sx1 - sx0)) as u32;
                let i = (py as usize * self.width as usize + px as usize) * 3;
                for (c, acc) in sum.iter().enumerate() {
                    self.px[i + c] = ((acc + n / 2) / n) as u8;
                }
            }
        }
    }

    fn png(&self, dpi: f32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let ppm = (dpi / 0.0254).round() as u32;
            enc.set_pixel_dims(Some(png::PixelDimensions { xppu: ppm, yppu: ppm, unit: png::Unit::Meter }));
            let mut w = enc.write_header().map_err(|e| ReportError::Png(e.to_string()))?;
            w.write_image_data(&self.px).map_err(|e| ReportError::Png(e.to_string()))?;
        }
        Ok(out)
    }
}

/// Draws one page's marks at `dpi` and encodes the result as PNG.
pub(crate) fn page_png(fonts: &Fonts, marks: &[Mark], dpi: f32) -> Result<Vec<u8>> {
    if !(DPI_RANGE.0..=DPI_RANGE.1).contains(&dpi) {
        return Err(ReportError::InvalidInput(format!(
            "preview resolution {dpi} dpi is outside {}–{} dpi",
            DPI_RANGE.0, DPI_RANGE.1
        )));
    }
    let mut canvas = Canvas::new(dpi);
    for m in marks {
        match m {
            Mark::Text { .. } => canvas.text(fonts, m),
            Mark::Line { x0, y0, x1, y1, thickness, color } => canvas.line((*x0, *y0, *x1, *y1), *thickness, *color),
            Mark::Rect { x, y, w, h, color } => {
                canvas.fill_polygon(&[(*x, *y), (x + w, *y), (x + w, y + h), (*x, y + h)], *color)
            }
            Mark::Image { pixels, x, y, w, h } => canvas.image(pixels, *x, *y, *w, *h),
        }
    }
    canvas.png(dpi)
}
