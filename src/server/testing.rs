//! Test support, not public API: an in-memory file tree that answers a [`Session`]'s
//! requests, a driver with virtual time, and the fuzz entry point [`server_session`].
//!
//! The driver plays a well-behaved adapter: it answers every request at once, and (in
//! automatic mode) runs each transfer to completion; in manual mode it leaves the
//! transfer pending so a test can drive data events and timeouts itself.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::NoAvailablePort;
use crate::listing::Entry;
use crate::path::VirtualPath;
use crate::reply::{Decoder, Reply};
use crate::time::DateTime;

use super::ascii;
use super::{
    Config, DataChannel, Event, Output, RequestId, Session, StorageError, StorageOp,
    StorageOutcome, Transfer, TransferError, TransferKind, User,
};

/// A file tree keyed by virtual path; the root always exists.
#[derive(Debug, Clone)]
pub struct MemFs {
    nodes: BTreeMap<Vec<u8>, Node>,
    /// The modification time given to every entry.
    pub mtime: DateTime,
    /// Answer `APPE` and the rename of a directory with [`StorageError::Unsupported`],
    /// as an object store does.
    pub like_object_store: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>),
}

impl Default for MemFs {
    fn default() -> MemFs {
        MemFs::new()
    }
}

impl MemFs {
    /// Only `/`.
    pub fn new() -> MemFs {
        let mut nodes = BTreeMap::new();
        nodes.insert(b"/".to_vec(), Node::Dir);
        MemFs {
            nodes,
            // Test invariant: a valid fixed date.
            mtime: DateTime::new(2024, 5, 1, 12, 30, 0).expect("valid date"),
            like_object_store: false,
        }
    }

    /// Creates directory `path` and its parents.
    pub fn mkdir_all(&mut self, path: &str) {
        let p = vp(path.as_bytes());
        let mut cur = VirtualPath::root();
        for c in p.components() {
            cur = cur.join(c).expect("component of a valid path");
            self.nodes
                .entry(cur.as_bytes().to_vec())
                .or_insert(Node::Dir);
        }
    }

    /// Writes file `path` (parents created).
    pub fn write(&mut self, path: &str, data: &[u8]) {
        let p = vp(path.as_bytes());
        if let Some(parent) = p.parent() {
            self.mkdir_all(&parent.to_string());
        }
        self.nodes.insert(p.into_bytes(), Node::File(data.to_vec()));
    }

    /// The content of file `path`.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        match self.nodes.get(vp(path.as_bytes()).as_bytes()) {
            Some(Node::File(d)) => Some(d),
            _ => None,
        }
    }

    /// Whether `path` exists.
    pub fn exists(&self, path: &str) -> bool {
        self.nodes.contains_key(vp(path.as_bytes()).as_bytes())
    }

    fn entry(&self, path: &VirtualPath) -> Option<Entry> {
        let name = path.file_name().unwrap_or(b"/").to_vec();
        let e = match self.nodes.get(path.as_bytes())? {
            Node::Dir => Entry::dir(name),
            Node::File(d) => Entry::file(name, d.len() as u64),
        };
        Some(e.with_modified(self.mtime))
    }

    fn children(&self, dir: &VirtualPath) -> Vec<Entry> {
        self.nodes
            .keys()
            .filter_map(|k| {
                let p = VirtualPath::parse(k).ok()?;
                (p.parent().as_ref() == Some(dir)).then(|| self.entry(&p))?
            })
            .collect()
    }

    fn parent_is_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let parent = path.parent().ok_or(StorageError::PermissionDenied)?;
        match self.nodes.get(parent.as_bytes()) {
            Some(Node::Dir) => Ok(()),
            Some(Node::File(_)) => Err(StorageError::NotADirectory),
            None => Err(StorageError::NotFound),
        }
    }

    /// Runs a storage operation as a real backend would.
    pub fn apply(&mut self, op: &StorageOp) -> Result<StorageOutcome, StorageError> {
        match op {
            StorageOp::Metadata(p) => self
                .entry(p)
                .map(StorageOutcome::Metadata)
                .ok_or(StorageError::NotFound),
            StorageOp::List(p) => match self.nodes.get(p.as_bytes()) {
                Some(Node::Dir) => Ok(StorageOutcome::Listing {
                    entries: self.children(p),
                    now: self.mtime,
                }),
                Some(Node::File(_)) => Err(StorageError::NotADirectory),
                None => Err(StorageError::NotFound),
            },
            StorageOp::MakeDir(p) => {
                if self.nodes.contains_key(p.as_bytes()) {
                    return Err(StorageError::AlreadyExists);
                }
                self.parent_is_dir(p)?;
                self.nodes.insert(p.as_bytes().to_vec(), Node::Dir);
                Ok(StorageOutcome::Done)
            }
            StorageOp::RemoveDir(p) => match self.nodes.get(p.as_bytes()) {
                None => Err(StorageError::NotFound),
                Some(Node::File(_)) => Err(StorageError::NotADirectory),
                Some(Node::Dir) if p.is_root() => Err(StorageError::PermissionDenied),
                Some(Node::Dir) if !self.children(p).is_empty() => Err(StorageError::NotEmpty),
                Some(Node::Dir) => {
                    self.nodes.remove(p.as_bytes());
                    Ok(StorageOutcome::Done)
                }
            },
            StorageOp::RemoveFile(p) => match self.nodes.get(p.as_bytes()) {
                None => Err(StorageError::NotFound),
                Some(Node::Dir) => Err(StorageError::IsADirectory),
                Some(Node::File(_)) => {
                    self.nodes.remove(p.as_bytes());
                    Ok(StorageOutcome::Done)
                }
            },
            StorageOp::Rename { from, to } => {
                let node = self.nodes.get(from.as_bytes()).cloned();
                let Some(node) = node else {
                    return Err(StorageError::NotFound);
                };
                if node == Node::Dir && self.like_object_store {
                    return Err(StorageError::Unsupported("renaming a directory".into()));
                }
                if node == Node::Dir && to.starts_with(from) {
                    return Err(StorageError::Other(
                        "cannot move a directory into itself".into(),
                    ));
                }
                self.parent_is_dir(to)?;
                let moved: Vec<(Vec<u8>, Node)> = self
                    .nodes
                    .iter()
                    .filter_map(|(k, v)| {
                        let p = VirtualPath::parse(k).ok()?;
                        p.starts_with(from).then(|| (k.clone(), v.clone()))
                    })
                    .collect();
                for (k, v) in moved {
                    self.nodes.remove(&k);
                    let mut nk = to.as_bytes().to_vec();
                    nk.extend_from_slice(&k[from.as_bytes().len()..]);
                    self.nodes.insert(nk, v);
                }
                Ok(StorageOutcome::Done)
            }
            StorageOp::SetModified { path, .. } => match self.nodes.get(path.as_bytes()) {
                Some(Node::File(_)) => Ok(StorageOutcome::Done),
                Some(Node::Dir) => Err(StorageError::IsADirectory),
                None => Err(StorageError::NotFound),
            },
            // No modes in this tree, as a backend without them.
            StorageOp::SetMode { .. } => {
                Err(StorageError::Unsupported("no permission bits here".into()))
            }
            StorageOp::Hash { path, .. } => match self.nodes.get(path.as_bytes()) {
                // Not a real digest: the content in hex, so a test sees what was "hashed".
                Some(Node::File(d)) => Ok(StorageOutcome::Hash {
                    digest: d.iter().map(|b| format!("{b:02x}")).collect(),
                    size: d.len() as u64,
                }),
                Some(Node::Dir) => Err(StorageError::IsADirectory),
                None => Err(StorageError::NotFound),
            },
        }
    }

    /// Runs the file part of a transfer: the bytes sent to the client, or the upload
    /// stored. Errors are those a backend reports before connecting.
    pub fn transfer(&mut self, t: &Transfer, upload: &[u8]) -> Result<Vec<u8>, StorageError> {
        match &t.kind {
            TransferKind::SendData(b) => Ok(b.to_vec()),
            TransferKind::Retrieve { path, offset } => match self.nodes.get(path.as_bytes()) {
                None => Err(StorageError::NotFound),
                Some(Node::Dir) => Err(StorageError::IsADirectory),
                Some(Node::File(d)) => {
                    let start = usize::try_from(*offset).unwrap_or(usize::MAX).min(d.len());
                    let data = d[start..].to_vec();
                    Ok(if t.ascii { ascii::to_crlf(&data) } else { data })
                }
            },
            TransferKind::Store {
                path,
                offset,
                append,
                unique,
            } => {
                if *append && self.like_object_store {
                    return Err(StorageError::Unsupported("APPE".into()));
                }
                self.parent_is_dir(path)?;
                let existing = self.nodes.get(path.as_bytes()).cloned();
                if *unique && existing.is_some() {
                    return Err(StorageError::AlreadyExists);
                }
                let mut content = match existing {
                    Some(Node::Dir) => return Err(StorageError::IsADirectory),
                    Some(Node::File(d)) if *append || *offset > 0 => d,
                    _ => Vec::new(),
                };
                let data = if t.ascii {
                    ascii::from_crlf(upload)
                } else {
                    upload.to_vec()
                };
                if *append {
                    content.extend_from_slice(&data);
                } else {
                    let at = usize::try_from(*offset).unwrap_or(usize::MAX).min(1 << 20);
                    if content.len() < at {
                        content.resize(at, 0);
                    }
                    let end = at + data.len();
                    if content.len() < end {
                        content.resize(end, 0);
                    }
                    content[at..end].copy_from_slice(&data);
                }
                self.nodes
                    .insert(path.as_bytes().to_vec(), Node::File(content));
                Ok(Vec::new())
            }
        }
    }
}

/// A [`Session`] wired to a [`MemFs`], with virtual time.
#[derive(Debug)]
pub struct Driver {
    /// The session under test.
    pub session: Session,
    /// Its configuration (answers auth requests).
    pub config: Arc<Config>,
    /// The storage.
    pub fs: MemFs,
    /// The virtual clock.
    pub now: Instant,
    /// Every control byte the session sent.
    pub wire: Vec<u8>,
    /// Every event.
    pub events: Vec<Event>,
    /// Every audit record, in order.
    pub audits: Vec<super::Audit>,
    /// Run transfers to completion at once (else keep them in `pending`).
    pub auto_data: bool,
    /// The transfer waiting for the test to drive it (manual mode).
    pub pending: Option<Transfer>,
    /// Every transfer started, in order.
    pub transfers: Vec<Transfer>,
    /// Bytes that went to the client over data connections.
    pub downloaded: Vec<u8>,
    /// What the client uploads on the next STOR/APPE/STOU.
    pub upload: Vec<u8>,
    /// OpenPassive answers `NoAvailablePort`.
    pub ports_exhausted: bool,
    /// Whether a passive listener is open (from `OpenPassive` to `ClosePassive`); a
    /// passive `Transfer` without one fails with `no passive listener`, as in an adapter.
    pub passive_open: bool,
    /// Output::Close was seen.
    pub closed: bool,
    /// Leave auth and storage requests unanswered (kept in `held`), as a hung user
    /// manager or storage would.
    pub hold_requests: bool,
    /// The requests left unanswered in `hold_requests` mode, in order.
    pub held: Vec<Output>,
    /// Every [`Output::CommitUpload`] seen, in order.
    pub commits: Vec<RequestId>,
    /// Leave [`Output::CommitUpload`] unanswered (in `held_commit`).
    pub hold_commits: bool,
    /// The commit left unanswered in `hold_commits` mode.
    pub held_commit: Option<RequestId>,
    /// What a commit answers: `None` is success.
    pub commit_error: Option<StorageError>,
    /// [`Output::SecureControl`]s seen (each answered with
    /// [`Session::control_secured`] unless `hold_tls`).
    pub tls_upgrades: usize,
    /// Leave [`Output::SecureControl`] unanswered: the handshake is still running.
    pub hold_tls: bool,
    /// What a protected transfer's data handshake reports to
    /// [`Session::data_secured`]: `Some(resumed)`, or `None` to report nothing.
    pub data_resumed: Option<bool>,
    next_port: u16,
}

/// A [`DataTls`](super::DataTls) with this many session tickets, for adapters' tests.
pub fn data_tls(session_tickets: usize) -> super::DataTls {
    super::DataTls {
        session_tickets,
        close_wait: Duration::from_secs(2),
    }
}

/// The client's address in driver sessions.
pub const PEER: &str = "10.0.0.2:40000";
/// The server's control address in driver sessions.
pub const LOCAL: &str = "10.0.0.1:21";

impl Driver {
    /// A session from [`PEER`] to [`LOCAL`], greeting drained.
    pub fn new(config: Config) -> Driver {
        Driver::with_addrs(config, parse_addr(PEER), parse_addr(LOCAL))
    }

    /// A session between these addresses, greeting drained.
    pub fn with_addrs(config: Config, peer: SocketAddr, local: SocketAddr) -> Driver {
        Driver::build(Arc::new(config), None, peer, local)
    }

    /// A session from [`PEER`] to [`LOCAL`] counted in `limits`
    /// ([`Session::with_limits`]), greeting drained.
    pub fn with_limits(config: Arc<Config>, limits: &super::Limits) -> Driver {
        Driver::build(config, Some(limits), parse_addr(PEER), parse_addr(LOCAL))
    }

    /// A session from `peer` to [`LOCAL`] counted in `limits`, greeting drained: a
    /// second client address for the per-address limits.
    pub fn with_limits_from(
        config: Arc<Config>,
        limits: &super::Limits,
        peer: SocketAddr,
    ) -> Driver {
        Driver::build(config, Some(limits), peer, parse_addr(LOCAL))
    }

    fn build(
        config: Arc<Config>,
        limits: Option<&super::Limits>,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Driver {
        let now = Instant::now();
        let session = match limits {
            Some(l) => Session::with_limits(Arc::clone(&config), l, peer, local, now),
            None => Session::new(Arc::clone(&config), peer, local, now),
        };
        let mut d = Driver {
            session,
            config,
            fs: MemFs::new(),
            now,
            wire: Vec::new(),
            events: Vec::new(),
            audits: Vec::new(),
            auto_data: true,
            pending: None,
            transfers: Vec::new(),
            downloaded: Vec::new(),
            upload: Vec::new(),
            ports_exhausted: false,
            passive_open: false,
            closed: false,
            hold_requests: false,
            held: Vec::new(),
            commits: Vec::new(),
            hold_commits: false,
            held_commit: None,
            commit_error: None,
            tls_upgrades: 0,
            hold_tls: false,
            data_resumed: Some(true),
            next_port: 50000,
        };
        d.drain();
        d
    }

    /// Feeds control bytes and returns the control text sent in response.
    pub fn send(&mut self, bytes: &[u8]) -> String {
        let start = self.wire.len();
        self.session.handle_control(bytes, self.now);
        self.drain();
        String::from_utf8_lossy(&self.wire[start..]).into_owned()
    }

    /// Moves the clock by `d`, fires the timeout if due, and returns the text sent.
    pub fn advance(&mut self, d: Duration) -> String {
        let start = self.wire.len();
        self.now += d;
        if self.session.poll_timeout().is_some_and(|t| t <= self.now) {
            self.session.handle_timeout(self.now);
        }
        self.drain();
        String::from_utf8_lossy(&self.wire[start..]).into_owned()
    }

    /// Answers the oldest held request as the driver would have at once, and returns
    /// the text sent.
    pub fn release(&mut self) -> String {
        let start = self.wire.len();
        if !self.held.is_empty() {
            match self.held.remove(0) {
                Output::Auth { id, request } => {
                    let r = self.config.answer(&request);
                    self.session.complete_auth(id, r, self.now);
                }
                Output::Storage { id, op, .. } => {
                    let r = self.fs.apply(&op);
                    self.session.complete_storage(id, r, self.now);
                }
                _ => {}
            }
        }
        self.drain();
        String::from_utf8_lossy(&self.wire[start..]).into_owned()
    }

    /// Starts the session's graceful shutdown and returns the text sent.
    pub fn shutdown(&mut self) -> String {
        let start = self.wire.len();
        self.session.shutdown(self.now);
        self.drain();
        String::from_utf8_lossy(&self.wire[start..]).into_owned()
    }

    /// Runs a session call (data events, ...) and returns the text sent.
    pub fn with(&mut self, f: impl FnOnce(&mut Session, Instant)) -> String {
        let start = self.wire.len();
        f(&mut self.session, self.now);
        self.drain();
        String::from_utf8_lossy(&self.wire[start..]).into_owned()
    }

    /// Drains and acts on every output.
    pub fn drain(&mut self) {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Send(b) => {
                    assert!(!self.closed, "bytes sent after Close");
                    self.wire.extend_from_slice(&b);
                }
                out @ (Output::Auth { .. } | Output::Storage { .. }) if self.hold_requests => {
                    self.held.push(out);
                }
                Output::Auth { id, request } => {
                    let r = self.config.answer(&request);
                    self.session.complete_auth(id, r, self.now);
                }
                Output::Storage { id, op, .. } => {
                    let r = self.fs.apply(&op);
                    self.session.complete_storage(id, r, self.now);
                }
                Output::OpenPassive { id, ip } => {
                    if self.ports_exhausted {
                        let r = Err(NoAvailablePort::in_range(50000..=50000));
                        self.session.complete_passive(id, r, self.now);
                    } else {
                        self.next_port = self.next_port.wrapping_add(1).max(50000);
                        self.passive_open = true;
                        let addr = SocketAddr::new(ip, self.next_port);
                        self.session.complete_passive(id, Ok(addr), self.now);
                    }
                }
                Output::ClosePassive => self.passive_open = false,
                Output::Transfer(t) => {
                    self.transfers.push(t.clone());
                    if t.channel == DataChannel::Passive && !self.passive_open {
                        // As a real adapter: nothing to accept on.
                        let e = TransferError::Connect("no passive listener".into());
                        self.session.data_failed(t.id, e, self.now);
                    } else if self.auto_data {
                        self.run_transfer(t);
                    } else {
                        self.pending = Some(t);
                    }
                }
                Output::AbortTransfer { id } => {
                    if self.held_commit == Some(id) {
                        self.held_commit = None;
                    }
                    if self.pending.as_ref().is_some_and(|t| t.id == id) {
                        self.pending = None;
                    }
                }
                Output::CommitUpload { id } => {
                    self.commits.push(id);
                    if self.hold_commits {
                        self.held_commit = Some(id);
                    } else {
                        let r = self.commit_error.clone().map_or(Ok(()), Err);
                        self.session.upload_committed(id, r, self.now);
                    }
                }
                Output::SecureControl => {
                    self.tls_upgrades += 1;
                    if !self.hold_tls {
                        self.session.control_secured(self.now);
                    }
                }
                Output::Event(e) => self.events.push(e),
                Output::Audit(a) => self.audits.push(a),
                Output::Close => self.closed = true,
            }
        }
    }

    /// Runs a transfer to completion as a correct adapter would.
    fn run_transfer(&mut self, t: Transfer) {
        let upload = self.upload.clone();
        match self.fs.transfer(&t, &upload) {
            Ok(data) => {
                if t.kind.is_upload() {
                    self.upload.clear();
                }
                let peer = self.session.peer();
                self.session.data_connected(t.id, peer, self.now);
                if let (Some(_), Some(resumed)) = (t.tls, self.data_resumed) {
                    self.session.data_secured(t.id, resumed, self.now);
                }
                let n = if t.kind.is_upload() {
                    upload.len()
                } else {
                    data.len()
                };
                self.downloaded.extend_from_slice(&data);
                self.session.data_done(t.id, n as u64, self.now);
                if t.kind.is_upload() {
                    // The commit grace passes, as the adapter's timer would.
                    self.now += self.config.commit_grace;
                    self.session.handle_timeout(self.now);
                }
            }
            Err(e) => self
                .session
                .data_failed(t.id, TransferError::Storage(e), self.now),
        }
    }

    /// The replies sent so far, decoded.
    pub fn replies(&self) -> Vec<Reply> {
        let mut d = Decoder::new();
        d.push(&self.wire);
        let mut out = Vec::new();
        while let Ok(Some(r)) = d.next_reply() {
            out.push(r);
        }
        out
    }
}

/// A config with `alice`/`secret` (home `/home/alice`), `nopw` without password, and
/// the anonymous user read-only under `/pub`; a failed login is answered at once
/// (no [`Config::login_failure_delay`]).
pub fn sample_config() -> Config {
    Config::new()
        .login_failure_delay(Duration::ZERO)
        .user(
            User::new("alice", "secret")
                .home("/home/alice")
                .expect("absolute literal"),
        )
        .user(User::without_password("nopw"))
        .user(
            User::anonymous()
                .home("/pub")
                .expect("absolute literal")
                .permission(
                    super::Permission::new("/")
                        .expect("valid literal")
                        .rights(false, false),
                )
                .permission(
                    super::Permission::new("/pub")
                        .expect("valid literal")
                        .read_only(),
                ),
        )
}

/// A [`MemFs`] with a few files for [`sample_config`]'s users.
pub fn sample_fs() -> MemFs {
    let mut fs = MemFs::new();
    fs.write("/home/alice/notes.txt", b"line one\nline two\n");
    fs.write("/pub/readme", b"hello");
    fs.write("/etc/passwd", b"root:x:0:0");
    fs.mkdir_all("/home/alice/docs");
    fs
}

/// Fuzz entry: feeds `data` to a logged-in-able session with [`sample_config`], in
/// chunks sized from the data, with virtual time advancing, and checks that it never
/// panics, that its control output always decodes as replies, that, while it stays
/// open, every command line got exactly one final reply, and that a shutdown then
/// closes it at once.
pub fn server_session(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let mut config = sample_config();
    if seed & 0x80 != 0 {
        config.max_command_line = 64;
    }
    // TLS offered (and, with the lowest bit, required): `AUTH TLS` drops the plaintext
    // pipelined behind it, so lines may go unanswered.
    let tls = seed & 0x10 != 0;
    if tls {
        config = config.tls(super::TlsPolicy::explicit().required(seed & 1 != 0));
    }
    let max_line = config.max_command_line;
    let mut d = Driver::new(config);
    d.fs = sample_fs();
    d.ports_exhausted = seed & 0x40 != 0;
    d.data_resumed = Some(seed & 0x02 == 0);
    let mut lines = crate::command::LineDecoder::with_max_line(max_line);
    let mut rest = data;
    let mut size = usize::from(seed & 0x0f) + 1;
    while !rest.is_empty() && !d.closed {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        d.send(chunk);
        lines.push(chunk);
        rest = tail;
        size = (size * 7 + 5) % 61 + 1;
        if seed & 0x20 != 0 {
            d.advance(Duration::from_secs(1));
        }
    }
    let mut count = 0usize;
    while lines.next_line().is_some() {
        count += 1;
    }
    // Every request is answered and every transfer run at once: nothing is running, so
    // a shutdown must say 421 and close at once.
    let was_closed = d.closed;
    if !was_closed {
        d.shutdown();
        assert!(d.closed, "shutdown of an idle session did not close it");
    }
    let mut decoder = Decoder::new();
    decoder.push(&d.wire);
    let mut finals = 0usize;
    loop {
        match decoder.next_reply() {
            Ok(Some(r)) => finals += usize::from(!r.code().is_preliminary()),
            Ok(None) => break,
            Err(e) => panic!("the session sent something that is not a reply: {e}"),
        }
    }
    assert!(!decoder.has_partial(), "a reply was cut short");
    // The greeting is one final reply too.
    let answered = finals - 1;
    if tls && d.tls_upgrades > 0 {
        // AUTH TLS dropped the session's unread bytes (a partial line too), so the
        // bytes after it are cut into lines differently from this count: only the
        // checks above (no panic, whole replies, a shutdown that closes) hold.
    } else if was_closed {
        assert!(
            answered <= count + 1,
            "{answered} replies for {count} lines"
        );
    } else {
        // One reply per line, and the shutdown's 421.
        assert_eq!(answered, count + 1, "{answered} replies for {count} lines");
    }
}

/// Fuzz entry for the FTPS command sequences: [`server_session`] with TLS always
/// offered (the first byte still picks the chunking, whether TLS is required, and
/// whether data handshakes resume), so the fuzzer spends its time on `AUTH`, `PBSZ`,
/// `PROT`, `CCC` and protected transfers.
pub fn server_tls_session(data: &[u8]) {
    let mut data = data.to_vec();
    if let Some(seed) = data.first_mut() {
        *seed |= 0x10;
    }
    server_session(&data);
}

fn vp(p: &[u8]) -> VirtualPath {
    // Test helper: callers pass literal, valid paths.
    VirtualPath::parse(p).expect("valid test path")
}

fn parse_addr(s: &str) -> SocketAddr {
    // Test helper: the constants above are valid.
    s.parse().expect("valid socket address")
}
