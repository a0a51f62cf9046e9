//! Argument parsers for the server's command decoder: one small function per argument
//! shape, each turning bad input into the [`ParseError`] the server answers with.

use std::net::{SocketAddr, SocketAddrV4};

use crate::addr::AddrError;

use memchr::memchr;

use super::decode::ParseError;
use super::{Command, EpsvArg, ListArgs, TextFormat, TransferType};

/// How much of a bad argument an error quotes.
const SNIPPET_LEN: usize = 48;

/// A raw argument that must be present and non-empty, kept byte for byte.
pub(super) fn required(verb: &'static str, arg: Option<&[u8]>) -> Result<Vec<u8>, ParseError> {
    match arg {
        Some(arg) if !arg.is_empty() => Ok(arg.to_vec()),
        _ => Err(ParseError::MissingArgument { verb }),
    }
}

/// A raw optional argument; an empty one (`"MLSD "`) counts as absent.
pub(super) fn optional(arg: Option<&[u8]>) -> Option<Vec<u8>> {
    arg.filter(|a| !a.is_empty()).map(<[u8]>::to_vec)
}

/// A command without argument; trailing spaces are tolerated.
pub(super) fn none(
    verb: &'static str,
    arg: Option<&[u8]>,
    cmd: Command,
) -> Result<Command, ParseError> {
    match arg {
        Some(arg) if !trim(arg).is_empty() => Err(ParseError::UnexpectedArgument { verb }),
        _ => Ok(cmd),
    }
}

/// A typed argument that must be present, surrounding spaces removed.
pub(super) fn trimmed_required<'a>(
    verb: &'static str,
    arg: Option<&'a [u8]>,
) -> Result<&'a [u8], ParseError> {
    let arg = trim(arg.unwrap_or_default());
    if arg.is_empty() {
        return Err(ParseError::MissingArgument { verb });
    }
    Ok(arg)
}

pub(super) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// A decimal number of ASCII digits only (`str::parse` would also take a `+`).
pub(super) fn number(verb: &'static str, arg: &[u8]) -> Result<u64, ParseError> {
    parse_u64(arg).ok_or_else(|| ParseError::BadNumber {
        verb,
        arg: snippet(arg),
    })
}

pub(super) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A one-letter, case-insensitive argument (STRU, MODE, PROT).
pub(super) fn letter<T>(
    verb: &'static str,
    arg: Option<&[u8]>,
    known: impl Fn(u8) -> Option<T>,
) -> Result<T, ParseError> {
    let arg = trimmed_required(verb, arg)?;
    match arg {
        [c] => known(c.to_ascii_uppercase()),
        _ => None,
    }
    .ok_or_else(|| ParseError::UnsupportedParameter {
        verb,
        arg: snippet(arg),
    })
}

/// `A [N|T|C]`, `E [N|T|C]`, `I`, `L n` (also `L8`), case-insensitive.
pub(super) fn parse_type(arg: &[u8]) -> Result<TransferType, ParseError> {
    let bad = || ParseError::BadType { arg: snippet(arg) };
    let mut words = arg.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let first = words.next().ok_or_else(bad)?;
    let second = words.next();
    if words.next().is_some() {
        return Err(bad());
    }
    let format = |word: Option<&[u8]>| match word.map(|w| w.to_ascii_uppercase()).as_deref() {
        None | Some(b"N") => Ok(TextFormat::NonPrint),
        Some(b"T") => Ok(TextFormat::Telnet),
        Some(b"C") => Ok(TextFormat::Asa),
        Some(_) => Err(bad()),
    };
    let (letter, size) = first.split_first().ok_or_else(bad)?;
    match (letter.to_ascii_uppercase(), size, second) {
        (b'A', [], _) => Ok(TransferType::Ascii(format(second)?)),
        (b'E', [], _) => Ok(TransferType::Ebcdic(format(second)?)),
        (b'I', [], None) => Ok(TransferType::Image),
        (b'L', [], Some(size)) | (b'L', size @ [_, ..], None) => parse_u64(size)
            .and_then(|n| u8::try_from(n).ok())
            .map(TransferType::Local)
            .ok_or_else(bad),
        (c, [], _) if c.is_ascii_alphabetic() && !b"AEIL".contains(&c) => {
            Err(ParseError::UnsupportedParameter {
                verb: "TYPE",
                arg: snippet(arg),
            })
        }
        _ => Err(bad()),
    }
}

/// `h1,h2,h3,h4,p1,p2`, each 0-255, spaces around numbers tolerated.
pub(super) fn parse_port(arg: &[u8]) -> Result<SocketAddrV4, ParseError> {
    crate::addr::parse_port_arg(arg).map_err(|_| ParseError::BadPort { arg: snippet(arg) })
}

/// `<d>proto<d>address<d>port<d>` with any delimiter `d` in 33..=126 (RFC 2428).
pub(super) fn parse_eprt(arg: &[u8]) -> Result<SocketAddr, ParseError> {
    crate::addr::parse_eprt_arg(arg).map_err(|e| match e {
        AddrError::UnsupportedProtocol { protocol, .. } => {
            ParseError::UnsupportedProtocol { protocol }
        }
        _ => ParseError::BadEprt { arg: snippet(arg) },
    })
}

/// Empty, `1`, `2` or `ALL` (any case).
pub(super) fn parse_epsv(arg: &[u8]) -> Result<Option<EpsvArg>, ParseError> {
    match arg {
        [] => Ok(None),
        b"1" => Ok(Some(EpsvArg::Ipv4)),
        b"2" => Ok(Some(EpsvArg::Ipv6)),
        _ if arg.eq_ignore_ascii_case(b"ALL") => Ok(Some(EpsvArg::All)),
        _ if parse_u64(arg).is_some() => Err(ParseError::UnsupportedProtocol {
            protocol: snippet(arg),
        }),
        _ => Err(ParseError::BadArgument {
            verb: "EPSV",
            arg: snippet(arg),
        }),
    }
}

/// `size` or `size R record-size`.
pub(super) fn parse_allo(arg: &[u8]) -> Result<Command, ParseError> {
    let mut words = arg.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let size = number("ALLO", words.next().unwrap_or_default())?;
    let record_size = match (words.next(), words.next(), words.next()) {
        (None, _, _) => None,
        (Some(r), Some(n), None) if r.eq_ignore_ascii_case(b"R") => Some(number("ALLO", n)?),
        _ => {
            return Err(ParseError::BadArgument {
                verb: "ALLO",
                arg: snippet(arg),
            });
        }
    };
    Ok(Command::Allo { size, record_size })
}

/// Leading `-` words are options; what follows the option words is the path.
pub(super) fn parse_list(arg: Option<&[u8]>) -> ListArgs {
    let mut rest = arg.unwrap_or_default();
    let mut options = Vec::new();
    while rest.first() == Some(&b'-') {
        let end = memchr(b' ', rest).unwrap_or(rest.len());
        options.push(rest[..end].to_vec());
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    ListArgs {
        options,
        path: (!rest.is_empty()).then(|| rest.to_vec()),
    }
}

/// The start of bad input for an error message.
pub(super) fn snippet(bytes: &[u8]) -> String {
    crate::snippet::snippet(bytes, SNIPPET_LEN)
}

#[cfg(test)]
mod tests {
    use super::super::{ProtectionLevel, Structure, TransferMode};
    use super::*;
    use crate::code::Code;

    type Item = Result<Command, ParseError>;

    fn parse(line: &str) -> Item {
        Command::parse(line.as_bytes())
    }

    fn v(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            parse("REST  18446744073709551615 "),
            Ok(Command::Rest(u64::MAX))
        );
        for bad in [
            "REST 18446744073709551616",
            "REST -1",
            "REST +1",
            "REST 1e3",
            "REST 1 2",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(
                matches!(err, ParseError::BadNumber { verb: "REST", .. }),
                "{bad}"
            );
            assert_eq!(err.reply_code(), Code::BAD_ARGUMENTS);
        }
        assert_eq!(
            parse("ALLO 100 r 512"),
            Ok(Command::Allo {
                size: 100,
                record_size: Some(512)
            })
        );
        assert!(matches!(parse("ALLO x"), Err(ParseError::BadNumber { .. })));
        assert!(matches!(
            parse("ALLO 1 Q 2"),
            Err(ParseError::BadArgument { verb: "ALLO", .. })
        ));
        assert!(matches!(
            parse("ALLO 1 R"),
            Err(ParseError::BadArgument { verb: "ALLO", .. })
        ));
        assert_eq!(parse("PBSZ 0"), Ok(Command::Pbsz(0)));
        assert!(matches!(
            parse("PBSZ x"),
            Err(ParseError::BadNumber { verb: "PBSZ", .. })
        ));
    }

    #[test]
    fn transfer_types() {
        use TextFormat::*;
        use TransferType::*;
        for (arg, want) in [
            ("A", Ascii(NonPrint)),
            ("a n", Ascii(NonPrint)),
            ("A T", Ascii(Telnet)),
            ("A C", Ascii(Asa)),
            ("E", Ebcdic(NonPrint)),
            ("E T", Ebcdic(Telnet)),
            ("I", Image),
            ("i", Image),
            ("L 8", Local(8)),
            ("L8", Local(8)),
            ("l 36", Local(36)),
            (" A  N ", Ascii(NonPrint)),
        ] {
            assert_eq!(
                parse(&format!("TYPE {arg}")),
                Ok(Command::Type(want)),
                "{arg}"
            );
        }
        for bad in ["A X", "A N N", "I N", "L", "L x", "L 256", "AB", "1"] {
            let err = parse(&format!("TYPE {bad}")).unwrap_err();
            assert!(matches!(err, ParseError::BadType { .. }), "{bad}: {err:?}");
            assert_eq!(err.reply_code(), Code::BAD_ARGUMENTS);
        }
        let err = parse("TYPE Z").unwrap_err();
        assert_eq!(
            err,
            ParseError::UnsupportedParameter {
                verb: "TYPE",
                arg: "Z".into()
            }
        );
        assert_eq!(err.reply_code(), Code::PARAMETER_NOT_IMPLEMENTED);
    }

    #[test]
    fn one_letter_parameters() {
        assert_eq!(parse("STRU r"), Ok(Command::Stru(Structure::Record)));
        assert_eq!(parse("STRU P"), Ok(Command::Stru(Structure::Page)));
        assert_eq!(parse("MODE b"), Ok(Command::Mode(TransferMode::Block)));
        assert_eq!(parse("MODE C"), Ok(Command::Mode(TransferMode::Compressed)));
        assert_eq!(parse("PROT c"), Ok(Command::Prot(ProtectionLevel::Clear)));
        assert_eq!(parse("PROT S"), Ok(Command::Prot(ProtectionLevel::Safe)));
        assert_eq!(
            parse("PROT e"),
            Ok(Command::Prot(ProtectionLevel::Confidential))
        );
        for (line, verb) in [("STRU X", "STRU"), ("MODE Z", "MODE"), ("PROT PP", "PROT")] {
            let err = parse(line).unwrap_err();
            assert!(
                matches!(err, ParseError::UnsupportedParameter { verb: v, .. } if v == verb),
                "{line}"
            );
            assert_eq!(err.reply_code(), Code::PARAMETER_NOT_IMPLEMENTED);
        }
    }

    #[test]
    fn port_arguments() {
        assert_eq!(
            parse("PORT 10, 0,0,255 ,255,255"),
            Ok(Command::Port("10.0.0.255:65535".parse().unwrap()))
        );
        for bad in [
            "1,2,3,4,5",
            "1,2,3,4,5,6,7",
            "1,2,3,4,5,256",
            "1,2,3,4,,6",
            "a,b,c,d,e,f",
            "1.2.3.4,5,6",
        ] {
            let err = parse(&format!("PORT {bad}")).unwrap_err();
            assert_eq!(err, ParseError::BadPort { arg: bad.into() }, "{bad}");
            assert_eq!(err.reply_code(), Code::BAD_ARGUMENTS);
        }
    }

    #[test]
    fn eprt_arguments() {
        assert_eq!(
            parse("EPRT |2|::1|6275|"),
            Ok(Command::Eprt("[::1]:6275".parse().unwrap()))
        );
        assert_eq!(
            parse("EPRT !1!10.0.0.1!21!"),
            Ok(Command::Eprt("10.0.0.1:21".parse().unwrap()))
        );
        for bad in [
            "|1|::1|21|",
            "|2|1.2.3.4|21|",
            "|1|1.2.3.4|65536|",
            "|1|1.2.3.4|21",
            "|1|1.2.3.4|21|x",
            "|x|1.2.3.4|21|",
            " 1 1.2.3.4 21 ",
            "1|1.2.3.4|21|",
        ] {
            let err = parse(&format!("EPRT {bad}")).unwrap_err();
            assert!(matches!(err, ParseError::BadEprt { .. }), "{bad}: {err:?}");
            assert_eq!(err.reply_code(), Code::BAD_ARGUMENTS);
        }
        let err = parse("EPRT |3|1.2.3.4|21|").unwrap_err();
        assert_eq!(
            err,
            ParseError::UnsupportedProtocol {
                protocol: "3".into()
            }
        );
        assert_eq!(err.reply_code(), Code::PROTOCOL_NOT_SUPPORTED);
        assert!(err.to_string().contains("(1,2)"));
    }

    #[test]
    fn epsv_arguments() {
        assert_eq!(parse("EPSV 1"), Ok(Command::Epsv(Some(EpsvArg::Ipv4))));
        assert_eq!(parse("EPSV 2"), Ok(Command::Epsv(Some(EpsvArg::Ipv6))));
        assert_eq!(parse("epsv all"), Ok(Command::Epsv(Some(EpsvArg::All))));
        assert_eq!(parse("EPSV  "), Ok(Command::Epsv(None)));
        let err = parse("EPSV 3").unwrap_err();
        assert_eq!(err.reply_code(), Code::PROTOCOL_NOT_SUPPORTED);
        let err = parse("EPSV some").unwrap_err();
        assert!(matches!(err, ParseError::BadArgument { verb: "EPSV", .. }));
        assert_eq!(err.reply_code(), Code::BAD_ARGUMENTS);
    }

    #[test]
    fn list_options_are_kept_apart() {
        let list = |o: &[&str], p: Option<&str>| {
            Ok(Command::List(ListArgs {
                options: o.iter().map(|s| v(s)).collect(),
                path: p.map(v),
            }))
        };
        assert_eq!(parse("LIST -la /dir"), list(&["-la"], Some("/dir")));
        assert_eq!(parse("LIST -la"), list(&["-la"], None));
        assert_eq!(parse("LIST -l -a"), list(&["-l", "-a"], None));
        assert_eq!(parse("LIST -la "), list(&["-la"], None));
        assert_eq!(parse("LIST /dir"), list(&[], Some("/dir")));
        assert_eq!(parse("LIST  -x"), list(&[], Some(" -x")));
        assert_eq!(parse("LIST -a  b c"), list(&["-a"], Some(" b c")));
        assert_eq!(
            parse("NLST -1 sub"),
            Ok(Command::Nlst(ListArgs {
                options: vec![v("-1")],
                path: Some(v("sub"))
            }))
        );
    }
}
