//! Linux: moving an upload from a socket into a local file with `splice(2)`, shared by
//! the async and the blocking adapter.
//!
//! The kernel moves the socket's buffers into a pipe without copying them, then copies
//! them from the pipe into the file's page cache: one copy where `read` + `write` make
//! two, and no byte passes through the server's memory. An adapter makes a
//! [`SpliceInto`] for the file of a [`Plan::Splice`](crate::Plan::Splice) (its
//! [`WriteHandle::file`](crate::WriteHandle::file)), then repeats
//! [`fill`](SpliceInto::fill) (socket -> pipe, in its own way of waiting for the
//! socket) and [`land`](SpliceInto::land) (pipe -> file, counted in the transfer's
//! [`Flow`]) until it says [`Spliced::End`] or [`Spliced::Copied`].

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};

use std::time::Instant;

use rustix::io::Errno;
use rustix::pipe::{PipeFlags, SpliceFlags};
use sansftp::server::{Flow, TransferError};

use crate::storage_error;

/// The pipe's size: the most one [`SpliceInto::fill`] takes. Bigger than a loopback
/// socket's receive buffer, so that one call empties it.
const PIPE: usize = 1 << 20;

/// Bytes [`SpliceInto::land`] moves between two [`Spliced::Yield`]s.
const BUDGET: usize = 4 << 20;

/// A pipe that carries socket data into one file.
#[derive(Debug)]
pub struct SpliceInto {
    out: OwnedFd,
    into: OwnedFd,
    room: usize,
    /// Bytes landed since the adapter last let its other work run.
    unyielded: usize,
}

/// What [`SpliceInto::land`] says to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spliced {
    /// Fill again.
    More,
    /// Fill again, after letting the executor's other work run (the control
    /// connection's `ABOR`, other sessions): a socket that always has data would keep
    /// the transfer running. An adapter with a thread per transfer goes on at once.
    Yield,
    /// The client closed the data connection: every byte is in the file.
    End,
    /// The file takes no spliced data: every byte read so far is in it, the rest is
    /// still in the socket; move it through buffers.
    Copied,
}

/// What [`SpliceInto::drain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drained {
    /// The bytes are in the file; go on splicing.
    Spliced,
    /// The file takes no spliced data: the bytes were copied into it through a buffer,
    /// and the rest of the upload must be too (by `read` and `write`).
    Copied,
}

impl SpliceInto {
    /// A pipe for uploads into `file`; `None` when splicing cannot be used: a file
    /// opened with `O_APPEND` (which `splice(2)` refuses), or no pipe to be had.
    pub fn new(file: &File) -> Option<SpliceInto> {
        let flags = rustix::fs::fcntl_getfl(file).ok()?;
        if flags.contains(rustix::fs::OFlags::APPEND) {
            return None;
        }
        let (out, into) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).ok()?;
        // 64 KiB unless asked; 1 MiB is the unprivileged maximum by default.
        let room = rustix::pipe::fcntl_setpipe_size(&into, PIPE).unwrap_or(64 << 10);
        Some(SpliceInto {
            out,
            into,
            room,
            unyielded: 0,
        })
    }

    /// Moves what `socket` holds (at most the pipe's size) into the pipe, which must be
    /// empty (every `fill` followed by its [`land`](SpliceInto::land)). `Ok(0)` at the
    /// socket's end of file. On a non-blocking socket an empty one fails with
    /// `WouldBlock`; a blocking one waits (within its read timeout).
    pub fn fill(&self, socket: impl AsFd) -> io::Result<usize> {
        loop {
            match rustix::pipe::splice(socket.as_fd(), None, &self.into, None, self.room, {
                SpliceFlags::NONBLOCK
            }) {
                Err(Errno::INTR) => {}
                done => return done.map_err(io::Error::from),
            }
        }
    }

    /// Moves what [`fill`](SpliceInto::fill) put in the pipe (`filled`, its result)
    /// into `file`, counts it in `flow`, and says what next. A failed fill is a broken
    /// connection, a failed write a storage error.
    pub fn land(
        &mut self,
        file: &mut File,
        filled: io::Result<usize>,
        flow: &mut Flow,
    ) -> Result<Spliced, TransferError> {
        let n = match filled {
            Ok(0) => return Ok(Spliced::End),
            Ok(n) => n,
            Err(e) => return Err(TransferError::Broken(e.to_string())),
        };
        let drained = self
            .drain(file, n)
            .map_err(|e| TransferError::Storage(storage_error(&e)))?;
        flow.moved(n, Instant::now());
        if drained == Drained::Copied {
            return Ok(Spliced::Copied);
        }
        self.unyielded += n;
        if self.unyielded >= BUDGET {
            self.unyielded = 0;
            return Ok(Spliced::Yield);
        }
        Ok(Spliced::More)
    }

    /// Moves the `n` bytes [`fill`](SpliceInto::fill) put in the pipe into `file` at its
    /// position. A file that takes no spliced data gets them copied instead
    /// ([`Drained::Copied`]).
    fn drain(&self, file: &mut File, mut n: usize) -> io::Result<Drained> {
        while n > 0 {
            match rustix::pipe::splice(&self.out, None, &*file, None, n, SpliceFlags::MOVE) {
                // A full file system reports ENOSPC (an error), never 0 with bytes left.
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(k) => n -= k,
                Err(Errno::INTR) => {}
                Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                    self.copy(file, n)?;
                    return Ok(Drained::Copied);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Drained::Spliced)
    }

    /// Copies the `n` bytes left in the pipe into `file` through a buffer.
    fn copy(&self, file: &mut File, mut n: usize) -> io::Result<()> {
        let mut pipe = File::from(self.out.try_clone()?);
        let mut buf = vec![0u8; n.min(64 << 10)];
        while n > 0 {
            let want = n.min(buf.len());
            let k = pipe.read(&mut buf[..want])?;
            if k == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            file.write_all(&buf[..k])?;
            n -= k;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        (a, b)
    }

    #[test]
    fn socket_bytes_land_in_the_file_at_its_position() {
        let dir = std::env::temp_dir().join(format!("sansftp-splice-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, b"keep:").unwrap();
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).unwrap();
        let (mut client, server) = pair();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let sent = data.clone();
        let writer = std::thread::spawn(move || client.write_all(&sent));
        let mut pipe = SpliceInto::new(&file).unwrap();
        let mut flow = Flow::new(false, true, Default::default(), Default::default());
        loop {
            let filled = pipe.fill(&server);
            match pipe.land(&mut file, filled, &mut flow).unwrap() {
                Spliced::End => break,
                Spliced::More | Spliced::Yield => {}
                Spliced::Copied => panic!("a plain file takes spliced data"),
            }
        }
        writer.join().unwrap().unwrap();
        assert_eq!(flow.total(), data.len() as u64);
        let mut want = b"keep:".to_vec();
        want.extend_from_slice(&data);
        assert!(std::fs::read(&path).unwrap() == want);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_append_only_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("sansftp-splice-a-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(dir.join("f"))
            .unwrap();
        assert!(SpliceInto::new(&file).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
