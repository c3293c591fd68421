//! A TCP proxy that breaks the network the way a hall's Wi-Fi does, for the sync tests: per
//! connection it passes the traffic, delays it, drops the connection before it starts, resets it
//! once the server has answered, or cuts the answer short. The choice is random from a seed, and
//! the proxy counts how often each fault happened so a test can show that each one did.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};

/// What the proxy does to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Every chunk of the answer waits 20–200 ms.
    Delay,
    /// The connection is closed before anything is forwarded.
    Drop,
    /// The connection is reset (RST) once the server's answer has started.
    Reset,
    /// The answer is cut after a part of its first chunk, then the connection closes.
    Truncate,
}

const FAULTS: [Fault; 5] = [Fault::Pass, Fault::Delay, Fault::Drop, Fault::Reset, Fault::Truncate];

/// How many connections met each fault.
#[derive(Debug, Default)]
pub struct FaultCounts {
    counts: [AtomicU64; 5],
}

impl FaultCounts {
    pub fn get(&self, f: Fault) -> u64 {
        self.counts[FAULTS.iter().position(|x| *x == f).unwrap_or(0)].load(Ordering::SeqCst)
    }
    fn note(&self, f: Fault) {
        self.counts[FAULTS.iter().position(|x| *x == f).unwrap_or(0)].fetch_add(1, Ordering::SeqCst);
    }
}

pub struct FaultProxy {
    pub url: String,
    pub counts: Arc<FaultCounts>,
}

type Dice = Arc<Mutex<rand::rngs::StdRng>>;

/// Draws the fault for the next request (or answer), with its delay and cut.
fn roll(dice: &Dice, pass_percent: u32) -> (Fault, Duration, usize) {
    let Ok(mut r) = dice.lock() else { return (Fault::Pass, Duration::ZERO, 1) };
    let fault = if r.gen_range(0..100) < pass_percent { Fault::Pass } else { FAULTS[r.gen_range(1..5)] };
    (fault, Duration::from_millis(r.gen_range(20..200)), r.gen_range(1..400usize))
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream`. Clients keep connections alive, so the fault is drawn
    /// per request, not per connection: `pass_percent` of the requests go through untouched, the
    /// rest meet one of the four faults at random (a dropped, reset or truncated one ends its
    /// connection, and the client opens a new one for the next request).
    pub fn start(upstream: SocketAddr, seed: u64, pass_percent: u32) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let counts = Arc::new(FaultCounts::default());
        let dice: Dice = Arc::new(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)));
        let c = counts.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (dice, counts) = (dice.clone(), c.clone());
                std::thread::spawn(move || serve(client, upstream, dice, counts, pass_percent));
            }
        });
        Ok(FaultProxy { url, counts })
    }
}

/// The fault drawn for the request in flight on one connection.
#[derive(Clone, Copy)]
struct Current {
    fault: Fault,
    delay: Duration,
    cut: usize,
    /// The answer to this request has started.
    answering: bool,
}

fn serve(client: TcpStream, upstream: SocketAddr, dice: Dice, counts: Arc<FaultCounts>, pass_percent: u32) {
    let Ok(server) = TcpStream::connect(upstream) else { return };
    let (Ok(mut c_in), Ok(mut s_out)) = (client.try_clone(), server.try_clone()) else { return };
    let (Ok(c_kill), Ok(s_kill)) = (client.try_clone(), server.try_clone()) else { return };
    let current = Arc::new(Mutex::new(Current { fault: Fault::Pass, delay: Duration::ZERO, cut: 1, answering: true }));
    let cur = current.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = c_in.read(&mut buf) {
            if n == 0 {
                break;
            }
            let fault = {
                let Ok(mut st) = cur.lock() else { break };
                if st.answering {
                    // A new request: draw its fault.
                    let (fault, delay, cut) = roll(&dice, pass_percent);
                    counts.note(fault);
                    *st = Current { fault, delay, cut, answering: false };
                }
                st.fault
            };
            if fault == Fault::Drop {
                let _ = c_kill.shutdown(Shutdown::Both);
                let _ = s_kill.shutdown(Shutdown::Both);
                return;
            }
            if s_out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = s_out.shutdown(Shutdown::Write);
    });
    let (mut s_in, mut c_out) = (server, client);
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = s_in.read(&mut buf) {
        if n == 0 {
            break;
        }
        let st = {
            let Ok(mut st) = current.lock() else { break };
            st.answering = true;
            *st
        };
        match st.fault {
            Fault::Delay => std::thread::sleep(st.delay),
            Fault::Reset => {
                // Linger 0: the last close of the client's socket sends a reset, not an orderly end.
                let _ = socket2::SockRef::from(&c_out).set_linger(Some(Duration::ZERO));
                let _ = c_out.shutdown(Shutdown::Read);
                let _ = s_in.shutdown(Shutdown::Both);
                return;
            }
            Fault::Truncate => {
                let _ = c_out.write_all(&buf[..st.cut.min(n.saturating_sub(1)).max(1)]);
                let _ = c_out.shutdown(Shutdown::Both);
                let _ = s_in.shutdown(Shutdown::Both);
                return;
            }
            Fault::Pass | Fault::Drop => {}
        }
        if c_out.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = c_out.shutdown(Shutdown::Write);
}
