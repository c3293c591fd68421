//! Opening a document the app made (a 月调度通报) or its folder with the system's programs, so the
//! user goes straight from "saved" to reading it.
//!
//! Only files under the app's own output folders can be opened: the path comes from the UI, and
//! an arbitrary path handed to the system opener could start anything.

use std::path::{Path, PathBuf};

use crate::error::{codes, ApiError, ApiResult};

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

/// The program that opens a file or folder: `HCP_OPEN_COMMAND` (a program and its arguments,
/// separated by spaces; the path is appended), else the system's handler.
fn open_command() -> Vec<String> {
    if let Some(cmd) = std::env::var("HCP_OPEN_COMMAND").ok().filter(|c| !c.trim().is_empty()) {
        return cmd.split_whitespace().map(str::to_owned).collect();
    }
    if cfg!(target_os = "windows") {
        vec!["explorer".into()]
    } else if cfg!(target_os = "macos") {
        vec!["open".into()]
    } else {
        vec!["xdg-open".into()]
    }
}

/// The file at `path` if it lies in `allowed` (after resolving links and `..`).
pub fn checked_path(allowed: &Path, path: &str) -> ApiResult<PathBuf> {
    let refuse = || ApiError::new(codes::INVALID_INPUT, "只能打开本机生成的通报文件");
    let root = allowed.canonicalize().map_err(|_| refuse())?;
    let file = Path::new(path)
        .canonicalize()
        .map_err(|_| ApiError::new(codes::NOT_FOUND, format!("文件 {path} 不存在，可能已被移动或删除，请重新生成")))?;
    if file.starts_with(&root) && file.is_file() {
        Ok(file)
    } else {
        Err(refuse())
    }
}

/// Opens `file` (already checked) or its folder with the system's programs, without waiting for
/// the viewer to close.
pub fn open(file: &Path, target: OpenTarget) -> ApiResult<()> {
    let what = match target {
        OpenTarget::File => file.to_path_buf(),
        OpenTarget::Folder => file.parent().map_or_else(|| file.to_path_buf(), Path::to_path_buf),
    };
    let cmd = open_command();
    let (program, args) = cmd.split_first().ok_or_else(|| ApiError::new(codes::INTERNAL, "没有可用的打开程序"))?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .arg(&what)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|_| {
            ApiError::new(
                codes::INTERNAL,
                format!(
                    "本机没有可用于打开文件的程序（{program}），请在文件管理器中打开 {}（Debian 可安装 xdg-utils）",
                    what.display()
                ),
            )
        })?;
    // Reap the opener when it exits (it hands the file to the viewer and returns).
    std::thread::spawn(move || {
        if let Err(e) = child.wait() {
            tracing::warn!(error = %e, "the system opener could not be waited for");
        }
    });
    tracing::info!(program, ?target, "document handed to the system opener");
    Ok(())
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
            codes::INVALID_INPUT
        );
        assert_eq!(
            checked_path(&reports, outside.to_str().expect("utf-8")).expect_err("outside").code,
            codes::INVALID_INPUT
        );
        assert_eq!(
            checked_path(&reports, reports.to_str().expect("utf-8")).expect_err("a folder").code,
            codes::INVALID_INPUT
        );
        let gone = reports.join("gone.pdf");
        assert_eq!(checked_path(&reports, gone.to_str().expect("utf-8")).expect_err("missing").code, codes::NOT_FOUND);
    }
}
