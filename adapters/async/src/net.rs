//! Sockets that are non-blocking from the system call that makes them.
//!
//! async-io's own `Async::<TcpListener>::bind` and `accept` make a blocking socket and
//! then switch it with `ioctl(FIONBIO)`: one system call more for every passive
//! listener and every accepted connection, two per file of a small-file download. Here
//! the socket is created (`SOCK_NONBLOCK`) or accepted (`accept4`) non-blocking.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

use async_io::Async;

/// A listener on `addr` with room for `backlog` connections not yet accepted (std
/// always asks for 128), non-blocking; `SO_REUSEADDR` as std sets it, so that a port
/// with old connections in TIME_WAIT can listen again.
pub(crate) fn listen(addr: SocketAddr, backlog: u32) -> io::Result<Async<TcpListener>> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};
        let family = match addr {
            SocketAddr::V4(_) => AddressFamily::INET,
            SocketAddr::V6(_) => AddressFamily::INET6,
        };
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        let fd = rustix::net::socket_with(family, SocketType::STREAM, flags, None)?;
        sockopt::set_socket_reuseaddr(&fd, true)?;
        rustix::net::bind(&fd, &addr)?;
        rustix::net::listen(&fd, backlog)?;
        Async::new_nonblocking(TcpListener::from(fd))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        Async::new(sansftp_storage::net::listen(addr, backlog)?)
    }
}

/// Accepts one connection, non-blocking from the start (Linux: `accept4` with
/// `SOCK_NONBLOCK | SOCK_CLOEXEC`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) async fn accept(
    listener: &Async<TcpListener>,
) -> io::Result<(Async<TcpStream>, SocketAddr)> {
    use rustix::net::{SocketFlags, acceptfrom_with};
    let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
    let (fd, from) = listener
        .read_with(|l| acceptfrom_with(l, flags).map_err(io::Error::from))
        .await?;
    let stream = TcpStream::from(fd);
    // A TCP accept always names its peer; ask the socket if it did not.
    let peer = match from.map(SocketAddr::try_from) {
        Some(Ok(peer)) => peer,
        _ => stream.peer_addr()?,
    };
    Ok((Async::new_nonblocking(stream)?, peer))
}

/// Accepts one connection (async-io's way, elsewhere).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) async fn accept(
    listener: &Async<TcpListener>,
) -> io::Result<(Async<TcpStream>, SocketAddr)> {
    listener.accept().await
}
