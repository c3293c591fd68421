//! The snapshot stream: its order (entities in `Entity::ALL` order, each by id) and resuming an
//! interrupted one after the last row a client kept.

use hcp_protocol::{Counts, Entity, SnapshotLine};
use hcp_server::testing::Backend;
use serde_json::Value;

use super::{spawn_app, TestApp};

/// (status, lines) of a snapshot request with `query`.
async fn snapshot(app: &TestApp, token: &str, query: &[(&str, String)]) -> (u16, Vec<SnapshotLine>, Value) {
    let r = app.http.get(app.url("/api/v1/sync/snapshot")).query(query).bearer_auth(token).send().await.expect("get");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    if status != 200 {
        return (status, Vec::new(), serde_json::from_str(&text).unwrap_or(Value::Null));
    }
    let lines = text.lines().map(|l| serde_json::from_str(l).expect("a snapshot line")).collect();
    (status, lines, Value::Null)
}

fn rows(lines: &[SnapshotLine]) -> Vec<(Entity, i64)> {
    lines
        .iter()
        .filter_map(|l| match l {
            SnapshotLine::Row { row } => Some((row.entity(), row.id())),
            _ => None,
        })
        .collect()
}

fn rank(e: Entity) -> usize {
    Entity::ALL.iter().position(|x| *x == e).expect("listed")
}

fn begin(lines: &[SnapshotLine]) -> (Counts, Option<i64>, Option<hcp_protocol::SnapshotResume>) {
    match lines.first() {
        Some(SnapshotLine::Begin { expected, cursor, resumed, .. }) => (expected.clone(), *cursor, resumed.clone()),
        other => panic!("no begin line: {other:?}"),
    }
}

fn end(lines: &[SnapshotLine]) -> (i64, Counts) {
    match lines.last() {
        Some(SnapshotLine::End { cursor, counts }) => (*cursor, counts.clone()),
        other => panic!("no end line: {other:?}"),
    }
}

fn resume(cursor: i64, scope: &str, entity: Entity, after: i64) -> Vec<(&'static str, String)> {
    vec![
        ("resume_cursor", cursor.to_string()),
        ("resume_scope", scope.to_owned()),
        ("resume_entity", entity.as_str().to_owned()),
        ("resume_after", after.to_string()),
    ]
}

pub async fn a_snapshot_streams_in_a_fixed_order_and_resumes_after_the_last_row_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token("donghu.supervisor").await;
    let me: Value =
        app.http.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.expect("me").json().await.expect("json");
    let scope = me["scope_path"].as_str().expect("scope").to_owned();

    let (status, full, _) = snapshot(&app, &token, &[]).await;
    assert_eq!(status, 200);
    let all = rows(&full);
    let (expected, cursor, resumed) = begin(&full);
    let cursor = cursor.expect("the begin line carries the cursor");
    assert_eq!(resumed, None);
    assert_eq!(end(&full), (cursor, expected.clone()));
    assert_eq!(expected.total(), all.len() as u64);
    assert!(
        all.windows(2).all(|w| (rank(w[0].0), w[0].1) < (rank(w[1].0), w[1].1)),
        "entities in Entity::ALL order, each by id"
    );
    for e in [Entity::OrgUnit, Entity::Staff, Entity::User, Entity::Rating, Entity::Case, Entity::CaseEvent] {
        assert!(expected.get(e) > 0, "{e:?} in the demo jurisdiction");
    }

    // Resume after rows in the middle of several entities (and after the very last one).
    for k in [0, 3, all.len() / 3, all.len() / 2, all.len() - 2, all.len() - 1] {
        let (entity, id) = all[k];
        let (status, part, body) = snapshot(&app, &token, &resume(cursor, &scope, entity, id)).await;
        assert_eq!(status, 200, "{body}");
        let (expected, begin_cursor, resumed) = begin(&part);
        assert_eq!(begin_cursor, Some(cursor));
        assert_eq!(resumed, Some(hcp_protocol::SnapshotResume { cursor, entity, after_id: id }));
        assert_eq!(rows(&part), all[k + 1..].to_vec(), "exactly the rows after the one kept ({entity:?} {id})");
        assert_eq!(expected.total(), (all.len() - k - 1) as u64);
        assert_eq!(end(&part), (cursor, expected), "the end line echoes the interrupted attempt's cursor");
    }
    // A whole entity (resume_after defaults to 0).
    let q = vec![
        ("resume_cursor", cursor.to_string()),
        ("resume_scope", scope.clone()),
        ("resume_entity", "case".to_owned()),
    ];
    let (_, part, _) = snapshot(&app, &token, &q).await;
    let first_case = all.iter().position(|(e, _)| *e == Entity::Case).expect("cases");
    assert_eq!(rows(&part), all[first_case..].to_vec());

    // A resume for another jurisdiction (the user's changed): the whole snapshot, not resumed.
    let (status, other, _) = snapshot(&app, &token, &resume(cursor, "/1/999/", Entity::Rating, 5)).await;
    assert_eq!(status, 200);
    assert_eq!(begin(&other).2, None);
    assert_eq!(rows(&other), all);

    // The whole city: most of every table is in scope, so the server reads the large tables in id
    // order instead of through the path index. Same order, the district's rows among them, and a
    // resume in the middle of the ratings gives exactly the rest.
    let city = app.token("city.supervisor").await;
    let (status, whole, _) = snapshot(&app, &city, &[]).await;
    assert_eq!(status, 200);
    let every = rows(&whole);
    let (city_expected, city_cursor, _) = begin(&whole);
    assert_eq!(city_expected.total(), every.len() as u64);
    assert!(every.windows(2).all(|w| (rank(w[0].0), w[0].1) < (rank(w[1].0), w[1].1)), "the same order");
    let held: std::collections::HashSet<_> = every.iter().copied().collect();
    assert!(all.iter().all(|r| held.contains(r)), "the district's rows are in the city's");
    assert!(every.len() > all.len());
    let k = every.iter().position(|(e, _)| *e == Entity::Rating).expect("ratings") + city_expected.rating as usize / 2;
    let (entity, id) = every[k];
    let city_scope = whole.iter().find_map(|l| match l {
        SnapshotLine::Begin { scope_path, .. } => Some(scope_path.clone()),
        _ => None,
    });
    let (status, part, body) =
        snapshot(&app, &city, &resume(city_cursor.expect("cursor"), &city_scope.expect("scope"), entity, id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rows(&part), every[k + 1..].to_vec());

    // Bad parameters: a 4xx with a Chinese message, never a 500.
    let bad: Vec<(Vec<(&str, String)>, u16)> = vec![
        (
            vec![
                ("resume_cursor", cursor.to_string()),
                ("resume_scope", scope.clone()),
                ("resume_entity", "nope".into()),
            ],
            422,
        ),
        (vec![("resume_cursor", cursor.to_string())], 422),
        (vec![("resume_entity", "case".into()), ("resume_after", "3".into())], 422),
        (resume(-1, &scope, Entity::Case, 3), 422),
        (resume(cursor, &scope, Entity::Case, -3), 422),
        (resume(cursor + 1_000_000, &scope, Entity::Case, 3), 422),
        (vec![("resume_cursor", "abc".into()), ("resume_scope", scope.clone()), ("resume_entity", "case".into())], 400),
    ];
    for (q, want) in bad {
        let (status, _, body) = snapshot(&app, &token, &q).await;
        assert_eq!(status, want, "{q:?}: {body}");
        assert_eq!(body["code"], "invalid_input", "{body}");
        let message = body["message"].as_str().expect("message");
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "a Chinese message: {message}");
    }
    app.server.stop().await;
}
