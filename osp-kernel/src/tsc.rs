//! The kernel's monotonic clock: the TSC, calibrated against the PIT.
//!
//! PIT facts (Intel 82C54 datasheet; PC/AT wiring): 1.193182 MHz input clock; channel 2's gate
//! is port 0x61 bit 0, its output is readable as port 0x61 bit 5; mode/command register 0x43,
//! channel 2 data 0x42.

use core::sync::atomic::{AtomicU64, Ordering};

use osp_hal::{Clock, Instant, PortIo};

use crate::arch::Ports;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static TSC_EPOCH: AtomicU64 = AtomicU64::new(0);

fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects; long mode implies the TSC exists.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Records the epoch (call first thing at boot).
pub fn start() {
    TSC_EPOCH.store(rdtsc(), Ordering::Relaxed);
}

/// How the TSC rate was found.
#[derive(Debug, Clone, Copy)]
pub enum Calibration {
    /// Measured over a 10 ms PIT interval.
    Pit,
    /// The PIT never signalled: a 2 GHz guess (timeouts may be off by that factor).
    Guess,
}

/// Measures the TSC rate over 10 ms of PIT channel 2 (a bounded wait: a machine without a PIT
/// gets a guess and a warning rather than a hang).
pub fn calibrate() -> (u64, Calibration) {
    const PIT_HZ: u64 = 1_193_182;
    const TICKS: u64 = PIT_HZ / 100; // 10 ms
    const MAX_POLLS: u32 = 50_000_000;
    let mut p = Ports;
    let gate = p.read8(0x61);
    p.write8(0x61, (gate & !0x02) | 0x01); // speaker off, gate on
    p.write8(0x43, 0b1011_0000); // channel 2, lobyte/hibyte, mode 0, binary
    p.write8(0x42, (TICKS & 0xff) as u8);
    p.write8(0x42, (TICKS >> 8) as u8);
    // Restart the count: gate low then high.
    let g = p.read8(0x61);
    p.write8(0x61, g & !0x01);
    p.write8(0x61, g | 0x01);
    let t0 = rdtsc();
    let mut done = false;
    for _ in 0..MAX_POLLS {
        if p.read8(0x61) & 0x20 != 0 {
            done = true;
            break;
        }
    }
    let t1 = rdtsc();
    p.write8(0x61, gate);
    let (hz, how) = if done && t1 > t0 {
        ((t1 - t0) * 100, Calibration::Pit)
    } else {
        (2_000_000_000, Calibration::Guess)
    };
    TSC_HZ.store(hz, Ordering::Relaxed);
    (hz, how)
}

/// The TSC as an `osp_hal::Clock`, in nanoseconds since boot.
#[derive(Debug, Clone, Copy, Default)]
pub struct TscClock;

impl Clock for TscClock {
    fn now(&self) -> Instant {
        let hz = TSC_HZ.load(Ordering::Relaxed).max(1);
        let ticks = rdtsc().saturating_sub(TSC_EPOCH.load(Ordering::Relaxed));
        let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(hz);
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// Milliseconds since boot.
pub fn uptime_ms() -> u64 {
    TscClock.now().as_nanos() / 1_000_000
}
