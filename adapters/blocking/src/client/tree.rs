//! Uploads and downloads of files and whole directory trees, through one reused
//! buffer per call.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use sansftp::client::remote::join;
use sansftp::listing::Kind;
use sansftp::{Error, PathIoError};

use super::Client;
use super::driver::io_error;

/// The copy buffer: big blocks, allocated once per `upload`/`download` call.
const BUF: usize = 256 << 10;

fn path_error(path: &Path, e: io::Error) -> Error {
    PathIoError::with_path(path, e).into()
}

/// The bytes of a local file name.
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStrExt::as_bytes(name).to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

/// A remote relative path (`a/b/c`) as a local relative path, refusing anything that
/// could leave the target directory (`..`, an absolute path, an empty component, a
/// drive prefix): a server's listing is not trusted to name only what is below.
fn local_relative(rel: &[u8]) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in rel.split(|&b| b == b'/') {
        if part.is_empty() || part == b"." || part == b".." || part.contains(&0) {
            return None;
        }
        #[cfg(unix)]
        let part = Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(part));
        #[cfg(not(unix))]
        let part = PathBuf::from(String::from_utf8_lossy(part).into_owned());
        let mut comps = part.components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// The last component of a remote path, if it is a plain name.
fn remote_name(remote: &[u8]) -> Option<PathBuf> {
    let trimmed = remote.strip_suffix(b"/").unwrap_or(remote);
    let name = trimmed.rsplit(|&b| b == b'/').next()?;
    local_relative(name)
}

/// The temporary name a download is written to, beside `local`.
fn temp_path(local: &Path) -> PathBuf {
    let name = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    local.with_file_name(format!(".{name}.sansftp-part-{}", std::process::id()))
}

/// [`Client::upload`].
pub(super) fn upload(client: &mut Client, local: &Path, remote: &[u8]) -> Result<u64, Error> {
    let meta = fs::metadata(local).map_err(|e| path_error(local, e))?;
    let mut buf = vec![0u8; BUF];
    // Like cp: into an existing directory, under the local name.
    let into;
    let remote = match local.file_name() {
        Some(name) if client.is_dir(remote)? => {
            into = join(remote, &name_bytes(name));
            &into[..]
        }
        _ => remote,
    };
    if meta.is_dir() {
        client.make_directory(remote, true)?;
        upload_tree(client, local, remote, &mut buf)
    } else {
        if let Some(cut) = remote.iter().rposition(|&b| b == b'/') {
            let parent = remote.get(..cut).unwrap_or_default();
            if !parent.is_empty() {
                client.make_directory(parent, true)?;
            }
        }
        upload_file(client, local, remote, &mut buf)
    }
}

fn upload_tree(
    client: &mut Client,
    local: &Path,
    remote: &[u8],
    buf: &mut [u8],
) -> Result<u64, Error> {
    let mut entries = fs::read_dir(local)
        .and_then(|dir| dir.collect::<Result<Vec<_>, _>>())
        .map_err(|e| path_error(local, e))?;
    entries.sort_by_key(|e| e.file_name());
    let mut total = 0u64;
    for entry in entries {
        let path = entry.path();
        let target = join(remote, &name_bytes(&entry.file_name()));
        let ty = entry.file_type().map_err(|e| path_error(&path, e))?;
        if ty.is_dir() {
            client.make_directory(&target, false)?;
            total += upload_tree(client, &path, &target, buf)?;
        } else if ty.is_file() || (ty.is_symlink() && path.is_file()) {
            // Links to files are followed; links to directories are not (no loops).
            total += upload_file(client, &path, &target, buf)?;
        }
    }
    Ok(total)
}

fn upload_file(
    client: &mut Client,
    local: &Path,
    remote: &[u8],
    buf: &mut [u8],
) -> Result<u64, Error> {
    let mut file = File::open(local).map_err(|e| path_error(local, e))?;
    let mut stream = client.upload_stream(remote, 0)?;
    // Binary and unlimited: the kernel moves the bytes; the rest (or all of it,
    // elsewhere) through the buffer.
    let mut total = stream
        .send_file(&mut file)
        .map_err(|e| io_error(e, "the data connection"))?;
    loop {
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // The stream's drop aborts the transfer.
            Err(e) => return Err(path_error(local, e)),
        };
        stream
            .write_all(buf.get(..n).unwrap_or_default())
            .map_err(|e| io_error(e, "the data connection"))?;
        total += n as u64;
    }
    stream.finish()?;
    Ok(total)
}

/// [`Client::download`].
pub(super) fn download(client: &mut Client, remote: &[u8], local: &Path) -> Result<u64, Error> {
    let mut buf = vec![0u8; BUF];
    let is_dir = client.stat(remote)?.entry.kind == Kind::Dir;
    // Like cp: into an existing directory, under the remote name.
    let into;
    let local = match remote_name(remote) {
        Some(name) if local.is_dir() => {
            into = local.join(name);
            &into
        }
        _ => local,
    };
    if !is_dir {
        return download_file(client, remote, local, &mut buf);
    }
    fs::create_dir_all(local).map_err(|e| path_error(local, e))?;
    let items = client.list(remote, true)?;
    let mut total = 0u64;
    for item in items {
        let rel = item
            .path
            .strip_prefix(remote)
            .map(|r| r.strip_prefix(b"/").unwrap_or(r))
            .and_then(local_relative)
            .ok_or_else(|| {
                Error::UnexpectedReply(format!(
                    "listing of {:?} names {:?}, which is not below it",
                    String::from_utf8_lossy(remote),
                    item.path_str()
                ))
            })?;
        let target = local.join(rel);
        match item.entry.kind {
            Kind::Dir => fs::create_dir_all(&target).map_err(|e| path_error(&target, e))?,
            Kind::File => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(|e| path_error(parent, e))?;
                }
                total += download_file(client, &item.path, &target, &mut buf)?;
            }
            _ => {}
        }
    }
    Ok(total)
}

/// Downloads one file to a temporary name beside `local`, renamed when complete.
fn download_file(
    client: &mut Client,
    remote: &[u8],
    local: &Path,
    buf: &mut [u8],
) -> Result<u64, Error> {
    let temp = temp_path(local);
    let mut file = File::create(&temp).map_err(|e| path_error(&temp, e))?;
    let res = copy_down(client, remote, &mut file, &temp, buf);
    drop(file);
    match res.and_then(|n| {
        fs::rename(&temp, local)
            .map(|()| n)
            .map_err(|e| path_error(local, e))
    }) {
        Ok(n) => Ok(n),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

fn copy_down(
    client: &mut Client,
    remote: &[u8],
    file: &mut File,
    temp: &Path,
    buf: &mut [u8],
) -> Result<u64, Error> {
    let mut stream = client.download_stream(remote, 0)?;
    let mut total = 0u64;
    loop {
        let n = match stream.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e, "the data connection")),
        };
        file.write_all(buf.get(..n).unwrap_or_default())
            .map_err(|e| path_error(temp, e))?;
        total += n as u64;
    }
    stream.finish()?;
    Ok(total)
}
