//! Charts, rectification notices, monthly dispatch reports and exports of
//! Haochaping (好差评督办).
//!
//! The crate never reads a database: callers pass plain input structs and get
//! SVG, PNG, PDF, CSV or XLSX bytes back. Documents are laid out once into
//! [`Pages`], which draw both the PDF and the page-by-page PNG preview.

pub mod attachments;
pub mod awards;
pub mod charts;
pub mod decision;
pub mod error;
pub mod fonts;

pub use charts::Format;
pub use error::{ReportError, Result};
pub use fonts::Fonts;
pub mod export;
pub mod monthly;
pub mod notice;
mod pdf;
mod raster;

pub use pdf::Pages;
pub use raster::DPI_RANGE;
#[doc(hidden)]
pub mod sample;
