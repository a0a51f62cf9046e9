//! TLS byte moving: the control connection's shared rustls state ([`ControlTls`]) and
//! data connections that are plaintext or TLS ([`DataSocket`]).
//!
//! # The control connection under TLS
//!
//! The server reads the control socket on a reader thread and writes it from the
//! session's thread, so both need the one `rustls::ServerConnection`: it lives in a
//! `Mutex<Option<_>>` shared by the two (`None`: plaintext). The reader reads raw bytes
//! from the socket *without* the lock, then takes it: under TLS it feeds them to
//! `read_tls`/`process_new_packets`, writes what rustls wants to send (the handshake's
//! answers) and takes the plaintext out; the session's thread writes plaintext and
//! flushes `write_tls` under the same lock. So the handshake runs on the reader thread
//! as bytes come, and the reader reports its end (`Msg::ControlSecured`).
//!
//! No race with the `AUTH` line: before the session's thread writes the `234` it marks
//! the state `Switching` (it looks ahead in the session's outputs for
//! `SecureControl`); the reader classifies no byte while it is, and `SecureControl`
//! puts the connection in place. A client sends its ClientHello only after the `234`,
//! so every byte of it is fed to rustls. Plaintext read before the switch
//! goes to the session as plaintext, which drops it (it is handshaking). On an
//! implicit listener the connection is in place before the reader starts.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sansftp_tls::rustls::{self, ServerConnection, StreamOwned};

/// The control connection's TLS state, shared by the reader and the writer.
#[derive(Clone, Default)]
pub(crate) struct ControlTls(Arc<(Mutex<State>, Condvar)>);

#[derive(Default)]
enum State {
    #[default]
    Plain,
    /// The session's outputs hold a `SecureControl`: the `234` before it still goes out
    /// in plaintext, and the reader waits before it classifies any byte.
    Switching,
    Tls(Box<ServerConnection>),
}

/// What the reader made of one chunk of raw bytes.
pub(crate) struct Decoded {
    /// The plaintext (the raw bytes on a plaintext connection).
    pub(crate) plain: Vec<u8>,
    /// The handshake has just finished.
    pub(crate) secured: bool,
}

impl ControlTls {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every use leaves the state consistent: a panic mid-call only loses it.
        self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A `SecureControl` is coming: hold the reader until [`start`](Self::start).
    pub(crate) fn switching(&self) {
        let mut state = self.lock();
        if matches!(*state, State::Plain) {
            *state = State::Switching;
        }
    }

    /// Switches to TLS: bytes read from now on are TLS records. A no-op when already on.
    pub(crate) fn start(&self, config: Arc<rustls::ServerConfig>) -> io::Result<()> {
        let mut state = self.lock();
        let result = match *state {
            State::Tls(_) => Ok(()),
            _ => ServerConnection::new(config)
                .map(|c| *state = State::Tls(Box::new(c)))
                .map_err(io::Error::other),
        };
        if result.is_err() {
            *state = State::Plain;
        }
        self.0.1.notify_all();
        result
    }

    /// Decodes raw bytes the reader read; `socket` takes what rustls answers. An
    /// error ends the connection (a failed handshake, a bad record).
    pub(crate) fn decode(&self, raw: &[u8], mut socket: &TcpStream) -> io::Result<Decoded> {
        let mut state = self.lock();
        while matches!(*state, State::Switching) {
            state = self.0.1.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        let State::Tls(conn) = &mut *state else {
            return Ok(Decoded {
                plain: raw.to_vec(),
                secured: false,
            });
        };
        let was_handshaking = conn.is_handshaking();
        let mut plain = Vec::new();
        let mut rest = raw;
        while !rest.is_empty() {
            conn.read_tls(&mut rest)?;
            let state = conn.process_new_packets();
            // The alert for a failure goes out first.
            while conn.wants_write() {
                conn.write_tls(&mut socket)?;
            }
            state.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            match conn.reader().read_to_end(&mut plain) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
                Ok(_) => {} // close_notify: the TCP end of file follows
            }
        }
        let secured = was_handshaking && !conn.is_handshaking();
        Ok(Decoded { plain, secured })
    }

    /// Writes `bytes` to the control connection, through TLS when it is on.
    pub(crate) fn write(&self, mut socket: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
        let mut state = self.lock();
        let State::Tls(conn) = &mut *state else {
            return socket.write_all(bytes);
        };
        while !bytes.is_empty() {
            let n = conn.writer().write(bytes)?;
            bytes = bytes.get(n..).unwrap_or_default();
            if n == 0 && !conn.wants_write() {
                return Err(io::ErrorKind::WriteZero.into());
            }
            while conn.wants_write() {
                conn.write_tls(&mut socket)?;
            }
        }
        Ok(())
    }

    /// Sends `close_notify` when TLS is on (before the session closes the socket).
    pub(crate) fn close(&self, mut socket: &TcpStream) {
        if let State::Tls(conn) = &mut *self.lock() {
            conn.send_close_notify();
            while conn.wants_write() {
                if conn.write_tls(&mut socket).is_err() {
                    break;
                }
            }
        }
    }
}

/// Runs the handshake of `conn` on `socket`.
pub(crate) fn handshake<C, S>(conn: C, socket: TcpStream) -> io::Result<StreamOwned<C, TcpStream>>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    let mut tls = StreamOwned::new(conn, socket);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

/// A data connection, plaintext or TLS, as `Read` + `Write`.
#[derive(Debug)]
pub(crate) enum DataSocket<C> {
    Plain(TcpStream),
    Tls(Box<StreamOwned<C, TcpStream>>),
}

impl<C, S> DataSocket<C>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    /// The TCP socket underneath.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            DataSocket::Plain(s) => s,
            DataSocket::Tls(t) => &t.sock,
        }
    }

    /// The TLS connection, if any.
    pub(crate) fn tls(&self) -> Option<&C> {
        match self {
            DataSocket::Plain(_) => None,
            DataSocket::Tls(t) => Some(&t.conn),
        }
    }

    /// Ends the sending side: `close_notify` (TLS), flushed, then a FIN.
    pub(crate) fn close_write(&mut self) -> io::Result<()> {
        if let DataSocket::Tls(t) = self {
            t.conn.send_close_notify();
            t.flush()?;
        }
        match self.tcp().shutdown(Shutdown::Write) {
            // Already closed by the peer after it had everything: not an error.
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e),
            _ => Ok(()),
        }
    }

    /// Reads and drops what still comes until the peer's `close_notify` or end of
    /// file, for at most `wait` (TLS only: it reads the TLS 1.3 tickets and keeps the
    /// close from turning into a reset that eats the tail).
    pub(crate) fn drain(&mut self, wait: Duration) {
        let DataSocket::Tls(t) = self else { return };
        let until = Instant::now() + wait;
        let mut buf = [0u8; 4096];
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || t.sock.set_read_timeout(Some(left)).is_err() {
                return;
            }
            match t.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

impl<C, S> Read for DataSocket<C>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataSocket::Plain(s) => s.read(buf),
            DataSocket::Tls(t) => t.read(buf),
        }
    }
}

impl<C, S> Write for DataSocket<C>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataSocket::Plain(s) => s.write(buf),
            // An empty write would make rustls wait for the peer.
            DataSocket::Tls(_) if buf.is_empty() => Ok(0),
            DataSocket::Tls(t) => t.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataSocket::Plain(s) => s.flush(),
            DataSocket::Tls(t) => t.flush(),
        }
    }
}
