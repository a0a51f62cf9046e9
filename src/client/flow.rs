//! [`DataFlow`]: a file transfer's data stream, as the adapter's `DataStream` asks it.

use std::io;
use std::time::Instant;

use crate::ascii::{FromCrlf, ToCrlf};

use super::api::{Transfer, TransferEnd, TransferKind};
use super::limits::SpeedLimits;

/// Raw bytes read at a time while converting a `TYPE A` download, and the most input
/// a `TYPE A` upload converts at once.
pub const ASCII_BLOCK: usize = 64 << 10;

/// One file transfer's data stream, as the core decides it around the adapter's socket
/// reads and writes, so every adapter decides it the same way: the direction, the speed limit
/// before each block, `TYPE A` conversion and its buffers, end of file, the bytes moved
/// on the wire, the error the connection broke with, and how the stream ends
/// ([`TransferEnd`], for [`Session::end_transfer`](super::Session::end_transfer)).
///
/// The adapter asks the flow what to do next and does it: [`DataFlow::next_read`] says
/// hand out bytes, wait for the speed limit, or read the socket into a buffer (answered
/// with [`DataFlow::filled`]); [`DataFlow::next_write`] says the input is taken, wait,
/// or write these bytes (answered with [`DataFlow::sent`]). In binary mode the socket
/// reads into and writes from the caller's buffer: nothing is copied.
///
/// ```
/// use std::time::Instant;
/// use sansftp::client::{DataFlow, ReadNext, SpeedLimits, Transfer, TransferKind};
///
/// // A TYPE A download whose socket gives "a\r\nb" and then end of file.
/// let t = Transfer::new(TransferKind::Download, true);
/// let mut flow = DataFlow::new(t, SpeedLimits::new(None, None));
/// let mut wire: &[u8] = b"a\r\nb";
/// let mut text = Vec::new();
/// let mut buf = [0u8; 16];
/// loop {
///     let now = Instant::now();
///     match flow.next_read(&mut buf, now) {
///         ReadNext::Ready(0) => break,
///         ReadNext::Ready(n) => text.extend_from_slice(&buf[..n]),
///         ReadNext::Wait(_) => unreachable!("unlimited"),
///         ReadNext::Fill(into) => {
///             // The adapter's socket read.
///             let n = wire.len().min(into.len());
///             into[..n].copy_from_slice(&wire[..n]);
///             wire = &wire[n..];
///             if let Some(n) = flow.filled(n, now) {
///                 text.extend_from_slice(&buf[..n]);
///             }
///         }
///     }
/// }
/// assert_eq!(text, b"a\nb");
/// assert_eq!(flow.bytes_moved(), 4);
/// ```
#[derive(Debug)]
pub struct DataFlow {
    kind: TransferKind,
    limits: SpeedLimits,
    ascii: Option<Ascii>,
    /// A download's socket reached end of file.
    eof: bool,
    /// The stream's end was decided (or there was nothing to move).
    ended: bool,
    moved: u64,
    /// The first error the connection failed with (an `io::Error` is not `Clone`).
    broken: Option<(io::ErrorKind, String)>,
}

/// `TYPE A` conversion state and its reused buffers.
#[derive(Debug, Default)]
struct Ascii {
    to_crlf: ToCrlf,
    from_crlf: FromCrlf,
    /// Downloads: raw bytes as read.
    raw: Vec<u8>,
    /// Converted bytes not yet handed out (download) or written (upload), from `pos`.
    out: Vec<u8>,
    pos: usize,
}

impl Ascii {
    fn pending(&self) -> &[u8] {
        self.out.get(self.pos..).unwrap_or_default()
    }
}

/// What a read of a download stream does next ([`DataFlow::next_read`]).
#[derive(Debug)]
pub enum ReadNext<'a> {
    /// Return this many bytes, already in the caller's buffer (`0`: end of file).
    Ready(usize),
    /// The speed limit allows nothing before this instant: wait, then ask again.
    Wait(Instant),
    /// Read the socket into this buffer once, then call [`DataFlow::filled`].
    Fill(&'a mut [u8]),
}

/// What a write to an upload stream does next ([`DataFlow::next_write`]).
#[derive(Debug)]
pub enum WriteNext<'a> {
    /// Return this many bytes of the caller's input as written.
    Taken(usize),
    /// The speed limit allows nothing before this instant: wait, then ask again.
    Wait(Instant),
    /// Write these bytes to the socket once, then call [`DataFlow::sent`].
    Send(&'a [u8]),
}

/// The last step on the data connection before [`DataFlow::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// An upload: write what is pending (a [`DataFlow::next_write`] of no input until
    /// it gives `Taken(0)`), then shut the connection's write side down.
    Shutdown,
    /// A download not yet seen at its end: read once more (a reader that took exactly
    /// the file's bytes has not seen end of file).
    Probe,
    /// Nothing to do.
    Ready,
}

impl DataFlow {
    /// The flow of `transfer`, paced by `limits`.
    pub fn new(transfer: Transfer, limits: SpeedLimits) -> DataFlow {
        DataFlow {
            kind: transfer.kind,
            limits,
            ascii: transfer.ascii.then(Ascii::default),
            eof: false,
            ended: false,
            moved: 0,
            broken: None,
        }
    }

    /// A transfer the server finished without a data connection: nothing to move, and
    /// nothing to report.
    pub fn empty(kind: TransferKind) -> DataFlow {
        let mut flow = DataFlow::new(Transfer::new(kind, false), SpeedLimits::new(None, None));
        flow.eof = true;
        flow.ended = true;
        flow
    }

    /// Which way the data moves.
    pub fn kind(&self) -> TransferKind {
        self.kind
    }

    /// Bytes moved on the data connection so far (on the wire: in `TYPE A`, with CRLF
    /// line ends).
    pub fn bytes_moved(&self) -> u64 {
        self.moved
    }

    /// Whether the stream's end is decided: nothing more to report.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether the adapter may hand the socket to the kernel to copy a file into it
    /// (sendfile): a binary upload at full speed (ask again every few MiB: a limit set
    /// meanwhile takes over). Report what it sent with [`DataFlow::sent`].
    pub fn may_send_file(&self) -> bool {
        self.kind == TransferKind::Upload
            && self.ascii.is_none()
            && !self.ended
            && !self.limits.is_limited(TransferKind::Upload)
    }

    /// Whether the application may read the stream: a download's (`Unsupported`
    /// otherwise).
    pub fn check_read(&self) -> io::Result<()> {
        match self.kind {
            TransferKind::Upload => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "an upload stream cannot be read",
            )),
            _ => Ok(()),
        }
    }

    /// Whether the application may write the stream: a running upload's
    /// (`Unsupported` for a download, `NotConnected` once it has ended).
    pub fn check_write(&self) -> io::Result<()> {
        if self.kind != TransferKind::Upload {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a download stream cannot be written",
            ));
        }
        if self.ended {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the transfer has ended",
            ));
        }
        Ok(())
    }

    /// A read of `buf` from a download: what to do next, at `now`.
    pub fn next_read<'a>(&'a mut self, buf: &'a mut [u8], now: Instant) -> ReadNext<'a> {
        if buf.is_empty() {
            return ReadNext::Ready(0);
        }
        if let Some(a) = &mut self.ascii {
            let ready = a.pending();
            if !ready.is_empty() {
                let n = ready.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), ready.get(..n)) {
                    dst.copy_from_slice(src);
                }
                a.pos += n;
                return ReadNext::Ready(n);
            }
        }
        if self.eof {
            return ReadNext::Ready(0);
        }
        let want = match self.ascii {
            Some(_) => ASCII_BLOCK,
            None => buf.len(),
        };
        let allowed = match self.limits.grant(self.kind, want, now) {
            Ok(n) => n,
            Err(at) => return ReadNext::Wait(at),
        };
        let into = match &mut self.ascii {
            Some(a) => {
                a.out.clear();
                a.pos = 0;
                a.raw.resize(ASCII_BLOCK, 0);
                &mut a.raw[..]
            }
            None => buf,
        };
        let len = allowed.min(into.len());
        ReadNext::Fill(into.get_mut(..len).unwrap_or_default())
    }

    /// The socket read of [`ReadNext::Fill`] gave `n` bytes at `now` (`0`: end of
    /// file). `Some(n)`: return `n` bytes, in the caller's buffer; `None`: ask
    /// [`next_read`](DataFlow::next_read) again (`TYPE A` converted them).
    pub fn filled(&mut self, n: usize, now: Instant) -> Option<usize> {
        self.count(n, now);
        if n == 0 {
            self.eof = true;
        }
        let Some(a) = self.ascii.as_mut() else {
            return Some(n);
        };
        if n == 0 {
            a.from_crlf.finish(&mut a.out);
        } else {
            let raw = a.raw.get(..n).unwrap_or_default();
            a.from_crlf.convert(raw, &mut a.out);
        }
        None
    }

    /// A write of `input` to an upload (empty: a flush of what `TYPE A` conversion
    /// holds): what to do next, at `now`. In `TYPE A` the input is taken once
    /// converted; its converted form goes out with the next write or flush.
    pub fn next_write<'a>(&'a mut self, input: &'a [u8], now: Instant) -> WriteNext<'a> {
        let out = match &mut self.ascii {
            None if input.is_empty() => return WriteNext::Taken(0),
            None => input,
            Some(a) if a.pending().is_empty() => {
                let take = input.get(..ASCII_BLOCK).unwrap_or(input);
                a.out.clear();
                a.pos = 0;
                a.to_crlf.convert(take, &mut a.out);
                return WriteNext::Taken(take.len());
            }
            Some(a) => a.pending(),
        };
        match self.limits.grant(self.kind, out.len(), now) {
            Ok(n) => WriteNext::Send(out.get(..n).unwrap_or(out)),
            Err(at) => WriteNext::Wait(at),
        }
    }

    /// The socket write of [`WriteNext::Send`] (or a sendfile) took `n` bytes at
    /// `now`. `Some(n)`: return `n` as written; `None`: ask
    /// [`next_write`](DataFlow::next_write) again. A `TYPE A` write of nothing is an
    /// error (`WriteZero`): its bytes could never go out.
    pub fn sent(&mut self, n: usize, now: Instant) -> io::Result<Option<usize>> {
        self.count(n, now);
        let Some(a) = &mut self.ascii else {
            return Ok(Some(n));
        };
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        a.pos = a.pos.saturating_add(n).min(a.out.len());
        Ok(None)
    }

    /// The connection failed with `e`: kept for the stream's end, and given back (a
    /// socket timeout, which std reports as `WouldBlock` on Unix, as `TimedOut`).
    pub fn broke(&mut self, e: io::Error) -> io::Error {
        let e = match e.kind() {
            io::ErrorKind::WouldBlock => {
                io::Error::new(io::ErrorKind::TimedOut, "the data connection timed out")
            }
            _ => e,
        };
        self.broken.get_or_insert_with(|| (e.kind(), e.to_string()));
        e
    }

    /// What to do on the connection before [`finish`](DataFlow::finish).
    pub fn closing(&self) -> Closing {
        if self.ended || self.broken.is_some() {
            return Closing::Ready;
        }
        match (self.kind, &self.ascii) {
            (TransferKind::Upload, _) => Closing::Shutdown,
            (_, Some(a)) if !a.pending().is_empty() => Closing::Ready,
            _ if self.eof => Closing::Ready,
            _ => Closing::Probe,
        }
    }

    /// The application finished the stream, `closed` being how the step of
    /// [`closing`](DataFlow::closing) went: the end to report, `None` when it was
    /// reported already.
    pub fn finish(&mut self, closed: io::Result<()>) -> Option<TransferEnd> {
        if self.ended {
            return None;
        }
        let at_eof = self.eof && self.ascii.as_ref().is_none_or(|a| a.pending().is_empty());
        self.ended = true;
        Some(match (closed, &self.broken) {
            (Err(e), _) => TransferEnd::Failed(self.broke(e)),
            // The connection failed before: the transfer cannot end well.
            (Ok(()), Some((kind, text))) => {
                TransferEnd::Failed(io::Error::new(*kind, text.clone()))
            }
            (Ok(()), None) => TransferEnd::Finished { at_eof },
        })
    }

    /// The application aborted the stream (also a broken one): the end to report,
    /// `None` when it was reported already.
    pub fn abort(&mut self) -> Option<TransferEnd> {
        (!std::mem::replace(&mut self.ended, true)).then_some(TransferEnd::Aborted)
    }

    /// The stream was dropped unfinished: the end to report, `None` when it was
    /// reported already.
    pub fn dropped(&mut self) -> Option<TransferEnd> {
        let end = TransferEnd::Dropped { at_eof: self.eof };
        (!std::mem::replace(&mut self.ended, true)).then_some(end)
    }

    fn count(&mut self, n: usize, now: Instant) {
        self.moved = self.moved.saturating_add(n as u64);
        if n > 0 {
            self.limits.consume(self.kind, n, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(kind: TransferKind, ascii: bool) -> DataFlow {
        DataFlow::new(Transfer::new(kind, ascii), SpeedLimits::new(None, None))
    }

    /// Reads `wire` through `flow` in socket reads of at most `chunk`, with a
    /// caller's buffer of `cap`.
    fn download(flow: &mut DataFlow, mut wire: &[u8], chunk: usize, cap: usize) -> Vec<u8> {
        let now = Instant::now();
        let mut got = Vec::new();
        let mut buf = vec![0u8; cap];
        loop {
            match flow.next_read(&mut buf, now) {
                ReadNext::Ready(0) => return got,
                ReadNext::Ready(n) => got.extend_from_slice(&buf[..n]),
                ReadNext::Wait(_) => panic!("unlimited"),
                ReadNext::Fill(into) => {
                    let n = wire.len().min(into.len()).min(chunk);
                    into[..n].copy_from_slice(&wire[..n]);
                    wire = &wire[n..];
                    if let Some(n) = flow.filled(n, now) {
                        got.extend_from_slice(&buf[..n]);
                    }
                }
            }
        }
    }

    /// Writes `input` through `flow` (then a flush), the socket taking at most
    /// `chunk` per write.
    fn upload(flow: &mut DataFlow, mut input: &[u8], chunk: usize) -> Vec<u8> {
        let now = Instant::now();
        let mut wire = Vec::new();
        loop {
            match flow.next_write(input, now) {
                WriteNext::Taken(0) if input.is_empty() => return wire,
                WriteNext::Taken(n) => input = &input[n..],
                WriteNext::Wait(_) => panic!("unlimited"),
                WriteNext::Send(bytes) => {
                    let n = bytes.len().min(chunk);
                    wire.extend_from_slice(&bytes[..n]);
                    if let Some(n) = flow.sent(n, now).unwrap() {
                        input = &input[n..];
                    }
                }
            }
        }
    }

    #[test]
    fn type_a_converts_across_reads_and_counts_the_wire() {
        let wire = b"one\r\ntwo\r\n\r\nthree\r";
        for (chunk, cap) in [(1, 1), (3, 2), (100, 100), (2, 7)] {
            let mut f = flow(TransferKind::Download, true);
            assert_eq!(download(&mut f, wire, chunk, cap), b"one\ntwo\n\nthree\r");
            assert_eq!(f.bytes_moved(), wire.len() as u64);
            assert_eq!(f.closing(), Closing::Ready);
            let end = f.finish(Ok(()));
            assert!(matches!(end, Some(TransferEnd::Finished { at_eof: true })));
        }
        let mut up = flow(TransferKind::Upload, true);
        assert_eq!(upload(&mut up, b"a\nb\r\nc\n", 2), b"a\r\nb\r\nc\r\n");
        assert_eq!(up.bytes_moved(), 9);
    }

    #[test]
    fn binary_moves_the_callers_bytes_as_they_are() {
        let mut f = flow(TransferKind::Download, false);
        let mut buf = [0u8; 8];
        let ReadNext::Fill(into) = f.next_read(&mut buf, Instant::now()) else {
            panic!("a binary read goes to the socket");
        };
        assert_eq!(into.len(), 8, "into the caller's buffer, whole");
        assert_eq!(f.filled(5, Instant::now()), Some(5));
        let mut up = flow(TransferKind::Upload, false);
        let data = vec![7u8; 3 * ASCII_BLOCK];
        let WriteNext::Send(out) = up.next_write(&data, Instant::now()) else {
            panic!("a binary write goes to the socket");
        };
        assert_eq!(out.as_ptr(), data.as_ptr());
        assert_eq!(out.len(), data.len());
        assert_eq!(up.sent(0, Instant::now()).unwrap(), Some(0));
    }

    #[test]
    fn a_type_a_upload_takes_a_block_at_a_time_and_a_socket_taking_nothing_fails() {
        let mut up = flow(TransferKind::Upload, true);
        let data = vec![b'x'; ASCII_BLOCK + 10];
        let now = Instant::now();
        assert!(matches!(
            up.next_write(&data, now),
            WriteNext::Taken(ASCII_BLOCK)
        ));
        assert!(matches!(up.next_write(&data, now), WriteNext::Send(b) if b.len() == ASCII_BLOCK));
        let e = up.sent(0, now).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn the_speed_limit_holds_back_and_cuts_the_block() {
        let limits = SpeedLimits::new(Some(1000), Some(1000));
        let start = Instant::now();
        let mut f = DataFlow::new(Transfer::new(TransferKind::Download, false), limits.clone());
        let mut buf = [0u8; 1 << 16];
        let ReadNext::Wait(at) = f.next_read(&mut buf, start) else {
            panic!("the bucket starts empty");
        };
        let ReadNext::Fill(into) = f.next_read(&mut buf, at) else {
            panic!("allowed at {at:?}");
        };
        assert!(into.len() < buf.len(), "one burst, not the whole buffer");
        let mut up = DataFlow::new(Transfer::new(TransferKind::Upload, false), limits);
        assert!(!up.may_send_file());
        assert!(matches!(up.next_write(&buf, start), WriteNext::Wait(_)));
    }

    #[test]
    fn a_download_not_seen_at_its_end_is_probed_and_not_complete() {
        let mut f = flow(TransferKind::Download, false);
        let mut buf = [0u8; 4];
        assert!(matches!(
            f.next_read(&mut buf, Instant::now()),
            ReadNext::Fill(_)
        ));
        f.filled(4, Instant::now());
        assert_eq!(f.closing(), Closing::Probe);
        let end = f.finish(Ok(()));
        assert!(matches!(end, Some(TransferEnd::Finished { at_eof: false })));
        assert!(f.finish(Ok(())).is_none() && f.abort().is_none() && f.dropped().is_none());
        // Converted bytes not handed out: not at the end, without a probe.
        let mut a = flow(TransferKind::Download, true);
        let mut one = [0u8; 1];
        download(&mut a, b"", 1, 1);
        assert!(matches!(
            a.next_read(&mut one, Instant::now()),
            ReadNext::Ready(0)
        ));
        assert_eq!(a.closing(), Closing::Ready);
    }

    #[test]
    fn a_broken_connection_ends_as_failed_with_its_first_error() {
        let mut f = flow(TransferKind::Upload, false);
        assert_eq!(f.closing(), Closing::Shutdown);
        let e = f.broke(io::ErrorKind::WouldBlock.into());
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        f.broke(io::Error::other("later"));
        assert_eq!(f.closing(), Closing::Ready);
        let Some(TransferEnd::Failed(e)) = f.finish(Ok(())) else {
            panic!("a broken stream fails");
        };
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        let mut broken = flow(TransferKind::Download, false);
        broken.broke(io::Error::other("reset"));
        assert!(
            matches!(broken.abort(), Some(TransferEnd::Aborted)),
            "abort wins"
        );
        let mut g = flow(TransferKind::Upload, false);
        let Some(TransferEnd::Failed(e)) = g.finish(Err(io::Error::other("shutdown"))) else {
            panic!("a failed shutdown fails");
        };
        assert_eq!(e.to_string(), "shutdown");
        assert!(matches!(
            flow(TransferKind::Upload, false).abort(),
            Some(TransferEnd::Aborted)
        ));
    }

    #[test]
    fn directions_and_an_empty_transfer() {
        let down = flow(TransferKind::Download, false);
        assert!(down.check_read().is_ok());
        assert_eq!(
            down.check_write().unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        let up = flow(TransferKind::Upload, false);
        assert_eq!(
            up.check_read().unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        assert!(up.check_write().is_ok() && up.may_send_file());
        let mut empty = DataFlow::empty(TransferKind::Upload);
        assert_eq!(
            empty.check_write().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        assert!(empty.is_ended() && empty.dropped().is_none());
        let mut none = DataFlow::empty(TransferKind::Download);
        assert!(matches!(
            none.next_read(&mut [0u8; 4], Instant::now()),
            ReadNext::Ready(0)
        ));
    }
}
