//! The scale-out figures (issue 23 item 3): intake and pulls running together against one or
//! several `hcp-server` processes behind the loopback round-robin [`Proxy`], while feed
//! followers page through the change feed, every page on a new connection (so on another
//! process each time behind the proxy), and must end with exactly the feed a quiet read returns.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;

use crate::load::LoadReport;
use crate::proxy::Proxy;

/// What one combined run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Combined {
    /// Server processes behind the proxy.
    pub processes: usize,
    pub intake: LoadReport,
    pub pull: LoadReport,
    pub feed: FeedCheck,
    /// Connections the proxy handed to each process.
    pub connections_per_process: Vec<u64>,
    pub cpu: CpuShare,
}

/// The followers' verdict against a quiet, complete read of the feed after the load.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedCheck {
    pub followers: usize,
    /// Changes the quiet read returned after the start cursor.
    pub changes: usize,
    /// Pages the followers pulled (each on its own connection).
    pub pages: u64,
    /// Changes of the quiet read some follower never received (summed over followers).
    pub gaps: usize,
    /// Changes a follower received more than once, or that the quiet read does not hold.
    pub extra: usize,
    /// Whether every follower received its changes in feed order.
    pub in_order: bool,
}

/// Where the machine's CPU went during the load (seconds of CPU over the run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuShare {
    pub wall_s: f64,
    /// Both cores' busy time, all processes.
    pub busy_s: f64,
    pub idle_s: f64,
    pub servers_s: f64,
    /// The two load generators (intake-load, pull-load).
    pub load_generators_s: f64,
    /// Everything else: PostgreSQL's backends, the proxy and followers (this process), other work.
    pub rest_s: f64,
}

/// Clock ticks of CPU a process used so far (user + system), from /proc.
fn proc_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

/// (busy, idle) clock ticks of all CPUs so far, from /proc/stat.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().next() else { return (0, 0) };
    let v: Vec<u64> = cpu.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    let total: u64 = v.iter().take(8).sum();
    (total.saturating_sub(idle), idle)
}

/// Clock ticks per second (USER_HZ; 100 on Linux everywhere this runs).
const TICKS: f64 = 100.0;

/// Starts `hcp-bench <args>` as a second process whose JSON report is read at the end.
fn spawn_second(args: &[String], token: &str) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(args)
        .env("HCP_LOG", "warn")
        .env("HCP_BENCH_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?)
}

fn report_of(child: Child) -> anyhow::Result<LoadReport> {
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("a load generator failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let line = line.lines().rev().find(|l| l.starts_with('{')).context("no report from a load generator")?;
    Ok(serde_json::from_str(line)?)
}

/// The settings of one combined run.
pub struct Plan<'a> {
    /// The servers' base URLs (`http://127.0.0.1:PORT`); the proxy spreads over all of them.
    pub servers: &'a [String],
    /// Their process ids, for the CPU shares.
    pub server_pids: &'a [u32],
    pub admin_token: &'a str,
    pub reader_token: &'a str,
    pub halls: &'a [String],
    /// The pull-load's cursor (a page of the newest changes before the run).
    pub pull_after: i64,
    /// Where the followers start (the feed's head before the run).
    pub feed_start: i64,
    pub intake_clients: usize,
    pub intake_batch: usize,
    pub pull_clients: usize,
    pub followers: usize,
    pub follower_page: usize,
    pub secs: f64,
    /// Makes the intake's record numbers unique to this run.
    pub tag: String,
}

/// Runs intake and pulls together through a round-robin proxy over `plan.servers`, with feed
/// followers, then checks the followers against a quiet read of the feed.
pub async fn combined(plan: &Plan<'_>) -> anyhow::Result<Combined> {
    let backends = plan.servers.iter().map(|s| crate::proxy::addr_of(s)).collect::<anyhow::Result<Vec<_>>>()?;
    let proxy = Proxy::start(backends).await?;
    let secs = plan.secs.to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let mut followers = Vec::new();
    for _ in 0..plan.followers {
        let (url, token, stop) = (proxy.url.clone(), plan.reader_token.to_owned(), stop.clone());
        let (start, page) = (plan.feed_start, plan.follower_page);
        followers.push(tokio::spawn(async move { follow(&url, &token, start, page, &stop).await }));
    }

    let (busy0, idle0) = machine_ticks();
    let servers0: u64 = plan.server_pids.iter().map(|p| proc_ticks(*p)).sum();
    let started = Instant::now();
    let intake = spawn_second(
        &[
            "intake-load".into(),
            "--server".into(),
            proxy.url.clone(),
            "--halls".into(),
            plan.halls.join(","),
            "--clients".into(),
            plan.intake_clients.to_string(),
            "--batch".into(),
            plan.intake_batch.to_string(),
            "--secs".into(),
            secs.clone(),
            "--tag".into(),
            plan.tag.clone(),
        ],
        plan.admin_token,
    )?;
    let pull = spawn_second(
        &[
            "pull-load".into(),
            "--server".into(),
            proxy.url.clone(),
            "--clients".into(),
            plan.pull_clients.to_string(),
            "--after".into(),
            plan.pull_after.to_string(),
            "--limit".into(),
            "100".into(),
            "--secs".into(),
            secs,
        ],
        plan.reader_token,
    )?;
    let (intake_pid, pull_pid) = (intake.id(), pull.id());
    // The generators' CPU is read just before they exit: sample it while they run.
    let sampler = {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let h = tokio::spawn(async move {
            let mut last = 0;
            while !s.load(Ordering::Relaxed) {
                last = last.max(proc_ticks(intake_pid) + proc_ticks(pull_pid));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            last
        });
        (stop, h)
    };
    let (intake, pull) = tokio::task::spawn_blocking(move || (report_of(intake), report_of(pull))).await?;
    let wall_s = started.elapsed().as_secs_f64();
    let (busy1, idle1) = machine_ticks();
    let servers1: u64 = plan.server_pids.iter().map(|p| proc_ticks(*p)).sum();
    sampler.0.store(true, Ordering::Relaxed);
    let generators = sampler.1.await?;
    let (intake, pull) = (intake?, pull?);

    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for f in followers {
        seen.push(f.await??);
    }
    // The quiet read, from one server directly.
    let http = reqwest::Client::new();
    let (expected, _) = drain(&http, &plan.servers[0], plan.reader_token, plan.feed_start, 5_000).await?;
    let mut feed = FeedCheck { followers: seen.len(), changes: expected.len(), in_order: true, ..FeedCheck::default() };
    let want: std::collections::BTreeSet<i64> = expected.iter().copied().collect();
    for (pages, got) in &seen {
        feed.pages += pages;
        feed.in_order &= got.windows(2).all(|w| w[0] < w[1]);
        let unique: std::collections::BTreeSet<i64> = got.iter().copied().collect();
        feed.gaps += want.difference(&unique).count();
        feed.extra += got.len() - unique.len() + unique.difference(&want).count();
    }
    let busy_s = busy1.saturating_sub(busy0) as f64 / TICKS;
    let servers_s = servers1.saturating_sub(servers0) as f64 / TICKS;
    let load_generators_s = generators as f64 / TICKS;
    Ok(Combined {
        processes: plan.servers.len(),
        intake,
        pull,
        feed,
        connections_per_process: proxy.counts(),
        cpu: CpuShare {
            wall_s,
            busy_s,
            idle_s: idle1.saturating_sub(idle0) as f64 / TICKS,
            servers_s,
            load_generators_s,
            rest_s: (busy_s - servers_s - load_generators_s).max(0.0),
        },
    })
}

/// Follows the feed from `after` with pages of `limit`, each request on a fresh connection,
/// until `stop` is set and the feed is drained; returns (pages, the sequence numbers received).
async fn follow(
    url: &str,
    token: &str,
    mut after: i64,
    limit: usize,
    stop: &AtomicBool,
) -> anyhow::Result<(u64, Vec<i64>)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(120)).build()?;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let finishing = stop.load(Ordering::Relaxed);
        let page = pull_page(&http, url, token, after, limit).await?;
        pages += 1;
        seen.extend(page.changes.iter().map(|c| c.seq));
        after = page.cursor;
        if !page.has_more {
            if finishing {
                return Ok((pages, seen));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn pull_page(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    after: i64,
    limit: usize,
) -> anyhow::Result<hcp_protocol::PullResponse> {
    let r = http
        .get(format!("{base}/api/v1/sync/pull?after={after}&limit={limit}"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    Ok(r.json().await?)
}

/// Pulls from `after` until nothing more is there; returns the sequence numbers and the cursor.
pub async fn drain(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    mut after: i64,
    limit: usize,
) -> anyhow::Result<(Vec<i64>, i64)> {
    let mut seen = Vec::new();
    loop {
        let page = pull_page(http, base, token, after, limit).await?;
        seen.extend(page.changes.iter().map(|c| c.seq));
        after = page.cursor;
        if !page.has_more {
            return Ok((seen, after));
        }
    }
}
