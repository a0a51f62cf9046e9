//! Reading the PROXY protocol header of a control connection (`Config::proxy_protocol`)
//! before its session starts; the core's `ProxyHeaderReader` decides what it says.

use std::time::Duration;

use sansftp::server::{ProxiedConnection, ProxyHeaderReader};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Reads until the header is whole: the client address it reports (`None`: keep the
/// socket's) and the bytes read past it (the client's first commands). An invalid
/// header, an end of file or `timeout` passing is an error: close the connection.
pub(crate) async fn read_header(
    stream: &mut TcpStream,
    timeout: Duration,
) -> Result<ProxiedConnection, String> {
    let read = async {
        let mut reader = ProxyHeaderReader::new();
        let mut chunk = [0u8; 512];
        loop {
            let room = reader.room().min(chunk.len());
            let n = stream
                .read(&mut chunk[..room])
                .await
                .map_err(|e| e.to_string())?;
            if let Some(done) = reader.feed(&chunk[..n])? {
                return Ok(done);
            }
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| Err("no PROXY protocol header in time".to_owned()))
}
