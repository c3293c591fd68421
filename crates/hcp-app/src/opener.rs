//! Opening a document the app made (a 月调度通报) or its folder, so the user goes straight from
//! "saved" to reading it: which one, and the check that the path is the app's own. The system's
//! programs are started by the one mechanism notices use too ([`crate::print::open_document`]).
//!
//! Only files under the app's own output folders can be opened: the path comes from the UI, and
//! an arbitrary path handed to the system opener could start anything.

use std::path::{Path, PathBuf};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// What to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum OpenTarget {
    /// The file itself, with the system's viewer (打开).
    File,
    /// The folder that holds it, in the file manager (打开所在文件夹).
    Folder,
}

/// The file at `path` if it lies in `allowed` (after resolving links and `..`).
pub fn checked_path(allowed: &Path, path: &str) -> ApiResult<PathBuf> {
    let refuse = || ApiError::new(ErrorCode::InvalidInput, "只能打开本机生成的通报文件");
    let root = allowed.canonicalize().map_err(|_| refuse())?;
    let file = Path::new(path).canonicalize().map_err(|_| {
        ApiError::new(ErrorCode::NotFound, format!("文件 {path} 不存在，可能已被移动或删除，请重新生成"))
    })?;
    if file.starts_with(&root) && file.is_file() {
        Ok(file)
    } else {
        Err(refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_documents_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reports = dir.path().join("reports");
        std::fs::create_dir_all(&reports).expect("reports");
        let pdf = reports.join("月调度通报-2026-11.pdf");
        std::fs::write(&pdf, b"%PDF-1.7").expect("pdf");
        let outside = dir.path().join("secret.txt");
        std::fs::write(&outside, b"x").expect("outside");
        assert_eq!(
            checked_path(&reports, pdf.to_str().expect("utf-8")).expect("inside"),
            pdf.canonicalize().expect("c")
        );
        let sneaky = reports.join("..").join("secret.txt");
        assert_eq!(
            checked_path(&reports, sneaky.to_str().expect("utf-8")).expect_err("outside").code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            checked_path(&reports, outside.to_str().expect("utf-8")).expect_err("outside").code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            checked_path(&reports, reports.to_str().expect("utf-8")).expect_err("a folder").code,
            ErrorCode::InvalidInput
        );
        let gone = reports.join("gone.pdf");
        assert_eq!(
            checked_path(&reports, gone.to_str().expect("utf-8")).expect_err("missing").code,
            ErrorCode::NotFound
        );
    }
}
