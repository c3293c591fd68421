//! 排名考核: the staff and window leagues of the caller's jurisdiction (`GET /api/v1/rankings`).

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::spawn_app;

pub async fn leagues_rank_only_the_callers_jurisdiction_with_the_policys_minimum_sample(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("city.supervisor").await;
    let manager = app.token("donghu.manager").await;

    let (status, city) = app.get(&supervisor, "/api/v1/rankings?of=staff&period=2026-11").await;
    assert_eq!(status, 200, "{city}");
    assert_eq!(city["periodLabel"], "2026年11月");
    assert_eq!(city["minSample"], 10, "the default minimum sample");
    let ranked = city["ranked"].as_array().expect("ranked");
    assert!(!ranked.is_empty(), "{city}");
    assert_eq!(ranked[0]["rank"], 1);
    for e in ranked {
        assert!(e["sampleSize"].as_u64().is_some_and(|n| n >= 10), "{e}");
    }
    for e in city["tooFew"].as_array().expect("too few") {
        assert!(e["rank"].is_null() && e["sampleSize"].as_u64().is_some_and(|n| (1..10).contains(&n)), "{e}");
    }

    // A hall manager's league holds their hall's staff only.
    let (status, hall) = app.get(&manager, "/api/v1/rankings?of=staff&period=2026-11").await;
    assert_eq!(status, 200, "{hall}");
    let lines: Vec<&Value> =
        hall["ranked"].as_array().expect("ranked").iter().chain(hall["tooFew"].as_array().expect("few")).collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|e| e["unitName"] == "东湖区政务服务中心"), "{hall}");

    // The jurisdiction's policy sets the minimum sample: with 1, nobody who was rated is left out.
    let admin = app.token("admin").await;
    let (_, units) = app.get(&admin, "/api/v1/admin/org-units").await;
    let city_id = units
        .as_array()
        .and_then(|u| u.iter().find(|u| u["kind"] == "city"))
        .map(|u| u["id"].clone())
        .expect("the city");
    let (_, mut policy) = app.get(&admin, &format!("/api/v1/admin/policies/{city_id}")).await;
    let mut body = policy["policy"].take();
    if body.is_null() {
        body = policy;
    }
    let put = |min_sample: u32| {
        let mut body = body.clone();
        body["assessment"] = json!({ "min_sample": min_sample });
        let req = app.http.put(app.url(&format!("/api/v1/admin/policies/{city_id}"))).bearer_auth(&admin).json(&body);
        async move { req.send().await.expect("put policy").status().as_u16() }
    };
    assert_eq!(put(1).await, 200);
    let (_, all) = app.get(&supervisor, "/api/v1/rankings?of=staff&period=2026-11").await;
    assert_eq!(all["minSample"], 1);
    assert_eq!(all["tooFew"].as_array().map(Vec::len), Some(0), "{all}");
    assert_eq!(
        all["ranked"].as_array().map(Vec::len),
        Some(ranked.len() + city["tooFew"].as_array().map_or(0, Vec::len)),
        "the same members, all ranked"
    );
    assert_eq!(put(0).await, 422, "a minimum sample of 0 is refused");

    // Windows and a quarter.
    let (status, windows) = app.get(&supervisor, "/api/v1/rankings?of=window&period=2026-Q4").await;
    assert_eq!(status, 200, "{windows}");
    assert_eq!(windows["periodLabel"], "2026年第四季度");
    assert_eq!((windows["firstDay"].as_str(), windows["lastDay"].as_str()), (Some("2026-10-01"), Some("2026-12-31")));

    // Bad parameters are refused with a reason.
    for (query, want) in [
        ("?of=staff&period=2026-13", 422),
        ("?of=staff&period=2026-Q5", 422),
        ("?of=hall&period=2026-11", 422),
        ("?of=staff", 400),
        ("?of=staff&period=2026-11&extra=1", 400),
    ] {
        let (status, body) = app.get(&supervisor, &format!("/api/v1/rankings{query}")).await;
        assert_eq!(status, want, "{query}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{query}: {body}");
    }
}

/// 倒逼: a district's bottom rule opens one 限期整改 case per member whose run at the bottom reached
/// the rule's length, on the first working morning of the month, and never twice.
pub async fn the_bottom_rule_opens_one_rectification_case_per_run(backend: Backend) {
    use hcp_domain::league::{bottom_streaks, BottomRule, LeagueOf, LeagueTable};
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let supervisor = app.token("donghu.supervisor").await;
    let (_, units) = app.get(&admin, "/api/v1/admin/org-units").await;
    let district = units
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == "东湖区"))
        .map(|u| u["id"].as_i64().expect("id"))
        .expect("东湖区");
    // Monday 7 December 2026, 10:00 Beijing time: November closes a run of October and November.
    let morning =
        chrono::DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("time").with_timezone(&chrono::Utc);
    // Everybody rated is ranked (the test city is small); then the rule is chosen from the tables.
    let (_, current) = app.get(&admin, &format!("/api/v1/admin/policies/{district}")).await;
    let body = current["policy"].clone();
    let put = |assessment: serde_json::Value| {
        let mut body = body.clone();
        body["assessment"] = assessment;
        let req = app.http.put(app.url(&format!("/api/v1/admin/policies/{district}"))).bearer_auth(&admin).json(&body);
        async move { req.send().await.expect("put policy").status().as_u16() }
    };
    assert_eq!(put(json!({ "min_sample": 1 })).await, 200);
    let mut tables: Vec<LeagueTable> = Vec::new();
    for month in ["2026-09", "2026-10", "2026-11"] {
        let (status, t) = app.get(&supervisor, &format!("/api/v1/rankings?of=staff&period={month}")).await;
        assert_eq!(status, 200, "{t}");
        tables.push(serde_json::from_value(t).expect("a league table"));
    }
    // The smallest bottom that catches somebody in this data: the expectation is the domain's rule
    // over the server's published tables.
    let sizes: Vec<usize> = tables.iter().map(|t| t.ranked.len()).collect();
    let (rule, expected) = (1..=10)
        .map(|bottom| BottomRule { of: LeagueOf::Staff, bottom, months: 2 })
        .map(|rule| (rule, bottom_streaks(&tables, &rule)))
        .find(|(_, s)| !s.is_empty())
        .unwrap_or_else(|| panic!("somebody at the bottom two months running (ranked per month: {sizes:?})"));
    let rule_json = json!({ "of": "staff", "bottom": rule.bottom, "months": 2 });
    assert_eq!(put(json!({ "min_sample": 1, "bottom_rule": rule_json })).await, 200);
    // Out of bounds, or an unknown field, is refused.
    assert_eq!(put(json!({ "min_sample": 1, "bottom_rule": { "of": "staff", "bottom": 1, "months": 1 } })).await, 422);
    assert_eq!(
        put(json!({ "min_sample": 1, "bottom_rule": { "of": "staff", "bottom": 1, "months": 3, "x": 1 } })).await,
        422
    );

    let evaluate = |at: chrono::DateTime<chrono::Utc>| {
        let db = app.db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                hcp_server::assessment::evaluate(&db, &hcp_domain::Calendar::bundled(), at, &Default::default())
            })
            .await
            .expect("join")
            .expect("evaluate")
        }
    };
    // At night nothing happens: the jurisdiction waits for its working hours.
    let night = morning - chrono::Duration::hours(12);
    let r = evaluate(night).await;
    assert_eq!((r.rules, r.waiting, r.opened), (1, 1, 0), "{r:?}");

    let r = evaluate(morning).await;
    assert_eq!((r.opened, r.refused), (expected.len() as u64, 0), "{r:?}");
    let again = evaluate(morning + chrono::Duration::hours(1)).await;
    assert_eq!((again.opened, again.duplicates), (0, expected.len() as u64), "never twice: {again:?}");

    let opened: Vec<(String, Option<i64>, String)> = app
        .db
        .read(|c| {
            c.query_map(
                "SELECT case_no, staff_id, aggregate FROM cases WHERE source = 'assessment' ORDER BY id",
                (),
                |r| Ok((r.get::<String>(0)?, r.get::<Option<i64>>(1)?, r.get::<String>(2)?)),
            )
        })
        .await
        .expect("cases");
    assert_eq!(opened.len(), expected.len());
    for (s, (case_no, staff, aggregate)) in expected.iter().zip(&opened) {
        assert!(case_no.starts_with("XQ-2026-"), "{case_no}");
        assert_eq!(*staff, Some(s.id));
        assert!(aggregate.contains(&s.ranks_zh()), "the case says why: {aggregate}");
        assert!(aggregate.contains("连续2个月"), "{aggregate}");
    }
    // The case is an ordinary one: in the change feed (so on every replica of the district) and
    // the audit log.
    let case_no = opened[0].0.clone();
    let (changes, audited): (i64, i64) = app
        .db
        .read(move |c| {
            let id: i64 = c.query_row("SELECT id FROM cases WHERE case_no = ?1", [case_no], |r| r.get(0))?;
            Ok((
                c.query_row("SELECT count(*) FROM changes WHERE entity = 'case' AND entity_id = ?1", [id], |r| {
                    r.get(0)
                })?,
                c.query_row("SELECT count(*) FROM audit_log WHERE target = ?1", [format!("case:{id}")], |r| r.get(0))?,
            ))
        })
        .await
        .expect("feed");
    assert!(changes >= 1 && audited >= 1, "{changes} changes, {audited} audit entries");

    // 约谈: the supervisor records the talk on the 限期整改 case; an ordinary bad review takes none.
    let case_no = opened[0].0.clone();
    let (case_id, version): (i64, i64) = app
        .db
        .read(move |c| {
            c.query_row("SELECT id, version FROM cases WHERE case_no = ?1", [case_no], |r| Ok((r.get(0)?, r.get(1)?)))
        })
        .await
        .expect("the case");
    let talk = |id: &str, case: i64, base: i64| {
        super::cmd(
            id,
            case,
            base,
            json!({"type": "record_interview", "held_on": "2026-12-01", "interviewee": "被约谈人（窗口工作人员）",
                   "content": "连续两个月排名末位，要求一周内提交整改方案"}),
        )
    };
    let (status, body) = app.post(&supervisor, "/api/v1/cases/commands", talk("talk-1", case_id, version)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(body["case"]["version"], version + 1);
    let recorded: String = app
        .db
        .read(move |c| {
            c.query_row("SELECT kind FROM case_events WHERE case_id = ?1 ORDER BY id DESC LIMIT 1", [case_id], |r| {
                r.get(0)
            })
        })
        .await
        .expect("event");
    assert_eq!(recorded, "interview_recorded");
    let (ordinary, v) = app.new_case("TALK-1").await;
    let (status, body) = app.post(&supervisor, "/api/v1/cases/commands", talk("talk-2", ordinary, v)).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("interview_not_applicable")), "{body}");
}

/// 服务明星 / 办事能手: a supervisor confirms a candidate of the rule in the jurisdiction's policy,
/// once; the server proposes again from its own league, so nobody else can be awarded.
pub async fn a_supervisor_confirms_only_the_rules_candidates_once(backend: Backend) {
    use hcp_domain::league::LeagueTable;
    use hcp_domain::merit::{candidates, AwardKind, StarRule};
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let supervisor = app.token("donghu.supervisor").await;
    let (district, _) = app.unit_of("东湖区").await;
    // A rule the seeded month's small samples can satisfy: any member rated at all, without a
    // standing bad review.
    let rule = StarRule { min_sample: 1, min_score: 0.5, stars: 2, able: 1 };
    let (_, policy) = app.get(&admin, &format!("/api/v1/admin/policies/{district}")).await;
    let mut body = policy["policy"].clone();
    body["assessment"]["stars"] = serde_json::to_value(rule).expect("rule");
    body["assessment"]["min_sample"] = json!(1);
    let req = app.http.put(app.url(&format!("/api/v1/admin/policies/{district}"))).bearer_auth(&admin).json(&body);
    let put = req.send().await.expect("put policy");
    assert_eq!(put.status().as_u16(), 200);

    let (status, league) = app.get(&supervisor, "/api/v1/rankings?of=staff&period=2026-11").await;
    assert_eq!(status, 200, "{league}");
    let table: LeagueTable = serde_json::from_value(league.clone()).expect("a league table");
    let proposed = candidates(&table, &rule);
    let star = proposed
        .iter()
        .find(|c| c.kind == AwardKind::Star)
        .unwrap_or_else(|| panic!("a star candidate in the seeded month: {policy} {league}"));
    let confirm = |command: &str, kind: &str, staff: i64| json!({"command_id": command, "kind": kind, "period": "2026-11", "staff_id": staff});

    let (status, award) = app.post(&supervisor, "/api/v1/awards", confirm("award-1", "star", star.entry.id)).await;
    assert_eq!(status, 200, "{award}");
    assert_eq!(award["kind"], "star");
    assert_eq!(award["staff_name"], star.entry.name.as_str());
    assert_eq!(award["sample_size"], star.entry.sample_size);
    assert_eq!(award["reason"], star.reason.as_str());
    assert_eq!(award["confirmed_by_name"].as_str().map(str::is_empty), Some(false));
    // The same command again: the same award.
    let (status, again) = app.post(&supervisor, "/api/v1/awards", confirm("award-1", "star", star.entry.id)).await;
    assert_eq!((status, &again["id"]), (200, &award["id"]), "{again}");
    // Another confirmation of the same member and period is refused.
    let (status, twice) = app.post(&supervisor, "/api/v1/awards", confirm("award-2", "able", star.entry.id)).await;
    assert_eq!((status, twice["code"].as_str()), (409, Some("already_decided")), "{twice}");
    // Someone the rule does not propose (a bad review stands, or too few ratings) is refused.
    let not: Vec<i64> = table
        .ranked
        .iter()
        .chain(&table.too_few)
        .map(|e| e.id)
        .filter(|id| !proposed.iter().any(|c| c.entry.id == *id))
        .collect();
    let other = *not.first().expect("someone the rule does not propose");
    let (status, refused) = app.post(&supervisor, "/api/v1/awards", confirm("award-3", "star", other)).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("conflict")), "{refused}");
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("不是")), "{refused}");
    // A candidate for one title is not confirmed as the other.
    if let Some(able) = proposed.iter().find(|c| c.kind == AwardKind::Able) {
        let (status, wrong) = app.post(&supervisor, "/api/v1/awards", confirm("award-4", "star", able.entry.id)).await;
        assert_eq!(status, 409, "{wrong}");
        let (status, ok) = app.post(&supervisor, "/api/v1/awards", confirm("award-5", "able", able.entry.id)).await;
        assert_eq!(status, 200, "{ok}");
    }
    // Another district's member of staff is not found; a hall manager may not confirm.
    let (_, west) = app.get(&admin, "/api/v1/admin/staff").await;
    let league_path = award["league_path"].as_str().expect("league path").to_owned();
    let west_staff = west
        .as_array()
        .and_then(|s| s.iter().find(|s| s["unit_path"].as_str().is_some_and(|p| !p.starts_with(&league_path))))
        .map(|s| s["id"].as_i64().expect("id"))
        .expect("a member of staff of another district");
    let (status, _) = app.post(&supervisor, "/api/v1/awards", confirm("award-6", "star", west_staff)).await;
    assert_eq!(status, 404);
    let manager = app.token("donghu.manager").await;
    let (status, _) = app.post(&manager, "/api/v1/awards", confirm("award-7", "star", star.entry.id)).await;
    assert_eq!(status, 403);
    // Unknown fields and bad periods are refused.
    let mut extra = confirm("award-8", "star", star.entry.id);
    extra["note"] = json!("x");
    let (status, _) = app.post(&supervisor, "/api/v1/awards", extra).await;
    assert!(matches!(status, 400 | 422), "{status}");
    let (status, _) = app
        .post(
            &supervisor,
            "/api/v1/awards",
            json!({"command_id": "a9", "kind": "star", "period": "2026-13", "staff_id": 1}),
        )
        .await;
    assert_eq!(status, 422);

    // The award reaches the feed of the member's jurisdiction.
    let mut after = 0;
    let mut fed = Vec::new();
    loop {
        let (status, page) = app.get(&supervisor, &format!("/api/v1/sync/pull?after={after}&limit=1000")).await;
        assert_eq!(status, 200, "{page}");
        fed.extend(page["changes"].as_array().expect("changes").iter().filter(|c| c["entity"] == "award").cloned());
        after = page["cursor"].as_i64().expect("cursor");
        if page["has_more"] != true {
            break;
        }
    }
    let fed = fed.iter().find(|c| c["entity_id"] == award["id"]).expect("the award in the feed");
    assert_eq!(fed["entity_id"], award["id"]);
    assert_eq!(fed["row"]["row"]["staff_id"], star.entry.id, "{fed}");
    let (_, audit) = app.get(&admin, "/api/v1/audit?action=award.confirm").await;
    assert!(audit.to_string().contains("服务明星"), "{audit}");
}
