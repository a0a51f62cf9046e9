//! [`LocalFs`](crate::LocalFs)'s upload temporaries, `.NAME.sansftp-PID-N.part`: they
//! are never shown to clients (not listed, not found), and a server that starts removes
//! those that earlier processes left under its roots (killed mid-upload), only names of
//! this form and only when the process that made them is gone.

use std::fs;
use std::io;
use std::path::Path;

/// The process id in an upload temporary's name (`.NAME.sansftp-PID-N.part`), or
/// `None` for any other name.
pub(crate) fn temp_owner(name: &[u8]) -> Option<u32> {
    let inner = name.strip_prefix(b".")?.strip_suffix(b".part")?;
    let at = memrfind(inner, b".sansftp-")?;
    if at == 0 {
        return None;
    }
    let tail = &inner[at + b".sansftp-".len()..];
    let dash = tail.iter().position(|&b| b == b'-')?;
    let (pid, n) = (&tail[..dash], &tail[dash + 1..]);
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits(pid) || !digits(n) {
        return None;
    }
    std::str::from_utf8(pid).ok()?.parse().ok()
}

/// Whether process `pid` is alive (on Linux, by `/proc`; elsewhere every process is
/// taken to be alive, so nothing is removed).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes, under `root` (symlinks not followed), the upload temporaries whose process
/// is gone; returns how many.
pub(crate) fn remove_leftovers(root: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        // A folder that cannot be read (permissions, gone meanwhile) is skipped.
        let Ok(items) = fs::read_dir(&dir) else {
            continue;
        };
        for item in items.flatten() {
            let Ok(kind) = item.file_type() else { continue };
            if kind.is_dir() {
                dirs.push(item.path());
                continue;
            }
            let name = item.file_name();
            let owner = temp_owner(name.as_encoded_bytes());
            if kind.is_file() && owner.is_some_and(|pid| !alive(pid)) {
                match fs::remove_file(item.path()) {
                    Ok(()) => removed += 1,
                    Err(e) => log::warn!("{}: {e}", item.path().display()),
                }
            }
        }
    }
    Ok(removed)
}

fn memrfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_of_the_temporary_form_have_an_owner() {
        assert_eq!(temp_owner(b".a.txt.sansftp-123-4.part"), Some(123));
        assert_eq!(
            temp_owner(b"..sansftp-1-0.part.sansftp-99-0.part"),
            Some(99)
        );
        for other in [
            &b"a.txt.sansftp-123-4.part"[..],
            b".a.txt.sansftp-123-4.parts",
            b".a.txt.sansftp-12x-4.part",
            b".a.txt.sansftp-123-.part",
            b".sansftp-123-4.part",
            b".a.txt.part",
            b"notes.part",
        ] {
            assert_eq!(temp_owner(other), None, "{other:?}");
        }
    }

    #[test]
    fn leftovers_of_dead_processes_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        // PIDs above the kernel's maximum (4194304) are never alive.
        let dead = [
            dir.path().join(".a.sansftp-99999999-0.part"),
            sub.join(".b.bin.sansftp-99999998-7.part"),
        ];
        let own = dir
            .path()
            .join(format!(".c.sansftp-{}-1.part", std::process::id()));
        let kept = [dir.path().join("a"), dir.path().join("x.part"), own];
        for f in dead.iter().chain(&kept) {
            fs::write(f, "x").unwrap();
        }
        assert_eq!(remove_leftovers(dir.path()).unwrap(), 2);
        assert!(dead.iter().all(|f| !f.exists()));
        assert!(kept.iter().all(|f| f.exists()));
    }
}
