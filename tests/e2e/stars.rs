//! 服务明星 and 绩效考核 in the real window: a supervisor opens last month's candidates (by the
//! city's rule, from the replica), confirms a star (queued, sent, and confirmed by the server's
//! feed), prints the list as a PDF, then reads the score sheets and one line's items. Screens are
//! saved as `stars-*.png` / `scores-*.png` and checked for anything cut off, at 1366×768 and 1024×640.

use chrono::Datelike;

use super::walk::cut_off;
use super::*;

async fn look(c: &Client, name: &str) {
    screenshot(c, &format!("{name}.png")).await;
    let problems = cut_off(c).await;
    assert!(problems.is_empty(), "{name}: cut off: {problems:?}");
}

/// A rule the seeded month's samples meet, set on the city before anyone signs in.
fn permissive_rule(db: &hcp_server::Db) {
    hcp_tests::blocking(|| {
        db.write_blocking(|c| {
            let (id, path): (i64, String) =
                c.query_row("SELECT id, path FROM org_units WHERE kind = 'city'", (), |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut policy = hcp_protocol::JurisdictionPolicy::default();
            policy.assessment.stars = hcp_domain::merit::StarRule { min_sample: 5, min_score: 0.6, stars: 2, able: 2 };
            let json = serde_json::to_string(&policy).map_err(|e| hcp_server::db::DbError::Corrupt(e.to_string()))?;
            hcp_server::db::settings::put(c, id, &path, "policy", &json, "2026-11-20T00:00:00Z")?;
            Ok(())
        })
    })
    .expect("policy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_confirms_a_star_prints_the_list_and_reads_the_score_sheets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 2_500).await.expect("server");
    permissive_rule(&db);
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");

    sign_in(&c, &server.url(), "city.supervisor").await;
    click(&c, "[data-testid=menu-rankings]").await;
    click(&c, "[data-testid=rankings-view-stars]").await;
    // Last month is the default period.
    let last_month = {
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        today.with_day(1).expect("first").pred_opt().expect("last month").format("%Y-%m").to_string()
    };
    let name = wait_for(30, "a star candidate", || async {
        attr(&c, "[data-testid=stars-panel]", "data-loading").await.filter(|l| l == "false")?;
        c.find(Locator::Css("[data-testid=stars-confirm]")).await.ok()?;
        text_content(&c, "[data-testid=stars-table] [data-testid=stars-name]").await
    })
    .await;
    look(&c, "stars-candidates").await;

    // Confirm the first candidate: the confirmation box, then the line turns 已确认 once the
    // server has recorded it and the feed brought it back.
    click(&c, "[data-testid=stars-confirm]").await;
    let confirm = ".el-message-box__btns .el-button--primary";
    wait_for(10, "the confirmation box", || async { visible(&c, confirm).await.then_some(()) }).await;
    click(&c, confirm).await;
    wait_for(60, "the award confirmed by the server", || async {
        let status = attr(&c, "[data-testid=stars-table] [data-testid=stars-status]", "data-status").await?;
        (status == "confirmed").then_some(())
    })
    .await;
    let recorded: String = hcp_tests::blocking(|| {
        db.read_blocking(move |c| c.query_row("SELECT staff_name FROM awards", (), |r| r.get::<String>(0)))
    })
    .expect("the award on the server");
    assert_eq!(recorded, name.trim(), "the server recorded the confirmed member of staff");
    look(&c, "stars-confirmed").await;

    // The list as a PDF naming them.
    click(&c, "[data-testid=stars-print-list]").await;
    let path =
        wait_for(30, "the list PDF", || async { attr(&c, "[data-testid=stars-printed]", "data-path").await }).await;
    let text = pdf_text(&path);
    assert!(text.contains(name.trim()) && text.contains("名单"), "{text}");
    assert!(text.contains(&format!("{}年{}月", &last_month[..4], last_month[5..].trim_start_matches('0'))), "{text}");
    c.set_window_size(1024, 640).await.expect("window size");
    tokio::time::sleep(Duration::from_millis(500)).await;
    look(&c, "stars-1024").await;

    // 绩效考核: the staff sheet, and one line's items.
    click(&c, "[data-testid=rankings-view-scores]").await;
    wait_for(30, "the score sheets", || async {
        attr(&c, "[data-testid=scores-panel]", "data-loading").await.filter(|l| l == "false")?;
        text_content(&c, "[data-testid=scores-table] [data-testid=scores-name]").await
    })
    .await;
    click(&c, "[data-testid=scores-staff]").await;
    click(&c, "[data-testid=scores-table] [data-testid=scores-name]").await;
    wait_for(10, "a line's items", || async { visible(&c, "[data-testid=scores-items]").await.then_some(()) }).await;
    look(&c, "scores-1024").await;
    c.set_window_size(1366, 768).await.expect("window size");
    tokio::time::sleep(Duration::from_millis(500)).await;
    look(&c, "scores-staff").await;
    server.stop().await;
    c.close().await.expect("close session");
}
