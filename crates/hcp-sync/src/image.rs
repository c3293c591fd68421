//! Bootstrap from the server's ready replica image (see `hcp_server::replica_image`): download
//! it (resuming with `Range`), check its SHA-256, decompress it into a private file in the
//! replica's own folder, copy it into the encrypted replica ([`Replica::import_image`]) and delete
//! the plain file, whatever happens. The caller then pulls the changes after the image's cursor.
//!
//! The compressed download is kept between attempts only while it is incomplete (so a broken
//! connection resumes where it stopped); it is deleted once imported, when it turns out corrupt,
//! or when the server's image changed. The replica's key never leaves the laptop: the image
//! is plain and the encryption happens here.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use hcp_protocol::{Counts, ReplicaImageInfo};
use hcp_replica::Replica;
use sha2::{Digest, Sha256};

use crate::{lock, Client, Progress, Result, SyncError};

/// Why an image was not used (the caller then streams the snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// The server has no image for this jurisdiction (a small one, or not built yet).
    NoImage,
    /// The image was written by another version of the replica.
    OtherVersion { image: i64, ours: i64 },
    /// The server's image changed during the download.
    Replaced,
    /// The download or the file was not what it should be (checksum, decompression, import).
    Unusable(String),
}

/// Where an image bootstrap spent its time, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ImageTimings {
    pub download_s: f64,
    pub checksum_s: f64,
    pub decompress_s: f64,
    /// The copy into the encrypted replica (one transaction, committed).
    pub import_s: f64,
    /// Bytes of the compressed download and of the decompressed plain file.
    pub compressed_bytes: u64,
    pub plain_bytes: u64,
}

/// What [`bootstrap_from_image`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageBootstrap {
    /// The replica now holds the image: its rows, the cursor to pull from, where the time went.
    Imported {
        counts: Counts,
        cursor: i64,
        timings: ImageTimings,
    },
    Skipped(Skipped),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> SyncError {
    SyncError::Task(format!("{what} {}: {e}", path.display()))
}

/// The partial download of the image `sha256` for the replica at `replica`.
pub fn part_path(replica: &Path, sha256: &str) -> PathBuf {
    let name = replica.file_name().map_or_else(|| "replica.db".into(), |n| n.to_string_lossy().into_owned());
    replica.with_file_name(format!("{name}.download-{}.zst.part", &sha256[..sha256.len().min(16)]))
}

/// Partial downloads of other images than `keep` next to `replica` (the server's image changed).
fn remove_other_parts(replica: &Path, keep: &Path) {
    let (Some(dir), Some(name)) = (replica.parent(), replica.file_name()) else { return };
    let prefix = format!("{}.download-", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&prefix) && n.ends_with(".zst.part") && e.path() != keep {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Creates (or opens to append) a file only its owner may read.
fn private_file(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// The plain image file: deleted when dropped, on every path out of the import.
struct PlainFile(PathBuf);

impl Drop for PlainFile {
    fn drop(&mut self) {
        if let Err(e) = hcp_replica::image::remove_plain(&self.0) {
            tracing::error!(error = %e, file = %self.0.display(), "the plain replica image could not be deleted");
        }
    }
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(sha.finalize()));
        }
        sha.update(&buf[..n]);
    }
}

/// Downloads the image into `part`, resuming after what it holds; returns the bytes this attempt
/// received. `Ok(None)`: the server's image is no longer `info`'s.
async fn download(
    client: &Client,
    token: &str,
    info: &ReplicaImageInfo,
    part: &Path,
    progress: &(impl Fn(Progress) + Send),
) -> Result<Option<u64>> {
    let held = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let from = if held >= info.size { 0 } else { held };
    let resp = client.image_from(token, from, &info.sha256).await?;
    let etag = resp.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if etag.as_deref() != Some(format!("\"{}\"", info.sha256).as_str()) {
        return Ok(None);
    }
    let resumed = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
    if resumed {
        let range = resp.headers().get(reqwest::header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !range.starts_with(&format!("bytes {from}-")) {
            return Err(SyncError::Protocol(format!("副本镜像续传的范围不对：{range}")));
        }
        tracing::info!(from, "resuming the replica image download");
    }
    let start = if resumed { from } else { 0 };
    let mut file = private_file(part, resumed).map_err(|e| io("cannot write", part, e))?;
    let total = info.counts.total();
    let mut p = Progress {
        phase: "snapshot",
        total_rows: Some(total),
        resumed_from: (start > 0).then(|| total * start / info.size.max(1)),
        ..Progress::default()
    };
    let mut have = start;
    let mut stream = resp.bytes_stream();
    let mut last = std::time::Instant::now();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| SyncError::Network(format!("副本镜像下载中断：{e}")))?;
        file.write_all(&chunk).map_err(|e| io("cannot write", part, e))?;
        have += chunk.len() as u64;
        p.bytes += chunk.len() as u64;
        if last.elapsed() >= std::time::Duration::from_millis(200) {
            // Rows in proportion to the bytes: the progress bar the streamed snapshot shows.
            p.rows = total * have.min(info.size) / info.size.max(1);
            progress(p.clone());
            last = std::time::Instant::now();
        }
    }
    file.flush().map_err(|e| io("cannot write", part, e))?;
    if have < info.size {
        return Err(SyncError::Network("副本镜像传输不完整，将自动续传".into()));
    }
    p.rows = total;
    let received = p.bytes;
    progress(p);
    Ok(Some(received))
}

/// Replaces the replica's content with the server's ready image of the caller's jurisdiction,
/// when there is one this version can use. `Skipped`: nothing changed, stream the snapshot. A
/// broken download is an error to retry (what arrived is kept and resumed next time).
pub async fn bootstrap_from_image(
    client: &Client,
    token: &str,
    replica: Arc<Mutex<Replica>>,
    now: &str,
    progress: &(impl Fn(Progress) + Send),
) -> Result<ImageBootstrap> {
    let Some(info) = client.image_info(token).await? else {
        return Ok(ImageBootstrap::Skipped(Skipped::NoImage));
    };
    let ours = hcp_replica::image::schema_version();
    if info.schema_version != ours {
        return Ok(ImageBootstrap::Skipped(Skipped::OtherVersion { image: info.schema_version, ours }));
    }
    if info.sha256.len() != 64 || !info.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SyncError::Protocol("副本镜像的校验值格式不对".into()));
    }
    let path = lock(&replica)?.path().to_owned();
    let part = part_path(&path, &info.sha256);
    remove_other_parts(&path, &part);
    let started = std::time::Instant::now();
    let received = match download(client, token, &info, &part, progress).await {
        Ok(Some(received)) => received,
        Ok(None) => {
            let _ = std::fs::remove_file(&part);
            return Ok(ImageBootstrap::Skipped(Skipped::Replaced));
        }
        // A broken connection: what arrived stays for the next attempt to resume from.
        Err(e) if e.is_transient() => return Err(e),
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    let mut timings =
        ImageTimings { download_s: started.elapsed().as_secs_f64(), compressed_bytes: info.size, ..Default::default() };
    // Checking, unpacking and writing the image take seconds with no row count to show.
    let total = info.counts.total();
    progress(Progress {
        phase: "importing",
        rows: total,
        bytes: received,
        total_rows: Some(total),
        resumed_from: None,
    });
    let started = std::time::Instant::now();
    let (r, info2, now) = (replica.clone(), info.clone(), now.to_owned());
    let part2 = part.clone();
    let imported =
        tokio::task::spawn_blocking(move || -> Result<std::result::Result<(Counts, ImageTimings), String>> {
            let t = std::time::Instant::now();
            let sha = sha256_of(&part2).map_err(|e| io("cannot read", &part2, e))?;
            timings.checksum_s = t.elapsed().as_secs_f64();
            if sha != info2.sha256 {
                return Ok(Err(format!("副本镜像校验失败（SHA-256 {sha}，应为 {}）", info2.sha256)));
            }
            // The import writes through its own connection: the app keeps reading the old rows.
            let mut own = lock(&r)?.reopen()?;
            let plain = PlainFile(hcp_replica::image::plain_path(&path));
            hcp_replica::image::remove_plain(&plain.0).map_err(|e| io("cannot remove", &plain.0, e))?;
            let t = std::time::Instant::now();
            let decompressed = (|| -> std::io::Result<u64> {
                let out = private_file(&plain.0, false)?;
                let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
                zstd::stream::copy_decode(std::fs::File::open(&part2)?, &mut out)?;
                out.flush()?;
                Ok(std::fs::metadata(&plain.0)?.len())
            })();
            match decompressed {
                Ok(n) => timings.plain_bytes = n,
                Err(e) => return Ok(Err(format!("副本镜像无法解压：{e}"))),
            }
            timings.decompress_s = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            let done = own.import_image(&plain.0, &info2.scope_path, &now);
            timings.import_s = t.elapsed().as_secs_f64();
            match done {
                Ok(done) => Ok(Ok((done.counts, timings))),
                Err(e) => Ok(Err(format!("副本镜像无法导入：{e}"))),
            }
            // `plain` is deleted here, on every path.
        })
        .await
        .map_err(|e| SyncError::Task(e.to_string()))?;
    // Imported, corrupt or refused: the download has served its purpose either way.
    let imported = match imported {
        Ok(r) => {
            let _ = std::fs::remove_file(&part);
            r
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    match imported {
        Ok((counts, timings)) => {
            tracing::info!(
                rows = counts.total(),
                cursor = info.cursor,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "bootstrapped from the replica image"
            );
            Ok(ImageBootstrap::Imported { counts, cursor: info.cursor, timings })
        }
        Err(why) => {
            tracing::warn!(reason = %why, "the replica image could not be used: streaming the snapshot instead");
            Ok(ImageBootstrap::Skipped(Skipped::Unusable(why)))
        }
    }
}
