//! Client scenarios **pending a fix**: behaviour on which the two adapters disagree
//! today (issue 8, "What is wrong today"), written for the behaviour issue 8 asks for.
//! They are listed in [`client_suite_pending!`](crate::client_suite_pending), which no
//! adapter instantiates yet; when the decision moves into the core, move each one into
//! [`client_suite!`](crate::client_suite).
//!
//! | scenario | fails today on | why |
//! |---|---|---|
//! | [`finish_before_the_end_is_reported`] | async | `finish()` on a partly read download aborts and returns `Ok` |
//! | [`drop_after_the_end_sends_nothing`] | blocking | a download dropped after its end sends `ABOR` (and `NOOP`) |
//! | [`cdir_and_pdir_are_directories`] | blocking | `is_dir` compares `== Kind::Dir` |
//! | [`empty_command_sends_nothing`] | async | `command("", &[], &[])` is refused (`Error::InvalidCommand`, empty verb) instead of `Ok(None)` |
//! | [`upload_into_an_existing_directory_is_cp_r`] | both | async overwrites the target; blocking fails the third upload with 550 |
//! | [`download_makes_missing_local_parents`] | blocking | `NotFound` for the temporary file (async makes the parents; not in issue 8) |
//! | [`concurrent_downloads_to_one_target`] | blocking | its temporary name has no counter: `NotFound` at the rename |
//! | [`upload_of_a_tree_with_a_link_loop_finishes`] | async | it follows links to directories, until `ELOOP` |
//!
//! The first row is a choice this suite makes for the core: a `finish()` before the end
//! of a download is an early finish, so the caller is told (an error) rather than
//! handed a silently truncated file. If the core decides otherwise, flip that assertion.

use std::io::Read;

use sansftp::server::{Config, User};
use sansftp_storage::{LocalFs, MemoryFs};

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

/// `cp -r` semantics for `upload`/`download` onto an existing directory: into it under
/// the source's name; existing remote directories accepted, so repeating the same
/// upload succeeds and leaves the same tree.
pub fn upload_into_an_existing_directory_is_cp_r<H: ClientHarness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(root));
    let srv = start(h, LocalFs::new(), cfg);
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src");
    std::fs::create_dir_all(src.join("x/y")).unwrap();
    std::fs::write(src.join("top.txt"), "top").unwrap();
    std::fs::write(src.join("x/y/leaf.txt"), "leaf").unwrap();
    let mut c = alice(h, srv.addr());

    c.upload(&src, "/t").unwrap();
    assert_eq!(std::fs::read(root.join("t/x/y/leaf.txt")).unwrap(), b"leaf");
    c.upload(&src, "/t").unwrap();
    assert_eq!(
        std::fs::read(root.join("t/src/x/y/leaf.txt")).unwrap(),
        b"leaf"
    );
    c.upload(&src, "/t").unwrap();
    assert!(!root.join("t/src/src").exists());
    assert_eq!(std::fs::read(root.join("t/src/top.txt")).unwrap(), b"top");

    // A file onto an existing remote directory: into it.
    c.make_directory("/into", false).unwrap();
    c.upload(&src.join("top.txt"), "/into").unwrap();
    assert_eq!(c.size("/into/top.txt").unwrap(), 3);
    // A remote directory onto an existing local one: into it.
    let here = local.path().join("here");
    std::fs::create_dir(&here).unwrap();
    c.download("/t/src", &here).unwrap();
    assert_eq!(
        std::fs::read(here.join("src/x/y/leaf.txt")).unwrap(),
        b"leaf"
    );
    c.quit().unwrap();
}

/// `download` of a file to a local path whose parent directories are missing makes
/// them, as `upload` does for remote parents.
pub fn download_makes_missing_local_parents<H: ClientHarness>(h: &H) {
    let srv = start(h, MemoryFs::new().with_file("/f.txt", "f"), config());
    let local = tempfile::tempdir().unwrap();
    let mut c = alice(h, srv.addr());
    let target = local.path().join("a/b/f.txt");
    assert_eq!(c.download("/f.txt", &target).unwrap(), 1);
    assert_eq!(std::fs::read(&target).unwrap(), b"f");
    c.quit().unwrap();
}

/// Two downloads of one remote file to one local target at the same time: each uses
/// its own temporary name, so both succeed and the target is whole.
pub fn concurrent_downloads_to_one_target<H>(h: &H)
where
    H: ClientHarness + Sync,
{
    let data = random_bytes(2 << 20, 31);
    let srv = start(
        h,
        MemoryFs::new().with_file("/big.bin", data.clone()),
        config(),
    );
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("big.bin");
    let addr = srv.addr();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                // 4 MiB/s: each download takes about half a second, so they overlap.
                let opts = options().read_limit(Some(4 << 20));
                let mut c = super::alice_with(h, addr, opts);
                c.download("/big.bin", &target).expect("download");
                c.quit().unwrap();
            });
        }
    });
    assert!(std::fs::read(&target).unwrap() == data);
    let left: Vec<_> = std::fs::read_dir(local.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "temporary files left: {left:?}");
}

/// `upload` of a tree holding a link to its own ancestor finishes (the link is not
/// followed, or followed with loop detection) instead of recursing until `ELOOP`.
pub fn upload_of_a_tree_with_a_link_loop_finishes<H: ClientHarness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
    let srv = start(h, LocalFs::new(), cfg);
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("a/f.txt"), "f").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&src, src.join("a/loop")).unwrap();
    let mut c = alice(h, srv.addr());
    c.upload(&src, "/t").unwrap();
    assert_eq!(std::fs::read(dir.path().join("t/a/f.txt")).unwrap(), b"f");
    assert!(!dir.path().join("t/a/loop/a/loop").exists());
    c.quit().unwrap();
}
