//! The planner's rules, driven by an in-memory world (a local file system and a
//! server, both maps) that answers every step as the real ones would.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::code::Code;
use crate::error::StatusCodeError;
use crate::listing::Entry;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Local {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
    Pipe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Remote {
    File(Vec<u8>),
    Dir,
}

/// Both sides of a copy, and what was done.
#[derive(Default)]
struct World {
    local: BTreeMap<PathBuf, Local>,
    remote: BTreeMap<Vec<u8>, Remote>,
    /// Extra listing entries the server sends for a directory (hostile names).
    extra: BTreeMap<Vec<u8>, Vec<Entry>>,
    /// Remote files whose download fails half way.
    broken: BTreeSet<Vec<u8>>,
    /// Local paths a rename onto fails.
    no_rename: BTreeSet<PathBuf>,
    log: Vec<String>,
    warnings: Vec<Warning>,
    steps: Vec<Step>,
}

fn code_error(code: u16) -> Error {
    let received = Code::new(code).unwrap_or(Code::FILE_UNAVAILABLE);
    StatusCodeError::new([Code::FILE_ACTION_OK], [received], ["refused"]).into()
}

fn missing() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

impl World {
    fn file(mut self, path: &str, body: &str) -> World {
        self.local.insert(path.into(), Local::File(body.into()));
        self
    }

    fn dir(mut self, path: &str) -> World {
        self.local.insert(path.into(), Local::Dir);
        self
    }

    fn link(mut self, path: &str, to: &str) -> World {
        self.local.insert(path.into(), Local::Link(to.into()));
        self
    }

    fn rfile(mut self, path: &str, body: &str) -> World {
        self.remote.insert(path.into(), Remote::File(body.into()));
        self
    }

    fn rdir(mut self, path: &str) -> World {
        self.remote.insert(path.into(), Remote::Dir);
        self
    }

    /// A tree `site/{index.html, css/a.css}` locally and `/` on the server.
    fn site() -> World {
        World::default()
            .dir("site")
            .file("site/index.html", "hello")
            .dir("site/css")
            .file("site/css/a.css", "body{}")
            .rdir("/")
    }

    /// The kind of a local path, links followed (at most 8, in any component).
    fn follow(&self, path: &Path) -> io::Result<(PathBuf, Local)> {
        let mut at = PathBuf::new();
        let mut last = Local::Dir;
        for part in path.components() {
            at.push(part);
            for _ in 0..8 {
                match self.local.get(&at) {
                    Some(Local::Link(to)) => at = to.clone(),
                    Some(other) => {
                        last = other.clone();
                        break;
                    }
                    None => return Err(missing()),
                }
            }
        }
        Ok((at, last))
    }

    fn kind_of(entry: &Local) -> LocalKind {
        match entry {
            Local::File(b) => LocalKind::File {
                size: b.len() as u64,
            },
            Local::Dir => LocalKind::Dir,
            Local::Link(_) => LocalKind::Link,
            Local::Pipe => LocalKind::Other,
        }
    }

    fn remote_kind(&self, path: &[u8]) -> Option<Kind> {
        let path = trim_trailing_slashes(path);
        let path = if path.is_empty() { b"/" } else { path };
        self.remote.get(path).map(|r| match r {
            Remote::File(_) => Kind::File,
            Remote::Dir => Kind::Dir,
        })
    }

    fn remote_parent_is_dir(&self, path: &[u8]) -> bool {
        let parent = split_parent(path).0;
        parent.is_empty() || self.remote_kind(parent) == Some(Kind::Dir)
    }

    fn mkd(&mut self, path: &[u8]) -> Result<(), Error> {
        if self.remote.contains_key(path) || !self.remote_parent_is_dir(path) {
            return Err(code_error(550));
        }
        self.remote.insert(path.to_vec(), Remote::Dir);
        Ok(())
    }

    fn mkdir_all(&mut self, path: &Path) -> io::Result<()> {
        match self.follow(path) {
            Ok((_, Local::Dir)) => return Ok(()),
            Ok(_) => return Err(io::Error::from(io::ErrorKind::AlreadyExists)),
            Err(_) => {}
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.mkdir_all(parent)?;
        }
        self.local.insert(path.to_path_buf(), Local::Dir);
        Ok(())
    }

    /// Carries out one step and answers it.
    fn answer(&mut self, plan: &mut Plan, step: Step) {
        self.steps.push(step.clone());
        match step {
            Step::StatLocal(p) => plan.local_kind(self.follow(&p).map(|(_, l)| World::kind_of(&l))),
            Step::Canonicalize(p) => {
                let real = if p == Path::new(".") {
                    "/home/me/site"
                } else {
                    "/"
                };
                plan.canonical(Ok(real.into()))
            }
            Step::ReadLocalDir(dir) => {
                let dir = self.follow(&dir).map(|(p, _)| p).unwrap_or(dir);
                let entries = self
                    .local
                    .iter()
                    .filter(|(p, _)| p.parent() == Some(&dir))
                    .map(|(p, l)| {
                        let name = p.file_name().unwrap_or_default().to_os_string();
                        (name, World::kind_of(l))
                    })
                    .collect();
                plan.local_entries(Ok(entries))
            }
            Step::StatRemote(p) => plan.remote_item(match self.remote_kind(&p) {
                Some(kind) => Ok(Item {
                    path: p.clone(),
                    entry: Entry::new(file_name(&p).unwrap_or(b"/"), kind),
                }),
                None => Err(code_error(550)),
            }),
            Step::ListRemote(dir) => {
                let key = if dir.is_empty() {
                    b"/".to_vec()
                } else {
                    dir.clone()
                };
                let mut entries: Vec<Entry> = self
                    .remote
                    .iter()
                    .filter(|(p, _)| p.as_slice() != b"/" && split_parent(p).0 == key.as_slice())
                    .map(|(p, r)| {
                        let name = split_parent(p).1;
                        match r {
                            Remote::File(b) => Entry::file(name, b.len() as u64),
                            Remote::Dir => Entry::dir(name),
                        }
                    })
                    .collect();
                entries.extend(self.extra.get(&key).cloned().unwrap_or_default());
                plan.remote_entries(Ok(entries))
            }
            Step::MakeRemoteDir { path, parents } => {
                self.log.push(format!("MKD {}", lossy(&path)));
                let result = if parents {
                    let mut at = Vec::new();
                    for part in path.split(|&b| b == b'/') {
                        at = if at.is_empty() && path.starts_with(b"/") {
                            [b"/", part].concat()
                        } else {
                            join(&at, part)
                        };
                        let _ = self.mkd(&at);
                    }
                    match self.remote_kind(&path) {
                        Some(Kind::Dir) => Ok(()),
                        _ => Err(code_error(550)),
                    }
                } else {
                    self.mkd(&path)
                };
                plan.remote_done(result)
            }
            Step::MakeLocalDir(p) => {
                self.log.push(format!("mkdir {}", p.display()));
                let r = self.mkdir_all(&p);
                plan.local_done(r)
            }
            Step::Upload(f) => {
                self.log.push(format!("STOR {}", lossy(&f.remote)));
                let result = match self.follow(&f.local) {
                    Ok((_, Local::File(body))) if self.remote_parent_is_dir(&f.remote) => {
                        let n = body.len() as u64;
                        self.remote.insert(f.remote, Remote::File(body));
                        Ok(n)
                    }
                    _ => Err(code_error(553)),
                };
                plan.transferred(result)
            }
            Step::Download(f) => {
                self.log.push(format!("RETR {}", lossy(&f.remote)));
                let body = match self.remote.get(&f.remote) {
                    Some(Remote::File(b)) => b.clone(),
                    _ => return plan.transferred(Err(code_error(550))),
                };
                let half = body.get(..body.len() / 2).unwrap_or_default().to_vec();
                let broken = self.broken.contains(&f.remote);
                self.local.insert(
                    f.temp.clone(),
                    Local::File(if broken { half } else { body.clone() }),
                );
                plan.transferred(if broken {
                    Err(Error::ConnectionClosed)
                } else {
                    Ok(body.len() as u64)
                })
            }
            Step::Rename { from, to } => {
                self.log.push(format!("rename -> {}", to.display()));
                if self.no_rename.contains(&to) {
                    return plan.local_done(Err(io::Error::other("read-only")));
                }
                let moved = self.local.remove(&from).ok_or_else(missing);
                plan.local_done(moved.map(|body| {
                    self.local.insert(to, body);
                }))
            }
            Step::RemoveLocal(p) => {
                self.log.push(format!("rm {}", p.display()));
                let gone = self.local.remove(&p).map(drop).ok_or_else(missing);
                plan.local_done(gone)
            }
            Step::Planned(_) => {}
            Step::Warning(w) => self.warnings.push(w),
        }
    }

    fn run(&mut self, mut plan: Plan) -> Result<Copied, Error> {
        self.log.clear();
        self.warnings.clear();
        self.steps.clear();
        while let Some(step) = plan.next_step() {
            self.answer(&mut plan, step);
        }
        plan.finish()
    }

    fn upload(&mut self, local: &str, remote: &str) -> Result<Copied, Error> {
        self.run(Plan::upload(local, remote))
    }

    fn download(&mut self, remote: &str, local: &str) -> Result<Copied, Error> {
        self.run(Plan::download(remote, local))
    }

    fn remote_paths(&self) -> Vec<String> {
        self.remote.keys().map(|k| lossy(k)).collect()
    }

    fn local_paths(&self) -> Vec<String> {
        self.local.keys().map(|k| k.display().to_string()).collect()
    }
}

// ---- where the copy goes (`cp -r`) ----

#[test]
fn an_upload_into_an_existing_directory_goes_under_the_source_name_every_time() {
    // The async copy used to overwrite `/x` itself when it had no trailing slash.
    let mut w = World::site().rdir("/x");
    let first = w.upload("site", "/x").unwrap();
    assert_eq!((first.files, first.bytes), (2, 11));
    let tree = w.remote_paths();
    assert_eq!(
        tree,
        [
            "/",
            "/x",
            "/x/site",
            "/x/site/css",
            "/x/site/css/a.css",
            "/x/site/index.html"
        ]
    );
    // Again: the same tree, existing directories accepted, files replaced.
    let again = w.upload("site", "/x").unwrap();
    assert_eq!(again, first);
    assert_eq!(w.remote_paths(), tree);
}

#[test]
fn an_upload_to_a_missing_name_is_the_copy_and_a_second_one_nests_as_cp_does() {
    let mut w = World::site();
    w.upload("site", "/new").unwrap();
    assert!(w.remote.contains_key(&b"/new/index.html"[..]));
    assert!(!w.remote.contains_key(&b"/new/site"[..]));
    w.upload("site", "/new").unwrap();
    assert!(w.remote.contains_key(&b"/new/site/index.html"[..]));
}

#[test]
fn a_trailing_slash_names_a_directory_to_copy_into_made_when_missing() {
    let mut w = World::site();
    w.upload("site", "/a/b/").unwrap();
    let tree = w.remote_paths();
    assert!(tree.contains(&"/a/b/site/css/a.css".to_owned()), "{tree:?}");
    w.upload("site", "/a/b/").unwrap();
    assert_eq!(w.remote_paths(), tree);
    // A file too.
    w.upload("site/index.html", "/c/").unwrap();
    assert_eq!(
        w.remote.get(&b"/c/index.html"[..]),
        Some(&Remote::File(b"hello".to_vec()))
    );
}

#[test]
fn the_login_directory_and_the_root_are_directories_without_asking() {
    let mut w = World::site();
    w.upload("site", "").unwrap();
    assert!(!w.steps.iter().any(|s| matches!(s, Step::StatRemote(_))));
    assert!(w.remote.contains_key(&b"site/index.html"[..]));
    w.upload("site", "/").unwrap();
    assert!(w.remote.contains_key(&b"/site/index.html"[..]));
}

#[test]
fn a_single_file_upload_makes_missing_parents_or_goes_into_a_directory() {
    let mut w = World::site();
    w.upload("site/index.html", "/in/deep/page.html").unwrap();
    assert_eq!(w.log, ["MKD /in/deep", "STOR /in/deep/page.html"]);
    w.upload("site/index.html", "/in").unwrap();
    assert_eq!(w.log, ["STOR /in/index.html"]);
    // An existing file is replaced, nothing made.
    w.upload("site/css/a.css", "/in/index.html").unwrap();
    assert_eq!(w.log, ["STOR /in/index.html"]);
    assert_eq!(
        w.remote.get(&b"/in/index.html"[..]),
        Some(&Remote::File(b"body{}".to_vec()))
    );
}

#[test]
fn a_source_without_a_name_is_named_by_its_real_path_or_copied_as_the_target() {
    let mut w = World::site().dir(".").file("./f", "1").rdir("/x");
    w.upload(".", "/x").unwrap();
    assert!(w.steps.contains(&Step::Canonicalize(".".into())));
    assert!(
        w.remote.contains_key(&b"/x/site/f"[..]),
        "{:?}",
        w.remote_paths()
    );
}

#[test]
fn a_download_into_an_existing_directory_goes_under_the_remote_name_every_time() {
    let mut w = World::default()
        .rdir("/")
        .rdir("/pub")
        .rfile("/pub/a.txt", "aaa")
        .rdir("/pub/sub")
        .rfile("/pub/sub/b.txt", "bb")
        .dir("mirror");
    let first = w.download("/pub", "mirror").unwrap();
    assert_eq!((first.files, first.bytes), (2, 5));
    let tree = w.local_paths();
    assert_eq!(
        tree,
        [
            "mirror",
            "mirror/pub",
            "mirror/pub/a.txt",
            "mirror/pub/sub",
            "mirror/pub/sub/b.txt"
        ]
    );
    assert_eq!(w.download("/pub", "mirror").unwrap(), first);
    assert_eq!(w.local_paths(), tree);
    // To a missing name: the copy itself, parents made.
    w.download("/pub", "new/copy").unwrap();
    assert!(w.local.contains_key(Path::new("new/copy/sub/b.txt")));
    // One file, into a directory or as a name.
    w.download("/pub/a.txt", "mirror").unwrap();
    assert_eq!(w.log, ["RETR /pub/a.txt", "rename -> mirror/a.txt"]);
    w.download("/pub/a.txt", "other/x.txt").unwrap();
    assert_eq!(
        w.local.get(Path::new("other/x.txt")),
        Some(&Local::File(b"aaa".to_vec()))
    );
    // `dir/`: into it, made when missing; the login directory's contents into the target.
    w.download("/pub/sub", "made/").unwrap();
    assert!(w.local.contains_key(Path::new("made/sub/b.txt")));
    w.download("/", "all").unwrap();
    assert!(
        w.local.contains_key(Path::new("all/pub/a.txt")),
        "{:?}",
        w.local_paths()
    );
}

#[test]
fn a_directory_source_without_recursive_fails_before_anything_is_done() {
    let mut w = World::site();
    let e = w
        .run(Plan::upload("site", "/x").recursive(false))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::IsADirectory),
        "{e}"
    );
    assert!(w.log.is_empty());
    w.upload("site", "/x").unwrap();
    let e = w
        .run(Plan::download("/x", "here").recursive(false))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::IsADirectory),
        "{e}"
    );
    // The login directory, named as `.`.
    let e = w
        .run(Plan::download("", "here").recursive(false))
        .unwrap_err();
    assert_eq!(e.to_string(), ". is a directory");
    // Files are fine.
    w.run(Plan::download("/x/index.html", "i.html").recursive(false))
        .unwrap();
}

// ---- existing directories ----

#[test]
fn existing_remote_directories_are_accepted_and_a_file_in_the_way_is_not() {
    // The blocking copy sent a plain MKD for each directory: 550 on the second run.
    let mut w = World::site().rdir("/x").rdir("/x/site").rdir("/x/site/css");
    w.upload("site", "/x").unwrap();
    // Directories parents first, then files, breadth first, each directory in name order.
    let expected = [
        "MKD /x/site",
        "MKD /x/site/css",
        "STOR /x/site/index.html",
        "STOR /x/site/css/a.css",
    ];
    assert_eq!(w.log, expected);
    let checks = w
        .steps
        .iter()
        .filter(|s| matches!(s, Step::StatRemote(_)))
        .count();
    assert_eq!(checks, 3, "the target, and each refused MKD");
    let mut w = World::site()
        .rdir("/x")
        .rdir("/x/site")
        .rfile("/x/site/css", "a file");
    let e = w.upload("site", "/x").unwrap_err();
    assert!(e.received(550), "{e}");
    assert!(!w.log.iter().any(|l| l.starts_with("STOR")));
}

#[test]
fn a_local_file_in_the_way_of_a_directory_fails_the_download() {
    let mut w = World::default()
        .rdir("/")
        .rdir("/d")
        .rdir("/d/s")
        .rfile("/d/s/f", "1")
        .dir("t")
        .file("t/d", "x");
    let e = w.download("/d", "t").unwrap_err();
    assert!(
        matches!(&e, Error::PathIo(p) if p.path.as_deref() == Some(Path::new("t/d"))),
        "{e:?}"
    );
}

// ---- links ----

#[test]
fn local_links_to_directories_are_not_followed_and_a_loop_never_recurses() {
    // The async copy followed them: a link to an ancestor recursed until ELOOP.
    let mut w = World::site()
        .link("site/up", "site")
        .link("site/css/loop", "site/css")
        .link("site/same.html", "site/index.html")
        .link("site/gone", "nowhere");
    let copied = w.upload("site", "/").unwrap();
    assert_eq!(copied.files, 3);
    assert!(
        w.remote.contains_key(&b"/site/same.html"[..]),
        "links to files are followed"
    );
    assert!(
        !w.remote_paths()
            .iter()
            .any(|p| p.contains("up") || p.contains("loop"))
    );
    assert_eq!(
        copied.warnings,
        [
            Warning::BrokenLink("site/gone".into()),
            Warning::LinkToDir("site/up".into()),
            Warning::LinkToDir("site/css/loop".into()),
        ]
    );
    assert_eq!(w.warnings, copied.warnings, "each warning is also a step");
}

#[test]
fn a_linked_source_is_followed_and_odd_local_files_are_skipped() {
    let mut w = World::site().link("ln", "site");
    w.local.insert("site/fifo".into(), Local::Pipe);
    let copied = w.upload("ln", "/").unwrap();
    assert!(w.remote.contains_key(&b"/ln/css/a.css"[..]));
    assert_eq!(copied.warnings, [Warning::NotAFile("ln/fifo".into())]);
}

// ---- no half-written file ----

#[test]
fn downloads_go_to_unique_temporary_names_renamed_into_place() {
    // The blocking copy's `.name.sansftp-part-<pid>` was the same for two downloads.
    let mut w = World::default().rdir("/").rfile("/f.bin", "12345678");
    let mut temps = Vec::new();
    for _ in 0..2 {
        w.download("/f.bin", "f.bin").unwrap();
        let Some(Step::Download(f)) = w
            .steps
            .iter()
            .find(|s| matches!(s, Step::Download(_)))
            .cloned()
        else {
            panic!("no download step");
        };
        assert_eq!(f.target, Path::new("f.bin"));
        assert_eq!(f.temp.parent(), Some(Path::new("")));
        assert!(is_temp_of(f.temp.as_os_str(), "f.bin".as_ref()));
        temps.push(f.temp);
    }
    assert_ne!(temps[0], temps[1]);
    assert_eq!(w.local_paths(), ["f.bin"], "no temporary file left");
}

#[test]
fn a_failed_download_removes_its_temporary_file_and_keeps_the_old_one() {
    let mut w = World::default()
        .rdir("/")
        .rfile("/f.bin", "12345678")
        .file("f.bin", "old");
    w.broken.insert(b"/f.bin".to_vec());
    let e = w.download("/f.bin", "f.bin").unwrap_err();
    assert!(matches!(e, Error::ConnectionClosed));
    assert_eq!(w.local_paths(), ["f.bin"]);
    assert_eq!(
        w.local.get(Path::new("f.bin")),
        Some(&Local::File(b"old".to_vec()))
    );
    assert!(
        w.log.last().is_some_and(|l| l.starts_with("rm ")),
        "{:?}",
        w.log
    );
    // A rename that fails removes the temporary file too.
    let mut w = World::default().rdir("/").rfile("/f.bin", "1");
    w.no_rename.insert("f.bin".into());
    let e = w.download("/f.bin", "f.bin").unwrap_err();
    assert!(
        matches!(&e, Error::PathIo(p) if p.path.as_deref() == Some(Path::new("f.bin"))),
        "{e:?}"
    );
    assert!(w.local.is_empty(), "{:?}", w.local_paths());
}

#[test]
fn a_tree_stops_at_the_first_failure() {
    let mut w = World::default()
        .rdir("/")
        .rdir("/d")
        .rfile("/d/a", "1")
        .rfile("/d/b", "2");
    w.broken.insert(b"/d/a".to_vec());
    assert!(w.download("/d", "t").is_err());
    assert!(!w.log.iter().any(|l| l == "RETR /d/b"), "{:?}", w.log);
}

// ---- unsafe names ----

#[test]
fn unsafe_remote_names_are_skipped_with_a_warning() {
    // The libraries' copies failed the whole download with an error instead.
    let mut w = World::default().rdir("/").rdir("/d").rfile("/d/ok", "1");
    let hostile = [&b".."[..], b".", b"a/b", b"", b"x\0y", b"../../evil"];
    let mut extra: Vec<Entry> = hostile.iter().map(|n| Entry::file(*n, 1)).collect();
    extra.push(Entry::new(".", Kind::CurrentDir));
    extra.push(Entry::new("..", Kind::ParentDir));
    extra.push(Entry::dir(".."));
    extra.push(Entry::new("ln", Kind::Link));
    w.extra.insert(b"/d".to_vec(), extra);
    let copied = w.download("/d", "t").unwrap();
    assert_eq!(copied.files, 1);
    assert_eq!(w.local_paths(), ["t", "t/ok"]);
    let mut unsafe_names: Vec<Vec<u8>> = copied
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UnsafeName { dir, name } if dir == b"/d" => Some(name.clone()),
            _ => None,
        })
        .collect();
    unsafe_names.sort();
    let mut expected: Vec<Vec<u8>> = hostile.iter().map(|n| n.to_vec()).collect();
    expected.sort();
    assert_eq!(unsafe_names, expected);
    assert!(copied.warnings.contains(&Warning::NotCopied {
        path: b"/d/ln".to_vec(),
        kind: Kind::Link
    }));
    assert_eq!(
        copied.warnings.len(),
        hostile.len() + 1,
        "the listing's own entries are silent"
    );
    assert!(copied.warnings.iter().all(|w| !w.to_string().is_empty()));
}

// ---- the remote source ----

#[test]
fn a_missing_remote_source_fails_and_an_unclear_one_is_tried_as_a_file() {
    let mut w = World::default().rdir("/");
    let e = w.download("/missing", "m").unwrap_err();
    assert!(e.received(550));
    assert!(w.local.is_empty());
    // A stat the server cannot answer (no MLST, say): RETR decides.
    let mut plan = Plan::download("/f", "f");
    assert_eq!(plan.next_step(), Some(Step::StatRemote(b"/f".to_vec())));
    plan.remote_item(Err(code_error(502)));
    assert_eq!(plan.next_step(), Some(Step::StatLocal("f".into())));
    plan.local_kind(Err(missing()));
    assert_eq!(
        plan.next_step().map(|s| matches!(s, Step::Planned(_))),
        Some(true)
    );
    assert!(
        matches!(plan.next_step(), Some(Step::Download(f)) if f.remote == b"/f" && f.size.is_none())
    );
}

// ---- driving ----

#[test]
fn the_totals_come_before_any_action() {
    let mut w = World::site();
    w.upload("site", "/x").unwrap();
    let planned = w.steps.iter().position(|s| matches!(s, Step::Planned(_)));
    let first_action = w
        .steps
        .iter()
        .position(|s| matches!(s, Step::MakeRemoteDir { .. }));
    assert!(planned < first_action, "{:?}", w.steps);
    assert!(w.steps.contains(&Step::Planned(Totals {
        files: 2,
        dirs: 2,
        bytes: 11,
        tree: true
    })));
}

#[test]
fn an_unanswered_or_misanswered_step_fails_the_plan() {
    let mut plan = Plan::upload("a", "/b");
    assert_eq!(plan.next_step(), Some(Step::StatLocal("a".into())));
    assert_eq!(plan.next_step(), None);
    assert!(plan.finish().is_err());
    let mut plan = Plan::upload("a", "/b");
    let _ = plan.next_step();
    plan.remote_item(Err(code_error(550)));
    assert_eq!(plan.next_step(), None);
    assert!(plan.finish().is_err());
    let mut plan = Plan::upload("a", "/b");
    plan.transferred(Ok(1));
    assert!(plan.next_step().is_none());
    assert!(plan.finish().is_err());
}

#[test]
fn a_missing_local_source_fails_with_its_path() {
    let mut w = World::default().rdir("/");
    let e = w.upload("nope", "/x").unwrap_err();
    assert!(
        matches!(&e, Error::PathIo(p) if p.path.as_deref() == Some(Path::new("nope"))),
        "{e:?}"
    );
}
