use super::*;
use proptest::prelude::*;

fn at(y: u16, mo: u8, d: u8, h: u8, mi: u8) -> DateTime {
    DateTime::new(y, mo, d, h, mi, 0).unwrap()
}

fn unix(line: &str, now: DateTime) -> Entry {
    parse_unix(line.as_bytes(), now).unwrap().unwrap()
}

#[test]
fn six_month_rule_for_yearless_dates() {
    let line = |date: &str| format!("-rw-r--r-- 1 u g 1 {date} f");
    let cases = [
        // (now, listed, expected)
        (
            at(2024, 1, 15, 0, 0),
            "Dec 24 09:00",
            at(2023, 12, 24, 9, 0),
        ),
        (at(2024, 1, 15, 0, 0), "Jan 15 00:00", at(2024, 1, 15, 0, 0)),
        // Clock skew: a few days ahead stays in this year.
        (
            at(2024, 5, 10, 0, 0),
            "May 12 10:00",
            at(2024, 5, 12, 10, 0),
        ),
        (
            at(2023, 12, 30, 0, 0),
            "Dec 31 23:59",
            at(2023, 12, 31, 23, 59),
        ),
        // Up to six months ahead stays; beyond goes a year back.
        (at(2024, 1, 1, 0, 0), "Jun 30 12:00", at(2024, 6, 30, 12, 0)),
        (at(2024, 1, 1, 0, 0), "Jul 05 12:00", at(2023, 7, 5, 12, 0)),
        // Feb 29: the latest leap year that fits the rule.
        (at(2025, 3, 1, 0, 0), "Feb 29 08:00", at(2024, 2, 29, 8, 0)),
        (at(2023, 3, 1, 0, 0), "Feb 29 08:00", at(2020, 2, 29, 8, 0)),
        (
            at(2024, 2, 29, 12, 0),
            "Feb 29 08:00",
            at(2024, 2, 29, 8, 0),
        ),
        // Never a later year than now's, even when it would be nearer.
        (at(2023, 12, 1, 0, 0), "Feb 29 08:00", at(2020, 2, 29, 8, 0)),
    ];
    for (now, listed, want) in cases {
        assert_eq!(
            unix(&line(listed), now).modified,
            Some(want),
            "{listed} at {now}"
        );
    }
}

#[test]
fn unix_columns() {
    let now = at(2024, 5, 10, 0, 0);
    let e = unix("-rw-r--r--   1 1000     1000     42 Jan 1 2018 n", now);
    assert_eq!(
        (e.links, e.owner.as_deref(), e.group.as_deref()),
        (Some(1), Some("1000"), Some("1000"))
    );
    let e = unix("-rw-r--r--  1 pi  512 Jan  1  2018 n", now);
    assert_eq!(
        (e.links, e.owner.as_deref(), e.group.as_deref()),
        (Some(1), Some("pi"), None)
    );
    let e = unix("-rw-r--r--  owner group  512 Jan  1  2018 n", now);
    assert_eq!(
        (e.links, e.owner.as_deref(), e.group.as_deref()),
        (None, Some("owner"), Some("group"))
    );
    let e = unix("-rwx------+ 1 user Domain  Users 1234 Feb  3 04:05 w", now);
    assert_eq!(e.group.as_deref(), Some("Domain  Users"));
    let e = unix("crw-rw-rw- 1 root root 1,3 Jan 1 2018 null", now);
    assert_eq!(e.device, Some((1, 3)));
    let e = unix("crw--w----   1 root tty     136,   0 May  9 10:00 0", now);
    assert_eq!((e.device, e.name.as_slice()), (Some((136, 0)), &b"0"[..]));
    // A name that itself looks like a date stays whole.
    let e = unix("-rw-r--r-- 1 u g 1 Jan 1 2018 Feb 2 2019 x", now);
    assert_eq!(e.name, b"Feb 2 2019 x");
    // Non-links keep " -> " in their name.
    let e = unix("-rw-r--r-- 1 u g 1 Jan 1 2018 a -> b", now);
    assert_eq!((e.name.as_slice(), e.link_target), (&b"a -> b"[..], None));
    // Solaris mandatory locking.
    assert_eq!(
        unix("-rw-r-lr-- 1 u g 1 Jan 1 2018 l", now).mode,
        Some(0o2644)
    );
    // Non-UTF-8 names are kept as bytes.
    let e = parse_unix(b"-rw-r--r-- 1 u g 1 Jan 1 2018 caf\xe9", now)
        .unwrap()
        .unwrap();
    assert_eq!(e.name, b"caf\xe9");
    assert_eq!(e.name_str(), "caf\u{fffd}");
}

#[test]
fn unix_errors() {
    let now = at(2024, 5, 10, 0, 0);
    let reason = |line: &str| parse_unix(line.as_bytes(), now).unwrap_err().reason;
    assert_eq!(reason("-rwxq-xr-x 1 u g 1 Jan 1 2018 x"), Reason::BadMode);
    assert_eq!(reason("-rwxr-xr-s 1 u g 1 Jan 1 2018 x"), Reason::BadMode);
    assert_eq!(reason("-rwxr-xr-x"), Reason::MissingField);
    assert_eq!(reason("-rwxr-xr-xx 1 u g 1 Jan 1 2018 x"), Reason::BadMode);
    assert_eq!(reason("-rwxr-xr-x 1 u g 1 Jan 1 2018"), Reason::MissingName);
    assert_eq!(
        reason("-rwxr-xr-x 1 u g 1 Jan 1 2018 "),
        Reason::MissingName
    );
    assert_eq!(reason("-rwxr-xr-x 1 u g 1 Feb 30 2018 x"), Reason::BadDate);
    assert_eq!(reason("-rwxr-xr-x 1 u g 1 Jan 1 25:00 x"), Reason::BadDate);
    assert_eq!(
        reason("-rwxr-xr-x 1 u g 18446744073709551616 Jan 1 2018 x"),
        Reason::BadNumber
    );
    assert_eq!(
        reason("crw-rw-rw- 1 u g 99999999999, 3 Jan 1 2018 x"),
        Reason::BadNumber
    );
    assert_eq!(
        reason("lrwxrwxrwx 1 u g 1 Jan 1 2018  -> x"),
        Reason::MissingName
    );
    assert_eq!(
        reason(&format!("-rwxr-xr-x{}", " 1".repeat(40))),
        Reason::BadDate
    );
}

#[test]
fn dos_variants() {
    let now = DateTime::UNIX_EPOCH;
    let dos = |l: &str| parse_dos(l.as_bytes(), now).unwrap().unwrap();
    assert_eq!(
        dos("12-31-99  12:00PM  <dir>  noon").modified,
        Some(at(1999, 12, 31, 12, 0))
    );
    assert_eq!(
        dos("12-31-69  12:00AM  <DIR>  m").modified,
        Some(at(2069, 12, 31, 0, 0))
    );
    assert_eq!(
        dos("1/2/2024 7:05:09 am 5 x").modified,
        DateTime::new(2024, 1, 2, 7, 5, 9)
    );
    assert_eq!(
        dos("01-02-2024  23:59  <JUNCTION>  Documents and Settings").kind,
        Kind::Link
    );
    let reason = |l: &str| parse_dos(l.as_bytes(), now).unwrap_err().reason;
    assert_eq!(reason("13-01-2024  10:00AM  5 x"), Reason::BadDate);
    assert_eq!(reason("01-01-2024  13:00PM  5 x"), Reason::BadDate);
    assert_eq!(reason("01-01-2024  10:00AM  1,,2x x"), Reason::BadNumber);
    assert_eq!(reason("01-01-2024  10:00AM  ,5 x"), Reason::BadNumber);
    assert_eq!(reason("01-01-2024  10:00AM  <DIR>   "), Reason::MissingName);
    assert_eq!(reason("01-01-2024"), Reason::BadDate);
    assert_eq!(reason("01-01-2024  10:00AM"), Reason::MissingField);
}

#[test]
fn mlsx_facts() {
    let now = DateTime::UNIX_EPOCH;
    let e = parse_mlsx(
        b"type=OS.unix=chr-1/3;UNIX.owner=0;UNIX.ownername=root;unix.uid=0;unique=a; null\r\n",
        now,
    )
    .unwrap()
    .unwrap();
    assert_eq!((e.kind, e.device), (Kind::CharDevice, Some((1, 3))));
    assert_eq!(e.owner.as_deref(), Some("root"));
    let keys: Vec<_> = e.facts.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        ["type", "unix.owner", "unix.ownername", "unix.uid", "unique"]
    );
    assert_eq!(e.facts.get("TYPE"), Some(&b"OS.unix=chr-1/3"[..]));
    assert!(e.is_self_or_parent() == false);
    let kind = |l: &str| parse_mlsx(l.as_bytes(), now).unwrap().unwrap().kind;
    assert_eq!(kind("type=OS.unix=fifo; p"), Kind::Pipe);
    assert_eq!(kind("TYPE=CDIR; /x"), Kind::CurrentDir);
    assert_eq!(kind("type=unknown; u"), Kind::Other);
    assert_eq!(kind("size=1; u"), Kind::Other);
    assert!(Kind::CurrentDir.is_dir() && Kind::ParentDir.is_dir());
    let reason = |l: &str| parse_mlsx(l.as_bytes(), now).unwrap_err().reason;
    assert_eq!(reason("type=file;size=x; f"), Reason::BadFact("size"));
    assert_eq!(
        reason("type=file;modify=2024; f"),
        Reason::BadFact("modify")
    );
    assert_eq!(reason("unix.mode=0999; f"), Reason::BadFact("unix.mode"));
    assert_eq!(reason("type=file;oops; f"), Reason::MalformedFacts);
    assert_eq!(reason("=x; f"), Reason::MalformedFacts);
    assert_eq!(reason("type=file;"), Reason::MissingName);
    assert_eq!(reason("type=file; "), Reason::MissingName);
}

#[test]
fn eplf_errors() {
    let now = DateTime::UNIX_EPOCH;
    let reason = |l: &[u8]| parse_eplf(l, now).unwrap_err().reason;
    assert_eq!(reason(b"+r,s1,"), Reason::MissingName);
    assert_eq!(reason(b"+r,sx,\tn"), Reason::BadFact("s"));
    assert_eq!(
        reason(b"+r,m99999999999999999999,\tn"),
        Reason::BadFact("m")
    );
    assert_eq!(reason(b"+r,up9,\tn"), Reason::BadFact("up"));
    let e = parse_eplf(b"+up755,/,\td", now).unwrap().unwrap();
    assert_eq!((e.kind, e.mode), (Kind::Dir, Some(0o755)));
}

#[test]
fn parse_error_display_is_bounded() {
    let long = format!("-rw-r--r-- 1 u g x Jan 1 2018 {}\u{7}", "n".repeat(500));
    let err = parse_line(long.as_bytes(), DateTime::UNIX_EPOCH).unwrap_err();
    assert_eq!(err.snippet.chars().count(), ParseError::SNIPPET_LEN + 1);
    assert!(err.snippet.ends_with('…'));
    let shown = err.to_string();
    assert!(shown.len() < 200 && !shown.contains('\n'), "{shown}");
    let ctl = parse_line(b"??? \x1b[31m\"red\"", DateTime::UNIX_EPOCH).unwrap_err();
    assert_eq!(
        ctl.to_string(),
        "unrecognised listing line: no known listing format: \"??? \\u{1b}[31m\\\"red\\\"\""
    );
}

#[test]
fn formatters_refuse_unrepresentable_entries() {
    let now = DateTime::UNIX_EPOCH;
    let mut out = b"kept".to_vec();
    for (e, want) in [
        (Entry::file("", 1), FormatError::EmptyName),
        (Entry::file("a\nb", 1), FormatError::LineBreakInName),
        (Entry::file("a\rb", 1), FormatError::LineBreakInName),
        (Entry::file("a\0b", 1), FormatError::LineBreakInName),
        (Entry::link("a -> b", "c"), FormatError::ArrowInLinkName),
        (Entry::link("a ->", "c"), FormatError::ArrowInLinkName),
        (Entry::link("a", "c\nd"), FormatError::LineBreakInName),
    ] {
        assert_eq!(format_unix(&e, now, &mut out), Err(want));
        if want != FormatError::ArrowInLinkName && e.name != b"a" {
            assert_eq!(format_mlsx(&e, FactSet::ALL, &mut out), Err(want));
        }
    }
    let bare = Entry::new("x=y; z", Kind::Other);
    assert_eq!(
        format_mlsx(&bare, FactSet::ALL, &mut out),
        Err(FormatError::AmbiguousName)
    );
    assert_eq!(out, b"kept");
    // A link name ending in " ->" is fine without a target.
    format_unix(&Entry::new("a ->", Kind::Link), now, &mut out).unwrap();
}

#[test]
fn format_unix_layout() {
    let now = at(2024, 5, 10, 0, 0);
    let mut out = Vec::new();
    let e = Entry::dir("old")
        .with_modified(at(2018, 1, 5, 3, 4))
        .with_links(2);
    format_unix(&e, now, &mut out).unwrap();
    assert_eq!(
        out,
        b"drwxr-xr-x    2 ftp      ftp             0 Jan 05  2018 old"
    );
    out.clear();
    let mut dev = Entry::new("null", Kind::CharDevice)
        .with_mode(0o666)
        .with_owner("root");
    dev.device = Some((1, 3));
    format_unix(&dev, now, &mut out).unwrap();
    assert_eq!(
        out,
        b"crw-rw-rw-    1 root     ftp          1, 3 Jan 01  1970 null"
    );
    out.clear();
    let odd = Entry::file("f", 1)
        .with_mode(0o7000)
        .with_owner("Domain Users")
        .with_group("");
    format_unix(&odd, now, &mut out).unwrap();
    assert_eq!(
        out,
        b"---S--S--T    1 Domain_Users ftp             1 Jan 01  1970 f"
    );
}

#[test]
fn fact_set_opts() {
    assert_eq!(FactSet::from_opts(b""), FactSet::NONE);
    assert_eq!(
        FactSet::from_opts(b"TYPE;unix.MODE"),
        FactSet::TYPE | FactSet::UNIX_MODE
    );
    let mut out = Vec::new();
    (FactSet::TYPE | FactSet::SIZE).write_opts(&mut out);
    assert_eq!(out, b"type;size;");
    assert_eq!(FactSet::default(), FactSet::DEFAULT);
    let mut some = FactSet::NONE;
    some |= FactSet::PERM;
    let e = {
        let mut e = Entry::file("f", 1);
        e.facts.push("perm", b"r").unwrap();
        e
    };
    out.clear();
    format_mlsx(&e, some, &mut out).unwrap();
    assert_eq!(out, b"perm=r; f");
}

/// Names a line can carry: no CR, LF or NUL, not empty.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..40),
        "[ a-zA-Z0-9._;=>-]{1,20}".prop_map(String::into_bytes),
    ]
    .prop_map(|mut v| {
        v.retain(|b| !matches!(b, b'\r' | b'\n' | 0));
        if v.is_empty() {
            v.push(b'x');
        }
        v
    })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![
        Kind::File,
        Kind::Dir,
        Kind::CurrentDir,
        Kind::ParentDir,
        Kind::Link,
        Kind::CharDevice,
        Kind::BlockDevice,
        Kind::Pipe,
        Kind::Socket,
        Kind::Other,
    ])
}

fn datetime() -> impl Strategy<Value = DateTime> {
    // 1970 .. 2100, with sub-second parts.
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, n)| DateTime::from_unix_nanos(s, n).unwrap())
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        (name(), kind(), any::<u64>(), 0u32..0o10000, datetime()),
        (
            any::<u64>(),
            "[^\r\n]{0,10}",
            "[^\r\n]{0,10}",
            name(),
            any::<(u32, u32)>(),
        ),
        any::<bool>(),
    )
        .prop_map(
            |((name, kind, size, mode, modified), (links, owner, group, target, dev), opt)| {
                let mut e = Entry::new(name, kind)
                    .with_mode(mode)
                    .with_modified(modified)
                    .with_links(links)
                    .with_owner(owner)
                    .with_group(group);
                match kind {
                    Kind::CharDevice | Kind::BlockDevice if opt => e.device = Some(dev),
                    Kind::Link if opt => e.link_target = Some(target),
                    _ => e.size = Some(size),
                }
                e
            },
        )
}

proptest! {
    #[test]
    fn unix_format_parse_round_trip(e in entry(), now in datetime()) {
        let mut out = Vec::new();
        match format_unix(&e, now, &mut out) {
            Err(FormatError::ArrowInLinkName) => {
                prop_assert!(e.kind == Kind::Link);
                return Ok(());
            }
            Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
            Ok(()) => {}
        }
        let back = parse_line(&out, now).unwrap().unwrap();
        let shown = String::from_utf8_lossy(&out);
        let want_kind = if e.kind.is_dir() { Kind::Dir } else { e.kind };
        prop_assert_eq!(&back.name, &e.name, "{}", shown);
        prop_assert_eq!(back.kind, want_kind);
        prop_assert_eq!(back.size, if e.device.is_some() { None } else { Some(e.size.unwrap_or(0)) });
        prop_assert_eq!(back.device, e.device);
        prop_assert_eq!(back.mode, e.mode);
        prop_assert_eq!(back.links, e.links);
        prop_assert_eq!(&back.link_target, &e.link_target);
        let t = e.modified.unwrap();
        let age = now.to_unix() - t.to_unix();
        let want = if (0..=182 * 86_400).contains(&age) {
            DateTime::new(t.year(), t.month(), t.day(), t.hour(), t.minute(), 0)
        } else {
            DateTime::date(t.year(), t.month(), t.day())
        };
        prop_assert_eq!(back.modified, want, "{}", shown);
    }

    #[test]
    fn mlsx_format_parse_round_trip(e in entry(), select in 0u16..256) {
        let select = FactSet::from_opts(b"")
            | if select & 1 != 0 { FactSet::TYPE } else { FactSet::NONE }
            | if select & 2 != 0 { FactSet::SIZE } else { FactSet::NONE }
            | if select & 4 != 0 { FactSet::MODIFY } else { FactSet::NONE }
            | if select & 8 != 0 { FactSet::UNIX_MODE } else { FactSet::NONE }
            | if select & 16 != 0 { FactSet::UNIX_OWNER } else { FactSet::NONE };
        let mut out = Vec::new();
        if let Err(err) = format_mlsx(&e, select, &mut out) {
            prop_assert_eq!(err, FormatError::AmbiguousName);
            return Ok(());
        }
        let back = parse_mlsx(&out, DateTime::UNIX_EPOCH).unwrap().unwrap();
        prop_assert_eq!(&back.name, &e.name);
        if select.contains(FactSet::TYPE) {
            prop_assert_eq!(back.kind, e.kind);
            if e.link_target.as_deref().is_some_and(|t| !t.is_empty() && entry::is_fact_value(t)) {
                prop_assert_eq!(&back.link_target, &e.link_target);
            }
            prop_assert_eq!(back.device, e.device);
        }
        if select.contains(FactSet::SIZE) {
            prop_assert_eq!(back.size, e.size);
        }
        if select.contains(FactSet::MODIFY) {
            prop_assert_eq!(back.modified, e.modified);
        }
        if select.contains(FactSet::UNIX_MODE) {
            prop_assert_eq!(back.mode, e.mode);
        }
        let owner_ok = e.owner.as_deref().is_some_and(|o| !o.is_empty() && entry::is_fact_value(o.as_bytes()));
        if select.contains(FactSet::UNIX_OWNER) && owner_ok {
            prop_assert_eq!(&back.owner, &e.owner);
        }
    }

    #[test]
    fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..120), now in datetime()) {
        let _ = parse_line(&line, now);
        let _ = parse_unix(&line, now);
        let _ = parse_dos(&line, now);
        let _ = parse_mlsx(&line, now);
        let _ = parse_eplf(&line, now);
        let _ = parse_listing(&line, now).count();
    }

    #[test]
    fn shaped_lines_never_panic(
        mode in "[-dlcbps?][rwxsStTl-]{9}[+.@ ]?",
        cols in proptest::collection::vec("[0-9a-zA-Z,:-]{0,6}", 0..9),
        rest in "[ a-zA-Z0-9>-]{0,12}",
        now in datetime(),
    ) {
        let line = format!("{mode} {} {rest}", cols.join(" "));
        let _ = parse_line(line.as_bytes(), now);
    }
}
