//! Assignment across departments: the handler holds every case assigned to them (snapshot and
//! pull), the department the case concerns gives it up, the hall keeps it; and the ids commands
//! name are checked against the caller's jurisdiction (issue 15 item 1, issue 16 item 5).

use hcp_protocol::{digest, EntityRow, SnapshotLine};
use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{cmd, spawn_app, TestApp};

/// Every row of a user's snapshot.
async fn snapshot_rows(app: &TestApp, token: &str) -> Vec<EntityRow> {
    let r = app.http.get(app.url("/api/v1/sync/snapshot")).bearer_auth(token).send().await.expect("snapshot");
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.expect("body");
    text.lines()
        .filter_map(|l| match serde_json::from_str::<SnapshotLine>(l).expect("a snapshot line") {
            SnapshotLine::Row { row } => Some(row),
            _ => None,
        })
        .collect()
}

/// The change feed after `after` as (entity, id, op), in order.
async fn pull_all(app: &TestApp, token: &str, mut after: i64) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    loop {
        let page: Value = app
            .http
            .get(app.url(&format!("/api/v1/sync/pull?after={after}&limit=100")))
            .bearer_auth(token)
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("json");
        for c in page["changes"].as_array().expect("changes") {
            out.push((
                c["entity"].as_str().expect("entity").to_owned(),
                c["entity_id"].as_i64().expect("id"),
                c["op"].as_str().expect("op").to_owned(),
            ));
        }
        after = page["cursor"].as_i64().expect("cursor");
        if !page["has_more"].as_bool().expect("has_more") {
            return out;
        }
    }
}

/// The last operation the feed holds for one row, if any.
fn last_op(feed: &[(String, i64, String)], entity: &str, id: i64) -> Option<String> {
    feed.iter().rev().find(|(e, i, _)| e == entity && *i == id).map(|(_, _, op)| op.clone())
}

async fn unit(app: &TestApp, name: &str) -> (i64, String) {
    let name = name.to_owned();
    app.db
        .read(move |c| {
            c.query_row("SELECT id, path FROM org_units WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?)))
        })
        .await
        .expect("unit")
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let u = username.to_owned();
    app.db.read(move |c| hcp_server::db::users::by_username(c, &u)).await.expect("read").expect("user").id
}

async fn head(app: &TestApp) -> i64 {
    app.db.read(hcp_server::db::changes::head).await.expect("head")
}

async fn event_ids(app: &TestApp, case_id: i64) -> Vec<i64> {
    app.db.read(move |c| hcp_server::db::case_events::ids_of_case(c, case_id)).await.expect("events")
}

/// The digest of a snapshot's rows, as a replica holding exactly them computes it.
fn digest_of(rows: &[EntityRow]) -> String {
    digest::of(
        rows.iter()
            .map(|r| {
                let (e, id, fields) = digest::fields(r);
                digest::line(e, id, &fields)
            })
            .collect(),
    )
}

async fn server_digest(app: &TestApp, username: &str) -> String {
    let u = username.to_owned();
    app.db
        .read(move |c| {
            let user = hcp_server::db::users::by_username(c, &u)?.expect("a demo account");
            hcp_server::db::digest::scope_digest(c, &user.scope_path, user.role, "")
        })
        .await
        .expect("digest")
}

pub async fn a_case_assigned_to_another_departments_handler_reaches_that_handler_with_its_timeline(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let handler_a = app.token("donghu.handler").await;
    let handler_b = app.token("donghu.handler.rs").await;
    let (dept_a, dept_a_path) = unit(&app, "东湖区市场监督管理局窗口").await;
    let (dept_b, _) = unit(&app, "东湖区人力资源和社会保障局窗口").await;
    let (foreign_dept, _) = unit(&app, "西山区人力资源和社会保障局窗口").await;
    let (a_id, b_id) = (user_id(&app, "donghu.handler").await, user_id(&app, "donghu.handler.rs").await);
    let foreign_handler = user_id(&app, "xishan.handler").await;

    // A case about department A, verified by the hall manager.
    let create = json!({"type": "create", "source": "supervision", "unit": dept_a_path,
                        "summary": "督查发现：窗口未执行一次性告知制度"});
    let (status, body) = app
        .post(
            &supervisor,
            "/api/v1/cases/commands",
            json!({"command_id": "x-create", "case_id": null, "base_version": null, "command": create}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["case"]["id"].as_i64().expect("id");
    let (status, body) = app
        .post(
            &manager,
            "/api/v1/cases/commands",
            cmd("x-verify", id, 1, json!({"type": "verify", "outcome": "genuine"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(snapshot_rows(&app, &handler_a).await.iter().any(|r| matches!(r, EntityRow::Case(c) if c.id == id)));
    assert!(!snapshot_rows(&app, &handler_b).await.iter().any(|r| matches!(r, EntityRow::Case(c) if c.id == id)));

    // Ids that do not fit are refused with a clear 422, naming nothing of another district.
    let assign = |dept: i64, handler: i64| json!({"type": "assign", "department_id": dept, "handler_id": handler});
    for (n, (dept, handler, says)) in [
        (dept_b, a_id, "不是承办部门"),
        (999_999, b_id, "不存在或不在您的辖区内"),
        (foreign_dept, foreign_handler, "不存在或不在您的辖区内"),
        (dept_b, 999_999, "不存在"),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, body) = app
            .post(&manager, "/api/v1/cases/commands", cmd(&format!("x-bad-{n}"), id, 2, assign(dept, handler)))
            .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
        let message = body["message"].as_str().expect("message");
        assert!(message.contains(says), "{message}");
        assert!(!message.contains("西山"), "{message}");
    }

    // The hall manager assigns it to department B's handler.
    let before = head(&app).await;
    let (status, body) =
        app.post(&manager, "/api/v1/cases/commands", cmd("x-assign", id, 2, assign(dept_b, b_id))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["case"]["unit_path"].as_str(), Some(dept_a_path.as_str()), "the attribution does not move");
    let events = event_ids(&app, id).await;
    assert_eq!(events.len(), 3, "created, verified, assigned");

    // B's handler: the snapshot and the pull hold the case and its whole timeline.
    let rows = snapshot_rows(&app, &handler_b).await;
    assert!(rows.iter().any(|r| matches!(r, EntityRow::Case(c) if c.id == id)));
    let mut timeline: Vec<i64> = rows
        .iter()
        .filter_map(|r| match r {
            EntityRow::CaseEvent(e) if e.case_id == id => Some(e.id),
            _ => None,
        })
        .collect();
    timeline.sort_unstable();
    assert_eq!(timeline, events);
    assert_eq!(digest_of(&rows), server_digest(&app, "donghu.handler.rs").await);
    let feed = pull_all(&app, &handler_b, before).await;
    assert_eq!(last_op(&feed, "case", id).as_deref(), Some("upsert"));
    for e in &events {
        assert_eq!(last_op(&feed, "case_event", *e).as_deref(), Some("upsert"), "event {e}");
    }

    // A's handler: the pull deletes the case and its timeline; the snapshot no longer holds them.
    // (The assignment's own event was never theirs.)
    let feed = pull_all(&app, &handler_a, before).await;
    assert_eq!(last_op(&feed, "case", id).as_deref(), Some("delete"));
    for e in &events[..2] {
        assert_eq!(last_op(&feed, "case_event", *e).as_deref(), Some("delete"), "event {e}");
    }
    assert_eq!(last_op(&feed, "case_event", events[2]), None);
    let rows = snapshot_rows(&app, &handler_a).await;
    assert!(!rows.iter().any(|r| matches!(r, EntityRow::Case(c) if c.id == id)));
    assert!(!rows.iter().any(|r| matches!(r, EntityRow::CaseEvent(e) if e.case_id == id)));
    assert_eq!(digest_of(&rows), server_digest(&app, "donghu.handler").await);

    // The hall manager keeps it: deleted at the old path, then sent again at the new one.
    let feed = pull_all(&app, &manager, before).await;
    let ops: Vec<&str> =
        feed.iter().filter(|(e, i, _)| e == "case" && *i == id).map(|(_, _, op)| op.as_str()).collect();
    assert_eq!(ops, vec!["delete", "upsert"]);
    for e in &events {
        assert_eq!(last_op(&feed, "case_event", *e).as_deref(), Some("upsert"), "event {e}");
    }
    let rows = snapshot_rows(&app, &manager).await;
    assert!(rows.iter().any(|r| matches!(r, EntityRow::Case(c) if c.id == id)));
    assert_eq!(digest_of(&rows), server_digest(&app, "donghu.manager").await);

    // Reassigned to department A's own handler, the case returns to department A; then to B again.
    let before = head(&app).await;
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", cmd("x-back", id, 3, assign(dept_a, a_id))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(last_op(&pull_all(&app, &handler_a, before).await, "case", id).as_deref(), Some("upsert"));
    assert_eq!(last_op(&pull_all(&app, &handler_b, before).await, "case", id).as_deref(), Some("delete"));
    let (status, body) =
        app.post(&manager, "/api/v1/cases/commands", cmd("x-again", id, 4, assign(dept_b, b_id))).await;
    assert_eq!(status, 200, "{body}");

    // B's handler works it; the new event travels with the case, not to department A.
    let (status, body) =
        app.post(&handler_b, "/api/v1/cases/commands", cmd("x-accept", id, 5, json!({"type": "accept"}))).await;
    assert_eq!(status, 200, "{body}");
    let accepted = *event_ids(&app, id).await.last().expect("an event");
    let rows = snapshot_rows(&app, &handler_b).await;
    assert!(rows.iter().any(|r| matches!(r, EntityRow::CaseEvent(e) if e.id == accepted)));
    assert_eq!(digest_of(&rows), server_digest(&app, "donghu.handler.rs").await);
    let rows = snapshot_rows(&app, &handler_a).await;
    assert!(!rows.iter().any(|r| matches!(r, EntityRow::CaseEvent(e) if e.case_id == id)));
    assert_eq!(digest_of(&rows), server_digest(&app, "donghu.handler").await);
    app.server.stop().await;
}

pub async fn ids_named_in_commands_are_checked_and_foreign_cases_look_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let xishan = app.token("xishan.supervisor").await;
    let liaison = app.token("donghu.liaison").await;
    let (_, dept_path) = unit(&app, "东湖区税务局窗口").await;
    let (_, xishan_dept) = unit(&app, "西山区税务局窗口").await;
    let staff_user = user_id(&app, "donghu.staff").await;
    let handler = user_id(&app, "donghu.handler").await;
    let create = |n: &str, unit: &str, rated: Value| {
        json!({"command_id": n, "case_id": null, "base_version": null,
               "command": {"type": "create", "source": "supervision", "unit": unit, "rated_staff_id": rated,
                           "summary": "督查发现：窗口工作人员未佩戴工作牌"}})
    };
    // `create` refuses a rated staff account that does not exist, is not a staff member, or is
    // outside the caller's jurisdiction.
    for (n, token, unit, rated) in [
        ("c-1", &supervisor, &dept_path, json!(999_999)),
        ("c-2", &supervisor, &dept_path, json!(handler)),
        ("c-3", &xishan, &xishan_dept, json!(staff_user)),
    ] {
        let (status, body) = app.post(token, "/api/v1/cases/commands", create(n, unit, rated)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{n}: {body}");
        assert!(body["message"].as_str().expect("message").contains("被评价工作人员"), "{body}");
    }
    let (status, body) =
        app.post(&supervisor, "/api/v1/cases/commands", create("c-4", &dept_path, json!(staff_user))).await;
    assert_eq!(status, 200, "{body}");

    // An accountability decision names a staff member of the case's district, nobody else.
    let (id, mut version) = app.case_in("donghu.supervisor", "in_rectification").await;
    for n in 0..3 {
        let (status, body) = app
            .post(
                &supervisor,
                "/api/v1/cases/commands",
                cmd(
                    &format!("e-{n}"),
                    id,
                    version,
                    json!({"type": "escalate", "basis": {"type": "manual", "reason": "多次整改不到位"}}),
                ),
            )
            .await;
        if status != 200 {
            assert_eq!(body["code"], "escalation_exhausted", "{body}");
            break;
        }
        version = body["case"]["version"].as_i64().expect("version");
    }
    let staff_in = |district: &'static str| {
        let db = app.db.clone();
        async move {
            db.read(move |c| {
                c.query_row(
                    "SELECT s.id FROM staff s JOIN org_units d ON d.name = ?1
                      WHERE s.unit_path >= d.path AND s.unit_path < d.path || '~' ORDER BY s.id LIMIT 1",
                    [district],
                    |r| r.get::<i64>(0),
                )
            })
            .await
            .expect("a staff member")
        }
    };
    let (ours, theirs) = (staff_in("东湖区").await, staff_in("西山区").await);
    let decide = |n: &str, subject: i64| {
        cmd(
            n,
            id,
            version,
            json!({"type": "record_accountability", "decision": {"type": "admonition"}, "subject_staff_id": subject,
                   "reason": "整改期限内未落实", "evidence": ["谈话记录.pdf"]}),
        )
    };
    for (n, subject) in [("a-1", theirs), ("a-2", 999_999)] {
        let (status, body) = app.post(&liaison, "/api/v1/cases/commands", decide(n, subject)).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
        assert!(body["message"].as_str().expect("message").contains("被问责人员"), "{body}");
    }
    let (status, body) = app.post(&liaison, "/api/v1/cases/commands", decide("a-3", ours)).await;
    assert_eq!(status, 200, "{body}");

    // A case of another district linked to a user in a way their role does not count (here a
    // handler recorded as the rated staff member) looks not found, without its unit path.
    let (foreign, fv) = app.case_in("xishan.supervisor", "assigned").await;
    app.db
        .write(move |c| {
            let mut row = hcp_server::db::cases::get(c, foreign)?.expect("case");
            if let Some(a) = row.aggregate.as_mut() {
                a.rated_staff_id = Some(handler);
            }
            hcp_server::db::cases::update(c, &row, "2026-11-20T03:00:00Z")
        })
        .await
        .expect("link");
    let donghu_handler = app.token("donghu.handler").await;
    let (status, body) =
        app.post(&donghu_handler, "/api/v1/cases/commands", cmd("f-1", foreign, fv, json!({"type": "accept"}))).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    assert!(!body["message"].as_str().expect("message").contains('/'), "{body}");
    app.server.stop().await;
}
