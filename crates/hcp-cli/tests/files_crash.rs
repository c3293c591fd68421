//! Crash injection on evidence files: the real `hcp files` client is SIGKILLed at random points
//! of an upload and of a download, over and over, against a real server. After every kill the
//! encrypted file store passes `PRAGMA integrity_check`, the server holds one row for the file and
//! never a chunk twice; at the end the server holds the file byte for byte (its hash checked on
//! completion) and the other user's cache holds it whole, with one cache row.
//!
//! `HCP_FILE_CRASH_RUNS` sets the number of killed runs of each phase (default 8).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use hcp_replica::files::FileStore;
use hcp_replica::ReplicaKey;
use hcp_server::seed::{demo_bad_review, seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const KEY: &str = "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b";

fn hcp(url: &str, files: &Path, user: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hcp"));
    c.args(["files", "--server", url, "--files"])
        .arg(files)
        .args(["--user", user])
        .env("HCP_PASSWORD", DEMO_PASSWORD)
        .env("HCP_REPLICA_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn store(path: &Path) -> FileStore {
    FileStore::open(path, &ReplicaKey::from_hex(KEY).expect("key")).expect("the file store opens after every crash")
}

fn integrity(path: &Path) {
    let s = store(path);
    let ok: String = s.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check");
    assert_eq!(ok, "ok");
    let dup: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM (SELECT 1 FROM uploads GROUP BY case_id, sha256 HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(dup, 0, "no duplicate upload rows");
}

/// (attachment rows of the content, chunks held, status) on the server.
fn server_state(db: &Db, sha: &str) -> (i64, i64, String) {
    let sha = sha.to_owned();
    db.read_blocking(move |c| {
        let rows: i64 =
            c.query_row("SELECT count(*) FROM attachments WHERE sha256 = ?1", [sha.as_str()], |r| r.get(0))?;
        let chunks: i64 =
            c.query_row("SELECT count(*) FROM attachment_chunks WHERE sha256 = ?1", [sha.as_str()], |r| r.get(0))?;
        let status: String = c
            .query_opt("SELECT status FROM attachment_blobs WHERE sha256 = ?1", [sha.as_str()], |r| r.get(0))?
            .unwrap_or_default();
        Ok((rows, chunks, status))
    })
    .expect("server state")
}

/// Runs `cmd` and kills it (SIGKILL) after a random part of `whole`; true when it finished first.
fn killed_run(mut cmd: Command, whole: u64, rng: &mut impl Rng) -> bool {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn hcp");
    std::thread::sleep(Duration::from_millis(rng.gen_range(whole / 10..whole.max(2))));
    let _ = child.kill();
    child.wait().expect("wait").success()
}

#[test]
fn killing_the_client_during_an_upload_or_a_download_never_corrupts_or_duplicates() {
    let runs: usize = std::env::var("HCP_FILE_CRASH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    seed_demo(&db, &SeedOptions { evaluations: 300, seed: 19, today }).expect("seed");
    let case_id = demo_bad_review(&db, "F-1", "不动产转移登记", "材料没有一次性告知").expect("a new case");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut state = AppState::new(db.clone());
    state.config = std::sync::Arc::new(hcp_server::Config {
        login_max_failures: 100_000,
        login_max_failures_per_ip: 100_000,
        ..hcp_server::Config::default()
    });
    let server = rt.block_on(hcp_server::spawn(state, "127.0.0.1:0")).expect("server");
    let url = server.url();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);

    // 12 MB that looks like a JPEG: 12 chunks.
    let mut photo: Vec<u8> = (0..12 << 20).map(|i: usize| ((i * 131 + i / 977) % 251) as u8).collect();
    photo[..4].copy_from_slice(&[0xff, 0xd8, 0xff, 0xe0]);
    let sha = hex::encode(Sha256::digest(&photo));
    let photo_path = dir.path().join("整改照片.jpg");
    std::fs::write(&photo_path, &photo).expect("write");

    // Phase 1: the upload, killed at random points (the kills spread over the time the first
    // attempt, also killed, took to capture and start sending).
    let files = dir.path().join("manager.files.db");
    let mut attach = hcp(&url, &files, "donghu.manager");
    attach.arg("--attach").arg(format!("{case_id}:{}", photo_path.display()));
    let out = attach.output().expect("attach");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("queued: {sha}")));
    // The capture ran to its end, and the upload with it: start over on the server's side by
    // capturing for a second case, whose upload is then what the kills interrupt.
    let case2 = demo_bad_review(&db, "F-2", "不动产转移登记", "材料没有一次性告知").expect("a new case");
    let mut photo2 = photo.clone();
    photo2[100] ^= 0xff;
    let sha2 = hex::encode(Sha256::digest(&photo2));
    {
        let mut s = store(&files);
        s.capture(case2, "整改照片二.jpg", &mut photo2.as_slice(), &[], "2026-12-01T00:00:00Z")
            .expect("capture")
            .expect("queued");
    }
    let whole = 1_200;
    let mut finished = false;
    let mut partial = 0;
    for _ in 0..runs {
        if finished {
            break;
        }
        finished = killed_run(hcp(&url, &files, "donghu.manager"), whole, &mut rng);
        integrity(&files);
        let (rows, chunks, status) = server_state(&db, &sha2);
        assert!(rows <= 1, "one attachment row, not {rows}");
        assert!(chunks <= 12, "never a chunk twice: {chunks}");
        partial += usize::from(status == "pending" && chunks > 0);
    }
    // Whatever the kills left, one more run finishes it, and another changes nothing.
    let out = hcp(&url, &files, "donghu.manager").output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = hcp(&url, &files, "donghu.manager").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("uploaded: 0"));
    for (case, sha) in [(case_id, &sha), (case2, &sha2)] {
        let (rows, chunks, status) = server_state(&db, sha);
        assert_eq!((rows, chunks, status.as_str()), (1, 12, "complete"));
        let row = store(&files).upload(case, sha).expect("row").expect("kept");
        assert_eq!(row.state, "done");
    }
    let uploads: i64 = store(&files).conn().query_row("SELECT count(*) FROM uploads", [], |r| r.get(0)).expect("n");
    assert_eq!(uploads, 2, "no duplicate rows");
    eprintln!("upload: {partial} kills left a partial upload that a later run resumed");

    // Phase 2: the supervisor downloads it, killed at random points; each attempt resumes.
    let cache = dir.path().join("supervisor.files.db");
    let fetch = |rng_whole: Option<(u64, &mut rand::rngs::StdRng)>| {
        let mut c = hcp(&url, &cache, "donghu.supervisor");
        c.args(["--fetch", &sha, "--size", &photo.len().to_string()]);
        match rng_whole {
            Some((whole, rng)) => killed_run(c, whole, rng),
            None => {
                let out = c.output().expect("run");
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("fetched: {sha}")));
                true
            }
        }
    };
    let mut done = false;
    let mut resumed = 0;
    for _ in 0..runs {
        if done {
            break;
        }
        done = fetch(Some((whole, &mut rng)));
        integrity(&cache);
        let held: i64 = store(&cache)
            .conn()
            .query_row("SELECT count(*) FROM chunks WHERE sha256 = ?1", [sha.as_str()], |r| r.get(0))
            .expect("held");
        resumed += usize::from(!done && held > 0);
    }
    eprintln!("download: {resumed} kills left a partial download that a later run resumed");
    fetch(None);
    integrity(&cache);
    let s = store(&cache);
    assert!(s.cached(&sha).expect("cached"));
    let rows: i64 = s.conn().query_row("SELECT count(*) FROM cache", [], |r| r.get(0)).expect("count");
    assert_eq!(rows, 1, "one cache row");
    assert!(s.read_all(&sha, "2026-12-01T00:00:00Z").expect("read").expect("whole") == photo, "byte-identical");
    // The bytes are encrypted on disk.
    let marker = &photo[5_000..5_064];
    let chunk_files = [&cache, &files]
        .into_iter()
        .flat_map(|p| std::fs::read_dir(hcp_replica::files::chunks::dir_of(p)).expect("the chunk folder"))
        .map(|e| e.expect("entry").path());
    let mut n = 0;
    for p in [cache.clone(), files.clone()].into_iter().chain(chunk_files) {
        let raw = std::fs::read(&p).expect("read");
        assert!(!raw.windows(marker.len()).any(|w| w == marker), "plain bytes in {}", p.display());
        n += 1;
    }
    assert!(n > 2 + 12, "the stores and their chunk files were read: {n}");
}
