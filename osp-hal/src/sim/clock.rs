use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::{Clock, Instant};

/// A simulated monotonic clock shared by a test, its driver and its device models.
///
/// Time moves only through [`advance`](Self::advance) and through [`Clock::relax`], which adds
/// the *relax step* (1 µs unless set otherwise): a driver's polling loop therefore always
/// reaches its deadline, and how many polls a wait costs is deterministic.
/// Clones share the same time line.
#[derive(Debug, Clone)]
pub struct SimClock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    now: AtomicU64,
    step: AtomicU64,
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new()
    }
}

impl SimClock {
    /// A clock at time zero with a 1 µs relax step.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                now: AtomicU64::new(0),
                step: AtomicU64::new(1_000),
            }),
        }
    }

    /// Moves time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .inner
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(add))
            });
    }

    /// Sets how far each [`Clock::relax`] moves time.
    pub fn set_relax_step(&self, step: Duration) {
        let step = u64::try_from(step.as_nanos()).unwrap_or(u64::MAX);
        self.inner.step.store(step, Ordering::Release);
    }

    /// Time since the epoch.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.inner.now.load(Ordering::Acquire))
    }
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        Instant::from_nanos(self.inner.now.load(Ordering::Acquire))
    }

    fn relax(&self) {
        self.advance(Duration::from_nanos(
            self.inner.step.load(Ordering::Acquire),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poll;

    #[test]
    fn clones_share_time_and_relax_moves_it() {
        let a = SimClock::new();
        let b = a.clone();
        a.advance(Duration::from_millis(3));
        assert_eq!(b.elapsed(), Duration::from_millis(3));
        b.set_relax_step(Duration::from_millis(1));
        a.relax();
        assert_eq!(a.now(), Instant::from_nanos(4_000_000));
    }

    #[test]
    fn a_two_second_timeout_ends_without_real_waiting() {
        let clock = SimClock::new();
        clock.set_relax_step(Duration::from_millis(5));
        let started = std::time::Instant::now();
        let r: Result<((), Duration), _> = poll(&clock, Duration::from_secs(2), || None);
        assert_eq!(r.unwrap_err().waited, Duration::from_secs(2));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_model_can_make_a_condition_true_later() {
        let clock = SimClock::new();
        let link_up_at = Instant::from_nanos(5_000_000);
        let r = poll(&clock, Duration::from_millis(100), || {
            (clock.now() >= link_up_at).then_some(())
        });
        assert_eq!(r.unwrap().1, Duration::from_millis(5));
    }
}
