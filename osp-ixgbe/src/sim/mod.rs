//! A host-mode model of the 82599 for tests, examples and benchmarks (feature `sim`).
//!
//! [`SimNic`] is a register window ([`RegisterIo`]) backed by a datasheet-following register
//! file, plus RX and TX DMA engines that read and write descriptors and packet data in
//! [`SimMemory`] by bus address. A [`Wire`] connects two models; a model alone can also be fed by
//! a packet source and drained by a sink.
//!
//! **Where the cost goes.** A driver's register *writes* to the tail registers (`RDT`, `TDT`)
//! are lock-free atomic stores, as cheap as an MMIO store; all DMA work happens in
//! [`SimNic::step`] / [`Wire::step`], which the test or benchmark calls between driver calls. So
//! time (or instructions) spent inside `rx_batch`/`tx_batch` is the driver's, and time in
//! `step` is the model's.
//!
//! **Strictness.** What the datasheet forbids is recorded as a [`Violation`] (and the forbidden
//! action does not take effect): enabling a queue whose ring is not set up or lies outside
//! allocated memory, writing `AUTOC` without the MAC semaphore, touching registers during reset,
//! moving a tail past the ring, descriptors pointing outside DMA memory.
//!
//! **Faults** ([`Fault`]): corrupt write-backs, link loss, surprise removal (all-ones reads),
//! dropped packets.

use std::boxed::Box;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use std::vec::Vec;

use osp_hal::RegisterIo;
use osp_hal::sim::{DmaFault, SimClock, SimMemory};

use crate::ShareRegisters;
use crate::regs::{self, MAX_QUEUES};

pub mod harness;
mod model;

use model::Model;

/// Timing and identity of a model.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The MAC address the "EEPROM" loads into `RAL0`/`RAH0`.
    pub mac: [u8; 6],
    /// Time `CTRL.RST` stays set after it is written.
    pub reset_time: Duration,
    /// Time from the end of reset to `EEC.ARD`.
    pub eeprom_time: Duration,
    /// Time from the end of reset to `RDRXCTL.DMAIDONE`.
    pub dma_init_time: Duration,
    /// Time from a queue enable to its read-back.
    pub queue_enable_time: Duration,
    /// Time from `AUTOC.AN_RESTART` to `LINKS.UP` (if a cable is plugged in).
    pub link_up_time: Duration,
    /// Whether a link partner is there at all.
    pub cable: bool,
}

impl ModelConfig {
    /// A model with MAC `02:00:00:00:00:<n>` and small but non-zero delays.
    pub fn new(n: u8) -> Self {
        Self {
            mac: [0x02, 0, 0, 0, 0, n],
            reset_time: Duration::from_micros(5),
            eeprom_time: Duration::from_micros(200),
            dma_init_time: Duration::from_micros(300),
            queue_enable_time: Duration::from_micros(10),
            link_up_time: Duration::from_millis(2),
            cable: true,
        }
    }
}

/// Something the driver did that the datasheet forbids. The action is not carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A register write while `CTRL.RST` was in progress.
    WriteDuringReset {
        /// Register offset.
        offset: usize,
    },
    /// A queue enabled before DMA init finished.
    EnableBeforeDmaInit,
    /// An RX queue enabled with no valid ring (`RDBA`/`RDLEN` unset, misaligned, not a multiple
    /// of 128 bytes, outside allocated memory) or without advanced one-buffer descriptors.
    RxRingNotSetUp {
        /// Queue.
        queue: u16,
    },
    /// A TX queue enabled with no valid ring.
    TxRingNotSetUp {
        /// Queue.
        queue: u16,
    },
    /// A TX queue enabled before `DMATXCTL.TE`.
    TxQueueBeforeTransmitEnable {
        /// Queue.
        queue: u16,
    },
    /// `AUTOC`/`AUTOC2` written without holding the MAC CSR semaphore.
    AutocWithoutSemaphore,
    /// `SW_FW_SYNC` written without holding `SWSM.SWESMBI`.
    SwFwSyncWithoutSwsm,
    /// `RXCTRL.RXEN` changed while the RX security block was running.
    RxEnableWithSecurityRunning,
    /// Ring base, length or head written while the queue is enabled.
    RingChangedWhileEnabled {
        /// Register offset.
        offset: usize,
    },
    /// A tail register set past the end of its ring.
    TailOutOfRange {
        /// Register offset.
        offset: usize,
        /// Value written.
        value: u32,
    },
    /// A TX descriptor that is not an advanced data descriptor, or with length 0.
    BadTxDescriptor {
        /// Queue.
        queue: u16,
        /// Descriptor index.
        index: u32,
    },
    /// A DMA access outside allocated memory (descriptor ring or buffer address).
    Dma(DmaFault),
}

/// A fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The next RX write-back on the queue also sets `DD` (with EOP and the given length) on the
    /// descriptor at `RDT`, which the NIC does not own.
    RxDoneOnUnownedDescriptor {
        /// Queue.
        queue: u16,
        /// Length to write there.
        length: u16,
    },
    /// The next RX write-back reports this length instead of the real one.
    RxLength(u16),
    /// The next RX write-back lacks `EOP`.
    RxNoEop,
    /// The next RX write-back sets the `RXE` error bit.
    RxFrameError,
    /// Every TX descriptor given to the NIC on the queue is written back done without being sent.
    TxDoneEarly {
        /// Queue.
        queue: u16,
    },
    /// The next `n` frames arriving from the wire are lost.
    DropRx(u32),
    /// Every `n`th frame arriving from the wire is lost (0: none).
    LoseEveryNth(u32),
    /// The link goes down (`true`) or comes back (`false`).
    LinkDown(bool),
    /// Firmware holds the MAC semaphore forever.
    FirmwareHoldsSemaphore,
    /// The device is removed: reads return all-ones, writes and DMA stop.
    SurpriseRemoval,
    /// `EEC.ARD` never comes.
    EepromNeverDone,
}

/// Counters of what the model did (not visible to the driver).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelStats {
    /// Frames sent onto the wire.
    pub tx_frames: u64,
    /// Frames written into RX buffers.
    pub rx_frames: u64,
    /// Frames dropped for want of RX descriptors.
    pub rx_no_descriptor: u64,
    /// Frames not accepted by the address filter or with receive off.
    pub rx_filtered: u64,
    /// Frames lost on purpose ([`Fault::DropRx`], [`Fault::LoseEveryNth`]).
    pub lost: u64,
    /// TX frames dropped because the link was down.
    pub tx_link_down: u64,
}

pub(crate) struct Shared {
    model: Mutex<Model>,
    /// `RDT` and `TDT` of every queue: stored without the model lock (the driver's doorbells).
    rdt: Box<[AtomicU32]>,
    tdt: Box<[AtomicU32]>,
    removed: AtomicBool,
}

/// A simulated 82599 port. Clones are handles to the same device.
#[derive(Clone)]
pub struct SimNic {
    shared: Arc<Shared>,
}

impl core::fmt::Debug for SimNic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimNic")
            .field("stats", &self.stats())
            .finish()
    }
}

impl SimNic {
    /// A powered-on port whose DMA engines use `mem` and whose timing follows `clock`.
    pub fn new(mem: &SimMemory, clock: &SimClock, config: ModelConfig) -> Self {
        let atomics = || {
            (0..MAX_QUEUES)
                .map(|_| AtomicU32::new(0))
                .collect::<Box<[_]>>()
        };
        Self {
            shared: Arc::new(Shared {
                model: Mutex::new(Model::new(mem.clone(), clock.clone(), config)),
                rdt: atomics(),
                tdt: atomics(),
                removed: AtomicBool::new(false),
            }),
        }
    }

    fn model(&self) -> MutexGuard<'_, Model> {
        self.shared.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the DMA engines: transmits what the TX rings hold and receives what has arrived.
    pub fn step(&self) {
        let mut m = self.model();
        m.process_tx(&self.shared);
        m.process_rx(&self.shared);
    }

    /// Runs only the TX engine.
    pub fn step_tx(&self) {
        self.model().process_tx(&self.shared);
    }

    /// Runs only the RX engine.
    pub fn step_rx(&self) {
        self.model().process_rx(&self.shared);
    }

    /// A frame arrives from the wire (it is received at the next step).
    pub fn inject(&self, frame: &[u8]) {
        self.model().arrive(frame);
    }

    /// A frame arrives for RX queue `queue` (as if a filter steered it there).
    pub fn inject_to(&self, queue: u16, frame: &[u8]) {
        self.model().arrive_to(queue, frame);
    }

    /// Takes the frames transmitted so far (FCS not included).
    pub fn take_transmitted(&self) -> Vec<Vec<u8>> {
        self.model().tx_out.drain(..).collect()
    }

    /// Frames transmitted and not yet taken.
    pub fn transmitted_len(&self) -> usize {
        self.model().tx_out.len()
    }

    /// A packet source: from now on every step fills all free RX descriptors of queue 0 with
    /// copies of `frame` (`None` stops it).
    pub fn set_source(&self, frame: Option<&[u8]>) {
        self.model().source = frame.map(<[u8]>::to_vec);
    }

    /// A packet sink: transmitted frames are counted and discarded instead of kept.
    pub fn set_sink(&self, on: bool) {
        self.model().sink = on;
    }

    /// Injects a fault.
    pub fn inject_fault(&self, fault: Fault) {
        if fault == Fault::SurpriseRemoval {
            self.shared.removed.store(true, Ordering::Release);
        }
        self.model().fault(fault);
    }

    /// Everything forbidden the driver did so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.model().violations.clone()
    }

    /// What the model did.
    pub fn stats(&self) -> ModelStats {
        self.model().stats
    }

    /// Reads a register without side effects (no clear-on-read, no semaphore grab).
    pub fn peek(&self, offset: usize) -> u32 {
        self.model().peek(offset)
    }

    fn tail_slot(&self, offset: usize) -> Option<&AtomicU32> {
        let q = tail_queue(offset)?;
        let (is_rx, q) = q;
        Some(if is_rx {
            &self.shared.rdt[usize::from(q)]
        } else {
            &self.shared.tdt[usize::from(q)]
        })
    }
}

/// `Some((is_rx, queue))` when `offset` is a tail register.
fn tail_queue(offset: usize) -> Option<(bool, u16)> {
    let rx = |base: usize, first: u16| {
        let d = offset.checked_sub(base)?;
        (d % 0x40 == 0x18 && d / 0x40 < 64).then(|| first + (d / 0x40) as u16)
    };
    if (regs::rdbal(0)..regs::rdbal(0) + 64 * 0x40).contains(&offset) {
        return rx(regs::rdbal(0), 0).map(|q| (true, q));
    }
    if (regs::rdbal(64)..regs::rdbal(64) + 64 * 0x40).contains(&offset) {
        return rx(regs::rdbal(64), 64).map(|q| (true, q));
    }
    if (regs::tdbal(0)..regs::tdbal(0) + 128 * 0x40).contains(&offset) {
        let d = offset - regs::tdbal(0);
        return (d % 0x40 == 0x18).then_some((false, (d / 0x40) as u16));
    }
    None
}

impl RegisterIo for SimNic {
    fn read32(&mut self, offset: usize) -> u32 {
        if self.shared.removed.load(Ordering::Acquire) {
            return u32::MAX;
        }
        if let Some(t) = self.tail_slot(offset) {
            return t.load(Ordering::Acquire);
        }
        self.model().read(offset)
    }

    #[inline]
    fn write32(&mut self, offset: usize, value: u32) {
        if self.shared.removed.load(Ordering::Relaxed) {
            return;
        }
        if let Some(t) = self.tail_slot(offset) {
            t.store(value, Ordering::Release);
            return;
        }
        self.model().write(offset, value);
    }
}

impl ShareRegisters for SimNic {
    unsafe fn share(&self) -> Self {
        self.clone()
    }
}

/// A cable between two models.
#[derive(Debug, Clone)]
pub struct Wire {
    a: SimNic,
    b: SimNic,
}

impl Wire {
    /// Connects `a` and `b`.
    pub fn new(a: &SimNic, b: &SimNic) -> Self {
        Self {
            a: a.clone(),
            b: b.clone(),
        }
    }

    /// Transmits on both ends, carries the frames across, receives on both ends.
    pub fn step(&self) {
        self.a.step_tx();
        self.b.step_tx();
        self.carry(&self.a, &self.b);
        self.carry(&self.b, &self.a);
        self.a.step_rx();
        self.b.step_rx();
    }

    fn carry(&self, from: &SimNic, to: &SimNic) {
        let frames = std::mem::take(&mut from.model().tx_out);
        if frames.is_empty() {
            return;
        }
        let mut dst = to.model();
        for f in frames {
            dst.arrive_owned(f);
        }
    }
}

pub(crate) type Frames = VecDeque<Vec<u8>>;
