//! `hcp-bench cold-start`: launches the release desktop app (src-tauri) again and again and times
//! each launch until its inbox shows rows. Runs as its own process under Xvfb and a private keyring
//! (`xvfb-run … scripts/with-keyring.sh hcp-bench cold-start …`), which `hcp-bench run` arranges.
//!
//! Set-up, untimed: the app's own engine (`hcp_app::App`, the real keyring) signs the user in with
//! "remember me" and bootstraps the jurisdiction into the app's data folder, exactly what a first
//! sign-in in the window leaves behind. Then each launch goes through tauri-driver + WebKitWebDriver
//! (as the end-to-end suite does): the clock starts before the WebDriver session is requested (which
//! spawns the app process) and stops when the inbox table holds at least one case row, the remembered
//! session having been restored from the keyring and the first page read from the encrypted replica.
//! The file cache is warm (the replica was just written; one unrecorded launch comes first): this is
//! a cold start of the process, not of the disk.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::procs::free_port;
use crate::stats;

/// What a launch waits for: a case number cell inside the inbox table.
const ROWS_JS: &str = "const n = document.querySelectorAll('[data-testid=inbox-table] [data-testid=case-no]').length;
    const app = document.getElementById('app');
    return [n, performance.now(), !!(app && app.children.length), !!document.querySelector('[data-testid=inbox-table]')];";

/// The webview's own timeline of a launch (navigation, scripts and styles loaded, paints), in ms
/// since its navigation started, for the analysis.
const TIMELINE_JS: &str = "return performance.getEntries().map(e => [e.entryType, e.name.split('/').pop(), Math.round(e.startTime), Math.round(e.duration)]);";

/// tauri-driver, stopped with SIGTERM so that it takes WebKitWebDriver down with it.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Processes running `bin` (to wait until a closed launch has really exited).
fn running(bin: &Path) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|p| p == bin))
        .count()
}

async fn session(port: u16, app: &Path) -> anyhow::Result<Client> {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert("tauri:options".into(), json!({ "application": app }));
    Ok(ClientBuilder::native().capabilities(caps).connect(&format!("http://127.0.0.1:{port}")).await?)
}

/// One launch: seconds to rows, seconds to the WebDriver session, webview ms to rows, rows shown,
/// and the webview's timeline.
struct Launch {
    secs: f64,
    session_s: f64,
    page_ms: f64,
    rows: u64,
    timeline: Value,
    /// Webview ms when the app first rendered anything, and the inbox table (still empty).
    stages_ms: [Option<f64>; 2],
}

async fn launch(port: u16, app: &Path, limit: Duration) -> anyhow::Result<Launch> {
    let t = Instant::now();
    let c = session(port, app).await.context("WebDriver session (app launch)")?;
    let session_s = t.elapsed().as_secs_f64();
    let mut stages_ms = [None, None];
    let outcome = loop {
        let v = c.execute(ROWS_JS, vec![]).await;
        let elapsed = t.elapsed();
        if let Ok(Value::Array(a)) = &v {
            let n = a.first().and_then(Value::as_u64).unwrap_or(0);
            let page_ms = a.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN);
            for (i, stage) in stages_ms.iter_mut().enumerate() {
                if stage.is_none() && a.get(2 + i).and_then(Value::as_bool) == Some(true) {
                    *stage = Some(page_ms);
                }
            }
            if n > 0 {
                let timeline = c.execute(TIMELINE_JS, vec![]).await.unwrap_or(Value::Null);
                break Ok(Launch { secs: elapsed.as_secs_f64(), session_s, page_ms, rows: n, timeline, stages_ms });
            }
        }
        if elapsed > limit {
            break Err(anyhow::anyhow!("no inbox rows after {limit:?} (last answer {v:?})"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = c.close().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while running(app) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    outcome
}

/// The whole measurement; prints nothing, returns the JSON report.
pub async fn cold_start(
    server: &str,
    app_bin: &Path,
    user: &str,
    password: &str,
    runs: usize,
    data_dir: &Path,
) -> anyhow::Result<Value> {
    let app_bin = app_bin.canonicalize().with_context(|| format!("the desktop app at {}", app_bin.display()))?;
    if std::env::var_os("DISPLAY").is_none() {
        bail!("no DISPLAY: run cold-start under xvfb-run");
    }
    let _ = std::fs::remove_dir_all(data_dir);
    std::fs::create_dir_all(data_dir)?;

    // What a first sign-in in the window leaves behind: a remembered session and a bootstrapped replica.
    let setup = Instant::now();
    {
        let store = Arc::new(hcp_app::KeyringStore::new(hcp_app::KEYRING_SERVICE));
        let app = hcp_app::App::new(data_dir, store, Some(server.to_owned()));
        app.login(hcp_app::LoginRequest {
            server_url: server.to_owned(),
            username: user.to_owned(),
            password: password.to_owned(),
            remember: true,
        })
        .await
        .map_err(|e| anyhow::anyhow!("sign-in: {e:?}"))?;
        let status = app.sync_once().await.map_err(|e| anyhow::anyhow!("first sync: {e:?}"))?;
        anyhow::ensure!(status.bootstrapped, "the first sync did not bootstrap the replica");
    }
    let setup_s = setup.elapsed().as_secs_f64();
    tracing::info!(setup_s, "cold start: the app's data folder is ready");

    let port = free_port()?;
    let log = data_dir.join("tauri-driver.log");
    let out = std::fs::File::create(&log)?;
    let _driver = Driver(
        Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &free_port()?.to_string()])
            .env("HCP_DATA_DIR", data_dir)
            .env("HCP_LOG", "info")
            .env_remove("HCP_SERVER_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone()?))
            .stderr(Stdio::from(out))
            .spawn()
            .context("tauri-driver must be installed (scripts/install-tools.sh)")?,
    );
    // tauri-driver answers once it listens; the first launch (unrecorded) also warms the caches.
    let limit = Duration::from_secs(60);
    let deadline = Instant::now() + Duration::from_secs(30);
    let warm = loop {
        match launch(port, &app_bin, limit).await {
            Ok(r) => break r,
            Err(e) if Instant::now() < deadline && format!("{e:#}").contains("WebDriver session") => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => return Err(e.context(format!("first launch; see {}", log.display()))),
        }
    };
    let mut total = Vec::new();
    let mut sessions = Vec::new();
    let mut page = Vec::new();
    let mut stages = Vec::new();
    let mut last = None;
    for i in 0..runs {
        let l = launch(port, &app_bin, limit).await.with_context(|| format!("launch {i}"))?;
        tracing::info!(
            run = i,
            secs = l.secs,
            session_s = l.session_s,
            page_ms = l.page_ms,
            rows = l.rows,
            "cold start"
        );
        total.push(l.secs);
        sessions.push(l.session_s);
        page.push(l.page_ms);
        stages.push(json!({"app_rendered_ms": l.stages_ms[0], "inbox_table_ms": l.stages_ms[1], "rows_ms": l.page_ms}));
        last = Some(l);
    }
    let s = stats::summarize(&total).context("no launches")?;
    Ok(json!({
        "cold_start_s": s.median,
        "summary": s,
        "runs_s": total,
        "session_s": sessions,
        "webview_to_rows_ms": page,
        "webview_stages": stages,
        "warm_up_s": warm.secs,
        "rows_shown": last.as_ref().map(|l| l.rows),
        "last_timeline": last.map(|l| l.timeline),
        "setup_s": setup_s,
        "user": user,
        "app": app_bin.display().to_string(),
    }))
}
