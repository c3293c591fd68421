//! 12345回传 in the real window: the administrator opens 系统管理 → 12345回传, sees the demo's
//! callbacks (the server has no callback URL: the page says so), one of them failed with its
//! attempts, opens its details and retries it, which the server records (重试中) and audits.
//! Screens are saved as `admin-hotline*.png` and checked for anything cut off, at 1366×768 and
//! 1024×640.

use super::walk::cut_off;
use super::*;

async fn look(c: &Client, name: &str) {
    screenshot(c, &format!("{name}.png")).await;
    let problems = cut_off(c).await;
    assert!(problems.is_empty(), "{name}: cut off: {problems:?}");
}

async fn confirm(c: &Client) {
    let btn = ".el-message-box__btns .el-button--primary";
    wait_for(10, "the confirmation", || async { visible(c, btn).await.then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    click(c, btn).await;
}

fn delivery_status(db: &hcp_server::Db, id: i64) -> String {
    db.read_blocking(move |c| c.query_row("SELECT status FROM hotline_deliveries WHERE id = ?1", [id], |r| r.get(0)))
        .expect("the delivery")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sees_the_hotline_callbacks_and_retries_a_failed_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    // The newest callback failed three times (as the worker records it against a hotline that
    // answers 502 and then times out).
    let failed: i64 = db
        .write_blocking(|c| {
            let id: i64 = c.query_row("SELECT max(id) FROM hotline_deliveries", (), |r| r.get(0))?;
            c.execute(
                "UPDATE hotline_deliveries SET status = 'failed', attempts = 3, last_status = 502, last_error = 'HTTP 502'
                  WHERE id = ?1",
                [id],
            )?;
            // An answer is recorded with its status; an error only when none came.
            for (n, status, error) in [(1, None, Some("请求超时（10 秒内无应答）")), (2, Some(502), None), (3, Some(502), None)] {
                c.execute(
                    "INSERT INTO hotline_attempts (delivery_id, at, http_status, error, excerpt, duration_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    hcp_server::args![
                        id,
                        format!("2026-11-20T0{n}:00:00Z"),
                        status.map(i64::from),
                        error,
                        if status.is_some() { "bad gateway" } else { "" },
                        if status.is_some() { 35 } else { 10_000 }
                    ],
                )?;
            }
            Ok(id)
        })
        .expect("a failed delivery");
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");

    sign_in(&c, &server.url(), "admin").await;
    c.wait().for_element(Locator::Css("[data-testid=admin-page]")).await.expect("系统管理 after signing in");
    click(&c, "[data-testid=admin-tab-hotline]").await;
    let state = format!("[data-testid=hotline-state-{failed}]");
    wait_for(30, "the failed callback in the list", || async {
        text_content(&c, &state).await.filter(|t| t.trim() == "失败")
    })
    .await;
    assert!(visible(&c, "[data-testid=hotline-disabled]").await, "the page says no callback URL is configured");
    assert!(visible(&c, &format!("[data-testid=hotline-retry-{failed}]")).await);
    look(&c, "admin-hotline").await;

    // Its details: the attempts with their outcomes.
    click(&c, &format!("[data-testid=hotline-detail-{failed}]")).await;
    wait_for(10, "the attempts", || async {
        let rows = c.find_all(Locator::Css("[data-testid=hotline-attempts] .el-table__row")).await.ok()?;
        (rows.len() == 3).then_some(())
    })
    .await;
    screenshot(&c, "admin-hotline-detail.png").await;
    click(&c, "[data-testid=hotline-dialog] .el-dialog__headerbtn").await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    // The retry: confirmed, recorded by the server, shown as 重试中.
    click(&c, &format!("[data-testid=hotline-retry-{failed}]")).await;
    confirm(&c).await;
    wait_for(20, "重试中 after the retry", || async {
        text_content(&c, &state).await.filter(|t| t.trim() == "重试中")
    })
    .await;
    assert_eq!(delivery_status(&db, failed), "retrying");
    look(&c, "admin-hotline-retried").await;

    // The failed filter, at the small window size.
    c.set_window_size(1024, 640).await.expect("window size");
    click(&c, "[data-testid=hotline-filter-retrying]").await;
    wait_for(20, "the filtered list", || async { text_content(&c, &state).await.filter(|t| t.trim() == "重试中") })
        .await;
    look(&c, "admin-hotline-small").await;
}
