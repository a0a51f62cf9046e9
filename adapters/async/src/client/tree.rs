//! [`Client::upload`], [`Client::download`] and [`Client::run_plan`]: the core's
//! [`Plan`] decides what a copy of a file or a tree means (`sansftp::client::tree` has
//! the rules); this file carries its steps out, one file at a time ([`copy`]).

mod copy;

use blocking::unblock;
use sansftp::Error;
use sansftp::client::tree::{Copied, Plan, Step};
use sansftp_storage::copy::{TempFile, answer_local};

use super::Client;

impl Client {
    /// Carries out a copy [`Plan`]: what was moved, with the warnings of what was
    /// skipped (also logged). A call cancelled mid-way leaves no temporary file.
    pub async fn run_plan(&mut self, mut plan: Plan) -> Result<Copied, Error> {
        let mut temp = TempFile::default();
        while let Some(step) = plan.next_step() {
            temp.track(&plan);
            match step {
                step if step.is_local() => {
                    plan = unblock(move || (answer_local(&mut plan, step), plan))
                        .await
                        .1;
                }
                Step::StatRemote(p) => plan.remote_item(self.stat(p).await),
                Step::ListRemote(p) => plan.remote_entries(self.list_names(p).await),
                Step::MakeRemoteDir { path, parents } => {
                    plan.remote_done(self.make_directory(path, parents).await)
                }
                Step::Upload(f) => plan.transferred(self.upload_file(&f).await),
                Step::Download(f) => plan.transferred(self.download_file(&f).await),
                Step::Warning(w) => log::warn!("{w}"),
                _ => {}
            }
        }
        temp.track(&plan);
        plan.finish()
    }
}
