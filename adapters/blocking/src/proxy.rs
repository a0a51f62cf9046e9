//! Reading the PROXY protocol header of a control connection (`Config::proxy_protocol`)
//! before its session starts; the core's `ProxyHeaderReader` decides what it says.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use sansftp::server::{ProxiedConnection, ProxyHeaderReader};

/// Reads until the header is whole: the client address it reports (`None`: keep the
/// socket's) and the bytes read past it (the client's first commands). An invalid
/// header, an end of file or `timeout` passing is an error: close the connection.
pub(crate) fn read_header(
    mut stream: &TcpStream,
    timeout: Duration,
) -> Result<ProxiedConnection, String> {
    let until = Instant::now() + timeout;
    let mut reader = ProxyHeaderReader::new();
    let mut chunk = [0u8; 512];
    let result = loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err("no PROXY protocol header in time".to_owned());
        }
        if let Err(e) = stream.set_read_timeout(Some(left)) {
            break Err(e.to_string());
        }
        let room = reader.room().min(chunk.len());
        let n = match stream.read(&mut chunk[..room]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(format!("no PROXY protocol header: {e}")),
        };
        match reader.feed(&chunk[..n]) {
            Ok(None) => {}
            done => break done.map(|d| d.unwrap_or_default()),
        }
    };
    // The session sets its own timeouts; none is left behind from here.
    let _ = stream.set_read_timeout(None);
    result
}
