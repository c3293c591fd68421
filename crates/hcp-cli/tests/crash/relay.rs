//! A TCP relay between the `hcp` client and the server that holds back the answer to a push: the
//! request reaches the server (which applies it and commits), and when the first bytes of the
//! answer arrive the relay keeps them and tells the test, which then kills the client. So a kill
//! lands, every time, between the server applying a push and the client recording the answer.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

pub struct PushHold {
    pub url: String,
    /// One message each time an answer to a push is being held.
    pub held: Receiver<()>,
}

/// Starts the relay in front of `upstream` (host:port).
pub fn start(upstream: String) -> PushHold {
    let listener = TcpListener::bind("127.0.0.1:0").expect("relay listens");
    let url = format!("http://{}", listener.local_addr().expect("relay address"));
    let (tx, held) = channel();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            relay(client, server, tx.clone());
        }
    });
    PushHold { url, held }
}

fn relay(client: TcpStream, server: TcpStream, held: Sender<()>) {
    let push_sent = Arc::new(AtomicBool::new(false));
    let (Ok(mut c_in), Ok(mut s_out)) = (client.try_clone(), server.try_clone()) else { return };
    let seen = push_sent.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = c_in.read(&mut buf) {
            if n == 0 {
                break;
            }
            if buf[..n].windows(17).any(|w| w == b"/api/v1/sync/push") {
                seen.store(true, Ordering::SeqCst);
            }
            if s_out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = s_out.shutdown(Shutdown::Write);
    });
    let (mut s_in, mut c_out) = (server, client);
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = s_in.read(&mut buf) {
            if n == 0 {
                break;
            }
            if push_sent.swap(false, Ordering::SeqCst) {
                // The server has answered the push, so it has applied it: hold the answer until the
                // test has killed the client (the write below then fails).
                let _ = held.send(());
                std::thread::sleep(Duration::from_secs(5));
            }
            if c_out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = c_out.shutdown(Shutdown::Write);
    });
}
