//! EPLF, D. J. Bernstein's Easily Parsed LIST Format (publicfile, some embedded
//! servers): `+` facts separated by `,`, a TAB, then the name.

use super::{Entry, Format, Kind, ParseError, Reason, is_blank, parse_u64, trim_line_end};
use crate::time::DateTime;

/// Parses one EPLF line, `+i8388621.48594,m825718503,r,s280,\tdjb.html`.
///
/// Facts: `/` (a directory: may be listed), `r` (a file: may be retrieved), `s<size>`,
/// `m<unix seconds>` (UTC), `up<octal mode>`; others (`i` identity) are ignored. An entry
/// with neither `/` nor `r` is [`Kind::Other`].
///
/// ```
/// use sansftp::listing::{parse_eplf, Kind};
/// use sansftp::time::DateTime;
///
/// let e = parse_eplf(b"+i8388621.48594,m825718503,r,s280,\tdjb.html", DateTime::UNIX_EPOCH)
///     .unwrap()
///     .unwrap();
/// assert_eq!((e.name.as_slice(), e.kind, e.size), (&b"djb.html"[..], Kind::File, Some(280)));
/// assert_eq!(e.modified, DateTime::from_unix(825718503));
/// ```
pub fn parse_eplf(line: &[u8], _now: DateTime) -> Result<Option<Entry>, ParseError> {
    let line = trim_line_end(line);
    if is_blank(line) {
        return Ok(None);
    }
    let err = |reason| ParseError::new(Format::Eplf, reason, line);
    let body = line
        .strip_prefix(b"+")
        .ok_or_else(|| err(Reason::UnknownFormat))?;
    let tab = memchr::memchr(b'\t', body).ok_or_else(|| err(Reason::MissingName))?;
    let facts = body.get(..tab).unwrap_or_default();
    let name = body.get(tab + 1..).unwrap_or_default();
    if name.is_empty() {
        return Err(err(Reason::MissingName));
    }

    let mut entry = Entry::new(name, Kind::Other);
    let (mut dir, mut file) = (false, false);
    for fact in facts.split(|&b| b == b',') {
        match fact {
            [b'/'] => dir = true,
            [b'r'] => file = true,
            [b's', size @ ..] => {
                entry.size = Some(parse_u64(size).ok_or_else(|| err(Reason::BadFact("s")))?);
            }
            [b'm', secs @ ..] => {
                let t = parse_u64(secs)
                    .and_then(|s| i64::try_from(s).ok())
                    .and_then(DateTime::from_unix);
                entry.modified = Some(t.ok_or_else(|| err(Reason::BadFact("m")))?);
            }
            [b'u', b'p', mode @ ..] => {
                let m = mode.iter().try_fold(0u32, |acc, &b| {
                    (b'0'..=b'7')
                        .contains(&b)
                        .then_some(())
                        .and_then(|_| acc.checked_mul(8)?.checked_add(u32::from(b - b'0')))
                });
                entry.mode = Some(
                    m.filter(|_| !mode.is_empty())
                        .ok_or_else(|| err(Reason::BadFact("up")))?
                        & 0o7777,
                );
            }
            _ => {}
        }
    }
    entry.kind = if dir {
        Kind::Dir
    } else if file {
        Kind::File
    } else {
        Kind::Other
    };
    Ok(Some(entry))
}
