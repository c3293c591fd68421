//! Evidence-file throughput (issue 20): 20 MB files uploaded in the protocol's chunks and
//! downloaded again on loopback, against `curl` moving the same bytes to and from the same
//! server in the same run; and the snapshot's size before and after, which must not grow by the
//! files (bytes never travel in the snapshot).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Context};
use serde::Serialize;

/// The protocol's chunk size (the server names it in every upload progress).
const CHUNK_BYTES: usize = 1 << 20;

/// The file: 20 MB, what the server accepts at most by default.
pub const FILE_BYTES: usize = 20 * 1024 * 1024;

/// Bytes that start like a JPEG and do not compress (xorshift), different per `seed`.
pub fn photo(seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut v = Vec::with_capacity(FILE_BYTES);
    while v.len() < FILE_BYTES {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(FILE_BYTES);
    v[..4].copy_from_slice(&[0xff, 0xd8, 0xff, 0xe0]);
    v
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub size_mb: f64,
    pub chunk_bytes: i64,
    /// Each upload's seconds (ours, then curl's), best of `runs`, each of new content.
    pub upload_s: Vec<f64>,
    pub upload_curl_s: Vec<f64>,
    /// Each download's seconds: ours, curl saving the file (`-o` a file in the work folder) and
    /// curl discarding it (`-o /dev/null`), best of `runs`.
    pub download_s: Vec<f64>,
    pub download_curl_s: Vec<f64>,
    pub download_curl_null_s: Vec<f64>,
    pub snapshot_bytes_before: usize,
    pub snapshot_bytes_after: usize,
}

impl FileReport {
    pub fn mb_per_s(&self, secs: f64) -> f64 {
        self.size_mb / secs.max(1e-9)
    }
    pub fn best(v: &[f64]) -> f64 {
        v.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

struct Api<'a> {
    http: reqwest::Client,
    url: &'a str,
    token: &'a str,
}

impl Api<'_> {
    async fn json(&self, req: reqwest::RequestBuilder) -> anyhow::Result<serde_json::Value> {
        let r = req.bearer_auth(self.token).send().await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        ensure!(status.is_success(), "{status}: {body}");
        Ok(body)
    }

    async fn snapshot_bytes(&self) -> anyhow::Result<usize> {
        let r = self.http.get(format!("{}/api/v1/sync/snapshot", self.url)).bearer_auth(self.token).send().await?;
        ensure!(r.status().is_success(), "snapshot: {}", r.status());
        Ok(r.bytes().await?.len())
    }
}

fn curl(args: &[String]) -> anyhow::Result<f64> {
    let t = Instant::now();
    let out = Command::new("curl").args(args).output().context("curl (Debian package curl) must be installed")?;
    let secs = t.elapsed().as_secs_f64();
    ensure!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(secs)
}

/// Uploads `runs` 20 MB files on `case_id` through the app's own path (captured into the
/// encrypted file store, then the upload queue of `hcp-sync`: declare, chunks, complete) and as
/// many others through `curl` (declare, the same chunks, complete: one invocation, one
/// connection), alternating; then
/// downloads the first `runs` times each way: the app's `fetch` into a fresh encrypted cache
/// (streamed, SHA-256 checked, written encrypted), curl saving it to a file and curl to /dev/null.
pub async fn measure(
    client: &hcp_sync::Client,
    token: &str,
    key: &hcp_replica::ReplicaKey,
    case_id: i64,
    work: &Path,
    runs: usize,
) -> anyhow::Result<FileReport> {
    let url = client.base_url().trim_end_matches('/').to_owned();
    let api = Api { http: reqwest::Client::new(), url: &url, token };
    let stamp = std::process::id() as u64 ^ chrono::Utc::now().timestamp() as u64;
    let snapshot_bytes_before = api.snapshot_bytes().await?;
    let dir = work.join("files-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let now = || chrono::Utc::now().to_rfc3339();
    let cap = 500 * 1024 * 1024;
    let chunk = CHUNK_BYTES;
    let auth = format!("Authorization: Bearer {token}");

    // `runs` uploads each way, each of new content (the server keeps a content once).
    let store = hcp_replica::files::FileStore::open(&dir.join("uploader.files.db"), key)?;
    let files: hcp_sync::attachments::Files = std::sync::Arc::new(std::sync::Mutex::new(store));
    let (mut upload_s, mut upload_curl_s) = (Vec::new(), Vec::new());
    let ours = photo(stamp);
    let sha_ours = sha256_hex(&ours);
    for run in 0..runs.max(1) as u64 {
        let mine = if run == 0 { ours.clone() } else { photo(stamp.wrapping_add(2 * run)) };
        let theirs = photo(stamp.wrapping_add(2 * run + 1));
        let sha_theirs = sha256_hex(&theirs);
        // Ours: the capture is local work (not timed); the upload queue is.
        {
            let mut f = files.lock().map_err(|_| anyhow::anyhow!("file store lock"))?;
            let captured = f.capture(case_id, "bench-ours.jpg", &mut std::io::Cursor::new(&mine), &[], &now())?;
            ensure!(captured.is_ok(), "capture refused: {captured:?}");
        }
        let t = Instant::now();
        let sent = hcp_sync::attachments::upload_pending(client, token, &files, &now(), cap, || {}).await?;
        upload_s.push(t.elapsed().as_secs_f64());
        ensure!(sent == 1, "the upload queue sent {sent} files");

        // curl: declare, the same chunks PUT one after the other, complete.
        let declaration = serde_json::json!({"case_id": case_id, "sha256": sha_theirs, "name": "bench-curl.jpg",
            "size": theirs.len()})
        .to_string();
        // One request of curl's invocation: quiet, failing on an error status, the answer dropped.
        let request = |rest: &[&str]| -> Vec<String> {
            ["-sS", "--fail", "-o", "/dev/null", "-H", auth.as_str()]
                .iter()
                .chain(rest)
                .map(|a| a.to_string())
                .collect()
        };
        let mut args = request(&["-H", "content-type: application/json", "-d", &declaration]);
        args.push(format!("{url}/api/v1/attachments"));
        for (i, piece) in theirs.chunks(chunk).enumerate() {
            let p = dir.join(format!("chunk-{i}"));
            std::fs::write(&p, piece)?;
            args.push("--next".into());
            args.extend(request(&["-H", "content-type: application/octet-stream", "-T"]));
            args.push(p.display().to_string());
            args.push(format!("{url}/api/v1/attachments/{sha_theirs}/chunks/{i}"));
        }
        args.push("--next".into());
        args.extend(request(&["-X", "POST"]));
        args.push(format!("{url}/api/v1/attachments/{sha_theirs}/complete"));
        upload_curl_s.push(curl(&args)?);
        let p = api.json(api.http.get(format!("{url}/api/v1/attachments/{sha_theirs}/chunks"))).await?;
        ensure!(p["status"] == "complete", "curl's upload did not complete: {p}");
    }

    let (mut download_s, mut download_curl_s, mut download_curl_null_s) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs.max(1) {
        // Another user's laptop: a fresh encrypted cache each time.
        let store = hcp_replica::files::FileStore::open(&dir.join(format!("reader-{run}.files.db")), key)?;
        let reader: hcp_sync::attachments::Files = std::sync::Arc::new(std::sync::Mutex::new(store));
        let t = Instant::now();
        let bytes =
            hcp_sync::attachments::fetch(client, token, &reader, &sha_ours, ours.len() as i64, &now(), cap).await?;
        download_s.push(t.elapsed().as_secs_f64());
        ensure!(bytes == ours, "the download differs from the upload");
        let saved = dir.join(format!("curl-{run}.jpg"));
        let get = |out: &str| {
            curl(&[
                "-sS".into(),
                "--fail".into(),
                "-o".into(),
                out.into(),
                "-H".into(),
                auth.clone(),
                format!("{url}/api/v1/attachments/{sha_ours}"),
            ])
        };
        download_curl_s.push(get(&saved.display().to_string())?);
        ensure!(std::fs::metadata(&saved)?.len() == ours.len() as u64, "curl saved a different size");
        download_curl_null_s.push(get("/dev/null")?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let snapshot_bytes_after = api.snapshot_bytes().await?;
    Ok(FileReport {
        size_mb: FILE_BYTES as f64 / (1024.0 * 1024.0),
        chunk_bytes: chunk as i64,
        upload_s,
        upload_curl_s,
        download_s,
        download_curl_s,
        download_curl_null_s,
        snapshot_bytes_before,
        snapshot_bytes_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_photos_are_20_mb_jpeg_like_and_differ() {
        let (a, b) = (photo(1), photo(2));
        assert_eq!(a.len(), FILE_BYTES);
        assert_eq!(&a[..3], &[0xff, 0xd8, 0xff]);
        assert_ne!(sha256_hex(&a), sha256_hex(&b));
    }
}
