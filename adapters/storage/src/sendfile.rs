//! Linux: sending a download from a local file to a socket with `sendfile(2)`, shared
//! by the adapters.
//!
//! The kernel moves the bytes from the page cache to the socket; none pass through the
//! server's memory. An adapter makes a [`SendFile`] for the file of a
//! [`Plan::SendFile`](crate::Plan::SendFile), then repeats: wait until the speed limits
//! grant [`want`](SendFile::want) bytes, call [`send`](SendFile::send) in its own way of
//! waiting for the socket, and hand the result to [`sent`](SendFile::sent), which
//! counts it and says what next, until [`Sent::End`]. The file side is synchronous: a
//! page not in the page cache is read from the disk inside the call (as nginx's
//! `sendfile on` does); each call is capped at [`CHUNK`].

use std::fs::File;
use std::io::{self, Seek};
use std::os::fd::AsFd;
use std::time::Instant;

use rustix::io::Errno;
use sansftp::server::{Flow, TransferError};

use crate::storage_error;

/// The most one call sends at full speed: a non-blocking socket takes at most its
/// buffer's worth anyway; this bounds the disk reads of one call on a cold cache.
pub const CHUNK: usize = 4 << 20;

/// Sending the rest of one file, from its position (the storage backend already
/// seeked to the `REST` offset) to its end.
#[derive(Debug)]
pub struct SendFile<'a> {
    file: &'a File,
    /// The most one call sends: [`CHUNK`], or one burst under a speed limit.
    chunk: usize,
    /// What is left, under a speed limit: the last wait is then for the bytes that
    /// remain, not a whole burst. Only a hint (the end is where sendfile returns 0).
    left: u64,
    /// Bytes sent since the adapter last let its other work run.
    unyielded: usize,
}

/// What [`SendFile::sent`] says to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Send more.
    More,
    /// Send more, after letting the executor's other work run (the control connection,
    /// other sessions): a socket that is always writable would let the whole file go in
    /// one poll. An adapter with a thread per transfer goes on at once.
    Yield,
    /// Every byte is sent.
    End,
}

/// How sending a file by sendfile(2) failed.
#[derive(Debug)]
pub enum SendFileError {
    /// Nothing was sent and the file's position is unchanged: this file (or file
    /// system) has no sendfile; send it through buffers.
    Unsupported,
    /// The transfer failed.
    Failed(TransferError),
}

impl<'a> SendFile<'a> {
    /// Sends `file` for a transfer moving through `flow`; under a speed limit each call
    /// is one [`Flow::block`] of at most `block` bytes.
    pub fn new(file: &'a File, flow: &Flow, block: usize) -> SendFile<'a> {
        let limited = flow.is_limited();
        let chunk = if limited { flow.block(block) } else { CHUNK };
        let left = match limited.then(|| file.metadata()) {
            Some(Ok(m)) => {
                let at = (&mut &*file).stream_position().unwrap_or(0);
                m.len().saturating_sub(at)
            }
            _ => 0,
        };
        SendFile {
            file,
            chunk,
            left,
            unyielded: 0,
        }
    }

    /// How many bytes the next call should send: wait for the speed limits to grant
    /// them first.
    pub fn want(&self) -> usize {
        match usize::try_from(self.left) {
            Ok(left) if left > 0 => self.chunk.min(left),
            _ => self.chunk,
        }
    }

    /// One sendfile(2) call of at most `want` bytes from the file's position (which it
    /// advances) to `socket`. On a non-blocking socket a full one fails with
    /// `WouldBlock`: wait for it to be writable and call again.
    pub fn send(&self, socket: impl AsFd, want: usize) -> io::Result<usize> {
        loop {
            match rustix::fs::sendfile(socket.as_fd(), self.file, None, want) {
                Err(Errno::INTR) => {}
                done => return done.map_err(io::Error::from),
            }
        }
    }

    /// Counts what [`send`](SendFile::send) did in `flow` and says what next. An error
    /// before any byte went out on a file system without sendfile is
    /// [`SendFileError::Unsupported`]; a failed read of the file (`EIO`, which a socket
    /// does not say) is a storage error; the rest is a broken connection.
    pub fn sent(
        &mut self,
        result: io::Result<usize>,
        flow: &mut Flow,
    ) -> Result<Sent, SendFileError> {
        let n = match result {
            Ok(0) => return Ok(Sent::End),
            Ok(n) => n,
            Err(e) => {
                return Err(match Errno::from_io_error(&e) {
                    Some(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) if flow.total() == 0 => {
                        SendFileError::Unsupported
                    }
                    Some(Errno::IO) => SendFileError::Failed(storage_error(&e).into()),
                    _ => SendFileError::Failed(TransferError::Broken(e.to_string())),
                });
            }
        };
        flow.moved(n, Instant::now());
        self.left = self.left.saturating_sub(n as u64);
        // Not after every call: a call sends what the socket buffer takes (a few
        // hundred KiB on loopback), and a small file goes without a yield.
        self.unyielded += n;
        if self.unyielded >= self.chunk {
            self.unyielded = 0;
            return Ok(Sent::Yield);
        }
        Ok(Sent::More)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use sansftp::server::{Progress, TransferThrottles};

    use super::*;

    #[test]
    fn a_file_goes_to_the_socket_from_its_position_and_is_counted() {
        let mut file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).unwrap();
        file.seek(io::SeekFrom::Start(10)).unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            (&client).read_to_end(&mut got).map(|_| got)
        });
        let progress = Progress::default();
        let mut flow = Flow::new(false, false, TransferThrottles::default(), progress.clone());
        let mut send = SendFile::new(&file, &flow, 1 << 16);
        assert_eq!(send.want(), CHUNK, "unlimited: whole chunks");
        loop {
            let sent = send.send(&server, send.want());
            match send.sent(sent, &mut flow).unwrap() {
                Sent::End => break,
                Sent::More | Sent::Yield => {}
            }
        }
        drop(server);
        assert!(reader.join().unwrap().unwrap() == data[10..]);
        assert_eq!((flow.total(), progress.get()), (99_990, 99_990));
    }

    #[test]
    fn errors_say_which_side_failed() {
        let file = tempfile::tempfile().unwrap();
        let mut flow = Flow::new(
            false,
            false,
            TransferThrottles::default(),
            Progress::default(),
        );
        let mut send = SendFile::new(&file, &flow, 1 << 16);
        let errno = |e: Errno| Err(io::Error::from(e));
        assert!(matches!(
            send.sent(errno(Errno::INVAL), &mut flow),
            Err(SendFileError::Unsupported)
        ));
        assert!(matches!(
            send.sent(errno(Errno::IO), &mut flow),
            Err(SendFileError::Failed(TransferError::Storage(_)))
        ));
        assert!(matches!(
            send.sent(errno(Errno::PIPE), &mut flow),
            Err(SendFileError::Failed(TransferError::Broken(_)))
        ));
        assert_eq!(send.sent(Ok(5), &mut flow).unwrap(), Sent::More);
        // Once bytes went out, falling back would send them twice.
        assert!(matches!(
            send.sent(errno(Errno::INVAL), &mut flow),
            Err(SendFileError::Failed(TransferError::Broken(_)))
        ));
        assert_eq!(send.sent(Ok(CHUNK), &mut flow).unwrap(), Sent::Yield);
        assert_eq!(send.sent(Ok(0), &mut flow).unwrap(), Sent::End);
    }
}
