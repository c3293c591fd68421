//! The HTTP/1.1 server loop, with the limits that keep one client from starving the others.
//!
//! `axum::serve` reads request heads without a deadline and accepts every connection until the
//! process runs out of file descriptors, so a thousand half-sent requests stop the server. Here:
//! - a request head must arrive within `header_read_timeout` (this also closes idle keep-alive
//!   connections), and a request body within `body_read_timeout` of its head;
//! - at most `max_connections` connections are open at once (never more than the process's file
//!   descriptor limit allows, with room for the database), and at most `max_connections_per_ip`
//!   from one address, so one client cannot take every slot. A connection over either cap is
//!   answered with a 503 (`Retry-After`) and closed at once, so the accept loop never stalls.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use futures_util::StreamExt;
use http_body_util::{BodyStream, StreamBody};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The connection and timing limits of [`serve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 4_096,
            max_connections_per_ip: 128,
            header_read_timeout: Duration::from_secs(15),
            body_read_timeout: Duration::from_secs(60),
        }
    }
}

/// File descriptors kept for the database, logs and the listener itself.
const RESERVED_FDS: usize = 128;

/// The process's soft limit on open files, where the system says (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

impl Limits {
    /// The connection cap in force: the configured one, lowered to what the file descriptor limit
    /// leaves after [`RESERVED_FDS`].
    pub fn effective_max_connections(&self) -> usize {
        let fd_room = open_files_limit().map_or(usize::MAX, |n| n.saturating_sub(RESERVED_FDS).max(16));
        self.max_connections.min(fd_room).max(1)
    }
}

/// Open connections, in total and per address.
struct Slots {
    max: usize,
    max_per_ip: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One open connection's place; given back when dropped.
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Slots {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let from_ip = open.1.get(&ip).copied().unwrap_or(0);
        if open.0 >= self.max || from_ip >= self.max_per_ip {
            return None;
        }
        open.0 += 1;
        open.1.insert(ip, from_ip + 1);
        Some(Slot { slots: self.clone(), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        open.0 = open.0.saturating_sub(1);
        if let Some(n) = open.1.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.1.remove(&self.ip);
            }
        }
    }
}

/// The answer to a connection over a cap, written without waiting (a client that does not read
/// gets nothing) before the connection is closed.
fn refuse(stream: &TcpStream) {
    const BODY: &str = r#"{"code":"throttled","message":"服务器连接数已满，请稍后重试"}"#;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 5\r\nconnection: close\r\n\r\n",
        BODY.len()
    );
    let _ = stream.try_write(format!("{head}{BODY}").as_bytes());
}

/// A request body that fails once `timeout` has passed since its head arrived, however slowly
/// its bytes trickle in.
fn deadline_body(body: hyper::body::Incoming, timeout: Duration) -> axum::body::Body {
    let deadline = Box::pin(tokio::time::sleep(timeout));
    let frames = futures_util::stream::unfold(Some((BodyStream::new(body), deadline)), |state| async move {
        let (mut frames, mut deadline) = state?;
        tokio::select! {
            frame = frames.next() => {
                let frame = frame?;
                Some((frame.map_err(axum::Error::new), Some((frames, deadline))))
            }
            () = &mut deadline => {
                tracing::info!("a request body was not received in time");
                Some((Err(axum::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body was not received in time",
                ))), None))
            }
        }
    });
    axum::body::Body::new(StreamBody::new(frames))
}

/// Serves `app` on `listener` until `shutdown` turns true, then lets open requests finish.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Slots {
        max: limits.effective_max_connections(),
        max_per_ip: limits.max_connections_per_ip.max(1),
        open: Mutex::new((0, HashMap::new())),
    });
    tracing::info!(max_connections = slots.max, per_address = slots.max_per_ip, "accepting connections");
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_headers(200);
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors (or another passing failure): wait a little, never spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = slots.take(peer.ip()) else {
            refuse(&stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The router, told the peer's address, with the body deadline.
        let (app, body_timeout) = (app.clone(), limits.body_read_timeout);
        let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let mut req = req.map(|b| deadline_body(b, body_timeout));
            req.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), req)
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            let _slot = slot;
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.wait_for(|stop| *stop) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
        // Reap finished connections so the set does not grow.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}
