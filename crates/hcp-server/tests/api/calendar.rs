//! Provisional deadlines (issue 18 item 6): a deadline counted into a year without the State
//! Council's notice is counted on the statutory holidays and marked provisional; administrators and
//! supervisors are warned; importing the official arrangement re-counts the moved deadlines,
//! audits them, lists them, and sends them to the replicas.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{cmd, spawn_app_with, TestApp};

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock") = at;
    }
}

impl hcp_server::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// Beijing local time as an instant.
fn bj(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("offset")
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("time")
        .with_timezone(&Utc)
}

/// The made-up 2027 arrangement in the holiday-cn format (a test fixture, not the notice).
pub(crate) fn fixture_2027() -> Value {
    let path = std::path::Path::new(
        &std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../hcp-domain/tests/data/fixtures/2027-holiday-cn.test-fixture.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture json")
}

/// At `at`: the 督查 supervisor opens a case about the market regulator's window, the hall manager
/// verifies it and assigns it to the window's handler (5 working days by default). Returns the
/// case as the assignment's result sends it.
async fn assigned_case(app: &TestApp, clock: &TestClock, n: u32, at: DateTime<Utc>) -> Value {
    clock.set(at);
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let (dept, dept_path): (i64, String) = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT id, path FROM org_units WHERE name = ?1",
                ["东湖区市场监督管理局窗口"],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .expect("department");
    let handler = app
        .db
        .read(|c| hcp_server::db::users::by_username(c, "donghu.handler"))
        .await
        .expect("read")
        .expect("handler")
        .id;
    let create = json!({"type": "create", "source": "supervision", "unit": dept_path,
                        "summary": format!("督查发现：窗口未执行一次性告知制度（{n}）")});
    let (status, body) = app
        .post(
            &supervisor,
            "/api/v1/cases/commands",
            json!({"command_id": format!("cal-create-{n}"), "case_id": null, "base_version": null, "command": create}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["case"]["id"].as_i64().expect("id");
    let verify = cmd(&format!("cal-verify-{n}"), id, 1, json!({"type": "verify", "outcome": "genuine"}));
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    let assign = json!({"type": "assign", "department_id": dept, "handler_id": handler});
    let (status, body) =
        app.post(&manager, "/api/v1/cases/commands", cmd(&format!("cal-assign-{n}"), id, 2, assign)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    body["case"].clone()
}

pub async fn provisional_deadlines_are_marked_warned_of_and_recounted_when_the_notice_is_imported(backend: Backend) {
    let clock = TestClock(Arc::new(Mutex::new(bj(2026, 12, 21, 9))));
    let app = spawn_app_with(backend, |state| state.clock = Arc::new(clock.clone())).await;

    // December 2026: the 2027 notice is missing. Supervisors and administrators are told; the
    // hall manager may not read the calendar's administration.
    let supervisor = app.token("donghu.supervisor").await;
    let (status, cal) = app.get(&supervisor, "/api/v1/admin/calendar").await;
    assert_eq!(status, 200, "{cal}");
    assert_eq!(cal["missing_year"], 2027, "{cal}");
    assert!(cal["warning"].as_str().unwrap_or_default().contains("2027 年"), "{cal}");
    assert_eq!(cal["covered_years"].as_array().and_then(|y| y.last()).cloned(), Some(json!(2026)));
    assert_eq!(cal["provisional_years"][0], 2027, "{cal}");
    let spring = cal["provisional"][0]["holidays"]
        .as_array()
        .expect("holidays")
        .iter()
        .find(|h| h["name"] == "春节")
        .cloned()
        .expect("春节");
    assert_eq!((spring["first"].as_str(), spring["last"].as_str()), (Some("2027-02-05"), Some("2027-02-10")));
    let manager = app.token("donghu.manager").await;
    let (status, body) = app.get(&manager, "/api/v1/admin/calendar").await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    clock.set(bj(2026, 9, 30, 9));
    let (_, september) = app.get(&supervisor, "/api/v1/admin/calendar").await;
    assert!(september["missing_year"].is_null() && september["warning"].is_null(), "{september}");

    // Friday 25 December 2026 + 5 working days: not New Year's Day but Monday 4 January 2027,
    // provisional.
    let a = assigned_case(&app, &clock, 1, bj(2026, 12, 25, 10)).await;
    assert_eq!((a["deadline"].as_str(), a["deadline_provisional"].as_bool()), (Some("2027-01-04"), Some(true)), "{a}");
    // Monday 1 February 2027: 2, 3, 4, then after the Spring Festival (5–10 Feb) 11, 12 February.
    let b = assigned_case(&app, &clock, 2, bj(2027, 2, 1, 10)).await;
    assert_eq!((b["deadline"].as_str(), b["deadline_provisional"].as_bool()), (Some("2027-02-12"), Some(true)));
    // Wednesday 17 February 2027: 18, 19, 22, 23, 24 February.
    let c = assigned_case(&app, &clock, 3, bj(2027, 2, 17, 10)).await;
    assert_eq!(c["deadline"].as_str(), Some("2027-02-24"));
    let ids: Vec<i64> = [&a, &b, &c].iter().map(|x| x["id"].as_i64().expect("id")).collect();
    // In 2027 itself the current year's notice is missing.
    let supervisor = app.token("donghu.supervisor").await;
    let (_, cal) = app.get(&supervisor, "/api/v1/admin/calendar").await;
    assert_eq!(cal["missing_year"], 2027, "{cal}");

    // The replicas receive the mark with the rows.
    let manager = app.token("donghu.manager").await;
    let (status, page) = app.get(&manager, "/api/v1/sync/pull?after=0&limit=100000").await;
    assert_eq!(status, 200);
    let fed = |page: &Value, id: i64| {
        page["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .rev()
            .find(|ch| ch["entity"] == "case" && ch["entity_id"] == id)
            .map(|ch| ch["row"]["row"].clone())
            .expect("the case in the feed")
    };
    assert_eq!(fed(&page, ids[1])["deadline_provisional"], true);

    // Bad imports are refused with a reason; only the city's administrator imports.
    clock.set(bj(2027, 2, 18, 9));
    let admin = app.token("admin").await;
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let notice = json!({"number": "测试用例〔2026〕1号", "title": "测试夹具：虚构的 2027 年放假安排", "url": ""});
    let post = reqwest::Method::POST;
    let (status, body) = app
        .send(
            post.clone(),
            &admin,
            "/api/v1/admin/calendar/years",
            json!({"notice": notice, "holiday_cn": {"year": "x"}}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("放假安排无效"), "{body}");
    let (status, body) = app
        .send(
            post.clone(),
            &admin,
            "/api/v1/admin/calendar/years",
            json!({"notice": notice, "holiday_cn": fixture_2027(), "extra": 1}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "unknown fields are refused: {body}");
    let typo = json!({"notice": {"number": "x", "title": "t", "ulr": ""}, "holiday_cn": fixture_2027()});
    let (status, body) = app.send(post.clone(), &admin, "/api/v1/admin/calendar/years", typo).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let no_number = json!({"notice": {"number": " ", "title": "t", "url": ""}, "holiday_cn": fixture_2027()});
    let (status, body) = app.send(post.clone(), &admin, "/api/v1/admin/calendar/years", no_number).await;
    assert_eq!(status, 422, "a year needs its notice's number: {body}");
    let (status, _) = app
        .send(
            post.clone(),
            &supervisor,
            "/api/v1/admin/calendar/years",
            json!({"notice": notice, "holiday_cn": fixture_2027()}),
        )
        .await;
    assert_eq!(status, 403);

    // The official 2027 arrangement arrives (here the test fixture): 11 and 12 February become
    // days off, Saturday 20 February a working day.
    let head = app.db.read(hcp_server::db::changes::head).await.expect("head");
    let (status, out) = app
        .send(
            post.clone(),
            &admin,
            "/api/v1/admin/calendar/years",
            json!({"notice": notice, "holiday_cn": fixture_2027()}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["setting"]["key"], "calendar");
    let moved: Vec<(i64, String, String)> = out["recounted"]
        .as_array()
        .expect("recounted")
        .iter()
        .map(|m| {
            (
                m["case_id"].as_i64().expect("id"),
                m["old_deadline"].as_str().expect("old").to_owned(),
                m["new_deadline"].as_str().expect("new").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        [
            (ids[1], "2027-02-12".to_owned(), "2027-02-16".to_owned()),
            (ids[2], "2027-02-24".to_owned(), "2027-02-23".to_owned()),
        ],
        "the Friday-before-New-Year case keeps 4 January: {out}"
    );
    assert!(out["recounted"][0]["case_no"].as_str().is_some_and(|n| !n.is_empty()));

    // Audited, one entry per moved deadline and one for the calendar.
    let audit: Vec<(String, String, String)> = app
        .db
        .read(|c| {
            c.query_map(
                "SELECT action, target, detail FROM audit_log
                  WHERE action IN ('case.deadline.recount', 'admin.calendar.put') ORDER BY id",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .expect("audit");
    assert_eq!(
        audit,
        [
            ("admin.calendar.put".to_owned(), audit[0].1.clone(), "2019–2027".to_owned()),
            ("case.deadline.recount".to_owned(), format!("case:{}", ids[1]), "2027-02-12 → 2027-02-16".to_owned()),
            ("case.deadline.recount".to_owned(), format!("case:{}", ids[2]), "2027-02-24 → 2027-02-23".to_owned()),
        ]
    );

    // The replicas receive the new deadlines, no longer provisional, and the calendar.
    let (_, page) = app.get(&manager, &format!("/api/v1/sync/pull?after={head}&limit=1000")).await;
    for (id, due) in [(ids[1], "2027-02-16"), (ids[2], "2027-02-23")] {
        let row = fed(&page, id);
        assert_eq!(
            (row["deadline"].as_str(), row["deadline_provisional"].as_bool()),
            (Some(due), Some(false)),
            "{row}"
        );
        assert_eq!(row["aggregate"]["due_date"].as_str(), Some(due));
    }
    assert!(page["changes"].as_array().expect("changes").iter().any(|ch| ch["entity"] == "setting"));
    let (_, cal) = app.get(&admin, "/api/v1/admin/calendar").await;
    assert_eq!((cal["source"].as_str(), cal["missing_year"].is_null()), (Some("distributed"), true), "{cal}");
    assert_eq!(cal["provisional_years"][0], 2028);

    // The recounted deadline is the one the case runs on: the handler's next command keeps it,
    // and importing the same year again moves nothing.
    let (status, again) = app
        .send(post, &admin, "/api/v1/admin/calendar/years", json!({"notice": notice, "holiday_cn": fixture_2027()}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["recounted"], json!([]), "{again}");
    let handler = app.token("donghu.handler").await;
    let accept = cmd("cal-accept", ids[1], 3, json!({"type": "accept"}));
    let (status, body) = app.post(&handler, "/api/v1/cases/commands", accept).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(
        (body["case"]["deadline"].as_str(), body["case"]["deadline_provisional"].as_bool()),
        (Some("2027-02-16"), Some(false)),
        "{body}"
    );
}
