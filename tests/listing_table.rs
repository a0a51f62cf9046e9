//! Real listing lines, as servers in the wild send them, each with what it must parse to.
//! Includes every line aioftp 0.28.3 was verified to fail on (research/aioftp.md §1.6).

use sansftp::listing::{FactSet, Format, Reason};
use sansftp::listing::{Kind, format_mlsx, format_unix, parse_line, parse_listing};
use sansftp::time::DateTime;

/// What a line must parse to. `date` is RFC 3339 (UTC); `None` fields are not checked
/// unless stated.
struct Row {
    server: &'static str,
    line: &'static str,
    name: &'static str,
    kind: Kind,
    size: Option<u64>,
    date: Option<&'static str>,
    target: Option<&'static str>,
    mode: Option<u32>,
}

const fn row(
    server: &'static str,
    line: &'static str,
    name: &'static str,
    kind: Kind,
    size: Option<u64>,
    date: Option<&'static str>,
) -> Row {
    Row {
        server,
        line,
        name,
        kind,
        size,
        date,
        target: None,
        mode: None,
    }
}

const fn target(r: Row, t: &'static str) -> Row {
    Row {
        target: Some(t),
        ..r
    }
}

const fn mode(r: Row, m: u32) -> Row {
    Row { mode: Some(m), ..r }
}

use Kind::*;

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // vsftpd (zero-padded day, numeric ids unless hide_ids).
    mode(row("vsftpd", "-rw-r--r--    1 ftp      ftp          1234 May 01 12:30 readme.txt", "readme.txt", File, Some(1234), Some("2024-05-01T12:30:00Z")), 0o644),
    row("vsftpd", "drwxr-xr-x    2 0        0            4096 Jan 05  2018 pub", "pub", Dir, Some(4096), Some("2018-01-05T00:00:00Z")),
    target(row("vsftpd", "lrwxrwxrwx    1 0        0               7 Mar 12  2020 bin -> usr/bin", "bin", Link, Some(7), Some("2020-03-12T00:00:00Z")), "usr/bin"),
    // Six-month rule: in May, a year-less December date is last December.
    row("vsftpd", "-rw-r--r--    1 ftp      ftp         65536 Dec 24 09:00 xmas.tar.gz", "xmas.tar.gz", File, Some(65536), Some("2023-12-24T09:00:00Z")),
    // proftpd LIST and MLSD.
    row("proftpd", "-rw-r--r--   1 ftpuser  ftpgroup      142 Apr 10 14:32 index.html", "index.html", File, Some(142), Some("2024-04-10T14:32:00Z")),
    row("proftpd", "drwxr-xr-x   3 ftpuser  ftpgroup     4096 Nov  2  2019 images", "images", Dir, Some(4096), Some("2019-11-02T00:00:00Z")),
    mode(row("proftpd", "modify=20191102101010;perm=flcdmpe;type=dir;unique=FD00U1E4A2;UNIX.group=1001;UNIX.groupname=ftpgroup;UNIX.mode=0755;UNIX.owner=1001;UNIX.ownername=ftpuser; images", "images", Dir, None, Some("2019-11-02T10:10:10Z")), 0o755),
    row("proftpd", "modify=20200101000000;perm=adfrw;size=142;type=file;unique=FD00U1E4A3;UNIX.group=1001;UNIX.mode=0644;UNIX.owner=1001; index.html", "index.html", File, Some(142), Some("2020-01-01T00:00:00Z")),
    row("proftpd", "modify=20240501000000;perm=flcdmpe;type=cdir;unique=FD00U2;UNIX.group=0;UNIX.mode=0755;UNIX.owner=0; .", ".", CurrentDir, None, Some("2024-05-01T00:00:00Z")),
    target(row("proftpd", "modify=20200101000000;perm=adfrw;size=8;type=OS.unix=slink:/var/www;unique=FD00U1E4A4;UNIX.mode=0777; www", "www", Link, Some(8), None), "/var/www"),
    row("proftpd", "modify=20200101000000;perm=adfrw;size=8;type=OS.unix=symlink;unique=FD00U1E4A5; link", "link", Link, Some(8), None),
    // pure-ftpd: wider columns, numeric ids; MLSD with UNIX.uid/gid.
    row("pure-ftpd", "-rw-r--r--    1 1000       1000              13 Feb 29 12:00 leap.txt", "leap.txt", File, Some(13), Some("2024-02-29T12:00:00Z")),
    row("pure-ftpd", "type=file;size=13;modify=20240229120000;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=1000;unique=803g6c1; leap.txt", "leap.txt", File, Some(13), Some("2024-02-29T12:00:00Z")),
    row("pure-ftpd", "type=pdir;sizd=4096;modify=20240101000000;UNIX.mode=0755;UNIX.uid=0;UNIX.gid=0;unique=803g2; ..", "..", ParentDir, Some(4096), Some("2024-01-01T00:00:00Z")),
    // FileZilla Server.
    row("FileZilla Server", "-rw-r--r-- 1 ftp ftp          51200 Apr 17 09:42 archive.zip", "archive.zip", File, Some(51200), Some("2024-04-17T09:42:00Z")),
    row("FileZilla Server", "drwxr-xr-x 1 ftp ftp              0 Sep 01  2021 My Documents", "My Documents", Dir, Some(0), Some("2021-09-01T00:00:00Z")),
    row("FileZilla Server", "type=file;size=51200;modify=20240417094200.123;perm=awrfd; archive.zip", "archive.zip", File, Some(51200), Some("2024-04-17T09:42:00.123Z")),
    // IIS default (2-digit year, aioftp failure) and 4-digit year (aioftp failure).
    row("IIS", "06-07-22  12:55PM       <DIR>          aspnet_client", "aspnet_client", Dir, None, Some("2022-06-07T12:55:00Z")),
    row("IIS", "10-03-2018  02:58PM                 1234 web.config", "web.config", File, Some(1234), Some("2018-10-03T14:58:00Z")),
    row("IIS", "01-15-99  08:05AM                 4096 old file.txt", "old file.txt", File, Some(4096), Some("1999-01-15T08:05:00Z")),
    row("IIS", "12-31-00  12:00AM       <DIR>          y2k", "y2k", Dir, None, Some("2000-12-31T00:00:00Z")),
    // Windows NT / 2000 / `dir` styles.
    row("Windows NT", "04-27-00  09:09PM                  1,234 readme.txt", "readme.txt", File, Some(1234), Some("2000-04-27T21:09:00Z")),
    row("Windows 2000", "10/3/2018   2:58 PM    <DIR>     Program Files", "Program Files", Dir, None, Some("2018-10-03T14:58:00Z")),
    row("Windows dir", "05/01/2024  12:30 PM         1,048,576 big  file.bin", "big  file.bin", File, Some(1_048_576), Some("2024-05-01T12:30:00Z")),
    row("Windows dir (ISO)", "2023-07-04  14:05    <DIR>          logs", "logs", Dir, None, Some("2023-07-04T14:05:00Z")),
    // busybox ftpd, and `ls -o` (no group column).
    row("busybox", "-rw-r--r--    1 0        0             1024 Jan  1  1970 config", "config", File, Some(1024), Some("1970-01-01T00:00:00Z")),
    row("busybox", "drwxr-xr-x    2 root     root             0 May  9 23:59 www", "www", Dir, Some(0), Some("2024-05-09T23:59:00Z")),
    row("ls -o", "-rw-r--r--  1 pi  512 Jan  1  2018 nogroup.txt", "nogroup.txt", File, Some(512), Some("2018-01-01T00:00:00Z")),
    // Synology / NAS, with ACL marker.
    row("Synology", "drwxrwxrwx   1 admin    users           0 Mar 15 10:20 photo", "photo", Dir, Some(0), Some("2024-03-15T10:20:00Z")),
    row("Synology", "-rwxrwxrwx+  1 admin    users     1048576 Dec 25  2020 backup.tar", "backup.tar", File, Some(1_048_576), Some("2020-12-25T00:00:00Z")),
    // aioftp's verified failures (unix side).
    mode(row("GNU ls (ACL)", "drwxr-xr-x+ 2 user group 4096 Jan 1 2018 acl dir", "acl dir", Dir, Some(4096), Some("2018-01-01T00:00:00Z")), 0o755),
    mode(row("GNU ls (S bit)", "-rwSr--r-- 1 user group 0 Jan 1 2018 setuid", "setuid", File, Some(0), None), 0o4644),
    row("GNU ls (device)", "crw-rw-rw- 1 root root 1, 3 Jan 1 2018 null", "null", CharDevice, None, Some("2018-01-01T00:00:00Z")),
    row("GNU ls (1-space year)", "-rw-r--r-- 1 user group 5 Jan 1 2018 one-space-year", "one-space-year", File, Some(5), Some("2018-01-01T00:00:00Z")),
    // More GNU/Linux ls.
    row("GNU ls (SELinux)", "-rw-r--r--. 1 root root 1234 Feb  5 08:00 selinux.txt", "selinux.txt", File, Some(1234), Some("2024-02-05T08:00:00Z")),
    mode(row("GNU ls (sticky)", "drwxrwxrwt  10 root root 4096 May  8 06:25 tmp", "tmp", Dir, Some(4096), None), 0o1777),
    mode(row("GNU ls (setuid)", "-rwsr-xr-x   1 root root 63736 Jul 27  2018 passwd", "passwd", File, Some(63736), None), 0o4755),
    mode(row("GNU ls (setgid)", "drwxr-sr-x   2 root staff 4096 Apr 10  2019 local", "local", Dir, Some(4096), None), 0o2755),
    mode(row("GNU ls (T bit)", "-rw-r--r-T   1 root root 0 Apr 10  2019 sticky-noexec", "sticky-noexec", File, Some(0), None), 0o1644),
    row("GNU ls (block)", "brw-rw----   1 root disk    8,   0 Mar  1 09:00 sda", "sda", BlockDevice, None, Some("2024-03-01T09:00:00Z")),
    row("GNU ls (fifo)", "prw-r--r--   1 root root 0 Mar  1 09:00 fifo", "fifo", Pipe, Some(0), None),
    row("GNU ls (socket)", "srwxrwxrwx   1 mysql mysql 0 Mar  1 09:00 mysql.sock", "mysql.sock", Socket, Some(0), None),
    row("GNU ls (spaces)", "-rw-r--r--   1 user group 10 Jan  1  2018   three  spaces  ", "  three  spaces  ", File, Some(10), None),
    target(row("GNU ls (arrow in target)", "lrwxrwxrwx 1 u g 10 Jan  1  2018 weird -> a -> b", "weird", Link, Some(10), None), "a -> b"),
    row("GNU ls -n (u64 size)", "-rw-r--r--   1 1000     1000     18446744073709551615 Jan 1 2018 big", "big", File, Some(u64::MAX), None),
    row("GNU ls (long-iso)", "-rw-r--r-- 1 user group 1234 2024-05-01 12:30 iso.txt", "iso.txt", File, Some(1234), Some("2024-05-01T12:30:00Z")),
    row("GNU ls (full-iso)", "-rw-r--r-- 1 user group 1234 2024-05-01 12:30:00.500000000 +0200 full.txt", "full.txt", File, Some(1234), Some("2024-05-01T10:30:00.500Z")),
    row("Cygwin (group with space)", "-rwx------+ 1 user Domain Users 1234 Feb  3 04:05 win.txt", "win.txt", File, Some(1234), Some("2024-02-03T04:05:00Z")),
    row("macOS (xattr @)", "-rw-r--r--@ 1 user  staff  1234 May  1 12:30 mac.txt", "mac.txt", File, Some(1234), Some("2024-05-01T12:30:00Z")),
    row("upper-case month", "-rw-r--r-- 1 u g 1 JAN 1 2018 upper", "upper", File, Some(1), Some("2018-01-01T00:00:00Z")),
    // RFC 3659 examples and MLST reply lines.
    row("RFC 3659 MLST", " Type=file;Size=1830;Modify=19980104034500;Perm=r; /pub/README", "/pub/README", File, Some(1830), Some("1998-01-04T03:45:00Z")),
    row("RFC 3659 MLSD", "Type=cdir;Modify=19981107085215;Perm=el; tmp", "tmp", CurrentDir, None, Some("1998-11-07T08:52:15Z")),
    row("RFC 3659 MLSD", "Type=file;Size=25730;Modify=19940728095854;Perm=; capmux.tar.z", "capmux.tar.z", File, Some(25730), Some("1994-07-28T09:58:54Z")),
    row("MLSD without facts", " nofacts", "nofacts", Other, None, None),
    row("MLSD name with ; and =", "type=file;size=1; a=b; c", "a=b; c", File, Some(1), None),
    // EPLF (publicfile).
    row("EPLF", "+i8388621.48594,m825718503,r,s280,\tdjb.html", "djb.html", File, Some(280), Some("1996-03-01T22:15:03Z")),
    row("EPLF", "+i8388621.50690,m824255907,/,\t514", "514", Dir, None, Some("1996-02-13T23:58:27Z")),
];

fn now() -> DateTime {
    DateTime::new(2024, 5, 10, 0, 0, 0).unwrap()
}

#[test]
fn every_real_line_parses_as_expected() {
    assert!(ROWS.len() >= 40);
    let mut failures = Vec::new();
    for r in ROWS {
        let got = match parse_line(r.line.as_bytes(), now()) {
            Ok(Some(e)) => e,
            other => {
                failures.push(format!("{}: {:?}: {:?}", r.server, r.line, other));
                continue;
            }
        };
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                failures.push(format!("{}: {:?}: {what}: {detail}", r.server, r.line));
            }
        };
        check(
            "name",
            got.name == r.name.as_bytes(),
            format!("{:?}", got.name_str()),
        );
        check("kind", got.kind == r.kind, format!("{:?}", got.kind));
        check("size", got.size == r.size, format!("{:?}", got.size));
        if let Some(date) = r.date {
            let shown = got.modified.map(|d| d.to_string());
            check("date", shown.as_deref() == Some(date), format!("{shown:?}"));
        }
        let t = got.link_target.as_deref().map(String::from_utf8_lossy);
        check("target", t.as_deref() == r.target, format!("{t:?}"));
        if let Some(m) = r.mode {
            check(
                "mode",
                got.mode == Some(m),
                format!("{:?}", got.mode.map(|m| format!("{m:o}"))),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_real_line_survives_format_and_reparse() {
    for r in ROWS {
        let e = parse_line(r.line.as_bytes(), now()).unwrap().unwrap();
        let mut unix = Vec::new();
        format_unix(&e, now(), &mut unix).unwrap();
        let back = parse_line(&unix, now()).unwrap().unwrap();
        assert_eq!(back.name, e.name, "{}", String::from_utf8_lossy(&unix));
        assert_eq!(back.link_target, e.link_target);
        let mut mlsx = Vec::new();
        format_mlsx(&e, FactSet::ALL, &mut mlsx).unwrap();
        let back = parse_line(&mlsx, now()).unwrap().unwrap();
        assert_eq!((back.name, back.kind, back.size), (e.name, e.kind, e.size));
        assert_eq!(back.modified, e.modified);
    }
}

#[test]
fn non_entries_and_odd_formats() {
    for skip in ["total 12", "total 0\r\n", "", "   ", "\r\n"] {
        assert_eq!(parse_line(skip.as_bytes(), now()), Ok(None), "{skip:?}");
    }
    // OpenVMS: not supported, but a clear error instead of a panic.
    let vms = b"FILE.TXT;1            2/3      1-JAN-2018 12:00:00  [GROUP,OWNER]  (RWED,RWED,RE,)";
    let err = parse_line(vms, now()).unwrap_err();
    assert_eq!(
        (err.format, err.reason),
        (Format::Unknown, Reason::UnknownFormat)
    );
    assert!(
        err.to_string()
            .starts_with("unrecognised listing line: no known listing format: \"FILE.TXT;1")
    );
}

#[test]
fn whole_listing_body() {
    let body = b"total 16\r\n\
        drwxr-xr-x    2 ftp      ftp          4096 Jan 05  2018 pub\r\n\
        -rw-r--r--    1 ftp      ftp          1234 May 01 12:30 readme.txt\r\n\
        garbage line\r\n\
        \r\n\
        -rw-r--r--    1 ftp      ftp             0 May 01 12:30 last";
    let items: Vec<_> = parse_listing(body, now()).collect();
    assert_eq!(items.len(), 4);
    assert!(items[2].is_err());
    let names: Vec<_> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|e| e.name_str().into_owned())
        .collect();
    assert_eq!(names, ["pub", "readme.txt", "last"]);
}
