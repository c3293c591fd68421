//! `hcp-server`: serve the central API, or seed a database.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::{EnvFilter, Layer};

#[derive(Parser)]
#[command(name = "hcp-server", version, about = "Haochaping central REST API (好差评督办中心服务)")]
struct Cli {
    /// Also write the log into daily files (hcp-server.YYYY-MM-DD.log, the last 30 kept) in this
    /// folder; the log goes to stderr in any case. No token, password or personal data is logged.
    #[arg(long, global = true, env = "HCP_LOG_DIR")]
    log_dir: Option<std::path::PathBuf>,
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
        /// The folder of the desktop app's releases (`hcp-server release add`) [default: data/releases].
        #[arg(long, env = "HCP_RELEASES_DIR")]
        releases_dir: Option<std::path::PathBuf>,
        /// The 12345 hotline's callback URL (overrides the file's hotline_callback_url).
        #[arg(long, env = "HCP_HOTLINE_CALLBACK_URL")]
        hotline_callback_url: Option<String>,
        /// The callbacks' shared HMAC secret (overrides the file's hotline_callback_secret); best
        /// given in the environment, not on the command line.
        #[arg(long, env = "HCP_HOTLINE_CALLBACK_SECRET", hide_env_values = true)]
        hotline_callback_secret: Option<String>,
    },
    /// The desktop app's releases this server offers to the desktops (see `release add --help`).
    Release {
        #[command(subcommand)]
        command: ReleaseCommand,
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
    /// Build the replica images that are missing or stale now (see `replica_image_*` in the
    /// configuration) and print what was done as JSON; the same pass the server runs in the
    /// background (without the lease: do not run it beside servers that build images).
    ImagePass {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        /// The server's configuration file (for `replica_image_dir` and the thresholds).
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// Build images only for jurisdictions with at least this many ratings (overrides the file).
        #[arg(long)]
        min_rows: Option<u64>,
    },
    /// Write a consistent copy of the SQLite database to FILE while the server keeps serving
    /// (SQLite's online backup). For PostgreSQL use pg_dump (see the README).
    Backup {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        /// The backup file to write.
        #[arg(long)]
        to: std::path::PathBuf,
        /// Replace FILE when it exists.
        #[arg(long)]
        force: bool,
    },
    /// Copy a backup into the SQLite database. A database holding data is overwritten only with
    /// --force (stop the server first). For PostgreSQL use pg_restore (see the README).
    Restore {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        /// The backup file (from `hcp-server backup`).
        #[arg(long)]
        from: std::path::PathBuf,
        /// Overwrite a database that holds data.
        #[arg(long)]
        force: bool,
    },
    /// Bring the database's schema up to this version (the server does so at start too); with
    /// --check only report the version and what is pending, changing nothing (exit status 3 when
    /// migrations are pending, 4 when the database is newer than this server).
    Migrate {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        #[arg(long)]
        check: bool,
    },
    /// Print the scope digest of a jurisdiction (what a client of that role and scope holds):
    /// compares two databases, e.g. a restored backup with its original.
    Digest {
        #[arg(long, env = "HCP_DATABASE", default_value = "sqlite://data/hcp-server.db")]
        database: String,
        /// The unit path, e.g. / for the whole city.
        #[arg(long, default_value = "/")]
        scope: String,
        /// The role whose view is digested (administrator, supervisor, hall_manager…).
        #[arg(long, default_value = "administrator")]
        role: String,
        /// The first instant of the replica's window (RFC 3339, as the replica's `window_since`);
        /// absent: the whole history.
        #[arg(long, default_value = "")]
        since: String,
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
        /// Cities of the `province` profile.
        #[arg(long)]
        cities: Option<u32>,
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

#[derive(Subcommand)]
enum ReleaseCommand {
    /// Add a signed package: the desktops of TARGET below VERSION are offered it at their next
    /// check, and install it when their user agrees and the signature verifies.
    Add {
        /// The package (e.g. haochaping_0.2.0_amd64.deb from `make package`).
        file: std::path::PathBuf,
        /// The package's .sig file (written beside it by `make package`).
        #[arg(long)]
        signature: std::path::PathBuf,
        /// The package's version (semver, e.g. 0.2.0).
        #[arg(long)]
        version: String,
        /// {os}-{arch}-{installer}: linux-x86_64-deb, linux-x86_64-rpm, windows-x86_64-nsis, windows-x86_64-msi.
        #[arg(long)]
        target: String,
        /// What is new, in Chinese: shown to the user before they agree.
        #[arg(long)]
        notes: String,
        /// The updater public key (the .pub file): the signature must verify against it.
        #[arg(long)]
        pubkey: Option<std::path::PathBuf>,
        #[arg(long, env = "HCP_RELEASES_DIR", default_value = "data/releases")]
        releases_dir: std::path::PathBuf,
    },
    /// List the releases as JSON.
    List {
        #[arg(long, env = "HCP_RELEASES_DIR", default_value = "data/releases")]
        releases_dir: std::path::PathBuf,
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
    /// A province of synthetic cities (default 20) with the ratings of its last closed month
    /// (default 14,000,000) and a year of month statistics, bulk-loaded; its laptops hold the
    /// current month in full.
    Province,
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

/// Prints a report as one line of JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let json = serde_json::to_string(value)?;
    std::io::Write::write_all(&mut std::io::stdout(), format!("{json}\n").as_bytes())?;
    Ok(())
}

/// Logs to stderr and, with `--log-dir`, into daily files there.
fn init_logging(log_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || EnvFilter::try_from_env("HCP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let files = match log_dir {
        Some(dir) => Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(hcp_server::ops::log_appender(dir, 30)?)
                .with_filter(filter()),
        ),
        None => None,
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter()))
        .with(files)
        .init();
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_dir.as_deref())?;
    match cli.command {
        Command::Backup { database, to, force } => {
            let report = tokio::task::spawn_blocking(move || hcp_server::ops::backup(&database, &to, force)).await??;
            tracing::info!(path = %report.path, bytes = report.bytes, "backup written");
            print_json(&report)?;
        }
        Command::Restore { database, from, force } => {
            let report =
                tokio::task::spawn_blocking(move || hcp_server::ops::restore(&database, &from, force)).await??;
            tracing::info!(path = %report.path, bytes = report.bytes, "backup restored");
            print_json(&report)?;
        }
        Command::Migrate { database, check } => {
            let report = tokio::task::spawn_blocking(move || {
                if check {
                    hcp_server::ops::schema_check(&database)
                } else {
                    hcp_server::ops::migrate(&database)
                }
            })
            .await??;
            print_json(&report)?;
            if report.is_newer_than_this_build() {
                std::process::exit(4);
            }
            if report.pending > 0 {
                std::process::exit(3);
            }
        }
        Command::Digest { database, scope, role, since } => {
            let role = hcp_domain::Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role '{role}'"))?;
            let digest = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
                let db = hcp_server::open_database(&database)?;
                Ok(db.read_blocking(|c| hcp_server::db::digest::scope_digest(c, &scope, role, &since))?)
            })
            .await??;
            print_json(&serde_json::json!({ "digest": digest }))?;
        }
        Command::Release {
            command: ReleaseCommand::Add { file, signature, version, target, notes, pubkey, releases_dir },
        } => {
            let signature = std::fs::read_to_string(&signature)
                .map_err(|e| anyhow::anyhow!("cannot read the signature {}: {e}", signature.display()))?;
            let pubkey = match pubkey {
                Some(p) => Some(
                    std::fs::read_to_string(&p)
                        .map_err(|e| anyhow::anyhow!("cannot read the key {}: {e}", p.display()))?,
                ),
                None => None,
            };
            let store = hcp_server::releases::ReleaseStore::new(releases_dir);
            let new = hcp_server::releases::NewRelease {
                package: &file,
                signature: &signature,
                notes: &notes,
                target: &target,
                version: &version,
                pubkey: pubkey.as_deref(),
            };
            let release = store.add(&new, chrono::Utc::now())?;
            tracing::info!(target = %release.target, version = %release.version, "release added");
            print_json(&release)?;
        }
        Command::Release { command: ReleaseCommand::List { releases_dir } } => {
            print_json(&hcp_server::releases::ReleaseStore::new(releases_dir).list()?)?;
        }
        Command::Serve { database, listen, config, releases_dir, hotline_callback_url, hotline_callback_secret } => {
            let file = match &config {
                Some(path) => hcp_server::FileConfig::load(path)?,
                None => hcp_server::FileConfig::default(),
            };
            let database = database.or(file.database.clone()).unwrap_or_else(|| "sqlite://data/hcp-server.db".into());
            let listen = listen.or(file.listen.clone()).unwrap_or_else(|| "127.0.0.1:8787".into());
            let db = tokio::task::spawn_blocking(move || hcp_server::open_database(&database)).await??;
            let mut state = hcp_server::AppState::new(db);
            let mut config = file.apply(hcp_server::Config::default());
            if let Some(dir) = releases_dir {
                config.releases_dir = dir;
            }
            if let Some(url) = hotline_callback_url.filter(|u| !u.trim().is_empty()) {
                config.hotline.url = Some(url.trim().to_owned());
            }
            if let Some(secret) = hotline_callback_secret.filter(|s| !s.is_empty()) {
                config.hotline.secret = Some(secret);
            }
            if let Some(url) = &config.hotline.url {
                hcp_server::hotline::check_url(url).map_err(anyhow::Error::msg)?;
            }
            state.config = std::sync::Arc::new(config);
            if let Some(every) = state.config.integrity_scan_every {
                hcp_server::integrity::spawn_scanner(state.clone(), every);
            }
            if let Some(every) = state.config.deadline_watch_every {
                hcp_server::watch::spawn_watch(state.clone(), every);
            }
            hcp_server::hotline::spawn_worker(state.clone());
            if let Some(every) = state.config.month_stats_every {
                hcp_server::month_stats::spawn(state.clone(), every);
            }
            hcp_server::replica_image::spawn_builder(state.clone());
            let server =
                hcp_server::spawn(state, &listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(url = %server.url(), "hcp-server listening");
            shutdown_signal().await?;
            tracing::info!("shutting down");
            server.stop().await;
        }
        Command::ImagePass { database, config, min_rows } => {
            let file = match &config {
                Some(path) => hcp_server::FileConfig::load(path)?,
                None => hcp_server::FileConfig::default(),
            };
            let mut cfg = file.apply(hcp_server::Config::default()).replica_images;
            if let Some(n) = min_rows {
                cfg.min_rows = n;
            }
            let started = std::time::Instant::now();
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let db = hcp_server::open_database(&database)?;
                Ok(hcp_server::replica_image::pass(&db, &cfg, chrono::Utc::now())?)
            })
            .await??;
            tracing::info!(?report, "replica image pass");
            print_json(&serde_json::json!({
                "built": report.built, "fresh": report.fresh, "removed": report.removed,
                "seconds": started.elapsed().as_secs_f64(),
            }))?;
        }
        Command::WatchPass { database, at } => {
            let now = at.unwrap_or_else(chrono::Utc::now);
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let db = hcp_server::open_database(&database)?;
                Ok(hcp_server::watch::pass(&db, &hcp_domain::Calendar::bundled(), now)?)
            })
            .await??;
            tracing::info!(?report, "deadline watch pass");
            print_json(&report)?;
        }
        Command::Seed { database, profile, evaluations, cities, seed, today, if_empty } => {
            let db = tokio::task::spawn_blocking(move || hcp_server::open_database(&database)).await??;
            let has_data = db.read(hcp_server::db::users::count).await? > 0;
            if has_data && if_empty {
                tracing::info!("database already seeded; nothing to do");
                return Ok(());
            }
            let today = today.unwrap_or_else(|| hcp_domain::calendar::beijing_date(chrono::Utc::now()));
            #[cfg(not(feature = "seed"))]
            if cities.is_some() {
                anyhow::bail!("--cities is for --profile province, in a build with `--features seed`");
            }
            let started = std::time::Instant::now();
            let report = match profile {
                Profile::Demo => {
                    let opts = hcp_server::seed::SeedOptions { evaluations: evaluations.unwrap_or(4_000), seed, today };
                    tokio::task::spawn_blocking(move || hcp_server::seed::seed_demo(&db, &opts)).await??
                }
                #[cfg(feature = "seed")]
                Profile::Bench => {
                    let opts = hcp_server::bench_seed::BenchOptions {
                        evaluations: evaluations.map_or(1_000_000, |n| n as u64),
                        seed,
                        today,
                    };
                    tokio::task::spawn_blocking(move || hcp_server::bench_seed::seed_bench(&db, &opts)).await??
                }
                #[cfg(feature = "seed")]
                Profile::Province => {
                    let opts = hcp_server::province_seed::ProvinceOptions {
                        evaluations: evaluations
                            .map_or(hcp_server::province_seed::ProvinceOptions::EVALUATIONS, |n| n as u64),
                        cities: cities.unwrap_or(hcp_server::province_seed::ProvinceOptions::CITIES),
                        seed,
                        today,
                    };
                    tokio::task::spawn_blocking(move || hcp_server::province_seed::seed_province(&db, &opts)).await??
                }
                #[cfg(not(feature = "seed"))]
                Profile::Bench | Profile::Province => anyhow::bail!(
                    "this hcp-server was built without the synthetic-data generator: \
                     build it with `--features seed` (as `make bench` does) to use --profile bench or province"
                ),
            };
            tracing::info!(?report, seconds = started.elapsed().as_secs_f64(), "data seeded");
        }
    }
    Ok(())
}
