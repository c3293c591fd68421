//! Issue 23 item 2: the city bootstrap through the server's ready replica image (phase `image`),
//! beside a plain-SQLite insert reference (phase `plain`) and PouchDB (phase `pouchdb`), all in
//! the same run.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value};

use super::{now_rfc3339, remove_db, rep, spread, Bench, Session, Snapshot};
use crate::results::{num, Row, Target};
use crate::stats;

/// Reference (a): the snapshot's rows inserted one by one into an unencrypted SQLite file by the
/// replica's own code (prepared statements, one transaction, secondary indexes built after the
/// rows, then the statistics aggregates): what a plain insert costs without SQLCipher.
pub fn plain_reference(b: &mut Bench, snapshot: &Snapshot) -> anyhow::Result<()> {
    let path = b.opts.work.join("replica-plain.db");
    let now = now_rfc3339();
    let mut secs = Vec::new();
    for _ in 0..b.opts.runs {
        remove_db(&path);
        let mut r = hcp_replica::Replica::open_plain(&path)?;
        secs.push(snapshot.insert_into(&mut r, &now)?);
    }
    b.detail("plain_insert_mb", std::fs::metadata(&path).map(|m| m.len() as f64 / 1e6).ok());
    remove_db(&path);
    let s = stats::summarize(&secs).context("no plain-insert runs")?;
    b.detail("plain_insert_runs_s", &secs);
    b.detail("plain_insert_s", s.median);
    Ok(())
}

/// Runs `hcp-server image-pass` on the bench database: the city's images (the jurisdictions with
/// at least the city's ratings: the city-wide accounts' pairs). Returns its JSON report.
fn build_images(b: &Bench, sqlite_url: &str, min_rows: u64) -> anyhow::Result<Value> {
    let config = b.opts.work.join("server-sqlite.toml");
    let out = std::process::Command::new(&b.opts.server_bin)
        .args(["image-pass", "--database", sqlite_url, "--min-rows", &min_rows.to_string()])
        .arg("--config")
        .arg(&config)
        .env("HCP_LOG", "warn")
        .output()?;
    anyhow::ensure!(out.status.success(), "image-pass: {}", String::from_utf8_lossy(&out.stderr));
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The two ways to turn a plain image into the SQLCipher replica, on the same decompressed file:
/// ours (the encrypted replica attaches the plain file and copies table by table) and
/// `sqlcipher_export` (the plain file attaches a new encrypted one and exports everything).
fn export_variants(b: &mut Bench, compressed: &Path, scope: &str) -> anyhow::Result<()> {
    let plain = b.opts.work.join("variant-plain.db");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&plain)?);
        zstd::stream::copy_decode(std::fs::File::open(compressed)?, &mut out)?;
    }
    let (mut attach, mut export) = (Vec::new(), Vec::new());
    for _ in 0..b.opts.runs.min(3) {
        let target = b.opts.work.join("variant-attach.db");
        remove_db(&target);
        let mut r = hcp_replica::Replica::open(&target, &b.key)?;
        let t = Instant::now();
        r.import_image(&plain, scope, &now_rfc3339())?;
        attach.push(t.elapsed().as_secs_f64());
        drop(r);
        remove_db(&target);

        let target = b.opts.work.join("variant-export.db");
        remove_db(&target);
        let t = Instant::now();
        let conn = rusqlite::Connection::open(&plain)?;
        conn.execute(
            &format!("ATTACH DATABASE ?1 AS enc KEY \"x'{}'\"", b.key.to_hex()),
            [target.to_string_lossy().as_ref()],
        )?;
        conn.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))?;
        let v: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        conn.pragma_update(Some("enc"), "user_version", v)?;
        conn.execute_batch("DETACH DATABASE enc")?;
        export.push(t.elapsed().as_secs_f64());
        drop(conn);
        remove_db(&target);
    }
    remove_db(&plain);
    let (a, e) = (stats::summarize(&attach).context("attach")?, stats::summarize(&export).context("export")?);
    b.detail(
        "image_import_variants",
        json!({"attach_copy_s": attach, "sqlcipher_export_s": export,
               "attach_copy_median_s": a.median, "sqlcipher_export_median_s": e.median}),
    );
    Ok(())
}

/// Phase `image`: the server builds the city's image (timed, in the background of a real
/// deployment), then city.supervisor bootstraps from it, `runs` times, exactly as `hcp_sync`'s
/// `bootstrap` does (download, check, decompress, import, pull after the image's cursor).
pub async fn image_bootstrap(b: &mut Bench, a: &Session, snapshot: &Snapshot, sqlite_url: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    let report = build_images(b, sqlite_url, snapshot.counts.rating)?;
    b.detail("image_build", json!({"report": report, "wall_s": t.elapsed().as_secs_f64()}));
    let info = a.client.image_info(&a.token).await?.context("the server published no image of the city")?;
    anyhow::ensure!(info.counts == snapshot.counts, "image rows {:?} != snapshot {:?}", info.counts, snapshot.counts);
    b.detail("image_info", &info);

    let path = b.opts.work.join("replica-image.db");
    let mut secs = Vec::new();
    let mut parts = Vec::new();
    for i in 0..b.opts.runs {
        remove_db(&path);
        let r = rep(&path, &b.key)?;
        let t = Instant::now();
        let done =
            hcp_sync::image::bootstrap_from_image(&a.client, &a.token, r.clone(), &now_rfc3339(), &|_| {}).await?;
        let hcp_sync::image::ImageBootstrap::Imported { counts, timings, .. } = done else {
            anyhow::bail!("the image was not used: {done:?}");
        };
        let pulled = hcp_sync::pull(&a.client, &a.token, r.clone(), super::PULL_PAGE).await?;
        let s = t.elapsed().as_secs_f64();
        anyhow::ensure!(counts == snapshot.counts, "image bootstrap rows {counts:?}");
        tracing::info!(run = i, secs = s, ?timings, pulled, "image bootstrap");
        secs.push(s);
        parts.push(json!({"total_s": s, "download_s": timings.download_s, "checksum_s": timings.checksum_s,
                          "decompress_s": timings.decompress_s, "import_s": timings.import_s, "pulled": pulled,
                          "compressed_mb": timings.compressed_bytes as f64 / 1e6,
                          "plain_mb": timings.plain_bytes as f64 / 1e6}));
    }
    b.detail("image_replica_mb", std::fs::metadata(&path).map(|m| m.len() as f64 / 1e6).ok());
    b.detail("image_bootstrap_runs", &parts);
    let s = stats::summarize(&secs).context("no image runs")?;
    b.detail("image_bootstrap_s", s.median);

    // Equal to the streamed bootstrap's replica (when that phase ran): the same rows, byte for byte.
    let streamed = b.opts.work.join("replica-a.db");
    if streamed.exists() {
        let (x, y) = (rep(&streamed, &b.key)?, rep(&path, &b.key)?);
        let same = super::lock(&x)?.scope_digest()? == super::lock(&y)?.scope_digest()?;
        b.detail("image_replica_digest_equals_stream", same);
        anyhow::ensure!(same, "the image-bootstrapped replica differs from the streamed one");
    }

    // Where the import's time goes: our attach-and-copy beside sqlcipher_export.
    let compressed = b.opts.work.join("image-download.zst");
    {
        let mut resp = a.client.image_from(&a.token, 0, &info.sha256).await?;
        let mut f = std::fs::File::create(&compressed)?;
        while let Some(chunk) = resp.chunk().await? {
            std::io::Write::write_all(&mut f, &chunk)?;
        }
    }
    if let Err(e) = export_variants(b, &compressed, &info.scope_path) {
        b.note(format!("the import variants were not measured: {e:#}"));
    }
    let _ = std::fs::remove_file(&compressed);

    let plain = b.details.get("plain_insert_s").and_then(Value::as_f64);
    let pouch = b.details.get("pouchdb").and_then(|p| p["full_jurisdiction_s"].as_f64());
    let build = b.details["image_build"]["report"]["seconds"].as_f64();
    b.rows.push(Row {
        key: "image_bootstrap_s",
        what: format!(
            "bootstrap of city.supervisor's jurisdiction ({} rows) from the server's replica image ({} MB zstd), \
             pull after its cursor included",
            num(snapshot.counts.total() as f64),
            num(info.size as f64 / 1e6)
        ),
        value: Some(s.median),
        unit: "s",
        spread: spread(&s, "s"),
        reference: format!(
            "streamed: {} s; plain-SQLite insert: {} s",
            b.figures.bootstrap_s.map_or("not run".into(), num),
            plain.map_or("not run".into(), num)
        ),
        target: Some(Target::AtMost(10.0)),
    });
    b.rows.push(Row {
        key: "image_vs_plain_insert",
        what:
            "plain-SQLite insert reference (rows one by one into an unencrypted file, indexes after) / image bootstrap"
                .into(),
        value: plain.map(|p| p / s.median),
        unit: "×",
        spread: String::new(),
        reference: plain.map_or_else(String::new, |p| format!("plain insert {} s", num(p))),
        target: Some(Target::AtLeast(1.0)),
    });
    b.rows.push(Row {
        key: "image_speedup_vs_pouchdb",
        what: "PouchDB time for the same rows / image bootstrap time".into(),
        value: pouch.map(|p| p / s.median),
        unit: "×",
        spread: String::new(),
        reference: pouch.map_or_else(|| "PouchDB phase not run".into(), |p| format!("B: {} s", num(p))),
        target: Some(Target::AtLeast(50.0)),
    });
    b.rows.push(Row {
        key: "image_build_s",
        what:
            "server: building the city's images (hcp-server image-pass: snapshot rows into a plain replica, indexes, \
               aggregates, zstd), for every city-wide (scope, role) pair"
                .into(),
        value: build,
        unit: "s",
        spread: format!("{} image(s)", b.details["image_build"]["report"]["built"]),
        reference: String::new(),
        target: None,
    });
    remove_db(&path);
    Ok(())
}
