//! Reading the PROXY protocol header of a control connection (`Config::proxy_protocol`)
//! before its session starts; the core's `parse_proxy_header` decides what it says.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use async_io::{Async, Timer};
use futures_lite::AsyncReadExt;
use futures_lite::future;
use sansftp::server::{MAX_V2_HEADER, ProxyHeader, parse_proxy_header};

/// Reads until the header is whole: the client address it reports (`None`: keep the
/// socket's) and the bytes read past it (the client's first commands). An invalid
/// header, an end of file or `timeout` passing is an error: close the connection.
pub(crate) async fn read_header(
    stream: &Async<TcpStream>,
    timeout: Duration,
) -> Result<(Option<SocketAddr>, Vec<u8>), String> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 512];
        loop {
            match parse_proxy_header(&buf) {
                ProxyHeader::Done { source, consumed } => {
                    return Ok((source, buf.split_off(consumed)));
                }
                ProxyHeader::Invalid(why) => return Err(why.to_owned()),
                _ => {}
            }
            // Never more than the longest header, plus a chunk.
            let want = chunk
                .len()
                .min(MAX_V2_HEADER + 1 - buf.len().min(MAX_V2_HEADER));
            let n = (&*stream)
                .read(&mut chunk[..want.max(1)])
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("closed before a PROXY protocol header".to_owned());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    let expire = async {
        Timer::after(timeout).await;
        Err("no PROXY protocol header in time".to_owned())
    };
    future::or(read, expire).await
}
