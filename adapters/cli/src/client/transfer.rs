//! `sansftp get URL [LOCAL]` and `sansftp put LOCAL URL`: files and (`--recursive`)
//! trees, resumable (`--resume`), with a progress bar on a terminal.
//!
//! Files move through the client's data streams here (not `Client::download`/`upload`)
//! so each block can advance the progress bar and resuming can be decided per file.
//! A download that does not resume is written to a hidden temporary name beside its
//! target and renamed when complete: a failed one leaves nothing behind, and an existing
//! file is only replaced by a complete one. A resumed download appends in place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sansftp::listing::Kind;
use sansftp_blocking::Client;

use super::{ConnectArgs, Error, URL_HELP, basename, is_missing, join, show, trim_slashes};
use crate::progress::Progress;

/// The size of the one buffer each transfer copies through.
const BUFFER: usize = 256 * 1024;

/// Options of `sansftp get`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct GetArgs {
    /// The remote file (or directory, with --recursive).
    pub url: String,
    /// Where to write: a file name, or an existing directory to write into (default:
    /// the remote name, in the current directory).
    pub local: Option<PathBuf>,
    /// Continue a partial download from the local file's size (or from the hidden
    /// temporary file a killed download left beside it).
    #[arg(short = 'c', long)]
    pub resume: bool,
    /// Download a whole directory tree.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Options of `sansftp put`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct PutArgs {
    /// The local file (or directory, with --recursive).
    pub local: PathBuf,
    /// The remote file name, or a directory (existing, or ending with /) to upload into.
    pub url: String,
    /// Continue a partial upload from the remote file's size (SIZE).
    #[arg(short = 'c', long)]
    pub resume: bool,
    /// Upload a whole directory tree.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `get`.
pub fn get(args: GetArgs, show_progress: bool) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let mut client = super::connect(&url, &args.connect)?;
    let remote = url.path.clone();
    // What is it? A failed stat is not fatal (the server may not say): RETR decides.
    let item = if remote.is_empty() {
        None // the login directory
    } else {
        match client.stat(&remote) {
            Ok(item) => Some(item),
            Err(e) if is_missing(&e) => return Err(e.into()),
            Err(_) => None,
        }
    };
    let is_dir = remote.is_empty() || item.as_ref().is_some_and(|i| i.entry.kind.is_dir());
    let name = basename(&remote);
    let result = if is_dir {
        if !args.recursive {
            return Err(Error::Other(format!(
                "{} is a directory (use --recursive)",
                show(&remote)
            )));
        }
        let target = local_target(args.local.as_deref(), name, &remote)?;
        get_tree(&mut client, &remote, &target, args.resume, show_progress)
    } else {
        let target = local_target(args.local.as_deref(), name, &remote)?;
        let size = item.and_then(|i| i.entry.size);
        let label = target.display().to_string();
        let progress = Progress::new(size, &label, show_progress);
        let result = get_file(&mut client, &remote, &target, size, args.resume, &progress);
        finish_progress(&progress, &result);
        result.map(|_| ())
    };
    super::quit(client);
    result
}

/// Runs `put`.
pub fn put(args: PutArgs, show_progress: bool) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let meta = fs::metadata(&args.local).map_err(|e| Error::local(&args.local, e))?;
    if meta.is_dir() && !args.recursive {
        return Err(Error::Other(format!(
            "{} is a directory (use --recursive)",
            args.local.display()
        )));
    }
    let mut client = super::connect(&url, &args.connect)?;
    // Into the URL's directory when it is one (like cp), else as that name.
    let into_dir = url.path.is_empty()
        || url.path.ends_with(b"/")
        || client.is_dir(&url.path).unwrap_or(false);
    let remote = if into_dir {
        join(trim_slashes(&url.path), &local_name(&args.local)?)
    } else {
        url.path.clone()
    };
    let result = if meta.is_dir() {
        put_tree(
            &mut client,
            &args.local,
            &remote,
            args.resume,
            show_progress,
        )
    } else {
        let label = args.local.display().to_string();
        let progress = Progress::new(Some(meta.len()), &label, show_progress);
        let result = put_file(&mut client, &args.local, &remote, args.resume, &progress);
        finish_progress(&progress, &result);
        result.map(|_| ())
    };
    super::quit(client);
    result
}

fn finish_progress<T>(progress: &Progress, result: &Result<T, Error>) {
    match result {
        Ok(_) => progress.done(),
        Err(_) => progress.clear(),
    }
}

/// The local path a download goes to: `local`, inside `local` when it is a directory,
/// or the remote name in the current directory.
fn local_target(
    local: Option<&Path>,
    name: Option<&[u8]>,
    remote: &[u8],
) -> Result<PathBuf, Error> {
    let name = || {
        name.map(path_from_bytes).ok_or_else(|| {
            Error::Usage(format!(
                "cannot name a local file after {:?}: give LOCAL",
                show(remote)
            ))
        })
    };
    match local {
        None => name(),
        Some(dir) if dir.is_dir() => Ok(dir.join(name()?)),
        Some(path) => Ok(path.to_path_buf()),
    }
}

/// A remote name as a local path component (bytes as they are on Unix).
fn path_from_bytes(name: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(name))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(name).into_owned())
    }
}

/// A local path component as remote bytes.
fn bytes_of(name: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        name.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

/// The name a local file or directory is uploaded under.
fn local_name(local: &Path) -> Result<Vec<u8>, Error> {
    let named = match local.file_name() {
        Some(name) => Some(bytes_of(name)),
        // `.`, `..` or `/`: the real directory's name.
        None => fs::canonicalize(local)
            .ok()
            .and_then(|p| p.file_name().map(bytes_of)),
    };
    named.ok_or_else(|| {
        Error::Usage(format!(
            "cannot name a remote file after {}: give the remote name in the URL",
            local.display()
        ))
    })
}

/// A hidden temporary name beside `target`.
fn temporary(target: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(target.file_name().unwrap_or_else(|| "download".as_ref()));
    name.push(".sansftp-part");
    target.with_file_name(name)
}

/// When `target` is missing but an interrupted download's temporary file is there
/// (the process was killed), it becomes the target, so `--resume` continues it.
fn adopt_temporary(target: &Path) -> Result<(), Error> {
    let temp = temporary(target);
    if fs::symlink_metadata(target).is_err() && temp.is_file() {
        fs::rename(&temp, target).map_err(|e| Error::local(target, e))?;
    }
    Ok(())
}

/// Downloads one file; returns the bytes received.
fn get_file(
    client: &mut Client,
    remote: &[u8],
    target: &Path,
    size: Option<u64>,
    resume: bool,
    progress: &Progress,
) -> Result<u64, Error> {
    if resume {
        adopt_temporary(target)?;
    }
    let offset = if resume {
        match fs::metadata(target) {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => {
                return Err(Error::Other(format!("{} is not a file", target.display())));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(Error::local(target, e)),
        }
    } else {
        0
    };
    if let Some(size) = size {
        if offset > size {
            return Err(Error::Other(format!(
                "cannot resume: {} ({offset} bytes) is larger than {} ({size} bytes)",
                target.display(),
                show(remote)
            )));
        }
        if resume && offset == size && target.is_file() {
            progress.add(size);
            return Ok(0);
        }
    }
    progress.add(offset);
    // The server answers (a missing file, say) before any local file is made.
    let mut stream = client.download_stream(remote, offset)?;
    let (opened, written_to) = if offset > 0 {
        let file = OpenOptions::new().append(true).open(target);
        (file, target.to_path_buf())
    } else {
        let temp = temporary(target);
        (File::create(&temp), temp)
    };
    let mut file = match opened {
        Ok(file) => file,
        Err(e) => {
            let _ = stream.abort();
            // Named after the target: the temporary name means nothing to the user.
            return Err(Error::local(target, e));
        }
    };
    let copied = copy(&mut stream, &mut file, progress);
    let result = match copied {
        Ok(n) => stream.finish().map(|()| n).map_err(Error::from),
        Err(Side::Read(e)) => Err(match stream.finish() {
            Err(ftp) => ftp.into(),
            Ok(()) => sansftp::Error::Io(e).into(),
        }),
        Err(Side::Write(e)) => {
            let _ = stream.abort();
            Err(Error::local(&written_to, e))
        }
    };
    let result = result.and_then(|n| {
        file.sync_all()
            .map_err(|e| Error::local(&written_to, e))
            .map(|()| n)
    });
    if offset > 0 {
        return result;
    }
    match result {
        Ok(n) => match fs::rename(&written_to, target) {
            Ok(()) => Ok(n),
            Err(e) => {
                let _ = fs::remove_file(&written_to);
                Err(Error::local(target, e))
            }
        },
        Err(e) => {
            let _ = fs::remove_file(&written_to);
            Err(e)
        }
    }
}

/// Uploads one file; returns the bytes sent.
fn put_file(
    client: &mut Client,
    local: &Path,
    remote: &[u8],
    resume: bool,
    progress: &Progress,
) -> Result<u64, Error> {
    let mut file = File::open(local).map_err(|e| Error::local(local, e))?;
    let len = file.metadata().map_err(|e| Error::local(local, e))?.len();
    // `None`: not on the server (yet).
    let existing = if resume {
        remote_size(client, remote)?
    } else {
        None
    };
    let offset = existing.unwrap_or(0);
    if offset > len {
        return Err(Error::Other(format!(
            "cannot resume: {} ({offset} bytes) is larger than {} ({len} bytes)",
            show(remote),
            local.display()
        )));
    }
    progress.add(offset);
    if existing == Some(len) {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::local(local, e))?;
    let mut stream = client.upload_stream(remote, offset)?;
    match copy(&mut file, &mut stream, progress) {
        Ok(n) => {
            stream.finish()?;
            Ok(n)
        }
        Err(Side::Read(e)) => {
            let _ = stream.abort();
            Err(Error::local(local, e))
        }
        Err(Side::Write(e)) => Err(match stream.finish() {
            Err(ftp) => ftp.into(),
            Ok(()) => sansftp::Error::Io(e).into(),
        }),
    }
}

/// The size of a remote file, `None` when it does not exist (`SIZE`, or `stat` for
/// servers without `SIZE`).
fn remote_size(client: &mut Client, remote: &[u8]) -> Result<Option<u64>, Error> {
    match client.size(remote) {
        Ok(n) => Ok(Some(n)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(_) => match client.stat(remote) {
            Ok(item) => Ok(Some(item.entry.size.unwrap_or(0))),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(e.into()),
        },
    }
}

/// Which side of a copy failed.
enum Side {
    Read(io::Error),
    Write(io::Error),
}

/// Copies to the end through one buffer, advancing the bar.
fn copy(from: &mut impl Read, to: &mut impl Write, progress: &Progress) -> Result<u64, Side> {
    let mut buf = vec![0u8; BUFFER];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Side::Read(e)),
        };
        to.write_all(&buf[..n]).map_err(Side::Write)?;
        total += n as u64;
        progress.add(n as u64);
    }
    to.flush().map_err(Side::Write)?;
    Ok(total)
}

/// Downloads the remote directory `remote` into `target` (made if missing).
fn get_tree(
    client: &mut Client,
    remote: &[u8],
    target: &Path,
    resume: bool,
    show_progress: bool,
) -> Result<(), Error> {
    let mut items = client.list(remote, true)?;
    items.sort_by(|a, b| a.path.cmp(&b.path));
    let prefix = join(trim_slashes(remote), b"");
    let total = items
        .iter()
        .filter(|i| i.entry.kind == Kind::File)
        .filter_map(|i| i.entry.size)
        .sum();
    fs::create_dir_all(target).map_err(|e| Error::local(target, e))?;
    let progress = Progress::new(Some(total), &target.display().to_string(), show_progress);
    let result = (|| {
        for item in &items {
            let relative = item
                .path
                .strip_prefix(prefix.as_slice())
                .unwrap_or(&item.path);
            // Never write outside the target, whatever names the server sends.
            let Some(local) = safe_join(target, relative) else {
                warn(&format!(
                    "skipping {:?}: not a plain name",
                    show(&item.path)
                ));
                continue;
            };
            match item.entry.kind {
                k if k.is_dir() => {
                    fs::create_dir_all(&local).map_err(|e| Error::local(&local, e))?;
                }
                Kind::File => {
                    if let Some(parent) = local.parent() {
                        fs::create_dir_all(parent).map_err(|e| Error::local(parent, e))?;
                    }
                    progress.label(&show(relative));
                    get_file(
                        client,
                        &item.path,
                        &local,
                        item.entry.size,
                        resume,
                        &progress,
                    )?;
                }
                _ => warn(&format!(
                    "skipping {} (a {}, not a file or directory)",
                    show(&item.path),
                    super::ls::type_name(item.entry.kind)
                )),
            }
        }
        Ok(())
    })();
    progress.label(&target.display().to_string());
    finish_progress(&progress, &result);
    result
}

/// `base` joined with a relative remote path, or `None` if a component is empty, `.`,
/// `..`, or would not be a plain local name.
fn safe_join(base: &Path, relative: &[u8]) -> Option<PathBuf> {
    let mut path = base.to_path_buf();
    for part in relative.split(|&b| b == b'/') {
        if part.is_empty() || part == b"." || part == b".." || part.contains(&b'\0') {
            return None;
        }
        #[cfg(windows)]
        if part.contains(&b'\\') || part.contains(&b':') {
            return None;
        }
        path.push(path_from_bytes(part));
    }
    Some(path)
}

/// Uploads the local directory `local` as the remote directory `remote`.
fn put_tree(
    client: &mut Client,
    local: &Path,
    remote: &[u8],
    resume: bool,
    show_progress: bool,
) -> Result<(), Error> {
    let (dirs, files) = walk(local)?;
    let total = files.iter().map(|f| f.2).sum();
    let progress = Progress::new(Some(total), &local.display().to_string(), show_progress);
    let result = (|| {
        client.make_directory(remote, true)?;
        for dir in &dirs {
            client.make_directory(join(remote, dir), true)?;
        }
        for (path, relative, _) in &files {
            progress.label(&show(relative));
            put_file(client, path, &join(remote, relative), resume, &progress)?;
        }
        Ok(())
    })();
    progress.label(&local.display().to_string());
    finish_progress(&progress, &result);
    result
}

/// A local file of a tree: its path, its path below the tree's root as remote bytes,
/// and its size.
type LocalFile = (PathBuf, Vec<u8>, u64);

/// Every directory (parents first) and file below `root`, as paths relative to it.
/// Links to files are followed; links to directories are skipped (they could loop).
fn walk(root: &Path) -> Result<(Vec<Vec<u8>>, Vec<LocalFile>), Error> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut pending = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, relative)) = pending.pop() {
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::local(&dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::local(&dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let rel = join(&relative, &bytes_of(&entry.file_name()));
            let kind = entry.file_type().map_err(|e| Error::local(&path, e))?;
            if kind.is_dir() {
                dirs.push(rel.clone());
                pending.push((path, rel));
            } else if kind.is_symlink() && path.is_dir() {
                warn(&format!(
                    "skipping {} (a link to a directory)",
                    path.display()
                ));
            } else {
                match fs::metadata(&path) {
                    Ok(m) if m.is_file() => files.push((path, rel, m.len())),
                    Ok(_) => warn(&format!("skipping {} (not a file)", path.display())),
                    Err(e) => return Err(Error::local(&path, e)),
                }
            }
        }
    }
    dirs.sort();
    Ok((dirs, files))
}

/// A warning line on stderr (the command goes on).
fn warn(message: &str) {
    eprintln!("sansftp: warning: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_targets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        assert_eq!(
            local_target(None, Some(b"f.txt"), b"a/f.txt").ok(),
            Some(PathBuf::from("f.txt"))
        );
        assert_eq!(
            local_target(Some(d), Some(b"f.txt"), b"a/f.txt").ok(),
            Some(d.join("f.txt"))
        );
        assert_eq!(
            local_target(Some(&d.join("new")), Some(b"f.txt"), b"a/f.txt").ok(),
            Some(d.join("new"))
        );
        let err = local_target(None, None, b"").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("give LOCAL")));
    }

    #[test]
    fn server_names_cannot_leave_the_target() {
        let base = Path::new("/tmp/t");
        assert_eq!(safe_join(base, b"a/b"), Some(base.join("a/b")));
        for bad in [&b"../x"[..], b"a/../../x", b"a//b", b"", b"./x", b"a/\0"] {
            assert_eq!(safe_join(base, bad), None, "{:?}", show(bad));
        }
    }

    #[test]
    fn temporary_names_are_hidden_siblings() {
        assert_eq!(
            temporary(Path::new("/d/f.bin")),
            PathBuf::from("/d/.f.bin.sansftp-part")
        );
    }

    #[test]
    fn walks_trees_parents_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::create_dir_all(d.join("a/b")).expect("mkdir");
        fs::write(d.join("a/b/f"), b"xyz").expect("write");
        fs::write(d.join("top"), b"1").expect("write");
        let (dirs, files) = walk(d).expect("walk");
        assert_eq!(dirs, vec![b"a".to_vec(), b"a/b".to_vec()]);
        let mut rels: Vec<_> = files.iter().map(|f| (f.1.clone(), f.2)).collect();
        rels.sort();
        assert_eq!(rels, vec![(b"a/b/f".to_vec(), 3), (b"top".to_vec(), 1)]);
    }
}
