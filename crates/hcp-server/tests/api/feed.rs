//! The change feed under concurrency, and two server processes on one database.

use std::collections::BTreeSet;

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{spawn_app, TestApp};

async fn hall_code(app: &TestApp) -> String {
    app.db
        .read(|c| {
            c.query_row("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| r.get(0))
        })
        .await
        .expect("hall")
}

fn rating(hall: &str, no: &str, level: &str) -> Value {
    json!({"source": "feed-test", "service_record_no": no, "unit_code": hall, "item_code": "X-1",
           "item_name": "居民身份证换领", "channel": 4, "level": level, "comment": "并发测试",
           "content_codes": [], "real_name": false, "rated_at": "2026-11-20T09:30:00+08:00"})
}

/// Pulls from `after` until the feed has nothing more right now; returns the sequence numbers seen
/// and the new cursor.
async fn drain(app: &TestApp, token: &str, after: i64, limit: usize) -> (Vec<i64>, i64) {
    drain_at(&app.http, &app.url(""), token, after, limit).await
}

/// [`drain`] from the server at `base`.
async fn drain_at(http: &reqwest::Client, base: &str, token: &str, mut after: i64, limit: usize) -> (Vec<i64>, i64) {
    let mut seen = Vec::new();
    loop {
        let r = http
            .get(format!("{base}/api/v1/sync/pull?after={after}&limit={limit}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("pull");
        assert_eq!(r.status().as_u16(), 200);
        let page: Value = r.json().await.expect("json");
        for c in page["changes"].as_array().expect("changes") {
            seen.push(c["seq"].as_i64().expect("seq"));
        }
        after = page["cursor"].as_i64().expect("cursor");
        if !page["has_more"].as_bool().expect("has_more") {
            return (seen, after);
        }
    }
}

/// Writers commit intake batches (each several changes: ratings, and cases with their events for
/// the bad ones) from parallel requests while pullers page through the feed with small pages.
/// Every puller must end with exactly the changes a quiet, complete read of the feed returns:
/// nothing skipped, nothing twice, in order.
pub async fn concurrent_writers_never_make_a_pull_skip_a_change(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let base = app.url("");
    writers_and_pullers(app, vec![base]).await;
}

/// The same, with the writers and the pullers spread over three server processes on one database
/// (this one and two `hcp-server serve` children): a change committed by one process is never
/// skipped by a puller reading from another, and a puller that takes each page from the next
/// process (as behind a round-robin load balancer), continuing one process's cursor on another,
/// still receives every change exactly once, in order.
pub async fn writers_on_three_server_processes_never_make_a_pull_skip_a_change(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let mut bases = vec![app.url("")];
    let mut children = Vec::new();
    for _ in 0..2 {
        let (child, base) = second_instance(&app).await;
        children.push(child);
        bases.push(base);
    }
    writers_and_pullers(app, bases).await;
    drop(children);
}

/// Starts another `hcp-server serve` on the test's database; returns it (killed when dropped) and its base URL.
async fn second_instance(app: &TestApp) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_hcp-server"))
            .args(["serve", "--database", &app.url, "--listen", &format!("127.0.0.1:{port}")])
            .env("HCP_LOG", "warn")
            .spawn()
            .expect("another instance"),
    );
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if app.http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return (child, base);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the instance at {base} does not answer");
}

/// One page of the feed from the server at `base`: (sequence numbers, cursor, has_more).
async fn page_at(http: &reqwest::Client, base: &str, token: &str, after: i64, limit: usize) -> (Vec<i64>, i64, bool) {
    let r = http
        .get(format!("{base}/api/v1/sync/pull?after={after}&limit={limit}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("pull");
    assert_eq!(r.status().as_u16(), 200, "pull from {base}");
    let page: Value = r.json().await.expect("json");
    let seqs = page["changes"].as_array().expect("changes").iter().map(|c| c["seq"].as_i64().expect("seq")).collect();
    (seqs, page["cursor"].as_i64().expect("cursor"), page["has_more"].as_bool().expect("has_more"))
}

/// Four writers and four pullers, writer `w` on `bases[w % n]`; pullers 0–2 on `bases[p % n]`,
/// puller 3 taking each page from the next base in turn.
async fn writers_and_pullers(app: std::sync::Arc<TestApp>, bases: Vec<String>) {
    let admin = app.token("admin").await;
    let reader = app.token("city.supervisor").await;
    let hall = hall_code(&app).await;
    let (_, start) = drain(&app, &reader, 0, 5_000).await;

    let mut writers = Vec::new();
    for w in 0..4 {
        let (app, admin, hall, base) = (app.clone(), admin.clone(), hall.clone(), bases[w % bases.len()].clone());
        writers.push(tokio::spawn(async move {
            for b in 0..12 {
                let levels = ["satisfied", "very_dissatisfied", "basically_satisfied", "dissatisfied"];
                let batch: Vec<Value> =
                    levels.iter().enumerate().map(|(i, l)| rating(&hall, &format!("W{w}-B{b}-{i}"), l)).collect();
                let r = app
                    .http
                    .post(format!("{base}/api/v1/intake/ratings"))
                    .bearer_auth(&admin)
                    .json(&json!({ "ratings": batch }))
                    .send()
                    .await
                    .expect("intake");
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                assert_eq!(status, 200, "writer {w} on {base}: {body}");
            }
        }));
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut pullers = Vec::new();
    for p in 0..3 {
        let (app, reader, done, base) = (app.clone(), reader.clone(), done.clone(), bases[p % bases.len()].clone());
        pullers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = start;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (page, next) = drain_at(&app.http, &base, &reader, cursor, 7).await;
                seen.extend(page);
                cursor = next;
                if finished {
                    return seen;
                }
            }
        }));
    }
    {
        let (app, reader, done, bases) = (app.clone(), reader.clone(), done.clone(), bases.clone());
        pullers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = start;
            for turn in 0.. {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (page, next, more) = page_at(&app.http, &bases[turn % bases.len()], &reader, cursor, 5).await;
                seen.extend(page);
                cursor = next;
                if !more && finished {
                    break;
                }
            }
            seen
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut lists = Vec::new();
    for p in pullers {
        lists.push(p.await.expect("puller"));
    }
    let (expected, _) = drain(&app, &reader, start, 5_000).await;
    // 192 ratings, 96 of them bad reviews that each opened a case (a case row and its event).
    assert!(expected.len() >= 192 + 96 * 2, "the writers' changes are in the feed: {}", expected.len());
    assert!(expected.windows(2).all(|w| w[0] < w[1]), "the feed is in order");
    for seen in &lists {
        let missed: Vec<&i64> = expected.iter().filter(|s| !seen.contains(s)).collect();
        assert!(missed.is_empty(), "a concurrent puller skipped {} changes: {missed:?}", missed.len());
        assert_eq!(seen, &expected, "a concurrent puller saw exactly the feed, once each, in order");
    }
    let ratings: i64 = app
        .db
        .read(|c| c.query_row("SELECT count(*) FROM ratings WHERE source = 'feed-test'", (), |r| r.get(0)))
        .await
        .expect("count");
    assert_eq!(ratings, 192);
}

/// Parallel intake batches that share ratings (a channel resending, two gateways relaying the same
/// device): each rating is stored once and reported `created` to exactly one request and
/// `duplicate`, with the same id, to every other; a bad review opens one case.
pub async fn concurrent_batches_with_shared_ratings_store_each_once(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let admin = app.token("admin").await;
    let hall = hall_code(&app).await;
    // 24 ratings; writer w sends ratings [6w, 6w + 12) (wrapping), so each rating is in two
    // batches, in a different place in each; every fourth is a bad review.
    let level = |i: usize| if i.is_multiple_of(4) { "dissatisfied" } else { "satisfied" };
    let mut writers = Vec::new();
    for w in 0..4usize {
        let (app, admin, hall) = (app.clone(), admin.clone(), hall.clone());
        writers.push(tokio::spawn(async move {
            let mut order: Vec<usize> = (0..12).map(|k| (6 * w + k) % 24).collect();
            if w % 2 == 1 {
                order.reverse();
            }
            let batch: Vec<Value> = order.iter().map(|i| rating(&hall, &format!("SHARED-{i}"), level(*i))).collect();
            let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({ "ratings": batch })).await;
            assert_eq!(status, 200, "{body}");
            let results = body["results"].as_array().expect("results").clone();
            order
                .into_iter()
                .zip(results)
                .map(|(i, r)| {
                    (
                        i,
                        r["status"].as_str().unwrap_or_default().to_owned(),
                        r["rating_id"].as_i64(),
                        r["case_id"].as_i64(),
                    )
                })
                .collect::<Vec<_>>()
        }));
    }
    // Per rating: (status, rating id, case id) in each batch that carried it.
    type Outcome = (String, Option<i64>, Option<i64>);
    let mut outcomes: std::collections::BTreeMap<usize, Vec<Outcome>> = Default::default();
    for w in writers {
        for (i, status, id, case) in w.await.expect("writer") {
            outcomes.entry(i).or_default().push((status, id, case));
        }
    }
    assert_eq!(outcomes.len(), 24);
    for (i, seen) in &outcomes {
        assert_eq!(seen.len(), 2, "rating {i} was in two batches");
        let created: Vec<_> = seen.iter().filter(|s| s.0 == "created").collect();
        let duplicate: Vec<_> = seen.iter().filter(|s| s.0 == "duplicate").collect();
        assert_eq!((created.len(), duplicate.len()), (1, 1), "rating {i}: {seen:?}");
        assert!(created[0].1.is_some() && created[0].1 == duplicate[0].1, "rating {i}: one id: {seen:?}");
        assert_eq!(created[0].2.is_some(), i.is_multiple_of(4), "rating {i}: a case for a bad review only: {seen:?}");
        assert!(duplicate[0].2.is_none(), "rating {i}: a duplicate opens no case: {seen:?}");
    }
    let (ratings, cases): (i64, i64) = app
        .db
        .read(|c| {
            Ok((
                c.query_row("SELECT count(*) FROM ratings WHERE service_record_no LIKE 'SHARED-%'", (), |r| r.get(0))?,
                c.query_row(
                    "SELECT count(*) FROM cases WHERE rating_id IN
                       (SELECT id FROM ratings WHERE service_record_no LIKE 'SHARED-%')",
                    (),
                    |r| r.get(0),
                )?,
            ))
        })
        .await
        .expect("counts");
    assert_eq!((ratings, cases), (24, 6));
}

pub(crate) struct Child(pub(crate) std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A second `hcp-server` process on the same database: sessions, commands, the change feed and
/// sign-in throttling are shared, because nothing lives only in one process's memory.
pub async fn two_server_instances_share_one_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let (child, other) = second_instance(&app).await;

    // A session opened on one instance works on the other.
    let manager = app.token("donghu.manager").await;
    let me = app.http.get(format!("{other}/api/v1/me")).bearer_auth(&manager).send().await.expect("me");
    assert_eq!(me.status().as_u16(), 200);

    // A command applied through the first instance: the second sees it in its feed and refuses a
    // command based on the old version.
    let (_, cursor) = drain(&app, &manager, 0, 5_000).await;
    let (id, version) = app.new_case("TWO-1").await;
    let verify = super::cmd("two-1", id, version, json!({"type": "verify", "outcome": "genuine"}));
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify).await;
    assert_eq!(status, 200, "{body}");
    let page: Value = app
        .http
        .get(format!("{other}/api/v1/sync/pull?after={cursor}"))
        .bearer_auth(&manager)
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("json");
    let case_seen: BTreeSet<i64> = page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["entity"] == "case")
        .filter_map(|c| c["entity_id"].as_i64())
        .collect();
    assert!(case_seen.contains(&id), "the other instance serves the new change: {page}");
    let stale = super::cmd("two-2", id, version, json!({"type": "verify", "outcome": "genuine"}));
    let r = app
        .http
        .post(format!("{other}/api/v1/cases/commands"))
        .bearer_auth(&manager)
        .json(&stale)
        .send()
        .await
        .expect("stale");
    assert_eq!(r.status().as_u16(), 409, "the second instance sees the new version");
    // The same command id sent to the other instance is a duplicate, not a second application.
    let again = super::cmd("two-1", id, version, json!({"type": "verify", "outcome": "genuine"}));
    let res: Value = app
        .http
        .post(format!("{other}/api/v1/sync/push"))
        .bearer_auth(&manager)
        .json(&json!({"client_id": "laptop-1", "commands": [again]}))
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("json");
    assert_eq!(res["results"][0]["status"], "duplicate", "{res}");

    // Wrong passwords spread over both instances add up to one limit.
    for i in 0..6 {
        let base = if i % 2 == 0 { app.url("") } else { other.clone() };
        let r = app
            .http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "xishan.manager", "password": "wrong"}))
            .send()
            .await
            .expect("login");
        if i < 5 {
            assert_eq!(r.status().as_u16(), 401, "attempt {i}");
        } else {
            assert_eq!(r.status().as_u16(), 429, "the sixth attempt is throttled on either instance");
        }
    }
    drop(child);
    app.server.stop().await;
}
