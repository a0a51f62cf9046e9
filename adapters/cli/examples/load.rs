//! A burst load test for an FTP server: N clients connect at once (one thread each,
//! released together by a barrier), each logs in, uploads SIZE bytes of its own
//! pattern with `STOR`, downloads them back with `RETR` and compares byte for byte.
//! Prints one summary line and exits non-zero on any error. Bounded in time: every
//! socket operation times out, and the whole run gives up after `--deadline`.
//!
//! ```text
//! cargo run --release -p sansftp-cli --example load -- 127.0.0.1:2121 \
//!     --sessions 1000 --size 131072 --user anonymous:x
//! ```
//!
//! `scripts/load.sh` starts `sansftp serve` on each adapter and runs this against it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

struct Options {
    addr: SocketAddr,
    sessions: usize,
    size: usize,
    user: String,
    password: String,
    io_timeout: Duration,
    deadline: Duration,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load: {e}");
            eprintln!(
                "usage: load ADDR [--sessions N] [--size BYTES] [--user NAME:PASSWORD] \
                 [--io-timeout SECS] [--deadline SECS]"
            );
            return ExitCode::from(2);
        }
    };
    let deadline = options.deadline;
    // The whole run is bounded, whatever a hung server does.
    thread::spawn(move || {
        thread::sleep(deadline);
        eprintln!("load: gave up after {deadline:?}");
        std::process::exit(3);
    });
    let options = Arc::new(options);
    let barrier = Arc::new(Barrier::new(options.sessions));
    let failures = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(options.sessions)));
    let start = Instant::now();
    let mut threads = Vec::with_capacity(options.sessions);
    for i in 0..options.sessions {
        let (options, barrier, failures, latencies) = (
            Arc::clone(&options),
            Arc::clone(&barrier),
            Arc::clone(&failures),
            Arc::clone(&latencies),
        );
        let spawned = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                barrier.wait();
                let start = Instant::now();
                let result = session(&options, i);
                if let Ok(mut l) = latencies.lock() {
                    l.push(start.elapsed());
                }
                if let Err(e) = result {
                    // Only the first few, so a broken server does not flood the terminal.
                    if failures.fetch_add(1, Ordering::Relaxed) < 10 {
                        eprintln!("load: session {i}: {e}");
                    }
                }
            });
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                eprintln!("load: cannot start thread {i}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    for t in threads {
        if t.join().is_err() {
            failures.fetch_add(1, Ordering::Relaxed);
        }
    }
    let failed = failures.load(Ordering::Relaxed);
    let elapsed = start.elapsed();
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort();
    let pct = |p: usize| l.get((l.len() * p / 100).min(l.len().saturating_sub(1)));
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!(
        "{} sessions, STOR + RETR of {} bytes each: {} ok, {failed} errors, {:.2} s \
         (session p50 {:.1} ms, p99 {:.1} ms)",
        options.sessions,
        options.size,
        options.sessions - failed,
        elapsed.as_secs_f64(),
        ms(pct(50)),
        ms(pct(99)),
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One client: login, STOR, RETR, compare, QUIT.
fn session(o: &Options, i: usize) -> io::Result<()> {
    let data = pattern(i, o.size);
    let name = format!("/load-{i}.bin");
    let mut c = Control::connect(o.addr, o.io_timeout)?;
    c.expect(None, 220)?;
    let code = c.expect(Some(&format!("USER {}", o.user)), 0)?;
    if code == 331 {
        c.expect(Some(&format!("PASS {}", o.password)), 230)?;
    } else if code != 230 {
        return Err(other(format!("USER: {code}")));
    }
    c.expect(Some("TYPE I"), 200)?;

    let mut up = c.data(o.io_timeout)?;
    c.expect(Some(&format!("STOR {name}")), 150)?;
    up.write_all(&data)?;
    drop(up);
    c.expect(None, 226)?;

    let mut down = c.data(o.io_timeout)?;
    c.expect(Some(&format!("RETR {name}")), 150)?;
    let mut back = Vec::with_capacity(o.size);
    down.read_to_end(&mut back)?;
    c.expect(None, 226)?;
    if back != data {
        return Err(other(format!(
            "downloaded {} bytes that differ from the {} uploaded",
            back.len(),
            data.len()
        )));
    }
    c.expect(Some("QUIT"), 221)?;
    Ok(())
}

/// Bytes that differ per session and per position, so a mix-up shows.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    let mut x = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct Control {
    reader: BufReader<TcpStream>,
    peer: SocketAddr,
}

impl Control {
    fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Control> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(Control {
            reader: BufReader::new(s),
            peer: addr,
        })
    }

    /// Sends `cmd` (if any) and reads one reply; its code must be `code` (0: any).
    fn expect(&mut self, cmd: Option<&str>, code: u16) -> io::Result<u16> {
        if let Some(cmd) = cmd {
            self.reader
                .get_mut()
                .write_all(format!("{cmd}\r\n").as_bytes())?;
        }
        let (got, text) = self.reply()?;
        if code != 0 && got != code {
            return Err(other(format!(
                "{}: expected {code}, got {}",
                cmd.unwrap_or("reply"),
                text.trim_end()
            )));
        }
        Ok(got)
    }

    fn reply(&mut self) -> io::Result<(u16, String)> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(other(format!("control connection closed after {text:?}")));
            }
            text.push_str(&line);
            let b = line.as_bytes();
            if b.len() >= 4 && b[3] == b' ' && b[..3].iter().all(u8::is_ascii_digit) {
                let code = line[..3].parse().map_err(|_| other("bad reply code"))?;
                return Ok((code, text));
            }
        }
    }

    /// `EPSV` and a data connection to the port it names.
    fn data(&mut self, timeout: Duration) -> io::Result<TcpStream> {
        self.reader.get_mut().write_all(b"EPSV\r\n")?;
        let (code, text) = self.reply()?;
        let port = text
            .split("|||")
            .nth(1)
            .and_then(|s| s.split('|').next())
            .and_then(|p| p.parse::<u16>().ok());
        let (229, Some(port)) = (code, port) else {
            return Err(other(format!("EPSV: {}", text.trim_end())));
        };
        let s = TcpStream::connect_timeout(&SocketAddr::new(self.peer.ip(), port), timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(s)
    }
}

fn other(text: impl Into<String>) -> io::Error {
    io::Error::other(text.into())
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let addr = args
        .next()
        .ok_or("no server address")?
        .parse()
        .map_err(|e| format!("address: {e}"))?;
    let mut o = Options {
        addr,
        sessions: 1000,
        size: 128 * 1024,
        user: "anonymous".into(),
        password: "load@".into(),
        io_timeout: Duration::from_secs(60),
        deadline: Duration::from_secs(300),
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--sessions" => o.sessions = number()?.max(1) as usize,
            "--size" => o.size = number()? as usize,
            "--io-timeout" => o.io_timeout = Duration::from_secs(number()?.max(1)),
            "--deadline" => o.deadline = Duration::from_secs(number()?.max(1)),
            "--user" => {
                let (u, p) = value.split_once(':').ok_or("--user takes NAME:PASSWORD")?;
                o.user = u.into();
                o.password = p.into();
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}
