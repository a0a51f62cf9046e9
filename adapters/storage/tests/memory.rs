//! `MemoryFs`-only behaviour: builder helpers, shared clones, the size limit.

use std::io::{ErrorKind, Write};

use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp_storage::{MemoryFs, Storage, WriteMode};

fn vp(path: &str) -> VirtualPath {
    VirtualPath::parse(path.as_bytes()).unwrap()
}

#[test]
fn builders_and_clones_share_one_tree() {
    let fs = MemoryFs::new()
        .with_file("/a/b/c.txt", "abc")
        .with_dir("/empty/sub");
    assert!(fs.is_dir("/a/b") && fs.is_dir("/empty/sub") && !fs.is_dir("/a/b/c.txt"));
    assert_eq!(fs.read("/a/b/c.txt").unwrap(), "abc");
    assert_eq!(fs.read("/a/b"), None);
    assert_eq!(fs.read("/nope"), None);
    let server_side = fs.clone();
    let mut w = server_side
        .open_write(
            &User::anonymous(),
            &vp("/up"),
            WriteMode::Write { offset: 0 },
        )
        .unwrap();
    w.write_all(b"uploaded").unwrap();
    w.commit().unwrap();
    assert_eq!(fs.read("/up").unwrap(), "uploaded");
}

#[test]
fn every_user_sees_the_same_tree() {
    let fs = MemoryFs::new().with_file("/shared", "x");
    let alice = User::new("alice", "pw").base_path("/srv/alice");
    let bob = User::new("bob", "pw").base_path("/srv/bob");
    assert!(fs.check_root(&alice).is_ok());
    assert_eq!(
        fs.metadata(&alice, &vp("/shared")),
        fs.metadata(&bob, &vp("/shared"))
    );
}

#[test]
fn limit_refuses_uploads_that_do_not_fit() {
    let fs = MemoryFs::new().with_limit(10).with_file("/five", "12345");
    let user = User::anonymous();
    let mut w = fs
        .open_write(&user, &vp("/more"), WriteMode::Write { offset: 0 })
        .unwrap();
    w.write_all(b"1234").unwrap();
    let err = w.write_all(b"56").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull);
    assert_eq!(sansftp_storage::storage_error(&err), StorageError::NoSpace);
    drop(w);
    // Replacing a file only needs room for the difference.
    let mut w = fs
        .open_write(&user, &vp("/five"), WriteMode::Write { offset: 0 })
        .unwrap();
    w.write_all(b"1234567").unwrap();
    w.commit().unwrap();
    assert_eq!(fs.read("/more"), None);
}
