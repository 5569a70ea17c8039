//! Bring-up (datasheet §4.6.3 "Initialization Sequence"), link, statistics, queue start.

use alloc::vec::Vec;
use core::time::Duration;

use osp_hal::{Clock, DmaAllocator, DmaBuffer, Mmio, RegisterIo, delay, poll};

use crate::desc::{DESC_LEN, DescRing};
use crate::error::{ConfigError, Error, Step};
use crate::pool::{Mempool, PoolCache};
use crate::queue::{RxQueue, TxQueue};
use crate::regs::*;
use crate::ring::{RxSlots, valid_ring_size};

/// How long each bring-up wait may take. Every wait of the driver is bounded by one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `CTRL.RST` self-clearing.
    pub reset: Duration,
    /// Quiet time after the reset bit clears before registers are touched (§4.6.3.2: 10 ms).
    pub after_reset: Duration,
    /// `EEC.ARD`.
    pub eeprom: Duration,
    /// `RDRXCTL.DMAIDONE`.
    pub dma_init: Duration,
    /// Taking the software/firmware semaphore.
    pub semaphore: Duration,
    /// The RX security block going idle.
    pub security: Duration,
    /// A queue's enable bit reading back.
    pub queue_enable: Duration,
}

impl Timeouts {
    /// Values with a wide margin over what the 82599 takes (microseconds to a few ms), as the
    /// Linux and ixy drivers use: a second per step, 10 ms after reset.
    pub const GENEROUS: Self = Self {
        reset: Duration::from_secs(1),
        after_reset: Duration::from_millis(10),
        eeprom: Duration::from_secs(1),
        dma_init: Duration::from_secs(1),
        semaphore: Duration::from_secs(1),
        security: Duration::from_secs(1),
        queue_enable: Duration::from_secs(1),
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::GENEROUS
    }
}

/// Driver configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// RX queues to set up (1–128).
    pub rx_queues: u16,
    /// TX queues to set up (1–128).
    pub tx_queues: u16,
    /// RX descriptors per queue (power of two, 8–8192).
    pub rx_ring_size: u16,
    /// TX descriptors per queue (power of two, 8–8192).
    pub tx_ring_size: u16,
    /// Accept every unicast and multicast frame (`FCTRL.UPE | MPE`).
    pub promiscuous: bool,
    /// Bring-up waits.
    pub timeouts: Timeouts,
    /// Wait for the link at the end of `init` this long (`None`: don't wait; see
    /// [`Device::wait_for_link`]). A link that stays down is not an error of `init`.
    pub link_wait: Option<Duration>,
}

impl Default for Config {
    /// One queue each way, 512 descriptors (ixy's choice), not promiscuous, no link wait.
    fn default() -> Self {
        Self {
            rx_queues: 1,
            tx_queues: 1,
            rx_ring_size: 512,
            tx_ring_size: 512,
            promiscuous: false,
            timeouts: Timeouts::GENEROUS,
            link_wait: None,
        }
    }
}

impl Config {
    fn check(&self) -> Result<(), Error> {
        for q in [self.rx_queues, self.tx_queues] {
            if q == 0 || q > MAX_QUEUES {
                return Err(Error::BadConfig(ConfigError::QueueCount(q)));
            }
        }
        for s in [self.rx_ring_size, self.tx_ring_size] {
            if !valid_ring_size(s) {
                return Err(Error::BadConfig(ConfigError::RingSize(s)));
            }
        }
        Ok(())
    }
}

/// Link speed from `LINKS` (§8.2.3.22.20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LinkSpeed {
    /// 100 Mb/s.
    M100,
    /// 1 Gb/s.
    G1,
    /// 10 Gb/s.
    G10,
    /// Reserved encoding.
    Unknown,
}

impl LinkSpeed {
    /// Megabits per second (0 when unknown).
    pub fn mbps(self) -> u32 {
        match self {
            Self::M100 => 100,
            Self::G1 => 1_000,
            Self::G10 => 10_000,
            Self::Unknown => 0,
        }
    }
}

/// Link state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Link {
    /// `LINKS.UP`.
    pub up: bool,
    /// Negotiated speed (meaningful when up).
    pub speed: LinkSpeed,
}

/// Port statistics, accumulated by the driver from the NIC's clear-on-read counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Good packets received (`GPRC`).
    pub rx_packets: u64,
    /// Good packets transmitted (`GPTC`).
    pub tx_packets: u64,
    /// Good octets received (`GORC`).
    pub rx_bytes: u64,
    /// Good octets transmitted (`GOTC`).
    pub tx_bytes: u64,
    /// Packets missed for lack of packet-buffer space (`MPC`, all buffers).
    pub rx_missed: u64,
    /// Times no RX descriptor was free (`RNBC`, all buffers).
    pub rx_no_buffer: u64,
    /// CRC errors (`CRCERRS`).
    pub crc_errors: u64,
}

/// A register window the driver can hand one more handle of to each queue.
///
/// Queue handles only write their own queue's tail register (and its control register when the
/// queue is dropped), so they never disturb the device's other users.
pub trait ShareRegisters: RegisterIo + Sized {
    /// Another handle to the same registers.
    ///
    /// # Safety
    /// The caller may only use the new handle for registers no other handle uses concurrently
    /// in a conflicting way (the driver: one queue's `RDT`/`TDT` and `RXDCTL`/`TXDCTL`).
    unsafe fn share(&self) -> Self;
}

impl ShareRegisters for Mmio {
    unsafe fn share(&self) -> Self {
        // SAFETY: the window is mapped device memory for as long as `self` is (its creator's
        // promise to `Mmio::new`); the caller restricts the new handle to registers that the
        // driver's protocol gives to one queue alone.
        unsafe { Mmio::new(self.base(), self.len()) }
    }
}

/// An 82599 port after bring-up: control registers, MAC, link, statistics, and the rings of the
/// configured queues, ready to be started.
pub struct Device<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> {
    regs: R,
    dma: A,
    clock: C,
    config: Config,
    mac: [u8; 6],
    rx_rings: Vec<Option<DescRing<A>>>,
    tx_rings: Vec<Option<DescRing<A>>>,
    stats: Stats,
}

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> Device<R, A, C> {
    /// Brings the port up per datasheet §4.6.3: interrupts masked, global reset, EEPROM and DMA
    /// init awaited, link set up, statistics cleared, receive and transmit initialised with
    /// every configured queue's ring programmed (queues are started separately).
    pub fn init(regs: R, dma: A, clock: C, config: Config) -> Result<Self, Error> {
        config.check()?;
        let mut dev = Self {
            regs,
            dma,
            clock,
            config,
            mac: [0; 6],
            rx_rings: Vec::new(),
            tx_rings: Vec::new(),
            stats: Stats::default(),
        };
        dev.gone_check()?;
        dev.disable_interrupts();
        dev.global_reset()?;
        dev.disable_interrupts();
        dev.wait_bit(EEC, eec::ARD, Step::EepromAutoRead, config.timeouts.eeprom)?;
        dev.wait_bit(
            RDRXCTL,
            rdrxctl::DMAIDONE,
            Step::DmaInit,
            config.timeouts.dma_init,
        )?;
        dev.mac = dev.read_mac()?;
        dev.setup_link()?;
        dev.clear_stats();
        dev.init_rx()?;
        dev.init_tx()?;
        if config.promiscuous {
            dev.set_promiscuous(true);
        }
        if let Some(t) = config.link_wait {
            // A link that stays down is reported by `link()`, not a failed init.
            match dev.wait_for_link(t) {
                Ok(_)
                | Err(Error::Timeout {
                    step: Step::Link, ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(dev)
    }

    fn gone_check(&mut self) -> Result<(), Error> {
        if self.regs.read32(STATUS) == u32::MAX {
            Err(Error::DeviceGone)
        } else {
            Ok(())
        }
    }

    /// Polls until `reg & bit` equals `want`; a timeout on a device reading all-ones is
    /// reported as [`Error::DeviceGone`].
    fn wait_value(
        &mut self,
        reg: usize,
        mask: u32,
        want: u32,
        step: Step,
        timeout: Duration,
    ) -> Result<(), Error> {
        let regs = &mut self.regs;
        match poll(&self.clock, timeout, || {
            (regs.read32(reg) & mask == want).then_some(())
        }) {
            Ok(_) => Ok(()),
            Err(t) => {
                self.gone_check()?;
                Err(Error::Timeout {
                    step,
                    waited: t.waited,
                })
            }
        }
    }

    fn wait_bit(&mut self, reg: usize, bit: u32, step: Step, t: Duration) -> Result<(), Error> {
        self.wait_value(reg, bit, bit, step, t)
    }

    /// §4.6.3.1: mask every interrupt cause (the driver polls).
    fn disable_interrupts(&mut self) {
        self.regs.write32(EIMC, IRQ_CLEAR_MASK);
    }

    /// §4.6.3.2: `CTRL.RST | CTRL.LNK_RST`, wait for the bits to clear, then the quiet time.
    fn global_reset(&mut self) -> Result<(), Error> {
        self.regs.write32(CTRL, ctrl::RST_MASK);
        self.wait_value(
            CTRL,
            ctrl::RST_MASK,
            0,
            Step::Reset,
            self.config.timeouts.reset,
        )?;
        delay(&self.clock, self.config.timeouts.after_reset);
        Ok(())
    }

    /// §8.2.3.7.9/10: the EEPROM loads the port's address into receive address 0.
    fn read_mac(&mut self) -> Result<[u8; 6], Error> {
        let lo = self.regs.read32(ral(0));
        let hi = self.regs.read32(rah(0));
        let [a, b, c, d] = lo.to_le_bytes();
        let [e, f, ..] = hi.to_le_bytes();
        let mac = [a, b, c, d, e, f];
        if hi & rah::AV == 0 || mac == [0; 6] || mac == [0xFF; 6] || a & 1 != 0 {
            return Err(Error::NoMacAddress);
        }
        Ok(mac)
    }

    /// §10.5.4: take the software/firmware semaphore for `mask` (a `SW_FW_SYNC` software bit).
    fn acquire_swfw(&mut self, mask: u32) -> Result<(), Error> {
        let timeout = self.config.timeouts.semaphore;
        let fw = mask << sw_fw_sync::FW_SHIFT;
        let deadline = osp_hal::Deadline::after(&self.clock, timeout);
        loop {
            self.acquire_swsm(timeout)?;
            let sync = self.regs.read32(SW_FW_SYNC);
            if sync != u32::MAX && sync & (mask | fw) == 0 {
                self.regs.write32(SW_FW_SYNC, sync | mask);
                self.release_swsm();
                return Ok(());
            }
            self.release_swsm();
            if deadline.expired(&self.clock) {
                self.gone_check()?;
                return Err(Error::Timeout {
                    step: Step::Semaphore,
                    waited: deadline.elapsed(&self.clock),
                });
            }
            self.clock.relax();
        }
    }

    fn release_swfw(&mut self, mask: u32) -> Result<(), Error> {
        self.acquire_swsm(self.config.timeouts.semaphore)?;
        let sync = self.regs.read32(SW_FW_SYNC);
        self.regs.write32(SW_FW_SYNC, sync & !mask);
        self.release_swsm();
        Ok(())
    }

    /// `SWSM.SMBI` (reads 0 once, then set by hardware), then `SWSM.SWESMBI` (set, read back).
    fn acquire_swsm(&mut self, timeout: Duration) -> Result<(), Error> {
        self.wait_value(SWSM, swsm::SMBI, 0, Step::Semaphore, timeout)?;
        let regs = &mut self.regs;
        let got = poll(&self.clock, timeout, || {
            let v = regs.read32(SWSM);
            regs.write32(SWSM, v | swsm::SWESMBI);
            (regs.read32(SWSM) & swsm::SWESMBI != 0).then_some(())
        });
        if let Err(t) = got {
            self.release_swsm();
            self.gone_check()?;
            return Err(Error::Timeout {
                step: Step::Semaphore,
                waited: t.waited,
            });
        }
        Ok(())
    }

    fn release_swsm(&mut self) {
        let v = self.regs.read32(SWSM);
        self.regs.write32(SWSM, v & !(swsm::SMBI | swsm::SWESMBI));
    }

    /// §4.6.4: 10G serial link mode, restart auto-negotiation, under the MAC CSR semaphore. The
    /// link comes up later; see [`link`](Self::link).
    fn setup_link(&mut self) -> Result<(), Error> {
        self.acquire_swfw(sw_fw_sync::MAC_CSR_SM)?;
        let autoc2 = self.regs.read32(AUTOC2);
        self.regs.write32(
            AUTOC2,
            (autoc2 & !autoc2::SERIAL_PMA_PMD_MASK) | autoc2::SERIAL_PMA_PMD_SFI,
        );
        let mut autoc = self.regs.read32(AUTOC);
        autoc = (autoc & !autoc::LMS_MASK) | autoc::LMS_10G_SERIAL;
        autoc = (autoc & !autoc::PMA_PMD_10G_MASK) | autoc::PMA_PMD_10G_XAUI;
        self.regs.write32(AUTOC, autoc | autoc::AN_RESTART);
        self.release_swfw(sw_fw_sync::MAC_CSR_SM)
    }

    /// §4.6.5: the counters clear on read; read them once so they start at zero.
    fn clear_stats(&mut self) {
        let _ = self.read_counters();
        self.stats = Stats::default();
    }

    fn read_counters(&mut self) -> Stats {
        let r = &mut self.regs;
        let mut s = Stats {
            rx_packets: r.read32(GPRC).into(),
            tx_packets: r.read32(GPTC).into(),
            // Low half first: reading the high half clears the pair (§8.2.3.23).
            rx_bytes: u64::from(r.read32(GORCL)) | (u64::from(r.read32(GORCH) & 0xF) << 32),
            tx_bytes: u64::from(r.read32(GOTCL)) | (u64::from(r.read32(GOTCH) & 0xF) << 32),
            crc_errors: r.read32(CRCERRS).into(),
            ..Stats::default()
        };
        for i in 0..8 {
            s.rx_missed += u64::from(r.read32(mpc(i)));
            s.rx_no_buffer += u64::from(r.read32(rnbc(i)));
        }
        s
    }

    /// §4.6.7: receive initialisation.
    fn init_rx(&mut self) -> Result<(), Error> {
        // Stop the RX security block and receive while changing RXCTRL (§4.6.7 note).
        let t = self.config.timeouts.security;
        self.regs.modify32(SECRXCTRL, |v| v | secrx::RX_DIS);
        self.wait_bit(SECRXSTAT, secrx::SECRX_RDY, Step::SecurityRxIdle, t)?;
        self.regs.modify32(RXCTRL, |v| v & !rxctrl::RXEN);
        // One traffic class: all packet-buffer space to PB 0.
        self.regs.write32(rxpbsize(0), pbsize::RX_128KB);
        for i in 1..8 {
            self.regs.write32(rxpbsize(i), 0);
        }
        // CRC strip, in both places that must agree.
        self.regs.modify32(HLREG0, |v| v | hlreg0::RXCRCSTRP);
        self.regs.modify32(RDRXCTL, |v| {
            (v & !rdrxctl::RSCFRSTSIZE) | rdrxctl::CRCSTRIP | rdrxctl::RSCACKC | rdrxctl::FCOE_WRFIX
        });
        self.regs.modify32(FCTRL, |v| v | fctrl::BAM);
        for q in 0..self.config.rx_queues {
            // Ring base and length (§4.6.7.1); the queue is enabled by `start_rx_queue`.
            let (ring, bus, len) = self.alloc_ring(self.config.rx_ring_size)?;
            self.regs.write32(rdbal(q), bus as u32);
            self.regs.write32(rdbah(q), (bus >> 32) as u32);
            self.regs.write32(rdlen(q), len);
            self.regs.write32(rdh(q), 0);
            self.regs.write32(rdt(q), 0);
            self.regs.modify32(dca_rxctrl(q), |v| v & !DCA_RXCTRL_BIT12);
            self.rx_rings.push(Some(ring));
        }
        self.regs
            .modify32(CTRL_EXT, |v| v | ctrl_ext::NS_DIS | ctrl_ext::DRV_LOAD);
        self.regs.modify32(RXCTRL, |v| v | rxctrl::RXEN);
        self.regs.modify32(SECRXCTRL, |v| v & !secrx::RX_DIS);
        Ok(())
    }

    /// §4.6.8: transmit initialisation.
    fn init_tx(&mut self) -> Result<(), Error> {
        self.regs
            .modify32(HLREG0, |v| v | hlreg0::TXCRCEN | hlreg0::TXPADEN);
        // Packet buffers are changed with the DCB arbiter off (§4.6.11.3.1).
        self.regs.modify32(RTTDCS, |v| v | rttdcs::ARBDIS);
        self.regs.write32(txpbsize(0), pbsize::TX_40KB);
        for i in 1..8 {
            self.regs.write32(txpbsize(i), 0);
        }
        // No DCB or virtualisation: the whole request size for one class.
        self.regs.write32(DTXMXSZRQ, 0xFFF);
        self.regs.modify32(RTTDCS, |v| v & !rttdcs::ARBDIS);
        for q in 0..self.config.tx_queues {
            let (ring, bus, len) = self.alloc_ring(self.config.tx_ring_size)?;
            self.regs.write32(tdbal(q), bus as u32);
            self.regs.write32(tdbah(q), (bus >> 32) as u32);
            self.regs.write32(tdlen(q), len);
            // Prefetch/host/write-back thresholds as DPDK and ixy: 36, 8, 4.
            self.regs.write32(
                txdctl(q),
                (36 << txdctl::PTHRESH_SHIFT)
                    | (8 << txdctl::HTHRESH_SHIFT)
                    | (4 << txdctl::WTHRESH_SHIFT),
            );
            self.tx_rings.push(Some(ring));
        }
        self.regs.modify32(DMATXCTL, |v| v | dmatxctl::TE);
        Ok(())
    }

    /// A ring of `size` descriptors, and its bus address and length for the registers.
    fn alloc_ring(&mut self, size: u16) -> Result<(DescRing<A>, u64, u32), Error> {
        let len = usize::from(size) * DESC_LEN;
        let mut mem = DmaBuffer::new(self.dma.clone(), len, 128)?;
        // Poison, so that premature DMA reads garbage addresses the IOMMU (or the model) refuses.
        mem.as_mut_slice().fill(0xFF);
        let bus = mem.bus_addr();
        // `size` is a checked power of two and the allocator aligned the region to 128.
        let ring = DescRing::new(mem).map_err(|_| Error::BadConfig(ConfigError::RingSize(size)))?;
        Ok((ring, bus, len as u32))
    }

    /// The port's MAC address (from `RAL0`/`RAH0`).
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The configuration the port was brought up with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Current link state.
    pub fn link(&mut self) -> Result<Link, Error> {
        let v = self.regs.read32(LINKS);
        if v == u32::MAX {
            return Err(Error::DeviceGone);
        }
        let speed = match v & links::SPEED_MASK {
            links::SPEED_10G => LinkSpeed::G10,
            links::SPEED_1G => LinkSpeed::G1,
            links::SPEED_100M => LinkSpeed::M100,
            _ => LinkSpeed::Unknown,
        };
        Ok(Link {
            up: v & links::UP != 0,
            speed,
        })
    }

    /// Waits up to `timeout` for the link to come up.
    pub fn wait_for_link(&mut self, timeout: Duration) -> Result<Link, Error> {
        let deadline = osp_hal::Deadline::after(&self.clock, timeout);
        loop {
            let l = self.link()?;
            if l.up {
                return Ok(l);
            }
            if deadline.expired(&self.clock) {
                return Err(Error::Timeout {
                    step: Step::Link,
                    waited: deadline.elapsed(&self.clock),
                });
            }
            self.clock.relax();
        }
    }

    /// Port statistics since `init` (reads and accumulates the NIC's counters).
    pub fn stats(&mut self) -> Result<Stats, Error> {
        self.gone_check()?;
        let d = self.read_counters();
        let s = &mut self.stats;
        s.rx_packets += d.rx_packets;
        s.tx_packets += d.tx_packets;
        s.rx_bytes += d.rx_bytes;
        s.tx_bytes += d.tx_bytes;
        s.rx_missed += d.rx_missed;
        s.rx_no_buffer += d.rx_no_buffer;
        s.crc_errors += d.crc_errors;
        Ok(*s)
    }

    /// Turns unicast and multicast promiscuous mode on or off (`FCTRL.UPE | MPE`).
    pub fn set_promiscuous(&mut self, on: bool) {
        let bits = fctrl::UPE | fctrl::MPE;
        self.regs
            .modify32(FCTRL, |v| if on { v | bits } else { v & !bits });
    }

    /// The clock the device was given.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Direct access to the register window (diagnostics).
    pub fn registers(&mut self) -> &mut R {
        &mut self.regs
    }
}

impl<R: ShareRegisters, A: DmaAllocator + Clone, C: Clock> Device<R, A, C> {
    /// Starts RX queue `q` (§4.6.7.1): every descriptor gets a buffer from `pool`, the buffer
    /// size is programmed, the queue is enabled and its enable bit awaited, then the tail
    /// hands all descriptors but one to the NIC.
    pub fn start_rx_queue<'p, B: DmaAllocator>(
        &mut self,
        q: u16,
        pool: &'p Mempool<B>,
    ) -> Result<RxQueue<'p, R, A>, Error> {
        let mut ring = self
            .rx_rings
            .get_mut(usize::from(q))
            .and_then(Option::take)
            .ok_or(Error::QueueUnavailable { queue: q })?;
        let size = self.config.rx_ring_size;
        let core = pool.core();
        let mut cache = PoolCache::new(Some(core));
        let mut bufs = Vec::with_capacity(usize::from(size));
        for i in 0..usize::from(size) {
            let Some(b) = cache.alloc(core) else {
                for b in bufs {
                    cache.free(core, b);
                }
                self.rx_rings[usize::from(q)] = Some(ring);
                return Err(Error::PoolTooSmall {
                    needed: size.into(),
                    free: i,
                });
            };
            ring.rx_arm(i, core.bus_addr(b));
            bufs.push(b);
        }
        let bsize = (core.buf_size() >> srrctl::BSIZEPKT_SHIFT) as u32 & srrctl::BSIZEPKT_MASK;
        self.regs.write32(
            srrctl(q),
            srrctl::DESCTYPE_ADV_ONEBUF | srrctl::DROP_EN | bsize,
        );
        self.regs.modify32(rxdctl(q), |v| v | rxdctl::ENABLE);
        let t = self.config.timeouts.queue_enable;
        if let Err(e) = self.wait_bit(rxdctl(q), rxdctl::ENABLE, Step::RxQueueEnable(q), t) {
            self.regs.write32(rxdctl(q), 0);
            for b in bufs {
                cache.free(core, b);
            }
            self.rx_rings[usize::from(q)] = Some(ring);
            return Err(e);
        }
        let slots = RxSlots::new(size, bufs.into_boxed_slice());
        // RDH was zeroed with the ring (§4.6.7); bumping the tail starts descriptor fetching.
        self.regs.write32(rdt(q), slots.tail() as u32);
        // SAFETY: the queue handle only touches queue `q`'s RDT and RXDCTL, which nothing else
        // writes while the queue exists (its ring slot in `self` is now empty).
        let qregs = unsafe { self.regs.share() };
        Ok(RxQueue::new(qregs, ring, core, cache, slots, q))
    }

    /// Starts TX queue `q` (§4.6.8.1): head and tail zeroed, queue enabled and awaited.
    pub fn start_tx_queue<'p>(&mut self, q: u16) -> Result<TxQueue<'p, R, A>, Error> {
        let ring = self
            .tx_rings
            .get_mut(usize::from(q))
            .and_then(Option::take)
            .ok_or(Error::QueueUnavailable { queue: q })?;
        self.regs.write32(tdh(q), 0);
        self.regs.write32(tdt(q), 0);
        self.regs.modify32(txdctl(q), |v| v | txdctl::ENABLE);
        let t = self.config.timeouts.queue_enable;
        if let Err(e) = self.wait_bit(txdctl(q), txdctl::ENABLE, Step::TxQueueEnable(q), t) {
            self.regs.modify32(txdctl(q), |v| v & !txdctl::ENABLE);
            self.tx_rings[usize::from(q)] = Some(ring);
            return Err(e);
        }
        // SAFETY: as in `start_rx_queue`, for queue `q`'s TDT and TXDCTL.
        let qregs = unsafe { self.regs.share() };
        Ok(TxQueue::new(qregs, ring, self.config.tx_ring_size, q))
    }
}
