//! The authorization matrix, generated from the server's own OpenAPI document: every documented
//! operation × every principal (no token, each role of 东湖区, the district's and the city's
//! administrators) × an own and a foreign target (东湖区's record or 西山区's). An operation the
//! document lists but this table does not know fails the test, so a new route cannot ship untried.

use std::collections::BTreeSet;

use hcp_domain::case::machine::CommandKind;
use hcp_domain::role::Role;
use hcp_server::testing::Backend;
use reqwest::Method;
use serde_json::{json, Value};

use super::{cmd, spawn_app_with, TestApp};

/// Who calls: `None` is a request without a token.
const PRINCIPALS: [Option<&str>; 8] = [
    None,
    Some("donghu.manager"),
    Some("donghu.supervisor"),
    Some("donghu.liaison"),
    Some("donghu.handler"),
    Some("donghu.staff"),
    Some("donghu.admin"),
    Some("admin"),
];

/// Principal sets, by name.
const EVERY_ACCOUNT: &[&str] = &[
    "donghu.manager",
    "donghu.supervisor",
    "donghu.liaison",
    "donghu.handler",
    "donghu.staff",
    "donghu.admin",
    "admin",
];
const ADMINS: &[&str] = &["donghu.admin", "admin"];
const OVERSIGHT: &[&str] = &["donghu.supervisor", "donghu.liaison", "donghu.admin", "admin"];
const REVIEWERS: &[&str] = &["donghu.manager", "donghu.supervisor", "donghu.liaison"];
/// Whose jurisdiction holds a case at 东湖区政务服务中心 (the handler's department does not).
const SEE_HALL_CASES: &[&str] =
    &["donghu.manager", "donghu.supervisor", "donghu.liaison", "donghu.staff", "donghu.admin", "admin"];

/// The record an operation names (in its path or in its body), owned by 东湖区 or by 西山区.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Nothing,
    Case,
    Rating,
    Flag,
    OrgUnit,
    Staff,
    User,
    Item,
    District,
    /// A callback to the 12345 hotline about one of the side's cases.
    Delivery,
    SelfAssessment,
    /// An evidence file (`{sha256}`) on one of the side's cases.
    Attachment,
}

/// The ids of one side's records.
#[derive(Clone, Copy, Debug)]
struct Ids {
    case: i64,
    rating: i64,
    flag: i64,
    hall: i64,
    staff: i64,
    user: i64,
    item: i64,
    district: i64,
    delivery: i64,
    self_assessment: i64,
}

impl Ids {
    fn of(&self, t: Target) -> i64 {
        match t {
            Target::Nothing => 0,
            Target::Case => self.case,
            Target::Rating => self.rating,
            Target::Flag => self.flag,
            Target::OrgUnit => self.hall,
            Target::Staff => self.staff,
            Target::User => self.user,
            Target::Item => self.item,
            Target::District => self.district,
            Target::Delivery => self.delivery,
            Target::SelfAssessment => self.self_assessment,
            Target::Attachment => 0,
        }
    }
}

/// Who may use an operation.
#[derive(Clone, Copy)]
enum Allowed {
    /// These principals (the others get 403).
    Only(&'static [&'static str]),
    /// The roles the domain lets give the command tried (`verify` on a new case).
    VerifyingRoles,
    /// These principals, whose jurisdiction holds the record; the others get 403 or 404.
    InScope(&'static [&'static str]),
}

/// What the table says of one documented operation.
struct Rule {
    /// Answers without a token.
    public: bool,
    allowed: Allowed,
    target: Target,
}

fn rule(method: &str, path: &str) -> Option<Rule> {
    let r = |allowed, target| Some(Rule { public: false, allowed: Allowed::Only(allowed), target });
    match (method, path) {
        // The desktop app's updates: asked for before anyone signs in (packages are signed).
        ("get", "/healthz" | "/api/openapi.json")
        | ("post", "/api/v1/auth/login")
        | ("get", "/api/v1/updates/{target}/{current_version}" | "/api/v1/updates/files/{target}/{version}/{file}") => {
            Some(Rule { public: true, allowed: Allowed::Only(EVERY_ACCOUNT), target: Target::Nothing })
        }
        ("post", "/api/v1/auth/logout" | "/api/v1/auth/password")
        | ("get", "/api/v1/me" | "/api/v1/sync/snapshot" | "/api/v1/sync/pull" | "/api/v1/kpis" | "/api/v1/rankings") => {
            r(EVERY_ACCOUNT, Target::Nothing)
        }
        // Each account gets its own jurisdiction's image (the routes name none; built below for all).
        ("get", "/api/v1/sync/image/info" | "/api/v1/sync/image") => r(EVERY_ACCOUNT, Target::Nothing),
        // Which command a role may give is the domain's decision: the table asks the domain.
        ("post", "/api/v1/cases/commands" | "/api/v1/sync/push") => {
            Some(Rule { public: false, allowed: Allowed::VerifyingRoles, target: Target::Case })
        }
        ("post", "/api/v1/intake/ratings" | "/api/v1/intake/complaints") => r(ADMINS, Target::Nothing),
        ("get", "/api/v1/audit/evidence/verify" | "/api/v1/audit") => r(OVERSIGHT, Target::Nothing),
        ("post", "/api/v1/ratings/{id}/reveal") => r(REVIEWERS, Target::Rating),
        ("post", "/api/v1/doc-numbers/reserve") => r(&["donghu.manager", "donghu.supervisor"], Target::Nothing),
        ("get", "/api/v1/integrity/flags") => r(REVIEWERS, Target::Nothing),
        ("post", "/api/v1/integrity/flags/{id}/decision") => r(&["donghu.manager", "donghu.supervisor"], Target::Flag),
        ("post", "/api/v1/integrity/scan") => r(&["donghu.supervisor", "donghu.admin", "admin"], Target::Nothing),
        // 服务明星 / 办事能手 are confirmed by the supervision office.
        ("post", "/api/v1/awards") => r(&["donghu.supervisor"], Target::Staff),
        // 定期公开: published by supervisors and administrators (the figures of their jurisdiction).
        ("get", "/api/v1/disclosure") => r(&["donghu.supervisor", "donghu.admin", "admin"], Target::Nothing),
        ("get", "/api/v1/admin/org-units" | "/api/v1/admin/staff" | "/api/v1/admin/users" | "/api/v1/admin/items")
        | ("post", "/api/v1/admin/org-units" | "/api/v1/admin/staff" | "/api/v1/admin/users" | "/api/v1/admin/items") => {
            r(ADMINS, Target::Nothing)
        }
        // Supervisors read the calendar too (its warning that next year's notice is missing).
        ("get", "/api/v1/admin/calendar") => r(&["donghu.supervisor", "donghu.admin", "admin"], Target::Nothing),
        ("patch", "/api/v1/admin/org-units/{id}") => r(ADMINS, Target::OrgUnit),
        ("patch", "/api/v1/admin/staff/{id}") => r(ADMINS, Target::Staff),
        ("patch", "/api/v1/admin/users/{id}") => r(ADMINS, Target::User),
        ("patch", "/api/v1/admin/items/{id}") => r(ADMINS, Target::Item),
        // The calendar is the whole city's: only the city's administrator publishes it.
        ("put", "/api/v1/admin/calendar") | ("post", "/api/v1/admin/calendar/years") => r(&["admin"], Target::Nothing),
        ("get" | "put", "/api/v1/admin/policies/{unit_id}") => r(ADMINS, Target::District),
        // 12345回传: the callbacks about the administrator's own cases.
        ("get", "/api/v1/admin/hotline/deliveries") => r(ADMINS, Target::Nothing),
        ("post", "/api/v1/admin/hotline/deliveries/{id}/retry") => r(ADMINS, Target::Delivery),
        // 自我评价: the hall's own manager submits; a supervisor of the jurisdiction reviews.
        ("post", "/api/v1/self-assessments") => r(&["donghu.manager"], Target::OrgUnit),
        ("post", "/api/v1/self-assessments/{id}/review") => r(&["donghu.supervisor"], Target::SelfAssessment),
        // 第三方评价: supervisors and administrators import survey results of their jurisdiction.
        ("post", "/api/v1/surveys/import") => r(&["donghu.supervisor", "donghu.admin", "admin"], Target::Nothing),
        // Evidence files: whoever's jurisdiction holds the case (a foreign file is not found).
        ("post", "/api/v1/attachments") => {
            Some(Rule { public: false, allowed: Allowed::InScope(SEE_HALL_CASES), target: Target::Case })
        }
        ("get", "/api/v1/attachments/{sha256}" | "/api/v1/attachments/{sha256}/chunks")
        | ("put", "/api/v1/attachments/{sha256}/chunks/{index}")
        | ("post", "/api/v1/attachments/{sha256}/complete" | "/api/v1/attachments/{sha256}/proof") => {
            Some(Rule { public: false, allowed: Allowed::InScope(SEE_HALL_CASES), target: Target::Attachment })
        }
        // The limits of evidence files: every account (a client checks a file before queuing it).
        ("get", "/api/v1/attachments/limits") => r(EVERY_ACCOUNT, Target::Nothing),
        _ => None,
    }
}

/// A valid body for the operation, unique per call (`n`), naming `id` where the operation names a
/// record in its body.
fn body_for(method: &str, path: &str, n: usize, id: i64, principal: &str, fx: &Fixture) -> Option<Value> {
    let command =
        |case_id: i64| cmd(&format!("authz-{n}"), case_id, 1, json!({"type": "verify", "outcome": "genuine"}));
    let v = match (method, path) {
        ("post", "/api/v1/auth/login") => json!({"username": principal, "password": "wrong-Password-1"}),
        ("post", "/api/v1/auth/password") => {
            json!({"old_password": "wrong-Password-1", "new_password": "Another@2027"})
        }
        ("post", "/api/v1/cases/commands") => command(id),
        ("post", "/api/v1/sync/push") => json!({"client_id": format!("authz-{n}"), "commands": [command(id)]}),
        ("post", "/api/v1/intake/ratings") => {
            json!({"ratings": [{"source": "authz", "service_record_no": format!("AZ-{n}"),
            "unit_code": fx.hall_code, "item_code": "X-1", "item_name": "居民身份证换领", "channel": 4,
            "level": "satisfied", "rated_at": "2026-11-20T09:30:00+08:00"}]})
        }
        ("post", "/api/v1/intake/complaints") => json!({"ticket_no": format!("AZ-{n}"), "unit_code": fx.hall_code,
            "summary": "窗口推诿", "received_at": "2026-11-20T09:00:00+08:00"}),
        ("post", "/api/v1/ratings/{id}/reveal") => json!({"reason": "核实投诉情况需要联系本人"}),
        ("post", "/api/v1/doc-numbers/reserve") => {
            json!({"request_id": format!("authz-{n}"), "unit_id": fx.unit_of(principal), "year": 2026, "count": 1})
        }
        ("post", "/api/v1/integrity/flags/{id}/decision") => {
            json!({"command_id": format!("authz-{n}"), "verdict": "dismissed", "note": "核实正常"})
        }
        ("post", "/api/v1/awards") => {
            json!({"command_id": format!("authz-{n}"), "kind": "star", "period": "2026-11", "staff_id": id})
        }
        ("post", "/api/v1/admin/org-units") => {
            json!({"parent_id": fx.district, "name": format!("授权测试单位{n}"), "code": format!("AZU{n}"), "kind": "department"})
        }
        ("post", "/api/v1/admin/staff") => {
            json!({"unit_id": fx.hall, "name": format!("测试{n}"), "employee_no": format!("AZS{n}")})
        }
        ("post", "/api/v1/admin/users") => json!({"username": format!("authz.{n}"), "display_name": "授权测试",
            "password": "Authz@2026", "role": "hall_manager", "unit_id": fx.hall}),
        ("post", "/api/v1/admin/items") => {
            json!({"unit_id": fx.hall, "code": format!("AZI{n}"), "name": "授权测试事项"})
        }
        // Units keep their names: the test finds them by name.
        ("patch", "/api/v1/admin/org-units/{id}") => json!({}),
        ("patch", "/api/v1/admin/staff/{id}" | "/api/v1/admin/items/{id}") => json!({"name": format!("改名{n}")}),
        ("patch", "/api/v1/admin/users/{id}") => json!({"display_name": format!("改名{n}")}),
        ("put", "/api/v1/admin/calendar") => fx.calendar.clone(),
        ("post", "/api/v1/admin/calendar/years") => json!({"notice": {"number": format!("授权测试〔2026〕{n}号"),
            "title": "测试夹具：虚构的 2027 年放假安排", "url": ""}, "holiday_cn": super::calendar::fixture_2027()}),
        ("put", "/api/v1/admin/policies/{unit_id}") => fx.policy.clone(),
        ("post", "/api/v1/self-assessments") => super::self_assessment::submit_body(
            &format!("authz-{n}"),
            id,
            "2026-Q3",
            super::self_assessment::full_form(0),
        ),
        ("post", "/api/v1/self-assessments/{id}/review") => {
            json!({"command_id": format!("authz-{n}"), "decision": "approve"})
        }
        ("post", "/api/v1/surveys/import") => json!({"dry_run": true, "file_name": "authz.csv",
            "header": ["单位编码", "期间", "测评方式", "测评机构", "样本数", "满意度"],
            "rows": [{"line": 2, "cells": [fx.hall_code, "2026-11", "电话测评", "授权测试机构", "10", "90"]}]}),
        ("post", "/api/v1/attachments") => {
            json!({"case_id": id, "sha256": format!("{n:064x}"), "name": format!("授权测试{n}.jpg"), "size": 10})
        }
        ("post", "/api/v1/attachments/{sha256}/proof") => {
            json!({"challenge": format!("{n:032x}"), "proof": format!("{n:064x}")})
        }
        ("post", _) | ("put", _) | ("patch", _) => json!({}),
        _ => return None,
    };
    Some(v)
}

/// What the test needs besides the ids: codes, units and valid documents to put back.
struct Fixture {
    hall: i64,
    hall_code: String,
    district: i64,
    /// Each principal's unit and role.
    units: Vec<(String, i64, Role)>,
    calendar: Value,
    policy: Value,
    /// A complete evidence file on a case of each side: (东湖区's, 西山区's).
    files: (String, String),
}

impl Fixture {
    fn unit_of(&self, principal: &str) -> i64 {
        self.units.iter().find(|(p, _, _)| p == principal).map(|(_, u, _)| *u).unwrap_or(0)
    }

    fn may(&self, allowed: Allowed, principal: &str) -> bool {
        match allowed {
            Allowed::Only(names) | Allowed::InScope(names) => names.contains(&principal),
            Allowed::VerifyingRoles => self
                .units
                .iter()
                .find(|(p, _, _)| p == principal)
                .is_some_and(|(_, _, role)| CommandKind::Verify.allowed_roles().contains(role)),
        }
    }
}

impl TestApp {
    async fn id_where(&self, sql: &'static str, under: &str) -> i64 {
        let under = under.to_owned();
        self.db
            .read(move |c| c.query_row(sql, [under.clone(), format!("{under}~")], |r| r.get::<Option<i64>>(0)))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("no record for {sql}"))
    }

    /// A fresh 待核实 case (and its rating) under `under`'s hall.
    async fn ids_under(&self, district: &str, fresh_case: i64) -> Ids {
        let (district_id, _) = self.unit_of(district).await;
        let path: String = self
            .db
            .read(move |c| c.query_row("SELECT path FROM org_units WHERE id = ?1", [district_id], |r| r.get(0)))
            .await
            .expect("path");
        let rating = self
            .db
            .read(move |c| c.query_row("SELECT rating_id FROM cases WHERE id = ?1", [fresh_case], |r| r.get(0)))
            .await
            .expect("rating");
        Ids {
            case: fresh_case,
            rating,
            flag: self
                .id_where("SELECT min(id) FROM integrity_flags WHERE unit_path >= ?1 AND unit_path < ?2", &path)
                .await,
            hall: self.unit_of(&format!("{district}政务服务中心")).await.0,
            staff: self.id_where("SELECT min(id) FROM staff WHERE unit_path >= ?1 AND unit_path < ?2", &path).await,
            user: self
                .id_where(
                    "SELECT min(u.id) FROM users u JOIN org_units o ON o.id = u.unit_id
                      WHERE o.path >= ?1 AND o.path < ?2 AND u.role <> 'administrator'",
                    &path,
                )
                .await,
            item: self
                .id_where("SELECT min(id) FROM service_items WHERE unit_path >= ?1 AND unit_path < ?2", &path)
                .await,
            district: district_id,
            delivery: self
                .id_where(
                    "SELECT min(d.id) FROM hotline_deliveries d JOIN cases c ON c.id = d.case_id
                      WHERE c.unit_path >= ?1 AND c.unit_path < ?2",
                    &path,
                )
                .await,
            self_assessment: self
                .id_where("SELECT min(id) FROM self_assessments WHERE unit_path >= ?1 AND unit_path < ?2", &path)
                .await,
        }
    }
}

/// The documented operations: `(method, path)`, lower-case methods.
fn operations(spec: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone()));
            }
        }
    }
    ops
}

pub async fn the_authorization_matrix_holds_for_every_documented_operation(backend: Backend) {
    // Every account's jurisdiction gets a replica image (no minimum size), built before the table runs.
    let images = tempfile::tempdir().expect("tempdir");
    let image_cfg = hcp_server::replica_image::ImageConfig {
        dir: images.path().to_owned(),
        min_rows: 0,
        ..hcp_server::replica_image::ImageConfig::default()
    };
    let cfg = image_cfg.clone();
    let app = spawn_app_with(backend, move |s| {
        s.config = std::sync::Arc::new(hcp_server::Config { replica_images: cfg, ..hcp_server::Config::default() })
    })
    .await;
    let root = app.token("admin").await;
    let (donghu, _) = app.unit_of("东湖区").await;
    let (status, body) = app
        .post(
            &root,
            "/api/v1/admin/users",
            json!({"username": "donghu.admin", "display_name": "东湖区管理员", "password": "Admin@2026",
                   "role": "administrator", "unit_id": donghu}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Integrity leads (the demo's are 东湖区's; 西山区 gets one by hand) and a service item in each
    // district's hall, for the operations that name them.
    let (status, scan) = app.post(&root, "/api/v1/integrity/scan", json!({})).await;
    assert_eq!(status, 200, "{scan}");
    // A bad review at 西山区's hall opens the foreign case (it stays 待核实: no call here may touch it).
    let (_, xishan_code) = app.unit_of("西山区政务服务中心").await;
    let (status, intake) = app
        .post(
            &root,
            "/api/v1/intake/ratings",
            json!({"ratings": [{"source": "authz", "service_record_no": "AZ-XS-1",
            "unit_code": xishan_code, "item_code": "X-1", "item_name": "居民身份证换领", "channel": 4,
            "level": "very_dissatisfied", "comment": "窗口推诿", "rated_at": "2026-11-20T09:30:00+08:00"}]}),
        )
        .await;
    assert_eq!(status, 200, "{intake}");
    let foreign_case = intake["results"][0]["case_id"].as_i64().expect("a case in 西山区");
    let rating = intake["results"][0]["rating_id"].as_i64().expect("its rating");
    let (xishan_hall, _) = app.unit_of("西山区政务服务中心").await;
    app.db
        .write(move |c| {
            let path: String = c.query_row("SELECT path FROM org_units WHERE id = ?1", [xishan_hall], |r| r.get(0))?;
            c.execute(
                "INSERT INTO integrity_flags (unit_id, unit_path, kind, severity, explanation, rating_ids, fingerprint,
                                              status, detected_at, version)
                 VALUES (?1, ?2, 'burst_same_device', 'high', '授权测试线索', ?3, 'authz-xishan', 'open',
                         '2026-11-20T09:00:00Z', 1)",
                hcp_server::args![xishan_hall, path, rating.to_string()],
            )?;
            Ok(())
        })
        .await
        .expect("a lead in 西山区");
    for (n, hall_name) in ["东湖区政务服务中心", "西山区政务服务中心"].iter().enumerate() {
        let (unit, _) = app.unit_of(hall_name).await;
        let (status, item) = app
            .post(
                &root,
                "/api/v1/admin/items",
                json!({"unit_id": unit, "code": format!("AZ-ITEM-{n}"), "name": "授权测试事项"}),
            )
            .await;
        assert_eq!(status, 200, "{item}");
    }

    // A submitted self-assessment in each district's hall, for the review.
    for (manager, hall_name) in [("donghu.manager", "东湖区政务服务中心"), ("xishan.manager", "西山区政务服务中心")]
    {
        let (unit, _) = app.unit_of(hall_name).await;
        let body = super::self_assessment::submit_body(
            &format!("authz-{manager}"),
            unit,
            "2026-Q2",
            super::self_assessment::full_form(1),
        );
        let (status, sa) = app.post(&app.token(manager).await, "/api/v1/self-assessments", body).await;
        assert_eq!(status, 200, "{sa}");
    }

    let (_, spec) = app.get(&root, "/api/openapi.json").await;
    let ops = operations(&spec);
    let unknown: Vec<_> = ops.iter().filter(|(m, p)| rule(m, p).is_none()).collect();
    assert!(unknown.is_empty(), "operations without an authorization rule in this table: {unknown:?}");
    assert!(ops.len() >= 30, "the document lists the API: {}", ops.len());

    // A complete evidence file on a case of each side.
    let mut files = Vec::new();
    for (n, case) in [app.new_case("AZ-FILE").await.0, foreign_case].into_iter().enumerate() {
        let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
        bytes.extend_from_slice(format!("授权测试文件{n}").as_bytes());
        let sha256 = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        };
        let (status, row) = app
            .post(
                &root,
                "/api/v1/attachments",
                json!({"case_id": case, "sha256": sha256, "name": "授权测试.jpg", "size": bytes.len()}),
            )
            .await;
        assert_eq!(status, 200, "{row}");
        let r = app
            .http
            .put(app.url(&format!("/api/v1/attachments/{sha256}/chunks/0")))
            .bearer_auth(&root)
            .body(bytes)
            .send()
            .await
            .expect("chunk");
        assert_eq!(r.status(), 200);
        let (status, done) = app.post(&root, &format!("/api/v1/attachments/{sha256}/complete"), json!({})).await;
        assert_eq!(status, 200, "{done}");
        files.push(sha256);
    }
    let files = (files[0].clone(), files[1].clone());

    let (hall, hall_code) = app.unit_of("东湖区政务服务中心").await;
    let (_, calendar) = app.get(&root, "/api/v1/admin/calendar").await;
    let (_, policy) = app.get(&root, &format!("/api/v1/admin/policies/{donghu}")).await;
    let mut units = Vec::new();
    let mut tokens = Vec::new();
    for p in PRINCIPALS.iter().flatten() {
        let token = if *p == "donghu.admin" {
            let (_, v) = app.login(p, "Admin@2026").await;
            v["token"].as_str().expect("token").to_owned()
        } else {
            app.token(p).await
        };
        let (_, me) = app.get(&token, "/api/v1/me").await;
        let role: Role = serde_json::from_value(me["role"].clone()).expect("a role");
        units.push((p.to_string(), me["unit_id"].as_i64().unwrap_or(0), role));
        tokens.push((p.to_string(), token));
    }
    let fx = Fixture {
        hall,
        hall_code,
        district: donghu,
        units,
        calendar: calendar["calendar"].clone(),
        policy: policy["policy"].clone(),
        files,
    };

    let db = app.db.clone();
    tokio::task::spawn_blocking(move || hcp_server::replica_image::pass(&db, &image_cfg, chrono::Utc::now()))
        .await
        .expect("image task")
        .expect("replica images");
    let mut failures = Vec::new();
    let mut n = 0usize;
    let mut tried = 0usize;
    for (method, path) in &ops {
        let rule = rule(method, path).expect("checked above");
        for principal in PRINCIPALS {
            for foreign in [false, true] {
                if foreign && (rule.target == Target::Nothing || rule.public) {
                    continue;
                }
                // Each call gets its own records, so one principal's step does not change the next one's.
                n += 1;
                let (own_case, _) = app.new_case(&format!("AZ-C{n}")).await;
                let ids = if foreign {
                    app.ids_under("西山区", foreign_case).await
                } else {
                    app.ids_under("东湖区", own_case).await
                };
                let id = ids.of(rule.target);
                let file = if foreign { &fx.files.1 } else { &fx.files.0 };
                let concrete = path
                    .replace("{id}", &id.to_string())
                    .replace("{unit_id}", &id.to_string())
                    .replace("{sha256}", file)
                    .replace("{index}", "0");
                let concrete = match path.as_str() {
                    "/api/v1/sync/pull" => format!("{concrete}?after=0&limit=1"),
                    "/api/v1/kpis" | "/api/v1/disclosure" => format!("{concrete}?month=2026-11"),
                    "/api/v1/rankings" => format!("{concrete}?of=staff&period=2026-Q4"),
                    _ => concrete,
                };
                let who = principal.unwrap_or("anonymous");
                // Signing out or a fresh sign-in must not end the session the rest of the table uses.
                let token = match principal {
                    Some(p) if path == "/api/v1/auth/logout" => Some(if p == "donghu.admin" {
                        app.login(p, "Admin@2026").await.1["token"].as_str().expect("token").to_owned()
                    } else {
                        app.token(p).await
                    }),
                    Some(p) => tokens.iter().find(|(q, _)| q == p).map(|(_, t)| t.clone()),
                    None => None,
                };
                let mut req = app
                    .http
                    .request(Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"), app.url(&concrete));
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                if let Some(b) = body_for(method, path, n, id, principal.unwrap_or("anonymous"), &fx) {
                    req = req.json(&b);
                }
                let r = req.send().await.expect("request");
                let http_status = r.status().as_u16();
                let mut status = http_status;
                let answer: Value = r.json().await.unwrap_or(Value::Null);
                // A push answers 200 and decides each command inside: read its verdict as a status.
                if path == "/api/v1/sync/push" && status == 200 {
                    status = match (answer["results"][0]["status"].as_str(), answer["results"][0]["code"].as_str()) {
                        (Some("rejected"), Some("forbidden" | "role_not_allowed")) => 403,
                        (Some("rejected"), Some("not_found")) => 404,
                        (Some("rejected"), _) => 422,
                        _ => 200,
                    };
                }
                tried += 1;
                let allowed = principal.is_some_and(|p| fx.may(rule.allowed, p));
                let expected = match (principal, foreign) {
                    _ if status >= 500 => "never a server error",
                    _ if rule.public => "",
                    (None, _) => "401",
                    // A command on a case the role cannot see is not found before the role is asked.
                    (Some(_), _)
                        if !allowed && matches!(rule.allowed, Allowed::VerifyingRoles | Allowed::InScope(_)) =>
                    {
                        "403 or 404"
                    }
                    (Some(_), _) if !allowed => "403",
                    // The city's administrator owns both districts.
                    (Some("admin"), true) => "",
                    (Some(_), true) => "404",
                    (Some(_), false) => "not 401/403/404",
                };
                let ok = match expected {
                    "" => status < 500,
                    "401" => status == 401,
                    "403" => status == 403,
                    "403 or 404" => matches!(status, 403 | 404),
                    "404" => status == 404,
                    "not 401/403/404" => !matches!(status, 401 | 403 | 404 | 500..=599),
                    _ => false,
                };
                if !ok {
                    failures.push(format!(
                        "{} {concrete} as {who}{}: {status} (expected {expected}) {answer}",
                        method.to_uppercase(),
                        if foreign { " on 西山区's record" } else { "" }
                    ));
                }
                // Every error answer carries the API's body.
                if http_status >= 400 && answer["code"].as_str().is_none() {
                    failures.push(format!(
                        "{} {concrete} as {who}: {status} without {{code, message}}",
                        method.to_uppercase()
                    ));
                }
            }
        }
    }
    let distinct: BTreeSet<_> = ops.iter().collect();
    assert!(
        failures.is_empty(),
        "{} of {tried} calls over {} operations broke the matrix:\n{}",
        failures.len(),
        distinct.len(),
        failures.join("\n")
    );
    app.server.stop().await;
}
