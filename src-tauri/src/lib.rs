//! The desktop shell: a window, the app's state and thin commands over `hcp-app`.

mod commands;

use std::path::PathBuf;
use std::sync::Arc;

use hcp_app::{App, KeyringStore, KEYRING_SERVICE};
use tauri::{Manager, Runtime};
use tracing_subscriber::EnvFilter;

/// The command registry; also the source of the generated TypeScript bindings.
pub fn specta_builder<R: Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new().commands(tauri_specta::collect_commands![
        commands::app_info,
        commands::session_restore,
        commands::login,
        commands::logout,
        commands::sync_now,
        commands::sync_status,
        commands::list_cases,
        commands::case_detail,
        commands::issue_command,
        commands::outbox,
        commands::discard_command,
        commands::cancel_command,
        commands::change_password,
        commands::reissue_command,
        commands::print_notices,
        commands::preview_notices,
        commands::send_notices_to_printer,
        commands::open_document,
        commands::reveal_evaluator,
        commands::dashboard,
        commands::calendar_status,
        commands::monthly_report,
        commands::open_report,
        commands::assignees,
        commands::assign_departments,
        commands::units,
        commands::bulk_assign,
        commands::urge_cases,
        commands::integrity_flags,
        commands::decide_flag,
        commands::app_settings,
        commands::save_app_settings,
        commands::check_server,
        commands::replica_info,
        commands::redownload_replica,
        commands::erase_replica,
        commands::export_diagnostics,
        commands::about,
        commands::supervision_board,
        commands::bulk_escalate,
        commands::notifications,
        commands::mark_notifications_read,
        commands::set_os_notifications,
        commands::choose_save_path,
        commands::admin_units,
        commands::admin_save_unit,
        commands::admin_staff,
        commands::admin_save_staff,
        commands::admin_accounts,
        commands::admin_save_account,
        commands::admin_items,
        commands::admin_save_item,
        commands::admin_calendar,
        commands::admin_preview_calendar_year,
        commands::admin_import_calendar_year,
        commands::admin_policy,
        commands::admin_save_policy,
        commands::audit_trail,
        commands::export_audit,
        commands::export_cases,
        commands::export_stats,
        commands::save_disclosure,
        commands::accountability_register,
        commands::verify_evidence_chain,
        commands::bad_review_concentrations,
        commands::accountability_record,
        commands::notice_register,
        commands::reprint_notices,
        commands::open_registered_notice,
        commands::notice_file_name,
        commands::save_notices_as,
        commands::finding_options,
        commands::create_finding,
    ])
}

/// Shows new notifications as OS notifications. Without a notification service (a bare X server,
/// a locked-down desktop) showing fails: logged, never fatal; the in-app list has them anyway.
fn os_notifier<R: Runtime>(handle: tauri::AppHandle<R>) -> hcp_app::Notifier {
    use tauri_plugin_notification::NotificationExt;
    Arc::new(move |fresh: &[hcp_app::Notification]| {
        // Many at once (the first sync of the morning): one summary instead of a flood.
        let shown: Vec<(String, String)> = if fresh.len() > 3 {
            vec![(
                format!("好差评督办：{} 条新提醒", fresh.len()),
                fresh.iter().take(3).map(|n| n.title.clone()).collect::<Vec<_>>().join("；") + "……",
            )]
        } else {
            fresh.iter().map(|n| (n.title.clone(), n.body.clone())).collect()
        };
        for (title, body) in shown {
            if let Err(e) = handle.notification().builder().title(title).body(body).show() {
                tracing::warn!(error = %e, "an OS notification could not be shown");
            }
        }
    })
}

/// The OS's save dialog (tauri-plugin-dialog) for `commands::choose_save_path`.
fn save_dialog<R: Runtime>(handle: tauri::AppHandle<R>) -> commands::SaveDialog {
    use tauri_plugin_dialog::DialogExt;
    Arc::new(move |name: String, filters: Vec<commands::SaveFilter>| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut dialog = handle.dialog().file().set_file_name(name);
        for f in &filters {
            let exts: Vec<&str> = f.extensions.iter().map(String::as_str).collect();
            dialog = dialog.add_filter(&f.name, &exts);
        }
        dialog.save_file(move |path| {
            // A path the dialog cannot give as a file path (a URI on some desktops) counts as
            // cancelled; the user can choose again.
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
        rx
    })
}

/// The TypeScript flavour of the bindings.
pub fn typescript() -> specta_typescript::Typescript {
    specta_typescript::Typescript::default()
        .header("// Generated by tauri-specta from src-tauri (run `make bindings`). Do not edit.\n// @ts-nocheck")
}

/// Sets up the app on any runtime (the real window or the test mock).
pub fn build<R: Runtime>(builder: tauri::Builder<R>, data_dir: Option<PathBuf>) -> tauri::Builder<R> {
    let specta = specta_builder::<R>();
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            let data_dir = match data_dir.clone() {
                Some(d) => d,
                None => app.path().app_data_dir()?,
            };
            let server = std::env::var("HCP_SERVER_URL").ok().filter(|s| !s.trim().is_empty());
            let hcp = Arc::new(App::new(&data_dir, Arc::new(KeyringStore::new(KEYRING_SERVICE)), server));
            hcp.set_notifier(os_notifier(app.handle().clone()));
            app.manage(save_dialog(app.handle().clone()));
            tauri::async_runtime::spawn(hcp.clone().run_sync_loop(hcp_app::settings::default_sync_interval()));
            app.manage(hcp);
            tracing::info!("haochaping started");
            Ok(())
        })
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HCP_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let data_dir = std::env::var_os("HCP_DATA_DIR").map(PathBuf::from);
    // The config sits at the repository root; paths inside it resolve from there.
    let result = build(tauri::Builder::default(), data_dir).run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        tracing::error!(error = %e, "the desktop app failed to start");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed ui/src/api/bindings.ts must equal what the commands generate now.
    /// `HCP_UPDATE_BINDINGS=1 cargo test -p haochaping bindings` (or `make bindings`) rewrites it.
    #[test]
    fn typescript_bindings_are_fresh() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/api/bindings.ts");
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("bindings.ts");
        specta_builder::<tauri::Wry>().export(typescript(), &fresh).expect("export bindings");
        let fresh = std::fs::read_to_string(&fresh).expect("read fresh");
        if std::env::var_os("HCP_UPDATE_BINDINGS").is_some() {
            std::fs::write(&committed, &fresh).expect("write bindings");
            return;
        }
        let old = std::fs::read_to_string(&committed).unwrap_or_default();
        assert!(old == fresh, "ui/src/api/bindings.ts is stale: run `make bindings` and commit it");
    }
}
