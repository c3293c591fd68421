//! Bootstraps from the server's replica image: equal to a streamed one, resumed after a broken
//! download, falling back to the stream when the image is unusable, and never leaving the plain
//! image on disk.

use std::io::Read;
use std::sync::atomic::Ordering;

use super::*;
use hcp_server::replica_image::{ImageConfig, Published};
use sha2::Digest;

const NOW: &str = "2026-11-20T10:00:00Z";

/// A seeded server that keeps replica images of every jurisdiction (no minimum size), built once.
async fn image_server(dir: &std::path::Path) -> (hcp_server::RunningServer, Db, ImageConfig) {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 600, seed: 7, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let cfg = ImageConfig { dir: dir.join("images"), min_rows: 0, ..ImageConfig::default() };
    let mut state = AppState::new(db.clone());
    state.config = Arc::new(hcp_server::Config { replica_images: cfg.clone(), ..hcp_server::Config::default() });
    build_images(&db, &cfg).await;
    let s = hcp_server::spawn(state, "127.0.0.1:0").await.expect("spawn");
    (s, db, cfg)
}

async fn build_images(db: &Db, cfg: &ImageConfig) -> hcp_server::replica_image::PassReport {
    let (db, cfg) = (db.clone(), cfg.clone());
    tokio::task::spawn_blocking(move || hcp_server::replica_image::pass(&db, &cfg, chrono::Utc::now()))
        .await
        .expect("task")
        .expect("images")
}

/// The replica's own folder (each test keeps its replicas in one): file names, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// No plain image and no download of one is left in the folder.
fn clean(dir: &std::path::Path) {
    let names = listing(dir);
    assert!(
        names.iter().all(|n| !n.contains(".image-") && !n.contains(".download-") && !n.contains(".plain")),
        "the plain image and its download are gone: {names:?}"
    );
}

fn open(dir: &std::path::Path, name: &str) -> Arc<Mutex<Replica>> {
    Arc::new(Mutex::new(Replica::open(&dir.join(name), &ReplicaKey::from_bytes([3; 32])).expect("replica")))
}

fn kpis(rep: &Arc<Mutex<Replica>>, scope: &str) -> Vec<hcp_domain::kpi::Kpis> {
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").expect("time").to_utc();
    let r = rep.lock().expect("lock");
    [(2026, 9), (2026, 10), (2026, 11)]
        .into_iter()
        .map(|(y, m)| {
            let period = hcp_domain::kpi::Period::month(y, m).expect("period");
            r.kpis(scope, hcp_domain::kpi::Subject::All, &period, as_of).expect("kpis")
        })
        .collect()
}

/// A new supervision case in `scope`, recorded in the feed: a change after the image's cursor.
fn new_case(db: &Db, scope: &str, unit_id: i64, no: &str) {
    let (scope, no) = (scope.to_owned(), no.to_owned());
    db.write_blocking(move |c| {
        let row = super::supervision_case(&no, unit_id, &scope, "督查发现：镜像之后的新工单");
        let id = cases::insert(c, &row)?;
        changes::republish(c, Entity::Case, id, "2026-11-20T03:00:00Z")?;
        Ok(())
    })
    .expect("server write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_bootstrap_equals_a_streamed_one_and_pulls_what_changed_after_the_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db, _cfg) = image_server(dir.path()).await;
    let client = Client::new(&srv.url()).expect("client");
    let login = client.login("city.supervisor", DEMO_PASSWORD, Some("test")).await.expect("login");
    let scope = login.user.scope_path.clone();
    let info = client.image_info(&login.token).await.expect("info").expect("an image of the city");
    // Changed on the server after the image was built.
    new_case(&db, &scope, login.user.unit_id, "CP-2026-910001");

    let replicas = dir.path().join("laptop");
    std::fs::create_dir_all(&replicas).expect("dir");
    let streamed = open(&replicas, "streamed.db");
    let no_image = BootstrapOptions { image: false, ..BootstrapOptions::default() };
    let expected = bootstrap_with(&client, &login.token, streamed.clone(), NOW.into(), &no_image, |_| {})
        .await
        .expect("streamed bootstrap");

    let rep = open(&replicas, "replica.db");
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p2 = progress.clone();
    let held = bootstrap(&client, &login.token, rep.clone(), NOW.into(), move |p| p2.lock().expect("lock").push(p))
        .await
        .expect("image bootstrap");
    // The image predates the new case; the pull after it brought the case.
    assert_eq!(held, info.counts);
    assert_eq!(held.case + 1, expected.case);
    let last = progress.lock().expect("lock").last().cloned().expect("progress");
    assert_eq!((Some(last.rows), last.bytes), (last.total_rows, info.size));

    let (a, b) = (streamed.lock().expect("lock"), rep.lock().expect("lock"));
    assert_eq!(b.counts().expect("counts"), a.counts().expect("counts"));
    assert_eq!(b.scope_digest().expect("digest"), a.scope_digest().expect("digest"));
    assert_eq!(b.cursor().expect("cursor"), a.cursor().expect("cursor"));
    assert!(b.cursor().expect("cursor") > Some(info.cursor));
    assert_eq!(b.scope().expect("scope"), Some(scope.clone()));
    let page = b
        .list_cases(&CaseQuery { search: Some("镜像之后".into()), limit: 10, ..CaseQuery::default() })
        .expect("search");
    assert_eq!(page.total, 1, "the case made after the image arrived by pull and is searchable");
    drop((a, b));
    assert_eq!(kpis(&rep, &scope), kpis(&streamed, &scope));
    assert!(kpis(&rep, &scope).iter().any(|k| k.rated > 0));
    integrity(&rep);
    clean(&replicas);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_image_download_resumes_and_an_unusable_image_falls_back_to_the_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db, cfg) = image_server(dir.path()).await;
    let direct = Client::new(&srv.url()).expect("client");
    let login = direct.login("city.supervisor", DEMO_PASSWORD, Some("test")).await.expect("login");
    let scope = login.user.scope_path.clone();
    let info = direct.image_info(&login.token).await.expect("info").expect("an image");
    let relay = relay(srv.addr).await;
    let via_relay = || Client::new(&relay.url).expect("client");
    let replicas = dir.path().join("laptop");
    std::fs::create_dir_all(&replicas).expect("dir");

    // The connection breaks halfway through the image.
    relay.limit.store(info.size / 2, Ordering::SeqCst);
    let rep = open(&replicas, "replica.db");
    let err =
        bootstrap(&via_relay(), &login.token, rep.clone(), NOW.into(), |_| {}).await.expect_err("the download breaks");
    assert!(err.is_transient(), "retried later: {err}");
    assert_eq!(rep.lock().expect("lock").cursor().expect("cursor"), None, "not bootstrapped");
    let part = crate::image::part_path(&replicas.join("replica.db"), &info.sha256);
    let kept = std::fs::metadata(&part).expect("the partial download is kept to resume").len();
    assert!(kept > 0 && kept < info.size, "{kept} of {}", info.size);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&part).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the user may read the download");
    }
    assert!(listing(&replicas).iter().all(|n| !n.contains(".plain")), "nothing decompressed yet");

    // The next attempt asks only for the rest.
    relay.limit.store(u64::MAX, Ordering::SeqCst);
    relay.sent.store(0, Ordering::SeqCst);
    let held = bootstrap(&via_relay(), &login.token, rep.clone(), NOW.into(), |_| {}).await.expect("resumed");
    assert_eq!(held, info.counts);
    let second = relay.sent.load(Ordering::SeqCst);
    assert!(second < info.size - kept + 64 * 1024, "only the rest was sent again: {second} bytes");
    integrity(&rep);
    clean(&replicas);
    let reference = rep.lock().expect("lock").scope_digest().expect("digest");

    // Bytes that do not match the image's SHA-256: the stream instead.
    let published: Published = serde_json::from_str(
        &std::fs::read_to_string(
            std::fs::read_dir(&cfg.dir)
                .expect("images")
                .flatten()
                .find_map(|e| {
                    let p = e.path();
                    let text =
                        std::fs::read_to_string(&p).ok().filter(|_| p.extension().is_some_and(|x| x == "json"))?;
                    let p: Published = serde_json::from_str(&text).ok()?;
                    (p.info.sha256 == info.sha256).then_some(e.path())
                })
                .expect("the city's image description"),
        )
        .expect("read"),
    )
    .expect("json");
    let file = cfg.dir.join(&published.file);
    let good = std::fs::read(&file).expect("image");
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    std::fs::write(&file, &bad).expect("corrupt");
    let rep2 = open(&replicas, "second.db");
    bootstrap(&direct, &login.token, rep2.clone(), NOW.into(), |_| {}).await.expect("the stream instead");
    assert_eq!(rep2.lock().expect("lock").scope_digest().expect("digest"), reference);
    clean(&replicas);

    // A download that checks out but is no replica (decompressed, then refused by the import):
    // the plain file it was decompressed into is deleted too, and the stream takes over.
    let mut plain = Vec::new();
    zstd::Decoder::new(&good[..]).expect("zstd").read_to_end(&mut plain).expect("decompress");
    plain.truncate(plain.len() / 3);
    let broken = zstd::encode_all(&plain[..], 1).expect("compress");
    std::fs::write(&file, &broken).expect("write");
    let info_path = std::fs::read_dir(&cfg.dir)
        .expect("images")
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&info.sha256)))
        .expect("description");
    let mut changed = published.clone();
    changed.info.sha256 = hex::encode(sha2::Sha256::digest(&broken));
    changed.info.size = broken.len() as u64;
    std::fs::write(&info_path, serde_json::to_vec(&changed).expect("json")).expect("write");
    let rep3 = open(&replicas, "third.db");
    bootstrap(&direct, &login.token, rep3.clone(), NOW.into(), |_| {}).await.expect("the stream instead");
    assert_eq!(rep3.lock().expect("lock").scope_digest().expect("digest"), reference);
    integrity(&rep3);
    clean(&replicas);

    // The next pass of the builder replaces an image whose description is gone.
    std::fs::remove_file(&info_path).expect("remove");
    assert_eq!(build_images(&db, &cfg).await.built, 1);
    let info = direct.image_info(&login.token).await.expect("info").expect("rebuilt");
    assert_eq!(info.scope_path, scope);
}
