//! Unix `ls -l` lines: the parser most servers need, and the vsftpd-style formatter.

use super::{
    Entry, Format, FormatError, Kind, ParseError, Reason, check_name, has_line_break, is_blank,
    next_token, parse_clock, parse_month, parse_u32, parse_u64, trim_line_end,
};
use crate::time::{DateTime, push_num};

/// A year-less `ls` date is taken to be at most this far in the future of `now`.
const SIX_MONTHS: i64 = 183 * 86_400;
/// The formatter prints `HH:MM` for dates at most this old (vsftpd's rule).
const RECENT: i64 = 182 * 86_400;
/// Tokens scanned before giving up on finding the date.
const MAX_TOKENS: usize = 16;

/// Parses one `ls -l` line.
///
/// Understood, beyond the plain 9-column form:
/// - `total N` and blank lines give `Ok(None)`;
/// - file types `- d l c b p s` (and `D`, `n`, `w`, `?` as [`Kind::Other`]); an ACL `+`,
///   SELinux `.` or macOS `@` after the mode; `s`/`S`, `t`/`T` (upper case: bit set
///   without execute) and Solaris `l` (setgid without execute);
/// - device nodes with `major, minor` (or `major,minor`) instead of a size;
/// - a missing group column (`mode links owner size date name`), a missing link count
///   (`mode owner group size ...`), and groups holding spaces (`Domain Users`): the
///   columns before the size are read from the left, the date is found from its shape;
/// - dates `Jan  1 12:30`, `Jan  1  2018`, `Jan 1 2018` (month names in any case), and
///   `--time-style=long-iso`/`full-iso` (`2024-05-01 12:30`, `... 12:30:00.5 +0200`,
///   the offset applied to give UTC);
/// - the name is everything after the single space that follows the date, so inner
///   and leading spaces are kept exactly;
/// - for links (`l`), `name -> target` is split at the **first** `" -> "`: a link name
///   cannot hold `" -> "`, its target can.
///
/// A date without a year is placed in `now`'s year unless that puts it more than six
/// months after `now`, in which case it belongs to the year before (servers print
/// year-less dates for the last six months; the margin tolerates clock skew and time
/// zones). `Feb 29` goes to the latest leap year satisfying the same rule.
///
/// ```
/// use sansftp::listing::{parse_unix, Kind};
/// use sansftp::time::DateTime;
///
/// let now = DateTime::new(2024, 1, 15, 0, 0, 0).unwrap();
/// let e = parse_unix(b"lrwxrwxrwx 1 root root 7 Dec 24 09:00 bin -> usr/bin", now)
///     .unwrap()
///     .unwrap();
/// assert_eq!(e.kind, Kind::Link);
/// assert_eq!(e.link_target.as_deref(), Some(&b"usr/bin"[..]));
/// assert_eq!(e.modified, DateTime::new(2023, 12, 24, 9, 0, 0));
/// let dev = parse_unix(b"crw-rw-rw- 1 root root 1, 3 Jan 1 2018 null", now).unwrap().unwrap();
/// assert_eq!((dev.kind, dev.device, dev.size), (Kind::CharDevice, Some((1, 3)), None));
/// ```
pub fn parse_unix(line: &[u8], now: DateTime) -> Result<Option<Entry>, ParseError> {
    let line = trim_line_end(line);
    if is_blank(line) || is_total(line) {
        return Ok(None);
    }
    let err = |reason| ParseError::new(Format::Unix, reason, line);
    let (kind, mode) = parse_mode(line).ok_or_else(|| err(Reason::BadMode))?;
    let mut pos = 10;
    if matches!(line.get(pos), Some(b'+' | b'.' | b'@')) {
        pos += 1;
    }
    match line.get(pos) {
        Some(b' ' | b'\t') => {}
        None => return Err(err(Reason::MissingField)),
        Some(_) => return Err(err(Reason::BadMode)),
    }

    let mut toks = [(0usize, 0usize); MAX_TOKENS];
    let mut n = 0;
    let found = loop {
        let Some(tok) = next_token(line, pos) else {
            return Err(err(Reason::BadDate));
        };
        let Some(slot) = toks.get_mut(n) else {
            return Err(err(Reason::BadDate));
        };
        *slot = tok;
        n += 1;
        pos = tok.1;
        let seen = toks.get(..n).unwrap_or_default();
        if let Some(found) = match_date(line, seen, now).map_err(err)? {
            break found;
        }
    };

    let name_start = found.end + 1;
    // The byte at `found.end` ends a token, so it is a blank or the end of the line.
    let rest = match line.get(name_start..) {
        Some(rest) if !rest.is_empty() => rest,
        _ => return Err(err(Reason::MissingName)),
    };
    let (name, link_target) = if kind == Kind::Link {
        match memchr::memmem::find(rest, b" -> ") {
            Some(arrow) => (
                rest.get(..arrow).unwrap_or_default(),
                rest.get(arrow + 4..).map(<[u8]>::to_vec),
            ),
            None => (rest, None),
        }
    } else {
        (rest, None)
    };
    if name.is_empty() {
        return Err(err(Reason::MissingName));
    }

    let mut entry = Entry::new(name, kind);
    entry.mode = Some(mode);
    entry.modified = Some(found.date);
    entry.link_target = link_target;

    // Columns before the date: [links] owner [group...] then size or "major, minor".
    let cols = toks.get(..found.first).unwrap_or_default();
    let text = |t: &(usize, usize)| line.get(t.0..t.1).unwrap_or_default();
    let (size_tok, before) = cols.split_last().ok_or_else(|| err(Reason::MissingField))?;
    let size_text = text(size_tok);
    let mut cols = before;
    if let Some(comma) = memchr::memchr(b',', size_text) {
        // "1,3" in one token.
        let major = size_text.get(..comma).and_then(parse_u32);
        let minor = size_text.get(comma + 1..).and_then(parse_u32);
        entry.device = Some(major.zip(minor).ok_or_else(|| err(Reason::BadNumber))?);
    } else if let Some((maj_tok, rest_cols)) = cols
        .split_last()
        .filter(|(t, _)| text(t).last() == Some(&b','))
    {
        // "1, 3": the major number carries the comma.
        let maj = text(maj_tok);
        let major = maj.get(..maj.len() - 1).and_then(parse_u32);
        let minor = parse_u32(size_text);
        entry.device = Some(major.zip(minor).ok_or_else(|| err(Reason::BadNumber))?);
        cols = rest_cols;
    } else {
        entry.size = Some(parse_u64(size_text).ok_or_else(|| err(Reason::BadNumber))?);
    }

    // A numeric first column is the link count; without one the link column is absent.
    // (So `ls -n` without a link column, "uid gid", reads as links and owner.)
    if let Some(links) = cols.first().and_then(|t| parse_u64(text(t))) {
        entry.links = Some(links);
        cols = cols.get(1..).unwrap_or_default();
    }
    if let Some((owner, group)) = cols.split_first() {
        entry.owner = Some(lossy(text(owner)));
        if let (Some(first), Some(last)) = (group.first(), group.last()) {
            entry.group = Some(lossy(line.get(first.0..last.1).unwrap_or_default()));
        }
    }
    Ok(Some(entry))
}

/// Appends one `ls -l` line for `entry`, in vsftpd's layout and **without** a line
/// ending:
///
/// `-rw-r--r--    1 ftp      ftp          1234 May 01 12:30 name`
///
/// The date shows `HH:MM` when it is at most 182 days before `now` (and not after it),
/// else the year. Unknown fields get defaults: mode `0644` (`0755` for directories,
/// `0777` for links), 1 link, owner and group `ftp`, size 0, date `Jan 01  1970`.
/// Blanks and control characters in owner and group become `_`. A link's target is
/// appended as ` -> target`.
///
/// Refused (nothing written): an empty name, a name or link target holding CR, LF or
/// NUL, and a link whose name holds `" -> "` (or ends with `" ->"` when a target
/// follows): a parser could not split it back.
///
/// ```
/// use sansftp::listing::{format_unix, Entry};
/// use sansftp::time::DateTime;
///
/// let now = DateTime::new(2024, 5, 10, 0, 0, 0).unwrap();
/// let e = Entry::file("name", 1234)
///     .with_modified(DateTime::new(2024, 5, 1, 12, 30, 0).unwrap())
///     .with_mode(0o644);
/// let mut out = Vec::new();
/// format_unix(&e, now, &mut out).unwrap();
/// assert_eq!(out, b"-rw-r--r--    1 ftp      ftp          1234 May 01 12:30 name");
/// assert!(format_unix(&Entry::file("a\r\nb", 1), now, &mut out).is_err());
/// ```
pub fn format_unix(entry: &Entry, now: DateTime, out: &mut Vec<u8>) -> Result<(), FormatError> {
    check_name(&entry.name)?;
    if entry.kind == Kind::Link {
        // With " -> target" appended, a name ending in " ->" would also split early.
        let arrow = memchr::memmem::find(&entry.name, b" -> ").is_some();
        if arrow || entry.link_target.is_some() && entry.name.ends_with(b" ->") {
            return Err(FormatError::ArrowInLinkName);
        }
        if entry.link_target.as_deref().is_some_and(has_line_break) {
            return Err(FormatError::LineBreakInName);
        }
    }

    let (type_char, default_mode) = match entry.kind {
        Kind::File => (b'-', 0o644),
        Kind::Dir | Kind::CurrentDir | Kind::ParentDir => (b'd', 0o755),
        Kind::Link => (b'l', 0o777),
        Kind::CharDevice => (b'c', 0o644),
        Kind::BlockDevice => (b'b', 0o644),
        Kind::Pipe => (b'p', 0o644),
        Kind::Socket => (b's', 0o644),
        Kind::Other => (b'?', 0o644),
    };
    out.push(type_char);
    write_perms(out, entry.mode.unwrap_or(default_mode));

    out.push(b' ');
    pad_left(out, &num(entry.links.unwrap_or(1)), 4);
    out.push(b' ');
    write_name_col(out, entry.owner.as_deref());
    out.push(b' ');
    write_name_col(out, entry.group.as_deref());
    out.push(b' ');
    match entry.device {
        Some((major, minor)) => {
            let mut dev = num(u64::from(major));
            dev.extend_from_slice(b", ");
            dev.extend_from_slice(&num(u64::from(minor)));
            pad_left(out, &dev, 8);
        }
        None => pad_left(out, &num(entry.size.unwrap_or(0)), 8),
    }
    out.push(b' ');

    let t = entry.modified.unwrap_or(DateTime::UNIX_EPOCH);
    out.extend_from_slice(
        MONTHS
            .get(usize::from(t.month()) - 1)
            .unwrap_or(&"Jan")
            .as_bytes(),
    );
    out.push(b' ');
    push_num(out, u32::from(t.day()), 2);
    let age = now.to_unix() - t.to_unix();
    if (0..=RECENT).contains(&age) {
        out.push(b' ');
        push_num(out, u32::from(t.hour()), 2);
        out.push(b':');
        push_num(out, u32::from(t.minute()), 2);
    } else {
        out.extend_from_slice(b"  ");
        push_num(out, u32::from(t.year()), 4);
    }

    out.push(b' ');
    out.extend_from_slice(&entry.name);
    if let (Kind::Link, Some(target)) = (entry.kind, &entry.link_target) {
        out.extend_from_slice(b" -> ");
        out.extend_from_slice(target);
    }
    Ok(())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Whether the line is `ls`'s `total N` summary.
pub(super) fn is_total(line: &[u8]) -> bool {
    line.get(..5)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"total"))
        && matches!(line.get(5), None | Some(b' ' | b'\t'))
}

/// Whether the line starts with a plausible `ls -l` mode field.
pub(super) fn looks_like_mode(line: &[u8]) -> bool {
    parse_mode(line).is_some()
}

/// The kind and permission bits of the first 10 bytes (`drwxr-sr-t`).
fn parse_mode(line: &[u8]) -> Option<(Kind, u32)> {
    let field = line.get(..10)?;
    let (&t, perms) = field.split_first()?;
    let kind = match t {
        b'-' => Kind::File,
        b'd' => Kind::Dir,
        b'l' => Kind::Link,
        b'c' => Kind::CharDevice,
        b'b' => Kind::BlockDevice,
        b'p' => Kind::Pipe,
        b's' => Kind::Socket,
        b'D' | b'n' | b'w' | b'?' => Kind::Other,
        _ => return None,
    };
    let mut mode = 0u32;
    for (i, &c) in perms.iter().enumerate() {
        let bit = 1u32 << (8 - i);
        // The special bit each exec slot can carry: setuid, setgid, sticky.
        let special = [0o4000, 0o2000, 0o1000].get(i / 3).copied().unwrap_or(0);
        mode |= match (i % 3, c) {
            (_, b'-') => 0,
            (0, b'r') | (1, b'w') | (2, b'x') => bit,
            (2, b's') if i != 8 => bit | special,
            (2, b'S') if i != 8 => special,
            (2, b't') if i == 8 => bit | special,
            (2, b'T') if i == 8 => special,
            // Solaris: mandatory locking, shown as setgid without group execute.
            (2, b'l' | b'L') if i == 5 => special,
            _ => return None,
        };
    }
    Some((kind, mode))
}

/// Where the date was found: index of its first token, end of its last byte, value.
struct DateMatch {
    first: usize,
    end: usize,
    date: DateTime,
}

/// Checks whether the last tokens seen complete a date preceded by a size-like token
/// and at least one more column. `Ok(None)`: not yet; `Err`: shaped like a date but
/// not a real one.
fn match_date(
    line: &[u8],
    toks: &[(usize, usize)],
    now: DateTime,
) -> Result<Option<DateMatch>, Reason> {
    let text = |i: usize| {
        toks.get(i)
            .and_then(|t| line.get(t.0..t.1))
            .unwrap_or_default()
    };
    let n = toks.len();
    let last_end = toks.last().map_or(0, |t| t.1);
    let size_like = |i: usize| text(i).last().is_some_and(u8::is_ascii_digit);

    // Month form: <size> Mon DD (HH:MM | YYYY), with at least one column before size.
    if n >= 5 && size_like(n - 4) {
        if let (Some(month), Some(day)) = (parse_month(text(n - 3)), parse_day(text(n - 2))) {
            let last = text(n - 1);
            if let Some((h, m, _)) = parse_clock(last, false) {
                let date = resolve_yearless(month, day, h, m, now).ok_or(Reason::BadDate)?;
                return Ok(Some(DateMatch {
                    first: n - 3,
                    end: last_end,
                    date,
                }));
            }
            if last.len() == 4 && last.iter().all(u8::is_ascii_digit) {
                let year = parse_u32(last).and_then(|y| u16::try_from(y).ok());
                let date = year
                    .and_then(|y| DateTime::date(y, month, day))
                    .ok_or(Reason::BadDate)?;
                return Ok(Some(DateMatch {
                    first: n - 3,
                    end: last_end,
                    date,
                }));
            }
        }
    }

    // ISO form: <size> YYYY-MM-DD HH:MM[:SS[.frac]] [+HHMM]
    if n >= 4 && size_like(n - 3) {
        if let Some((y, mo, d)) = parse_iso_date(text(n - 2)) {
            let (clock, frac) = split_frac(text(n - 1));
            if let Some((h, m, s)) = parse_clock(clock, true) {
                let mut date = DateTime::new(y, mo, d, h, m, s).ok_or(Reason::BadDate)?;
                if let Some(frac) = frac {
                    date = date.with_nanos(frac).ok_or(Reason::BadDate)?;
                }
                let mut end = last_end;
                // full-iso adds a UTC offset: apply it, and the name starts after it.
                if let Some(tz) = next_token(line, end) {
                    if let Some(offset) = line.get(tz.0..tz.1).and_then(parse_offset) {
                        date = date.saturating_add_secs(-offset);
                        end = tz.1;
                    }
                }
                return Ok(Some(DateMatch {
                    first: n - 2,
                    end,
                    date,
                }));
            }
        }
    }
    Ok(None)
}

/// A day of the month, `1..=31`, one or two digits.
fn parse_day(s: &[u8]) -> Option<u8> {
    if s.is_empty() || s.len() > 2 {
        return None;
    }
    let d = u8::try_from(parse_u32(s)?).ok()?;
    (1..=31).contains(&d).then_some(d)
}

/// `YYYY-MM-DD`.
fn parse_iso_date(s: &[u8]) -> Option<(u16, u8, u8)> {
    if s.len() != 10 || s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let y = u16::try_from(parse_u32(s.get(0..4)?)?).ok()?;
    let m = u8::try_from(parse_u32(s.get(5..7)?)?).ok()?;
    let d = u8::try_from(parse_u32(s.get(8..10)?)?).ok()?;
    Some((y, m, d))
}

/// Splits `12:30:00.123456789` into the clock and its fraction in nanoseconds.
fn split_frac(s: &[u8]) -> (&[u8], Option<u32>) {
    let Some(dot) = memchr::memchr(b'.', s) else {
        return (s, None);
    };
    let clock = s.get(..dot).unwrap_or_default();
    let digits = s.get(dot + 1..).unwrap_or_default();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        // Not a fraction: let the clock check reject the whole token.
        return (s, None);
    }
    let mut nanos = 0u32;
    let mut scale = 100_000_000u32;
    for &b in digits.iter().take(9) {
        nanos += u32::from(b - b'0') * scale;
        scale /= 10;
    }
    (clock, Some(nanos))
}

/// `+HHMM` / `-HHMM` into seconds east of UTC.
fn parse_offset(s: &[u8]) -> Option<i64> {
    let (&sign, digits) = s.split_first()?;
    if digits.len() != 4 || !matches!(sign, b'+' | b'-') {
        return None;
    }
    let h = i64::from(parse_u32(digits.get(..2)?)?);
    let m = i64::from(parse_u32(digits.get(2..)?)?);
    if h > 23 || m > 59 {
        return None;
    }
    let secs = h * 3600 + m * 60;
    Some(if sign == b'-' { -secs } else { secs })
}

/// The year of a year-less date: the latest year (from `now`'s down) in which the date
/// exists and is at most six months after `now`.
fn resolve_yearless(month: u8, day: u8, hour: u8, minute: u8, now: DateTime) -> Option<DateTime> {
    let limit = now.to_unix() + SIX_MONTHS;
    // Eight years back always reaches a leap year, for Feb 29.
    (0..=8u16).find_map(|back| {
        let year = now.year().checked_sub(back)?;
        DateTime::new(year, month, day, hour, minute, 0).filter(|t| t.to_unix() <= limit)
    })
}

fn lossy(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

fn write_perms(out: &mut Vec<u8>, mode: u32) {
    let bit = |b: u32| mode & b != 0;
    for (shift, special, set_x, set_nox) in [
        (6, 0o4000, b's', b'S'),
        (3, 0o2000, b's', b'S'),
        (0, 0o1000, b't', b'T'),
    ] {
        out.push(if bit(4 << shift) { b'r' } else { b'-' });
        out.push(if bit(2 << shift) { b'w' } else { b'-' });
        out.push(match (bit(1 << shift), bit(special)) {
            (true, true) => set_x,
            (false, true) => set_nox,
            (true, false) => b'x',
            (false, false) => b'-',
        });
    }
}

/// An owner or group column: left-aligned to 8, one token, never empty.
fn write_name_col(out: &mut Vec<u8>, name: Option<&str>) {
    let name = name.filter(|n| !n.is_empty()).unwrap_or("ftp");
    let start = out.len();
    for ch in name.chars() {
        if ch.is_whitespace() || ch.is_control() {
            out.push(b'_');
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
    }
    let width = name.chars().count();
    for _ in width..8 {
        out.push(b' ');
    }
    debug_assert!(out.len() > start);
}

fn num(v: u64) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn pad_left(out: &mut Vec<u8>, s: &[u8], width: usize) {
    for _ in s.len()..width {
        out.push(b' ');
    }
    out.extend_from_slice(s);
}
