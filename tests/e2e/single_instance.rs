//! One instance per data folder (tauri-plugin-single-instance): a second launch on the same
//! folder ends at once and brings the first window forward, instead of opening the same replica
//! twice; a launch on another folder (another account's data) runs beside it. Both write their
//! log into their data folder's `logs`, which hold no secret.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The app started directly (no WebDriver), killed when dropped.
struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn launch(data_dir: &Path) -> App {
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: run through `make e2e` (Xvfb)");
    let child = Command::new(super::app_binary())
        .env("HCP_DATA_DIR", data_dir)
        .env("HCP_SERVER_URL", "http://127.0.0.1:9")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the app");
    App(child)
}

fn log_text(data_dir: &Path) -> String {
    let dir = hcp_app::logs::log_dir(data_dir);
    hcp_app::logs::recent_logs(&dir, 5, 1 << 20)
        .unwrap_or_default()
        .into_iter()
        .map(|l| l.text)
        .collect::<Vec<_>>()
        .join("")
}

fn wait_until(secs: u64, what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !probe() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_second_launch_on_the_same_data_folder_hands_over_to_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, other) = (dir.path().join("data"), dir.path().join("other-account"));
    let mut first = launch(&data);
    wait_until(60, "the first instance's log file", || log_text(&data).contains("haochaping started"));
    assert!(first.0.try_wait().expect("poll").is_none(), "the first instance ended");

    // The second launch on the same folder ends by itself, successfully, within seconds.
    let mut second = launch(&data);
    let mut status = None;
    wait_until(30, "the second launch to end", || {
        status = second.0.try_wait().expect("poll");
        status.is_some()
    });
    assert!(status.expect("ended").success(), "the second launch failed: {status:?}");
    wait_until(10, "the first instance to be told", || log_text(&data).contains("a second launch was turned away"));
    assert!(first.0.try_wait().expect("poll").is_none(), "the first instance must keep running");
    assert_eq!(log_text(&data).matches("haochaping started").count(), 1, "the second launch opened nothing");

    // Another data folder is another instance.
    let mut beside = launch(&other);
    wait_until(60, "the other folder's instance", || log_text(&other).contains("haochaping started"));
    std::thread::sleep(Duration::from_secs(2));
    assert!(beside.0.try_wait().expect("poll").is_none(), "an instance on another folder was turned away");
    assert!(first.0.try_wait().expect("poll").is_none());
    for text in [log_text(&data), log_text(&other)] {
        assert!(text.contains("writing log files") && !text.contains("password") && !text.contains("Bearer"), "{text}");
    }
}
