//! [`Client::upload`], [`Client::download`] and [`Client::run_plan`]: the core's
//! [`Plan`] decides what a copy of a file or a tree means (`sansftp::client::tree` has
//! the rules); this file carries its steps out, one file at a time ([`copy`]).

mod copy;

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use blocking::unblock;
use sansftp::Error;
use sansftp::client::tree::{Copied, LocalKind, Plan, Step};

use super::Client;

impl Client {
    /// Carries out a copy [`Plan`]: what was moved, with the warnings of what was
    /// skipped (also logged). A call cancelled mid-way leaves no temporary file.
    pub async fn run_plan(&mut self, mut plan: Plan) -> Result<Copied, Error> {
        let mut temp = TempFile(None);
        while let Some(step) = plan.next_step() {
            match step {
                Step::StatLocal(p) => {
                    let kind = unblock(move || fs::metadata(p).map(|m| LocalKind::of(&m)));
                    plan.local_kind(kind.await)
                }
                Step::Canonicalize(p) => plan.canonical(unblock(move || fs::canonicalize(p)).await),
                Step::ReadLocalDir(p) => plan.local_entries(unblock(move || read_dir(&p)).await),
                Step::StatRemote(p) => plan.remote_item(self.stat(p).await),
                Step::ListRemote(p) => plan.remote_entries(self.list_names(p).await),
                Step::MakeRemoteDir { path, parents } => {
                    plan.remote_done(self.make_directory(path, parents).await)
                }
                Step::MakeLocalDir(p) => {
                    plan.local_done(unblock(move || fs::create_dir_all(p)).await)
                }
                Step::Upload(f) => plan.transferred(self.upload_file(&f).await),
                Step::Download(f) => {
                    temp.0 = Some(f.temp.clone());
                    plan.transferred(self.download_file(&f).await)
                }
                Step::Rename { from, to } => {
                    let renamed = unblock(move || fs::rename(from, to)).await;
                    temp.0 = temp.0.take().filter(|_| renamed.is_err());
                    plan.local_done(renamed)
                }
                Step::RemoveLocal(p) => {
                    temp.0 = None;
                    plan.local_done(unblock(move || fs::remove_file(p)).await)
                }
                Step::Planned(_) => {}
                Step::Warning(w) => log::warn!("{w}"),
            }
        }
        plan.finish()
    }
}

/// A download's temporary file, removed when the plan's future is dropped before it
/// was renamed into place or removed (a cancelled call).
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        // A small synchronous unlink: `Drop` cannot await.
        if let Some(path) = self.0.take() {
            if let Err(e) = fs::remove_file(&path) {
                log::debug!("removing {}: {e}", path.display());
            }
        }
    }
}

/// A directory's entries, links not followed.
fn read_dir(dir: &Path) -> io::Result<Vec<(OsString, LocalKind)>> {
    let kind = |e: fs::DirEntry| Ok((e.file_name(), LocalKind::of(&e.metadata()?)));
    fs::read_dir(dir)?.map(|e| e.and_then(kind)).collect()
}
