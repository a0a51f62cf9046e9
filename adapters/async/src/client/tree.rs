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
    /// Uploads a local file or tree to `remote`, like `cp -r local remote`: into
    /// `remote/<name>` when `remote` is an existing directory (or ends with `/`), else
    /// as `remote` (missing parents made). Links to directories below `local` are not
    /// followed. The rules are `sansftp::client::tree`'s; [`run_plan`](Client::run_plan)
    /// also gives the warnings. Returns the bytes sent.
    pub async fn upload(
        &mut self,
        local: impl AsRef<Path>,
        remote: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        let plan = Plan::upload(local.as_ref(), remote.as_ref());
        self.run_plan(plan).await.map(|c| c.bytes)
    }

    /// Downloads a remote file or tree to `local`, like `cp -r remote local`: into
    /// `local/<name>` when `local` is an existing directory (or ends with `/`), else as
    /// `local`. Each file is written to a temporary name beside its target and renamed
    /// when complete; unsafe names in a listing are skipped. Returns the bytes received.
    pub async fn download(
        &mut self,
        remote: impl AsRef<[u8]>,
        local: impl AsRef<Path>,
    ) -> Result<u64, Error> {
        let plan = Plan::download(remote.as_ref(), local.as_ref());
        self.run_plan(plan).await.map(|c| c.bytes)
    }

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
