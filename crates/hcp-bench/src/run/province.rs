//! Issue 23 item 1: a province on PostgreSQL (phase `province`). `hcp-server seed --profile
//! province` loads the ratings of its last closed month in full and a year of month statistics;
//! the province's laptops hold the current month in full, so the loaded month lies outside the
//! provincial supervisor's window. Measured: that supervisor's bootstrap (streamed, and from the
//! server's replica image), the replica's size on disk, and the dashboard of the loaded month.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use super::{create_database, psql, remove_db, rep, sign_in, spread, time_n, Bench};
use crate::procs;
use crate::results::{num, Row, Target};
use crate::stats;

/// Creates the province's database on `pg`, measures, and drops it.
pub async fn run(b: &mut Bench, pg: &str) -> anyhow::Result<()> {
    let name = format!("hcp_province_{}", std::process::id());
    let url = create_database(pg, &name)?;
    let result = measure(b, &url, true).await;
    if let Err(e) = psql(pg, &format!("DROP DATABASE IF EXISTS {name}")) {
        tracing::warn!(error = %e, "could not drop the province's database");
    }
    result
}

/// Measures the province already seeded in `--province-database` (kept afterwards).
pub async fn measure_seeded(b: &mut Bench) -> anyhow::Result<()> {
    let url = b.opts.province_database.clone().context("no --province-database")?;
    measure(b, &url, false).await
}

/// The replica's files on disk (the database, and its WAL when one is left), in MB.
fn replica_mb(path: &Path) -> f64 {
    let mut bytes = 0;
    for suffix in ["", "-wal", "-shm"] {
        bytes += std::fs::metadata(format!("{}{suffix}", path.display())).map_or(0, |m| m.len());
    }
    bytes as f64 / 1e6
}

async fn measure(b: &mut Bench, url: &str, seed: bool) -> anyhow::Result<()> {
    let work = b.opts.work.clone();
    let (evaluations, cities) = (b.opts.province_evaluations, b.opts.province_cities);
    if seed {
        tracing::info!(evaluations, cities, "seeding the province (PostgreSQL)");
        let cities_arg = cities.to_string();
        let seed_s = procs::seed_profile(
            &b.opts.server_bin,
            url,
            "province",
            evaluations,
            &["--cities", &cities_arg],
            &work,
            "province",
        )?;
        b.detail("province_seed_s", seed_s);
    }
    let server = procs::start_server(&b.opts.server_bin, url, &work, "province").await?;
    let s = sign_in(&server.url, "province.supervisor", "bench-province").await?;

    // The streamed bootstrap.
    let path = work.join("replica-province.db");
    let mut secs = Vec::new();
    let mut rows = hcp_protocol::Counts::default();
    for i in 0..b.opts.runs.clamp(1, 3) {
        remove_db(&path);
        let r = rep(&path, &b.key)?;
        let t = Instant::now();
        rows = hcp_sync::bootstrap(&s.client, &s.token, r.clone(), super::now_rfc3339(), |_| {}).await?;
        let secs_i = t.elapsed().as_secs_f64();
        tracing::info!(run = i, secs = secs_i, rows = rows.total(), "province bootstrap");
        secs.push(secs_i);
    }
    let window = {
        let r = rep(&path, &b.key)?;
        let w = super::lock(&r)?.window()?;
        w.context("the provincial replica has no window")?
    };
    let size_mb = replica_mb(&path);
    let streamed = stats::summarize(&secs).context("no province bootstrap")?;
    b.detail("province_rows", &rows);
    b.detail("province_bootstrap_runs_s", &secs);
    b.detail("province_window", &window);

    // From the server's replica image.
    let image = image_bootstrap(b, url, &s, &work).await;
    let image_s = match &image {
        Ok(s) => Some(*s),
        Err(e) => {
            b.note(format!("province: the image bootstrap was not measured: {e:#}"));
            None
        }
    };

    // The dashboard of the loaded month (outside the window: the server's statistics), and of the
    // current month (inside it) for comparison.
    let loaded = chrono::NaiveDate::parse_from_str(&format!("{}-01", window.month), "%Y-%m-%d")?
        .checked_sub_months(chrono::Months::new(1))
        .context("no month before the window")?
        .format("%Y-%m")
        .to_string();
    let r = hcp_replica::Replica::open(&path, &b.key)?;
    let mut dashboards = Vec::new();
    for month in [loaded.as_str(), window.month.as_str()] {
        let t = time_n(b.opts.trials, || {
            hcp_app::dashboard::dashboard(&r, Some(month), chrono::Utc::now(), Default::default(), &Default::default())
                .map_err(|e| anyhow::anyhow!("{e:?}"))
        })?;
        let sum = stats::summarize(&t).context("no dashboard samples")?;
        dashboards.push((month.to_owned(), sum));
    }
    let rated =
        hcp_app::dashboard::dashboard(&r, Some(&loaded), chrono::Utc::now(), Default::default(), &Default::default())
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .totals
            .rated;
    drop(r);
    b.detail(
        "province_dashboards_ms",
        dashboards.iter().map(|(m, s)| json!({"month": m, "summary": s})).collect::<Vec<_>>(),
    );
    b.detail("province_loaded_month_rated", rated);

    b.rows.push(Row {
        key: "province_bootstrap_s",
        what: format!(
            "province.supervisor's bootstrap, streamed: {cities} cities, {} ratings in {loaded} (outside the window), \
             {} rows sent ({} ratings, {} cases, {} month statistics)",
            num(evaluations as f64),
            num(rows.total() as f64),
            num(rows.rating as f64),
            num(rows.case as f64),
            num(rows.rating_stat as f64)
        ),
        value: Some(streamed.median),
        unit: "s",
        spread: spread(&streamed, "s"),
        reference: image_s.map_or_else(|| "image: not measured".into(), |s| format!("from the image: {} s", num(s))),
        target: Some(Target::AtMost(60.0)),
    });
    if let Some(s) = image_s {
        b.rows.push(Row {
            key: "province_image_bootstrap_s",
            what: "province.supervisor's bootstrap from the server's replica image, pull after it included".into(),
            value: Some(s),
            unit: "s",
            spread: String::new(),
            reference: format!("streamed: {} s", num(streamed.median)),
            target: Some(Target::AtMost(60.0)),
        });
    }
    b.rows.push(Row {
        key: "province_replica_mb",
        what: "the provincial replica on disk after its bootstrap".into(),
        value: Some(size_mb),
        unit: "MB",
        spread: String::new(),
        reference: format!("window from {}", window.month),
        target: Some(Target::AtMost(1000.0)),
    });
    if let Some((month, sum)) = dashboards.first() {
        b.rows.push(Row {
            key: "province_dashboard_p95_ms",
            what: format!(
                "统计分析 dashboard of {month} (outside the window: {} ratings from month statistics)",
                num(f64::from(rated))
            ),
            value: Some(sum.p95),
            unit: "ms",
            spread: super::pct(sum, "ms"),
            reference: dashboards
                .get(1)
                .map_or_else(String::new, |(m, s)| format!("{m} (inside the window): p95 {} ms", num(s.p95))),
            target: Some(Target::AtMost(50.0)),
        });
    }
    Ok(())
}

/// Builds the province's images (`hcp-server image-pass`, for the jurisdictions holding every
/// loaded rating: the root's accounts) and bootstraps from the supervisor's: the seconds, pull
/// included.
async fn image_bootstrap(b: &mut Bench, url: &str, s: &super::Session, work: &Path) -> anyhow::Result<f64> {
    let t = Instant::now();
    let min_rows = b.opts.province_evaluations.to_string();
    let out = std::process::Command::new(&b.opts.server_bin)
        .args(["image-pass", "--database", url, "--min-rows", &min_rows])
        .arg("--config")
        .arg(work.join("server-province.toml"))
        .env("HCP_LOG", "warn")
        .output()?;
    anyhow::ensure!(out.status.success(), "image-pass: {}", String::from_utf8_lossy(&out.stderr));
    b.detail("province_image_build_s", t.elapsed().as_secs_f64());
    let path = work.join("replica-province-image.db");
    remove_db(&path);
    let r = rep(&path, &b.key)?;
    let t = Instant::now();
    let done =
        hcp_sync::image::bootstrap_from_image(&s.client, &s.token, r.clone(), &super::now_rfc3339(), &|_| {}).await?;
    let hcp_sync::image::ImageBootstrap::Imported { timings, .. } = done else {
        anyhow::bail!("the image was not used: {done:?}");
    };
    hcp_sync::pull(&s.client, &s.token, r.clone(), super::PULL_PAGE).await?;
    let secs = t.elapsed().as_secs_f64();
    b.detail(
        "province_image",
        json!({"total_s": secs, "download_s": timings.download_s, "import_s": timings.import_s,
               "compressed_mb": timings.compressed_bytes as f64 / 1e6, "plain_mb": timings.plain_bytes as f64 / 1e6,
               "replica_mb": replica_mb(&path)}),
    );
    drop(r);
    remove_db(&path);
    Ok(secs)
}
