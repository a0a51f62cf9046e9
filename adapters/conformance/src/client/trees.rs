//! Tree copies (`upload`/`download` of directories): the rules of the core's planner
//! ([`sansftp::client::tree`]) as each adapter's client carries them out.

use sansftp::server::{Config, User};
use sansftp_storage::{LocalFs, MemoryFs};

use super::{ClientHarness, FtpClient, alice, options};
use crate::random_bytes;
use crate::server::{config, start};

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
