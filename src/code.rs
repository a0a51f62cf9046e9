//! Reply codes: [`Code`], a validated three-digit FTP reply code, and [`Mask`], an
//! aioftp-style pattern such as `"2xx"` or `"33x"` that a code is checked against.

use std::fmt;
use std::str::FromStr;

/// A three-digit FTP reply code, always in `100..=599` (RFC 959 §4.2).
///
/// The first digit is the reply class; [`Code::is_preliminary`] and its siblings test it.
/// A `Code` can only be built from a valid value, so code that holds one never needs to
/// check it again.
///
/// ```
/// use sansftp::Code;
///
/// let code: Code = "550".parse().unwrap();
/// assert_eq!(code, Code::FILE_UNAVAILABLE);
/// assert!(code.is_permanent_negative());
/// assert!(Code::new(99).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u16);

/// The value given was not a reply code in `100..=599`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an FTP reply code: {input:?} (must be three digits, 100-599)")]
pub struct InvalidCode {
    /// The rejected input, lossily decoded when it was bytes.
    pub input: String,
}

impl Code {
    /// 110: restart marker reply.
    pub const RESTART_MARKER: Code = Code(110);
    /// 120: service ready in nnn minutes.
    pub const SERVICE_READY_SOON: Code = Code(120);
    /// 125: data connection already open; transfer starting.
    pub const DATA_ALREADY_OPEN: Code = Code(125);
    /// 150: file status okay; about to open data connection.
    pub const OPENING_DATA: Code = Code(150);
    /// 200: command okay.
    pub const OK: Code = Code(200);
    /// 202: command not implemented, superfluous at this site.
    pub const SUPERFLUOUS: Code = Code(202);
    /// 211: system status, or system help reply (also FEAT).
    pub const SYSTEM_STATUS: Code = Code(211);
    /// 212: directory status.
    pub const DIRECTORY_STATUS: Code = Code(212);
    /// 213: file status (SIZE, MDTM, STAT of a path).
    pub const FILE_STATUS: Code = Code(213);
    /// 214: help message.
    pub const HELP: Code = Code(214);
    /// 215: NAME system type (SYST).
    pub const SYSTEM_TYPE: Code = Code(215);
    /// 220: service ready for new user.
    pub const READY: Code = Code(220);
    /// 221: service closing control connection.
    pub const CLOSING: Code = Code(221);
    /// 225: data connection open; no transfer in progress.
    pub const DATA_OPEN: Code = Code(225);
    /// 226: closing data connection; requested file action successful.
    pub const TRANSFER_COMPLETE: Code = Code(226);
    /// 227: entering passive mode (h1,h2,h3,h4,p1,p2).
    pub const PASSIVE: Code = Code(227);
    /// 229: entering extended passive mode (|||port|).
    pub const EXTENDED_PASSIVE: Code = Code(229);
    /// 230: user logged in, proceed.
    pub const LOGGED_IN: Code = Code(230);
    /// 234: security exchange (AUTH) accepted.
    pub const AUTH_OK: Code = Code(234);
    /// 250: requested file action okay, completed.
    pub const FILE_ACTION_OK: Code = Code(250);
    /// 257: "PATHNAME" created (MKD, PWD).
    pub const PATH_CREATED: Code = Code(257);
    /// 331: user name okay, need password.
    pub const NEED_PASSWORD: Code = Code(331);
    /// 332: need account for login.
    pub const NEED_ACCOUNT: Code = Code(332);
    /// 350: requested file action pending further information (RNFR, REST).
    pub const PENDING: Code = Code(350);
    /// 421: service not available, closing control connection.
    pub const SERVICE_UNAVAILABLE: Code = Code(421);
    /// 425: can't open data connection.
    pub const CANT_OPEN_DATA: Code = Code(425);
    /// 426: connection closed; transfer aborted.
    pub const TRANSFER_ABORTED: Code = Code(426);
    /// 450: requested file action not taken; file unavailable (busy).
    pub const FILE_BUSY: Code = Code(450);
    /// 451: requested action aborted: local error in processing.
    pub const LOCAL_ERROR: Code = Code(451);
    /// 452: requested action not taken; insufficient storage space.
    pub const INSUFFICIENT_STORAGE: Code = Code(452);
    /// 500: syntax error, command unrecognized (also: line too long).
    pub const SYNTAX_ERROR: Code = Code(500);
    /// 501: syntax error in parameters or arguments.
    pub const BAD_ARGUMENTS: Code = Code(501);
    /// 502: command not implemented.
    pub const NOT_IMPLEMENTED: Code = Code(502);
    /// 503: bad sequence of commands.
    pub const BAD_SEQUENCE: Code = Code(503);
    /// 504: command not implemented for that parameter.
    pub const PARAMETER_NOT_IMPLEMENTED: Code = Code(504);
    /// 521: a data connection cannot be opened with this protection level (a `PROT C`
    /// transfer on a server that requires TLS on data connections, RFC 4217).
    pub const DATA_PROTECTION_REQUIRED: Code = Code(521);
    /// 522: network protocol not supported (EPRT/EPSV).
    pub const PROTOCOL_NOT_SUPPORTED: Code = Code(522);
    /// 530: not logged in.
    pub const NOT_LOGGED_IN: Code = Code(530);
    /// 532: need account for storing files.
    pub const NEED_ACCOUNT_TO_STORE: Code = Code(532);
    /// 534: request denied for policy reasons (TLS required or refused).
    pub const POLICY_DENIED: Code = Code(534);
    /// 536: the requested `PROT` level is not supported (`S`, `E`: RFC 4217).
    pub const PROTECTION_NOT_SUPPORTED: Code = Code(536);
    /// 550: requested action not taken; file unavailable (not found, no access).
    pub const FILE_UNAVAILABLE: Code = Code(550);
    /// 551: requested action aborted: page type unknown.
    pub const PAGE_TYPE_UNKNOWN: Code = Code(551);
    /// 552: requested file action aborted; exceeded storage allocation.
    pub const EXCEEDED_STORAGE: Code = Code(552);
    /// 553: requested action not taken; file name not allowed.
    pub const NAME_NOT_ALLOWED: Code = Code(553);
    /// 554: requested action not taken: invalid REST parameter (RFC 1123 §4.1.3.4).
    pub const INVALID_REST: Code = Code(554);

    /// Builds a code from its numeric value; `None` outside `100..=599`.
    pub const fn new(value: u16) -> Option<Code> {
        if value >= 100 && value <= 599 {
            Some(Code(value))
        } else {
            None
        }
    }

    /// Parses exactly three ASCII digits forming a code in `100..=599`.
    pub fn from_digits(digits: &[u8]) -> Result<Code, InvalidCode> {
        let invalid = || InvalidCode {
            input: String::from_utf8_lossy(digits).into_owned(),
        };
        let [a, b, c] = digits else {
            return Err(invalid());
        };
        if !(a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit()) {
            return Err(invalid());
        }
        let value = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
        Code::new(value).ok_or_else(invalid)
    }

    /// The numeric value, e.g. `226`.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The first digit: 1 to 5.
    pub const fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// The three ASCII digits, ready to write on the wire.
    pub const fn digits(self) -> [u8; 3] {
        [
            b'0' + (self.0 / 100) as u8,
            b'0' + (self.0 / 10 % 10) as u8,
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// 1xx: positive preliminary; another reply follows.
    pub const fn is_preliminary(self) -> bool {
        self.class() == 1
    }

    /// 2xx: positive completion.
    pub const fn is_completion(self) -> bool {
        self.class() == 2
    }

    /// 3xx: positive intermediate; the command needs more (PASS after USER, RNTO after RNFR).
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4xx: transient negative completion; the same command may succeed later.
    pub const fn is_transient_negative(self) -> bool {
        self.class() == 4
    }

    /// 5xx: permanent negative completion; repeating the command will not help.
    pub const fn is_permanent_negative(self) -> bool {
        self.class() == 5
    }

    /// 1xx, 2xx or 3xx.
    pub const fn is_positive(self) -> bool {
        self.class() <= 3
    }

    /// Whether this code matches `mask` (see [`Mask`]).
    pub fn matches(self, mask: Mask) -> bool {
        mask.matches(self)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({})", self.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Code {
    type Err = InvalidCode;

    fn from_str(s: &str) -> Result<Code, InvalidCode> {
        Code::from_digits(s.as_bytes())
    }
}

impl TryFrom<u16> for Code {
    type Error = InvalidCode;

    fn try_from(value: u16) -> Result<Code, InvalidCode> {
        Code::new(value).ok_or_else(|| InvalidCode {
            input: value.to_string(),
        })
    }
}

impl From<Code> for u16 {
    fn from(code: Code) -> u16 {
        code.0
    }
}

impl PartialEq<u16> for Code {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

/// A pattern over reply codes, as aioftp writes them: each position is a digit or the
/// wildcard `x`. `"226"` matches only 226, `"2xx"` any completion, `"33x"` 330 to 339.
///
/// ```
/// use sansftp::{Code, Mask};
///
/// let mask: Mask = "2xx".parse().unwrap();
/// assert!(mask.matches(Code::TRANSFER_COMPLETE));
/// assert!(!mask.matches(Code::NEED_PASSWORD));
/// assert_eq!(mask.to_string(), "2xx");
/// assert_eq!(Mask::from(Code::OK).to_string(), "200");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mask {
    /// Each position: `Some(digit value)` or `None` for a wildcard.
    digits: [Option<u8>; 3],
}

/// The text given was not a reply-code mask.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a reply-code mask: {input:?} (three characters, each a digit or x)")]
pub struct InvalidMask {
    /// The rejected input.
    pub input: String,
}

impl Mask {
    /// Any code of class 1 (`1xx`).
    pub const PRELIMINARY: Mask = Mask::class(1);
    /// Any code of class 2 (`2xx`).
    pub const COMPLETION: Mask = Mask::class(2);
    /// Any code of class 3 (`3xx`).
    pub const INTERMEDIATE: Mask = Mask::class(3);
    /// Any code of class 4 (`4xx`).
    pub const TRANSIENT_NEGATIVE: Mask = Mask::class(4);
    /// Any code of class 5 (`5xx`).
    pub const PERMANENT_NEGATIVE: Mask = Mask::class(5);

    /// The mask that matches exactly `code`.
    pub const fn exact(code: Code) -> Mask {
        let [a, b, c] = code.digits();
        Mask {
            digits: [Some(a - b'0'), Some(b - b'0'), Some(c - b'0')],
        }
    }

    /// The mask `Nxx`: every code whose first digit is `class`.
    pub const fn class(class: u8) -> Mask {
        Mask {
            digits: [Some(class), None, None],
        }
    }

    /// Whether `code` fits this mask.
    pub fn matches(self, code: Code) -> bool {
        let actual = code.digits();
        self.digits
            .iter()
            .zip(actual)
            .all(|(want, got)| want.is_none_or(|d| d == got - b'0'))
    }

    /// The single code this mask matches, if it has no wildcard.
    pub fn as_code(self) -> Option<Code> {
        let [Some(a), Some(b), Some(c)] = self.digits else {
            return None;
        };
        Code::new(u16::from(a) * 100 + u16::from(b) * 10 + u16::from(c))
    }
}

impl From<Code> for Mask {
    fn from(code: Code) -> Mask {
        Mask::exact(code)
    }
}

impl FromStr for Mask {
    type Err = InvalidMask;

    /// Parses three characters, each a digit or `x`/`X`. The first must be a digit 1-5, so
    /// that a mask can match at least one valid code.
    fn from_str(s: &str) -> Result<Mask, InvalidMask> {
        let invalid = || InvalidMask {
            input: s.to_owned(),
        };
        let [a, b, c] = s.as_bytes() else {
            return Err(invalid());
        };
        let mut digits = [None; 3];
        for (slot, &ch) in digits.iter_mut().zip([a, b, c]) {
            *slot = match ch {
                b'0'..=b'9' => Some(ch - b'0'),
                b'x' | b'X' => None,
                _ => return Err(invalid()),
            };
        }
        match digits[0] {
            Some(1..=5) => Ok(Mask { digits }),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits {
            match d {
                Some(d) => write!(f, "{d}")?,
                None => f.write_str("x")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mask({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_range_is_enforced() {
        assert!(Code::new(99).is_none());
        assert!(Code::new(600).is_none());
        assert_eq!(Code::new(100).map(Code::value), Some(100));
        assert_eq!(Code::new(599).map(Code::value), Some(599));
        assert!("099".parse::<Code>().is_err());
        assert!("1234".parse::<Code>().is_err());
        assert!("22".parse::<Code>().is_err());
        assert!("2a6".parse::<Code>().is_err());
        assert!("+26".parse::<Code>().is_err());
        assert!(Code::try_from(0).is_err());
    }

    #[test]
    fn digits_round_trip_for_every_code() {
        for v in 100..=599 {
            let code = Code::new(v).unwrap();
            assert_eq!(Code::from_digits(&code.digits()).unwrap(), code);
            assert_eq!(code.to_string().parse::<Code>().unwrap(), code);
        }
    }

    #[test]
    fn classes() {
        assert!(Code::OPENING_DATA.is_preliminary());
        assert!(Code::TRANSFER_COMPLETE.is_completion());
        assert!(Code::NEED_PASSWORD.is_intermediate());
        assert!(Code::CANT_OPEN_DATA.is_transient_negative());
        assert!(Code::FILE_UNAVAILABLE.is_permanent_negative());
        assert!(Code::PENDING.is_positive());
        assert!(!Code::LOCAL_ERROR.is_positive());
        assert_eq!(Code::FILE_UNAVAILABLE.class(), 5);
    }

    #[test]
    fn masks_match_like_aioftp() {
        let m: Mask = "33x".parse().unwrap();
        assert!(m.matches(Code::NEED_PASSWORD));
        assert!(m.matches(Code::NEED_ACCOUNT));
        assert!(!m.matches(Code::PENDING));
        let m: Mask = "1X3".parse().unwrap();
        assert!(m.matches(Code::new(123).unwrap()));
        assert!(!m.matches(Code::new(124).unwrap()));
        assert!(Mask::COMPLETION.matches(Code::OK));
        assert!(!Mask::COMPLETION.matches(Code::OPENING_DATA));
        assert!(Code::OK.matches(Mask::exact(Code::OK)));
        assert_eq!(Mask::exact(Code::OK).as_code(), Some(Code::OK));
        assert_eq!(Mask::COMPLETION.as_code(), None);
    }

    #[test]
    fn bad_masks_are_refused() {
        for bad in ["", "2x", "2xxx", "0xx", "6xx", "xxx", "2?x", "２xx"] {
            assert!(bad.parse::<Mask>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn mask_display_round_trips() {
        for s in ["2xx", "33x", "550", "1x3", "5xx"] {
            assert_eq!(s.parse::<Mask>().unwrap().to_string(), s);
        }
    }
}
