//! Times the 统计分析 dashboard on an existing replica, and the replica reads it is made of (for
//! finding where a slow dashboard's time goes); prints where the file's pages go (per table and
//! index) and the month's aggregate rows. Prints; asserts nothing. `DASHBOARD_ONLY=1` times the
//! dashboard alone (for `perf record`).
//!
//! ```sh
//! cargo run --release -p hcp-app --example dashboard_on -- REPLICA KEY_HEX MONTH [TRIALS]
//! ```
//! `make bench` keeps its replicas with `--keep`; their key is 32 bytes of 0x5a.

use std::time::Instant;

use hcp_domain::kpi::{GroupBy, Period, Subject};

fn timed<T>(what: &str, trials: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<()> {
    let mut ms = Vec::with_capacity(trials);
    for _ in 0..trials {
        let t = Instant::now();
        f()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!("{what:<40} p50 {:>8.2} ms   p95 {:>8.2} ms   (n={trials})", at(0.5), at(0.95));
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(key), Some(month)) = (args.get(1), args.get(2), args.get(3)) else {
        anyhow::bail!("usage: dashboard_on REPLICA KEY_HEX MONTH [TRIALS]");
    };
    let trials: usize = args.get(4).map_or(Ok(20), |n| n.parse())?;
    let key = hcp_replica::ReplicaKey::from_hex(key).ok_or_else(|| anyhow::anyhow!("the key is 64 hex digits"))?;
    let r = hcp_replica::Replica::open(std::path::Path::new(path), &key)?;
    let scope = r.scope()?.unwrap_or_else(|| "/".into());
    let (y, m) = month.split_once('-').ok_or_else(|| anyhow::anyhow!("MONTH is YYYY-MM"))?;
    let period = Period::month(y.parse()?, m.parse()?).ok_or_else(|| anyhow::anyhow!("no such month"))?;
    let year =
        Period::new(period.first.checked_sub_months(chrono::Months::new(11)).unwrap_or(period.first), period.last);
    let now = chrono::Utc::now();
    println!("replica {path}, scope {scope}, window {:?}", r.window()?.map(|w| w.month));
    if std::env::var_os("DASHBOARD_ONLY").is_some() {
        // For a profiler: the dashboard alone.
        return timed("dashboard (everything, charts drawn)", trials, || {
            hcp_app::dashboard::dashboard(&r, Some(month), now, Default::default(), &Default::default())
                .map_err(|e| anyhow::anyhow!("{e:?}"))
        });
    }
    // Where the file's pages go: each table and index, largest first.
    let mut sizes = r
        .conn()
        .prepare("SELECT name, sum(pgsize), count(*), sum(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC")?;
    let rows = sizes.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?))
    })?;
    for row in rows.take(25) {
        let (name, bytes, pages, unused) = row?;
        println!("{name:<40} {:>8.1} MB {pages:>8} pages {:>6.1} MB unused", bytes as f64 / 1e6, unused as f64 / 1e6);
    }
    drop(sizes);
    timed("dashboard (everything, charts drawn)", trials, || {
        hcp_app::dashboard::dashboard(&r, Some(month), now, Default::default(), &Default::default())
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    })?;
    timed("kpis, the whole scope", trials, || Ok(r.kpis(&scope, Subject::All, &period, now)?))?;
    timed("kpis_by unit", trials, || Ok(r.kpis_by(&scope, GroupBy::Unit, &period, now)?))?;
    timed("kpis_by staff", trials, || Ok(r.kpis_by(&scope, GroupBy::Staff, &period, now)?))?;
    let member: Option<i64> =
        r.conn().query_row("SELECT max(staff_id) FROM rating_stats WHERE month = ?1", [month], |row| row.get(0))?;
    if let Some(member) = member {
        timed("kpis of one member of staff", trials, || Ok(r.kpis(&scope, Subject::Staff(member), &period, now)?))?;
    }
    timed("monthly volume, 12 months", trials, || Ok(r.monthly_volume(&scope, &year)?))?;
    timed("channel counts", trials, || Ok(r.channel_counts(&scope, &period)?))?;
    timed("rating months", trials, || Ok(r.rating_months(&scope)?))?;
    timed("hall names", trials, || hcp_stats::unit_names(r.conn()).map_err(|e| anyhow::anyhow!("{e}")))?;
    // Rows of the aggregate tables in the month (grain m) and in the window (grain d).
    for table in ["agg_rating_units", "agg_case_units", "agg_rating_channels", "agg_rating_staff", "agg_case_staff"] {
        let sql = format!("SELECT grain, count(*) FROM {table} WHERE bucket LIKE ?1 || '%' GROUP BY grain");
        let mut stmt = r.conn().prepare(&sql)?;
        let rows = stmt.query_map([month], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        for row in rows {
            let (grain, n) = row?;
            println!("{table:<24} grain {grain}: {n} rows in {month}");
        }
    }
    Ok(())
}
