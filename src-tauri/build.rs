fn main() {
    // The config lives at the repository root, beside Cargo.toml.
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json")) {
        eprintln!("tauri build configuration failed: {e:#}");
        std::process::exit(1);
    }
}
