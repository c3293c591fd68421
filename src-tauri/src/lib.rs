//! The desktop shell: a window, the app's state and thin commands over `hcp-app`.

mod commands;
mod updates;

use std::path::PathBuf;
use std::sync::Arc;

use hcp_app::{App, KeyringStore, KEYRING_SERVICE};
use tauri::{Manager, Runtime};
use tracing_subscriber::{EnvFilter, Layer};

/// The sync engine's status, pushed to the UI at each change (the status bar follows it without
/// polling; see `hcp_app::App::set_status_listener`).
#[derive(Debug, Clone, serde::Serialize, specta::Type, tauri_specta::Event)]
pub struct SyncStatusChanged(pub hcp_app::SyncStatus);

/// The command and event registry; also the source of the generated TypeScript bindings.
pub fn specta_builder<R: Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new().events(tauri_specta::collect_events![SyncStatusChanged]).commands(
        tauri_specta::collect_commands![
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
            commands::league,
            commands::hotspots,
            commands::star_board,
            commands::confirm_award,
            commands::print_awards,
            commands::score_sheets,
            commands::export_score_sheets,
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
            commands::check_update,
            commands::install_update,
            commands::admin_set_unit_active,
            commands::admin_move_unit,
            commands::hotline_deliveries,
            commands::hotline_retry,
            commands::self_assessments,
            commands::save_self_assessment_draft,
            commands::submit_self_assessment,
            commands::review_self_assessment,
            commands::survey_results,
            commands::choose_open_path,
            commands::import_surveys,
            commands::case_files,
            commands::attach_files,
            commands::retry_case_file,
            commands::remove_case_file,
            commands::issue_command_with_files,
            commands::save_case_file,
            commands::file_cache,
            commands::save_file_cache_cap,
        ],
    )
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

/// Emits each new sync status to the UI as [`SyncStatusChanged`]; a failed emit (the window is
/// closing) is logged, and the UI reads the status again when it starts listening.
fn status_pusher<R: Runtime>(handle: tauri::AppHandle<R>) -> hcp_app::StatusListener {
    use tauri_specta::Event;
    Arc::new(move |status: &hcp_app::SyncStatus| {
        if let Err(e) = SyncStatusChanged(status.clone()).emit(&handle) {
            tracing::warn!(error = %e, "the sync status could not be pushed to the window");
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

/// The OS's open dialog (tauri-plugin-dialog) for `commands::choose_open_path`.
fn open_dialog<R: Runtime>(handle: tauri::AppHandle<R>) -> commands::OpenDialog {
    use tauri_plugin_dialog::DialogExt;
    Arc::new(move |filters: Vec<commands::SaveFilter>| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut dialog = handle.dialog().file();
        for f in &filters {
            let exts: Vec<&str> = f.extensions.iter().map(String::as_str).collect();
            dialog = dialog.add_filter(&f.name, &exts);
        }
        dialog.pick_file(move |path| {
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

/// Sets up the app on any runtime (the real window or the test mock); `log_file` starts writing
/// into the data folder's `logs` once the folder is known.
pub fn build<R: Runtime>(
    builder: tauri::Builder<R>,
    data_dir: Option<PathBuf>,
    log_file: hcp_app::logs::LogFile,
) -> tauri::Builder<R> {
    let registry = specta_builder::<R>();
    let specta = registry.invoke_handler();
    // Raw bytes (an `ArrayBuffer` in the webview) are no JSON type: this command is outside the
    // typed bindings.
    let raw: Box<dyn Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync> =
        Box::new(tauri::generate_handler![commands::case_file_bytes]);
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .invoke_handler(move |invoke| match invoke.message.command() {
            "case_file_bytes" => raw(invoke),
            _ => specta(invoke),
        })
        .setup(move |app| {
            registry.mount_events(app);
            let data_dir = match data_dir.clone() {
                Some(d) => d,
                None => app.path().app_data_dir()?,
            };
            app.manage(updates::Updates::new(app.handle().clone()));
            match log_file.open(&data_dir) {
                Ok(dir) => tracing::info!(dir = %dir.display(), "writing log files"),
                Err(e) => tracing::warn!(error = %e, "the log folder cannot be written: logging to stderr only"),
            }
            let server = std::env::var("HCP_SERVER_URL").ok().filter(|s| !s.trim().is_empty());
            let version = app.package_info().version.to_string();
            let hcp = Arc::new(
                App::new(&data_dir, Arc::new(KeyringStore::new(KEYRING_SERVICE)), server).with_version(version.clone()),
            );
            hcp.set_notifier(os_notifier(app.handle().clone()));
            hcp.set_status_listener(status_pusher(app.handle().clone()));
            app.manage(save_dialog(app.handle().clone()));
            app.manage(open_dialog(app.handle().clone()));
            tauri::async_runtime::spawn(hcp.clone().run_sync_loop(hcp_app::settings::default_sync_interval()));
            app.manage(hcp);
            tracing::info!(%version, "haochaping started");
            Ok(())
        })
}

/// The single-instance plugin's name for this data folder: the app's identifier for the usual
/// folder, and one of its own for a folder given by `HCP_DATA_DIR` (tests, a second account on
/// one desktop), so that only a launch on the same replica is turned away.
fn instance_id(data_dir: Option<&std::path::Path>) -> String {
    const IDENTIFIER: &str = "cn.haochaping.desktop";
    match data_dir {
        None => IDENTIFIER.to_owned(),
        Some(dir) => {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut h);
            format!("{IDENTIFIER}.dir{:016x}", h.finish())
        }
    }
}

/// A second launch on the same data folder ends at once and brings this window to the front.
fn focus_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    tracing::info!("a second launch was turned away: showing this window");
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

pub fn run() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let log_file = hcp_app::logs::LogFile::new();
    let filter = || EnvFilter::try_from_env("HCP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter()))
        .with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(log_file.clone()).with_filter(filter()))
        .init();
    let data_dir = std::env::var_os("HCP_DATA_DIR").map(PathBuf::from);
    // First among the plugins: a second instance must stop before anything opens the replica.
    let single = tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance_id(data_dir.as_deref()))
        .callback(|app, _args, _cwd| focus_main_window(app))
        .build();
    let builder = tauri::Builder::default().plugin(single);
    // The config sits at the repository root; paths inside it resolve from there.
    let result = build(builder, data_dir, log_file).run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        tracing::error!(error = %e, "the desktop app failed to start");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_has_its_own_instance_name() {
        assert_eq!(instance_id(None), "cn.haochaping.desktop");
        let a = instance_id(Some(std::path::Path::new("/tmp/a")));
        assert_ne!(a, instance_id(Some(std::path::Path::new("/tmp/b"))));
        assert_eq!(a, instance_id(Some(std::path::Path::new("/tmp/a"))));
        // A D-Bus name element may not start with a digit.
        assert!(a.rsplit('.').next().is_some_and(|last| last.starts_with("dir")), "{a}");
    }

    /// The committed ui/src/api/bindings.ts must equal what the commands generate now.
    /// `HCP_UPDATE_BINDINGS=1 cargo test -p haochaping bindings` (or `make bindings`) rewrites it.
    #[test]
    fn typescript_bindings_are_fresh() {
        let committed = PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("../ui/src/api/bindings.ts");
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
