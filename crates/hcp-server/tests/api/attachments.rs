//! Evidence files on cases: declared, sent in chunks (an interrupted upload resumes), checked
//! against their hash and type, downloaded whole or by range within the jurisdiction only, listed
//! in the other users' feeds at once, and re-hashed by the evidence verification.

use hcp_server::testing::Backend;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{spawn_app, TestApp};

const CHUNK: usize = 1 << 20;

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `n` bytes that start like a JPEG and are not all alike.
fn jpeg(n: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..n).map(|i| ((i * 31 + usize::from(seed) * 7) % 251) as u8).collect();
    v[..4].copy_from_slice(&[0xff, 0xd8, 0xff, 0xe0]);
    v
}

impl TestApp {
    async fn put_chunk(&self, token: &str, sha256: &str, index: usize, bytes: &[u8]) -> (u16, Value) {
        let r = self
            .http
            .put(self.url(&format!("/api/v1/attachments/{sha256}/chunks/{index}")))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("put");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn download(
        &self,
        token: &str,
        sha256: &str,
        range: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.http.get(self.url(&format!("/api/v1/attachments/{sha256}"))).bearer_auth(token);
        if let Some(r) = range {
            req = req.header("range", r);
        }
        let r = req.send().await.expect("download");
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.bytes().await.expect("body").to_vec())
    }

    /// A case in 西山区: a bad review at its hall (posted by `root`) opens one.
    async fn xishan_case(&self, root: &str, record_no: &str) -> i64 {
        let (_, xishan_code) = self.unit_of("西山区政务服务中心").await;
        let (status, intake) = self
            .post(
                root,
                "/api/v1/intake/ratings",
                json!({"ratings": [{"source": "proof", "service_record_no": record_no,
                "unit_code": xishan_code, "item_code": "X-1", "item_name": "居民身份证换领", "channel": 4,
                "level": "very_dissatisfied", "comment": "窗口推诿", "rated_at": "2026-11-20T09:30:00+08:00"}]}),
            )
            .await;
        assert_eq!(status, 200, "{intake}");
        intake["results"][0]["case_id"].as_i64().expect("a case in 西山区")
    }

    async fn feed_head(&self) -> i64 {
        self.db
            .read(|c| c.query_row("SELECT coalesce(max(seq), 0) FROM changes", (), |r| r.get(0)))
            .await
            .expect("head")
    }

    /// The attachment rows a user's pull feed carries after `after`.
    async fn attachments_pulled(&self, token: &str, after: i64) -> Vec<Value> {
        let (status, page) = self.get(token, &format!("/api/v1/sync/pull?after={after}&limit=1000")).await;
        assert_eq!(status, 200, "{page}");
        page["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter(|c| c["entity"] == "attachment" && c["op"] == "upsert")
            .map(|c| c["row"]["row"].clone())
            .collect()
    }
}

pub async fn attach_uploads_resume_download_byte_identical_by_range_and_stay_in_the_jurisdiction(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let supervisor = app.token("donghu.supervisor").await;
    let foreign = app.token("xishan.manager").await;
    let (case_id, _) = app.new_case("ATT-1").await;
    let head = app.feed_head().await;

    let content = jpeg(2 * CHUNK + 12_345, 1);
    let hash = sha(&content);
    let (status, row) = app
        .post(
            &manager,
            "/api/v1/attachments",
            json!({"case_id": case_id, "sha256": hash, "name": "整改后窗口.jpg", "size": content.len()}),
        )
        .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["name"], "整改后窗口.jpg");
    assert_eq!(row["uploaded_by_name"], "王主任", "{row}");
    // Declared again (a retry after a lost answer): the same row.
    let (status, again) = app
        .post(
            &manager,
            "/api/v1/attachments",
            json!({"case_id": case_id, "sha256": hash, "name": "整改后窗口.jpg", "size": content.len()}),
        )
        .await;
    assert_eq!((status, &again["id"]), (200, &row["id"]));

    // The other user's feed lists the file at once, before its bytes.
    let seen = app.attachments_pulled(&supervisor, head).await;
    assert!(seen.iter().any(|r| r["sha256"] == hash.as_str() && r["status"] == "pending"), "{seen:?}");

    // The first chunk arrives, then the connection drops: the server says what it holds.
    let (status, p) = app.put_chunk(&manager, &hash, 0, &content[..CHUNK]).await;
    assert_eq!(status, 200, "{p}");
    let (status, p) = app.get(&manager, &format!("/api/v1/attachments/{hash}/chunks")).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["received"], json!([0]));
    assert_eq!(p["chunks"], 3);
    // Completing too early, or a chunk of the wrong length, is refused without harm.
    let (status, early) = app.post(&manager, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await;
    assert_eq!(status, 409, "{early}");
    assert!(early["message"].as_str().unwrap_or("").contains("还缺 2 块"), "{early}");
    let (status, short) = app.put_chunk(&manager, &hash, 1, &content[CHUNK..CHUNK + 10]).await;
    assert_eq!(status, 422, "{short}");
    let (status, beyond) = app.put_chunk(&manager, &hash, 3, b"x").await;
    assert_eq!(status, 422, "{beyond}");
    // The upload resumes with what is missing (in any order); a chunk sent twice is harmless.
    for i in [2usize, 1, 1] {
        let end = ((i + 1) * CHUNK).min(content.len());
        let (status, p) = app.put_chunk(&manager, &hash, i, &content[i * CHUNK..end]).await;
        assert_eq!(status, 200, "{p}");
    }
    let (status, done) = app.post(&manager, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "complete");
    let chunk_rows: i64 = {
        let h = hash.clone();
        app.db
            .read(move |c| c.query_row("SELECT count(*) FROM attachment_chunks WHERE sha256 = ?1", [h], |r| r.get(0)))
            .await
            .expect("count")
    };
    assert_eq!(chunk_rows, 3, "no duplicate chunk rows");

    // Downloaded whole by another user of the jurisdiction: byte-identical, typed by content.
    let (status, headers, bytes) = app.download(&supervisor, &hash, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(bytes.len(), content.len());
    assert!(bytes == content, "the download is byte-identical");
    // Ranges: across a chunk boundary, the tail, and past the end.
    let (status, headers, part) = app.download(&supervisor, &hash, Some("bytes=1048570-1048585")).await;
    assert_eq!(status, 206);
    assert_eq!(headers["content-range"], format!("bytes 1048570-1048585/{}", content.len()).as_str());
    assert_eq!(part, content[1_048_570..=1_048_585]);
    let (status, _, tail) = app.download(&supervisor, &hash, Some("bytes=-10")).await;
    assert_eq!((status, tail.as_slice()), (206, &content[content.len() - 10..]));
    let (status, _, resumed) = app.download(&supervisor, &hash, Some(&format!("bytes={}-", CHUNK + 7))).await;
    assert_eq!((status, resumed.as_slice()), (206, &content[CHUNK + 7..]));
    let (status, headers, _) = app.download(&supervisor, &hash, Some(&format!("bytes={}-", content.len()))).await;
    assert_eq!(status, 416);
    assert_eq!(headers["content-range"], format!("bytes */{}", content.len()).as_str());

    // Every download is in the audit log.
    let downloads: i64 = app
        .db
        .read(|c| c.query_row("SELECT count(*) FROM audit_log WHERE action = 'attachment.download'", (), |r| r.get(0)))
        .await
        .expect("audit");
    assert_eq!(downloads, 4);

    // The completed state reaches the feed; another district sees neither the row nor the bytes.
    let seen = app.attachments_pulled(&supervisor, head).await;
    assert!(
        seen.iter().any(|r| r["sha256"] == hash.as_str() && r["status"] == "complete" && r["mime"] == "image/jpeg"),
        "{seen:?}"
    );
    assert!(app.attachments_pulled(&foreign, head).await.is_empty());
    let (status, _, body) = app.download(&foreign, &hash, None).await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    let (status, _) = app.get(&foreign, &format!("/api/v1/attachments/{hash}/chunks")).await;
    assert_eq!(status, 404);
    let (status, _) = app.put_chunk(&foreign, &hash, 0, &content[..CHUNK]).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .post(
            &foreign,
            "/api/v1/attachments",
            json!({"case_id": case_id, "sha256": hash, "name": "x.jpg", "size": content.len()}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    app.server.stop().await;
}

pub async fn attach_refuses_renamed_programs_oversize_files_and_wrong_content(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let (case_id, _) = app.new_case("ATT-2").await;
    let declare = |sha256: String, name: &str, size: usize| json!({"case_id": case_id, "sha256": sha256, "name": name, "size": size});

    // Over the per-file limit: refused before any byte, in Chinese.
    let (status, big) =
        app.post(&manager, "/api/v1/attachments", declare("a".repeat(64), "扫描件.pdf", 25 << 20)).await;
    assert_eq!(status, 413, "{big}");
    assert_eq!(big["code"], "too_large");
    assert!(big["message"].as_str().unwrap_or("").contains("超过单个文件上限 20.0 MB"), "{big}");
    // Over the per-case limit: ten files of 19 MB are 190 MB; the eleventh is refused.
    for i in 0..10 {
        let (status, r) =
            app.post(&manager, "/api/v1/attachments", declare(format!("{:064x}", i + 1), "照片.jpg", 19 << 20)).await;
        assert_eq!(status, 200, "{r}");
    }
    let (status, full) =
        app.post(&manager, "/api/v1/attachments", declare(format!("{:064x}", 99), "照片.jpg", 19 << 20)).await;
    assert_eq!(status, 413, "{full}");
    assert!(full["message"].as_str().unwrap_or("").contains("每个案件"), "{full}");

    let (other_case, _) = app.new_case("ATT-3").await;
    let declare_on = |case: i64, sha256: &str, name: &str, size: usize| json!({"case_id": case, "sha256": sha256, "name": name, "size": size});
    // A program renamed to .jpg: refused on its first chunk, on every case, with a clear message.
    let mut program = vec![0u8; 4096];
    program[..4].copy_from_slice(b"MZ\x90\0");
    let program_hash = sha(&program);
    let (status, r) = app
        .post(&manager, "/api/v1/attachments", declare_on(other_case, &program_hash, "现场照片.jpg", program.len()))
        .await;
    assert_eq!(status, 200, "{r}");
    let (status, refused) = app.put_chunk(&manager, &program_hash, 0, &program).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["message"].as_str().unwrap_or("").contains("可执行程序"), "{refused}");
    let (status, p) = app.get(&manager, &format!("/api/v1/attachments/{program_hash}/chunks")).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!((p["status"].as_str(), p["received"].as_array().map(Vec::len)), (Some("refused"), Some(0)));
    let (status, again) = app
        .post(&manager, "/api/v1/attachments", declare_on(other_case, &program_hash, "再试.jpg", program.len()))
        .await;
    assert_eq!((status, again["status"].as_str()), (200, Some("refused")), "{again}");
    let (status, _, _) = app.download(&manager, &program_hash, None).await;
    assert_eq!(status, 409);
    // An ELF binary likewise.
    let mut elf = vec![1u8; 2000];
    elf[..4].copy_from_slice(b"\x7fELF");
    let elf_hash = sha(&elf);
    let (status, _) =
        app.post(&manager, "/api/v1/attachments", declare_on(other_case, &elf_hash, "a.pdf", elf.len())).await;
    assert_eq!(status, 200);
    let (status, _) = app.put_chunk(&manager, &elf_hash, 0, &elf).await;
    assert_eq!(status, 422);

    // A ZIP that is neither OFD nor Office: refused when complete.
    let mut zip = b"PK\x03\x04\x14\0\0\0\0\0readme.txt".to_vec();
    zip.resize(3000, b'z');
    let zip_hash = sha(&zip);
    let (status, _) =
        app.post(&manager, "/api/v1/attachments", declare_on(other_case, &zip_hash, "决定书.docx", zip.len())).await;
    assert_eq!(status, 200);
    assert_eq!(app.put_chunk(&manager, &zip_hash, 0, &zip).await.0, 200);
    let (status, r) = app.post(&manager, &format!("/api/v1/attachments/{zip_hash}/complete"), json!({})).await;
    assert_eq!(status, 422, "{r}");
    // An OFD (a ZIP holding OFD.xml) is accepted.
    let mut ofd = b"PK\x03\x04\x14\0\0\0\0\0OFD.xml<ofd:OFD/>".to_vec();
    ofd.resize(3000, b'o');
    let ofd_hash = sha(&ofd);
    let (status, _) =
        app.post(&manager, "/api/v1/attachments", declare_on(other_case, &ofd_hash, "问责决定书.ofd", ofd.len())).await;
    assert_eq!(status, 200);
    assert_eq!(app.put_chunk(&manager, &ofd_hash, 0, &ofd).await.0, 200);
    let (status, r) = app.post(&manager, &format!("/api/v1/attachments/{ofd_hash}/complete"), json!({})).await;
    assert_eq!(status, 200, "{r}");

    // Bytes that are not the declared content: dropped at completion, then sent right.
    let pdf = {
        let mut v = b"%PDF-1.7\n".to_vec();
        v.resize(5000, b'p');
        v
    };
    let mut wrong = pdf.clone();
    wrong[4000] = b'q';
    let pdf_hash = sha(&pdf);
    let (status, _) =
        app.post(&manager, "/api/v1/attachments", declare_on(other_case, &pdf_hash, "回访记录.pdf", pdf.len())).await;
    assert_eq!(status, 200);
    assert_eq!(app.put_chunk(&manager, &pdf_hash, 0, &wrong).await.0, 200);
    let (status, r) = app.post(&manager, &format!("/api/v1/attachments/{pdf_hash}/complete"), json!({})).await;
    assert_eq!(status, 422, "{r}");
    assert!(r["message"].as_str().unwrap_or("").contains("SHA-256 不符"), "{r}");
    let (_, p) = app.get(&manager, &format!("/api/v1/attachments/{pdf_hash}/chunks")).await;
    assert_eq!(p["received"], json!([]));
    assert_eq!(app.put_chunk(&manager, &pdf_hash, 0, &pdf).await.0, 200);
    let (status, r) = app.post(&manager, &format!("/api/v1/attachments/{pdf_hash}/complete"), json!({})).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("complete")), "{r}");

    // Malformed requests: clear 422s.
    let (status, _) = app.post(&manager, "/api/v1/attachments", declare("XYZ".into(), "a.jpg", 10)).await;
    assert_eq!(status, 422);
    let (status, _) = app.post(&manager, "/api/v1/attachments", declare("b".repeat(64), "  ", 10)).await;
    assert_eq!(status, 422);
    let (status, _) = app.post(&manager, "/api/v1/attachments", declare("b".repeat(64), "a.jpg", 0)).await;
    assert_eq!(status, 422);
    let (status, r) = app
        .post(
            &manager,
            "/api/v1/attachments",
            json!({"case_id": case_id, "sha256": "b".repeat(64), "name": "a", "size": 1, "x": 1}),
        )
        .await;
    assert_eq!(status, 422, "{r}");
    app.server.stop().await;
}

pub async fn attach_a_file_changed_after_upload_is_reported_by_the_evidence_verification(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let supervisor = app.token("donghu.supervisor").await;
    let (case_id, _) = app.new_case("ATT-4").await;
    let content = jpeg(CHUNK + 100, 4);
    let hash = sha(&content);
    let (status, _) = app
        .post(
            &manager,
            "/api/v1/attachments",
            json!({"case_id": case_id, "sha256": hash, "name": "回访照片.jpg", "size": content.len()}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.put_chunk(&manager, &hash, 0, &content[..CHUNK]).await.0, 200);
    assert_eq!(app.put_chunk(&manager, &hash, 1, &content[CHUNK..]).await.0, 200);
    assert_eq!(app.post(&manager, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await.0, 200);

    let (status, report) = app.get(&supervisor, "/api/v1/audit/evidence/verify").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    assert!(report["attachments_checked"].as_i64().unwrap_or(0) >= 1, "{report}");
    // Once complete, chunks cannot be replaced through the API…
    let mut changed = content[CHUNK..].to_vec();
    changed[0] ^= 1;
    let (status, _) = app.put_chunk(&manager, &hash, 1, &changed).await;
    assert_eq!(status, 200);
    let (status, r) = app.get(&supervisor, "/api/v1/audit/evidence/verify").await;
    assert_eq!((status, &r["valid"]), (200, &json!(true)), "{r}");
    // …but a write behind the server's back is found.
    let h = hash.clone();
    app.db
        .write(move |c| {
            c.execute(
                "UPDATE attachment_chunks SET data = ?3 WHERE sha256 = ?1 AND idx = ?2",
                hcp_server::args![h, 1, changed],
            )
            .map(|_| ())
        })
        .await
        .expect("tamper");
    let (status, report) = app.get(&supervisor, "/api/v1/audit/evidence/verify").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["altered_attachments"], json!([hash]), "{report}");
    app.server.stop().await;
}

pub async fn attach_a_command_cites_a_pending_file_and_its_bytes_follow(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let supervisor = app.token("donghu.supervisor").await;
    let (case_id, version) = app.new_case("ATT-5").await;
    let content = jpeg(300_000, 5);
    let hash = sha(&content);
    let (status, row) = app
        .post(
            &manager,
            "/api/v1/attachments",
            json!({"case_id": case_id, "sha256": hash, "name": "核实记录.jpg", "size": content.len()}),
        )
        .await;
    assert_eq!((status, row["status"].as_str()), (200, Some("pending")), "{row}");

    // A file not declared on the case, or a command that carries no evidence, cannot cite files.
    let mut verify = super::cmd("att-v0", case_id, version, json!({"type": "verify", "outcome": "genuine"}));
    verify["attachments"] = json!(["c".repeat(64)]);
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify).await;
    assert_eq!(body["code"], "invalid_input", "{status} {body}");
    assert!(body["message"].as_str().unwrap_or("").contains("未在本工单登记"), "{body}");
    let mut spot = super::cmd("att-s0", case_id, version, json!({"type": "resolve_on_spot", "explanation": "已解释"}));
    spot["attachments"] = json!([hash]);
    let (_, body) = app.post(&manager, "/api/v1/cases/commands", spot).await;
    assert_eq!(body["code"], "invalid_input", "{body}");

    // The command citing the pending file is applied; the hash is in its event.
    let mut verify = super::cmd("att-v1", case_id, version, json!({"type": "verify", "outcome": "genuine"}));
    verify["attachments"] = json!([hash]);
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    let data: String = app
        .db
        .read(move |c| {
            c.query_row("SELECT data FROM case_events WHERE case_id = ?1 AND kind = 'verified'", [case_id], |r| {
                r.get(0)
            })
        })
        .await
        .expect("the event");
    let data: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(data["attachments"], json!([hash]), "{data}");

    // Then the bytes: the same file becomes complete and opens byte-identical for the supervisor.
    assert_eq!(app.put_chunk(&manager, &hash, 0, &content).await.0, 200);
    let (status, done) = app.post(&manager, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await;
    assert_eq!((status, done["status"].as_str()), (200, Some("complete")), "{done}");
    let (status, _, bytes) = app.download(&supervisor, &hash, None).await;
    assert_eq!(status, 200);
    assert!(bytes == content);

    // An appeal citing its material: the hash enters the hash-chained evidence log.
    let admin = app.token("admin").await;
    let (hall, employee_no): (String, String) = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT o.code, s.employee_no FROM users u JOIN staff s ON s.id = u.staff_id JOIN org_units o ON o.id = s.unit_id
                  WHERE u.username = 'donghu.staff'",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .expect("the demo staff member");
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/intake/ratings",
            json!({"ratings": [{"source": "test", "service_record_no": "ATT-AP-1", "unit_code": hall,
                "staff_employee_no": employee_no, "item_code": "X-1", "item_name": "居民身份证换领", "channel": 4,
                "level": "dissatisfied", "comment": "态度不好", "rated_at": "2026-11-20T09:00:00+08:00"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let appealed = body["results"][0]["case_id"].as_i64().expect("a case");
    let staff = app.token("donghu.staff").await;
    let material = {
        let mut v = b"%PDF-1.7\n".to_vec();
        v.resize(10_000, b'a');
        v
    };
    let material_hash = sha(&material);
    let (status, row) = app
        .post(
            &staff,
            "/api/v1/attachments",
            json!({"case_id": appealed, "sha256": material_hash, "name": "系统故障截图.pdf", "size": material.len()}),
        )
        .await;
    assert_eq!(status, 200, "{row}");
    let mut appeal =
        super::cmd("att-ap", appealed, 1, json!({"type": "appeal", "reason": "当时系统故障，已向群众解释"}));
    appeal["attachments"] = json!([material_hash]);
    let (status, body) = app.post(&staff, "/api/v1/cases/commands", appeal).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    let chained: String = app
        .db
        .read(move |c| {
            c.query_row(
                "SELECT payload FROM evidence_chain WHERE case_id = ?1 AND kind = 'appealed'",
                [appealed],
                |r| r.get(0),
            )
        })
        .await
        .expect("the chain entry");
    assert!(chained.contains(&material_hash), "{chained}");
    let (status, report) = app.get(&supervisor, "/api/v1/audit/evidence/verify").await;
    assert_eq!((status, &report["valid"]), (200, &json!(true)), "{report}");

    // The bytes follow; a client that takes compressed answers gets the file's own bytes, never
    // re-compressed (a PDF is compressed already, and a range must be a range of the file).
    let (status, _) = app.put_chunk(&staff, &material_hash, 0, &material).await;
    assert_eq!(status, 200);
    let (status, done) = app.post(&staff, &format!("/api/v1/attachments/{material_hash}/complete"), json!({})).await;
    assert_eq!((status, &done["status"]), (200, &json!("complete")), "{done}");
    let raw = reqwest::Client::builder().no_gzip().no_zstd().build().expect("client");
    for range in [None, Some("bytes=100-")] {
        let mut req = raw
            .get(app.url(&format!("/api/v1/attachments/{material_hash}")))
            .bearer_auth(&supervisor)
            .header("accept-encoding", "zstd, gzip");
        if let Some(r) = range {
            req = req.header("range", r);
        }
        let r = req.send().await.expect("download");
        let encoding = r.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("identity");
        assert_eq!(encoding, "identity", "{:?}", r.headers());
        let from = if range.is_some() { 100 } else { 0 };
        assert_eq!(r.bytes().await.expect("body").as_ref(), &material[from..]);
    }
    app.server.stop().await;
}

pub async fn attach_files_follow_their_case_to_another_departments_handler(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let manager = app.token("donghu.manager").await;
    let handler_b = app.token("donghu.handler.rs").await;
    let unit = |name: &'static str| {
        app.db.read(move |c| {
            c.query_row("SELECT id, path FROM org_units WHERE name = ?1", [name], |r| {
                Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
            })
        })
    };
    let (_, dept_a_path) = unit("东湖区市场监督管理局窗口").await.expect("unit");
    let (dept_b, _) = unit("东湖区人力资源和社会保障局窗口").await.expect("unit");
    let b_id = app
        .db
        .read(|c| hcp_server::db::users::by_username(c, "donghu.handler.rs"))
        .await
        .expect("read")
        .expect("user")
        .id;
    let create = json!({"type": "create", "source": "supervision", "unit": dept_a_path,
                        "summary": "督查发现：窗口未执行一次性告知制度"});
    let (status, body) = app
        .post(
            &supervisor,
            "/api/v1/cases/commands",
            json!({"command_id": "att-create", "case_id": null, "base_version": null, "command": create}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["case"]["id"].as_i64().expect("id");
    let (status, body) = app
        .post(
            &manager,
            "/api/v1/cases/commands",
            super::cmd("att-verify", id, 1, json!({"type": "verify", "outcome": "genuine"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let content = jpeg(5_000, 6);
    let hash = sha(&content);
    let (status, _) = app
        .post(
            &manager,
            "/api/v1/attachments",
            json!({"case_id": id, "sha256": hash, "name": "现场.jpg", "size": content.len()}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.put_chunk(&manager, &hash, 0, &content).await.0, 200);
    assert_eq!(app.post(&manager, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await.0, 200);
    // Department B's handler does not see the case, nor its file…
    assert_eq!(app.download(&handler_b, &hash, None).await.0, 404);

    // …until the case is assigned to them: the file moves with the case and reaches their feed.
    let before = app.feed_head().await;
    let assign = json!({"type": "assign", "department_id": dept_b, "handler_id": b_id});
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", super::cmd("att-assign", id, 2, assign)).await;
    assert_eq!(status, 200, "{body}");
    let seen = app.attachments_pulled(&handler_b, before).await;
    assert!(seen.iter().any(|r| r["sha256"] == hash.as_str() && r["case_id"] == id), "{seen:?}");
    let (status, _, bytes) = app.download(&handler_b, &hash, None).await;
    assert_eq!(status, 200);
    assert!(bytes == content);
    // The hall manager still sees it (the case is still in the hall's jurisdiction).
    assert_eq!(app.download(&manager, &hash, None).await.0, 200);
    app.server.stop().await;
}

/// Knowing a file's hash and size is not enough to read it: a hall manager of another district
/// who declares a 东湖区 file's hash on a case of their own gets neither its bytes nor a complete
/// row until they answer the server's challenge with SHA-256(challenge ‖ file), which needs the
/// bytes themselves. A wrong answer is refused and logged.
pub async fn attach_a_known_hash_alone_does_not_open_another_districts_file(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let foreign = app.token("xishan.manager").await;
    let root = app.token("admin").await;
    let (case_id, _) = app.new_case("ATT-PROOF").await;
    let xishan_case = app.xishan_case(&root, "ATT-XS-1").await;

    // 东湖区 sends a file.
    let content = jpeg(CHUNK + 500, 9);
    let hash = sha(&content);
    let declare =
        |case: i64| json!({"case_id": case, "sha256": hash, "name": "整改通知回执.jpg", "size": content.len()});
    assert_eq!(app.post(&manager, "/api/v1/attachments", declare(case_id)).await.0, 200);
    assert_eq!(app.put_chunk(&manager, &hash, 0, &content[..CHUNK]).await.0, 200);
    assert_eq!(app.put_chunk(&manager, &hash, 1, &content[CHUNK..]).await.0, 200);
    let (status, done) = app.post(&manager, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await;
    assert_eq!((status, &done["status"]), (200, &json!("complete")), "{done}");
    assert!(done.get("challenge").is_none(), "the sender has nothing to prove: {done}");

    // 西山区 knows only the hash and the size: its row stays pending and the bytes stay closed.
    let head = app.feed_head().await;
    let (status, row) = app.post(&foreign, "/api/v1/attachments", declare(xishan_case)).await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["status"], "pending", "{row}");
    assert_eq!(row["mime"], "", "{row}");
    let (status, _, body) = app.download(&foreign, &hash, None).await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = app.download(&foreign, &hash, Some("bytes=0-3")).await;
    assert_eq!(status, 404);
    // Completing again or re-sending a chunk proves nothing.
    let (status, p) = app.post(&foreign, &format!("/api/v1/attachments/{hash}/complete"), json!({})).await;
    assert_eq!(status, 200, "{p}");
    let challenge = p["challenge"].as_str().expect("a challenge").to_owned();
    let (status, p) = app.put_chunk(&foreign, &hash, 0, &content[..CHUNK]).await;
    assert_eq!((status, p["challenge"].as_str()), (200, Some(challenge.as_str())), "{p}");
    assert_eq!(app.download(&foreign, &hash, None).await.0, 404);
    // Guesses fail: the hash itself, a stale challenge, a malformed answer.
    let prove = |ch: &str, proof: &str| json!({"challenge": ch, "proof": proof});
    let path = format!("/api/v1/attachments/{hash}/proof");
    let (status, wrong) = app.post(&foreign, &path, prove(&challenge, &hash)).await;
    assert_eq!(status, 422, "{wrong}");
    assert!(wrong["message"].as_str().unwrap_or("").contains("不符"), "{wrong}");
    let (status, stale) = app.post(&foreign, &path, prove(&"0".repeat(32), &hash)).await;
    assert_eq!(status, 422, "{stale}");
    assert_eq!(app.post(&foreign, &path, prove(&challenge, "xyz")).await.0, 422);
    assert_eq!(app.download(&foreign, &hash, None).await.0, 404);
    let refused: i64 = app
        .db
        .read(|c| {
            c.query_row("SELECT count(*) FROM audit_log WHERE action = 'attachment.proof_refused'", (), |r| r.get(0))
        })
        .await
        .expect("audit");
    assert_eq!(refused, 1, "the wrong answer is logged");
    // 西山区's feed carries only the pending row, never the manager's complete one.
    let seen = app.attachments_pulled(&foreign, head).await;
    assert!(seen.iter().all(|r| r["status"] == "pending" && r["case_id"] == xishan_case), "{seen:?}");

    // A holder of the bytes answers: the row completes (in the feed too) and the file opens.
    let answer = {
        let mut h = Sha256::new();
        h.update(challenge.as_bytes());
        h.update(&content);
        hex::encode(h.finalize())
    };
    let (status, p) = app.post(&foreign, &path, prove(&challenge, &answer)).await;
    assert_eq!(status, 200, "{p}");
    assert!(p.get("challenge").is_none(), "{p}");
    // Answered again (a retry after a lost answer): the same, harmless.
    assert_eq!(app.post(&foreign, &path, prove(&challenge, &answer)).await.0, 200);
    let (status, _, bytes) = app.download(&foreign, &hash, None).await;
    assert_eq!(status, 200);
    assert!(bytes == content, "byte-identical once proven");
    let seen = app.attachments_pulled(&foreign, head).await;
    assert!(
        seen.iter().any(|r| r["case_id"] == xishan_case && r["status"] == "complete" && r["mime"] == "image/jpeg"),
        "{seen:?}"
    );
    // A second file of 西山区 naming the same content needs no new proof.
    let second = app.xishan_case(&root, "ATT-XS-2").await;
    let (status, row) = app.post(&foreign, "/api/v1/attachments", declare(second)).await;
    assert_eq!((status, &row["status"]), (200, &json!("complete")), "{row}");
    app.server.stop().await;
}

/// An upload no chunk reached for two weeks is abandoned: the deadline watch's sweep forgets its
/// chunks (the declared file stays, pending) and the uploader's client sends it again from the
/// start. A recent upload and a complete file are left alone.
pub async fn attach_abandoned_uploads_are_swept_and_sent_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let (case_id, _) = app.new_case("ATT-SWEEP").await;
    let old = jpeg(CHUNK + 10, 21);
    let fresh = jpeg(CHUNK + 20, 22);
    for (content, name) in [(&old, "旧.jpg"), (&fresh, "新.jpg")] {
        let body = json!({"case_id": case_id, "sha256": sha(content), "name": name, "size": content.len()});
        assert_eq!(app.post(&manager, "/api/v1/attachments", body).await.0, 200);
        assert_eq!(app.put_chunk(&manager, &sha(content), 0, &content[..CHUNK]).await.0, 200);
    }
    let (h_old, h_fresh) = (sha(&old), sha(&fresh));
    let stale = h_old.clone();
    app.db
        .write(move |c| {
            c.execute("UPDATE attachment_blobs SET touched_at = '2026-11-01T00:00:00Z' WHERE sha256 = ?1", [stale])
                .map(|_| ())
        })
        .await
        .expect("age");
    let now = chrono::Utc::now();
    let swept = app
        .db
        .write(move |c| hcp_server::evidence_store::sweep_abandoned(c, &hcp_server::evidence_store::DbChunks, now))
        .await
        .expect("sweep");
    assert_eq!(swept, 1);
    let (_, p) = app.get(&manager, &format!("/api/v1/attachments/{h_old}/chunks")).await;
    assert_eq!((p["received"].clone(), p["status"].clone()), (json!([]), json!("pending")), "{p}");
    let (_, p) = app.get(&manager, &format!("/api/v1/attachments/{h_fresh}/chunks")).await;
    assert_eq!(p["received"], json!([0]), "a recent upload is kept: {p}");
    // Sent again from the start, it completes.
    assert_eq!(app.put_chunk(&manager, &h_old, 0, &old[..CHUNK]).await.0, 200);
    assert_eq!(app.put_chunk(&manager, &h_old, 1, &old[CHUNK..]).await.0, 200);
    let (status, done) = app.post(&manager, &format!("/api/v1/attachments/{h_old}/complete"), json!({})).await;
    assert_eq!((status, &done["status"]), (200, &json!("complete")), "{done}");
    // A second sweep much later leaves the complete file alone.
    let later = now + chrono::Duration::days(60);
    let swept = app
        .db
        .write(move |c| hcp_server::evidence_store::sweep_abandoned(c, &hcp_server::evidence_store::DbChunks, later))
        .await
        .expect("sweep");
    assert_eq!(swept, 1, "only the other, again abandoned, upload");
    assert_eq!(app.download(&manager, &h_old, None).await.2, old);
    app.server.stop().await;
}

/// The limits a client checks before queuing a file: every signed-in account reads them, as the
/// server is configured; without a session they are refused.
pub async fn attach_limits_are_told_to_every_account(backend: Backend) {
    let app = spawn_app(backend).await;
    for user in ["donghu.manager", "donghu.supervisor", "xishan.manager"] {
        let token = app.token(user).await;
        let (status, limits) = app.get(&token, "/api/v1/attachments/limits").await;
        assert_eq!(status, 200, "{limits}");
        assert_eq!(limits, json!({"max_file_bytes": 20 << 20, "max_case_bytes": 200 << 20}));
    }
    let r = app.http.get(app.url("/api/v1/attachments/limits")).send().await.expect("get");
    assert_eq!(r.status(), 401);
}
