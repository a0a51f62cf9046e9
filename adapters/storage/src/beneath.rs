//! Linux: opens confined to a user's root by the kernel, in one `openat2(2)` call.
//!
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` relative to the root directory makes the
//! kernel refuse (`EXDEV`, `ELOOP`) any walk that a `..`, an absolute symlink or a
//! `/proc` magic link would take out of the root, so a file it opens is inside the root,
//! checked against the very inode that gets opened (no check-then-use race on the path).
//!
//! Only successes are trusted. On any error the caller takes the portable path
//! (canonicalize, then compare prefixes), which gives the exact answer the backend has
//! always given: "permission denied" rather than "not found" below a link out of the
//! root, and *success* for an absolute symlink that points back inside the root, which
//! `RESOLVE_BENEATH` refuses. `RESOLVE_IN_ROOT` is not used: it would resolve an absolute
//! link relative to the root, opening a different file than the portable path would.
//!
//! Kernels before 5.6 (`ENOSYS`) and sandboxes whose seccomp filter refuses the call
//! (`ENOSYS` or `EPERM`) are detected once, by a probe, and remembered.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use rustix::fs::{CWD, Mode, OFlags, ResolveFlags, open, openat2};
use rustix::io::Errno;

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

static SUPPORT: AtomicU8 = AtomicU8::new(UNKNOWN);

const RESOLVE: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// Whether `openat2` works here; probed on first use, then cached.
fn supported() -> bool {
    match SUPPORT.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => {
            let probe = openat2(
                CWD,
                "/",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                ResolveFlags::NO_MAGICLINKS,
            );
            match probe {
                Ok(_) => {
                    SUPPORT.store(YES, Ordering::Relaxed);
                    true
                }
                Err(e) if e == Errno::NOSYS || e == Errno::PERM => {
                    log::debug!("openat2 unavailable ({e}): confining opens the portable way");
                    SUPPORT.store(NO, Ordering::Relaxed);
                    false
                }
                // Something odd and maybe passing: not cached, the next call probes again.
                Err(_) => false,
            }
        }
    }
}

/// Opens `rel` (relative, as [`VirtualPath::under`](sansftp::path::VirtualPath::under)
/// an empty root gives it; empty means the root itself) below the directory `root`, with
/// `flags` (plus `O_CLOEXEC`), the kernel keeping the whole walk inside `root`. `None`
/// on any failure, including a walk that would leave the root: the caller then decides
/// the portable way.
pub(crate) fn open_beneath(root: &Path, rel: &Path, flags: OFlags) -> Option<File> {
    if !supported() {
        return None;
    }
    let dir = open(
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let fd = openat2(&dir, rel, flags | OFlags::CLOEXEC, Mode::empty(), RESOLVE).ok()?;
    Some(File::from(fd))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    use super::*;

    /// `<tmp>/root` with `real/file`, `<tmp>/outside/secret`.
    fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fs::create_dir_all(root.join("real")).unwrap();
        fs::create_dir(tmp.path().join("outside")).unwrap();
        fs::write(root.join("real/file"), "content").unwrap();
        fs::write(tmp.path().join("outside/secret"), "secret").unwrap();
        (tmp, root)
    }

    fn read(root: &Path, rel: &str) -> Option<String> {
        let mut out = String::new();
        open_beneath(root, Path::new(rel), OFlags::RDONLY)?
            .read_to_string(&mut out)
            .unwrap();
        Some(out)
    }

    #[test]
    fn links_out_of_the_root_are_refused_by_the_kernel() {
        if !supported() {
            eprintln!("openat2 unavailable here, skipped");
            return;
        }
        let (tmp, root) = tree();
        let secret = tmp.path().join("outside/secret");
        symlink(&secret, root.join("abs")).unwrap();
        symlink("../outside/secret", root.join("rel")).unwrap();
        symlink("..", root.join("up")).unwrap();
        symlink("/proc/self/root", root.join("magic")).unwrap();
        fs::create_dir(root.join("d")).unwrap();
        symlink("../../outside/secret", root.join("d/deep")).unwrap();
        for rel in [
            "abs",
            "rel",
            "up/outside/secret",
            "magic/etc/passwd",
            "d/deep",
        ] {
            assert_eq!(read(&root, rel), None, "{rel}");
        }
        // The portable path does not see these either: nothing was opened.
        assert_eq!(fs::read(&secret).unwrap(), b"secret");
    }

    #[test]
    fn links_inside_the_root_are_followed_relative_ones_only() {
        if !supported() {
            eprintln!("openat2 unavailable here, skipped");
            return;
        }
        let (_tmp, root) = tree();
        symlink("real", root.join("alias")).unwrap();
        symlink("real/../real/./file", root.join("twisty")).unwrap();
        symlink("../real/file", root.join("real/sibling")).unwrap();
        symlink(root.join("real/file"), root.join("abs_inside")).unwrap();
        for rel in ["real/file", "alias/file", "twisty", "real/sibling"] {
            assert_eq!(read(&root, rel).as_deref(), Some("content"), "{rel}");
        }
        // RESOLVE_BENEATH refuses every absolute link; LocalFs then takes the portable
        // path, which allows this one (tests/local.rs checks that it is read).
        assert_eq!(read(&root, "abs_inside"), None);
        // The empty relative path is the root itself.
        assert!(open_beneath(&root, Path::new(""), OFlags::RDONLY | OFlags::DIRECTORY).is_some());
    }

    #[test]
    fn odd_names_fail_quietly() {
        let (_tmp, root) = tree();
        assert_eq!(read(&root, "real/fi\0le"), None);
        assert_eq!(read(&root, "missing"), None);
        assert_eq!(read(&root.join("nowhere"), "real/file"), None);
    }
}
