//! The integrity-flag queue end to end over HTTP: detection over the demo's suspicious ratings,
//! the queue per jurisdiction, a verdict decided once and audited, and the statistics without
//! the confirmed ratings.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::spawn_app;

async fn kpis(app: &super::TestApp, token: &str) -> Value {
    let (status, body) = app.get(token, "/api/v1/kpis?month=2026-11").await;
    assert_eq!(status, 200, "{body}");
    body["totals"].clone()
}

pub async fn integrity_leads_are_detected_decided_once_audited_and_leave_the_statistics(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("city.supervisor").await;
    let manager = app.token("donghu.manager").await;

    let (status, report) = app.post(&supervisor, "/api/v1/integrity/scan", json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert!(report["ratings"].as_u64().unwrap_or(0) >= 800, "every seeded rating was looked at: {report}");
    // Nothing new the second time.
    let (_, again) = app.post(&supervisor, "/api/v1/integrity/scan", json!({})).await;
    assert_eq!((again["ratings"].as_u64(), again["created"].as_u64()), (Some(0), Some(0)), "{again}");

    // The hall manager's queue holds the demo's leads, each explained, no identity named.
    let (status, flags) = app.get(&manager, "/api/v1/integrity/flags?status=open").await;
    assert_eq!(status, 200, "{flags}");
    let flags = flags.as_array().expect("a list").clone();
    let kinds: Vec<&str> = flags.iter().filter_map(|f| f["kind"].as_str()).collect();
    for kind in
        ["burst_same_device", "burst_same_phone", "near_duplicate_text", "self_rating", "evaluator_cluster_on_staff"]
    {
        assert!(kinds.contains(&kind), "{kind} raised: {kinds:?}");
    }
    for f in &flags {
        let text = f["explanation"].as_str().unwrap_or_default();
        assert!(!text.is_empty());
        for secret in ["13912345678", "13800001111", "110101198505052222", "110101199001011234"] {
            assert!(!text.contains(secret), "an explanation names an identity: {text}");
        }
        assert!(f["unit_path"].as_str().unwrap_or_default().starts_with("/"), "{f}");
    }
    // A self-rating lead does not name the staff member who rated (the evaluator); the rated
    // staff member of a cluster of bad reviews is named by name and employee number.
    let own = flags.iter().find(|f| f["kind"] == "self_rating").expect("self rating");
    assert!(!own["explanation"].as_str().unwrap_or_default().contains("工号"), "{own}");
    let cluster = flags.iter().find(|f| f["kind"] == "evaluator_cluster_on_staff").expect("a cluster");
    assert!(cluster["explanation"].as_str().unwrap_or_default().contains("（工号 GH"), "{cluster}");
    // Another district sees none of them; a staff member may not look.
    let (_, other) = app.get(&app.token("xishan.manager").await, "/api/v1/integrity/flags").await;
    let ours: Vec<&Value> = flags.iter().map(|f| &f["id"]).collect();
    assert!(other.as_array().expect("a list").iter().all(|f| !ours.contains(&&f["id"])), "{other}");
    let (status, _) = app.get(&app.token("donghu.staff").await, "/api/v1/integrity/flags").await;
    assert_eq!(status, 403);
    let (status, body) = app.get(&manager, "/api/v1/integrity/flags?status=maybe").await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");

    // Ratings from a channel batch carry their device: five in four minutes from one tablet are
    // a new lead at the next scan.
    let hall: String = app
        .db
        .read(|c| {
            c.query_row("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| r.get(0))
        })
        .await
        .expect("hall code");
    let batch: Vec<Value> = (0..5)
        .map(|i| {
            json!({"source": "hall-device", "service_record_no": format!("DEV-{i}"), "unit_code": hall,
                   "item_code": "X1", "item_name": "社保卡补换", "channel": 4, "level": "very_satisfied",
                   "rated_at": format!("2026-11-19T09:0{i}:00+08:00"), "device_id": "PAD-TEST-9"})
        })
        .collect();
    let admin = app.token("admin").await;
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": batch})).await;
    assert_eq!(status, 200, "{body}");
    let (_, report) = app.post(&supervisor, "/api/v1/integrity/scan", json!({})).await;
    assert_eq!((report["ratings"].as_u64(), report["created"].as_u64()), (Some(5), Some(1)), "{report}");
    let (_, open) = app.get(&manager, "/api/v1/integrity/flags?status=open").await;
    assert!(
        open.as_array()
            .expect("list")
            .iter()
            .any(|f| f["explanation"].as_str().unwrap_or_default().contains("PAD-TEST-9")),
        "{open}"
    );

    // The evaluator cluster: three bad reviews of one staff member, confirmed malicious.
    let cluster = flags.iter().find(|f| f["kind"] == "evaluator_cluster_on_staff").expect("cluster").clone();
    let id = cluster["id"].as_i64().expect("id");
    let n = cluster["rating_ids"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(n, 3, "{cluster}");
    let before = kpis(&app, &supervisor).await;
    let path = format!("/api/v1/integrity/flags/{id}/decision");
    let decision = json!({"command_id": "verdict-1", "verdict": "confirmed_malicious", "note": "电话回访核实，评价人承认因私人纠纷恶意差评"});

    // Refusals first: the wrong role, another district, no notes, an unknown verdict or field.
    let liaison = app.token("donghu.liaison").await;
    let (status, body) = app.post(&liaison, &path, decision.clone()).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = app.post(&app.token("xishan.manager").await, &path, decision.clone()).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    for bad in [
        json!({"command_id": "v", "verdict": "confirmed_malicious", "note": " "}),
        json!({"command_id": "v", "verdict": "guilty", "note": "核实情况"}),
        json!({"command_id": "v", "verdict": "dismissed", "note": "核实情况", "extra": 1}),
        json!({"command_id": "", "verdict": "dismissed", "note": "核实情况"}),
    ] {
        let (status, body) = app.post(&manager, &path, bad.clone()).await;
        assert!((400..500).contains(&status) && body["code"].is_string(), "{bad} → {status} {body}");
    }

    let (status, decided) = app.post(&manager, &path, decision.clone()).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "confirmed_malicious");
    assert_eq!(decided["decided_by_name"], "王主任", "{decided}");
    assert_eq!(decided["version"], cluster["version"].as_i64().unwrap_or(0) + 1);
    // The same command again gets the same answer; another verdict on it is refused.
    let (status, same) = app.post(&manager, &path, decision).await;
    assert_eq!((status, &same), (200, &decided));
    let second = json!({"command_id": "verdict-2", "verdict": "dismissed", "note": "再次核实"});
    let (status, body) = app.post(&app.token("donghu.supervisor").await, &path, second).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("already_decided")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("王主任"), "{body}");

    // The three ratings, and the cases they opened, left the statistics.
    let after = kpis(&app, &supervisor).await;
    let num = |v: &Value, k: &str| v[k].as_u64().unwrap_or(u64::MAX);
    assert_eq!(num(&after, "bad"), num(&before, "bad") - 3, "{before} → {after}");
    assert_eq!(num(&after, "excluded_ratings"), num(&before, "excluded_ratings") + 3);
    assert_eq!(num(&after, "excluded_cases"), num(&before, "excluded_cases") + 3);
    assert_eq!(num(&after, "rated"), num(&before, "rated") - 3);

    // A dismissal changes nothing in the figures.
    let device = flags.iter().find(|f| f["kind"] == "burst_same_device").expect("device burst");
    let path = format!("/api/v1/integrity/flags/{}/decision", device["id"]);
    let (status, body) = app
        .post(
            &manager,
            &path,
            json!({"command_id": "verdict-3", "verdict": "dismissed", "note": "排队集中办理，评价真实"}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("dismissed")), "{body}");
    assert_eq!(kpis(&app, &supervisor).await, after);

    // Both verdicts are in the audit trail, and in the change feed with their rows.
    let (status, audit) = app.get(&supervisor, "/api/v1/audit?action=integrity.").await;
    assert_eq!(status, 200, "{audit}");
    let entries = audit.as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{audit}");
    assert!(entries.iter().all(|e| e["user_name"] == "王主任" && e["action"] == "integrity.decide"), "{audit}");
    assert!(entries.iter().any(|e| e["target"] == format!("integrity_flag:{id}")), "{audit}");
    let (_, feed) = app.get(&manager, "/api/v1/sync/pull?after=0&limit=50000").await;
    let rows: Vec<&Value> = feed["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["entity"] == "integrity_flag" && c["entity_id"] == id)
        .collect();
    assert!(!rows.is_empty());
    assert_eq!(rows.last().map(|c| &c["row"]["row"]["status"]), Some(&json!("confirmed_malicious")), "{rows:?}");
}
