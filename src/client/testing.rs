//! A client [`Session`] wired to a server session ([`Driver`]) in memory, with virtual
//! time: the pair tests' harness. Data connections are simulated: the server's transfer
//! runs on its in-memory file system, and its bytes are handed to the client.

use std::net::SocketAddr;
use std::time::Duration;

use crate::Error;
use crate::server::testing::{Driver, LOCAL, PEER};
use crate::time::DateTime;

use super::{Config, Item, Operation, Output, Session, TransferKind, Value};

/// A client session and a server session talking to each other.
#[derive(Debug)]
pub struct Pair {
    /// The client under test.
    pub client: Session,
    /// The server, with its in-memory file system (`server.fs`).
    pub server: Driver,
    /// Entries of the last [`Operation::List`].
    pub entries: Vec<Item>,
    /// Bytes the client received over data connections (downloads).
    pub downloaded: Vec<u8>,
    /// What the next upload sends.
    pub upload: Vec<u8>,
    /// Every address the client connected a data connection to.
    pub connects: Vec<SocketAddr>,
    /// Every control byte the client sent.
    pub client_wire: Vec<u8>,
    /// The client asked to close the control connection.
    pub closed: bool,
    /// Stop at the next [`Output::Transfer`] without moving data (`pending_transfer`),
    /// so a test can abort or fail it.
    pub hold_transfers: bool,
    /// The transfer held in `hold_transfers` mode.
    pub pending_transfer: Option<TransferKind>,
    /// [`Output::SecureControl`]s the client asked for (each answered with
    /// [`Session::control_secured`] at once).
    pub tls_upgrades: usize,
    /// For every [`Output::Transfer`], whether it ran TLS.
    pub data_tls: Vec<bool>,
    server_read: usize,
    server_close_fed: bool,
}

impl Pair {
    /// A pair whose client has read the greeting.
    pub fn new(server: crate::server::Config, client: Config) -> Pair {
        let server = Driver::new(server);
        let peer: SocketAddr = LOCAL
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([10, 0, 0, 1], 21)));
        let local: SocketAddr = PEER
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([10, 0, 0, 2], 40000)));
        let client = Session::new(client, peer, local, server.now);
        let mut pair = Pair {
            client,
            server,
            entries: Vec::new(),
            downloaded: Vec::new(),
            upload: Vec::new(),
            connects: Vec::new(),
            client_wire: Vec::new(),
            closed: false,
            hold_transfers: false,
            pending_transfer: None,
            tls_upgrades: 0,
            data_tls: Vec::new(),
            server_read: 0,
            server_close_fed: false,
        };
        let _greeting = pair.pump();
        pair
    }

    /// Runs `op` to its end. A pair that stops making progress before the end gives
    /// [`Error::Timeout`].
    pub fn run(&mut self, op: Operation) -> Result<Value, Error> {
        self.entries.clear();
        if matches!(op, Operation::Upload { .. }) {
            self.server.upload = self.upload.clone();
        }
        let now = self.server.now;
        if self.client.start(op, now, DateTime::UNIX_EPOCH).is_err() {
            return Err(Error::Timeout("the pair's client is busy".into()));
        }
        self.finish()
    }

    /// Drives the pair until the running operation ends.
    pub fn finish(&mut self) -> Result<Value, Error> {
        self.pump().unwrap_or_else(|| {
            Err(Error::Timeout(
                "the pair stopped before the operation ended".into(),
            ))
        })
    }

    /// Moves the clock on and fires both sides' timers.
    pub fn advance(&mut self, d: Duration) -> Option<Result<Value, Error>> {
        self.server.advance(d);
        self.client.handle_timeout(self.server.now);
        self.pump()
    }

    /// The server's control text so far.
    pub fn server_text(&self) -> String {
        String::from_utf8_lossy(&self.server.wire).into_owned()
    }

    /// The client's control text so far.
    pub fn client_text(&self) -> String {
        String::from_utf8_lossy(&self.client_wire).into_owned()
    }

    /// Delivers bytes both ways until nothing moves; returns the operation's result if
    /// it ended.
    pub fn pump(&mut self) -> Option<Result<Value, Error>> {
        let mut result = None;
        loop {
            let mut moved = false;
            let now = self.server.now;
            if self.server_read < self.server.wire.len() {
                let bytes = self
                    .server
                    .wire
                    .get(self.server_read..)
                    .unwrap_or_default()
                    .to_vec();
                self.server_read = self.server.wire.len();
                self.client.handle_control(&bytes, now);
                moved = true;
            }
            if self.server.closed && !self.server_close_fed {
                self.server_close_fed = true;
                self.client.control_closed();
                moved = true;
            }
            while let Some(out) = self.client.poll_output() {
                moved = true;
                match out {
                    Output::Send(b) => {
                        self.client_wire.extend_from_slice(&b);
                        if !self.server.closed {
                            self.server.send(&b);
                        }
                    }
                    Output::Connect(addr) => {
                        self.connects.push(addr);
                        if self.server.passive_open {
                            self.client.data_connected(now);
                        } else {
                            let e = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
                            self.client.data_failed(e, now);
                        }
                    }
                    Output::Listen(ip) => {
                        self.client.data_listening(SocketAddr::new(ip, 40001), now)
                    }
                    Output::SecureControl => {
                        self.tls_upgrades += 1;
                        self.client.control_secured(now);
                    }
                    Output::Transfer(t) if self.hold_transfers => {
                        self.data_tls.push(t.tls);
                        self.pending_transfer = Some(t.kind)
                    }
                    Output::Transfer(t) => {
                        self.data_tls.push(t.tls);
                        self.move_data(t.kind)
                    }
                    Output::CloseData | Output::Entry(_) | Output::Close => {
                        if let Output::Entry(item) = out {
                            self.entries.push(item);
                        } else if let Output::Close = out {
                            self.closed = true;
                        }
                    }
                    Output::Done(r) => result = Some(r),
                }
            }
            if !moved {
                return result;
            }
        }
    }

    /// Runs the held transfer's data to its end.
    pub fn release_transfer(&mut self) -> Option<Result<Value, Error>> {
        if let Some(kind) = self.pending_transfer.take() {
            self.move_data(kind);
        }
        self.pump()
    }

    fn move_data(&mut self, kind: TransferKind) {
        let now = self.server.now;
        let data = std::mem::take(&mut self.server.downloaded);
        match kind {
            TransferKind::Upload => {}
            TransferKind::Download => self.downloaded.extend_from_slice(&data),
            TransferKind::Listing => self.client.handle_data(&data, now),
        }
        self.client.data_done(now);
    }
}

/// Fuzz entry: runs a client session against `data` as the server's byte stream. The
/// first byte picks the operations and the data-connection events, the rest arrives in
/// chunks sized from the data. Checks that nothing panics, that every operation ends
/// at most once, that commands always go out as whole CRLF-terminated lines, and that a
/// finished operation leaves the session ready for the next.
pub fn client_session(data: &[u8]) {
    let Some((&seed, mut rest)) = data.split_first() else {
        return;
    };
    let mut config = Config::default();
    if seed & 1 != 0 {
        config.data_mode = super::DataMode::Active;
    }
    config.trust_pasv_address = seed & 2 != 0;
    config.reply_timeout = Some(Duration::from_secs(3));
    let mut now = std::time::Instant::now();
    let peer = SocketAddr::from(([192, 0, 2, 1], 21));
    let local = SocketAddr::from(([192, 0, 2, 9], 50000));
    let mut s = Session::new(config, peer, local, now);
    let ops = [
        Operation::SecureControl,
        Operation::Login {
            user: "u".into(),
            password: "p".into(),
            account: "a".into(),
        },
        Operation::List {
            path: b"/d".to_vec(),
            recursive: true,
            command: super::ListCommand::Auto,
        },
        Operation::Download {
            path: b"f".to_vec(),
            offset: 7,
            ascii: seed & 4 != 0,
        },
        Operation::Upload {
            path: b"f".to_vec(),
            offset: 0,
            ascii: false,
            append: seed & 8 != 0,
        },
        Operation::Stat(b"/a/b".to_vec()),
        Operation::Remove(b"/a".to_vec()),
        Operation::MakeDirectory {
            path: b"/x/y".to_vec(),
            parents: true,
        },
        Operation::CurrentDirectory,
        Operation::Size(b"f".to_vec()),
        Operation::Modified(b"f".to_vec()),
        Operation::Quit,
    ];
    let mut next_op = usize::from(seed >> 4) % ops.len();
    let mut started = 0usize;
    let mut ended = 0usize;
    let mut step = 0u8;
    let mut rounds = 0u32;
    loop {
        rounds += 1;
        assert!(rounds < 100_000, "the session made no progress: {s:?}");
        // Drain, acting on data requests as a quick adapter would.
        while let Some(out) = s.poll_output() {
            match out {
                Output::Send(b) => {
                    assert!(b.ends_with(b"\r\n"), "a command line without CRLF: {b:?}");
                    let body = b.get(..b.len() - 2).unwrap_or_default();
                    assert!(
                        !body.contains(&b'\n') && !body.contains(&b'\r'),
                        "CR/LF inside a command"
                    );
                }
                Output::Connect(_) => s.data_connected(now),
                Output::SecureControl => s.control_secured(now),
                Output::Listen(ip) => s.data_listening(SocketAddr::new(ip, 40000), now),
                Output::Transfer(t) => {
                    step = step.wrapping_add(1);
                    if step % 3 == 0 {
                        s.abort(now);
                    } else if step % 5 == 0 {
                        s.data_failed(std::io::Error::other("fuzz"), now);
                    } else {
                        if t.kind == TransferKind::Listing {
                            s.handle_data(rest.get(..rest.len().min(64)).unwrap_or_default(), now);
                        }
                        s.data_done(now);
                    }
                }
                Output::Done(_) => {
                    ended += 1;
                    assert!(ended <= started + 1, "an operation ended twice");
                }
                Output::CloseData | Output::Entry(_) | Output::Close => {}
            }
        }
        if s.is_closed() {
            return;
        }
        if !s.is_busy() {
            if started >= 8 {
                return;
            }
            let op = ops.get(next_op).cloned().unwrap_or(Operation::Noop);
            next_op = (next_op + 1) % ops.len();
            started += 1;
            assert!(
                s.start(op, now, DateTime::UNIX_EPOCH).is_ok(),
                "an idle session refused an operation"
            );
            continue;
        }
        if rest.is_empty() {
            now += Duration::from_secs(4);
            s.handle_timeout(now);
            continue;
        }
        let n = (usize::from(rest[0]) % 48 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        s.handle_control(chunk, now);
    }
}
