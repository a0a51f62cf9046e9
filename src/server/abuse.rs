//! Per-address limits shared by a server's sessions ([`AddressLimits`], inside
//! [`Limits`](super::Limits)): how many control connections one IP address may hold
//! ([`Config::max_connections_per_ip`]), and the failed-login throttle: after
//! [`Config::max_login_failures`] failures from one address within
//! [`Config::login_failure_window`], that address is banned for [`Config::login_ban`]
//! (its connections and logins get `421`). Addresses are compared in canonical form (an
//! IPv4-mapped IPv6 address is its IPv4 address). Time is passed in.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansftp::server::{AddressLimits, AddressRefusal, Config};
//!
//! let mut config = Config::new();
//! config.max_connections_per_ip = Some(1);
//! config.max_login_failures = Some(2);
//! let now = Instant::now();
//! let limits = AddressLimits::new(&config);
//! let a = "10.0.0.1".parse().unwrap();
//! let b = "10.0.0.2".parse().unwrap();
//! let slot = limits.connect(a, now).unwrap();
//! assert_eq!(limits.connect(a, now).unwrap_err(), AddressRefusal::TooManyConnections);
//! drop(slot);
//! assert_eq!(limits.login_failed(a, now), None);
//! let until = limits.login_failed(a, now).unwrap(); // the second failure bans
//! assert_eq!(until, now + config.login_ban);
//! assert!(limits.connect(a, now).is_err());
//! assert!(limits.connect(b, now).is_ok()); // another address is not banned
//! assert!(limits.connect(a, until).is_ok()); // and the ban ends
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::config::Config;

/// Connection counts and failed logins per client address. Cheap to clone: clones
/// share everything.
#[derive(Debug, Clone)]
pub struct AddressLimits {
    shared: Arc<Shared>,
}

/// Why a connection from an address is refused (`421`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressRefusal {
    /// [`Config::max_connections_per_ip`] connections from it are open.
    TooManyConnections,
    /// It is banned after too many failed logins, until this instant.
    Banned {
        /// When the ban ends.
        until: Instant,
    },
}

/// One counted connection from an address; dropping it frees the slot.
#[derive(Debug)]
pub struct AddressGuard {
    shared: Arc<Shared>,
    ip: IpAddr,
}

#[derive(Debug)]
struct Shared {
    max_connections: Option<usize>,
    max_failures: Option<u32>,
    window: Duration,
    ban: Duration,
    addresses: Mutex<HashMap<IpAddr, State>>,
}

#[derive(Debug, Default)]
struct State {
    connections: usize,
    /// When each failed login within the window happened, oldest first.
    failures: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

/// Past this many addresses, entries with nothing left to remember are dropped.
const PRUNE_ABOVE: usize = 1024;

impl AddressLimits {
    /// Empty counters for `config`'s per-address limits.
    pub fn new(config: &Config) -> AddressLimits {
        AddressLimits {
            shared: Arc::new(Shared {
                max_connections: config.max_connections_per_ip,
                max_failures: config.max_login_failures.filter(|&n| n > 0),
                window: config.login_failure_window,
                ban: config.login_ban,
                addresses: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Counts a new control connection from `ip` at `now`, or says why it is refused: the
    /// address is banned, or holds [`Config::max_connections_per_ip`] connections.
    pub fn connect(&self, ip: IpAddr, now: Instant) -> Result<AddressGuard, AddressRefusal> {
        let ip = ip.to_canonical();
        let mut map = self.lock();
        prune(&mut map, now, self.shared.window);
        let state = map.entry(ip).or_default();
        if let Some(until) = state.banned(now) {
            return Err(AddressRefusal::Banned { until });
        }
        if state.connections >= self.shared.max_connections.unwrap_or(usize::MAX) {
            return Err(AddressRefusal::TooManyConnections);
        }
        state.connections += 1;
        Ok(AddressGuard {
            shared: Arc::clone(&self.shared),
            ip,
        })
    }

    /// When `ip`'s ban ends, if it is banned at `now`.
    pub fn banned_until(&self, ip: IpAddr, now: Instant) -> Option<Instant> {
        self.lock().get_mut(&ip.to_canonical())?.banned(now)
    }

    /// Records a failed login from `ip` at `now`. Returns the end of the ban this
    /// failure starts: when it is the [`Config::max_login_failures`]th within
    /// [`Config::login_failure_window`] (the count then starts over). A successful
    /// login does not clear the count (failures only expire), and one address's count
    /// is its own.
    pub fn login_failed(&self, ip: IpAddr, now: Instant) -> Option<Instant> {
        let max = self.shared.max_failures?;
        let mut map = self.lock();
        prune(&mut map, now, self.shared.window);
        let state = map.entry(ip.to_canonical()).or_default();
        state.expire(now, self.shared.window);
        state.failures.push_back(now);
        if state.failures.len() < usize::try_from(max).unwrap_or(usize::MAX) {
            return None;
        }
        state.failures.clear();
        let until = now.checked_add(self.shared.ban).unwrap_or(now);
        state.banned_until = Some(until);
        Some(until)
    }

    /// The failed logins from `ip` within the window at `now`.
    pub fn failures(&self, ip: IpAddr, now: Instant) -> usize {
        let mut map = self.lock();
        map.get_mut(&ip.to_canonical()).map_or(0, |s| {
            s.expire(now, self.shared.window);
            s.failures.len()
        })
    }

    /// The control connections counted from `ip` now.
    pub fn connections(&self, ip: IpAddr) -> usize {
        self.lock()
            .get(&ip.to_canonical())
            .map_or(0, |s| s.connections)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, State>> {
        lock(&self.shared.addresses)
    }
}

impl State {
    fn banned(&mut self, now: Instant) -> Option<Instant> {
        match self.banned_until {
            Some(until) if now < until => Some(until),
            _ => {
                self.banned_until = None;
                None
            }
        }
    }

    fn expire(&mut self, now: Instant, window: Duration) {
        while let Some(&first) = self.failures.front() {
            if now.saturating_duration_since(first) < window {
                break;
            }
            self.failures.pop_front();
        }
    }
}

impl Drop for AddressGuard {
    fn drop(&mut self) {
        if let Some(state) = lock(&self.shared.addresses).get_mut(&self.ip) {
            state.connections = state.connections.saturating_sub(1);
        }
    }
}

/// Bounds the map: once it is large, forgets addresses with no connection, no ban and
/// no failure left in the window.
fn prune(map: &mut HashMap<IpAddr, State>, now: Instant, window: Duration) {
    if map.len() <= PRUNE_ABOVE {
        return;
    }
    map.retain(|_, s| {
        s.expire(now, window);
        s.connections > 0 || s.banned(now).is_some() || !s.failures.is_empty()
    });
}

/// Every update under this lock is a single field change, so a poisoned lock still
/// holds consistent state.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn connections_per_address_and_mapped_addresses_count_as_one() {
        let mut config = Config::new();
        config.max_connections_per_ip = Some(2);
        let limits = AddressLimits::new(&config);
        let now = Instant::now();
        let a = limits.connect(ip("127.0.0.1"), now).unwrap();
        let _b = limits.connect(ip("::ffff:127.0.0.1"), now).unwrap();
        assert_eq!(
            limits.connect(ip("127.0.0.1"), now).unwrap_err(),
            AddressRefusal::TooManyConnections
        );
        assert_eq!(limits.connections(ip("127.0.0.1")), 2);
        let _other = limits.connect(ip("127.0.0.2"), now).unwrap();
        drop(a);
        assert!(limits.connect(ip("127.0.0.1"), now).is_ok());
        // Unlimited by default.
        let free = AddressLimits::new(&Config::new());
        let guards: Vec<_> = (0..50)
            .map(|_| free.connect(ip("10.0.0.1"), now).unwrap())
            .collect();
        assert_eq!(free.connections(ip("10.0.0.1")), 50);
        drop(guards);
        assert_eq!(free.connections(ip("10.0.0.1")), 0);
    }

    #[test]
    fn failures_ban_within_the_window_only() {
        let config = Config::new();
        assert_eq!(config.max_login_failures, Some(5));
        let limits = AddressLimits::new(&config);
        let t0 = Instant::now();
        let a = ip("10.0.0.1");
        for i in 0..4 {
            assert_eq!(limits.login_failed(a, t0 + Duration::from_secs(i)), None);
        }
        assert_eq!(limits.failures(a, t0 + Duration::from_secs(4)), 4);
        // The failures leave the window: still no ban at the fifth.
        let late = t0 + config.login_failure_window + Duration::from_secs(3);
        assert_eq!(limits.login_failed(a, late), None);
        assert_eq!(limits.failures(a, late), 1);
        for i in 1..4 {
            assert_eq!(limits.login_failed(a, late + Duration::from_secs(i)), None);
        }
        let at = late + Duration::from_secs(4);
        assert_eq!(limits.login_failed(a, at), Some(at + config.login_ban));
        assert_eq!(limits.banned_until(a, at), Some(at + config.login_ban));
        assert_eq!(limits.banned_until(ip("10.0.0.2"), at), None);
        assert!(matches!(
            limits.connect(a, at),
            Err(AddressRefusal::Banned { .. })
        ));
        assert_eq!(limits.banned_until(a, at + config.login_ban), None);
        // Off: never banned.
        let mut off = Config::new();
        off.max_login_failures = None;
        let never = AddressLimits::new(&off);
        for _ in 0..100 {
            assert_eq!(never.login_failed(a, t0), None);
        }
    }

    #[test]
    fn the_map_forgets_idle_addresses() {
        let limits = AddressLimits::new(&Config::new());
        let now = Instant::now();
        let kept = limits.connect(ip("192.168.0.1"), now).unwrap();
        for i in 0..=PRUNE_ABOVE as u32 {
            let addr = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            drop(limits.connect(addr, now).unwrap());
        }
        limits.connect(ip("10.255.0.1"), now).unwrap();
        assert!(limits.lock().len() <= 3, "{}", limits.lock().len());
        assert_eq!(limits.connections(ip("192.168.0.1")), 1);
        drop(kept);
    }
}
