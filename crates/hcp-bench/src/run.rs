//! `hcp-bench run`: the whole suite.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hcp_domain::{CaseCommand, CaseSource, OrgKind, ScopePath};
use hcp_protocol::{Counts, EntityRow, SnapshotLine, UserInfo};
use hcp_replica::{CaseQuery, Replica, ReplicaKey};
use hcp_sync::Client;
use serde_json::{json, Value};

use crate::load::LoadReport;
use crate::procs::{self, Proc};
use crate::results::{self, num, opt, Figures, Row, Target};
use crate::stats::{self, Summary};

mod image;
mod province;

pub const PASSWORD: &str = "Hcp@2026";
/// The page size the app pulls with (`hcp_app`'s `PULL_PAGE`).
const PULL_PAGE: usize = 2_000;

#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// The release `hcp-server` binary.
    #[arg(long)]
    pub server_bin: PathBuf,
    /// Folder with pouchdb-server and pouchdb installed (bench/pouchdb after `npm ci`).
    #[arg(long, default_value = "bench/pouchdb")]
    pub pouchdb_dir: PathBuf,
    /// Scratch folder for databases and logs (emptied first, removed at the end unless --keep).
    #[arg(long, default_value = "/tmp/hcp-bench")]
    pub work: PathBuf,
    #[arg(long)]
    pub keep: bool,
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out_md: PathBuf,
    #[arg(long, default_value = "bench/results.json")]
    pub out_json: PathBuf,
    /// Ratings in the synthetic city.
    #[arg(long, default_value_t = 1_000_000)]
    pub evaluations: u64,
    /// Repetitions of every whole-operation figure (bootstrap, ceiling, pull, push, notice, charts).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Trials of the latency figures (visibility, each dashboard and inbox query).
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    /// How long PouchDB may replicate before it is stopped and its rate extrapolated.
    #[arg(long, default_value_t = 600)]
    pub pouchdb_cap_secs: u64,
    /// Documents loaded into pouchdb-server: 0 (the default) loads all the snapshot's rows, as issue 9
    /// asks; otherwise a uniform sample of that many.
    #[arg(long, default_value_t = 0)]
    pub pouchdb_docs: usize,
    /// Seconds of each load run (intake, pull).
    #[arg(long, default_value_t = 20.0)]
    pub load_secs: f64,
    /// Concurrent channel systems posting ratings.
    #[arg(long, default_value_t = 16)]
    pub intake_clients: usize,
    /// Ratings per intake request.
    #[arg(long, default_value_t = 100)]
    pub intake_batch: usize,
    #[arg(long, default_value_t = 500)]
    pub pull_clients: usize,
    /// PostgreSQL server for the PostgreSQL figures (a database `hcp_bench_<pid>` is created in it).
    #[arg(long, env = "HCP_TEST_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// Phases to run (comma-separated): province, bootstrap, ceiling, pouchdb, plain, image,
    /// incremental, queries, app, coldstart, load, files, watch, postgres, scaleout.
    #[arg(
        long,
        default_value = "province,bootstrap,ceiling,pouchdb,plain,image,incremental,queries,app,coldstart,load,files,watch,postgres,scaleout"
    )]
    pub phases: String,
    /// Ratings of the province's loaded month (the `province` phase).
    #[arg(long, default_value_t = 14_000_000)]
    pub province_evaluations: u64,
    /// Cities of the province.
    #[arg(long, default_value_t = 20)]
    pub province_cities: u32,
    /// Measures the province already seeded in this database (`hcp-server seed --profile province`
    /// with the same `--province-evaluations`) instead of seeding and dropping one: for working on
    /// the province's figures without its 10-minute load each time.
    #[arg(long)]
    pub province_database: Option<String>,
    /// Server processes on one PostgreSQL database in the scale-out phase (measured beside one).
    #[arg(long, default_value_t = 3)]
    pub scale_processes: usize,
    /// Feed followers checking for gaps during the scale-out phase's load.
    #[arg(long, default_value_t = 4)]
    pub followers: usize,
    /// The servers' background integrity scan interval in seconds (0 turns it off); without it the
    /// server's default (every 60 s, and once at start).
    #[arg(long)]
    pub integrity_scan_seconds: Option<u64>,
    /// Changes per page the feed followers pull.
    #[arg(long, default_value_t = 50)]
    pub follower_page: usize,
    /// The release desktop app (src-tauri) for the cold-start figure; without it (or with
    /// --skip-app) cold_start_s stays null.
    #[arg(long)]
    pub app_bin: Option<PathBuf>,
    /// Leaves out the desktop app's cold start (the slowest set-up: one more bootstrap through the app).
    #[arg(long)]
    pub skip_app: bool,
    /// Launches of the desktop app timed for cold_start_s (after one unrecorded launch).
    #[arg(long, default_value_t = 5)]
    pub cold_start_runs: usize,
    /// Wraps the cold-start process in a private D-Bus session with an unlocked keyring.
    #[arg(long, default_value = "scripts/with-keyring.sh")]
    pub keyring_script: PathBuf,
    /// Hand-written analysis appended to BENCHMARKS.md when present.
    #[arg(long, default_value = "bench/analysis.md")]
    pub analysis: PathBuf,
    /// Time per replica query after which its trials stop (at least 3 samples are always taken).
    #[arg(long, default_value_t = 60)]
    pub query_budget_secs: u64,
    /// The command line to print in BENCHMARKS.md.
    #[arg(long, default_value = "make bench")]
    pub command_line: String,
}

/// Everything measured so far.
struct Bench {
    opts: Options,
    figures: Figures,
    details: BTreeMap<String, Value>,
    rows: Vec<Row>,
    notes: Vec<String>,
    key: ReplicaKey,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Deletes a replica with its WAL files.
fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn spread(s: &Summary, unit: &str) -> String {
    format!("{}–{} {unit} (n={})", num(s.min), num(s.max), s.n)
}

fn pct(s: &Summary, unit: &str) -> String {
    format!("p50 {} / p95 {} {unit} (n={})", num(s.median), num(s.p95), s.n)
}

/// A signed-in user of the running server.
struct Session {
    client: Client,
    token: String,
    user: UserInfo,
}

async fn sign_in(url: &str, username: &str, client_id: &str) -> anyhow::Result<Session> {
    let client = Client::new(url).map_err(|e| anyhow::anyhow!(e))?;
    let resp =
        client.login(username, PASSWORD, Some(client_id)).await.with_context(|| format!("sign-in of {username}"))?;
    Ok(Session { client, token: resp.token, user: resp.user })
}

/// The snapshot of a session's jurisdiction, decoded into memory.
struct Snapshot {
    scope: String,
    rows: Vec<EntityRow>,
    cursor: i64,
    counts: Counts,
}

impl Snapshot {
    /// Inserts every row into the fresh replica `r` through the replica's own bootstrap writer
    /// (indexes after the rows); returns the seconds it took.
    fn insert_into(&self, r: &mut Replica, now: &str) -> anyhow::Result<f64> {
        let t = Instant::now();
        let mut boot = r.begin_bootstrap(&self.scope)?;
        for row in &self.rows {
            boot.insert(row)?;
        }
        boot.finish(self.cursor, &self.counts, now)?;
        Ok(t.elapsed().as_secs_f64())
    }
}

async fn download_snapshot(s: &Session) -> anyhow::Result<Snapshot> {
    let body = s.client.snapshot(&s.token).await?.bytes().await?;
    let (mut scope, mut rows, mut end) = (None, Vec::new(), None);
    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match SnapshotLine::from_json(line)? {
            SnapshotLine::Begin { scope_path, expected, .. } => {
                rows.reserve(expected.total() as usize);
                scope = Some(scope_path);
            }
            SnapshotLine::Row { row } => rows.push(row),
            SnapshotLine::End { cursor, counts } => end = Some((cursor, counts)),
        }
    }
    let (Some(scope), Some((cursor, counts))) = (scope, end) else { bail!("incomplete snapshot") };
    Ok(Snapshot { scope, rows, cursor, counts })
}

fn rep(path: &Path, key: &ReplicaKey) -> anyhow::Result<Arc<Mutex<Replica>>> {
    Ok(Arc::new(Mutex::new(Replica::open(path, key)?)))
}

fn lock(r: &Arc<Mutex<Replica>>) -> anyhow::Result<std::sync::MutexGuard<'_, Replica>> {
    r.lock().map_err(|_| anyhow::anyhow!("replica lock poisoned"))
}

/// Runs `f` `n` times after one warm-up and returns the times in ms.
fn time_n<T>(n: usize, f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Vec<f64>> {
    time_budget(n, Duration::MAX, f)
}

/// Like [`time_n`], but stops early (after at least 3 samples) once `budget` is spent, so a slow
/// query cannot hold the suite for an hour; the sample count is reported with the figure.
fn time_budget<T>(n: usize, budget: Duration, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Vec<f64>> {
    let started = Instant::now();
    f()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(f()?);
        out.push(ms(t.elapsed()));
        if out.len() >= 3 && started.elapsed() > budget {
            break;
        }
    }
    Ok(out)
}

/// Runs this binary again as a second process and reads its JSON report.
fn second_process<T: serde::de::DeserializeOwned>(args: &[String], env: &[(&str, &str)]) -> anyhow::Result<T> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args(args).env("HCP_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("hcp-bench {} failed: {}", args.first().map_or("", |s| s), String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

impl Bench {
    fn phase(&self, name: &str) -> bool {
        self.opts.phases.split(',').any(|p| p.trim() == name)
    }

    fn detail(&mut self, key: &str, v: impl serde::Serialize) {
        self.details.insert(key.to_owned(), serde_json::to_value(v).unwrap_or(Value::Null));
    }

    fn note(&mut self, s: impl Into<String>) {
        let s = s.into();
        tracing::warn!("{s}");
        self.notes.push(s);
    }
}

/// Memory and timings of the replica side as the app would use it; runs in its own process.
pub fn rss_probe(path: &Path, user: &UserInfo) -> anyhow::Result<Value> {
    let key = bench_key();
    let before = procs::rss_mb(None);
    let r = Replica::open(path, &key)?;
    let calendar = hcp_domain::Calendar::bundled();
    let now = chrono::Utc::now();
    let dash = hcp_app::dashboard::dashboard(&r, None, now, Default::default(), &Default::default())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut page = r.list_cases(&CaseQuery { limit: 50, ..CaseQuery::default() })?;
    let actor = hcp_app::cases::actor(user).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    hcp_app::cases::overlay(&r, &mut page.items, &actor, &calendar, now).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if let Some(first) = page.items.first() {
        hcp_app::cases::detail(&r, user, first.id, &calendar, now).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let after = procs::rss_mb(None);
    Ok(json!({
        "rss_before_mb": before.map(|b| b.0),
        "rss_mb": after.map(|a| a.0),
        "hwm_mb": after.map(|a| a.1),
        "dashboard_units": dash.units.len(),
        "inbox_total": page.total,
    }))
}

fn bench_key() -> ReplicaKey {
    // A throw-away replica: a fixed key keeps the second processes simple.
    ReplicaKey::from_bytes([0x5a; 32])
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(&opts.work);
    std::fs::create_dir_all(&opts.work)?;
    if let Some(n) = opts.integrity_scan_seconds {
        procs::set_integrity_scan_seconds(n);
    }
    let mut b = Bench {
        opts: opts.clone(),
        figures: Figures::default(),
        details: BTreeMap::new(),
        rows: Vec::new(),
        notes: Vec::new(),
        key: bench_key(),
    };
    b.detail("machine", procs::machine());
    b.detail("started_at", now_rfc3339());
    b.detail("loadavg_at_start", procs::loadavg());
    b.detail(
        "settings",
        json!({"evaluations": opts.evaluations, "runs": opts.runs, "trials": opts.trials,
               "pouchdb_cap_secs": opts.pouchdb_cap_secs, "pouchdb_docs": opts.pouchdb_docs,
               "load_secs": opts.load_secs, "intake_clients": opts.intake_clients,
               "intake_batch": opts.intake_batch, "pull_clients": opts.pull_clients,
               "scale_processes": opts.scale_processes, "followers": opts.followers,
               "follower_page": opts.follower_page, "integrity_scan_seconds": opts.integrity_scan_seconds}),
    );

    let outcome = suite(&mut b).await;
    if let Err(e) = &outcome {
        b.note(format!("the run stopped early: {e:#}"));
    }
    b.detail("loadavg_at_end", procs::loadavg());
    b.detail("total_s", started.elapsed().as_secs_f64());
    write_outputs(&b)?;
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&opts.work);
    }
    outcome
}

async fn suite(b: &mut Bench) -> anyhow::Result<()> {
    let work = b.opts.work.clone();
    let server_bin = b.opts.server_bin.clone();

    // The province first, on its own database (the city's phases below do not need it).
    if b.phase("province") {
        match b.opts.postgres_url.clone() {
            _ if b.opts.province_database.is_some() => {
                if let Err(e) = province::measure_seeded(b).await {
                    b.note(format!("province: the phase stopped early: {e:#}"));
                }
            }
            None => b.note("province: no PostgreSQL server (run under scripts/with-postgres.sh)"),
            Some(pg) => {
                if let Err(e) = province::run(b, &pg).await {
                    b.note(format!("province: the phase stopped early: {e:#}"));
                }
            }
        }
        if b.opts.phases.split(',').all(|p| p.trim() == "province") {
            return Ok(());
        }
    }

    // The server database: the synthetic city, bulk-loaded by the real seeder.
    let db_path = work.join("server.db");
    let sqlite_url = format!("sqlite://{}", db_path.display());
    tracing::info!(evaluations = b.opts.evaluations, "seeding SQLite");
    let seed_s = procs::seed(&server_bin, &sqlite_url, b.opts.evaluations, &work, "sqlite")?;
    b.detail("seed_sqlite_s", seed_s);
    let mut server = procs::start_server(&server_bin, &sqlite_url, &work, "sqlite").await?;
    let url = server.url.clone();

    let a = sign_in(&url, "city.supervisor", "bench-a").await?;
    let snapshot = download_snapshot(&a).await?;
    let total_rows = snapshot.counts.total();
    b.detail("jurisdiction_rows", &snapshot.counts);
    let halls: Vec<(String, String)> = snapshot
        .rows
        .iter()
        .filter_map(|r| match r {
            EntityRow::OrgUnit(u) if u.kind == OrgKind::Hall => Some((u.code.clone(), u.path.clone())),
            _ => None,
        })
        .collect();
    anyhow::ensure!(!halls.is_empty(), "the bench city has no halls");

    // 1. Bootstrap into a fresh replica, the app's own engine, runs times.
    let replica_a = work.join("replica-a.db");
    if b.phase("bootstrap") {
        let mut secs = Vec::new();
        for i in 0..b.opts.runs {
            remove_db(&replica_a);
            let r = rep(&replica_a, &b.key)?;
            let t = Instant::now();
            let counts = hcp_sync::bootstrap(&a.client, &a.token, r.clone(), now_rfc3339(), |_| {}).await?;
            let s = t.elapsed().as_secs_f64();
            anyhow::ensure!(counts.total() == total_rows, "bootstrap rows {} != {}", counts.total(), total_rows);
            tracing::info!(run = i, secs = s, rows = total_rows, "bootstrap");
            secs.push(s);
        }
        let s = stats::summarize(&secs).context("no bootstrap runs")?;
        b.figures.bootstrap_s = Some(s.median);
        b.figures.bootstrap_rows_per_s = Some(total_rows as f64 / s.median);
        b.detail("bootstrap_runs_s", &secs);
        b.detail("bootstrap_replica_mb", std::fs::metadata(&replica_a).map(|m| m.len() as f64 / 1e6).ok());
        b.rows.push(Row {
            key: "bootstrap_s",
            what: format!(
                "bootstrap of city.supervisor's jurisdiction ({} rows) into a fresh replica",
                num(total_rows as f64)
            ),
            value: b.figures.bootstrap_s,
            unit: "s",
            spread: spread(&s, "s"),
            reference: String::new(),
            target: Some(Target::AtMost(15.0)),
        });
    }

    // Reference A: the same rows, already decoded in memory, through the replica's prepared
    // statements in one transaction: no network, no gzip, no JSON.
    let ceiling_path = work.join("replica-ceiling.db");
    if b.phase("ceiling") {
        let mut secs = Vec::new();
        let now = now_rfc3339();
        for _ in 0..b.opts.runs {
            remove_db(&ceiling_path);
            let mut r = Replica::open(&ceiling_path, &b.key)?;
            secs.push(snapshot.insert_into(&mut r, &now)?);
        }
        remove_db(&ceiling_path);
        let s = stats::summarize(&secs).context("no ceiling runs")?;
        b.detail("ceiling_runs_s", &secs);
        b.detail("ceiling_s", s.median);
        b.detail("ceiling_rows_per_s", total_rows as f64 / s.median);
        if let Some(ours) = b.figures.bootstrap_s {
            b.figures.bootstrap_vs_ceiling = Some(ours / s.median);
        }
        b.rows.push(Row {
            key: "bootstrap_vs_ceiling",
            what: "bootstrap time / Reference A (same rows, in memory, replica's prepared statements, one transaction)"
                .into(),
            value: b.figures.bootstrap_vs_ceiling,
            unit: "×",
            spread: format!("ceiling {}", spread(&s, "s")),
            reference: format!("A: {} s, {} rows/s", num(s.median), num(total_rows as f64 / s.median)),
            target: Some(Target::AtMost(2.0)),
        });
    }
    if let Some(row) = b.rows.iter_mut().find(|r| r.key == "bootstrap_s") {
        if let Some(c) = b.details.get("ceiling_s").and_then(Value::as_f64) {
            row.reference = format!("A (ceiling): {} s", num(c));
        }
    }

    // Reference B: PouchDB replicating the same documents from pouchdb-server on loopback.
    if b.phase("pouchdb") {
        if let Err(e) = pouchdb(b, &snapshot).await {
            b.note(format!("PouchDB reference not measured: {e:#}"));
        }
    }
    // Issue 23 item 2: the plain-SQLite insert reference, and the bootstrap from a replica image.
    if b.phase("plain") {
        if let Err(e) = image::plain_reference(b, &snapshot) {
            b.note(format!("the plain-SQLite insert reference was not measured: {e:#}"));
        }
    }
    if b.phase("image") {
        if let Err(e) = image::image_bootstrap(b, &a, &snapshot, &sqlite_url).await {
            b.note(format!("the image bootstrap was not measured: {e:#}"));
        }
    }
    let rows_per_s = b.figures.bootstrap_rows_per_s;
    b.rows.push(Row {
        key: "bootstrap_rows_per_s",
        what: "bootstrap throughput".into(),
        value: rows_per_s,
        unit: "rows/s",
        spread: String::new(),
        reference: b
            .details
            .get("ceiling_rows_per_s")
            .and_then(Value::as_f64)
            .map(|c| format!("A: {} rows/s", num(c)))
            .unwrap_or_default(),
        target: None,
    });
    // A case of the city for the evidence-file figures.
    let bench_case = snapshot.rows.iter().find_map(|r| match r {
        EntityRow::Case(c) => Some(c.id),
        _ => None,
    });
    drop(snapshot);

    // 2. Incremental sync on the bootstrapped replica.
    let admin = sign_in(&url, "admin", "bench-admin").await?;
    let hall_codes: Vec<String> = halls.iter().map(|h| h.0.clone()).collect();
    if b.phase("incremental") && replica_a.exists() {
        if let Err(e) = incremental(b, &a, &admin, &hall_codes, &halls, &replica_a, &url).await {
            b.note(format!("incremental sync figures incomplete: {e:#}"));
        }
    }

    // 3. The screens' queries on the 1 M replica, and 5. the app's render times and memory.
    if b.phase("queries") && replica_a.exists() {
        if let Err(e) = queries(b, &a, &replica_a) {
            b.note(format!("replica query figures incomplete: {e:#}"));
        }
    }
    if b.phase("app") && replica_a.exists() {
        if let Err(e) = app(b, &a, &replica_a) {
            b.note(format!("app figures incomplete: {e:#}"));
        }
    } else {
        b.note("rss_mb, notice_pdf_ms, chart_ms: the app phase did not run");
    }
    remove_db(&replica_a);
    cold_start(b, &url);

    // 4. Server intake and pull under load, SQLite.
    if b.phase("load") {
        match server_load(b, &url, &admin, &a, &hall_codes, "sqlite").await {
            Ok(r) => {
                b.figures.intake_sqlite_per_s = Some(r.0);
                b.figures.pull_500_clients_p99_ms = Some(r.1);
            }
            Err(e) => b.note(format!("SQLite load figures not measured: {e:#}")),
        }
    }
    // 5. Evidence files: a 20 MB upload and download against curl on the same server.
    if b.phase("files") {
        if let Err(e) = files(b, &a, bench_case).await {
            b.note(format!("evidence-file figures not measured: {e:#}"));
        }
    }
    // Intake and pulls together on the one SQLite process, through the same proxy as the
    // PostgreSQL processes: the reference of the scale-out figures.
    if b.phase("scaleout") {
        let plan_servers = [url.clone()];
        if let Err(e) = scale_out_run(b, &plan_servers, &[server.pid()], &admin, &a, &hall_codes, "sqlite").await {
            b.note(format!("SQLite scale-out reference not measured: {e:#}"));
        }
    }
    // 6. The deadline watch over the whole city (last: it records events on the city's cases).
    if b.phase("watch") {
        if let Err(e) = watch(b, &server_bin, &sqlite_url) {
            b.note(format!("deadline watch figures not measured: {e:#}"));
        }
    }
    server.stop();
    let _ = std::fs::remove_file(&db_path);
    remove_db(&db_path);

    // … and PostgreSQL.
    if b.phase("postgres") || b.phase("scaleout") {
        match b.opts.postgres_url.clone() {
            None => b.note("intake_postgres_per_s: no PostgreSQL server (run under scripts/with-postgres.sh)"),
            Some(pg) => {
                if let Err(e) = postgres(b, &pg).await {
                    b.note(format!("PostgreSQL figures not measured: {e:#}"));
                }
            }
        }
    }
    Ok(())
}

/// Evidence-file throughput (see [`crate::files`]) on a case of the city, by its supervisor.
async fn files(b: &mut Bench, a: &Session, case_id: Option<i64>) -> anyhow::Result<()> {
    let case_id = case_id.context("the city has no case")?;
    let r = crate::files::measure(&a.client, &a.token, &b.key, case_id, &b.opts.work, 3).await?;
    tracing::info!(?r, "evidence files");
    b.detail("evidence_files", &r);
    let best = crate::files::FileReport::best;
    let (up, up_curl) = (r.mb_per_s(best(&r.upload_s)), r.mb_per_s(best(&r.upload_curl_s)));
    let down = r.mb_per_s(crate::files::FileReport::best(&r.download_s));
    let down_curl = r.mb_per_s(crate::files::FileReport::best(&r.download_curl_s));
    let down_null = r.mb_per_s(crate::files::FileReport::best(&r.download_curl_null_s));
    // The download's best time beside curl's (from its throughput).
    let versus = |curl_mb_s: f64| {
        format!("best of {}: {} s vs {} s", r.download_s.len(), num(r.size_mb / down), num(r.size_mb / curl_mb_s))
    };
    b.rows.push(Row {
        key: "file_upload_vs_curl",
        what: format!(
            "a {} MB evidence file sent by the app's upload queue (declared, {} KiB chunks read from the \
             encrypted store, completed: hash and type checked) on loopback, SQLite: {} MB/s",
            num(r.size_mb),
            r.chunk_bytes / 1024,
            num(up)
        ),
        value: Some(up / up_curl),
        unit: "× curl",
        spread: format!(
            "best of {}: {} s vs {} s",
            r.upload_s.len(),
            num(best(&r.upload_s)),
            num(best(&r.upload_curl_s))
        ),
        reference: format!(
            "curl declaring, PUTting the same chunks and completing, one connection: {} MB/s",
            num(up_curl)
        ),
        target: Some(Target::AtLeast(0.5)),
    });
    b.rows.push(Row {
        key: "file_download_vs_curl",
        what: format!(
            "the same file opened on another laptop by the app's download (streamed, SHA-256 checked, cached \
             encrypted) on loopback: {} MB/s",
            num(down)
        ),
        value: Some(down / down_curl),
        unit: "× curl",
        spread: versus(down_curl),
        reference: format!("curl -o FILE of the same URL (saved, as the app saves it): {} MB/s", num(down_curl)),
        target: Some(Target::AtLeast(0.5)),
    });
    b.rows.push(Row {
        key: "file_download_vs_curl_discarding",
        what: "the same download against curl receiving the bytes without keeping them".into(),
        value: Some(down / down_null),
        unit: "× curl",
        spread: versus(down_null),
        reference: format!("curl -o /dev/null of the same URL: {} MB/s", num(down_null)),
        target: Some(Target::AtLeast(0.5)),
    });
    b.rows.push(Row {
        key: "snapshot_growth_by_files_bytes",
        what: format!(
            "the jurisdiction's snapshot after {} files of 20 MB were attached: only their metadata rows",
            2 * r.upload_s.len()
        ),
        value: Some(r.snapshot_bytes_after as f64 - r.snapshot_bytes_before as f64),
        unit: "bytes",
        spread: format!("{} → {} bytes", num(r.snapshot_bytes_before as f64), num(r.snapshot_bytes_after as f64)),
        reference: format!("the files: {} bytes", num(2.0 * r.upload_s.len() as f64 * crate::files::FILE_BYTES as f64)),
        target: Some(Target::AtMost(4096.0)),
    });
    Ok(())
}

/// One pass of the deadline watch (`hcp-server watch-pass`) over every running case of the city,
/// on the first working morning after the data's last day: the pass that acts (warnings, 催办,
/// escalations, written in time-bounded batches), then a pass with nothing left to do.
fn watch(b: &mut Bench, server_bin: &Path, database: &str) -> anyhow::Result<()> {
    let calendar = hcp_domain::Calendar::bundled();
    let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
    let morning = calendar.next_working_day(today).and_hms_opt(1, 0, 0).context("a time")?.and_utc();
    let run = || -> anyhow::Result<Value> {
        let out = Command::new(server_bin)
            .args(["watch-pass", "--database", database, "--at", &morning.to_rfc3339()])
            .env("HCP_LOG", "warn")
            .output()
            .context("running hcp-server watch-pass")?;
        anyhow::ensure!(out.status.success(), "watch-pass failed: {}", String::from_utf8_lossy(&out.stderr));
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let first = run()?;
    let second = run()?;
    let f = |v: &Value, k: &str| v[k].as_f64();
    b.detail("watch_first_pass", &first);
    b.detail("watch_second_pass", &second);
    let running = f(&first, "running").unwrap_or(0.0);
    let acted = ["warned", "urged", "escalated"].iter().filter_map(|k| f(&first, k)).sum::<f64>();
    b.rows.push(Row {
        key: "watch_pass_ms",
        what: format!(
            "deadline watch: one pass over the {} running cases that records {} warnings, 催办 and escalations",
            num(running),
            num(acted)
        ),
        value: f(&first, "total_ms"),
        unit: "ms",
        spread: format!(
            "plan {} ms; {} write transactions",
            num(f(&first, "plan_ms").unwrap_or(0.0)),
            num(f(&first, "write_transactions").unwrap_or(0.0))
        ),
        reference: format!(
            "reading the running cases: {} ms; a pass with nothing to do: {} ms",
            num(f(&first, "read_ms").unwrap_or(0.0)),
            num(f(&second, "total_ms").unwrap_or(0.0))
        ),
        target: None,
    });
    b.rows.push(Row {
        key: "watch_longest_write_ms",
        what: "deadline watch: longest hold of the write lock (one batch, ask to commit)".into(),
        value: f(&first, "longest_write_ms"),
        unit: "ms",
        spread: String::new(),
        reference: String::new(),
        target: Some(Target::AtMost(50.0)),
    });
    Ok(())
}

async fn pouchdb(b: &mut Bench, snapshot: &Snapshot) -> anyhow::Result<()> {
    let dir = std::fs::canonicalize(&b.opts.pouchdb_dir).context("bench/pouchdb (run npm ci there)")?;
    let server_js = dir.join("node_modules/pouchdb-server/bin/pouchdb-server");
    anyhow::ensure!(server_js.exists(), "{} missing (npm ci in bench/pouchdb)", server_js.display());
    let pdir = b.opts.work.join("pouchdb-server");
    std::fs::create_dir_all(&pdir)?;
    let port = procs::free_port()?;
    let mut cmd = Command::new("node");
    cmd.arg(&server_js)
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--dir"])
        .arg(&pdir)
        .args(["--config"])
        .arg(pdir.join("config.json"))
        .arg("--no-stdout-logs")
        .current_dir(&pdir);
    let server = Proc::start(
        "pouchdb-server",
        cmd,
        &b.opts.work.join("pouchdb-server.log"),
        format!("http://127.0.0.1:{port}"),
        "/",
        Duration::from_secs(60),
    )
    .await?;
    let http = reqwest::Client::new();
    let db = format!("{}/bench", server.url);
    let r = http.put(&db).send().await?;
    anyhow::ensure!(r.status().is_success(), "creating the PouchDB database: {}", r.status());

    // A uniform sample of the rows, so the documents have the snapshot's mix of entities.
    let want =
        if b.opts.pouchdb_docs == 0 { snapshot.rows.len() } else { b.opts.pouchdb_docs.min(snapshot.rows.len()) };
    let step = snapshot.rows.len() as f64 / want.max(1) as f64;
    let t = Instant::now();
    let mut loaded = 0usize;
    let mut batch = Vec::with_capacity(2000);
    for i in 0..want {
        let row = &snapshot.rows[((i as f64) * step) as usize];
        batch.push(crate::pouch::to_doc(row)?);
        if batch.len() == 2000 || i + 1 == want {
            let resp = http.post(format!("{db}/_bulk_docs")).json(&json!({ "docs": batch })).send().await?;
            anyhow::ensure!(resp.status().is_success(), "loading pouchdb-server: {}", resp.status());
            loaded += batch.len();
            batch.clear();
        }
    }
    b.detail("pouchdb_source_docs", loaded);
    b.detail("pouchdb_source_load_s", t.elapsed().as_secs_f64());
    tracing::info!(loaded, secs = t.elapsed().as_secs_f64(), "pouchdb-server loaded");

    let target = b.opts.work.join("pouchdb-client");
    let out = Command::new("node")
        .arg(dir.join("replicate.js"))
        .args(["--source", &db, "--target"])
        .arg(&target)
        .args(["--cap", &b.opts.pouchdb_cap_secs.to_string()])
        .current_dir(&b.opts.work)
        .output()?;
    drop(server);
    anyhow::ensure!(out.status.success(), "replicate.js: {}", String::from_utf8_lossy(&out.stderr));
    let rep: Value = serde_json::from_slice(&out.stdout)?;
    let docs = rep["docs_written"].as_f64().unwrap_or(0.0);
    let secs = rep["seconds"].as_f64().unwrap_or(0.0);
    let completed = rep["completed"].as_bool().unwrap_or(false);
    anyhow::ensure!(docs > 0.0 && secs > 0.0, "PouchDB replicated nothing: {rep}");
    let rate = docs / secs;
    let total = snapshot.counts.total() as f64;
    let full_s = total / rate;
    let extrapolated = !(completed && loaded == snapshot.rows.len());
    b.detail(
        "pouchdb",
        json!({"docs_written": docs, "seconds": secs, "completed_within_cap": completed,
               "docs_per_s": rate, "full_jurisdiction_s": full_s, "extrapolated": extrapolated,
               "cap_secs": b.opts.pouchdb_cap_secs}),
    );
    if let Some(ours) = b.figures.bootstrap_s {
        b.figures.bootstrap_speedup_vs_pouchdb = Some(full_s / ours);
    }
    b.rows.push(Row {
        key: "bootstrap_speedup_vs_pouchdb",
        what: "PouchDB time for the same rows / our bootstrap time".into(),
        value: b.figures.bootstrap_speedup_vs_pouchdb,
        unit: "×",
        spread: if completed { "one run, finished within the cap" } else { "one run, stopped at the cap" }.into(),
        reference: format!(
            "B: {} docs in {} s = {} docs/s → {} s for {} rows{}",
            num(docs),
            num(secs),
            num(rate),
            num(full_s),
            num(total),
            if extrapolated { " (**extrapolated**)" } else { "" }
        ),
        target: Some(Target::AtLeast(30.0)),
    });
    if b.opts.pouchdb_cap_secs < 600 || loaded < snapshot.rows.len() {
        b.note(format!(
            "Reference B ran with a {} s cap (issue 9 allows 10 minutes) on a uniform sample of {} of the {} rows; \
             its rate is extrapolated to the whole jurisdiction",
            b.opts.pouchdb_cap_secs,
            num(loaded as f64),
            num(snapshot.rows.len() as f64)
        ));
    }
    let _ = std::fs::remove_dir_all(&target);
    let _ = std::fs::remove_dir_all(&pdir);
    Ok(())
}

async fn post_ratings(admin: &Session, url: &str, halls: &[String], n: usize, tag: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let ratings: Vec<Value> = (0..n)
        .map(|i| {
            json!({"source": "bench-sync", "service_record_no": format!("{tag}-{i}"),
                   "unit_code": halls[i % halls.len()], "item_code": "BENCH-2", "item_name": "不动产登记",
                   "channel": 1 + (i % 8) as u8, "level": "satisfied", "rated_at": now_rfc3339()})
        })
        .collect();
    let resp = http
        .post(format!("{url}/api/v1/intake/ratings"))
        .bearer_auth(&admin.token)
        .json(&json!({ "ratings": ratings }))
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "intake: {}", resp.status());
    Ok(())
}

fn create_case(unit: &str, summary: String) -> anyhow::Result<CaseCommand> {
    Ok(CaseCommand::Create {
        source: CaseSource::Supervision,
        unit: ScopePath::try_from(unit.to_owned()).map_err(|e| anyhow::anyhow!("{e:?}"))?,
        rated_staff_id: None,
        real_name: false,
        summary,
        content_codes: vec![],
        service_item_id: None,
    })
}

async fn incremental(
    b: &mut Bench,
    a: &Session,
    admin: &Session,
    hall_codes: &[String],
    halls: &[(String, String)],
    replica_a: &Path,
    url: &str,
) -> anyhow::Result<()> {
    let ra = rep(replica_a, &b.key)?;
    let calendar = hcp_domain::Calendar::bundled();
    // Catch up with anything before the first trial.
    hcp_sync::pull(&a.client, &a.token, ra.clone(), PULL_PAGE).await?;

    // Pull of 1,000 server changes (1,000 new ratings from the channels).
    let (mut pull_ms, mut pulled) = (Vec::new(), Vec::new());
    for i in 0..b.opts.runs {
        post_ratings(admin, url, hall_codes, 1000, &format!("pull-{i}-{}", std::process::id())).await?;
        let t = Instant::now();
        let n = hcp_sync::pull(&a.client, &a.token, ra.clone(), PULL_PAGE).await?;
        pull_ms.push(ms(t.elapsed()));
        pulled.push(n);
    }
    let s = stats::summarize(&pull_ms).context("no pulls")?;
    b.figures.pull_1000_ms = Some(s.median);
    b.detail("pull_1000_runs_ms", &pull_ms);
    b.detail("pull_1000_changes", &pulled);

    // Push of 100 outbox commands (a supervisor's 100 new findings).
    let (city_hall_code, city_hall) = halls[0].clone();
    let _ = city_hall_code;
    let mut push_ms = Vec::new();
    for i in 0..b.opts.runs {
        {
            let r = lock(&ra)?;
            for k in 0..100 {
                let cmd = create_case(&city_hall, format!("体验式办理发现窗口未执行一次性告知（基准 {i}-{k}）"))?;
                hcp_app::cases::issue(&r, &a.user, None, &cmd, &calendar, chrono::Utc::now())
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            }
        }
        let t = Instant::now();
        let (applied, rejected) = hcp_sync::push(&a.client, &a.token, "bench-a", ra.clone()).await?;
        push_ms.push(ms(t.elapsed()));
        anyhow::ensure!(applied == 100 && rejected == 0, "push: {applied} applied, {rejected} rejected");
        hcp_sync::pull(&a.client, &a.token, ra.clone(), PULL_PAGE).await?;
    }
    let p = stats::summarize(&push_ms).context("no pushes")?;
    b.figures.push_100_ms = Some(p.median);
    b.detail("push_100_runs_ms", &push_ms);

    // A command on client A visible in client B's inbox; B pulls every 50 ms.
    let bsess = sign_in(url, "donghu.supervisor", "bench-b").await?;
    let replica_b = b.opts.work.join("replica-b.db");
    remove_db(&replica_b);
    let rb = rep(&replica_b, &b.key)?;
    hcp_sync::bootstrap(&bsess.client, &bsess.token, rb.clone(), now_rfc3339(), |_| {}).await?;
    let b_hall = halls
        .iter()
        .find(|(_, p)| p.starts_with(&bsess.user.scope_path))
        .map(|h| h.1.clone())
        .context("no hall in donghu.supervisor's jurisdiction")?;
    let mut vis_ms = Vec::new();
    for trial in 0..b.opts.trials {
        let marker = format!("基准可见性{trial}-{}", chrono::Utc::now().timestamp_micros());
        let (bc, bt, rb2, m2) = (bsess.client.clone(), bsess.token.clone(), rb.clone(), marker.clone());
        let watcher = tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                hcp_sync::pull(&bc, &bt, rb2.clone(), PULL_PAGE).await?;
                let seen = {
                    let r = lock(&rb2)?;
                    r.list_cases(&CaseQuery { search: Some(m2.clone()), limit: 1, ..CaseQuery::default() })?.total > 0
                };
                if seen {
                    return Ok::<Instant, anyhow::Error>(Instant::now());
                }
                anyhow::ensure!(Instant::now() < deadline, "not visible on client B after 60 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let t0 = Instant::now();
        {
            let r = lock(&ra)?;
            let cmd = create_case(&b_hall, format!("督查发现：{marker}"))?;
            hcp_app::cases::issue(&r, &a.user, None, &cmd, &calendar, chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        hcp_sync::push(&a.client, &a.token, "bench-a", ra.clone()).await?;
        let seen = watcher.await??;
        vis_ms.push(ms(seen.duration_since(t0)));
    }
    drop(rb);
    remove_db(&replica_b);
    let v = stats::summarize(&vis_ms).context("no visibility trials")?;
    b.figures.visibility_p95_ms = Some(v.p95);
    b.detail("visibility_ms", &vis_ms);
    b.rows.push(Row {
        key: "pull_1000_ms",
        what: format!("pull of 1,000 server changes into the bootstrapped replica (page {PULL_PAGE})"),
        value: b.figures.pull_1000_ms,
        unit: "ms",
        spread: spread(&s, "ms"),
        reference: String::new(),
        target: None,
    });
    b.rows.push(Row {
        key: "push_100_ms",
        what: "push of 100 outbox commands (new supervision cases), settled locally".into(),
        value: b.figures.push_100_ms,
        unit: "ms",
        spread: spread(&p, "ms"),
        reference: String::new(),
        target: None,
    });
    b.rows.push(Row {
        key: "visibility_p95_ms",
        what: "command on client A (city.supervisor) in client B's inbox (donghu.supervisor, polling every 50 ms)"
            .into(),
        value: b.figures.visibility_p95_ms,
        unit: "ms",
        spread: pct(&v, "ms"),
        reference: String::new(),
        target: Some(Target::AtMost(1000.0)),
    });
    Ok(())
}

/// Interrupts the replica's connection when an armed call runs past its limit.
struct Watchdog {
    deadline: Arc<Mutex<Option<Instant>>>,
    limit: Duration,
}

struct Armed<'a>(&'a Watchdog);

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        if let Ok(mut d) = self.0.deadline.lock() {
            *d = None;
        }
    }
}

impl Watchdog {
    fn start(handle: rusqlite::InterruptHandle, limit: Duration) -> Watchdog {
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let weak = Arc::downgrade(&deadline);
        std::thread::spawn(move || {
            while let Some(d) = weak.upgrade() {
                let due = d.lock().map(|g| g.is_some_and(|t| Instant::now() > t)).unwrap_or(false);
                drop(d);
                if due {
                    tracing::warn!("a replica query ran past its limit: interrupting it");
                    handle.interrupt();
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Watchdog { deadline, limit }
    }

    fn arm(&self) -> Armed<'_> {
        if let Ok(mut d) = self.deadline.lock() {
            *d = Some(Instant::now() + self.limit);
        }
        Armed(self)
    }
}

fn queries(b: &mut Bench, a: &Session, replica_a: &Path) -> anyhow::Result<()> {
    let r = Replica::open(replica_a, &b.key)?;
    let calendar = hcp_domain::Calendar::bundled();
    let actor = hcp_app::cases::actor(&a.user).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let n = b.opts.trials;
    let mut results: Vec<(String, &'static str, Summary)> = Vec::new();

    let budget = Duration::from_secs(b.opts.query_budget_secs);
    // A single call running past twice the budget is interrupted (its query then fails and the
    // figure is reported as not finishing) rather than holding the suite.
    let watchdog = Watchdog::start(r.conn().get_interrupt_handle(), budget * 2);
    let guard = watchdog.arm();
    let t = Instant::now();
    let first = hcp_app::dashboard::dashboard(&r, None, chrono::Utc::now(), Default::default(), &Default::default())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    drop(guard);
    tracing::info!(ms = ms(t.elapsed()), "first dashboard");
    let months: Vec<Option<String>> =
        std::iter::once(None).chain(first.months.iter().skip(1).take(1).cloned().map(Some)).collect();
    for m in months {
        let t = time_budget(n, budget, || {
            let _armed = watchdog.arm();
            hcp_app::dashboard::dashboard(&r, m.as_deref(), chrono::Utc::now(), Default::default(), &Default::default())
                .map_err(|e| anyhow::anyhow!("{e:?}"))
        })?;
        let label = format!("统计分析 dashboard({})", m.as_deref().unwrap_or("newest month"));
        tracing::info!(query = %label, samples = t.len(), "timed");
        results.push((label, "dashboard", stats::summarize(&t).context("no samples")?));
    }

    let base = r.list_cases(&CaseQuery { limit: 50, ..CaseQuery::default() })?;
    let mut inbox: Vec<(String, CaseQuery)> =
        vec![("inbox, first page of 50".into(), CaseQuery { limit: 50, ..CaseQuery::default() })];
    for state in [hcp_domain::CaseState::New, hcp_domain::CaseState::Assigned, hcp_domain::CaseState::InRectification] {
        inbox.push((
            format!("inbox, state {state:?}"),
            CaseQuery { state: Some(state), limit: 50, ..CaseQuery::default() },
        ));
    }
    inbox.push((
        "inbox, source bad review".into(),
        CaseQuery { source: Some(CaseSource::BadReview), limit: 50, ..CaseQuery::default() },
    ));
    // A search term from a bad review's service item (the newest cases may be supervisors' findings without one).
    let bad = r.list_cases(&CaseQuery { source: Some(CaseSource::BadReview), limit: 50, ..CaseQuery::default() })?;
    if let Some(item) = bad.items.iter().find_map(|i| i.item_name.clone()) {
        let term: String = item.chars().take(4).collect();
        inbox.push((
            format!("inbox, search \"{term}\""),
            CaseQuery { search: Some(term), limit: 50, ..CaseQuery::default() },
        ));
    }
    inbox.push((
        "inbox, last page".into(),
        CaseQuery { offset: base.total.saturating_sub(50), limit: 50, ..CaseQuery::default() },
    ));
    for (label, q) in inbox {
        let t = time_budget(n, budget, || {
            let _armed = watchdog.arm();
            let mut page = r.list_cases(&q)?;
            hcp_app::cases::overlay(&r, &mut page.items, &actor, &calendar, chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(page)
        })?;
        tracing::info!(query = %label, samples = t.len(), "timed");
        results.push((label, "inbox", stats::summarize(&t).context("no samples")?));
    }
    if let Some(case) = base.items.first() {
        let id = case.id;
        let t = time_n(n, || {
            hcp_app::cases::detail(&r, &a.user, id, &calendar, chrono::Utc::now()).map_err(|e| anyhow::anyhow!("{e:?}"))
        })?;
        results.push(("case detail (timeline, actions)".into(), "detail", stats::summarize(&t).context("no samples")?));
    }

    let worst = |kind: &str| {
        results.iter().filter(|r| r.1 == kind).max_by(|x, y| x.2.p95.total_cmp(&y.2.p95)).map(|r| (r.0.clone(), r.2))
    };
    let (dl, ds) = worst("dashboard").context("no dashboard")?;
    let (il, is) = worst("inbox").context("no inbox")?;
    b.figures.dashboard_p95_ms = Some(ds.p95);
    b.figures.inbox_p95_ms = Some(is.p95);
    b.detail(
        "queries_ms",
        results.iter().map(|(l, k, s)| json!({"query": l, "kind": k, "summary": s})).collect::<Vec<_>>(),
    );
    b.rows.push(Row {
        key: "dashboard_p95_ms",
        what: format!("slowest dashboard: {dl} (hcp_app::dashboard::dashboard, with its charts)"),
        value: b.figures.dashboard_p95_ms,
        unit: "ms",
        spread: pct(&ds, "ms"),
        reference: String::new(),
        target: Some(Target::AtMost(50.0)),
    });
    b.rows.push(Row {
        key: "inbox_p95_ms",
        what: format!("slowest inbox query: {il} (Replica::list_cases + hcp_app overlay)"),
        value: b.figures.inbox_p95_ms,
        unit: "ms",
        spread: pct(&is, "ms"),
        reference: String::new(),
        target: Some(Target::AtMost(50.0)),
    });
    Ok(())
}

fn app(b: &mut Bench, a: &Session, replica_a: &Path) -> anyhow::Result<()> {
    let mut r = Replica::open(replica_a, &b.key)?;
    let calendar = hcp_domain::Calendar::bundled();
    let out = b.opts.work.join("notices");
    // A notice goes to a case being rectified; its first print takes a number of the office's block
    // (reserved here as a sync would), the timed reprints keep it.
    let query = CaseQuery { state: Some(hcp_domain::CaseState::InRectification), limit: 1, ..CaseQuery::default() };
    let page = r.list_cases(&query)?;
    let id = page.items.first().map(|c| c.id).context("no case to print")?;
    let now = chrono::Utc::now();
    r.store_number_block(&hcp_protocol::DocNumberBlock {
        request_id: "bench".into(),
        unit_id: a.user.unit_id,
        office_name: a.user.unit_name.clone(),
        abbreviation: "测政督".into(),
        year: chrono::Datelike::year(&now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("offset")?)),
        first: 1,
        last: 50,
        reserved_at: now.to_rfc3339(),
    })?;
    let t = time_n(b.opts.runs.max(10), || {
        hcp_app::print::notices(
            &mut r,
            &a.user,
            hcp_app::NoticeDoc::Rectification,
            &[id],
            &calendar,
            chrono::Utc::now(),
            &out,
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))
    })?;
    let s = stats::summarize(&t).context("no notices")?;
    b.figures.notice_pdf_ms = Some(s.median);
    b.detail("notice_pdf_runs_ms", &t);
    b.rows.push(Row {
        key: "notice_pdf_ms",
        what: "one rectification notice PDF from the replica (hcp_app::print::notices)".into(),
        value: Some(s.median),
        unit: "ms",
        spread: spread(&s, "ms"),
        reference: String::new(),
        target: None,
    });
    let _ = std::fs::remove_dir_all(&out);

    let fonts = hcp_report::Fonts::locate()?;
    let mut per_chart = BTreeMap::new();
    let mut all = Vec::new();
    for (name, chart) in hcp_report::sample::all_charts() {
        let t = time_n(b.opts.runs.max(10), || Ok(chart.render(&fonts, hcp_report::Format::Png)?))?;
        all.extend_from_slice(&t);
        per_chart.insert(name.to_owned(), stats::summarize(&t));
    }
    let cs = stats::summarize(&all).context("no charts")?;
    b.figures.chart_ms = Some(cs.median);
    b.detail("chart_png_ms", &per_chart);
    b.rows.push(Row {
        key: "chart_ms",
        what: format!("one chart as PNG (hcp-report, the {} chart kinds)", per_chart.len()),
        value: Some(cs.median),
        unit: "ms",
        spread: spread(&cs, "ms"),
        reference: String::new(),
        target: None,
    });
    drop(r);

    let probe: Value = second_process(
        &[
            "rss".into(),
            "--replica".into(),
            replica_a.display().to_string(),
            "--user".into(),
            serde_json::to_string(&a.user)?,
        ],
        &[],
    )?;
    b.figures.rss_mb = probe["hwm_mb"].as_f64();
    b.detail("rss_probe", &probe);
    b.rows.push(Row {
        key: "rss_mb",
        what: "peak resident memory of a process holding the bootstrapped replica open and showing dashboard, inbox and a case (engine only, no webview)".into(),
        value: b.figures.rss_mb,
        unit: "MB",
        spread: String::new(),
        reference: String::new(),
        target: Some(Target::AtMost(250.0)),
    });
    b.note("rss_mb is the replica engine's process, not the app with its webview");
    Ok(())
}

/// 5. The desktop app's cold start, measured by `hcp-bench cold-start` under Xvfb and a keyring.
fn cold_start(b: &mut Bench, url: &str) {
    let mut row = Row {
        key: "cold_start_s",
        what: "cold start of the release desktop app to an inbox with rows under Xvfb".into(),
        value: None,
        unit: "s",
        spread: "not measured (see notes)".into(),
        reference: String::new(),
        target: Some(Target::AtMost(1.5)),
    };
    let app_bin = b.opts.app_bin.clone().filter(|p| p.exists());
    match (b.phase("coldstart") && !b.opts.skip_app, app_bin) {
        (false, _) => b.note("cold_start_s is null: the coldstart phase did not run (--skip-app or --phases)"),
        (true, None) => b.note("cold_start_s is null: no release desktop app (--app-bin; `make bench` builds it)"),
        (true, Some(app_bin)) => {
            let data_dir = b.opts.work.join("app-data");
            let started = Instant::now();
            let report = cold_start_process(b, url, &app_bin, &data_dir);
            let _ = std::fs::remove_dir_all(&data_dir);
            match report {
                Ok(r) => {
                    b.figures.cold_start_s = r["cold_start_s"].as_f64();
                    if let Ok(s) = serde_json::from_value::<SummaryIn>(r["summary"].clone()) {
                        row.spread = format!("{}–{} s (n={})", num(s.min), num(s.max), s.n);
                    }
                    row.value = b.figures.cold_start_s;
                    row.what = format!(
                        "cold start of the release desktop app to an inbox with rows under Xvfb ({}'s replica, remembered session; launch through tauri-driver until the first case row is in the DOM)",
                        r["user"].as_str().unwrap_or("?")
                    );
                    row.reference = format!(
                        "WebDriver session up (window + webview): {} s",
                        r["session_s"]
                            .as_array()
                            .map(|a| a.iter().filter_map(Value::as_f64).collect::<Vec<_>>())
                            .and_then(|v| stats::summarize(&v))
                            .map_or("?".into(), |s| num(s.median))
                    );
                    b.detail("cold_start", r);
                    b.detail("cold_start_phase_s", started.elapsed().as_secs_f64());
                }
                Err(e) => b.note(format!("cold_start_s not measured: {e:#}")),
            }
        }
    }
    b.rows.push(row);
}

#[derive(serde::Deserialize)]
struct SummaryIn {
    n: usize,
    min: f64,
    max: f64,
}

fn cold_start_process(b: &Bench, url: &str, app_bin: &Path, data_dir: &Path) -> anyhow::Result<Value> {
    let exe = std::env::current_exe()?;
    let log = b.opts.work.join("cold-start.log");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1366x800x24"])
        .arg(&b.opts.keyring_script)
        .arg(exe)
        .args(["cold-start", "--server", url, "--runs", &b.opts.cold_start_runs.to_string()])
        .arg("--app-bin")
        .arg(app_bin)
        .arg("--data-dir")
        .arg(data_dir)
        .env("HCP_LOG", "info")
        .stderr(std::fs::File::create(&log)?)
        .output()
        .context("xvfb-run (package xvfb)")?;
    if !out.status.success() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: String =
            tail.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        bail!("hcp-bench cold-start failed ({}): {tail}", out.status);
    }
    // Other programs started under Xvfb (the accessibility bus) may print to the same stdout.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).context("no report from hcp-bench cold-start")?;
    Ok(serde_json::from_str(line)?)
}

/// The change feed's head as the session sees it: the smallest `after` whose one-change page says
/// nothing more follows answers with the head as its cursor.
async fn head_cursor(s: &Session) -> anyhow::Result<i64> {
    let (mut lo, mut hi) = (0i64, 1i64 << 40);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if s.client.pull(&s.token, mid, 1).await?.has_more {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(s.client.pull(&s.token, lo, 1).await?.cursor)
}

/// Intake and pull load against a running server; returns (ratings/s, pull p99 ms).
async fn server_load(
    b: &mut Bench,
    url: &str,
    admin: &Session,
    a: &Session,
    hall_codes: &[String],
    tag: &str,
) -> anyhow::Result<(f64, f64)> {
    let secs = b.opts.load_secs.to_string();
    let intake: LoadReport = second_process(
        &[
            "intake-load".into(),
            "--server".into(),
            url.into(),
            "--halls".into(),
            hall_codes.join(","),
            "--clients".into(),
            b.opts.intake_clients.to_string(),
            "--batch".into(),
            b.opts.intake_batch.to_string(),
            "--secs".into(),
            secs.clone(),
            "--tag".into(),
            format!("{tag}-{}", std::process::id()),
        ],
        &[("HCP_BENCH_TOKEN", &admin.token)],
    )?;
    tracing::info!(?intake, "intake {tag}");
    // Pull: every client asks for the newest 100 changes (what a client a little behind receives).
    let head = head_cursor(a).await?;
    let pull_args = |clients: usize, secs: String| -> Vec<String> {
        vec![
            "pull-load".into(),
            "--server".into(),
            url.into(),
            "--clients".into(),
            clients.to_string(),
            "--after".into(),
            (head - 100).max(0).to_string(),
            "--limit".into(),
            "100".into(),
            "--secs".into(),
            secs,
        ]
    };
    let single: LoadReport = second_process(&pull_args(1, "5".into()), &[("HCP_BENCH_TOKEN", &a.token)])?;
    let many: LoadReport = second_process(&pull_args(b.opts.pull_clients, secs), &[("HCP_BENCH_TOKEN", &a.token)])?;
    tracing::info!(?single, ?many, "pull {tag}");
    let seed_rate =
        b.details.get(&format!("seed_{tag}_s")).and_then(Value::as_f64).map(|s| b.opts.evaluations as f64 / s);
    b.detail(&format!("intake_{tag}"), &intake);
    b.detail(&format!("pull_1_client_{tag}"), &single);
    b.detail(&format!("pull_{}_clients_{tag}", b.opts.pull_clients), &many);
    b.rows.push(Row {
        key: if tag == "sqlite" { "intake_sqlite_per_s" } else { "intake_postgres_per_s" },
        what: format!(
            "intake on {tag}: {} channel systems posting batches of {} for {} s (second process); request p99 {} ms, {} errors",
            intake.clients,
            b.opts.intake_batch,
            num(intake.seconds),
            num(intake.p99_ms),
            intake.errors
        ),
        value: Some(intake.items_per_s),
        unit: "ratings/s",
        spread: format!("p50 {} / p99 {} ms per request", num(intake.p50_ms), num(intake.p99_ms)),
        reference: seed_rate.map(|r| format!("bulk seed into the same backend: {} ratings/s", num(r))).unwrap_or_default(),
        target: Some(Target::AtLeast(5000.0)),
    });
    b.rows.push(Row {
        key: if tag == "sqlite" { "pull_500_clients_p99_ms" } else { "pull_500_clients_p99_ms (postgres)" },
        what: format!(
            "{} clients pulling 100-change pages back to back on {tag} ({} req/s, {} errors)",
            many.clients,
            num(many.requests_per_s),
            many.errors
        ),
        value: Some(many.p99_ms),
        unit: "ms",
        spread: format!("p50 {} ms", num(many.p50_ms)),
        reference: match (tag, b.figures.pull_500_clients_p99_ms) {
            ("postgres", Some(sqlite)) => format!(
                "SQLite (same run): p99 {} ms; 1 client: p50 {} / p99 {} ms",
                num(sqlite),
                num(single.p50_ms),
                num(single.p99_ms)
            ),
            _ => format!("1 client: p50 {} / p99 {} ms", num(single.p50_ms), num(single.p99_ms)),
        },
        // PostgreSQL's pulls are to be no slower than SQLite's in the same run (issue 23).
        target: if tag == "postgres" { b.figures.pull_500_clients_p99_ms.map(Target::AtMost) } else { None },
    });
    Ok((intake.items_per_s, many.p99_ms))
}

/// Runs one SQL statement through `psql` against `pg`.
fn psql(pg: &str, sql: &str) -> anyhow::Result<()> {
    let st = Command::new("psql").args([pg, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]).status()?;
    anyhow::ensure!(st.success(), "psql: {sql}");
    Ok(())
}

/// A new database `name` on the PostgreSQL server of `pg`: its URL.
fn create_database(pg: &str, name: &str) -> anyhow::Result<String> {
    psql(pg, &format!("CREATE DATABASE {name}"))?;
    let base = pg.rsplit_once('/').map_or(pg, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

async fn postgres(b: &mut Bench, pg: &str) -> anyhow::Result<()> {
    let dbname = format!("hcp_bench_{}", std::process::id());
    let url = create_database(pg, &dbname)?;
    let result = async {
        let seed_s = procs::seed(&b.opts.server_bin, &url, b.opts.evaluations, &b.opts.work, "postgres")?;
        b.detail("seed_postgres_s", seed_s);
        let server = procs::start_server(&b.opts.server_bin, &url, &b.opts.work, "postgres").await?;
        let admin = sign_in(&server.url, "admin", "bench-admin").await?;
        let a = sign_in(&server.url, "city.supervisor", "bench-a").await?;
        let halls = reqwest::Client::new()
            .get(format!("{}/api/v1/admin/org-units", server.url))
            .bearer_auth(&admin.token)
            .send()
            .await?
            .json::<Value>()
            .await?;
        let list = halls.as_array().or_else(|| halls["items"].as_array()).cloned().unwrap_or_default();
        let codes: Vec<String> =
            list.iter().filter(|u| u["kind"] == "hall").filter_map(|u| u["code"].as_str().map(str::to_owned)).collect();
        if b.phase("postgres") {
            let (rate, _) = server_load(b, &server.url, &admin, &a, &codes, "postgres").await?;
            b.figures.intake_postgres_per_s = Some(rate);
        }
        if b.phase("scaleout") {
            scale_out_postgres(b, &url, server, &admin, &a, &codes).await?;
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if let Err(e) = psql(pg, &format!("DROP DATABASE IF EXISTS {dbname}")) {
        tracing::warn!(error = %e, "could not drop the bench database");
    }
    result
}

fn write_outputs(b: &Bench) -> anyhow::Result<()> {
    let json = results::to_json(&b.figures, &{
        let mut d = b.details.clone();
        d.insert("notes".into(), json!(b.notes));
        d
    })?;
    if let Some(dir) = b.opts.out_json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&b.opts.out_json, serde_json::to_string_pretty(&json)? + "\n")?;

    let m = &b.details["machine"];
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `{}` (`hcp-bench run`, crates/hcp-bench) on {}; every figure of issue 9 with its reference \
         measured in the same run, so the machine's noise (shared with other builds) affects both alike. \
         The same figures are in `bench/results.json` (issue 9's keys at the top level, everything else under `details`).\n",
        b.opts.command_line,
        b.details.get("started_at").and_then(Value::as_str).unwrap_or("?")
    );
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(
        md,
        "- CPU: {} ({} cores available)\n- RAM: {} GiB\n- OS: {} (kernel {})\n- load average (1 min) at start / end: {} / {}\n- whole run: {} s\n",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["ram_gib"],
        m["os"].as_str().unwrap_or("?"),
        m["kernel"].as_str().unwrap_or("?"),
        opt(b.details.get("loadavg_at_start").and_then(Value::as_f64)),
        opt(b.details.get("loadavg_at_end").and_then(Value::as_f64)),
        opt(b.details.get("total_s").and_then(Value::as_f64)),
    );
    let _ = writeln!(md, "## Settings\n");
    let _ = writeln!(md, "```json\n{}\n```\n", serde_json::to_string_pretty(&b.details["settings"])?);
    if let Some(c) = b.details.get("jurisdiction_rows") {
        let _ = writeln!(md, "Jurisdiction of `city.supervisor` (the whole city): `{c}`.\n");
    }
    let _ = writeln!(md, "## Figures\n");
    let _ = writeln!(
        md,
        "Medians of {} runs (min–max) for whole operations; p50/p95 over {} trials for latencies.\n",
        b.opts.runs, b.opts.trials
    );
    md.push_str(&results::table(&b.rows));
    let missing: Vec<&str> = results::KEYS
        .iter()
        .copied()
        .filter(|k| serde_json::to_value(&b.figures).ok().and_then(|v| v.get(*k).cloned()).is_none_or(|v| v.is_null()))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(md, "\nNot measured in this run (null in results.json): {}.", missing.join(", "));
    }
    if let Some(q) = b.details.get("queries_ms").and_then(Value::as_array) {
        let _ = writeln!(md, "\n## Every replica query (on the bootstrapped replica)\n");
        let _ = writeln!(md, "| query | p50 ms | p95 ms | min–max ms |\n| --- | --- | --- | --- |");
        for e in q {
            let s = &e["summary"];
            let f = |k: &str| opt(s[k].as_f64());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {}–{} |",
                e["query"].as_str().unwrap_or("?"),
                f("median"),
                f("p95"),
                f("min"),
                f("max")
            );
        }
    }
    let _ = writeln!(md, "\n## How each figure is measured\n");
    md.push_str(METHOD);
    if !b.notes.is_empty() {
        let _ = writeln!(md, "\n## Notes from this run\n");
        for n in &b.notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    // The people's reading of the figures (profiles, causes, what to fix) is kept beside the harness
    // and carried into every regenerated report.
    if let Ok(analysis) = std::fs::read_to_string(&b.opts.analysis) {
        let _ = writeln!(
            md,
            "\n## Analysis (written by hand from this run's profile; kept in {})\n",
            b.opts.analysis.display()
        );
        md.push_str(analysis.trim_end());
        md.push('\n');
    }
    std::fs::write(&b.opts.out_md, md)?;
    Ok(())
}

const METHOD: &str = "\
- **Data**: `hcp-server seed --profile bench` (crates/hcp-synth) into a fresh SQLite database, then the real \
`hcp-server serve` on loopback. Replicas are SQLCipher files under the scratch folder, deleted afterwards.
- **Bootstrap**: `hcp_sync::bootstrap` (the app's engine: streamed zstd-compressed NDJSON snapshot, prepared \
statements, commits every 50,000 rows, secondary indexes built after the rows, counts checked) into a fresh replica, signed in as `city.supervisor` (the whole city). \
**Reference A** (the ceiling): the same rows, downloaded and decoded into memory beforehand, inserted through \
the replica's own prepared statements (`Replica::begin_bootstrap` / `insert` / `finish`) in one transaction: \
same schema, indexes and encryption, no network, no compression, no JSON. **Reference B**: pouchdb-server (npm, \
LevelDOWN, loopback) holding the same rows (or a uniform sample of them with `--pouchdb-docs`) as documents (`_id` = `<entity>:<id>`, the row's \
fields), replicated by PouchDB 9 (node, LevelDOWN) into an empty local database (`bench/pouchdb/replicate.js`), \
stopped at the cap; its documents/s give the time for all rows, marked extrapolated unless every row was \
replicated within the cap.
- **Incremental sync**: `hcp_sync::pull` of the changes 1,000 new ratings make (posted through the intake API); \
`hcp_sync::push` of 100 `create` commands issued through `hcp_app::cases::issue` (validated and queued as the \
app does), settled locally. Visibility: client A issues and pushes a command (as the app's sync wake-up does); \
client B (`donghu.supervisor`, its own bootstrapped replica) pulls every 50 ms and searches its inbox \
(`Replica::list_cases`) for the new case. The shipping app syncs every `HCP_SYNC_INTERVAL` (15 s) in the background, \
so there cross-client visibility is bounded by that interval plus this figure.
- **Queries**: the functions the screens call, on the bootstrapped replica: `hcp_app::dashboard::dashboard` \
(统计分析, including its four SVG charts) for the newest month and the one before it; the inbox as \
`App::list_cases` runs it (`Replica::list_cases` + `hcp_app::cases::overlay`) with the default page, state, source \
and search filters and the last page; `hcp_app::cases::detail`. One warm-up call, then the trials (a query \
stops after at least 3 samples once `--query-budget-secs` is spent: its sample count is in the spread column).
- **Server load**: a second process (`hcp-bench intake-load` / `pull-load`, tokio + reqwest) against the server: \
channel systems posting new ratings (1 % bad reviews, which open cases) with the admin token; 500 clients \
pulling 100-change pages back to back with city.supervisor's token; a single puller as the reference. The \
reference for intake is the bulk seed rate into the same backend. PostgreSQL runs under \
`scripts/with-postgres.sh`, a private cluster with **fsync=off, synchronous_commit=off, full_page_writes=off** \
(test settings: durable settings would lower the PostgreSQL intake figure); SQLite runs with the server's own \
settings (WAL).
- **Scale-out** (phase `scaleout`): intake and the 500 pullers run at the same time (both second processes), through `hcp-bench`'s loopback round-robin TCP proxy (crates/hcp-bench/src/proxy.rs: each new connection to the next server process), against the one SQLite process (the reference), then one and `--scale-processes` `hcp-server` processes on one PostgreSQL database. Meanwhile `--followers` feed followers pull `--follower-page`-change pages from the head, each page on a new connection (so on another process each time), and must end with exactly what a quiet read of the feed returns afterwards: gaps (changes missed), extra (twice, or not in the feed) and order are counted. The CPU line is the machine's busy time (/proc/stat) split into the server processes, the load generators and the rest (PostgreSQL's backends, the proxy and the followers, other work).
- **App**: notice PDF = `hcp_app::print::notices` for one case of the replica (fonts located, PDF written); \
chart = each of hcp-report's chart kinds rendered as PNG from its sample data; resident memory = peak RSS \
(VmHWM) of a separate process that opens the 1 M replica and computes the dashboard, the inbox and a case's \
detail (the replica engine without the webview).
- **Cold start**: `hcp-bench cold-start`, a second process under `xvfb-run` and `scripts/with-keyring.sh` (a private \
D-Bus session with an unlocked gnome-keyring): `hcp_app::App` signs city.supervisor in with \
\"remember me\" and bootstraps the jurisdiction into a fresh data folder (what a first sign-in in the window leaves), \
then the release desktop app (`make bench` builds it with the UI) is launched through tauri-driver + WebKitWebDriver \
once unrecorded and then `--cold-start-runs` times; each launch is timed from the WebDriver session request (which \
starts the process) until the inbox table holds a case row (polled every 20 ms): window and webview, the UI bundle, \
the session restored from the keyring, the encrypted replica opened and the first page read and rendered. The file \
cache is warm (a cold start of the process, not of the disk). `--skip-app` leaves it out.
";

/// The scale-out phase on PostgreSQL: intake and pulls together through the round-robin proxy,
/// first on the one server already running, then on `--scale-processes` of them (the others
/// started on the same database now, so none of them idles through the first run).
async fn scale_out_postgres(
    b: &mut Bench,
    database: &str,
    first: Proc,
    admin: &Session,
    a: &Session,
    halls: &[String],
) -> anyhow::Result<()> {
    let mut servers = vec![first];
    let urls = |s: &[Proc]| s.iter().map(|p| p.url.clone()).collect::<Vec<_>>();
    let pids = |s: &[Proc]| s.iter().map(Proc::pid).collect::<Vec<_>>();
    let one = scale_out_run(b, &urls(&servers), &pids(&servers), admin, a, halls, "postgres-1").await?;
    for i in 2..=b.opts.scale_processes.max(2) {
        servers.push(procs::start_server(&b.opts.server_bin, database, &b.opts.work, &format!("postgres-{i}")).await?);
    }
    let tag = format!("postgres-{}", servers.len());
    let many = scale_out_run(b, &urls(&servers), &pids(&servers), admin, a, halls, &tag).await?;
    let n = servers.len();
    drop(servers);

    let read_ratio = many.pull.requests_per_s / one.pull.requests_per_s;
    let intake_ratio = many.intake.items_per_s / one.intake.items_per_s;
    b.detail("scaleout_read_ratio", read_ratio);
    b.detail("scaleout_intake_ratio", intake_ratio);
    b.rows.push(Row {
        key: "scaleout_read_ratio",
        what: format!(
            "read throughput of {n} server processes on one PostgreSQL database / 1 process (500 pullers, intake running, round-robin proxy)"
        ),
        value: Some(read_ratio),
        unit: "×",
        spread: format!("{} vs {} pulls/s", num(many.pull.requests_per_s), num(one.pull.requests_per_s)),
        reference: format!(
            "CPU busy {} of {} core·s with {n}, {} with 1",
            num(many.cpu.busy_s),
            num(many.cpu.wall_s * b.details["machine"]["cores"].as_f64().unwrap_or(2.0)),
            num(one.cpu.busy_s)
        ),
        target: Some(Target::AtLeast(2.0)),
    });
    b.rows.push(Row {
        key: "scaleout_intake_ratio",
        what: format!("intake of {n} server processes / 1 process (pulls running)"),
        value: Some(intake_ratio),
        unit: "×",
        spread: format!("{} vs {} ratings/s", num(many.intake.items_per_s), num(one.intake.items_per_s)),
        reference: String::new(),
        target: Some(Target::AtLeast(1.0)),
    });
    Ok(())
}

/// One combined run (intake, pulls and feed followers together) against `servers` through the
/// proxy; records its figures under `scaleout_<tag>` and its rows.
async fn scale_out_run(
    b: &mut Bench,
    servers: &[String],
    pids: &[u32],
    admin: &Session,
    a: &Session,
    halls: &[String],
    tag: &str,
) -> anyhow::Result<crate::scale::Combined> {
    let head = head_cursor(a).await?;
    let plan = crate::scale::Plan {
        servers,
        server_pids: pids,
        admin_token: &admin.token,
        reader_token: &a.token,
        halls,
        pull_after: (head - 100).max(0),
        feed_start: head,
        intake_clients: b.opts.intake_clients,
        intake_batch: b.opts.intake_batch,
        pull_clients: b.opts.pull_clients,
        followers: b.opts.followers,
        follower_page: b.opts.follower_page,
        secs: b.opts.load_secs,
        tag: format!("scale-{tag}-{}", std::process::id()),
    };
    let r = crate::scale::combined(&plan).await?;
    tracing::info!(?r, "scale-out {tag}");
    b.detail(&format!("scaleout_{tag}"), &r);
    let engine = if tag == "sqlite" {
        "SQLite, 1 process".to_owned()
    } else {
        format!("PostgreSQL, {} process(es)", r.processes)
    };
    let sqlite_p99 = b.details.get("scaleout_sqlite").and_then(|v| v["pull"]["p99_ms"].as_f64());
    b.rows.push(Row {
        key: if tag == "sqlite" { "scaleout_pull_p99_ms (sqlite)" } else if r.processes == 1 { "scaleout_pull_p99_ms (postgres ×1)" } else { "scaleout_pull_p99_ms (postgres ×n)" },
        what: format!(
            "{} clients pulling 100-change pages while {} channel systems post ratings ({engine}, round-robin proxy): {} pulls/s, {} errors",
            r.pull.clients,
            r.intake.clients,
            num(r.pull.requests_per_s),
            r.pull.errors
        ),
        value: Some(r.pull.p99_ms),
        unit: "ms",
        spread: format!("p50 {} ms", num(r.pull.p50_ms)),
        reference: match (tag, sqlite_p99) {
            ("sqlite", _) | (_, None) => String::new(),
            (_, Some(s)) => format!("SQLite, same load, same run: p99 {} ms", num(s)),
        },
        target: if tag == "sqlite" { None } else { sqlite_p99.map(Target::AtMost) },
    });
    b.rows.push(Row {
        key: if tag == "sqlite" {
            "scaleout_intake_per_s (sqlite)"
        } else if r.processes == 1 {
            "scaleout_intake_per_s (postgres ×1)"
        } else {
            "scaleout_intake_per_s (postgres ×n)"
        },
        what: format!(
            "intake while the pulls run ({engine}): request p50 {} / p99 {} ms, {} errors",
            num(r.intake.p50_ms),
            num(r.intake.p99_ms),
            r.intake.errors
        ),
        value: Some(r.intake.items_per_s),
        unit: "ratings/s",
        spread: String::new(),
        reference: String::new(),
        target: Some(Target::AtLeast(5000.0)),
    });
    b.rows.push(Row {
        key: if tag == "sqlite" { "scaleout_feed_gaps (sqlite)" } else if r.processes == 1 { "scaleout_feed_gaps (postgres ×1)" } else { "scaleout_feed_gaps (postgres ×n)" },
        what: format!(
            "changes {} feed followers missed or received twice during that load ({} pages of {}, each on a new connection through the proxy; {} changes in the feed, in order: {})",
            r.feed.followers,
            r.feed.pages,
            b.opts.follower_page,
            r.feed.changes,
            if r.feed.in_order { "yes" } else { "NO" }
        ),
        value: Some((r.feed.gaps + r.feed.extra) as f64 + if r.feed.in_order { 0.0 } else { 1.0 }),
        unit: "changes",
        spread: format!("{} missed, {} extra", r.feed.gaps, r.feed.extra),
        reference: format!(
            "CPU: servers {} s, load generators {} s, PostgreSQL/proxy/rest {} s, idle {} s of {} s",
            num(r.cpu.servers_s),
            num(r.cpu.load_generators_s),
            num(r.cpu.rest_s),
            num(r.cpu.idle_s),
            num(r.cpu.wall_s)
        ),
        target: Some(Target::AtMost(0.0)),
    });
    Ok(r)
}
