//! Speed limits: a token bucket driven by [`Instant`]s passed in, never read inside.
//!
//! A [`Throttle`] answers two questions for whoever moves the bytes (the adapter): "how
//! much may I move now?" ([`Throttle::available`]) and "when may I move N bytes?"
//! ([`Throttle::ready_at`]); it is told what was moved with [`Throttle::consume`]. The
//! limit can change at any time ([`Throttle::set_limit`]), as a client's speed limits do
//! while it runs.
//!
//! Several limits can apply at once (aioftp's server has one for the whole server, one per
//! connection, one per user and one per user connection); [`available_all`],
//! [`ready_at_all`] and [`consume_all`] combine them: the smallest allowance and the latest
//! deadline win.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansftp::throttle::Throttle;
//!
//! let start = Instant::now(); // in a real program, the adapter's clock
//! let mut throttle = Throttle::new(Some(1000), start); // 1000 bytes/s, starts empty
//! assert_eq!(throttle.available(start), 0);
//! let later = start + Duration::from_millis(500);
//! assert_eq!(throttle.available(later), 500);
//! throttle.consume(500, later);
//! assert_eq!(throttle.ready_at(250, later), Some(later + Duration::from_millis(250)));
//! ```

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

/// The smallest burst a limited throttle gets by default, so that even a slow transfer
/// moves reasonably sized blocks after a pause.
pub const MIN_BURST: u64 = 4096;

/// A token bucket: a rate limit in bytes per second with a burst capacity.
///
/// It starts empty, so moving `S` bytes at `L` bytes/s takes `S / L` seconds from the
/// start, as in aioftp; the burst only lets a transfer catch up after a pause. The
/// default burst is a tenth of a second's worth, at least [`MIN_BURST`].
///
/// Moving more than was allowed is accounted as debt, repaid before anything else may
/// move, so the average rate holds whatever block size the caller uses. Time that goes
/// backwards counts as no time at all. No input makes it panic or overflow.
#[derive(Debug, Clone)]
pub struct Throttle {
    limit: Option<NonZeroU64>,
    burst: Option<NonZeroU64>,
    // Bytes × 10⁹, so that refilling is the exact integer product of elapsed nanoseconds
    // and bytes per second. Negative is debt. Kept in MIN_CREDIT..=cap.
    credit: i128,
    // Never moves backwards.
    last: Instant,
}

impl Throttle {
    /// A throttle of `limit` bytes per second; `None` or `Some(0)` means unlimited.
    pub fn new(limit: Option<u64>, now: Instant) -> Throttle {
        Throttle {
            limit: limit.and_then(NonZeroU64::new),
            burst: None,
            credit: 0,
            last: now,
        }
    }

    /// A throttle that never waits.
    pub fn unlimited(now: Instant) -> Throttle {
        Throttle::new(None, now)
    }

    /// The same throttle with a burst capacity of `burst` bytes instead of the default
    /// (`0` restores the default). A smaller burst gives smoother traffic and smaller
    /// blocks.
    pub fn with_burst(mut self, burst: u64) -> Throttle {
        self.burst = NonZeroU64::new(burst);
        self.credit = self.credit.min(self.cap());
        self
    }

    /// A new throttle with the same limit and burst, starting empty at `now`: what aioftp's
    /// `clone()` does to give every connection its own copy of a configured limit.
    pub fn fresh(&self, now: Instant) -> Throttle {
        Throttle {
            limit: self.limit,
            burst: self.burst,
            credit: 0,
            last: now,
        }
    }

    /// The limit in bytes per second, `None` when unlimited.
    pub fn limit(&self) -> Option<u64> {
        self.limit.map(NonZeroU64::get)
    }

    /// Whether there is a limit at all.
    pub fn is_limited(&self) -> bool {
        self.limit.is_some()
    }

    /// The burst capacity in bytes: the most [`available`](Self::available) can return.
    /// `u64::MAX` when unlimited.
    pub fn burst(&self) -> u64 {
        match (self.limit, self.burst) {
            (None, _) => u64::MAX,
            (Some(_), Some(burst)) => burst.get(),
            (Some(limit), None) => (limit.get() / 10).max(MIN_BURST),
        }
    }

    /// Changes the limit from `now` on (`None` or `Some(0)`: unlimited).
    ///
    /// Time before `now` is counted at the old rate, and debt carries over (it is bytes
    /// already moved), so a transfer cannot dodge a limit by having it changed. Going from
    /// unlimited to limited starts empty.
    pub fn set_limit(&mut self, limit: Option<u64>, now: Instant) {
        let limit = limit.and_then(NonZeroU64::new);
        self.credit = match (self.limit, limit) {
            (Some(_), Some(_)) => self.credit_at(now),
            _ => 0,
        };
        self.limit = limit;
        self.credit = self.credit.min(self.cap());
        self.advance(now);
    }

    /// How many bytes may be moved at `now`; `u64::MAX` when unlimited.
    pub fn available(&self, now: Instant) -> u64 {
        if self.limit.is_none() {
            return u64::MAX;
        }
        let whole = self.credit_at(now) / NANOS;
        // Credit never exceeds the cap, which is a u64 of bytes.
        u64::try_from(whole.max(0)).unwrap_or(u64::MAX)
    }

    /// Records that `n` bytes were moved at `now`. Moving more than
    /// [`available`](Self::available) is allowed and becomes debt.
    pub fn consume(&mut self, n: u64, now: Instant) {
        if self.limit.is_none() {
            return;
        }
        self.credit = self
            .credit_at(now)
            .saturating_sub(scaled(n))
            .max(MIN_CREDIT);
        self.advance(now);
    }

    /// How long after `now` until `n` bytes may be moved. A request larger than the
    /// burst only waits for a full bucket (then moving it makes debt), so any block size
    /// makes progress. `Duration::ZERO` when it may happen now or there is no limit;
    /// `n = 0` waits until any debt is repaid.
    pub fn delay(&self, n: u64, now: Instant) -> Duration {
        let Some(limit) = self.limit else {
            return Duration::ZERO;
        };
        let target = scaled(n.min(self.burst()));
        let credit = self.credit_at(now);
        if credit >= target {
            return Duration::ZERO;
        }
        // Positive and below 2^101: credit >= MIN_CREDIT and target <= cap.
        let missing = (target - credit).unsigned_abs();
        duration_from_nanos(missing.div_ceil(u128::from(limit.get())))
    }

    /// When `n` bytes may be moved: `None` if they may be moved at `now` (or there is no
    /// limit), else the instant to wait for. See [`delay`](Self::delay).
    pub fn ready_at(&self, n: u64, now: Instant) -> Option<Instant> {
        let delay = self.delay(n, now);
        if delay.is_zero() {
            return None;
        }
        // An instant that far away cannot be represented only after absurd debt; waking
        // up in an hour and asking again is then as good.
        Some(
            now.checked_add(delay)
                .or_else(|| now.checked_add(Duration::from_secs(3600)))
                .unwrap_or(now),
        )
    }

    /// The credit at `now`, refilled since `last` and capped, without storing it.
    fn credit_at(&self, now: Instant) -> i128 {
        let Some(limit) = self.limit else {
            return 0;
        };
        let cap = self.cap();
        if self.credit >= cap {
            return cap;
        }
        let elapsed = now
            .checked_duration_since(self.last)
            .unwrap_or_default()
            .as_nanos();
        let gain = elapsed.saturating_mul(u128::from(limit.get()));
        // Positive and below 2^101 (see MIN_CREDIT), so both conversions are exact.
        let room = (cap - self.credit).unsigned_abs();
        if gain >= room {
            cap
        } else {
            self.credit + gain as i128
        }
    }

    fn cap(&self) -> i128 {
        scaled(self.burst())
    }

    fn advance(&mut self, now: Instant) {
        if now > self.last {
            self.last = now;
        }
    }
}

/// The smallest [`Throttle::available`] among `throttles` (`u64::MAX` for none).
pub fn available_all<'a>(throttles: impl IntoIterator<Item = &'a Throttle>, now: Instant) -> u64 {
    throttles
        .into_iter()
        .map(|t| t.available(now))
        .min()
        .unwrap_or(u64::MAX)
}

/// The latest [`Throttle::ready_at`] among `throttles`: `None` when all of them let `n`
/// bytes move at `now`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sansftp::throttle::{Throttle, available_all, consume_all, ready_at_all};
///
/// let now = Instant::now();
/// let mut server = Throttle::new(Some(10_000), now);
/// let mut connection = Throttle::new(Some(1_000), now);
/// let later = now + Duration::from_secs(1);
/// assert_eq!(available_all([&server, &connection], later), 1_000);
/// consume_all([&mut server, &mut connection], 1_000, later);
/// assert_eq!(
///     ready_at_all([&server, &connection], 500, later),
///     Some(later + Duration::from_millis(500))
/// );
/// ```
pub fn ready_at_all<'a>(
    throttles: impl IntoIterator<Item = &'a Throttle>,
    n: u64,
    now: Instant,
) -> Option<Instant> {
    throttles
        .into_iter()
        .filter_map(|t| t.ready_at(n, now))
        .max()
}

/// Records `n` bytes moved at `now` in every one of `throttles`.
pub fn consume_all<'a>(
    throttles: impl IntoIterator<Item = &'a mut Throttle>,
    n: u64,
    now: Instant,
) {
    for t in throttles {
        t.consume(n, now);
    }
}

const NANOS: i128 = 1_000_000_000;

// Debt is bounded so that `cap - credit` always fits (cap < 2^94); a debt this large
// (over 10^21 bytes) is far beyond anything that can be moved.
const MIN_CREDIT: i128 = -(1 << 100);

fn scaled(bytes: u64) -> i128 {
    i128::from(bytes) * NANOS
}

fn duration_from_nanos(nanos: u128) -> Duration {
    let secs = nanos / 1_000_000_000;
    let sub = (nanos % 1_000_000_000) as u32; // < 10^9
    match u64::try_from(secs) {
        Ok(secs) => Duration::new(secs, sub),
        Err(_) => Duration::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: Duration) -> f64 {
        d.as_secs_f64()
    }

    /// Moves `total` bytes in blocks of at most `block` the way an adapter does: wait,
    /// take what is available, record it. Returns when the last byte is paid for.
    fn transfer(t: &mut Throttle, total: u64, block: u64, start: Instant) -> Instant {
        let mut now = start;
        let mut moved = 0;
        while moved < total {
            if let Some(at) = t.ready_at(block.min(total - moved), now) {
                assert!(at > now);
                now = at;
            }
            let n = t.available(now).min(block).min(total - moved);
            assert!(n > 0, "ready but nothing available");
            t.consume(n, now);
            moved += n;
        }
        t.ready_at(0, now).unwrap_or(now)
    }

    /// Like [`transfer`], but always moves whole blocks, running into debt.
    fn transfer_greedy(t: &mut Throttle, total: u64, block: u64, start: Instant) -> Instant {
        let mut now = start;
        let mut moved = 0;
        while moved < total {
            let n = block.min(total - moved);
            if let Some(at) = t.ready_at(n, now) {
                now = at;
            }
            t.consume(n, now);
            moved += n;
        }
        t.ready_at(0, now).unwrap_or(now)
    }

    #[test]
    fn ten_thousand_bytes_at_1000_per_second_take_ten_seconds() {
        let start = Instant::now();
        for block in [1, 100, 1000, 1500, 4096, 8192, 65536] {
            let mut t = Throttle::new(Some(1000), start);
            let took = secs(transfer(&mut t, 10_000, block, start) - start);
            assert!((9.9..=10.1).contains(&took), "block {block}: {took}s");
            let mut t = Throttle::new(Some(1000), start);
            let took = secs(transfer_greedy(&mut t, 10_000, block, start) - start);
            assert!(
                (9.9..=10.1).contains(&took),
                "greedy block {block}: {took}s"
            );
        }
    }

    #[test]
    fn rate_change_takes_effect() {
        let start = Instant::now();
        let mut t = Throttle::new(Some(1000), start);
        let half = transfer(&mut t, 5_000, 1000, start);
        assert!((4.9..=5.1).contains(&secs(half - start)));
        t.set_limit(Some(5000), half);
        let end = transfer(&mut t, 5_000, 1000, half);
        assert!((0.9..=1.1).contains(&secs(end - half)), "{:?}", end - half);
        // Lifting the limit mid-way: nothing waits any more.
        t.set_limit(None, end);
        assert_eq!(transfer(&mut t, 1 << 40, 1 << 30, end), end);
        // And limiting again starts empty.
        t.set_limit(Some(100), end);
        assert_eq!(t.available(end), 0);
    }

    #[test]
    fn debt_survives_a_rate_change() {
        let start = Instant::now();
        let mut t = Throttle::new(Some(1000), start);
        t.consume(3000, start);
        t.set_limit(Some(2000), start);
        assert_eq!(t.delay(0, start), Duration::from_millis(1500));
        // Zero means unlimited, as in aioftp.
        t.set_limit(Some(0), start);
        assert!(!t.is_limited());
        assert_eq!(t.delay(0, start), Duration::ZERO);
    }

    #[test]
    fn unlimited_never_waits() {
        let now = Instant::now();
        let mut t = Throttle::unlimited(now);
        t.consume(u64::MAX, now);
        t.consume(u64::MAX, now);
        assert_eq!(t.available(now), u64::MAX);
        assert_eq!(t.ready_at(u64::MAX, now), None);
        assert_eq!(t.delay(u64::MAX, now), Duration::ZERO);
        assert_eq!(t.burst(), u64::MAX);
        assert_eq!(t.limit(), None);
    }

    #[test]
    fn burst_caps_what_a_pause_saves() {
        let start = Instant::now();
        let t = Throttle::new(Some(1000), start);
        assert_eq!(t.burst(), MIN_BURST);
        let much_later = start + Duration::from_secs(3600);
        assert_eq!(t.available(much_later), MIN_BURST);
        let fast = Throttle::new(Some(10_000_000), start);
        assert_eq!(fast.burst(), 1_000_000);
        let t = Throttle::new(Some(1000), start).with_burst(10);
        assert_eq!(t.available(much_later), 10);
        // A block above the burst waits only for a full bucket.
        assert_eq!(t.delay(1000, start), Duration::from_millis(10));
        let copy = t.fresh(much_later);
        assert_eq!((copy.limit(), copy.burst()), (Some(1000), 10));
        assert_eq!(copy.available(much_later), 0);
    }

    #[test]
    fn backwards_time_counts_as_none() {
        let start = Instant::now();
        let later = start + Duration::from_secs(2);
        let mut t = Throttle::new(Some(1000), start);
        t.consume(500, later);
        assert_eq!(t.available(later), 1500);
        // Asking about the past sees no refill, and does not panic.
        assert_eq!(t.available(start), 1500);
        t.consume(1500, start);
        assert_eq!(t.available(later), 0);
        assert_eq!(t.delay(1, start), Duration::from_millis(1));
        t.set_limit(Some(2000), start);
        assert_eq!(t.available(later + Duration::from_secs(1)), 2000);
    }

    #[test]
    fn extremes_do_not_overflow() {
        let start = Instant::now();
        let far = start + Duration::from_secs(1 << 40);
        let mut t = Throttle::new(Some(u64::MAX), start);
        assert_eq!(t.available(far), u64::MAX / 10);
        t.consume(u64::MAX, far);
        t.consume(u64::MAX, far);
        // Two full-rate seconds of debt below a full bucket.
        assert_eq!(t.delay(u64::MAX, far), Duration::from_secs(2));
        let mut slow = Throttle::new(Some(1), start).with_burst(u64::MAX);
        for _ in 0..1000 {
            slow.consume(u64::MAX, start);
        }
        assert_eq!(slow.available(far), 0);
        let d = slow.delay(u64::MAX, start);
        assert!(d > Duration::from_secs(u64::MAX / 2));
        assert!(slow.ready_at(u64::MAX, start).is_some());
        assert_eq!(duration_from_nanos(u128::MAX), Duration::MAX);
        let mut huge_burst = Throttle::new(Some(u64::MAX), start).with_burst(u64::MAX);
        assert_eq!(huge_burst.available(far), u64::MAX);
        huge_burst.set_limit(Some(1), far);
        assert_eq!(huge_burst.available(far), u64::MAX);
    }

    #[test]
    fn combined_limits_take_the_strictest() {
        let start = Instant::now();
        let mut server = Throttle::new(Some(2000), start);
        let mut user = Throttle::new(Some(1000), start);
        let mut conn = Throttle::unlimited(start);
        let mut now = start;
        let mut moved = 0u64;
        while moved < 10_000 {
            if let Some(at) = ready_at_all([&server, &user, &conn], 1000, now) {
                now = at;
            }
            let n = available_all([&server, &user, &conn], now).min(1000);
            consume_all([&mut server, &mut user, &mut conn], n, now);
            moved += n;
        }
        assert!((9.9..=10.1).contains(&secs(now - start)));
        assert_eq!(available_all([], now), u64::MAX);
        assert_eq!(ready_at_all([], 1, now), None);
    }
}
