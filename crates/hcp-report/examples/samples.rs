//! Regenerates docs/samples/: `cargo run --example samples`.
//!
//! Writes the notice (two notices batch-printed into one PDF), the monthly
//! report, PNGs of their first pages (through pdftoppm, when installed), every
//! chart as SVG and PNG, and the CSV/XLSX exports.
use std::path::Path;
use std::process::Command;

use hcp_report::{awards, export, monthly, notice, sample, Fonts, Format};

fn page_png(pdf: &Path, page: u32, out_prefix: &Path) {
    let status = Command::new("pdftoppm")
        .args(["-r", "100", "-png", "-singlefile"])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg(out_prefix)
        .status();
    match status {
        Ok(s) if s.success() => println!("{}.png", out_prefix.display()),
        _ => eprintln!("pdftoppm (poppler-utils) unavailable: skipped {}.png", out_prefix.display()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()))
        .join("../../docs/samples");
    std::fs::create_dir_all(&out)?;
    let fonts = Fonts::locate()?;

    let path = out.join("notice.pdf");
    std::fs::write(&path, notice::render(&fonts, &[sample::notice(), sample::notice_2()])?)?;
    page_png(&path, 1, &out.join("notice-page1"));
    page_png(&path, 2, &out.join("notice-page2"));

    // 催办通知书 and 督办通知单, batch-printed as the 督办 board does.
    let path = out.join("reminder-and-supervision.pdf");
    std::fs::write(&path, notice::render(&fonts, &[sample::reminder(), sample::supervision_sheet()])?)?;
    page_png(&path, 1, &out.join("reminder-page1"));
    page_png(&path, 3, &out.join("supervision-page1"));

    // A 督办整改通知书 listing the case's evidence files, with a photo as 附图.
    let path = out.join("notice-with-evidence.pdf");
    std::fs::write(&path, notice::render(&fonts, &[sample::notice_with_evidence()])?)?;
    page_png(&path, 2, &out.join("notice-with-evidence-page2"));
    page_png(&path, 4, &out.join("notice-with-evidence-appendix"));

    let path = out.join("monthly-report.pdf");
    std::fs::write(&path, monthly::render(&fonts, &sample::monthly_report())?)?;
    page_png(&path, 1, &out.join("monthly-report-page1"));
    page_png(&path, 2, &out.join("monthly-report-page2"));
    page_png(&path, 5, &out.join("monthly-report-page5"));

    // 服务明星 / 办事能手: the list and the certificates.
    let path = out.join("awards-list.pdf");
    std::fs::write(&path, awards::render_list(&fonts, &sample::awards())?)?;
    page_png(&path, 1, &out.join("awards-list-page1"));
    let path = out.join("awards-certificates.pdf");
    std::fs::write(&path, awards::render_certificates(&fonts, &sample::awards())?)?;
    page_png(&path, 1, &out.join("awards-certificate-page1"));

    for (name, chart) in sample::all_charts() {
        std::fs::write(out.join(format!("{name}.svg")), chart.render(&fonts, Format::Svg)?)?;
        std::fs::write(out.join(format!("{name}.png")), chart.render(&fonts, Format::Png)?)?;
    }

    let units = sample::unit_kpis();
    let cases = sample::cases();
    std::fs::write(out.join("kpis.csv"), export::kpis_csv(&units)?)?;
    std::fs::write(out.join("kpis.xlsx"), export::kpis_xlsx(&units)?)?;
    std::fs::write(out.join("cases.csv"), export::cases_csv(&cases)?)?;
    std::fs::write(out.join("cases.xlsx"), export::cases_xlsx(&cases)?)?;
    std::fs::write(out.join("public-disclosure.csv"), export::public_disclosure_csv(&cases, 5)?)?;
    println!("samples written to {}", out.display());
    Ok(())
}
