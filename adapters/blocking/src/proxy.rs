//! Reading the PROXY protocol header of a control connection (`Config::proxy_protocol`)
//! before its session starts; the core's `parse_proxy_header` decides what it says.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sansftp::server::{MAX_V2_HEADER, ProxyHeader, parse_proxy_header};

/// Reads until the header is whole: the client address it reports (`None`: keep the
/// socket's) and the bytes read past it (the client's first commands). An invalid
/// header, an end of file or `timeout` passing is an error: close the connection.
pub(crate) fn read_header(
    mut stream: &TcpStream,
    timeout: Duration,
) -> Result<(Option<SocketAddr>, Vec<u8>), String> {
    let until = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    let result = loop {
        match parse_proxy_header(&buf) {
            ProxyHeader::Done { source, consumed } => {
                break Ok((source, buf.split_off(consumed)));
            }
            ProxyHeader::Invalid(why) => break Err(why.to_owned()),
            _ => {}
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err("no PROXY protocol header in time".to_owned());
        }
        if let Err(e) = stream.set_read_timeout(Some(left)) {
            break Err(e.to_string());
        }
        let want = chunk
            .len()
            .min(MAX_V2_HEADER + 1 - buf.len().min(MAX_V2_HEADER));
        match stream.read(&mut chunk[..want.max(1)]) {
            Ok(0) => break Err("closed before a PROXY protocol header".to_owned()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(format!("no PROXY protocol header: {e}")),
        }
    };
    // The session sets its own timeouts; none is left behind from here.
    let _ = stream.set_read_timeout(None);
    result
}
