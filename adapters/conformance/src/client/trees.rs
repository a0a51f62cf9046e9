//! Tree copies (`upload`/`download` of directories): the rules of the core's planner
//! ([`sansftp::client::tree`]) as each adapter's client carries them out.

use std::path::Path;

use sansftp::client::tree::{Plan, Warning};
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

/// A tree of files and directories (one empty) at `at`, 300,002 bytes in all.
fn make_tree(at: &Path) {
    std::fs::create_dir_all(at.join("s/deep")).unwrap();
    std::fs::create_dir_all(at.join("empty")).unwrap();
    std::fs::write(at.join("a.txt"), b"a").unwrap();
    std::fs::write(at.join("s/b.bin"), vec![9u8; 300_000]).unwrap();
    std::fs::write(at.join("s/deep/c.txt"), b"c").unwrap();
}

/// A server on `LocalFs` serving a fresh temporary root to alice, a local temporary
/// directory, and alice logged in.
struct Trees<C> {
    root: tempfile::TempDir,
    local: tempfile::TempDir,
    client: C,
    _server: crate::server::Running,
}

fn trees<H: ClientHarness>(h: &H) -> Trees<H::Client> {
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(root.path()));
    let server = start(h, LocalFs::new(), cfg);
    let client = alice(h, server.addr());
    Trees {
        root,
        local,
        client,
        _server: server,
    }
}

/// Up and down twice into an existing directory, and twice into `new/`: the same tree
/// each time (the old blocking copy failed the second run with 550 on `MKD` of an
/// existing directory; no temporary file is left behind).
pub fn trees_copied_twice_into_a_directory_are_the_same<H: ClientHarness>(h: &H) {
    let Trees {
        root,
        local,
        client: mut c,
        _server,
    } = trees(h);
    let tree = local.path().join("tree");
    make_tree(&tree);
    c.make_directory("/dest", false).unwrap();
    assert_eq!(c.upload(&tree, "/dest").unwrap(), 300_002);
    let first = crate::snapshot(root.path());
    assert_eq!(
        crate::snapshot(&root.path().join("dest/tree")),
        crate::snapshot(&tree)
    );
    assert_eq!(c.upload(&tree, "/dest").unwrap(), 300_002);
    assert_eq!(crate::snapshot(root.path()), first);
    c.upload(&tree, "/new/").unwrap();
    c.upload(&tree, "/new/").unwrap();
    assert_eq!(
        crate::snapshot(&root.path().join("new")),
        crate::snapshot(&root.path().join("dest"))
    );

    let back = local.path().join("back");
    std::fs::create_dir(&back).unwrap();
    assert_eq!(c.download("/dest/tree", &back).unwrap(), 300_002);
    let got = crate::snapshot(&back);
    assert_eq!(crate::snapshot(&back.join("tree")), crate::snapshot(&tree));
    assert_eq!(c.download("/dest/tree", &back).unwrap(), 300_002);
    assert_eq!(
        crate::snapshot(&back),
        got,
        "the same tree, no temporary file left"
    );
    c.quit().unwrap();
}

/// A tree copied to a name that does not exist becomes that name (parents made), both
/// ways.
pub fn a_tree_to_a_missing_name_becomes_that_name<H: ClientHarness>(h: &H) {
    let Trees {
        root,
        local,
        client: mut c,
        _server,
    } = trees(h);
    let tree = local.path().join("tree");
    make_tree(&tree);
    c.upload(&tree, "/a/b/copy").unwrap();
    assert_eq!(
        crate::snapshot(&root.path().join("a/b/copy")),
        crate::snapshot(&tree)
    );
    c.download("/a/b/copy", &local.path().join("x/y")).unwrap();
    assert_eq!(
        crate::snapshot(&local.path().join("x/y")),
        crate::snapshot(&tree)
    );
    c.quit().unwrap();
}

/// Below the source, a link to a directory (here: to an ancestor) is skipped with a
/// warning that reaches the caller, and a link to a file is followed.
pub fn links_to_directories_are_skipped_with_a_warning<H: ClientHarness>(h: &H) {
    let Trees {
        root,
        local,
        client: mut c,
        _server,
    } = trees(h);
    let tree = local.path().join("tree");
    make_tree(&tree);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&tree, tree.join("s/up")).unwrap();
        std::os::unix::fs::symlink(tree.join("a.txt"), tree.join("link.txt")).unwrap();
        let copied = c.run_plan(Plan::upload(&tree, "/")).unwrap();
        assert_eq!(copied.warnings, [Warning::LinkToDir(tree.join("s/up"))]);
        assert_eq!(copied.files, 4);
        assert_eq!(
            std::fs::read(root.path().join("tree/link.txt")).unwrap(),
            b"a"
        );
        assert!(!root.path().join("tree/s/up").exists());
    }
    c.quit().unwrap();
}

/// A download that fails leaves the file it would have replaced as it was, and no
/// temporary file.
pub fn a_failed_download_leaves_the_old_file<H: ClientHarness>(h: &H) {
    let Trees {
        root: _root,
        local,
        client: mut c,
        _server,
    } = trees(h);
    let target = local.path().join("f.txt");
    std::fs::write(&target, b"old").unwrap();
    assert!(c.download("/missing.txt", &target).is_err());
    assert_eq!(
        crate::snapshot(local.path()),
        [("f.txt".to_owned(), Some(b"old".to_vec()))]
    );
    c.quit().unwrap();
}
