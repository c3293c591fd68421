//! The deadline watch: its automatic warnings, 催办 and escalations are ordinary case events (the
//! change feed, the audit log), never recorded twice, and on PostgreSQL one server at a time runs
//! it, another taking over when the leader dies.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use hcp_domain::Calendar;
use hcp_server::testing::{Backend, TestDb};
use hcp_server::watch::{pass, spawn_watch, PassReport};
use hcp_server::{AppState, Clock, Db};
use serde_json::Value;

use super::spawn_app;
use hcp_server::seed::{seed_demo, SeedOptions};

/// 09:00 Beijing time on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(1, 0, 0).expect("time").and_utc()
}

/// A case in rectification in 东湖区 and its due date.
async fn running_case(db: &Db) -> (i64, NaiveDate) {
    db.read(|c| {
        let id: i64 = c.query_row(
            "SELECT c.id FROM cases c JOIN org_units o ON o.name = '东湖区'
              WHERE c.state = 'in_rectification' AND c.unit_path >= o.path AND c.unit_path < o.path || '~'
              ORDER BY c.id LIMIT 1",
            (),
            |r| r.get(0),
        )?;
        let row = hcp_server::db::cases::get(c, id)?.expect("the case");
        let due = row.aggregate.and_then(|a| a.due_date).expect("a running deadline");
        Ok((id, due))
    })
    .await
    .expect("a running case")
}

async fn run_pass(db: &Db, now: DateTime<Utc>) -> PassReport {
    let db = db.clone();
    tokio::task::spawn_blocking(move || pass(&db, &Calendar::bundled(), now)).await.expect("task").expect("pass")
}

/// The case's 催办 events and who recorded them.
async fn urges(db: &Db, case_id: i64) -> Vec<(Option<i64>, String)> {
    db.read(move |c| {
        c.query_map(
            "SELECT actor_user_id, actor_name FROM case_events WHERE case_id = ?1 AND kind = 'urged' ORDER BY id",
            [case_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })
    .await
    .expect("events")
}

pub async fn the_deadline_watch_acts_once_through_the_feed_and_the_audit_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let (case_id, due) = running_case(&app.db).await;
    let cal = Calendar::bundled();
    let supervisor = app.token("donghu.supervisor").await;
    // The feed's end before the watch acts.
    let mut cursor = 0;
    loop {
        let (status, page) = app.get(&supervisor, &format!("/api/v1/sync/pull?after={cursor}&limit=5000")).await;
        assert_eq!(status, 200);
        cursor = page["cursor"].as_i64().expect("cursor");
        if !page["has_more"].as_bool().expect("has_more") {
            break;
        }
    }
    // The first working morning after the due date: one 催办 and the coordination office.
    let now = morning(cal.next_working_day(due));
    let report = run_pass(&app.db, now).await;
    assert!(report.running > 0 && report.urged > 0, "{report:?}");
    let refusals: Vec<(String, String, String)> = app
        .db
        .read(|c| {
            c.query_map(
                "SELECT command_id, coalesce(code, ''), coalesce(message, '') FROM commands WHERE status = 'rejected'",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .expect("refusals");
    assert_eq!(report.refused, 0, "{report:?} {refusals:?}");
    assert!(report.longest_write_ms < 1_000.0, "{report:?}");
    assert_eq!(urges(&app.db, case_id).await, [(None, "系统".to_owned())], "one 催办, by the system");
    // Again at once (a restart), and an hour later: nothing more.
    for later in [now, now + chrono::Duration::hours(1)] {
        let again = run_pass(&app.db, later).await;
        assert_eq!((again.warned, again.urged, again.escalated, again.refused), (0, 0, 0, 0), "{again:?}");
    }
    assert_eq!(urges(&app.db, case_id).await.len(), 1, "nothing twice");

    // The change feed brings the events to the district's replicas.
    let (status, page) = app.get(&supervisor, &format!("/api/v1/sync/pull?after={cursor}&limit=5000")).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["entity"] == "case_event" && c["row"]["row"]["case_id"] == case_id)
        .filter_map(|c| c["row"]["row"]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"urged"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "urged").count(), 1);
    // The audit log names the system as the actor.
    let (status, trail) = app.get(&supervisor, "/api/v1/audit?action=case.urge&limit=500").await;
    assert_eq!(status, 200);
    let mine: Vec<&Value> =
        trail.as_array().expect("entries").iter().filter(|e| e["target"] == format!("case:{case_id}")).collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["user_name"], "系统");
    assert_eq!(mine[0]["outcome"], "applied");
    // At night nothing happens, whatever is due.
    let night = morning(cal.add_working_days(due, 20)) + chrono::Duration::hours(13);
    let quiet = run_pass(&app.db, night).await;
    assert_eq!((quiet.warned, quiet.urged, quiet.escalated), (0, 0, 0), "{quiet:?}");
    app.server.stop().await;
}

/// A clock the test moves.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !ok() {
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two server processes (two connection pools) on one PostgreSQL database: one runs the watch;
/// when it dies the other takes over; nothing is recorded twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_watches_elect_one_leader_and_the_other_takes_over() {
    if hcp_server::testing::postgres_server().is_none() {
        return;
    }
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let store = tokio::task::spawn_blocking(move || {
        let store = TestDb::new(Backend::Postgres).expect("a test database");
        seed_demo(&store.db, &SeedOptions { evaluations: 400, seed: 6, today }).expect("seed");
        store
    })
    .await
    .expect("seed task");
    let (case_id, due) = running_case(&store.db).await;
    let cal = Calendar::bundled();
    let clock = Arc::new(TestClock(Mutex::new(morning(cal.next_working_day(due)))));
    let url = store.url.clone();
    let second = tokio::task::spawn_blocking(move || Db::open_postgres(&url)).await.expect("task").expect("db");
    let state = |db: Db| {
        let mut s = AppState::new(db);
        s.clock = clock.clone();
        s
    };
    let a = spawn_watch(state(store.db.clone()), Duration::from_millis(100));
    let b = spawn_watch(state(second), Duration::from_millis(100));
    wait_for("a leader", || a.status.passes.load(Ordering::SeqCst) + b.status.passes.load(Ordering::SeqCst) >= 3).await;
    let (a_leads, b_leads) = (a.status.leading.load(Ordering::SeqCst), b.status.leading.load(Ordering::SeqCst));
    assert!(a_leads ^ b_leads, "exactly one leads: {a_leads} {b_leads}");
    assert!(
        a.status.passes.load(Ordering::SeqCst) == 0 || b.status.passes.load(Ordering::SeqCst) == 0,
        "only the leader runs passes"
    );
    wait_for("the first 催办", || {
        let db = store.db.clone();
        std::thread::spawn(move || {
            db.read_blocking(|c| {
                c.query_row("SELECT COUNT(*) FROM case_events WHERE case_id = ?1 AND kind = 'urged'", [case_id], |r| {
                    r.get::<i64>(0)
                })
            })
        })
        .join()
        .expect("thread")
        .expect("count")
            == 1
    })
    .await;
    // Kill the leader; the other takes over.
    let (leader, follower) = if a_leads { (a, b) } else { (b, a) };
    leader.task.abort();
    let _ = leader.task.await;
    wait_for("the follower to lead", || follower.status.leading.load(Ordering::SeqCst)).await;
    let passes = follower.status.passes.load(Ordering::SeqCst);
    wait_for("passes of the new leader", || follower.status.passes.load(Ordering::SeqCst) >= passes + 2).await;
    // Six working days overdue: the second reminder period, one more 催办.
    *clock.0.lock().expect("clock") = morning(cal.add_working_days(due, 6));
    let passes = follower.status.passes.load(Ordering::SeqCst);
    wait_for("passes at the new time", || follower.status.passes.load(Ordering::SeqCst) >= passes + 3).await;
    follower.task.abort();
    let _ = follower.task.await;
    let urged: Vec<String> = store
        .db
        .read(move |c| {
            c.query_map(
                "SELECT kind FROM case_events WHERE case_id = ?1 AND kind = 'urged' ORDER BY id",
                [case_id],
                |r| r.get(0),
            )
        })
        .await
        .expect("events");
    assert_eq!(urged.len(), 2, "one 催办 per period, whoever led");
    // No case got two 催办 for one period anywhere in the city.
    let worst: i64 = store
        .db
        .read(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(n), 0) FROM (SELECT case_id, COUNT(*) AS n FROM case_events
                  WHERE kind = 'urged' GROUP BY case_id) t",
                (),
                |r| r.get(0),
            )
        })
        .await
        .expect("max");
    assert!(worst <= 2, "{worst}");
}
