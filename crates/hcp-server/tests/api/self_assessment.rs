//! 自我评价 and 第三方评价 over HTTP: only the hall's own manager submits, once per hall and
//! quarter; a supervisor of the jurisdiction approves or returns; a returned form is resubmitted;
//! a survey file's dry run names every bad row and changes nothing; the import is all or nothing
//! and importing the same file again does not double it.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{spawn_app, TestApp};

/// A complete form: every heading scored (`delta` below its maximum) and described.
pub(crate) fn full_form(delta: u32) -> Value {
    let entries: Vec<Value> = hcp_domain::self_assessment::Heading::ALL
        .into_iter()
        .map(|h| json!({"heading": h.as_str(), "score": h.max_points().saturating_sub(delta), "text": "按要求完成本季度工作"}))
        .collect();
    json!({"entries": entries})
}

pub(crate) fn submit_body(command_id: &str, unit_id: i64, period: &str, form: Value) -> Value {
    json!({"command_id": command_id, "unit_id": unit_id, "period": period, "form": form})
}

async fn feed_rows(app: &TestApp, token: &str, entity: &str) -> Vec<Value> {
    let (status, feed) = app.get(token, "/api/v1/sync/pull?after=0&limit=50000").await;
    assert_eq!(status, 200, "{feed}");
    feed["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["entity"] == entity)
        .map(|c| c["row"]["row"].clone())
        .collect()
}

pub async fn a_hall_manager_submits_once_per_quarter_and_a_supervisor_of_the_jurisdiction_reviews(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let supervisor = app.token("donghu.supervisor").await;
    let (hall, _) = app.unit_of("东湖区政务服务中心").await;
    let (xishan_hall, _) = app.unit_of("西山区政务服务中心").await;
    let (district, _) = app.unit_of("东湖区").await;
    let path = "/api/v1/self-assessments";

    // An incomplete form, a score over its maximum, a month instead of a quarter: refused, clearly.
    let mut partial = full_form(0);
    partial["entries"].as_array_mut().expect("entries").truncate(3);
    let (status, body) = app.post(&manager, path, submit_body("sa-0", hall, "2026-Q3", partial)).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("大厅(窗口)建设"), "{body}");
    let mut over = full_form(0);
    over["entries"][2]["score"] = json!(21);
    let (status, body) = app.post(&manager, path, submit_body("sa-0", hall, "2026-Q3", over)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("超过满分 20"), "{body}");
    let (status, _) = app.post(&manager, path, submit_body("sa-0", hall, "2026-09", full_form(0))).await;
    assert_eq!(status, 422);
    let (status, body) = app.post(&manager, path, submit_body("sa-0", hall, "2099-Q1", full_form(0))).await;
    assert_eq!(status, 422, "a quarter not begun: {body}");
    // Only the hall's own manager: not the district, not a supervisor, not another district's manager.
    let (status, _) = app.post(&manager, path, submit_body("sa-0", district, "2026-Q3", full_form(0))).await;
    assert_eq!(status, 404, "the district above the hall is outside the manager's jurisdiction");
    let (status, _) = app.post(&supervisor, path, submit_body("sa-0", hall, "2026-Q3", full_form(0))).await;
    assert_eq!(status, 403);
    let xishan = app.token("xishan.manager").await;
    let (status, _) = app.post(&xishan, path, submit_body("sa-0", hall, "2026-Q3", full_form(0))).await;
    assert_eq!(status, 404, "another district's hall is not found");
    let (status, _) = app.post(&manager, path, submit_body("sa-0", xishan_hall, "2026-Q3", full_form(0))).await;
    assert_eq!(status, 404);

    // Submitted; the same command again gets the same answer; a second form for the quarter is refused.
    let (status, first) = app.post(&manager, path, submit_body("sa-1", hall, "2026-Q3", full_form(2))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["status"].as_str(), first["total"].as_u64()), (Some("submitted"), Some(100 - 14)), "{first}");
    assert_eq!(first["submitted_by_name"], "王主任");
    let id = first["id"].as_i64().expect("id");
    let (status, again) = app.post(&manager, path, submit_body("sa-1", hall, "2026-Q3", full_form(2))).await;
    assert_eq!((status, &again), (200, &first));
    let (status, body) = app.post(&manager, path, submit_body("sa-2", hall, "2026-Q3", full_form(0))).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "one per hall and quarter: {body}");

    // Reviews: another district's supervisor does not find it; a return needs a reason.
    let review = format!("/api/v1/self-assessments/{id}/review");
    let other = app.token("xishan.supervisor").await;
    let (status, _) = app.post(&other, &review, json!({"command_id": "r-0", "decision": "approve"})).await;
    assert_eq!(status, 404);
    let (status, _) = app.post(&manager, &review, json!({"command_id": "r-0", "decision": "approve"})).await;
    assert_eq!(status, 403, "the hall does not approve itself");
    let (status, body) = app.post(&supervisor, &review, json!({"command_id": "r-0", "decision": "return"})).await;
    assert_eq!(status, 422, "{body}");
    let (status, returned) = app
        .post(&supervisor, &review, json!({"command_id": "r-1", "decision": "return", "comment": "请补充差评整改数据"}))
        .await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["review_comment"], "请补充差评整改数据");
    let (status, body) = app.post(&supervisor, &review, json!({"command_id": "r-2", "decision": "approve"})).await;
    assert_eq!(status, 409, "a returned form waits for the hall: {body}");

    // Revised and submitted again: the same record, a second submission; the city approves it.
    let (status, resub) = app.post(&manager, path, submit_body("sa-3", hall, "2026-Q3", full_form(0))).await;
    assert_eq!(status, 200, "{resub}");
    assert_eq!((resub["id"].as_i64(), resub["submissions"].as_u64()), (Some(id), Some(2)));
    assert_eq!((resub["status"].as_str(), resub["total"].as_u64()), (Some("submitted"), Some(100)));
    let city = app.token("city.supervisor").await;
    let (status, approved) =
        app.post(&city, &review, json!({"command_id": "r-3", "decision": "approve", "comment": "同意"})).await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("approved")), "{approved}");
    assert_eq!(approved["reviewed_by_name"], "周督查");
    let (status, _) = app.post(&manager, path, submit_body("sa-4", hall, "2026-Q3", full_form(0))).await;
    assert_eq!(status, 409, "an approved form is final");
    let (status, body) = app
        .post(
            &manager,
            path,
            json!({"command_id": "sa-5", "unit_id": hall, "period": "2026-Q3",
        "form": full_form(0), "status": "approved"}),
        )
        .await;
    assert_eq!(status, 422, "unknown fields are refused: {body}");

    // The feed carries it to the hall and the district, never to 西山区; the audit trail has each step.
    let rows = feed_rows(&app, &supervisor, "self_assessment").await;
    assert_eq!(rows.last().map(|r| r["status"].clone()), Some(json!("approved")), "{rows:?}");
    assert!(!feed_rows(&app, &manager, "self_assessment").await.is_empty());
    assert!(feed_rows(&app, &other, "self_assessment").await.is_empty());
    let (_, audit) = app.get(&city, "/api/v1/audit?action=self_assessment.").await;
    let actions: Vec<&str> = audit.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "self_assessment.submit").count(), 2, "{audit}");
    assert_eq!(actions.iter().filter(|a| **a == "self_assessment.review").count(), 2, "{audit}");
    app.server.stop().await;
}

const HEADER: [&str; 12] = [
    "单位编码",
    "期间",
    "测评方式",
    "测评机构",
    "样本数",
    "满意度",
    "非常满意",
    "满意",
    "基本满意",
    "不满意",
    "非常不满意",
    "备注",
];

fn line(n: u32, cells: &[&str]) -> Value {
    json!({"line": n, "cells": cells})
}

fn import(dry_run: bool, rows: Vec<Value>) -> Value {
    json!({"dry_run": dry_run, "file_name": "2026年11月满意度测评.csv", "header": HEADER, "rows": rows})
}

async fn survey_count(app: &TestApp) -> i64 {
    app.db.read(|c| c.query_row("SELECT count(*) FROM survey_results", (), |r| r.get(0))).await.expect("count")
}

pub async fn a_survey_dry_run_names_every_bad_row_and_the_import_is_all_or_nothing_and_idempotent(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let (_, hall) = app.unit_of("东湖区政务服务中心").await;
    let (_, xishan) = app.unit_of("西山区政务服务中心").await;
    let path = "/api/v1/surveys/import";
    let good = vec![
        line(2, &[&hall, "2026-11", "电话测评", "江城市统计调查中心", "200", "95.5", "", "", "", "", "", ""]),
        line(3, &[&hall, "2026-11-18", "现场问卷", "江城市统计调查中心", "10", "", "5", "3", "1", "1", "0", "抽样"]),
    ];
    let mut bad = good.clone();
    bad.push(line(4, &["NO-SUCH", "2026-11", "电话测评", "江城市统计调查中心", "5", "90", "", "", "", "", "", ""]));
    bad.push(line(5, &[&xishan, "2026-11", "电话测评", "江城市统计调查中心", "5", "90", "", "", "", "", "", ""]));
    bad.push(line(6, &[&hall, "2026-13", "上门", "江城市统计调查中心", "x", "90", "", "", "", "", "", ""]));
    bad.push(line(7, &[&hall, "2026-10", "其他", "机构甲", "10", "", "5", "3", "1", "1", "1", ""]));

    // The dry run names every problem with its line and column, and stores nothing.
    let (status, report) = app.post(&supervisor, path, import(true, bad.clone())).await;
    assert_eq!(status, 200, "{report}");
    let problems: Vec<(u64, String)> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["line"].as_u64().unwrap_or(0), p["column"].as_str().unwrap_or("").to_owned()))
        .collect();
    let expected: Vec<(u64, String)> =
        [(4, "单位编码"), (5, "单位编码"), (6, "期间"), (6, "测评方式"), (6, "样本数"), (7, "样本数")]
            .into_iter()
            .map(|(l, c)| (l, c.to_owned()))
            .collect();
    let mut expected = expected;
    expected.sort();
    let mut sorted = problems.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "{report}");
    assert!(report["problems"].to_string().contains("不在您的辖区内"), "{report}");
    assert_eq!((report["rows"].as_u64(), report["applied"].as_bool()), (Some(6), Some(false)));
    assert_eq!(survey_count(&app).await, 0, "a dry run changes nothing");
    // The real import of the bad file stores nothing either.
    let (status, body) = app.post(&supervisor, path, import(false, bad)).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("6 处问题"), "{body}");
    assert_eq!(survey_count(&app).await, 0, "all or nothing");

    // A good file: the dry run says what would happen, the import does it, the same file again
    // changes nothing, a corrected value updates the one row.
    let (_, dry) = app.post(&supervisor, path, import(true, good.clone())).await;
    assert_eq!((dry["created"].as_u64(), dry["applied"].as_bool()), (Some(2), Some(false)), "{dry}");
    assert_eq!(survey_count(&app).await, 0);
    let (status, done) = app.post(&supervisor, path, import(false, good.clone())).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!((done["created"].as_u64(), done["applied"].as_bool()), (Some(2), Some(true)), "{done}");
    assert_eq!(survey_count(&app).await, 2);
    let (_, again) = app.post(&supervisor, path, import(false, good.clone())).await;
    assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)), "{again}");
    assert_eq!(survey_count(&app).await, 2, "importing the same file again does not double it");
    let mut corrected = good.clone();
    corrected[0] = line(2, &[&hall, "2026-11", "电话测评", "江城市统计调查中心", "200", "96", "", "", "", "", "", ""]);
    let (_, fixed) = app.post(&supervisor, path, import(false, corrected)).await;
    assert_eq!((fixed["updated"].as_u64(), fixed["unchanged"].as_u64()), (Some(1), Some(1)), "{fixed}");
    assert_eq!(survey_count(&app).await, 2);

    // Replicated read-only: the hall sees its results with the computed score; 西山区 sees none;
    // the KPIs are the citizens' ratings alone.
    let rows = feed_rows(&app, &app.token("donghu.manager").await, "survey_result").await;
    let latest: Vec<&Value> = rows.iter().filter(|r| r["method"] == "on_site").collect();
    assert_eq!(latest.last().map(|r| r["satisfaction_centi"].clone()), Some(json!(9000)), "{rows:?}");
    assert_eq!(latest.last().map(|r| r["levels"].clone()), Some(json!([5, 3, 1, 1, 0])));
    assert!(feed_rows(&app, &app.token("xishan.supervisor").await, "survey_result").await.is_empty());
    // A line number outside the file (the header's, or beyond int32) is refused.
    for n in [1u64, 2_147_483_648] {
        let body = import(true, vec![json!({"line": n, "cells": [&hall]})]);
        let (status, _) = app.post(&supervisor, path, body).await;
        assert_eq!(status, 422, "line {n}");
    }
    // Hall managers, liaisons and staff may not import.
    for who in ["donghu.manager", "donghu.liaison", "donghu.staff"] {
        let (status, _) = app.post(&app.token(who).await, path, import(true, good.clone())).await;
        assert_eq!(status, 403, "{who}");
    }
    let (_, audit) = app.get(&supervisor, "/api/v1/audit?action=survey.").await;
    assert_eq!(audit.as_array().map(Vec::len), Some(3), "three imports stored: {audit}");
    app.server.stop().await;
}
