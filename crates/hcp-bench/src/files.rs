//! Evidence-file throughput (issue 20): a 20 MB file uploaded in the protocol's chunks and
//! downloaded again on loopback, against `curl` moving the same bytes to and from the same
//! server in the same run; and the snapshot's size before and after, which must not grow by the
//! file (bytes never travel in the snapshot).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Context};
use futures_util::StreamExt;
use serde::Serialize;

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
    pub upload_s: f64,
    pub upload_curl_s: f64,
    /// Each download's seconds (ours, then curl's), best of `runs`.
    pub download_s: Vec<f64>,
    pub download_curl_s: Vec<f64>,
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

    async fn declare(&self, case_id: i64, sha: &str, name: &str, size: usize) -> anyhow::Result<i64> {
        let body = serde_json::json!({"case_id": case_id, "sha256": sha, "name": name, "size": size});
        self.json(self.http.post(format!("{}/api/v1/attachments", self.url)).json(&body)).await?;
        let p = self.json(self.http.get(format!("{}/api/v1/attachments/{sha}/chunks", self.url))).await?;
        p["chunk_size"].as_i64().context("the server names its chunk size")
    }

    /// What the client does: every chunk in turn on one connection, then `complete`.
    async fn upload(&self, sha: &str, bytes: &[u8], chunk: usize) -> anyhow::Result<()> {
        for (i, piece) in bytes.chunks(chunk).enumerate() {
            let r = self
                .http
                .put(format!("{}/api/v1/attachments/{sha}/chunks/{i}", self.url))
                .bearer_auth(self.token)
                .header("content-type", "application/octet-stream")
                .body(piece.to_vec())
                .send()
                .await?;
            ensure!(r.status().is_success(), "chunk {i}: {}", r.status());
        }
        let done = self.json(self.http.post(format!("{}/api/v1/attachments/{sha}/complete", self.url))).await?;
        ensure!(done["status"] == "complete", "not complete: {done}");
        Ok(())
    }

    /// What the client does when a file is opened: stream it, check its hash.
    async fn download(&self, sha: &str, size: usize) -> anyhow::Result<()> {
        use sha2::Digest;
        let r = self.http.get(format!("{}/api/v1/attachments/{sha}", self.url)).bearer_auth(self.token).send().await?;
        ensure!(r.status().is_success(), "download: {}", r.status());
        let mut h = sha2::Sha256::new();
        let mut n = 0;
        let mut body = r.bytes_stream();
        while let Some(piece) = body.next().await {
            let piece = piece?;
            n += piece.len();
            h.update(&piece);
        }
        ensure!(n == size && hex::encode(h.finalize()) == sha, "the download differs from the upload");
        Ok(())
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

/// Uploads one 20 MB file on `case_id` through the protocol and another through `curl`, then
/// downloads the first `runs` times each way.
pub async fn measure(url: &str, token: &str, case_id: i64, work: &Path, runs: usize) -> anyhow::Result<FileReport> {
    let api = Api { http: reqwest::Client::new(), url, token };
    let stamp = std::process::id() as u64 ^ chrono::Utc::now().timestamp() as u64;
    let ours = photo(stamp);
    let theirs = photo(stamp.wrapping_add(1));
    let (sha_ours, sha_theirs) = (sha256_hex(&ours), sha256_hex(&theirs));
    let snapshot_bytes_before = api.snapshot_bytes().await?;

    let chunk = api.declare(case_id, &sha_ours, "bench-ours.jpg", ours.len()).await? as usize;
    let t = Instant::now();
    api.upload(&sha_ours, &ours, chunk).await?;
    let upload_s = t.elapsed().as_secs_f64();

    // curl: the same chunks, PUT one after the other on one connection, then `complete`.
    api.declare(case_id, &sha_theirs, "bench-curl.jpg", theirs.len()).await?;
    let dir = work.join("files-bench");
    std::fs::create_dir_all(&dir)?;
    let auth = format!("Authorization: Bearer {token}");
    let mut args: Vec<String> =
        ["-sS", "--fail", "-o", "/dev/null", "-H", &auth, "-H", "content-type: application/octet-stream"]
            .map(String::from)
            .to_vec();
    for (i, piece) in theirs.chunks(chunk).enumerate() {
        let p = dir.join(format!("chunk-{i}"));
        std::fs::write(&p, piece)?;
        args.extend(["-T".into(), p.display().to_string()]);
        args.push(format!("{url}/api/v1/attachments/{sha_theirs}/chunks/{i}"));
    }
    args.extend(["--next", "-sS", "--fail", "-o", "/dev/null", "-X", "POST", "-H"].map(String::from));
    args.push(auth.clone());
    args.push(format!("{url}/api/v1/attachments/{sha_theirs}/complete"));
    let upload_curl_s = curl(&args)?;
    let _ = std::fs::remove_dir_all(&dir);
    let p = api.json(api.http.get(format!("{url}/api/v1/attachments/{sha_theirs}/chunks"))).await?;
    ensure!(p["status"] == "complete", "curl's upload did not complete: {p}");

    let (mut download_s, mut download_curl_s) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        api.download(&sha_ours, ours.len()).await?;
        download_s.push(t.elapsed().as_secs_f64());
        download_curl_s.push(curl(&[
            "-sS".into(),
            "--fail".into(),
            "-o".into(),
            "/dev/null".into(),
            "-H".into(),
            auth.clone(),
            format!("{url}/api/v1/attachments/{sha_ours}"),
        ])?);
    }
    let snapshot_bytes_after = api.snapshot_bytes().await?;
    Ok(FileReport {
        size_mb: FILE_BYTES as f64 / (1024.0 * 1024.0),
        chunk_bytes: chunk as i64,
        upload_s,
        upload_curl_s,
        download_s,
        download_curl_s,
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
