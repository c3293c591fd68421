//! Where the 月调度通报's time goes: `cargo run -p hcp-report --example report_timing`.
//!
//! Times, for the sample report, locating and parsing the fonts, drawing each chart as the PDF
//! embeds it, laying the pages out, and writing the PDF (font subsetting, image compression);
//! each step is run three times and the fastest kept.
use std::time::Instant;

use hcp_report::{monthly, sample, Fonts, Format};

fn best<T>(what: &str, mut f: impl FnMut() -> T) -> T {
    let mut out = None;
    let mut fastest = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let v = f();
        fastest = fastest.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    println!("{what:<40} {:>8.0} ms", fastest * 1000.0);
    out.expect("ran")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fonts = best("fonts: locate and parse", Fonts::locate)?;
    let input = sample::monthly_report();
    for (i, chart) in input.charts.iter().enumerate() {
        best(&format!("chart {} as PNG", i + 1), || chart.render(&fonts, Format::Png))?;
    }
    let pages = best("layout (charts rasterised)", || monthly::pages(&fonts, &input))?;
    let pdf = best("PDF written (subsetting, compression)", || pages.pdf(&fonts))?;
    best("whole report (monthly::render)", || monthly::render(&fonts, &input))?;
    println!("{} pages, {} KB", pages.len(), pdf.len() / 1024);
    Ok(())
}
