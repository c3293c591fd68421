//! `hcp-bench`: the harness behind `make bench`.
//!
//! `hcp-bench run` seeds the synthetic city into a fresh server database, starts the real
//! `hcp-server`, and measures every figure of issue 9 through the real code paths (the sync engine
//! of `hcp-sync`, the replica of `hcp-replica`, the screens' functions in `hcp-app`, the renderers
//! of `hcp-report`), each beside a reference measured in the same run. It writes BENCHMARKS.md and
//! bench/results.json. `intake-load`, `pull-load`, `rss` and `cold-start` are the second processes it
//! starts.

mod coldstart;
mod files;
mod load;
mod pouch;
mod procs;
mod proxy;
mod results;
mod run;
mod scale;
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "hcp-bench", version, about = "Haochaping benchmarks (issue 9)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole suite and writes BENCHMARKS.md and bench/results.json.
    Run(Box<run::Options>),
    /// Posts batches of new ratings for a while and prints a JSON report (a second process).
    IntakeLoad {
        #[arg(long)]
        server: String,
        #[arg(long, env = "HCP_BENCH_TOKEN")]
        token: String,
        /// Comma-separated hall codes to spread the ratings over.
        #[arg(long)]
        halls: String,
        #[arg(long, default_value_t = 16)]
        clients: usize,
        #[arg(long, default_value_t = 100)]
        batch: usize,
        #[arg(long, default_value_t = 20.0)]
        secs: f64,
        /// Makes the ratings' record numbers unique to this run.
        #[arg(long)]
        tag: String,
    },
    /// Many clients pulling change pages back to back; prints a JSON report (a second process).
    PullLoad {
        #[arg(long)]
        server: String,
        #[arg(long, env = "HCP_BENCH_TOKEN")]
        token: String,
        #[arg(long, default_value_t = 500)]
        clients: usize,
        #[arg(long)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long, default_value_t = 20.0)]
        secs: f64,
    },
    /// Opens a replica, shows the dashboard, the inbox and a case as the app does, and prints the
    /// process's resident memory as JSON (a second process, so nothing else is resident).
    Rss {
        #[arg(long)]
        replica: PathBuf,
        /// The signed-in user as JSON (`hcp_protocol::UserInfo`).
        #[arg(long)]
        user: String,
    },
    /// Signs `user` in through the app's engine (remembered, bootstrapped), then launches the
    /// release desktop app `runs` times through tauri-driver and times each launch until the inbox
    /// shows rows; prints a JSON report. Needs a display (Xvfb) and a keyring session.
    ColdStart {
        #[arg(long)]
        server: String,
        #[arg(long)]
        app_bin: PathBuf,
        #[arg(long, default_value = "city.supervisor")]
        user: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// The app's data folder (emptied first).
        #[arg(long)]
        data_dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HCP_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Run(opts) => rt.block_on(run::run(*opts)),
        Command::IntakeLoad { server, token, halls, clients, batch, secs, tag } => {
            let halls: Vec<String> = halls.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let r = rt.block_on(load::intake(&server, &token, &halls, clients, batch, secs, &tag))?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }
        Command::PullLoad { server, token, clients, after, limit, secs } => {
            let r = rt.block_on(load::pull(&server, &token, clients, after, limit, secs))?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }
        Command::Rss { replica, user } => {
            let user: hcp_protocol::UserInfo = serde_json::from_str(&user)?;
            let r = run::rss_probe(&replica, &user)?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }
        Command::ColdStart { server, app_bin, user, runs, data_dir } => {
            let r = rt.block_on(coldstart::cold_start(&server, &app_bin, &user, run::PASSWORD, runs, &data_dir))?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }
    }
}
