//! What a simulated HBA and its devices look like and how they misbehave.

use std::time::Duration;
use std::vec::Vec;

use crate::identify::{IDENTIFY_LEN, IdentifyBuilder};

/// The controller.
#[derive(Debug, Clone)]
pub struct HbaSpec {
    /// Number of ports (CAP.NP + 1), 1..=32.
    pub ports: u8,
    /// Ports implemented (PI); `None` = all of `ports`.
    pub pi: Option<u32>,
    /// Command slots (CAP.NCS + 1), 1..=32.
    pub slots: u8,
    /// CAP.SSS: ports stay spun down until the driver sets PxCMD.SUD.
    pub staggered_spin_up: bool,
    /// CAP.SNCQ.
    pub ncq: bool,
    /// CAP.S64A.
    pub addr64: bool,
    /// CAP.SCLO.
    pub clo: bool,
    /// CAP2.BOH, with the BIOS owning the HBA until the OS asks, then releasing it after
    /// `bios_release`.
    pub bios_handoff: Option<Duration>,
    /// How long GHC.HR takes; `None` = it never clears.
    pub hba_reset_time: Option<Duration>,
    /// How long PxCMD.CR takes to clear after ST is cleared.
    pub engine_stop_time: Duration,
    /// Time from PxCI to completion of each command.
    pub command_latency: Duration,
    /// NCQ completions come one tag per Set Device Bits FIS, highest tag first (out of order).
    pub ncq_out_of_order: bool,
}

impl Default for HbaSpec {
    /// Like QEMU's ich9-ahci: 6 ports, 32 slots, NCQ, 64-bit, no staggered spin-up, but with a
    /// reset that takes 100 µs.
    fn default() -> Self {
        Self {
            ports: 6,
            pi: None,
            slots: 32,
            staggered_spin_up: false,
            ncq: true,
            addr64: true,
            clo: false,
            bios_handoff: None,
            hba_reset_time: Some(Duration::from_micros(100)),
            engine_stop_time: Duration::from_micros(10),
            command_latency: Duration::ZERO,
            ncq_out_of_order: false,
        }
    }
}

/// What is attached to a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// An ATA disk.
    Disk,
    /// An ATAPI device (answers with the ATAPI signature and aborts IDENTIFY DEVICE).
    Atapi,
    /// A port multiplier (signature only).
    PortMultiplier,
}

/// How a port's PHY behaves after spin-up or COMRESET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    /// DET = 1 ("present, no PHY") until `link_up_after`, then 3.
    Normal,
    /// DET stays 1: the PHY never establishes communication.
    Never,
    /// After `link_up_after`, DET alternates 3 and 1 every `period`.
    Flapping {
        /// Time between changes.
        period: Duration,
    },
    /// DET stays 1 until the driver issues a COMRESET; then as `Normal`.
    NeedsComreset,
}

/// A device and its misbehaviour.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// Disk, ATAPI or port multiplier.
    pub kind: DeviceKind,
    /// Logical sectors.
    pub sectors: u64,
    /// Logical sector size in bytes.
    pub sector_size: u32,
    /// IDENTIFY data; `None` = built from the fields above.
    pub identify: Option<[u8; IDENTIFY_LEN]>,
    /// Time from spin-up (or COMRESET release) until the link is established.
    pub link_up_after: Duration,
    /// Link behaviour.
    pub link: LinkMode,
    /// Time the device keeps BSY set after the link is up.
    pub busy_for: Duration,
    /// LBAs whose reads and writes fail with UNC.
    pub error_lbas: Vec<u64>,
    /// PxCMD.CR never clears once the engine has run.
    pub engine_stuck: bool,
    /// Negotiated speed (PxSSTS.SPD).
    pub speed: u8,
}

impl DeviceSpec {
    /// A healthy disk whose link is up 5 ms after spin-up (what a real PHY needs, and what
    /// OSv's AHCI driver did not wait for).
    pub fn disk(sectors: u64, sector_size: u32) -> Self {
        Self {
            kind: DeviceKind::Disk,
            sectors,
            sector_size,
            identify: None,
            link_up_after: Duration::from_millis(5),
            link: LinkMode::Normal,
            busy_for: Duration::from_millis(2),
            error_lbas: Vec::new(),
            engine_stuck: false,
            speed: 3,
        }
    }

    /// An ATAPI drive.
    pub fn atapi() -> Self {
        Self {
            kind: DeviceKind::Atapi,
            ..Self::disk(0, 512)
        }
    }

    /// With this IDENTIFY data.
    pub fn with_identify(mut self, id: [u8; IDENTIFY_LEN]) -> Self {
        self.identify = Some(id);
        self
    }

    /// With the link up after `d`.
    pub fn link_up_after(mut self, d: Duration) -> Self {
        self.link_up_after = d;
        self
    }

    /// With this link behaviour.
    pub fn link(mut self, mode: LinkMode) -> Self {
        self.link = mode;
        self
    }

    /// Busy for `d` after link-up.
    pub fn busy_for(mut self, d: Duration) -> Self {
        self.busy_for = d;
        self
    }

    /// Failing LBAs.
    pub fn error_lbas(mut self, lbas: &[u64]) -> Self {
        self.error_lbas = lbas.to_vec();
        self
    }

    /// With a command engine that never stops.
    pub fn engine_stuck(mut self) -> Self {
        self.engine_stuck = true;
        self
    }

    pub(crate) fn identify_bytes(&self) -> [u8; IDENTIFY_LEN] {
        self.identify.unwrap_or_else(|| {
            IdentifyBuilder::disk(self.sectors, self.sector_size)
                .with_checksum()
                .build()
        })
    }
}
