//! The session's clock: [`Session::poll_timeout`], [`Session::handle_timeout`] and the
//! transfer progress report they need ([`Session::data_progress`]).
//!
//! One deadline at a time, by what the session waits for: see [`Session::handle_timeout`].

use std::time::{Duration, Instant};

use crate::code::Code;

use super::request::{Event, Output, RequestId};
use super::session::{Phase, Session, Wait};

impl Session {
    /// Tells the session the clock reached `now`. Call when the deadline from
    /// [`poll_timeout`](Session::poll_timeout) passes (calling early is harmless). While
    /// a transfer is connected, the session reads its byte count from the transfer's
    /// [`progress`](super::Transfer::progress) here (an adapter that keeps its own count
    /// reports it with [`data_progress`](Session::data_progress) first).
    ///
    /// This is where every deadline of the table below is acted on. A
    /// request left unanswered for [`Config::request_timeout`](super::Config::request_timeout)
    /// is given up: a storage request answers its command `451 Request timed out` and the
    /// session goes on; an auth request (a hung user manager) answers `421` and closes,
    /// since `451` is not a reply `USER`/`PASS` may get; a passive listener request
    /// answers `425`. The late answer is then ignored (its id is stale). A transfer
    /// whose data connection moved no byte for
    /// [`Config::stall_timeout`](super::Config::stall_timeout) is aborted with `426`
    /// ([`Event::DataStalled`]) and the session goes on. An upload whose data all
    /// arrived is committed ([`Output::CommitUpload`]) once
    /// [`Config::commit_grace`](super::Config::commit_grace) passed without the control
    /// connection closing.
    ///
    /// One deadline at a time, by what the session waits for:
    ///
    /// | waiting for | deadline | when it passes |
    /// |---|---|---|
    /// | the next command | [`Config::idle_timeout`](super::Config::idle_timeout) after the last | `421`, close |
    /// | an auth, storage or passive answer | [`Config::request_timeout`](super::Config::request_timeout) after the request | `421` and close (auth), `451` (storage), `425` (passive) |
    /// | a transfer's data connection | [`Config::data_wait_timeout`](super::Config::data_wait_timeout) | `425`, [`Output::AbortTransfer`] |
    /// | a connected transfer's bytes | [`Config::stall_timeout`](super::Config::stall_timeout) after the byte count last grew | `426`, [`Output::AbortTransfer`], the session goes on |
    /// | an upload's end of data | [`Config::commit_grace`](super::Config::commit_grace) after [`Session::data_done`] | [`Output::CommitUpload`] |
    /// | a failed login's `530` | [`Config::login_failure_delay`](super::Config::login_failure_delay) after the answer | `530`, the queued commands go on |
    /// | the commit's answer | [`Config::request_timeout`](super::Config::request_timeout) after the commit | `451`, [`Output::AbortTransfer`] |
    /// | anything, after [`Session::shutdown_by`] | its deadline | as [`Session::control_closed`]: [`Output::AbortTransfer`], [`Output::Close`] |
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if self.cut_at.is_some_and(|d| now >= d) {
            return self.control_closed();
        }
        if let Some(Wait::FailedLogin { until, .. }) = &self.wait {
            if now >= *until {
                if let Some(Wait::FailedLogin { text, .. }) = self.wait.take() {
                    self.last_activity = now;
                    self.reply(Code::NOT_LOGGED_IN, text);
                    self.pump(now);
                }
            }
            return;
        }
        self.sample_progress(now);
        let transfer = match &self.wait {
            Some(Wait::Transfer(t)) => Some((t.id, t.phase, t.deadline)),
            _ => None,
        };
        match transfer {
            Some((id, Phase::Opening, deadline)) if now >= deadline => {
                self.wait = None;
                self.emit(Output::AbortTransfer { id });
                self.reply(
                    Code::CANT_OPEN_DATA,
                    "Can't open data connection: timed out",
                );
                self.after_transfer(now);
            }
            Some((id, Phase::Moving { since, .. }, _))
                if self.stall_deadline(since).is_some_and(|d| now >= d) =>
            {
                if let Some(Wait::Transfer(t)) = self.wait.take() {
                    self.audit_aborted(&t);
                }
                self.emit(Output::AbortTransfer { id });
                self.emit(Output::Event(Event::DataStalled { id }));
                let secs = self.config.stall_timeout.unwrap_or_default().as_secs();
                self.reply(
                    Code::TRANSFER_ABORTED,
                    format!("Transfer aborted: no data moved for {secs} s"),
                );
                self.after_transfer(now);
            }
            Some((id, Phase::Grace { bytes, until }, _)) if now >= until => {
                self.commit(id, bytes, now);
            }
            Some((id, Phase::Committing { since, .. }, _))
                if self.commit_deadline(since).is_some_and(|d| now >= d) =>
            {
                if let Some(Wait::Transfer(t)) = self.wait.take() {
                    self.audit_aborted(&t);
                }
                self.emit(Output::AbortTransfer { id });
                self.emit(Output::Event(Event::RequestTimedOut { id }));
                self.reply(Code::LOCAL_ERROR, "Transfer failed: commit timed out");
                self.after_transfer(now);
            }
            Some((_, Phase::Moving { .. }, _)) => {
                // A progress check with no report: the next check is a quarter later
                // (never a deadline already past, which would spin the adapter).
                if let Some(Wait::Transfer(t)) = &mut self.wait {
                    if let Phase::Moving { checked, .. } = &mut t.phase {
                        *checked = (*checked).max(now);
                    }
                }
            }
            Some(_) => {}
            None if self.wait.is_some() => {
                if self.request_deadline().is_some_and(|d| now >= d) {
                    self.request_timed_out(now);
                }
            }
            None => {
                if self.idle_deadline().is_some_and(|d| now >= d) {
                    self.reply(
                        Code::SERVICE_UNAVAILABLE,
                        "Idle timeout, closing control connection",
                    );
                    self.emit(Output::Event(Event::IdleTimeout));
                    self.terminate();
                }
            }
        }
    }

    /// The next instant [`handle_timeout`](Session::handle_timeout) must be called at,
    /// if any. Ask again after every input. While an auth, storage or passive request is
    /// outstanding this is its [`Config::request_timeout`](super::Config::request_timeout)
    /// deadline, so an adapter that runs requests concurrently should wait for the
    /// answer *or* this instant. While a transfer is connected it is the stall deadline,
    /// or earlier (every quarter of the stall timeout) so that progress reported only at
    /// these instants still detects a stall within 1.25 times the timeout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let next = self.next_deadline();
        match (next, self.cut_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The deadline of what the session waits for (the table's).
    fn next_deadline(&self) -> Option<Instant> {
        match &self.wait {
            Some(Wait::Transfer(t)) => match t.phase {
                Phase::Opening => Some(t.deadline),
                Phase::Moving { since, checked, .. } => {
                    let stall = self.stall_deadline(since)?;
                    let quarter = self.config.stall_timeout.unwrap_or_default() / 4;
                    Some(checked.checked_add(quarter).map_or(stall, |c| c.min(stall)))
                }
                Phase::Grace { until, .. } => Some(until),
                Phase::Committing { since, .. } => self.commit_deadline(since),
            },
            Some(Wait::FailedLogin { until, .. }) => Some(*until),
            Some(_) => self.request_deadline(),
            None => self.idle_deadline(),
        }
    }

    /// Reports how many bytes transfer `id` has moved over its data connection so far
    /// (a running total, as [`data_done`](Session::data_done) would report it), for an
    /// adapter that does not count into [`Transfer::progress`](super::Transfer::progress).
    /// Call before [`handle_timeout`](Session::handle_timeout) while a transfer is
    /// connected; calling more often (after each block, say) is fine and never required: the
    /// session only needs to know whether the count grew since the last report. A count
    /// that did not grow for [`Config::stall_timeout`](super::Config::stall_timeout) is
    /// a stall. Stale ids are ignored.
    pub fn data_progress(&mut self, id: RequestId, bytes: u64, now: Instant) {
        if let Some(Wait::Transfer(t)) = &mut self.wait {
            if let (
                true,
                Phase::Moving {
                    bytes: b,
                    since,
                    checked,
                },
            ) = (t.id == id, &mut t.phase)
            {
                if bytes != *b {
                    *b = bytes;
                    *since = now;
                }
                *checked = now;
            }
        }
    }

    /// Reads the running transfer's [`Progress`](super::Progress): a count that grew
    /// since the last look is a report of progress, as [`data_progress`](Session::data_progress).
    fn sample_progress(&mut self, now: Instant) {
        if let Some(Wait::Transfer(t)) = &mut self.wait {
            let counted = t.progress.get();
            if let Phase::Moving {
                bytes,
                since,
                checked,
            } = &mut t.phase
            {
                if counted > *bytes {
                    (*bytes, *since, *checked) = (counted, now, now);
                }
            }
        }
    }

    /// The upload `id`'s data is all in and the control connection did not end within
    /// the grace: ask the adapter to commit.
    pub(super) fn commit(&mut self, id: RequestId, bytes: u64, now: Instant) {
        if let Some(Wait::Transfer(t)) = &mut self.wait {
            t.phase = Phase::Committing { bytes, since: now };
        }
        self.last_activity = now;
        self.emit(Output::CommitUpload { id });
    }

    fn stall_deadline(&self, since: Instant) -> Option<Instant> {
        let stall = self.config.stall_timeout.filter(|d| !d.is_zero())?;
        since.checked_add(stall)
    }

    fn commit_deadline(&self, since: Instant) -> Option<Instant> {
        since.checked_add(self.config.request_timeout?)
    }
}

/// The grace after an upload's end of data, as an instant (`None`: commit at once).
pub(super) fn grace_end(grace: Duration, now: Instant) -> Option<Instant> {
    if grace.is_zero() {
        return None;
    }
    now.checked_add(grace)
}
