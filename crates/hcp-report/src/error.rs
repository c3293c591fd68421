//! Typed errors of the report crate.

use std::path::PathBuf;

/// Everything that can go wrong while rendering a chart, a PDF or an export.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A required font file was not found in any of the searched places.
    #[error("font for {role} not found (searched: {searched}); install the Debian package `{package}`")]
    FontMissing {
        /// What the font is used for (e.g. "body serif").
        role: &'static str,
        /// The Debian package that ships the font.
        package: &'static str,
        /// The paths that were tried, separated by `; `.
        searched: String,
    },
    /// A font file exists but could not be read or parsed.
    #[error("font file {path} (face {index}) could not be used: {reason}")]
    FontInvalid {
        /// Path of the font file.
        path: PathBuf,
        /// Face index inside a collection.
        index: u32,
        /// Why it failed.
        reason: String,
    },
    /// The input data cannot be rendered (empty series, inconsistent values…).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Drawing a chart failed.
    #[error("chart rendering failed: {0}")]
    Chart(String),
    /// Encoding a PNG image failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// Building the PDF failed.
    #[error("PDF rendering failed: {0}")]
    Pdf(String),
    /// Writing CSV failed.
    #[error("CSV export failed: {0}")]
    Csv(#[from] csv::Error),
    /// Writing XLSX failed.
    #[error("XLSX export failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// An I/O error (reading fonts, flushing buffers).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, ReportError>;
