//! A scripted FTP server for client scenarios our own server cannot produce (an MLST
//! answer of `type=cdir`), and that need to see what the client sent (an `ABOR` it
//! should not have). It serves one client on a thread, logs every line it receives,
//! and answers from a small table plus the [`Script`]'s own lines.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::ftp::{TIMEOUT, accept_within};

/// What the fake server answers beyond login, `FEAT`, `TYPE`, `PWD`, `NOOP`, `ABOR`
/// and `QUIT`.
#[derive(Default, Clone)]
pub struct Script {
    /// Whole replies (with CRLFs) to whole command lines, such as `"MLST /d"`.
    pub replies: HashMap<String, String>,
    /// Files `RETR` sends through a passive (`EPSV`/`PASV`) connection.
    pub files: HashMap<String, Vec<u8>>,
}

impl Script {
    /// Answers the command line `line` with the reply `reply` (CRLFs included).
    pub fn reply(mut self, line: &str, reply: &str) -> Script {
        self.replies.insert(line.to_owned(), reply.to_owned());
        self
    }

    /// Serves `data` as the file `path`.
    pub fn file(mut self, path: &str, data: &[u8]) -> Script {
        self.files.insert(path.to_owned(), data.to_vec());
        self
    }
}

/// The fake server: where it listens, and what it has received.
pub struct FakeServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Listens on 127.0.0.1 and serves one client with `script`.
    pub fn start(script: Script) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let thread = std::thread::spawn(move || {
            let control = accept_within(&listener, TIMEOUT);
            serve(control, &script, &seen);
        });
        FakeServer {
            addr,
            log,
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every command line received so far.
    pub fn received(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // The client has quit or gone; a panic in the thread (a test's broken
        // expectation there) fails the test unless it already fails.
        if let Some(t) = self.thread.take() {
            if t.join().is_err() && !std::thread::panicking() {
                panic!("the fake server failed");
            }
        }
    }
}

const FEAT: &str = "211-Features:\r\n MLST type*;size*;modify*;\r\n EPSV\r\n SIZE\r\n211 End\r\n";

fn serve(control: TcpStream, script: &Script, log: &Mutex<Vec<String>>) {
    let mut w = control.try_clone().expect("clone");
    let mut r = BufReader::new(control);
    let mut passive: Option<TcpListener> = None;
    let say = |w: &mut TcpStream, text: &str| w.write_all(text.as_bytes()).is_ok();
    if !say(&mut w, "220 fake\r\n") {
        return;
    }
    loop {
        let mut raw = Vec::new();
        match r.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
        if let Ok(mut l) = log.lock() {
            l.push(line.clone());
        }
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let arg = line.split_once(' ').map(|(_, a)| a).unwrap_or_default();
        let answer = if let Some(reply) = script.replies.get(&line) {
            reply.clone()
        } else {
            match verb.as_str() {
                "USER" => "331 password\r\n".into(),
                "PASS" => "230 in\r\n".into(),
                "FEAT" => FEAT.into(),
                "TYPE" | "NOOP" | "OPTS" => "200 ok\r\n".into(),
                "PWD" => "257 \"/\"\r\n".into(),
                "ABOR" => "226 nothing to abort\r\n".into(),
                "QUIT" => {
                    say(&mut w, "221 bye\r\n");
                    return;
                }
                "EPSV" => {
                    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
                    let port = l.local_addr().expect("address").port();
                    passive = Some(l);
                    format!("229 Entering Extended Passive Mode (|||{port}|)\r\n")
                }
                "RETR" => match (script.files.get(arg), passive.take()) {
                    (Some(data), Some(l)) => {
                        if !say(&mut w, "150 here it comes\r\n") {
                            return;
                        }
                        let mut conn = accept_within(&l, TIMEOUT);
                        let _ = conn.write_all(data);
                        drop(conn);
                        "226 done\r\n".into()
                    }
                    (None, _) => "550 no such file\r\n".into(),
                    (_, None) => "425 no data connection\r\n".into(),
                },
                _ => "502 not scripted\r\n".into(),
            }
        };
        if !say(&mut w, &answer) {
            return;
        }
    }
}
