//! What the in-memory handshake tests share.

use rustls::Connection;

/// Hands every TLS byte `from` has to write to `to`, which processes it; `to`'s
/// verdict on them (an alert, a refused certificate) is the error.
pub fn move_bytes(from: &mut Connection, to: &mut Connection) -> Result<(), rustls::Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        // Writing into a Vec cannot fail.
        from.write_tls(&mut buf).unwrap();
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        // Reading from a slice cannot fail.
        to.read_tls(&mut rd).unwrap();
        to.process_new_packets()?;
    }
    Ok(())
}
