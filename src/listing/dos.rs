//! MS-DOS / IIS `dir`-style lines, as IIS, Windows NT/2000 FTP and some NAS servers send.

use super::{
    Entry, Format, Kind, ParseError, Reason, is_blank, next_token, parse_clock, parse_u32,
    trim_line_end,
};
use crate::time::DateTime;

/// Parses one MS-DOS/IIS listing line:
///
/// `06-07-22  12:55PM       <DIR>          dirname` or
/// `10/03/2018  02:58 PM           1,234,567 file name.txt`.
///
/// The date is `MM-DD-YY`, `MM-DD-YYYY`, `MM/DD/YYYY` (one-digit month and day too) or
/// `YYYY-MM-DD`; a two-digit year `70..=99` is 19xx, others 20xx. The time is 12-hour
/// with `AM`/`PM` attached or as its own word, or 24-hour (`14:58`, `14:58:07`). Then
/// comes `<DIR>` (a directory), `<JUNCTION>`/`<SYMLINK>`/`<SYMLINKD>` (a link), or the
/// size, with or without thousands commas. The name is the rest of the line after the
/// blanks that follow that column; spaces inside it are kept. `now` is not used (these
/// dates carry their year); it is there so every parser shares [`super::ParserFn`].
///
/// ```
/// use sansftp::listing::{parse_dos, Kind};
/// use sansftp::time::DateTime;
///
/// let e = parse_dos(b"10-03-2018  02:58PM             1,234,567 a  b.txt", DateTime::UNIX_EPOCH)
///     .unwrap()
///     .unwrap();
/// assert_eq!((e.name.as_slice(), e.kind, e.size), (&b"a  b.txt"[..], Kind::File, Some(1234567)));
/// assert_eq!(e.modified, DateTime::new(2018, 10, 3, 14, 58, 0));
/// ```
pub fn parse_dos(line: &[u8], _now: DateTime) -> Result<Option<Entry>, ParseError> {
    let line = trim_line_end(line);
    if is_blank(line) {
        return Ok(None);
    }
    let err = |reason| ParseError::new(Format::Dos, reason, line);
    let text = |t: (usize, usize)| line.get(t.0..t.1).unwrap_or_default();

    let date_tok = next_token(line, 0).ok_or_else(|| err(Reason::BadDate))?;
    let (year, month, day) = parse_date(text(date_tok)).ok_or_else(|| err(Reason::BadDate))?;

    let time_tok = next_token(line, date_tok.1).ok_or_else(|| err(Reason::BadDate))?;
    let mut pos = time_tok.1;
    let (clock, mut meridiem) = split_meridiem(text(time_tok));
    if meridiem.is_none() {
        if let Some(tok) = next_token(line, pos) {
            if let (b"", Some(m)) = split_meridiem(text(tok)) {
                meridiem = Some(m);
                pos = tok.1;
            }
        }
    }
    let (mut hour, minute, second) =
        parse_clock(clock, true).ok_or_else(|| err(Reason::BadDate))?;
    if let Some(pm) = meridiem {
        if !(1..=12).contains(&hour) {
            return Err(err(Reason::BadDate));
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    let modified = DateTime::new(year, month, day, hour, minute, second)
        .ok_or_else(|| err(Reason::BadDate))?;

    let col = next_token(line, pos).ok_or_else(|| err(Reason::MissingField))?;
    let col_text = text(col);
    let (kind, size) = if col_text.eq_ignore_ascii_case(b"<DIR>") {
        (Kind::Dir, None)
    } else if [&b"<JUNCTION>"[..], b"<SYMLINK>", b"<SYMLINKD>"]
        .iter()
        .any(|t| col_text.eq_ignore_ascii_case(t))
    {
        (Kind::Link, None)
    } else {
        let size = parse_grouped(col_text).ok_or_else(|| err(Reason::BadNumber))?;
        (Kind::File, Some(size))
    };

    let name_start = next_token(line, col.1)
        .ok_or_else(|| err(Reason::MissingName))?
        .0;
    let name = line.get(name_start..).unwrap_or_default();
    let mut entry = Entry::new(name, kind);
    entry.size = size;
    entry.modified = Some(modified);
    Ok(Some(entry))
}

/// `MM-DD-YY`, `MM-DD-YYYY`, `MM/DD/YYYY`, `YYYY-MM-DD` into (year, month, day).
fn parse_date(s: &[u8]) -> Option<(u16, u8, u8)> {
    let sep = *s.iter().find(|b| !b.is_ascii_digit())?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    let mut parts = s.split(|&b| b == sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let small = |p: &[u8]| -> Option<u8> {
        (1..=2).contains(&p.len()).then_some(())?;
        u8::try_from(parse_u32(p)?).ok()
    };
    let (year, month, day) = if a.len() == 4 {
        (parse_u32(a)?, small(b)?, small(c)?)
    } else {
        let y = parse_u32(c)?;
        let year = match c.len() {
            2 if y >= 70 => 1900 + y,
            2 => 2000 + y,
            4 => y,
            _ => return None,
        };
        (year, small(a)?, small(b)?)
    };
    let year = u16::try_from(year).ok()?;
    DateTime::date(year, month, day).map(|_| (year, month, day))
}

/// Splits `02:58PM` into the clock and `Some(true)` for PM, `Some(false)` for AM.
fn split_meridiem(s: &[u8]) -> (&[u8], Option<bool>) {
    match s.len().checked_sub(2).and_then(|i| s.split_at_checked(i)) {
        Some((clock, m)) if m.eq_ignore_ascii_case(b"AM") => (clock, Some(false)),
        Some((clock, m)) if m.eq_ignore_ascii_case(b"PM") => (clock, Some(true)),
        _ => (s, None),
    }
}

/// Digits with optional thousands commas (`1,234,567`), refusing overflow.
fn parse_grouped(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b',') || s.last() == Some(&b',') || !s.iter().any(u8::is_ascii_digit) {
        return None;
    }
    s.iter().filter(|&&b| b != b',').try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}
