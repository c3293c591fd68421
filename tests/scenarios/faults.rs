//! Sync through a network that drops, delays, resets and truncates: a hall manager's laptop queues
//! a decision each cycle and syncs through the fault proxy while the server keeps receiving new bad
//! reviews. Whatever broke on the way, once the network heals every decision was applied exactly
//! once, in order, nothing stays in the outbox, and the replica equals the server over its
//! jurisdiction. `HCP_FAULT_CYCLES` sets the cycles (default 24; `make soak` runs 200).

use super::Laptop;
use hcp_tests::fault::{Fault, FaultProxy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_through_a_faulty_network_loses_repeats_and_reorders_nothing() {
    let cycles: usize = std::env::var("HCP_FAULT_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = hcp_tests::seeded_server(dir.path(), 400).await.expect("server");
    let new_case = |no: String| {
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                hcp_server::seed::demo_bad_review(&db, &no, "社会保障卡补换", "窗口让我跑了三趟")
            })
            .await
            .expect("task")
            .expect("a new case")
        }
    };
    let mut cases = Vec::new();
    for i in 0..cycles {
        cases.push(new_case(format!("FAULT-{i}")).await);
    }
    let laptop = Laptop::new(&srv.url(), dir.path(), "donghu.manager", "faulty-laptop").await;
    let proxy = FaultProxy::start(srv.addr, 20261206, 30).expect("proxy");
    let faulty = hcp_sync::Client::new(&proxy.url).expect("client");

    let genuine = serde_json::json!({"type": "verify", "outcome": "genuine"});
    let mut queued = Vec::new();
    let (mut failed_pushes, mut failed_pulls) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        queued.push(laptop.queue(*case, genuine.clone()));
        if i % 3 == 0 {
            // The server moves on meanwhile: more changes for the pull to bring.
            new_case(format!("FAULT-NEW-{i}")).await;
        }
        let push = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            hcp_sync::push(&faulty, &laptop.token, &laptop.id, laptop.replica.clone()),
        )
        .await;
        failed_pushes += usize::from(!matches!(push, Ok(Ok(_))));
        let pull = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            hcp_sync::pull(&faulty, &laptop.token, laptop.replica.clone(), 50),
        )
        .await;
        failed_pulls += usize::from(!matches!(pull, Ok(Ok(_))));
    }
    // The network heals.
    for _ in 0..3 {
        laptop.sync().await;
    }
    eprintln!(
        "{cycles} cycles: {failed_pushes} pushes and {failed_pulls} pulls failed; connections passed {}, delayed {}, \
         dropped {}, reset {}, truncated {}",
        proxy.counts.get(Fault::Pass),
        proxy.counts.get(Fault::Delay),
        proxy.counts.get(Fault::Drop),
        proxy.counts.get(Fault::Reset),
        proxy.counts.get(Fault::Truncate)
    );
    for f in [Fault::Delay, Fault::Drop, Fault::Reset, Fault::Truncate] {
        assert!(proxy.counts.get(f) > 0, "the proxy applied {f:?} at least once");
    }
    assert!(failed_pushes + failed_pulls > 0, "some syncs failed on the way");

    // Nothing lost or repeated: every decision applied once, in the order queued.
    assert_eq!(laptop.replica.lock().expect("lock").outbox_counts().expect("outbox"), (0, 0));
    let applied: Vec<String> = hcp_tests::blocking(|| db
        .read_blocking(|c| {
            c.query_map(
                "SELECT command_id FROM commands WHERE client_id = 'faulty-laptop' AND status = 'applied' ORDER BY client_seq",
                (),
                |r| r.get(0),
            )
        }))
        .expect("applied");
    assert_eq!(applied, queued, "each decision applied exactly once, in order");
    for case in &cases {
        let id = *case;
        let state: String = hcp_tests::blocking(|| {
            db.read_blocking(move |c| c.query_row("SELECT state FROM cases WHERE id = ?1", [id], |r| r.get(0)))
        })
        .expect("state");
        assert_eq!(state, "verified", "case {id}");
    }
    // And the replica holds exactly the server's jurisdiction.
    let (scope, role) = (laptop.scope.clone(), laptop.role);
    let since = laptop.replica.lock().expect("lock").window().expect("window").map(|w| w.since).unwrap_or_default();
    let server = hcp_tests::blocking(|| {
        db.read_blocking(move |conn| hcp_server::db::digest::scope_digest(conn, &scope, role, &since))
    })
    .expect("digest");
    let local = laptop.replica.lock().expect("lock").scope_digest().expect("digest");
    assert_eq!(local, server, "the replica converged on the server's {}", laptop.scope);
    srv.stop().await;
}
