//! The desktop app's log files: a rotating file per day in the data folder's `logs` folder (kept
//! for [`KEEP_DAYS`] days), written beside stderr, so that a user who started the app from an icon
//! can hand them over ("导出诊断信息" on the 设置 page puts the most recent ones into the file).
//!
//! The data folder is known only once the window system is up (Tauri resolves it in its setup),
//! while logging starts before that: [`LogFile`] is a writer that drops what is logged until
//! [`LogFile::open`] is given the folder (stderr has those first lines anyway).
//!
//! What is logged never holds a token, password or evaluator's data: the code logs ids, counts and
//! error codes only (checked by the end-to-end tests' log scan over these files too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;

/// The folder (in the data folder) the log files are written to.
pub const LOG_DIR: &str = "logs";
/// The log files' names: `haochaping.YYYY-MM-DD.log`.
pub const LOG_PREFIX: &str = "haochaping";
pub const LOG_SUFFIX: &str = "log";
/// Daily files older than this many days are deleted.
pub const KEEP_DAYS: usize = 14;

/// The log folder inside a data folder.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_DIR)
}

/// A daily-rotating appender in `dir` keeping `keep` files.
pub fn daily_appender(dir: &Path, prefix: &str, keep: usize) -> std::io::Result<RollingFileAppender> {
    std::fs::create_dir_all(dir)?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix(LOG_SUFFIX)
        .max_log_files(keep)
        .build(dir)
        .map_err(std::io::Error::other)
}

/// A log file writer whose folder is given later (see the module's documentation).
#[derive(Clone, Default)]
pub struct LogFile(Arc<OnceLock<RollingFileAppender>>);

impl LogFile {
    pub fn new() -> LogFile {
        LogFile::default()
    }

    /// Starts writing into `data_dir/logs` (the first folder given wins; later calls do nothing).
    pub fn open(&self, data_dir: &Path) -> std::io::Result<PathBuf> {
        let dir = log_dir(data_dir);
        if self.0.get().is_none() {
            let appender = daily_appender(&dir, LOG_PREFIX, KEEP_DAYS)?;
            let _ = self.0.set(appender);
        }
        Ok(dir)
    }
}

/// One event's writer: the day's file, or nowhere before [`LogFile::open`].
pub struct LogFileWriter<'a>(Option<tracing_appender::rolling::RollingWriter<'a>>);

impl Write for LogFileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(w) => w.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.0 {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(self.0.get().map(|a| a.make_writer()))
    }
}

/// One log file's most recent part, for the diagnostics file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogExcerpt {
    pub file: String,
    /// The file's whole size in bytes.
    pub bytes: u64,
    /// Whether `text` is only the file's end.
    pub truncated: bool,
    pub text: String,
}

/// The newest log files of `dir` (at most `files`), each cut to its last `max_bytes` (at a line
/// start), newest first. A missing folder gives none.
pub fn recent_logs(dir: &Path, files: usize, max_bytes: u64) -> std::io::Result<Vec<LogExcerpt>> {
    let mut found: Vec<(String, PathBuf)> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let ours = name.starts_with(LOG_PREFIX) && name.ends_with(&format!(".{LOG_SUFFIX}"));
                ours.then(|| (name, e.path()))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // The dated names sort by day.
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found
        .into_iter()
        .take(files)
        .map(|(name, path)| {
            let bytes = std::fs::read(&path)?;
            let len = bytes.len() as u64;
            let (text, truncated) = if len > max_bytes {
                let cut = &bytes[(len - max_bytes) as usize..];
                let start = cut.iter().position(|b| *b == b'\n').map_or(0, |p| p + 1);
                (String::from_utf8_lossy(&cut[start..]).into_owned(), true)
            } else {
                (String::from_utf8_lossy(&bytes).into_owned(), false)
            };
            Ok(LogExcerpt { file: name, bytes: len, truncated, text })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_before_the_folder_is_known_are_dropped_and_later_ones_land_in_the_days_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = LogFile::new();
        writeln!(file.make_writer(), "before").expect("write before open");
        let logs = file.open(dir.path()).expect("open");
        assert_eq!(logs, dir.path().join(LOG_DIR));
        writeln!(file.make_writer(), "after").expect("write");
        // A second folder does not move the log.
        file.open(&dir.path().join("elsewhere")).expect("open again");
        writeln!(file.make_writer(), "still here").expect("write");
        let found = recent_logs(&logs, 5, 1 << 20).expect("recent");
        assert_eq!(found.len(), 1, "{found:?}");
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert_eq!(found[0].file, format!("{LOG_PREFIX}.{today}.{LOG_SUFFIX}"));
        assert_eq!(found[0].text, "after\nstill here\n");
        assert!(!dir.path().join("elsewhere").join(LOG_DIR).exists());
    }

    #[test]
    fn recent_logs_are_newest_first_and_cut_at_a_line_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (day, text) in [("2026-12-01", "old\n"), ("2026-12-03", "newest\n"), ("2026-12-02", "middle\n")] {
            std::fs::write(dir.path().join(format!("{LOG_PREFIX}.{day}.{LOG_SUFFIX}")), text).expect("write");
        }
        std::fs::write(dir.path().join("other.txt"), "not a log").expect("write");
        let found = recent_logs(dir.path(), 2, 1 << 20).expect("recent");
        let names: Vec<_> = found.iter().map(|l| l.file.as_str()).collect();
        assert_eq!(names, ["haochaping.2026-12-03.log", "haochaping.2026-12-02.log"]);

        let long = "line one\nline two\nline three\n";
        std::fs::write(dir.path().join(format!("{LOG_PREFIX}.2026-12-04.{LOG_SUFFIX}")), long).expect("write");
        let cut = &recent_logs(dir.path(), 1, 14).expect("recent")[0];
        assert!(cut.truncated && cut.bytes == long.len() as u64, "{cut:?}");
        assert_eq!(cut.text, "line three\n");
        assert!(recent_logs(&dir.path().join("missing"), 3, 100).expect("none").is_empty());
    }
}
