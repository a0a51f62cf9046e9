//! The server's side: command-line parsing and the incremental [`LineDecoder`].

use bytes::Bytes;
use memchr::memchr;

use super::args::{
    letter, none, number, optional, parse_allo, parse_eprt, parse_epsv, parse_list, parse_port,
    parse_type, required, snippet, trim, trimmed_required,
};
use super::{Command, ProtectionLevel, Structure, TransferMode};
use crate::code::Code;
use crate::line::{Line, LineBuffer};
use crate::reply::Reply;

/// Default longest command line, in bytes, not counting its line ending. Paths of up to
/// 4 KiB (Linux `PATH_MAX`) plus a verb must fit.
pub const DEFAULT_MAX_LINE: usize = 8192;

/// Longest verb accepted. Real verbs have 3 or 4 letters; a longer word is garbage.
pub(super) const MAX_VERB: usize = 16;

/// Telnet IAC ("interpret as command").
const IAC: u8 = 255;
/// Telnet "interrupt process".
const IP: u8 = 244;
/// Telnet "data mark", the end of a Synch.
const DM: u8 = 242;
/// Telnet "subnegotiation begin".
const SB: u8 = 250;
/// Telnet "subnegotiation end"; also the lowest Telnet command byte.
const SE: u8 = 240;

/// Incremental command-line decoder for the server side of a control connection.
///
/// Feed it bytes as they arrive with [`push`](LineDecoder::push), in any split, then call
/// [`next_command`](LineDecoder::next_command) until it returns `None`. Pipelined commands
/// come out in order.
///
/// - Lines end in CRLF or a bare LF.
/// - Only the Telnet sequences FTP clients send are removed (RFC 959 §4.1.3, RFC 854):
///   `IAC IP` and `IAC DM` (the "Synch" clients send before `ABOR`), `IAC SB ... IAC SE`
///   (a subnegotiation, which never spans a line feed here, so a stray one cannot swallow
///   the commands after it), and `IAC IAC`, a literal 255 byte. Every other byte is kept,
///   an `IAC` followed by anything else too: a client that does not escape a name's raw
///   0xFF bytes (`caf\xe9-\xff\xfe.bin`) gets its name through whole, as with vsftpd
///   and pure-ftpd. One exception: right after `IAC IP`, an `IAC` followed by an
///   ordinary byte drops only the `IAC`: that is what arrives when the Synch's `DM`
///   went as TCP urgent data and the socket does not have `SO_OOBINLINE` set.
/// - A line longer than the limit gives one [`ParseError::LineTooLong`] (the server
///   answers 500) and is dropped as it arrives, never buffered whole; decoding
///   resynchronises at its line feed.
///
/// ```
/// use sansftp::command::{Command, LineDecoder};
///
/// let mut decoder = LineDecoder::new();
/// decoder.push(b"USER anonymous\r\nPASS x\r\n\xff\xf4\xff\xf2ABOR\r\n");
/// assert_eq!(decoder.next_command(), Some(Ok(Command::User(b"anonymous".to_vec()))));
/// assert_eq!(decoder.next_command(), Some(Ok(Command::Pass(b"x".to_vec()))));
/// assert_eq!(decoder.next_command(), Some(Ok(Command::Abor)));
/// assert_eq!(decoder.next_command(), None);
/// ```
#[derive(Debug, Clone)]
pub struct LineDecoder {
    /// Telnet-free bytes, cut into lines.
    buf: LineBuffer,
    telnet: Telnet,
}

/// Why a command line was refused. Each variant knows the reply the server should send
/// ([`reply_code`](ParseError::reply_code), [`to_reply`](ParseError::to_reply)); the
/// message is one line, with quoted input shortened and escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The line was longer than the decoder's limit (500).
    #[error("command line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The line was empty or only spaces (500).
    #[error("empty command line")]
    EmptyLine,
    /// The line did not start with a verb of 1-16 ASCII letters or digits (500).
    #[error("syntax error, command unrecognized: {verb:?}")]
    BadVerb {
        /// The start of the line, lossily decoded.
        verb: String,
    },
    /// The line held a NUL byte (501).
    #[error("command line contains a NUL byte")]
    NulByte,
    /// The line held a CR that was not part of its line ending (501).
    #[error("command line contains a CR that does not end it")]
    BareCr,
    /// The verb needs an argument and got none (501).
    #[error("{verb} needs an argument")]
    MissingArgument {
        /// The canonical verb.
        verb: &'static str,
    },
    /// The verb takes no argument but got one (501).
    #[error("{verb} takes no argument")]
    UnexpectedArgument {
        /// The canonical verb.
        verb: &'static str,
    },
    /// A number argument (REST, ALLO, PBSZ) was not a decimal number that fits (501).
    #[error("{verb}: not a valid number: {arg:?}")]
    BadNumber {
        /// The canonical verb.
        verb: &'static str,
        /// The argument, lossily decoded and shortened.
        arg: String,
    },
    /// The TYPE argument was malformed (501). A well-formed but unknown type letter is
    /// [`ParseError::UnsupportedParameter`] instead.
    #[error("TYPE: bad argument {arg:?}")]
    BadType {
        /// The argument, lossily decoded and shortened.
        arg: String,
    },
    /// The PORT argument was not `h1,h2,h3,h4,p1,p2` with each number 0-255 (501).
    #[error("PORT: expected h1,h2,h3,h4,p1,p2, got {arg:?}")]
    BadPort {
        /// The argument, lossily decoded and shortened.
        arg: String,
    },
    /// The EPRT argument was not `|proto|address|port|` (501).
    #[error("EPRT: expected |protocol|address|port|, got {arg:?}")]
    BadEprt {
        /// The argument, lossily decoded and shortened.
        arg: String,
    },
    /// Any other malformed argument (501).
    #[error("{verb}: bad argument {arg:?}")]
    BadArgument {
        /// The canonical verb.
        verb: &'static str,
        /// The argument, lossily decoded and shortened.
        arg: String,
    },
    /// A well-formed parameter this codec does not know, e.g. `TYPE Z` or `MODE X` (504).
    #[error("{verb} not implemented for parameter {arg:?}")]
    UnsupportedParameter {
        /// The canonical verb.
        verb: &'static str,
        /// The argument, lossily decoded and shortened.
        arg: String,
    },
    /// EPRT or EPSV named a network protocol other than 1 (IPv4) and 2 (IPv6) (522). The
    /// message carries the `(1,2)` list that RFC 2428 asks for.
    #[error("network protocol {protocol:?} not supported, use (1,2)")]
    UnsupportedProtocol {
        /// The protocol number as sent, lossily decoded and shortened.
        protocol: String,
    },
}

impl ParseError {
    /// The reply code the server should answer with: 500 for a line it cannot read as a
    /// command, 501 for bad arguments, 504 for an unsupported parameter, 522 for an
    /// unsupported network protocol.
    pub fn reply_code(&self) -> Code {
        match self {
            ParseError::LineTooLong { .. } | ParseError::EmptyLine | ParseError::BadVerb { .. } => {
                Code::SYNTAX_ERROR
            }
            ParseError::NulByte
            | ParseError::BareCr
            | ParseError::MissingArgument { .. }
            | ParseError::UnexpectedArgument { .. }
            | ParseError::BadNumber { .. }
            | ParseError::BadType { .. }
            | ParseError::BadPort { .. }
            | ParseError::BadEprt { .. }
            | ParseError::BadArgument { .. } => Code::BAD_ARGUMENTS,
            ParseError::UnsupportedParameter { .. } => Code::PARAMETER_NOT_IMPLEMENTED,
            ParseError::UnsupportedProtocol { .. } => Code::PROTOCOL_NOT_SUPPORTED,
        }
    }

    /// The whole reply: [`reply_code`](ParseError::reply_code) and this error's message.
    ///
    /// ```
    /// use sansftp::command::Command;
    ///
    /// let err = Command::parse(b"REST ten").unwrap_err();
    /// let mut wire = Vec::new();
    /// err.to_reply().encode(&mut wire);
    /// assert_eq!(wire, b"501 REST: not a valid number: \"ten\"\r\n");
    /// ```
    pub fn to_reply(&self) -> Reply {
        Reply::new(self.reply_code(), self.to_string())
    }
}

impl LineDecoder {
    /// A decoder with the default limit, [`DEFAULT_MAX_LINE`].
    pub fn new() -> LineDecoder {
        LineDecoder::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A decoder that refuses lines longer than `max_line` bytes, not counting the line
    /// ending. RFC 959 servers should accept at least 4 KiB paths, so keep it above that.
    pub fn with_max_line(max_line: usize) -> LineDecoder {
        LineDecoder {
            buf: LineBuffer::new(max_line),
            telnet: Telnet::Data,
        }
    }

    /// The longest line accepted, in bytes.
    pub fn max_line(&self) -> usize {
        self.buf.max_line()
    }

    /// Appends bytes read from the control connection, removing the Telnet sequences
    /// listed in the type's docs.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while let Some((&first, rest)) = bytes.split_first() {
            match self.telnet {
                Telnet::Data => match memchr(IAC, bytes) {
                    Some(i) => {
                        self.buf.push(&bytes[..i]);
                        self.telnet = Telnet::Iac { synch: false };
                        bytes = &bytes[i + 1..];
                    }
                    None => {
                        self.buf.push(bytes);
                        bytes = &[];
                    }
                },
                Telnet::AfterIp => {
                    if first == IAC {
                        self.telnet = Telnet::Iac { synch: true };
                        bytes = rest;
                    } else {
                        self.telnet = Telnet::Data;
                    }
                }
                Telnet::Iac { synch } => {
                    self.telnet = match first {
                        IAC => {
                            self.buf.push(&[IAC]);
                            Telnet::Data
                        }
                        IP => Telnet::AfterIp,
                        DM => Telnet::Data,
                        SB => Telnet::Sub,
                        // The Synch's DM went out of band: the IAC was its leftover.
                        b if synch && b < SE => {
                            self.buf.push(&[b]);
                            Telnet::Data
                        }
                        // Not a sequence FTP uses: the bytes are data.
                        b => {
                            self.buf.push(&[IAC, b]);
                            Telnet::Data
                        }
                    };
                    bytes = rest;
                }
                Telnet::Sub | Telnet::SubIac => {
                    let sub_iac = matches!(self.telnet, Telnet::SubIac);
                    self.telnet = match first {
                        b'\n' => {
                            // A subnegotiation ends at the line's end at the latest.
                            self.buf.push(b"\n");
                            Telnet::Data
                        }
                        SE if sub_iac => Telnet::Data,
                        IAC if !sub_iac => Telnet::SubIac,
                        _ => Telnet::Sub,
                    };
                    bytes = rest;
                }
            }
        }
    }

    /// The next line without its line ending (Telnet sequences removed), or `None` if
    /// more bytes are needed. Only [`ParseError::LineTooLong`] is reported here.
    pub fn next_line(&mut self) -> Option<Result<Bytes, ParseError>> {
        Some(match self.buf.next_line()? {
            Line::Whole(line) => Ok(line),
            Line::TooLong { .. } => Err(ParseError::LineTooLong {
                limit: self.max_line(),
            }),
        })
    }

    /// The next command, an error for a bad line (the server answers it and goes on), or
    /// `None` if more bytes are needed.
    pub fn next_command(&mut self) -> Option<Result<Command, ParseError>> {
        Some(self.next_line()?.and_then(|line| Command::parse(&line)))
    }

    /// Whether bytes of an unfinished line are held.
    pub fn has_partial(&self) -> bool {
        self.buf.has_partial() || !matches!(self.telnet, Telnet::Data | Telnet::AfterIp)
    }
}

impl Default for LineDecoder {
    fn default() -> LineDecoder {
        LineDecoder::new()
    }
}

#[derive(Debug, Clone, Copy)]
enum Telnet {
    Data,
    /// After an IAC; `synch` when it follows `IAC IP`.
    Iac {
        synch: bool,
    },
    /// Right after `IAC IP`.
    AfterIp,
    /// Inside `IAC SB ...`: dropped up to `IAC SE` (or a line feed).
    Sub,
    /// An IAC inside a subnegotiation.
    SubIac,
}

impl Command {
    /// Parses one command line, without its line ending and with Telnet sequences already
    /// removed (the [`LineDecoder`] does both). See the [module docs](super) for the rules.
    pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
        if line.iter().all(|&b| b == b' ') {
            return Err(ParseError::EmptyLine);
        }
        if memchr(0, line).is_some() {
            return Err(ParseError::NulByte);
        }
        if memchr(b'\r', line).is_some() {
            return Err(ParseError::BareCr);
        }
        let (verb, arg) = match memchr(b' ', line) {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        if verb.is_empty() || verb.len() > MAX_VERB || !verb.iter().all(u8::is_ascii_alphanumeric) {
            let shown = if verb.is_empty() { line } else { verb };
            return Err(ParseError::BadVerb {
                verb: snippet(shown),
            });
        }
        let mut upper = [0; MAX_VERB];
        let upper = &mut upper[..verb.len()];
        upper.copy_from_slice(verb);
        upper.make_ascii_uppercase();
        let cmd = match &*upper {
            b"USER" => Command::User(required("USER", arg)?),
            b"PASS" => Command::Pass(arg.unwrap_or_default().to_vec()),
            b"ACCT" => Command::Acct(required("ACCT", arg)?),
            b"REIN" => none("REIN", arg, Command::Rein)?,
            b"QUIT" => none("QUIT", arg, Command::Quit)?,
            b"PORT" => Command::Port(parse_port(trimmed_required("PORT", arg)?)?),
            b"EPRT" => Command::Eprt(parse_eprt(trimmed_required("EPRT", arg)?)?),
            b"PASV" => none("PASV", arg, Command::Pasv)?,
            b"EPSV" => Command::Epsv(parse_epsv(trim(arg.unwrap_or_default()))?),
            b"TYPE" => Command::Type(parse_type(trimmed_required("TYPE", arg)?)?),
            b"STRU" => Command::Stru(letter("STRU", arg, |c| match c {
                b'F' => Some(Structure::File),
                b'R' => Some(Structure::Record),
                b'P' => Some(Structure::Page),
                _ => None,
            })?),
            b"MODE" => Command::Mode(letter("MODE", arg, |c| match c {
                b'S' => Some(TransferMode::Stream),
                b'B' => Some(TransferMode::Block),
                b'C' => Some(TransferMode::Compressed),
                _ => None,
            })?),
            b"RETR" => Command::Retr(required("RETR", arg)?),
            b"STOR" => Command::Stor(required("STOR", arg)?),
            b"STOU" => Command::Stou(optional(arg)),
            b"APPE" => Command::Appe(required("APPE", arg)?),
            b"ALLO" => parse_allo(trimmed_required("ALLO", arg)?)?,
            b"REST" => Command::Rest(number("REST", trimmed_required("REST", arg)?)?),
            b"RNFR" => Command::Rnfr(required("RNFR", arg)?),
            b"RNTO" => Command::Rnto(required("RNTO", arg)?),
            b"ABOR" => none("ABOR", arg, Command::Abor)?,
            b"DELE" => Command::Dele(required("DELE", arg)?),
            b"RMD" | b"XRMD" => Command::Rmd(required("RMD", arg)?),
            b"MKD" | b"XMKD" => Command::Mkd(required("MKD", arg)?),
            b"PWD" | b"XPWD" => none("PWD", arg, Command::Pwd)?,
            b"CWD" | b"XCWD" => Command::Cwd(required("CWD", arg)?),
            b"CDUP" | b"XCUP" => none("CDUP", arg, Command::Cdup)?,
            b"LIST" => Command::List(parse_list(arg)),
            b"NLST" => Command::Nlst(parse_list(arg)),
            b"MLSD" => Command::Mlsd(optional(arg)),
            b"MLST" => Command::Mlst(optional(arg)),
            b"SIZE" => Command::Size(required("SIZE", arg)?),
            b"MDTM" => Command::Mdtm(required("MDTM", arg)?),
            b"SYST" => none("SYST", arg, Command::Syst)?,
            b"STAT" => Command::Stat(optional(arg)),
            b"HELP" => Command::Help(optional(arg)),
            b"NOOP" => none("NOOP", arg, Command::Noop)?,
            b"FEAT" => none("FEAT", arg, Command::Feat)?,
            b"OPTS" => Command::Opts(required("OPTS", arg)?),
            b"SITE" => Command::Site(required("SITE", arg)?),
            b"MFMT" => Command::Mfmt(required("MFMT", arg)?),
            b"HASH" => Command::Hash(required("HASH", arg)?),
            b"AUTH" => Command::Auth(required("AUTH", arg)?),
            b"PBSZ" => Command::Pbsz(number("PBSZ", trimmed_required("PBSZ", arg)?)?),
            b"PROT" => Command::Prot(letter("PROT", arg, |c| match c {
                b'C' => Some(ProtectionLevel::Clear),
                b'S' => Some(ProtectionLevel::Safe),
                b'E' => Some(ProtectionLevel::Confidential),
                b'P' => Some(ProtectionLevel::Private),
                _ => None,
            })?),
            b"CCC" => none("CCC", arg, Command::Ccc)?,
            b"HOST" => Command::Host(required("HOST", arg)?),
            _ => Command::Unknown {
                verb: String::from_utf8_lossy(upper).into_owned(),
                args: arg.map(<[u8]>::to_vec),
            },
        };
        Ok(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ListArgs, TransferType};
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, SocketAddrV4};

    type Item = Result<Command, ParseError>;

    fn parse(line: &str) -> Item {
        Command::parse(line.as_bytes())
    }

    fn drain(d: &mut LineDecoder, out: &mut Vec<Item>) {
        while let Some(item) = d.next_command() {
            out.push(item);
        }
    }

    fn all(d: &mut LineDecoder, bytes: &[u8]) -> Vec<Item> {
        d.push(bytes);
        let mut out = Vec::new();
        drain(d, &mut out);
        out
    }

    fn v(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn every_verb_parses_in_any_case() {
        let cases: &[(&str, Command)] = &[
            ("USER bob", Command::User(v("bob"))),
            ("PASS pw", Command::Pass(v("pw"))),
            ("ACCT a", Command::Acct(v("a"))),
            ("REIN", Command::Rein),
            ("QUIT", Command::Quit),
            (
                "PORT 127,0,0,1,4,1",
                Command::Port(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1025)),
            ),
            (
                "EPRT |1|132.235.1.2|6275|",
                Command::Eprt("132.235.1.2:6275".parse().unwrap()),
            ),
            ("PASV", Command::Pasv),
            ("EPSV", Command::Epsv(None)),
            ("TYPE I", Command::Type(TransferType::Image)),
            ("STRU F", Command::Stru(Structure::File)),
            ("MODE S", Command::Mode(TransferMode::Stream)),
            ("RETR f", Command::Retr(v("f"))),
            ("STOR f", Command::Stor(v("f"))),
            ("STOU", Command::Stou(None)),
            ("APPE f", Command::Appe(v("f"))),
            (
                "ALLO 10",
                Command::Allo {
                    size: 10,
                    record_size: None,
                },
            ),
            ("REST 5", Command::Rest(5)),
            ("RNFR a", Command::Rnfr(v("a"))),
            ("RNTO b", Command::Rnto(v("b"))),
            ("ABOR", Command::Abor),
            ("DELE f", Command::Dele(v("f"))),
            ("RMD d", Command::Rmd(v("d"))),
            ("XRMD d", Command::Rmd(v("d"))),
            ("MKD d", Command::Mkd(v("d"))),
            ("XMKD d", Command::Mkd(v("d"))),
            ("PWD", Command::Pwd),
            ("XPWD", Command::Pwd),
            ("CWD d", Command::Cwd(v("d"))),
            ("XCWD d", Command::Cwd(v("d"))),
            ("CDUP", Command::Cdup),
            ("XCUP", Command::Cdup),
            ("LIST", Command::List(ListArgs::default())),
            ("NLST d", Command::Nlst(ListArgs::path("d"))),
            ("MLSD", Command::Mlsd(None)),
            ("MLST f", Command::Mlst(Some(v("f")))),
            ("SIZE f", Command::Size(v("f"))),
            ("MDTM f", Command::Mdtm(v("f"))),
            ("SYST", Command::Syst),
            ("STAT", Command::Stat(None)),
            ("HELP SITE", Command::Help(Some(v("SITE")))),
            ("NOOP", Command::Noop),
            ("FEAT", Command::Feat),
            ("OPTS UTF8 ON", Command::Opts(v("UTF8 ON"))),
            ("SITE CHMOD 644 f", Command::Site(v("CHMOD 644 f"))),
            ("AUTH TLS", Command::Auth(v("TLS"))),
            ("PBSZ 0", Command::Pbsz(0)),
            ("PROT P", Command::Prot(ProtectionLevel::Private)),
            ("CCC", Command::Ccc),
            ("HOST ftp.example.com", Command::Host(v("ftp.example.com"))),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).as_ref(), Ok(want), "{line}");
            // Only the verb is case-insensitive; arguments are kept as sent.
            let (verb, rest) = line.split_at(line.find(' ').unwrap_or(line.len()));
            let lower = format!("{}{rest}", verb.to_lowercase());
            assert_eq!(parse(&lower).as_ref(), Ok(want), "{lower}");
            let mixed: String = verb
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect();
            let mixed = format!("{mixed}{rest}");
            assert_eq!(parse(&mixed).as_ref(), Ok(want), "{mixed}");
        }
    }

    #[test]
    fn unknown_verbs_keep_their_arguments() {
        assert_eq!(
            parse("clnt  my client "),
            Ok(Command::Unknown {
                verb: "CLNT".into(),
                args: Some(v(" my client "))
            })
        );
        assert_eq!(
            parse("LANG"),
            Ok(Command::Unknown {
                verb: "LANG".into(),
                args: None
            })
        );
    }

    #[test]
    fn arguments_are_kept_byte_for_byte() {
        assert_eq!(
            parse("RETR  spaced name "),
            Ok(Command::Retr(v(" spaced name ")))
        );
        assert_eq!(
            Command::parse(b"STOR caf\xe9\xff.txt"),
            Ok(Command::Stor(b"caf\xe9\xff.txt".to_vec()))
        );
        // PASS may be empty.
        assert_eq!(parse("PASS"), Ok(Command::Pass(Vec::new())));
        assert_eq!(parse("PASS "), Ok(Command::Pass(Vec::new())));
        // Optional arguments: empty is absent.
        assert_eq!(parse("MLSD "), Ok(Command::Mlsd(None)));
        assert_eq!(parse("STAT /d"), Ok(Command::Stat(Some(v("/d")))));
        assert_eq!(parse("STOU name"), Ok(Command::Stou(Some(v("name")))));
    }

    #[test]
    fn bad_lines() {
        assert_eq!(parse(""), Err(ParseError::EmptyLine));
        assert_eq!(parse("   "), Err(ParseError::EmptyLine));
        assert_eq!(
            parse(" NOOP"),
            Err(ParseError::BadVerb {
                verb: " NOOP".into()
            })
        );
        assert_eq!(
            parse("GET/ HTTP/1.1"),
            Err(ParseError::BadVerb {
                verb: "GET/".into()
            })
        );
        assert!(matches!(
            parse("ABCDEFGHIJKLMNOPQ"),
            Err(ParseError::BadVerb { .. })
        ));
        assert_eq!(parse("RETR a\0b"), Err(ParseError::NulByte));
        assert_eq!(parse("RETR a\rb"), Err(ParseError::BareCr));
    }

    #[test]
    fn missing_and_unexpected_arguments() {
        for verb in [
            "USER", "ACCT", "RETR", "STOR", "APPE", "RNFR", "RNTO", "DELE", "RMD", "MKD", "CWD",
            "SIZE", "MDTM", "OPTS", "SITE", "AUTH", "HOST", "PORT", "EPRT", "TYPE", "STRU", "MODE",
            "PROT", "REST", "PBSZ", "ALLO",
        ] {
            let err = parse(verb).unwrap_err();
            assert_eq!(err, ParseError::MissingArgument { verb }, "{verb}");
            assert_eq!(err.reply_code(), Code::BAD_ARGUMENTS);
            assert_eq!(err.to_string(), format!("{verb} needs an argument"));
            assert_eq!(parse(&format!("{verb} ")).unwrap_err(), err, "{verb}");
        }
        for verb in [
            "REIN", "QUIT", "PASV", "ABOR", "PWD", "CDUP", "SYST", "NOOP", "FEAT", "CCC",
        ] {
            assert_eq!(
                parse(&format!("{verb} x")),
                Err(ParseError::UnexpectedArgument { verb }),
                "{verb}"
            );
            // Trailing spaces are tolerated.
            assert!(parse(&format!("{verb}  ")).is_ok(), "{verb}");
        }
    }

    #[test]
    fn pipelined_commands_come_out_in_order() {
        let got = all(
            &mut LineDecoder::new(),
            b"USER a\r\nPASS b\r\nTYPE I\nPASV\r\nRETR x\r\nQUIT\r\n",
        );
        assert_eq!(
            got,
            [
                Ok(Command::User(v("a"))),
                Ok(Command::Pass(v("b"))),
                Ok(Command::Type(TransferType::Image)),
                Ok(Command::Pasv),
                Ok(Command::Retr(v("x"))),
                Ok(Command::Quit),
            ]
        );
    }

    #[test]
    fn ten_kilobyte_line_gives_one_error_then_resyncs() {
        let mut d = LineDecoder::new();
        let mut out = Vec::new();
        d.push(b"NOOP\r\nSTOR ");
        // 10 KB in 1 KB reads: never buffered whole.
        for _ in 0..10 {
            d.push(&[b'a'; 1024]);
            drain(&mut d, &mut out);
            assert!(d.buf.len() <= DEFAULT_MAX_LINE + 1024 + 1);
        }
        d.push(b"\r\nPWD\r\n");
        drain(&mut d, &mut out);
        assert_eq!(
            out,
            [
                Ok(Command::Noop),
                Err(ParseError::LineTooLong { limit: 8192 }),
                Ok(Command::Pwd),
            ]
        );
        assert_eq!(
            out[1].as_ref().unwrap_err().reply_code(),
            Code::SYNTAX_ERROR
        );
        // In one piece, the same.
        let mut line = b"STOR ".to_vec();
        line.extend([b'a'; 10240]);
        line.extend(b"\r\nPWD\r\n");
        assert_eq!(
            all(&mut LineDecoder::new(), &line),
            [
                Err(ParseError::LineTooLong { limit: 8192 }),
                Ok(Command::Pwd)
            ]
        );
    }

    #[test]
    fn line_limit_boundary() {
        let mut d = LineDecoder::with_max_line(10);
        assert_eq!(
            all(&mut d, b"RETR 12345\r\nRETR 123456\r\nNOOP\r\n"),
            [
                Ok(Command::Retr(v("12345"))),
                Err(ParseError::LineTooLong { limit: 10 }),
                Ok(Command::Noop),
            ]
        );
    }

    #[test]
    fn only_the_telnet_sequences_ftp_uses_are_removed() {
        let mut d = LineDecoder::new();
        // IAC IP IAC DM ABOR, the RFC 959 form.
        assert_eq!(
            all(&mut d, b"\xff\xf4\xff\xf2ABOR\r\n"),
            [Ok(Command::Abor)]
        );
        // The DM went out of band: IAC followed by data, right after IAC IP.
        assert_eq!(all(&mut d, b"\xff\xf4\xffABOR\r\n"), [Ok(Command::Abor)]);
        // IAC IAC is a literal 255; other IAC pairs are data, kept whole.
        assert_eq!(
            all(&mut d, b"RETR a\xff\xffb\xff\xfb\x01\r\n"),
            [Ok(Command::Retr(b"a\xffb\xff\xfb\x01".to_vec()))]
        );
        // A name with raw, unescaped 0xFF 0xFE bytes survives.
        assert_eq!(
            all(&mut d, b"STOR caf\xe9-\xff\xfe.bin\r\n"),
            [Ok(Command::Stor(b"caf\xe9-\xff\xfe.bin".to_vec()))]
        );
        assert_eq!(
            all(&mut d, b"DELE \xffa\xff\xf1\xff\r\n"),
            [Ok(Command::Dele(b"\xffa\xff\xf1\xff".to_vec()))]
        );
        // A subnegotiation goes, its escaped IAC and its IAC SE too ...
        assert_eq!(
            all(&mut d, b"NO\xff\xfa\x18\x01\xff\xffx\xff\xf0OP\r\n"),
            [Ok(Command::Noop)]
        );
        // ... and one never closed ends with its line, the next command unharmed.
        assert_eq!(
            all(&mut d, b"RETR a\xff\xfab\r\nNOOP\r\n"),
            [Ok(Command::Retr(b"a".to_vec())), Ok(Command::Noop)]
        );
        // Split across pushes at every point.
        let input =
            b"\xff\xf4\xff\xf2ABOR\r\nRETR \xff\xff\xff\xfd\x18x\xff\xfaq\xff\xf0\r\n\xff\xf4\xffNOOP\n";
        for cut in 0..=input.len() {
            let mut d = LineDecoder::new();
            let mut got = all(&mut d, &input[..cut]);
            got.extend(all(&mut d, &input[cut..]));
            assert_eq!(
                got,
                [
                    Ok(Command::Abor),
                    Ok(Command::Retr(b"\xff\xff\xfd\x18x".to_vec())),
                    Ok(Command::Noop)
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn empty_lines_and_partial_state() {
        let mut d = LineDecoder::new();
        assert_eq!(
            all(&mut d, b"\r\n\n"),
            [Err(ParseError::EmptyLine), Err(ParseError::EmptyLine)]
        );
        assert!(!d.has_partial());
        d.push(b"NO");
        assert_eq!(d.next_command(), None);
        assert!(d.has_partial());
        d.push(b"OP\n");
        assert_eq!(d.next_command(), Some(Ok(Command::Noop)));
        assert!(!d.has_partial());
    }

    #[test]
    fn errors_answer_with_one_reply() {
        let cases: [(&str, u16); 6] = [
            ("", 500),
            ("BAD/VERB", 500),
            ("RETR", 501),
            ("TYPE Q", 504),
            ("EPSV 7", 522),
            ("PORT 1,2", 501),
        ];
        for (line, code) in cases {
            let err = parse(line).unwrap_err();
            let reply = err.to_reply();
            assert_eq!(reply.code().value(), code, "{line}");
            assert!(!reply.is_multiline());
            assert_eq!(reply.text(), err.to_string());
        }
        let long = "x".repeat(200);
        let err = parse(&format!("PORT {long}")).unwrap_err();
        assert!(err.to_string().len() < 120, "{err}");
    }

    proptest! {
        #[test]
        fn split_does_not_change_results(
            input in proptest::collection::vec(
                prop_oneof![
                    Just(b"\r\n".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"\xff".to_vec()),
                    Just(b"RETR x".to_vec()),
                    Just(b"NOOP".to_vec()),
                    Just(vec![b'a'; 20]),
                    proptest::collection::vec(any::<u8>(), 0..8),
                ],
                0..20,
            ),
            cut in any::<prop::sample::Index>(),
        ) {
            let input = input.concat();
            let whole = all(&mut LineDecoder::with_max_line(24), &input);
            let mut d = LineDecoder::with_max_line(24);
            let mut bytewise = Vec::new();
            for b in &input {
                d.push(std::slice::from_ref(b));
                drain(&mut d, &mut bytewise);
            }
            prop_assert_eq!(&whole, &bytewise);
            let cut = cut.index(input.len() + 1);
            let mut d = LineDecoder::with_max_line(24);
            let mut two = all(&mut d, &input[..cut]);
            two.extend(all(&mut d, &input[cut..]));
            prop_assert_eq!(&whole, &two);
        }
    }
}
