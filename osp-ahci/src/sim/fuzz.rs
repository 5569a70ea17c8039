//! The device-input fuzz entry point: a simulated HBA whose devices, link behaviour, IDENTIFY
//! data and register values are steered by arbitrary bytes. Used by the cargo-fuzz target
//! `ahci_device` and by a bounded randomized test on stable.
//!
//! What is checked: the driver never panics and every call returns within its configured
//! bounds (measured on the simulated clock). With honest registers it must also never make the
//! model touch memory it does not own, nor break the spec's order of operations.

use std::time::Duration;
use std::vec::Vec;

use osp_hal::sim::{SimClock, SimMemory};
use osp_hal::{DmaBuffer, RegisterIo};

use super::{DeviceKind, DeviceSpec, HbaSpec, LinkMode, SimHba, Violation};
use crate::identify::IDENTIFY_LEN;
use crate::{Config, Dir, Hba, LinkTiming};

/// Reads bytes off the input, zeros once it runs out.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.data.split_at_checked(N)?;
        self.data = rest;
        head.try_into().ok()
    }
}

/// A register window that sometimes lies: each read may be replaced by a value from the input.
/// It is also the watchdog: a driver still polling registers after [`TIME_BOUND`] of simulated
/// time is stuck in a loop, which is reported as a panic instead of a hang.
struct Chaos<'a> {
    inner: SimHba,
    input: Input<'a>,
    clock: SimClock,
}

impl RegisterIo for Chaos<'_> {
    fn read32(&mut self, offset: usize) -> u32 {
        assert!(
            self.clock.elapsed() < TIME_BOUND,
            "driver still polling after {TIME_BOUND:?}"
        );
        let real = self.inner.read32(offset);
        if self.input.data.is_empty() {
            return real;
        }
        match self.input.byte() {
            0..=7 => self.input.u32(),
            8 => u32::MAX,
            9 => real ^ (1 << (self.input.byte() % 32)),
            _ => real,
        }
    }
    fn write32(&mut self, offset: usize, value: u32) {
        self.inner.write32(offset, value)
    }
}

/// Short timeouts so that a run costs milliseconds of host time.
pub fn config() -> Config {
    let ms = Duration::from_millis;
    let mut c = Config::normal()
        .with_link(LinkTiming {
            interval: ms(1),
            stable: ms(5),
            timeout: ms(40),
        })
        .with_pre_debounce_delay(ms(1))
        .with_ready_timeout(ms(40))
        .with_command_timeout(ms(20));
    c.hba_reset_timeout = ms(10);
    c.engine_stop_timeout = ms(5);
    c.handoff_timeout = ms(10);
    c.flush_timeout = ms(20);
    c
}

/// Upper bound of simulated time one [`run`] may take with [`config`]'s timeouts.
pub const TIME_BOUND: Duration = Duration::from_secs(30);

fn device(input: &mut Input<'_>) -> Option<DeviceSpec> {
    let b = input.byte();
    let kind = match b % 8 {
        0 => return None,
        1 => DeviceKind::Atapi,
        2 => DeviceKind::PortMultiplier,
        _ => DeviceKind::Disk,
    };
    let ss = if b & 0x80 != 0 { 4096 } else { 512 };
    let mut d = DeviceSpec::disk(64 + u64::from(input.byte()), ss);
    d.kind = kind;
    d.link_up_after = Duration::from_micros(u64::from(input.byte()) * 200);
    d.busy_for = Duration::from_micros(u64::from(input.byte()) * 200);
    d.link = match input.byte() % 6 {
        0 => LinkMode::Never,
        1 => LinkMode::Flapping {
            period: Duration::from_micros(u64::from(input.byte()) * 50),
        },
        2 => LinkMode::NeedsComreset,
        _ => LinkMode::Normal,
    };
    let e = input.byte();
    if e < 64 {
        d.error_lbas = std::vec![u64::from(e)];
    }
    d.engine_stuck = input.byte() == 0xEE;
    if input.byte() < 32 {
        d.identify = input.bytes::<IDENTIFY_LEN>();
    }
    Some(d)
}

/// What one [`run`] reached (so tests can check the harness is not vacuous).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Ports that came up ready.
    pub ready_ports: u32,
    /// I/O calls that succeeded.
    pub ops_ok: u32,
    /// I/O calls that failed (with a typed error).
    pub ops_failed: u32,
}

/// Runs one fuzz case. Panics only on a driver bug (a broken bound or invariant).
pub fn run(data: &[u8]) -> Summary {
    let mut summary = Summary::default();
    let mut input = Input { data };
    let flags = input.byte();
    let chaos = flags & 1 != 0;
    let spec = HbaSpec {
        ports: 4,
        slots: 1 + input.byte() % 32,
        staggered_spin_up: flags & 2 != 0,
        ncq: flags & 4 != 0,
        ncq_out_of_order: flags & 8 != 0,
        bios_handoff: (flags & 16 != 0).then(|| Duration::from_micros(100)),
        command_latency: Duration::from_micros(u64::from(input.byte()) * 10),
        ..HbaSpec::default()
    };
    let clock = SimClock::new();
    clock.set_relax_step(Duration::from_micros(20));
    let mem = SimMemory::new();
    let sim = SimHba::new(clock.clone(), mem.clone(), spec);
    for p in 0..4 {
        if let Some(d) = device(&mut input) {
            sim.attach(p, d);
        }
    }
    let ops: Vec<u8> = (0..16).map(|_| input.byte()).collect();
    let regs = Chaos {
        inner: sim.clone(),
        input: Input {
            data: if chaos { input.data } else { &[] },
        },
        clock: clock.clone(),
    };
    let Ok(mut hba) = Hba::new(regs, mem.clone(), clock.clone(), config()) else {
        assert!(clock.elapsed() < TIME_BOUND);
        return summary;
    };
    let report = hba.bring_up();
    let _ = std::format!("{report}");
    for p in report.ready() {
        summary.ready_ports += 1;
        let Ok(mut disk) = hba.disk(p) else { continue };
        let _ = std::format!("{}", disk.identify());
        let ss = disk.sector_size() as usize;
        let sectors = disk.sectors();
        for &op in &ops {
            let lba = u64::from(op) % sectors.max(1);
            let count = 1 + u32::from(op % 3);
            let Ok(mut buf) = DmaBuffer::new(mem.clone(), ss * 3, 8) else {
                return summary;
            };
            let r = match op % 5 {
                0 => disk.read_sectors(lba, count, &mut buf),
                1 => disk.write_sectors(lba, count, &buf),
                2 => disk.flush(),
                3 => match disk.ncq_submit(Dir::Write, lba, count, buf) {
                    Ok(_) => disk.ncq_wait().map(drop),
                    Err(r) => Err(r.error),
                },
                _ => {
                    let mut bufs = [buf];
                    disk.read(lba, &mut bufs)
                }
            };
            match r {
                Ok(()) => summary.ops_ok += 1,
                Err(_) => summary.ops_failed += 1,
            }
            assert!(
                clock.elapsed() < TIME_BOUND,
                "bounded: {:?}",
                clock.elapsed()
            );
        }
        while disk.ncq_in_flight() > 0 {
            if disk.ncq_wait().is_err() {
                break;
            }
        }
    }
    assert!(
        clock.elapsed() < TIME_BOUND,
        "bounded: {:?}",
        clock.elapsed()
    );
    if !chaos {
        assert!(mem.faults().is_empty(), "wild DMA: {:?}", mem.faults());
        let v = sim.violations();
        assert!(
            v.iter()
                .all(|v| !matches!(v, Violation::DmaFault(_) | Violation::NcqWithoutSact(..))),
            "{v:?}"
        );
    }
    summary
}
