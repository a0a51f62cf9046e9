//! Copies of whole trees with `sansftp_async::Client` against the crate's own server
//! (`LocalFs` on a temporary directory): the core's copy plan, carried out for real.

mod common;

use std::path::Path;
use std::time::Duration;

use common::Rt;
use sansftp::client::tree::{Plan, Warning};
use sansftp::server::{Config, User};
use sansftp_async::{Client, ClientOptions, Server, ShutdownHandle};
use sansftp_storage::LocalFs;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Every path below `root` with its bytes (`None` for a directory), sorted.
fn snapshot(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                dirs.push(path);
                out.push((rel, None));
            } else if meta.is_file() {
                out.push((rel, Some(std::fs::read(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// The server, stopped when dropped.
struct Running(ShutdownHandle, Option<common::Join>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.shutdown(Duration::ZERO);
        if let Some(join) = self.1.take() {
            let _ = Rt::Smol.join(join);
        }
    }
}

fn setup() -> (tempfile::TempDir, tempfile::TempDir, Client, Running) {
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(root.path()));
    let server = Rt::Smol
        .block_on(
            Server::builder(LocalFs::new())
                .config(cfg)
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let addr = server.local_addr();
    let running = Running(server.shutdown_handle(), Some(Rt::Smol.spawn_run(server)));
    let options = ClientOptions::new()
        .connect_timeout(TIMEOUT)
        .socket_timeout(TIMEOUT);
    let mut c = smol::block_on(Client::connect_with(addr, options)).unwrap();
    smol::block_on(c.login("alice", "secret")).unwrap();
    (root, local, c, running)
}

fn make_tree(at: &Path) {
    std::fs::create_dir_all(at.join("s/deep")).unwrap();
    std::fs::create_dir_all(at.join("empty")).unwrap();
    std::fs::write(at.join("a.txt"), b"a").unwrap();
    std::fs::write(at.join("s/b.bin"), vec![9u8; 300_000]).unwrap();
    std::fs::write(at.join("s/deep/c.txt"), b"c").unwrap();
}

#[test]
fn uploading_and_downloading_a_tree_twice_into_a_directory_leaves_the_same_tree() {
    let (root, local, mut c, _server) = setup();
    let tree = local.path().join("tree");
    make_tree(&tree);
    // Into an existing directory (the old blocking copy failed the second run with 550
    // on MKD of an existing directory).
    smol::block_on(c.make_directory("/dest", false)).unwrap();
    assert_eq!(smol::block_on(c.upload(&tree, "/dest")).unwrap(), 300_002);
    let first = snapshot(root.path());
    assert_eq!(snapshot(&root.path().join("dest/tree")), snapshot(&tree));
    assert_eq!(smol::block_on(c.upload(&tree, "/dest")).unwrap(), 300_002);
    assert_eq!(snapshot(root.path()), first);
    // Into `new/`, made when missing, twice.
    smol::block_on(c.upload(&tree, "/new/")).unwrap();
    smol::block_on(c.upload(&tree, "/new/")).unwrap();
    assert_eq!(
        snapshot(&root.path().join("new")),
        snapshot(&root.path().join("dest"))
    );

    let back = local.path().join("back");
    std::fs::create_dir(&back).unwrap();
    assert_eq!(
        smol::block_on(c.download("/dest/tree", &back)).unwrap(),
        300_002
    );
    let got = snapshot(&back);
    assert_eq!(snapshot(&back.join("tree")), snapshot(&tree));
    assert_eq!(
        smol::block_on(c.download("/dest/tree", &back)).unwrap(),
        300_002
    );
    assert_eq!(
        snapshot(&back),
        got,
        "the same tree, no temporary file left"
    );
    smol::block_on(c.quit()).unwrap();
}

#[test]
fn a_tree_to_a_missing_name_becomes_that_name() {
    let (root, local, mut c, _server) = setup();
    let tree = local.path().join("tree");
    make_tree(&tree);
    smol::block_on(c.upload(&tree, "/a/b/copy")).unwrap();
    assert_eq!(snapshot(&root.path().join("a/b/copy")), snapshot(&tree));
    smol::block_on(c.download("/a/b/copy", local.path().join("x/y"))).unwrap();
    assert_eq!(snapshot(&local.path().join("x/y")), snapshot(&tree));
    smol::block_on(c.quit()).unwrap();
}

#[cfg(unix)]
#[test]
fn links_to_directories_are_skipped_with_a_warning_and_never_recurse() {
    let (root, local, mut c, _server) = setup();
    let tree = local.path().join("tree");
    make_tree(&tree);
    std::os::unix::fs::symlink(&tree, tree.join("s/up")).unwrap();
    std::os::unix::fs::symlink(tree.join("a.txt"), tree.join("link.txt")).unwrap();
    let copied = smol::block_on(c.run_plan(Plan::upload(&tree, "/"))).unwrap();
    assert_eq!(copied.warnings, [Warning::LinkToDir(tree.join("s/up"))]);
    assert_eq!(copied.files, 4);
    assert_eq!(
        std::fs::read(root.path().join("tree/link.txt")).unwrap(),
        b"a"
    );
    assert!(!root.path().join("tree/s/up").exists());
    smol::block_on(c.quit()).unwrap();
}

#[test]
fn a_failed_download_leaves_the_old_file_and_no_temporary_one() {
    let (_root, local, mut c, _server) = setup();
    let target = local.path().join("f.txt");
    std::fs::write(&target, b"old").unwrap();
    assert!(smol::block_on(c.download("/missing.txt", &target)).is_err());
    assert_eq!(
        snapshot(local.path()),
        [("f.txt".to_owned(), Some(b"old".to_vec()))]
    );
    smol::block_on(c.quit()).unwrap();
}
