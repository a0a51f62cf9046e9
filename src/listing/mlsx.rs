//! RFC 3659 §7 MLSD/MLST lines: `fact=value;fact=value; name`, parsed and formatted,
//! and [`FactSet`], the facts a server offers and a client selects with `OPTS MLST`.

use std::ops::{BitOr, BitOrAssign};

use super::entry::{is_fact_name, is_fact_value};
use super::{
    Entry, Format, FormatError, Kind, ParseError, Reason, check_name, is_blank, parse_u32,
    parse_u64, trim_line_end,
};
use crate::time::DateTime;

/// Parses one MLSD line or MLST reply line.
///
/// The facts run up to the first space; the name is everything after that one space
/// (it may hold spaces, `;` and `=`). Fact names are case-insensitive and stored
/// lower-cased in [`Entry::facts`], in order. An MLST reply line's leading space is
/// accepted. A line with no facts (` name`) is legal and gives [`Kind::Other`]; a line
/// that starts with a space is read as MLST (facts, then name) only when its first word
/// looks like facts (holds `=` and ends with `;`).
///
/// Interpreted facts: `type` (`file`, `dir`, `cdir`, `pdir`, `OS.unix=slink:target`,
/// `OS.unix=symlink`, `OS.unix=chr-M/m`, `blk-M/m`, `fifo`, `socket`; any case; anything
/// else is [`Kind::Other`]), `size`, `sizd`, `modify`, `unix.mode` (octal),
/// `unix.nlink`, `unix.ownername` / `unix.owner` / `unix.uid` and the group
/// equivalents (the first of each list that is present). A malformed `size`, `sizd`,
/// `modify`, `unix.mode` or `unix.nlink` is an error; others are kept raw.
///
/// ```
/// use sansftp::listing::{parse_mlsx, Kind};
/// use sansftp::time::DateTime;
///
/// let line = b"Type=file;Size=1024;Modify=20240501123000;UNIX.mode=0644; my file;v2.txt";
/// let e = parse_mlsx(line, DateTime::UNIX_EPOCH).unwrap().unwrap();
/// assert_eq!(e.name, b"my file;v2.txt");
/// assert_eq!((e.kind, e.size, e.mode), (Kind::File, Some(1024), Some(0o644)));
/// assert_eq!(e.facts.get("size"), Some(&b"1024"[..]));
/// let bare = parse_mlsx(b" lonely", DateTime::UNIX_EPOCH).unwrap().unwrap();
/// assert_eq!((bare.name.as_slice(), bare.kind), (&b"lonely"[..], Kind::Other));
/// ```
pub fn parse_mlsx(line: &[u8], _now: DateTime) -> Result<Option<Entry>, ParseError> {
    let line = trim_line_end(line);
    if is_blank(line) {
        return Ok(None);
    }
    let err = |reason| ParseError::new(Format::Mlsx, reason, line);
    let (facts, name) = split_facts(line).ok_or_else(|| err(Reason::MissingName))?;
    if name.is_empty() {
        return Err(err(Reason::MissingName));
    }

    let mut entry = Entry::new(name, Kind::Other);
    entry.facts.reserve(facts.len());
    // Rank of the fact that set owner/group: lower wins (ownername < owner < uid).
    let (mut owner_rank, mut group_rank) = (u8::MAX, u8::MAX);
    let mut sizd = None;
    for fact in facts.split(|&b| b == b';').filter(|f| !f.is_empty()) {
        let eq = memchr::memchr(b'=', fact).ok_or_else(|| err(Reason::MalformedFacts))?;
        let key = fact.get(..eq).unwrap_or_default();
        let value = fact.get(eq + 1..).unwrap_or_default();
        if !is_fact_name(key) {
            return Err(err(Reason::MalformedFacts));
        }
        entry.facts.push_unchecked(key, value);
        let bad = |name| err(Reason::BadFact(name));
        let lower = |k: &[u8], s: &str| k.eq_ignore_ascii_case(s.as_bytes());
        if lower(key, "type") {
            let (kind, target, device) = parse_type(value);
            entry.kind = kind;
            entry.link_target = target;
            entry.device = device;
        } else if lower(key, "size") {
            entry.size = Some(parse_u64(value).ok_or_else(|| bad("size"))?);
        } else if lower(key, "sizd") {
            sizd = Some(parse_u64(value).ok_or_else(|| bad("sizd"))?);
        } else if lower(key, "modify") {
            entry.modified = Some(DateTime::parse_modify(value).ok_or_else(|| bad("modify"))?);
        } else if lower(key, "unix.mode") {
            entry.mode = Some(parse_octal(value).ok_or_else(|| bad("unix.mode"))? & 0o7777);
        } else if lower(key, "unix.nlink") {
            entry.links = Some(parse_u64(value).ok_or_else(|| bad("unix.nlink"))?);
        } else {
            let owner = ["unix.ownername", "unix.owner", "unix.uid"];
            let group = ["unix.groupname", "unix.group", "unix.gid"];
            if let Some(rank) = owner.iter().position(|k| lower(key, k)) {
                if (rank as u8) < owner_rank {
                    owner_rank = rank as u8;
                    entry.owner = Some(String::from_utf8_lossy(value).into_owned());
                }
            } else if let Some(rank) = group.iter().position(|k| lower(key, k)) {
                if (rank as u8) < group_rank {
                    group_rank = rank as u8;
                    entry.group = Some(String::from_utf8_lossy(value).into_owned());
                }
            }
        }
    }
    if entry.size.is_none() {
        entry.size = sizd;
    }
    Ok(Some(entry))
}

/// Appends one MLSx line for `entry`, **without** a line ending (append `\r\n` for
/// MLSD; an MLST reply line is this line after one space):
///
/// `type=file;size=1234;modify=20240501123000;unix.mode=0644; name`
///
/// Facts are written in the order `type`, `size` (`sizd` for directories), `modify`,
/// `perm`, `unique`, `unix.mode`, `unix.owner`, `unix.group`, each only when it is in
/// `select` and the entry has it. `perm` and `unique` come from [`Entry::facts`] (the
/// server sets them per user with [`crate::listing::Facts::push`]). [`Kind::Other`] gets
/// no `type` fact. Links are `OS.unix=slink:target` (`OS.unix=symlink` when the target is
/// unknown or cannot be a fact value); an owner or group that cannot be a fact value
/// (a space, `;`) is left out.
///
/// Refused (nothing written): an empty name, a name holding CR, LF or NUL, and a line
/// that would have no facts while its name starts like a facts field.
///
/// ```
/// use sansftp::listing::{format_mlsx, Entry, FactSet};
/// use sansftp::time::DateTime;
///
/// let e = Entry::file("name", 1234)
///     .with_modified(DateTime::new(2024, 5, 1, 12, 30, 0).unwrap())
///     .with_mode(0o644);
/// let mut out = Vec::new();
/// format_mlsx(&e, FactSet::DEFAULT, &mut out).unwrap();
/// assert_eq!(out, b"type=file;size=1234;modify=20240501123000;unix.mode=0644; name");
/// ```
pub fn format_mlsx(entry: &Entry, select: FactSet, out: &mut Vec<u8>) -> Result<(), FormatError> {
    check_name(&entry.name)?;
    let start = out.len();
    let fact = |out: &mut Vec<u8>, name: &str, value: &[u8]| {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value);
        out.push(b';');
    };

    if select.contains(FactSet::TYPE) {
        let mut ty = Vec::new();
        match entry.kind {
            Kind::File => ty.extend_from_slice(b"file"),
            Kind::Dir => ty.extend_from_slice(b"dir"),
            Kind::CurrentDir => ty.extend_from_slice(b"cdir"),
            Kind::ParentDir => ty.extend_from_slice(b"pdir"),
            Kind::Link => match entry.link_target.as_deref() {
                Some(t) if !t.is_empty() && is_fact_value(t) => {
                    ty.extend_from_slice(b"OS.unix=slink:");
                    ty.extend_from_slice(t);
                }
                _ => ty.extend_from_slice(b"OS.unix=symlink"),
            },
            Kind::CharDevice | Kind::BlockDevice => {
                let dev: &[u8] = if entry.kind == Kind::CharDevice {
                    b"chr"
                } else {
                    b"blk"
                };
                ty.extend_from_slice(b"OS.unix=");
                ty.extend_from_slice(dev);
                if let Some((major, minor)) = entry.device {
                    ty.extend_from_slice(format!("-{major}/{minor}").as_bytes());
                }
            }
            Kind::Pipe => ty.extend_from_slice(b"OS.unix=fifo"),
            Kind::Socket => ty.extend_from_slice(b"OS.unix=socket"),
            Kind::Other => {}
        }
        if !ty.is_empty() {
            fact(out, "type", &ty);
        }
    }
    if select.contains(FactSet::SIZE) {
        if let Some(size) = entry.size {
            let name = if entry.kind.is_dir() { "sizd" } else { "size" };
            fact(out, name, size.to_string().as_bytes());
        }
    }
    if select.contains(FactSet::MODIFY) {
        if let Some(t) = entry.modified {
            let mut v = Vec::with_capacity(18);
            t.write_modify(&mut v);
            fact(out, "modify", &v);
        }
    }
    for (flag, name) in [(FactSet::PERM, "perm"), (FactSet::UNIQUE, "unique")] {
        if select.contains(flag) {
            if let Some(v) = entry.facts.get(name).filter(|v| is_fact_value(v)) {
                fact(out, name, v);
            }
        }
    }
    if select.contains(FactSet::UNIX_MODE) {
        if let Some(mode) = entry.mode {
            fact(out, "unix.mode", format!("0{:o}", mode & 0o7777).as_bytes());
        }
    }
    for (flag, name, value) in [
        (FactSet::UNIX_OWNER, "unix.owner", &entry.owner),
        (FactSet::UNIX_GROUP, "unix.group", &entry.group),
    ] {
        if select.contains(flag) {
            if let Some(v) = value
                .as_deref()
                .filter(|v| !v.is_empty() && is_fact_value(v.as_bytes()))
            {
                fact(out, name, v.as_bytes());
            }
        }
    }

    if out.len() == start && looks_like_facts(first_word(&entry.name)) {
        return Err(FormatError::AmbiguousName);
    }
    out.push(b' ');
    out.extend_from_slice(&entry.name);
    Ok(())
}

/// A set of MLSx facts: what a server offers in `FEAT` and what a client selected
/// with `OPTS MLST` (RFC 3659 §7.8, §7.9).
///
/// ```
/// use sansftp::listing::FactSet;
///
/// let chosen = FactSet::from_opts(b"type;Size;modify;bogus;");
/// assert!(chosen.contains(FactSet::SIZE) && !chosen.contains(FactSet::PERM));
/// let mut feat = Vec::new();
/// FactSet::ALL.write_feat(chosen, &mut feat);
/// assert_eq!(feat, b"type*;size*;modify*;perm;unique;unix.mode;unix.owner;unix.group;");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactSet(u16);

impl FactSet {
    /// No facts.
    pub const NONE: FactSet = FactSet(0);
    /// `type`.
    pub const TYPE: FactSet = FactSet(1);
    /// `size` (`sizd` for directories).
    pub const SIZE: FactSet = FactSet(1 << 1);
    /// `modify`.
    pub const MODIFY: FactSet = FactSet(1 << 2);
    /// `perm`, from the entry's raw facts.
    pub const PERM: FactSet = FactSet(1 << 3);
    /// `unique`, from the entry's raw facts.
    pub const UNIQUE: FactSet = FactSet(1 << 4);
    /// `unix.mode`.
    pub const UNIX_MODE: FactSet = FactSet(1 << 5);
    /// `unix.owner`.
    pub const UNIX_OWNER: FactSet = FactSet(1 << 6);
    /// `unix.group`.
    pub const UNIX_GROUP: FactSet = FactSet(1 << 7);
    /// Every fact this module writes.
    pub const ALL: FactSet = FactSet(0xff);
    /// The facts selected before any `OPTS MLST`: all but `unix.owner`/`unix.group`.
    pub const DEFAULT: FactSet = FactSet(0x3f);

    const NAMES: [(FactSet, &'static str); 8] = [
        (FactSet::TYPE, "type"),
        (FactSet::SIZE, "size"),
        (FactSet::MODIFY, "modify"),
        (FactSet::PERM, "perm"),
        (FactSet::UNIQUE, "unique"),
        (FactSet::UNIX_MODE, "unix.mode"),
        (FactSet::UNIX_OWNER, "unix.owner"),
        (FactSet::UNIX_GROUP, "unix.group"),
    ];

    /// Whether every fact of `other` is in `self`.
    pub fn contains(self, other: FactSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// The facts named in an `OPTS MLST` argument (`type;size;`), any case; unknown
    /// names are ignored as RFC 3659 §7.9 asks.
    pub fn from_opts(arg: &[u8]) -> FactSet {
        arg.split(|&b| b == b';')
            .filter_map(|word| {
                let word = word.trim_ascii();
                FactSet::NAMES
                    .iter()
                    .find(|(_, n)| word.eq_ignore_ascii_case(n.as_bytes()))
                    .map(|(f, _)| *f)
            })
            .fold(FactSet::NONE, BitOr::bitor)
    }

    /// Appends the `FEAT` line's fact list for the facts in `self`, each followed by
    /// `*` when it is in `selected` (`type*;size*;modify;`).
    pub fn write_feat(self, selected: FactSet, out: &mut Vec<u8>) {
        for (flag, name) in FactSet::NAMES {
            if self.contains(flag) {
                out.extend_from_slice(name.as_bytes());
                if selected.contains(flag) {
                    out.push(b'*');
                }
                out.push(b';');
            }
        }
    }

    /// Appends the `200 MLST OPTS` reply's list of the facts in `self` (`type;size;`).
    pub fn write_opts(self, out: &mut Vec<u8>) {
        self.write_feat(FactSet::NONE, out);
    }
}

impl Default for FactSet {
    fn default() -> FactSet {
        FactSet::DEFAULT
    }
}

impl BitOr for FactSet {
    type Output = FactSet;
    fn bitor(self, rhs: FactSet) -> FactSet {
        FactSet(self.0 | rhs.0)
    }
}

impl BitOrAssign for FactSet {
    fn bitor_assign(&mut self, rhs: FactSet) {
        self.0 |= rhs.0;
    }
}

/// Splits a line into (facts, name); `None` when a line with facts has no space.
fn split_facts(line: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(rest) = line.strip_prefix(b" ") {
        let word = first_word(rest);
        if looks_like_facts(word) {
            return Some((word, rest.get(word.len() + 1..).unwrap_or_default()));
        }
        return Some((&[], rest));
    }
    let sp = memchr::memchr(b' ', line)?;
    Some((line.get(..sp)?, line.get(sp + 1..)?))
}

fn first_word(s: &[u8]) -> &[u8] {
    memchr::memchr(b' ', s).map_or(s, |sp| s.get(..sp).unwrap_or(s))
}

/// A facts field: at least one `=`, ending with `;`.
fn looks_like_facts(word: &[u8]) -> bool {
    word.last() == Some(&b';') && memchr::memchr(b'=', word).is_some()
}

/// The `type` fact: kind, link target, device numbers.
fn parse_type(value: &[u8]) -> (Kind, Option<Vec<u8>>, Option<(u32, u32)>) {
    let is = |s: &str| value.eq_ignore_ascii_case(s.as_bytes());
    if is("file") {
        return (Kind::File, None, None);
    }
    if is("dir") {
        return (Kind::Dir, None, None);
    }
    if is("cdir") {
        return (Kind::CurrentDir, None, None);
    }
    if is("pdir") {
        return (Kind::ParentDir, None, None);
    }
    let prefix = b"os.unix=";
    let Some(sub) = value
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| value.get(prefix.len()..))
    else {
        return (Kind::Other, None, None);
    };
    let (word, arg) = match sub.iter().position(|&b| b == b':' || b == b'-') {
        Some(i) => (sub.get(..i).unwrap_or_default(), sub.get(i + 1..)),
        None => (sub, None),
    };
    let word = word.to_ascii_lowercase();
    match word.as_slice() {
        b"slink" | b"symlink" | b"link" => {
            let target = arg.filter(|t| !t.is_empty()).map(<[u8]>::to_vec);
            (Kind::Link, target, None)
        }
        b"chr" | b"blk" => {
            let kind = if word == b"chr" {
                Kind::CharDevice
            } else {
                Kind::BlockDevice
            };
            let device = arg.and_then(|a| {
                let slash = memchr::memchr(b'/', a)?;
                Some((parse_u32(a.get(..slash)?)?, parse_u32(a.get(slash + 1..)?)?))
            });
            (kind, None, device)
        }
        b"fifo" | b"pipe" => (Kind::Pipe, None, None),
        b"sock" | b"socket" => (Kind::Socket, None, None),
        _ => (Kind::Other, None, None),
    }
}

/// Octal digits into a `u32`, refusing overflow.
fn parse_octal(s: &[u8]) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        if (b'0'..=b'7').contains(&b) {
            acc.checked_mul(8)?.checked_add(u32::from(b - b'0'))
        } else {
            None
        }
    })
}
