//! Two-way 12345 (issue 21 item 7): a 12345 case's progress and result go back to the hotline as
//! callbacks from an outbox filled in the events' own transactions, delivered in order per
//! ticket, retried with backoff past failures and timeouts, each exactly once as far as the
//! receiver can tell (one idempotency key per event), visible to administrators, who retry the
//! failed ones.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hcp_server::hotline::{self, HotlineConfig};
use hcp_server::testing::Backend;
use hcp_server::{AppState, Config};
use serde_json::{json, Value};

use super::{cmd, spawn_app_with, TestApp};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    key: String,
    event: String,
    body: Value,
    /// What the receiver answered: 200, 500…, or 0 when it let the request time out.
    answered: u16,
}

/// The hotline, played by a local axum server: it answers 500 and 503 to the first two requests,
/// lets the third time out, refuses everything of the tickets in `refuse`, and takes the rest
/// (remembering which keys it took, as a real receiver would, to notice repeats).
#[derive(Default)]
struct Receiver {
    hits: Vec<Hit>,
    refuse: BTreeSet<String>,
    bad_signatures: Vec<String>,
}

type Shared = Arc<Mutex<Receiver>>;

const SECRET: &str = "hotline-test-secret";

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let key = header("idempotency-key");
    let ts = header("x-hcp-timestamp");
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let answer = {
        let mut r = shared.lock().expect("lock");
        if header("x-hcp-signature") != hotline::signature(SECRET, &ts, &body) {
            r.bad_signatures.push(key.clone());
        }
        let n = r.hits.len();
        let ticket = parsed["ticket_no"].as_str().unwrap_or_default().to_owned();
        let answer = match n {
            0 => 500,
            1 => 503,
            2 => 0,
            _ if r.refuse.contains(&ticket) => 502,
            _ => 200,
        };
        r.hits.push(Hit { key, event: header("x-hcp-event"), body: parsed, answered: answer });
        answer
    };
    if answer == 0 {
        // Longer than the worker's timeout: the attempt fails as a timeout.
        tokio::time::sleep(Duration::from_secs(3)).await;
        return StatusCode::OK;
    }
    StatusCode::from_u16(answer).expect("status")
}

async fn spawn_receiver(shared: Shared) -> String {
    let app = axum::Router::new().route("/callback", axum::routing::post(receive)).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}/callback")
}

fn config(url: &str) -> Config {
    Config {
        hotline: HotlineConfig {
            url: Some(url.to_owned()),
            secret: Some(SECRET.to_owned()),
            timeout: Duration::from_millis(500),
            max_attempts: 3,
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(100),
            poll_every: Duration::from_millis(50),
        },
        ..Config::default()
    }
}

/// Deliveries of the whole database by state.
async fn states(app: &TestApp) -> BTreeMap<String, i64> {
    app.db
        .read(|c| {
            c.query_map("SELECT status, count(*) FROM hotline_deliveries GROUP BY status", (), |r| {
                Ok((r.get::<String>(0)?, r.get::<i64>(1)?))
            })
        })
        .await
        .expect("states")
        .into_iter()
        .collect()
}

/// Waits until `done` holds of the deliveries' states (at most a minute).
async fn wait_for(app: &TestApp, what: &str, done: impl Fn(&BTreeMap<String, i64>) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = states(app).await;
        if done(&s) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: still {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The event ids of the deliveries of a ticket, in the order they were enqueued (= event order).
async fn enqueued(app: &TestApp, ticket: &str) -> Vec<String> {
    let t = ticket.to_owned();
    app.db
        .read(move |c| {
            c.query_map("SELECT event_id FROM hotline_deliveries WHERE ticket_no = ?1 ORDER BY id", [t], |r| {
                Ok(hotline::delivery_key(r.get(0)?))
            })
        })
        .await
        .expect("deliveries")
}

async fn post_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, body) = app.post(token, path, body).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn command(app: &TestApp, token: &str, id: &str, case: i64, version: i64, c: Value) -> i64 {
    let body = post_ok(app, token, "/api/v1/cases/commands", cmd(id, case, version, c)).await;
    assert_eq!(body["status"], "applied", "{id}: {body}");
    body["case"]["version"].as_i64().expect("version")
}

pub async fn hotline_callbacks_arrive_once_in_order_past_failures_and_timeouts(backend: Backend) {
    let shared: Shared = Arc::default();
    let url = spawn_receiver(shared.clone()).await;
    let app = spawn_app_with(backend, |s| s.config = Arc::new(config(&url))).await;
    let root = app.token("admin").await;
    let manager = app.token("donghu.manager").await;
    let supervisor = app.token("donghu.supervisor").await;
    let handler = app.token("donghu.handler").await;
    let (_, hall_code) = app.unit_of("东湖区政务服务中心").await;
    let (dept, _) = app.unit_of("东湖区市场监督管理局窗口").await;
    let handler_id = app.user_id("donghu.handler").await;

    // The demo's 12345 complaints already wait in the outbox (none delivered: no worker yet).
    let before = states(&app).await;
    assert!(before.get("pending").copied().unwrap_or(0) > 0 && before.len() == 1, "{before:?}");

    // A complaint from a caller who gave their name and number, then its whole handling.
    let complaint = json!({"ticket_no": "HL-2026-0001", "unit_code": hall_code,
        "summary": "市民来电反映窗口推诿，联系电话13912345678", "real_name": true,
        "caller": {"name": "王小明", "phone": "13912345678"}, "received_at": "2026-11-20T09:00:00+08:00"});
    let body = post_ok(&app, &root, "/api/v1/intake/complaints", complaint.clone()).await;
    let case = body["case"]["id"].as_i64().expect("a case");
    let case_no = body["case"]["case_no"].as_str().expect("case no").to_owned();
    // The same ticket again opens nothing and enqueues nothing.
    post_ok(&app, &root, "/api/v1/intake/complaints", complaint).await;
    let v = command(&app, &manager, "hl-verify", case, 1, json!({"type": "verify", "outcome": "genuine"})).await;
    let v = command(
        &app,
        &manager,
        "hl-assign",
        case,
        v,
        json!({"type": "assign", "department_id": dept, "handler_id": handler_id}),
    )
    .await;
    // 催办 is internal supervision: the hotline does not hear of it.
    let v = command(&app, &supervisor, "hl-urge", case, v, json!({"type": "urge", "note": "请尽快签收"})).await;
    let v = command(&app, &handler, "hl-accept", case, v, json!({"type": "accept"})).await;
    let v = command(
        &app,
        &handler,
        "hl-rectify",
        case,
        v,
        json!({"type": "report_rectification", "measures": "已约谈窗口人员并电话回复市民（13912345678）", "evidence": []}),
    )
    .await;
    command(
        &app,
        &manager,
        "hl-visit",
        case,
        v,
        json!({"type": "return_visit", "method": "phone", "satisfied": true, "note": "市民表示满意"}),
    )
    .await;
    let expected_events = ["created", "verified", "assigned", "accepted", "rectification_reported", "return_visited"];
    let keys = enqueued(&app, "HL-2026-0001").await;
    assert_eq!(keys.len(), expected_events.len(), "one delivery per reported event, none for the urge: {keys:?}");

    // A bad review's case (not from 12345) enqueues nothing, whatever happens to it.
    let (other, v) = app.new_case("HL-N-1").await;
    command(&app, &manager, "hl-other-verify", other, v, json!({"type": "verify", "outcome": "genuine"})).await;
    let none: i64 = app
        .db
        .read(move |c| c.query_row("SELECT count(*) FROM hotline_deliveries WHERE case_id = ?1", [other], |r| r.get(0)))
        .await
        .expect("count");
    assert_eq!(none, 0);

    // The worker starts: past two 5xx answers and a timeout, everything is delivered.
    let state = AppState { config: Arc::new(config(&url)), ..AppState::new(app.db.clone()) };
    let worker = hotline::spawn_worker(state).expect("a worker, with a URL configured");
    wait_for(&app, "every delivery delivered", |s| s.len() == 1 && s.contains_key("delivered")).await;
    worker.task.abort();

    let (hits, bad_signatures) = {
        let r = shared.lock().expect("lock");
        (r.hits.clone(), r.bad_signatures.clone())
    };
    assert!(bad_signatures.is_empty(), "every request carries the right signature: {bad_signatures:?}");
    assert_eq!(
        hits.iter().take(3).map(|h| h.answered).collect::<Vec<_>>(),
        vec![500, 503, 0],
        "the first deliveries failed"
    );
    // Each failed attempt's key came again, with the same body, and was then taken.
    for failed in hits.iter().take(3) {
        let again: Vec<&Hit> = hits.iter().filter(|h| h.key == failed.key && h.answered == 200).collect();
        assert_eq!(again.len(), 1, "{} retried with the same key and taken once", failed.key);
        assert_eq!(again[0].body, failed.body, "the same body on every attempt");
    }
    // Taken exactly once each, and in order within each ticket.
    let taken: Vec<&Hit> = hits.iter().filter(|h| h.answered == 200).collect();
    let distinct: BTreeSet<&str> = taken.iter().map(|h| h.key.as_str()).collect();
    assert_eq!(distinct.len(), taken.len(), "no delivery taken twice");
    let total: i64 = before.values().sum::<i64>() + expected_events.len() as i64;
    assert_eq!(taken.len() as i64, total, "every delivery taken");
    let mut per_ticket: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for h in &taken {
        per_ticket.entry(h.body["ticket_no"].as_str().expect("ticket").to_owned()).or_default().push(h.key.clone());
    }
    for (ticket, got) in &per_ticket {
        assert_eq!(got, &enqueued(&app, ticket).await, "ticket {ticket} in event order");
    }

    // The new ticket's callbacks: what the hotline needs, nothing personal.
    let ours: Vec<&Hit> = hits.iter().filter(|h| h.answered == 200 && h.body["ticket_no"] == "HL-2026-0001").collect();
    assert_eq!(ours.iter().map(|h| h.event.as_str()).collect::<Vec<_>>(), expected_events);
    for h in &ours {
        let b = &h.body;
        assert_eq!(b["delivery_id"].as_str(), Some(h.key.as_str()));
        assert_eq!(b["case_no"].as_str(), Some(case_no.as_str()));
        assert_eq!(b["event"].as_str(), Some(h.event.as_str()));
        let text = b.to_string();
        for personal in ["王小明", "13912345678", "donghu", "推诿"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
        let fields: BTreeSet<&str> = b.as_object().expect("an object").keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            BTreeSet::from([
                "delivery_id",
                "ticket_no",
                "case_no",
                "event",
                "event_label",
                "status",
                "status_label",
                "occurred_at",
                "handling_unit",
                "due_date",
                "result",
                "satisfied"
            ])
        );
    }
    assert_eq!(ours[0].body["event_label"], "已受理");
    assert_eq!(ours[0].body["handling_unit"], "东湖区政务服务中心");
    assert_eq!(ours[2].body["handling_unit"], "东湖区市场监督管理局窗口");
    assert!(ours[2].body["due_date"].as_str().is_some_and(|d| d.len() == 10), "{}", ours[2].body);
    assert_eq!(ours[3].body["status"], "in_rectification");
    let measures = ours[4].body["result"].as_str().expect("the measures");
    assert!(measures.contains("139******78"), "the number masked: {measures}");
    assert_eq!(ours[5].body["satisfied"], true);
    assert_eq!(ours[5].body["result"], "市民表示满意");
    app.server.stop().await;
}

pub async fn hotline_deliveries_fail_hold_their_ticket_back_and_administrators_retry_them(backend: Backend) {
    let shared: Shared = Arc::default();
    {
        // The first three answers of the receiver are failures: spend them on a ticket of ours.
        let mut r = shared.lock().expect("lock");
        r.refuse.insert("HL-REFUSED".into());
    }
    let url = spawn_receiver(shared.clone()).await;
    let app = spawn_app_with(backend, |s| s.config = Arc::new(config(&url))).await;
    let root = app.token("admin").await;
    let manager = app.token("donghu.manager").await;
    let (_, hall_code) = app.unit_of("东湖区政务服务中心").await;
    // The demo's callbacks are out of the way: delivered already.
    app.db
        .write(|c| {
            c.execute("UPDATE hotline_deliveries SET status = 'delivered', delivered_at = '2026-11-20T00:00:00Z'", ())
        })
        .await
        .expect("mark delivered");

    let complaint = json!({"ticket_no": "HL-REFUSED", "unit_code": hall_code, "summary": "窗口推诿",
        "received_at": "2026-11-20T09:00:00+08:00"});
    let body = post_ok(&app, &root, "/api/v1/intake/complaints", complaint).await;
    let case = body["case"]["id"].as_i64().expect("a case");
    command(&app, &manager, "hl-r-verify", case, 1, json!({"type": "verify", "outcome": "genuine"})).await;

    let state = AppState { config: Arc::new(config(&url)), ..AppState::new(app.db.clone()) };
    let worker = hotline::spawn_worker(state).expect("a worker");
    wait_for(&app, "the first callback failed", |s| s.get("failed") == Some(&1)).await;

    // Administrators see it: failed after its three attempts, the later one waiting behind it.
    let (status, page) = app.get(&root, "/api/v1/admin/hotline/deliveries?status=failed").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["enabled"], true);
    assert_eq!(page["counts"]["failed"], 1, "{page}");
    let failed = &page["deliveries"][0];
    assert_eq!(failed["event"], "created");
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["attempt_log"].as_array().map(Vec::len), Some(3));
    let errors: Vec<String> = failed["attempt_log"]
        .as_array()
        .expect("log")
        .iter()
        .map(|a| a["http_status"].as_u64().map_or_else(|| a["error"].to_string(), |s| s.to_string()))
        .collect();
    assert!(errors.iter().any(|e| e.contains("超时")), "a timeout is recorded as one: {errors:?}");
    assert!(failed["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{failed}");
    let failed_id = failed["id"].as_i64().expect("id");
    let (_, page) = app.get(&root, "/api/v1/admin/hotline/deliveries?status=pending").await;
    let waiting = &page["deliveries"][0];
    assert_eq!(waiting["event"], "verified");
    assert_eq!(waiting["blocked_by"].as_i64(), Some(failed_id), "{waiting}");
    // Paging: one at a time, newest first.
    let (_, first) = app.get(&root, "/api/v1/admin/hotline/deliveries?limit=1").await;
    let next = first["next_before"].as_i64().expect("a next page");
    let (_, second) = app.get(&root, &format!("/api/v1/admin/hotline/deliveries?limit=1&before={next}")).await;
    assert!(second["deliveries"][0]["id"].as_i64() < first["deliveries"][0]["id"].as_i64());
    for bad in ["?limit=0", "?status=lost", "?colour=red"] {
        let (status, body) = app.get(&root, &format!("/api/v1/admin/hotline/deliveries{bad}")).await;
        assert!(matches!(status, 400 | 422), "{bad}: {status} {body}");
    }

    // Nobody but an administrator sees or retries; another district's administrator finds nothing.
    let supervisor = app.token("donghu.supervisor").await;
    let (status, _) = app.get(&supervisor, "/api/v1/admin/hotline/deliveries").await;
    assert_eq!(status, 403);
    let retry = format!("/api/v1/admin/hotline/deliveries/{failed_id}/retry");
    let (status, _) = app.post(&supervisor, &retry, json!({})).await;
    assert_eq!(status, 403);
    let (xishan, _) = app.unit_of("西山区").await;
    post_ok(
        &app,
        &root,
        "/api/v1/admin/users",
        json!({"username": "xishan.admin", "display_name": "西山区管理员", "password": "Admin@2026",
               "role": "administrator", "unit_id": xishan}),
    )
    .await;
    let (_, login) = app.login("xishan.admin", "Admin@2026").await;
    let foreign = login["token"].as_str().expect("token").to_owned();
    let (status, _) = app.post(&foreign, &retry, json!({})).await;
    assert_eq!(status, 404);
    let (_, theirs) = app.get(&foreign, "/api/v1/admin/hotline/deliveries").await;
    assert!(theirs["deliveries"].as_array().expect("list").iter().all(|d| d["ticket_no"] != "HL-REFUSED"), "{theirs}");

    // The hotline recovers; the administrator retries: both callbacks arrive, in order.
    shared.lock().expect("lock").refuse.clear();
    let (status, body) = app.post(&root, &retry, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(body["status"].as_str(), Some("retrying" | "delivered")), "{body}");
    wait_for(&app, "delivered after the retry", |s| s.len() == 1 && s.contains_key("delivered")).await;
    worker.task.abort();
    let taken: Vec<String> =
        shared.lock().expect("lock").hits.iter().filter(|h| h.answered == 200).map(|h| h.event.clone()).collect();
    assert_eq!(taken, vec!["created", "verified"]);
    // A delivered callback is not retried; the retry is in the audit log.
    let (status, body) = app.post(&root, &retry, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    let (_, audit) = app.get(&root, "/api/v1/audit?action=admin.hotline.").await;
    let entries = audit.as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["target"], format!("hotline_delivery:{failed_id}"));
    app.server.stop().await;
}
