//! Cross-crate scenarios: the real server and the real sync engine over HTTP.

mod faults;

use std::sync::{Arc, Mutex};

use hcp_replica::{CaseQuery, Replica, ReplicaKey};
use hcp_server::seed::DEMO_PASSWORD;
use hcp_sync::Client;
use hcp_tests::{account_scope, case_ids_in_scope, cases_in_scope, rows_in_scope, seeded_server};

async fn bootstrap_as(url: &str, dir: &std::path::Path, user: &str) -> (Arc<Mutex<Replica>>, String) {
    let client = Client::new(url).expect("client");
    let login = client.login(user, DEMO_PASSWORD, None).await.expect("login");
    let replica = Arc::new(Mutex::new(
        Replica::open(&dir.join(format!("{user}.db")), &ReplicaKey::from_bytes([9; 32])).expect("replica"),
    ));
    hcp_sync::bootstrap(&client, &login.token, replica.clone(), "2026-11-20T00:00:00Z".into(), |_| {})
        .await
        .expect("bootstrap");
    (replica, login.user.scope_path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_sees_exactly_its_jurisdiction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let mut seen = Vec::new();
    // Every role: administrator, supervisors (city and district), hall managers, the discipline
    // liaison, department handlers (whose replica holds the cases assigned into their unit) and a
    // rated staff member.
    for user in [
        "admin",
        "city.supervisor",
        "donghu.supervisor",
        "donghu.manager",
        "donghu.liaison",
        "donghu.handler",
        "donghu.staff",
        "xishan.manager",
        "xishan.handler",
        "gaoxin.manager",
    ] {
        let (replica, scope) = bootstrap_as(&srv.url(), dir.path(), user).await;
        let r = replica.lock().expect("lock");
        let page = r.list_cases(&CaseQuery { limit: 500, ..CaseQuery::default() }).expect("cases");
        assert_eq!(u64::from(page.total), cases_in_scope(&db, &scope).expect("count"), "{user}");
        let paths: Vec<String> = r
            .conn()
            .prepare("SELECT unit_path FROM ratings")
            .expect("prepare")
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(paths.iter().all(|p| p.starts_with(&scope)), "{user} holds only ratings in {scope}");
        assert_eq!(
            paths.len() as u64,
            rows_in_scope(&db, "ratings", &scope).expect("ratings"),
            "{user}: every rating of {scope}"
        );
        // Cases travel by their visibility path: exactly those the server replicates to the scope.
        let mut ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, case_ids_in_scope(&db, &scope).expect("ids"), "{user} holds exactly the cases of {scope}");
        seen.push((user, page.total));
    }
    let total = |u: &str| seen.iter().find(|(n, _)| *n == u).map(|(_, t)| *t).unwrap_or(0);
    assert!(total("city.supervisor") > total("donghu.supervisor"));
    assert!(total("donghu.supervisor") >= total("donghu.manager"));
    assert!(total("donghu.handler") > 0 && total("donghu.handler") < total("donghu.manager"), "{seen:?}");
    assert_eq!(total("admin"), total("city.supervisor"), "the city's administrator holds the city");
    assert_eq!(total("donghu.liaison"), total("donghu.supervisor"), "the liaison holds the district");
    assert_eq!(
        u64::from(total("city.supervisor")),
        cases_in_scope(&db, &account_scope(&db, "city.supervisor").expect("scope").0).expect("all"),
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_openapi_and_compressed_snapshot_over_plain_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded_server(dir.path(), 200).await.expect("server");
    let http = reqwest::Client::new();
    let health: serde_json::Value =
        http.get(format!("{}/healthz", srv.url())).send().await.expect("healthz").json().await.expect("json");
    assert_eq!(health["status"], "ok");
    let spec: serde_json::Value =
        http.get(format!("{}/api/openapi.json", srv.url())).send().await.expect("spec").json().await.expect("json");
    assert!(spec["openapi"].as_str().expect("version").starts_with("3."));
    for path in [
        "/healthz",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/sync/snapshot",
        "/api/v1/sync/pull",
    ] {
        assert!(spec["paths"].get(path).is_some(), "OpenAPI documents {path}");
    }
    let login: serde_json::Value = http
        .post(format!("{}/api/v1/auth/login", srv.url()))
        .json(&serde_json::json!({"username": "donghu.manager", "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["token"].as_str().expect("token");
    // Without automatic decompression, to see the encoding on the wire.
    let raw = reqwest::Client::builder().no_gzip().build().expect("client");
    let resp = raw
        .get(format!("{}/api/v1/sync/snapshot", srv.url()))
        .bearer_auth(token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("snapshot");
    assert_eq!(resp.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/x-ndjson"));
    // Evaluator identities never leave the server in bulk.
    let text = http
        .get(format!("{}/api/v1/sync/snapshot", srv.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("snapshot")
        .text()
        .await
        .expect("text");
    assert!(text.lines().last().expect("trailer").starts_with(r#"{"t":"end""#));
    assert!(!text.contains("evaluator_name") && !text.contains("evaluator_phone"));
    let bad = http
        .post(format!("{}/api/v1/auth/login", srv.url()))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("bad");
    assert!(bad.status().is_client_error());
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_and_the_server_compute_the_same_kpis() {
    use hcp_domain::kpi::{kpis, kpis_by, GroupBy, KpiParams, Kpis, Period, Subject};
    use hcp_domain::league::{AssessmentPolicy, LeagueOf, LeagueTable};
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded_server(dir.path(), 2_500).await.expect("server");
    let http = reqwest::Client::new();
    // One evaluator's clustered bad reviews confirmed malicious: their ratings and cases leave
    // the statistics through an integrity verdict, beside the seed's own exclusions.
    let url = srv.url();
    let supervisor = token_of(&http, &url, "city.supervisor").await;
    http.post(format!("{url}/api/v1/integrity/scan")).bearer_auth(&supervisor).send().await.expect("scan");
    let manager = token_of(&http, &url, "donghu.manager").await;
    let flags: serde_json::Value = http
        .get(format!("{url}/api/v1/integrity/flags?status=open"))
        .bearer_auth(&manager)
        .send()
        .await
        .expect("flags")
        .json()
        .await
        .expect("json");
    let cluster = flags
        .as_array()
        .and_then(|f| f.iter().find(|f| f["kind"] == "evaluator_cluster_on_staff"))
        .expect("the demo's evaluator cluster")["id"]
        .clone();
    http.post(format!("{url}/api/v1/integrity/flags/{cluster}/decision"))
        .bearer_auth(&manager)
        .json(&serde_json::json!({"command_id": "kpi-verdict", "verdict": "confirmed_malicious", "note": "回访核实为恶意差评"}))
        .send()
        .await
        .expect("decide")
        .error_for_status()
        .expect("decided");
    for user in ["city.supervisor", "donghu.manager"] {
        let (replica, scope) = bootstrap_as(&srv.url(), dir.path(), user).await;
        let token: String = {
            let v: serde_json::Value = http
                .post(format!("{}/api/v1/auth/login", srv.url()))
                .json(&serde_json::json!({"username": user, "password": DEMO_PASSWORD}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("json");
            v["token"].as_str().expect("token").to_owned()
        };
        let (ratings, cases) = {
            let r = replica.lock().expect("lock");
            (
                hcp_stats::rating_facts(r.conn(), &scope).expect("ratings"),
                hcp_stats::case_facts(r.conn(), &scope).expect("cases"),
            )
        };
        assert!(cases.iter().any(|c| c.excluded), "{user}: exclusions are part of the comparison");
        for (y, m) in [(2026, 11), (2026, 10), (2026, 8)] {
            let month = format!("{y}-{m:02}");
            let report: serde_json::Value = http
                .get(format!("{}/api/v1/kpis?month={month}", srv.url()))
                .bearer_auth(&token)
                .send()
                .await
                .expect("kpis")
                .json()
                .await
                .expect("json");
            let server_totals: Kpis = serde_json::from_value(report["totals"].clone()).expect("totals");
            let period = Period::month(y, m).expect("period");
            // The same as_of day on both sides (the server computed it moments ago).
            let params = KpiParams::beijing(chrono::Utc::now());
            let local = kpis(&ratings, &cases, Subject::All, &period, &params);
            assert_eq!(local, server_totals, "{user} {month}: totals");
            let by_unit = kpis_by(&ratings, &cases, GroupBy::Unit, &period, &params);
            let server_units = report["units"].as_array().expect("units");
            assert_eq!(server_units.len(), by_unit.len(), "{user} {month}: units");
            for u in server_units {
                let id = u["unit_id"].as_i64().expect("id");
                let k: Kpis = serde_json::from_value(u["kpis"].clone()).expect("kpis");
                assert_eq!(by_unit.get(&id), Some(&k), "{user} {month}: unit {id}");
            }
            if user == "city.supervisor" && month == "2026-11" {
                assert!(local.rated > 0 && local.bad > 0);
            }
        }
        // The staff and window leagues (排名考核): the replica's, from its aggregates, equal the
        // server's, from its facts, for a month and a quarter.
        for of in [LeagueOf::Staff, LeagueOf::Window] {
            for period in ["2026-11", "2026-Q4"] {
                let server: LeagueTable = http
                    .get(format!("{}/api/v1/rankings?of={}&period={period}", srv.url(), of.as_str()))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("rankings")
                    .error_for_status()
                    .expect("200")
                    .json()
                    .await
                    .expect("json");
                let local = {
                    let r = replica.lock().expect("lock");
                    hcp_app::rankings::league(&r, of, period, &AssessmentPolicy::default(), chrono::Utc::now())
                        .expect("the replica's league")
                };
                // Line by line, so a difference is readable. Scores are compared to 12 decimals:
                // serde_json reads a float back to within one unit in the last place.
                let lines = |t: &LeagueTable| {
                    let round = |v: Option<f64>| v.map(|v| (v * 1e12).round() / 1e12);
                    let mut t = t.clone();
                    for e in t.ranked.iter_mut().chain(t.too_few.iter_mut()) {
                        (e.score, e.raw_rate) = (round(e.score), round(e.raw_rate));
                    }
                    t
                };
                let (local, server) = (lines(&local), lines(&server));
                for (l, s) in local.ranked.iter().chain(&local.too_few).zip(server.ranked.iter().chain(&server.too_few))
                {
                    assert_eq!(l, s, "{user} {period} {of:?}");
                }
                assert_eq!(local, server, "{user} {period} {of:?}");
                assert!(!server.ranked.is_empty(), "{user} {period} {of:?}: somebody is ranked");
                assert!(server.ranked.iter().all(|e| e.sample_size >= server.min_sample), "{user} {period}");
                assert!(server.too_few.iter().all(|e| e.sample_size < server.min_sample && e.rank.is_none()));
                if of == LeagueOf::Window {
                    // Only the jurisdiction's windows, each under its own name and hall.
                    assert!(server.ranked.iter().all(|e| !e.name.starts_with('#') && e.unit_name.is_some()));
                }
            }
        }
    }
    srv.stop().await;
}

/// One laptop: a replica of the user's jurisdiction, bootstrapped, and its sync session.
struct Laptop {
    client: Client,
    token: String,
    id: String,
    scope: String,
    role: hcp_domain::Role,
    replica: Arc<Mutex<Replica>>,
}

impl Laptop {
    async fn new(url: &str, dir: &std::path::Path, user: &str, id: &str) -> Laptop {
        let client = Client::new(url).expect("client");
        let login = client.login(user, DEMO_PASSWORD, Some(id)).await.expect("login");
        let replica = Arc::new(Mutex::new(
            Replica::open(&dir.join(format!("{id}.db")), &ReplicaKey::from_bytes([7; 32])).expect("replica"),
        ));
        hcp_sync::bootstrap(&client, &login.token, replica.clone(), "2026-11-20T00:00:00Z".into(), |_| {})
            .await
            .expect("bootstrap");
        Laptop {
            client,
            token: login.token,
            id: id.to_owned(),
            scope: login.user.scope_path,
            role: login.user.role,
            replica,
        }
    }

    /// Queues a command made offline against the version this laptop holds.
    fn queue(&self, case_id: i64, command: serde_json::Value) -> String {
        let r = self.replica.lock().expect("lock");
        let base = r.case(case_id).expect("read").expect("the case is in the replica").version;
        let command_id = format!("{}-{case_id}-{}", self.id, command["type"].as_str().unwrap_or("cmd"));
        r.enqueue(&hcp_replica::NewCommand {
            command_id: &command_id,
            case_id: Some(case_id),
            base_version: Some(base),
            kind: command["type"].as_str().unwrap_or("verify"),
            command: &command.to_string(),
            created_at: "2026-11-20T10:00:00Z",
        })
        .expect("enqueue");
        command_id
    }

    async fn sync(&self) {
        hcp_sync::push(&self.client, &self.token, &self.id, self.replica.clone()).await.expect("push");
        hcp_sync::pull(&self.client, &self.token, self.replica.clone(), 500).await.expect("pull");
    }

    fn outbox_status(&self, command_id: &str) -> Option<(String, Option<String>)> {
        let r = self.replica.lock().expect("lock");
        r.outbox_item(command_id).expect("outbox").map(|i| (i.status, i.code.map(|c| c.as_str().to_owned())))
    }
}

/// Three laptops change the same cases while offline: two of one hall manager and one of the city
/// supervisor. When they reconnect, the first to reach the server wins each case; the others' commands
/// are refused with `version_conflict` and stay visible in their outboxes; and every replica ends
/// with exactly the server's rows for its jurisdiction (equal scope digests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_with_conflicting_offline_changes_converge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = seeded_server(dir.path(), 600).await.expect("server");
    let new_case = |no: &'static str| {
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                hcp_server::seed::demo_bad_review(&db, no, "社会保障卡补换", "窗口让我跑了三趟")
            })
            .await
            .expect("task")
            .expect("a new case")
        }
    };
    let x = new_case("CONV-X").await;
    let y = new_case("CONV-Y").await;
    let a = Laptop::new(&srv.url(), dir.path(), "donghu.manager", "laptop-a").await;
    let b = Laptop::new(&srv.url(), dir.path(), "donghu.manager", "laptop-b").await;
    let c = Laptop::new(&srv.url(), dir.path(), "city.supervisor", "laptop-c").await;

    // Offline, each decides on the same new cases from the same version.
    let genuine = serde_json::json!({"type": "verify", "outcome": "genuine"});
    let malicious = serde_json::json!({"type": "verify", "outcome": "malicious", "reason": "同一人反复恶意差评"});
    let a_x = a.queue(x, genuine.clone());
    let b_x = b.queue(x, malicious.clone());
    let b_y = b.queue(y, genuine.clone());
    let c_x = c.queue(x, malicious);
    let c_y = c.queue(y, genuine);

    // Back online in the order c, a, b: c wins both cases, a and b lose theirs.
    c.sync().await;
    a.sync().await;
    b.sync().await;
    for laptop in [&a, &b, &c] {
        laptop.sync().await;
    }
    assert_eq!(c.outbox_status(&c_x), None, "applied commands leave the outbox");
    assert_eq!(c.outbox_status(&c_y), None);
    for (laptop, id) in [(&a, &a_x), (&b, &b_x), (&b, &b_y)] {
        assert_eq!(
            laptop.outbox_status(id),
            Some(("rejected".to_owned(), Some("version_conflict".to_owned()))),
            "{id} lost and stays visible"
        );
    }
    // The server applied exactly the winners.
    let states: Vec<(String, i64)> = hcp_tests::blocking(|| {
        db.read_blocking(move |conn| {
            conn.query_map("SELECT state, version FROM cases WHERE id IN (?1, ?2) ORDER BY id", [x, y], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
    })
    .expect("states");
    // A malicious verdict asks for exclusion (a supervisor approves it separately).
    assert_eq!(states, vec![("exclusion_requested".to_owned(), 2), ("verified".to_owned(), 2)], "c's decisions stand");
    // Every replica equals the server over its jurisdiction.
    for laptop in [&a, &b, &c] {
        let (scope, role) = (laptop.scope.clone(), laptop.role);
        let since = laptop.replica.lock().expect("lock").window().expect("window").map(|w| w.since).unwrap_or_default();
        let server = hcp_tests::blocking(|| {
            db.read_blocking(move |conn| hcp_server::db::digest::scope_digest(conn, &scope, role, &since))
        })
        .expect("digest");
        let local = laptop.replica.lock().expect("lock").scope_digest().expect("digest");
        assert_eq!(local, server, "{} converged on the server's {}", laptop.id, laptop.scope);
    }
    // A manager's and the city supervisor's jurisdictions differ, and so do their digests.
    let (ad, cd) = (
        a.replica.lock().expect("lock").scope_digest().expect("a"),
        c.replica.lock().expect("lock").scope_digest().expect("c"),
    );
    assert_ne!(ad, cd);
    srv.stop().await;
}

/// Signs `user` in over plain HTTP and returns the bearer token.
async fn token_of(http: &reqwest::Client, url: &str, user: &str) -> String {
    let v: serde_json::Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    v["token"].as_str().expect("token").to_owned()
}

/// The replica's KPIs read from its incremental aggregates equal the server's published ones
/// (GET /api/v1/kpis), in total and per hall, for each month.
async fn assert_aggregates_equal_the_server(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    replica: &Mutex<Replica>,
    scope: &str,
    context: &str,
) -> hcp_domain::kpi::Kpis {
    use hcp_domain::kpi::{GroupBy, Kpis, Period, Subject};
    let mut november = Kpis::default();
    for (y, m) in [(2026, 11), (2026, 10), (2026, 8)] {
        let month = format!("{y}-{m:02}");
        let report: serde_json::Value = http
            .get(format!("{url}/api/v1/kpis?month={month}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("kpis")
            .json()
            .await
            .expect("json");
        let period = Period::month(y, m).expect("period");
        let now = chrono::Utc::now();
        let r = replica.lock().expect("lock");
        let totals = r.kpis(scope, Subject::All, &period, now).expect("aggregate totals");
        let server_totals: Kpis = serde_json::from_value(report["totals"].clone()).expect("totals");
        assert_eq!(totals, server_totals, "{context} {month}: totals");
        let by_unit = r.kpis_by(scope, GroupBy::Unit, &period, now).expect("aggregate units");
        let server_units = report["units"].as_array().expect("units");
        assert_eq!(server_units.len(), by_unit.len(), "{context} {month}: units");
        for u in server_units {
            let id = u["unit_id"].as_i64().expect("id");
            let k: Kpis = serde_json::from_value(u["kpis"].clone()).expect("kpis");
            assert_eq!(by_unit.get(&id), Some(&k), "{context} {month}: unit {id}");
        }
        if month == "2026-11" {
            november = totals;
        }
    }
    november
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_aggregates_follow_exclusions_and_match_the_server() {
    use hcp_domain::case::machine::VerifyOutcome;
    use hcp_domain::CaseCommand;
    use hcp_protocol::{CaseRow, CommandEnvelope};
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = seeded_server(dir.path(), 2_500).await.expect("server");
    let url = srv.url();
    let http = reqwest::Client::new();
    let client = Client::new(&url).expect("client");
    let (replica, scope) = bootstrap_as(&url, dir.path(), "city.supervisor").await;
    let token = token_of(&http, &url, "city.supervisor").await;
    let before = assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "bootstrapped").await;
    assert!(before.rated > 0 && before.bad > 0);
    // A hall manager's replica holds a smaller jurisdiction; it follows the same changes.
    let (hall, hall_scope) = bootstrap_as(&url, dir.path(), "donghu.manager").await;
    let hall_token = token_of(&http, &url, "donghu.manager").await;
    let hall_before =
        assert_aggregates_equal_the_server(&http, &url, &hall_token, &hall, &hall_scope, "hall bootstrapped").await;

    // A counted November bad review at 东湖区政务服务中心, still waiting to be verified.
    let (donghu, _) = account_scope(&db, "donghu.manager").expect("scope");
    let case: CaseRow = {
        let r = replica.lock().expect("lock");
        let id: i64 = r
            .conn()
            .query_row(
                "SELECT c.id FROM cases c JOIN ratings t ON t.id = c.rating_id
                  WHERE c.state = 'new' AND c.unit_path >= ?1 AND c.unit_path < ?2
                    AND t.rated_at >= '2026-11-01' AND t.rated_at < '2026-11-30'
                  ORDER BY c.id LIMIT 1",
                [donghu.clone(), format!("{donghu}~")],
                |row| row.get(0),
            )
            .expect("a new November bad review at 东湖");
        r.case(id).expect("case").expect("stored")
    };
    let command = |user_token: &str, base_version: i64, command: CaseCommand, n: u32| {
        let env = CommandEnvelope {
            command_id: format!("scenario-exclusion-{}-{n}", case.id),
            client_seq: None,
            case_id: Some(case.id),
            base_version: Some(base_version),
            attachments: Vec::new(),
            command,
        };
        http.post(format!("{url}/api/v1/cases/commands")).bearer_auth(user_token.to_owned()).json(&env).send()
    };
    // 恶意差评: the hall manager verifies it as malicious, a supervisor approves the exclusion.
    let manager = token_of(&http, &url, "donghu.manager").await;
    let verified: serde_json::Value = command(
        &manager,
        case.version,
        CaseCommand::Verify {
            outcome: VerifyOutcome::Malicious, reason: "同一设备一分钟内连续差评".into()
        },
        1,
    )
    .await
    .expect("verify")
    .error_for_status()
    .expect("verified")
    .json()
    .await
    .expect("json");
    let version = verified["case"]["version"].as_i64().expect("version");
    let supervisor = token_of(&http, &url, "donghu.supervisor").await;
    command(&supervisor, version, CaseCommand::ApproveExclusion { comment: "同意剔除".into() }, 2)
        .await
        .expect("approve")
        .error_for_status()
        .expect("approved");
    hcp_sync::pull(&client, &token, replica.clone(), 100).await.expect("pull the exclusion");
    hcp_sync::pull(&client, &hall_token, hall.clone(), 100).await.expect("the hall pulls the exclusion");
    let excluded = assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "excluded").await;
    let hall_excluded =
        assert_aggregates_equal_the_server(&http, &url, &hall_token, &hall, &hall_scope, "hall excluded").await;
    assert_eq!(hall_excluded.excluded_ratings, hall_before.excluded_ratings + 1);
    assert_eq!(excluded.excluded_ratings, before.excluded_ratings + 1, "the malicious review left the statistics");
    assert_eq!(excluded.rated + 1, before.rated);
    assert_eq!(excluded.bad + 1, before.bad);

    // The domain has no command that lifts an exclusion; an administrator's correction on the
    // server does, and reaches the replica as an ordinary case change.
    hcp_tests::blocking(|| {
        db.write_blocking(|c| {
            let mut row = hcp_server::db::cases::get(c, case.id)?.expect("case on the server");
            if let Some(a) = row.aggregate.as_mut() {
                a.excluded_from_stats = false;
            }
            row.version += 1;
            hcp_server::db::cases::update(c, &row, &row.updated_at)?;
            Ok(())
        })
    })
    .expect("correction");
    hcp_sync::pull(&client, &token, replica.clone(), 100).await.expect("pull the correction");
    hcp_sync::pull(&client, &hall_token, hall.clone(), 100).await.expect("the hall pulls the correction");
    let restored = assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "re-included").await;
    assert_eq!(restored, before, "the review counts again exactly as before");
    let hall_restored =
        assert_aggregates_equal_the_server(&http, &url, &hall_token, &hall, &hall_scope, "hall re-included").await;
    assert_eq!(hall_restored, hall_before);
    srv.stop().await;
}

/// The integrity queue across client and server: the server's detection raises the demo's leads,
/// the hall manager's verdict is queued offline in the replica, pushed, applied once, and both
/// the replica's aggregates and the server's KPIs drop the confirmed ratings; a late, conflicting
/// verdict from another laptop is refused and stays visible in that outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verdict_on_an_integrity_flag_queued_offline_leaves_both_statistics() {
    use hcp_domain::integrity::FlagVerdict;
    use hcp_protocol::FlagStatus;
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let url = srv.url();
    let http = reqwest::Client::new();
    let client = Client::new(&url).expect("client");
    let supervisor = token_of(&http, &url, "city.supervisor").await;
    let scan: serde_json::Value = http
        .post(format!("{url}/api/v1/integrity/scan"))
        .bearer_auth(&supervisor)
        .send()
        .await
        .expect("scan")
        .json()
        .await
        .expect("json");
    assert!(scan["created"].as_u64().unwrap_or(0) >= 5, "{scan}");

    let (city, city_scope) = bootstrap_as(&url, dir.path(), "city.supervisor").await;
    let (hall, hall_scope) = bootstrap_as(&url, dir.path(), "donghu.manager").await;
    let manager = client.login("donghu.manager", DEMO_PASSWORD, None).await.expect("login");
    let city_login = client.login("city.supervisor", DEMO_PASSWORD, None).await.expect("login");
    let before = assert_aggregates_equal_the_server(&http, &url, &supervisor, &city, &city_scope, "scanned").await;

    // The phone burst: four copy-pasted praises, confirmed fake on the hall manager's laptop.
    let flag = {
        let r = hall.lock().expect("lock");
        let flags = r.integrity_flags(&hall_scope, Some(FlagStatus::Open)).expect("flags");
        assert!(flags.len() >= 5, "the replica holds the queue: {flags:?}");
        flags.into_iter().find(|f| f.kind.as_str() == "burst_same_phone").expect("phone burst")
    };
    assert_eq!(flag.rating_ids.len(), 4);
    {
        let r = hall.lock().expect("lock");
        let (item, _) = hcp_app::integrity::decide(
            &r,
            &manager.user,
            flag.id,
            FlagVerdict::ConfirmedFake,
            "回访核实：同一人代他人评价",
            chrono::Utc::now(),
        )
        .expect("queued");
        assert_eq!(item.pending_verdict.as_deref(), Some("confirmed_fake"));
        assert!(!item.may_decide, "one verdict per flag");
        assert_eq!(item.ratings.len(), 4, "the queue shows the ratings");
        assert!(item.ratings.iter().all(|r| !r.evaluator_masked.contains("13912345678")));
    }
    // The city supervisor's laptop, also offline, dismisses the same flag.
    {
        let r = city.lock().expect("lock");
        hcp_app::integrity::decide(
            &r,
            &city_login.user,
            flag.id,
            FlagVerdict::Dismissed,
            "抽查认为正常",
            chrono::Utc::now(),
        )
        .expect("queued on the second laptop");
    }
    // Back online: the hall manager's verdict arrives first and is applied; the other is refused.
    let (applied, rejected) = hcp_sync::push(&client, &manager.token, "hall-laptop", hall.clone()).await.expect("push");
    assert_eq!((applied, rejected), (1, 0));
    let (applied, rejected) =
        hcp_sync::push(&client, &city_login.token, "city-laptop", city.clone()).await.expect("push");
    assert_eq!((applied, rejected), (0, 1));
    {
        let r = city.lock().expect("lock");
        let refused: Vec<_> = r.outbox().expect("outbox").into_iter().filter(|i| i.status == "rejected").collect();
        assert_eq!(refused.len(), 1, "the refused verdict stays for the user");
        assert_eq!(refused[0].code.map(hcp_protocol::ErrorCode::as_str), Some("already_decided"));
        assert!(refused[0].message.as_deref().unwrap_or_default().contains("王主任"), "{refused:?}");
    }
    hcp_sync::pull(&client, &supervisor, city.clone(), 500).await.expect("pull");
    hcp_sync::pull(&client, &manager.token, hall.clone(), 500).await.expect("pull");
    let decided = hall.lock().expect("lock").integrity_flag(flag.id).expect("flag").expect("present");
    assert_eq!(decided.status, FlagStatus::ConfirmedFake);
    assert_eq!(decided.decided_by_name.as_deref(), Some("王主任"));

    let after = assert_aggregates_equal_the_server(&http, &url, &supervisor, &city, &city_scope, "decided").await;
    let hall_token = token_of(&http, &url, "donghu.manager").await;
    assert_aggregates_equal_the_server(&http, &url, &hall_token, &hall, &hall_scope, "hall decided").await;
    assert_eq!(after.rated + 4, before.rated, "the four fake praises left the statistics");
    assert_eq!(after.excluded_ratings, before.excluded_ratings + 4);
    assert_eq!(after.level_counts[0] + 4, before.level_counts[0]);
    srv.stop().await;
}

/// Issue 15 item 1: a hall manager assigns a case about department A to department B's handler
/// from a laptop. After the next sync B's handler holds the case with its whole timeline and can
/// work it, A's handler no longer holds it, the hall manager keeps it, and every replica's scope
/// digest equals the server's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_assigned_across_departments_moves_to_its_handlers_replica() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = seeded_server(dir.path(), 300).await.expect("server");
    let url = srv.url();
    let http = reqwest::Client::new();
    let unit = |name: &'static str| {
        hcp_tests::blocking(|| {
            db.read_blocking(move |c| {
                c.query_row("SELECT id, path FROM org_units WHERE name = ?1", [name], |r| {
                    Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
                })
            })
        })
        .expect("unit")
    };
    let (_, dept_a) = unit("东湖区市场监督管理局窗口");
    let (dept_b, _) = unit("东湖区人力资源和社会保障局窗口");
    let handler_b_id =
        hcp_tests::blocking(|| db.read_blocking(|c| hcp_server::db::users::by_username(c, "donghu.handler.rs")))
            .expect("read")
            .expect("B's handler")
            .id;
    // A supervisor's finding about department A, online.
    let supervisor = token_of(&http, &url, "donghu.supervisor").await;
    let (status, body) = hcp_tests::api_post(
        &url,
        &supervisor,
        "/api/v1/cases/commands",
        &serde_json::json!({"command_id": "scn-create", "case_id": null, "base_version": null,
            "command": {"type": "create", "source": "supervision", "unit": dept_a,
                        "summary": "督查发现：窗口未执行一次性告知制度"}}),
    )
    .await
    .expect("create");
    assert_eq!(status, 200, "{body}");
    let id = body["case"]["id"].as_i64().expect("id");

    let hall = Laptop::new(&url, dir.path(), "donghu.manager", "hall").await;
    let a = Laptop::new(&url, dir.path(), "donghu.handler", "dept-a").await;
    let b = Laptop::new(&url, dir.path(), "donghu.handler.rs", "dept-b").await;
    let holds = |l: &Laptop| l.replica.lock().expect("lock").case(id).expect("read").is_some();
    assert!(holds(&hall) && holds(&a) && !holds(&b));

    // The hall manager verifies and assigns from the laptop, through the outbox.
    hall.queue(id, serde_json::json!({"type": "verify", "outcome": "genuine"}));
    hall.sync().await;
    hall.queue(id, serde_json::json!({"type": "assign", "department_id": dept_b, "handler_id": handler_b_id}));
    hall.sync().await;
    for laptop in [&a, &b, &hall] {
        laptop.sync().await;
    }
    let server_events: Vec<i64> =
        hcp_tests::blocking(|| db.read_blocking(move |c| hcp_server::db::case_events::ids_of_case(c, id)))
            .expect("events");
    assert_eq!(server_events.len(), 3, "created, verified, assigned");
    let timeline = |l: &Laptop| {
        l.replica.lock().expect("lock").case_events(id).expect("events").into_iter().map(|e| e.id).collect::<Vec<_>>()
    };
    assert!(holds(&b), "B's handler holds the case assigned to them");
    assert_eq!(timeline(&b), server_events, "with its whole timeline");
    assert!(!holds(&a) && timeline(&a).is_empty(), "department A gave it up");
    assert!(holds(&hall) && timeline(&hall) == server_events, "the hall keeps it");
    let converged = |laptop: &Laptop| {
        let (scope, role) = (laptop.scope.clone(), laptop.role);
        let since = laptop.replica.lock().expect("lock").window().expect("window").map(|w| w.since).unwrap_or_default();
        let server = hcp_tests::blocking(|| {
            db.read_blocking(move |conn| hcp_server::db::digest::scope_digest(conn, &scope, role, &since))
        })
        .expect("digest");
        let local = laptop.replica.lock().expect("lock").scope_digest().expect("digest");
        assert_eq!(local, server, "{} converged on the server's {}", laptop.id, laptop.scope);
    };
    for laptop in [&a, &b, &hall] {
        converged(laptop);
    }

    // B's handler works it from their laptop; the new event reaches B and the hall, not A.
    let accept = b.queue(id, serde_json::json!({"type": "accept"}));
    b.sync().await;
    assert_eq!(b.outbox_status(&accept), None, "applied");
    for laptop in [&a, &hall, &b] {
        laptop.sync().await;
        converged(laptop);
    }
    assert_eq!(timeline(&b).len(), 4);
    assert_eq!(timeline(&hall).len(), 4);
    assert!(!holds(&a));
    // A fresh laptop of B's handler bootstraps the case too.
    let fresh = Laptop::new(&url, dir.path(), "donghu.handler.rs", "dept-b-2").await;
    assert!(holds(&fresh) && timeline(&fresh).len() == 4);
    srv.stop().await;
}
/// `1234567` → `1,234,567`, as every screen and document writes counts.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as a reader sees it: `95.65%`, or `—（0/0）` without a denominator (never 100 %).
fn rate(r: &hcp_domain::kpi::Ratio) -> String {
    match r.percent() {
        Some(p) => format!("{p:.2}%"),
        None => format!("—（{}/{}）", r.numerator, r.denominator),
    }
}

/// The statistics screen (the app function the 统计分析 page calls), the 月调度通报 (its report
/// model, and once the PDF's own text) and the server's `GET /api/v1/kpis` give the same number
/// for every figure, for several months, for the whole city and for one district.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_the_monthly_report_and_the_server_agree_on_every_figure() {
    use hcp_app::dashboard::{dashboard, monthly_report, monthly_report_input, ChartStyle};
    use hcp_domain::kpi::{Kpis, Ratio};
    use hcp_domain::Channel;
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded_server(dir.path(), 2_500).await.expect("server");
    let url = srv.url();
    let http = reqwest::Client::new();
    let mut pdf_checked = false;
    for (user, scope_name) in [("city.supervisor", "全市"), ("donghu.supervisor", "东湖区")] {
        let (replica, _) = bootstrap_as(&url, dir.path(), user).await;
        let token = token_of(&http, &url, user).await;
        let me = Client::new(&url).expect("client").login(user, DEMO_PASSWORD, None).await.expect("login").user;
        for month in ["2026-11", "2026-10", "2026-09", "2026-08"] {
            let what = format!("{user} {month}");
            let report: serde_json::Value = http
                .get(format!("{url}/api/v1/kpis?month={month}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("kpis")
                .json()
                .await
                .expect("json");
            let server: Kpis = serde_json::from_value(report["totals"].clone()).expect("totals");
            let staff: serde_json::Value = http
                .get(format!("{url}/api/v1/rankings?of=staff&period={month}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("rankings")
                .json()
                .await
                .expect("json");
            let now = chrono::Utc::now();
            let r = replica.lock().expect("lock");

            // The screen: every card and its sample equal the server's figure.
            let screen =
                dashboard(&r, Some(month), now, ChartStyle::default().look(), &Default::default()).expect("dashboard");
            let s = &screen.totals;
            assert_eq!(
                (u64::from(s.rated), u64::from(s.bad), u64::from(s.excluded_ratings)),
                (server.rated, server.bad, server.excluded_ratings),
                "{what}: counts"
            );
            assert_eq!((u64::from(s.cases), u64::from(s.overdue_open)), (server.cases, server.overdue_open), "{what}");
            let pairs: [(&str, &hcp_app::dashboard::RatioView, &Ratio); 6] = [
                ("差评率", &s.bad_rate, &server.bad_rate),
                ("满意率", &s.satisfaction, &server.satisfaction_rate),
                ("及时率", &s.timeliness, &server.timeliness),
                ("整改率", &s.rectification, &server.rectification_rate),
                ("回访满意率", &s.visit_satisfaction, &server.return_visit_satisfaction),
                ("实名差评回访率", &s.real_name_visit_coverage, &server.real_name_visit_coverage),
            ];
            for (name, view, kpi) in pairs {
                assert_eq!(
                    (u64::from(view.numerator), u64::from(view.denominator)),
                    (kpi.numerator, kpi.denominator),
                    "{what}: {name}"
                );
                assert_eq!(view.label, kpi.label_zh(), "{what}: {name} label");
            }
            let server_units = report["units"].as_array().expect("units");
            assert_eq!(screen.units.len(), server_units.len(), "{what}: units");
            for u in server_units {
                let k: Kpis = serde_json::from_value(u["kpis"].clone()).expect("kpis");
                let row = screen.units.iter().find(|x| x.unit_id == u["unit_id"].as_i64().expect("id")).expect("row");
                assert_eq!((u64::from(row.kpis.rated), u64::from(row.kpis.bad)), (k.rated, k.bad), "{what}");
            }
            // The channel chart on screen shows the server's channel mix, which adds up to 评价总数
            // (an SVG text element holds its text between line breaks).
            let channels = report["channels"].as_array().expect("channels");
            let channel_sum: u64 = channels.iter().map(|c| c["count"].as_u64().expect("count")).sum();
            assert_eq!(channel_sum, server.rated, "{what}: the channels add up to the ratings counted");
            if server.rated > 0 {
                for c in channels {
                    let code = u8::try_from(c["channel"].as_u64().expect("code")).expect("u8");
                    let label = Channel::try_from(code).expect("channel").label_zh();
                    assert!(screen.charts.channels.contains(&format!("\n{label}\n</text>")), "{what}: channel {label}");
                    let count = thousands(c["count"].as_u64().expect("count"));
                    assert!(screen.charts.channels.contains(&format!("\n{count}\n</text>")), "{what}: {label} {count}");
                }
                assert!(
                    screen.charts.channels.contains(&format!("\n{}\n</text>", thousands(server.rated))),
                    "{what}: the chart's 合计 is 评价总数"
                );
            }

            // The report: the same figures, in words, for the same jurisdiction.
            if server.rated == 0 {
                continue;
            }
            let input = monthly_report_input(&r, &me, month, now).expect("report input");
            assert_eq!(input.scope_name, scope_name, "{what}: the report names the jurisdiction");
            // 工作人员排名: the report names the server's first-ranked staff member.
            if staff["ranked"].as_array().is_some_and(|r| r.len() >= 2) {
                let first = staff["ranked"][0]["name"].as_str().expect("name");
                let line = input.ranking_paragraphs().into_iter().find(|p| p.starts_with("工作人员排名"));
                assert!(line.as_deref().is_some_and(|l| l.contains(first)), "{what}: {line:?} names {first}");
            }
            assert_eq!(input.units.len(), server_units.len(), "{what}: units in the report");
            let text = input.overview();
            let late = server.timeliness.denominator - server.timeliness.numerator - server.overdue_open;
            for needle in [
                format!("{scope_name}{}个单位共收到评价{}条", server_units.len(), thousands(server.rated)),
                format!("其中差评{}条，差评率{}", thousands(server.bad), rate(&server.bad_rate)),
                format!("本月受理差评、投诉工单{}件", thousands(server.cases)),
                format!(
                    "已到办理期限{}件：按期办结{}件、超期办结{}件、逾期未办结{}件，整改及时率{}",
                    thousands(server.timeliness.denominator),
                    thousands(server.timeliness.numerator),
                    thousands(late),
                    thousands(server.overdue_open),
                    rate(&server.timeliness)
                ),
                format!(
                    "已办结{}件，其中已整改{}件，整改率{}",
                    thousands(server.rectification_rate.denominator),
                    thousands(server.rectification_rate.numerator),
                    rate(&server.rectification_rate)
                ),
                format!(
                    "回访{}件，回访满意率{}",
                    thousands(server.return_visit_satisfaction.denominator),
                    rate(&server.return_visit_satisfaction)
                ),
            ] {
                assert!(text.contains(&needle), "{what}: the report lacks {needle:?}:\n{text}");
            }
            assert!(!text.contains("2026-"), "{what}: months are written 2026年11月: {text}");
            // The rectification rate is over closed cases: the report never claims more rectified
            // cases than its own denominator, whatever the bad-review count.
            assert!(server.rectification_rate.numerator <= server.rectification_rate.denominator);

            // Once per scope, the PDF itself says what the model says.
            if month == "2026-10" {
                let out = dir.path().join(format!("reports-{user}"));
                let file = monthly_report(&r, &me, month, now, &out).expect("pdf");
                if let Some(keep) = std::env::var_os("HCP_KEEP_REPORTS") {
                    let _ = std::fs::copy(&file.path, std::path::Path::new(&keep).join(format!("monthly-{user}.pdf")));
                }
                let pdf = std::process::Command::new("pdftotext")
                    .args(["-layout", &file.path, "-"])
                    .output()
                    .expect("pdftotext");
                let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
                let pdf_text = squash(&String::from_utf8_lossy(&pdf.stdout));
                assert!(pdf_text.contains(&squash(&text)), "{what}: the PDF's overview is the model's:\n{pdf_text}");
                assert!(pdf_text.contains("关于2026年10月政务服务“好差评”工作情况的通报"), "{what}");
                // To look at the document: HCP_TEST_ARTIFACTS=<dir> keeps a copy.
                if let Some(keep) = std::env::var_os("HCP_TEST_ARTIFACTS") {
                    let keep = std::path::PathBuf::from(keep);
                    std::fs::create_dir_all(&keep).expect("artifacts dir");
                    std::fs::copy(&file.path, keep.join(format!("monthly-report-{user}-{month}.pdf"))).expect("copy");
                }
                pdf_checked = true;
            }
        }
    }
    assert!(pdf_checked);
    srv.stop().await;
}

/// The report's date is Beijing's: at 01:00 on 1 December in Beijing (17:00 UTC the day before)
/// the 月调度通报 is dated 2026年12月1日, whatever the machine's zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monthly_report_is_dated_in_beijing_time() {
    use hcp_app::dashboard::monthly_report_input;
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded_server(dir.path(), 600).await.expect("server");
    let (replica, _) = bootstrap_as(&srv.url(), dir.path(), "city.supervisor").await;
    let me = Client::new(&srv.url())
        .expect("client")
        .login("city.supervisor", DEMO_PASSWORD, None)
        .await
        .expect("login")
        .user;
    srv.stop().await;
    let late_evening_utc = chrono::DateTime::parse_from_rfc3339("2026-11-30T17:00:00Z").expect("instant").to_utc();
    let r = replica.lock().expect("lock");
    let input = monthly_report_input(&r, &me, "2026-11", late_evening_utc).expect("report");
    assert_eq!(input.issue_date, chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"));
    assert_eq!(input.period_label, "2026年11月");
}

/// Sets the replication policy (months held in full) of the unit at the top of the city.
fn set_window_months(db: &hcp_server::Db, months: u32) {
    hcp_tests::blocking(|| {
        db.write_blocking(move |c| {
            let (id, path): (i64, String) =
                c.query_row("SELECT id, path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1", (), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let policy = hcp_protocol::JurisdictionPolicy {
                replication: hcp_protocol::ReplicationPolicy { window_months: months },
                ..Default::default()
            };
            let value = serde_json::to_string(&policy).expect("policy");
            let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            hcp_server::db::settings::put(c, id, &path, hcp_protocol::setting_keys::POLICY, &value, &at)?;
            Ok(())
        })
    })
    .expect("policy");
}

/// A replica holding only its window of ratings (the server's month statistics for every earlier
/// month) shows every month as `GET /api/v1/kpis` publishes it: after its bootstrap, after an old
/// month's case leaves the statistics, when the window moves on (the month leaving it is purged of
/// its ratings in the same transaction) and when the policy widens it again (downloaded anew).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_windowed_replica_shows_every_month_as_the_server_publishes_it() {
    use hcp_domain::kpi::{Period, Subject};
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = seeded_server(dir.path(), 2_500).await.expect("server");
    let url = srv.url();
    let http = reqwest::Client::new();
    let client = Client::new(&url).expect("client");
    let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
    let rolled = hcp_tests::blocking(|| {
        db.write_blocking(move |c| hcp_server::db::rating_stats::roll_up_closed(c, today, "2026-12-07T00:00:00Z"))
    })
    .expect("roll up");
    assert!(rolled.contains(&"2026-10".to_owned()), "{rolled:?}");

    let (replica, scope) = bootstrap_as(&url, dir.path(), "city.supervisor").await;
    let token = token_of(&http, &url, "city.supervisor").await;
    let window = replica.lock().expect("lock").window().expect("window").expect("a windowed replica");
    assert!(window.month.as_str() >= "2026-11", "{window:?}");
    let held = |r: &Mutex<Replica>| -> i64 {
        r.lock().expect("lock").conn().query_row("SELECT count(*) FROM ratings", [], |x| x.get(0)).expect("count")
    };
    let on_server = rows_in_scope(&db, "ratings", &scope).expect("count");
    assert!((held(&replica) as u64) < on_server, "old ratings without a case stay on the server");
    assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "windowed").await;
    // A member of staff's October (before the window): the server's month rows, read where they are,
    // alone and among every member's.
    let lower = scope.clone();
    let (staff, rated): (i64, i64) = hcp_tests::blocking(|| {
        db.read_blocking(move |c| {
            c.query_row(
                "SELECT staff_id, CAST(sum(n_rated) AS BIGINT) FROM rating_stats
                  WHERE month = '2026-10' AND staff_id <> 0 AND unit_path >= ?1 AND unit_path < ?1 || '~'
                  GROUP BY staff_id ORDER BY 2 DESC, 1 LIMIT 1",
                [lower.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    })
    .expect("a member's October");
    let october_period = Period::month(2026, 10).expect("period");
    let (one, all) = {
        let r = replica.lock().expect("lock");
        let now = chrono::Utc::now();
        let one = r.kpis(&scope, Subject::Staff(staff), &october_period, now).expect("staff kpis");
        let all = r.kpis_by(&scope, hcp_domain::kpi::GroupBy::Staff, &october_period, now).expect("by staff");
        (one, all)
    };
    assert!(rated > 0);
    assert_eq!(one.rated, rated as u64, "member {staff}");
    assert_eq!(all.get(&staff).map(|k| k.rated), Some(rated as u64), "member {staff} among all");
    // Inside a month before the window only whole months can be read.
    let ragged = Period::new(
        chrono::NaiveDate::from_ymd_opt(2026, 10, 5).expect("date"),
        chrono::NaiveDate::from_ymd_opt(2026, 10, 20).expect("date"),
    );
    let refused = replica.lock().expect("lock").kpis(&scope, Subject::All, &ragged, chrono::Utc::now());
    assert!(matches!(refused, Err(hcp_replica::ReplicaError::OutsideWindow { .. })), "{refused:?}");

    // An October case leaves the statistics on the server: the month's statistics follow.
    let october = |r: &Mutex<Replica>| {
        r.lock()
            .expect("lock")
            .kpis(&scope, Subject::All, &Period::month(2026, 10).expect("period"), chrono::Utc::now())
            .expect("october")
    };
    let before = october(&replica);
    hcp_tests::blocking(|| {
        db.write_blocking(|c| {
            let id: i64 = c.query_row(
                "SELECT c.id FROM cases c JOIN ratings r ON r.id = c.rating_id
                  WHERE r.rated_at >= '2026-09-30T16:00:00Z' AND r.rated_at < '2026-10-31T16:00:00Z'
                    AND c.aggregate NOT LIKE '%\"excluded_from_stats\":true%' ORDER BY c.id LIMIT 1",
                (),
                |r| r.get(0),
            )?;
            let mut row = hcp_server::db::cases::get(c, id)?.expect("case");
            if let Some(a) = row.aggregate.as_mut() {
                a.excluded_from_stats = true;
            }
            row.version += 1;
            hcp_server::db::cases::update(c, &row, &row.updated_at)
        })
    })
    .expect("exclude");
    hcp_sync::pull(&client, &token, replica.clone(), 200).await.expect("pull");
    assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "october excluded").await;
    assert_eq!(october(&replica).excluded_ratings, before.excluded_ratings + 1);

    // The window moves on to the current month alone: November's ratings without a case go, its
    // figures stay.
    let held_before = held(&replica);
    set_window_months(&db, 1);
    hcp_sync::pull(&client, &token, replica.clone(), 200).await.expect("pull the move");
    let moved = replica.lock().expect("lock").window().expect("window").expect("window");
    assert!(moved.month > window.month || window.month == today.format("%Y-%m").to_string(), "{moved:?}");
    if moved.month > window.month {
        assert!(held(&replica) < held_before, "the month that left the window was purged");
    }
    assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "window moved").await;
    let since = moved.since.clone();
    let (s, role) = (scope.clone(), hcp_domain::Role::Supervisor);
    let server = hcp_tests::blocking(|| {
        db.read_blocking(move |conn| hcp_server::db::digest::scope_digest(conn, &s, role, &since))
    })
    .expect("digest");
    assert_eq!(replica.lock().expect("lock").scope_digest().expect("digest"), server, "the replica holds the window");

    // Widened again: the rows held cannot serve it, so the replica downloads the jurisdiction anew.
    set_window_months(&db, 6);
    hcp_sync::pull(&client, &token, replica.clone(), 200).await.expect("pull the widening");
    assert_eq!(replica.lock().expect("lock").cursor().expect("cursor"), None, "the cursor is forgotten");
    let login = client.login("city.supervisor", DEMO_PASSWORD, None).await.expect("login");
    hcp_sync::bootstrap(&client, &login.token, replica.clone(), "2026-12-07T00:00:00Z".into(), |_| {})
        .await
        .expect("bootstrap again");
    let wide = replica.lock().expect("lock").window().expect("window").expect("window");
    assert!(wide.month < moved.month, "{wide:?}");
    assert_aggregates_equal_the_server(&http, &url, &token, &replica, &scope, "widened").await;
    srv.stop().await;
}
