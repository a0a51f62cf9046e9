//! Fuzz entry point for the listing parsers and formatters.

use crate::listing::{
    Entry, FactSet, Kind, ParserFn, detect, format_mlsx, format_unix, parse_dos, parse_eplf,
    parse_line, parse_listing, parse_mlsx, parse_unix,
};
use crate::time::DateTime;

/// Picks `now` from the first 4 bytes (seconds since 1970, so 1970..2106), then runs
/// every listing parser over the rest, line by line and as a whole body. Every entry
/// parsed is formatted as an `ls -l` line and as an MLSx line and parsed back; where the
/// formatter accepts the entry, name, kind and size must survive. Panics only when that
/// round trip breaks.
pub fn listing(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(4));
    let mut secs = [0u8; 4];
    for (dst, src) in secs.iter_mut().zip(head) {
        *dst = *src;
    }
    // Every u32 second count is within DateTime's range (years 1970..2106).
    let now =
        DateTime::from_unix(i64::from(u32::from_le_bytes(secs))).unwrap_or(DateTime::UNIX_EPOCH);

    for entry in parse_listing(body, now).flatten() {
        round_trip(&entry, now);
    }
    let parsers: [ParserFn; 5] = [parse_line, parse_unix, parse_dos, parse_mlsx, parse_eplf];
    for line in body.split(|&b| b == b'\n') {
        let _ = detect(line);
        for parser in parsers {
            if let Ok(Some(entry)) = parser(line, now) {
                round_trip(&entry, now);
            }
        }
    }
}

fn round_trip(entry: &Entry, now: DateTime) {
    let mut line = Vec::new();
    if format_unix(entry, now, &mut line).is_ok() {
        let back = match parse_line(&line, now) {
            Ok(Some(back)) => back,
            other => panic!(
                "ls line {:?} of {entry:?} reparsed as {other:?}",
                String::from_utf8_lossy(&line)
            ),
        };
        let device =
            matches!(entry.kind, Kind::CharDevice | Kind::BlockDevice) && entry.device.is_some();
        let size = if device {
            None
        } else {
            Some(entry.size.unwrap_or(0))
        };
        let kind = if entry.kind.is_dir() {
            Kind::Dir
        } else {
            entry.kind
        };
        assert_eq!(
            back.name,
            entry.name,
            "ls name of {:?}",
            String::from_utf8_lossy(&line)
        );
        assert_eq!(
            back.kind,
            kind,
            "ls kind of {:?}",
            String::from_utf8_lossy(&line)
        );
        assert_eq!(
            back.size,
            size,
            "ls size of {:?}",
            String::from_utf8_lossy(&line)
        );
    }

    line.clear();
    if format_mlsx(entry, FactSet::ALL, &mut line).is_ok() {
        let back = match parse_mlsx(&line, now) {
            Ok(Some(back)) => back,
            other => panic!(
                "MLSx line {:?} of {entry:?} reparsed as {other:?}",
                String::from_utf8_lossy(&line)
            ),
        };
        assert_eq!(
            back.name,
            entry.name,
            "MLSx name of {:?}",
            String::from_utf8_lossy(&line)
        );
        assert_eq!(
            back.kind,
            entry.kind,
            "MLSx kind of {:?}",
            String::from_utf8_lossy(&line)
        );
        assert_eq!(
            back.size,
            entry.size,
            "MLSx size of {:?}",
            String::from_utf8_lossy(&line)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_like_inputs() {
        listing(b"");
        listing(b"\x00\x00\x00\x60total 4\r\n-rw-r--r-- 1 a b 1 Jan 1 2018 x\r\n");
        listing(b"\xff\xff\xff\xff type=file;size=1; f\n 06-07-22  12:55PM  <DIR>  d\n+r,\tx");
        listing(b"\x00\x00\x00\x00crw-rw-rw- 1 root root 1, 3 Jan 1 2018 null");
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            listing(&data);
        }

        #[test]
        fn never_panics_on_shaped_lines(
            head in any::<[u8; 4]>(),
            lines in proptest::collection::vec(
                "([-dlcbps][rwxsStT-]{9}[+.]? {1,2}[0-9a-z,]{1,4}( [0-9a-zA-Z,:-]{1,5}){2,6} .{0,8})|([a-zA-Z.]{1,6}=[^ ;\r\n]{0,6};){0,3} .{0,8}|[0-9/-]{8,10}  [0-9:APM]{4,7} +[<>DIR0-9,]{1,6} .{0,6}",
                0..6,
            ),
        ) {
            let mut data = head.to_vec();
            data.extend_from_slice(lines.join("\r\n").as_bytes());
            listing(&data);
        }
    }
}
