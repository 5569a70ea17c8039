#![allow(dead_code)]

use std::time::Duration;

use osp_ahci::sim::{DeviceSpec, HbaSpec, SimHba};
use osp_ahci::{BringUpReport, Config, Hba};
use osp_hal::sim::{SimClock, SimMemory};

pub type SimDriver = Hba<SimHba, SimMemory, SimClock>;

pub struct Rig {
    pub sim: SimHba,
    pub mem: SimMemory,
    pub clock: SimClock,
}

impl Rig {
    pub fn new(spec: HbaSpec, devices: &[(u8, DeviceSpec)]) -> Self {
        let clock = SimClock::new();
        clock.set_relax_step(Duration::from_micros(10));
        let mem = SimMemory::new();
        let sim = SimHba::new(clock.clone(), mem.clone(), spec);
        for (p, d) in devices {
            sim.attach(*p, d.clone());
        }
        Self { sim, mem, clock }
    }

    pub fn hba(&self, config: Config) -> SimDriver {
        Hba::new(
            self.sim.clone(),
            self.mem.clone(),
            self.clock.clone(),
            config,
        )
        .unwrap()
    }

    pub fn up(&self, config: Config) -> (SimDriver, BringUpReport) {
        let mut hba = self.hba(config);
        let report = hba.bring_up();
        (hba, report)
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The scratch pattern the kernel writes: sector k holds k, "OSPWRITE", then (k + j) mod 251.
pub fn pattern(first: u64, count: usize, ss: usize) -> Vec<u8> {
    let mut v = vec![0u8; count * ss];
    for (i, s) in v.chunks_mut(ss).enumerate() {
        let k = first + i as u64;
        s[..8].copy_from_slice(&k.to_le_bytes());
        s[8..16].copy_from_slice(b"OSPWRITE");
        for (j, b) in s.iter_mut().enumerate().skip(16) {
            *b = ((k + j as u64) % 251) as u8;
        }
    }
    v
}
