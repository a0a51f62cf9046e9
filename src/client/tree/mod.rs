//! Copying whole trees, sans IO: a [`Plan`] decides what an upload or a download of a
//! file or a directory tree means (`cp -r`), asks its adapter for the facts it needs
//! (local directory entries, remote listings) and hands out the steps to carry out
//! (make a directory, move one file, rename a finished download into place). The
//! adapters' `Client::upload`/`download` and the CLI's `get`/`put` are its executors.
//!
//! # The rules
//!
//! - **Where the copy goes, like `cp -r`.** When the target is an existing directory,
//!   the source is copied *into* it, under the source's own name (`target/<name>`);
//!   otherwise the source is copied *as* the target. The same for files and trees, for
//!   uploads and downloads. A target written with a trailing `/` always names a
//!   directory to copy into, made when missing (the one difference from `cp`, which
//!   makes such a directory the copy itself). The remote login directory (an empty
//!   path) and `/` are existing directories. A source with no name of its own (`/`,
//!   the login directory) is copied as the target: its contents go into it. So copying
//!   into an existing directory, or into `dir/`, is repeatable: a second run leaves the
//!   same tree; copying to a missing name twice nests the second copy, as `cp -r` does.
//! - **Missing parents** of the target are made (like `mkdir -p`).
//! - **Existing directories are fine**, remote and local: a `MKD` that fails is
//!   forgiven when the path turns out to be a directory; [`Step::MakeLocalDir`] is
//!   `create_dir_all`. Existing files are replaced.
//! - **Links.** A local source named on the command line is followed. Below it, links
//!   to files are followed (the file's bytes are uploaded); links to directories are not
//!   (skipped with [`Warning::LinkToDir`]), so a link to an ancestor never recurses;
//!   broken links are skipped with a warning. Remote links and anything that is not a
//!   file or a directory are skipped with [`Warning::NotCopied`].
//! - **No half-written file.** A download is written to a hidden temporary name
//!   beside its target ([`temp_path`], unique per process and per transfer), renamed
//!   over the target when complete, and removed when the transfer or the rename fails.
//! - **Unsafe remote names** (empty, `.`, `..`, holding `/` or NUL) in a listing are
//!   skipped with [`Warning::UnsafeName`]: nothing is written outside the target. (An
//!   entry of a directory kind named `.` or `..`, or MLSD's `cdir`/`pdir`, is the
//!   listing's own reference and skipped silently.)
//! - **Order.** Every fact is gathered first (so [`Step::Planned`] can give the totals
//!   before any transfer); then directories are made parents first, then files are
//!   copied, each directory's entries in name order. The first failing step ends the
//!   plan with its error.
//!
//! # Driving a plan
//!
//! [`Plan::next_step`] gives the next [`Step`]; every step but [`Step::Planned`] and
//! [`Step::Warning`] must be answered, with the method its documentation names, before
//! the next call. When it gives `None`, [`Plan::finish`] has the outcome.
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use sansftp::client::Item;
//! use sansftp::client::tree::{LocalKind, Plan, Step};
//! use sansftp::listing::Entry;
//!
//! // `upload("site", "/www")`, where `/www` is a directory: `site` goes to `/www/site`.
//! let mut plan = Plan::upload("site", "/www");
//! let mut done = Vec::new();
//! while let Some(step) = plan.next_step() {
//!     match step {
//!         Step::StatLocal(p) if p == Path::new("site") => plan.local_kind(Ok(LocalKind::Dir)),
//!         Step::StatRemote(p) => {
//!             plan.remote_item(Ok(Item { path: p, entry: Entry::dir("www") }))
//!         }
//!         Step::ReadLocalDir(p) => {
//!             assert_eq!(p, Path::new("site"));
//!             plan.local_entries(Ok(vec![("index.html".into(), LocalKind::File { size: 5 })]))
//!         }
//!         Step::MakeRemoteDir { path, .. } => {
//!             done.push(String::from_utf8(path).unwrap());
//!             plan.remote_done(Ok(()))
//!         }
//!         Step::Upload(file) => {
//!             assert_eq!(file.local, PathBuf::from("site/index.html"));
//!             done.push(String::from_utf8(file.remote).unwrap());
//!             plan.transferred(Ok(5))
//!         }
//!         Step::Planned(totals) => assert_eq!((totals.files, totals.bytes), (1, 5)),
//!         other => panic!("{other:?}"),
//!     }
//! }
//! assert_eq!(done, ["/www/site", "/www/site/index.html"]);
//! assert_eq!(plan.finish().unwrap().bytes, 5);
//! ```

mod names;
mod step;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::error::PathIoError;
use crate::listing::{Entry, Kind};

use super::Item;
use super::remote::{file_name, join, split_parent, trim_trailing_slashes};

pub use names::{is_plain_name, is_temp_of, temp_path};
pub use step::{Copied, DownloadFile, LocalKind, Step, Totals, UploadFile, Warning};

/// An upload or a download of a file or a tree, as a sequence of [`Step`]s (see the
/// [module](self) for the rules and an example).
#[derive(Debug)]
pub struct Plan {
    up: bool,
    recursive: bool,
    local: PathBuf,
    remote: Vec<u8>,
    stage: Stage,
    /// The step handed out and not answered yet.
    asked: Option<Step>,
    /// Steps to hand out before deciding anything else (warnings, the totals).
    notices: VecDeque<Step>,
    /// What the source is, once known.
    source: Option<Source>,
    /// Where the copy goes, once known.
    target: Option<Target>,
    /// Directories still to read (upload) or list (download).
    pending: VecDeque<Node>,
    /// Local links still to resolve (upload).
    links: VecDeque<Node>,
    dirs: Vec<Node>,
    files: Vec<Node>,
    /// The steps left to carry out.
    actions: VecDeque<Step>,
    /// The error of a `MKD` being checked with a `stat`.
    mkd_error: Option<Error>,
    /// A temporary file to remove before giving up.
    cleanup: Option<PathBuf>,
    error: Option<Error>,
    copied: Copied,
}

impl Plan {
    /// Uploads the local file or tree `local` to `remote` (see the rules).
    pub fn upload(local: impl Into<PathBuf>, remote: impl Into<Vec<u8>>) -> Plan {
        Plan::new(true, local.into(), remote.into())
    }

    /// Downloads the remote file or tree `remote` to `local` (see the rules).
    pub fn download(remote: impl Into<Vec<u8>>, local: impl Into<PathBuf>) -> Plan {
        Plan::new(false, local.into(), remote.into())
    }

    /// With `false`, a source that is a directory fails the plan (with an
    /// [`io::ErrorKind::IsADirectory`] error) instead of being copied whole: a
    /// command's "use --recursive".
    pub fn recursive(mut self, on: bool) -> Plan {
        self.recursive = on;
        self
    }

    /// The next step, `None` when the plan is over (then see [`finish`](Plan::finish)).
    pub fn next_step(&mut self) -> Option<Step> {
        if let Some(step) = self.asked.take() {
            self.fail(protocol_error(&step, "was not answered"));
        }
        if self.error.is_some() {
            // Only the warnings found so far, and the cleanup.
            self.notices.retain(|s| matches!(s, Step::Warning(_)));
        }
        let step = match self.notices.pop_front() {
            Some(step) => step,
            None if self.error.is_some() => Step::RemoveLocal(self.cleanup.take()?),
            None => {
                let step = self.decide()?;
                // Warnings and the totals found while deciding go first.
                self.notices.push_back(step);
                self.notices.pop_front()?
            }
        };
        Some(match step {
            Step::Planned(_) | Step::Warning(_) => step,
            _ => self.ask(step),
        })
    }

    /// The temporary file of a download that is not renamed into place or removed
    /// yet: an adapter whose call may be cancelled (an async one) removes it when the
    /// plan is dropped unfinished, so no half-written file is left. Ask after each
    /// [`next_step`](Plan::next_step).
    pub fn temp_file(&self) -> Option<&Path> {
        match &self.asked {
            Some(Step::Download(f)) => Some(&f.temp),
            Some(Step::Rename { from: temp, .. } | Step::RemoveLocal(temp)) => Some(temp),
            _ => self.cleanup.as_deref(),
        }
    }

    /// The outcome, once [`next_step`](Plan::next_step) gave `None`: what was moved, or
    /// the error that ended the plan.
    pub fn finish(mut self) -> Result<Copied, Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.stage != Stage::Done {
            return Err(Error::Io(io::Error::other(
                "the copy plan was not finished",
            )));
        }
        Ok(self.copied)
    }

    /// Answers [`Step::StatLocal`].
    pub fn local_kind(&mut self, kind: io::Result<LocalKind>) {
        let Some(Step::StatLocal(path)) = self.answer("local_kind") else {
            return self.wrong("local_kind");
        };
        match self.stage {
            Stage::Source => match kind {
                Ok(LocalKind::Dir) => self.set_source(Source::Dir),
                Ok(LocalKind::File { size }) => self.set_source(Source::File(Some(size))),
                Ok(_) => self.fail(not_copyable(&path)),
                Err(e) => self.fail(path_error(&path, e)),
            },
            Stage::Target => match kind {
                Ok(LocalKind::Dir) => self.set_target(true, false),
                Ok(_) => self.set_target(false, false),
                Err(e) if e.kind() == io::ErrorKind::NotFound => self.set_target(false, true),
                Err(e) => self.fail(path_error(&path, e)),
            },
            _ => {
                // A link met while reading a directory.
                let Some(node) = self.links.pop_front() else {
                    return;
                };
                match kind {
                    Ok(LocalKind::File { size }) => self.files.push(node.sized(size)),
                    Ok(LocalKind::Dir) => self.warn(Warning::LinkToDir(node.local)),
                    Ok(_) => self.warn(Warning::NotAFile(node.local)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        self.warn(Warning::BrokenLink(node.local))
                    }
                    Err(e) => self.fail(path_error(&path, e)),
                }
            }
        }
    }

    /// Answers [`Step::Canonicalize`].
    pub fn canonical(&mut self, path: io::Result<PathBuf>) {
        let Some(Step::Canonicalize(asked)) = self.answer("canonical") else {
            return self.wrong("canonical");
        };
        match path {
            Ok(p) => {
                let name = p.file_name().map(|n| n.to_os_string());
                self.place(name);
            }
            Err(e) => self.fail(path_error(&asked, e)),
        }
    }

    /// Answers [`Step::ReadLocalDir`]: each entry's name and kind (links not followed).
    pub fn local_entries(&mut self, entries: io::Result<Vec<(OsString, LocalKind)>>) {
        let Some(Step::ReadLocalDir(path)) = self.answer("local_entries") else {
            return self.wrong("local_entries");
        };
        let Some(dir) = self.pending.pop_front() else {
            return;
        };
        let mut entries = match entries {
            Ok(e) => e,
            Err(e) => return self.fail(path_error(&path, e)),
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind) in entries {
            let local = dir.local.join(&name);
            let Some(bytes) = names::local_to_remote(&name) else {
                self.warn(Warning::LocalName(local));
                continue;
            };
            let node = dir.child(local, &bytes);
            match kind {
                LocalKind::Dir => {
                    self.dirs.push(node.clone());
                    self.pending.push_back(node);
                }
                LocalKind::File { size } => self.files.push(node.sized(size)),
                LocalKind::Link => self.links.push_back(node),
                LocalKind::Other => self.warn(Warning::NotAFile(node.local)),
            }
        }
    }

    /// Answers [`Step::StatRemote`].
    pub fn remote_item(&mut self, item: Result<Item, Error>) {
        let Some(Step::StatRemote(path)) = self.answer("remote_item") else {
            return self.wrong("remote_item");
        };
        match self.stage {
            Stage::Source => match item {
                Ok(item) if item.entry.kind.is_dir() => self.set_source(Source::Dir),
                Ok(item) => self.set_source(Source::File(item.entry.size)),
                Err(e) if e.received(550) => self.fail(e),
                // The server may not say (no MLST, an odd listing): RETR decides.
                Err(_) => self.set_source(Source::File(None)),
            },
            Stage::Target => match item {
                Ok(item) if item.entry.kind.is_dir() => self.set_target(true, false),
                Ok(_) => self.set_target(false, false),
                Err(e) if e.is_permanent() => self.set_target(false, true),
                Err(e) => self.fail(e),
            },
            _ => {
                // Checking a failed MKD: an existing directory is fine.
                let mkd = self.mkd_error.take();
                match item {
                    Ok(item) if item.entry.kind.is_dir() => {}
                    _ => self.fail(mkd.unwrap_or_else(|| not_copyable(Path::new(&lossy(&path))))),
                }
            }
        }
    }

    /// Answers [`Step::ListRemote`]: the directory's entries as the server named them,
    /// unsafe names included ([`Request::names`](crate::client::Request::names), which
    /// every adapter's `Client::list_names` runs), so each one skipped is a warning.
    pub fn remote_entries(&mut self, entries: Result<Vec<Entry>, Error>) {
        let Some(Step::ListRemote(_)) = self.answer("remote_entries") else {
            return self.wrong("remote_entries");
        };
        let Some(dir) = self.pending.pop_front() else {
            return;
        };
        let mut entries = match entries {
            Ok(entries) => entries,
            Err(e) => return self.fail(e),
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in entries {
            let (name, kind) = (entry.name, entry.kind);
            let own = matches!(kind, Kind::CurrentDir | Kind::ParentDir)
                || (kind.is_dir() && (name == b"." || name == b".."));
            if own {
                continue;
            }
            let Some(local) = names::remote_to_local(&name) else {
                self.warn(Warning::UnsafeName {
                    dir: dir.remote.clone(),
                    name,
                });
                continue;
            };
            let node = dir.child(dir.local.join(local), &name);
            if kind.is_dir() {
                self.dirs.push(node.clone());
                self.pending.push_back(node);
            } else if kind.is_file() {
                let size = entry.size;
                self.files.push(Node { size, ..node });
            } else {
                self.warn(Warning::NotCopied {
                    path: node.remote,
                    kind,
                });
            }
        }
    }

    /// Answers [`Step::MakeRemoteDir`].
    pub fn remote_done(&mut self, result: Result<(), Error>) {
        let Some(Step::MakeRemoteDir { path, .. }) = self.answer("remote_done") else {
            return self.wrong("remote_done");
        };
        if let Err(e) = result {
            self.mkd_error = Some(e);
            self.actions.push_front(Step::StatRemote(path));
        }
    }

    /// Answers [`Step::MakeLocalDir`], [`Step::Rename`] and [`Step::RemoveLocal`].
    pub fn local_done(&mut self, result: io::Result<()>) {
        let step = self.answer("local_done");
        let Err(e) = result else {
            return;
        };
        match step {
            Some(Step::MakeLocalDir(path)) => self.fail(path_error(&path, e)),
            Some(Step::Rename { from, to }) => {
                self.cleanup = Some(from);
                self.fail(path_error(&to, e));
            }
            // A failed plan's cleanup: nothing more to do.
            Some(Step::RemoveLocal(_)) | None => {}
            Some(_) => self.wrong("local_done"),
        }
    }

    /// Answers [`Step::Upload`] and [`Step::Download`]: the bytes moved, or why not.
    pub fn transferred(&mut self, result: Result<u64, Error>) {
        match (self.answer("transferred"), result) {
            (Some(Step::Upload(_)), Ok(n)) => self.count(n),
            (Some(Step::Download(file)), Ok(n)) => {
                self.count(n);
                let rename = Step::Rename {
                    from: file.temp,
                    to: file.target,
                };
                self.actions.push_front(rename);
            }
            (Some(Step::Download(file)), Err(e)) => {
                self.cleanup = Some(file.temp);
                self.fail(e);
            }
            (Some(Step::Upload(_)), Err(e)) => self.fail(e),
            (Some(_), _) => self.wrong("transferred"),
            (None, _) => {}
        }
    }
}

/// Where a plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// What the source is.
    Source,
    /// Whether the target is an existing directory.
    Target,
    /// Waiting for the source's real name.
    Name,
    /// Reading the tree.
    Scan,
    /// Carrying out the steps.
    Act,
    Done,
}

/// The source: a file (its size when known) or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    File(Option<u64>),
    Dir,
}

/// Whether the copy goes into the target, and whether the target's side still has to be
/// made (a missing target, or a `dir/` one).
#[derive(Debug, Clone, Copy)]
struct Target {
    into: bool,
    missing: bool,
}

/// A file or directory of the copy: both of its paths, and its path below the root.
#[derive(Debug, Clone)]
struct Node {
    local: PathBuf,
    remote: Vec<u8>,
    rel: Vec<u8>,
    size: Option<u64>,
}

impl Node {
    fn child(&self, local: PathBuf, name: &[u8]) -> Node {
        Node {
            local,
            remote: join(&self.remote, name),
            rel: join(&self.rel, name),
            size: None,
        }
    }

    fn sized(self, size: u64) -> Node {
        Node {
            size: Some(size),
            ..self
        }
    }
}

impl Plan {
    fn new(up: bool, local: PathBuf, remote: Vec<u8>) -> Plan {
        Plan {
            up,
            recursive: true,
            local,
            remote,
            stage: Stage::Source,
            asked: None,
            notices: VecDeque::new(),
            source: None,
            target: None,
            pending: VecDeque::new(),
            links: VecDeque::new(),
            dirs: Vec::new(),
            files: Vec::new(),
            actions: VecDeque::new(),
            mkd_error: None,
            cleanup: None,
            error: None,
            copied: Copied::default(),
        }
    }

    /// The remote path as given, without trailing slashes.
    fn remote_root(&self) -> Vec<u8> {
        trim_trailing_slashes(&self.remote).to_vec()
    }

    /// The next step, advancing through the stages; `None` at the end.
    fn decide(&mut self) -> Option<Step> {
        loop {
            if self.error.is_some() {
                return None;
            }
            match self.stage {
                Stage::Source => {
                    if self.up {
                        return Some(Step::StatLocal(self.local.clone()));
                    }
                    let root = self.remote_root();
                    if root.is_empty() || root == b"/" {
                        self.set_source(Source::Dir);
                        continue;
                    }
                    return Some(Step::StatRemote(root));
                }
                Stage::Target => {
                    if self.up {
                        let root = self.remote_root();
                        if root.is_empty() || root == b"/" {
                            self.set_target(true, false);
                        } else if self.remote.ends_with(b"/") {
                            self.set_target(true, true);
                        } else {
                            return Some(Step::StatRemote(root));
                        }
                    } else if names::ends_with_separator(&self.local) {
                        self.set_target(true, true);
                    } else {
                        return Some(Step::StatLocal(self.local.clone()));
                    }
                }
                Stage::Name => {
                    let into = self.target.is_some_and(|t| t.into);
                    if !into {
                        self.place(None);
                    } else if self.up {
                        match self.local.file_name() {
                            Some(name) => self.place(Some(name.to_os_string())),
                            None => return Some(Step::Canonicalize(self.local.clone())),
                        }
                    } else {
                        self.place_download();
                    }
                }
                Stage::Scan => {
                    if let Some(link) = self.links.front() {
                        return Some(Step::StatLocal(link.local.clone()));
                    }
                    let Some(dir) = self.pending.front() else {
                        self.plan_actions();
                        continue;
                    };
                    return Some(if self.up {
                        Step::ReadLocalDir(dir.local.clone())
                    } else {
                        Step::ListRemote(dir.remote.clone())
                    });
                }
                Stage::Act => {
                    let Some(step) = self.actions.pop_front() else {
                        self.stage = Stage::Done;
                        return None;
                    };
                    return Some(step);
                }
                Stage::Done => return None,
            }
        }
    }

    fn set_source(&mut self, source: Source) {
        if source == Source::Dir && !self.recursive {
            let shown = if self.up {
                self.local.display().to_string()
            } else if self.remote.is_empty() {
                ".".to_owned()
            } else {
                lossy(&self.remote)
            };
            let e = io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{shown} is a directory"),
            );
            return self.fail(Error::Io(e));
        }
        self.source = Some(source);
        self.stage = Stage::Target;
    }

    fn set_target(&mut self, into: bool, missing: bool) {
        self.target = Some(Target { into, missing });
        self.stage = Stage::Name;
    }

    /// An upload's destination: into the target under `name` (when copying into it and
    /// the source has a name), else the target itself.
    fn place(&mut self, name: Option<OsString>) {
        let root = self.remote_root();
        let into = self.target.is_some_and(|t| t.into);
        let (remote, rel) = match name.filter(|_| into) {
            Some(name) => match names::local_to_remote(&name) {
                Some(bytes) => (join(&root, &bytes), bytes),
                None => return self.fail(not_copyable(&self.local.clone())),
            },
            None => {
                let rel = file_name(&root).unwrap_or_default().to_vec();
                (root, rel)
            }
        };
        let node = Node {
            local: self.local.clone(),
            remote,
            rel,
            size: None,
        };
        self.start(node);
    }

    /// A download's destination: into the target under the remote name (when copying
    /// into it and the source has one), else the target itself.
    fn place_download(&mut self) {
        let root = self.remote_root();
        let (local, rel) = match file_name(&root) {
            Some(name) => match names::remote_to_local(name) {
                Some(n) => (self.local.join(n), name.to_vec()),
                None => return self.fail(not_copyable(Path::new(&lossy(name)))),
            },
            None => (self.local.clone(), Vec::new()),
        };
        let node = Node {
            local,
            remote: root,
            rel,
            size: None,
        };
        self.start(node);
    }

    /// The root's paths are known: a file is planned at once, a directory scanned.
    fn start(&mut self, mut root: Node) {
        match self.source {
            Some(Source::File(size)) => {
                root.size = size;
                self.files.push(root);
                self.plan_actions();
            }
            _ => {
                let children = Node {
                    rel: Vec::new(),
                    ..root.clone()
                };
                self.dirs.push(root);
                self.pending.push_back(children);
                self.stage = Stage::Scan;
            }
        }
    }

    /// Every fact is in: the totals, then the steps to carry out.
    fn plan_actions(&mut self) {
        let target = self.target.unwrap_or(Target {
            into: false,
            missing: false,
        });
        let tree = self.source == Some(Source::Dir);
        let totals = Totals {
            files: self.files.len() as u64,
            dirs: self.dirs.len() as u64,
            bytes: self.files.iter().filter_map(|f| f.size).sum(),
            tree,
        };
        self.notices.push_back(Step::Planned(totals));
        // What has to exist before the root: the target itself (`dir/`, copied into) or,
        // for a file, the target's parent (a missing target, copied as). A tree's root
        // is made with its parents.
        let first = match (target.into, target.missing) {
            (true, true) => Some((self.remote_root(), self.local.clone())),
            (false, true) if !tree => Some((
                split_parent(&self.remote_root()).0.to_vec(),
                self.local
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            )),
            _ => None,
        };
        match first {
            Some((path, _)) if self.up && !path.is_empty() && path != b"/" => {
                let parents = true;
                self.actions
                    .push_back(Step::MakeRemoteDir { path, parents });
            }
            Some((_, path)) if !self.up && !path.as_os_str().is_empty() => {
                self.actions.push_back(Step::MakeLocalDir(path));
            }
            _ => {}
        }
        let root_parents = !target.into && target.missing;
        for (i, dir) in std::mem::take(&mut self.dirs).into_iter().enumerate() {
            self.actions.push_back(if self.up {
                Step::MakeRemoteDir {
                    path: dir.remote,
                    parents: i == 0 && root_parents,
                }
            } else {
                Step::MakeLocalDir(dir.local)
            });
        }
        for file in std::mem::take(&mut self.files) {
            self.actions.push_back(if self.up {
                Step::Upload(UploadFile {
                    size: file.size.unwrap_or(0),
                    local: file.local,
                    remote: file.remote,
                    name: file.rel,
                })
            } else {
                Step::Download(DownloadFile {
                    temp: temp_path(&file.local),
                    target: file.local,
                    remote: file.remote,
                    name: file.rel,
                    size: file.size,
                })
            });
        }
        self.stage = Stage::Act;
    }

    fn ask(&mut self, step: Step) -> Step {
        self.asked = Some(step.clone());
        step
    }

    /// The step an answer is for (`None`, failing the plan, when none was asked).
    fn answer(&mut self, method: &str) -> Option<Step> {
        let step = self.asked.take();
        if step.is_none() && self.error.is_none() {
            self.fail(Error::Io(io::Error::other(format!(
                "copy plan: {method} answers no step"
            ))));
        }
        step
    }

    /// An answer for another step than the one asked.
    fn wrong(&mut self, method: &str) {
        self.fail(Error::Io(io::Error::other(format!(
            "copy plan: {method} does not answer the step asked"
        ))));
    }

    fn count(&mut self, n: u64) {
        self.copied.bytes = self.copied.bytes.saturating_add(n);
        self.copied.files += 1;
    }

    fn warn(&mut self, warning: Warning) {
        self.copied.warnings.push(warning.clone());
        self.notices.push_back(Step::Warning(warning));
    }

    /// Ends the plan with `e` (the first error wins).
    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        self.actions.clear();
    }
}

fn path_error(path: &Path, e: io::Error) -> Error {
    Error::PathIo(PathIoError::with_path(path, e))
}

fn not_copyable(path: &Path) -> Error {
    let e = io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a file or directory that can be copied",
    );
    path_error(path, e)
}

fn protocol_error(step: &Step, what: &str) -> Error {
    Error::Io(io::Error::other(format!("copy plan: {step:?} {what}")))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests;
