//! smoltcp `phy::Device` over one RX and one TX queue (feature `smoltcp`).
//!
//! Receive is zero-copy: the RX token owns the buffer the NIC wrote and hands smoltcp a slice of
//! it. Transmit writes straight into a pool buffer that becomes the TX descriptor's buffer; the
//! TX slot is claimed only inside [`TxToken::consume`](smoltcp::phy::TxToken::consume), so an
//! unused token costs nothing.

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use osp_hal::{Clock, DmaAllocator, RegisterIo};

use crate::Error;
use crate::init::{Device, Link, ShareRegisters, Stats};
use crate::pool::{Mempool, PacketBuf, PoolCore};
use crate::queue::{RxQueue, TxQueue};

const RX_BATCH: usize = 32;

/// An 82599 port as a smoltcp device.
pub struct IxgbePhy<'p, R: RegisterIo, A: DmaAllocator + Clone, C: Clock> {
    dev: Device<R, A, C>,
    rx: RxQueue<'p, R, A>,
    tx: TxQueue<'p, R, A>,
    pool: &'p PoolCore,
    /// Received packets not yet given to smoltcp, taken from `next` on.
    rx_batch: [Option<PacketBuf<'p>>; RX_BATCH],
    next: usize,
    filled: usize,
    /// A buffer reserved for the next transmit token.
    spare: Option<PacketBuf<'p>>,
    tx_dropped: u64,
}

impl<'p, R: ShareRegisters, A: DmaAllocator + Clone, C: Clock> IxgbePhy<'p, R, A, C> {
    /// Starts RX and TX queue 0 of `dev` with buffers from `pool` and wraps them.
    pub fn start<B: DmaAllocator>(
        mut dev: Device<R, A, C>,
        pool: &'p Mempool<B>,
    ) -> Result<Self, Error> {
        let rx = dev.start_rx_queue(0, pool)?;
        let tx = dev.start_tx_queue(0)?;
        Ok(Self::new(dev, rx, tx, pool.core()))
    }
}

impl<'p, R: RegisterIo, A: DmaAllocator + Clone, C: Clock> IxgbePhy<'p, R, A, C> {
    /// Wraps started queues; transmit buffers come from `pool`.
    pub fn new(
        dev: Device<R, A, C>,
        rx: RxQueue<'p, R, A>,
        tx: TxQueue<'p, R, A>,
        pool: &'p PoolCore,
    ) -> Self {
        Self {
            dev,
            rx,
            tx,
            pool,
            rx_batch: Default::default(),
            next: 0,
            filled: 0,
            spare: None,
            tx_dropped: 0,
        }
    }

    /// The port's MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.dev.mac()
    }

    /// Link state.
    pub fn link(&mut self) -> Result<Link, Error> {
        self.dev.link()
    }

    /// Port statistics from the NIC's counters.
    pub fn stats(&mut self) -> Result<Stats, Error> {
        self.dev.stats()
    }

    /// The device, for everything else.
    pub fn device(&mut self) -> &mut Device<R, A, C> {
        &mut self.dev
    }

    /// The queues (their driver-side counters).
    pub fn queues(&self) -> (&RxQueue<'p, R, A>, &TxQueue<'p, R, A>) {
        (&self.rx, &self.tx)
    }

    /// Transmit tokens consumed while the ring was full (packets smoltcp will retransmit).
    pub fn tx_dropped(&self) -> u64 {
        self.tx_dropped
    }

    fn next_rx(&mut self) -> Option<PacketBuf<'p>> {
        if self.next == self.filled {
            self.filled = self.rx.rx_batch(&mut self.rx_batch);
            self.next = 0;
        }
        if self.next == self.filled {
            return None;
        }
        self.next += 1;
        self.rx_batch[self.next - 1].take()
    }

    /// Whether a transmit can go out now: a free descriptor and a reserved buffer.
    fn tx_ready(&mut self) -> bool {
        if self.tx.free_slots() == 0 {
            self.tx.clean();
        }
        if self.spare.is_none() {
            self.spare = self.tx.alloc(self.pool);
        }
        self.tx.free_slots() > 0 && self.spare.is_some()
    }
}

impl<'p, R: RegisterIo, A: DmaAllocator + Clone, C: Clock> phy::Device for IxgbePhy<'p, R, A, C> {
    type RxToken<'a>
        = PhyRxToken<'p>
    where
        Self: 'a;
    type TxToken<'a>
        = PhyTxToken<'a, 'p, R, A>
    where
        Self: 'a;

    fn receive(&mut self, _: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        if !self.tx_ready() {
            return None;
        }
        let buf = self.next_rx()?;
        Some((
            PhyRxToken { buf },
            PhyTxToken {
                tx: &mut self.tx,
                spare: &mut self.spare,
                dropped: &mut self.tx_dropped,
            },
        ))
    }

    fn transmit(&mut self, _: Instant) -> Option<Self::TxToken<'_>> {
        if !self.tx_ready() {
            return None;
        }
        Some(PhyTxToken {
            tx: &mut self.tx,
            spare: &mut self.spare,
            dropped: &mut self.tx_dropped,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        // Frame without FCS (the NIC adds and strips it), no larger than one buffer.
        caps.max_transmission_unit = self.pool.buf_size().min(1514);
        caps.max_burst_size = Some(RX_BATCH);
        caps
    }
}

/// A received packet: the DMA buffer the NIC wrote, returned to the pool after use.
pub struct PhyRxToken<'p> {
    buf: PacketBuf<'p>,
}

impl phy::RxToken for PhyRxToken<'_> {
    fn consume<T, F: FnOnce(&[u8]) -> T>(self, f: F) -> T {
        f(&self.buf)
    }
}

/// The right to send one packet; the TX slot is taken when it is consumed.
pub struct PhyTxToken<'a, 'p, R: RegisterIo, A: DmaAllocator> {
    tx: &'a mut TxQueue<'p, R, A>,
    spare: &'a mut Option<PacketBuf<'p>>,
    dropped: &'a mut u64,
}

impl<R: RegisterIo, A: DmaAllocator> phy::TxToken for PhyTxToken<'_, '_, R, A> {
    /// # Panics
    /// If `len` is larger than a pool buffer: smoltcp never asks for more than the MTU in
    /// [`capabilities`](phy::Device::capabilities).
    fn consume<T, F: FnOnce(&mut [u8]) -> T>(self, len: usize, f: F) -> T {
        let Some(mut buf) = self.spare.take() else {
            unreachable!("tokens are only made with a reserved buffer")
        };
        assert!(
            len <= buf.capacity(),
            "smoltcp asked for {len} bytes, above the MTU"
        );
        buf.set_len(len);
        let r = f(&mut buf);
        if self.tx.send(buf).is_err() {
            *self.dropped += 1;
        }
        r
    }
}
