//! Evidence files through the app, against a real server (real OS keyring: run through
//! `scripts/with-keyring.sh`).

use std::path::Path;
use std::sync::Arc;

use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};
use sha2::{Digest, Sha256};

use super::*;
use crate::{KeyringStore, LoginRequest, SecretStore};

fn jpeg(n: usize, marker: &[u8]) -> Vec<u8> {
    let mut v = b"\xff\xd8\xff\xe0\x00\x10JFIF\0".to_vec();
    let mut i = 0u32;
    while v.len() < n {
        v.extend_from_slice(marker);
        v.extend_from_slice(&i.to_le_bytes());
        i += 1;
    }
    v.truncate(n);
    v
}

fn login(url: &str, user: &str) -> LoginRequest {
    LoginRequest { server_url: url.into(), username: user.into(), password: DEMO_PASSWORD.into(), remember: true }
}

/// Whether any file under `dir` holds `needle`.
fn found_in(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
                hits.push(p);
            }
        }
    }
    hits
}

/// A hall manager offline attaches a photo and queues a 核实 citing it; the server comes back:
/// the file is declared, the command goes with its hash, the bytes follow. The supervisor's
/// replica lists the file and opens it byte-identical, then from the cache offline. No plain byte
/// of the photo is ever on disk in either data folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_capture_then_reconnect_and_the_supervisor_opens_it_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    seed_demo(&db, &SeedOptions { evaluations: 300, seed: 23, today }).expect("seed");
    let case_id =
        hcp_server::seed::demo_bad_review(&db, "EV-APP-1", "社会保障卡补换", "材料没有一次性告知").expect("a new case");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let (url, addr) = (srv.url(), srv.url().trim_start_matches("http://").to_owned());
    let secrets: Arc<dyn SecretStore> =
        Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())));

    let manager_dir = dir.path().join("manager");
    let manager = App::new(&manager_dir, secrets.clone(), None);
    manager.login(login(&url, "donghu.manager")).await.expect("login");
    manager.sync_once().await.expect("bootstrap");
    srv.stop().await;

    // Offline: a photo and a renamed program are attached; only the photo is queued.
    let marker = b"EVIDENCE-PLAIN-MARKER-51c2";
    let photo = jpeg(1_500_000, marker);
    let hash = hex::encode(Sha256::digest(&photo));
    let photo_path = dir.path().join("整改后窗口.jpg");
    std::fs::write(&photo_path, &photo).expect("write");
    let exe_path = dir.path().join("照片.jpg");
    std::fs::write(&exe_path, b"MZ\x90\0\x03\0\0\0\x04\0\0\0 a program").expect("write");
    let attached = manager
        .attach_files(case_id, vec![photo_path.display().to_string(), exe_path.display().to_string()])
        .await
        .expect("attach");
    assert_eq!(attached.added, vec![hash.clone()]);
    assert_eq!(attached.refused.len(), 1);
    assert!(attached.refused[0].message.contains("可执行程序"), "{:?}", attached.refused);
    let listed = &attached.files.files;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].state.as_str(), listed[0].local, listed[0].available_offline), ("queued", true, true));
    assert_eq!(attached.files.used_bytes, photo.len() as i64);
    let command: CaseCommand =
        serde_json::from_value(serde_json::json!({"type": "verify", "outcome": "genuine", "reason": "现场核实属实"}))
            .expect("command");
    manager.issue_with_files(case_id, command.clone(), vec![hash.clone()]).await.expect("queued offline");
    // A command that carries no evidence cannot cite files; a hash not on the case is refused.
    let urge: CaseCommand =
        serde_json::from_value(serde_json::json!({"type": "urge", "note": "请尽快"})).expect("urge");
    assert_eq!(
        manager.issue_with_files(case_id, urge, vec![hash.clone()]).await.expect_err("refused").code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        manager.issue_with_files(case_id, command, vec!["e".repeat(64)]).await.expect_err("refused").code,
        ErrorCode::InvalidInput
    );
    // Offline, the photo opens from this computer.
    assert!(manager.case_file_bytes(case_id, hash.clone()).await.expect("local bytes") == photo);
    assert_eq!(manager.sync_once().await.expect_err("offline").code, ErrorCode::Network);

    // The server comes back at the same address.
    // (configured with smaller limits than the defaults, which the client learns).
    let mut state = AppState::new(db.clone());
    state.config = Arc::new(hcp_server::Config {
        attachments: hcp_server::AttachmentLimits { max_file_bytes: 5 << 20, max_case_bytes: 50 << 20 },
        ..hcp_server::Config::default()
    });
    let srv = hcp_server::spawn(state, &addr).await.expect("respawn");
    manager.sync_once().await.expect("sync: declaration, then the command");
    assert_eq!(manager.sync_status().expect("status").pending, 0, "the command citing the file was applied");
    let data: String = db
        .read_blocking(move |c| {
            c.query_row("SELECT data FROM case_events WHERE case_id = ?1 AND kind = 'verified'", [case_id], |r| {
                r.get(0)
            })
        })
        .expect("the event");
    assert!(data.contains(&hash), "{data}");
    assert_eq!(manager.upload_files_now().await.expect("upload"), 1);
    manager.sync_once().await.expect("pull the file's new state");
    let files = manager.case_files(case_id).await.expect("files");
    assert_eq!(files.files.len(), 1);
    assert_eq!((files.files[0].state.as_str(), files.files[0].progress), ("uploaded", 100));
    assert_eq!(files.files[0].mime, "image/jpeg");
    assert_eq!((files.max_file_bytes, files.max_case_bytes), (5 << 20, 50 << 20), "the server's limits");
    // Over the server's limit: refused before a byte is queued, with the limit in the message.
    let big = dir.path().join("大照片.jpg");
    std::fs::write(&big, jpeg(6 << 20, b"big")).expect("write");
    let out = manager.attach_files(case_id, vec![big.display().to_string()]).await.expect("attach");
    assert!(out.added.is_empty());
    assert!(out.refused[0].message.contains("超过单个文件上限 5.0 MB"), "{:?}", out.refused);

    // The supervisor sees it at once and opens it byte-identical.
    let sup_dir = dir.path().join("supervisor");
    let supervisor = App::new(&sup_dir, secrets.clone(), None);
    supervisor.login(login(&url, "donghu.supervisor")).await.expect("login");
    supervisor.sync_once().await.expect("bootstrap");
    let seen = supervisor.case_files(case_id).await.expect("files");
    assert_eq!(seen.files.len(), 1);
    let f = &seen.files[0];
    assert_eq!(
        (f.name.as_str(), f.state.as_str(), f.local, f.available_offline),
        ("整改后窗口.jpg", "uploaded", false, false)
    );
    assert_eq!(f.uploaded_by_name, "王主任");
    // The timeline names the file the 核实 cited.
    let detail = supervisor.case_detail(case_id).await.expect("detail");
    let verified = detail.events.iter().find(|e| e.kind == "verified").expect("the 核实 event");
    assert_eq!(verified.files, vec![crate::cases::CitedFile { sha256: hash.clone(), name: "整改后窗口.jpg".into() }]);
    assert!(detail.events.iter().filter(|e| e.kind != "verified").all(|e| e.files.is_empty()));
    assert!(supervisor.case_file_bytes(case_id, hash.clone()).await.expect("download") == photo);
    assert!(supervisor.case_files(case_id).await.expect("files").files[0].available_offline);
    // A write behind the server's back: the evidence verification finds it, the drawer flags it.
    assert!(!supervisor.case_files(case_id).await.expect("files").files[0].tampered);
    let (h, changed) = (hash.clone(), jpeg(1_500_000, b"CHANGED"));
    db.write_blocking(move |c| {
        c.execute(
            "UPDATE attachment_chunks SET data = ?2 WHERE sha256 = ?1 AND idx = 0",
            hcp_server::args![h, changed[..1 << 20].to_vec()],
        )
        .map(|_| ())
    })
    .expect("tamper");
    let check = supervisor.verify_evidence_chain().await.expect("verify");
    assert!(!check.valid);
    assert!(supervisor.case_files(case_id).await.expect("files").files[0].tampered, "flagged 已被篡改");
    srv.stop().await;
    assert!(supervisor.case_file_bytes(case_id, hash.clone()).await.expect("from the cache offline") == photo);

    // Encrypted at rest: no plain byte of the photo in either data folder.
    drop(manager);
    drop(supervisor);
    for d in [&manager_dir, &sup_dir] {
        let hits = found_in(d, marker);
        assert!(hits.is_empty(), "plain bytes on disk: {hits:?}");
    }
}

/// 设置 → 附件缓存: the cap is checked, saved, returned to the default, and used for the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_cap_is_checked_saved_and_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> =
        Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())));
    let app = App::new(dir.path(), secrets, None);
    let info = app.file_cache().await.expect("info");
    assert_eq!((info.cap_mb, info.is_default, info.used_bytes), (500, true, 0));
    let err = app.save_file_cache_cap(Some(10)).await.expect_err("too small");
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("50–20480 MB"), "{}", err.message);
    let info = app.save_file_cache_cap(Some(100)).await.expect("saved");
    assert_eq!((info.cap_mb, info.is_default), (100, false));
    assert_eq!(app.cache_cap(), 100 << 20);
    let info = app.save_file_cache_cap(None).await.expect("default");
    assert_eq!((info.cap_mb, info.is_default), (500, true));
}

/// A refused command issued again cites the same files (and waits for their declaration too).
#[test]
fn a_command_issued_again_keeps_the_files_it_cited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = open_files(&dir.path().join("replicas").join("r.db"), &ReplicaKey::from_bytes([5; 32])).expect("files");
    let photo = jpeg(10_000, b"carry");
    let sha = {
        let mut f = files.lock().expect("lock");
        let up =
            f.capture(4, "a.jpg", &mut photo.as_slice(), &[], "2026-12-01T00:00:00Z").expect("capture").expect("q");
        f.cite("old", 4, std::slice::from_ref(&up.sha256)).expect("cite");
        up.sha256
    };
    carry_citations(&files, "old", "new").expect("carry");
    carry_citations(&files, "uncited", "other").expect("nothing to carry");
    let f = files.lock().expect("lock");
    assert_eq!(f.citation("new").expect("citation"), None, "waits for the declaration, like the old one");
    let id = f.upload(4, &sha).expect("row").expect("kept").id;
    f.set_declared(id, "2026-12-01T00:00:00Z").expect("declared");
    assert_eq!(f.citation("new").expect("citation"), Some(vec![sha]));
    assert_eq!(f.citation("other").expect("citation"), Some(vec![]));
}
