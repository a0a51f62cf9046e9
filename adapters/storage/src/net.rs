//! Sockets as every server adapter sets them up: the control listener ([`listen`])
//! and each control connection ([`keep_urgent_inline`]).

use std::io;
use std::net::{SocketAddr, TcpListener};
#[cfg(unix)]
use std::os::fd::AsFd;

/// A listener on `addr` with room for `backlog` connections not yet accepted (the
/// kernel caps it at `net.core.somaxconn`), blocking; an async adapter makes it
/// non-blocking. On Unix it reuses the address, as std does: a restarted server may
/// bind while old connections are in `TIME_WAIT`.
pub fn listen(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// Keeps TCP urgent data in the byte stream of a control connection (`SO_OOBINLINE`):
/// RFC 959 clients send `ABOR`'s Telnet "Synch" as urgent data, and Python's `ftplib`
/// sends the whole `ABOR\r\n` that way; without this, Linux takes the urgent byte (the
/// line's LF) out of the stream and the command never ends. Call it on each accepted
/// control socket; a failure is logged (at debug level) and changes nothing else.
#[cfg(unix)]
pub fn keep_urgent_inline(socket: impl AsFd) {
    if let Err(e) = rustix::net::sockopt::set_socket_oobinline(socket, true) {
        log::debug!("SO_OOBINLINE: {e}");
    }
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream};

    use super::*;

    #[test]
    fn the_listener_takes_connections_and_its_address_again_after_a_restart() {
        let first = listen("127.0.0.1:0".parse().unwrap(), 8).unwrap();
        let addr = first.local_addr().unwrap();
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = first.accept().unwrap();
        // The server closes first: its side of the connection stays in TIME_WAIT.
        drop((server, first));
        drop(client);
        let again = listen(addr, 8).unwrap();
        assert_eq!(again.local_addr().unwrap(), addr);
    }

    #[cfg(unix)]
    #[test]
    fn urgent_data_stays_inline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert!(!rustix::net::sockopt::socket_oobinline(&server).unwrap());
        keep_urgent_inline(&server);
        assert!(rustix::net::sockopt::socket_oobinline(&server).unwrap());
    }
}
