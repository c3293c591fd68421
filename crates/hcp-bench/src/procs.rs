//! Child processes the harness starts (the central server, pouchdb-server) and the machine facts.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A free TCP port on loopback.
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A child process ended (SIGKILL, then reaped) when dropped.
pub struct Proc {
    child: Child,
    pub url: String,
    name: String,
}

impl Proc {
    /// Starts `cmd` with stdout and stderr in `log`, then waits until `url` + `ready_path` answers.
    pub async fn start(
        name: &str,
        mut cmd: Command,
        log: &Path,
        url: String,
        ready_path: &str,
        wait: Duration,
    ) -> anyhow::Result<Proc> {
        let out = std::fs::File::create(log).with_context(|| format!("{}", log.display()))?;
        cmd.stdout(Stdio::from(out.try_clone()?)).stderr(Stdio::from(out)).stdin(Stdio::null());
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        let mut p = Proc { child, url, name: name.to_owned() };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = p.child.try_wait()? {
                bail!("{name} exited ({status}) before it was ready; see {}", log.display());
            }
            if let Ok(r) = http.get(format!("{}{ready_path}", p.url)).send().await {
                if r.status().is_success() {
                    tracing::info!(%name, url = %p.url, "ready");
                    return Ok(p);
                }
            }
            if started.elapsed() > wait {
                p.stop();
                bail!("{name} not ready after {wait:?}; see {}", log.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            tracing::info!(name = %self.name, "stopped");
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The servers' integrity scan interval (`integrity_scan_seconds`, 0 = off) when the run sets one
/// (`hcp-bench run --integrity-scan-seconds`); otherwise the server's default.
static INTEGRITY_SCAN_SECONDS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// Sets the integrity scan interval of every server this process starts from now on.
pub fn set_integrity_scan_seconds(secs: u64) {
    let _ = INTEGRITY_SCAN_SECONDS.set(secs);
}

/// `hcp-server serve` on a free loopback port.
pub async fn start_server(bin: &Path, database: &str, work: &Path, tag: &str) -> anyhow::Result<Proc> {
    let port = free_port()?;
    // The load generators are many clients on one address sharing one token: the per-address
    // connection cap and the per-token request rate (defences against one client starving the
    // others) would measure themselves instead of the server.
    let config = work.join(format!("server-{tag}.toml"));
    std::fs::write(
        &config,
        format!(
        // The deadline watch would act on the city's overdue cases while the figures are taken: the
        // `watch` phase measures it alone.
        "max_connections_per_ip = 100000\nrequests_per_second_per_token = 100000.0\nrequest_burst_per_token = 1000000\n\
         deadline_watch_seconds = 0\n\
         # The city figures replicate the whole history (no month roll-up, so no window).\n\
         month_stats_seconds = 0\n{}\
         # Replica images are built by the `image` phase (hcp-server image-pass), never in the background.\n\
         replica_image_dir = {:?}\nreplica_image_check_seconds = 0\n",
        INTEGRITY_SCAN_SECONDS.get().map_or(String::new(), |n| format!("integrity_scan_seconds = {n}\n")),
        work.join(format!("images-{tag}")).to_string_lossy()
    ),
    )?;
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--database", database, "--listen", &format!("127.0.0.1:{port}")])
        .arg("--config")
        .arg(&config)
        .env("HCP_LOG", "warn");
    Proc::start(
        &format!("hcp-server ({tag})"),
        cmd,
        &work.join(format!("server-{tag}.log")),
        format!("http://127.0.0.1:{port}"),
        "/healthz",
        Duration::from_secs(180),
    )
    .await
}

/// `hcp-server seed --profile bench`; returns the seconds it took.
pub fn seed(bin: &Path, database: &str, evaluations: u64, work: &Path, tag: &str) -> anyhow::Result<f64> {
    seed_profile(bin, database, "bench", evaluations, &[], work, tag)
}

/// `hcp-server seed --profile PROFILE --evaluations N EXTRA…`: its seconds.
pub fn seed_profile(
    bin: &Path,
    database: &str,
    profile: &str,
    evaluations: u64,
    extra: &[&str],
    work: &Path,
    tag: &str,
) -> anyhow::Result<f64> {
    let log = work.join(format!("seed-{tag}.log"));
    let out = std::fs::File::create(&log)?;
    let started = Instant::now();
    let status = Command::new(bin)
        .args(["seed", "--database", database, "--profile", profile, "--evaluations", &evaluations.to_string()])
        .args(extra)
        .env("HCP_LOG", "warn")
        .stdout(Stdio::from(out.try_clone()?))
        .stderr(Stdio::from(out))
        .status()
        .context("running hcp-server seed")?;
    if !status.success() {
        bail!("hcp-server seed failed ({status}); see {}", log.display());
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Resident memory of a process from /proc: (VmRSS, VmHWM) in MB.
pub fn rss_mb(pid: Option<u32>) -> Option<(f64, f64)> {
    let path = match pid {
        Some(p) => PathBuf::from(format!("/proc/{p}/status")),
        None => PathBuf::from("/proc/self/status"),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU model, cores, RAM, OS and kernel, read from /proc and /etc/os-release.
pub fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("PRETTY_NAME="))
                .map(|l| l.trim_start_matches("PRETTY_NAME=").trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    serde_json::json!({
        "cpu": model,
        "cores": cores,
        "ram_gib": mem_gib.map(|g| (g * 10.0).round() / 10.0),
        "os": os,
        "kernel": kernel,
    })
}

/// The 1-minute load average (other work on the machine while the figures were taken).
pub fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}
