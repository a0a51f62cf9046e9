//! One behaviour suite, run against every backend, so `MemoryFs` and `LocalFs` answer
//! every operation with the same result and the same error.

use std::io::{Read, Write};

use sansftp::listing::Kind;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, StorageOp, StorageOutcome, User};
use sansftp_storage::{LocalFs, MemoryFs, Storage, UploadMode, WriteMode};

struct Fixture<S> {
    fs: S,
    user: User,
    _dir: Option<tempfile::TempDir>,
}

fn memory() -> Fixture<MemoryFs> {
    Fixture {
        fs: MemoryFs::new(),
        user: User::anonymous(),
        _dir: None,
    }
}

fn local(mode: UploadMode) -> Fixture<LocalFs> {
    let dir = tempfile::tempdir().unwrap();
    let user = User::new("u", "p").base_path(dir.path());
    Fixture {
        fs: LocalFs::new().with_upload_mode(mode),
        user,
        _dir: Some(dir),
    }
}

fn vp(path: &str) -> VirtualPath {
    VirtualPath::parse(path.as_bytes()).unwrap()
}

impl<S: Storage> Fixture<S> {
    fn put(&self, path: &str, data: &[u8]) {
        let mut w = self
            .fs
            .open_write(&self.user, &vp(path), WriteMode::Write { offset: 0 })
            .unwrap();
        w.write_all(data).unwrap();
        w.commit().unwrap();
    }

    fn write(&self, path: &str, mode: WriteMode, data: &[u8]) -> Result<(), StorageError> {
        let mut w = self.fs.open_write(&self.user, &vp(path), mode)?;
        w.write_all(data).unwrap();
        w.commit()
    }

    fn get(&self, path: &str) -> Result<Vec<u8>, StorageError> {
        self.get_at(path, 0)
    }

    fn get_at(&self, path: &str, offset: u64) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::new();
        self.fs
            .open_read(&self.user, &vp(path), offset)?
            .read_to_end(&mut out)
            .unwrap();
        Ok(out)
    }

    fn mkdir(&self, path: &str) -> Result<(), StorageError> {
        self.fs.make_dir(&self.user, &vp(path))
    }

    fn names(&self, path: &str) -> Result<Vec<String>, StorageError> {
        let mut names: Vec<String> = self
            .fs
            .list(&self.user, &vp(path))?
            .into_iter()
            .map(|e| e.name_str().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn kind(&self, path: &str) -> Result<Kind, StorageError> {
        self.fs.metadata(&self.user, &vp(path)).map(|e| e.kind)
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), StorageError> {
        self.fs.rename(&self.user, &vp(from), &vp(to))
    }
}

fn metadata<S: Storage>(f: Fixture<S>) {
    f.put("/a.txt", b"hello");
    f.mkdir("/d").unwrap();
    let e = f.fs.metadata(&f.user, &vp("/a.txt")).unwrap();
    assert_eq!(
        (e.kind, e.size, &e.name[..]),
        (Kind::File, Some(5), &b"a.txt"[..])
    );
    let modified = e.modified.expect("modified time").to_unix();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - modified).abs() < 60, "{modified} vs {now}");
    assert!(e.mode.is_some());
    assert_eq!(f.kind("/d"), Ok(Kind::Dir));
    assert_eq!(f.kind("/"), Ok(Kind::Dir));
    assert_eq!(f.kind("/missing"), Err(StorageError::NotFound));
    assert_eq!(f.kind("/missing/x"), Err(StorageError::NotFound));
    assert_eq!(f.kind("/a.txt/x"), Err(StorageError::NotADirectory));
}

fn list<S: Storage>(f: Fixture<S>) {
    assert_eq!(f.names("/"), Ok(vec![]));
    f.put("/a.txt", b"hello");
    f.mkdir("/d").unwrap();
    f.put("/d/inner", b"x");
    f.mkdir("/d/sub").unwrap();
    assert_eq!(f.names("/"), Ok(vec!["a.txt".into(), "d".into()]));
    assert_eq!(f.names("/d"), Ok(vec!["inner".into(), "sub".into()]));
    assert_eq!(f.names("/d/sub"), Ok(vec![]));
    let entries = f.fs.list(&f.user, &vp("/")).unwrap();
    let a = entries.iter().find(|e| e.name == b"a.txt").unwrap();
    assert_eq!((a.kind, a.size), (Kind::File, Some(5)));
    assert!(a.modified.is_some());
    assert!(entries.iter().find(|e| e.name == b"d").unwrap().is_dir());
    assert_eq!(f.names("/a.txt"), Err(StorageError::NotADirectory));
    assert_eq!(f.names("/missing"), Err(StorageError::NotFound));
}

fn make_dir<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    assert_eq!(f.mkdir("/d"), Err(StorageError::AlreadyExists));
    f.mkdir("/d/e").unwrap();
    assert_eq!(f.kind("/d/e"), Ok(Kind::Dir));
    assert_eq!(f.mkdir("/missing/x"), Err(StorageError::NotFound));
    f.put("/f", b"");
    assert_eq!(f.mkdir("/f"), Err(StorageError::AlreadyExists));
    assert_eq!(f.mkdir("/f/x"), Err(StorageError::NotADirectory));
    assert_eq!(f.mkdir("/"), Err(StorageError::AlreadyExists));
}

fn remove_dir<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    f.put("/d/x", b"1");
    f.put("/f", b"1");
    let rmd = |p: &str| f.fs.remove_dir(&f.user, &vp(p));
    assert_eq!(rmd("/d"), Err(StorageError::NotEmpty));
    assert_eq!(rmd("/f"), Err(StorageError::NotADirectory));
    assert_eq!(rmd("/missing"), Err(StorageError::NotFound));
    assert_eq!(rmd("/"), Err(StorageError::PermissionDenied));
    f.fs.remove_file(&f.user, &vp("/d/x")).unwrap();
    rmd("/d").unwrap();
    assert_eq!(f.kind("/d"), Err(StorageError::NotFound));
    assert_eq!(f.names("/"), Ok(vec!["f".into()]));
}

fn remove_file<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    f.put("/f", b"1");
    let dele = |p: &str| f.fs.remove_file(&f.user, &vp(p));
    assert_eq!(dele("/d"), Err(StorageError::IsADirectory));
    assert_eq!(dele("/"), Err(StorageError::IsADirectory));
    assert_eq!(dele("/missing"), Err(StorageError::NotFound));
    assert_eq!(dele("/f/x"), Err(StorageError::NotADirectory));
    dele("/f").unwrap();
    assert_eq!(f.get("/f"), Err(StorageError::NotFound));
}

fn rename<S: Storage>(f: Fixture<S>) {
    f.put("/a", b"A");
    f.put("/b", b"B");
    f.rename("/a", "/c").unwrap();
    assert_eq!(f.get("/c"), Ok(b"A".to_vec()));
    assert_eq!(f.get("/a"), Err(StorageError::NotFound));
    // Onto an existing file: replaced.
    f.rename("/c", "/b").unwrap();
    assert_eq!(f.get("/b"), Ok(b"A".to_vec()));
    assert_eq!(f.names("/"), Ok(vec!["b".into()]));
    assert_eq!(f.rename("/missing", "/x"), Err(StorageError::NotFound));
    assert_eq!(f.rename("/b", "/missing/x"), Err(StorageError::NotFound));
    assert_eq!(f.rename("/b", "/b"), Ok(()));
    // Directories move with their contents.
    f.mkdir("/d").unwrap();
    f.mkdir("/d/sub").unwrap();
    f.put("/d/sub/x", b"X");
    f.mkdir("/dd").unwrap(); // shares a prefix with /d: must not move
    f.rename("/d", "/e").unwrap();
    assert_eq!(f.get("/e/sub/x"), Ok(b"X".to_vec()));
    assert_eq!(f.kind("/d"), Err(StorageError::NotFound));
    assert_eq!(f.kind("/dd"), Ok(Kind::Dir));
    assert_eq!(f.names("/"), Ok(vec!["b".into(), "dd".into(), "e".into()]));
    // Onto an existing directory, even an empty one: refused.
    assert_eq!(f.rename("/e", "/dd"), Err(StorageError::AlreadyExists));
    assert_eq!(f.rename("/b", "/dd"), Err(StorageError::AlreadyExists));
    assert_eq!(f.rename("/e", "/b"), Err(StorageError::NotADirectory));
    assert!(matches!(
        f.rename("/e", "/e/sub/inside"),
        Err(StorageError::Other(_))
    ));
    assert_eq!(f.rename("/", "/x"), Err(StorageError::PermissionDenied));
    assert_eq!(f.rename("/b", "/"), Err(StorageError::PermissionDenied));
    // Into another directory.
    f.rename("/b", "/e/sub/b").unwrap();
    assert_eq!(f.names("/e/sub"), Ok(vec!["b".into(), "x".into()]));
}

fn read_at_offset<S: Storage>(f: Fixture<S>) {
    f.put("/f", b"hello");
    assert_eq!(f.get("/f"), Ok(b"hello".to_vec()));
    assert_eq!(f.get_at("/f", 2), Ok(b"llo".to_vec()));
    assert_eq!(f.get_at("/f", 5), Ok(vec![]));
    assert_eq!(f.get_at("/f", 1000), Ok(vec![]));
    assert_eq!(f.get_at("/f", u64::MAX), Ok(vec![]));
    f.mkdir("/d").unwrap();
    assert_eq!(f.get("/d").unwrap_err(), StorageError::IsADirectory);
    assert_eq!(f.get("/").unwrap_err(), StorageError::IsADirectory);
    assert_eq!(f.get("/missing").unwrap_err(), StorageError::NotFound);
}

fn write_modes<S: Storage>(f: Fixture<S>) {
    let w = |offset| WriteMode::Write { offset };
    f.write("/f", w(0), b"hello world").unwrap();
    f.write("/f", w(0), b"short").unwrap();
    assert_eq!(f.get("/f"), Ok(b"short".to_vec()));
    // REST + STOR keeps the first `offset` bytes and drops the old tail.
    f.write("/f", w(0), b"hello world").unwrap();
    f.write("/f", w(5), b"!!").unwrap();
    assert_eq!(f.get("/f"), Ok(b"hello!!".to_vec()));
    f.write("/f", w(7), b"?").unwrap();
    assert_eq!(f.get("/f"), Ok(b"hello!!?".to_vec()));
    assert!(matches!(
        f.write("/f", w(9), b"x"),
        Err(StorageError::Other(_))
    ));
    assert_eq!(f.write("/new", w(3), b"x"), Err(StorageError::NotFound));
    assert_eq!(f.get("/f"), Ok(b"hello!!?".to_vec()));
    // APPE
    f.write("/f", WriteMode::Append, b" more").unwrap();
    assert_eq!(f.get("/f"), Ok(b"hello!!? more".to_vec()));
    f.write("/g", WriteMode::Append, b"fresh").unwrap();
    assert_eq!(f.get("/g"), Ok(b"fresh".to_vec()));
    // STOU
    assert_eq!(
        f.fs.open_write(&f.user, &vp("/g"), WriteMode::CreateNew)
            .err(),
        Some(StorageError::AlreadyExists)
    );
    f.write("/h", WriteMode::CreateNew, b"unique").unwrap();
    assert_eq!(f.get("/h"), Ok(b"unique".to_vec()));
    // Where no file can be.
    f.mkdir("/d").unwrap();
    for mode in [w(0), w(1), WriteMode::Append, WriteMode::CreateNew] {
        let err = |p: &str| f.fs.open_write(&f.user, &vp(p), mode).err();
        assert_eq!(err("/missing/x"), Some(StorageError::NotFound), "{mode:?}");
        assert_eq!(err("/f/x"), Some(StorageError::NotADirectory), "{mode:?}");
        let expected = if mode == WriteMode::CreateNew {
            StorageError::AlreadyExists
        } else {
            StorageError::IsADirectory
        };
        assert_eq!(err("/d"), Some(expected.clone()), "{mode:?}");
        assert!(err("/").is_some(), "{mode:?}");
    }
    assert_eq!(
        f.names("/"),
        Ok(vec!["d".into(), "f".into(), "g".into(), "h".into()])
    );
}

/// A dropped upload changes nothing; the upload is invisible until committed; nothing
/// but the target is left in the directory either way.
fn atomic_uploads<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    f.put("/d/f", b"old content");
    for mode in [
        WriteMode::Write { offset: 0 },
        WriteMode::Write { offset: 3 },
        WriteMode::Append,
    ] {
        let mut w = f.fs.open_write(&f.user, &vp("/d/f"), mode).unwrap();
        w.write_all(b"NEW DATA").unwrap();
        w.flush().unwrap();
        // LocalFs appends in place (documented); everything else stays invisible.
        if mode != WriteMode::Append {
            let early = f.get("/d/f");
            assert_eq!(early, Ok(b"old content".to_vec()), "{mode:?} visible early");
        }
        drop(w);
        assert_eq!(
            f.get("/d/f"),
            Ok(b"old content".to_vec()),
            "{mode:?} dropped"
        );
        assert_eq!(
            f.names("/d"),
            Ok(vec!["f".into()]),
            "{mode:?} left files behind"
        );
    }
    let mut w =
        f.fs.open_write(&f.user, &vp("/d/new"), WriteMode::CreateNew)
            .unwrap();
    w.write_all(b"x").unwrap();
    drop(w);
    assert_eq!(f.names("/d"), Ok(vec!["f".into()]));
    // STOU's exclusivity also holds at commit time.
    let mut w =
        f.fs.open_write(&f.user, &vp("/d/race"), WriteMode::CreateNew)
            .unwrap();
    w.write_all(b"loser").unwrap();
    f.put("/d/race", b"winner");
    assert_eq!(w.commit(), Err(StorageError::AlreadyExists));
    assert_eq!(f.get("/d/race"), Ok(b"winner".to_vec()));
    f.fs.remove_file(&f.user, &vp("/d/race")).unwrap();

    let mut w =
        f.fs.open_write(&f.user, &vp("/d/f"), WriteMode::Write { offset: 0 })
            .unwrap();
    w.write_all(b"replacement").unwrap();
    w.commit().unwrap();
    assert_eq!(f.get("/d/f"), Ok(b"replacement".to_vec()));
    let mut w =
        f.fs.open_write(&f.user, &vp("/d/f"), WriteMode::Write { offset: 4 })
            .unwrap();
    w.write_all(b"!").unwrap();
    w.commit().unwrap();
    assert_eq!(f.get("/d/f"), Ok(b"repl!".to_vec()));
    assert_eq!(f.names("/d"), Ok(vec!["f".into()]));
}

fn traversal_stays_inside<S: Storage>(f: Fixture<S>) {
    let escape = VirtualPath::parse(b"/../../etc/passwd").unwrap();
    assert_eq!(escape, vp("/etc/passwd"));
    assert_eq!(
        f.fs.metadata(&f.user, &escape).err(),
        Some(StorageError::NotFound)
    );
    f.mkdir("/etc").unwrap();
    f.put("/etc/passwd", b"inside");
    let mut out = String::new();
    f.fs.open_read(&f.user, &escape, 0)
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "inside");
}

fn execute_dispatches<S: Storage>(f: Fixture<S>) {
    let run = |op| f.fs.execute(&f.user, &op);
    assert_eq!(run(StorageOp::MakeDir(vp("/d"))), Ok(StorageOutcome::Done));
    f.put("/d/x", b"12");
    match run(StorageOp::List(vp("/d"))) {
        Ok(StorageOutcome::Listing { entries, .. }) => assert_eq!(entries.len(), 1),
        other => panic!("{other:?}"),
    }
    match run(StorageOp::Metadata(vp("/d/x"))) {
        Ok(StorageOutcome::Metadata(e)) => assert_eq!(e.size, Some(2)),
        other => panic!("{other:?}"),
    }
    let rename = StorageOp::Rename {
        from: vp("/d/x"),
        to: vp("/d/y"),
    };
    assert_eq!(run(rename), Ok(StorageOutcome::Done));
    assert_eq!(
        run(StorageOp::RemoveFile(vp("/d/y"))),
        Ok(StorageOutcome::Done)
    );
    assert_eq!(
        run(StorageOp::RemoveDir(vp("/d"))),
        Ok(StorageOutcome::Done)
    );
    assert_eq!(
        run(StorageOp::RemoveDir(vp("/d"))),
        Err(StorageError::NotFound)
    );
}

fn non_utf8_names<S: Storage>(f: Fixture<S>) {
    let name: &[u8] = b"caf\xe9 \\ \xff\xfe.txt";
    let mut path = b"/".to_vec();
    path.extend_from_slice(name);
    let path = VirtualPath::parse(&path).unwrap();
    let mut w =
        f.fs.open_write(&f.user, &path, WriteMode::Write { offset: 0 })
            .unwrap();
    w.write_all(b"bytes").unwrap();
    w.commit().unwrap();
    let entries = f.fs.list(&f.user, &VirtualPath::root()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, name);
    assert_eq!(f.fs.metadata(&f.user, &path).unwrap().name, name);
    let mut out = Vec::new();
    f.fs.open_read(&f.user, &path, 0)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, b"bytes");
}

macro_rules! suite {
    ($module:ident, $fixture:expr) => {
        mod $module {
            use super::*;
            #[test]
            fn metadata() {
                super::metadata($fixture)
            }
            #[test]
            fn list() {
                super::list($fixture)
            }
            #[test]
            fn make_dir() {
                super::make_dir($fixture)
            }
            #[test]
            fn remove_dir() {
                super::remove_dir($fixture)
            }
            #[test]
            fn remove_file() {
                super::remove_file($fixture)
            }
            #[test]
            fn rename() {
                super::rename($fixture)
            }
            #[test]
            fn read_at_offset() {
                super::read_at_offset($fixture)
            }
            #[test]
            fn write_modes() {
                super::write_modes($fixture)
            }
            #[test]
            fn traversal_stays_inside() {
                super::traversal_stays_inside($fixture)
            }
            #[test]
            fn execute_dispatches() {
                super::execute_dispatches($fixture)
            }
            #[test]
            fn non_utf8_names() {
                super::non_utf8_names($fixture)
            }
        }
    };
}

suite!(memory_fs, memory());
suite!(local_atomic, local(UploadMode::Atomic));
suite!(local_in_place, local(UploadMode::InPlace));

#[test]
fn memory_atomic_uploads() {
    atomic_uploads(memory())
}

#[test]
fn local_atomic_uploads() {
    atomic_uploads(local(UploadMode::Atomic))
}

/// Uploads racing for one name: the last commit wins whole, nothing is mixed, no temp
/// file is left.
fn concurrent_uploads<S: Storage>(f: Fixture<S>) {
    let bodies: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
    std::thread::scope(|scope| {
        for body in &bodies {
            let f = &f;
            scope.spawn(move || {
                let mut w =
                    f.fs.open_write(&f.user, &vp("/race"), WriteMode::Write { offset: 0 })
                        .unwrap();
                for chunk in body.chunks(1000) {
                    w.write_all(chunk).unwrap();
                }
                w.commit().unwrap();
            });
        }
    });
    let result = f.get("/race").unwrap();
    assert!(bodies.contains(&result), "mixed content");
    assert_eq!(f.names("/"), Ok(vec!["race".into()]));
}

#[test]
fn memory_concurrent_uploads() {
    concurrent_uploads(memory())
}

#[test]
fn local_concurrent_uploads() {
    concurrent_uploads(local(UploadMode::Atomic))
}
