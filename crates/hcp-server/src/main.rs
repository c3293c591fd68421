//! `hcp-server`: serve the central API, or seed a database.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "hcp-server", version, about = "Haochaping central REST API (好差评督办中心服务)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API.
    Serve {
        /// sqlite://PATH (embedded default) or postgres://… [default: sqlite://data/hcp-server.db]
        #[arg(long, env = "HCP_DATABASE")]
        database: Option<String>,
        /// Address to listen on [default: 127.0.0.1:8787].
        #[arg(long, env = "HCP_LISTEN")]
        listen: Option<String>,
        /// A TOML file with any of: database, listen, token_ttl_hours, pull_max,
        /// login_max_failures, login_max_failures_per_ip, login_window_minutes,
        /// login_max_delay_seconds, integrity_scan_seconds, deadline_watch_seconds, max_connections,
        /// max_connections_per_ip, header_read_timeout_seconds, body_read_timeout_seconds (see the
        /// README's configuration table). Flags and HCP_* variables take precedence.
        #[arg(long, env = "HCP_CONFIG")]
        config: Option<std::path::PathBuf>,
    },
    /// Run one pass of the deadline watch now (or as of `--at`) and print what it did and cost as
    /// JSON; the same pass the server runs in the background (without the lease: do not run it
    /// beside servers that run the watch).
    WatchPass {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        /// The instant to act as of (RFC 3339); now by default.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Fill an empty database with synthetic data.
    Seed {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        #[arg(long, value_enum, default_value_t = Profile::Demo)]
        profile: Profile,
        /// Number of ratings to generate.
        #[arg(long)]
        evaluations: Option<usize>,
        /// Random seed: the same seed and date give the same data.
        #[arg(long, default_value_t = 20_261_121)]
        seed: u64,
        /// The last day of the data (YYYY-MM-DD, Beijing time); today by default.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Do nothing (successfully) when the database already holds data.
        #[arg(long)]
        if_empty: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Profile {
    /// A demo city: 3 districts, 9 halls, users of every role, a few thousand ratings, made
    /// through the real intake and case commands.
    Demo,
    /// A synthetic year of a whole city (default 1,000,000 ratings and 100,000 cases with their
    /// events), deterministic for a seed, bulk-loaded.
    Bench,
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HCP_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { database, listen, config } => {
            let file = match &config {
                Some(path) => hcp_server::FileConfig::load(path)?,
                None => hcp_server::FileConfig::default(),
            };
            let database = database.or(file.database.clone()).unwrap_or_else(|| "sqlite://data/hcp-server.db".into());
            let listen = listen.or(file.listen.clone()).unwrap_or_else(|| "127.0.0.1:8787".into());
            let db = tokio::task::spawn_blocking(move || hcp_server::open_database(&database)).await??;
            let mut state = hcp_server::AppState::new(db);
            state.config = std::sync::Arc::new(file.apply(hcp_server::Config::default()));
            if let Some(every) = state.config.integrity_scan_every {
                hcp_server::integrity::spawn_scanner(state.clone(), every);
            }
            if let Some(every) = state.config.deadline_watch_every {
                hcp_server::watch::spawn_watch(state.clone(), every);
            }
            let server =
                hcp_server::spawn(state, &listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(url = %server.url(), "hcp-server listening");
            shutdown_signal().await?;
            tracing::info!("shutting down");
            server.stop().await;
        }
        Command::WatchPass { database, at } => {
            let now = at.unwrap_or_else(chrono::Utc::now);
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let db = hcp_server::open_database(&database)?;
                Ok(hcp_server::watch::pass(&db, &hcp_domain::Calendar::bundled(), now)?)
            })
            .await??;
            tracing::info!(?report, "deadline watch pass");
            let json = serde_json::to_string(&report)?;
            std::io::Write::write_all(&mut std::io::stdout(), format!("{json}\n").as_bytes())?;
        }
        Command::Seed { database, profile, evaluations, seed, today, if_empty } => {
            let db = tokio::task::spawn_blocking(move || hcp_server::open_database(&database)).await??;
            let has_data = db.read(hcp_server::db::users::count).await? > 0;
            if has_data && if_empty {
                tracing::info!("database already seeded; nothing to do");
                return Ok(());
            }
            let today = today.unwrap_or_else(|| hcp_domain::calendar::beijing_date(chrono::Utc::now()));
            let started = std::time::Instant::now();
            let report = match profile {
                Profile::Demo => {
                    let opts = hcp_server::seed::SeedOptions { evaluations: evaluations.unwrap_or(4_000), seed, today };
                    tokio::task::spawn_blocking(move || hcp_server::seed::seed_demo(&db, &opts)).await??
                }
                Profile::Bench => {
                    let opts = hcp_server::bench_seed::BenchOptions {
                        evaluations: evaluations.map_or(1_000_000, |n| n as u64),
                        seed,
                        today,
                    };
                    tokio::task::spawn_blocking(move || hcp_server::bench_seed::seed_bench(&db, &opts)).await??
                }
            };
            tracing::info!(?report, seconds = started.elapsed().as_secs_f64(), "data seeded");
        }
    }
    Ok(())
}
