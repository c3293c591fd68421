//! Measures generation speed: `cargo run --release -p hcp-synth --example speed [-- EVALUATIONS [CASES]]`.
//!
//! Builds the benchmark profile (1 M ratings and 100 k cases by default), drains both streams
//! and prints the time each took and the rate. Pure generation: nothing is written anywhere.

use std::time::Instant;

use hcp_synth::{Profile, Synth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let evaluations: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(Profile::BENCH_EVALUATIONS);
    let mut profile = Profile::bench(2025).scaled(evaluations);
    if let Some(cases) = args.next() {
        profile.cases = cases.parse()?;
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
    let mut bytes = 0usize;
    for r in synth.ratings() {
        ratings += 1;
        bytes += r.row.comment.len() + r.row.unit_path.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("ratings: {ratings} in {secs:.3} s ({:.0} ratings/s) [{bytes}]", ratings as f64 / secs);

    let t = Instant::now();
    let mut cases = 0u64;
    let mut events = 0usize;
    for c in synth.cases() {
        let c = c?;
        cases += 1;
        events += c.events.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("cases: {cases} with {events} events in {secs:.3} s ({:.0} cases/s)", cases as f64 / secs);
    Ok(())
}
