//! The control connection's socket, as every server adapter sets it up.

use std::os::fd::AsFd;

/// Keeps TCP urgent data in the byte stream of a control connection (`SO_OOBINLINE`):
/// RFC 959 clients send `ABOR`'s Telnet "Synch" as urgent data, and Python's `ftplib`
/// sends the whole `ABOR\r\n` that way; without this, Linux takes the urgent byte (the
/// line's LF) out of the stream and the command never ends. Call it on each accepted
/// control socket; a failure is logged (at debug level) and changes nothing else.
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
    fn urgent_data_stays_inline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert!(!rustix::net::sockopt::socket_oobinline(&server).unwrap());
        keep_urgent_inline(&server);
        assert!(rustix::net::sockopt::socket_oobinline(&server).unwrap());
    }
}
