//! The storage contract suite: every check of the contract written on [`Storage`], as
//! functions over a [`Fixture`], and [`contract_suite!`](crate::contract_suite) to run
//! them all as `#[test]`s against a backend. `LocalFs`, `MemoryFs` and the object store
//! backend run it; a backend author runs it against theirs:
//!
//! ```toml
//! [dev-dependencies]
//! sansftp-storage = { version = "0.1", features = ["contract"] }
//! ```
//!
//! ```
//! use sansftp::server::User;
//! use sansftp_storage::MemoryFs;
//! use sansftp_storage::contract::{Features, Fixture};
//!
//! fn fixture() -> Fixture<MemoryFs> {
//!     // A fresh, empty storage for each check.
//!     Fixture::new(MemoryFs::new(), User::anonymous()).features(Features::ALL)
//! }
//! // In a test file: `sansftp_storage::contract_suite!(memory, fixture());`
//! sansftp_storage::contract::rename(fixture());
//! ```
//!
//! Every check panics (as a test fails) when the backend breaks the contract. Each
//! starts from an empty root: give each fixture a root of its own (a fresh directory,
//! a fresh key prefix).

use std::any::Any;
use std::io::{Read, Write};

use sansftp::listing::Kind;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, StorageOp, StorageOutcome, User};

use crate::{Storage, WriteMode};

/// What a backend can do beyond the contract's core. A backend that cannot do one of
/// these answers it with [`StorageError::Unsupported`] (`502`), and the suite checks that
/// it does, and that nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `APPE`: [`WriteMode::Append`].
    pub append: bool,
    /// An append is written in place as it arrives, not at the commit (`LocalFs` does,
    /// as `O_APPEND`); only matters when `append` is true.
    pub append_in_place: bool,
    /// Renaming a directory, with everything below it.
    pub rename_dirs: bool,
}

impl Features {
    /// Everything, at commit time.
    pub const ALL: Features = Features {
        append: true,
        append_in_place: false,
        rename_dirs: true,
    };
}

/// One backend, empty, with the user whose root the checks work in.
pub struct Fixture<S> {
    /// The backend under test.
    pub storage: S,
    /// The user every call names.
    pub user: User,
    /// What the backend can do.
    pub features: Features,
    _guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<S: Storage> Fixture<S> {
    /// A fixture with every feature ([`Features::ALL`]).
    pub fn new(storage: S, user: User) -> Fixture<S> {
        Fixture {
            storage,
            user,
            features: Features::ALL,
            _guard: None,
        }
    }

    /// Sets what the backend can do.
    pub fn features(mut self, features: Features) -> Fixture<S> {
        self.features = features;
        self
    }

    /// Keeps `guard` (a temporary directory, a server) alive as long as the fixture.
    pub fn keep(mut self, guard: impl Any + Send + Sync) -> Fixture<S> {
        self._guard = Some(Box::new(guard));
        self
    }

    fn put(&self, path: &str, data: &[u8]) {
        let mut w = self
            .storage
            .open_write(&self.user, &vp(path), WriteMode::Write { offset: 0 })
            .unwrap();
        w.write_all(data).unwrap();
        w.commit().unwrap();
    }

    fn write(&self, path: &str, mode: WriteMode, data: &[u8]) -> Result<(), StorageError> {
        let mut w = self.storage.open_write(&self.user, &vp(path), mode)?;
        w.write_all(data).unwrap();
        w.commit()
    }

    fn open_err(&self, path: &str, mode: WriteMode) -> Option<StorageError> {
        self.storage.open_write(&self.user, &vp(path), mode).err()
    }

    fn get(&self, path: &str) -> Result<Vec<u8>, StorageError> {
        self.get_at(path, 0)
    }

    fn get_at(&self, path: &str, offset: u64) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::new();
        self.storage
            .open_read(&self.user, &vp(path), offset)?
            .read_to_end(&mut out)
            .unwrap();
        Ok(out)
    }

    fn mkdir(&self, path: &str) -> Result<(), StorageError> {
        self.storage.make_dir(&self.user, &vp(path))
    }

    fn remove(&self, path: &str) -> Result<(), StorageError> {
        self.storage.remove_file(&self.user, &vp(path))
    }

    fn names(&self, path: &str) -> Result<Vec<String>, StorageError> {
        let mut names: Vec<String> = self
            .storage
            .list(&self.user, &vp(path))?
            .into_iter()
            .map(|e| e.name_str().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn kind(&self, path: &str) -> Result<Kind, StorageError> {
        self.storage.metadata(&self.user, &vp(path)).map(|e| e.kind)
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), StorageError> {
        self.storage.rename(&self.user, &vp(from), &vp(to))
    }
}

fn vp(path: &str) -> VirtualPath {
    VirtualPath::parse(path.as_bytes()).expect("test paths are valid")
}

fn unsupported<T: std::fmt::Debug>(r: Result<T, StorageError>) -> bool {
    matches!(r, Err(StorageError::Unsupported(_)))
}

/// `SIZE`, `MDTM`, `MLST`: a file's kind, size, name, a modification time within a
/// minute of now and a mode; directories, the root; `NotFound` below a missing path,
/// `NotADirectory` below a file.
pub fn metadata<S: Storage>(f: Fixture<S>) {
    f.put("/a.txt", b"hello");
    f.mkdir("/d").unwrap();
    let e = f.storage.metadata(&f.user, &vp("/a.txt")).unwrap();
    assert_eq!(
        (e.kind, e.size, &e.name[..]),
        (Kind::File, Some(5), &b"a.txt"[..])
    );
    let modified = e.modified.expect("modified time").to_unix();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64;
    assert!((now - modified).abs() < 60, "{modified} vs {now}");
    assert!(e.mode.is_some());
    assert_eq!(f.kind("/d"), Ok(Kind::Dir));
    assert_eq!(f.kind("/"), Ok(Kind::Dir));
    assert_eq!(f.kind("/missing"), Err(StorageError::NotFound));
    assert_eq!(f.kind("/missing/x"), Err(StorageError::NotFound));
    assert_eq!(f.kind("/a.txt/x"), Err(StorageError::NotADirectory));
}

/// `LIST`/`MLSD`/`NLST`: one level, names, kinds and sizes; `NotADirectory` for a file,
/// `NotFound` for a missing path.
pub fn list<S: Storage>(f: Fixture<S>) {
    assert_eq!(f.names("/"), Ok(vec![]));
    f.put("/a.txt", b"hello");
    f.mkdir("/d").unwrap();
    f.put("/d/inner", b"x");
    f.mkdir("/d/sub").unwrap();
    assert_eq!(f.names("/"), Ok(vec!["a.txt".into(), "d".into()]));
    assert_eq!(f.names("/d"), Ok(vec!["inner".into(), "sub".into()]));
    assert_eq!(f.names("/d/sub"), Ok(vec![]));
    let entries = f.storage.list(&f.user, &vp("/")).unwrap();
    let a = entries.iter().find(|e| e.name == b"a.txt").unwrap();
    assert_eq!((a.kind, a.size), (Kind::File, Some(5)));
    assert!(a.modified.is_some());
    assert!(entries.iter().find(|e| e.name == b"d").unwrap().is_dir());
    assert_eq!(f.names("/a.txt"), Err(StorageError::NotADirectory));
    assert_eq!(f.names("/missing"), Err(StorageError::NotFound));
}

/// `MKD`: one level, in an existing directory; `AlreadyExists` for any existing name
/// and the root.
pub fn make_dir<S: Storage>(f: Fixture<S>) {
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

/// `RMD`: only an empty directory; `NotEmpty`, `NotADirectory`, `NotFound`, and
/// `PermissionDenied` for the root.
pub fn remove_dir<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    f.put("/d/x", b"1");
    f.put("/f", b"1");
    let rmd = |p: &str| f.storage.remove_dir(&f.user, &vp(p));
    assert_eq!(rmd("/d"), Err(StorageError::NotEmpty));
    assert_eq!(rmd("/f"), Err(StorageError::NotADirectory));
    assert_eq!(rmd("/missing"), Err(StorageError::NotFound));
    assert_eq!(rmd("/"), Err(StorageError::PermissionDenied));
    f.remove("/d/x").unwrap();
    rmd("/d").unwrap();
    assert_eq!(f.kind("/d"), Err(StorageError::NotFound));
    assert_eq!(f.names("/"), Ok(vec!["f".into()]));
}

/// `DELE`: files only (`IsADirectory`), `NotFound`, `NotADirectory` below a file.
pub fn remove_file<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    f.put("/f", b"1");
    assert_eq!(f.remove("/d"), Err(StorageError::IsADirectory));
    assert_eq!(f.remove("/"), Err(StorageError::IsADirectory));
    assert_eq!(f.remove("/missing"), Err(StorageError::NotFound));
    assert_eq!(f.remove("/f/x"), Err(StorageError::NotADirectory));
    f.remove("/f").unwrap();
    assert_eq!(f.get("/f"), Err(StorageError::NotFound));
}

/// `RNFR`/`RNTO`: a file replaces a file; a directory moves with its contents (or the
/// backend says [`StorageError::Unsupported`] and nothing moves); never onto a
/// directory, never into itself, never the root.
pub fn rename<S: Storage>(f: Fixture<S>) {
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
    assert_eq!(f.get("/b"), Ok(b"A".to_vec()));
    f.mkdir("/d").unwrap();
    f.mkdir("/d/sub").unwrap();
    f.put("/d/sub/x", b"X");
    f.mkdir("/dd").unwrap(); // shares a prefix with /d: must not move
    let dir = if f.features.rename_dirs {
        // Directories move with their contents.
        f.rename("/d", "/e").unwrap();
        assert_eq!(f.get("/e/sub/x"), Ok(b"X".to_vec()));
        assert_eq!(f.kind("/d"), Err(StorageError::NotFound));
        assert_eq!(f.kind("/dd"), Ok(Kind::Dir));
        assert_eq!(f.names("/"), Ok(vec!["b".into(), "dd".into(), "e".into()]));
        "/e"
    } else {
        assert!(unsupported(f.rename("/d", "/e")));
        assert_eq!(f.get("/d/sub/x"), Ok(b"X".to_vec()));
        assert_eq!(f.names("/"), Ok(vec!["b".into(), "d".into(), "dd".into()]));
        "/d"
    };
    // Onto an existing directory, even an empty one: refused.
    assert!(matches!(
        f.rename(dir, "/dd"),
        Err(StorageError::AlreadyExists | StorageError::Unsupported(_))
    ));
    assert_eq!(f.rename("/b", "/dd"), Err(StorageError::AlreadyExists));
    assert!(matches!(
        f.rename(dir, "/b"),
        Err(StorageError::NotADirectory | StorageError::Unsupported(_))
    ));
    assert!(matches!(
        f.rename(dir, &format!("{dir}/sub/inside")),
        Err(StorageError::Other(_) | StorageError::Unsupported(_))
    ));
    assert_eq!(f.rename("/", "/x"), Err(StorageError::PermissionDenied));
    assert_eq!(f.rename("/b", "/"), Err(StorageError::PermissionDenied));
    // Into another directory.
    f.rename("/b", &format!("{dir}/sub/b")).unwrap();
    assert_eq!(
        f.names(&format!("{dir}/sub")),
        Ok(vec!["b".into(), "x".into()])
    );
    assert_eq!(f.get(&format!("{dir}/sub/b")), Ok(b"A".to_vec()));
}

/// `REST` + `RETR`: a read from any offset; past the end reads nothing; directories
/// and missing files refused.
pub fn read_at_offset<S: Storage>(f: Fixture<S>) {
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

/// `STOR` replaces; `REST n` + `STOR` keeps the first `n` bytes (`InvalidOffset` past
/// the end, `NotFound` for a new file); `APPE` appends or creates (or is
/// [`StorageError::Unsupported`]); `STOU` (`CreateNew`) never replaces; no file where
/// the parent is missing, a file or the name a directory.
pub fn write_modes<S: Storage>(f: Fixture<S>) {
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
        Err(StorageError::InvalidOffset { offset: 9, size: 8 })
    ));
    assert_eq!(f.write("/new", w(3), b"x"), Err(StorageError::NotFound));
    assert_eq!(f.get("/f"), Ok(b"hello!!?".to_vec()));
    let mut names = vec!["d", "f", "h"];
    if f.features.append {
        f.write("/f", WriteMode::Append, b" more").unwrap();
        assert_eq!(f.get("/f"), Ok(b"hello!!? more".to_vec()));
        f.write("/g", WriteMode::Append, b"fresh").unwrap();
        assert_eq!(f.get("/g"), Ok(b"fresh".to_vec()));
        names.insert(2, "g");
    } else {
        assert!(unsupported(f.write("/f", WriteMode::Append, b" more")));
        assert!(unsupported(f.write("/g", WriteMode::Append, b"fresh")));
        assert_eq!(f.get("/f"), Ok(b"hello!!?".to_vec()));
        f.put("/g", b"fresh");
    }
    // STOU
    assert_eq!(
        f.open_err("/g", WriteMode::CreateNew),
        Some(StorageError::AlreadyExists)
    );
    f.write("/h", WriteMode::CreateNew, b"unique").unwrap();
    assert_eq!(f.get("/h"), Ok(b"unique".to_vec()));
    if !f.features.append {
        f.remove("/g").unwrap();
    }
    // Where no file can be.
    f.mkdir("/d").unwrap();
    let mut modes = vec![w(0), w(1), WriteMode::CreateNew];
    if f.features.append {
        modes.push(WriteMode::Append);
    }
    for mode in modes {
        let err = |p: &str| f.open_err(p, mode);
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
    let names: Vec<String> = names.into_iter().map(String::from).collect();
    assert_eq!(f.names("/"), Ok(names));
}

/// A dropped upload changes nothing; an upload is invisible until committed; nothing
/// but the target is left in the directory either way; `STOU`'s exclusivity holds at
/// commit time; a commit replaces whole.
pub fn atomic_uploads<S: Storage>(f: Fixture<S>) {
    f.mkdir("/d").unwrap();
    f.put("/d/f", b"old content");
    let mut modes = vec![
        WriteMode::Write { offset: 0 },
        WriteMode::Write { offset: 3 },
    ];
    if f.features.append {
        modes.push(WriteMode::Append);
    }
    for mode in modes {
        let in_place = mode == WriteMode::Append && f.features.append_in_place;
        let mut w = f.storage.open_write(&f.user, &vp("/d/f"), mode).unwrap();
        w.write_all(b"NEW DATA").unwrap();
        w.flush().unwrap();
        if !in_place {
            let early = f.get("/d/f");
            assert_eq!(early, Ok(b"old content".to_vec()), "{mode:?} visible early");
        }
        drop(w);
        if !in_place {
            let after = f.get("/d/f");
            assert_eq!(after, Ok(b"old content".to_vec()), "{mode:?} dropped");
        }
        let left = f.names("/d");
        assert_eq!(left, Ok(vec!["f".into()]), "{mode:?} left files behind");
        if in_place {
            f.put("/d/f", b"old content");
        }
    }
    let mut w = f
        .storage
        .open_write(&f.user, &vp("/d/new"), WriteMode::CreateNew)
        .unwrap();
    w.write_all(b"x").unwrap();
    drop(w);
    assert_eq!(f.names("/d"), Ok(vec!["f".into()]));
    // STOU's exclusivity also holds at commit time.
    let mut w = f
        .storage
        .open_write(&f.user, &vp("/d/race"), WriteMode::CreateNew)
        .unwrap();
    w.write_all(b"loser").unwrap();
    f.put("/d/race", b"winner");
    assert_eq!(w.commit(), Err(StorageError::AlreadyExists));
    assert_eq!(f.get("/d/race"), Ok(b"winner".to_vec()));
    f.remove("/d/race").unwrap();

    f.write("/d/f", WriteMode::Write { offset: 0 }, b"replacement")
        .unwrap();
    assert_eq!(f.get("/d/f"), Ok(b"replacement".to_vec()));
    f.write("/d/f", WriteMode::Write { offset: 4 }, b"!")
        .unwrap();
    assert_eq!(f.get("/d/f"), Ok(b"repl!".to_vec()));
    assert_eq!(f.names("/d"), Ok(vec!["f".into()]));
}

/// `..` cannot leave the user's root: paths are virtual, resolved below it.
pub fn traversal_stays_inside<S: Storage>(f: Fixture<S>) {
    let escape = VirtualPath::parse(b"/../../etc/passwd").expect("a valid path");
    assert_eq!(escape, vp("/etc/passwd"));
    let outside = f.storage.metadata(&f.user, &escape).err();
    assert_eq!(outside, Some(StorageError::NotFound));
    f.mkdir("/etc").unwrap();
    f.put("/etc/passwd", b"inside");
    let mut out = String::new();
    f.storage
        .open_read(&f.user, &escape, 0)
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "inside");
}

/// [`Storage::execute`] runs each [`StorageOp`] as its method does.
pub fn execute_dispatches<S: Storage>(f: Fixture<S>) {
    let run = |op| f.storage.execute(&f.user, &op);
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
    let dele = run(StorageOp::RemoveFile(vp("/d/y")));
    assert_eq!(dele, Ok(StorageOutcome::Done));
    assert_eq!(
        run(StorageOp::RemoveDir(vp("/d"))),
        Ok(StorageOutcome::Done)
    );
    let again = run(StorageOp::RemoveDir(vp("/d")));
    assert_eq!(again, Err(StorageError::NotFound));
}

/// Names are bytes: not UTF-8, backslashes and all come back as they went in.
pub fn non_utf8_names<S: Storage>(f: Fixture<S>) {
    let name: &[u8] = b"caf\xe9 \\ 100% \xff\xfe.txt";
    let mut path = b"/".to_vec();
    path.extend_from_slice(name);
    let path = VirtualPath::parse(&path).expect("a valid path");
    let mut w = f
        .storage
        .open_write(&f.user, &path, WriteMode::Write { offset: 0 })
        .unwrap();
    w.write_all(b"bytes").unwrap();
    w.commit().unwrap();
    let entries = f.storage.list(&f.user, &VirtualPath::root()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, name);
    assert_eq!(f.storage.metadata(&f.user, &path).unwrap().name, name);
    let mut out = Vec::new();
    f.storage
        .open_read(&f.user, &path, 0)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, b"bytes");
}

/// Uploads racing for one name: the last commit wins whole, nothing is mixed, nothing
/// else is left.
pub fn concurrent_uploads<S: Storage>(f: Fixture<S>) {
    let bodies: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
    std::thread::scope(|scope| {
        for body in &bodies {
            let f = &f;
            scope.spawn(move || {
                let mode = WriteMode::Write { offset: 0 };
                let mut w = f.storage.open_write(&f.user, &vp("/race"), mode).unwrap();
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

/// A [`Fixture`], or `None` for a check that cannot run here (a server the tests need
/// is missing; the fixture says so), which [`contract_suite!`](crate::contract_suite)
/// then skips.
pub trait MaybeFixture {
    /// The storage under test.
    type Storage: Storage;
    /// The fixture, if the check can run.
    fn fixture(self) -> Option<Fixture<Self::Storage>>;
}

impl<S: Storage> MaybeFixture for Fixture<S> {
    type Storage = S;
    fn fixture(self) -> Option<Fixture<S>> {
        Some(self)
    }
}

impl<S: Storage> MaybeFixture for Option<Fixture<S>> {
    type Storage = S;
    fn fixture(self) -> Option<Fixture<S>> {
        self
    }
}

/// Runs every check of [`sansftp_storage::contract`](crate::contract) as a `#[test]` in a
/// module named `$module`, each on a fresh `$fixture` (an expression giving a
/// [`Fixture`], or an `Option` of one: see [`MaybeFixture`]; evaluated once per check,
/// in the calling module's scope).
///
/// ```
/// # use sansftp::server::User;
/// # use sansftp_storage::{MemoryFs, contract::Fixture};
/// fn memory() -> Fixture<MemoryFs> {
///     Fixture::new(MemoryFs::new(), User::anonymous())
/// }
/// sansftp_storage::contract_suite!(memory_fs, memory());
/// ```
#[macro_export]
macro_rules! contract_suite {
    ($module:ident, $fixture:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::contract_suite!(@tests $fixture;
                metadata list make_dir remove_dir remove_file rename read_at_offset
                write_modes atomic_uploads traversal_stays_inside execute_dispatches
                non_utf8_names concurrent_uploads);
        }
    };
    (@tests $fixture:expr; $($check:ident)*) => {
        $(
            #[test]
            fn $check() {
                if let Some(f) = $crate::contract::MaybeFixture::fixture($fixture) {
                    $crate::contract::$check(f)
                }
            }
        )*
    };
}
