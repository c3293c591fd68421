//! Load generators, run as a second process (`hcp-bench intake-load`, `hcp-bench pull-load`) so
//! the server under test never shares a runtime with its clients.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::stats;

/// What one load run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    pub clients: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    /// Ratings created (intake) or changes received (pull).
    pub items: u64,
    pub requests_per_s: f64,
    pub items_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn report(clients: usize, seconds: f64, lat_ms: &[f64], errors: u64, items: u64) -> LoadReport {
    let s = stats::summarize(lat_ms);
    LoadReport {
        clients,
        seconds,
        requests: lat_ms.len() as u64,
        errors,
        items,
        requests_per_s: lat_ms.len() as f64 / seconds,
        items_per_s: items as f64 / seconds,
        p50_ms: s.map_or(f64::NAN, |s| s.median),
        p99_ms: s.map_or(f64::NAN, |s| s.p99),
        max_ms: s.map_or(f64::NAN, |s| s.max),
    }
}

fn http_client(clients: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().pool_max_idle_per_host(clients).timeout(Duration::from_secs(120)).build()?)
}

/// `clients` channel systems posting batches of `batch` new ratings for `secs` seconds. One in a
/// hundred is a bad review (as in the synthetic city), which opens a case.
pub async fn intake(
    server: &str,
    token: &str,
    hall_codes: &[String],
    clients: usize,
    batch: usize,
    secs: f64,
    tag: &str,
) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(!hall_codes.is_empty(), "no hall codes to post ratings for");
    let http = http_client(clients)?;
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let created = Arc::new(AtomicU64::new(0));
    let url = format!("{server}/api/v1/intake/ratings");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..clients {
        let (http, url, token, stop, errors, created) =
            (http.clone(), url.clone(), token.to_owned(), stop.clone(), errors.clone(), created.clone());
        let codes = hall_codes.to_vec();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut seq: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let ratings: Vec<_> = (0..batch)
                    .map(|_| {
                        seq += 1;
                        let bad = seq.is_multiple_of(100);
                        json!({
                            "source": "bench-load",
                            "service_record_no": format!("{tag}-{w}-{seq}"),
                            "unit_code": codes[(seq as usize + w) % codes.len()],
                            "item_code": "BENCH-1",
                            "item_name": "营业执照变更登记",
                            "channel": 1 + (seq % 8) as u8,
                            "level": if bad { "dissatisfied" } else { "very_satisfied" },
                            "content_codes": if bad { vec![401] } else { vec![] },
                            "comment": if bad { "等候时间过长" } else { "" },
                            "real_name": false,
                            "rated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        })
                    })
                    .collect();
                let t = Instant::now();
                let res = http.post(&url).bearer_auth(&token).json(&json!({ "ratings": ratings })).send().await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        let n = body["results"]
                            .as_array()
                            .map_or(0, |a| a.iter().filter(|x| x["status"] == "created").count());
                        created.fetch_add(n as u64, Ordering::Relaxed);
                        lat.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    Ok(r) => {
                        tracing::warn!(status = %r.status(), "intake refused");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "intake failed");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let (seconds, lat) = run_for(secs, &stop, started, tasks).await?;
    Ok(report(clients, seconds, &lat, errors.load(Ordering::Relaxed), created.load(Ordering::Relaxed)))
}

/// Lets the clients run for `secs`, stops them, and gathers their latencies; returns the seconds
/// since `started` with them.
async fn run_for(
    secs: f64,
    stop: &AtomicBool,
    started: Instant,
    tasks: Vec<tokio::task::JoinHandle<Vec<f64>>>,
) -> anyhow::Result<(f64, Vec<f64>)> {
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    Ok((started.elapsed().as_secs_f64(), lat))
}

/// `clients` desktop clients each pulling a page of `limit` changes after `after`, back to back,
/// for `secs` seconds.
pub async fn pull(
    server: &str,
    token: &str,
    clients: usize,
    after: i64,
    limit: usize,
    secs: f64,
) -> anyhow::Result<LoadReport> {
    let http = http_client(clients)?;
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let items = Arc::new(AtomicU64::new(0));
    let url = format!("{server}/api/v1/sync/pull?after={after}&limit={limit}");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, token, stop, errors, items) =
            (http.clone(), url.clone(), token.to_owned(), stop.clone(), errors.clone(), items.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => match r.json::<hcp_protocol::PullResponse>().await {
                        Ok(page) => {
                            items.fetch_add(page.changes.len() as u64, Ordering::Relaxed);
                            lat.push(t.elapsed().as_secs_f64() * 1e3);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable pull page");
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    Ok(r) => {
                        tracing::warn!(status = %r.status(), "pull refused");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "pull failed");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let (seconds, lat) = run_for(secs, &stop, started, tasks).await?;
    Ok(report(clients, seconds, &lat, errors.load(Ordering::Relaxed), items.load(Ordering::Relaxed)))
}
