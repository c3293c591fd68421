//! 定期公开: the month's published figures leave the server without personal data and with small
//! counts suppressed, for supervisors and administrators only.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::spawn_app;

/// Real-looking evaluators (name, mobile, 18-digit certificate number) rating a named staff member.
const PEOPLE: [(&str, &str, &str); 6] = [
    ("欧阳娜娜", "13912345678", "110101199003071234"),
    ("司马相如", "13800138000", "44030119851212563X"),
    ("诸葛明亮", "15099887766", "320102197705051111"),
    ("上官婉儿", "18612341234", "510104199912120022"),
    ("东方既白", "13722223333", "330106200001010033"),
    ("令狐冲冲", "17744445555", "420106198808080044"),
];

pub async fn the_public_disclosure_holds_no_personal_data_and_suppresses_small_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let (hall_code, staff_no, staff_name): (String, String, String) = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT o.code, s.employee_no, s.name FROM org_units o JOIN staff s ON s.unit_id = o.id
                  WHERE o.name = '东湖区政务服务中心' ORDER BY s.id LIMIT 1",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .expect("a hall with staff");
    let ratings: Vec<Value> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, phone, cert))| {
            json!({"source": "disclosure-test", "service_record_no": format!("DT{i}"), "unit_code": hall_code,
                   "staff_employee_no": staff_no, "item_code": "DT-ITEM", "item_name": "不动产登记资料查询",
                   "channel": 4, "level": "very_dissatisfied", "content_codes": [110],
                   "comment": format!("{name}留言：电话{phone}"), "real_name": true,
                   "evaluator": {"name": name, "phone": phone, "cert": cert},
                   "rated_at": format!("2026-11-1{}T10:00:00+08:00", i % 9)})
        })
        .collect();
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({ "ratings": ratings })).await;
    assert_eq!(status, 200, "{body}");

    let supervisor = app.token("donghu.supervisor").await;
    let get = |token: &str, query: &str| {
        let req = app.http.get(app.url(&format!("/api/v1/disclosure{query}"))).bearer_auth(token);
        async move {
            let r = req.send().await.expect("disclosure");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, d) = get(&supervisor, "?month=2026-11").await;
    assert_eq!(status, 200, "{d}");
    let rows = d["rows"].as_array().expect("rows");
    assert_eq!(d["headers"].as_array().map(Vec::len), Some(16), "{d}");
    assert_eq!(rows.last().and_then(|r| r["unit"].as_str()), Some("合计"), "a total row last");
    let hall = rows.iter().find(|r| r["unit"] == "东湖区政务服务中心").expect("the hall's row");
    assert!(hall["top_items"].as_str().is_some_and(|s| s.contains("不动产登记资料查询")), "{hall}");
    assert!(hall["top_problems"].as_str().is_some_and(|s| s.starts_with("110 ")), "{hall}");
    assert_eq!(hall["channels"].as_array().map(Vec::len), Some(8));

    // Every count cell is 0, at least 5, or suppressed; every rate is a percentage or "—".
    for r in rows {
        let counts = std::iter::once(&r["ratings"])
            .chain(std::iter::once(&r["bad_reviews"]))
            .chain(r["channels"].as_array().expect("channels").iter());
        for c in counts {
            let c = c.as_str().expect("a string cell");
            let ok = c == "<5" || c.parse::<u64>().is_ok_and(|n| n == 0 || n >= 5);
            assert!(ok, "count cell {c} in {r}");
        }
        for rate in [&r["bad_rate"], &r["rectification_rate"]] {
            let s = rate.as_str().expect("rate");
            assert!(s == "—" || s.ends_with('%'), "{s}");
        }
    }
    assert!(rows.iter().any(|r| r.to_string().contains("<5")), "some small count is suppressed: {d}");

    // No personal data of anyone the database knows: evaluators (names, phones, certificates),
    // staff (names, employee numbers), case numbers, comments.
    let text = d.to_string();
    let mut personal: Vec<String> = app
        .db
        .read(|c| {
            let mut out: Vec<String> = c.query_map(
                "SELECT COALESCE(evaluator_name, ''), COALESCE(evaluator_phone, ''), COALESCE(evaluator_cert, ''), comment
                   FROM ratings",
                (),
                |r| Ok([r.get::<String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?]),
            )?
            .into_iter()
            .flatten()
            .collect();
            out.extend(c.query_map("SELECT name, employee_no FROM staff", (), |r| Ok([r.get::<String>(0)?, r.get(1)?]))?.into_iter().flatten());
            out.extend(c.query_map("SELECT case_no FROM cases", (), |r| r.get::<String>(0))?);
            Ok(out)
        })
        .await
        .expect("personal data");
    personal.retain(|p| p.chars().count() >= 2);
    personal.extend(PEOPLE.iter().flat_map(|(n, p, c)| [n.to_string(), p.to_string(), c.to_string()]));
    personal.push(staff_name);
    personal.push(staff_no);
    for p in &personal {
        assert!(!text.contains(p.as_str()), "personal data {p} leaked into the disclosure");
    }

    // Who may call it, and bad input.
    for user in ["donghu.liaison", "donghu.manager", "donghu.handler"] {
        let token = app.token(user).await;
        assert_eq!(get(&token, "?month=2026-11").await.0, 403, "{user}");
    }
    assert_eq!(get(&admin, "?month=2026-13").await.0, 422);
    assert_eq!(get(&admin, "?month=2026-11&evil=1").await.0, 400);
    // The district's supervisor sees only the district; the city's administrator the whole city.
    let (_, city) = get(&admin, "?month=2026-11").await;
    assert!(city["rows"].as_array().expect("rows").len() >= rows.len());
    assert!(!rows.iter().any(|r| r["unit"].as_str().is_some_and(|u| u.starts_with("西山区"))), "{d}");
    app.server.stop().await;
}

/// The audit trail viewer's filters: the acting user's name, the target, a period and the action
/// prefix, on both engines; bad values are refused.
pub async fn the_audit_trail_filters_by_actor_target_and_period(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let (case_id, _) = app.new_case("AUDIT-FILTER-1").await;
    let manager = app.token("donghu.manager").await;
    let body = super::cmd("audit-filter-1", case_id, 1, json!({"type": "verify", "outcome": "genuine"}));
    let (status, out) = app.post(&manager, "/api/v1/cases/commands", body).await;
    assert_eq!(status, 200, "{out}");
    let get = |query: String| {
        let req = app.http.get(app.url(&format!("/api/v1/audit{query}"))).bearer_auth(&supervisor);
        async move {
            let r = req.send().await.expect("audit");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, rows) = get(format!("?target=case:{case_id}")).await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().expect("rows").clone();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["target"] == format!("case:{case_id}")), "{rows:?}");
    let (_, by_actor) = get(format!("?target=case:{case_id}&actor=%E7%8E%8B")).await; // 王
    assert!(
        by_actor.as_array().is_some_and(
            |a| !a.is_empty() && a.iter().all(|r| r["user_name"].as_str().is_some_and(|n| n.contains('王')))
        ),
        "{by_actor}"
    );
    let (_, nobody) = get(format!("?target=case:{case_id}&actor=%25")).await; // a literal %
    assert_eq!(nobody.as_array().map(Vec::len), Some(0), "a % in the name is not a wildcard: {nobody}");
    let (_, past) = get(format!("?target=case:{case_id}&until=2000-01-01T00:00:00%2B08:00")).await;
    assert_eq!(past.as_array().map(Vec::len), Some(0), "{past}");
    let (_, now) = get(format!("?target=case:{case_id}&since=2000-01-01T00:00:00Z&action=case.")).await;
    let now = now.as_array().expect("rows");
    assert!(
        !now.is_empty() && now.iter().all(|r| r["action"].as_str().is_some_and(|a| a.starts_with("case."))),
        "{now:?}"
    );
    assert_eq!(get("?since=yesterday".into()).await.0, 422);
    assert_eq!(get(format!("?actor={}", "长".repeat(65))).await.0, 422);
    app.server.stop().await;
}
