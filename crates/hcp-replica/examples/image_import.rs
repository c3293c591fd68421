//! Times [`Replica::import_image`] (and, for comparison, `sqlcipher_export`) on a decompressed
//! replica image, for profiling the image bootstrap's import (`perf record -g`). Prints timings;
//! asserts nothing about them.
//!
//! ```sh
//! cargo run -p hcp-replica --example image_import --release -- PLAIN.db SCOPE [export]
//! ```
//! PLAIN.db is a plain image (e.g. decompressed from `hcp-server image-pass`'s output); the
//! encrypted replica is written next to it and deleted afterwards.

use std::time::Instant;

use anyhow::Context;
use hcp_replica::{Replica, ReplicaKey};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let plain = std::path::PathBuf::from(args.next().context("PLAIN.db")?);
    let scope = args.next().context("SCOPE")?;
    let export = args.next().is_some_and(|a| a == "export");
    let key = ReplicaKey::from_bytes([0x5a; 32]);
    let target = plain.with_extension("encrypted.db");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    let t = Instant::now();
    if export {
        let conn = rusqlite::Connection::open(&plain)?;
        conn.execute(
            &format!("ATTACH DATABASE ?1 AS enc KEY \"x'{}'\"", key.to_hex()),
            [target.to_string_lossy().as_ref()],
        )?;
        conn.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))?;
        println!("sqlcipher_export: {:.2} s", t.elapsed().as_secs_f64());
    } else {
        let mut r = Replica::open(&target, &key)?;
        let opened = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let done = r.import_image(&plain, &scope, "2026-12-07T00:00:00Z")?;
        println!("open {opened:.2} s, import {:.2} s: {} rows", t.elapsed().as_secs_f64(), done.counts.total());
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    Ok(())
}
