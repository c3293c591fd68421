//! bench/results.json (the keys issue 9 names, one figure each) and BENCHMARKS.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// The headline figures, exactly the keys issue 9 lists. `None` (JSON `null`) is a figure this run
/// could not measure; BENCHMARKS.md says why.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub bootstrap_s: Option<f64>,
    pub bootstrap_rows_per_s: Option<f64>,
    /// Our bootstrap time over the ceiling's (Reference A).
    pub bootstrap_vs_ceiling: Option<f64>,
    pub bootstrap_speedup_vs_pouchdb: Option<f64>,
    pub pull_1000_ms: Option<f64>,
    pub push_100_ms: Option<f64>,
    pub visibility_p95_ms: Option<f64>,
    /// The slowest dashboard query's p95.
    pub dashboard_p95_ms: Option<f64>,
    pub inbox_p95_ms: Option<f64>,
    pub intake_sqlite_per_s: Option<f64>,
    pub intake_postgres_per_s: Option<f64>,
    pub pull_500_clients_p99_ms: Option<f64>,
    pub cold_start_s: Option<f64>,
    pub rss_mb: Option<f64>,
    pub notice_pdf_ms: Option<f64>,
    pub chart_ms: Option<f64>,
}

/// The keys of [`Figures`] in issue 9's order.
pub const KEYS: [&str; 16] = [
    "bootstrap_s",
    "bootstrap_rows_per_s",
    "bootstrap_vs_ceiling",
    "bootstrap_speedup_vs_pouchdb",
    "pull_1000_ms",
    "push_100_ms",
    "visibility_p95_ms",
    "dashboard_p95_ms",
    "inbox_p95_ms",
    "intake_sqlite_per_s",
    "intake_postgres_per_s",
    "pull_500_clients_p99_ms",
    "cold_start_s",
    "rss_mb",
    "notice_pdf_ms",
    "chart_ms",
];

/// results.json: the figures at the top level, everything else (references, spreads, machine,
/// notes) under `details`.
pub fn to_json(figures: &Figures, details: &BTreeMap<String, Value>) -> anyhow::Result<Value> {
    let mut v = serde_json::to_value(figures)?;
    let obj = v.as_object_mut().ok_or_else(|| anyhow::anyhow!("figures are not an object"))?;
    obj.insert("details".into(), serde_json::to_value(details)?);
    Ok(v)
}

/// How a target compares: `None` when the figure is missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
}

impl Target {
    pub fn verdict(self, value: Option<f64>) -> &'static str {
        match (self, value) {
            (_, None) => "not measured",
            (Target::AtMost(t), Some(v)) if v <= t => "PASS",
            (Target::AtLeast(t), Some(v)) if v >= t => "PASS",
            _ => "MISS",
        }
    }

    pub fn describe(self, unit: &str) -> String {
        match self {
            Target::AtMost(t) => format!("≤ {} {unit}", num(t)),
            Target::AtLeast(t) => format!("≥ {} {unit}", num(t)),
        }
    }
}

/// A number for people: thousands separators above 1,000, three significant digits below.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() >= 1000.0 {
        let s = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

pub fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "null".into())
}

/// One row of the headline table in BENCHMARKS.md.
pub struct Row {
    pub key: &'static str,
    pub what: String,
    pub value: Option<f64>,
    pub unit: &'static str,
    /// min–max or p50/p95 of the samples, and their count.
    pub spread: String,
    pub reference: String,
    pub target: Option<Target>,
}

pub fn table(rows: &[Row]) -> String {
    let mut s = String::from("| key | figure | measured | spread | reference (same run) | target | verdict |\n");
    s.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for r in rows {
        let value = match r.value {
            Some(v) => format!("**{}** {}", num(v), r.unit),
            None => "null".into(),
        };
        let (target, verdict) = match r.target {
            Some(t) => (t.describe(r.unit), t.verdict(r.value).to_string()),
            None => ("–".into(), "–".into()),
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            r.key, r.what, value, r.spread, r.reference, target, verdict
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_json_has_exactly_the_issue_keys_and_details() {
        let v = to_json(&Figures::default(), &BTreeMap::new()).expect("json");
        let obj = v.as_object().expect("object");
        for k in KEYS {
            assert!(obj.contains_key(k), "missing {k}");
            assert!(obj[k].is_null());
        }
        assert_eq!(obj.len(), KEYS.len() + 1, "only the issue's keys and `details`");
        assert!(obj["details"].is_object());
    }

    #[test]
    fn verdicts_and_numbers() {
        assert_eq!(Target::AtMost(15.0).verdict(Some(12.0)), "PASS");
        assert_eq!(Target::AtMost(15.0).verdict(Some(16.0)), "MISS");
        assert_eq!(Target::AtLeast(5000.0).verdict(Some(4999.0)), "MISS");
        assert_eq!(Target::AtLeast(5000.0).verdict(None), "not measured");
        assert_eq!(num(1234567.0), "1,234,567");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(0.01234), "0.012");
    }
}
