//! Locating and loading the CJK fonts used by charts and PDFs.
//!
//! Fonts are read from the system at run time (never bundled). The default
//! set is Noto CJK (Debian `fonts-noto-cjk`, face index 2 = Simplified
//! Chinese). When the Fandol fonts of `texlive-lang-chinese` are present they
//! are preferred for the GB/T 9704 faces (FandolFang for 仿宋, FandolSong Bold
//! for 小标宋, FandolHei for 黑体, FandolKai for 楷体).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ab_glyph::{Font, FontVec};

use crate::error::{ReportError, Result};

/// Debian package that ships the mandatory Noto CJK fonts.
pub const NOTO_PACKAGE: &str = "fonts-noto-cjk";

/// Directories searched for Noto CJK collections.
const NOTO_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/opentype/noto-cjk",
    "/usr/local/share/fonts",
];

/// Directories searched for the optional Fandol fonts.
const FANDOL_DIRS: &[&str] = &[
    "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",
    "/usr/share/texmf/fonts/opentype/public/fandol",
    "/usr/share/fonts/opentype/fandol",
    "/usr/local/share/fonts/fandol",
];

/// One loaded font face: the file bytes, the face index and parsed metrics.
#[derive(Clone)]
pub struct FontFace {
    path: PathBuf,
    index: u32,
    metrics: Arc<FontVec>,
    family: &'static str,
}

impl std::fmt::Debug for FontFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontFace")
            .field("path", &self.path)
            .field("index", &self.index)
            .field("family", &self.family)
            .finish()
    }
}

impl FontFace {
    /// Loads face `index` of the font file at `path`.
    pub fn load(path: &Path, index: u32, family: &'static str) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ReportError::FontInvalid {
            path: path.to_path_buf(),
            index,
            reason: e.to_string(),
        })?;
        let metrics = FontVec::try_from_vec_and_index(bytes, index).map_err(|e| ReportError::FontInvalid {
            path: path.to_path_buf(),
            index,
            reason: e.to_string(),
        })?;
        Ok(Self { path: path.to_path_buf(), index, metrics: Arc::new(metrics), family })
    }

    /// Path of the font file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Face index inside the file (collections hold several faces).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The parsed face (metrics and outlines).
    pub(crate) fn font(&self) -> &FontVec {
        &self.metrics
    }

    /// Raw bytes of the whole font file.
    pub fn bytes(&self) -> &[u8] {
        self.metrics.as_slice()
    }

    /// Family name used in SVG output.
    pub fn family(&self) -> &'static str {
        self.family
    }

    /// Advance width of `c` in em units (1.0 = font size).
    pub fn advance_em(&self, c: char) -> f32 {
        let font = &*self.metrics;
        let upem = font.units_per_em().unwrap_or(1000.0);
        font.h_advance_unscaled(font.glyph_id(c)) / upem
    }

    /// Whether the face has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.metrics.glyph_id(c).0 != 0
    }

    /// Width of `text` in em units, without extra character spacing.
    pub fn text_width_em(&self, text: &str) -> f32 {
        text.chars().map(|c| self.advance_em(c)).sum()
    }

    /// The bytes of the file rewritten so that this face is face 0.
    ///
    /// plotters' `ab_glyph` registration always opens face 0 of a collection;
    /// in a TrueType collection the table offsets are absolute, so pointing the
    /// first entry of the collection header at our face is enough.
    pub(crate) fn bytes_as_face0(&self) -> Vec<u8> {
        let mut out = self.bytes().to_vec();
        let idx = self.index as usize;
        if idx > 0 && out.len() >= 16 + 4 * idx && &out[0..4] == b"ttcf" {
            let start = 12 + 4 * idx;
            let entry: [u8; 4] = [out[start], out[start + 1], out[start + 2], out[start + 3]];
            out[12..16].copy_from_slice(&entry);
        }
        out
    }
}

/// The set of faces used by charts and documents.
#[derive(Clone, Debug)]
pub struct Fonts {
    /// Sans-serif face for charts (Noto Sans CJK SC).
    pub sans: FontFace,
    /// Bold sans-serif face for chart titles and 黑体 headings.
    pub sans_bold: FontFace,
    /// Body face of documents (仿宋 style: FandolFang, else Noto Serif CJK SC).
    pub body: FontFace,
    /// Title face of documents (小标宋 style: FandolSong Bold, else Noto Serif CJK SC Bold).
    pub title: FontFace,
    /// Heading face (黑体 style: FandolHei, else Noto Sans CJK SC).
    pub hei: FontFace,
    /// Second-level heading face (楷体 style: FandolKai, else Noto Serif CJK SC Bold).
    pub kai: FontFace,
}

fn find_in_root(root: &Path, dirs: &[&str], file: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| root.join(d.trim_start_matches('/')).join(file)).find(|p| p.is_file())
}

impl Fonts {
    /// Locates the fonts in the usual system directories.
    ///
    /// Fails with [`ReportError::FontMissing`] naming the Debian package when
    /// the Noto CJK collections are absent.
    pub fn locate() -> Result<Self> {
        Self::locate_under(Path::new("/"))
    }

    /// Like [`Fonts::locate`], with every searched directory taken relative to
    /// `root` (useful for tests and for bundled font trees).
    pub fn locate_under(root: &Path) -> Result<Self> {
        let noto = |role: &'static str, file: &str| -> Result<PathBuf> {
            find_in_root(root, NOTO_DIRS, file).ok_or_else(|| ReportError::FontMissing {
                role,
                package: NOTO_PACKAGE,
                searched: NOTO_DIRS
                    .iter()
                    .map(|d| root.join(d.trim_start_matches('/')).join(file))
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            })
        };
        let fandol = |file: &str| find_in_root(root, FANDOL_DIRS, file);

        let sans_path = noto("chart sans-serif", "NotoSansCJK-Regular.ttc")?;
        let sans_bold_path = noto("chart bold sans-serif", "NotoSansCJK-Bold.ttc")?;
        let serif_path = noto("document serif", "NotoSerifCJK-Regular.ttc")?;
        let serif_bold_path = noto("document bold serif", "NotoSerifCJK-Bold.ttc")?;

        let sans = FontFace::load(&sans_path, 2, "Noto Sans CJK SC")?;
        let sans_bold = FontFace::load(&sans_bold_path, 2, "Noto Sans CJK SC")?;
        let body = match fandol("FandolFang-Regular.otf") {
            Some(p) => FontFace::load(&p, 0, "FandolFang")?,
            None => FontFace::load(&serif_path, 2, "Noto Serif CJK SC")?,
        };
        let serif_bold = FontFace::load(&serif_bold_path, 2, "Noto Serif CJK SC")?;
        let title = match fandol("FandolSong-Bold.otf") {
            Some(p) => FontFace::load(&p, 0, "FandolSong")?,
            None => serif_bold.clone(),
        };
        let hei = match fandol("FandolHei-Regular.otf") {
            Some(p) => FontFace::load(&p, 0, "FandolHei")?,
            None => sans.clone(),
        };
        let kai = match fandol("FandolKai-Regular.otf") {
            Some(p) => FontFace::load(&p, 0, "FandolKai")?,
            None => serif_bold,
        };
        Ok(Self { sans, sans_bold, body, title, hei, kai })
    }

    /// Whether the Fandol faces (true 仿宋 look) were found.
    pub fn has_fandol(&self) -> bool {
        self.body.family() == "FandolFang"
    }
}
