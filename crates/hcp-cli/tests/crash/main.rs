//! Crash injection: the real `hcp` client is SIGKILLed at random points of bootstrap, push and
//! pull, over and over, against a real server. After every kill the replica must pass
//! `PRAGMA integrity_check`; at the end every queued command must have been applied exactly once,
//! in the client's order, and the replica must hold exactly what the server holds.
//!
//! Two kinds of kill are asserted to have happened, not only counted: kills in the middle of a
//! bootstrap that left a resumable one, and kills between the server applying a push and the
//! client recording the answer (a relay holds the answer back until the client is killed).
//!
//! `HCP_CRASH_RUNS` sets the number of killed runs (default 60; `make soak` runs 10,000).

mod relay;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hcp_domain::case::machine::VerifyOutcome;
use hcp_domain::CaseCommand;
use hcp_replica::{NewCommand, Replica, ReplicaKey};
use hcp_server::seed::{demo_bad_review, seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};
use rand::{Rng, SeedableRng};

const KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

fn hcp(url: &str, replica: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hcp"));
    c.args(["sync", "--server", url, "--replica"])
        .arg(replica)
        .args(["--user", "donghu.manager", "--client-id", "crash-laptop", "--bootstrap-chunk", "40"])
        .env("HCP_PASSWORD", DEMO_PASSWORD)
        .env("HCP_REPLICA_KEY", KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn open(replica: &Path) -> Replica {
    Replica::open(replica, &ReplicaKey::from_hex(KEY).expect("key")).expect("the replica opens after every crash")
}

fn integrity(replica: &Path) {
    let r = open(replica);
    let ok: String = r.conn().query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("integrity_check");
    assert_eq!(ok, "ok");
    if r.cursor().expect("cursor").is_some() {
        // A replica is either fully bootstrapped (its counts consistent) or not bootstrapped.
        assert!(r.counts().expect("counts").case > 0);
        assert_eq!(r.resume_point().expect("resume point"), None);
    } else {
        // Not bootstrapped: empty, or holding exactly the chunks an interrupted bootstrap committed
        // with its place to resume from.
        let kept = r.resume_point().expect("resume point").map(|p| p.kept).unwrap_or_default();
        assert_eq!(r.counts().expect("counts"), kept, "no rows without a committed cursor or resume point");
    }
}

/// Rows an interrupted bootstrap kept for the next attempt (0 when none).
fn kept_rows(replica: &Path) -> u64 {
    open(replica).resume_point().expect("resume point").map_or(0, |p| p.rows())
}

/// Opens `n` new bad-review cases at 东湖区政务服务中心 on the server.
fn open_cases(db: &Db, n: usize) {
    for i in 0..n {
        demo_bad_review(db, &format!("C-{i}"), "不动产转移登记", &format!("第 {i} 号测试差评")).expect("a new case");
    }
}

#[test]
fn killing_the_client_anywhere_never_loses_repeats_or_reorders_a_command() {
    let runs: usize = std::env::var("HCP_CRASH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    seed_demo(&db, &SeedOptions { evaluations: 2_000, seed: 17, today }).expect("seed");
    open_cases(&db, 40);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // Sign-ins cut off by a kill leave pending throttle reservations; this test is not about
    // throttling, so allow plenty.
    let mut state = AppState::new(db.clone());
    state.config = std::sync::Arc::new(hcp_server::Config {
        login_max_failures: 100_000,
        login_max_failures_per_ip: 100_000,
        ..hcp_server::Config::default()
    });
    let server = rt.block_on(hcp_server::spawn(state, "127.0.0.1:0")).expect("server");
    let url = server.url();
    let replica = dir.path().join("replica.db");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);

    // Phase 1: bootstraps killed at random points; a later run completes it. The kills are spread
    // over the time a whole first sync takes on this machine now (sign-in, download, indexes), so
    // they land inside a bootstrap however fast or loaded the machine is.
    let scratch = dir.path().join("timing.db");
    let started = std::time::Instant::now();
    assert!(hcp(&url, &scratch).status().expect("run").success(), "an uninterrupted run bootstraps");
    let mut whole = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX).max(20);
    let mut completed = false;
    let (mut resumable, mut progressed) = (0, 0);
    // At least a third of `runs`, and more (up to twice `runs`) while no kill has yet landed inside
    // a bootstrap: a loaded machine can time the first run slow and the later ones fast.
    let mut bootstrap_kills = 0;
    while bootstrap_kills < runs / 3 || (resumable == 0 && bootstrap_kills < runs * 2) {
        bootstrap_kills += 1;
        let before = kept_rows(&replica);
        let mut child = hcp(&url, &replica).spawn().expect("spawn hcp");
        std::thread::sleep(Duration::from_millis(rng.gen_range(whole / 4..whole)));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        completed |= status.success();
        integrity(&replica);
        let after = kept_rows(&replica);
        resumable += usize::from(after > 0);
        // A killed attempt never loses what the one before had kept (unless it finished).
        progressed += usize::from(after > before);
        let finished = open(&replica).cursor().expect("cursor").is_some();
        assert!(after >= before || finished, "{after} < {before}");
        if finished {
            // It finished before the kill: aim earlier, and start over, so that the next kills
            // land in a bootstrap again.
            whole = (whole * 3 / 4).max(20);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", replica.display()));
            }
        }
    }
    assert!(hcp(&url, &replica).status().expect("run").success(), "an uninterrupted run bootstraps");
    integrity(&replica);

    // Phase 2: queue verify + assign for every new case, then push and pull under random kills,
    // while the server keeps changing (new cases arrive between runs).
    let (handler_id, department_id) = db
        .read_blocking(|c| {
            c.query_row("SELECT id, unit_id FROM users WHERE username = 'donghu.handler'", (), |r| {
                Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))
            })
        })
        .expect("handler");
    let case_ids: Vec<i64> = {
        let r = open(&replica);
        let mut stmt =
            r.conn().prepare("SELECT id FROM cases WHERE summary LIKE '%号测试差评%' ORDER BY id").expect("q");
        stmt.query_map([], |row| row.get(0)).expect("q").collect::<Result<_, _>>().expect("ids")
    };
    assert_eq!(case_ids.len(), 40);
    let mut queued = Vec::new();
    {
        let r = open(&replica);
        for id in &case_ids {
            for (base, cmd) in [
                (1, CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: String::new() }),
                (2, CaseCommand::Assign { department_id, handler_id, due_date: None }),
            ] {
                let command_id = uuid_like(&mut rng);
                r.enqueue(&NewCommand {
                    command_id: &command_id,
                    case_id: Some(*id),
                    base_version: Some(base),
                    kind: cmd.kind().as_str(),
                    command: &serde_json::to_string(&cmd).expect("json"),
                    created_at: "2026-11-20T10:00:00Z",
                })
                .expect("enqueue");
                queued.push(command_id);
            }
        }
    }
    let mut extra = 0;
    let mut window_kills = 0;
    let started = Instant::now();
    for run in 0..runs {
        if run % 10 == 0 {
            extra += 1;
            open_more(&db, extra);
        }
        let mut child = hcp(&url, &replica).spawn().expect("spawn hcp");
        std::thread::sleep(Duration::from_millis(rng.gen_range(1..120)));
        let _ = child.kill();
        let _ = child.wait();
        integrity(&replica);
    }
    // Let it finish.
    for _ in 0..2 {
        let out = hcp(&url, &replica).stderr(Stdio::piped()).output().expect("run");
        assert!(out.status.success(), "an uninterrupted run succeeds: {}", String::from_utf8_lossy(&out.stderr));
    }

    // Phase 3: kills between the server applying a push and the client recording its answer.
    let hold = relay::start(url.trim_start_matches("http://").to_owned());
    let window_runs = (runs / 100).max(3);
    for i in 0..window_runs {
        demo_bad_review(&db, &format!("W-{i}"), "社会保障卡补换", &format!("第 {i} 号窗口期测试差评")).expect("a case");
        assert!(hcp(&url, &replica).status().expect("run").success(), "a run pulls the new case");
        let marker = format!("第 {i} 号窗口期测试差评");
        let case_id: i64 = open(&replica)
            .conn()
            .query_row("SELECT id FROM cases WHERE summary LIKE ?1", [format!("%{marker}%")], |row| row.get(0))
            .expect("the new case is in the replica");
        let command_id = uuid_like(&mut rng);
        let cmd = CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: String::new() };
        open(&replica)
            .enqueue(&NewCommand {
                command_id: &command_id,
                case_id: Some(case_id),
                base_version: Some(1),
                kind: cmd.kind().as_str(),
                command: &serde_json::to_string(&cmd).expect("json"),
                created_at: "2026-11-20T10:00:00Z",
            })
            .expect("enqueue");
        queued.push(command_id.clone());
        while hold.held.try_recv().is_ok() {}
        let mut child = hcp(&hold.url, &replica).spawn().expect("spawn hcp");
        hold.held.recv_timeout(Duration::from_secs(60)).expect("the push reaches the server and is answered");
        let _ = child.kill();
        let _ = child.wait();
        integrity(&replica);
        let id = command_id.clone();
        let on_server: i64 = db
            .read_blocking(move |c| {
                c.query_row("SELECT count(*) FROM commands WHERE command_id = ?1 AND status = 'applied'", [id], |r| {
                    r.get(0)
                })
            })
            .expect("server commands");
        let still_queued = open(&replica).pending(1_000).expect("pending").iter().any(|p| p.command_id == command_id);
        assert!(
            on_server == 1 && still_queued,
            "the kill fell between the server applying the push ({on_server}) and the client recording it ({still_queued})"
        );
        window_kills += 1;
    }
    for _ in 0..2 {
        let out = hcp(&url, &replica).stderr(Stdio::piped()).output().expect("run");
        assert!(out.status.success(), "an uninterrupted run succeeds: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(resumable > 0, "some kills landed in the middle of a bootstrap and left it resumable");
    eprintln!(
        "{} killed runs plus {} bootstrap kills in {:.1} s (completed early: {completed}; {resumable} kills left a \
         resumable bootstrap, {progressed} moved it on; {window_kills} kills between the server applying a push \
         and the client recording it)",
        runs,
        bootstrap_kills,
        started.elapsed().as_secs_f64()
    );

    // Nothing lost: the outbox is empty and the server applied every queued command exactly once.
    let r = open(&replica);
    assert_eq!(r.outbox_counts().expect("counts"), (0, 0));
    let applied: Vec<(String, i64)> = db
        .read_blocking(|c| {
            c.query_map(
                "SELECT command_id, client_seq FROM commands WHERE client_id = 'crash-laptop' AND status = 'applied' ORDER BY rowid",
                (),
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .expect("applied");
    assert_eq!(applied.len(), queued.len(), "every command applied once");
    let mut ids: Vec<&String> = applied.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), queued.len(), "none applied twice");
    assert!(applied.windows(2).all(|w| w[0].1 < w[1].1), "applied in client_seq order");
    for id in &case_ids {
        let id = *id;
        let (state, events): (String, i64) = db
            .read_blocking(move |c| {
                c.query_row(
                    "SELECT state, (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) FROM cases c WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
            })
            .expect("case");
        assert_eq!((state.as_str(), events), ("assigned", 3), "case {id}");
    }
    // Converged: the replica holds exactly the server's cases of the hall, at the same versions.
    let scope: String = db
        .read_blocking(|c| {
            c.query_row(
                "SELECT o.path FROM users u JOIN org_units o ON o.id = u.unit_id WHERE u.username = 'donghu.manager'",
                (),
                |row| row.get(0),
            )
        })
        .expect("scope");
    let server_cases = db
        .read_blocking(move |c| {
            c.query_map(
                "SELECT id, version FROM cases WHERE scope_path >= ?1 AND scope_path < ?1 || '~' ORDER BY id",
                [scope],
                |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
            )
        })
        .expect("server cases");
    let local: Vec<(i64, i64)> = {
        let mut stmt = r.conn().prepare("SELECT id, version FROM cases ORDER BY id").expect("q");
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("q").collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(local, server_cases);
    rt.block_on(server.stop());
}

fn open_more(db: &Db, batch: usize) {
    demo_bad_review(db, &format!("M-{batch}"), "户口迁移登记", "新到的差评").expect("a new case");
}

fn uuid_like(rng: &mut impl Rng) -> String {
    format!("{:032x}", rng.gen::<u128>())
}
