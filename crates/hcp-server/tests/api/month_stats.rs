//! The month statistics and the replication window: closed months rolled up equal the published
//! facts, follow a late rating and an exclusion, and a windowed snapshot and pull send every
//! earlier month as statistics instead of ratings.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use hcp_protocol::{Entity, EntityRow, PullResponse, SnapshotLine};
use hcp_server::db::{cases, rating_stats, ratings};
use hcp_server::testing::Backend;
use hcp_server::Clock;

use super::spawn_app_with;

struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// (month, unit, staff or 0, level or "", channel or 0) → (rated, real name, excluded), over the
/// paths within the unit.
type Sums = BTreeMap<(String, i64, i64, String, i64), (i64, i64, i64)>;

fn month_of(at: DateTime<Utc>) -> String {
    hcp_domain::calendar::beijing_date(at).format("%Y-%m").to_string()
}

/// The rows the published facts give, written independently of the roll-up's SQL.
fn from_facts(facts: &[hcp_domain::kpi::RatingFact], months: &[String]) -> Sums {
    let mut out = Sums::new();
    for f in facts {
        let month = month_of(f.rated_at);
        if !months.contains(&month) {
            continue;
        }
        let add = |e: &mut (i64, i64, i64)| {
            e.0 += i64::from(!f.excluded);
            e.1 += i64::from(f.real_name && !f.excluded);
            e.2 += i64::from(f.excluded);
        };
        let level = f.level.as_str().to_owned();
        add(out.entry((month.clone(), f.unit_id, 0, level.clone(), 0)).or_default());
        if !f.excluded {
            out.entry((month.clone(), f.unit_id, 0, String::new(), i64::from(f.channel))).or_default().0 += 1;
        }
        if let Some(s) = f.staff_id {
            add(out.entry((month, f.unit_id, s, level, 0)).or_default());
        }
    }
    out
}

async fn stored(db: &hcp_server::Db, months: &[String]) -> Sums {
    let months = months.to_vec();
    db.read(move |c| {
        let mut out = Sums::new();
        for m in &months {
            for r in rating_stats::of_month(c, m)? {
                let level = r.level.map_or_else(String::new, |l| l.as_str().to_owned());
                let e: &mut (i64, i64, i64) =
                    out.entry((r.month, r.unit_id, r.staff_id, level, i64::from(r.channel))).or_default();
                e.0 += r.n_rated;
                e.1 += r.n_real_name;
                e.2 += r.n_excluded;
            }
        }
        Ok(out)
    })
    .await
    .expect("stats")
}

async fn facts(db: &hcp_server::Db) -> Vec<hcp_domain::kpi::RatingFact> {
    db.read(|c| hcp_stats::rating_facts(c, "/").map_err(|e| hcp_server::db::DbError::Corrupt(e.to_string())))
        .await
        .expect("facts")
}

async fn pull_page(app: &super::TestApp, token: &str, after: i64) -> PullResponse {
    let url = app.url(&format!("/api/v1/sync/pull?after={after}&limit=500"));
    app.http.get(url).bearer_auth(token).send().await.expect("pull").json().await.expect("page")
}

pub async fn closed_months_are_rolled_up_kept_current_and_sent_instead_of_old_ratings(backend: Backend) {
    // December 7th: November and every month before it are closed.
    let now: DateTime<Utc> = "2026-12-07T02:00:00Z".parse().expect("time");
    let clock = Arc::new(TestClock(Mutex::new(now)));
    let app = spawn_app_with(backend, |s| s.clock = clock.clone()).await;
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    // Before any roll-up there is no window: the whole history is replicated, as before.
    let token = app.token("donghu.supervisor").await;
    let pull = pull_page(&app, &token, 0).await;
    assert_eq!(pull.window, None);

    let today = hcp_domain::calendar::beijing_date(now);
    let at2 = at.clone();
    let rolled = app.db.write(move |c| rating_stats::roll_up_closed(c, today, &at2)).await.expect("roll up");
    assert!(rolled.len() >= 2, "the seeded months before December: {rolled:?}");
    assert!(!rolled.contains(&"2026-12".to_owned()), "the current month is not closed");
    // Idempotent: a second pass (another process) finds nothing to do.
    let at2 = at.clone();
    assert!(app.db.write(move |c| rating_stats::roll_up_closed(c, today, &at2)).await.expect("again").is_empty());
    assert_eq!(
        stored(&app.db, &rolled).await,
        from_facts(&facts(&app.db).await, &rolled),
        "the roll-up equals the facts"
    );

    // A late rating of a closed month joins its statistics, with its change in the feed.
    let late = {
        let facts = facts(&app.db).await;
        let f = facts
            .iter()
            .find(|f| month_of(f.rated_at) == "2026-10" && f.staff_id.is_some())
            .expect("an October rating");
        f.id
    };
    let at2 = at.clone();
    let (new_id, seq_before) = app
        .db
        .write(move |c| {
            let seq = hcp_server::db::changes::head(c)?;
            let mut r = hcp_store::get::<hcp_protocol::RatingRow>(c, late)?.expect("rating");
            r.service_record_no = format!("{}-LATE", r.service_record_no);
            r.rated_at = "2026-10-31T15:59:59Z".into();
            Ok((ratings::insert(c, &r, &ratings::Evaluator::default(), &at2)?, seq))
        })
        .await
        .expect("late rating");
    assert!(new_id > late);
    assert_eq!(
        stored(&app.db, &rolled).await,
        from_facts(&facts(&app.db).await, &rolled),
        "the late rating is counted"
    );
    let announced: i64 = app
        .db
        .read(move |c| {
            c.query_row("SELECT count(*) FROM changes WHERE seq > ?1 AND entity = 'rating_stat'", [seq_before], |r| {
                r.get(0)
            })
        })
        .await
        .expect("changes");
    assert!(announced >= 2, "the unit's and the member's rows changed: {announced}");

    // A case of a closed month leaving the statistics moves its rating to the excluded column.
    let at2 = at.clone();
    app.db
        .write(move |c| {
            let id: i64 = c.query_row(
                "SELECT c.id FROM cases c JOIN ratings r ON r.id = c.rating_id
                  WHERE r.rated_at >= '2026-09-30T16:00:00Z' AND r.rated_at < '2026-10-31T16:00:00Z' ORDER BY c.id LIMIT 1",
                (),
                |r| r.get(0),
            )?;
            let mut row = cases::get(c, id)?.expect("case");
            let mut agg = row.aggregate.clone().expect("aggregate");
            agg.excluded_from_stats = true;
            row.aggregate = Some(agg);
            cases::update(c, &row, &at2)
        })
        .await
        .expect("exclude");
    let after = stored(&app.db, &rolled).await;
    assert_eq!(after, from_facts(&facts(&app.db).await, &rolled), "the exclusion is counted");
    assert!(after.values().any(|v| v.2 > 0), "some rating is excluded");

    // The window: November and December (the policy's default of 2 months).
    let lines: Vec<SnapshotLine> = app
        .http
        .get(app.url("/api/v1/sync/snapshot"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("snapshot")
        .text()
        .await
        .expect("body")
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    let Some(SnapshotLine::Begin { window: Some(window), expected, scope_path, .. }) = lines.first() else {
        panic!("no window in {:?}", lines.first())
    };
    assert_eq!((window.month.as_str(), window.since.as_str()), ("2026-11", "2026-10-31T16:00:00Z"));
    let case_ratings: std::collections::BTreeSet<i64> = lines
        .iter()
        .filter_map(|l| match l {
            SnapshotLine::Row { row: EntityRow::Case(c) } => c.rating_id,
            _ => None,
        })
        .collect();
    let mut old_kept = 0;
    let mut stats = 0;
    for l in &lines {
        match l {
            SnapshotLine::Row { row: EntityRow::Rating(r) } if r.rated_at.as_str() < window.since.as_str() => {
                assert!(case_ratings.contains(&r.id), "an old rating is sent only when it opened a case: {}", r.id);
                old_kept += 1;
            }
            SnapshotLine::Row { row: EntityRow::RatingStat(s) } => {
                assert!(s.unit_path.starts_with(scope_path.as_str()), "the supervisor's own only: {}", s.unit_path);
                stats += 1;
            }
            _ => {}
        }
    }
    assert!(old_kept > 0 && stats > 0, "{old_kept} old case ratings, {stats} statistics rows");
    assert_eq!(expected.get(Entity::RatingStat), stats as u64);
    let since: DateTime<Utc> = window.since.parse().expect("since");
    let rated_before = facts(&app.db).await.iter().filter(|f| f.rated_at < since).count();
    assert!(rated_before > old_kept, "old ratings without a case stay on the server");

    // The feed: a late rating outside the window is not sent (its statistics are), the page says
    // the window, and one inside it is sent.
    let Some(SnapshotLine::End { cursor, .. }) = lines.last() else { panic!("no end") };
    let cursor = *cursor;
    let at2 = at.clone();
    app.db
        .write(move |c| {
            let mut r = hcp_store::get::<hcp_protocol::RatingRow>(c, late)?.expect("rating");
            r.level = hcp_domain::Level::Satisfied;
            for (no, when) in [("OLD", "2026-10-15T02:00:00Z"), ("NEW", "2026-12-01T02:00:00Z")] {
                r.service_record_no = format!("WINDOW-{no}");
                r.rated_at = when.into();
                ratings::insert(c, &r, &ratings::Evaluator::default(), &at2)?;
            }
            Ok(())
        })
        .await
        .expect("two ratings");
    let pull = pull_page(&app, &token, cursor).await;
    assert_eq!(pull.window.as_ref(), Some(window));
    let sent: Vec<&str> = pull
        .changes
        .iter()
        .filter_map(|c| match &c.row {
            Some(EntityRow::Rating(r)) => Some(r.service_record_no.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec!["WINDOW-NEW"], "only the rating inside the window");
    assert!(pull.changes.iter().any(|c| c.entity == Entity::RatingStat), "the old one's statistics are");
    // A department handler's jurisdiction lies inside a hall: it holds its whole history.
    let handler = app.token("donghu.handler").await;
    assert_eq!(pull_page(&app, &handler, 0).await.window, None);
    app.server.stop().await;
}
