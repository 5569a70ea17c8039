//! RX and TX queues: the data path.
//!
//! Each queue is its own object, `Send` when its register handle and allocator are, so it can
//! live on its own core; it holds no lock and allocates nothing after it is started.

use core::sync::atomic::{Ordering, fence};

use osp_hal::{DmaAllocator, RegisterIo};

use crate::desc::{self, DescRing};
use crate::pool::{PacketBuf, PoolCache, PoolCore};
use crate::regs;
use crate::ring::{RxSlots, TxSlots};

/// Per-queue receive counters, kept by the driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RxQueueStats {
    /// Packets handed to the application.
    pub packets: u64,
    /// Bytes handed to the application.
    pub bytes: u64,
    /// Frames the NIC marked bad (`RXE`), dropped.
    pub frame_errors: u64,
    /// Frames spread over several descriptors (longer than a buffer), dropped.
    pub multi_descriptor: u64,
    /// Write-backs whose length was 0 or larger than the buffer, dropped.
    pub bad_length: u64,
    /// Times a completion had to wait because the pool had no buffer to replace it.
    pub pool_empty: u64,
    /// Write-backs on the descriptor the driver held back (never given to the NIC), discarded.
    pub unowned_done: u64,
}

/// Per-queue transmit counters, kept by the driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TxQueueStats {
    /// Packets given to the NIC.
    pub packets: u64,
    /// Bytes given to the NIC.
    pub bytes: u64,
    /// Packets the NIC reported sent (buffers reclaimed).
    pub completed: u64,
    /// Packets refused because they were empty or longer than the NIC sends in one descriptor.
    pub refused: u64,
}

/// A receive queue. Created by [`Device::start_rx_queue`](crate::Device::start_rx_queue).
pub struct RxQueue<'p, R: RegisterIo, A: DmaAllocator> {
    regs: R,
    ring: DescRing<A>,
    pool: &'p PoolCore,
    cache: PoolCache<'p>,
    slots: RxSlots,
    index: u16,
    stats: RxQueueStats,
}

impl<'p, R: RegisterIo, A: DmaAllocator> RxQueue<'p, R, A> {
    pub(crate) fn new(
        regs: R,
        ring: DescRing<A>,
        pool: &'p PoolCore,
        cache: PoolCache<'p>,
        slots: RxSlots,
        index: u16,
    ) -> Self {
        Self {
            regs,
            ring,
            pool,
            cache,
            slots,
            index,
            stats: RxQueueStats::default(),
        }
    }

    /// The queue number.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The driver's counters for this queue.
    pub fn stats(&self) -> RxQueueStats {
        self.stats
    }

    /// Number of descriptors.
    pub fn ring_size(&self) -> usize {
        self.slots.wrap.size()
    }

    /// Receives up to `out.len()` packets into `out[..n]` and returns `n`.
    ///
    /// Each packet is the buffer the NIC wrote into (no copy); a fresh pool buffer takes its
    /// place in the ring. Entries of `out` past `n` are left alone; entries up to `n` that held a
    /// packet get it dropped (returned to its pool). Bad write-backs (frame errors, frames that
    /// span descriptors, impossible lengths) are counted in [`stats`](Self::stats) and their
    /// buffers reused in place.
    #[inline(never)]
    pub fn rx_batch(&mut self, out: &mut [Option<PacketBuf<'p>>]) -> usize {
        let buf_size = self.pool.buf_size();
        let mut i = self.slots.next;
        let mut n = 0;
        let mut seen = 0;
        let mut bytes = 0;
        // At most one lap, even if a broken device keeps every descriptor marked done.
        while n < out.len() && seen < self.slots.wrap.size() {
            let status = self.ring.rx_status(i);
            if status & desc::rx::STAT_DD == 0 {
                break;
            }
            // Read the rest of the write-back only after DD (datasheet §7.1.6.2).
            fence(Ordering::Acquire);
            let len = usize::from(self.ring.rx_length(i));
            let eop = status & desc::rx::STAT_EOP != 0;
            let ok = if self.slots.discarding || !eop {
                // Part of a frame longer than one buffer: drop every piece up to EOP.
                if eop {
                    self.stats.multi_descriptor += 1;
                }
                self.slots.discarding = !eop;
                false
            } else if status & desc::rx::ERR_RXE != 0 {
                self.stats.frame_errors += 1;
                false
            } else if len == 0 || len > buf_size {
                self.stats.bad_length += 1;
                false
            } else {
                true
            };
            if ok {
                let Some(new) = self.cache.alloc(self.pool) else {
                    self.stats.pool_empty += 1;
                    break;
                };
                let old = core::mem::replace(&mut self.slots.bufs[i], new);
                self.ring.rx_arm(i, self.pool.bus_addr(new));
                out[n] = Some(self.pool.packet(old, len));
                n += 1;
                bytes += len as u64;
            } else {
                self.ring.rx_arm(i, self.pool.bus_addr(self.slots.bufs[i]));
            }
            i = self.slots.wrap.next(i);
            seen += 1;
        }
        self.stats.packets += n as u64;
        self.stats.bytes += bytes;
        if seen > 0 {
            // The descriptor held back since the last call is handed over now: the NIC never
            // owned it, so a write-back there is a device fault. Discard it before giving it.
            let held = self.slots.tail();
            if self.ring.rx_status(held) & desc::rx::STAT_DD != 0 {
                self.stats.unowned_done += 1;
                let b = self.slots.bufs[held];
                self.ring.rx_arm(held, self.pool.bus_addr(b));
            }
            self.slots.next = i;
            // Descriptors must be in memory before the NIC sees the tail move (§7.1.9).
            fence(Ordering::Release);
            self.regs
                .write32(regs::rdt(self.index), self.slots.tail() as u32);
        }
        n
    }
}

impl<R: RegisterIo, A: DmaAllocator> Drop for RxQueue<'_, R, A> {
    fn drop(&mut self) {
        // Stop the NIC from writing the ring and its buffers before they are released.
        self.regs.write32(regs::rxdctl(self.index), 0);
        for &b in self.slots.bufs.iter() {
            self.cache.free(self.pool, b);
        }
        self.cache.flush();
    }
}

/// A transmit queue. Created by [`Device::start_tx_queue`](crate::Device::start_tx_queue).
pub struct TxQueue<'p, R: RegisterIo, A: DmaAllocator> {
    regs: R,
    ring: DescRing<A>,
    slots: TxSlots<(&'p PoolCore, u32)>,
    cache: PoolCache<'p>,
    index: u16,
    stats: TxQueueStats,
}

/// The most one TX descriptor carries (`DTALEN` is 16 bits, and a buffer is at most 16 KiB).
const TX_MAX_LEN: usize = crate::pool::MAX_BUF_SIZE;

impl<'p, R: RegisterIo, A: DmaAllocator> TxQueue<'p, R, A> {
    pub(crate) fn new(regs: R, ring: DescRing<A>, size: u16, index: u16) -> Self {
        Self {
            regs,
            ring,
            slots: TxSlots::new(size),
            cache: PoolCache::new(None),
            index,
            stats: TxQueueStats::default(),
        }
    }

    /// The queue number.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The driver's counters for this queue.
    pub fn stats(&self) -> TxQueueStats {
        self.stats
    }

    /// Descriptors free for new packets (after the last [`clean`](Self::clean)).
    pub fn free_slots(&self) -> usize {
        self.slots.free()
    }

    /// Packets given to the NIC and not yet reported sent.
    pub fn in_flight(&self) -> usize {
        self.slots.in_flight()
    }

    /// Reclaims the buffers of packets the NIC has sent (`DD` written back); returns how many.
    #[inline(always)]
    pub fn clean(&mut self) -> usize {
        let mut n = 0;
        while let Some(i) = self.slots.oldest() {
            if !self.ring.tx_done(i) {
                break;
            }
            if let Some((pool, idx)) = self.slots.release(i) {
                self.cache.free(pool, idx);
            }
            n += 1;
        }
        self.stats.completed += n as u64;
        n
    }

    /// Sends packets from the front of `pkts` (taking them out of their `Option`s) until the
    /// ring is full; returns how many were taken. Packets not taken stay where they are. `None`
    /// entries are skipped; empty or over-long packets are refused (left in place, counted).
    #[inline(never)]
    pub fn tx_batch(&mut self, pkts: &mut [Option<PacketBuf<'p>>]) -> usize {
        self.clean();
        let mut sent = 0;
        let mut bytes = 0;
        let mut room = self.slots.free();
        for slot in pkts.iter_mut() {
            if room == 0 {
                break;
            }
            let Some(buf) = slot.take() else { continue };
            let len = buf.len();
            if len == 0 || len > TX_MAX_LEN {
                self.stats.refused += 1;
                *slot = Some(buf);
                continue;
            }
            let bus = buf.bus_addr();
            // `room` counts the free slots, so this cannot overwrite one in flight.
            let i = self.slots.push_within_room(buf.into_raw());
            self.ring.tx_fill(i, bus, len as u16);
            room -= 1;
            bytes += len as u64;
            sent += 1;
        }
        self.stats.bytes += bytes;
        if sent > 0 {
            self.stats.packets += sent as u64;
            fence(Ordering::Release);
            self.regs
                .write32(regs::tdt(self.index), self.slots.tail() as u32);
        }
        sent
    }

    /// Sends one packet; gives it back when the ring is full or the packet is unsendable.
    pub fn send(&mut self, pkt: PacketBuf<'p>) -> Result<(), PacketBuf<'p>> {
        let mut one = [Some(pkt)];
        self.tx_batch(&mut one);
        match one[0].take() {
            None => Ok(()),
            Some(p) => Err(p),
        }
    }

    /// A fresh buffer from `pool`, preferably one this queue just reclaimed (still cache-warm).
    #[inline(always)]
    pub fn alloc(&mut self, pool: &'p PoolCore) -> Option<PacketBuf<'p>> {
        let idx = self.cache.alloc(pool)?;
        Some(pool.packet(idx, 0))
    }
}

impl<R: RegisterIo, A: DmaAllocator> Drop for TxQueue<'_, R, A> {
    fn drop(&mut self) {
        self.regs.write32(regs::txdctl(self.index), 0);
        let mut cache = PoolCache::new(None);
        for (pool, idx) in self.slots.drain() {
            cache.free(pool, idx);
        }
    }
}
