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
