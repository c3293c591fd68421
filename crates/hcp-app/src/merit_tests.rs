//! 服务明星 / 办事能手 and 绩效考核 through the app against a real server: candidates offline, a
//! confirmation queued offline and recorded once the server returns, the list and certificates as
//! PDFs, and the score sheets traced to their cases and exported as XLSX. Uses the real OS keyring
//! (run through `make test`).

use std::sync::Arc;

use hcp_domain::merit::AwardKind;
use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::*;

fn store() -> Arc<dyn SecretStore> {
    Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())))
}

/// Sets the city's award rule to one the seeded month's small samples meet (before the client
/// bootstraps, so the snapshot carries it).
fn permissive_rule(db: &Db) {
    db.write_blocking(|c| {
        let (id, path): (i64, String) =
            c.query_row("SELECT id, path FROM org_units WHERE kind = 'city'", (), |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut policy = hcp_protocol::JurisdictionPolicy::default();
        policy.assessment.min_sample = 1;
        policy.assessment.stars = hcp_domain::merit::StarRule { min_sample: 1, min_score: 0.5, stars: 2, able: 1 };
        let json = serde_json::to_string(&policy).map_err(|e| hcp_server::db::DbError::Corrupt(e.to_string()))?;
        hcp_server::db::settings::put(c, id, &path, "policy", &json, "2026-11-20T00:00:00Z")?;
        Ok(())
    })
    .expect("policy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_confirms_a_star_offline_prints_it_and_the_score_sheets_trace_every_point() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 500, seed: 11, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    permissive_rule(&db);
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let addr = srv.addr;

    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(LoginRequest {
        server_url: srv.url(),
        username: "city.supervisor".into(),
        password: DEMO_PASSWORD.into(),
        remember: true,
    })
    .await
    .expect("login");
    app.sync_once().await.expect("bootstrap");

    // Offline: the candidates come from the replica's league, by the policy the server distributed.
    srv.stop().await;
    let board = app.star_board("2026-11".into()).await.expect("board");
    assert!(board.may_confirm);
    assert_eq!(board.rule.stars, 2);
    let star = board.lines.iter().find(|l| l.kind == AwardKind::Star).expect("a star candidate").clone();
    assert_eq!(star.status, "candidate");
    assert_eq!(star.entry.bad_reviews, 0);
    // Printing needs a confirmed award.
    let none = app.print_awards("2026-11".into(), merit::AwardDocument::List).await.expect_err("nothing yet");
    assert_eq!(none.code, ErrorCode::InvalidInput);
    // A candidate for one title is not confirmed as the other; the confirmation queues.
    let wrong = app.confirm_award("2026-11".into(), AwardKind::Able, star.entry.id).await.expect_err("wrong title");
    assert_eq!(wrong.code, ErrorCode::Conflict);
    let after = app.confirm_award("2026-11".into(), AwardKind::Star, star.entry.id).await.expect("queued");
    let line = after.lines.iter().find(|l| l.entry.id == star.entry.id).expect("still listed");
    assert_eq!(line.status, "pending");
    let twice = app.confirm_award("2026-11".into(), AwardKind::Star, star.entry.id).await.expect_err("queued once");
    assert_eq!(twice.code, ErrorCode::Conflict);
    let queued = app.outbox().await.expect("outbox");
    assert_eq!(queued.iter().filter(|i| i.kind == merit::CONFIRM_AWARD).count(), 1);

    // The server returns: the award is recorded once and comes back through the feed.
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    app.sync_once().await.expect("sync");
    let board = app.star_board("2026-11".into()).await.expect("board");
    let line = board.lines.iter().find(|l| l.entry.id == star.entry.id).expect("the award");
    assert_eq!(line.status, "confirmed");
    assert_eq!(line.confirmed_by_name.as_deref().map(str::is_empty), Some(false));
    assert!(app.outbox().await.expect("outbox").iter().all(|i| i.kind != merit::CONFIRM_AWARD), "settled");
    let n: i64 = db.read(|c| c.query_row("SELECT count(*) FROM awards", (), |r| r.get(0))).await.expect("count");
    assert_eq!(n, 1, "recorded once");
    srv.stop().await;

    // The list and the certificates, offline.
    for (what, title) in [(merit::AwardDocument::List, "名单"), (merit::AwardDocument::Certificates, "荣誉证书")]
    {
        let printed = app.print_awards("2026-11".into(), what).await.expect("printed");
        assert_eq!(printed.count, 1);
        let out =
            std::process::Command::new("pdftotext").args([printed.path.as_str(), "-"]).output().expect("pdftotext");
        let text = String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "");
        assert!(text.contains(title), "{text}");
        assert!(text.contains(&star.entry.name), "{text}");
    }

    // The score sheets: every line is its base less its items, every item names its case or award.
    let sheets = app.score_sheets("2026-11".into()).await.expect("sheets");
    for sheet in [&sheets.units, &sheets.staff] {
        assert!(!sheet.lines.is_empty());
        for l in &sheet.lines {
            let sum: f64 = sheet.items.iter().filter(|i| i.subject == l.id).map(|i| i.points).sum();
            assert!(((sheet.formula.base + sum).max(0.0) - l.score).abs() < 1e-6, "{l:?}");
        }
        for i in &sheet.items {
            assert!(!i.reference.is_empty(), "{i:?}");
            assert_eq!(i.case_id.is_some(), i.kind != hcp_domain::merit::FactKind::Award, "{i:?}");
        }
    }
    let star_line = sheets.staff.lines.iter().find(|l| l.id == star.entry.id).expect("the star's line");
    assert_eq!(star_line.awards, 1);
    assert_eq!(star_line.bad_reviews, 0, "a candidate had no bad review standing");
    assert!(
        sheets.units.items.iter().any(|i| i.kind == hcp_domain::merit::FactKind::BadReview),
        "the month had bad reviews"
    );
    let target = dir.path().join("绩效考核.xlsx");
    let file = app.export_score_sheets("2026-11".into(), target.display().to_string()).await.expect("export");
    assert_eq!(file.rows as usize, sheets.units.lines.len() + sheets.staff.lines.len());
    let bytes = std::fs::read(&target).expect("xlsx");
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
    assert_eq!(app.score_sheets("2026-13".into()).await.expect_err("bad period").code, ErrorCode::InvalidInput);
}
