//! Measures generation speed:
//! `cargo run --release -p hcp-synth --example speed [-- EVALUATIONS [CASES [SEED]]]`.
//!
//! Builds the benchmark profile (1 M ratings and 100 k cases by default), drains both streams
//! and prints the time each took, the rate and the distributions. Pure generation: nothing is
//! written anywhere.

use std::collections::BTreeMap;
use std::time::Instant;

use hcp_synth::{Profile, Synth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let evaluations: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(Profile::BENCH_EVALUATIONS);
    let mut profile = Profile::bench(2025).scaled(evaluations);
    if let Some(cases) = args.next() {
        profile.cases = cases.parse()?;
    }
    if let Some(seed) = args.next() {
        profile.seed = seed.parse()?;
    }

    let t = Instant::now();
    let synth = Synth::new(profile.clone())?;
    let j = synth.jurisdiction();
    println!(
        "jurisdiction: {} units, {} staff, {} users in {:.3} s",
        j.units.len(),
        j.staff.len(),
        j.users.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut ratings = 0u64;
    let mut levels: BTreeMap<String, u64> = BTreeMap::new();
    let mut channels = [0u64; 9];
    for r in synth.ratings() {
        let r = r?;
        ratings += 1;
        *levels.entry(r.row.level.as_str().to_owned()).or_default() += 1;
        if let Some(c) = channels.get_mut(usize::from(r.row.channel)) {
            *c += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("ratings: {ratings} in {secs:.3} s ({:.0} ratings/s)", ratings as f64 / secs);
    println!("  levels: {levels:?}");
    println!("  channels 1-8: {:?}", &channels[1..]);

    let t = Instant::now();
    let mut cases = 0u64;
    let mut events = 0usize;
    let mut states: BTreeMap<String, u64> = BTreeMap::new();
    let mut sources: BTreeMap<String, u64> = BTreeMap::new();
    let mut escalations = [0u64; 4];
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut appeals: BTreeMap<String, u64> = BTreeMap::new();
    for c in synth.cases() {
        let c = c?;
        cases += 1;
        events += c.events.len();
        *states.entry(c.row.state.as_str().to_owned()).or_default() += 1;
        *sources.entry(c.row.source.as_str().to_owned()).or_default() += 1;
        if let Some(e) = escalations.get_mut(usize::from(c.row.escalation_level)) {
            *e += 1;
        }
        if let Some(a) = &c.row.aggregate {
            *appeals.entry(format!("{:?}", a.appeal)).or_default() += 1;
        }
        for e in &c.events {
            *kinds.entry(e.kind.clone()).or_default() += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("cases: {cases} with {events} events in {secs:.3} s ({:.0} cases/s)", cases as f64 / secs);
    println!("  sources: {sources:?}");
    println!("  states: {states:?}");
    println!("  escalation levels 0-3: {escalations:?}");
    println!("  appeals: {appeals:?}");
    println!("  events: {kinds:?}");
    Ok(())
}
