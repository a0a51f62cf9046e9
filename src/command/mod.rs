//! Commands: [`Command`] for every verb both sides speak, the server's incremental
//! [`LineDecoder`] and the client's encoder ([`Command::encode`]).
//!
//! # Arguments
//!
//! Paths and names are raw bytes (`Vec<u8>`): file names may be non-UTF-8 and survive
//! losslessly. Exactly one space separates the verb from its argument and the argument is
//! kept byte for byte, leading and trailing spaces included (they are part of file names;
//! pyftpdlib does the same). Typed arguments (numbers, `TYPE`, `PORT`, ...) tolerate
//! surrounding spaces. Verbs are case-insensitive; the `X` aliases of RFC 775 (`XPWD`,
//! `XCWD`, `XCUP`, `XMKD`, `XRMD`) parse to the same variants as their RFC 959 forms.
//!
//! `LIST` and `NLST` split leading `ls`-style options from the path, as vsftpd and
//! pyftpdlib do: while the argument starts with `-`, a space-separated word is an option.
//! `LIST -la /pub` gives options `["-la"]` and path `/pub`; a file whose name starts with
//! `-` must be written `./-name`.
//!
//! # Round trip
//!
//! For every command that [`Command::encode`] accepts, the [`LineDecoder`] reads its bytes
//! back as an equal command. (An [`Command::Unknown`] whose verb is a known one, and an
//! [`Command::Eprt`] with an IPv6 flow label or scope id, are the exceptions: the first
//! parses as the known verb, the second loses what the wire cannot carry.)

use std::fmt;
use std::net::{SocketAddr, SocketAddrV4};

mod args;
mod decode;
mod encode;

pub use decode::{DEFAULT_MAX_LINE, LineDecoder, ParseError};
pub use encode::EncodeError;

/// One FTP command, as the client sends it and the server receives it.
///
/// ```
/// use sansftp::command::{Command, ListArgs};
///
/// let cmd = Command::parse(b"list -la /pub").unwrap();
/// assert_eq!(
///     cmd,
///     Command::List(ListArgs { options: vec![b"-la".to_vec()], path: Some(b"/pub".to_vec()) })
/// );
/// let mut wire = Vec::new();
/// cmd.encode(&mut wire).unwrap();
/// assert_eq!(wire, b"LIST -la /pub\r\n");
/// assert_eq!(Command::Pass(b"secret".to_vec()).to_string(), "PASS ****");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// `USER name`: the user name.
    User(Vec<u8>),
    /// `PASS password`: the password (may be empty). Hidden by `Display`.
    Pass(Vec<u8>),
    /// `ACCT account`: account information.
    Acct(Vec<u8>),
    /// `REIN`: reinitialise the session.
    Rein,
    /// `QUIT`: log out and close.
    Quit,
    /// `PORT h1,h2,h3,h4,p1,p2`: active mode, IPv4.
    Port(SocketAddrV4),
    /// `EPRT |proto|address|port|`: active mode, IPv4 or IPv6 (RFC 2428).
    Eprt(SocketAddr),
    /// `PASV`: passive mode, IPv4.
    Pasv,
    /// `EPSV [1|2|ALL]`: extended passive mode (RFC 2428).
    Epsv(Option<EpsvArg>),
    /// `TYPE`: representation type.
    Type(TransferType),
    /// `STRU`: file structure.
    Stru(Structure),
    /// `MODE`: transfer mode.
    Mode(TransferMode),
    /// `RETR path`: download.
    Retr(Vec<u8>),
    /// `STOR path`: upload.
    Stor(Vec<u8>),
    /// `STOU [name]`: upload under a unique name (the name is a hint some servers take).
    Stou(Option<Vec<u8>>),
    /// `APPE path`: append.
    Appe(Vec<u8>),
    /// `ALLO size [R record-size]`: reserve storage.
    Allo {
        /// Bytes to reserve.
        size: u64,
        /// Maximum record or page size, when given.
        record_size: Option<u64>,
    },
    /// `REST offset`: restart the next transfer at this byte offset.
    Rest(u64),
    /// `RNFR path`: rename from.
    Rnfr(Vec<u8>),
    /// `RNTO path`: rename to.
    Rnto(Vec<u8>),
    /// `ABOR`: abort the transfer in progress.
    Abor,
    /// `DELE path`: delete a file.
    Dele(Vec<u8>),
    /// `RMD path` (or `XRMD`): remove a directory.
    Rmd(Vec<u8>),
    /// `MKD path` (or `XMKD`): make a directory.
    Mkd(Vec<u8>),
    /// `PWD` (or `XPWD`): print the working directory.
    Pwd,
    /// `CWD path` (or `XCWD`): change the working directory.
    Cwd(Vec<u8>),
    /// `CDUP` (or `XCUP`): go to the parent directory.
    Cdup,
    /// `LIST [options] [path]`: human-readable listing.
    List(ListArgs),
    /// `NLST [options] [path]`: name list.
    Nlst(ListArgs),
    /// `MLSD [path]`: machine-readable directory listing (RFC 3659).
    Mlsd(Option<Vec<u8>>),
    /// `MLST [path]`: machine-readable facts of one entry (RFC 3659).
    Mlst(Option<Vec<u8>>),
    /// `SIZE path`: file size (RFC 3659).
    Size(Vec<u8>),
    /// `MDTM path`: modification time (RFC 3659).
    Mdtm(Vec<u8>),
    /// `SYST`: system type.
    Syst,
    /// `STAT [path]`: server status, or the status (listing) of a path.
    Stat(Option<Vec<u8>>),
    /// `HELP [topic]`.
    Help(Option<Vec<u8>>),
    /// `NOOP`.
    Noop,
    /// `FEAT`: list extensions (RFC 2389).
    Feat,
    /// `OPTS command [options]`, raw (RFC 2389), e.g. `UTF8 ON`.
    Opts(Vec<u8>),
    /// `SITE command`, raw.
    Site(Vec<u8>),
    /// `MFMT time path`, raw: set a file's modification time (draft-somers-ftp-mfxx;
    /// `YYYYMMDDHHMMSS`, UTC).
    Mfmt(Vec<u8>),
    /// `HASH path`, raw: a file's checksum (draft-bryan-ftpext-hash).
    Hash(Vec<u8>),
    /// `AUTH mechanism`, raw, e.g. `TLS` (RFC 2228 / 4217).
    Auth(Vec<u8>),
    /// `PBSZ size`: protection buffer size (RFC 2228; `0` with TLS).
    Pbsz(u64),
    /// `PROT level`: data channel protection (RFC 2228).
    Prot(ProtectionLevel),
    /// `CCC`: clear the command channel (RFC 2228).
    Ccc,
    /// `HOST name`: virtual host (RFC 7151), raw.
    Host(Vec<u8>),
    /// Any other verb, upper-cased, with its argument bytes (`None` when the line had no
    /// space after the verb).
    Unknown {
        /// The verb: 1 to 16 ASCII letters or digits, upper-cased by the decoder.
        verb: String,
        /// Everything after the first space, as sent.
        args: Option<Vec<u8>>,
    },
}

/// The argument of `EPSV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// `EPSV 1`: IPv4.
    Ipv4,
    /// `EPSV 2`: IPv6.
    Ipv6,
    /// `EPSV ALL`: only EPSV from now on (no PORT, PASV, EPRT).
    All,
}

/// The argument of `TYPE` (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferType {
    /// `A [N|T|C]`: ASCII text; line endings are converted.
    Ascii(TextFormat),
    /// `E [N|T|C]`: EBCDIC text.
    Ebcdic(TextFormat),
    /// `I`: image (binary).
    Image,
    /// `L n`: local byte size `n` (`L 8` is binary).
    Local(u8),
}

/// The format control of an ASCII or EBCDIC `TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextFormat {
    /// `N`: non-print (the default when omitted).
    #[default]
    NonPrint,
    /// `T`: Telnet format effectors.
    Telnet,
    /// `C`: ASA carriage control.
    Asa,
}

/// The argument of `STRU`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// `F`: file (no record structure).
    File,
    /// `R`: record structure.
    Record,
    /// `P`: page structure.
    Page,
}

/// The argument of `MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// `S`: stream.
    Stream,
    /// `B`: block.
    Block,
    /// `C`: compressed.
    Compressed,
}

/// The argument of `PROT` (RFC 2228).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtectionLevel {
    /// `C`: clear.
    Clear,
    /// `S`: safe (integrity only).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private (TLS on the data channel).
    Private,
}

/// The argument of `LIST` / `NLST`: `ls`-style options, then an optional path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ListArgs {
    /// Options such as `-la`, each one word starting with `-`. Servers usually ignore them.
    pub options: Vec<Vec<u8>>,
    /// The path, when one was given (may not start with `-`).
    pub path: Option<Vec<u8>>,
}

impl ListArgs {
    /// A listing of `path` with no options.
    pub fn path(path: impl Into<Vec<u8>>) -> ListArgs {
        ListArgs {
            options: Vec::new(),
            path: Some(path.into()),
        }
    }
}

impl Command {
    /// The canonical (RFC 959 / extension) verb, upper-case: `PWD` also for `XPWD`.
    pub fn verb(&self) -> &str {
        match self {
            Command::Unknown { verb, .. } => verb,
            known => known.known_verb().unwrap_or_default(),
        }
    }

    /// The verb of every variant but [`Command::Unknown`].
    pub(crate) fn known_verb(&self) -> Option<&'static str> {
        Some(match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Acct(_) => "ACCT",
            Command::Rein => "REIN",
            Command::Quit => "QUIT",
            Command::Port(_) => "PORT",
            Command::Eprt(_) => "EPRT",
            Command::Pasv => "PASV",
            Command::Epsv(_) => "EPSV",
            Command::Type(_) => "TYPE",
            Command::Stru(_) => "STRU",
            Command::Mode(_) => "MODE",
            Command::Retr(_) => "RETR",
            Command::Stor(_) => "STOR",
            Command::Stou(_) => "STOU",
            Command::Appe(_) => "APPE",
            Command::Allo { .. } => "ALLO",
            Command::Rest(_) => "REST",
            Command::Rnfr(_) => "RNFR",
            Command::Rnto(_) => "RNTO",
            Command::Abor => "ABOR",
            Command::Dele(_) => "DELE",
            Command::Rmd(_) => "RMD",
            Command::Mkd(_) => "MKD",
            Command::Pwd => "PWD",
            Command::Cwd(_) => "CWD",
            Command::Cdup => "CDUP",
            Command::List(_) => "LIST",
            Command::Nlst(_) => "NLST",
            Command::Mlsd(_) => "MLSD",
            Command::Mlst(_) => "MLST",
            Command::Size(_) => "SIZE",
            Command::Mdtm(_) => "MDTM",
            Command::Syst => "SYST",
            Command::Stat(_) => "STAT",
            Command::Help(_) => "HELP",
            Command::Noop => "NOOP",
            Command::Feat => "FEAT",
            Command::Opts(_) => "OPTS",
            Command::Site(_) => "SITE",
            Command::Mfmt(_) => "MFMT",
            Command::Hash(_) => "HASH",
            Command::Auth(_) => "AUTH",
            Command::Pbsz(_) => "PBSZ",
            Command::Prot(_) => "PROT",
            Command::Ccc => "CCC",
            Command::Host(_) => "HOST",
            Command::Unknown { .. } => return None,
        })
    }

    /// Builds a command from the text a client user typed, for a raw `command()` API:
    /// `"SITE CHMOD 644 x"`. CR, LF and NUL are refused, so the text cannot smuggle in a
    /// second command. Text the server-side parser understands gives its typed command;
    /// anything else (`"TYPE Z"`, an unknown verb) is kept as [`Command::Unknown`] and is
    /// sent as written.
    ///
    /// ```
    /// use sansftp::command::{Command, EncodeError};
    ///
    /// let cmd = Command::parse_client_text("site chmod 644 x").unwrap();
    /// assert_eq!(cmd, Command::Site(b"chmod 644 x".to_vec()));
    /// assert_eq!(
    ///     Command::parse_client_text("NOOP\r\nDELE x"),
    ///     Err(EncodeError::LineBreak)
    /// );
    /// ```
    pub fn parse_client_text(text: &str) -> Result<Command, EncodeError> {
        let bytes = text.as_bytes();
        if memchr::memchr2(b'\r', b'\n', bytes).is_some() {
            return Err(EncodeError::LineBreak);
        }
        if memchr::memchr(0, bytes).is_some() {
            return Err(EncodeError::Nul);
        }
        if let Ok(cmd) = Command::parse(bytes) {
            return Ok(cmd);
        }
        let (verb, args) = match memchr::memchr(b' ', bytes) {
            Some(i) => (&text[..i], Some(bytes[i + 1..].to_vec())),
            None => (text, None),
        };
        if !encode::is_valid_verb(verb.as_bytes()) {
            return Err(EncodeError::InvalidVerb {
                verb: args::snippet(verb.as_bytes()),
            });
        }
        Ok(Command::Unknown {
            verb: verb.to_ascii_uppercase(),
            args,
        })
    }
}

/// One log line: the verb and its argument as the wire would carry it, lossily decoded,
/// control characters escaped, and the `PASS` argument replaced by `****`.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Command::Pass(_) = self {
            return f.write_str("PASS ****");
        }
        let mut line = Vec::new();
        self.write_line(&mut line);
        for ch in String::from_utf8_lossy(&line).chars() {
            if ch.is_control() {
                write!(f, "{}", ch.escape_default())?;
            } else {
                write!(f, "{ch}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for EpsvArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EpsvArg::Ipv4 => "1",
            EpsvArg::Ipv6 => "2",
            EpsvArg::All => "ALL",
        })
    }
}

/// The wire form: `A`, `A T`, `E C`, `I`, `L 8`.
impl fmt::Display for TransferType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (letter, format) = match self {
            TransferType::Ascii(format) => ("A", format),
            TransferType::Ebcdic(format) => ("E", format),
            TransferType::Image => return f.write_str("I"),
            TransferType::Local(size) => return write!(f, "L {size}"),
        };
        f.write_str(letter)?;
        match format {
            // N is the default: plain `TYPE A` is what every server understands.
            TextFormat::NonPrint => Ok(()),
            TextFormat::Telnet => f.write_str(" T"),
            TextFormat::Asa => f.write_str(" C"),
        }
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Structure::File => "F",
            Structure::Record => "R",
            Structure::Page => "P",
        })
    }
}

impl fmt::Display for TransferMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferMode::Stream => "S",
            TransferMode::Block => "B",
            TransferMode::Compressed => "C",
        })
    }
}

impl fmt::Display for ProtectionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtectionLevel::Clear => "C",
            ProtectionLevel::Safe => "S",
            ProtectionLevel::Confidential => "E",
            ProtectionLevel::Private => "P",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_hides_the_password_and_escapes_controls() {
        assert_eq!(Command::Pass(b"hunter2".to_vec()).to_string(), "PASS ****");
        assert_eq!(Command::Pass(Vec::new()).to_string(), "PASS ****");
        assert_eq!(Command::Retr(b"/a b".to_vec()).to_string(), "RETR /a b");
        assert_eq!(
            Command::Dele(b"x\r\nDELE y".to_vec()).to_string(),
            "DELE x\\r\\nDELE y"
        );
        assert_eq!(Command::Noop.to_string(), "NOOP");
        assert_eq!(
            Command::Type(TransferType::Local(8)).to_string(),
            "TYPE L 8"
        );
    }

    #[test]
    fn verb_is_canonical() {
        assert_eq!(Command::parse(b"XPWD").unwrap().verb(), "PWD");
        assert_eq!(Command::parse(b"xmkd d").unwrap().verb(), "MKD");
        assert_eq!(Command::parse(b"clnt x").unwrap().verb(), "CLNT");
    }

    #[test]
    fn client_text_falls_back_to_raw() {
        assert_eq!(
            Command::parse_client_text("TYPE Z"),
            Ok(Command::Unknown {
                verb: "TYPE".into(),
                args: Some(b"Z".to_vec())
            })
        );
        assert_eq!(
            Command::parse_client_text("type i"),
            Ok(Command::Type(TransferType::Image))
        );
        assert_eq!(
            Command::parse_client_text("MFMT 20240101000000 x"),
            Ok(Command::Mfmt(b"20240101000000 x".to_vec()))
        );
        assert_eq!(
            Command::parse_client_text("XCRC x"),
            Ok(Command::Unknown {
                verb: "XCRC".into(),
                args: Some(b"x".to_vec())
            })
        );
        assert_eq!(Command::parse_client_text("a\0b"), Err(EncodeError::Nul));
        assert_eq!(
            Command::parse_client_text("x\ry"),
            Err(EncodeError::LineBreak)
        );
        assert!(matches!(
            Command::parse_client_text(" NOOP"),
            Err(EncodeError::InvalidVerb { .. })
        ));
        assert!(matches!(
            Command::parse_client_text(""),
            Err(EncodeError::InvalidVerb { .. })
        ));
        // Whatever it accepts, it can send.
        for text in ["TYPE Z", "RETR ", "LIST -la", "FOO  bar", "PASS"] {
            let cmd = Command::parse_client_text(text).unwrap();
            cmd.encode(&mut Vec::new()).unwrap();
        }
    }
}
