//! Reference data through the admin endpoints, the audit trail, and bad input.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{spawn_app, TestApp};

const PASSWORD: &str = "Another@2026";

impl TestApp {
    pub(crate) async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).bearer_auth(token).send().await.expect("get");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn send(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.request(method, self.url(path)).bearer_auth(token).json(&body).send().await.expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn unit_id(&self, name: &str) -> i64 {
        let name = name.to_owned();
        self.db
            .read(move |c| c.query_row("SELECT id FROM org_units WHERE name = ?1", [name], |r| r.get(0)))
            .await
            .expect("unit")
    }

    pub(crate) async fn login(&self, user: &str, password: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .expect("login");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn entities(page: &Value, entity: &str) -> Vec<i64> {
    page["changes"]
        .as_array()
        .map(|a| a.iter().filter(|c| c["entity"] == entity).filter_map(|c| c["entity_id"].as_i64()).collect())
        .unwrap_or_default()
}

/// Only administrators maintain reference data, only inside their jurisdiction; what they change
/// reaches the desktop clients of that jurisdiction through the change feed, and is audited.
pub async fn administrators_maintain_reference_data_within_their_jurisdiction(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let manager = app.token("donghu.manager").await;
    let supervisor = app.token("donghu.supervisor").await;
    let liaison = app.token("donghu.liaison").await;
    let (_, start) = (0, {
        let (status, page) = app.get(&manager, "/api/v1/sync/pull?after=0&limit=50000").await;
        assert_eq!(status, 200);
        page["cursor"].as_i64().expect("cursor")
    });

    // Every admin endpoint refuses the other roles.
    for token in [&manager, &supervisor, &liaison] {
        for path in [
            "/api/v1/admin/org-units",
            "/api/v1/admin/staff",
            "/api/v1/admin/users",
            "/api/v1/admin/items",
            "/api/v1/admin/calendar",
            "/api/v1/admin/policies/1",
        ] {
            let (status, body) = app.get(token, path).await;
            if token == &supervisor && path == "/api/v1/admin/calendar" {
                // Supervisors read the calendar (whether next year's schedule is missing), no more.
                assert_eq!(status, 200, "{body}");
                continue;
            }
            assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{path}");
        }
        let (status, _) = app
            .send(
                reqwest::Method::POST,
                token,
                "/api/v1/admin/org-units",
                json!({"parent_id": 1, "kind": "hall", "name": "x", "code": "x"}),
            )
            .await;
        assert_eq!(status, 403);
    }

    // The city administrator adds a department and a window to 东湖区政务服务中心, a staff member at
    // that window, a service item, and a district administrator.
    let hall = app.unit_id("东湖区政务服务中心").await;
    let district = app.unit_id("东湖区").await;
    let west = app.unit_id("西山区").await;
    let (status, dept) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": hall, "kind": "department", "name": "退役军人事务局", "code": "DH-VA"}),
        )
        .await;
    assert_eq!(status, 200, "{dept}");
    let (status, window) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": dept["id"], "kind": "window", "name": "优抚窗口", "code": "DH-VA-1"}),
        )
        .await;
    assert_eq!(status, 200, "{window}");
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": hall, "kind": "district", "name": "不该在这", "code": "BAD-1"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "a district cannot sit in a hall");
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/org-units",
            json!({"parent_id": hall, "kind": "department", "name": "重复", "code": "DH-VA"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "codes are unique");
    let (status, staff) = app
        .send(reqwest::Method::POST, &admin, "/api/v1/admin/staff",
            json!({"unit_id": hall, "department_id": dept["id"], "window_id": window["id"], "name": "王优抚", "employee_no": "DH-9001"}))
        .await;
    assert_eq!(status, 200, "{staff}");
    let (status, item) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/items",
            json!({"unit_id": dept["id"], "code": "VA-001", "name": "优待证申领", "promised_working_days": 5}),
        )
        .await;
    assert_eq!(status, 200, "{item}");
    let (status, _) = app
        .send(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/items",
            json!({"unit_id": dept["id"], "code": "VA-001", "name": "重复", "promised_working_days": 5}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = app
        .send(reqwest::Method::PATCH, &admin, &format!("/api/v1/admin/items/{}", item["id"]), json!({"active": false}))
        .await;
    assert_eq!((status, body["active"].as_bool()), (200, Some(false)), "{body}");
    let (status, district_admin) = app
        .send(reqwest::Method::POST, &admin, "/api/v1/admin/users",
            json!({"username": "donghu.admin", "display_name": "东湖管理员", "password": PASSWORD, "role": "administrator", "unit_id": district}))
        .await;
    assert_eq!(status, 200, "{district_admin}");
    assert!(district_admin.get("password_hash").is_none(), "no hash leaves the server");
    let (status, _) = app
        .send(reqwest::Method::POST, &admin, "/api/v1/admin/users",
            json!({"username": "x", "display_name": "短", "password": PASSWORD, "role": "supervisor", "unit_id": district}))
        .await;
    assert_eq!(status, 422, "user names need 3 characters");
    let (status, _) = app
        .send(reqwest::Method::POST, &admin, "/api/v1/admin/users",
            json!({"username": "donghu.x", "display_name": "弱口令", "password": "123", "role": "supervisor", "unit_id": district}))
        .await;
    assert_eq!(status, 422, "passwords need 8 characters");
    let (status, _) = app
        .send(reqwest::Method::POST, &admin, "/api/v1/admin/users",
            json!({"username": "donghu.y", "display_name": "角色", "password": PASSWORD, "role": "emperor", "unit_id": district}))
        .await;
    assert_eq!(status, 422, "unknown roles are refused");

    // A jurisdiction policy set on the district applies to its hall; the calendar is set city-wide.
    let policy = json!({"deadlines": {"policy": {"kind": "working_days", "days": 10}, "cutoff": "17:00:00",
        "utc_offset_minutes": 480, "max_extension_working_days": 10},
        "escalation": {"coordination_office_after": 1, "government_inspection_after": 3, "accountability_after": 20,
        "accountability_requires_repeat": true, "accountability_regardless_after": 10, "at_risk_within": 1}});
    let mut unordered = policy.clone();
    unordered["escalation"]["coordination_office_after"] = json!(9);
    let (status, body) =
        app.send(reqwest::Method::PUT, &admin, &format!("/api/v1/admin/policies/{district}"), policy).await;
    assert_eq!(status, 200, "{body}");
    let (status, effective) = app.get(&admin, &format!("/api/v1/admin/policies/{hall}")).await;
    assert_eq!(status, 200);
    assert_eq!(effective["set_at_unit_id"].as_i64(), Some(district), "{effective}");
    assert_eq!(effective["policy"]["deadlines"]["policy"], json!({"kind": "working_days", "days": 10}), "{effective}");
    let (status, bad) =
        app.send(reqwest::Method::PUT, &admin, &format!("/api/v1/admin/policies/{district}"), unordered).await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad["message"].as_str().unwrap_or_default().contains("依次不减"), "{bad}");
    let (status, cal) = app.get(&admin, "/api/v1/admin/calendar").await;
    assert_eq!((status, cal["source"].as_str()), (200, Some("bundled")));
    let (status, bad) =
        app.send(reqwest::Method::PUT, &admin, "/api/v1/admin/calendar", json!({"years": "none"})).await;
    assert_eq!((status, bad["code"].as_str()), (422, Some("invalid_input")), "{bad}");
    let (status, _) = app.send(reqwest::Method::PUT, &admin, "/api/v1/admin/calendar", cal["calendar"].clone()).await;
    assert_eq!(status, 200);
    let (_, cal2) = app.get(&admin, "/api/v1/admin/calendar").await;
    assert_eq!(cal2["source"], "distributed");
    assert_eq!(cal2["calendar"], cal["calendar"], "the calendar round-trips unchanged");

    // The hall manager's client receives all of it: the new units, staff, item and the policy set
    // on the district above the hall (and the city-wide calendar).
    let (status, page) = app.get(&manager, &format!("/api/v1/sync/pull?after={start}&limit=5000")).await;
    assert_eq!(status, 200);
    let units = entities(&page, "org_unit");
    assert!(units.contains(&dept["id"].as_i64().expect("id")) && units.contains(&window["id"].as_i64().expect("id")));
    assert!(entities(&page, "staff").contains(&staff["id"].as_i64().expect("id")));
    assert!(entities(&page, "service_item").contains(&item["id"].as_i64().expect("id")));
    assert_eq!(entities(&page, "setting").len(), 2, "the district's policy and the calendar: {page}");
    // 西山区's client hears of none of 东湖区's changes but the city-wide calendar.
    let west_manager = app.token("xishan.manager").await;
    let (_, west_page) = app.get(&west_manager, &format!("/api/v1/sync/pull?after={start}&limit=5000")).await;
    assert!(entities(&west_page, "service_item").is_empty() && entities(&west_page, "staff").is_empty());
    assert_eq!(entities(&west_page, "setting").len(), 1, "{west_page}");

    // The district administrator sees and changes only 东湖区.
    let (status, login) = app.login("donghu.admin", PASSWORD).await;
    assert_eq!(status, 200, "{login}");
    let dadmin = login["token"].as_str().expect("token").to_owned();
    let (status, list) = app.get(&dadmin, "/api/v1/admin/org-units").await;
    assert_eq!(status, 200);
    let ids: Vec<i64> = list.as_array().expect("units").iter().filter_map(|u| u["id"].as_i64()).collect();
    assert!(ids.contains(&hall) && !ids.contains(&west), "only 东湖区's units");
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            &dadmin,
            "/api/v1/admin/org-units",
            json!({"parent_id": west, "kind": "town", "name": "越权镇", "code": "X-TOWN"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "another district looks absent");
    let (status, _) = app
        .send(reqwest::Method::PATCH, &dadmin, &format!("/api/v1/admin/org-units/{west}"), json!({"name": "改名"}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&dadmin, &format!("/api/v1/admin/policies/{west}")).await;
    assert_eq!(status, 404);
    let (status, _) = app.send(reqwest::Method::PUT, &dadmin, "/api/v1/admin/calendar", cal["calendar"].clone()).await;
    assert_eq!(status, 403, "only the city administrator publishes the calendar");
    let (_, west_users) = app.get(&admin, "/api/v1/admin/users").await;
    let xishan_manager_id = west_users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "xishan.manager")
        .and_then(|u| u["id"].as_i64())
        .expect("xishan.manager");
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            &dadmin,
            &format!("/api/v1/admin/users/{xishan_manager_id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, 404, "a district administrator cannot touch another district's accounts");

    // A role change ends the user's sessions; a deactivated account cannot sign in.
    let (status, newbie) = app
        .send(reqwest::Method::POST, &dadmin, "/api/v1/admin/users",
            json!({"username": "donghu.newbie", "display_name": "新来的", "password": PASSWORD, "role": "hall_manager", "unit_id": hall}))
        .await;
    assert_eq!(status, 200, "{newbie}");
    let (_, login) = app.login("donghu.newbie", PASSWORD).await;
    let newbie_token = login["token"].as_str().expect("token").to_owned();
    let (status, _) = app.get(&newbie_token, "/api/v1/me").await;
    assert_eq!(status, 200);
    let newbie_id = newbie["id"].as_i64().expect("id");
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            &dadmin,
            &format!("/api/v1/admin/users/{newbie_id}"),
            json!({"role": "supervisor"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&newbie_token, "/api/v1/me").await;
    assert_eq!(status, 401, "the old session ended with the role change");
    let (status, _) = app
        .send(reqwest::Method::PATCH, &dadmin, &format!("/api/v1/admin/users/{newbie_id}"), json!({"active": false}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.login("donghu.newbie", PASSWORD).await;
    assert_eq!(status, 401, "a deactivated account cannot sign in");

    // The audit trail: who did what; each jurisdiction sees its own users' actions.
    let (status, trail) = app.get(&admin, "/api/v1/audit?action=admin.&limit=500").await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = trail.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for a in [
        "admin.org_unit.create",
        "admin.staff.create",
        "admin.item.create",
        "admin.item.update",
        "admin.user.create",
        "admin.user.update",
        "admin.policy.put",
        "admin.calendar.put",
    ] {
        assert!(actions.contains(&a), "{a} is audited: {actions:?}");
    }
    let (_, district_trail) = app.get(&dadmin, "/api/v1/audit?limit=500").await;
    let district_trail = district_trail.as_array().expect("entries");
    assert!(district_trail
        .iter()
        .all(|e| e["unit_path"].as_str().is_some_and(|p| p.contains(&format!("/{district}/")))));
    assert!(district_trail.iter().any(|e| e["action"] == "admin.user.update"));
    assert!(!district_trail.iter().any(|e| e["action"] == "admin.calendar.put"), "the city's actions stay the city's");
    let (status, _) = app.get(&manager, "/api/v1/audit").await;
    assert_eq!(status, 403, "hall managers do not read the audit trail");
    let (status, _) = app.get(&supervisor, "/api/v1/audit?limit=0").await;
    assert_eq!(status, 422);
    app.server.stop().await;
}

/// Malformed or hostile input gets a 4xx with the server's `{code, message}` and a Chinese
/// message, never a 500 and never a crash.
pub async fn bad_input_gets_a_clear_error_and_never_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let manager = app.token("donghu.manager").await;
    let raw = |method: reqwest::Method, path: &str, token: &str, body: Vec<u8>, content_type: &str| {
        app.http
            .request(method, app.url(path))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("malformed JSON", raw(reqwest::Method::POST, "/api/v1/cases/commands", &manager, b"{\"command_id\": ".to_vec(), "application/json"), 400),
        ("not JSON at all", raw(reqwest::Method::POST, "/api/v1/intake/ratings", &admin, b"<xml/>".to_vec(), "application/json"), 400),
        ("wrong content type", raw(reqwest::Method::POST, "/api/v1/intake/ratings", &admin, b"{}".to_vec(), "text/plain"), 415),
        ("wrong types", raw(reqwest::Method::POST, "/api/v1/cases/commands", &manager,
            br#"{"command_id": 5, "case_id": "seven", "base_version": [], "command": {"type": "verify"}}"#.to_vec(), "application/json"), 422),
        ("unknown command", raw(reqwest::Method::POST, "/api/v1/cases/commands", &manager,
            br#"{"command_id": "x1", "case_id": 1, "base_version": 1, "command": {"type": "launch_missiles"}}"#.to_vec(), "application/json"), 422),
        ("unknown enum value", raw(reqwest::Method::POST, "/api/v1/cases/commands", &manager,
            br#"{"command_id": "x2", "case_id": 1, "base_version": 1, "command": {"type": "verify", "outcome": "maybe"}}"#.to_vec(), "application/json"), 422),
        ("unknown field", raw(reqwest::Method::POST, "/api/v1/admin/org-units", &admin,
            br#"{"parent_id": 1, "kind": "district", "name": "x", "code": "y", "is_admin": true}"#.to_vec(), "application/json"), 422),
        ("path id not a number", raw(reqwest::Method::POST, "/api/v1/ratings/abc/reveal", &manager, "{\"reason\": \"核实情况需要\"}".as_bytes().to_vec(), "application/json"), 400),
        ("negative cursor", raw(reqwest::Method::GET, "/api/v1/sync/pull?after=-5", &manager, Vec::new(), "application/json"), 422),
        ("cursor not a number", raw(reqwest::Method::GET, "/api/v1/sync/pull?after=abc", &manager, Vec::new(), "application/json"), 400),
        ("bad month", raw(reqwest::Method::GET, "/api/v1/kpis?month=2026-13", &manager, Vec::new(), "application/json"), 422),
    ];
    // The server answers an oversize body early and closes that connection: send it on its own
    // client so no other request is queued behind it on the same connection.
    let oversize = reqwest::Client::new()
        .post(app.url("/api/v1/intake/ratings"))
        .bearer_auth(&admin)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(vec![b' '; 4 * 1024 * 1024 + 1024]);
    let mut cases = cases;
    cases.push(("oversize body", oversize, 413));
    for (what, req, expect) in cases {
        let r = req.send().await.expect(what);
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, expect, "{what}: {body}");
        let message = body["message"].as_str().unwrap_or("");
        assert!(body["code"].is_string() && !message.is_empty(), "{what}: a typed error body: {body}");
        assert!(
            message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{what}: a Chinese message: {message}"
        );
    }
    // In an intake batch, each refused rating is reported on its own line; the others go in.
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/intake/ratings",
            json!({"ratings": [{"source": "t", "service_record_no": "1", "unit_code": "x",
            "item_code": "x", "item_name": "x", "channel": 4, "level": {"code": 1, "system": "martian"}, "comment": "",
            "content_codes": [], "real_name": false, "rated_at": "2026-11-20T09:00:00+08:00"}]}),
        )
        .await;
    assert_eq!((status, body["results"][0]["status"].as_str()), (200, Some("rejected")), "{body}");
    assert!(body["results"][0]["message"].as_str().is_some_and(|m| m.contains("martian")), "{body}");
    // A batch over the limit is refused as a whole.
    let many: Vec<Value> = (0..1001).map(|i| json!({"source": "t", "service_record_no": format!("B{i}")})).collect();
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({ "ratings": many })).await;
    assert_eq!(status, 422, "{body}");
    // The server is still healthy.
    let r = app.http.get(app.url("/healthz")).send().await.expect("health");
    assert!(r.status().is_success());
    app.server.stop().await;
}

/// Every endpoint, for every role: allowed roles get their answer, the others 403, and a user of
/// another jurisdiction finds another district's rating, case or unit absent (404).
pub async fn every_endpoint_answers_each_role_and_hides_other_jurisdictions(backend: Backend) {
    let app = spawn_app(backend).await;
    let users = ["donghu.manager", "donghu.supervisor", "donghu.liaison", "donghu.handler", "donghu.staff", "admin"];
    let mut tokens = Vec::new();
    for u in users {
        tokens.push(app.token(u).await);
    }
    // A rating of 东湖区 with a bad review, for the reveal endpoint.
    let (case_id, _) = app.new_case("MATRIX-1").await;
    let rating_id: i64 = app
        .db
        .read(move |c| c.query_row("SELECT rating_id FROM cases WHERE id = ?1", [case_id], |r| r.get(0)))
        .await
        .expect("rating");
    let reveal = format!("/api/v1/ratings/{rating_id}/reveal");
    // (method, path, body, the users (by index) allowed).
    let all = [0, 1, 2, 3, 4, 5];
    let matrix: Vec<(reqwest::Method, String, Option<Value>, Vec<usize>)> = vec![
        (reqwest::Method::GET, "/api/v1/me".into(), None, all.to_vec()),
        (reqwest::Method::GET, "/api/v1/sync/pull?after=0&limit=1".into(), None, all.to_vec()),
        (reqwest::Method::GET, "/api/v1/sync/snapshot".into(), None, all.to_vec()),
        (reqwest::Method::GET, "/api/v1/kpis?month=2026-11".into(), None, all.to_vec()),
        (reqwest::Method::GET, "/api/v1/audit/evidence/verify".into(), None, vec![1, 2, 5]),
        (reqwest::Method::GET, "/api/v1/audit".into(), None, vec![1, 2, 5]),
        (reqwest::Method::GET, "/api/v1/admin/users".into(), None, vec![5]),
        (reqwest::Method::POST, reveal.clone(), Some(json!({"reason": "核实投诉情况需要联系本人"})), vec![0, 1, 2]),
        (reqwest::Method::POST, "/api/v1/intake/ratings".into(), Some(json!({"ratings": []})), vec![5]),
        (reqwest::Method::GET, "/api/v1/integrity/flags".into(), None, vec![0, 1, 2]),
        (reqwest::Method::POST, "/api/v1/integrity/scan".into(), None, vec![1, 5]),
        (
            reqwest::Method::POST,
            "/api/v1/integrity/flags/999999/decision".into(),
            Some(json!({"command_id": "m-1", "verdict": "dismissed", "note": "核实正常"})),
            vec![0, 1],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/intake/complaints".into(),
            Some(
                json!({"ticket_no": "M-1", "unit_code": "none", "summary": "窗口推诿", "received_at": "2026-11-20T09:00:00+08:00"}),
            ),
            vec![5],
        ),
    ];
    for (method, path, body, allowed) in &matrix {
        for (i, token) in tokens.iter().enumerate() {
            let mut req = app.http.request(method.clone(), app.url(path)).bearer_auth(token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let status = req.send().await.expect("request").status().as_u16();
            if allowed.contains(&i) {
                assert_ne!(status, 403, "{} may use {method} {path}", users[i]);
                assert!(status < 500, "{} {method} {path}: {status}", users[i]);
            } else {
                assert_eq!(status, 403, "{} may not use {method} {path}", users[i]);
            }
        }
    }
    // Without a token, nothing but the health check and the API description answers.
    for (method, path, _, _) in &matrix {
        let status = app.http.request(method.clone(), app.url(path)).send().await.expect("request").status().as_u16();
        assert_eq!(status, 401, "{method} {path} without a token");
    }
    // Another district's manager, supervisor and administrator find 东湖区's data absent.
    let west = app.token("xishan.manager").await;
    let (status, _) = app.post(&west, &reveal, json!({"reason": "核实投诉情况需要联系本人"})).await;
    assert_eq!(status, 404, "another district's rating");
    let verify = super::cmd("matrix-w", case_id, 1, json!({"type": "verify", "outcome": "genuine"}));
    let (status, _) = app.post(&west, "/api/v1/cases/commands", verify).await;
    assert_eq!(status, 404, "another district's case");
    let west_supervisor = app.token("xishan.supervisor").await;
    let (_, page) = app.get(&west_supervisor, "/api/v1/sync/pull?after=0&limit=50000").await;
    assert!(
        !page["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["entity"] == "case" && c["entity_id"] == case_id),
        "another district's case is not in the feed"
    );
    let (_, kpis) = app.get(&west_supervisor, "/api/v1/kpis?month=2026-11").await;
    let (_, own) = app.get(&tokens[1], "/api/v1/kpis?month=2026-11").await;
    assert_ne!(kpis["units"], own["units"], "each district's statistics cover its own halls");
    app.server.stop().await;
}
