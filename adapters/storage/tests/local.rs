//! `LocalFs`-only behaviour: confinement against symlinks, `check_root`, upload modes on
//! real files, Unix metadata.
#![cfg(unix)]

use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use sansftp::listing::Kind;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp_storage::{LocalFs, Storage, UploadMode, WriteMode};

const DENIED: StorageError = StorageError::PermissionDenied;
const MODES: [WriteMode; 4] = [
    WriteMode::Write { offset: 0 },
    WriteMode::Write { offset: 1 },
    WriteMode::Append,
    WriteMode::CreateNew,
];

fn vp(path: &str) -> VirtualPath {
    VirtualPath::parse(path.as_bytes()).unwrap()
}

/// `<tmp>/root` served to the user, `<tmp>/outside` next to it holding a secret.
struct Jail {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    user: User,
}

fn jail() -> Jail {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir(&root).unwrap();
    fs::create_dir(&outside).unwrap();
    fs::create_dir(outside.join("sub")).unwrap();
    fs::write(outside.join("secret.txt"), "secret").unwrap();
    fs::write(root.join("inside.txt"), "inside").unwrap();
    let user = User::new("u", "p").base_path(&root);
    Jail {
        _tmp: tmp,
        root,
        outside,
        user,
    }
}

impl Jail {
    fn read(&self, fs: &LocalFs, path: &str) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::new();
        fs.open_read(&self.user, &vp(path), 0)?
            .read_to_end(&mut out)
            .unwrap();
        Ok(out)
    }

    fn write(
        &self,
        fs: &LocalFs,
        path: &str,
        mode: WriteMode,
        data: &[u8],
    ) -> Result<(), StorageError> {
        let mut w = fs.open_write(&self.user, &vp(path), mode)?;
        w.write_all(data).unwrap();
        w.commit()
    }

    fn outside_untouched(&self) {
        let mut names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["secret.txt", "sub"]);
        assert_eq!(
            fs::read(self.outside.join("secret.txt")).unwrap(),
            b"secret"
        );
        assert_eq!(fs::read_dir(self.outside.join("sub")).unwrap().count(), 0);
    }
}

fn both_modes() -> [LocalFs; 2] {
    [
        LocalFs::new().with_upload_mode(UploadMode::Atomic),
        LocalFs::new().with_upload_mode(UploadMode::InPlace),
    ]
}

#[test]
fn directory_links_out_of_the_root_are_refused() {
    let j = jail();
    symlink("/etc", j.root.join("etc")).unwrap();
    symlink("../outside", j.root.join("rel")).unwrap();
    symlink("..", j.root.join("up")).unwrap();
    symlink(&j.outside, j.root.join("abs")).unwrap();
    for fs in both_modes() {
        let u = &j.user;
        for dir in ["/etc", "/rel", "/up", "/abs", "/up/outside", "/up/root/rel"] {
            assert_eq!(fs.metadata(u, &vp(dir)).err(), Some(DENIED), "CWD {dir}");
            assert_eq!(fs.list(u, &vp(dir)).err(), Some(DENIED), "LIST {dir}");
        }
        assert_eq!(j.read(&fs, "/etc/passwd").err(), Some(DENIED));
        assert_eq!(j.read(&fs, "/etc/hostname").err(), Some(DENIED));
        for dir in ["/rel", "/up/outside", "/abs"] {
            let secret = format!("{dir}/secret.txt");
            let missing = format!("{dir}/missing.txt");
            let planted = format!("{dir}/x.txt");
            assert_eq!(j.read(&fs, &secret).err(), Some(DENIED), "RETR {secret}");
            // "denied", not "not found": nothing outside can be probed.
            assert_eq!(
                fs.metadata(u, &vp(&missing)).err(),
                Some(DENIED),
                "SIZE {missing}"
            );
            assert_eq!(j.read(&fs, &missing).err(), Some(DENIED), "RETR {missing}");
            assert_eq!(
                fs.metadata(u, &vp(&format!("{dir}/no/such"))).err(),
                Some(DENIED)
            );
            for mode in MODES {
                assert_eq!(
                    j.write(&fs, &planted, mode, b"x").err(),
                    Some(DENIED),
                    "{mode:?}"
                );
                assert_eq!(
                    j.write(&fs, &secret, mode, b"x").err(),
                    Some(DENIED),
                    "{mode:?}"
                );
            }
            assert_eq!(
                fs.make_dir(u, &vp(&format!("{dir}/newdir"))).err(),
                Some(DENIED)
            );
            assert_eq!(fs.remove_file(u, &vp(&secret)).err(), Some(DENIED));
            assert_eq!(
                fs.remove_dir(u, &vp(&format!("{dir}/sub"))).err(),
                Some(DENIED)
            );
            assert_eq!(
                fs.rename(u, &vp(&secret), &vp("/stolen")).err(),
                Some(DENIED)
            );
            assert_eq!(
                fs.rename(u, &vp("/inside.txt"), &vp(&planted)).err(),
                Some(DENIED)
            );
            assert_eq!(
                fs.rename(u, &vp(&format!("{dir}/sub")), &vp("/sub")).err(),
                Some(DENIED)
            );
        }
        j.outside_untouched();
    }
    // The links themselves are entries of the root: listed (not followed), removable.
    let fs = LocalFs::new();
    let entries = fs.list(&j.user, &VirtualPath::root()).unwrap();
    let etc = entries.iter().find(|e| e.name == b"etc").unwrap();
    assert_eq!(
        (etc.kind, etc.link_target.as_deref()),
        (Kind::Link, Some(&b"/etc"[..]))
    );
    assert_eq!(
        fs.remove_dir(&j.user, &vp("/rel")).err(),
        Some(StorageError::NotADirectory)
    );
    fs.rename(&j.user, &vp("/rel"), &vp("/rel2")).unwrap();
    fs.remove_file(&j.user, &vp("/rel2")).unwrap();
    assert!(fs::symlink_metadata(j.root.join("rel2")).is_err());
    j.outside_untouched();
}

#[test]
fn file_links_out_of_the_root_are_refused() {
    let j = jail();
    symlink(j.outside.join("secret.txt"), j.root.join("pw")).unwrap();
    symlink("/etc/passwd", j.root.join("passwd")).unwrap();
    // Dangling: writing through it would create a file outside.
    symlink(j.outside.join("created.txt"), j.root.join("dangle")).unwrap();
    symlink("../outside/created.txt", j.root.join("dangle_rel")).unwrap();
    for fs in both_modes() {
        assert_eq!(j.read(&fs, "/passwd").err(), Some(DENIED));
        assert_eq!(fs.metadata(&j.user, &vp("/passwd")).err(), Some(DENIED));
        // Writes only through links into the temp dir: a broken build must not be able
        // to clobber a real system file when the tests run as root.
        for link in ["/pw", "/dangle", "/dangle_rel"] {
            assert_eq!(j.read(&fs, link).err(), Some(DENIED), "RETR {link}");
            assert_eq!(
                fs.metadata(&j.user, &vp(link)).err(),
                Some(DENIED),
                "SIZE {link}"
            );
            for mode in MODES {
                let result = j.write(&fs, link, mode, b"x").err();
                // STOU never writes through an existing name at all.
                let expected = if mode == WriteMode::CreateNew {
                    StorageError::AlreadyExists
                } else {
                    DENIED
                };
                assert_eq!(result, Some(expected), "STOR {link} {mode:?}");
            }
        }
        j.outside_untouched();
    }
    // Renaming onto a link replaces the link, never its target.
    let fs = LocalFs::new();
    fs.rename(&j.user, &vp("/inside.txt"), &vp("/pw")).unwrap();
    assert_eq!(fs::read(j.root.join("pw")).unwrap(), b"inside");
    assert!(
        !fs::symlink_metadata(j.root.join("pw"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    fs.remove_file(&j.user, &vp("/dangle")).unwrap();
    j.outside_untouched();
}

#[test]
fn links_inside_the_root_are_followed() {
    let j = jail();
    fs::create_dir(j.root.join("real")).unwrap();
    fs::write(j.root.join("real/file"), "content").unwrap();
    symlink("real", j.root.join("alias")).unwrap();
    symlink(j.root.join("real/file"), j.root.join("flink")).unwrap();
    symlink("real/../real/./file", j.root.join("twisty")).unwrap();
    for fs in both_modes() {
        let u = &j.user;
        assert_eq!(fs.metadata(u, &vp("/alias")).unwrap().kind, Kind::Dir);
        assert_eq!(fs.list(u, &vp("/alias")).unwrap().len(), 1);
        assert_eq!(j.read(&fs, "/alias/file").unwrap(), b"content");
        assert_eq!(j.read(&fs, "/twisty").unwrap(), b"content");
        assert_eq!(fs.metadata(u, &vp("/flink")).unwrap().size, Some(7));
        j.write(&fs, "/alias/new", WriteMode::Write { offset: 0 }, b"n")
            .unwrap();
        assert_eq!(fs::read(j.root.join("real/new")).unwrap(), b"n");
        fs.remove_file(u, &vp("/alias/new")).unwrap();
        // Writing a file link writes its target; the link stays a link.
        j.write(&fs, "/flink", WriteMode::Write { offset: 0 }, b"changed")
            .unwrap();
        assert_eq!(fs::read(j.root.join("real/file")).unwrap(), b"changed");
        assert!(
            fs::symlink_metadata(j.root.join("flink"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        j.write(&fs, "/flink", WriteMode::Write { offset: 0 }, b"content")
            .unwrap();
        fs.make_dir(u, &vp("/alias/d")).unwrap();
        fs.remove_dir(u, &vp("/alias/d")).unwrap();
        assert_eq!(fs::read_dir(j.root.join("real")).unwrap().count(), 1);
    }
}

/// On Linux `open_read` and `metadata` try `openat2(RESOLVE_BENEATH)` first and falls back to the
/// portable check on any refusal: the answers must be the portable ones in every case.
#[test]
fn downloads_answer_as_the_portable_check_does() {
    let j = jail();
    fs::create_dir(j.root.join("real")).unwrap();
    fs::write(j.root.join("real/file"), "content").unwrap();
    // Inside, but absolute: the kernel refuses it beneath the root, the fallback allows it.
    symlink(j.root.join("real/file"), j.root.join("abs_inside")).unwrap();
    symlink(j.root.join("real"), j.root.join("abs_dir")).unwrap();
    // Inside, relative, through `..` that stays inside.
    symlink("../real/file", j.root.join("real/sibling")).unwrap();
    // Out of the root, relative and through a link in a subdirectory.
    symlink("../../outside/secret.txt", j.root.join("real/out")).unwrap();
    symlink("../outside/missing.txt", j.root.join("dangling_out")).unwrap();
    symlink("missing.txt", j.root.join("dangling_in")).unwrap();
    symlink("/proc/self/root/etc/hostname", j.root.join("magic")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"odd \\ \xff\t name");
    fs::write(j.root.join(name), "odd").unwrap();
    let fs = LocalFs::new();
    for (path, want) in [
        ("/abs_inside", "content"),
        ("/abs_dir/file", "content"),
        ("/real/sibling", "content"),
        ("/inside.txt", "inside"),
    ] {
        assert_eq!(j.read(&fs, path).unwrap(), want.as_bytes(), "{path}");
    }
    let odd = VirtualPath::parse(b"/odd \\ \xff\t name").unwrap();
    let mut out = Vec::new();
    fs.open_read(&j.user, &odd, 1)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, b"dd");
    for path in ["/real/out", "/dangling_out", "/dangling_in", "/magic"] {
        assert_eq!(j.read(&fs, path).err(), Some(DENIED), "{path}");
    }
    for path in [
        "/abs_inside",
        "/real/sibling",
        "/real/out",
        "/dangling_out",
        "/magic",
    ] {
        let fast = fs.metadata(&j.user, &vp(path)).map(|e| (e.kind, e.size));
        let want = match path {
            "/abs_inside" | "/real/sibling" => Ok((Kind::File, Some(7))),
            _ => Err(DENIED),
        };
        assert_eq!(fast, want, "SIZE {path}");
    }
    assert_eq!(
        fs.metadata(&j.user, &vp("/abs_dir")).unwrap().kind,
        Kind::Dir
    );
    assert_eq!(fs.metadata(&j.user, &vp("/")).unwrap().kind, Kind::Dir);
    assert_eq!(
        fs.metadata(&j.user, &vp("/nothing")).err(),
        Some(StorageError::NotFound)
    );
    assert_eq!(j.read(&fs, "/nothing").err(), Some(StorageError::NotFound));
    assert_eq!(j.read(&fs, "/real").err(), Some(StorageError::IsADirectory));
    assert_eq!(j.read(&fs, "/").err(), Some(StorageError::IsADirectory));
    j.outside_untouched();
}

#[test]
fn local_opens_are_quick_unless_told_otherwise() {
    let j = jail();
    let fs = LocalFs::new();
    fs.check_root(&j.user).unwrap();
    // tempfile's directory is on a local file system (tmpfs or a disk) here.
    assert!(fs.opens_quickly());
    assert!(!LocalFs::new().with_quick_opens(false).opens_quickly());
    assert!(sansftp_storage::MemoryFs::new().opens_quickly());
}

#[test]
fn a_root_reached_through_a_symlink_works() {
    let j = jail();
    let link = j.outside.parent().unwrap().join("root-link");
    symlink(&j.root, &link).unwrap();
    let user = User::new("u", "p").base_path(&link);
    let fs = LocalFs::new();
    fs.check_root(&user).unwrap();
    let mut out = String::new();
    fs.open_read(&user, &vp("/inside.txt"), 0)
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "inside");
    assert_eq!(fs.list(&user, &VirtualPath::root()).unwrap().len(), 1);
}

#[test]
fn check_root_names_the_path() {
    let j = jail();
    let fs = LocalFs::new();
    fs.check_root(&j.user).unwrap();
    let missing = j.root.join("nope");
    let err = fs
        .check_root(&User::new("u", "p").base_path(&missing))
        .unwrap_err();
    assert_eq!(err.path.as_deref(), Some(missing.as_path()));
    assert_eq!(err.io_kind(), Some(std::io::ErrorKind::NotFound));
    assert!(
        err.to_string().contains(&*missing.to_string_lossy()),
        "{err}"
    );
    let file = j.root.join("inside.txt");
    let err = fs
        .check_root(&User::new("u", "p").base_path(&file))
        .unwrap_err();
    assert_eq!(err.path.as_deref(), Some(file.as_path()));
    assert_eq!(err.io_kind(), Some(std::io::ErrorKind::NotADirectory));
    assert!(err.to_string().contains("inside.txt"), "{err}");
    // A root that vanishes later makes operations fail, not panic.
    let gone = User::new("u", "p").base_path(&missing);
    assert_eq!(
        fs.metadata(&gone, &VirtualPath::root()).err(),
        Some(StorageError::NotFound)
    );
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn atomic_upload_uses_a_temp_file_and_keeps_permissions() {
    let j = jail();
    let target = j.root.join("inside.txt");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    let fs = LocalFs::new().with_fsync(true);
    assert_eq!(fs.upload_mode(), UploadMode::Atomic);
    let mut w = fs
        .open_write(&j.user, &vp("/inside.txt"), WriteMode::Write { offset: 0 })
        .unwrap();
    w.write_all(b"new").unwrap();
    let during = names(&j.root);
    assert_eq!(during.len(), 2, "{during:?}");
    let temp = during.iter().find(|n| *n != "inside.txt").unwrap();
    assert!(
        temp.starts_with(".inside.txt.sansftp-") && temp.ends_with(".part"),
        "{temp}"
    );
    w.commit().unwrap();
    assert_eq!(names(&j.root), ["inside.txt"]);
    assert_eq!(fs::read(&target).unwrap(), b"new");
    assert_eq!(fs::metadata(&target).unwrap().mode() & 0o777, 0o640);
}

#[test]
fn long_names_still_get_a_temp_file() {
    let j = jail();
    let name = "n".repeat(255);
    let fs = LocalFs::new();
    j.write(
        &fs,
        &format!("/{name}"),
        WriteMode::Write { offset: 0 },
        b"x",
    )
    .unwrap();
    assert_eq!(names(&j.root), ["inside.txt".to_string(), name]);
}

#[test]
fn dropped_append_is_rolled_back_in_atomic_mode_and_kept_in_place() {
    let j = jail();
    let atomic = LocalFs::new();
    let mut w = atomic
        .open_write(&j.user, &vp("/fresh"), WriteMode::Append)
        .unwrap();
    w.write_all(b"partial").unwrap();
    drop(w);
    assert_eq!(names(&j.root), ["inside.txt"]);
    let mut w = atomic
        .open_write(&j.user, &vp("/inside.txt"), WriteMode::Append)
        .unwrap();
    w.write_all(b" partial").unwrap();
    drop(w);
    assert_eq!(fs::read(j.root.join("inside.txt")).unwrap(), b"inside");

    // InPlace keeps whatever arrived, so the client can resume it.
    let in_place = LocalFs::new().with_upload_mode(UploadMode::InPlace);
    let mut w = in_place
        .open_write(&j.user, &vp("/inside.txt"), WriteMode::Write { offset: 0 })
        .unwrap();
    w.write_all(b"part").unwrap();
    drop(w);
    assert_eq!(fs::read(j.root.join("inside.txt")).unwrap(), b"part");
    j.write(
        &in_place,
        "/inside.txt",
        WriteMode::Write { offset: 4 },
        b"ial",
    )
    .unwrap();
    assert_eq!(fs::read(j.root.join("inside.txt")).unwrap(), b"partial");
    assert_eq!(names(&j.root), ["inside.txt"]);
}

#[test]
fn unix_metadata_and_raw_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let j = jail();
    let raw = OsStr::from_bytes(b"\xff\xferaw");
    fs::write(j.root.join(raw), "r").unwrap();
    fs::set_permissions(j.root.join(raw), fs::Permissions::from_mode(0o604)).unwrap();
    let fs = LocalFs::new();
    let entries = fs.list(&j.user, &VirtualPath::root()).unwrap();
    let e = entries.iter().find(|e| e.name == b"\xff\xferaw").unwrap();
    let meta = fs::metadata(j.root.join(raw)).unwrap();
    assert_eq!(e.mode, Some(0o604));
    assert_eq!(e.links, Some(1));
    assert_eq!(e.owner.as_deref(), Some(&*meta.uid().to_string()));
    assert_eq!(e.group.as_deref(), Some(&*meta.gid().to_string()));
    assert_eq!(e.modified.unwrap().to_unix(), meta.mtime());
    let root = fs.metadata(&j.user, &VirtualPath::root()).unwrap();
    assert_eq!((root.kind, &root.name[..]), (Kind::Dir, &b"/"[..]));
}

#[test]
fn special_files_are_not_opened() {
    let j = jail();
    let fifo = j.root.join("fifo");
    if !sansftp_conformance::peer::have_tool("mkfifo") {
        return;
    }
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(
        matches!(&made, Ok(s) if s.success()),
        "mkfifo {fifo:?}: {made:?}"
    );
    for fs in both_modes() {
        assert!(matches!(j.read(&fs, "/fifo"), Err(StorageError::Other(_))));
        let result = j.write(&fs, "/fifo", WriteMode::Write { offset: 0 }, b"x");
        assert!(matches!(result, Err(StorageError::Other(_))), "{result:?}");
        assert_eq!(fs.metadata(&j.user, &vp("/fifo")).unwrap().kind, Kind::Pipe);
    }
}

#[test]
fn unreadable_directories_map_to_permission_denied() {
    let j = jail();
    let locked = j.root.join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let fs = LocalFs::new();
    // root ignores permission bits; only check when they apply.
    if fs::read_dir(&locked).is_err() {
        assert_eq!(fs.list(&j.user, &vp("/locked")).err(), Some(DENIED));
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}
