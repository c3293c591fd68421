//! 排名考核 in the real window: a supervisor opens the staff league of last month, which equals the
//! server's `GET /api/v1/rankings`, switches to the windows of the quarter; a hall manager sees only
//! the hall's staff. Screens are saved as `rankings-*.png` and checked for anything cut off.

use chrono::Datelike;

use super::walk::{cut_off, sign_out};
use super::*;

async fn look(c: &Client, name: &str) {
    screenshot(c, &format!("{name}.png")).await;
    let problems = cut_off(c).await;
    assert!(problems.is_empty(), "{name}: cut off: {problems:?}");
}

/// The names in the ranked table, in order.
async fn ranked_names(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for e in
        c.find_all(Locator::Css("[data-testid=rankings-ranked] [data-testid=rankings-name]")).await.unwrap_or_default()
    {
        out.push(e.text().await.unwrap_or_default());
    }
    out
}

async fn server_league(url: &str, user: &str, query: &str) -> serde_json::Value {
    let token = hcp_tests::api_token(url, user).await.expect("token");
    reqwest::Client::new()
        .get(format!("{url}/api/v1/rankings?{query}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("rankings")
        .json()
        .await
        .expect("json")
}

fn names(v: &serde_json::Value, part: &str) -> Vec<String> {
    v[part].as_array().expect("lines").iter().map(|e| e["name"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_the_staff_and_window_leagues_and_a_hall_manager_the_halls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _db) = seeded_server(dir.path(), 2_500).await.expect("server");
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");

    sign_in(&c, &server.url(), "city.supervisor").await;
    click(&c, "[data-testid=menu-rankings]").await;
    // Last month's staff league (the default), from the replica.
    let last_month = {
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        let first = today.with_day(1).expect("first").pred_opt().expect("last month");
        first.format("%Y-%m").to_string()
    };
    let want = server_league(&server.url(), "city.supervisor", &format!("of=staff&period={last_month}")).await;
    let shown = wait_for(30, "the staff league", || async {
        let n = ranked_names(&c).await;
        (!n.is_empty()).then_some(n)
    })
    .await;
    assert_eq!(shown, names(&want, "ranked"), "the replica's league is the server's");
    assert!(visible(&c, "[data-testid=rankings-too-few]").await, "those below the minimum sample are listed apart");
    look(&c, "rankings-staff").await;

    // The windows of this quarter.
    click(&c, "[data-testid=rankings-of-window]").await;
    click(&c, "[data-testid=rankings-kind] label:nth-child(2)").await;
    let quarter = wait_for(20, "the quarter", || async {
        attr(&c, "[data-testid=rankings-page]", "data-loading").await.filter(|l| l == "false")?;
        let text = text_content(&c, "[data-testid=rankings-dates]").await?;
        text.contains("-01 ").then_some(text)
    })
    .await;
    assert!(quarter.contains("2026-07-01") || quarter.contains("2026-10-01"), "{quarter}");
    c.set_window_size(1024, 640).await.expect("window size");
    tokio::time::sleep(Duration::from_millis(500)).await;
    look(&c, "rankings-windows-1024").await;
    c.set_window_size(1366, 768).await.expect("window size");
    sign_out(&c).await;

    // A hall manager's league: the hall's staff only.
    sign_in(&c, &server.url(), "donghu.manager").await;
    click(&c, "[data-testid=menu-rankings]").await;
    let hall = server_league(&server.url(), "donghu.manager", &format!("of=staff&period={last_month}")).await;
    let shown = wait_for(30, "the hall's staff league", || async {
        let n = ranked_names(&c).await;
        (!n.is_empty() && n.len() < names(&want, "ranked").len()).then_some(n)
    })
    .await;
    assert_eq!(shown, names(&hall, "ranked"));
    let units: Vec<&str> =
        hall["ranked"].as_array().expect("ranked").iter().filter_map(|e| e["unitName"].as_str()).collect();
    assert!(units.iter().all(|u| *u == "东湖区政务服务中心"), "{units:?}");
    look(&c, "rankings-hall").await;
    server.stop().await;
    c.close().await.expect("close session");
}
