//! Document numbers (文号) over HTTP: every issuing office has its own abbreviation and sequence,
//! blocks never overlap (also when reserved at once through two server instances), a retry gets
//! the same block, and nobody reserves numbers for another office.

use chrono::Datelike;
use hcp_server::testing::Backend;
use hcp_server::{AppState, Db};
use serde_json::{json, Value};

use super::spawn_app;

fn numbers(block: &Value) -> std::ops::RangeInclusive<u64> {
    block["first"].as_u64().expect("first")..=block["last"].as_u64().expect("last")
}

pub async fn document_numbers_are_unique_per_office_and_year_and_reserved_in_disjoint_blocks(backend: Backend) {
    let app = spawn_app(backend).await;
    let year = (chrono::Utc::now() + chrono::Duration::hours(8)).year();
    let unit_of = |user: &str| {
        let user = user.to_owned();
        let db = app.db.clone();
        async move {
            db.read(move |c| c.query_row("SELECT unit_id FROM users WHERE username = ?1", [user], |r| r.get::<i64>(0)))
                .await
                .expect("unit")
        }
    };
    let (office_unit, hall_unit) = (unit_of("donghu.supervisor").await, unit_of("donghu.manager").await);
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let reserve = |token: String, request_id: &str, unit_id: i64, count: u32| {
        let body = json!({"request_id": request_id, "unit_id": unit_id, "year": year, "count": count});
        let app = &app;
        async move { app.post(&token, "/api/v1/doc-numbers/reserve", body).await }
    };

    // The district's office and its hall: two offices, two abbreviations, each numbering from 1.
    let (status, office) = reserve(supervisor.clone(), "r-office-1", office_unit, 5).await;
    assert_eq!(status, 200, "{office}");
    let (status, hall) = reserve(manager.clone(), "r-hall-1", hall_unit, 5).await;
    assert_eq!(status, 200, "{hall}");
    assert_eq!((office["abbreviation"].as_str(), hall["abbreviation"].as_str()), (Some("东政管督"), Some("东政服督")));
    assert_eq!(office["office_name"], "东湖区政务服务管理办公室");
    assert_eq!(hall["office_name"], "东湖区政务服务中心");
    assert_eq!((numbers(&office), numbers(&hall)), (1..=5, 1..=5), "each office has its own sequence");

    // A retry of the same request gets the same block; another user cannot reuse its id.
    let (status, again) = reserve(supervisor.clone(), "r-office-1", office_unit, 5).await;
    assert_eq!((status, &again), (200, &office));
    let (status, body) = reserve(manager.clone(), "r-office-1", hall_unit, 5).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");

    // Many reservations at once, through two server instances on the one database: disjoint
    // blocks that follow on from the first without a gap.
    let second_db = {
        let url = app.url.clone();
        tokio::task::spawn_blocking(move || Db::connect(&url)).await.expect("task").expect("second connection")
    };
    let second = hcp_server::spawn(AppState::new(second_db), "127.0.0.1:0").await.expect("second instance");
    let mut tasks = Vec::new();
    for i in 0..12u32 {
        let base = if i % 2 == 0 { app.url("") } else { second.url() };
        let (http, token) = (app.http.clone(), supervisor.clone());
        let body = json!({"request_id": format!("r-par-{i}"), "unit_id": office_unit, "year": year, "count": 3});
        tasks.push(tokio::spawn(async move {
            let r = http.post(format!("{base}/api/v1/doc-numbers/reserve")).bearer_auth(token).json(&body).send().await;
            let r = r.expect("reserve");
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await.expect("json")
        }));
    }
    let mut taken: Vec<u64> = numbers(&office).collect();
    for t in tasks {
        taken.extend(numbers(&t.await.expect("task")));
    }
    taken.sort_unstable();
    let expected: Vec<u64> = (1..=5 + 12 * 3).collect();
    assert_eq!(taken, expected, "no number twice, none skipped");

    // Nobody reserves for another office: a unit below the caller's is refused, one outside the
    // jurisdiction is not even found, and roles that issue no notices are refused.
    let city = app.token("city.supervisor").await;
    let (status, body) = reserve(city, "r-city-1", office_unit, 5).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = reserve(app.token("xishan.supervisor").await, "r-xs-1", office_unit, 5).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    let handler_unit = unit_of("donghu.handler").await;
    let (status, _) = reserve(app.token("donghu.handler").await, "r-h-1", handler_unit, 5).await;
    assert_eq!(status, 403);
    // Bad input is explained.
    for (body, what) in [
        (json!({"request_id": "r-bad-1", "unit_id": office_unit, "year": year, "count": 0}), "count 0"),
        (json!({"request_id": "r-bad-2", "unit_id": office_unit, "year": year, "count": 51}), "count 51"),
        (json!({"request_id": "r-bad-3", "unit_id": office_unit, "year": 2020, "count": 5}), "an old year"),
        (json!({"request_id": "", "unit_id": office_unit, "year": year, "count": 5}), "no request id"),
        (
            json!({"request_id": "r-bad-4", "unit_id": office_unit, "year": year, "count": 5, "x": 1}),
            "an unknown field",
        ),
    ] {
        let (status, body) = app.post(&supervisor, "/api/v1/doc-numbers/reserve", body).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{what}: {body}");
    }

    // Every reservation is in the audit trail, once.
    let audited: i64 = app
        .db
        .read(|c| c.query_row("SELECT count(*) FROM audit_log WHERE action = 'doc_numbers.reserve'", (), |r| r.get(0)))
        .await
        .expect("audit");
    assert_eq!(audited, 2 + 12);
    second.stop().await;
}
