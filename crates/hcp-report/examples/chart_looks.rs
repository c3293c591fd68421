//! Draws every sample chart in each language and theme, to look at them:
//! `cargo run -p hcp-report --example chart_looks -- <out dir>` writes `<chart>-<zh|en>-<light|dark>.png`.
use std::path::PathBuf;

use hcp_report::charts::{Lang, Look, Theme};
use hcp_report::{sample, Fonts, Format};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: chart_looks <out dir>")?);
    std::fs::create_dir_all(&out)?;
    let fonts = Fonts::locate()?;
    for (name, chart) in sample::all_charts() {
        for (lang, l) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
            for (theme, t) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
                let png = chart.render_as(&fonts, Format::Png, Look { lang, theme })?;
                let path = out.join(format!("{name}-{l}-{t}.png"));
                std::fs::write(&path, png)?;
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}
