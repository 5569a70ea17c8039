//! The register file and DMA engines behind [`SimNic`](super::SimNic).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::vec;
use std::vec::Vec;

use osp_hal::sim::{SimClock, SimMemory};
use osp_hal::{Clock, Instant};

use super::{Fault, Frames, ModelConfig, ModelStats, Shared, Violation};
use crate::desc::{DESC_LEN, rx as rxd, tx as txd};
use crate::regs::*;

/// Clear-on-read statistics registers the model counts into.
const CLEAR_ON_READ: &[usize] = &[GPRC, GPTC, GORCL, GORCH, GOTCL, GOTCH, CRCERRS];

pub(crate) struct Model {
    regs: Vec<u32>,
    mem: SimMemory,
    clock: SimClock,
    cfg: ModelConfig,
    reset_done_at: Option<Instant>,
    eeprom_at: Option<Instant>,
    dma_init_at: Option<Instant>,
    link_at: Option<Instant>,
    link_down: bool,
    rx_enable_at: Vec<Option<Instant>>,
    tx_enable_at: Vec<Option<Instant>>,
    /// Bytes of a TX frame being gathered, per queue.
    tx_partial: Vec<Vec<u8>>,
    pub(crate) tx_out: Frames,
    rx_in: VecDeque<(u16, Vec<u8>)>,
    pub(crate) source: Option<Vec<u8>>,
    pub(crate) sink: bool,
    pub(crate) violations: Vec<Violation>,
    pub(crate) stats: ModelStats,
    // Faults.
    rx_unowned_dd: Option<(u16, u16)>,
    rx_length: Option<u16>,
    rx_no_eop: bool,
    rx_error: bool,
    tx_early: Vec<u16>,
    drop_rx: u32,
    lose_every: u32,
    arrivals: u64,
    fw_holds_semaphore: bool,
    eeprom_never: bool,
    removed: bool,
    /// Queue enables waiting for their read-back time.
    enables_pending: usize,
    /// GORC/GOTC as 36-bit counters, split into the register pair when read.
    gorc: u64,
    gotc: u64,
}

fn idx(offset: usize) -> Option<usize> {
    (offset % 4 == 0 && offset < WINDOW_LEN).then_some(offset / 4)
}

impl Model {
    pub(crate) fn new(mem: SimMemory, clock: SimClock, cfg: ModelConfig) -> Self {
        let n = usize::from(MAX_QUEUES);
        let mut m = Self {
            regs: vec![0; WINDOW_LEN / 4],
            mem,
            clock,
            cfg,
            reset_done_at: None,
            eeprom_at: None,
            dma_init_at: None,
            link_at: None,
            link_down: false,
            rx_enable_at: vec![None; n],
            tx_enable_at: vec![None; n],
            tx_partial: vec![Vec::new(); n],
            tx_out: VecDeque::new(),
            rx_in: VecDeque::new(),
            source: None,
            sink: false,
            violations: Vec::new(),
            stats: ModelStats::default(),
            rx_unowned_dd: None,
            rx_length: None,
            rx_no_eop: false,
            rx_error: false,
            tx_early: Vec::new(),
            drop_rx: 0,
            lose_every: 0,
            arrivals: 0,
            fw_holds_semaphore: false,
            eeprom_never: false,
            removed: false,
            enables_pending: 0,
            gorc: 0,
            gotc: 0,
        };
        let now = m.clock.now();
        m.load_defaults(now);
        m
    }

    fn r(&self, offset: usize) -> u32 {
        idx(offset).map_or(0, |i| self.regs[i])
    }

    fn set(&mut self, offset: usize, v: u32) {
        if let Some(i) = idx(offset) {
            self.regs[i] = v;
        }
    }

    /// Power-on / reset values (datasheet chapter 8 "initial value" columns, for the registers
    /// the driver uses) and the EEPROM load.
    fn load_defaults(&mut self, now: Instant) {
        self.regs.iter_mut().for_each(|r| *r = 0);
        self.set(STATUS, 0x0008_0000);
        self.set(EEC, eec::PRES);
        // RSCFRSTSIZE resets non-zero; the driver must clear it.
        self.set(RDRXCTL, 0x0008_0000);
        self.set(rxpbsize(0), 0x0008_0000);
        self.set(txpbsize(0), 0x0002_8000);
        self.set(SECRXSTAT, 0);
        for q in 0..MAX_QUEUES {
            self.set(dca_rxctrl(q), DCA_RXCTRL_BIT12);
            self.set(srrctl(q), 0x0000_0402);
        }
        let m = self.cfg.mac;
        self.set(ral(0), u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
        self.set(rah(0), u32::from(m[4]) | (u32::from(m[5]) << 8) | rah::AV);
        self.rx_enable_at.iter_mut().for_each(|x| *x = None);
        self.tx_enable_at.iter_mut().for_each(|x| *x = None);
        self.enables_pending = 0;
        self.tx_partial.iter_mut().for_each(Vec::clear);
        self.link_at = None;
        self.gorc = 0;
        self.gotc = 0;
        self.eeprom_at = (!self.eeprom_never).then(|| now.saturating_add(self.cfg.eeprom_time));
        self.dma_init_at = Some(now.saturating_add(self.cfg.dma_init_time));
    }

    /// Lets time-driven state catch up with the clock.
    fn tick(&mut self) {
        let now = self.clock.now();
        if let Some(t) = self.reset_done_at {
            if now < t {
                return;
            }
            self.reset_done_at = None;
            self.load_defaults(now);
        }
        if self.eeprom_at.is_some_and(|t| now >= t) {
            self.eeprom_at = None;
            let v = self.r(EEC) | eec::ARD;
            self.set(EEC, v);
        }
        if self.dma_init_at.is_some_and(|t| now >= t) {
            self.dma_init_at = None;
            let v = self.r(RDRXCTL) | rdrxctl::DMAIDONE;
            self.set(RDRXCTL, v);
        }
        if self.enables_pending == 0 {
            return;
        }
        for q in 0..MAX_QUEUES {
            let i = usize::from(q);
            if self.rx_enable_at[i].is_some_and(|t| now >= t) {
                self.enables_pending -= 1;
                self.rx_enable_at[i] = None;
                let v = self.r(rxdctl(q)) | rxdctl::ENABLE;
                self.set(rxdctl(q), v);
            }
            if self.tx_enable_at[i].is_some_and(|t| now >= t) {
                self.enables_pending -= 1;
                self.tx_enable_at[i] = None;
                let v = self.r(txdctl(q)) | txdctl::ENABLE;
                self.set(txdctl(q), v);
            }
        }
    }

    fn in_reset(&self) -> bool {
        self.reset_done_at.is_some()
    }

    fn link_up(&self) -> bool {
        self.cfg.cable && !self.link_down && self.link_at.is_some_and(|t| self.clock.now() >= t)
    }

    pub(crate) fn peek(&self, offset: usize) -> u32 {
        self.r(offset)
    }

    pub(crate) fn read(&mut self, offset: usize) -> u32 {
        if self.removed {
            return u32::MAX;
        }
        self.tick();
        if offset == CTRL && self.in_reset() {
            return ctrl::RST_MASK;
        }
        if self.in_reset() {
            // Registers read as their reset state while the reset runs.
            return 0;
        }
        match offset {
            LINKS => {
                if self.link_up() {
                    links::UP | links::SPEED_10G
                } else {
                    0
                }
            }
            SWSM => {
                // Reading SMBI as 0 grants it: hardware sets the bit on that read.
                let v = self.r(SWSM);
                self.set(SWSM, v | swsm::SMBI);
                v
            }
            GORCL => (self.gorc & 0xFFFF_FFFF) as u32,
            GORCH => {
                let v = ((self.gorc >> 32) & 0xF) as u32;
                self.gorc = 0;
                v
            }
            GOTCL => (self.gotc & 0xFFFF_FFFF) as u32,
            GOTCH => {
                let v = ((self.gotc >> 32) & 0xF) as u32;
                self.gotc = 0;
                v
            }
            o if CLEAR_ON_READ.contains(&o) || is_missed_counter(o) => {
                let v = self.r(o);
                self.set(o, 0);
                v
            }
            o => self.r(o),
        }
    }

    pub(crate) fn write(&mut self, offset: usize, value: u32) {
        if self.removed {
            return;
        }
        self.tick();
        if self.in_reset() {
            self.violations.push(Violation::WriteDuringReset { offset });
            return;
        }
        match offset {
            CTRL => {
                if value & ctrl::RST_MASK != 0 {
                    self.reset_done_at = Some(self.clock.now().saturating_add(self.cfg.reset_time));
                    self.rx_in.clear();
                } else {
                    self.set(CTRL, value);
                }
            }
            EIMC => {
                let v = self.r(EIMS) & !value;
                self.set(EIMS, v);
            }
            SWSM => {
                let mut v = value & (swsm::SMBI | swsm::SWESMBI);
                if self.fw_holds_semaphore {
                    v &= !swsm::SWESMBI;
                }
                self.set(SWSM, v);
            }
            SW_FW_SYNC => {
                if self.r(SWSM) & swsm::SWESMBI == 0 {
                    self.violations.push(Violation::SwFwSyncWithoutSwsm);
                    return;
                }
                let fw = if self.fw_holds_semaphore {
                    sw_fw_sync::MAC_CSR_SM << sw_fw_sync::FW_SHIFT
                } else {
                    0
                };
                self.set(SW_FW_SYNC, (value & 0x1F) | fw);
            }
            AUTOC | AUTOC2 => {
                if self.r(SW_FW_SYNC) & sw_fw_sync::MAC_CSR_SM == 0 {
                    self.violations.push(Violation::AutocWithoutSemaphore);
                    return;
                }
                if offset == AUTOC && value & autoc::AN_RESTART != 0 {
                    self.link_at = Some(self.clock.now().saturating_add(self.cfg.link_up_time));
                }
                self.set(offset, value & !autoc::AN_RESTART);
            }
            SECRXCTRL => {
                self.set(SECRXCTRL, value);
                self.set(
                    SECRXSTAT,
                    if value & secrx::RX_DIS != 0 {
                        secrx::SECRX_RDY
                    } else {
                        0
                    },
                );
            }
            RXCTRL => {
                if (value ^ self.r(RXCTRL)) & rxctrl::RXEN != 0
                    && self.r(SECRXCTRL) & secrx::RX_DIS == 0
                {
                    self.violations.push(Violation::RxEnableWithSecurityRunning);
                    return;
                }
                self.set(RXCTRL, value);
            }
            o if is_stat(o) => {}
            LINKS | SECRXSTAT | STATUS => {}
            EEC => {
                let keep = self.r(EEC) & (eec::ARD | eec::PRES);
                self.set(EEC, (value & !(eec::ARD | eec::PRES)) | keep);
            }
            RDRXCTL => {
                let keep = self.r(RDRXCTL) & rdrxctl::DMAIDONE;
                self.set(RDRXCTL, (value & !rdrxctl::DMAIDONE) | keep);
            }
            o => self.write_queue_reg(o, value),
        }
    }

    fn write_queue_reg(&mut self, offset: usize, value: u32) {
        for q in 0..MAX_QUEUES {
            if offset == rxdctl(q) {
                return self.write_rxdctl(q, value);
            }
            if offset == txdctl(q) {
                return self.write_txdctl(q, value);
            }
            let rx_ring = [rdbal(q), rdbah(q), rdlen(q), rdh(q), srrctl(q)];
            if rx_ring.contains(&offset) && self.r(rxdctl(q)) & rxdctl::ENABLE != 0 {
                self.violations
                    .push(Violation::RingChangedWhileEnabled { offset });
                return;
            }
            let tx_ring = [tdbal(q), tdbah(q), tdlen(q), tdh(q)];
            if tx_ring.contains(&offset) && self.r(txdctl(q)) & txdctl::ENABLE != 0 {
                self.violations
                    .push(Violation::RingChangedWhileEnabled { offset });
                return;
            }
        }
        self.set(offset, value);
    }

    fn ring_ok(&self, base: u64, len: u32) -> bool {
        len != 0 && len % 128 == 0 && base % 128 == 0 && self.mem.is_mapped(base, len as usize)
    }

    fn write_rxdctl(&mut self, q: u16, value: u32) {
        let i = usize::from(q);
        if value & rxdctl::ENABLE == 0 {
            self.set(rxdctl(q), value);
            self.enables_pending -= usize::from(self.rx_enable_at[i].take().is_some());
            return;
        }
        if self.r(rxdctl(q)) & rxdctl::ENABLE != 0 || self.rx_enable_at[i].is_some() {
            return;
        }
        if self.r(RDRXCTL) & rdrxctl::DMAIDONE == 0 {
            self.violations.push(Violation::EnableBeforeDmaInit);
            return;
        }
        let base = u64::from(self.r(rdbal(q))) | (u64::from(self.r(rdbah(q))) << 32);
        let s = self.r(srrctl(q));
        let onebuf = s & srrctl::DESCTYPE_MASK == srrctl::DESCTYPE_ADV_ONEBUF;
        if !self.ring_ok(base, self.r(rdlen(q))) || !onebuf || s & srrctl::BSIZEPKT_MASK == 0 {
            self.violations.push(Violation::RxRingNotSetUp { queue: q });
            return;
        }
        self.set(rxdctl(q), value & !rxdctl::ENABLE);
        self.rx_enable_at[i] = Some(self.clock.now().saturating_add(self.cfg.queue_enable_time));
        self.enables_pending += 1;
    }

    fn write_txdctl(&mut self, q: u16, value: u32) {
        let i = usize::from(q);
        if value & txdctl::ENABLE == 0 {
            self.set(txdctl(q), value);
            self.enables_pending -= usize::from(self.tx_enable_at[i].take().is_some());
            self.tx_partial[i].clear();
            return;
        }
        if self.r(txdctl(q)) & txdctl::ENABLE != 0 || self.tx_enable_at[i].is_some() {
            return;
        }
        if self.r(RDRXCTL) & rdrxctl::DMAIDONE == 0 {
            self.violations.push(Violation::EnableBeforeDmaInit);
            return;
        }
        if self.r(DMATXCTL) & dmatxctl::TE == 0 {
            self.violations
                .push(Violation::TxQueueBeforeTransmitEnable { queue: q });
            return;
        }
        let base = u64::from(self.r(tdbal(q))) | (u64::from(self.r(tdbah(q))) << 32);
        if !self.ring_ok(base, self.r(tdlen(q))) {
            self.violations.push(Violation::TxRingNotSetUp { queue: q });
            return;
        }
        self.set(txdctl(q), value & !txdctl::ENABLE);
        self.tx_enable_at[i] = Some(self.clock.now().saturating_add(self.cfg.queue_enable_time));
        self.enables_pending += 1;
    }

    pub(crate) fn fault(&mut self, f: Fault) {
        match f {
            Fault::RxDoneOnUnownedDescriptor { queue, length } => {
                self.rx_unowned_dd = Some((queue, length))
            }
            Fault::RxLength(l) => self.rx_length = Some(l),
            Fault::RxNoEop => self.rx_no_eop = true,
            Fault::RxFrameError => self.rx_error = true,
            Fault::TxDoneEarly { queue } => self.tx_early.push(queue),
            Fault::DropRx(n) => self.drop_rx += n,
            Fault::LoseEveryNth(n) => self.lose_every = n,
            Fault::LinkDown(down) => self.link_down = down,
            Fault::FirmwareHoldsSemaphore => self.fw_holds_semaphore = true,
            Fault::SurpriseRemoval => self.removed = true,
            Fault::EepromNeverDone => {
                self.eeprom_never = true;
                self.eeprom_at = None;
            }
        }
    }

    pub(crate) fn arrive(&mut self, frame: &[u8]) {
        self.arrive_to(0, frame);
    }

    pub(crate) fn arrive_to(&mut self, queue: u16, frame: &[u8]) {
        self.rx_in.push_back((queue, frame.to_vec()));
    }

    pub(crate) fn arrive_owned(&mut self, frame: Vec<u8>) {
        self.rx_in.push_back((0, frame));
    }

    fn queue_running(&mut self, rx: bool, q: u16) -> bool {
        self.tick();
        if rx {
            self.r(rxdctl(q)) & rxdctl::ENABLE != 0
        } else {
            self.r(txdctl(q)) & txdctl::ENABLE != 0 && self.r(DMATXCTL) & dmatxctl::TE != 0
        }
    }

    fn ring(&self, rx: bool, q: u16) -> (u64, u32) {
        let (l, h, n) = if rx {
            (rdbal(q), rdbah(q), rdlen(q))
        } else {
            (tdbal(q), tdbah(q), tdlen(q))
        };
        (
            u64::from(self.r(l)) | (u64::from(self.r(h)) << 32),
            self.r(n) / DESC_LEN as u32,
        )
    }

    /// The TX DMA engine (§7.2): walks every running queue from `TDH` to `TDT`.
    pub(crate) fn process_tx(&mut self, shared: &Shared) {
        if self.removed {
            return;
        }
        self.tick();
        if self.r(DMATXCTL) & dmatxctl::TE == 0 {
            return;
        }
        for q in 0..MAX_QUEUES {
            let i = usize::from(q);
            if self.r(txdctl(q)) & txdctl::ENABLE == 0 {
                continue;
            }
            let (base, n) = self.ring(false, q);
            let tail = shared.tdt[i].load(Ordering::Acquire);
            if tail >= n {
                self.violations.push(Violation::TailOutOfRange {
                    offset: tdt(q),
                    value: tail,
                });
                continue;
            }
            let early = self.tx_early.contains(&q);
            let mut head = self.r(tdh(q));
            while head != tail {
                let d = base + u64::from(head) * DESC_LEN as u64;
                if !self.tx_one(q, d, head, early) {
                    // DMA fault: the queue stops (as a PCIe error would stop it).
                    let v = self.r(txdctl(q)) & !txdctl::ENABLE;
                    self.set(txdctl(q), v);
                    break;
                }
                head = (head + 1) % n;
            }
            self.set(tdh(q), head);
        }
    }

    fn dma_fault(&mut self, e: osp_hal::sim::DmaFault) -> bool {
        self.violations.push(Violation::Dma(e));
        false
    }

    fn tx_one(&mut self, q: u16, d: u64, head: u32, early: bool) -> bool {
        let mut raw = [0u8; 16];
        if let Err(e) = self.mem.read(d, &mut raw) {
            return self.dma_fault(e);
        }
        let addr = u64::from_le_bytes(raw[0..8].try_into().unwrap_or_default());
        let cmd = u32::from_le_bytes(raw[8..12].try_into().unwrap_or_default());
        let len = (cmd & txd::DTALEN_MASK) as usize;
        if !early {
            if cmd & txd::DCMD_DEXT == 0 || cmd & txd::DTYP_MASK != txd::DTYP_DATA || len == 0 {
                self.violations.push(Violation::BadTxDescriptor {
                    queue: q,
                    index: head,
                });
            } else {
                let i = usize::from(q);
                let start = self.tx_partial[i].len();
                self.tx_partial[i].resize(start + len, 0);
                if let Err(e) = self.mem.read(addr, &mut self.tx_partial[i][start..]) {
                    self.tx_partial[i].clear();
                    return self.dma_fault(e);
                }
                if cmd & txd::DCMD_EOP != 0 {
                    let mut frame = std::mem::take(&mut self.tx_partial[i]);
                    self.send(&mut frame);
                }
            }
        }
        if cmd & txd::DCMD_RS != 0 || early {
            // Write-back format: reserved, NXTSEQ, status with DD.
            if let Err(e) = self.mem.write_u32(d + 12, txd::STAT_DD) {
                return self.dma_fault(e);
            }
        }
        true
    }

    fn send(&mut self, frame: &mut Vec<u8>) {
        if self.r(HLREG0) & hlreg0::TXPADEN != 0 && frame.len() < 60 {
            frame.resize(60, 0);
        }
        if !self.link_up() {
            self.stats.tx_link_down += 1;
            return;
        }
        let fcs = if self.r(HLREG0) & hlreg0::TXCRCEN != 0 {
            4
        } else {
            0
        };
        self.bump(GPTC, 1);
        self.gotc = (self.gotc + frame.len() as u64 + fcs) & 0xF_FFFF_FFFF;
        self.stats.tx_frames += 1;
        if !self.sink {
            self.tx_out.push_back(std::mem::take(frame));
        }
    }

    fn bump(&mut self, reg: usize, by: u32) {
        let v = self.r(reg).wrapping_add(by);
        self.set(reg, v);
    }

    fn accepts(&self, frame: &[u8]) -> bool {
        if self.r(RXCTRL) & rxctrl::RXEN == 0 || !self.link_up() || frame.len() < 14 {
            return false;
        }
        let f = self.r(FCTRL);
        let dst = &frame[..6];
        if dst == [0xFF; 6] {
            return f & fctrl::BAM != 0;
        }
        if dst[0] & 1 != 0 {
            return f & fctrl::MPE != 0;
        }
        if f & fctrl::UPE != 0 {
            return true;
        }
        let (lo, hi) = (self.r(ral(0)), self.r(rah(0)));
        let ours = [
            lo as u8,
            (lo >> 8) as u8,
            (lo >> 16) as u8,
            (lo >> 24) as u8,
            hi as u8,
            (hi >> 8) as u8,
        ];
        hi & rah::AV != 0 && dst == ours
    }

    /// The RX DMA engine (§7.1): places arrived frames into the running queues' descriptors.
    pub(crate) fn process_rx(&mut self, shared: &Shared) {
        if self.removed {
            return;
        }
        if let Some(src) = self.source.take() {
            self.fill_from_source(shared, &src);
            self.source = Some(src);
        }
        while let Some((q, frame)) = self.rx_in.pop_front() {
            self.arrivals += 1;
            if self.drop_rx > 0 {
                self.drop_rx -= 1;
                self.stats.lost += 1;
                continue;
            }
            if self.lose_every > 0 && self.arrivals % u64::from(self.lose_every) == 0 {
                self.stats.lost += 1;
                continue;
            }
            self.receive(shared, q, &frame);
        }
    }

    fn fill_from_source(&mut self, shared: &Shared, frame: &[u8]) {
        if !self.queue_running(true, 0) {
            return;
        }
        let (_, n) = self.ring(true, 0);
        let tail = shared.rdt[0].load(Ordering::Acquire);
        let head = self.r(rdh(0));
        let free = (tail + n - head) % n.max(1);
        for _ in 0..free {
            self.receive(shared, 0, frame);
        }
    }

    fn receive(&mut self, shared: &Shared, q: u16, frame: &[u8]) {
        if !self.accepts(frame) {
            self.stats.rx_filtered += 1;
            return;
        }
        if q >= MAX_QUEUES || !self.queue_running(true, q) {
            self.bump(mpc(0), 1);
            return;
        }
        let (base, n) = self.ring(true, q);
        let tail = shared.rdt[usize::from(q)].load(Ordering::Acquire);
        if tail >= n {
            self.violations.push(Violation::TailOutOfRange {
                offset: rdt(q),
                value: tail,
            });
            return;
        }
        let mut head = self.r(rdh(q));
        let bsize =
            ((self.r(srrctl(q)) & srrctl::BSIZEPKT_MASK) as usize) << srrctl::BSIZEPKT_SHIFT;
        let free = ((tail + n - head) % n) as usize;
        let pieces = frame.len().div_ceil(bsize).max(1);
        if free < pieces {
            self.bump(rnbc(0), 1);
            self.bump(mpc(0), 1);
            self.stats.rx_no_descriptor += 1;
            return;
        }
        for (k, chunk) in frame.chunks(bsize).enumerate() {
            let d = base + u64::from(head) * DESC_LEN as u64;
            let addr = match self.mem.read_u64(d + rxd::PKT_ADDR as u64) {
                Ok(a) => a,
                Err(e) => {
                    self.dma_fault(e);
                    return self.stop_rx(q, head);
                }
            };
            if let Err(e) = self.mem.write(addr, chunk) {
                self.dma_fault(e);
                return self.stop_rx(q, head);
            }
            let last = k + 1 == pieces;
            let mut status = rxd::STAT_DD | if last { rxd::STAT_EOP } else { 0 };
            let mut len = chunk.len() as u16;
            if last {
                if std::mem::take(&mut self.rx_no_eop) {
                    status &= !rxd::STAT_EOP;
                }
                if std::mem::take(&mut self.rx_error) {
                    status |= rxd::ERR_RXE;
                }
                if let Some(l) = self.rx_length.take() {
                    len = l;
                }
            }
            let mut wb = [0u8; 16];
            wb[8..12].copy_from_slice(&status.to_le_bytes());
            wb[12..14].copy_from_slice(&len.to_le_bytes());
            if let Err(e) = self.mem.write(d, &wb) {
                self.dma_fault(e);
                return self.stop_rx(q, head);
            }
            head = (head + 1) % n;
        }
        self.set(rdh(q), head);
        if let Some((_, flen)) = self.rx_unowned_dd.filter(|&(fq, _)| fq == q) {
            // The fault: a write-back on the descriptor at RDT, which the NIC does not own.
            self.rx_unowned_dd = None;
            let d = base + u64::from(tail) * DESC_LEN as u64;
            let mut wb = [0u8; 16];
            wb[8..12].copy_from_slice(&(rxd::STAT_DD | rxd::STAT_EOP).to_le_bytes());
            wb[12..14].copy_from_slice(&flen.to_le_bytes());
            if let Err(e) = self.mem.write(d, &wb) {
                self.dma_fault(e);
            }
        }
        self.bump(GPRC, 1);
        self.gorc = (self.gorc + frame.len() as u64) & 0xF_FFFF_FFFF;
        self.stats.rx_frames += 1;
    }

    fn stop_rx(&mut self, q: u16, head: u32) {
        self.set(rdh(q), head);
        let v = self.r(rxdctl(q)) & !rxdctl::ENABLE;
        self.set(rxdctl(q), v);
    }
}

fn is_missed_counter(o: usize) -> bool {
    (mpc(0)..mpc(8)).contains(&o) || (rnbc(0)..rnbc(8)).contains(&o)
}

fn is_stat(o: usize) -> bool {
    CLEAR_ON_READ.contains(&o) || is_missed_counter(o)
}
