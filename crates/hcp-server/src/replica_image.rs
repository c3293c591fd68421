//! Replica images: for large jurisdictions the server keeps a ready replica, so that a laptop's
//! bootstrap copies a file instead of inserting a million rows one by one.
//!
//! An image is a plain (unencrypted) SQLite file written by the desktop replica's own code
//! (`hcp_replica`: its schema, its bootstrap, its statistics aggregates and indexes), fed with
//! exactly the lines the snapshot streams ([`crate::routes::sync::snapshot_lines`]) in one read
//! transaction, so it holds what that snapshot holds at its cursor. What a snapshot contains
//! depends on the jurisdiction (unit path) and on the role (integrity flags are role-dependent),
//! so an image is kept per `(scope path, role)` and a user is only ever served the image of their
//! own pair: the routes take no parameter naming one.
//!
//! The image is compressed with zstd and published as `<key>-<sha256 prefix>.zst` with its
//! description `<key>.json` ([`ReplicaImageInfo`]); the previous file stays until the next
//! rebuild so a download that started on it can finish or resume. A background task
//! ([`spawn_builder`]) rebuilds the images of the pairs that active users hold whose scope has at
//! least [`ImageConfig::min_rows`] ratings: when missing, of another schema version, `max_changes`
//! changes behind the feed, or older than `max_age` with changes since. Of several server
//! processes on one PostgreSQL database only the lease holder builds (they share the folder).

use std::path::{Path, PathBuf};
use std::time::Duration;

use hcp_domain::Role;
use hcp_protocol::{Counts, ReplicaImageInfo, SnapshotLine};
use sha2::{Digest, Sha256};

use crate::db::{changes, Conn, Db, DbError, DbResult};

/// Where and when images are built.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig {
    /// The folder of the images (shared by the server processes of one database).
    pub dir: PathBuf,
    /// Scopes with fewer ratings get no image: their clients stream the snapshot.
    pub min_rows: u64,
    /// An image this many changes behind the feed is rebuilt.
    pub max_changes: i64,
    /// An image older than this with any change since is rebuilt.
    pub max_age: Duration,
    /// How often the builder looks (`None`: never; images are then never built).
    pub every: Option<Duration>,
    /// zstd level of the published file.
    pub level: i32,
}

impl Default for ImageConfig {
    fn default() -> ImageConfig {
        ImageConfig {
            dir: PathBuf::from("data/replica-images"),
            min_rows: 200_000,
            max_changes: 50_000,
            max_age: Duration::from_secs(6 * 3600),
            every: Some(Duration::from_secs(60)),
            level: 3,
        }
    }
}

/// The advisory-lock key of the image builder's lease ("hcpimage").
pub const IMAGE_LEASE: i64 = 0x6863_7069_6d61_6765;

/// A published image as kept beside it (what the info route answers, plus the file and the role).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Published {
    pub info: ReplicaImageInfo,
    pub role: String,
    /// The compressed file's name in the image folder.
    pub file: String,
}

/// The file-name stem of the image of `(scope, role)`: a hash, so paths never leak into names
/// and no pair can name another's file.
pub fn stem(scope: &str, role: Role) -> String {
    let h = Sha256::digest(format!("replica-image\n{scope}\n{}", role.as_str()).as_bytes());
    hex::encode(&h[..16])
}

fn info_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.json"))
}

/// The image published for `(scope, role)`, if any (its file present).
pub fn published(dir: &Path, scope: &str, role: Role) -> Option<Published> {
    let text = std::fs::read_to_string(info_path(dir, &stem(scope, role))).ok()?;
    let p: Published = match serde_json::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "an unreadable replica image description: ignored");
            return None;
        }
    };
    // Never answer with another pair's image, whatever the file says.
    (p.info.scope_path == scope && p.role == role.as_str() && dir.join(&p.file).is_file()).then_some(p)
}

fn io(what: &str, path: &Path, e: std::io::Error) -> DbError {
    DbError::Join(format!("{what} {}: {e}", path.display()))
}

/// Builds and publishes the image of `(scope, role)` from the database as it is now. Blocking
/// (seconds to tens of seconds for a city). Returns its description.
pub fn build(db: &Db, cfg: &ImageConfig, scope: &str, role: Role, now: &str) -> DbResult<ReplicaImageInfo> {
    std::fs::create_dir_all(&cfg.dir).map_err(|e| io("cannot create", &cfg.dir, e))?;
    let stem = stem(scope, role);
    let plain = cfg.dir.join(format!("{stem}.building-{}.db", std::process::id()));
    let result = build_plain(db, &plain, scope, role, now)
        .and_then(|(cursor, counts)| publish(cfg, &stem, &plain, role, ImageFacts { scope, cursor, counts, now }));
    if let Err(e) = hcp_replica::image::remove_plain(&plain) {
        tracing::warn!(error = %e, "a plain replica image could not be deleted");
    }
    result
}

/// Writes the plain replica of the snapshot `role` gets of `scope`: (cursor, rows).
fn build_plain(db: &Db, plain: &Path, scope: &str, role: Role, now: &str) -> DbResult<(i64, Counts)> {
    let replica_err = |e: hcp_replica::ReplicaError| DbError::Corrupt(format!("replica image: {e}"));
    hcp_replica::image::remove_plain(plain).map_err(|e| io("cannot remove", plain, e))?;
    let mut replica = hcp_replica::Replica::open_plain(plain).map_err(replica_err)?;
    let mut end = None;
    {
        let mut boot = replica.begin_bootstrap(scope).map_err(replica_err)?;
        let today = chrono::DateTime::parse_from_rfc3339(now)
            .map(|t| hcp_domain::calendar::beijing_date(t.with_timezone(&chrono::Utc)))
            .map_err(|e| DbError::Corrupt(format!("image time '{now}': {e}")))?;
        db.read_blocking(|c: &Conn<'_>| {
            crate::routes::sync::snapshot_lines(c, scope, role, None, today, &mut |line| {
                match line {
                    SnapshotLine::Begin { expected, window, .. } => {
                        boot.expect(&expected);
                        if let Some(w) = &window {
                            boot.set_window(w).map_err(replica_err)?;
                        }
                    }
                    SnapshotLine::Row { row } => boot.insert(&row).map_err(replica_err)?,
                    SnapshotLine::End { cursor, counts } => end = Some((cursor, counts)),
                }
                Ok(())
            })
        })?;
        let (cursor, counts) = end.clone().ok_or_else(|| DbError::Corrupt("snapshot without its end".into()))?;
        boot.finish(cursor, &counts, now).map_err(replica_err)?;
    }
    replica.seal_plain().map_err(replica_err)?;
    end.ok_or_else(|| DbError::Corrupt("snapshot without its end".into()))
}

struct ImageFacts<'a> {
    scope: &'a str,
    cursor: i64,
    counts: Counts,
    now: &'a str,
}

/// Compresses `plain` into the folder, then makes it the published image of `stem` (the
/// description is replaced last, by a rename), keeping the previous file for downloads under way.
fn publish(cfg: &ImageConfig, stem: &str, plain: &Path, role: Role, f: ImageFacts<'_>) -> DbResult<ReplicaImageInfo> {
    use std::io::Write;
    let tmp = cfg.dir.join(format!("{stem}.zst.tmp-{}", std::process::id()));
    let (size, sha) = (|| -> std::io::Result<(u64, String)> {
        let mut input = std::fs::File::open(plain)?;
        let out = std::fs::File::create(&tmp)?;
        let mut hashed =
            HashingWriter { inner: std::io::BufWriter::with_capacity(1 << 20, out), sha: Sha256::new(), n: 0 };
        let mut enc = zstd::Encoder::new(&mut hashed, cfg.level)?;
        std::io::copy(&mut input, &mut enc)?;
        enc.finish()?;
        hashed.inner.flush()?;
        hashed.inner.get_ref().sync_all()?;
        Ok((hashed.n, hex::encode(hashed.sha.finalize())))
    })()
    .map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("cannot compress", plain, e)
    })?;
    let file = format!("{stem}-{}.zst", &sha[..16]);
    std::fs::rename(&tmp, cfg.dir.join(&file)).map_err(|e| io("cannot publish", &tmp, e))?;
    let info = ReplicaImageInfo {
        scope_path: f.scope.to_owned(),
        cursor: f.cursor,
        schema_version: hcp_replica::image::schema_version(),
        size,
        sha256: sha,
        counts: f.counts,
        built_at: f.now.to_owned(),
    };
    let previous = std::fs::read_to_string(info_path(&cfg.dir, stem))
        .ok()
        .and_then(|t| serde_json::from_str::<Published>(&t).ok())
        .map(|p| p.file);
    let published = Published { info: info.clone(), role: role.as_str().to_owned(), file: file.clone() };
    let json = serde_json::to_vec_pretty(&published).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let info_tmp = cfg.dir.join(format!("{stem}.json.tmp-{}", std::process::id()));
    std::fs::write(&info_tmp, json).map_err(|e| io("cannot write", &info_tmp, e))?;
    std::fs::rename(&info_tmp, info_path(&cfg.dir, stem)).map_err(|e| io("cannot publish", &info_tmp, e))?;
    // Older files of this pair than the previous one go.
    if let Ok(entries) = std::fs::read_dir(&cfg.dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = name.starts_with(&format!("{stem}-")) && name.ends_with(".zst");
            if ours && name != file && Some(&name) != previous.as_ref() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(info)
}

struct HashingWriter<W> {
    inner: W,
    sha: Sha256,
    n: u64,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The `(scope, role)` pairs of active users whose scope has at least `min_rows` ratings.
pub fn wanted(conn: &Conn<'_>, min_rows: u64) -> DbResult<Vec<(String, Role)>> {
    let pairs: Vec<(String, String)> = conn.query_map(
        "SELECT DISTINCT o.path, u.role FROM users u JOIN org_units o ON o.id = u.unit_id
          WHERE u.active = 1 ORDER BY o.path, u.role",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut sizes = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (scope, role) in pairs {
        let Some(role) = Role::parse(&role) else { continue };
        let n = match sizes.get(&scope) {
            Some(n) => *n,
            None => {
                let n = changes::count_in_scope(conn, "ratings", &scope, &format!("{scope}~"))?;
                sizes.insert(scope.clone(), n);
                n
            }
        };
        if n >= min_rows {
            out.push((scope, role));
        }
    }
    Ok(out)
}

/// Whether the image `p` should be rebuilt now that the feed is at `head`.
pub fn stale(cfg: &ImageConfig, p: Option<&Published>, head: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(p) = p else { return true };
    if p.info.schema_version != hcp_replica::image::schema_version() {
        return true;
    }
    let behind = head - p.info.cursor;
    if behind >= cfg.max_changes {
        return true;
    }
    let age = chrono::DateTime::parse_from_rfc3339(&p.info.built_at)
        .map(|t| (now - t.to_utc()).to_std().unwrap_or_default())
        .unwrap_or(Duration::MAX);
    behind > 0 && age >= cfg.max_age
}

/// What one pass of the builder did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub built: usize,
    pub fresh: usize,
    pub removed: usize,
}

/// One pass: builds the stale images of the wanted pairs and removes the images of pairs no
/// longer wanted (and what builds of crashed processes left). Blocking.
pub fn pass(db: &Db, cfg: &ImageConfig, now: chrono::DateTime<chrono::Utc>) -> DbResult<PassReport> {
    let (wanted, head) = db.read_blocking(|c| Ok((wanted(c, cfg.min_rows)?, changes::head(c)?)))?;
    let mut report = PassReport::default();
    let mut keep = std::collections::HashSet::new();
    for (scope, role) in &wanted {
        keep.insert(stem(scope, *role));
        if !stale(cfg, published(&cfg.dir, scope, *role).as_ref(), head, now) {
            report.fresh += 1;
            continue;
        }
        let started = std::time::Instant::now();
        let info = build(db, cfg, scope, *role, &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))?;
        tracing::info!(
            role = role.as_str(),
            rows = info.counts.total(),
            bytes = info.size,
            cursor = info.cursor,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "replica image built"
        );
        report.built += 1;
    }
    if let Ok(entries) = std::fs::read_dir(&cfg.dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(s) = name.split(['.', '-']).next() else { continue };
            let ours = s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
            // What a build interrupted by a crash left (another process's plain or temporary file).
            let pid = std::process::id();
            let mine = name.ends_with(&format!("-{pid}.db")) || name.ends_with(&format!("-{pid}"));
            let left = (name.contains(".building-") || name.contains(".tmp-")) && !mine;
            if ours && left {
                let _ = std::fs::remove_file(e.path());
                continue;
            }
            let theirs = ours && !keep.contains(s) && (name.ends_with(".zst") || name.ends_with(".json"));
            if theirs && std::fs::remove_file(e.path()).is_ok() && name.ends_with(".json") {
                report.removed += 1;
            }
        }
    }
    Ok(report)
}

/// Runs [`pass`] at start-up and then every `cfg.every` while this process holds the builder's
/// lease (see [`crate::integrity::spawn_scanner`] for the lease).
pub fn spawn_builder(state: crate::AppState) -> Option<tokio::task::JoinHandle<()>> {
    let every = state.config.replica_images.every?;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lease: Option<crate::db::Lease> = None;
        loop {
            tick.tick().await;
            let (db, cfg, clock) = (state.db.clone(), state.config.replica_images.clone(), state.clock.clone());
            let held = lease.take();
            let ran = tokio::task::spawn_blocking(move || {
                let lease = match held.map(|mut l| (l.holds(), l)) {
                    Some((true, l)) => Some(l),
                    _ => db.try_lease(IMAGE_LEASE)?,
                };
                let report = lease.as_ref().map(|_| pass(&db, &cfg, clock.now()));
                Ok::<_, DbError>((lease, report))
            })
            .await;
            match ran {
                Ok(Ok((l, report))) => {
                    lease = l;
                    if let Some(Err(e)) = report {
                        tracing::warn!(error = %e, "replica images: the pass failed; retrying at the next tick");
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "replica images: cannot take the lease"),
                Err(e) => tracing::warn!(error = %e, "replica images: the builder task failed"),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_get_distinct_stems_and_staleness_follows_the_feed_and_the_clock() {
        assert_ne!(stem("/1/2/", Role::Supervisor), stem("/1/2/", Role::HallManager));
        assert_ne!(stem("/1/2/", Role::Supervisor), stem("/1/3/", Role::Supervisor));
        assert_eq!(stem("/1/2/", Role::Supervisor).len(), 32);
        let cfg = ImageConfig { max_changes: 100, max_age: Duration::from_secs(3600), ..ImageConfig::default() };
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("t").to_utc();
        let p = |cursor: i64, built_at: &str, schema_version: i64| Published {
            info: ReplicaImageInfo {
                scope_path: "/1/".into(),
                cursor,
                schema_version,
                size: 1,
                sha256: "00".into(),
                counts: Counts::default(),
                built_at: built_at.into(),
            },
            role: "supervisor".into(),
            file: "x.zst".into(),
        };
        let v = hcp_replica::image::schema_version();
        assert!(stale(&cfg, None, 0, now));
        assert!(!stale(&cfg, Some(&p(1000, "2026-11-20T11:59:00Z", v)), 1099, now));
        assert!(stale(&cfg, Some(&p(1000, "2026-11-20T11:59:00Z", v)), 1100, now));
        assert!(stale(&cfg, Some(&p(1000, "2026-11-20T11:59:00Z", v - 1)), 1000, now));
        assert!(stale(&cfg, Some(&p(1000, "2026-11-20T10:00:00Z", v)), 1001, now));
        assert!(!stale(&cfg, Some(&p(1000, "2026-11-20T10:00:00Z", v)), 1000, now), "nothing changed since");
    }
}
