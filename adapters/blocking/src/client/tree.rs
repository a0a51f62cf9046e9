//! [`Client::upload`], [`Client::download`] and [`Client::run_plan`]: the core's
//! [`Plan`] decides what a copy of a file or a tree means (`sansftp::client::tree` has
//! the rules); this file carries its steps out, each file through one reused buffer.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use sansftp::client::tree::{Copied, DownloadFile, Plan, Step, UploadFile};
use sansftp::{Error, PathIoError};
use sansftp_storage::copy::answer_local;

use super::Client;

/// The copy buffer: big blocks, allocated once per plan.
const BUF: usize = 256 << 10;
/// An upload's write size. Measured on Linux loopback (1 GiB from tmpfs, issue 10):
/// 64 KiB writes moved 800-1,180 MB/s to pyftpdlib and vsftpd, larger ones and
/// sendfile(2) (`DataStream::send_file`) less, although sendfile costs this side a
/// quarter of the CPU.
const UPLOAD_BLOCK: usize = 64 << 10;

impl Client {
    /// Carries out a copy [`Plan`] (`Plan::upload(local, remote)`,
    /// `Plan::download(remote, local)`, see `sansftp::client::tree` for the rules):
    /// what was moved, with the warnings of what was skipped (also logged).
    pub fn run_plan(&mut self, mut plan: Plan) -> Result<Copied, Error> {
        let mut buf = sansftp::buffer::DataBuffer::new(BUF);
        while let Some(step) = plan.next_step() {
            let Some(step) = answer_local(&mut plan, step) else {
                continue;
            };
            match step {
                Step::StatRemote(p) => plan.remote_item(self.stat(p)),
                Step::ListRemote(p) => plan.remote_entries(self.list_names(p)),
                Step::MakeRemoteDir { path, parents } => {
                    plan.remote_done(self.make_directory(path, parents))
                }
                Step::Upload(f) => plan.transferred(upload_file(self, &f, &mut buf)),
                Step::Download(f) => plan.transferred(download_file(self, &f, &mut buf)),
                Step::Warning(w) => log::warn!("{w}"),
                _ => {}
            }
        }
        plan.finish()
    }
}

fn path_error(path: &Path, e: io::Error) -> Error {
    PathIoError::with_path(path, e).into()
}

fn upload_file(client: &mut Client, f: &UploadFile, buf: &mut [u8]) -> Result<u64, Error> {
    let mut file = File::open(&f.local).map_err(|e| path_error(&f.local, e))?;
    let mut stream = client.upload_stream(&f.remote, 0)?;
    // 64 KiB writes, not sendfile: the fastest on Linux loopback against pyftpdlib and
    // vsftpd (see `UPLOAD_BLOCK`). On an error, the stream's drop aborts.
    let local_error = |e| path_error(&f.local, e);
    let block = buf.len().min(UPLOAD_BLOCK);
    let sent = pump(
        &mut file,
        &mut stream,
        &mut buf[..block],
        local_error,
        data_error,
    )?;
    stream.finish()?;
    Ok(sent)
}

/// Downloads one file to its temporary name (the plan renames it, or removes it).
fn download_file(client: &mut Client, f: &DownloadFile, buf: &mut [u8]) -> Result<u64, Error> {
    let mut file = File::create(&f.temp).map_err(|e| path_error(&f.temp, e))?;
    let mut stream = client.download_stream(&f.remote, 0)?;
    let local_error = |e| path_error(&f.temp, e);
    let n = pump(&mut stream, &mut file, buf, data_error, local_error)?;
    stream.finish()?;
    Ok(n)
}

/// Copies `from` to its end through `buf`, each side's errors mapped by its function.
fn pump(
    from: &mut impl Read,
    to: &mut impl Write,
    buf: &mut [u8],
    read_error: impl Fn(io::Error) -> Error,
    write_error: impl Fn(io::Error) -> Error,
) -> Result<u64, Error> {
    let mut total = 0u64;
    loop {
        let n = match from.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        let block = buf.get(..n).unwrap_or_default();
        to.write_all(block).map_err(&write_error)?;
        total += n as u64;
    }
}

fn data_error(e: io::Error) -> Error {
    Error::from_io(e, "the data connection")
}
