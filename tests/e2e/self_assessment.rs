//! 自我评价 in the real window: a hall manager fills in the quarter's form and submits it while the
//! server is away (queued, shown as 已提交（待同步）); the server returns and takes it; the
//! district's supervisor signs in, finds it after the sync and approves it; the 第三方评价 tab shows
//! an imported survey beside the citizens' figures. Screens are saved as `self-assessment-*.png`
//! at 1366×768 and 1024×640 and checked for anything cut off.

use hcp_domain::self_assessment::Heading;

use super::walk::{cut_off, sign_out};
use super::*;

async fn look(c: &Client, name: &str) {
    screenshot(c, &format!("{name}.png")).await;
    let problems = cut_off(c).await;
    assert!(problems.is_empty(), "{name}: cut off: {problems:?}");
}

async fn look_both(c: &Client, name: &str) {
    for (w, h, suffix) in [(1024, 640, "-1024"), (1366, 768, "")] {
        c.set_window_size(w, h).await.expect("window size");
        tokio::time::sleep(Duration::from_millis(800)).await;
        look(c, &format!("{name}{suffix}")).await;
    }
}

fn server_status(db: &hcp_server::Db) -> Option<String> {
    db.read_blocking(|c| c.query_opt("SELECT status FROM self_assessments ORDER BY id LIMIT 1", (), |r| r.get(0)))
        .ok()
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_submits_a_self_assessment_offline_that_the_supervisor_reviews_after_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let addr = server.addr;
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");
    sign_in(&c, &server.url(), "donghu.manager").await;
    click(&c, "[data-testid=menu-selfAssessment]").await;
    wait_for(30, "the empty form", || async {
        (attr(&c, "[data-testid=sa-state]", "data-state").await.as_deref() == Some("none")).then_some(())
    })
    .await;

    // The server goes away; the manager fills in every heading and submits.
    server.stop().await;
    wait_for(60, "the offline status", || async {
        (attr(&c, "[data-testid=status-bar]", "data-online").await.as_deref() == Some("false")).then_some(())
    })
    .await;
    for h in Heading::ALL {
        let score = (h.max_points() - 1).to_string();
        let k = h.as_str();
        type_into(&c, &format!("[data-testid=sa-score-{k}] input, input[data-testid=sa-score-{k}]"), &score).await;
        type_into(&c, &format!("textarea[data-testid=sa-text-{k}]"), &format!("{}：按计划完成（E2E）", h.label_zh()))
            .await;
    }
    // A click outside the last number box commits its value.
    click(&c, "[data-testid=sa-label-item_list]").await;
    let total = wait_for(10, "the total", || async {
        text_content(&c, "[data-testid=sa-total]").await.filter(|t| t.contains("93"))
    })
    .await;
    assert!(total.contains("93") && total.contains("100"), "{total}");
    click(&c, "[data-testid=sa-save]").await;
    wait_for(20, "the draft", || async {
        (attr(&c, "[data-testid=sa-state]", "data-state").await.as_deref() == Some("draft")).then_some(())
    })
    .await;
    look_both(&c, "self-assessment-draft").await;
    click(&c, "[data-testid=sa-submit]").await;
    click(&c, ".el-message-box__btns .el-button--primary").await;
    wait_for(20, "the queued submission", || async {
        (attr(&c, "[data-testid=sa-state]", "data-state").await.as_deref() == Some("queued")).then_some(())
    })
    .await;
    wait_for(10, "one action waiting for the server", || async {
        let p = c.find(Locator::Css("[data-testid=status-pending]")).await.ok()?.text().await.ok()?;
        (p.trim() == "1").then_some(())
    })
    .await;
    assert_eq!(server_status(&db), None);
    look(&c, "self-assessment-queued").await;

    // The server returns: the submission goes by itself.
    let server = hcp_server::spawn(hcp_server::AppState::new(db.clone()), &addr.to_string()).await.expect("restart");
    wait_for(60, "the submission on the server", || async {
        (server_status(&db).as_deref() == Some("submitted")).then_some(())
    })
    .await;
    wait_for(30, "the submitted state", || async {
        (attr(&c, "[data-testid=sa-state]", "data-state").await.as_deref() == Some("submitted")).then_some(())
    })
    .await;

    // A third-party survey for the hall, imported through the API.
    let hall_code: String = db
        .read_blocking(|c| {
            c.query_row("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| r.get(0))
        })
        .expect("code");
    // Last month, which the seeded citizens' ratings cover.
    let month = {
        use chrono::Datelike;
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        today.with_day(1).and_then(|d| d.pred_opt()).expect("last month").format("%Y-%m").to_string()
    };
    let token = hcp_tests::api_token(&server.url(), "donghu.supervisor").await.expect("token");
    let body = serde_json::json!({"dry_run": false, "file_name": "测评.csv",
        "header": ["单位编码", "期间", "测评方式", "测评机构", "样本数", "满意度"],
        "rows": [{"line": 2, "cells": [hall_code, month, "电话测评", "江城市统计调查中心", "200", "95.5"]}]});
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/surveys/import", server.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("import");
    assert_eq!(r.status().as_u16(), 200);

    // The supervisor signs in, finds it and approves it.
    sign_out(&c).await;
    sign_in(&c, &server.url(), "donghu.supervisor").await;
    click(&c, "[data-testid=menu-selfAssessment]").await;
    wait_for(30, "the hall's submission", || async {
        (attr(&c, "[data-testid=sa-row-state][data-state=submitted]", "data-state").await.is_some()).then_some(())
    })
    .await;
    look_both(&c, "self-assessment-list").await;
    click(&c, "[data-testid=sa-open]").await;
    c.wait().for_element(Locator::Css("[data-testid=sa-review-approve]")).await.expect("the review drawer");
    type_into(&c, "textarea[data-testid=sa-review-comment]", "同意，继续保持").await;
    look(&c, "self-assessment-review").await;
    click(&c, "[data-testid=sa-review-approve]").await;
    wait_for(60, "the approval on the server", || async {
        (server_status(&db).as_deref() == Some("approved")).then_some(())
    })
    .await;
    wait_for(30, "the approved state", || async {
        (attr(&c, "[data-testid=sa-row-state][data-state=approved]", "data-state").await.is_some()).then_some(())
    })
    .await;

    // 第三方评价: the survey beside the citizens' own satisfaction.
    click(&c, "[data-testid=sa-tab-survey]").await;
    let score =
        wait_for(30, "the survey row", || async { text_content(&c, "[data-testid=sa-survey-score]").await }).await;
    assert_eq!(score.trim(), "95.50");
    let citizens = text_content(&c, ".citizens").await.unwrap_or_default();
    assert!(citizens.contains('%'), "the citizens' satisfaction of the month is beside it: {citizens}");
    look_both(&c, "self-assessment-survey").await;
    server.stop().await;
    c.close().await.expect("close session");
    logs::assert_clean(&dir.path().join("client"), &db);
}
