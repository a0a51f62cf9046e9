//! `sansftp ls [--long] [--json] [--recursive] URL`, and the entry formats `stat`
//! shares: names, a unix-like long line, and JSON objects written by hand (four field
//! kinds do not need serde).

use std::fmt::Write as _;
use std::io::Write;

use sansftp::client::Item;
use sansftp::listing::{Entry, Kind};

use super::{ConnectArgs, Error, URL_HELP};

/// Options of `sansftp ls`.
#[derive(Debug, clap::Args)]
#[command(after_help = URL_HELP)]
pub struct Args {
    /// The directory (or file) to list.
    pub url: String,
    /// One line per entry as `ls -l` would: mode, size, modification time (UTC), name,
    /// and `-> target` for links.
    #[arg(short, long, conflicts_with = "json")]
    pub long: bool,
    /// A JSON array of objects with `name`, `path` (the URL's path joined with the
    /// name), `type` (file, dir, link or other), `size` (bytes or null), `modified`
    /// (RFC 3339 or null), `mode` (octal string or null) and `target` (a link's target
    /// or null).
    #[arg(long)]
    pub json: bool,
    /// List every directory below too (paths are shown relative to URL).
    #[arg(short = 'R', long)]
    pub recursive: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `ls`.
pub fn run(args: Args) -> Result<(), Error> {
    let url = super::parse_url(&args.url)?;
    let mut client = super::connect(&url, &args.connect)?;
    let path = url.path.clone();
    // A path that may be a file: ask first, so `ls FILE` shows that file (MLSD refuses
    // files, and a LIST fallback would name it FILE/FILE).
    let single = if path.is_empty() || path.ends_with(b"/") {
        None
    } else {
        match client.stat(&path) {
            Ok(item) if !item.entry.kind.is_dir() => Some(item),
            Ok(_) => None,
            Err(e) if super::is_missing(&e) => return Err(e.into()),
            // Stat failed otherwise: let the listing say what is wrong, if anything.
            Err(_) => None,
        }
    };
    let mut rows: Vec<Row> = match single {
        Some(item) => vec![Row {
            shown: item.entry.name.clone(),
            path: item.path.clone(),
            entry: item.entry,
        }],
        None => {
            let items = client.list(&path, args.recursive)?;
            rows_of(&path, items, args.recursive)
        }
    };
    super::quit(client);
    rows.sort_by(|a, b| a.shown.cmp(&b.shown));
    let out = if args.json {
        json_array(&rows)
    } else if args.long {
        long_lines(&rows)
    } else {
        rows.iter()
            .map(|r| format!("{}\n", lossy(&r.shown)))
            .collect()
    };
    print(&out)
}

/// One line (or object) of output: the entry, the path the listing gave, and what is
/// shown as its name (the name, or the path below the listed directory when recursive).
#[derive(Debug, Clone)]
pub struct Row {
    /// What is shown as the name.
    pub shown: Vec<u8>,
    /// The full path, as the listing gave it.
    pub path: Vec<u8>,
    /// The facts.
    pub entry: Entry,
}

/// The listing's items as rows; recursive listings show paths below `dir`.
fn rows_of(dir: &[u8], items: Vec<Item>, recursive: bool) -> Vec<Row> {
    let prefix = super::join(super::trim_slashes(dir), b"");
    items
        .into_iter()
        .filter(|i| !i.entry.is_self_or_parent())
        .map(|i| {
            let shown = if recursive {
                i.path
                    .strip_prefix(prefix.as_slice())
                    .unwrap_or(&i.path)
                    .to_vec()
            } else {
                i.entry.name.clone()
            };
            Row {
                shown,
                path: i.path,
                entry: i.entry,
            }
        })
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
pub fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Other(format!("cannot write the output: {e}"))),
    }
}

/// Bytes shown as text, invalid UTF-8 replaced.
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The JSON `type` of an entry: `file`, `dir`, `link` or `other`.
pub fn type_name(kind: Kind) -> &'static str {
    if kind.is_dir() {
        "dir"
    } else if kind.is_file() {
        "file"
    } else if kind.is_link() {
        "link"
    } else {
        "other"
    }
}

/// `ls -l`'s first column: the kind and the permission bits (`?` where unknown).
pub fn mode_string(entry: &Entry) -> String {
    let kind = match entry.kind {
        k if k.is_dir() => 'd',
        Kind::File => '-',
        Kind::Link => 'l',
        Kind::CharDevice => 'c',
        Kind::BlockDevice => 'b',
        Kind::Pipe => 'p',
        Kind::Socket => 's',
        _ => '?',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    match entry.mode {
        None => s.push_str("?????????"),
        Some(mode) => {
            for (shift, special, set, unset) in [
                (6, 0o4000, 's', 'S'),
                (3, 0o2000, 's', 'S'),
                (0, 0o1000, 't', 'T'),
            ] {
                let bits = (mode >> shift) & 0o7;
                s.push(if bits & 4 != 0 { 'r' } else { '-' });
                s.push(if bits & 2 != 0 { 'w' } else { '-' });
                s.push(match (bits & 1 != 0, mode & special != 0) {
                    (true, true) => set,
                    (false, true) => unset,
                    (true, false) => 'x',
                    (false, false) => '-',
                });
            }
        }
    }
    s
}

/// `YYYY-MM-DD HH:MM` in UTC, or `-`.
fn short_time(entry: &Entry) -> String {
    match &entry.modified {
        Some(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        ),
        None => "-".to_owned(),
    }
}

/// The long format: `drwxr-xr-x   4096 2026-11-24 13:21 name`, sizes right-aligned.
pub fn long_lines(rows: &[Row]) -> String {
    let sizes: Vec<String> = rows
        .iter()
        .map(|r| r.entry.size.map_or("-".to_owned(), |s| s.to_string()))
        .collect();
    let width = sizes.iter().map(String::len).max().unwrap_or(1);
    let mut out = String::new();
    for (row, size) in rows.iter().zip(&sizes) {
        let _ = write!(
            out,
            "{} {size:>width$} {:<16} {}",
            mode_string(&row.entry),
            short_time(&row.entry),
            lossy(&row.shown)
        );
        if let Some(target) = &row.entry.link_target {
            let _ = write!(out, " -> {}", lossy(target));
        }
        out.push('\n');
    }
    out
}

/// A JSON array of [`json_object`]s, one per line.
pub fn json_array(rows: &[Row]) -> String {
    let mut out = String::from("[");
    for (i, row) in rows.iter().enumerate() {
        out.push_str(if i == 0 { "\n  " } else { ",\n  " });
        out.push_str(&json_object(row));
    }
    out.push_str(if rows.is_empty() { "]\n" } else { "\n]\n" });
    out
}

/// One entry as a JSON object on one line (`name` is the entry's own name, `path` the
/// path the listing gave), through `serde_json`.
pub fn json_object(row: &Row) -> String {
    let e = &row.entry;
    let value = serde_json::json!({
        "name": lossy(&e.name),
        "path": lossy(&row.path),
        "type": type_name(e.kind),
        "size": e.size,
        "modified": e.modified.as_ref().map(ToString::to_string),
        "mode": e.mode.map(|mode| format!("{:04o}", mode & 0o7777)),
        "target": e.link_target.as_deref().map(lossy),
    });
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansftp::time::DateTime;

    fn row(entry: Entry) -> Row {
        Row {
            shown: entry.name.clone(),
            path: entry.name.clone(),
            entry,
        }
    }

    #[test]
    fn json_fields_and_escapes() {
        let t = DateTime::new(2024, 5, 1, 12, 30, 0).expect("valid date");
        let file = row(Entry::file(&b"a \"q\"\\\n\xff.txt"[..], 12)
            .with_modified(t)
            .with_mode(0o644));
        assert_eq!(
            json_object(&file),
            "{\"name\":\"a \\\"q\\\"\\\\\\n\u{fffd}.txt\",\"path\":\"a \\\"q\\\"\\\\\\n\u{fffd}.txt\",\
             \"type\":\"file\",\"size\":12,\"modified\":\"2024-05-01T12:30:00Z\",\
             \"mode\":\"0644\",\"target\":null}"
        );
        let link = row(Entry::link("l", "t"));
        let text = json_object(&link);
        assert!(text.contains("\"type\":\"link\""), "{text}");
        assert!(text.contains("\"size\":null"), "{text}");
        assert!(text.contains("\"modified\":null"), "{text}");
        assert!(text.contains("\"target\":\"t\""), "{text}");
        assert_eq!(json_array(&[]), "[]\n");
        let control = row(Entry::file("\u{1}", 0));
        assert!(json_object(&control).starts_with("{\"name\":\"\\u0001\""));
    }

    #[test]
    fn long_lines_align_sizes_and_show_links() {
        let t = DateTime::new(2024, 5, 1, 12, 30, 0).expect("valid date");
        let rows = [
            row(Entry::dir("d").with_mode(0o755).with_modified(t)),
            row(Entry::file("f", 123456).with_mode(0o4754)),
            row(Entry::link("l", "f")),
        ];
        let text = long_lines(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "drwxr-xr-x      - 2024-05-01 12:30 d");
        assert_eq!(lines[1], "-rwsr-xr-- 123456 -                f");
        assert_eq!(lines[2], "l?????????      - -                l -> f");
    }

    #[test]
    fn types() {
        assert_eq!(type_name(Kind::File), "file");
        assert_eq!(type_name(Kind::Dir), "dir");
        assert_eq!(type_name(Kind::CurrentDir), "dir");
        assert_eq!(type_name(Kind::Link), "link");
        assert_eq!(type_name(Kind::Pipe), "other");
    }

    #[test]
    fn recursive_rows_are_relative_to_the_listed_directory() {
        let items = vec![
            Item {
                path: b"top/a".to_vec(),
                entry: Entry::dir("a"),
            },
            Item {
                path: b"top/a/b".to_vec(),
                entry: Entry::file("b", 1),
            },
        ];
        let rows = rows_of(b"top/", items.clone(), true);
        assert_eq!(rows[1].shown, b"a/b");
        let rows = rows_of(b"top", items, false);
        assert_eq!(rows[1].shown, b"b");
    }
}
