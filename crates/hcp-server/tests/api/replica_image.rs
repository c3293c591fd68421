//! Replica images: built per jurisdiction and role from the snapshot's rows, served only to their
//! own accounts, whole or by byte range.

use std::io::Read;

use hcp_server::testing::Backend;
use sha2::{Digest, Sha256};

use super::{spawn_app_with, TestApp};

struct Download {
    status: u16,
    etag: Option<String>,
    cursor: Option<i64>,
    range: Option<String>,
    bytes: Vec<u8>,
}

async fn download(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> Download {
    let mut req = app.http.get(app.url("/api/v1/sync/image")).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("download");
    let h = |k: &str| r.headers().get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, etag, range) = (r.status().as_u16(), h("etag"), h("content-range"));
    let cursor = h("x-hcp-image-cursor").and_then(|c| c.parse().ok());
    Download { status, etag, cursor, range, bytes: r.bytes().await.expect("body").to_vec() }
}

async fn info(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    let r = app.http.get(app.url("/api/v1/sync/image/info")).bearer_auth(token).send().await.expect("info");
    (r.status().as_u16(), r.json().await.unwrap_or(serde_json::Value::Null))
}

/// The image decompressed into a file of `dir`, opened as the desktop replica opens a plain image.
fn open(dir: &std::path::Path, name: &str, compressed: &[u8]) -> hcp_replica::Replica {
    let mut plain = Vec::new();
    zstd::Decoder::new(compressed).expect("zstd").read_to_end(&mut plain).expect("decompress");
    let path = dir.join(name);
    std::fs::write(&path, plain).expect("write");
    hcp_replica::Replica::open_plain(&path).expect("a replica")
}

pub async fn replica_images_hold_each_accounts_own_snapshot_and_download_by_range(backend: Backend) {
    let images = tempfile::tempdir().expect("tempdir");
    let cfg = hcp_server::replica_image::ImageConfig {
        dir: images.path().to_owned(),
        min_rows: u64::MAX,
        ..hcp_server::replica_image::ImageConfig::default()
    };
    let served = cfg.clone();
    let app = spawn_app_with(backend, move |s| {
        s.config = std::sync::Arc::new(hcp_server::Config { replica_images: served, ..hcp_server::Config::default() })
    })
    .await;
    let pass = |cfg: hcp_server::replica_image::ImageConfig| {
        let db = app.db.clone();
        async move {
            tokio::task::spawn_blocking(move || hcp_server::replica_image::pass(&db, &cfg, chrono::Utc::now()))
                .await
                .expect("task")
                .expect("pass")
        }
    };
    // Integrity leads: what a snapshot holds of them depends on the role.
    let supervisor = app.token("city.supervisor").await;
    let (status, report) = app.post(&supervisor, "/api/v1/integrity/scan", serde_json::json!({})).await;
    assert_eq!(status, 200, "{report}");
    let users = ["donghu.supervisor", "xishan.supervisor", "donghu.manager", "donghu.staff"];
    let mut tokens = Vec::new();
    for u in users {
        tokens.push(app.token(u).await);
    }

    // Below the size threshold no image is built: the clients stream the snapshot.
    let report = pass(cfg.clone()).await;
    assert_eq!(report.built, 0);
    for t in &tokens {
        let (status, body) = info(&app, t).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
        assert_eq!(download(&app, t, &[]).await.status, 404);
    }

    let cfg = hcp_server::replica_image::ImageConfig { min_rows: 0, ..cfg };
    // A plain file a crashed build left in the folder goes with the next pass.
    let crashed = cfg.dir.join(format!("{}.building-999999999.db", "0".repeat(32)));
    std::fs::write(&crashed, b"plain rows").expect("write");
    let report = pass(cfg.clone()).await;
    assert!(!crashed.exists(), "a crashed build's plain file is deleted");
    assert!(report.built >= users.len(), "{report:?}");
    assert_eq!(pass(cfg.clone()).await.built, 0, "fresh images are not built again");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = Vec::new();
    for (user, token) in users.iter().zip(&tokens) {
        let (status, body) = info(&app, token).await;
        assert_eq!(status, 200, "{user}: {body}");
        let info: hcp_protocol::ReplicaImageInfo = serde_json::from_value(body).expect("an image description");
        let whole = download(&app, token, &[]).await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.bytes.len() as u64, info.size);
        assert_eq!(hex::encode(Sha256::digest(&whole.bytes)), info.sha256, "{user}");
        assert_eq!(whole.etag, Some(format!("\"{}\"", info.sha256)));
        assert_eq!(whole.cursor, Some(info.cursor));
        // The image holds exactly what this account's snapshot holds: its digest is the server's
        // digest of this jurisdiction as this role reads it.
        let replica = open(dir.path(), &format!("{user}.db"), &whole.bytes);
        assert_eq!(replica.scope().expect("scope").as_deref(), Some(info.scope_path.as_str()));
        assert_eq!(replica.cursor().expect("cursor"), Some(info.cursor));
        assert_eq!(replica.counts().expect("counts"), info.counts);
        // The image holds exactly what this account's own snapshot holds: the same rows (their
        // digest), and the integrity leads as this role receives them (redacted or left out).
        let snapshot =
            app.http.get(app.url("/api/v1/sync/snapshot")).bearer_auth(token).send().await.expect("snapshot");
        let body = snapshot.bytes().await.expect("snapshot body");
        let (mut lines, mut flags) = (Vec::new(), Vec::new());
        for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            if let hcp_protocol::SnapshotLine::Row { row } =
                hcp_protocol::SnapshotLine::from_json(line).expect("a line")
            {
                match row {
                    hcp_protocol::EntityRow::IntegrityFlag(f) => flags.push(f),
                    row => {
                        let (entity, id, fields) = hcp_protocol::digest::fields(&row);
                        lines.push(hcp_protocol::digest::line(entity, id, &fields));
                    }
                }
            }
        }
        assert_eq!(replica.scope_digest().expect("digest"), hcp_protocol::digest::of(lines), "{user}");
        let mut held = replica.integrity_flags(&info.scope_path, None).expect("flags");
        held.sort_by_key(|f| f.id);
        flags.sort_by_key(|f| f.id);
        assert_eq!(held, flags, "{user}: the leads as this role receives them");
        let outside: i64 = replica
            .conn()
            .query_row(
                "SELECT count(*) FROM ratings WHERE NOT (unit_path >= ?1 AND unit_path < ?1 || '~')",
                [&info.scope_path],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(outside, 0, "{user}: no row from outside the jurisdiction");
        assert!(info.counts.rating > 0);
        seen.push((user, info));
    }
    // Another district, or the same district in another role, is another image.
    let sha = |u: &str| seen.iter().find(|(x, _)| **x == u).map(|(_, i)| i.sha256.clone()).expect("seen");
    assert_ne!(sha("donghu.supervisor"), sha("xishan.supervisor"));
    assert_ne!(sha("donghu.supervisor"), sha("donghu.manager"));
    assert_ne!(sha("donghu.manager"), sha("donghu.staff"));
    let flags = |u: &str| seen.iter().find(|(x, _)| **x == u).map(|(_, i)| i.counts.integrity_flag).expect("seen");
    assert!(flags("donghu.manager") > 0, "the hall manager's image holds the hall's leads");
    assert_eq!(flags("donghu.staff"), 0, "the same hall's staff member's image holds none");

    // An interrupted download resumes where it stopped, while it is still the same image.
    let token = &tokens[0];
    let whole = download(&app, token, &[]).await.bytes;
    let etag = format!("\"{}\"", sha("donghu.supervisor"));
    let head = download(&app, token, &[("range", "bytes=0-999")]).await;
    assert_eq!((head.status, head.range.as_deref()), (206, Some(format!("bytes 0-999/{}", whole.len()).as_str())));
    let tail = download(&app, token, &[("range", "bytes=1000-"), ("if-range", &etag)]).await;
    assert_eq!(tail.status, 206);
    assert_eq!([head.bytes, tail.bytes].concat(), whole);
    // A range of an image since replaced: the whole current image instead.
    let stale = download(&app, token, &[("range", "bytes=1000-"), ("if-range", "\"0000\"")]).await;
    assert_eq!((stale.status, stale.bytes.len()), (200, whole.len()));
    let beyond = download(&app, token, &[("range", &format!("bytes={}-", whole.len()))]).await;
    assert_eq!(beyond.status, 416);

    // No token, no image.
    let r = app.http.get(app.url("/api/v1/sync/image")).send().await.expect("anonymous");
    assert_eq!(r.status().as_u16(), 401);
    app.server.stop().await;
}
