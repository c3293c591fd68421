//! Deactivated org units (已停用) and administrators' self-protection.
//!
//! A unit is deactivated only once nothing lives below it (active units, open cases, active
//! accounts: the refusal counts each); it then keeps its history but receives no new ratings
//! (`unit_inactive`), cases, assignments, units or accounts, reaches the clients through the
//! feed, is audited, and can be reactivated. Administrators cannot deactivate, demote or move
//! their own account, and a jurisdiction never loses its last active administrator, not even to
//! two administrators deactivating each other at once.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{spawn_app, TestApp};

const PASSWORD: &str = "Another@2026";

impl TestApp {
    async fn create(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, row) = self.send(reqwest::Method::POST, token, path, body).await;
        assert_eq!(status, 200, "{path}: {row}");
        row
    }
}

fn rating(no: &str, hall_code: &str, window_code: Option<&str>) -> Value {
    json!({"source": "test", "service_record_no": no, "unit_code": hall_code, "window_code": window_code,
           "item_code": "T-1", "item_name": "临时事项", "channel": 4, "level": "very_dissatisfied",
           "comment": "没有一次性告知", "content_codes": [202], "real_name": false,
           "evaluator": {}, "rated_at": "2026-11-20T09:30:00+08:00"})
}

/// The org unit rows the change feed carries for `id`, newest last.
fn unit_rows(changes: &[Value], id: i64) -> Vec<Value> {
    changes
        .iter()
        .filter(|c| c["entity"] == "org_unit" && c["entity_id"] == id)
        .map(|c| if c["row"]["row"].is_object() { c["row"]["row"].clone() } else { c["row"].clone() })
        .collect()
}

pub async fn a_deactivated_unit_keeps_its_history_and_receives_nothing_new(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let supervisor = app.token("donghu.supervisor").await;
    let (district, _) = app.unit_of("东湖区").await;
    let start = app.pull_all(&supervisor, 0).await.last().and_then(|c| c["seq"].as_i64()).unwrap_or(0);

    // A temporary hall with a department and a window, a handler account at the department.
    let hall = app
        .create(
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": district, "kind": "hall", "name": "东湖区临时服务点", "code": "DH-TMP"}),
        )
        .await;
    let hall_id = hall["id"].as_i64().expect("id");
    assert_eq!(hall["active"], true, "{hall}");
    let dept = app
        .create(
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": hall_id, "kind": "department", "name": "临时服务部", "code": "DH-TMP-D"}),
        )
        .await;
    let dept_id = dept["id"].as_i64().expect("id");
    let window = app
        .create(
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": dept_id, "kind": "window", "name": "临时窗口", "code": "DH-TMP-W"}),
        )
        .await;
    let window_id = window["id"].as_i64().expect("id");
    let handler = app
        .create(
            &admin,
            "/api/v1/admin/users",
            json!({"username": "tmp.handler", "display_name": "临时承办人",
            "password": PASSWORD, "role": "department_handler", "unit_id": dept_id}),
        )
        .await;
    let handler_id = handler["id"].as_i64().expect("id");
    let (status, res) =
        app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": [rating("TMP-1", "DH-TMP", None)]})).await;
    assert_eq!((status, res["results"][0]["status"].as_str()), (200, Some("created")), "{res}");
    let case_id = res["results"][0]["case_id"].as_i64().expect("a bad review opens a case");

    // While anything lives below it, the hall stays: the refusal counts what is left.
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{hall_id}"), json!({"active": false})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    for part in ["2 个启用的下级单位", "1 件未办结的工单", "1 个启用的账号"] {
        assert!(message.contains(part), "{part} in {message}");
    }

    // The window has nothing below it: deactivated, audited, in the feed.
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{window_id}"), json!({"active": false})).await;
    assert_eq!((status, body["active"].as_bool()), (200, Some(false)), "{body}");
    let (status, res) = app
        .post(&admin, "/api/v1/intake/ratings", json!({"ratings": [rating("TMP-2", "DH-TMP", Some("DH-TMP-W"))]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(res["results"][0]["status"], "rejected", "{res}");
    assert_eq!(res["results"][0]["code"], "unit_inactive", "{res}");
    assert!(res["results"][0]["message"].as_str().is_some_and(|m| m.contains("临时窗口") && m.contains("已停用")));
    // A rating stored before is still a duplicate, not a refusal: the history stays.
    let (_, res) =
        app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": [rating("TMP-1", "DH-TMP", None)]})).await;
    assert_eq!(res["results"][0]["status"], "duplicate", "{res}");
    // A supervisor's finding about the window is refused by the server.
    let finding = json!({"command_id": "tmp-f-1", "case_id": null, "base_version": null,
        "command": {"type": "create", "source": "supervision", "unit": window["path"], "content_codes": [202],
                    "summary": "督查发现：窗口无人值守"}});
    let (_, body) = app.post(&supervisor, "/api/v1/cases/commands", finding).await;
    assert!(body["status"].as_str().or(body["code"].as_str()).is_some(), "{body}");
    assert!(body.to_string().contains("已停用"), "the finding is refused for the deactivated window: {body}");
    assert_ne!(body["status"], "applied", "{body}");

    // Reactivated, it takes ratings again; deactivated again for the rest.
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{window_id}"), json!({"active": true})).await;
    assert_eq!((status, body["active"].as_bool()), (200, Some(true)), "{body}");
    let (_, res) = app
        .post(&admin, "/api/v1/intake/ratings", json!({"ratings": [rating("TMP-3", "DH-TMP", Some("DH-TMP-W"))]}))
        .await;
    assert_eq!(res["results"][0]["status"], "created", "{res}");
    let second_case = res["results"][0]["case_id"].as_i64().expect("case");
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{window_id}"), json!({"active": false})).await;
    assert_eq!(status, 409, "the window's own open case keeps it: {body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("1 件未办结的工单")), "{body}");

    // The cases end (closed in the store: the workflow to close them is tested elsewhere), the
    // handler's account is deactivated, then the department and the hall.
    app.db
        .write(move |c| {
            c.execute(
                "UPDATE cases SET state = 'closed' WHERE id = ?1 OR id = ?2",
                hcp_server::args![case_id, second_case],
            )
        })
        .await
        .expect("closed");
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{hall_id}"), json!({"active": false})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.contains("件未办结") && m.contains("1 个启用的账号")),
        "{body}"
    );
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/users/{handler_id}"), json!({"active": false})).await;
    assert_eq!(status, 200, "{body}");
    for id in [window_id, dept_id, hall_id] {
        let (status, body) =
            app.patch(&admin, &format!("/api/v1/admin/org-units/{id}"), json!({"active": false})).await;
        assert_eq!((status, body["active"].as_bool()), (200, Some(false)), "{body}");
    }

    // Nothing new at or below the deactivated hall.
    let (_, res) =
        app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": [rating("TMP-4", "DH-TMP", None)]})).await;
    assert_eq!(
        (res["results"][0]["status"].as_str(), res["results"][0]["code"].as_str()),
        (Some("rejected"), Some("unit_inactive"))
    );
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": hall_id, "kind": "department", "name": "不该有", "code": "DH-TMP-X"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let (status, body) = app
        .send(reqwest::Method::POST, &admin, "/api/v1/admin/users",
            json!({"username": "tmp.manager", "display_name": "不该有", "password": PASSWORD, "role": "hall_manager", "unit_id": hall_id}))
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let (status, body) = app.patch(&admin, &format!("/api/v1/admin/users/{handler_id}"), json!({"active": true})).await;
    assert_eq!(status, 422, "an account cannot come back to life in a deactivated unit: {body}");
    // Reactivation goes top-down: not the window below a deactivated hall (the highest one named).
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{window_id}"), json!({"active": true})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("东湖区临时服务点")), "{body}");

    // The history stays: the cases, still counted under the hall's path.
    let kept: i64 = app
        .db
        .read(move |c| {
            c.query_row(
                "SELECT count(*) FROM cases WHERE id = ?1 OR id = ?2",
                hcp_server::args![case_id, second_case],
                |r| r.get(0),
            )
        })
        .await
        .expect("count");
    assert_eq!(kept, 2);

    // The district's clients (its supervisor's) receive the flag; the audit trail names each step.
    let changes = app.pull_all(&supervisor, start).await;
    let rows = unit_rows(&changes, hall_id);
    assert_eq!(rows.last().and_then(|r| r["active"].as_bool()), Some(false), "{rows:?}");
    let (snapshot, _) = app.snapshot_rows(&supervisor).await;
    let in_snapshot = snapshot.iter().find(|(e, r)| e == "org_unit" && r["id"] == hall_id).expect("the hall");
    assert_eq!(in_snapshot.1["active"], false);
    let (_, trail) = app.get(&admin, "/api/v1/audit?action=admin.org_unit.&limit=500").await;
    let steps: Vec<(String, String)> = trail
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (e["action"].as_str().unwrap_or_default().to_owned(), e["target"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    for (action, id) in [
        ("admin.org_unit.deactivate", window_id),
        ("admin.org_unit.reactivate", window_id),
        ("admin.org_unit.deactivate", dept_id),
        ("admin.org_unit.deactivate", hall_id),
    ] {
        assert!(steps.contains(&(action.to_owned(), format!("org_unit:{id}"))), "{action} {id}: {steps:?}");
    }
    assert!(
        !steps.iter().any(|(a, t)| a == "admin.org_unit.update" && t == &format!("org_unit:{window_id}")),
        "a toggle is not a rename"
    );
    app.server.stop().await;
}

pub async fn administrators_cannot_lock_themselves_or_their_jurisdiction_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let admin_id = app.user_id("admin").await;
    let (city, _) = app.unit_of("江城市").await;
    let (district, _) = app.unit_of("东湖区").await;

    // Not their own deactivation, role or unit; their own name (with the unchanged role and unit,
    // as the account form sends it) is fine.
    for (what, patch) in [
        ("deactivation", json!({"active": false})),
        ("demotion", json!({"role": "supervisor"})),
        ("a move", json!({"unit_id": district})),
    ] {
        let (status, body) = app.patch(&admin, &format!("/api/v1/admin/users/{admin_id}"), patch).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{what}: {body}");
    }
    let (status, body) = app
        .patch(
            &admin,
            &format!("/api/v1/admin/users/{admin_id}"),
            json!({"display_name": "市级管理员", "role": "administrator", "unit_id": city, "active": true}),
        )
        .await;
    assert_eq!((status, body["display_name"].as_str()), (200, Some("市级管理员")), "{body}");
    let (status, _) = app.get(&admin, "/api/v1/me").await;
    assert_eq!(status, 200, "an unchanged role and unit keep the session");

    // Two city administrators deactivate (or demote) each other at the same moment: the writes
    // are serialised and the second is refused, so the city keeps one.
    let other = app
        .create(
            &admin,
            "/api/v1/admin/users",
            json!({"username": "admin.two", "display_name": "第二管理员",
            "password": PASSWORD, "role": "administrator", "unit_id": city}),
        )
        .await;
    let other_id = other["id"].as_i64().expect("id");
    let (_, login) = app.login("admin.two", PASSWORD).await;
    let second = login["token"].as_str().expect("token").to_owned();
    let (first_path, second_path) =
        (format!("/api/v1/admin/users/{other_id}"), format!("/api/v1/admin/users/{admin_id}"));
    let ((s1, b1), (s2, b2)) = tokio::join!(
        app.patch(&admin, &first_path, json!({"active": false})),
        app.patch(&second, &second_path, json!({"role": "supervisor"})),
    );
    assert!(!(s1 == 200 && s2 == 200), "both succeeded: {b1} {b2}");
    assert!(s1 == 200 || s2 == 200, "one of them goes through: {b1} {b2}");
    let active_admins: i64 = app
        .db
        .read(|c| {
            c.query_row("SELECT count(*) FROM users WHERE role = 'administrator' AND active = 1 AND unit_id = (SELECT id FROM org_units WHERE name = '江城市')", (), |r| r.get(0))
        })
        .await
        .expect("count");
    assert_eq!(active_admins, 1);
    // The one left is the last: whoever is left cannot be removed by anyone (a district
    // administrator's request is outside their reach and looks absent).
    let survivor = if s1 == 200 { admin_id } else { other_id };
    let survivor_token = if s1 == 200 { admin.clone() } else { second.clone() };
    let (status, body) =
        app.patch(&survivor_token, &format!("/api/v1/admin/users/{survivor}"), json!({"active": false})).await;
    assert_eq!(status, 409, "{body}");
    let refused = if s1 == 200 { &b2 } else { &b1 };
    let code = refused["code"].as_str();
    assert!(
        code == Some("conflict") || code == Some("unauthorized"),
        "the loser was refused or had lost its session: {refused}"
    );
    if code == Some("conflict") {
        assert!(refused["message"].as_str().is_some_and(|m| m.contains("最后一个")), "{refused}");
    }
    app.server.stop().await;
}

/// Rows at or below `prefix` in each table that stores a path.
async fn rows_below(app: &TestApp, prefix: &str) -> Vec<(String, i64)> {
    let prefix = prefix.to_owned();
    app.db
        .read(move |c| {
            let mut out = Vec::new();
            for (table, column) in [
                ("org_units", "path"),
                ("staff", "unit_path"),
                ("ratings", "unit_path"),
                ("cases", "unit_path"),
                ("cases", "scope_path"),
                ("case_events", "unit_path"),
                ("service_items", "unit_path"),
                ("settings", "unit_path"),
                ("integrity_flags", "unit_path"),
                ("awards", "unit_path"),
            ] {
                let n: i64 = c.query_row(
                    &format!("SELECT count(*) FROM {table} WHERE {column} >= ?1 AND {column} < ?2"),
                    [prefix.clone(), format!("{prefix}~")],
                    |r| r.get(0),
                )?;
                out.push((format!("{table}.{column}"), n));
            }
            Ok(out)
        })
        .await
        .expect("counts")
}

pub async fn a_moved_unit_takes_every_row_below_it_to_its_new_place(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let east = app.token("donghu.supervisor").await;
    let west = app.token("xishan.supervisor").await;
    let (dept, _) = app.unit_of("东湖区税务局窗口").await;
    let (window, _) = app.unit_of("9号窗口").await;
    let (east_hall, _) = app.unit_of("东湖区政务服务中心").await;
    let (west_hall, _) = app.unit_of("西山区政务服务中心").await;
    let (west_district, _) = app.unit_of("西山区").await;
    let (list_status, units) = app.get(&admin, "/api/v1/admin/org-units").await;
    assert_eq!(list_status, 200);
    let path_of = |id: i64| {
        units
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["id"] == id)
            .and_then(|u| u["path"].as_str())
            .expect("path")
            .to_owned()
    };
    let (old, west_hall_path) = (path_of(dept), path_of(west_hall));
    let new = format!("{west_hall_path}{dept}/");
    // An item and a setting of the department, so that every kind of row moves.
    let (status, item) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/items",
            json!({"unit_id": dept, "code": "SW-MOVE", "name": "税务登记", "promised_working_days": 3}),
        )
        .await;
    assert_eq!(status, 200, "{item}");
    // A bad review at one of its windows (a case there, with its events) and a policy of its own.
    let (_, east_hall_code) = app.unit_of("东湖区政务服务中心").await;
    let (_, window_code) = app.unit_of("9号窗口").await;
    let (status, res) = app
        .post(
            &admin,
            "/api/v1/intake/ratings",
            json!({"ratings": [rating("MOVE-1", &east_hall_code, Some(&window_code))]}),
        )
        .await;
    assert_eq!((status, res["results"][0]["status"].as_str()), (200, Some("created")), "{res}");
    let (_, policy) = app.get(&admin, &format!("/api/v1/admin/policies/{dept}")).await;
    let (status, body) = app
        .send(reqwest::Method::PUT, &admin, &format!("/api/v1/admin/policies/{dept}"), policy["policy"].clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let before = rows_below(&app, &old).await;
    assert!(
        before.iter().all(|(t, n)| *n > 0 || t == "integrity_flags.unit_path" || t == "awards.unit_path"),
        "{before:?}"
    );
    assert!(before.iter().find(|(t, _)| t == "ratings.unit_path").is_some_and(|(_, n)| *n > 0), "{before:?}");
    assert!(before.iter().find(|(t, _)| t == "cases.unit_path").is_some_and(|(_, n)| *n > 0), "{before:?}");
    let east_start = app.pull_all(&east, 0).await.last().and_then(|c| c["seq"].as_i64()).unwrap_or(0);
    let west_start = app.pull_all(&west, 0).await.last().and_then(|c| c["seq"].as_i64()).unwrap_or(0);
    let moved_case: i64 = {
        let old = old.clone();
        app.db
            .read(move |c| {
                c.query_row(
                    "SELECT min(id) FROM cases WHERE unit_path >= ?1 AND unit_path < ?2",
                    [old.clone(), format!("{old}~")],
                    |r| r.get(0),
                )
            })
            .await
            .expect("a case of the department")
    };

    // Refused: below itself or its own window, below a unit of a kind that cannot hold it.
    let _ = west_district;
    for (parent, why) in [(dept, "itself"), (window, "its own window")] {
        let (status, body) =
            app.patch(&admin, &format!("/api/v1/admin/org-units/{dept}"), json!({"parent_id": parent})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{why}: {body}");
    }
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{east_hall}"), json!({"parent_id": west_hall})).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "a hall in a hall: {body}");
    assert_eq!(rows_below(&app, &old).await, before, "a refusal changes nothing");

    // The move: one transaction rewrites every path below the department.
    let (status, body) =
        app.patch(&admin, &format!("/api/v1/admin/org-units/{dept}"), json!({"parent_id": west_hall})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["path"].as_str(), body["parent_id"].as_i64()), (Some(new.as_str()), Some(west_hall)), "{body}");
    assert!(rows_below(&app, &old).await.iter().all(|(_, n)| *n == 0), "nothing stays at the old place");
    let after = rows_below(&app, &new).await;
    assert_eq!(after, before, "everything arrives at the new place");
    let aggregate: String = app
        .db
        .read(move |c| c.query_row("SELECT aggregate FROM cases WHERE id = ?1", [moved_case], |r| r.get(0)))
        .await
        .expect("aggregate");
    assert!(aggregate.contains(&format!("\"unit\":\"{new}")), "the aggregate's unit moved: {aggregate}");

    // The feed: 东湖区's clients lose the department's rows, 西山区's gain them.
    let east_changes = app.pull_all(&east, east_start).await;
    let west_changes = app.pull_all(&west, west_start).await;
    let ops = |changes: &[Value], entity: &str, id: i64| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c["entity"] == entity && c["entity_id"] == id)
            .filter_map(|c| c["op"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ops(&east_changes, "case", moved_case).last().map(String::as_str), Some("delete"));
    assert_eq!(ops(&west_changes, "case", moved_case).last().map(String::as_str), Some("upsert"));
    assert_eq!(ops(&east_changes, "org_unit", dept).last().map(String::as_str), Some("delete"));
    assert_eq!(ops(&west_changes, "org_unit", dept).last().map(String::as_str), Some("upsert"));
    let item_id = item["id"].as_i64().expect("id");
    assert_eq!(ops(&west_changes, "service_item", item_id).last().map(String::as_str), Some("upsert"));
    // Their snapshots agree.
    let (east_rows, _) = app.snapshot_rows(&east).await;
    let (west_rows, _) = app.snapshot_rows(&west).await;
    assert!(!east_rows.iter().any(|(e, r)| e == "case" && r["id"] == moved_case));
    assert!(west_rows.iter().any(|(e, r)| e == "case"
        && r["id"] == moved_case
        && r["unit_path"].as_str().is_some_and(|p| p.starts_with(&new))));
    // A finding a client queued before the move names the department's old path: it opens at the
    // unit's new place, so the new jurisdiction's supervisor may give it.
    let create = json!({"type": "create", "source": "supervision", "unit": old,
                        "summary": "督查发现：窗口未执行一次性告知制度"});
    let (status, body) = app
        .post(
            &west,
            "/api/v1/cases/commands",
            json!({"command_id": "after-move-create", "case_id": null, "base_version": null, "command": create}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(body["case"]["unit_path"].as_str(), Some(new.as_str()), "{body}");
    // The move is audited with what it carried.
    let (_, trail) = app.get(&admin, "/api/v1/audit?action=admin.org_unit.move&limit=10").await;
    let entry = trail.as_array().and_then(|a| a.first()).cloned().unwrap_or(Value::Null);
    assert_eq!(entry["target"], format!("org_unit:{dept}"), "{trail}");
    assert!(entry["detail"].as_str().is_some_and(|d| d.contains("东湖区政务服务中心 → 西山区政务服务中心")), "{entry}");
    app.server.stop().await;
}
