//! Connectivity returning without user action: the OS reports a new network address (a cable
//! plugged in, Wi-Fi rejoined, a VPN up) and the sync loop runs at once instead of waiting for
//! its next retry. Netlink address notifications on Linux, IP Helper notifications on Windows,
//! the system configuration store on macOS (all through `if-watch`); elsewhere nothing is
//! watched and the loop's own retry and backoff remain.

/// Stops the watch when dropped.
pub struct NetworkWatch {
    #[cfg(any(target_os = "linux", windows, target_os = "macos"))]
    task: tokio::task::JoinHandle<()>,
}

impl Drop for NetworkWatch {
    fn drop(&mut self) {
        #[cfg(any(target_os = "linux", windows, target_os = "macos"))]
        self.task.abort();
    }
}

/// Calls `on_up` whenever a non-loopback address appears (including, once, those present when
/// the watch starts). Returns None when the platform offers no watch or it cannot start (the
/// sync loop then relies on its retries). Must run inside a tokio runtime.
#[cfg(any(target_os = "linux", windows, target_os = "macos"))]
pub fn watch(on_up: impl Fn() + Send + 'static) -> Option<NetworkWatch> {
    use futures_util::StreamExt;
    use if_watch::IfEvent;

    let mut watcher = match if_watch::tokio::IfWatcher::new() {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch network changes; relying on sync retries");
            return None;
        }
    };
    let task = tokio::spawn(async move {
        while let Some(event) = watcher.next().await {
            match event {
                Ok(IfEvent::Up(net)) if !net.addr().is_loopback() => {
                    tracing::debug!("a network address appeared");
                    on_up();
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "network watch failed; relying on sync retries");
                    break;
                }
            }
        }
    });
    Some(NetworkWatch { task })
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
pub fn watch(_on_up: impl Fn() + Send + 'static) -> Option<NetworkWatch> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn the_watch_starts_and_reports_the_addresses_present() {
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let watch = super::watch(move || {
            s.fetch_add(1, Ordering::SeqCst);
        });
        let Some(watch) = watch else {
            panic!("netlink is available on Linux");
        };
        // The present addresses come first, as `Up` events; a machine without any non-loopback
        // address (an isolated container) reports none, which is fine too.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let has_address = std::fs::read_to_string("/proc/net/if_inet6")
            .is_ok_and(|s| s.lines().any(|l| !l.ends_with(" lo")))
            || std::process::Command::new("hostname")
                .arg("-I")
                .output()
                .is_ok_and(|o| !o.stdout.trim_ascii().is_empty());
        if has_address {
            assert!(seen.load(Ordering::SeqCst) > 0, "the present addresses are reported");
        }
        drop(watch);
    }
}
