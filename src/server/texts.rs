//! Reply bodies and listing formats the session writes: FEAT, HELP, MLST, LIST/NLST/MLSD
//! bodies, STAT listings.

use bytes::Bytes;

use crate::code::Code;
use crate::listing::{Entry, FactSet, format_mlsx, format_unix};
use crate::path::VirtualPath;
use crate::reply::Reply;
use crate::time::DateTime;

use super::request::HashAlgorithm;
use super::session::ListKind;

/// Every verb the server implements, for HELP.
const VERBS: &[&str] = &[
    "ABOR", "ACCT", "ALLO", "APPE", "AUTH", "CCC", "CDUP", "CWD", "DELE", "EPRT", "EPSV", "FEAT",
    "HASH", "HELP", "HOST", "LIST", "MDTM", "MFMT", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP",
    "OPTS", "PASS", "PASV", "PBSZ", "PORT", "PROT", "PWD", "QUIT", "REIN", "REST", "RETR", "RMD",
    "RNFR", "RNTO", "SITE", "SIZE", "STAT", "STOR", "STOU", "STRU", "SYST", "TYPE", "USER", "XCUP",
    "XCWD", "XMKD", "XPWD", "XRMD",
];

/// `211` FEAT reply (RFC 2389): one feature per line, each after a space.
pub(super) fn feat(selected: FactSet, hash: HashAlgorithm, tls: bool) -> Reply {
    let mut mlst = b" MLST ".to_vec();
    FactSet::ALL.write_feat(selected, &mut mlst);
    let mut hashes = b" HASH ".to_vec();
    for a in HashAlgorithm::ALL {
        if hashes.len() > 6 {
            hashes.push(b';');
        }
        hashes.extend_from_slice(a.name().as_bytes());
        if a == hash {
            hashes.push(b'*');
        }
    }
    let mut lines: Vec<&[u8]> = vec![b"Features:"];
    if tls {
        lines.push(b" AUTH TLS");
    }
    lines.extend([
        &b" EPRT"[..],
        b" EPSV",
        &hashes,
        b" HOST",
        b" MDTM",
        b" MFMT",
    ]);
    lines.extend([&mlst[..], b" PASV"]);
    if tls {
        lines.extend([&b" PBSZ"[..], b" PROT"]);
    }
    lines.extend([&b" REST STREAM"[..], b" SIZE", b" TVFS", b" UTF8", b"End"]);
    Reply::multiline(Code::SYSTEM_STATUS, lines)
}

/// `214` HELP reply: the command list, or whether one topic is a known command.
pub(super) fn help(topic: Option<&[u8]>) -> Reply {
    if let Some(topic) = topic {
        let topic = topic.trim_ascii();
        return match VERBS
            .iter()
            .find(|v| topic.eq_ignore_ascii_case(v.as_bytes()))
        {
            Some(v) => Reply::new(Code::HELP, format!("{v} is implemented")),
            None => Reply::new(
                Code::NOT_IMPLEMENTED,
                format!("Unknown command {}", String::from_utf8_lossy(topic)),
            ),
        };
    }
    let mut lines = vec!["The following commands are recognized:".to_owned()];
    for row in VERBS.chunks(8) {
        lines.push(format!(" {}", row.join(" ")));
    }
    lines.push("Help OK".to_owned());
    Reply::multiline(Code::HELP, lines)
}

/// `250` MLST reply: the facts of `path` on one line after a space (RFC 3659 §7.2).
pub(super) fn mlst(path: &VirtualPath, mut entry: Entry, facts: FactSet) -> Reply {
    entry.name = path.as_bytes().to_vec();
    let mut line = vec![b' '];
    if format_mlsx(&entry, facts, &mut line).is_err() {
        return Reply::new(Code::FILE_UNAVAILABLE, format!("{path}: cannot be listed"));
    }
    let head = format!("Listing {path}");
    Reply::multiline(
        Code::FILE_ACTION_OK,
        [head.as_bytes(), line.as_slice(), b"End"],
    )
}

/// The data-connection body of a listing, CRLF-terminated lines. Entries that cannot be
/// written as one line (see [`crate::listing::FormatError`]) are left out.
pub(super) fn listing(kind: ListKind, entries: &[Entry], now: DateTime, facts: FactSet) -> Bytes {
    let mut out = Vec::with_capacity(entries.len() * 64);
    for e in entries {
        let start = out.len();
        let ok = match kind {
            ListKind::List | ListKind::Stat => format_unix(e, now, &mut out).is_ok(),
            ListKind::Mlsd => format_mlsx(e, facts, &mut out).is_ok(),
            ListKind::Nlst => {
                let clean =
                    !e.name.is_empty() && memchr::memchr3(b'\r', b'\n', 0, &e.name).is_none();
                if clean {
                    out.extend_from_slice(&e.name);
                }
                clean
            }
        };
        if ok {
            out.extend_from_slice(b"\r\n");
        } else {
            out.truncate(start);
        }
    }
    Bytes::from(out)
}

/// `212`/`213` reply to `STAT path`: the listing over the control connection.
pub(super) fn stat_listing(code: Code, path: &VirtualPath, body: &[u8]) -> Reply {
    let mut lines: Vec<&[u8]> = Vec::new();
    let head = format!("Status of {path}:");
    lines.push(head.as_bytes());
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines.push(b"End of status");
    Reply::multiline(code, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(r: &Reply) -> String {
        String::from_utf8(r.to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn stat_listing_keeps_framing() {
        let p = VirtualPath::parse(b"/d").unwrap();
        let r = stat_listing(
            Code::DIRECTORY_STATUS,
            &p,
            b"212 looks like a code\r\nb\r\n",
        );
        assert_eq!(
            wire(&r),
            "212-Status of /d:\r\n 212 looks like a code\r\nb\r\n212 End of status\r\n"
        );
    }

    #[test]
    fn listing_skips_unwritable_names() {
        let now = DateTime::new(2024, 5, 10, 0, 0, 0).unwrap();
        let entries = [
            Entry::file("ok", 1),
            Entry::file("bad\r\nname", 1),
            Entry::file("", 0),
        ];
        let body = listing(ListKind::Nlst, &entries, now, FactSet::DEFAULT);
        assert_eq!(&body[..], b"ok\r\n");
        let body = listing(ListKind::Mlsd, &entries, now, FactSet::TYPE);
        assert_eq!(&body[..], b"type=file; ok\r\n");
    }

    #[test]
    fn help_topics() {
        assert_eq!(wire(&help(Some(b" xpwd "))), "214 XPWD is implemented\r\n");
        assert!(wire(&help(Some(b"BOGUS"))).starts_with("502 "));
        assert!(wire(&help(None)).ends_with("214 Help OK\r\n"));
    }
}
