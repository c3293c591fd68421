//! Evidence files in printed documents: the 附件 list under a notice's or a decision record's
//! body (name, size and the start of the SHA-256 that identifies the file), and an appendix of
//! photos (附图) after the document, decoded from JPEG or PNG and scaled down for print.

use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};
use crate::pdf::{
    Align, Doc, Face, Style, LINE_PITCH, MARGIN_LEFT, MARGIN_TOP, SIZE_3HAO, SIZE_4HAO, TYPE_BOTTOM, TYPE_W,
};

/// One evidence file as a document lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentLine {
    pub name: String,
    /// Lower-case hex SHA-256 of the content (printed as its first 12 characters).
    pub sha256: String,
    /// Bytes.
    pub size: i64,
}

impl AttachmentLine {
    /// `整改后窗口.jpg（1.2 MB，SHA-256 3f2a9c1b0d4e…）`
    pub fn label(&self) -> String {
        let prefix: String = self.sha256.chars().take(12).collect();
        format!("{}（{}，SHA-256 {prefix}…）", self.name.trim(), human_size(self.size))
    }
}

/// 532 B, 12.3 KB, 1.2 MB.
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// The paragraphs of a 附件 list: `附件：1. …` then `2. …` aligned under the first name.
pub fn list_paragraphs(files: &[AttachmentLine]) -> Vec<String> {
    files
        .iter()
        .enumerate()
        .map(
            |(i, f)| {
                if i == 0 {
                    format!("附件：1. {}", f.label())
                } else {
                    format!("　　　{}. {}", i + 1, f.label())
                }
            },
        )
        .collect()
}

/// Lays out the 附件 list (nothing when there are no files).
pub(crate) fn list(doc: &mut Doc<'_>, files: &[AttachmentLine]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    // Proportional, not on the body's character grid: names, sizes and hashes mix Latin and Han.
    let body = Style::plain(Face::Body, SIZE_3HAO);
    doc.y += LINE_PITCH * 0.5;
    for p in list_paragraphs(files) {
        doc.paragraph(&p, &body, 2.0, Align::Left, LINE_PITCH)?;
    }
    Ok(())
}

/// A photo for the appendix, already decoded: RGB8 pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendixImage {
    /// Shown under the photo: the file's list label.
    pub caption: String,
    pub rgb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The longest side a photo keeps in print (about 150 dpi over the type area's width).
pub const MAX_PRINT_PX: u32 = 1000;

impl AppendixImage {
    /// Decodes a JPEG or PNG file (by its content) and scales it down to at most `MAX_PRINT_PX`
    /// on its longest side. Other contents are refused with a reason.
    pub fn decode(caption: impl Into<String>, bytes: &[u8]) -> Result<AppendixImage> {
        let (rgb, width, height) = if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            decode_jpeg(bytes)?
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            decode_png(bytes)?
        } else {
            return Err(ReportError::InvalidInput("only JPEG and PNG photos can be printed in the appendix".into()));
        };
        let (rgb, width, height) = shrink(rgb, width, height, MAX_PRINT_PX);
        Ok(AppendixImage { caption: caption.into(), rgb, width, height })
    }
}

/// Whether the content is a photo the appendix can print (JPEG or PNG).
pub fn printable_photo(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn bad(what: &str, e: impl std::fmt::Display) -> ReportError {
    ReportError::InvalidInput(format!("the {what} photo cannot be read: {e}"))
}

/// Pixels above this count are refused (a crafted header must not make us allocate gigabytes).
const MAX_DECODED_PIXELS: u64 = 80_000_000;

fn decode_jpeg(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32)> {
    let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
    d.read_info().map_err(|e| bad("JPEG", e))?;
    let info = d.info().ok_or_else(|| bad("JPEG", "no header"))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if u64::from(w) * u64::from(h) > MAX_DECODED_PIXELS {
        return Err(bad("JPEG", format!("{w}×{h} pixels is too large")));
    }
    let px = d.decode().map_err(|e| bad("JPEG", e))?;
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => px,
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&g| [g, g, g]).collect(),
        jpeg_decoder::PixelFormat::L16 => px.chunks_exact(2).flat_map(|g| [g[0], g[0], g[0]]).collect(),
        jpeg_decoder::PixelFormat::CMYK32 => px
            .chunks_exact(4)
            .flat_map(|p| {
                let k = 255 - u16::from(p[3]);
                let f = |c: u8| ((255 - u16::from(c)) * k / 255) as u8;
                [f(p[0]), f(p[1]), f(p[2])]
            })
            .collect(),
    };
    if rgb.len() != (w * h * 3) as usize {
        return Err(bad("JPEG", "pixel data of the wrong length"));
    }
    Ok((rgb, w, h))
}

fn decode_png(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32)> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad("PNG", e))?;
    let (w, h) = (reader.info().width, reader.info().height);
    if u64::from(w) * u64::from(h) > MAX_DECODED_PIXELS {
        return Err(bad("PNG", format!("{w}×{h} pixels is too large")));
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).map_err(|e| bad("PNG", e))?;
    let data = &buf[..frame.buffer_size()];
    let rgb: Vec<u8> = match frame.color_type {
        png::ColorType::Rgb => data.to_vec(),
        png::ColorType::Rgba => data.chunks_exact(4).flat_map(|p| blend_white(p[..3].try_into().ok(), p[3])).collect(),
        png::ColorType::Grayscale => data.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => {
            data.chunks_exact(2).flat_map(|p| blend_white(Some([p[0]; 3]), p[1])).collect()
        }
        png::ColorType::Indexed => return Err(bad("PNG", "an indexed image was not expanded")),
    };
    if rgb.len() != (w * h * 3) as usize {
        return Err(bad("PNG", "pixel data of the wrong length"));
    }
    Ok((rgb, w, h))
}

/// A transparent pixel printed over white paper.
fn blend_white(rgb: Option<[u8; 3]>, alpha: u8) -> [u8; 3] {
    let [r, g, b] = rgb.unwrap_or([255; 3]);
    let mix = |c: u8| ((u16::from(c) * u16::from(alpha) + 255 * (255 - u16::from(alpha))) / 255) as u8;
    [mix(r), mix(g), mix(b)]
}

/// Scales down (box filter) so the longest side is at most `max`; smaller images are kept.
fn shrink(rgb: Vec<u8>, w: u32, h: u32, max: u32) -> (Vec<u8>, u32, u32) {
    let longest = w.max(h);
    if longest <= max || w == 0 || h == 0 {
        return (rgb, w, h);
    }
    let (nw, nh) = (((u64::from(w) * u64::from(max)) / u64::from(longest)).max(1) as u32, {
        ((u64::from(h) * u64::from(max)) / u64::from(longest)).max(1) as u32
    });
    let mut out = Vec::with_capacity((nw * nh * 3) as usize);
    for y in 0..nh {
        let (y0, y1) = ((y * h / nh) as usize, (((y + 1) * h / nh).max(y * h / nh + 1)) as usize);
        for x in 0..nw {
            let (x0, x1) = ((x * w / nw) as usize, (((x + 1) * w / nw).max(x * w / nw + 1)) as usize);
            let mut sum = [0u32; 3];
            let mut n = 0u32;
            for sy in y0..y1.min(h as usize) {
                let row = sy * w as usize * 3;
                for sx in x0..x1.min(w as usize) {
                    let i = row + sx * 3;
                    sum[0] += u32::from(rgb[i]);
                    sum[1] += u32::from(rgb[i + 1]);
                    sum[2] += u32::from(rgb[i + 2]);
                    n += 1;
                }
            }
            let n = n.max(1);
            out.extend(sum.iter().map(|s| (s / n) as u8));
        }
    }
    (out, nw, nh)
}

/// Lays out the 附图 pages: a heading, then the photos at the type area's width (at most half
/// its height each, so two fit a page), each with its caption.
/// `missing` photos could not be had (not on this computer and no connection): the appendix says
/// so, so the reader knows it is incomplete.
pub(crate) fn appendix(doc: &mut Doc<'_>, title: &str, images: &[AppendixImage], missing: u32) -> Result<()> {
    if images.is_empty() && missing == 0 {
        return Ok(());
    }
    let caption = Style::plain(Face::Body, SIZE_4HAO);
    let heading = Style::body().with_face(Face::Hei);
    doc.new_page()?;
    doc.y = MARGIN_TOP;
    doc.paragraph(&format!("附图（{}）", title.trim()), &heading, 0.0, Align::Justify, LINE_PITCH)?;
    let max_h = (TYPE_BOTTOM - MARGIN_TOP) / 2.0 - 2.0 * LINE_PITCH;
    for (i, img) in images.iter().enumerate() {
        let aspect = img.height as f32 / img.width.max(1) as f32;
        let w = TYPE_W.min(max_h / aspect.max(0.01));
        let h = w * aspect;
        if doc.y + h + LINE_PITCH > TYPE_BOTTOM {
            doc.new_page()?;
            doc.y = MARGIN_TOP;
        }
        let x = MARGIN_LEFT + (TYPE_W - w) / 2.0;
        let y = doc.y + LINE_PITCH * 0.25;
        doc.image(img.rgb.clone(), img.width, img.height, x, y, w);
        doc.y = y + h + LINE_PITCH * 0.25;
        doc.paragraph(&format!("附图{}　{}", i + 1, img.caption.trim()), &caption, 0.0, Align::Center, LINE_PITCH)?;
    }
    if missing > 0 {
        let note = format!("另有 {missing} 张照片尚未下载到本机且当前无法连接服务器，未能附上。");
        doc.paragraph(&note, &caption, 0.0, Align::Left, LINE_PITCH)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(w: u32, h: u32, color: png::ColorType, px: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, w, h);
            e.set_color(color);
            e.set_depth(png::BitDepth::Eight);
            e.write_header().expect("header").write_image_data(px).expect("data");
        }
        out
    }

    #[test]
    fn lines_name_the_file_its_size_and_hash_prefix() {
        let f = AttachmentLine {
            name: " 整改后窗口.jpg ".into(),
            sha256: "3f2a9c1b0d4e".repeat(5) + "abcd",
            size: 1_258_291,
        };
        assert_eq!(f.label(), "整改后窗口.jpg（1.2 MB，SHA-256 3f2a9c1b0d4e…）");
        let list = list_paragraphs(&[f.clone(), AttachmentLine { size: 532, ..f }]);
        assert!(list[0].starts_with("附件：1. 整改后窗口.jpg"), "{list:?}");
        assert!(list[1].contains("2. 整改后窗口.jpg（532 B"), "{list:?}");
        assert_eq!(human_size(12_595), "12.3 KB");
    }

    #[test]
    fn photos_decode_and_shrink_and_other_content_is_refused() {
        // A 2400×1200 PNG: half red, half blue, with alpha.
        let (w, h) = (2400u32, 1200u32);
        let px: Vec<u8> =
            (0..w * h).flat_map(|i| if i % w < w / 2 { [255, 0, 0, 255] } else { [0, 0, 255, 255] }).collect();
        let img = AppendixImage::decode("照片", &png_bytes(w, h, png::ColorType::Rgba, &px)).expect("png");
        assert_eq!((img.width, img.height), (1000, 500));
        assert_eq!(img.rgb.len(), 1000 * 500 * 3);
        assert_eq!(&img.rgb[..3], &[255, 0, 0]);
        assert_eq!(&img.rgb[img.rgb.len() - 3..], &[0, 0, 255]);
        // Grey, small: kept as is.
        let grey = AppendixImage::decode("灰", &png_bytes(4, 2, png::ColorType::Grayscale, &[9; 8])).expect("grey");
        assert_eq!((grey.width, grey.height, &grey.rgb[..3]), (4, 2, &[9u8, 9, 9][..]));
        assert!(AppendixImage::decode("x", b"%PDF-1.7").is_err());
        assert!(AppendixImage::decode("x", &[0xff, 0xd8, 0xff, 0xe0, 0, 1]).is_err(), "a broken JPEG is an error");
        assert!(printable_photo(&[0xff, 0xd8, 0xff, 0xdb]) && !printable_photo(b"PK\x03\x04"));
    }

    #[test]
    fn jpeg_photos_decode_in_colour_and_grey() {
        let (w, h) = (64u16, 32u16);
        let px: Vec<u8> = (0..u32::from(w) * u32::from(h)).flat_map(|_| [200u8, 40, 40]).collect();
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 95).encode(&px, w, h, jpeg_encoder::ColorType::Rgb).expect("encode");
        let img = AppendixImage::decode("照片", &out).expect("jpeg");
        assert_eq!((img.width, img.height), (64, 32));
        let mid = &img.rgb[(16 * 64 + 32) * 3..][..3];
        assert!(mid[0] > 180 && mid[1] < 70 && mid[2] < 70, "{mid:?}");
        let mut grey = Vec::new();
        jpeg_encoder::Encoder::new(&mut grey, 90)
            .encode(&vec![128u8; 64 * 32], w, h, jpeg_encoder::ColorType::Luma)
            .expect("encode grey");
        let g = AppendixImage::decode("灰", &grey).expect("grey jpeg");
        assert!(g.rgb.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    }
}
