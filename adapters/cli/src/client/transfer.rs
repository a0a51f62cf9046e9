//! `sansftp get URL [LOCAL]` and `sansftp put LOCAL URL`: files and (`--recursive`)
//! trees, resumable (`--resume`), with a progress bar on a terminal.
//!
//! Where a copy goes and what is skipped is decided by the core's copy plan
//! (`sansftp::client::tree`: `cp -r` rules, links to directories not followed,
//! unsafe names skipped with a warning); this module carries out its steps through the
//! client's data streams, so each block can advance the progress bar and resuming can
//! be decided per file. A download that does not resume is written to a hidden
//! temporary name beside its target and renamed when complete: a failed one leaves
//! nothing behind, and an existing file is only replaced by a complete one. A resumed
//! download appends in place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sansftp::client::tree::{DownloadFile, Plan, Step, UploadFile, is_temp_of};
use sansftp_blocking::Client;
use sansftp_storage::copy::answer_local;

use super::{ConnectArgs, Error, URL_HELP, basename, is_missing, show};
use crate::progress::Progress;

/// The size of the one buffer each transfer copies through.
const BUFFER: usize = 256 * 1024;
/// The copy buffer of an upload. Measured on Linux loopback against pyftpdlib and
/// vsftpd (1 GiB from tmpfs, issue 10): 64 KiB writes gave 800-1,180 MB/s where 256 KiB
/// gave 640-930, 1 MiB 740-940, curl (64 KiB) 710-1,050 and sendfile(2) only 520-800
/// (the kernel's spliced pages cost the server more to receive than copied ones,
/// although they cost this client a quarter of the CPU).
const UPLOAD_BUFFER: usize = 64 * 1024;

/// What `get --help` and `put --help` say about where a copy goes.
const COPY_HELP: &str = "\
Like cp -r: when the target is an existing directory, the source is copied into it \
under its own name (target/NAME); otherwise it is copied as the target (missing parent \
directories are made). A target ending with / is always a directory to copy into, made \
when missing. So `get -r URL DIR/` or `put -r DIR URL/` run twice leave the same tree. \
Existing directories are reused and files replaced. Links to directories are not \
followed, and names in a listing that are not plain names (.., a /) are skipped, each \
with a warning.";

/// Options of `sansftp get`.
#[derive(Debug, clap::Args)]
#[command(after_help = format!("{COPY_HELP}\n\n{URL_HELP}"))]
pub struct GetArgs {
    /// The remote file (or directory, with --recursive).
    pub url: String,
    /// Where to write: a file name, or a directory to write into (existing, or ending
    /// with /; default: the current directory).
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
#[command(after_help = format!("{COPY_HELP}\n\n{URL_HELP}"))]
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
    let local = match args.local {
        Some(local) => local,
        None if basename(&url.path).is_none() => {
            return Err(Error::Usage(format!(
                "cannot name a local file after {:?}: give LOCAL",
                show(&url.path)
            )));
        }
        None => PathBuf::from("."),
    };
    let mut client = super::connect(&url, &args.connect)?;
    let plan = Plan::download(url.path.clone(), &local).recursive(args.recursive);
    let label = local.display().to_string();
    let result = run(&mut client, plan, args.resume, &label, show_progress);
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
    let plan = Plan::upload(&args.local, url.path.clone()).recursive(args.recursive);
    let label = args.local.display().to_string();
    let result = run(&mut client, plan, args.resume, &label, show_progress);
    super::quit(client);
    result
}

/// Carries out a copy plan: warnings printed as they come, a progress bar over the
/// whole copy, each file resumed when asked.
fn run(
    client: &mut Client,
    mut plan: Plan,
    resume: bool,
    label: &str,
    show_progress: bool,
) -> Result<(), Error> {
    let mut progress = Progress::new(None, label, false);
    let mut tree = false;
    // The last download appended in place: there is no temporary file to rename.
    let mut in_place = false;
    while let Some(step) = plan.next_step() {
        let step = match step {
            Step::Rename { .. } if in_place => {
                plan.local_done(Ok(()));
                continue;
            }
            // The local file system's steps, as every client does them.
            step => match answer_local(&mut plan, step) {
                Some(step) => step,
                None => continue,
            },
        };
        match step {
            Step::StatRemote(p) => plan.remote_item(client.stat(p)),
            Step::ListRemote(p) => plan.remote_entries(client.list_names(p)),
            Step::MakeRemoteDir { path, parents } => {
                plan.remote_done(client.make_directory(path, parents))
            }
            Step::Planned(totals) => {
                tree = totals.tree;
                progress = Progress::new(Some(totals.bytes), label, show_progress);
            }
            Step::Upload(f) => {
                progress.label(&if tree {
                    show(&f.name)
                } else {
                    f.local.display().to_string()
                });
                plan.transferred(put_file(client, &f, resume, &progress));
            }
            Step::Download(f) => {
                progress.label(&if tree {
                    show(&f.name)
                } else {
                    f.target.display().to_string()
                });
                let got = get_file(client, &f, resume, &progress);
                in_place = got.as_ref().is_ok_and(|g| g.1);
                plan.transferred(got.map(|g| g.0));
            }
            Step::Warning(w) => warn(&w.to_string()),
            _ => {}
        }
    }
    progress.label(label);
    let result = plan.finish().map(drop).map_err(|e| match e {
        sansftp::Error::Io(e) if e.kind() == io::ErrorKind::IsADirectory => {
            Error::Other(format!("{e} (use --recursive)"))
        }
        e => Error::Ftp(e),
    });
    finish_progress(&progress, &result);
    result
}

fn finish_progress<T>(progress: &Progress, result: &Result<T, Error>) {
    match result {
        Ok(_) => progress.done(),
        Err(_) => progress.clear(),
    }
}

/// A message as the plan's error type.
fn other(message: String) -> sansftp::Error {
    sansftp::Error::Io(io::Error::other(message))
}

fn local(path: &Path, e: io::Error) -> sansftp::Error {
    sansftp::PathIoError::with_path(path, e).into()
}

/// When `target` is missing but an interrupted download's temporary file is there
/// (the process was killed), the largest one becomes the target, so `--resume`
/// continues it (`.NAME.sansftp-part` is an older release's name for it).
fn adopt_temporary(target: &Path) -> Result<(), sansftp::Error> {
    let (Some(name), true) = (target.file_name(), fs::symlink_metadata(target).is_err()) else {
        return Ok(());
    };
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty());
    let Ok(entries) = fs::read_dir(dir.unwrap_or(Path::new("."))) else {
        return Ok(());
    };
    let mut old = std::ffi::OsString::from(".");
    old.push(name);
    old.push(".sansftp-part");
    let best = entries
        .flatten()
        .filter(|e| e.file_name() == old || is_temp_of(&e.file_name(), name))
        .filter_map(|e| Some((e.metadata().ok().filter(|m| m.is_file())?.len(), e.path())))
        .max();
    if let Some((_, temp)) = best {
        fs::rename(&temp, target).map_err(|e| local(target, e))?;
    }
    Ok(())
}

/// Downloads one file to its temporary name (the plan renames it into place), or,
/// resuming, appends to the target in place: the bytes received, and whether it was in
/// place.
fn get_file(
    client: &mut Client,
    f: &DownloadFile,
    resume: bool,
    progress: &Progress,
) -> Result<(u64, bool), sansftp::Error> {
    let target = &f.target;
    if resume {
        adopt_temporary(target)?;
    }
    let offset = if resume {
        match fs::metadata(target) {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => return Err(other(format!("{} is not a file", target.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(local(target, e)),
        }
    } else {
        0
    };
    if let Some(size) = f.size {
        if offset > size {
            return Err(other(format!(
                "cannot resume: {} ({offset} bytes) is larger than {} ({size} bytes)",
                target.display(),
                show(&f.remote)
            )));
        }
        if resume && offset == size && target.is_file() {
            progress.add(size);
            return Ok((0, true));
        }
    }
    progress.add(offset);
    // The server answers (a missing file, say) before any local file is made.
    let mut stream = client.download_stream(&f.remote, offset)?;
    let (opened, written_to) = if offset > 0 {
        (OpenOptions::new().append(true).open(target), target)
    } else {
        (File::create(&f.temp), &f.temp)
    };
    let mut file = match opened {
        Ok(file) => file,
        Err(e) => {
            let _ = stream.abort();
            // Named after the target: the temporary name means nothing to the user.
            return Err(local(target, e));
        }
    };
    let result = match copy(&mut stream, &mut file, BUFFER, progress) {
        Ok(n) => stream.finish().map(|()| n),
        Err(Side::Read(e)) => Err(stream.finish().err().unwrap_or(sansftp::Error::Io(e))),
        Err(Side::Write(e)) => {
            let _ = stream.abort();
            Err(local(written_to, e))
        }
    };
    let n = result?;
    file.sync_all().map_err(|e| local(written_to, e))?;
    Ok((n, offset > 0))
}

/// Uploads one file; returns the bytes sent.
fn put_file(
    client: &mut Client,
    f: &UploadFile,
    resume: bool,
    progress: &Progress,
) -> Result<u64, sansftp::Error> {
    let (path, remote) = (&f.local, &f.remote[..]);
    let mut file = File::open(path).map_err(|e| local(path, e))?;
    let len = file.metadata().map_err(|e| local(path, e))?.len();
    // `None`: not on the server (yet).
    let existing = if resume {
        remote_size(client, remote)?
    } else {
        None
    };
    let offset = existing.unwrap_or(0);
    if offset > len {
        return Err(other(format!(
            "cannot resume: {} ({offset} bytes) is larger than {} ({len} bytes)",
            show(remote),
            path.display()
        )));
    }
    progress.add(offset);
    if existing == Some(len) {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| local(path, e))?;
    let mut stream = client.upload_stream(remote, offset)?;
    // Through a 64 KiB buffer, not sendfile: see `UPLOAD_BUFFER`.
    match copy(&mut file, &mut stream, UPLOAD_BUFFER, progress) {
        Ok(n) => stream.finish().map(|()| n),
        Err(Side::Read(e)) => {
            let _ = stream.abort();
            Err(local(path, e))
        }
        Err(Side::Write(e)) => Err(stream.finish().err().unwrap_or(sansftp::Error::Io(e))),
    }
}

/// The size of a remote file, `None` when it does not exist (`SIZE`, or `stat` for
/// servers without `SIZE`).
fn remote_size(client: &mut Client, remote: &[u8]) -> Result<Option<u64>, sansftp::Error> {
    match client.size(remote) {
        Ok(n) => Ok(Some(n)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(_) => match client.stat(remote) {
            Ok(item) => Ok(Some(item.entry.size.unwrap_or(0))),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// Which side of a copy failed.
enum Side {
    Read(io::Error),
    Write(io::Error),
}

/// Copies to the end through one buffer, advancing the bar.
fn copy(
    from: &mut impl Read,
    to: &mut impl Write,
    size: usize,
    progress: &Progress,
) -> Result<u64, Side> {
    let mut buf = sansftp::buffer::DataBuffer::new(size);
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

/// A warning line on stderr (the command goes on).
fn warn(message: &str) {
    eprintln!("sansftp: warning: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_downloads_are_adopted_largest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("f.bin");
        let small = sansftp::client::tree::temp_path(&target);
        let big = sansftp::client::tree::temp_path(&target);
        fs::write(&small, b"1").expect("write");
        fs::write(&big, b"123").expect("write");
        fs::write(dir.path().join(".other.sansftp-1-2.part"), b"12345").expect("write");
        adopt_temporary(&target).expect("adopt");
        assert_eq!(fs::read(&target).expect("read"), b"123");
        assert!(small.exists());
        // The target exists now: nothing more is adopted.
        adopt_temporary(&target).expect("adopt");
        assert_eq!(fs::read(&target).expect("read"), b"123");
    }
}
