//! The client's side: writing commands on the wire.

use std::io::Write as _;

use memchr::{memchr, memchr3};

use super::decode::MAX_VERB;
use super::{Command, ListArgs};

/// A command that cannot be written safely or would not read back as itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A raw client command that changes what the client session tracks about the
    /// connection (`AUTH`, `PROT`, `CCC`, `REIN`): sent behind the session's back, it
    /// would leave the adapter speaking TLS where the server does not, or the reverse.
    #[error(
        "{verb} cannot be sent as a raw command: the client manages TLS itself \
         (Config::tls, Config::protect_data, Operation::SecureControl; CCC is not supported)"
    )]
    ManagedByClient {
        /// The canonical verb.
        verb: &'static str,
    },
    /// An argument holds CR or LF, which would end the line and start another command.
    #[error("command argument contains a line break (CR/LF)")]
    LineBreak,
    /// An argument holds NUL, which C servers read as the end of the string.
    #[error("command argument contains a NUL byte")]
    Nul,
    /// An [`Command::Unknown`] verb is not 1-16 ASCII letters or digits.
    #[error("invalid command verb {verb:?} (expected 1-16 ASCII letters or digits)")]
    InvalidVerb {
        /// The verb, shortened.
        verb: String,
    },
    /// An argument the command needs is empty (or `Some` empty where `None` is meant).
    #[error("{verb} argument is empty")]
    EmptyArgument {
        /// The canonical verb.
        verb: &'static str,
    },
    /// A LIST/NLST option is empty, does not start with `-`, or holds a space.
    #[error("{verb} option {option:?} must be one word starting with '-'")]
    BadListOption {
        /// `LIST` or `NLST`.
        verb: &'static str,
        /// The option, lossily decoded and shortened.
        option: String,
    },
    /// A LIST/NLST path starts with `-` and would be read as an option (write `./-name`).
    #[error("{verb} path starts with '-' and would be read as an option")]
    AmbiguousListPath {
        /// `LIST` or `NLST`.
        verb: &'static str,
    },
}

impl Command {
    /// Appends `VERB args\r\n` to `out`, or refuses the command and leaves `out` as it
    /// was. CR, LF and NUL are refused anywhere in an argument, so no argument can inject
    /// a second command. A 255 byte is written as Telnet `IAC IAC`, as RFC 959 asks, and
    /// the server's decoder turns it back into one byte.
    ///
    /// ```
    /// use sansftp::command::{Command, EncodeError};
    ///
    /// let mut out = Vec::new();
    /// Command::Retr(b"/pub/file.txt".to_vec()).encode(&mut out).unwrap();
    /// assert_eq!(out, b"RETR /pub/file.txt\r\n");
    /// let evil = Command::Retr(b"x\r\nDELE important".to_vec());
    /// assert_eq!(evil.encode(&mut out), Err(EncodeError::LineBreak));
    /// assert_eq!(out, b"RETR /pub/file.txt\r\n");
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.check()?;
        let start = out.len();
        self.write_line(out);
        // Typed arguments never hold these bytes, so checking the whole line checks the
        // raw ones.
        if let Some(i) = memchr3(b'\r', b'\n', 0, &out[start..]) {
            let err = if out[start + i] == 0 {
                EncodeError::Nul
            } else {
                EncodeError::LineBreak
            };
            out.truncate(start);
            return Err(err);
        }
        if memchr(0xff, &out[start..]).is_some() {
            let line = out.split_off(start);
            for &b in &line {
                out.push(b);
                if b == 0xff {
                    out.push(0xff);
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Writes `VERB args` without line ending, checks or Telnet escaping (shared by
    /// [`Command::encode`] and `Display`).
    pub(super) fn write_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.verb().as_bytes());
        let mut arg = |bytes: &[u8]| {
            out.push(b' ');
            out.extend_from_slice(bytes);
        };
        match self.raw_arg() {
            RawArg::Required(a) | RawArg::Optional(Some(a)) => return arg(a),
            RawArg::Optional(None) => return,
            RawArg::Other => {}
        }
        match self {
            Command::List(list) | Command::Nlst(list) => {
                for option in &list.options {
                    arg(option);
                }
                if let Some(path) = &list.path {
                    arg(path);
                }
            }
            // Writing to a Vec cannot fail, so the io::Results below are always Ok.
            Command::Port(addr) => {
                let _ = write!(out, " {}", crate::addr::format_port_arg(*addr));
            }
            Command::Eprt(addr) => {
                let _ = write!(out, " {}", crate::addr::format_eprt_arg(*addr));
            }
            Command::Epsv(Some(e)) => {
                let _ = write!(out, " {e}");
            }
            Command::Type(t) => {
                let _ = write!(out, " {t}");
            }
            Command::Stru(s) => {
                let _ = write!(out, " {s}");
            }
            Command::Mode(m) => {
                let _ = write!(out, " {m}");
            }
            Command::Prot(p) => {
                let _ = write!(out, " {p}");
            }
            Command::Rest(n) | Command::Pbsz(n) => {
                let _ = write!(out, " {n}");
            }
            Command::Allo { size, record_size } => {
                let _ = write!(out, " {size}");
                if let Some(r) = record_size {
                    let _ = write!(out, " R {r}");
                }
            }
            // No argument (REIN, QUIT, PASV, ABOR, PWD, CDUP, SYST, NOOP, FEAT, CCC, EPSV),
            // or a raw one written above.
            _ => {}
        }
    }

    /// Refuses commands that would not read back as themselves.
    fn check(&self) -> Result<(), EncodeError> {
        let verb = self.verb_static();
        let nonempty = |a: &[u8]| {
            if a.is_empty() {
                Err(EncodeError::EmptyArgument { verb })
            } else {
                Ok(())
            }
        };
        match (self.raw_arg(), self) {
            // PASS may be empty; an unknown verb's arguments are the user's business.
            (_, Command::Pass(_) | Command::Unknown { .. }) => {}
            // `Some(empty)` would read back as `None`.
            (RawArg::Required(a) | RawArg::Optional(Some(a)), _) => return nonempty(a),
            _ => {}
        }
        match self {
            Command::List(list) | Command::Nlst(list) => check_list(verb, list),
            Command::Unknown { verb, .. } if !is_valid_verb(verb.as_bytes()) => {
                Err(EncodeError::InvalidVerb {
                    verb: super::args::snippet(verb.as_bytes()),
                })
            }
            _ => Ok(()),
        }
    }

    /// How the argument of the verbs that carry raw bytes looks: one list that both
    /// [`Command::write_line`] and the encoder's checks read, so they cannot drift apart.
    fn raw_arg(&self) -> RawArg<'_> {
        match self {
            Command::User(a)
            | Command::Pass(a)
            | Command::Acct(a)
            | Command::Retr(a)
            | Command::Stor(a)
            | Command::Appe(a)
            | Command::Rnfr(a)
            | Command::Rnto(a)
            | Command::Dele(a)
            | Command::Rmd(a)
            | Command::Mkd(a)
            | Command::Cwd(a)
            | Command::Size(a)
            | Command::Mdtm(a)
            | Command::Opts(a)
            | Command::Site(a)
            | Command::Mfmt(a)
            | Command::Hash(a)
            | Command::Auth(a)
            | Command::Host(a) => RawArg::Required(a),
            Command::Stou(a)
            | Command::Mlsd(a)
            | Command::Mlst(a)
            | Command::Stat(a)
            | Command::Help(a)
            | Command::Unknown { args: a, .. } => RawArg::Optional(a.as_deref()),
            _ => RawArg::Other,
        }
    }

    /// The verb for error messages (`Unknown` never reaches the errors that use it).
    fn verb_static(&self) -> &'static str {
        self.known_verb().unwrap_or("command")
    }
}

/// See [`Command::raw_arg`].
enum RawArg<'a> {
    /// A verb whose argument must be there.
    Required(&'a [u8]),
    /// A verb whose argument may be left out.
    Optional(Option<&'a [u8]>),
    /// No argument, or a typed one.
    Other,
}

fn check_list(verb: &'static str, list: &ListArgs) -> Result<(), EncodeError> {
    for option in &list.options {
        if option.first() != Some(&b'-') || option.contains(&b' ') {
            return Err(EncodeError::BadListOption {
                verb,
                option: super::args::snippet(option),
            });
        }
    }
    match list.path.as_deref() {
        Some([]) => Err(EncodeError::EmptyArgument { verb }),
        Some([b'-', ..]) => Err(EncodeError::AmbiguousListPath { verb }),
        _ => Ok(()),
    }
}

/// 1-16 ASCII letters or digits, the shape the server's decoder accepts.
pub(super) fn is_valid_verb(verb: &[u8]) -> bool {
    !verb.is_empty() && verb.len() <= MAX_VERB && verb.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::super::{
        EpsvArg, LineDecoder, ProtectionLevel, Structure, TextFormat, TransferMode, TransferType,
    };
    use super::*;
    use proptest::prelude::*;
    use std::net::SocketAddr;
    use std::net::{Ipv6Addr, SocketAddrV4, SocketAddrV6};

    fn wire(cmd: &Command) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        cmd.encode(&mut out).map(|()| out)
    }

    fn v(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn typed_arguments_are_written_in_wire_form() {
        let cases: &[(Command, &[u8])] = &[
            (Command::Noop, b"NOOP\r\n"),
            (
                Command::Port("192.168.1.2:1025".parse().unwrap()),
                b"PORT 192,168,1,2,4,1\r\n",
            ),
            (
                Command::Eprt("[2001:db8::1]:6275".parse().unwrap()),
                b"EPRT |2|2001:db8::1|6275|\r\n",
            ),
            (
                Command::Eprt("132.235.1.2:6275".parse().unwrap()),
                b"EPRT |1|132.235.1.2|6275|\r\n",
            ),
            (Command::Epsv(Some(EpsvArg::All)), b"EPSV ALL\r\n"),
            (Command::Epsv(Some(EpsvArg::Ipv6)), b"EPSV 2\r\n"),
            (
                Command::Type(TransferType::Ascii(TextFormat::NonPrint)),
                b"TYPE A\r\n",
            ),
            (
                Command::Type(TransferType::Ebcdic(TextFormat::Asa)),
                b"TYPE E C\r\n",
            ),
            (Command::Type(TransferType::Local(8)), b"TYPE L 8\r\n"),
            (Command::Stru(Structure::Record), b"STRU R\r\n"),
            (Command::Mode(TransferMode::Block), b"MODE B\r\n"),
            (Command::Prot(ProtectionLevel::Private), b"PROT P\r\n"),
            (Command::Rest(123), b"REST 123\r\n"),
            (
                Command::Allo {
                    size: 9,
                    record_size: Some(3),
                },
                b"ALLO 9 R 3\r\n",
            ),
            (Command::Pass(Vec::new()), b"PASS \r\n"),
            (Command::Cwd(v(" a ")), b"CWD  a \r\n"),
            (Command::Mlsd(None), b"MLSD\r\n"),
            (
                Command::Unknown {
                    verb: "CLNT".into(),
                    args: Some(v("x")),
                },
                b"CLNT x\r\n",
            ),
        ];
        for (cmd, want) in cases {
            assert_eq!(wire(cmd).as_deref(), Ok(*want), "{cmd:?}");
        }
    }

    #[test]
    fn line_breaks_and_nul_are_refused_everywhere() {
        for bad in ["a\rb", "a\nb", "\r\n", "x\0"] {
            let want = if bad.contains('\0') {
                EncodeError::Nul
            } else {
                EncodeError::LineBreak
            };
            let cmds = [
                Command::User(v(bad)),
                Command::Pass(v(bad)),
                Command::Retr(v(bad)),
                Command::Site(v(bad)),
                Command::Stat(Some(v(bad))),
                Command::List(ListArgs::path(bad)),
                Command::List(ListArgs {
                    options: vec![v(&format!("-{bad}"))],
                    path: None,
                }),
                Command::Unknown {
                    verb: "FOO".into(),
                    args: Some(v(bad)),
                },
            ];
            for cmd in cmds {
                let mut out = b"kept".to_vec();
                assert_eq!(cmd.encode(&mut out), Err(want.clone()), "{cmd:?}");
                assert_eq!(out, b"kept");
            }
        }
        assert_eq!(
            EncodeError::LineBreak.to_string(),
            "command argument contains a line break (CR/LF)"
        );
    }

    #[test]
    fn ambiguous_or_empty_arguments_are_refused() {
        assert_eq!(
            wire(&Command::Retr(Vec::new())),
            Err(EncodeError::EmptyArgument { verb: "RETR" })
        );
        assert_eq!(
            wire(&Command::Mlst(Some(Vec::new()))),
            Err(EncodeError::EmptyArgument { verb: "MLST" })
        );
        assert_eq!(
            wire(&Command::Nlst(ListArgs::path("-x"))),
            Err(EncodeError::AmbiguousListPath { verb: "NLST" })
        );
        assert_eq!(
            wire(&Command::List(ListArgs::path("./-x"))).unwrap(),
            b"LIST ./-x\r\n"
        );
        for option in ["", "la", "-l a"] {
            assert!(matches!(
                wire(&Command::List(ListArgs {
                    options: vec![v(option)],
                    path: None
                })),
                Err(EncodeError::BadListOption { verb: "LIST", .. })
            ));
        }
        for verb in ["", "A B", "R\u{e9}TR", "ABCDEFGHIJKLMNOPQ"] {
            assert!(matches!(
                wire(&Command::Unknown {
                    verb: verb.into(),
                    args: None
                }),
                Err(EncodeError::InvalidVerb { .. })
            ));
        }
    }

    #[test]
    fn byte_255_is_escaped_as_iac_iac() {
        let cmd = Command::Stor(b"\xffname\xff".to_vec());
        assert_eq!(wire(&cmd).unwrap(), b"STOR \xff\xffname\xff\xff\r\n");
    }

    fn raw() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..12),
            proptest::collection::vec(prop::sample::select(b" -a\xff\r\n".to_vec()), 0..6),
        ]
    }

    fn any_command() -> impl Strategy<Value = Command> {
        let addr6 = (any::<u128>(), 1..=u16::MAX).prop_map(|(ip, port)| {
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, 0, 0))
        });
        let addr4 = any::<SocketAddrV4>()
            .prop_filter("a data port is never 0", |a| a.port() != 0)
            .prop_map(SocketAddr::V4);
        let format = prop_oneof![
            Just(TextFormat::NonPrint),
            Just(TextFormat::Telnet),
            Just(TextFormat::Asa)
        ];
        let ttype = prop_oneof![
            format.clone().prop_map(TransferType::Ascii),
            format.prop_map(TransferType::Ebcdic),
            Just(TransferType::Image),
            any::<u8>().prop_map(TransferType::Local),
        ];
        let list = || {
            (
                proptest::collection::vec(raw(), 0..3),
                proptest::option::of(raw()),
            )
                .prop_map(|(options, path)| ListArgs { options, path })
        };
        let verb = "[A-Za-z0-9]{1,6}";
        prop_oneof![
            raw().prop_map(Command::User),
            raw().prop_map(Command::Pass),
            raw().prop_map(Command::Retr),
            raw().prop_map(Command::Cwd),
            raw().prop_map(Command::Site),
            raw().prop_map(Command::Mfmt),
            raw().prop_map(Command::Hash),
            proptest::option::of(raw()).prop_map(Command::Stat),
            proptest::option::of(raw()).prop_map(Command::Stou),
            any::<SocketAddrV4>()
                .prop_filter("a data port is never 0", |a| a.port() != 0)
                .prop_map(Command::Port),
            prop_oneof![addr4, addr6].prop_map(Command::Eprt),
            proptest::option::of(prop_oneof![
                Just(EpsvArg::Ipv4),
                Just(EpsvArg::Ipv6),
                Just(EpsvArg::All)
            ])
            .prop_map(Command::Epsv),
            ttype.prop_map(Command::Type),
            any::<u64>().prop_map(Command::Rest),
            any::<u64>().prop_map(Command::Pbsz),
            (any::<u64>(), proptest::option::of(any::<u64>()))
                .prop_map(|(size, record_size)| Command::Allo { size, record_size }),
            prop_oneof![
                Just(Structure::File),
                Just(Structure::Record),
                Just(Structure::Page)
            ]
            .prop_map(Command::Stru),
            prop_oneof![
                Just(TransferMode::Stream),
                Just(TransferMode::Block),
                Just(TransferMode::Compressed)
            ]
            .prop_map(Command::Mode),
            prop_oneof![
                Just(ProtectionLevel::Clear),
                Just(ProtectionLevel::Safe),
                Just(ProtectionLevel::Confidential),
                Just(ProtectionLevel::Private)
            ]
            .prop_map(Command::Prot),
            list().prop_map(Command::List),
            list().prop_map(Command::Nlst),
            prop::sample::select(vec![
                Command::Rein,
                Command::Quit,
                Command::Pasv,
                Command::Abor,
                Command::Pwd,
                Command::Cdup,
                Command::Syst,
                Command::Noop,
                Command::Feat,
                Command::Ccc,
            ]),
            (verb, proptest::option::of(raw()))
                .prop_filter("a known verb parses as itself", |(verb, _)| {
                    matches!(Command::parse(verb.as_bytes()), Ok(Command::Unknown { .. }))
                })
                .prop_map(|(verb, args)| Command::Unknown {
                    verb: verb.to_ascii_uppercase(),
                    args
                }),
        ]
    }

    proptest! {
        #[test]
        fn what_encodes_decodes_to_itself(cmd in any_command()) {
            let mut out = Vec::new();
            if cmd.encode(&mut out).is_ok() {
                let mut d = LineDecoder::new();
                d.push(&out);
                prop_assert_eq!(d.next_command(), Some(Ok(cmd)));
                prop_assert_eq!(d.next_command(), None);
            } else {
                prop_assert!(out.is_empty());
            }
        }
    }
}
