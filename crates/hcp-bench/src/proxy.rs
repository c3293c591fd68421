//! A loopback round-robin TCP proxy: the load balancer in front of several `hcp-server`
//! processes for the scale-out figures. Each accepted connection goes to the next backend in
//! turn and its bytes are copied both ways until either side closes (HTTP keep-alive
//! connections therefore stay on one backend, as behind haproxy's or nginx's `roundrobin`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; stops accepting when dropped (connections already open run to their end).
pub struct Proxy {
    pub url: String,
    /// Connections handed to each backend, in the order of the backends given.
    pub per_backend: Arc<Vec<AtomicU64>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on a free loopback port and spreads connections over `backends` in turn.
    pub async fn start(backends: Vec<SocketAddr>) -> anyhow::Result<Proxy> {
        anyhow::ensure!(!backends.is_empty(), "a proxy needs at least one backend");
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let per_backend: Arc<Vec<AtomicU64>> = Arc::new(backends.iter().map(|_| AtomicU64::new(0)).collect());
        let next = Arc::new(AtomicUsize::new(0));
        let counts = per_backend.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let i = next.fetch_add(1, Ordering::Relaxed) % backends.len();
                counts[i].fetch_add(1, Ordering::Relaxed);
                let backend = backends[i];
                tokio::spawn(async move {
                    if let Err(e) = relay(client, backend).await {
                        tracing::debug!(error = %e, %backend, "proxied connection ended");
                    }
                });
            }
        });
        Ok(Proxy { url, per_backend, task })
    }

    /// Connections handed to each backend so far.
    pub fn counts(&self) -> Vec<u64> {
        self.per_backend.iter().map(|c| c.load(Ordering::Relaxed)).collect()
    }
}

/// The address of a `http://host:port` URL.
pub fn addr_of(url: &str) -> anyhow::Result<SocketAddr> {
    Ok(url.trim_start_matches("http://").trim_end_matches('/').parse()?)
}

async fn relay(client: TcpStream, backend: SocketAddr) -> std::io::Result<()> {
    let server = TcpStream::connect(backend).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    // Either direction ending (EOF or error) ends the connection: dropping the halves closes both sockets.
    tokio::select! {
        r = pump(cr, sw) => r,
        r = pump(sr, cw) => r,
    }
}

/// Copies bytes from `from` to `to` until `from` reaches its end.
async fn pump(from: OwnedReadHalf, to: OwnedWriteHalf) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        from.readable().await?;
        let n = match from.try_read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        let mut sent = 0;
        while sent < n {
            to.writable().await?;
            match to.try_write(&buf[sent..n]) {
                Ok(k) => sent += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tiny HTTP servers that answer with their own name; the proxy alternates between them
    /// per connection and carries whole exchanges both ways.
    #[tokio::test]
    async fn connections_alternate_between_backends() {
        let mut addrs = Vec::new();
        for name in ["one", "two"] {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addrs.push(l.local_addr().expect("addr"));
            tokio::spawn(async move {
                loop {
                    let Ok((s, _)) = l.accept().await else { return };
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        // Read the request (small: one read), then answer and close.
                        loop {
                            if s.readable().await.is_err() {
                                return;
                            }
                            match s.try_read(&mut buf) {
                                Ok(_) => break,
                                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                                Err(_) => return,
                            }
                        }
                        let body = format!("HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\n{name}");
                        let _ = s.writable().await;
                        let _ = s.try_write(body.as_bytes());
                    });
                }
            });
        }
        let proxy = Proxy::start(addrs).await.expect("proxy");
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(http.get(&proxy.url).send().await.expect("get").text().await.expect("body"));
        }
        assert_eq!(seen, ["one", "two", "one", "two"]);
        assert_eq!(proxy.counts(), [2, 2]);
    }
}
