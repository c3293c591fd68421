//! Issue 16's findings, each proved closed over HTTP: intake bounded by the reporter's
//! jurisdiction and audited as them, integrity leads only where the leads endpoint would answer,
//! derived reads re-checked against the caller's scope.

use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::{cmd, spawn_app, TestApp};

impl TestApp {
    /// The rows of the caller's snapshot (`(entity, row)`) and its `end` line's counts.
    pub(crate) async fn snapshot_rows(&self, token: &str) -> (Vec<(String, Value)>, Value) {
        let r = self.http.get(self.url("/api/v1/sync/snapshot")).bearer_auth(token).send().await.expect("snapshot");
        assert_eq!(r.status().as_u16(), 200);
        let text = r.text().await.expect("body");
        let mut rows = Vec::new();
        let mut counts = Value::Null;
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("an NDJSON line");
            match v["t"].as_str() {
                Some("row") => rows.push((v["entity"].as_str().expect("an entity").to_owned(), v["row"].clone())),
                Some("end") => counts = v["counts"].clone(),
                _ => {}
            }
        }
        assert!(!counts.is_null(), "the snapshot ends with its counts");
        (rows, counts)
    }

    /// Every change the caller's pull gives after `after`.
    pub(crate) async fn pull_all(&self, token: &str, mut after: i64) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let (status, page) = self.get(token, &format!("/api/v1/sync/pull?after={after}&limit=1000")).await;
            assert_eq!(status, 200, "{page}");
            out.extend(page["changes"].as_array().expect("changes").iter().cloned());
            after = page["cursor"].as_i64().expect("cursor");
            if page["has_more"] != true {
                return out;
            }
        }
    }

    pub(crate) async fn unit_of(&self, name: &str) -> (i64, String) {
        let name = name.to_owned();
        self.db
            .read(move |c| {
                c.query_row("SELECT id, code FROM org_units WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?)))
            })
            .await
            .expect("unit")
    }

    pub(crate) async fn user_id(&self, username: &str) -> i64 {
        let name = username.to_owned();
        self.db
            .read(move |c| c.query_row("SELECT id FROM users WHERE username = ?1", [name], |r| r.get(0)))
            .await
            .expect("user")
    }

    pub(crate) async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.patch(self.url(path)).bearer_auth(token).json(&body).send().await.expect("patch");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn scope_of(&self, token: &str) -> String {
        let (status, me) = self.get(token, "/api/v1/me").await;
        assert_eq!(status, 200, "{me}");
        me["scope_path"].as_str().expect("scope").to_owned()
    }

    async fn head(&self) -> i64 {
        self.db.read(hcp_server::db::changes::head).await.expect("head")
    }
}

/// Finding 2: a district administrator reports only for its district, and the cases its bad
/// reviews and complaints open name it in the audit trail.
pub async fn intake_is_bounded_by_the_reporters_jurisdiction_and_audited_as_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.token("admin").await;
    let (xishan, _) = app.unit_of("西山区").await;
    let (_, donghu_hall) = app.unit_of("东湖区政务服务中心").await;
    let (_, xishan_hall) = app.unit_of("西山区政务服务中心").await;
    let (status, body) = app
        .post(
            &root,
            "/api/v1/admin/users",
            json!({"username": "xishan.channel", "display_name": "西山区评价渠道", "password": "Channel@2026",
                   "role": "administrator", "unit_id": xishan}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, v) = app.login("xishan.channel", "Channel@2026").await;
    let channel = v["token"].as_str().expect("token").to_owned();
    let rating = |no: &str, hall: &str| {
        json!({"source": "h16", "service_record_no": no, "unit_code": hall, "item_code": "X-1",
               "item_name": "居民身份证换领", "channel": 4, "level": "very_dissatisfied", "comment": "推诿",
               "rated_at": "2026-11-20T09:30:00+08:00"})
    };
    let cases_before: i64 =
        app.db.read(|c| c.query_row("SELECT count(*) FROM cases", (), |r| r.get(0))).await.expect("count");
    let (status, res) = app
        .post(
            &channel,
            "/api/v1/intake/ratings",
            json!({"ratings": [rating("F-1", &donghu_hall), rating("F-2", &xishan_hall)]}),
        )
        .await;
    assert_eq!(status, 200, "{res}");
    let r = res["results"].as_array().expect("results");
    assert_eq!((r[0]["status"].as_str(), r[0]["code"].as_str()), (Some("rejected"), Some("invalid_input")), "{res}");
    assert!(r[0]["rating_id"].is_null() && r[0]["message"].as_str().unwrap_or("").contains("辖区"), "{res}");
    assert_eq!(r[1]["status"], "created", "its own district's hall: {res}");
    let own_case = r[1]["case_id"].as_i64().expect("a case opened in its district");
    // A duplicate of a rating another district holds tells nothing about it either.
    let (_, again) = app.post(&root, "/api/v1/intake/ratings", json!({"ratings": [rating("F-9", &donghu_hall)]})).await;
    assert_eq!(again["results"][0]["status"], "created");
    let (_, probe) =
        app.post(&channel, "/api/v1/intake/ratings", json!({"ratings": [rating("F-9", &donghu_hall)]})).await;
    assert_eq!(probe["results"][0]["status"], "rejected", "{probe}");
    assert!(probe["results"][0]["rating_id"].is_null(), "{probe}");

    let complaint = |ticket: &str, unit: &str| json!({"ticket_no": ticket, "unit_code": unit, "summary": "市民来电反映窗口推诿", "received_at": "2026-11-20T10:00:00+08:00"});
    let (status, body) = app.post(&channel, "/api/v1/intake/complaints", complaint("T-F1", &donghu_hall)).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let (status, body) = app.post(&channel, "/api/v1/intake/complaints", complaint("T-F2", &xishan_hall)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    let complaint_case = body["case"]["id"].as_i64().expect("case");
    let cases_after: i64 =
        app.db.read(|c| c.query_row("SELECT count(*) FROM cases", (), |r| r.get(0))).await.expect("count");
    assert_eq!(cases_after, cases_before + 3, "two of the channel's own and the root administrator's one");

    // The audit trail names the reporting account, not 系统.
    let channel_id = app.user_id("xishan.channel").await;
    for case in [own_case, complaint_case] {
        let (user_id, name): (Option<i64>, String) = app
            .db
            .read(move |c| {
                c.query_row(
                    "SELECT user_id, user_name FROM audit_log WHERE action = 'case.create' AND target = ?1",
                    [format!("case:{case}")],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await
            .expect("an audit entry");
        assert_eq!((user_id, name.as_str()), (Some(channel_id), "西山区评价渠道"));
    }
    app.server.stop().await;
}

/// Finding 3: roles the leads endpoint refuses get no open lead through the snapshot or the
/// feed, only the verdicts that take ratings out of their statistics, without explanation; and
/// a self-rating lead does not name the staff member who rated.
pub async fn integrity_leads_reach_only_the_roles_that_may_read_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("city.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let staff = app.token("donghu.staff").await;
    let handler = app.token("donghu.handler").await;
    let start = app.head().await;
    let (status, report) = app.post(&supervisor, "/api/v1/integrity/scan", json!({})).await;
    assert_eq!(status, 200, "{report}");

    let (flags, _) = app.snapshot_rows(&manager).await;
    let flags: Vec<Value> = flags.into_iter().filter(|(e, _)| e == "integrity_flag").map(|(_, r)| r).collect();
    assert!(!flags.is_empty(), "the hall manager receives the hall's leads");
    let own = flags.iter().find(|f| f["kind"] == "self_rating").expect("a self-rating lead");
    let text = own["explanation"].as_str().unwrap_or_default();
    assert!(!text.contains("工号") && text.contains("身份已脱敏"), "the staff evaluator is not named: {text}");
    for name in
        app.db.read(|c| c.query_map("SELECT name FROM staff", (), |r| r.get::<String>(0))).await.expect("staff names")
    {
        assert!(!text.contains(&name), "a self-rating lead names {name}: {text}");
    }

    for token in [&staff, &handler] {
        let (rows, counts) = app.snapshot_rows(token).await;
        assert!(rows.iter().all(|(e, _)| e != "integrity_flag"), "no open lead in the snapshot");
        assert_eq!(counts["integrity_flag"], 0, "{counts}");
        let changes = app.pull_all(token, start).await;
        assert!(changes.iter().all(|c| c["entity"] != "integrity_flag"), "no lead in the feed");
    }

    // A verdict that takes ratings out of the statistics reaches them, without the lead's words.
    let (status, body) = app
        .post(
            &manager,
            &format!("/api/v1/integrity/flags/{}/decision", own["id"]),
            json!({"command_id": "h16-flag-1", "verdict": "confirmed_fake", "note": "经调取监控，系工作人员本人所评"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // (The handler's jurisdiction, a department window, lies below the hall the leads belong to.)
    let (rows, _) = app.snapshot_rows(&handler).await;
    assert!(rows.iter().all(|(e, _)| e != "integrity_flag"));
    for token in [&staff] {
        let (rows, counts) = app.snapshot_rows(token).await;
        let got: Vec<&Value> = rows.iter().filter(|(e, _)| e == "integrity_flag").map(|(_, r)| r).collect();
        assert_eq!(got.len(), 1, "only the decided lead");
        assert_eq!(counts["integrity_flag"], 1, "{counts}");
        let f = got[0];
        assert_eq!((f["id"].clone(), f["status"].as_str()), (own["id"].clone(), Some("confirmed_fake")));
        assert_eq!(f["rating_ids"], own["rating_ids"]);
        assert!(f["decision_note"].is_null() && f["decided_by_name"].is_null(), "{f}");
        assert_eq!(f["explanation"], hcp_server::db::integrity_flags::REDACTED_EXPLANATION);
        let changes = app.pull_all(token, start).await;
        let fed: Vec<&Value> = changes.iter().filter(|c| c["entity"] == "integrity_flag").collect();
        assert!(!fed.is_empty(), "the verdict is fed");
        assert!(fed.iter().all(|c| c["row"]["row"] == *f), "the feed sends what the snapshot does: {fed:?}");
    }
    // The scope digest (what a replica of the role must hold) differs by role in the same way.
    let scope = app.scope_of(&staff).await;
    let digest = |role: hcp_domain::Role| {
        let (db, scope) = (app.db.clone(), scope.clone());
        async move { db.read(move |c| hcp_server::db::digest::scope_digest(c, &scope, role, "")).await.expect("digest") }
    };
    assert_ne!(digest(hcp_domain::Role::StaffMember).await, digest(hcp_domain::Role::HallManager).await);
    assert_eq!(digest(hcp_domain::Role::StaffMember).await, digest(hcp_domain::Role::DepartmentHandler).await);
    app.server.stop().await;
}

/// Finding 4: the feed does not replay a moved account's current row to its old jurisdiction,
/// and replaying a command after losing the case's jurisdiction does not return the case.
pub async fn derived_reads_recheck_the_scope_after_a_move(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.token("admin").await;
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let (xishan_hall, _) = app.unit_of("西山区政务服务中心").await;
    let (id, version) = app.new_case("H16-1").await;
    let verify = cmd("h16-verify", id, version, json!({"type": "verify", "outcome": "genuine"}));
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify.clone()).await;
    assert_eq!(status, 200, "{body}");

    let before = app.head().await;
    let moved = app.user_id("donghu.manager").await;
    let (status, body) =
        app.patch(&root, &format!("/api/v1/admin/users/{moved}"), json!({"unit_id": xishan_hall})).await;
    assert_eq!(status, 200, "{body}");
    let changes = app.pull_all(&supervisor, before).await;
    let about: Vec<&Value> = changes.iter().filter(|c| c["entity"] == "user" && c["entity_id"] == moved).collect();
    assert_eq!(about.len(), 1, "only the delete reaches the old jurisdiction: {about:?}");
    assert_eq!(about[0]["op"], "delete");
    let scope = app.scope_of(&supervisor).await;
    for c in &changes {
        let path = c["row"]["row"]["unit_path"].as_str().or(c["row"]["row"]["path"].as_str()).unwrap_or(&scope);
        assert!(path.starts_with(&scope) || scope.starts_with(path), "a foreign row in the feed: {c}");
    }
    // Pulling from before any of it gives no current row of the moved account either.
    let all = app.pull_all(&supervisor, 0).await;
    assert!(
        all.iter().filter(|c| c["entity"] == "user" && c["entity_id"] == moved).all(|c| c["row"].is_null()),
        "the account's current (foreign) row is never sent to its old jurisdiction"
    );

    // The moved manager replays the old command: not found, and no case in the answer.
    let manager = app.token("donghu.manager").await;
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify.clone()).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    assert!(body.get("case").is_none(), "{body}");
    let (status, body) =
        app.post(&manager, "/api/v1/sync/push", json!({"client_id": "h16", "commands": [verify]})).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["results"][0];
    assert_eq!((r["status"].as_str(), r["code"].as_str()), (Some("rejected"), Some("not_found")), "{body}");
    assert!(r["case"].is_null(), "{body}");
    app.server.stop().await;
}

/// Finding 1: a thousand half-sent requests from one client do not stop the server. The server
/// runs as its own process with the usual limit of 1,024 open files; the attacker holds its
/// connections from another loopback address, each with a request head that never ends. Health
/// checks and sign-ins from elsewhere still answer within a second, and a half-sent head is
/// dropped once the header deadline passes.
pub async fn half_open_connections_do_not_starve_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("hcp.toml");
    std::fs::write(&config, "header_read_timeout_seconds = 3\n").expect("config");
    let listen = format!("127.0.0.1:{port}");
    let mut server = super::feed::Child(
        std::process::Command::new("sh")
            .args(["-c", "ulimit -n 1024 && exec \"$0\" serve --database \"$1\" --listen \"$2\" --config \"$3\""])
            .args([env!("CARGO_BIN_EXE_hcp-server"), &app.url, &listen])
            .arg(&config)
            .env("HCP_LOG", "warn")
            .spawn()
            .expect("the server process"),
    );
    let url = format!("http://{listen}");
    let quick = reqwest::Client::builder().timeout(std::time::Duration::from_secs(1)).build().expect("client");
    let mut up = false;
    for _ in 0..100 {
        if quick.get(format!("{url}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server process started");

    let addr: std::net::SocketAddr = listen.parse().expect("addr");
    let mut held = Vec::new();
    let mut failures = 0;
    for _ in 0..1_200 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind("127.0.0.2:0".parse().expect("addr")).expect("bind on 127.0.0.2");
        match tokio::time::timeout(std::time::Duration::from_millis(300), socket.connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.try_write(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: hcp\r\nContent-Length: 60\r\n");
                held.push(stream);
            }
            _ => {
                failures += 1;
                if failures > 50 {
                    break;
                }
            }
        }
    }
    assert!(held.len() >= 1_000 || failures > 50, "the attacker opened {} connections", held.len());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    for _ in 0..3 {
        let started = std::time::Instant::now();
        let r = quick.get(format!("{url}/healthz")).send().await.expect("/healthz answers within 1 s");
        assert_eq!(r.status().as_u16(), 200);
        let r = quick
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "donghu.manager", "password": hcp_server::seed::DEMO_PASSWORD}))
            .send()
            .await
            .expect("sign-in answers within 1 s");
        assert_eq!(r.status().as_u16(), 200);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }

    // The half-sent heads are dropped at the header deadline (3 s here): the server closes them.
    let mut closed = 0;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(8);
    for stream in held.iter_mut().take(20) {
        let mut buf = [0u8; 512];
        match tokio::time::timeout_at(deadline, tokio::io::AsyncReadExt::read(stream, &mut buf)).await {
            Ok(Ok(_)) | Ok(Err(_)) => closed += 1,
            Err(_) => break,
        }
    }
    assert_eq!(closed, 20, "every half-sent request was closed by the server");
    drop(held);
    let _ = server.0.kill();
    app.server.stop().await;
}

/// Finding 7: the contract is as strict as the README says. Unknown fields are refused on every
/// request body (a `verify` carrying `as_user` is not applied), a policy must be complete and in
/// range, and the framework's own error answers (404, 405, 431) carry `{code, message}` too.
pub async fn the_contract_refuses_unknown_fields_and_every_error_has_a_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let manager = app.token("donghu.manager").await;
    let (hall_id, hall) = app.unit_of("东湖区政务服务中心").await;
    let refused = |status: u16, body: &Value, what: &str| {
        assert!(status == 422 || status == 400, "{what}: {status} {body}");
        assert_eq!(body["code"], "invalid_input", "{what}: {body}");
        assert!(!body["message"].as_str().unwrap_or_default().is_empty(), "{what}: {body}");
    };
    let rating = json!({"source": "h16", "service_record_no": "U-1", "unit_code": hall, "item_code": "X-1",
        "item_name": "居民身份证换领", "channel": 4, "level": "satisfied", "rated_at": "2026-11-20T09:30:00+08:00"});
    let mut extra = rating.clone();
    extra["evaluator_score"] = json!(5);
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": [extra]})).await;
    refused(status, &body, "an unknown rating field");
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": [rating], "batch": 1})).await;
    refused(status, &body, "an unknown batch field");
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/intake/complaints",
            json!({"ticket_no": "T-U", "unit_code": hall, "summary": "x",
            "received_at": "2026-11-20T10:00:00+08:00", "priority": "high"}),
        )
        .await;
    refused(status, &body, "an unknown complaint field");
    let (status, body) = app
        .post(&manager, "/api/v1/auth/login", json!({"username": "donghu.manager", "password": "x", "remember": true}))
        .await;
    refused(status, &body, "an unknown sign-in field");

    // An array is never read as an object (serde alone reads a struct from a sequence), at any depth.
    let mut listed = rating.clone();
    listed["evaluator"] = json!([null, null]);
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": [listed]})).await;
    refused(status, &body, "an evaluator given as an array");
    assert!(body["message"].as_str().unwrap_or_default().contains("$.ratings[0].evaluator"), "{body}");
    let (status, body) = app.post(&admin, "/api/v1/intake/ratings", json!([[rating]])).await;
    refused(status, &body, "a batch given as an array");
    let (status, body) = app.post(&manager, "/api/v1/auth/login", json!(["donghu.manager", "Hcp@2026"])).await;
    refused(status, &body, "a sign-in given as an array");
    let (status, body) = app.patch(&admin, &format!("/api/v1/admin/org-units/{hall_id}"), json!([null, null])).await;
    refused(status, &body, "an org-unit patch given as an array");

    let (id, version) = app.new_case("U-2").await;
    let as_user = super::cmd("u-1", id, version, json!({"type": "verify", "outcome": "genuine", "as_user": 1}));
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", as_user.clone()).await;
    refused(status, &body, "a command with an unknown field");
    let mut envelope = super::cmd("u-2", id, version, json!({"type": "verify", "outcome": "genuine"}));
    envelope["user_id"] = json!(1);
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", envelope).await;
    refused(status, &body, "an envelope with an unknown field");
    let (status, body) =
        app.post(&manager, "/api/v1/sync/push", json!({"client_id": "u", "commands": [as_user]})).await;
    refused(status, &body, "a push carrying an unknown field");
    let (status, body) = app
        .post(&manager, "/api/v1/cases/commands", super::cmd("u-3", id, version, json!({"type": "accept", "x": 1})))
        .await;
    refused(status, &body, "a field on a command without fields");
    let untouched: i64 = app
        .db
        .read(move |c| c.query_row("SELECT version FROM cases WHERE id = ?1", [id], |r| r.get(0)))
        .await
        .expect("version");
    assert_eq!(untouched, version, "nothing was applied");

    // Policies: complete, known fields only, within range.
    let (unit, _) = app.unit_of("东湖区").await;
    let path = format!("/api/v1/admin/policies/{unit}");
    let good = json!({"deadlines": {"policy": {"kind": "working_days", "days": 7}, "cutoff": "17:00:00",
        "utc_offset_minutes": 480, "max_extension_working_days": 10},
        "escalation": {"coordination_office_after": 1, "government_inspection_after": 3, "accountability_after": 5,
        "accountability_requires_repeat": true, "accountability_regardless_after": 10, "at_risk_within": 1}});
    let put = |body: Value| {
        let r = app.http.put(app.url(&path)).bearer_auth(&admin).json(&body).send();
        async move {
            let r = r.await.expect("put");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = put(good.clone()).await;
    assert_eq!(status, 200, "{body}");
    let mut typo = good.clone();
    typo["deadlines"]["polcy"] = typo["deadlines"]["policy"].take();
    typo["deadlines"].as_object_mut().expect("object").remove("policy");
    let mut offset = good.clone();
    offset["deadlines"]["utc_offset_minutes"] = json!(-32768);
    let mut days = good.clone();
    days["deadlines"]["policy"]["days"] = json!(4_294_967_295u64);
    let mut unknown = good.clone();
    unknown["escalation"]["notify"] = json!(true);
    let mut listed = good.clone();
    listed["escalation"] = json!([1, 3, 5, true, 10, 1]);
    for (what, body) in [
        ("{}", json!({})),
        ("a typo", typo),
        ("-32768", offset),
        ("u32::MAX days", days),
        ("unknown", unknown),
        ("an array for the policy", json!([good["deadlines"].clone(), good["escalation"].clone()])),
        ("an array for escalation", listed),
    ] {
        let (status, answer) = put(body).await;
        refused(status, &answer, what);
    }
    let (status, body) = app.get(&admin, &path).await;
    assert_eq!((status, body["policy"]["deadlines"]["policy"]["days"].as_u64()), (200, Some(7)), "kept: {body}");

    // The framework's own answers carry the API's body.
    let r = app.http.get(app.url("/api/v1/no-such-thing")).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.expect("a JSON body on 404");
    assert_eq!(body["code"], "not_found");
    let r = app.http.get(app.url("/api/v1/auth/login")).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 405);
    assert!(r.headers().contains_key("allow"), "405 keeps its Allow header");
    let body: Value = r.json().await.expect("a JSON body on 405");
    assert_eq!(body["code"], "invalid_input");
    let mut many = app.http.get(app.url("/healthz"));
    for i in 0..150 {
        many = many.header(format!("x-filler-{i}"), "1");
    }
    let r = many.send().await.expect("get");
    assert_eq!(r.status().as_u16(), 431);
    let body: Value = r.json().await.expect("a JSON body on 431");
    assert_eq!(body["code"], "too_large");
    let r = app.http.get(app.url("/healthz")).header("x-big", "a".repeat(70 * 1024)).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 431);
    assert_eq!(r.json::<Value>().await.expect("JSON")["code"], "too_large");
    app.server.stop().await;
}

/// Every demo account's snapshot and pull hold only what the account may read: rows of its
/// jurisdiction (and the org units and settings above it), integrity leads only for the roles
/// of the verification queue (others only decided ones, without the lead's words), snapshot
/// counts equal to the rows sent; and so again after an account moves to another jurisdiction.
pub async fn every_role_reads_only_its_jurisdiction_in_snapshot_and_pull(backend: Backend) {
    const USERS: [&str; 12] = [
        "donghu.manager",
        "xishan.manager",
        "gaoxin.manager",
        "donghu.supervisor",
        "xishan.supervisor",
        "city.supervisor",
        "donghu.liaison",
        "donghu.handler",
        "xishan.handler",
        "gaoxin.handler",
        "donghu.staff",
        "admin",
    ];
    let app = spawn_app(backend).await;
    let supervisor = app.token("city.supervisor").await;
    let (status, _) = app.post(&supervisor, "/api/v1/integrity/scan", json!({})).await;
    assert_eq!(status, 200);
    let check = |user: &'static str| {
        let app = &app;
        async move {
            let token = app.token(user).await;
            let (_, me) = app.get(&token, "/api/v1/me").await;
            let scope = me["scope_path"].as_str().expect("scope").to_owned();
            let upper = format!("{scope}~");
            let role = hcp_domain::Role::parse(me["role"].as_str().expect("role")).expect("a role");
            // A case is visible where its visibility path is (it follows the handler it is assigned to).
            let case_paths: std::collections::HashMap<i64, String> = app
                .db
                .read(|c| c.query_map("SELECT id, scope_path FROM cases", (), |r| Ok((r.get(0)?, r.get(1)?))))
                .await
                .expect("case paths")
                .into_iter()
                .collect();
            let may_read = |entity: &str, row: &Value| {
                let e = hcp_protocol::Entity::parse(entity).expect("an entity");
                let case_path = (e == hcp_protocol::Entity::Case)
                    .then(|| row["id"].as_i64().and_then(|id| case_paths.get(&id)))
                    .flatten();
                let path = case_path
                    .map(String::as_str)
                    .or(row["unit_path"].as_str())
                    .or(row["path"].as_str())
                    .expect("a path");
                let in_scope = hcp_server::db::changes::reaches(&scope, &upper, e, path);
                let flag_ok = e != hcp_protocol::Entity::IntegrityFlag
                    || role.may_view_integrity_flags()
                    || (row["status"] != "open"
                        && row["status"] != "dismissed"
                        && row["explanation"] == hcp_server::db::integrity_flags::REDACTED_EXPLANATION);
                in_scope && flag_ok
            };
            let (rows, counts) = app.snapshot_rows(&token).await;
            for (entity, row) in &rows {
                assert!(may_read(entity, row), "{user} received {entity} {row}");
            }
            let sent = rows.len() as u64;
            let counted: u64 = counts.as_object().expect("counts").values().filter_map(Value::as_u64).sum();
            assert_eq!(sent, counted, "{user}: the counts are the rows sent");
            for change in app.pull_all(&token, 0).await {
                if let Some(row) = change["row"]["row"].as_object() {
                    let entity = change["entity"].as_str().expect("entity");
                    assert!(may_read(entity, &Value::Object(row.clone())), "{user} was fed {change}");
                }
            }
        }
    };
    for user in USERS {
        check(user).await;
    }
    // An account moves to another district: every jurisdiction still reads only its own.
    let root = app.token("admin").await;
    let (xishan_hall, _) = app.unit_of("西山区政务服务中心").await;
    let moved = app.user_id("donghu.handler").await;
    let (status, body) =
        app.patch(&root, &format!("/api/v1/admin/users/{moved}"), json!({"unit_id": xishan_hall})).await;
    assert_eq!(status, 200, "{body}");
    for user in USERS {
        check(user).await;
    }
    app.server.stop().await;
}

/// Per-token request limits: a token over its rate gets 429 with `Retry-After`; another token,
/// and requests without one, are unaffected.
pub async fn a_token_over_its_request_rate_is_slowed_down_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let config = hcp_server::Config {
        rate_limit: hcp_server::rate::RateLimit { per_second: 1.0, burst: 5.0 },
        ..hcp_server::Config::default()
    };
    let state =
        hcp_server::AppState { config: std::sync::Arc::new(config), ..hcp_server::AppState::new(app.db.clone()) };
    let server = hcp_server::spawn(state, "127.0.0.1:0").await.expect("spawn");
    let login = |user: &str| {
        let r = app
            .http
            .post(format!("{}/api/v1/auth/login", server.url()))
            .json(&json!({"username": user, "password": hcp_server::seed::DEMO_PASSWORD}))
            .send();
        async move {
            r.await.expect("login").json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
        }
    };
    let (busy, other) = (login("donghu.manager").await, login("xishan.manager").await);
    let me = |token: &str| app.http.get(format!("{}/api/v1/me", server.url())).bearer_auth(token).send();
    for i in 0..5 {
        assert_eq!(me(&busy).await.expect("me").status().as_u16(), 200, "request {i} is within the burst");
    }
    let r = me(&busy).await.expect("me");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()).is_some_and(|v| v.parse::<u64>().is_ok()));
    assert_eq!(r.json::<Value>().await.expect("json")["code"], "throttled");
    assert_eq!(me(&other).await.expect("me").status().as_u16(), 200, "another token is not slowed");
    let health = app.http.get(format!("{}/healthz", server.url())).send().await.expect("health");
    assert_eq!(health.status().as_u16(), 200);
    server.stop().await;
    app.server.stop().await;
}
