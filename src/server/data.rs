//! The data side of a [`Transfer`]: what to open ([`Transfer::file`]), and the IO-free
//! half of moving its bytes ([`Transfer::flow`]): `TYPE A` conversion, the speed
//! limits' pace, block sizes, and the byte count the session's stall timeout reads
//! ([`Progress`]). The adapter does the reads and writes; this decides the rest, once
//! for every adapter.
//!
//! ```
//! use std::time::Instant;
//! use sansftp::server::{Flow, Progress, TransferThrottles};
//!
//! // A TYPE A download: LF becomes CRLF on the wire, and the wire bytes are counted.
//! let progress = Progress::default();
//! let mut flow = Flow::new(true, false, TransferThrottles::default(), progress.clone());
//! let out = flow.convert(b"a\nb\n").to_vec();
//! assert_eq!(out, b"a\r\nb\r\n");
//! flow.moved(out.len(), Instant::now());
//! assert_eq!((flow.total(), progress.get()), (6, 6));
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;

use crate::ascii::{FromCrlf, ToCrlf};
use crate::path::VirtualPath;

use super::limits::TransferThrottles;
use super::request::{Transfer, TransferKind};

/// The smallest block under a speed limit: below this, the per-block overhead (a
/// system call, a timer, a trip to a thread pool) outweighs the smoothness gained.
pub const MIN_LIMITED_BLOCK: usize = 4 * 1024;

/// How an upload's file is opened (`Storage::open_write` in `sansftp-storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// `STOR`: replace the file (offset 0), or keep its first `offset` bytes and write
    /// from there (`REST` + `STOR`, a resumed upload).
    Write {
        /// Where writing starts.
        offset: u64,
    },
    /// `APPE`: write at the end of the file, creating it if missing.
    Append,
    /// `STOU`: create a file that must not exist yet
    /// ([`StorageError::AlreadyExists`](super::StorageError::AlreadyExists)).
    CreateNew,
}

impl WriteMode {
    /// Whether opening may copy the kept part of the existing file first (a resumed
    /// upload to an atomic backend does): slow, however quick the storage's opens are.
    pub fn may_copy(self) -> bool {
        matches!(self, WriteMode::Write { offset } if offset > 0)
    }
}

/// The file side of a [`Transfer`], as [`Transfer::file`] gives it: what to open
/// before the data connection (so a missing file answers `550` without touching the
/// network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferFile<'a> {
    /// Send these bytes (a listing the session formatted); nothing to open.
    Send(&'a Bytes),
    /// Open the file at `path` for reading from byte `offset` (`REST`).
    Read {
        /// The file.
        path: &'a VirtualPath,
        /// Where reading starts; past the end sends nothing.
        offset: u64,
    },
    /// Open the file at `path` for writing, uncommitted until
    /// [`Output::CommitUpload`](super::Output::CommitUpload).
    Write {
        /// The file.
        path: &'a VirtualPath,
        /// How.
        mode: WriteMode,
    },
}

impl Transfer {
    /// What to open for this transfer.
    pub fn file(&self) -> TransferFile<'_> {
        match &self.kind {
            TransferKind::SendData(bytes) => TransferFile::Send(bytes),
            TransferKind::Retrieve { path, offset } => TransferFile::Read {
                path,
                offset: *offset,
            },
            TransferKind::Store {
                path,
                offset,
                append,
                unique,
            } => {
                let mode = if *unique {
                    WriteMode::CreateNew
                } else if *append {
                    WriteMode::Append
                } else {
                    WriteMode::Write { offset: *offset }
                };
                TransferFile::Write { path, mode }
            }
        }
    }

    /// Whether this transfer's bytes may go between file and socket unchanged, through
    /// the kernel (sendfile(2) for a download, splice(2) or one read-and-write loop for
    /// an upload): binary, no TLS, and for an upload no speed limit (a download by
    /// sendfile is paced a call at a time; an upload's reads cannot be). Otherwise they
    /// go through the adapter's buffers and [`Flow::convert`]. Ask before opening the
    /// file (`sansftp_storage::Plan` does), so that the plan is made once.
    pub fn is_direct(&self) -> bool {
        let unpaced = !self.kind.is_upload() || !self.throttles.is_limited();
        !self.ascii && self.tls.is_none() && unpaced
    }

    /// The IO-free state of moving this transfer's bytes: its conversion (to CRLF for a
    /// `TYPE A` download, from CRLF for an upload), its speed limits, its byte count.
    pub fn flow(&self) -> Flow {
        Flow::new(
            self.ascii,
            self.kind.is_upload(),
            self.throttles.clone(),
            self.progress.clone(),
        )
    }
}

/// The running count of bytes a transfer moved over its data connection, shared by the
/// task moving them ([`Flow::moved`], or [`add`](Progress::add)) and the session, which
/// reads it at each [`Session::handle_timeout`](super::Session::handle_timeout) for its
/// stall timeout. Cheap to clone: clones share the count.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Counts `n` more bytes moved.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The bytes moved so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Moving one transfer's bytes, without the IO: the adapter reads a block, passes it
/// through [`convert`](Flow::convert), writes the result, and reports the bytes that
/// crossed the data connection with [`moved`](Flow::moved); an upload writes
/// [`finish`](Flow::finish) after the end of the data. Before each block it sizes it
/// with [`block`](Flow::block) and asks the speed limits with [`grant`](Flow::grant).
#[derive(Debug)]
pub struct Flow {
    ascii: Ascii,
    throttles: TransferThrottles,
    progress: Progress,
    /// The converted block, reused.
    out: Vec<u8>,
    total: u64,
}

/// The line-ending conversion, by direction.
#[derive(Debug)]
enum Ascii {
    Binary,
    ToCrlf(ToCrlf),
    FromCrlf(FromCrlf),
}

impl Flow {
    /// A flow for a transfer in `TYPE A` (`ascii`) or binary, an upload (client to
    /// server) or not, obeying `throttles`, counting into `progress`.
    /// [`Transfer::flow`] makes the one for a transfer.
    pub fn new(
        ascii: bool,
        upload: bool,
        throttles: TransferThrottles,
        progress: Progress,
    ) -> Flow {
        let ascii = match (ascii, upload) {
            (false, _) => Ascii::Binary,
            (true, false) => Ascii::ToCrlf(ToCrlf::new()),
            (true, true) => Ascii::FromCrlf(FromCrlf::new()),
        };
        Flow {
            ascii,
            throttles,
            progress,
            out: Vec::new(),
            total: 0,
        }
    }

    /// Whether bytes move as they are, at full speed: no conversion and no speed limit,
    /// so any zero-copy path (sendfile, a direct drain) may carry them.
    pub fn is_plain(&self) -> bool {
        self.is_binary() && !self.is_limited()
    }

    /// Whether no line endings are converted (`TYPE I`).
    pub fn is_binary(&self) -> bool {
        matches!(self.ascii, Ascii::Binary)
    }

    /// Whether a speed limit applies.
    pub fn is_limited(&self) -> bool {
        self.throttles.is_limited()
    }

    /// How many bytes to move at once, for an adapter whose best block is `max`: `max`
    /// at full speed; under a speed limit, the limits' burst (a tenth of a second's worth
    /// by default) within [`MIN_LIMITED_BLOCK`]`..=max`, so a slow transfer moves steadily
    /// rather than in gulps of `max` followed by long pauses.
    pub fn block(&self, max: usize) -> usize {
        match self.throttles.burst() {
            None => max,
            Some(burst) => usize::try_from(burst)
                .unwrap_or(max)
                .clamp(MIN_LIMITED_BLOCK.min(max), max),
        }
    }

    /// How many of `want` bytes may move at `now`: `Ok(n)`, at most one burst and at
    /// least one byte (all of `want` without a limit), or `Err(at)`, the instant to ask
    /// again. Report what moved with [`moved`](Flow::moved).
    pub fn grant(&self, want: usize, now: Instant) -> Result<usize, Instant> {
        let Some(burst) = self.throttles.burst() else {
            return Ok(want);
        };
        let n = (want as u64).min(burst).max(1);
        match self.throttles.ready_at(n, now) {
            // At most `want` (or 1): within usize.
            None => Ok(usize::try_from(n).unwrap_or(want)),
            Some(at) => Err(at),
        }
    }

    /// The block as it goes out: `block` itself in binary, else converted (into a buffer
    /// the flow keeps).
    pub fn convert<'a>(&'a mut self, block: &'a [u8]) -> &'a [u8] {
        if self.is_binary() {
            return block;
        }
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        self.convert_into(block, &mut out);
        self.out = out;
        &self.out
    }

    /// Appends the block as it goes out to `out`, for an adapter that hands its own
    /// buffers on (to a thread pool, say).
    pub fn convert_into(&mut self, block: &[u8], out: &mut Vec<u8>) {
        match &mut self.ascii {
            Ascii::Binary => out.extend_from_slice(block),
            Ascii::ToCrlf(c) => c.convert(block, out),
            Ascii::FromCrlf(c) => c.convert(block, out),
        }
    }

    /// What is left to write after the last block: a `TYPE A` upload's final CR, held
    /// back in case an LF followed. Empty otherwise.
    pub fn finish(&mut self) -> &[u8] {
        self.out.clear();
        let mut out = std::mem::take(&mut self.out);
        self.finish_into(&mut out);
        self.out = out;
        &self.out
    }

    /// Appends [`finish`](Flow::finish)'s bytes to `out`.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        if let Ascii::FromCrlf(c) = &mut self.ascii {
            c.finish(out);
        }
    }

    /// Appends what to write to an upload's file for `read`, the bytes one read of the
    /// data connection gave, to `out`: converted from CRLF in `TYPE A`; after the end of
    /// the data (an empty `read`), what [`finish`](Flow::finish) holds back.
    pub fn received_into(&mut self, read: &[u8], out: &mut Vec<u8>) {
        if read.is_empty() {
            self.finish_into(out);
        } else {
            self.convert_into(read, out);
        }
    }

    /// Reports `wire` bytes moved over the data connection at `now` (as read for an
    /// upload, as written, converted, for a download): they count against the speed
    /// limits and towards [`total`](Flow::total) and the [`Progress`].
    pub fn moved(&mut self, wire: usize, now: Instant) {
        let n = wire as u64;
        self.total += n;
        self.progress.add(n);
        if self.throttles.is_limited() {
            self.throttles.consume(n, now);
        }
    }

    /// Every byte [`moved`](Flow::moved) so far: what
    /// [`Session::data_done`](super::Session::data_done) reports.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::*;
    use crate::server::limits::Limits;
    use crate::server::request::{DataChannel, RequestId};
    use crate::server::{Config, User};

    fn transfer(kind: TransferKind, ascii: bool) -> Transfer {
        Transfer {
            id: RequestId(1),
            user: Arc::new(User::anonymous()),
            kind,
            channel: DataChannel::Passive,
            ascii,
            allowed_peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
            throttles: TransferThrottles::default(),
            progress: Progress::default(),
            tls: None,
        }
    }

    fn store(offset: u64, append: bool, unique: bool) -> TransferKind {
        TransferKind::Store {
            path: VirtualPath::parse(b"/up").unwrap(),
            offset,
            append,
            unique,
        }
    }

    fn limited(rate: u64, now: Instant) -> TransferThrottles {
        let mut config = Config::new();
        config.write_speed_limit = Some(rate);
        let limits = Limits::new(&config, now);
        let user = User::anonymous();
        limits
            .session_throttles(now)
            .for_transfer(&config, &user, false, now)
    }

    #[test]
    fn store_fields_pick_the_write_mode() {
        let mode = |kind| match transfer(kind, false).file() {
            TransferFile::Write { mode, .. } => mode,
            other => panic!("{other:?}"),
        };
        assert_eq!(mode(store(0, false, false)), WriteMode::Write { offset: 0 });
        assert_eq!(mode(store(7, false, false)), WriteMode::Write { offset: 7 });
        assert_eq!(mode(store(7, true, false)), WriteMode::Append);
        assert_eq!(mode(store(0, true, true)), WriteMode::CreateNew);
        assert!(WriteMode::Write { offset: 7 }.may_copy());
        assert!(!WriteMode::Write { offset: 0 }.may_copy());
        assert!(!WriteMode::Append.may_copy());
    }

    #[test]
    fn retrieve_and_listings_open_what_they_name() {
        let path = VirtualPath::parse(b"/f").unwrap();
        let t = transfer(
            TransferKind::Retrieve {
                path: path.clone(),
                offset: 3,
            },
            false,
        );
        assert_eq!(
            t.file(),
            TransferFile::Read {
                path: &path,
                offset: 3
            }
        );
        let bytes = Bytes::from_static(b"listing");
        let t = transfer(TransferKind::SendData(bytes.clone()), false);
        assert_eq!(t.file(), TransferFile::Send(&bytes));
    }

    #[test]
    fn type_a_converts_by_direction_and_binary_passes_through() {
        let retrieve = TransferKind::Retrieve {
            path: VirtualPath::parse(b"/f").unwrap(),
            offset: 0,
        };
        let mut down = transfer(retrieve.clone(), true).flow();
        assert_eq!(down.convert(b"a\nb"), b"a\r\nb");
        assert!(down.finish().is_empty());
        let mut up = transfer(store(0, false, false), true).flow();
        assert_eq!(up.convert(b"a\r\nb\r"), b"a\nb");
        // The CR split from what follows is held back, and written at the end.
        assert_eq!(up.finish(), b"\r");
        let mut into = Vec::new();
        up.convert_into(b"x\r\n", &mut into);
        assert_eq!(into, b"x\n");
        // An upload read by read: the end of the data writes the CR held back.
        let mut up = transfer(store(0, false, false), true).flow();
        let mut file = Vec::new();
        up.received_into(b"a\r\nb\r", &mut file);
        assert_eq!(file, b"a\nb");
        up.received_into(b"", &mut file);
        assert_eq!(file, b"a\nb\r");
        let mut bin = transfer(retrieve, false).flow();
        assert!(bin.is_plain());
        assert_eq!(bin.convert(b"a\n"), b"a\n");
        assert!(!down.is_plain() && !down.is_binary());
    }

    #[test]
    fn only_binary_plaintext_transfers_go_direct_and_uploads_only_at_full_speed() {
        let retrieve = TransferKind::Retrieve {
            path: VirtualPath::parse(b"/f").unwrap(),
            offset: 0,
        };
        assert!(transfer(retrieve.clone(), false).is_direct());
        assert!(transfer(store(0, false, false), false).is_direct());
        assert!(
            !transfer(retrieve.clone(), true).is_direct(),
            "TYPE A converts"
        );
        let mut tls = transfer(retrieve.clone(), false);
        tls.tls = Some(crate::server::DataTls {
            session_tickets: 1,
            close_wait: Duration::ZERO,
        });
        assert!(!tls.is_direct(), "TLS bytes go through rustls");
        let now = Instant::now();
        let mut down = transfer(retrieve, false);
        down.throttles = limited(100_000, now);
        assert!(down.is_direct(), "sendfile is paced a call at a time");
        let mut up = transfer(store(0, false, false), false);
        up.throttles = limited(100_000, now);
        assert!(!up.is_direct(), "a spliced upload cannot be paced");
    }

    #[test]
    fn moved_bytes_count_in_the_total_and_the_shared_progress() {
        let t = transfer(store(0, false, false), false);
        let mut flow = t.flow();
        let now = Instant::now();
        flow.moved(10, now);
        flow.moved(5, now);
        assert_eq!(flow.total(), 15);
        assert_eq!(t.progress.get(), 15, "the transfer's clone sees the count");
    }

    #[test]
    fn unlimited_flows_take_whole_blocks_at_once() {
        let flow = transfer(store(0, false, false), false).flow();
        assert_eq!(flow.block(1 << 20), 1 << 20);
        assert_eq!(flow.grant(12345, Instant::now()), Ok(12345));
    }

    #[test]
    fn limited_flows_move_bursts_and_wait_for_them() {
        let now = Instant::now();
        let retrieve = TransferKind::Retrieve {
            path: VirtualPath::parse(b"/f").unwrap(),
            offset: 0,
        };
        let mut t = transfer(retrieve, false);
        // 100 kB/s: a burst is a tenth of a second's worth.
        t.throttles = limited(100_000, now);
        let mut flow = t.flow();
        assert!(flow.is_limited() && !flow.is_plain());
        assert_eq!(flow.block(1 << 20), 10_000);
        assert_eq!(flow.block(1000), 1000, "never above the adapter's block");
        // The bucket starts empty: the first burst is due after 0.1 s.
        let at = flow.grant(1 << 20, now).unwrap_err();
        assert_eq!(at, now + Duration::from_millis(100));
        assert_eq!(flow.grant(1 << 20, at), Ok(10_000));
        assert_eq!(flow.grant(0, at), Ok(1), "at least one byte");
        flow.moved(10_000, at);
        assert!(flow.grant(10_000, at).is_err(), "the burst was spent");
    }
}
