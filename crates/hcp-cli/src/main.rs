//! `hcp`: runs the desktop app's sync engine headless.
//!
//! `hcp sync --server URL --replica PATH --user NAME` signs in (password from `HCP_PASSWORD`, or
//! the keyring entry a previous `--save-password` run stored), bootstraps the replica when it is
//! empty (resuming an interrupted bootstrap where it stopped), pushes its outbox and pulls the
//! change feed, printing progress as it goes. The replica's
//! key comes from `HCP_REPLICA_KEY` (64 hex digits) or the OS keyring, created on first use.
//!
//! `hcp files --server URL --files PATH --user NAME` runs the evidence-file queue of an encrypted
//! file store (same key): `--attach CASE:FILE` captures a file first; without `--fetch` it sends
//! the queued files (declarations, missing chunks, completion); `--fetch SHA --size N` downloads
//! one file into the store's cache (resuming a broken download) and prints its SHA-256.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use hcp_app::{KeyringStore, SecretStore, KEYRING_SERVICE};
use hcp_replica::{Replica, ReplicaError, ReplicaKey};
use hcp_sync::{Client, Progress};
use rand::RngCore;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "hcp", version, about = "Haochaping headless sync client (好差评督办 命令行同步客户端)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bootstrap (when needed), push the outbox and pull all changes.
    Sync {
        /// The central server, e.g. http://127.0.0.1:8787
        #[arg(long, env = "HCP_SERVER_URL")]
        server: String,
        /// The replica file (created when missing).
        #[arg(long)]
        replica: PathBuf,
        /// The user name to sign in as.
        #[arg(long)]
        user: String,
        /// Keep syncing every N seconds until interrupted.
        #[arg(long)]
        watch: Option<u64>,
        /// Store the password from HCP_PASSWORD in the keyring for later runs.
        #[arg(long)]
        save_password: bool,
        /// A stable id of this client for the server's command log (default: derived from the replica path).
        #[arg(long)]
        client_id: Option<String>,
        /// Rows per committed chunk of a bootstrap: an interrupted one resumes after the last chunk.
        #[arg(long, default_value_t = hcp_sync::BootstrapOptions::default().chunk_rows)]
        bootstrap_chunk: u64,
    },
    /// Send an evidence-file store's upload queue, or fetch one file into its cache.
    Files {
        #[arg(long, env = "HCP_SERVER_URL")]
        server: String,
        /// The file store (created when missing; key as for the replica).
        #[arg(long)]
        files: PathBuf,
        #[arg(long)]
        user: String,
        /// Capture a file for a case first: `CASE_ID:PATH`.
        #[arg(long)]
        attach: Option<String>,
        /// Download this content (SHA-256) into the cache instead of uploading.
        #[arg(long)]
        fetch: Option<String>,
        /// The size of the content to fetch, in bytes.
        #[arg(long, default_value_t = 0)]
        size: i64,
    },
    /// Print what the replica holds.
    Status {
        #[arg(long)]
        replica: PathBuf,
    },
}

fn account(kind: &str, what: &str) -> String {
    format!("cli-{kind}:{what}")
}

fn replica_key(secrets: &dyn SecretStore, path: &Path) -> anyhow::Result<ReplicaKey> {
    if let Ok(hex) = std::env::var("HCP_REPLICA_KEY") {
        return ReplicaKey::from_hex(&hex).context("HCP_REPLICA_KEY must be 64 hex digits");
    }
    let acct = account("replica-key", &path.display().to_string());
    if let Some(k) = secrets.get(&acct).map_err(|e| anyhow::anyhow!("{e}"))?.and_then(|h| ReplicaKey::from_hex(&h)) {
        return Ok(k);
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let k = ReplicaKey::from_bytes(bytes);
    secrets.set(&acct, &k.to_hex()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(k)
}

/// The most characters the server takes in a client id.
const MAX_CLIENT_ID: usize = 64;

/// The client id of a replica when `--client-id` is not given: stable for one replica file (its
/// absolute path, hashed) and short enough for the server however long the path is: `cli-`, up to
/// 24 characters of the file name for people reading the audit trail, and 16 hex digits of the
/// path's SHA-256.
fn default_client_id(replica: &Path) -> String {
    use sha2::Digest;
    let absolute = std::path::absolute(replica).unwrap_or_else(|_| replica.to_path_buf());
    let digest = sha2::Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let name: String = replica
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(24)
        .collect();
    let id = format!("cli-{name}-{}", &hex::encode(digest)[..16]);
    debug_assert!(id.len() <= MAX_CLIENT_ID);
    id
}

fn open_replica(path: &Path, key: &ReplicaKey) -> anyhow::Result<Replica> {
    match Replica::open(path, key) {
        Err(ReplicaError::BadKey) => bail!(
            "the replica {} cannot be opened with this key (lost key: delete the file to bootstrap afresh)",
            path.display()
        ),
        other => Ok(other?),
    }
}

fn print_progress(p: &Progress) {
    let total = p.total_rows.map(|t| format!("/{t}")).unwrap_or_default();
    let resumed = p.resumed_from.map(|n| format!(" (续传自第 {n} 行)")).unwrap_or_default();
    let mut out = std::io::stderr();
    let _ = write!(out, "\r{}: {}{} rows, {:.1} MB{resumed}", p.phase, p.rows, total, p.bytes as f64 / 1e6);
    let _ = out.flush();
}

async fn sync_once(
    client: &Client,
    token: &str,
    client_id: &str,
    replica: Arc<Mutex<Replica>>,
    scope: &str,
    opts: &hcp_sync::BootstrapOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let needs_bootstrap = {
        let r = replica.lock().map_err(|_| anyhow::anyhow!("replica lock poisoned"))?;
        r.cursor()?.is_none() || r.scope()?.as_deref() != Some(scope)
    };
    let (pushed, rejected) = hcp_sync::push(client, token, client_id, replica.clone()).await?;
    if pushed + rejected > 0 {
        println!("push: {pushed} applied, {rejected} rejected");
    }
    if needs_bootstrap {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Some(point) = replica.lock().map_err(|_| anyhow::anyhow!("replica lock poisoned"))?.resume_point()? {
            println!("bootstrap: 续传自第 {} 行 (resuming an interrupted bootstrap)", point.rows());
        }
        let counts =
            hcp_sync::bootstrap_with(client, token, replica.clone(), now, opts, |p| print_progress(&p)).await?;
        eprintln!();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "bootstrap: {} rows ({} ratings, {} cases, {} events) in {secs:.2} s, {:.0} rows/s",
            counts.total(),
            counts.rating,
            counts.case,
            counts.case_event,
            counts.total() as f64 / secs.max(1e-9)
        );
    } else {
        let n = hcp_sync::pull(client, token, replica.clone(), 5_000).await?;
        println!("pull: {n} changes in {:.2} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HCP_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Status { replica } => {
            let secrets = KeyringStore::new(KEYRING_SERVICE);
            let key = replica_key(&secrets, &replica)?;
            let r = open_replica(&replica, &key)?;
            let c = r.counts()?;
            let (pending, rejected) = r.outbox_counts()?;
            println!("scope: {}", r.scope()?.unwrap_or_else(|| "(not bootstrapped)".into()));
            println!("cursor: {}", r.cursor()?.map_or("-".into(), |c| c.to_string()));
            if let Some(p) = r.resume_point()? {
                println!(
                    "bootstrap: interrupted after {} rows; the next sync resumes (续传自第 {} 行)",
                    p.rows(),
                    p.rows()
                );
            }
            println!(
                "rows: {} org units, {} staff, {} users, {} ratings, {} cases, {} events",
                c.org_unit, c.staff, c.user, c.rating, c.case, c.case_event
            );
            println!("outbox: {pending} pending, {rejected} rejected");
            let ok: String = r.conn().query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
            println!("integrity: {ok}");
        }
        Command::Files { server, files, user, attach, fetch, size } => {
            let secrets = KeyringStore::new(KEYRING_SERVICE);
            let key = replica_key(&secrets, &files)?;
            let store = hcp_replica::files::FileStore::open(&files, &key)?;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let store = Arc::new(Mutex::new(store));
            if let Some(spec) = attach {
                let (case, path) = spec.split_once(':').context("--attach CASE_ID:PATH")?;
                let case_id: i64 = case.parse().context("--attach CASE_ID:PATH")?;
                let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?;
                let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let captured = store.lock().map_err(|_| anyhow::anyhow!("file store lock poisoned"))?.capture(
                    case_id,
                    &name,
                    &mut file,
                    &[],
                    &now,
                )?;
                match captured {
                    Ok(u) => println!("queued: {} {} ({} bytes)", u.sha256, u.name, u.size),
                    Err(why) => bail!("{why}"),
                }
            }
            let client = Client::new(&server).map_err(anyhow::Error::msg)?;
            let password = std::env::var("HCP_PASSWORD").context("set HCP_PASSWORD")?;
            let login = client.login(&user, &password, Some(&default_client_id(&files))).await?;
            let cap = hcp_replica::files::DEFAULT_CACHE_CAP;
            match fetch {
                Some(sha) => {
                    let bytes =
                        hcp_sync::attachments::fetch(&client, &login.token, &store, &sha, size, &now, cap).await?;
                    use sha2::Digest;
                    println!("fetched: {}", hex::encode(sha2::Sha256::digest(&bytes)));
                }
                None => {
                    let done =
                        hcp_sync::attachments::upload_pending(&client, &login.token, &store, &now, cap, || {}).await?;
                    println!("uploaded: {done}");
                }
            }
        }
        Command::Sync { server, replica, user, watch, save_password, client_id, bootstrap_chunk } => {
            let opts = hcp_sync::BootstrapOptions { chunk_rows: bootstrap_chunk.max(1), ..Default::default() };
            let secrets = KeyringStore::new(KEYRING_SERVICE);
            let client = Client::new(&server).map_err(anyhow::Error::msg)?;
            let pw_account = account("password", &format!("{user}@{}", client.base_url()));
            let password = match std::env::var("HCP_PASSWORD") {
                Ok(p) => {
                    if save_password {
                        secrets.set(&pw_account, &p).map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                    p
                }
                Err(_) => secrets
                    .get(&pw_account)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .context("no password: set HCP_PASSWORD (add --save-password to keep it in the keyring)")?,
            };
            let key = replica_key(&secrets, &replica)?;
            let r = Arc::new(Mutex::new(open_replica(&replica, &key)?));
            let client_id = client_id.unwrap_or_else(|| default_client_id(&replica));
            let login = client.login(&user, &password, Some(&client_id)).await?;
            println!("signed in as {} ({}) at {}", login.user.display_name, login.user.unit_name, client.base_url());
            loop {
                if let Err(e) =
                    sync_once(&client, &login.token, &client_id, r.clone(), &login.user.scope_path, &opts).await
                {
                    if watch.is_none() {
                        return Err(e);
                    }
                    eprintln!("sync failed: {e:#}; retrying");
                }
                match watch {
                    Some(secs) => tokio::time::sleep(Duration::from_secs(secs.max(1))).await,
                    None => break,
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_client_id_fits_the_server_however_long_the_replica_path() {
        let long = PathBuf::from(format!("/{}/{}", "很长的目录名".repeat(20), "a".repeat(200) + ".db"));
        let id = default_client_id(&long);
        assert!(id.len() <= MAX_CLIENT_ID && id.starts_with("cli-a"), "{id}");
        assert_eq!(id, default_client_id(&long), "stable for one replica");
        assert_ne!(id, default_client_id(&long.with_file_name("b.db")));
        let short = default_client_id(Path::new("/tmp/r.db"));
        assert!(short.starts_with("cli-r.db-") && short.len() == "cli-r.db-".len() + 16, "{short}");
        assert_ne!(default_client_id(Path::new("/x/r.db")), short, "two folders, two clients");
    }
}
