//! Client behaviour the core decides once for every adapter (issue 8): how a download
//! ends when it is finished early or dropped after its end, which entries are
//! directories, and what an empty raw command does. The adapters disagreed on each
//! before the decisions moved into `sansftp::client`.
//!
//! An early `finish()` of a download is reported (an error), so the caller is never
//! handed a silently truncated file.

use std::io::Read;

use sansftp_storage::MemoryFs;

use super::{ClientHarness, FakeServer, FtpClient, Script, Transfer, alice, get, options};
use crate::random_bytes;
use crate::server::{config, start};

/// `finish()` on a download not read to its end is reported (an error), the control
/// channel stays in step, and the next download is whole.
pub fn finish_before_the_end_is_reported<H: ClientHarness>(h: &H) {
    let data = random_bytes(3 << 20, 9);
    let srv = start(
        h,
        MemoryFs::new().with_file("/big.bin", data.clone()),
        config(),
    );
    let mut c = alice(h, srv.addr());
    let mut s = c.download_stream("/big.bin", 0).unwrap();
    let mut some = vec![0u8; 100_000];
    s.read_exact(&mut some).unwrap();
    assert!(s.finish().is_err(), "an early finish passed as complete");
    assert_eq!(c.get_current_directory().unwrap(), "/");
    assert!(get(&mut c, "/big.bin", 0) == data);
    c.quit().unwrap();
}

/// A download read to its end and dropped without `finish()` is complete: no `ABOR`
/// goes to the server.
pub fn drop_after_the_end_sends_nothing<H: ClientHarness>(h: &H) {
    let fake = FakeServer::start(Script::default().file("/f", b"0123456789"));
    let mut c = h.connect(&fake.addr().to_string(), options()).unwrap();
    c.login("alice", "secret").unwrap();
    let mut s = c.download_stream("/f", 0).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    drop(s);
    assert_eq!(all, b"0123456789");
    c.noop().unwrap();
    c.quit().unwrap();
    let seen = fake.received();
    assert!(!seen.iter().any(|l| l == "ABOR"), "{seen:?}");
}

/// An MLST answer of `type=cdir` or `type=pdir` is a directory.
pub fn cdir_and_pdir_are_directories<H: ClientHarness>(h: &H) {
    let fact = |kind: &str, path: &str| {
        format!("250-Listing {path}\r\n type={kind};modify=20250101000000; {path}\r\n250 End\r\n")
    };
    let script = Script::default()
        .reply("MLST /d", &fact("cdir", "/d"))
        .reply("MLST /p", &fact("pdir", "/p"));
    let fake = FakeServer::start(script);
    let mut c = h.connect(&fake.addr().to_string(), options()).unwrap();
    c.login("alice", "secret").unwrap();
    assert!(c.is_dir("/d").unwrap());
    assert!(!c.is_file("/d").unwrap());
    assert!(c.is_dir("/p").unwrap());
    assert!(c.exists("/d").unwrap());
    c.quit().unwrap();
}

/// `command("")` with no masks sends nothing and reads nothing.
pub fn empty_command_sends_nothing<H: ClientHarness>(h: &H) {
    let fake = FakeServer::start(Script::default());
    let mut c = h.connect(&fake.addr().to_string(), options()).unwrap();
    c.login("alice", "secret").unwrap();
    assert!(c.command("", &[], &[]).unwrap().is_none());
    c.noop().unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/");
    c.quit().unwrap();
    let seen = fake.received();
    assert!(!seen.iter().any(String::is_empty), "{seen:?}");
}
