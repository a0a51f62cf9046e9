//! The local file system's side of a client copy [`Plan`] (`sansftp::client::tree`),
//! the same for every client adapter and the CLI: [`answer_local`] does a local
//! [`Step`] with `std::fs` and answers the plan; [`TempFile`] removes a download's
//! temporary file when a cancelled copy leaves it behind; [`read_block`] reads an
//! upload's next block.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sansftp::buffer::DataBuffer;
use sansftp::client::tree::{LocalKind, Plan, Step};

/// Does `step` on the local file system and gives `plan` its answer, when it is local
/// work ([`Step::is_local`]); gives any other step back for the caller. Blocks on the
/// file system: an async adapter runs it on its blocking pool.
pub fn answer_local(plan: &mut Plan, step: Step) -> Option<Step> {
    match step {
        Step::StatLocal(p) => plan.local_kind(fs::metadata(p).map(|m| LocalKind::of(&m))),
        Step::Canonicalize(p) => plan.canonical(fs::canonicalize(p)),
        Step::ReadLocalDir(p) => plan.local_entries(read_dir(&p)),
        Step::MakeLocalDir(p) => plan.local_done(fs::create_dir_all(p)),
        Step::Rename { from, to } => plan.local_done(fs::rename(from, to)),
        Step::RemoveLocal(p) => plan.local_done(fs::remove_file(p)),
        other => return Some(other),
    }
    None
}

/// Reads `file` until `buf` is full or the file ends: the bytes read, with the buffer
/// and the file given back (so both can travel to a blocking pool and back, for one
/// block of an upload).
pub fn read_block(mut file: File, mut buf: DataBuffer) -> io::Result<(usize, DataBuffer, File)> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((n, buf, file))
}

/// A directory's entries, links not followed.
fn read_dir(dir: &Path) -> io::Result<Vec<(OsString, LocalKind)>> {
    let kind = |e: fs::DirEntry| Ok((e.file_name(), LocalKind::of(&e.metadata()?)));
    fs::read_dir(dir)?.map(|e| e.and_then(kind)).collect()
}

/// The temporary file of the download a plan is in ([`Plan::temp_file`]), removed
/// when this is dropped: keep one beside a plan whose future may be dropped, and
/// [`track`](TempFile::track) the plan after each step.
#[derive(Debug, Default)]
pub struct TempFile(Option<PathBuf>);

impl TempFile {
    /// Follows `plan`: its temporary file now, if any.
    pub fn track(&mut self, plan: &Plan) {
        if self.0.as_deref() != plan.temp_file() {
            self.0 = plan.temp_file().map(Path::to_owned);
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // A small synchronous unlink: `Drop` cannot await.
        let Some(path) = self.0.take() else {
            return;
        };
        if let Err(e) = fs::remove_file(&path) {
            log::debug!("removing {}: {e}", path.display());
        }
    }
}
