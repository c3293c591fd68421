//! The records that are evidence cannot be changed or removed, on either engine: the
//! hash-chained evidence log, the log of evaluator reveals and the audit trail refuse UPDATE and
//! DELETE (and, on PostgreSQL, TRUNCATE of the evidence log) from any connection, and keep every
//! row. The triggers differ per engine, so this runs on both.

use super::*;
use hcp_server::db::evidence;

pub async fn evidence_reveals_and_the_audit_trail_are_append_only(backend: Backend) {
    let app = spawn_app(backend).await;
    // A reveal (logged in `reveals` and `audit_log`) and a sign-in (audited).
    let manager = app.token("donghu.manager").await;
    let rating_id: i64 = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT r.id FROM ratings r JOIN org_units o ON r.unit_path >= o.path AND r.unit_path < o.path || '~'
                  WHERE o.name = '东湖区政务服务中心' ORDER BY r.id LIMIT 1",
                (),
                |r| r.get(0),
            )
        })
        .await
        .expect("a rating of the hall");
    let (status, body) = app
        .post(&manager, &format!("/api/v1/ratings/{rating_id}/reveal"), json!({"reason": "核实投诉情况需要联系本人"}))
        .await;
    assert_eq!(status, 200, "{body}");
    // An evidence entry, appended the way the workflow appends them.
    let (case_id, event_id): (i64, i64) = app
        .db
        .read(|c| {
            c.query_row("SELECT case_id, id FROM case_events ORDER BY id LIMIT 1", (), |r| Ok((r.get(0)?, r.get(1)?)))
        })
        .await
        .expect("an event");
    app.db
        .write(move |c| {
            evidence::append(
                c,
                &evidence::Entry {
                    case_id,
                    event_id,
                    kind: "accountability_recorded",
                    actor_id: 1,
                    at: "2026-11-20T02:00:00Z",
                    payload: "{}",
                },
            )
        })
        .await
        .expect("append");

    let count = |table: &'static str| {
        let db = app.db.clone();
        async move {
            db.read(move |c| c.query_row(&format!("SELECT count(*) FROM {table}"), (), |r| r.get::<i64>(0)))
                .await
                .expect("count")
        }
    };
    for table in ["evidence_chain", "reveals", "audit_log"] {
        let before = count(table).await;
        assert!(before > 0, "{table} has rows to protect");
        let column = match table {
            "evidence_chain" => "payload",
            "reveals" => "reason",
            _ => "detail",
        };
        for sql in [format!("UPDATE {table} SET {column} = 'changed'"), format!("DELETE FROM {table}")] {
            let s = sql.clone();
            let result = app.db.write(move |c| c.execute(&s, ())).await;
            assert!(result.is_err(), "{backend:?}: `{sql}` must be refused");
        }
        assert_eq!(count(table).await, before, "{backend:?}: every row of {table} is kept");
    }
    if backend == Backend::Postgres {
        let result = app.db.write(|c| c.execute("TRUNCATE evidence_chain", ())).await;
        assert!(result.is_err(), "TRUNCATE of the evidence log must be refused");
    }
    let r =
        app.http.get(app.url("/api/v1/audit/evidence/verify")).bearer_auth(app.token("donghu.supervisor").await).send();
    let report: Value = r.await.expect("verify").json().await.expect("json");
    assert_eq!(report["valid"], true, "{report}");
    app.server.stop().await;
}
