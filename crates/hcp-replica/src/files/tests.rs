use super::*;

fn store(dir: &Path) -> FileStore {
    FileStore::open(&dir.join("files.db"), &ReplicaKey::from_bytes([9; 32])).expect("open")
}

/// A JPEG-looking content of `len` bytes with a marker repeated in it.
fn photo(len: usize, marker: &[u8]) -> Vec<u8> {
    let mut v = b"\xff\xd8\xff\xe0\x00\x10JFIF".to_vec();
    while v.len() < len {
        v.extend_from_slice(marker);
    }
    v.truncate(len);
    v
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

const NOW: &str = "2026-12-01T10:00:00Z";

#[test]
fn a_captured_file_is_queued_whole_and_never_plain_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = b"PLAIN-MARKER-7f3a";
    let bytes = photo(CHUNK_SIZE * 2 + 123, marker);
    let mut s = store(dir.path());
    let up = s.capture(7, "C:\\照片\\窗口.jpg", &mut bytes.as_slice(), &[], NOW).expect("capture").expect("queued");
    assert_eq!(up.name, "窗口.jpg");
    assert_eq!((up.size, up.chunks, up.mime.as_str()), (bytes.len() as i64, 3, "image/jpeg"));
    assert_eq!(up.sha256, sha(&bytes));
    assert_eq!(up.state, uploads::PENDING);
    assert_eq!(
        s.read_range(&up.sha256, CHUNK_SIZE as i64 - 5, 10).expect("read"),
        Some(bytes[CHUNK_SIZE - 5..CHUNK_SIZE + 5].to_vec())
    );
    assert_eq!(s.read_all(&up.sha256, NOW).expect("read"), Some(bytes.clone()));
    // The same file again: the same row, no duplicate.
    let again = s.capture(7, "窗口.jpg", &mut bytes.as_slice(), &[], NOW).expect("capture").expect("queued");
    assert_eq!(again.id, up.id);
    assert_eq!(s.uploads_of_case(7).expect("list").len(), 1);
    drop(s);
    let folder = chunks::dir_of(&dir.path().join("files.db"));
    assert_eq!(std::fs::read_dir(&folder).expect("the chunk folder").count(), 3, "three chunks, stored once");
    let files = std::fs::read_dir(dir.path()).expect("dir").chain(std::fs::read_dir(&folder).expect("dir"));
    for path in files.map(|e| e.expect("entry").path()).filter(|p| p.is_file()) {
        let data = std::fs::read(&path).expect("read");
        assert!(!data.windows(marker.len()).any(|w| w == marker), "plain bytes in {}", path.display());
    }
    // The wrong key does not open it.
    assert!(matches!(
        FileStore::open(&dir.path().join("files.db"), &ReplicaKey::from_bytes([1; 32])),
        Err(ReplicaError::BadKey)
    ));
}

#[test]
fn refused_files_leave_nothing_behind_with_a_clear_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = store(dir.path());
    let exe = b"MZ\x90\0\x03\0\0\0 renamed program".to_vec();
    let why = s.capture(1, "整改照片.jpg", &mut exe.as_slice(), &[], NOW).expect("capture").expect_err("refused");
    assert!(why.contains("可执行程序"), "{why}");
    let zip = b"PK\x03\x04....readme.txt....PK\x05\x06".to_vec();
    let why = s.capture(1, "材料.docx", &mut zip.as_slice(), &[], NOW).expect("capture").expect_err("refused");
    assert!(why.contains("压缩包"), "{why}");
    let why = s.capture(1, "空.pdf", &mut [].as_slice(), &[], NOW).expect("capture").expect_err("refused");
    assert!(why.contains("空"), "{why}");
    s.set_limits(&Limits { max_file_bytes: 3 << 20, max_case_bytes: 5 << 20 }).expect("limits");
    let big = photo((3 << 20) + 1, b"x");
    let why = s.capture(1, "大.jpg", &mut big.as_slice(), &[], NOW).expect("capture").expect_err("refused");
    assert!(why.contains("超过单个文件上限 3.0 MB"), "{why}");
    // Per case: 2 MB on the server plus 2 MB queued here, a third of 2 MB is over 5 MB.
    let on_server = vec![("a".repeat(64), 2 << 20)];
    let two = photo(2 << 20, b"y");
    s.capture(1, "一.jpg", &mut two.as_slice(), &on_server, NOW).expect("capture").expect("queued");
    let other = photo(2 << 20, b"z");
    let why = s.capture(1, "二.jpg", &mut other.as_slice(), &on_server, NOW).expect("capture").expect_err("refused");
    assert!(why.contains("每个案件 5.0 MB 的上限"), "{why}");
    // Another case has its own budget.
    s.capture(2, "二.jpg", &mut other.as_slice(), &[], NOW).expect("capture").expect("queued");
    let held: i64 =
        s.conn().query_row("SELECT count(*) FROM chunks WHERE sha256 = ?1", [CAPTURING], |r| r.get(0)).expect("count");
    assert_eq!(held, 0);
    assert_eq!(s.pending_uploads().expect("pending").len(), 2);
}

#[test]
fn a_command_waits_for_the_declarations_of_the_files_it_cites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = store(dir.path());
    let bytes = photo(1000, b"q");
    let up = s.capture(3, "a.jpg", &mut bytes.as_slice(), &[], NOW).expect("capture").expect("queued");
    s.cite("cmd-1", 3, std::slice::from_ref(&up.sha256)).expect("cite");
    assert_eq!(s.citation("cmd-1").expect("citation"), None);
    s.set_declared(up.id, NOW).expect("declared");
    assert_eq!(s.citation("cmd-1").expect("citation"), Some(vec![up.sha256.clone()]));
    assert_eq!(s.citation("other").expect("citation"), Some(vec![]));
    s.forget_citations(&|id| id != "cmd-1").expect("forget");
    assert_eq!(s.citation("cmd-1").expect("citation"), Some(vec![]));
    // Done: the bytes move to the cache; removing the row keeps them there.
    s.upload_done(up.id, NOW, DEFAULT_CACHE_CAP).expect("done");
    assert!(s.cached(&up.sha256).expect("cached"));
    s.remove(3, &up.sha256).expect("remove").expect("row");
    assert_eq!(s.read_all(&up.sha256, NOW).expect("read"), Some(bytes));
}

#[test]
fn downloads_resume_from_whole_chunks_are_checked_and_the_cache_is_capped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = store(dir.path());
    let a = photo(CHUNK_SIZE + 10, b"a");
    let sa = sha(&a);
    assert_eq!(s.download_start(&sa, a.len() as i64, NOW).expect("start"), 0);
    s.download_put(&sa, 0, &a[..CHUNK_SIZE]).expect("put");
    // Interrupted here; the next attempt resumes after the first chunk.
    assert_eq!(s.download_start(&sa, a.len() as i64, NOW).expect("start"), CHUNK_SIZE as i64);
    assert!(!s.holds(&sa).expect("holds"), "a partial download is not readable");
    s.download_put(&sa, 1, &a[CHUNK_SIZE..]).expect("put");
    assert!(s.download_finish(&sa, "2026-12-01T10:00:01Z", DEFAULT_CACHE_CAP).expect("finish"));
    assert_eq!(s.read_all(&sa, NOW).expect("read"), Some(a.clone()));
    // Bytes that do not match the hash are dropped.
    let b = photo(500, b"b");
    let sb = sha(&b);
    s.download_start(&sb, 500, NOW).expect("start");
    s.download_put(&sb, 0, &photo(500, b"c")).expect("put");
    assert!(!s.download_finish(&sb, NOW, DEFAULT_CACHE_CAP).expect("finish"));
    assert!(!s.holds(&sb).expect("holds"));
    assert_eq!(chunks::held(s.conn(), &sb).expect("held"), (0, 0));
    // Over the cap: the least recently opened goes first.
    let c = photo(CHUNK_SIZE, b"c");
    let sc = sha(&c);
    s.download_start(&sc, c.len() as i64, NOW).expect("start");
    s.download_put(&sc, 0, &c).expect("put");
    assert!(s.download_finish(&sc, "2026-12-01T11:00:00Z", CHUNK_SIZE as i64 + 20).expect("finish"));
    assert!(!s.cached(&sa).expect("cached"), "the older entry was evicted");
    assert!(s.cached(&sc).expect("cached"));
    assert_eq!(chunks::held(s.conn(), &sa).expect("held"), (0, 0));
}

#[test]
fn an_uploaded_file_stays_readable_until_the_cache_evicts_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = store(dir.path());
    let a = photo(CHUNK_SIZE, b"u");
    let up = s.capture(1, "a.jpg", &mut a.as_slice(), &[], NOW).expect("capture").expect("queued");
    s.set_declared(up.id, NOW).expect("declared");
    s.upload_done(up.id, NOW, DEFAULT_CACHE_CAP).expect("done");
    assert!(s.holds(&up.sha256).expect("holds"));
    // A newer download over the cap evicts the uploaded file's bytes; its row stays, done.
    let b = photo(CHUNK_SIZE, b"v");
    let sb = sha(&b);
    s.download_start(&sb, b.len() as i64, "2026-12-02T00:00:00Z").expect("start");
    s.download_put(&sb, 0, &b).expect("put");
    assert!(s.download_finish(&sb, "2026-12-02T00:00:00Z", CHUNK_SIZE as i64).expect("finish"));
    assert!(!s.holds(&up.sha256).expect("holds"), "evicted");
    assert_eq!(chunks::held(s.conn(), &up.sha256).expect("held"), (0, 0));
    assert_eq!(s.upload(1, &up.sha256).expect("row").expect("kept").state, uploads::DONE);
    assert_eq!(s.read_all(&up.sha256, NOW).expect("read"), None);
}

#[test]
fn a_store_made_by_the_first_version_moves_its_bytes_into_sealed_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("files.db");
    let key = ReplicaKey::from_bytes([9; 32]);
    let bytes = photo(CHUNK_SIZE + 77, b"legacy-marker-5d1e");
    let digest = sha(&bytes);
    // The first version: the chunks' bytes in the table.
    {
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex())).expect("key");
        conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
        conn.execute_batch(&format!(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE chunks (sha256 TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,
                 PRIMARY KEY (sha256, idx)) WITHOUT ROWID;
             {}{}{}
             PRAGMA user_version = 1;",
            uploads::DDL,
            cache::DDL,
            citations::DDL
        ))
        .expect("schema 1");
        for (i, c) in bytes.chunks(CHUNK_SIZE).enumerate() {
            conn.execute(
                "INSERT INTO chunks (sha256, idx, data) VALUES (?1, ?2, ?3)",
                rusqlite::params![digest, i as i64, c],
            )
            .expect("chunk");
        }
        uploads::insert(&conn, &digest, 7, "窗口.jpg", bytes.len() as i64, "image/jpeg", 2, NOW).expect("queued");
    }
    let s = store(dir.path());
    let queued = s.uploads_of_case(7).expect("list");
    assert_eq!(queued.len(), 1);
    assert_eq!(s.read_all(&digest, NOW).expect("read"), Some(bytes.clone()));
    let version: i64 = s.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(std::fs::read_dir(chunks::dir_of(&path)).expect("the chunk folder").count(), 2, "two sealed chunks");
    drop(s);
    // Sealed: no plain bytes in any file.
    let marker = b"legacy-marker-5d1e";
    for entry in std::fs::read_dir(chunks::dir_of(&path)).expect("dir") {
        let data = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(!data.windows(marker.len()).any(|w| w == marker), "plain bytes on disk");
    }
    // Opened again: nothing moves twice.
    let s = store(dir.path());
    assert_eq!(s.read_all(&digest, NOW).expect("read"), Some(bytes));
}

#[test]
fn chunk_files_that_lose_their_row_or_are_altered_or_swapped_never_pass_for_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("files.db");
    let (a, b) = (photo(CHUNK_SIZE + 10, b"a"), photo(CHUNK_SIZE + 20, b"b"));
    let mut s = store(dir.path());
    let ua = s.capture(1, "a.jpg", &mut a.as_slice(), &[], NOW).expect("capture").expect("queued");
    let ub = s.capture(1, "b.jpg", &mut b.as_slice(), &[], NOW).expect("capture").expect("queued");
    let file_of = |s: &FileStore, sha: &str, idx: i64| -> String {
        s.conn()
            .query_row("SELECT file FROM chunks WHERE sha256 = ?1 AND idx = ?2", rusqlite::params![sha, idx], |r| {
                r.get(0)
            })
            .expect("file")
    };
    let folder = chunks::dir_of(&path);
    // A stray file (a crash between a file's write and its row's commit) goes at the next opening.
    std::fs::write(folder.join("0123456789abcdef0123456789abcdef"), b"stray").expect("stray");
    drop(s);
    let mut s = store(dir.path());
    assert!(!folder.join("0123456789abcdef0123456789abcdef").exists());
    assert_eq!(std::fs::read_dir(&folder).expect("dir").count(), 4);
    // One chunk's file put in another's place does not open there.
    let (fa, fb) = (file_of(&s, &ua.sha256, 1), file_of(&s, &ub.sha256, 1));
    std::fs::copy(folder.join(&fb), folder.join(&fa)).expect("swap");
    assert_eq!(s.read_range(&ua.sha256, CHUNK_SIZE as i64, 10).expect("read"), None);
    // One altered bit does not open either.
    let f0 = folder.join(file_of(&s, &ub.sha256, 0));
    let mut raw = std::fs::read(&f0).expect("read");
    raw[100] ^= 1;
    std::fs::write(&f0, raw).expect("write");
    assert_eq!(s.read_range(&ub.sha256, 0, 10).expect("read"), None);
    // Removing the files of a content removes their chunk files with their rows.
    s.remove(1, &ua.sha256).expect("remove");
    s.remove(1, &ub.sha256).expect("remove");
    assert_eq!(std::fs::read_dir(&folder).expect("dir").count(), 0);
    let doomed: i64 = s.conn().query_row("SELECT count(*) FROM doomed", [], |r| r.get(0)).expect("doomed");
    assert_eq!(doomed, 0);
    // Erasing the store takes the folder too.
    drop(s);
    FileStore::destroy(&path);
    assert!(!path.exists() && !folder.exists());
}
