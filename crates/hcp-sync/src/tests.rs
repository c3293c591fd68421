use std::sync::{Arc, Mutex};

use hcp_protocol::{CaseRow, Entity};
use hcp_replica::{CaseQuery, Replica, ReplicaKey};
use hcp_server::db::{cases, changes};
use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::*;

async fn server(dir: &std::path::Path) -> (hcp_server::RunningServer, Db) {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 600, seed: 7, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let s = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    (s, db)
}

fn replica(dir: &std::path::Path) -> Arc<Mutex<Replica>> {
    Arc::new(Mutex::new(Replica::open(&dir.join("replica.db"), &ReplicaKey::from_bytes([3; 32])).expect("replica")))
}

fn server_counts_in_scope(db: &Db, scope: &str) -> (u64, u64) {
    let scope = scope.to_owned();
    db.read_blocking(move |c| {
        let upper = format!("{scope}~");
        Ok((
            changes::count_in_scope(c, "cases", &scope, &upper)?,
            changes::count_in_scope(c, "ratings", &scope, &upper)?,
        ))
    })
    .expect("counts")
}

/// A new supervision case (no rating) of `unit_id` at `path`, as the server would insert it.
pub(super) fn supervision_case(case_no: &str, unit_id: i64, path: &str, summary: &str) -> CaseRow {
    CaseRow {
        id: 0,
        case_no: case_no.into(),
        source: hcp_domain::CaseSource::Supervision,
        rating_id: None,
        unit_id,
        unit_path: path.into(),
        department_id: None,
        staff_id: None,
        level: None,
        channel: None,
        item_name: None,
        summary: summary.into(),
        state: hcp_domain::CaseState::New,
        escalation_level: 0,
        handler_user_id: None,
        created_at: "2026-11-20T11:00:00+08:00".into(),
        deadline: None,
        deadline_provisional: false,
        stage_deadline: None,
        version: 1,
        updated_at: "2026-11-20T11:00:00+08:00".into(),
        aggregate: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_bootstraps_exactly_their_hall_and_pulls_new_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server(dir.path()).await;
    let client = Client::new(&srv.url()).expect("client");
    let login = client.login("donghu.manager", DEMO_PASSWORD, Some("test")).await.expect("login");
    assert_eq!(login.user.unit_name, "东湖区政务服务中心");

    let rep = replica(dir.path());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let counts = bootstrap(&client, &login.token, rep.clone(), "2026-11-20T10:00:00Z".into(), move |p| {
        s2.lock().expect("lock").push(p)
    })
    .await
    .expect("bootstrap");

    let (cases_expected, ratings_expected) = server_counts_in_scope(&db, &login.user.scope_path);
    assert!(cases_expected > 0 && ratings_expected > 0);
    assert_eq!(counts.case, cases_expected);
    assert_eq!(counts.rating, ratings_expected);
    let local = rep.lock().expect("lock").counts().expect("counts");
    assert_eq!(local, counts);
    let last = seen.lock().expect("lock").last().cloned().expect("progress reported");
    assert_eq!(Some(last.rows), last.total_rows);
    assert!(last.bytes > 0);

    // Every case in the replica belongs to the hall: none from another district.
    let page = rep.lock().expect("lock").list_cases(&CaseQuery { limit: 500, ..CaseQuery::default() }).expect("list");
    assert_eq!(u64::from(page.total), cases_expected);
    // (A town centre's case that a department of the hall works travels to that department; the
    // town centre itself is outside the hall's jurisdiction, so the replica has no name for it.)
    let foreign: Vec<_> = page
        .items
        .iter()
        .filter(|c| {
            c.unit_name != "东湖区政务服务中心"
                && !(c.unit_name.is_empty() && c.department_name.as_deref().is_some_and(|d| d.starts_with("东湖区")))
        })
        .collect();
    assert!(foreign.is_empty(), "only the hall's cases: {foreign:?}");

    // A new case in scope and one out of scope appear on the server; only the first is pulled.
    let before = rep.lock().expect("lock").cursor().expect("cursor").expect("some");
    let scope = login.user.scope_path.clone();
    let unit_id = login.user.unit_id;
    db.write_blocking(move |c| {
        for (no, path, unit) in
            [("CP-2026-900001", scope.clone(), unit_id), ("CP-2026-900002", "/1/999/".to_owned(), 1)]
        {
            let row = supervision_case(no, unit, &path, "督查发现：测试");
            let id = cases::insert(c, &row)?;
            changes::republish(c, Entity::Case, id, "2026-11-20T03:00:00Z")?;
        }
        Ok(())
    })
    .expect("server write");
    let applied = pull(&client, &login.token, rep.clone(), 1).await.expect("pull");
    assert_eq!(applied, 1, "only the in-scope change arrives");
    {
        let r = rep.lock().expect("lock");
        assert!(
            r.cursor().expect("cursor").expect("some") > before + 1,
            "the cursor passes the out-of-scope change too"
        );
        let found = r
            .list_cases(&CaseQuery { search: Some("CP-2026-9000".into()), limit: 10, ..CaseQuery::default() })
            .expect("search");
        assert_eq!(found.items.iter().map(|c| c.case_no.as_str()).collect::<Vec<_>>(), vec!["CP-2026-900001"]);
    }
    // A renamed ancestor unit (the district above the hall) reaches the replica too.
    db.write_blocking(|c| {
        let id: i64 = c.query_row("SELECT id FROM org_units WHERE name = '东湖区'", (), |r| r.get(0))?;
        c.execute("UPDATE org_units SET name = '东湖新区' WHERE id = ?1", [id])?;
        changes::republish(c, Entity::OrgUnit, id, "2026-11-20T04:00:00Z")?;
        Ok(())
    })
    .expect("rename");
    pull(&client, &login.token, rep.clone(), 100).await.expect("pull");
    let renamed: i64 = rep
        .lock()
        .expect("lock")
        .conn()
        .query_row("SELECT count(*) FROM org_units WHERE name = '东湖新区'", [], |r| r.get(0))
        .expect("query");
    assert_eq!(renamed, 1, "the ancestor's new name is pulled");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = server(dir.path()).await;
    let client = Client::new(&srv.url()).expect("client");
    assert!(matches!(client.login("donghu.manager", "wrong", None).await, Err(SyncError::AuthFailed(_))));
    assert!(matches!(client.login("nobody", "wrong", None).await, Err(SyncError::AuthFailed(_))));
    assert!(matches!(client.pull("not-a-token", 0, 10).await, Err(SyncError::Unauthorized(_))));
    let login = client.login("xishan.manager", DEMO_PASSWORD, None).await.expect("login");
    client.logout(&login.token).await.expect("logout");
    assert!(matches!(client.me(&login.token).await, Err(SyncError::Unauthorized(_))), "a logged-out token is dead");
    srv.stop().await;
    let err = client.login("donghu.manager", DEMO_PASSWORD, None).await.expect_err("server is down");
    assert!(matches!(err, SyncError::Network(_)) && err.is_transient(), "{err}");
}

/// A TCP relay in front of the real server that cuts each connection after `limit` bytes towards
/// the client: a download broken mid-stream, as on a flaky hall network.
struct Relay {
    url: String,
    limit: Arc<std::sync::atomic::AtomicU64>,
    /// Bytes sent towards clients, over all connections.
    sent: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

async fn relay(upstream: std::net::SocketAddr) -> Relay {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let limit = Arc::new(AtomicU64::new(u64::MAX));
    let sent = Arc::new(AtomicU64::new(0));
    let (l, s) = (limit.clone(), sent.clone());
    let task = tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { continue };
            let cap = l.load(Ordering::SeqCst);
            let sent = s.clone();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                });
                let mut buf = vec![0u8; 16 * 1024];
                let mut passed = 0u64;
                loop {
                    let n = match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let allowed = (cap - passed).min(n as u64) as usize;
                    if cw.write_all(&buf[..allowed]).await.is_err() {
                        break;
                    }
                    passed += allowed as u64;
                    sent.fetch_add(allowed as u64, Ordering::SeqCst);
                    if allowed < n {
                        break;
                    }
                }
                // Dropping both halves resets the connection mid-response.
                up.abort();
            });
        }
    });
    Relay { url, limit, sent, task }
}

fn integrity(rep: &Arc<Mutex<Replica>>) {
    let ok: String =
        rep.lock().expect("lock").conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity");
    assert_eq!(ok, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_bootstrap_resumes_where_it_stopped_and_converges_with_the_server() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server(dir.path()).await;
    let direct = Client::new(&srv.url()).expect("client");
    let login = direct.login("city.supervisor", DEMO_PASSWORD, Some("test")).await.expect("login");
    let scope = login.user.scope_path.clone();
    let relay = relay(srv.addr).await;
    // A new client (connection pool) per attempt: the relay sets each connection's limit when it opens.
    let via_relay = || Client::new(&relay.url).expect("client");
    let opts = BootstrapOptions { chunk_rows: 50, ..BootstrapOptions::default() };

    // A reference download, uninterrupted: how many bytes and rows the whole snapshot takes.
    let reference = Arc::new(Mutex::new(
        Replica::open(&dir.path().join("reference.db"), &ReplicaKey::from_bytes([4; 32])).expect("replica"),
    ));
    let full = bootstrap_with(&via_relay(), &login.token, reference, "2026-11-20T10:00:00Z".into(), &opts, |_| {})
        .await
        .expect("a whole bootstrap");
    let full_bytes = relay.sent.swap(0, Ordering::SeqCst);
    assert!(full.total() > 500, "enough rows for several chunks: {full:?}");

    // The first attempt breaks after half of the bytes.
    relay.limit.store(full_bytes / 2, Ordering::SeqCst);
    let rep = replica(dir.path());
    let first = bootstrap_with(&via_relay(), &login.token, rep.clone(), "2026-11-20T10:00:00Z".into(), &opts, |_| {})
        .await
        .expect_err("the download breaks");
    assert!(first.is_transient(), "a broken download is retried: {first}");
    integrity(&rep);
    let point = rep.lock().expect("lock").resume_point().expect("meta").expect("a place to resume from");
    {
        let r = rep.lock().expect("lock");
        assert_eq!(r.cursor().expect("cursor"), None, "not bootstrapped yet");
        assert_eq!(point.scope, scope);
        assert_eq!(r.counts().expect("counts"), point.kept, "the rows kept are committed with their place");
        assert!(point.rows() > 50 && point.rows() < full.total(), "{} of {} rows kept", point.rows(), full.total());
    }

    // Meanwhile the server changes: a new case in scope, and a rename of a unit the first attempt
    // already kept (org units stream first).
    let unit_id = db
        .read_blocking(|c| c.query_row("SELECT id FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| r.get(0)))
        .expect("hall");
    let new_case = db
        .write_blocking(move |c| {
            let path: String = c.query_row("SELECT path FROM org_units WHERE id = ?1", [unit_id], |r| r.get(0))?;
            let row = supervision_case("CP-2026-910001", unit_id, &path, "督查发现：续传期间新增");
            let id = cases::insert(c, &row)?;
            changes::republish(c, Entity::Case, id, "2026-11-20T03:00:00Z")?;
            c.execute("UPDATE org_units SET name = '东湖区政务大厅' WHERE id = ?1", [unit_id])?;
            changes::republish(c, Entity::OrgUnit, unit_id, "2026-11-20T03:00:01Z")?;
            Ok(id)
        })
        .expect("server changes");

    // The second attempt downloads only the rest and starts counting from the rows kept.
    relay.limit.store(u64::MAX, Ordering::SeqCst);
    relay.sent.store(0, Ordering::SeqCst);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let counts =
        bootstrap_with(&via_relay(), &login.token, rep.clone(), "2026-11-20T10:05:00Z".into(), &opts, move |p| {
            s2.lock().expect("lock").push(p)
        })
        .await
        .expect("the resumed bootstrap");
    let second_bytes = relay.sent.load(Ordering::SeqCst);
    // What the second attempt downloads depends on how many rows the first had committed when
    // its connection broke (fewer when the machine is busy): it must save at least half of what
    // the rows kept weigh.
    let kept = point.rows() as f64 / full.total() as f64;
    assert!(
        (second_bytes as f64) < full_bytes as f64 * (1.0 - kept / 2.0),
        "resumed after {kept:.2} of the rows: {second_bytes} of {full_bytes} bytes downloaded again"
    );
    let seen = seen.lock().expect("lock").clone();
    let first_progress = seen.first().expect("progress");
    assert_eq!(first_progress.resumed_from, Some(point.rows()));
    assert_eq!(first_progress.rows, point.rows(), "rows count from the resume point");
    let last = seen.last().expect("progress");
    assert_eq!(last.phase, "statistics", "the statistics phase comes last: {seen:?}");
    assert_eq!(Some(last.rows), last.total_rows);
    assert!(seen.iter().all(|p| p.rows >= point.rows()));
    {
        let r = rep.lock().expect("lock");
        assert_eq!(r.counts().expect("counts"), counts);
        assert_eq!(r.cursor().expect("cursor"), Some(point.cursor), "the first attempt's cursor, to pull from");
        assert_eq!(r.resume_point().expect("meta"), None);
    }
    integrity(&rep);

    // Pulling from the first attempt's cursor brings what changed in between.
    pull(&direct, &login.token, rep.clone(), 500).await.expect("pull");
    integrity(&rep);
    let server_digest = {
        let scope = scope.clone();
        let role = login.user.role;
        let since = rep.lock().expect("lock").window().expect("window").map(|w| w.since).unwrap_or_default();
        db.read_blocking(move |c| hcp_server::db::digest::scope_digest(c, &scope, role, &since)).expect("digest")
    };
    {
        let r = rep.lock().expect("lock");
        assert_eq!(r.scope_digest().expect("digest"), server_digest, "the replica holds exactly the server's rows");
        assert!(r.case(new_case).expect("case").is_some(), "the case made between the attempts is there");
        assert_eq!(r.unit_name(unit_id).expect("unit").as_deref(), Some("东湖区政务大厅"));
    }
    relay.task.abort();
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_point_of_another_jurisdiction_is_dropped_for_a_fresh_bootstrap() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server(dir.path()).await;
    let direct = Client::new(&srv.url()).expect("client");
    let relay = relay(srv.addr).await;
    let via_relay = || Client::new(&relay.url).expect("client");
    let opts = BootstrapOptions { chunk_rows: 50, ..BootstrapOptions::default() };
    let city = direct.login("city.supervisor", DEMO_PASSWORD, Some("test")).await.expect("login");
    let reference = Arc::new(Mutex::new(
        Replica::open(&dir.path().join("reference.db"), &ReplicaKey::from_bytes([4; 32])).expect("replica"),
    ));
    bootstrap_with(&via_relay(), &city.token, reference, "2026-11-20T10:00:00Z".into(), &opts, |_| {})
        .await
        .expect("a whole bootstrap");
    relay.limit.store(relay.sent.load(Ordering::SeqCst) / 2, Ordering::SeqCst);
    let rep = replica(dir.path());
    bootstrap_with(&via_relay(), &city.token, rep.clone(), "2026-11-20T10:00:00Z".into(), &opts, |_| {})
        .await
        .expect_err("the download breaks");
    assert!(rep.lock().expect("lock").resume_point().expect("meta").is_some());

    // Another user of the same replica file (a narrower jurisdiction): the server sends the whole
    // snapshot, and the replica holds only that jurisdiction afterwards.
    let hall = direct.login("donghu.manager", DEMO_PASSWORD, Some("test")).await.expect("login");
    relay.limit.store(u64::MAX, Ordering::SeqCst);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    bootstrap_with(&via_relay(), &hall.token, rep.clone(), "2026-11-20T10:00:00Z".into(), &opts, move |p| {
        s2.lock().expect("lock").push(p)
    })
    .await
    .expect("bootstrap");
    assert!(seen.lock().expect("lock").iter().all(|p| p.resumed_from.is_none()));
    let (scope, role) = (hall.user.scope_path.clone(), hall.user.role);
    let since = rep.lock().expect("lock").window().expect("window").map(|w| w.since).unwrap_or_default();
    let server_digest =
        db.read_blocking(move |c| hcp_server::db::digest::scope_digest(c, &scope, role, &since)).expect("digest");
    assert_eq!(rep.lock().expect("lock").scope_digest().expect("digest"), server_digest);
    integrity(&rep);
    relay.task.abort();
    srv.stop().await;
}

mod files {
    use hcp_replica::files::{FileStore, CHUNK_SIZE};
    use hcp_replica::NewCommand;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::attachments::{declare_pending, fetch, upload_pending, Files};

    const NOW: &str = "2026-11-20T10:00:00Z";

    fn jpeg(n: usize, seed: u8) -> Vec<u8> {
        let mut v: Vec<u8> = (0..n).map(|i| ((i * 31 + usize::from(seed) * 7) % 251) as u8).collect();
        v[..4].copy_from_slice(&[0xff, 0xd8, 0xff, 0xe0]);
        v
    }

    fn store(dir: &std::path::Path, name: &str) -> Files {
        Arc::new(Mutex::new(FileStore::open(&dir.join(name), &ReplicaKey::from_bytes([3; 32])).expect("files")))
    }

    /// A file captured (and cited by a queued 核实) before the client ever reaches the server: the
    /// command waits for its file's declaration, then both go; another user of the jurisdiction
    /// sees the file in their replica at once and opens it byte-identical (resuming a broken download).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_captured_offline_is_declared_before_the_command_citing_it_and_opens_elsewhere() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (srv, db) = server(dir.path()).await;
        let case_id = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                hcp_server::seed::demo_bad_review(&db, "EV-1", "社会保障卡补换", "材料没有一次性告知")
            })
            .await
            .expect("task")
            .expect("case")
        };
        let client = Client::new(&srv.url()).expect("client");
        let manager = client.login("donghu.manager", DEMO_PASSWORD, Some("m")).await.expect("login");
        let rep = replica(dir.path());
        bootstrap(&client, &manager.token, rep.clone(), NOW.into(), |_| {}).await.expect("bootstrap");
        let version = rep.lock().expect("lock").case(case_id).expect("case").expect("in the replica").version;

        // Offline: the photo is captured and a 核实 citing it is queued.
        let photo = jpeg(2 * CHUNK_SIZE + 777, 5);
        let hash = hex::encode(Sha256::digest(&photo));
        let files = store(dir.path(), "files.db");
        let up = files
            .lock()
            .expect("lock")
            .capture(case_id, "核实照片.jpg", &mut photo.as_slice(), &[], NOW)
            .expect("capture")
            .expect("queued");
        assert_eq!(up.sha256, hash);
        let command = serde_json::json!({"type": "verify", "outcome": "genuine", "reason": "现场核实属实"}).to_string();
        files.lock().expect("lock").cite("cmd-ev-1", case_id, std::slice::from_ref(&hash)).expect("cite");
        rep.lock()
            .expect("lock")
            .enqueue(&NewCommand {
                command_id: "cmd-ev-1",
                case_id: Some(case_id),
                base_version: Some(version),
                kind: "verify",
                command: &command,
                created_at: NOW,
            })
            .expect("enqueue");

        // The server answers: the command waits while its file is not declared…
        let (applied, rejected) =
            push_citing(&client, &manager.token, "m", rep.clone(), Some(files.clone())).await.expect("push");
        assert_eq!((applied, rejected), (0, 0));
        // …and goes, with the hash, once it is.
        assert_eq!(declare_pending(&client, &manager.token, &files, NOW).await.expect("declare"), 1);
        let (applied, rejected) =
            push_citing(&client, &manager.token, "m", rep.clone(), Some(files.clone())).await.expect("push");
        assert_eq!((applied, rejected), (1, 0));
        let data: String = db
            .read_blocking(move |c| {
                c.query_row("SELECT data FROM case_events WHERE case_id = ?1 AND kind = 'verified'", [case_id], |r| {
                    r.get(0)
                })
            })
            .expect("event");
        assert!(data.contains(&hash), "{data}");

        // The bytes follow: chunk by chunk, then complete. Progress is reported.
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let c2 = calls.clone();
        let done = upload_pending(&client, &manager.token, &files, NOW, 500 << 20, move || {
            c2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .expect("upload");
        assert_eq!(done, 1);
        assert!(calls.load(std::sync::atomic::Ordering::Relaxed) >= 3);
        let row = files.lock().expect("lock").upload(case_id, &hash).expect("row").expect("kept");
        assert_eq!((row.state.as_str(), row.uploaded_chunks), ("done", 3));
        // Nothing left to do: a second round sends nothing and changes nothing.
        assert_eq!(upload_pending(&client, &manager.token, &files, NOW, 500 << 20, || {}).await.expect("again"), 0);

        // The supervisor's replica lists the file; the bytes come on demand.
        let supervisor = client.login("donghu.supervisor", DEMO_PASSWORD, Some("s")).await.expect("login");
        let dir2 = tempfile::tempdir().expect("tempdir");
        let rep2 = replica(dir2.path());
        bootstrap(&client, &supervisor.token, rep2.clone(), NOW.into(), |_| {}).await.expect("bootstrap");
        let listed = rep2.lock().expect("lock").attachments_of_case(case_id).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].name.as_str(), listed[0].sha256.as_str()), ("核实照片.jpg", hash.as_str()));
        assert_eq!(listed[0].status, hcp_protocol::AttachmentStatus::Complete);
        assert_eq!(listed[0].mime, "image/jpeg");
        let files2 = store(dir2.path(), "files.db");
        // A download broken after its first chunk resumes from there.
        {
            let mut f = files2.lock().expect("lock");
            assert_eq!(f.download_start(&hash, photo.len() as i64, NOW).expect("start"), 0);
            f.download_put(&hash, 0, &photo[..CHUNK_SIZE]).expect("put");
        }
        let got =
            fetch(&client, &supervisor.token, &files2, &hash, photo.len() as i64, NOW, 500 << 20).await.expect("fetch");
        assert!(got == photo, "byte-identical");
        // Cached: opens without the server.
        drop(srv);
        let again = fetch(&client, &supervisor.token, &files2, &hash, photo.len() as i64, NOW, 500 << 20)
            .await
            .expect("from the cache");
        assert!(again == photo);
    }

    /// A renamed program never reaches the queue; an oversize file is refused by the server's
    /// declaration before any byte is sent, and stays visible as failed with the server's reason.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refusals_are_clear_and_stay_visible() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (srv, db) = server(dir.path()).await;
        let case_id = tokio::task::spawn_blocking(move || {
            hcp_server::seed::demo_bad_review(&db, "EV-2", "社会保障卡补换", "材料没有一次性告知")
        })
        .await
        .expect("task")
        .expect("case");
        let client = Client::new(&srv.url()).expect("client");
        let manager = client.login("donghu.manager", DEMO_PASSWORD, Some("m")).await.expect("login");
        let files = store(dir.path(), "files.db");
        let exe = b"MZ\x90\0\x03\0\0\0 not a photo".to_vec();
        let why = files
            .lock()
            .expect("lock")
            .capture(case_id, "整改照片.jpg", &mut exe.as_slice(), &[], NOW)
            .expect("capture")
            .expect_err("refused");
        assert!(why.contains("可执行程序"), "{why}");
        // The client believed a larger limit than the server's (the server is the judge).
        files
            .lock()
            .expect("lock")
            .set_limits(&hcp_replica::files::Limits { max_file_bytes: 40 << 20, max_case_bytes: 400 << 20 })
            .expect("limits");
        let big = jpeg((20 << 20) + 1, 2);
        let up = files
            .lock()
            .expect("lock")
            .capture(case_id, "大照片.jpg", &mut big.as_slice(), &[], NOW)
            .expect("capture")
            .expect("queued");
        assert_eq!(upload_pending(&client, &manager.token, &files, NOW, 500 << 20, || {}).await.expect("round"), 0);
        let row = files.lock().expect("lock").upload(case_id, &up.sha256).expect("row").expect("kept");
        assert_eq!(row.state, "failed");
        assert!(row.last_error.as_deref().unwrap_or("").contains("超过单个文件上限"), "{row:?}");
        // Retry puts it back in the queue (and it fails again, visibly).
        assert!(files.lock().expect("lock").retry(case_id, &up.sha256).expect("retry"));
        upload_pending(&client, &manager.token, &files, NOW, 500 << 20, || {}).await.expect("round");
        let row = files.lock().expect("lock").upload(case_id, &up.sha256).expect("row").expect("kept");
        assert_eq!((row.state.as_str(), row.attempts), ("failed", 2));
    }
}

mod image;
