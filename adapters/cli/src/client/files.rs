//! `sansftp mkdir`, `rm`, `mv` and `stat`: one remote path each (two for `mv`).

use std::fmt::Write as _;

use super::ls::{Row, json_object, lossy, mode_string, print, type_name};
use super::{ConnectArgs, Error, URL_HELP, basename, dirname, join, show};
use crate::url::FtpUrl;

/// Options of `sansftp mkdir`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct MkdirArgs {
    /// The directory to make.
    pub url: String,
    /// Make missing parent directories too, and accept an existing directory.
    #[arg(short, long)]
    pub parents: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Options of `sansftp rm`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct RmArgs {
    /// The file (or directory, with --recursive) to remove.
    pub url: String,
    /// Remove a directory and everything in it.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Options of `sansftp mv`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct MvArgs {
    /// The file or directory to rename or move.
    pub url: String,
    /// The new path on the same server: absolute, or relative to the URL's directory
    /// (not percent-decoded; an ftp:// URL of the same server is accepted too). Ending
    /// with / moves into that directory, keeping the name.
    pub new_path: String,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Options of `sansftp stat`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct StatArgs {
    /// The file or directory.
    pub url: String,
    /// One JSON object, with the fields of `ls --json`.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `mkdir`.
pub fn mkdir(args: MkdirArgs) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let path = needs_path(&url)?;
    let mut client = super::connect(&url, &args.connect)?;
    let result = client.make_directory(&path, args.parents);
    super::quit(client);
    Ok(result?)
}

/// Runs `rm`.
pub fn rm(args: RmArgs) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let path = needs_path(&url)?;
    let mut client = super::connect(&url, &args.connect)?;
    let result = if args.recursive {
        client.remove(&path).map_err(Error::from)
    } else {
        match client.remove_file(&path) {
            Ok(()) => Ok(()),
            // DELE of a directory fails with a server-specific message: say it plainly.
            Err(e) => match client.is_dir(&path) {
                Ok(true) => Err(Error::Other(format!(
                    "{} is a directory (use --recursive)",
                    show(&path)
                ))),
                _ => Err(e.into()),
            },
        }
    };
    super::quit(client);
    result
}

/// Runs `mv`.
pub fn mv(args: MvArgs) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let from = needs_path(&url)?;
    let to = new_path(&url, &args.new_path)?;
    let mut client = super::connect(&url, &args.connect)?;
    let result = client.rename(&from, &to);
    super::quit(client);
    Ok(result?)
}

/// Runs `stat`.
pub fn stat(args: StatArgs) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let mut client = super::connect(&url, &args.connect)?;
    // The login directory has no name to ask MLST about: ask for its absolute path.
    let result = if url.path.is_empty() {
        client
            .get_current_directory()
            .and_then(|dir| client.stat(dir.as_bytes()))
    } else {
        client.stat(&url.path)
    };
    super::quit(client);
    let mut item = result?;
    if item.entry.name.is_empty() {
        // `/` has no last component: it is its own name.
        item.entry.name = item.path.clone();
    }
    let row = Row {
        shown: item.entry.name.clone(),
        path: item.path.clone(),
        entry: item.entry,
    };
    if args.json {
        print(&format!("{}\n", json_object(&row)))
    } else {
        print(&describe(&row))
    }
}

/// `stat`'s plain output: one `field: value` line per known fact.
fn describe(row: &Row) -> String {
    let e = &row.entry;
    let mut out = String::new();
    let _ = writeln!(out, "path: {}", lossy(&row.path));
    let _ = writeln!(out, "name: {}", lossy(&row.shown));
    let _ = writeln!(out, "type: {}", type_name(e.kind));
    if let Some(size) = e.size {
        let _ = writeln!(out, "size: {size}");
    }
    if let Some(t) = &e.modified {
        let _ = writeln!(out, "modified: {t}");
    }
    if let Some(mode) = e.mode {
        let _ = writeln!(out, "mode: {:04o} ({})", mode & 0o7777, mode_string(e));
    }
    if let Some(owner) = &e.owner {
        let _ = writeln!(out, "owner: {owner}");
    }
    if let Some(group) = &e.group {
        let _ = writeln!(out, "group: {group}");
    }
    if let Some(target) = &e.link_target {
        let _ = writeln!(out, "target: {}", lossy(target));
    }
    out
}

/// The URL's path, which must name something (not the login directory itself).
fn needs_path(url: &FtpUrl) -> Result<Vec<u8>, Error> {
    if basename(&url.path).is_none() {
        return Err(Error::Usage(format!(
            "{url}: the URL needs a path naming a file or directory"
        )));
    }
    Ok(url.path.clone())
}

/// Where `mv` moves to: `new` as given when absolute, else relative to the directory of
/// the URL's path; into `new` (same name) when it ends with `/`.
fn new_path(url: &FtpUrl, new: &str) -> Result<Vec<u8>, Error> {
    // A URL's path is relative to the login directory, like the first URL's.
    let (new, beside_old): (Vec<u8>, bool) =
        if new.len() > 6 && new[..6].eq_ignore_ascii_case("ftp://") {
            let other = super::parse_url(new)?;
            if (other.host.as_str(), other.port) != (url.host.as_str(), url.port) {
                return Err(Error::Usage(format!(
                    "mv moves within one server: {other} is not on {}",
                    url.host_port()
                )));
            }
            (other.path, false)
        } else {
            (new.as_bytes().to_vec(), true)
        };
    if new.is_empty() {
        return Err(Error::Usage("the new path is empty".to_owned()));
    }
    if new.iter().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
        return Err(Error::Usage(
            "the new path cannot hold NUL, CR or LF".to_owned(),
        ));
    }
    let mut to = if new.starts_with(b"/") || !beside_old {
        new.clone()
    } else {
        join(dirname(&url.path), &new)
    };
    if new.ends_with(b"/") {
        let name = basename(&url.path).unwrap_or_default();
        to = join(&to, name);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> FtpUrl {
        FtpUrl::parse(text).expect("valid URL")
    }

    #[test]
    fn new_paths_are_absolute_or_beside_the_old_one() {
        let u = url("ftp://h/a/b/c.txt");
        let to = |n: &str| new_path(&u, n).map_err(|e| e.to_string());
        assert_eq!(to("d.txt"), Ok(b"a/b/d.txt".to_vec()));
        assert_eq!(to("../d.txt"), Ok(b"a/b/../d.txt".to_vec()));
        assert_eq!(to("/x/y"), Ok(b"/x/y".to_vec()));
        assert_eq!(to("/x/"), Ok(b"/x/c.txt".to_vec()));
        assert_eq!(to("sub/"), Ok(b"a/b/sub/c.txt".to_vec()));
        assert_eq!(to("ftp://h/e%20f"), Ok(b"e f".to_vec()));
        assert!(to("ftp://other/x").is_err_and(|e| e.contains("one server")));
        assert!(to("").is_err());
        let top = url("ftp://h/c.txt");
        assert_eq!(new_path(&top, "d").ok(), Some(b"d".to_vec()));
        let abs = url("ftp://h//srv/c.txt");
        assert_eq!(new_path(&abs, "d").ok(), Some(b"/srv/d".to_vec()));
    }

    #[test]
    fn the_login_directory_itself_is_not_a_target() {
        assert!(needs_path(&url("ftp://h/")).is_err());
        assert!(needs_path(&url("ftp://h/x")).is_ok());
    }

    #[test]
    fn plain_stat_lists_known_facts() {
        let row = Row {
            shown: b"f".to_vec(),
            path: b"d/f".to_vec(),
            entry: sansftp::listing::Entry::file("f", 3).with_mode(0o640),
        };
        assert_eq!(
            describe(&row),
            "path: d/f\nname: f\ntype: file\nsize: 3\nmode: 0640 (-rw-r-----)\n"
        );
    }
}
