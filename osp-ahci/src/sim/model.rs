//! The simulated HBA's state machines and command engine.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use osp_hal::sim::{SimClock, SimMemory};
use osp_hal::{Clock, Instant, RegisterIo};
use zerocopy::{FromBytes, IntoBytes};

use super::spec::{DeviceKind, DeviceSpec, HbaSpec, LinkMode};
use crate::fis::{
    self, CommandHeader, D2hFis, H2dFis, PioSetupFis, PrdtEntry, SdbFis, ata_cmd, fis_type,
};
use crate::identify::IDENTIFY_LEN;
use crate::regs::{
    self, Bohc, Cap, Cap2, Ghc, PortCmd, PortIs, Sctl, Ssts, ata_error, ata_status, det, host,
    port, sig,
};

/// Something the driver did in the wrong order, or a DMA access the model had to refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// PxCMD.ST set while FRE was clear or no command list was programmed.
    StartWithoutFre(u8),
    /// PxCMD.ST set while the device was busy (BSY or DRQ) — §10.3.1 forbids it.
    StartWhileBusy(u8),
    /// PxCLB or PxFB written while the engine or FIS receive was running.
    BaseWhileRunning(u8),
    /// PxCI written while PxCMD.ST was clear.
    IssueWithoutStart(u8),
    /// An FPDMA command issued without its PxSACT bit set first.
    NcqWithoutSact(u8, u8),
    /// COMRESET (PxSCTL.DET = 1) while PxCMD.ST was set.
    ComresetWhileStarted(u8),
    /// A command list, table or PRD pointed outside the driver's DMA memory.
    DmaFault(u8),
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Commands executed (all kinds).
    pub commands: u64,
    /// Of which NCQ.
    pub ncq_commands: u64,
    /// Sectors read.
    pub sectors_read: u64,
    /// Sectors written.
    pub sectors_written: u64,
    /// COMRESETs seen.
    pub comresets: u64,
    /// HBA resets seen.
    pub hba_resets: u64,
}

struct Device {
    spec: DeviceSpec,
    data: Vec<u8>,
    identify: [u8; IDENTIFY_LEN],
}

#[derive(Default)]
struct PortModel {
    dev: Option<Device>,
    removed: bool,
    clb: u64,
    fb: u64,
    is: u32,
    ie: u32,
    cmd: PortCmd,
    cr_clear_at: Option<Instant>,
    tfd: u32,
    sig: u32,
    sctl: u32,
    serr: u32,
    sact: u32,
    ci: u32,
    epoch: Option<Instant>,
    comreset_seen: bool,
    d2h_sent: bool,
    halted: bool,
    /// Issued slots and when they are due.
    pending: Vec<(u8, Instant)>,
    /// NCQ tags whose data has moved, waiting for their Set Device Bits FIS.
    ncq_done: u32,
    /// PxIS error bits the next command ends with (a fault injected by a test).
    inject: u32,
}

struct Model {
    spec: HbaSpec,
    mem: SimMemory,
    clock: SimClock,
    ghc: Ghc,
    cap_written: u32,
    pi: u32,
    is: u32,
    bohc: Bohc,
    bios_release_at: Option<Instant>,
    hr_done_at: Option<Instant>,
    ports: Vec<PortModel>,
    gone: bool,
    violations: Vec<Violation>,
    stats: SimStats,
}

/// A simulated AHCI HBA. Clones share the same device: keep one to turn knobs while the driver
/// owns another.
#[derive(Clone)]
pub struct SimHba {
    inner: Arc<Mutex<Model>>,
}

impl core::fmt::Debug for SimHba {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimHba").finish_non_exhaustive()
    }
}

/// The register map: what an offset in the ABAR window names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reg {
    Host(usize),
    Port(u8, usize),
    Unmapped,
}

fn decode(offset: usize, nports: u8) -> Reg {
    if offset % 4 != 0 || offset >= regs::ABAR_LEN {
        return Reg::Unmapped;
    }
    if offset < 0x100 {
        return Reg::Host(offset);
    }
    let p = (offset - 0x100) / 0x80;
    if p >= usize::from(nports) {
        return Reg::Unmapped;
    }
    Reg::Port(p as u8, (offset - 0x100) % 0x80)
}

const TFD_RESET: u32 = 0x7F;

impl SimHba {
    /// A controller with no devices attached.
    pub fn new(clock: SimClock, mem: SimMemory, spec: HbaSpec) -> Self {
        let nports = spec.ports.clamp(1, 32);
        let pi = spec.pi.unwrap_or(if nports == 32 {
            u32::MAX
        } else {
            (1 << nports) - 1
        });
        let now = clock.now();
        let mut ports = Vec::new();
        for _ in 0..nports {
            ports.push(PortModel::default());
        }
        let bohc = Bohc::new().with_bos(spec.bios_handoff.is_some());
        let mut m = Model {
            spec: HbaSpec {
                ports: nports,
                ..spec
            },
            mem,
            clock,
            ghc: Ghc::new(),
            cap_written: 0,
            pi,
            is: 0,
            bohc,
            bios_release_at: None,
            hr_done_at: None,
            ports,
            gone: false,
            violations: Vec::new(),
            stats: SimStats::default(),
        };
        for p in 0..nports {
            m.reset_port(p, now);
        }
        Self {
            inner: Arc::new(Mutex::new(m)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Model> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Attaches a device to port `p` (a hot plug if the port is running).
    pub fn attach(&self, p: u8, spec: DeviceSpec) -> &Self {
        let mut m = self.lock();
        let now = m.clock.now();
        let sss = m.spec.staggered_spin_up;
        if let Some(port) = m.ports.get_mut(usize::from(p)) {
            let bytes = usize::try_from(spec.sectors.saturating_mul(u64::from(spec.sector_size)))
                .unwrap_or(0);
            let identify = spec.identify_bytes();
            port.dev = Some(Device {
                spec,
                data: vec![0; bytes],
                identify,
            });
            port.removed = false;
            if !sss || port.cmd.sud() {
                port.epoch = Some(now);
            }
            port.d2h_sent = false;
            port.is |= PortIs::new().with_pcs(true).into_bits();
        }
        drop(m);
        self
    }

    /// Surprise removal of port `p`'s device: the link drops (DET = 0), PxIS.PRCS is set and
    /// nothing in flight ever completes.
    pub fn remove_device(&self, p: u8) {
        let mut m = self.lock();
        if let Some(port) = m.ports.get_mut(usize::from(p)) {
            port.removed = true;
            port.is |= PortIs::new().with_prcs(true).into_bits();
            port.tfd = TFD_RESET;
        }
    }

    /// The whole controller disappears: every register reads all-ones.
    pub fn surprise_removal(&self) {
        self.lock().gone = true;
    }

    /// Sets the failing LBAs of port `p`'s device.
    pub fn set_error_lbas(&self, p: u8, lbas: &[u64]) {
        let mut m = self.lock();
        if let Some(d) = m.ports.get_mut(usize::from(p)).and_then(|x| x.dev.as_mut()) {
            d.spec.error_lbas = lbas.to_vec();
        }
    }

    /// Makes the next command on port `p` end with the fatal PxIS bits `is` (for example
    /// `PortIs::new().with_hbfs(true)` for a host bus fatal error, or IFS for an interface
    /// fatal error): the HBA stops processing that port's command list.
    pub fn inject_fatal(&self, p: u8, is: PortIs) {
        let mut m = self.lock();
        if let Some(port) = m.ports.get_mut(usize::from(p)) {
            port.inject = is.into_bits() & PortIs::FATAL;
        }
    }

    /// Changes the per-command latency.
    pub fn set_command_latency(&self, d: Duration) {
        self.lock().spec.command_latency = d;
    }

    /// A copy of `count` sectors of port `p`'s disk from `lba` (empty if out of range).
    pub fn disk_bytes(&self, p: u8, lba: u64, count: u64) -> Vec<u8> {
        let m = self.lock();
        let Some(d) = m.ports.get(usize::from(p)).and_then(|x| x.dev.as_ref()) else {
            return Vec::new();
        };
        let ss = u64::from(d.spec.sector_size);
        let (Some(s), Some(e)) = (lba.checked_mul(ss), (lba + count).checked_mul(ss)) else {
            return Vec::new();
        };
        d.data
            .get(s as usize..e as usize)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// Order-of-operations mistakes seen so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.lock().violations.clone()
    }

    /// Counters.
    pub fn stats(&self) -> SimStats {
        self.lock().stats
    }

    /// The clock the model runs on.
    pub fn clock(&self) -> SimClock {
        self.lock().clock.clone()
    }
}

impl RegisterIo for SimHba {
    fn read32(&mut self, offset: usize) -> u32 {
        let mut m = self.lock();
        if m.gone {
            return u32::MAX;
        }
        let now = m.clock.now();
        m.update(now);
        match decode(offset, m.spec.ports) {
            Reg::Host(off) => m.read_host(off),
            Reg::Port(p, off) => m.read_port(p, off, now),
            Reg::Unmapped => {
                if offset < regs::ABAR_LEN {
                    0
                } else {
                    u32::MAX
                }
            }
        }
    }

    fn write32(&mut self, offset: usize, value: u32) {
        let mut m = self.lock();
        if m.gone {
            return;
        }
        let now = m.clock.now();
        m.update(now);
        match decode(offset, m.spec.ports) {
            Reg::Host(off) => m.write_host(off, value, now),
            Reg::Port(p, off) => m.write_port(p, off, value, now),
            Reg::Unmapped => {}
        }
        m.update(now);
    }
}

impl Model {
    fn cap(&self) -> Cap {
        let s = &self.spec;
        Cap::new()
            .with_np(s.ports - 1)
            .with_ncs(s.slots.clamp(1, 32) - 1)
            .with_sss(s.staggered_spin_up)
            .with_sncq(s.ncq)
            .with_s64a(s.addr64)
            .with_sclo(s.clo)
            .with_sam(true)
            .with_iss(3)
    }

    fn reset_port(&mut self, p: u8, now: Instant) {
        let sss = self.spec.staggered_spin_up;
        let port = &mut self.ports[usize::from(p)];
        port.cmd = PortCmd::new().with_sud(!sss).with_pod(true).with_hpcp(true);
        port.cr_clear_at = None;
        port.is = 0;
        port.ie = 0;
        port.tfd = TFD_RESET;
        port.sig = u32::MAX;
        port.sctl = 0;
        port.serr = 0;
        port.sact = 0;
        port.ci = 0;
        port.epoch = if sss { None } else { Some(now) };
        port.d2h_sent = false;
        port.halted = false;
        port.pending.clear();
        port.ncq_done = 0;
    }

    fn read_host(&mut self, off: usize) -> u32 {
        match off {
            host::CAP => self.cap().into_bits(),
            host::GHC => self.ghc.with_ae(true).into_bits(),
            host::IS => self.is,
            host::PI => self.pi,
            host::VS => 0x0001_0301,
            host::CAP2 => Cap2::new()
                .with_boh(self.spec.bios_handoff.is_some())
                .into_bits(),
            host::BOHC => self.bohc.into_bits(),
            _ => 0,
        }
    }

    fn write_host(&mut self, off: usize, v: u32, now: Instant) {
        match off {
            host::GHC => {
                let g = Ghc::from_bits(v);
                if g.hr() && !self.ghc.hr() {
                    self.stats.hba_resets += 1;
                    self.ghc = Ghc::new().with_hr(true);
                    self.hr_done_at = self.spec.hba_reset_time.map(|d| now.saturating_add(d));
                } else if !self.ghc.hr() {
                    self.ghc = g.with_hr(false);
                }
            }
            host::IS => self.is &= !v,
            host::CAP => self.cap_written = v,
            host::BOHC => {
                let b = Bohc::from_bits(v);
                if b.oos() && !self.bohc.oos() {
                    self.bohc = self.bohc.with_oos(true).with_ooc(true);
                    let d = self.spec.bios_handoff.unwrap_or_default();
                    self.bios_release_at = Some(now.saturating_add(d));
                }
            }
            _ => {}
        }
    }

    fn det(&self, p: u8, now: Instant) -> u8 {
        let port = &self.ports[usize::from(p)];
        let Some(dev) = port.dev.as_ref().filter(|_| !port.removed) else {
            return det::NONE;
        };
        match Sctl::from_bits(port.sctl).det() {
            det::COMRESET => return det::NONE,
            det::DISABLE => return det::OFFLINE,
            _ => {}
        }
        let Some(epoch) = port.epoch else {
            return det::NONE;
        };
        let t = now.saturating_duration_since(epoch);
        let up = t >= dev.spec.link_up_after;
        match dev.spec.link {
            LinkMode::Never => det::PRESENT_NO_PHY,
            LinkMode::NeedsComreset if !port.comreset_seen => det::PRESENT_NO_PHY,
            LinkMode::Flapping { period } if up => {
                let since = (t - dev.spec.link_up_after).as_nanos();
                let period = period.as_nanos().max(1);
                if (since / period) % 2 == 0 {
                    det::ESTABLISHED
                } else {
                    det::PRESENT_NO_PHY
                }
            }
            _ if up => det::ESTABLISHED,
            _ => det::PRESENT_NO_PHY,
        }
    }

    fn read_port(&mut self, p: u8, off: usize, now: Instant) -> u32 {
        let d = self.det(p, now);
        let port = &self.ports[usize::from(p)];
        match off {
            port::CLB => port.clb as u32,
            port::CLBU => (port.clb >> 32) as u32,
            port::FB => port.fb as u32,
            port::FBU => (port.fb >> 32) as u32,
            port::IS => port.is,
            port::IE => port.ie,
            port::CMD => {
                let running = port.cmd.st() || port.cr_clear_at.is_some();
                port.cmd
                    .with_cr(running)
                    .with_fr(port.cmd.fre())
                    .into_bits()
            }
            port::TFD => port.tfd,
            port::SIG => port.sig,
            port::SSTS => {
                let limit = Sctl::from_bits(port.sctl).spd();
                let spd = port.dev.as_ref().map_or(0, |d| d.spec.speed);
                let spd = if limit == 0 { spd } else { spd.min(limit) };
                let s = Ssts::new().with_det(d);
                if d == det::ESTABLISHED {
                    s.with_spd(spd).with_ipm(1)
                } else {
                    s
                }
                .into_bits()
            }
            port::SCTL => port.sctl,
            port::SERR => port.serr,
            port::SACT => port.sact,
            port::CI => port.ci,
            _ => 0,
        }
    }

    fn write_port(&mut self, p: u8, off: usize, v: u32, now: Instant) {
        let sss = self.spec.staggered_spin_up;
        let idx = usize::from(p);
        let running = {
            let port = &self.ports[idx];
            port.cmd.st() || port.cmd.fre() || port.cr_clear_at.is_some()
        };
        match off {
            port::CLB | port::CLBU | port::FB | port::FBU => {
                if running {
                    self.violations.push(Violation::BaseWhileRunning(p));
                }
                let port = &mut self.ports[idx];
                let set_lo = |r: &mut u64, v: u32| *r = (*r & !0xFFFF_FFFF) | u64::from(v);
                let set_hi = |r: &mut u64, v: u32| *r = (*r & 0xFFFF_FFFF) | (u64::from(v) << 32);
                match off {
                    port::CLB => set_lo(&mut port.clb, v & !0x3FF),
                    port::CLBU => set_hi(&mut port.clb, v),
                    port::FB => set_lo(&mut port.fb, v & !0xFF),
                    _ => set_hi(&mut port.fb, v),
                }
            }
            port::IS => self.ports[idx].is &= !v,
            port::IE => self.ports[idx].ie = v,
            port::SERR => self.ports[idx].serr &= !v,
            port::SACT if self.ports[idx].cmd.st() => self.ports[idx].sact |= v,
            port::CI => {
                if !self.ports[idx].cmd.st() {
                    self.violations.push(Violation::IssueWithoutStart(p));
                    return;
                }
                let latency = self.spec.command_latency;
                let port = &mut self.ports[idx];
                let new = v & !port.ci;
                port.ci |= v;
                for slot in 0..32u8 {
                    if new & (1 << slot) != 0 {
                        port.pending.push((slot, now.saturating_add(latency)));
                    }
                }
            }
            port::SCTL => {
                let old = Sctl::from_bits(self.ports[idx].sctl).det();
                let new = Sctl::from_bits(v).det();
                if new == det::COMRESET && self.ports[idx].cmd.st() {
                    self.violations.push(Violation::ComresetWhileStarted(p));
                }
                let port = &mut self.ports[idx];
                port.sctl = v;
                if new == det::COMRESET && old != det::COMRESET {
                    self.stats.comresets += 1;
                    port.epoch = None;
                    port.d2h_sent = false;
                    port.tfd = u32::from(ata_status::BSY);
                } else if new == 0 && old == det::COMRESET {
                    port.comreset_seen = true;
                    if !sss || port.cmd.sud() {
                        port.epoch = Some(now);
                    }
                }
            }
            port::CMD => self.write_cmd(p, PortCmd::from_bits(v), now),
            _ => {}
        }
    }

    fn write_cmd(&mut self, p: u8, new: PortCmd, now: Instant) {
        let sss = self.spec.staggered_spin_up;
        let idx = usize::from(p);
        let stop_time = self.spec.engine_stop_time;
        let old = self.ports[idx].cmd;
        let busy = self.ports[idx].tfd as u8 & (ata_status::BSY | ata_status::DRQ) != 0;
        if new.st() && !old.st() {
            if !new.fre() || self.ports[idx].clb == 0 {
                self.violations.push(Violation::StartWithoutFre(p));
            }
            if busy {
                self.violations.push(Violation::StartWhileBusy(p));
            }
        }
        if new.fre() && !old.fre() && self.ports[idx].fb == 0 {
            self.violations.push(Violation::StartWithoutFre(p));
        }
        let port = &mut self.ports[idx];
        let stuck = port.dev.as_ref().is_some_and(|d| d.spec.engine_stuck);
        if old.st() && !new.st() {
            // §3.3.7: clearing ST clears PxCI and PxSACT; CR follows after a while.
            port.ci = 0;
            port.sact = 0;
            port.pending.clear();
            port.ncq_done = 0;
            port.halted = false;
            port.cr_clear_at = Some(if stuck {
                Instant::from_nanos(u64::MAX)
            } else {
                now.saturating_add(stop_time)
            });
        }
        let sud = if sss { new.sud() } else { true };
        if sss && sud && !old.sud() && Sctl::from_bits(port.sctl).det() == 0 {
            port.epoch = Some(now);
        }
        port.cmd = old
            .with_st(new.st())
            .with_fre(new.fre())
            .with_sud(sud)
            .with_pod(new.pod())
            .with_icc(0)
            .with_clo(false);
    }

    fn update(&mut self, now: Instant) {
        if let Some(t) = self.hr_done_at {
            if now >= t {
                self.hr_done_at = None;
                self.ghc = Ghc::new();
                for p in 0..self.spec.ports {
                    self.reset_port(p, now);
                }
            }
        }
        if let Some(t) = self.bios_release_at {
            if now >= t {
                self.bios_release_at = None;
                self.bohc = self.bohc.with_bos(false).with_bb(false);
            }
        }
        for p in 0..self.spec.ports {
            self.update_port(p, now);
        }
    }

    fn update_port(&mut self, p: u8, now: Instant) {
        let idx = usize::from(p);
        if let Some(t) = self.ports[idx].cr_clear_at {
            if now >= t && !self.ports[idx].cmd.st() {
                self.ports[idx].cr_clear_at = None;
            }
        }
        let d = self.det(p, now);
        let port = &mut self.ports[idx];
        if port.removed {
            return;
        }
        // The device's first D2H FIS, once the link is up, it is no longer busy, and FIS
        // receive is on (QEMU latches PxSIG only then, too).
        if d == det::ESTABLISHED && !port.d2h_sent && port.cmd.fre() {
            let (Some(dev), Some(epoch)) = (port.dev.as_ref(), port.epoch) else {
                return;
            };
            let ready_at = epoch.saturating_add(dev.spec.link_up_after + dev.spec.busy_for);
            if now >= ready_at {
                let (signature, status) = match dev.spec.kind {
                    DeviceKind::Disk => (sig::ATA, 0x50),
                    DeviceKind::Atapi => (sig::ATAPI, 0x00),
                    DeviceKind::PortMultiplier => (sig::PORT_MULTIPLIER, 0x50),
                };
                port.sig = signature;
                port.d2h_sent = true;
                let fb = port.fb;
                self.post_d2h(p, fb, status, 1);
                self.ports[idx].serr |= 1 << 26;
            } else {
                port.tfd = u32::from(ata_status::BSY);
            }
        }
        self.run_commands(p, now);
        self.complete_ncq(p);
    }

    fn post_d2h(&mut self, p: u8, fb: u64, status: u8, error: u8) {
        let f = D2hFis {
            fis_type: fis_type::REG_D2H,
            flags: 0x40,
            status,
            error,
            ..Default::default()
        };
        self.write_fis(p, fb + fis::rfis::RFIS as u64, f.as_bytes());
        let port = &mut self.ports[usize::from(p)];
        port.tfd = u32::from(status) | (u32::from(error) << 8);
        port.is |= PortIs::new().with_dhrs(true).into_bits();
        self.is |= 1 << p;
    }

    fn write_fis(&mut self, p: u8, at: u64, bytes: &[u8]) {
        if self.mem.write(at, bytes).is_err() {
            self.violations.push(Violation::DmaFault(p));
        }
    }

    fn run_commands(&mut self, p: u8, now: Instant) {
        let idx = usize::from(p);
        loop {
            let port = &self.ports[idx];
            if port.halted || !port.cmd.st() || !port.d2h_sent {
                return;
            }
            let Some(i) = port.pending.iter().position(|&(_, due)| due <= now) else {
                return;
            };
            let (slot, _) = self.ports[idx].pending.remove(i);
            if self.ports[idx].ci & (1 << slot) == 0 {
                continue;
            }
            self.execute(p, slot);
        }
    }

    fn fatal(&mut self, p: u8, is_bit: PortIs) {
        if is_bit.hbfs() {
            self.violations.push(Violation::DmaFault(p));
        }
        let port = &mut self.ports[usize::from(p)];
        port.is |= is_bit.into_bits();
        port.halted = true;
        self.is |= 1 << p;
    }

    fn device_error(&mut self, p: u8, error: u8) {
        let fb = self.ports[usize::from(p)].fb;
        self.post_d2h(p, fb, ata_status::DRDY | ata_status::ERR, error);
        let port = &mut self.ports[usize::from(p)];
        port.is |= PortIs::new().with_tfes(true).into_bits();
        port.halted = true;
    }

    fn execute(&mut self, p: u8, slot: u8) {
        let idx = usize::from(p);
        self.stats.commands += 1;
        let inject = core::mem::take(&mut self.ports[idx].inject);
        if inject != 0 {
            let port = &mut self.ports[idx];
            port.is |= inject;
            port.halted = true;
            self.is |= 1 << p;
            return;
        }
        let (clb, fb) = (self.ports[idx].clb, self.ports[idx].fb);
        let hdr_at = clb + u64::from(slot) * 32;
        let mut raw = [0u8; 32];
        if self.mem.read(hdr_at, &mut raw).is_err() {
            return self.fatal(p, PortIs::new().with_hbfs(true));
        }
        let Ok(hdr) = CommandHeader::read_from_bytes(&raw) else {
            return;
        };
        let mut cfis = [0u8; 20];
        if self.mem.read(hdr.ctba(), &mut cfis).is_err() {
            return self.fatal(p, PortIs::new().with_hbfs(true));
        }
        let Ok(fis) = H2dFis::read_from_bytes(&cfis) else {
            return;
        };
        let mut prds = Vec::with_capacity(usize::from(hdr.prdtl()));
        for i in 0..u64::from(hdr.prdtl()) {
            let mut e = [0u8; 16];
            let at = hdr.ctba() + fis::table::PRDT as u64 + 16 * i;
            if self.mem.read(at, &mut e).is_err() {
                return self.fatal(p, PortIs::new().with_hbfs(true));
            }
            if let Ok(e) = PrdtEntry::read_from_bytes(&e) {
                prds.push(e);
            }
        }
        let Some(dev) = self.ports[idx].dev.as_ref() else {
            return;
        };
        let kind = dev.spec.kind;
        if fis.fis_type != fis_type::REG_H2D || fis.flags & fis::H2D_C == 0 || hdr.cfl() < 5 {
            return self.device_error(p, ata_error::ABRT);
        }
        let ss = u64::from(dev.spec.sector_size);
        let sectors = dev.spec.sectors;
        match (fis.command, kind) {
            (ata_cmd::IDENTIFY, DeviceKind::Disk) => {
                let data = dev.identify;
                if self.scatter(p, &prds, &data).is_err() {
                    return;
                }
                let ps = PioSetupFis {
                    fis_type: fis_type::PIO_SETUP,
                    flags: 0x60,
                    status: 0x58,
                    e_status: 0x50,
                    transfer_count: IDENTIFY_LEN as u16,
                    ..Default::default()
                };
                self.write_fis(p, fb + fis::rfis::PSFIS as u64, ps.as_bytes());
                self.finish(p, slot, IDENTIFY_LEN as u32);
                self.ports[idx].is |= PortIs::new().with_pss(true).into_bits();
            }
            (ata_cmd::FLUSH_CACHE | ata_cmd::FLUSH_CACHE_EXT, DeviceKind::Disk) => {
                self.finish(p, slot, 0)
            }
            (
                c @ (ata_cmd::READ_DMA_EXT
                | ata_cmd::WRITE_DMA_EXT
                | ata_cmd::READ_DMA
                | ata_cmd::WRITE_DMA),
                DeviceKind::Disk,
            ) => {
                let ext = matches!(c, ata_cmd::READ_DMA_EXT | ata_cmd::WRITE_DMA_EXT);
                let (lba, count) = if ext {
                    (
                        fis.lba(),
                        if fis.count() == 0 {
                            65536
                        } else {
                            u64::from(fis.count())
                        },
                    )
                } else {
                    let lba = (fis.lba() & 0xFF_FFFF) | (u64::from(fis.device & 0xF) << 24);
                    (
                        lba,
                        if fis.count_lo == 0 {
                            256
                        } else {
                            u64::from(fis.count_lo)
                        },
                    )
                };
                let write = matches!(c, ata_cmd::WRITE_DMA_EXT | ata_cmd::WRITE_DMA);
                if let Err(e) = self.move_data(p, &prds, lba, count, ss, sectors, write) {
                    return self.device_error(p, e);
                }
                if self.ports[idx].halted {
                    return;
                }
                self.finish(p, slot, (count * ss) as u32);
            }
            (c @ (ata_cmd::READ_FPDMA_QUEUED | ata_cmd::WRITE_FPDMA_QUEUED), DeviceKind::Disk) => {
                let tag = fis.count_lo >> 3;
                if self.ports[idx].sact & (1 << slot) == 0 {
                    self.violations.push(Violation::NcqWithoutSact(p, slot));
                    return self.device_error(p, ata_error::ABRT);
                }
                if tag != slot || !self.spec.ncq {
                    return self.device_error(p, ata_error::ABRT);
                }
                self.stats.ncq_commands += 1;
                // The command FIS went out: PxCI clears at once, PxSACT on completion.
                self.ports[idx].ci &= !(1 << slot);
                let count = if fis.features() == 0 {
                    65536
                } else {
                    u64::from(fis.features())
                };
                let write = c == ata_cmd::WRITE_FPDMA_QUEUED;
                if let Err(e) = self.move_data(p, &prds, fis.lba(), count, ss, sectors, write) {
                    return self.device_error(p, e);
                }
                if self.ports[idx].halted {
                    return;
                }
                self.ports[idx].ncq_done |= 1 << slot;
            }
            _ => self.device_error(p, ata_error::ABRT),
        }
    }

    fn finish(&mut self, p: u8, slot: u8, bytes: u32) {
        let port = &self.ports[usize::from(p)];
        let (clb, fb) = (port.clb, port.fb);
        let at = clb + u64::from(slot) * 32 + 4;
        if self.mem.write_u32(at, bytes).is_err() {
            self.violations.push(Violation::DmaFault(p));
        }
        self.post_d2h(p, fb, 0x50, 0);
        self.ports[usize::from(p)].ci &= !(1 << slot);
    }

    fn complete_ncq(&mut self, p: u8) {
        let idx = usize::from(p);
        let done = self.ports[idx].ncq_done;
        if done == 0 || self.ports[idx].halted {
            return;
        }
        let bits = if self.spec.ncq_out_of_order {
            1 << (31 - done.leading_zeros())
        } else {
            done
        };
        let port = &mut self.ports[idx];
        port.ncq_done &= !bits;
        port.sact &= !bits;
        port.tfd = 0x50;
        port.is |= PortIs::new().with_sdbs(true).into_bits();
        let fb = port.fb;
        self.is |= 1 << p;
        let sdb = SdbFis {
            fis_type: fis_type::SET_DEVICE_BITS,
            flags: 0x40,
            status: 0x50,
            error: 0,
            sactive: bits,
        };
        self.write_fis(p, fb + fis::rfis::SDBFIS as u64, sdb.as_bytes());
    }

    fn scatter(&mut self, p: u8, prds: &[PrdtEntry], data: &[u8]) -> Result<(), ()> {
        let mut off = 0;
        for e in prds {
            if off >= data.len() {
                break;
            }
            let n = e.len().min(data.len() - off);
            if self.mem.write(e.addr(), &data[off..off + n]).is_err() {
                self.fatal(p, PortIs::new().with_hbfs(true));
                return Err(());
            }
            off += n;
        }
        Ok(())
    }

    /// Moves `count` sectors between the disk and the PRDs. `Err(ATA error)` on a device error.
    #[allow(clippy::too_many_arguments)]
    fn move_data(
        &mut self,
        p: u8,
        prds: &[PrdtEntry],
        lba: u64,
        count: u64,
        ss: u64,
        sectors: u64,
        write: bool,
    ) -> Result<(), u8> {
        let idx = usize::from(p);
        if lba.checked_add(count).is_none_or(|end| end > sectors) {
            return Err(ata_error::IDNF);
        }
        let dev = self.ports[idx].dev.as_ref().ok_or(ata_error::ABRT)?;
        if dev
            .spec
            .error_lbas
            .iter()
            .any(|&e| e >= lba && e < lba + count)
        {
            return Err(ata_error::UNC);
        }
        let total = (count * ss) as usize;
        let prd_total: usize = prds.iter().map(PrdtEntry::len).sum();
        if prd_total < total {
            // The PRDT is shorter than the transfer: the HBA overflows (§6.1.3).
            self.fatal(p, PortIs::new().with_ofs(true));
            return Ok(());
        }
        let start = (lba * ss) as usize;
        let mut off = 0usize;
        for e in prds {
            if off >= total {
                break;
            }
            let n = e.len().min(total - off);
            let range = start + off..start + off + n;
            let ok = if write {
                let mut buf = vec![0u8; n];
                let r = self.mem.read(e.addr(), &mut buf);
                if r.is_ok() {
                    if let Some(d) = self.ports[idx].dev.as_mut() {
                        d.data[range].copy_from_slice(&buf);
                    }
                }
                r.is_ok()
            } else {
                let dev = self.ports[idx].dev.as_ref().ok_or(ata_error::ABRT)?;
                self.mem.write(e.addr(), &dev.data[range]).is_ok()
            };
            if !ok {
                self.fatal(p, PortIs::new().with_hbfs(true));
                return Ok(());
            }
            off += n;
        }
        if write {
            self.stats.sectors_written += count;
        } else {
            self.stats.sectors_read += count;
        }
        Ok(())
    }
}
