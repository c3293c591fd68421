//! The logs of an end-to-end run hold no secret and no personal data: the app's output (through
//! tauri-driver) and the in-process server's tracing go to files in the test's folder, and every
//! test ends by scanning both for passwords, issued bearer tokens and evaluators' names, phones and
//! certificate numbers (`hcp_tests::secrets_in_log`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Where the server's tracing of this process goes: one file, shared by the tests of the binary.
fn server_log() -> &'static PathBuf {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        let dir = hcp_tests::target_dir().join("e2e-logs");
        std::fs::create_dir_all(&dir).expect("log dir");
        let path = dir.join(format!("server-{}.log", std::process::id()));
        let file = std::fs::File::create(&path).expect("server log");
        let writer = Mutex::new(file);
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("HCP_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .with_ansi(false)
            .with_writer(writer)
            .try_init();
        path
    })
}

/// Starts capturing the server's logs (call before the server starts).
pub fn capture_server_logs() {
    let _ = server_log();
}

/// The file the app's output goes to, inside the test's folder.
pub fn app_log(data_dir: &Path) -> PathBuf {
    data_dir.parent().expect("a data dir inside the test's folder").join("app.log")
}

/// Fails when the app's or the server's log holds a secret or personal data.
pub fn assert_clean(data_dir: &Path, db: &hcp_server::Db) {
    let mut problems = Vec::new();
    for path in [app_log(data_dir), server_log().clone()] {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.trim().is_empty() || path != *server_log(), "the server wrote no log to {}", path.display());
        for f in hcp_tests::secrets_in_log(db, &text).expect("scan the log") {
            problems.push(format!("{}: {f}", path.display()));
        }
    }
    let _ = std::io::stderr().flush();
    assert!(problems.is_empty(), "secrets or personal data in the logs:\n{}", problems.join("\n"));
}
