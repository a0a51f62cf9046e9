//! Uploads longer than one part, against the S3 server of the tests (see `support`):
//! byte-exact through the multipart path, invisible until committed, gone when dropped,
//! resumable (`REST` + `STOR`) past a part boundary, readable from any offset.

mod support;

use std::io::{Read, Write};

use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp_objectstore::{ObjectStoreFs, PART_SIZE};
use sansftp_storage::{Storage, WriteMode};

const BUCKET: &str = "sansftp-multipart";

fn backend() -> Option<ObjectStoreFs> {
    let endpoint = support::endpoint()?;
    support::ensure_bucket(&endpoint, BUCKET);
    let store = support::s3(&endpoint, BUCKET);
    Some(ObjectStoreFs::new(store, &support::unique_prefix("multipart")).unwrap())
}

fn body(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn read(fs: &ObjectStoreFs, path: &VirtualPath, offset: u64) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::new();
    let mut r = fs.open_read(&User::anonymous(), path, offset)?;
    r.read_to_end(&mut out).unwrap();
    Ok(out)
}

#[test]
fn long_uploads_are_whole_invisible_until_committed_and_gone_when_dropped() {
    let Some(fs) = backend() else { return };
    let user = User::anonymous();
    let path = VirtualPath::parse(b"/big.bin").unwrap();
    let data = body(2 * PART_SIZE + 1_000_003);
    let write = WriteMode::Write { offset: 0 };

    // Dropped after two parts went out: nothing appears.
    let mut w = fs.open_write(&user, &path, write).unwrap();
    for chunk in data.chunks(65_537) {
        w.write_all(chunk).unwrap();
    }
    drop(w);
    assert_eq!(read(&fs, &path, 0), Err(StorageError::NotFound));

    // Committed: whole, in odd-sized writes across part boundaries.
    let mut w = fs.open_write(&user, &path, write).unwrap();
    for chunk in data.chunks(65_537) {
        w.write_all(chunk).unwrap();
    }
    assert_eq!(
        read(&fs, &path, 0),
        Err(StorageError::NotFound),
        "visible early"
    );
    w.commit().unwrap();
    assert!(read(&fs, &path, 0).unwrap() == data, "not byte-exact");
    let size = fs.metadata(&user, &path).unwrap().size;
    assert_eq!(size, Some(data.len() as u64));

    // REST in the second part, on a read and on an upload.
    let offset = PART_SIZE as u64 + 12_345;
    let tail = read(&fs, &path, offset).unwrap();
    assert!(tail == data[offset as usize..], "ranged read");
    let mut w = fs
        .open_write(&user, &path, WriteMode::Write { offset })
        .unwrap();
    w.write_all(b"resumed").unwrap();
    w.commit().unwrap();
    let resumed = read(&fs, &path, 0).unwrap();
    assert_eq!(resumed.len(), offset as usize + 7);
    assert!(
        resumed[..offset as usize] == data[..offset as usize],
        "kept head"
    );
    assert_eq!(&resumed[offset as usize..], b"resumed");

    // STOU never replaces, a long one neither.
    let mut w = fs
        .open_write(
            &user,
            &VirtualPath::parse(b"/new.bin").unwrap(),
            WriteMode::CreateNew,
        )
        .unwrap();
    w.write_all(&data).unwrap();
    let mut other = fs
        .open_write(&user, &VirtualPath::parse(b"/new.bin").unwrap(), write)
        .unwrap();
    other.write_all(b"first").unwrap();
    other.commit().unwrap();
    assert_eq!(w.commit(), Err(StorageError::AlreadyExists));
    assert_eq!(
        read(&fs, &VirtualPath::parse(b"/new.bin").unwrap(), 0).unwrap(),
        b"first"
    );
}
