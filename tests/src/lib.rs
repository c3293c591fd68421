//! Shared helpers of the cross-crate and end-to-end tests.

pub mod fault;

use std::path::{Path, PathBuf};

use hcp_server::db::changes;
use hcp_server::seed::{seed_demo, SeedOptions};
use hcp_server::{AppState, Db, RunningServer};

/// A seeded demo server on a free loopback port, with its database: SQLite in `dir`, or a fresh
/// PostgreSQL database when `HCP_SCENARIO_BACKEND=postgres` (as `make test` runs the scenarios a
/// second time, under scripts/with-postgres.sh).
pub async fn seeded_server(dir: &Path, evaluations: usize) -> anyhow::Result<(RunningServer, Db)> {
    let db = if std::env::var("HCP_SCENARIO_BACKEND").is_ok_and(|b| b == "postgres") {
        let server = hcp_server::testing::postgres_server().ok_or_else(|| {
            anyhow::anyhow!(
                "HCP_SCENARIO_BACKEND=postgres needs HCP_TEST_POSTGRES_URL: run under scripts/with-postgres.sh"
            )
        })?;
        blocking(|| Db::open_postgres(&hcp_server::testing::create_postgres_database(&server)?))?
    } else {
        Db::open(&dir.join("server.db"))?
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).ok_or_else(|| anyhow::anyhow!("date"))?;
    let seed_db = db.clone();
    tokio::task::spawn_blocking(move || seed_demo(&seed_db, &SeedOptions { evaluations, seed: 42, today })).await??;
    let server = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await?;
    Ok((server, db))
}

/// The unit path, id and name of a demo account's unit.
pub fn account_scope(db: &Db, username: &str) -> anyhow::Result<(String, String)> {
    let u = username.to_owned();
    let user = blocking(|| db.read_blocking(move |c| hcp_server::db::users::by_username(c, &u)))?
        .ok_or_else(|| anyhow::anyhow!("no demo user {username}"))?;
    Ok((user.scope_path, user.unit_name))
}

/// Cases the server holds within a scope.
pub fn cases_in_scope(db: &Db, scope: &str) -> anyhow::Result<u64> {
    rows_in_scope(db, "cases", scope)
}

/// Rows of a replicated table the server holds within a scope (by the table's jurisdiction path).
pub fn rows_in_scope(db: &Db, table: &'static str, scope: &str) -> anyhow::Result<u64> {
    let s = scope.to_owned();
    Ok(blocking(|| db.read_blocking(move |c| changes::count_in_scope(c, table, &s, &format!("{s}~"))))?)
}

/// The ids of the cases the server replicates to a scope (by their visibility path), in order.
pub fn case_ids_in_scope(db: &Db, scope: &str) -> anyhow::Result<Vec<i64>> {
    let s = scope.to_owned();
    Ok(blocking(|| {
        db.read_blocking(move |c| {
            c.query_map(
                "SELECT id FROM cases WHERE scope_path >= ?1 AND scope_path < ?2 ORDER BY id",
                [s.clone(), format!("{s}~")],
                |r| r.get::<i64>(0),
            )
        })
    })?)
}

/// One case number from outside a scope (not replicated to it).
pub fn case_outside(db: &Db, scope: &str) -> anyhow::Result<String> {
    let s = scope.to_owned();
    Ok(blocking(|| {
        db.read_blocking(move |c| {
            c.query_row(
                "SELECT case_no FROM cases WHERE NOT (scope_path >= ?1 AND scope_path < ?2) ORDER BY id LIMIT 1",
                [s.clone(), format!("{s}~")],
                |r| r.get::<String>(0),
            )
        })
    })?)
}

/// The repository root: from the run's CARGO_MANIFEST_DIR, because one target folder may serve
/// several checkouts and a test binary built in another one is reused as it is.
pub fn repo_root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()))
        .join("..")
}

/// The cargo target folder (honours CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

/// Reports a bad review at 东湖区政务服务中心 and returns the number of the case it opened.
pub fn new_bad_review(db: &Db, record_no: &str) -> anyhow::Result<String> {
    let case_id = hcp_server::seed::demo_bad_review(db, record_no, "社会保障卡补换", "材料没有一次性告知，跑了三趟")?;
    Ok(blocking(|| {
        db.read_blocking(move |c| c.query_row("SELECT case_no FROM cases WHERE id = ?1", [case_id], |r| r.get(0)))
    })?)
}

/// Signs in over HTTP with the demo password and returns the bearer token.
pub async fn api_token(base_url: &str, username: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{base_url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": hcp_server::seed::DEMO_PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    v["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token in {v}"))
}

/// POSTs JSON with a bearer token; returns the status and the JSON body.
pub async fn api_post(
    base_url: &str,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let r = reqwest::Client::new().post(format!("{base_url}{path}")).bearer_auth(token).json(body).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(serde_json::Value::Null)))
}

/// The code of a unit, by name.
pub fn unit_code(db: &Db, name: &str) -> anyhow::Result<String> {
    let n = name.to_owned();
    Ok(blocking(|| {
        db.read_blocking(move |c| {
            c.query_row("SELECT code FROM org_units WHERE name = ?1", [n], |r| r.get::<String>(0))
        })
    })?)
}

/// The number of a case, by id.
pub fn case_no(db: &Db, case_id: i64) -> anyhow::Result<String> {
    Ok(blocking(|| {
        db.read_blocking(move |c| {
            c.query_row("SELECT case_no FROM cases WHERE id = ?1", [case_id], |r| r.get::<String>(0))
        })
    })?)
}

/// Personal data and secrets found in a log: the demo password, any bearer token the server issued
/// (recognised by its hash in `tokens`), and any evaluator's name, phone or certificate number
/// the server holds. Each finding names what leaked and the line number, never the value itself.
pub fn secrets_in_log(db: &Db, log: &str) -> anyhow::Result<Vec<String>> {
    use sha2::Digest;
    let token_hashes: std::collections::HashSet<String> =
        blocking(|| db.read_blocking(|c| c.query_map("SELECT token_hash FROM tokens", (), |r| r.get::<String>(0))))?
            .into_iter()
            .collect();
    let evaluators: Vec<(&'static str, String)> = blocking(|| {
        db.read_blocking(|c| {
            c.query_map(
                "SELECT DISTINCT evaluator_name, evaluator_phone, evaluator_cert FROM ratings
                  WHERE evaluator_name IS NOT NULL OR evaluator_phone IS NOT NULL OR evaluator_cert IS NOT NULL",
                (),
                |r| Ok((r.get::<Option<String>>(0)?, r.get::<Option<String>>(1)?, r.get::<Option<String>>(2)?)),
            )
        })
    })?
    .into_iter()
    .flat_map(|(n, p, c)| [("evaluator name", n), ("evaluator phone", p), ("evaluator certificate", c)])
    .filter_map(|(what, v)| v.filter(|v| v.chars().count() >= 2).map(|v| (what, v)))
    .collect();
    let mut found = Vec::new();
    for (i, line) in log.lines().enumerate() {
        let n = i + 1;
        if line.contains(hcp_server::seed::DEMO_PASSWORD) {
            found.push(format!("line {n}: a password"));
        }
        // Tokens are 43 characters of URL-safe base64: hash every such word and look it up.
        let words = line.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        for w in words.filter(|w| w.len() == 43) {
            if token_hashes.contains(&hex_lower(&sha2::Sha256::digest(w.as_bytes()))) {
                found.push(format!("line {n}: a bearer token"));
            }
        }
        for (what, v) in &evaluators {
            if line.contains(v.as_str()) {
                found.push(format!("line {n}: an {what}"));
            }
        }
    }
    Ok(found)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs blocking database work from an async test. PostgreSQL's synchronous client drives its own
/// runtime, which tokio refuses on a runtime's worker thread unless the thread is handed over first
/// (as the server's handlers do with `spawn_blocking`).
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
