//! A small UTC calendar type, [`DateTime`], for listings, `MDTM` and the MLSx `modify`
//! fact. It reads no clock: "now" is always passed in by the caller.
//!
//! Conversions to and from Unix seconds use Howard Hinnant's `days_from_civil` /
//! `civil_from_days` algorithms (proleptic Gregorian calendar), so they are exact for
//! every year in `1..=9999` without tables or loops.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A civil date and time in UTC, from `0001-01-01T00:00:00Z` to
/// `9999-12-31T23:59:59.999999999Z`, with nanosecond precision.
///
/// Every value is valid: [`DateTime::new`] checks the month, the day (leap years
/// included) and the time of day, so code that holds a `DateTime` never checks it again.
/// Ordering is chronological.
///
/// ```
/// use sansftp::time::DateTime;
///
/// let t = DateTime::new(2024, 2, 29, 12, 30, 0).unwrap();
/// assert_eq!(t.to_unix(), 1_709_209_800);
/// assert_eq!(t.to_string(), "2024-02-29T12:30:00Z");
/// assert_eq!(t.to_modify_string(), "20240229123000");
/// assert!(DateTime::new(2023, 2, 29, 0, 0, 0).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    // Field order is chronological significance, so the derived Ord is correct.
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
}

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch, negated.
const MIN_UNIX: i64 = -62_135_596_800;
/// Unix seconds of 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;

impl DateTime {
    /// The Unix epoch, `1970-01-01T00:00:00Z`.
    pub const UNIX_EPOCH: DateTime = DateTime {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
    };

    /// The earliest representable instant, `0001-01-01T00:00:00Z`.
    pub const MIN: DateTime = DateTime {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
    };

    /// The latest representable instant, `9999-12-31T23:59:59.999999999Z`.
    pub const MAX: DateTime = DateTime {
        year: 9999,
        month: 12,
        day: 31,
        hour: 23,
        minute: 59,
        second: 59,
        nanos: 999_999_999,
    };

    /// A whole-second instant, or `None` if any part is out of range (year `1..=9999`,
    /// a day that exists in that month, `hour < 24`, `minute < 60`, `second < 60`).
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<DateTime> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then_some(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos: 0,
        })
    }

    /// Midnight at the start of a day.
    pub fn date(year: u16, month: u8, day: u8) -> Option<DateTime> {
        DateTime::new(year, month, day, 0, 0, 0)
    }

    /// The same instant with its sub-second part set, or `None` if `nanos >= 10^9`.
    pub fn with_nanos(self, nanos: u32) -> Option<DateTime> {
        (nanos < 1_000_000_000).then_some(DateTime { nanos, ..self })
    }

    /// The year, `1..=9999`.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, `1..=12`.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, `1..=31`.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The hour, `0..=23`.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, `0..=59`.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, `0..=59`.
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The sub-second part in nanoseconds, `0..10^9`.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// The instant `secs` seconds after the Unix epoch (negative: before it), or `None`
    /// outside years `1..=9999`.
    ///
    /// ```
    /// use sansftp::time::DateTime;
    ///
    /// let t = DateTime::from_unix(951_782_400).unwrap();
    /// assert_eq!((t.year(), t.month(), t.day()), (2000, 2, 29));
    /// assert_eq!(DateTime::from_unix(-1).unwrap().to_string(), "1969-12-31T23:59:59Z");
    /// ```
    pub fn from_unix(secs: i64) -> Option<DateTime> {
        if !(MIN_UNIX..=MAX_UNIX).contains(&secs) {
            return None;
        }
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        // The range check above keeps y in 1..=9999; rem < 86400 keeps the time in range.
        Some(DateTime {
            year: u16::try_from(y).ok()?,
            month: m,
            day: d,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            nanos: 0,
        })
    }

    /// Like [`DateTime::from_unix`], with a sub-second part (`None` if `nanos >= 10^9`).
    pub fn from_unix_nanos(secs: i64, nanos: u32) -> Option<DateTime> {
        DateTime::from_unix(secs)?.with_nanos(nanos)
    }

    /// Whole seconds since the Unix epoch (negative before 1970); the sub-second part is
    /// dropped (it is always non-negative, so this is a floor).
    pub fn to_unix(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The calendar form of a [`SystemTime`], or `None` outside years `1..=9999`.
    pub fn from_system_time(t: SystemTime) -> Option<DateTime> {
        match t.duration_since(UNIX_EPOCH) {
            Ok(after) => {
                let secs = i64::try_from(after.as_secs()).ok()?;
                DateTime::from_unix_nanos(secs, after.subsec_nanos())
            }
            Err(e) => {
                // Before the epoch: floor to whole seconds so nanos stays non-negative.
                let before = e.duration();
                let mut secs = -i64::try_from(before.as_secs()).ok()?;
                let mut nanos = before.subsec_nanos();
                if nanos > 0 {
                    secs = secs.checked_sub(1)?;
                    nanos = 1_000_000_000 - nanos;
                }
                DateTime::from_unix_nanos(secs, nanos)
            }
        }
    }

    /// This instant as a [`SystemTime`], or `None` where the platform's `SystemTime`
    /// cannot hold it (for example before 1601 on Windows).
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let secs = self.to_unix();
        let sub = Duration::from_nanos(u64::from(self.nanos));
        if secs >= 0 {
            UNIX_EPOCH
                .checked_add(Duration::from_secs(secs.unsigned_abs()))?
                .checked_add(sub)
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
                .checked_add(sub)
        }
    }

    /// Parses the RFC 3659 §2.3 `time-val` used by `MDTM` replies and the MLSx `modify`
    /// fact: `YYYYMMDDHHMMSS` optionally followed by `.` and 1 or more digits of a
    /// fraction of a second (digits past the ninth are truncated).
    ///
    /// A leap second (`60`) is read as `59.999999999`, so the result stays valid and
    /// ordered. Anything else that is not exactly this shape gives `None`.
    ///
    /// ```
    /// use sansftp::time::DateTime;
    ///
    /// let t = DateTime::parse_modify(b"20240501123000.25").unwrap();
    /// assert_eq!(t.to_string(), "2024-05-01T12:30:00.250Z");
    /// assert!(DateTime::parse_modify(b"2024050112300").is_none());
    /// ```
    pub fn parse_modify(text: &[u8]) -> Option<DateTime> {
        let (whole, frac) = match memchr::memchr(b'.', text) {
            Some(dot) => (text.get(..dot)?, Some(text.get(dot + 1..)?)),
            None => (text, None),
        };
        if whole.len() != 14 {
            return None;
        }
        let year = u16::try_from(digits(whole.get(0..4)?)?).ok()?;
        let num =
            |r: std::ops::Range<usize>| -> Option<u8> { u8::try_from(digits(whole.get(r)?)?).ok() };
        let (month, day, hour, minute) = (num(4..6)?, num(6..8)?, num(8..10)?, num(10..12)?);
        let mut second = num(12..14)?;
        let mut nanos = 0u32;
        if second == 60 {
            second = 59;
            nanos = 999_999_999;
        }
        let t = DateTime::new(year, month, day, hour, minute, second)?;
        if let Some(frac) = frac {
            if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
                return None;
            }
            if nanos == 0 {
                let mut scale = 100_000_000u32;
                for &b in frac.iter().take(9) {
                    nanos += u32::from(b - b'0') * scale;
                    scale /= 10;
                }
            }
        }
        t.with_nanos(nanos)
    }

    /// Appends the RFC 3659 `time-val` form, `YYYYMMDDHHMMSS`, plus `.` and the fraction
    /// when there is one (3 digits for whole milliseconds, else as few as exactly
    /// represent it), so [`DateTime::parse_modify`] gives back the same value.
    pub fn write_modify(&self, out: &mut Vec<u8>) {
        push_num(out, u32::from(self.year), 4);
        push_num(out, u32::from(self.month), 2);
        push_num(out, u32::from(self.day), 2);
        push_num(out, u32::from(self.hour), 2);
        push_num(out, u32::from(self.minute), 2);
        push_num(out, u32::from(self.second), 2);
        push_fraction(out, self.nanos);
    }

    /// The `YYYYMMDDHHMMSS[.fff]` form as a `String` (see [`DateTime::write_modify`]).
    pub fn to_modify_string(&self) -> String {
        let mut out = Vec::with_capacity(24);
        self.write_modify(&mut out);
        // write_modify only emits ASCII digits and '.'.
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The instant `secs` seconds later (earlier if negative), saturating at the
    /// whole seconds of [`DateTime::MIN`] and [`DateTime::MAX`]; the sub-second part is
    /// kept. For "six months ago"-style arithmetic.
    pub fn saturating_add_secs(&self, secs: i64) -> DateTime {
        let t = self
            .to_unix()
            .saturating_add(secs)
            .clamp(MIN_UNIX, MAX_UNIX);
        // Clamped to the representable range just above.
        DateTime::from_unix(t)
            .unwrap_or(DateTime::UNIX_EPOCH)
            .with_nanos(self.nanos)
            .unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// RFC 3339 in UTC, as the CLI's JSON output uses: `2024-05-01T12:30:00Z`, with
/// `.fff` (or more digits, as few as exact) when there is a sub-second part.
/// A wall clock reading as a calendar time (what the client core takes with each
/// operation's start): [`DateTime::from_system_time`], saturating at [`DateTime::MIN`]
/// and [`DateTime::MAX`] outside years `1..=9999`.
impl From<SystemTime> for DateTime {
    fn from(t: SystemTime) -> DateTime {
        match DateTime::from_system_time(t) {
            Some(d) => d,
            None if t < UNIX_EPOCH => DateTime::MIN,
            None => DateTime::MAX,
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        let mut frac = Vec::new();
        push_fraction(&mut frac, self.nanos);
        // push_fraction only emits ASCII.
        f.write_str(std::str::from_utf8(&frac).unwrap_or(""))?;
        f.write_str("Z")
    }
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (`1..=12`) of `year`; 0 for a month out of range.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Hinnant). `month` is 1..=12.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = (m + 9) % 12; // March is 0, so the leap day is the last of the year.
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (Hinnant).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses 1 or more ASCII digits (at most 9, so it cannot overflow).
fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Appends `value` zero-padded to `width` digits (more if it needs them).
pub(crate) fn push_num(out: &mut Vec<u8>, value: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut v = value;
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    let len = buf.len() - i;
    for _ in len..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `.` and the fraction for a non-zero `nanos`: 3 digits for whole milliseconds,
/// otherwise trailing zeros trimmed.
fn push_fraction(out: &mut Vec<u8>, nanos: u32) {
    if nanos == 0 {
        return;
    }
    out.push(b'.');
    if nanos % 1_000_000 == 0 {
        push_num(out, nanos / 1_000_000, 3);
        return;
    }
    let mut n = nanos;
    let mut width = 9;
    while n % 10 == 0 {
        n /= 10;
        width -= 1;
    }
    push_num(out, n, width);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(DateTime::UNIX_EPOCH.to_unix(), 0);
        assert_eq!(DateTime::MIN.to_unix(), MIN_UNIX);
        assert_eq!(
            DateTime::new(9999, 12, 31, 23, 59, 59).unwrap().to_unix(),
            MAX_UNIX
        );
        assert_eq!(DateTime::from_unix(MIN_UNIX), Some(DateTime::MIN));
        assert!(DateTime::from_unix(MIN_UNIX - 1).is_none());
        assert!(DateTime::from_unix(MAX_UNIX + 1).is_none());
        assert!(DateTime::from_unix(i64::MIN).is_none());
        assert!(DateTime::from_unix(i64::MAX).is_none());
        let t = DateTime::new(2024, 5, 1, 12, 30, 0).unwrap();
        assert_eq!(t.to_unix(), 1_714_566_600);
        assert_eq!(t.to_string(), "2024-05-01T12:30:00Z");
        assert_eq!(
            DateTime::from_unix(1_714_566_600).unwrap(),
            DateTime::new(2024, 5, 1, 12, 30, 0).unwrap()
        );
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(1600));
        assert!(!is_leap_year(1900) && !is_leap_year(2023) && !is_leap_year(2100));
        assert!(DateTime::date(2000, 2, 29).is_some());
        assert!(DateTime::date(1900, 2, 29).is_none());
        assert!(DateTime::date(2024, 4, 31).is_none());
        assert!(DateTime::date(2024, 13, 1).is_none());
        assert!(DateTime::date(0, 1, 1).is_none());
        assert!(DateTime::new(2024, 1, 1, 24, 0, 0).is_none());
        let feb29 = DateTime::date(2024, 2, 29).unwrap();
        let mar1 = DateTime::date(2024, 3, 1).unwrap();
        assert_eq!(mar1.to_unix() - feb29.to_unix(), 86_400);
    }

    #[test]
    fn modify_format_and_parse() {
        let t = DateTime::new(1999, 12, 31, 23, 59, 58).unwrap();
        assert_eq!(t.to_modify_string(), "19991231235958");
        let ms = t.with_nanos(5_000_000).unwrap();
        assert_eq!(ms.to_modify_string(), "19991231235958.005");
        assert_eq!(ms.to_string(), "1999-12-31T23:59:58.005Z");
        let ns = t.with_nanos(120).unwrap();
        assert_eq!(ns.to_modify_string(), "19991231235958.00000012");
        for good in ["19991231235958", "19991231235958.005", "20240229000000.1"] {
            let p = DateTime::parse_modify(good.as_bytes()).unwrap();
            assert_eq!(
                p.to_modify_string().trim_end_matches('0'),
                good.trim_end_matches('0')
            );
        }
        let leap = DateTime::parse_modify(b"19981231235960").unwrap();
        assert_eq!((leap.second(), leap.nanos()), (59, 999_999_999));
        let long = DateTime::parse_modify(b"20240101000000.1234567899999").unwrap();
        assert_eq!(long.nanos(), 123_456_789);
        for bad in [
            "",
            "2024",
            "20240101000000.",
            "2024010100000x",
            "20230229000000",
            "20241301000000",
            "20240101240000",
            "00000101000000",
            "+2024010100000",
            "20240101000000.-1",
            "202401010000000",
            "20240101000000.1.2",
        ] {
            assert!(DateTime::parse_modify(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn system_time_conversions() {
        let t = DateTime::new(2024, 5, 1, 12, 30, 0)
            .unwrap()
            .with_nanos(7)
            .unwrap();
        let st = t.to_system_time().unwrap();
        assert_eq!(DateTime::from_system_time(st), Some(t));
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        let b = DateTime::from_system_time(before).unwrap();
        assert_eq!(b.to_unix(), -2);
        assert_eq!(b.nanos(), 500_000_000);
        assert_eq!(b.to_system_time(), Some(before));
    }

    #[test]
    fn ordering_is_chronological() {
        let a = DateTime::new(2023, 12, 31, 23, 59, 59).unwrap();
        let b = DateTime::date(2024, 1, 1).unwrap();
        assert!(a < b);
        assert!(b < b.with_nanos(1).unwrap());
        assert_eq!(a.saturating_add_secs(1), b);
        assert_eq!(b.saturating_add_secs(i64::MAX).to_unix(), MAX_UNIX);
    }

    proptest! {
        #[test]
        fn unix_round_trip(secs in MIN_UNIX..=MAX_UNIX, nanos in 0u32..1_000_000_000) {
            let t = DateTime::from_unix_nanos(secs, nanos).unwrap();
            prop_assert_eq!(t.to_unix(), secs);
            prop_assert_eq!(t.nanos(), nanos);
            prop_assert!(t.day() <= days_in_month(t.year(), t.month()));
        }

        #[test]
        fn unix_is_monotonic(a in MIN_UNIX..=MAX_UNIX, b in MIN_UNIX..=MAX_UNIX) {
            let (ta, tb) = (DateTime::from_unix(a).unwrap(), DateTime::from_unix(b).unwrap());
            prop_assert_eq!(a.cmp(&b), ta.cmp(&tb));
        }

        #[test]
        fn modify_round_trip(secs in MIN_UNIX..=MAX_UNIX, nanos in 0u32..1_000_000_000) {
            let t = DateTime::from_unix_nanos(secs, nanos).unwrap();
            let text = t.to_modify_string();
            prop_assert_eq!(DateTime::parse_modify(text.as_bytes()), Some(t));
        }

        #[test]
        fn parse_modify_never_panics(s in proptest::collection::vec(any::<u8>(), 0..30)) {
            let _ = DateTime::parse_modify(&s);
        }
    }

    #[test]
    fn a_system_time_saturates_outside_the_calendar() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(
            DateTime::from(now),
            DateTime::from_system_time(now).unwrap()
        );
        let far = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(400_000_000_000);
        assert_eq!(DateTime::from(far), DateTime::MAX);
        if let Some(early) =
            SystemTime::UNIX_EPOCH.checked_sub(std::time::Duration::from_secs(70_000_000_000))
        {
            assert_eq!(DateTime::from(early), DateTime::MIN);
        }
    }
}
