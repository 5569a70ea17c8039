//! Monotonic time and bounded waiting.
//!
//! Every wait in every OSp driver is a loop against a [`Clock`] that ends at a [`Deadline`]: a
//! device that never answers costs its timeout, never a hang.

use core::fmt;
use core::time::Duration;

/// A point on a [`Clock`]'s monotonic time line, in nanoseconds since the clock's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The instant `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self { nanos }
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self + d`, saturating at the end of time (a deadline that never expires by overflow).
    pub fn saturating_add(self, d: Duration) -> Instant {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant {
            nanos: self.nanos.saturating_add(add),
        }
    }
}

/// A monotonic clock.
pub trait Clock {
    /// The current time. Never goes backwards.
    fn now(&self) -> Instant;

    /// Called on every iteration of a polling loop: a CPU spin hint on hardware; a simulated
    /// clock uses it to let time pass, so polling against a model always terminates.
    fn relax(&self) {
        core::hint::spin_loop();
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn relax(&self) {
        (**self).relax()
    }
}

/// The end of a bounded wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Deadline {
    start: Instant,
    end: Instant,
}

impl Deadline {
    /// A deadline `timeout` from now.
    pub fn after<C: Clock + ?Sized>(clock: &C, timeout: Duration) -> Self {
        let start = clock.now();
        Self {
            start,
            end: start.saturating_add(timeout),
        }
    }

    /// Whether the deadline has passed.
    pub fn expired<C: Clock + ?Sized>(&self, clock: &C) -> bool {
        clock.now() >= self.end
    }

    /// Time since the deadline was set.
    pub fn elapsed<C: Clock + ?Sized>(&self, clock: &C) -> Duration {
        clock.now().saturating_duration_since(self.start)
    }

    /// Time left until the deadline, zero once it has passed.
    pub fn remaining<C: Clock + ?Sized>(&self, clock: &C) -> Duration {
        self.end.saturating_duration_since(clock.now())
    }

    /// When the wait started.
    pub fn start(&self) -> Instant {
        self.start
    }
}

/// A bounded wait ended without its condition becoming true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeout {
    /// How long the wait lasted.
    pub waited: Duration,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.waited)
    }
}

impl core::error::Error for Timeout {}

/// Calls `f` until it returns `Some`, for at most `timeout`; returns the value and how long it
/// took. `f` is always called at least once, and once more after the deadline has passed, so a
/// condition that became true while the caller was descheduled is not reported as a timeout.
pub fn poll<C, T>(
    clock: &C,
    timeout: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> Result<(T, Duration), Timeout>
where
    C: Clock + ?Sized,
{
    let deadline = Deadline::after(clock, timeout);
    loop {
        let expired = deadline.expired(clock);
        if let Some(v) = f() {
            return Ok((v, deadline.elapsed(clock)));
        }
        if expired {
            return Err(Timeout {
                waited: deadline.elapsed(clock),
            });
        }
        clock.relax();
    }
}

/// Waits for `d` (a bounded busy wait; for the short holds specifications require, such as a
/// COMRESET pulse).
pub fn delay<C: Clock + ?Sized>(clock: &C, d: Duration) {
    let deadline = Deadline::after(clock, d);
    while !deadline.expired(clock) {
        clock.relax();
    }
}

/// The host's monotonic clock (`std::time::Instant`), for examples and benchmarks.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy)]
pub struct StdClock {
    epoch: std::time::Instant,
}

#[cfg(feature = "std")]
impl StdClock {
    /// A clock whose epoch is now.
    pub fn new() -> Self {
        Self {
            epoch: std::time::Instant::now(),
        }
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl Clock for StdClock {
    fn now(&self) -> Instant {
        let nanos = self.epoch.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// A clock that moves 1 ms on every relax.
    struct Steps(Cell<u64>);
    impl Clock for Steps {
        fn now(&self) -> Instant {
            Instant::from_nanos(self.0.get())
        }
        fn relax(&self) {
            self.0.set(self.0.get() + 1_000_000);
        }
    }

    #[test]
    fn poll_returns_value_and_time_taken() {
        let clock = Steps(Cell::new(0));
        let mut calls = 0;
        let r = poll(&clock, Duration::from_millis(10), || {
            calls += 1;
            (calls == 4).then_some(calls)
        });
        assert_eq!(r, Ok((4, Duration::from_millis(3))));
    }

    #[test]
    fn poll_gives_up_at_the_deadline_with_one_last_look() {
        let clock = Steps(Cell::new(0));
        let mut calls = 0u32;
        let r: Result<((), Duration), Timeout> = poll(&clock, Duration::from_millis(5), || {
            calls += 1;
            None
        });
        assert_eq!(
            r,
            Err(Timeout {
                waited: Duration::from_millis(5)
            })
        );
        assert_eq!(calls, 6, "0..=5 ms inclusive");
    }

    #[test]
    fn zero_timeout_still_looks_once() {
        let clock = Steps(Cell::new(0));
        assert_eq!(
            poll(&clock, Duration::ZERO, || Some(7)),
            Ok((7, Duration::ZERO))
        );
    }

    #[test]
    fn huge_timeouts_saturate_instead_of_wrapping() {
        let clock = Steps(Cell::new(u64::MAX - 10));
        let d = Deadline::after(&clock, Duration::MAX);
        assert!(!d.expired(&clock));
        assert_eq!(d.remaining(&clock), Duration::from_nanos(10));
    }

    #[test]
    fn delay_waits_at_least_the_duration() {
        let clock = Steps(Cell::new(0));
        delay(&clock, Duration::from_micros(2500));
        assert_eq!(clock.now(), Instant::from_nanos(3_000_000));
    }
}
