//! The HBA: host-level setup, per-port state, command slots and port recovery.

use core::sync::atomic::{Ordering, fence};
use core::time::Duration;

use osp_hal::{Clock, Deadline, DmaAllocator, DmaBuffer, Instant, RegisterIo, delay};

use crate::config::Config;
use crate::error::{BufferError, Error};
use crate::fis::{self, CommandHeader, H2dFis, PRD_MAX_BYTES, PrdtEntry};
use crate::identify::Identify;
use crate::regs::{
    self, Bohc, Cap, Cap2, Ghc, PortCmd, PortIs, Sctl, Ssts, Tfd, ata_status, det, host, port,
    port_base,
};

/// PRDT entries per command table: 64 segments (up to 256 MiB per command).
pub const MAX_PRDT: usize = 64;
/// Bytes per command table: CFIS/ACMD header plus [`MAX_PRDT`] entries.
pub(crate) const TABLE_LEN: usize = fis::table::PRDT + MAX_PRDT * size_of::<PrdtEntry>();
/// Largest sector count one command moves (a 16-bit count, without the 0 = 65536 encoding).
pub const MAX_SECTORS_PER_COMMAND: u32 = 0xFFFF;

/// A direction of transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Dir {
    /// Device to memory.
    Read,
    /// Memory to device.
    Write,
}

/// An NCQ command still owned by the device.
pub(crate) struct Inflight<A: DmaAllocator> {
    pub(crate) buf: DmaBuffer<A>,
    pub(crate) dir: Dir,
    pub(crate) lba: u64,
    pub(crate) count: u32,
    pub(crate) deadline: Deadline,
    pub(crate) result: Option<Result<(), Error>>,
}

/// Per-port driver state: DMA structures, the disk's identity, NCQ bookkeeping.
pub(crate) struct PortState<A: DmaAllocator> {
    pub(crate) cl: DmaBuffer<A>,
    pub(crate) rfis: DmaBuffer<A>,
    pub(crate) tables: DmaBuffer<A>,
    pub(crate) identify: Option<Identify>,
    pub(crate) ready: bool,
    /// The engine would not stop even after COMRESET: the HBA may still own the port's memory
    /// and the buffers of commands in flight, so none of it is handed back or freed.
    pub(crate) wedged: bool,
    pub(crate) ncq_depth: u8,
    pub(crate) inflight: [Option<Inflight<A>>; 32],
    pub(crate) bounce: Option<DmaBuffer<A>>,
}

/// One scatter-gather segment as the device sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg {
    pub(crate) bus: u64,
    pub(crate) len: usize,
}

/// An AHCI host bus adapter and its ports.
///
/// Generic over the register window `R` (the ABAR), the DMA allocator `A` and the clock `C`;
/// see the crate documentation for the bring-up and I/O flow.
pub struct Hba<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> {
    pub(crate) regs: R,
    pub(crate) dma: A,
    pub(crate) clock: C,
    pub(crate) config: Config,
    pub(crate) cap: Cap,
    pub(crate) cap2: Cap2,
    pub(crate) pi: u32,
    pub(crate) version: u32,
    pub(crate) ports: [Option<PortState<A>>; regs::MAX_PORTS],
}

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> Hba<R, A, C> {
    /// Takes the HBA over: BIOS/OS handoff (when CAP2.BOH), AHCI mode (GHC.AE), HBA reset (unless
    /// [`Config::skip_hba_reset`]), and reads its capabilities. Ports are brought up by
    /// [`bring_up`](Self::bring_up).
    pub fn new(regs: R, dma: A, clock: C, config: Config) -> Result<Self, Error> {
        let mut hba = Self {
            regs,
            dma,
            clock,
            config,
            cap: Cap::new(),
            cap2: Cap2::new(),
            pi: 0,
            version: 0,
            ports: core::array::from_fn(|_| None),
        };
        hba.take_ownership()?;
        hba.enable_ahci();
        if !hba.config.skip_hba_reset {
            hba.reset()?;
        }
        hba.read_capabilities()?;
        Ok(hba)
    }

    /// §10.6: BIOS/OS handoff, when the HBA supports it.
    fn take_ownership(&mut self) -> Result<(), Error> {
        let cap2 = self.regs.read32(host::CAP2);
        if cap2 == u32::MAX {
            return Err(Error::HbaGone);
        }
        if !Cap2::from_bits(cap2).boh() {
            return Ok(());
        }
        self.regs.modify32(host::BOHC, |v| {
            Bohc::from_bits(v).with_oos(true).into_bits()
        });
        let clock = &self.clock;
        let regs = &mut self.regs;
        osp_hal::poll(clock, self.config.handoff_timeout, || {
            let b = Bohc::from_bits(regs.read32(host::BOHC));
            (!b.bos() && !b.bb()).then_some(())
        })
        .map(drop)
        .map_err(|t| Error::HandoffTimeout { waited: t.waited })
    }

    fn enable_ahci(&mut self) {
        let ghc = Ghc::from_bits(self.regs.read32(host::GHC));
        if !ghc.ae() {
            self.regs
                .write32(host::GHC, ghc.with_ae(true).with_ie(false).into_bits());
        }
    }

    /// §10.4.3: GHC.HR, bounded. CAP and PI are restored afterwards, since firmware may have
    /// programmed these "HwInit" registers and the reset returns them to power-on values.
    fn reset(&mut self) -> Result<(), Error> {
        let cap = self.regs.read32(host::CAP);
        let pi = self.regs.read32(host::PI);
        let ghc = Ghc::from_bits(self.regs.read32(host::GHC));
        self.regs.write32(
            host::GHC,
            ghc.with_ae(true).with_ie(false).with_hr(true).into_bits(),
        );
        let clock = &self.clock;
        let regs = &mut self.regs;
        let done = osp_hal::poll(clock, self.config.hba_reset_timeout, || {
            let g = regs.read32(host::GHC);
            (g != u32::MAX && !Ghc::from_bits(g).hr()).then_some(())
        });
        if let Err(t) = done {
            return Err(Error::HbaResetTimeout { waited: t.waited });
        }
        self.enable_ahci();
        self.regs.write32(host::CAP, cap);
        self.regs.write32(host::PI, pi);
        Ok(())
    }

    fn read_capabilities(&mut self) -> Result<(), Error> {
        let cap = self.regs.read32(host::CAP);
        if cap == u32::MAX {
            return Err(Error::HbaGone);
        }
        self.cap = Cap::from_bits(cap);
        self.cap2 = Cap2::from_bits(self.regs.read32(host::CAP2));
        self.pi = self.regs.read32(host::PI);
        self.version = self.regs.read32(host::VS);
        // Clear any stale global interrupt status.
        let is = self.regs.read32(host::IS);
        self.regs.write32(host::IS, is);
        Ok(())
    }

    /// Host capabilities (CAP).
    pub fn cap(&self) -> Cap {
        self.cap
    }

    /// Extended host capabilities (CAP2).
    pub fn cap2(&self) -> Cap2 {
        self.cap2
    }

    /// Ports implemented (PI), one bit per port.
    pub fn ports_implemented(&self) -> u32 {
        self.pi
    }

    /// AHCI version (VS), e.g. `0x0001_0000` for 1.0.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Number of command slots (CAP.NCS + 1).
    pub fn command_slots(&self) -> u8 {
        self.cap.ncs() + 1
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The clock the driver measures with.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The register window (for diagnostics).
    pub fn registers(&mut self) -> &mut R {
        &mut self.regs
    }

    /// Whether port `p` is implemented.
    pub fn is_implemented(&self, p: u8) -> bool {
        p < 32 && self.pi & (1 << p) != 0
    }

    /// The ports whose bring-up ended with an ATA disk ready for I/O.
    pub fn ready_ports(&self) -> impl Iterator<Item = u8> + '_ {
        (0..32u8).filter(|&p| self.ports[usize::from(p)].as_ref().is_some_and(|s| s.ready))
    }

    // ----- register helpers ---------------------------------------------------------------

    pub(crate) fn pread(&mut self, p: u8, off: usize) -> u32 {
        self.regs.read32(port_base(usize::from(p)) + off)
    }

    pub(crate) fn pwrite(&mut self, p: u8, off: usize, v: u32) {
        self.regs.write32(port_base(usize::from(p)) + off, v)
    }

    pub(crate) fn cmd(&mut self, p: u8) -> PortCmd {
        PortCmd::from_bits(self.pread(p, port::CMD))
    }

    pub(crate) fn tfd(&mut self, p: u8) -> Tfd {
        Tfd::from_bits(self.pread(p, port::TFD))
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Waits until `f(PxCMD)` holds; `Err(waited)` on timeout or all-ones registers.
    fn wait_cmd(
        &mut self,
        p: u8,
        timeout: Duration,
        f: impl Fn(PortCmd) -> bool,
    ) -> Result<(), Duration> {
        let base = port_base(usize::from(p));
        let regs = &mut self.regs;
        osp_hal::poll(&self.clock, timeout, || {
            let v = regs.read32(base + port::CMD);
            (v != u32::MAX && f(PortCmd::from_bits(v))).then_some(())
        })
        .map(drop)
        .map_err(|t| t.waited)
    }

    /// §10.3.2: clears ST and waits for CR, then clears FRE and waits for FR (when `fis_too`).
    pub(crate) fn stop_engine(&mut self, p: u8, fis_too: bool) -> Result<(), Error> {
        let t = self.config.engine_stop_timeout;
        let c = self.cmd(p);
        if c.st() || c.cr() {
            self.pwrite(p, port::CMD, c.with_st(false).into_bits());
            self.wait_cmd(p, t, |c| !c.cr())
                .map_err(|waited| Error::EngineStuck { port: p, waited })?;
        }
        if fis_too {
            let c = self.cmd(p);
            if c.fre() || c.fr() {
                self.pwrite(p, port::CMD, c.with_fre(false).into_bits());
                self.wait_cmd(p, t, |c| !c.fr())
                    .map_err(|waited| Error::EngineStuck { port: p, waited })?;
            }
        }
        Ok(())
    }

    /// §10.3.1: sets ST once CR is clear (FRE must already be set).
    pub(crate) fn start_engine(&mut self, p: u8) -> Result<(), Error> {
        let t = self.config.engine_stop_timeout;
        self.wait_cmd(p, t, |c| !c.cr())
            .map_err(|waited| Error::EngineStuck { port: p, waited })?;
        let c = self.cmd(p);
        self.pwrite(p, port::CMD, c.with_st(true).with_fre(true).into_bits());
        Ok(())
    }

    /// Allocates and programs a port's command list, received-FIS area and command tables
    /// (§10.1.2 step 5), then turns FIS receive on.
    pub(crate) fn setup_port_memory(&mut self, p: u8) -> Result<(), Error> {
        let slot = usize::from(p);
        if self.ports[slot].is_none() {
            let cl = DmaBuffer::new(
                self.dma.clone(),
                fis::COMMAND_LIST_LEN,
                fis::COMMAND_LIST_ALIGN,
            )?;
            let rfis = DmaBuffer::new(self.dma.clone(), fis::rfis::LEN, fis::rfis::ALIGN)?;
            let tables = DmaBuffer::new(self.dma.clone(), 32 * TABLE_LEN, 128)?;
            for b in [&cl, &rfis, &tables] {
                let end = b.bus_addr().saturating_add(b.len() as u64);
                if !self.cap.s64a() && end > 1 << 32 {
                    return Err(Error::AddressTooHigh { bus: b.bus_addr() });
                }
            }
            self.ports[slot] = Some(PortState {
                cl,
                rfis,
                tables,
                identify: None,
                ready: false,
                wedged: false,
                ncq_depth: 0,
                inflight: core::array::from_fn(|_| None),
                bounce: None,
            });
        }
        let Some(st) = self.ports[slot].as_mut() else {
            return Ok(());
        };
        let (clb, fb) = (st.cl.bus_addr(), st.rfis.bus_addr());
        // Pre-load the D2H area with a busy status so that a stale "ready" is never mistaken
        // for the device's answer (as Linux's ahci_do_hardreset does).
        st.rfis
            .write::<u32>(fis::rfis::RFIS, u32::from(ata_status::BSY) << 16);
        self.pwrite(p, port::CLB, clb as u32);
        self.pwrite(p, port::CLBU, (clb >> 32) as u32);
        self.pwrite(p, port::FB, fb as u32);
        self.pwrite(p, port::FBU, (fb >> 32) as u32);
        let c = self.cmd(p);
        self.pwrite(p, port::CMD, c.with_fre(true).into_bits());
        self.clear_errors(p);
        Ok(())
    }

    /// §10.1.2 step 6: clears PxSERR and PxIS (and the port's bit in IS).
    pub(crate) fn clear_errors(&mut self, p: u8) {
        self.pwrite(p, port::SERR, u32::MAX);
        let is = self.pread(p, port::IS);
        self.pwrite(p, port::IS, is);
        self.regs.write32(host::IS, 1 << p);
    }

    /// PxSCTL with DET as given, speed limit from the config, partial/slumber forbidden.
    pub(crate) fn write_sctl(&mut self, p: u8, det_value: u8) {
        let v = Sctl::new()
            .with_det(det_value)
            .with_spd(self.config.link_speed_limit.min(3))
            .with_ipm(3);
        self.pwrite(p, port::SCTL, v.into_bits());
    }

    // ----- commands ----------------------------------------------------------------------

    /// Writes command table `slot` and its header: the FIS and the PRDT for `segs`.
    pub(crate) fn write_command(
        &mut self,
        p: u8,
        slot: u8,
        fis: &H2dFis,
        segs: &[Seg],
        write: bool,
    ) -> Result<(), Error> {
        let st = self.ports[usize::from(p)]
            .as_mut()
            .ok_or(Error::PortNotReady(p))?;
        let table_off = usize::from(slot) * TABLE_LEN;
        for (i, d) in fis.dwords().iter().enumerate() {
            st.tables.write::<u32>(table_off + 4 * i, *d);
        }
        for (i, s) in segs.iter().enumerate() {
            let e = PrdtEntry::new(s.bus, s.len);
            let off = table_off + fis::table::PRDT + i * size_of::<PrdtEntry>();
            st.tables.write::<u32>(off, e.dba);
            st.tables.write::<u32>(off + 4, e.dbau);
            st.tables.write::<u32>(off + 8, 0);
            st.tables.write::<u32>(off + 12, e.dw3);
        }
        let ctba = st.tables.bus_addr() + table_off as u64;
        let h = CommandHeader::new(ctba, segs.len() as u16, write);
        let hoff = usize::from(slot) * size_of::<CommandHeader>();
        st.cl.write::<u32>(hoff, h.dw0);
        st.cl.write::<u32>(hoff + 4, 0);
        st.cl.write::<u32>(hoff + 8, h.ctba);
        st.cl.write::<u32>(hoff + 12, h.ctbau);
        // The tables must be visible to the device before the doorbell.
        fence(Ordering::SeqCst);
        Ok(())
    }

    /// Checks a port for errors and removal. `Ok(is)` when nothing is wrong.
    pub(crate) fn check_port(&mut self, p: u8) -> Result<u32, Error> {
        let is = self.pread(p, port::IS);
        let ssts = self.pread(p, port::SSTS);
        if is == u32::MAX || ssts == u32::MAX {
            return Err(Error::DeviceGone(p));
        }
        if is & PortIs::FATAL != 0 {
            let tfd = self.tfd(p);
            let e = if PortIs::from_bits(is).tfes() {
                Error::Device {
                    port: p,
                    status: tfd.sts(),
                    error: tfd.err(),
                }
            } else {
                Error::HostBus { port: p, is }
            };
            return Err(e);
        }
        if Ssts::from_bits(ssts).det() != det::ESTABLISHED || is & PortIs::LINK_CHANGE != 0 {
            return Err(Error::DeviceGone(p));
        }
        Ok(is)
    }

    /// Issues a non-queued command in slot 0 and waits for it, bounded by `timeout`. On error or
    /// timeout the port is recovered before returning.
    pub(crate) fn exec(
        &mut self,
        p: u8,
        fis: &H2dFis,
        segs: &[Seg],
        write: bool,
        timeout: Duration,
    ) -> Result<(), Error> {
        let st = self.ports[usize::from(p)]
            .as_ref()
            .ok_or(Error::PortNotReady(p))?;
        if !st.ready {
            return Err(Error::PortNotReady(p));
        }
        if st.inflight.iter().any(Option::is_some) {
            return Err(Error::QueueBusy);
        }
        self.write_command(p, 0, fis, segs, write)?;
        self.pwrite(p, port::CI, 1);
        let deadline = Deadline::after(&self.clock, timeout);
        let result = loop {
            let expired = deadline.expired(&self.clock);
            match self.check_port(p) {
                Err(e) => break Err(e),
                Ok(is) => {
                    if self.pread(p, port::CI) & 1 == 0 {
                        self.pwrite(p, port::IS, is);
                        break Ok(());
                    }
                }
            }
            if expired {
                break Err(Error::CommandTimeout {
                    port: p,
                    waited: deadline.elapsed(&self.clock),
                });
            }
            self.clock.relax();
        };
        if let Err(e) = result {
            self.recover_after(p, e);
        }
        result
    }

    /// Fails every NCQ command on port `p` still owned by the device with `e` (the HBA has
    /// stopped or is about to stop them).
    pub(crate) fn fail_inflight(&mut self, p: u8, e: Error) {
        if let Some(st) = self.ports[usize::from(p)].as_mut() {
            for f in st.inflight.iter_mut().flatten() {
                if f.result.is_none() {
                    f.result = Some(Err(e));
                }
            }
        }
    }

    /// Recovers a port after error `e` and fails every NCQ command still in flight with it.
    pub(crate) fn recover_after(&mut self, p: u8, e: Error) {
        self.fail_inflight(p, e);
        let hard = !matches!(e, Error::Device { .. });
        if self.recover(p, hard).is_err() {
            if let Some(st) = self.ports[usize::from(p)].as_mut() {
                st.ready = false;
            }
        }
    }

    /// Port recovery (§6.2.2): stop the engine, clear errors, COMRESET when the device is still
    /// busy or the failure was not a plain device error (or `hard`), then restart.
    pub(crate) fn recover(&mut self, p: u8, hard: bool) -> Result<(), Error> {
        if self.ports[usize::from(p)].is_none() {
            return Err(Error::NoSuchPort(p));
        }
        let stopped = self.stop_engine(p, false);
        self.clear_errors(p);
        let tfd = self.tfd(p);
        let busy = tfd.sts() & (ata_status::BSY | ata_status::DRQ) != 0;
        if hard || busy || stopped.is_err() || tfd.into_bits() == u32::MAX {
            // §10.4.2: a port reset also frees an engine that would not stop; it needs ST = 0,
            // which stop_engine has written even when CR stayed set.
            let _ = self.stop_engine(p, true);
            let reset = self.comreset_sync(p);
            if self.stop_engine(p, true).is_err() {
                if let Some(st) = self.ports[usize::from(p)].as_mut() {
                    st.wedged = true;
                    st.ready = false;
                }
                return Err(Error::RecoveryFailed(p));
            }
            reset?;
            let c = self.cmd(p);
            self.pwrite(p, port::CMD, c.with_fre(true).into_bits());
            self.wait_ready_sync(p)?;
        }
        self.clear_errors(p);
        self.start_engine(p).map_err(|_| Error::RecoveryFailed(p))
    }

    /// COMRESET and link debounce, synchronously (used by recovery).
    fn comreset_sync(&mut self, p: u8) -> Result<(), Error> {
        self.write_sctl(p, det::COMRESET);
        delay(&self.clock, self.config.comreset_hold);
        self.write_sctl(p, 0);
        delay(&self.clock, self.config.pre_debounce_delay);
        let mut deb = crate::init::Debouncer::new(self.config.link, self.now());
        loop {
            let ssts = self.pread(p, port::SSTS);
            if ssts == u32::MAX {
                return Err(Error::DeviceGone(p));
            }
            match deb.sample(self.now(), Ssts::from_bits(ssts).det()) {
                Some(Ok(det::ESTABLISHED)) => break,
                Some(_) => return Err(Error::RecoveryFailed(p)),
                None => delay(&self.clock, deb.interval()),
            }
        }
        self.pwrite(p, port::SERR, u32::MAX);
        Ok(())
    }

    fn wait_ready_sync(&mut self, p: u8) -> Result<(), Error> {
        let base = port_base(usize::from(p));
        let regs = &mut self.regs;
        osp_hal::poll(&self.clock, self.config.ready_timeout, || {
            let t = regs.read32(base + port::TFD);
            (t != u32::MAX && t as u8 & (ata_status::BSY | ata_status::DRQ) == 0).then_some(())
        })
        .map(drop)
        .map_err(|_| Error::RecoveryFailed(p))
    }

    /// Splits the byte range `[start, start + len)` of the segment list `bufs` into PRDs.
    pub(crate) fn prds(
        bufs: &[Seg],
        mut start: usize,
        len: usize,
        out: &mut [Seg; MAX_PRDT],
    ) -> Result<usize, BufferError> {
        let mut n = 0;
        let mut left = len;
        for s in bufs {
            if left == 0 {
                break;
            }
            if start >= s.len {
                start -= s.len;
                continue;
            }
            let mut off = start;
            start = 0;
            while off < s.len && left > 0 {
                let take = (s.len - off).min(left).min(PRD_MAX_BYTES);
                let slot = out.get_mut(n).ok_or(BufferError::TooFragmented)?;
                *slot = Seg {
                    bus: s.bus + off as u64,
                    len: take,
                };
                n += 1;
                off += take;
                left -= take;
            }
        }
        if left != 0 {
            return Err(BufferError::TooLarge);
        }
        Ok(n)
    }

    /// How many bytes from `start` fit in one command: at most [`MAX_PRDT`] PRDs and
    /// `max_bytes`, rounded down to whole sectors.
    pub(crate) fn command_span(
        bufs: &[Seg],
        mut start: usize,
        max_bytes: usize,
        sector: usize,
    ) -> Result<usize, BufferError> {
        let mut entries = 0;
        let mut bytes = 0usize;
        'outer: for s in bufs {
            if start >= s.len {
                start -= s.len;
                continue;
            }
            let mut off = start;
            start = 0;
            while off < s.len {
                if entries == MAX_PRDT || bytes >= max_bytes {
                    break 'outer;
                }
                let take = (s.len - off).min(PRD_MAX_BYTES).min(max_bytes - bytes);
                entries += 1;
                bytes += take;
                off += take;
            }
        }
        let whole = bytes - bytes % sector;
        if whole == 0 {
            Err(BufferError::TooFragmented)
        } else {
            Ok(whole)
        }
    }
}

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> Drop for Hba<R, A, C> {
    /// Stops every port's engines (bounded) before the DMA memory goes back to the allocator.
    /// A port whose engine will not stop keeps its memory: it is leaked, never freed while the
    /// HBA may still write it.
    fn drop(&mut self) {
        for p in 0..32u8 {
            if self.ports[usize::from(p)].is_none() {
                continue;
            }
            let stopped = self.stop_engine(p, true).is_ok();
            if let Some(st) = self.ports[usize::from(p)].take() {
                if !stopped || st.wedged {
                    core::mem::forget(st);
                }
            }
        }
    }
}
