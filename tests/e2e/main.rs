//! End to end in a real window: the seeded server, the built desktop app driven through
//! tauri-driver + WebKitWebDriver, under Xvfb with a D-Bus session and an unlocked keyring.
//! Run with `make e2e` (part of `make test`), which provides all of that.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hcp_server::seed::DEMO_PASSWORD;
mod admin;
mod evidence;
mod hotline;
mod ledger;
mod logs;
mod rankings;
mod self_assessment;
mod single_instance;
mod stars;
mod walk;
mod xss;

use hcp_tests::{account_scope, case_outside, cases_in_scope, new_bad_review, repo_root, seeded_server, target_dir};

/// tauri-driver, stopped with SIGTERM so it takes WebKitWebDriver down with it.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn app_binary() -> PathBuf {
    let bin = std::env::var_os("HCP_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join("haochaping"));
    assert!(bin.exists(), "the desktop app is not built at {}: run `make e2e`", bin.display());
    bin
}

/// The print command the app is given: records each PDF it is asked to print in `printed.txt`
/// beside itself, instead of opening a PDF viewer.
fn print_spy(dir: &Path) -> PathBuf {
    let script = dir.join("print-spy.sh");
    std::fs::write(&script, "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/printed.txt\"\n")
        .expect("print spy");
    let mut perm = std::fs::metadata(&script).expect("print spy").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).expect("print spy mode");
    script
}

/// Where the app's save dialog puts files in a test (`HCP_SAVE_DIR`), beside its data folder.
fn save_dir(data_dir: &Path) -> PathBuf {
    let dir = data_dir.parent().expect("a data dir inside the test's folder").join("saved");
    std::fs::create_dir_all(&dir).expect("the save folder");
    dir
}

fn start_driver(data_dir: &Path, port: u16) -> Driver {
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: run the end-to-end suite through `make e2e` (Xvfb)");
    let spy = print_spy(data_dir.parent().expect("a data dir inside the test's folder"));
    // The app's output goes to a file that the test scans for secrets at its end.
    logs::capture_server_logs();
    let app_log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs::app_log(data_dir))
        .expect("the app's log file");
    let child = Command::new("tauri-driver")
        .args(["--port", &port.to_string(), "--native-port", &free_port().to_string()])
        .env("HCP_DATA_DIR", data_dir)
        .env("HCP_PRINT_COMMAND", &spy)
        .env("HCP_SYNC_INTERVAL", "2")
        // Nobody answers a native save dialog in a test: exports go to this folder.
        .env("HCP_SAVE_DIR", save_dir(data_dir))
        .env_remove("HCP_SERVER_URL")
        .stdout(Stdio::null())
        .stderr(app_log)
        .spawn()
        .expect("tauri-driver must be installed (scripts/install-tools.sh)");
    Driver { child }
}

async fn connect(port: u16, app: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), serde_json::json!("wry"));
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for tauri-driver: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("cannot start a WebDriver session: {e}"),
        }
    }
}

/// Polls `probe` until it returns Some, or fails with `what` after `secs`.
async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn attr(c: &Client, css: &str, name: &str) -> Option<String> {
    let el = c.find(Locator::Css(css)).await.ok()?;
    el.attr(name).await.ok().flatten()
}

/// A PDF's text without whitespace (pdftotext).
fn pdf_text(path: &str) -> String {
    let out = Command::new("pdftotext").args([path, "-"]).output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
}

/// An element's text as the DOM holds it (also when scrolled out of view), `None` without the element.
async fn text_content(c: &Client, css: &str) -> Option<String> {
    let v = c
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            vec![serde_json::Value::String(css.to_owned())],
        )
        .await
        .ok()?;
    v.as_str().map(str::to_owned)
}

async fn total(c: &Client) -> Option<u64> {
    attr(c, "[data-testid=inbox-total]", "data-total").await.and_then(|t| t.parse().ok())
}

/// Replaces an input's text, finding the element again when a re-render replaced it meanwhile
/// (a stale element: e.g. the login form while the app's version arrives).
async fn type_into(c: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let typed = async {
            let el = c.wait().for_element(Locator::Css(css)).await?;
            el.clear().await?;
            // Vue's v-model may restore a prefilled value after a WebDriver clear: select all and delete.
            el.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
            el.send_keys(text).await
        };
        match typed.await {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                eprintln!("type into {css}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => {
                screenshot(c, "failure.png").await;
                panic!("type into {css}: {e}");
            }
        }
    }
}

/// Clicks an element, retrying while an overlay or animation still covers it.
async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Finding the element is retried too: WebKitWebDriver now and then answers a find with
        // element info it cannot parse while the page re-renders.
        let clicked = async { c.wait().for_element(Locator::Css(css)).await?.click().await };
        match clicked.await {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                eprintln!("click {css}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => {
                screenshot(c, "failure.png").await;
                panic!("click {css}: {e}");
            }
        }
    }
}

async fn screenshot(c: &Client, name: &str) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let png = c.screenshot().await.expect("screenshot");
    let dir = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    std::fs::write(dir.join(name), &png).expect("write screenshot");
    if let Some(out) = std::env::var_os("HCP_SCREENSHOT_DIR") {
        let out = repo_root().join(out);
        std::fs::create_dir_all(&out).expect("screenshot dir");
        std::fs::write(out.join(name), &png).expect("write screenshot");
    }
}

/// The inbox at 1366×768 and 1024×640, in Chinese and in English: the fixed columns (工单编号 on
/// the left, 督办层级 and 办理期限 on the right) stay inside the window and no header, date or rung is
/// cut (each cell's content fits its width). Leaves the window as it found it, in Chinese.
async fn inbox_fits(c: &Client) {
    let (w0, h0) = c.get_window_size().await.expect("the window size");
    const CHECK: &str = r#"
        const problems = [];
        const table = document.querySelector('[data-testid=inbox-table]');
        const right = Math.min(window.innerWidth, document.documentElement.clientWidth);
        for (const th of table.querySelectorAll('th .cell')) {
            if (th.scrollWidth > th.clientWidth + 1) problems.push('header cut: ' + th.textContent);
        }
        for (const el of table.querySelectorAll('[data-testid=case-deadline], [data-testid=case-created], [data-testid=case-escalation], [data-testid=case-no]')) {
            const cell = el.closest('.cell');
            if (cell.scrollWidth > cell.clientWidth + 1) problems.push('cut: ' + el.textContent);
        }
        for (const tag of table.querySelectorAll('.el-table__body .el-tag')) {
            const cell = tag.closest('.cell').getBoundingClientRect();
            if (tag.getBoundingClientRect().right > cell.right + 1) problems.push('tag cut: ' + tag.textContent);
        }
        for (const el of table.querySelectorAll('.el-table-fixed-column--right, .el-table-fixed-column--left')) {
            const r = el.getBoundingClientRect();
            if (r.right > right + 1 || r.left < 0) problems.push('outside the window: ' + el.textContent);
        }
        return problems;
    "#;
    for (width, height) in [(1366, 768), (1024, 640)] {
        c.set_window_size(width, height).await.expect("resize the window");
        for lang in ["zh", "en"] {
            if lang == "en" {
                click(c, "[data-testid=toggle-language]").await;
            }
            tokio::time::sleep(Duration::from_millis(800)).await;
            let problems = c.execute(CHECK, vec![]).await.expect("measure the inbox");
            assert_eq!(problems, serde_json::json!([]), "the inbox at {width}×{height} ({lang})");
            if (width, lang) == (1366, "zh") {
                // The whole table fits: no column hides behind the fixed ones.
                let hidden = c
                    .execute(
                        "const w = document.querySelector('[data-testid=inbox-table] .el-table__body-wrapper .el-scrollbar__wrap');
                         return w.scrollWidth - w.clientWidth;",
                        vec![],
                    )
                    .await
                    .expect("measure the scroll width");
                assert!(
                    hidden.as_f64().is_some_and(|px| px <= 1.0),
                    "the inbox scrolls sideways at 1366×768: {hidden}"
                );
            }
            screenshot(c, &format!("inbox-{width}x{height}-{lang}.png")).await;
            if lang == "en" {
                click(c, "[data-testid=toggle-language]").await;
            }
        }
    }
    c.set_window_size(w0 as u32, h0 as u32).await.expect("restore the window size");
}

/// Opens a case's drawer from the inbox by searching for its number.
async fn open_case(c: &Client, case_no: &str) {
    type_into(c, "input[data-testid=inbox-search]", case_no).await;
    click(c, "[data-testid=inbox-query]").await;
    wait_for(15, "the case row", || async { (total(c).await == Some(1)).then_some(()) }).await;
    click(c, "[data-testid=case-no]").await;
    c.wait().for_element(Locator::Css("[data-testid=case-detail]")).await.expect("the case drawer");
    // Let the drawer finish sliding in.
    tokio::time::sleep(Duration::from_millis(800)).await;
}

async fn detail_state(c: &Client) -> Option<String> {
    attr(c, "[data-testid=case-detail]", "data-state").await
}

/// Whether an element matching `css` is displayed.
async fn visible(c: &Client, css: &str) -> bool {
    match c.find(Locator::Css(css)).await {
        Ok(el) => el.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

/// Clicks an action button and fills and submits its dialog with `fill`.
async fn act<F, Fut>(c: &Client, kind: &str, fill: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // The drawer may still be sliding in: click until the dialog opens.
    let dialog = format!("[data-testid=command-dialog][data-kind={kind}]");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        click(c, &format!("[data-testid=action-{kind}]")).await;
        let opened = tokio::time::timeout(Duration::from_secs(3), async {
            while !visible(c, &dialog).await {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        })
        .await;
        if opened.is_ok() {
            break;
        }
        if Instant::now() > deadline {
            screenshot(c, "failure-dialog.png").await;
            panic!("the {kind} dialog did not open");
        }
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    fill().await;
    click(c, &format!("[data-testid=command-dialog][data-kind={kind}] [data-testid=command-submit]")).await;
}

/// Verifies a new case as genuine and assigns it to the first handler offered.
async fn verify_and_assign(c: &Client) {
    act(c, "verify", || async {
        click(c, "[data-testid=verify-outcome] [data-value=genuine]").await;
    })
    .await;
    wait_for(15, "the verified state", || async {
        (detail_state(c).await.as_deref() == Some("verified")).then_some(())
    })
    .await;
    act(c, "assign", || async {
        // The department first (the first one offered has a handler), then one of its handlers.
        click(c, "input[data-testid=assign-department]").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        click(c, "[data-testid=assign-department-option][data-handlers]:not([data-handlers='0'])").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        click(c, "input[data-testid=assign-handler]").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        click(c, "[data-testid=assign-handler-option]").await;
    })
    .await;
    wait_for(15, "the assigned state", || async {
        (detail_state(c).await.as_deref() == Some("assigned")).then_some(())
    })
    .await;
}

async fn close_drawer(c: &Client) {
    if let Ok(b) = c.find(Locator::Css(".el-drawer__close-btn")).await {
        let _ = b.click().await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
}

fn server_state(db: &hcp_server::Db, case_no: &str) -> String {
    let no = case_no.to_owned();
    db.read_blocking(move |c| c.query_row("SELECT state FROM cases WHERE case_no = ?1", [no], |r| r.get(0)))
        .expect("case state")
}

/// How the inbox names the unit of a case from outside the user's jurisdiction that was assigned to
/// one of its departments (a town centre's case worked by the hall's department).
const ELSEWHERE: &str = "其他辖区单位（交办至本部门）";

async fn unit_names(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for el in c.find_all(Locator::Css("[data-testid=case-unit]")).await.unwrap_or_default() {
        out.push(el.text().await.unwrap_or_default());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_signs_in_sees_only_the_hall_and_keeps_working_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 3_000).await.expect("server");
    let online_case = new_bad_review(&db, "E2E-ONLINE").expect("case");
    let offline_case = new_bad_review(&db, "E2E-OFFLINE").expect("case");
    let addr = server.addr;
    let (scope, hall) = account_scope(&db, "donghu.manager").expect("scope");
    let expected = cases_in_scope(&db, &scope).expect("count");
    let foreign = case_outside(&db, &scope).expect("foreign case");
    assert!(expected > 0);

    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;

    // Sign in.
    type_into(&c, "input[data-testid=login-server]", &server.url()).await;
    type_into(&c, "input[data-testid=login-username]", "donghu.manager").await;
    type_into(&c, "input[data-testid=login-password]", DEMO_PASSWORD).await;
    click(&c, "[data-testid=login-submit]").await;

    // The first sync bootstraps the hall into the replica; the inbox shows all of its cases.
    wait_for(90, "the first sync", || async {
        (attr(&c, "[data-testid=status-bar]", "data-bootstrapped").await.as_deref() == Some("true")).then_some(())
    })
    .await;
    // The status bar follows the engine's pushed event (the window may listen to it), not polling.
    assert_eq!(attr(&c, "[data-testid=status-bar]", "data-feed").await.as_deref(), Some("pushed"));
    let shown = wait_for(30, "the inbox total", || async { total(&c).await.filter(|t| *t == expected) }).await;
    assert_eq!(shown, expected);
    let header_unit = c.find(Locator::Css("[data-testid=user-unit]")).await.expect("unit").text().await.expect("text");
    assert_eq!(header_unit, hall);
    let units = unit_names(&c).await;
    assert!(!units.is_empty() && units.iter().all(|u| *u == hall || u == ELSEWHERE), "only {hall}: {units:?}");
    screenshot(&c, "inbox.png").await;
    inbox_fits(&c).await;

    // A case of another district is not in this replica.
    type_into(&c, "input[data-testid=inbox-search]", &foreign).await;
    click(&c, "[data-testid=inbox-query]").await;
    wait_for(15, "the empty search", || async { (total(&c).await == Some(0)).then_some(()) }).await;
    c.wait().for_element(Locator::Css("[data-testid=inbox-empty]")).await.expect("empty state");
    click(&c, "[data-testid=inbox-reset]").await;
    wait_for(15, "the reset", || async { total(&c).await.filter(|t| *t == expected) }).await;

    // Online: the hall manager verifies a new bad review and assigns it; the server has it at once.
    open_case(&c, &online_case).await;
    verify_and_assign(&c).await;
    screenshot(&c, "case-assigned.png").await;
    wait_for(30, "the server to apply the commands", || async {
        (server_state(&db, &online_case) == "assigned").then_some(())
    })
    .await;
    close_drawer(&c).await;

    // The hall manager's workbench shows her queues.
    c.execute("window.location.hash = '#/workbench'", vec![]).await.expect("navigate");
    let cards = wait_for(20, "the workbench cards", || async {
        let n = c.find_all(Locator::Css("[data-testid=workbench-card]")).await.ok()?.len();
        (n > 0).then_some(n)
    })
    .await;
    assert!(cards >= 3, "a hall manager has at least three queues");
    screenshot(&c, "workbench.png").await;
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate back");
    c.wait().for_element(Locator::Css("[data-testid=inbox-reset]")).await.expect("the inbox");
    click(&c, "[data-testid=inbox-reset]").await;

    // The server stops: the app notices, and the inbox still works from the replica.
    server.stop().await;
    wait_for(60, "the offline status", || async {
        (attr(&c, "[data-testid=status-bar]", "data-online").await.as_deref() == Some("false")).then_some(())
    })
    .await;
    click(&c, "[data-testid=inbox-query]").await;
    let offline = wait_for(15, "the offline inbox", || async { total(&c).await.filter(|t| *t == expected) }).await;
    assert_eq!(offline, expected);
    assert!(unit_names(&c).await.iter().all(|u| *u == hall || u == ELSEWHERE));
    screenshot(&c, "inbox-offline.png").await;

    // Offline, the same work queues: the screen shows the result and two pending actions.
    open_case(&c, &offline_case).await;
    verify_and_assign(&c).await;
    let pending =
        c.find(Locator::Css("[data-testid=status-pending]")).await.expect("pending").text().await.expect("text");
    assert_eq!(pending.trim(), "2", "two actions wait for the server");
    assert_eq!(server_state(&db, &offline_case), "new");
    screenshot(&c, "case-offline-queued.png").await;
    close_drawer(&c).await;
    // The outbox page lists both, pending.
    c.execute("window.location.hash = '#/outbox'", vec![]).await.expect("navigate");
    let rows = wait_for(20, "the outbox rows", || async {
        let rows = c.find_all(Locator::Css("[data-testid=outbox-row]")).await.ok()?;
        (rows.len() == 2).then_some(rows)
    })
    .await;
    for row in rows {
        assert_eq!(row.attr("data-status").await.expect("attr").as_deref(), Some("pending"));
    }
    screenshot(&c, "outbox-pending.png").await;
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate back");

    // The server returns on the same address: the queued actions sync by themselves.
    let server = hcp_server::spawn(hcp_server::AppState::new(db.clone()), &addr.to_string()).await.expect("restart");
    wait_for(60, "the queued actions to reach the server", || async {
        (server_state(&db, &offline_case) == "assigned").then_some(())
    })
    .await;
    wait_for(30, "the status bar to empty", || async {
        let p = c.find(Locator::Css("[data-testid=status-pending]")).await.ok()?.text().await.ok()?;
        (p.trim() == "0").then_some(())
    })
    .await;
    server.stop().await;

    c.close().await.expect("close session");
    logs::assert_clean(&dir.path().join("client"), &db);
}

async fn sign_in(c: &Client, url: &str, user: &str) {
    type_into(c, "input[data-testid=login-server]", url).await;
    type_into(c, "input[data-testid=login-username]", user).await;
    type_into(c, "input[data-testid=login-password]", DEMO_PASSWORD).await;
    click(c, "[data-testid=login-submit]").await;
    let deadline = Instant::now() + Duration::from_secs(90);
    while attr(c, "[data-testid=status-bar]", "data-bootstrapped").await.as_deref() != Some("true") {
        if Instant::now() > deadline {
            screenshot(c, "failure-sign-in.png").await;
            panic!("{user}: timed out waiting for the first sync");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_escalates_and_prints_then_a_liaison_records_accountability() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 2_000).await.expect("server");
    let (district, _) = account_scope(&db, "donghu.supervisor").expect("scope");
    let case_no: String = db
        .read_blocking(move |c| {
            c.query_row(
                "SELECT case_no FROM cases WHERE state = 'in_rectification' AND deadline < date('now', '+8 hours')
                   AND unit_path >= ?1 AND unit_path < ?1 || '~' ORDER BY escalation_level, id LIMIT 1",
                [district],
                |r| r.get(0),
            )
        })
        .expect("an overdue case in 东湖区");
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;

    // The supervisor escalates the case up the ladder to accountability and prints its notice.
    sign_in(&c, &server.url(), "donghu.supervisor").await;
    open_case(&c, &case_no).await;
    let level_of = |no: String, db: hcp_server::Db| {
        db.read_blocking(move |c| {
            c.query_row("SELECT escalation_level FROM cases WHERE case_no = ?1", [no], |r| r.get::<i64>(0))
        })
        .expect("level")
    };
    let start = level_of(case_no.clone(), db.clone());
    for rung in start + 1..=3 {
        act(&c, "escalate", || async {
            click(&c, "[data-testid=escalate-basis] [data-value=manual]").await;
            type_into(&c, "textarea[data-testid=command-reason]", "整改多次不到位，需上级督办").await;
        })
        .await;
        let no = case_no.clone();
        let db2 = db.clone();
        wait_for(30, "the escalation to reach the server", || {
            let (no, db2) = (no.clone(), db2.clone());
            async move {
                let level: i64 = db2
                    .read_blocking(move |c| {
                        c.query_row("SELECT escalation_level FROM cases WHERE case_no = ?1", [no], |r| r.get(0))
                    })
                    .ok()?;
                (level >= rung).then_some(())
            }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
    screenshot(&c, "supervisor-escalated.png").await;

    // The notice: a preview of its pages as they print, then 保存PDF and 打印.
    click(&c, "[data-testid=action-print-notice]").await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let width = loop {
        if let Ok(e) = c.find(Locator::Css("[data-testid=notice-preview-error]")).await {
            screenshot(&c, "failure-preview.png").await;
            panic!("the preview failed: {}", e.text().await.unwrap_or_default());
        }
        let probe = c
            .execute(
                "const i = document.querySelector('img[data-testid=notice-preview-page]');
                 const d = document.querySelector('[data-testid=notice-preview]');
                 return { width: i && i.complete && i.src.startsWith('data:image/png;base64,') ? i.naturalWidth : 0,
                          dialog: d ? d.outerHTML.slice(0, 600) : null, img: i ? i.src.slice(0, 40) : null }",
                vec![],
            )
            .await
            .expect("probe the preview");
        if let Some(w) = probe["width"].as_u64().filter(|w| *w > 0) {
            break w;
        }
        if Instant::now() > deadline {
            screenshot(&c, "failure-preview.png").await;
            panic!("timed out waiting for the notice preview: {probe}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(width > 1000, "an A4 page at print-preview resolution: {width} px wide");
    let pages: u32 =
        attr(&c, "[data-testid=notice-preview]", "data-pages").await.and_then(|p| p.parse().ok()).unwrap_or(0);
    assert!(pages >= 1, "the preview has pages");
    screenshot(&c, "notice-preview.png").await;
    if pages > 1 {
        click(&c, "[data-testid=notice-preview-pager] .btn-next").await;
        wait_for(60, "the second page", || async {
            (attr(&c, "img[data-testid=notice-preview-page]", "data-page").await.as_deref() == Some("2")).then_some(())
        })
        .await;
    }
    // The smallest supported window: the dialog fits, its footer buttons stay on screen, also with
    // a result message in it (the page scrolls inside the dialog).
    let (full_w, full_h) = c.get_window_size().await.expect("window size");
    c.set_window_size(1024, 640).await.expect("resize to 1024×640");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let buttons_in_view = || async {
        let v = c
            .execute(
                "const ids = ['notice-close', 'notice-save', 'notice-print'];
                 return ids.every(id => { const r = document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
                   return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; });",
                vec![],
            )
            .await
            .expect("measure the buttons");
        v.as_bool() == Some(true)
    };
    assert!(buttons_in_view().await, "关闭/保存PDF/打印 are on screen at 1024×640");
    screenshot(&c, "notice-preview-1024x640.png").await;
    click(&c, "[data-testid=notice-save]").await;
    let path = wait_for(60, "the notice PDF", || async {
        (attr(&c, "[data-testid=print-result]", "data-kind").await.as_deref() == Some("save")).then_some(())?;
        attr(&c, "[data-testid=print-result]", "data-path").await
    })
    .await;
    let text = pdf_text(&path);
    assert!(text.contains(&case_no), "the notice {path} names {case_no}");
    assert!(text.contains("整改通知书"));
    // The case is overdue and escalated: a 督办 notice with its real deadline, no fresh one.
    assert!(text.contains("已逾期") || text.contains("已超过整改期限"), "{text}");
    assert!(!text.contains("个工作日内（"), "{text}");
    assert!(buttons_in_view().await, "the result message leaves the buttons on screen");
    assert!(c.find(Locator::Css("[data-testid=print-open]")).await.is_ok(), "打开 is offered after saving");
    screenshot(&c, "notice-preview-saved-1024x640.png").await;
    click(&c, "[data-testid=notice-print]").await;
    let printed = dir.path().join("printed.txt");
    let sent = wait_for(60, "the notice to be sent to the printer", || async {
        std::fs::read_to_string(&printed).ok().and_then(|t| t.lines().last().map(str::to_owned))
    })
    .await;
    assert!(sent.ends_with(".pdf") && pdf_text(&sent).contains(&case_no), "the printed PDF {sent} names {case_no}");
    wait_for(10, "the print confirmation", || async {
        (attr(&c, "[data-testid=print-result]", "data-kind").await.as_deref() == Some("print")).then_some(())
    })
    .await;
    assert!(buttons_in_view().await, "the print message leaves the buttons on screen");
    c.set_window_size(u32::try_from(full_w).unwrap_or(1280), u32::try_from(full_h).unwrap_or(800))
        .await
        .expect("restore the window size");
    tokio::time::sleep(Duration::from_millis(800)).await;
    click(&c, "[data-testid=notice-preview] .el-dialog__headerbtn").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    close_drawer(&c).await;

    // The statistics of the district, from the replica: KPI cards, a ranking and four charts.
    c.execute("window.location.hash = '#/stats'", vec![]).await.expect("navigate");
    c.wait().for_element(Locator::Css("[data-testid=stats-page]")).await.expect("the statistics page");
    let cards = wait_for(30, "the KPI cards", || async {
        let n = c.find_all(Locator::Css("[data-testid=kpi-card]")).await.ok()?.len();
        (n >= 8).then_some(n)
    })
    .await;
    assert!(cards >= 8);
    let charts = c.find_all(Locator::Css("img[data-testid=stats-chart]")).await.expect("charts").len();
    assert_eq!(charts, 4, "four charts drawn");
    assert!(!c.find_all(Locator::Css("[data-testid=stats-row]")).await.expect("rows").is_empty());
    screenshot(&c, "statistics.png").await;
    click(&c, "[data-testid=stats-report]").await;
    let report = wait_for(60, "the monthly report", || async {
        attr(&c, "[data-testid=stats-report-result]", "data-path").await
    })
    .await;
    let text = Command::new("pdftotext").args([report.as_str(), "-"]).output().expect("pdftotext");
    assert!(String::from_utf8_lossy(&text.stdout).contains("通报"), "{report} is a dispatch report");
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate back");

    // Sign out; the discipline-inspection liaison signs in and records the decision.
    // Sign out and confirm; the confirmation box animates in, so click until the login screen shows.
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.find(Locator::Css("input[data-testid=login-username]")).await.is_err() {
        if Instant::now() > deadline {
            screenshot(&c, "failure-logout.png").await;
            panic!("timed out waiting for the login screen");
        }
        let confirm = ".el-message-box__btns .el-button--primary";
        let target = if visible(&c, confirm).await { confirm } else { "[data-testid=logout]" };
        if let Ok(el) = c.find(Locator::Css(target)).await {
            let _ = el.click().await;
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
    sign_in(&c, &server.url(), "donghu.liaison").await;
    open_case(&c, &case_no).await;
    act(&c, "record_accountability", || async {
        click(&c, "[data-testid=accountability-decision] [data-value=admonition]").await;
        // The staff picker: search by staff number, pick the first match.
        click(&c, "input[data-testid=accountability-subject]").await;
        type_into(&c, "input[data-testid=accountability-subject]", "GH000").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        click(&c, "[data-testid=accountability-subject-option]").await;
        type_into(&c, "textarea[data-testid=command-reason]", "整改期限内未落实整改措施").await;
        type_into(&c, "textarea[data-testid=command-evidence]", "谈话记录.pdf").await;
    })
    .await;
    let no = case_no.clone();
    wait_for(30, "the decision to reach the server", || {
        let (no, db2) = (no.clone(), db.clone());
        async move {
            let n: i64 = db2
                .read_blocking(move |c| {
                    c.query_row(
                        "SELECT count(*) FROM case_events e JOIN cases k ON k.id = e.case_id
                          WHERE k.case_no = ?1 AND e.kind = 'accountability_recorded'",
                        [no],
                        |r| r.get(0),
                    )
                })
                .ok()?;
            (n == 1).then_some(())
        }
    })
    .await;
    let chain = db.read_blocking(hcp_server::db::evidence::verify).expect("chain");
    assert!(chain.valid && chain.length == 1, "{chain:?}");
    screenshot(&c, "liaison-accountability.png").await;
    c.close().await.expect("close session");
    server.stop().await;
    logs::assert_clean(&dir.path().join("client"), &db);
}

/// The verification queue in the real window: the detection's leads of the hall, a verdict from
/// the dialog, the server applying it, and the queue showing the decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_confirms_an_integrity_lead_from_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    // The server's background detection runs every minute; here it runs once, at once.
    let report = hcp_server::integrity::scan_all(&hcp_server::AppState::new(db.clone())).await.expect("scan");
    assert!(report.created >= 5, "{report:?}");

    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    sign_in(&c, &server.url(), "donghu.manager").await;
    click(&c, "[data-testid=menu-integrity]").await;
    let shown = wait_for(30, "the integrity queue", || async {
        let n = c.find_all(Locator::Css("[data-testid=flag-item]")).await.map_or(0, |v| v.len());
        (n >= 5).then_some(n)
    })
    .await;
    assert_eq!(shown as u64, report.created, "the hall's whole queue");
    click(&c, "[data-testid=flag-item][data-kind=burst_same_device] [data-testid=flag-toggle]").await;
    c.wait()
        .for_element(Locator::Css("[data-testid=flag-item][data-kind=burst_same_device] [data-testid=flag-rating]"))
        .await
        .expect("the flagged ratings");
    screenshot(&c, "integrity-queue.png").await;

    click(&c, "[data-testid=flag-item][data-kind=burst_same_device] [data-testid=flag-decide]").await;
    // Notes are required. A click landing while the dialog still opens can be lost: each is
    // repeated until the window shows its effect.
    let verdict = "[data-testid=flag-verdict-confirmed_fake]";
    click(&c, verdict).await;
    wait_for(10, "the verdict to be chosen", || async {
        if attr(&c, verdict, "class").await.is_some_and(|class| class.contains("is-checked")) {
            return Some(());
        }
        click(&c, verdict).await;
        None
    })
    .await;
    click(&c, "[data-testid=flag-submit]").await;
    wait_for(10, "the notes to be asked for", || async {
        if visible(&c, ".el-form-item__error").await && visible(&c, "[data-testid=flag-submit]").await {
            return Some(());
        }
        click(&c, "[data-testid=flag-submit]").await;
        None
    })
    .await;
    type_into(&c, "textarea[data-testid=flag-note]", "调取监控核实：工作人员连续点击评价器").await;
    click(&c, "[data-testid=flag-submit]").await;

    let status = || {
        let db = db.clone();
        async move {
            db.read(|c| {
                c.query_row("SELECT status FROM integrity_flags WHERE kind = 'burst_same_device'", (), |r| {
                    r.get::<String>(0)
                })
            })
            .await
            .ok()
        }
    };
    wait_for(30, "the server to apply the verdict", || async {
        (status().await.as_deref() == Some("confirmed_fake")).then_some(())
    })
    .await;
    click(&c, "[data-testid=integrity-filter-decided]").await;
    wait_for(30, "the queue to show the decision", || async {
        (attr(&c, "[data-testid=flag-item][data-kind=burst_same_device]", "data-status").await.as_deref()
            == Some("confirmed_fake"))
        .then_some(())
    })
    .await;
    screenshot(&c, "integrity-decided.png").await;
    server.stop().await;
    c.close().await.expect("close session");
    logs::assert_clean(&dir.path().join("client"), &db);
}

/// 10:00 Beijing time on the first working day whose 10:00 is not before `now` (and not before
/// Monday 7 December 2026, the morning the seeded deadlines were written for).
fn next_working_morning(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    let calendar = hcp_domain::Calendar::bundled();
    let morning = |d: chrono::NaiveDate| d.and_hms_opt(2, 0, 0).expect("02:00 UTC is 10:00 in Beijing").and_utc();
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
        .expect("date")
        .max((now + chrono::Duration::hours(8)).date_naive());
    while !calendar.is_working_day(day) || morning(day) < now {
        day = day.succ_opt().expect("a next day");
    }
    morning(day)
}

/// 督办 that runs by itself: with the supervisor signed in, the server's deadline watch runs on the
/// next working morning (10:00 Beijing time, after the sign-in: the bell tells of nothing older than
/// the session) and escalates the district's overdue cases; after the next sync the bell tells the
/// supervisor and the 督办 board lists an escalated case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_escalates_and_the_supervisor_is_told_and_sees_it_on_the_board() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    sign_in(&c, &server.url(), "donghu.supervisor").await;

    let at = next_working_morning(chrono::Utc::now());
    let since = at.format("%Y-%m-%d").to_string();
    let watch_db = db.clone();
    let report =
        tokio::task::spawn_blocking(move || hcp_server::watch::pass(&watch_db, &hcp_domain::Calendar::bundled(), at))
            .await
            .expect("task")
            .expect("a watch pass");
    assert!(report.escalated > 0, "{report:?}");
    // One case of 东湖区 the watch escalated.
    let (case_id, case_no): (i64, String) = db
        .read(move |c| {
            c.query_row(
                "SELECT c.id, c.case_no FROM cases c JOIN case_events e ON e.case_id = c.id
                  JOIN org_units o ON o.name = '东湖区'
                  WHERE e.kind = 'escalated' AND e.actor_user_id IS NULL AND e.at >= ?1
                    AND c.scope_path >= o.path AND c.scope_path < o.path || '~'
                  ORDER BY c.id LIMIT 1",
                [since.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .expect("an escalated case of 东湖区");

    // The next sync brings the escalation and the bell says so.
    wait_for(60, "the bell to count the escalation", || async {
        attr(&c, "[data-testid=bell]", "data-unread").await.and_then(|n| n.parse::<u32>().ok()).filter(|n| *n > 0)
    })
    .await;
    click(&c, "[data-testid=bell]").await;
    wait_for(10, "the notification list", || async { visible(&c, "[data-testid=bell-item]").await.then_some(()) })
        .await;
    screenshot(&c, "notifications.png").await;
    let _ = c.execute("document.body.click()", vec![]).await;

    click(&c, "[data-testid=menu-supervision]").await;
    let tick = format!("[data-testid=board-tick][data-case-id=\"{case_id}\"]");
    wait_for(60, "the escalated case on the 督办 board", || async { visible(&c, &tick).await.then_some(()) }).await;
    screenshot(&c, "supervision-board.png").await;
    let status = attr(&c, &format!("[data-testid=board-case][data-case-id=\"{case_id}\"]"), "data-status").await;
    assert!(
        matches!(status.as_deref(), Some("overdue" | "escalated")),
        "{case_no} is on the board as overdue or escalated: {status:?}"
    );

    // Tick it and print its 督办通知单 from the board.
    let ticked = c
        .execute(
            "const box = document.querySelector(arguments[0] + ' input');
             if (box) box.click();
             return !!box;",
            vec![serde_json::Value::String(tick.clone())],
        )
        .await
        .expect("tick");
    assert_eq!(ticked, serde_json::Value::Bool(true), "the row's tick box");
    wait_for(10, "one case ticked", || async {
        let text = c.find(Locator::Css("[data-testid=board-ticked]")).await.ok()?.text().await.ok()?;
        text.contains('1').then_some(())
    })
    .await;
    click(&c, "[data-testid=board-print-supervision]").await;
    wait_for(90, "the 督办通知单 preview", || async {
        attr(&c, "img[data-testid=notice-preview-page]", "src").await.filter(|s| !s.is_empty()).map(|_| ())
    })
    .await;
    screenshot(&c, "supervision-notice-preview.png").await;
    click(&c, "[data-testid=notice-save]").await;
    let path = wait_for(60, "the 督办通知单 PDF", || async {
        (attr(&c, "[data-testid=print-result]", "data-kind").await.as_deref() == Some("save")).then_some(())?;
        attr(&c, "[data-testid=print-result]", "data-path").await
    })
    .await;
    let text = pdf_text(&path);
    assert!(text.contains("督办通知单") && text.contains(&case_no), "the notice {path} is a 督办通知单 for {case_no}");
    server.stop().await;
    c.close().await.expect("close session");
    logs::assert_clean(&dir.path().join("client"), &db);
}

/// 设置: a supervisor reads what the laptop holds, points the app at another server address,
/// exports diagnostics, then signs out and erases the local data; the login page offers the new
/// address and the replica's file is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_changes_the_server_address_and_erases_the_local_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 400).await.expect("server");
    let client_dir = dir.path().join("client");
    let port = free_port();
    let _driver = start_driver(&client_dir, port);
    let c = connect(port, &app_binary()).await;
    sign_in(&c, &server.url(), "donghu.supervisor").await;
    click(&c, "[data-testid=menu-settings]").await;
    let rows = wait_for(60, "the replica's rows", || async {
        text_content(&c, "[data-testid=settings-replica-rows]").await.filter(|t| t.contains("工单"))
    })
    .await;
    assert!(rows.contains("评价"), "{rows}");
    let replicas = client_dir.join("replicas");
    // The replica and, beside it, the evidence files' store (`<id>.files.db`).
    let files = || {
        std::fs::read_dir(&replicas)
            .map(|d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "db")).count())
            .unwrap_or(0)
    };
    assert_eq!(files(), 2, "one replica and its file store on disk");
    screenshot(&c, "settings.png").await;

    let moved = format!("http://127.0.0.1:{}", free_port());
    type_into(&c, "input[data-testid=settings-server-url]", &moved).await;
    click(&c, "[data-testid=settings-save]").await;
    wait_for(10, "the sign-in-again hint", || async {
        visible(&c, "[data-testid=settings-sign-in-again]").await.then_some(())
    })
    .await;
    click(&c, "[data-testid=settings-diagnostics]").await;
    let path = wait_for(30, "the diagnostics file", || async {
        text_content(&c, "[data-testid=settings-diagnostics-path]").await.filter(|t| !t.trim().is_empty())
    })
    .await;
    let text = std::fs::read_to_string(path.trim()).expect("the diagnostics file");
    assert!(text.contains("\"app_version\""), "{text}");

    click(&c, "[data-testid=settings-erase]").await;
    let confirm = ".el-message-box__btns .el-button--danger";
    wait_for(10, "the erase confirmation", || async { visible(&c, confirm).await.then_some(()) }).await;
    click(&c, confirm).await;
    let shown = wait_for(30, "the login page", || async {
        let el = c.find(Locator::Css("input[data-testid=login-server]")).await.ok()?;
        el.prop("value").await.ok().flatten()
    })
    .await;
    assert_eq!(shown, moved, "the login page offers the new address");
    assert_eq!(files(), 0, "the replica and its file store are erased");
    screenshot(&c, "settings-erased-login.png").await;
    server.stop().await;
    c.close().await.expect("close session");
    logs::assert_clean(&client_dir, &db);
}
