//! 监督检查发现: a supervisor opens a supervision case about a unit of their jurisdiction, with
//! content codes, the service item and the rated staff member if any; a unit or item outside it, or
//! another role, is refused.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use crate::spawn_app;

async fn unit_path(app: &crate::TestApp, name: &str) -> String {
    let name = name.to_owned();
    app.db
        .read(move |c| c.query_row("SELECT path FROM org_units WHERE name = ?1", [name], |r| r.get(0)))
        .await
        .expect("unit")
}

fn finding(id: &str, unit: &str) -> Value {
    json!({"command_id": id, "case_id": null, "base_version": null,
           "command": {"type": "create", "source": "supervision", "unit": unit, "content_codes": [202],
                       "summary": "【服务事项：税务登记】督查发现：窗口未执行一次性告知制度"}})
}

pub async fn supervisors_record_findings_only_in_their_jurisdiction(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let liaison = app.token("donghu.liaison").await;
    let own = unit_path(&app, "东湖区税务局窗口").await;
    let foreign = unit_path(&app, "西山区税务局窗口").await;

    let (status, body) = app.post(&supervisor, "/api/v1/cases/commands", finding("f-1", &own)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "applied", "{body}");
    let case = &body["case"];
    assert_eq!((case["source"].as_str(), case["state"].as_str()), (Some("supervision"), Some("new")), "{body}");
    assert_eq!(case["unit_path"].as_str(), Some(own.as_str()));
    assert!(case["case_no"].as_str().is_some_and(|n| !n.starts_with("PENDING")), "{body}");

    // Outside the supervisor's district: refused as out of scope, nothing created.
    let (status, body) = app.post(&supervisor, "/api/v1/cases/commands", finding("f-2", &foreign)).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("out_of_scope")), "{body}");
    // Only supervisors record supervision findings.
    for (n, token) in [("f-3", &manager), ("f-4", &liaison)] {
        let (status, body) = app.post(token, "/api/v1/cases/commands", finding(n, &own)).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("role_not_allowed")), "{n}: {body}");
    }
    // A finding may name its service item: one of the unit's (or of the hall above it) is stored
    // on the case like a rated case's item; another district's item is refused.
    let admin = app.token("admin").await;
    let mut items = Vec::new();
    for (hall, code) in [("东湖区政务服务中心", "DH-T-1"), ("西山区政务服务中心", "XS-T-1")] {
        let (unit_id, _) = app.unit_of(hall).await;
        let (status, item) = app
            .send(reqwest::Method::POST, &admin, "/api/v1/admin/items",
                json!({"unit_id": unit_id, "code": code, "name": format!("{hall}税务登记"), "promised_working_days": 5}))
            .await;
        assert_eq!(status, 200, "{item}");
        items.push((item["id"].as_i64().expect("id"), item["name"].as_str().unwrap_or_default().to_owned()));
    }
    let [(item, item_name), (foreign_item, _)] = [items[0].clone(), items[1].clone()];
    let mut with_item = finding("f-5", &own);
    with_item["command"]["service_item_id"] = json!(item);
    with_item["command"]["summary"] = json!("督查发现：窗口未执行首问负责制");
    let (status, body) = app.post(&supervisor, "/api/v1/cases/commands", with_item).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(body["case"]["item_name"].as_str(), Some(item_name.as_str()), "{body}");
    assert_eq!(body["case"]["summary"], "督查发现：窗口未执行首问负责制", "the text is the description only");
    let mut foreign_one = finding("f-6", &own);
    foreign_one["command"]["service_item_id"] = json!(foreign_item);
    let (_, body) = app.post(&supervisor, "/api/v1/cases/commands", foreign_one).await;
    assert_ne!(body["status"], "applied", "{body}");
    assert!(body.to_string().contains(&format!("服务事项 {foreign_item} 不存在")), "{body}");
    // A finding without an item is stored and replayed exactly as before (no field in its event).
    let created_event: String = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT e.data FROM case_events e JOIN cases k ON k.id = e.case_id
                  WHERE k.summary LIKE '%窗口未执行一次性告知制度' AND e.kind = 'created'",
                (),
                |r| r.get(0),
            )
        })
        .await
        .expect("the created event");
    assert!(!created_event.contains("service_item_id"), "{created_event}");

    let created: i64 = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT count(*) FROM cases WHERE source = 'supervision' AND summary LIKE '%窗口未执行一次性告知制度'",
                (),
                |r| r.get(0),
            )
        })
        .await
        .expect("count");
    assert_eq!(created, 1, "only the supervisor's own finding became a case");
    app.server.stop().await;
}
