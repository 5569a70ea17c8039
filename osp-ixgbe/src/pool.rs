//! The packet-buffer pool: fixed-size DMA buffers handed out as owned [`PacketBuf`]s.
//!
//! Buffers are carved from one DMA region. Free buffers sit on a lock-free stack (a Treiber
//! stack of buffer indices whose head carries a modification tag against ABA), so a pool can be
//! shared by queues on different cores. The data path never touches the shared stack per
//! packet: every queue keeps a small [`PoolCache`] and moves buffers to and from the stack in
//! bulk, one compare-and-swap per `CACHE / 2` buffers.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use osp_hal::{DmaAllocator, DmaBuffer};

use crate::Error;

/// Smallest packet buffer (the NIC's buffer size unit, `SRRCTL.BSIZEPACKET` §8.2.3.8.7).
pub const BUF_UNIT: usize = 1024;
/// Largest packet buffer the 82599 takes for one descriptor (16 KiB).
pub const MAX_BUF_SIZE: usize = 16 * 1024;

const NIL: u32 = u32::MAX;

/// The shared, allocator-independent part of a [`Mempool`]; [`PacketBuf`]s point at it.
pub struct PoolCore {
    base: NonNull<u8>,
    bus: u64,
    buf_size: usize,
    count: u32,
    /// `tag << 32 | index`, index `NIL` when empty.
    head: AtomicU64,
    next: Box<[AtomicU32]>,
    free: AtomicU32,
    #[cfg(debug_assertions)]
    out: Box<[core::sync::atomic::AtomicBool]>,
}

// SAFETY: `base` points at DMA memory owned by the enclosing `Mempool`; which bytes a thread may
// touch is decided by buffer ownership, which moves between threads only through the atomic
// stack (acquire/release), so sharing the core is sound.
unsafe impl Send for PoolCore {}
// SAFETY: as above: `&PoolCore` only gives access to the atomic stack and to addresses.
unsafe impl Sync for PoolCore {}

impl fmt::Debug for PoolCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolCore")
            .field("count", &self.count)
            .field("buf_size", &self.buf_size)
            .field("free", &self.free_count())
            .finish()
    }
}

impl PoolCore {
    /// Number of buffers.
    pub fn capacity(&self) -> u32 {
        self.count
    }

    /// Size of every buffer in bytes.
    pub fn buf_size(&self) -> usize {
        self.buf_size
    }

    /// Buffers on the shared free stack now (buffers in queue caches, rings or the
    /// application's hands are not counted).
    pub fn free_count(&self) -> u32 {
        self.free.load(Ordering::Acquire)
    }

    /// Bus address of buffer `idx`.
    #[inline(always)]
    pub(crate) fn bus_addr(&self, idx: u32) -> u64 {
        self.bus + u64::from(idx) * self.buf_size as u64
    }

    #[inline(always)]
    fn data(&self, idx: u32) -> NonNull<u8> {
        debug_assert!(idx < self.count);
        // SAFETY: `idx < count`, so the offset lies inside the region of `count * buf_size`
        // bytes that `base` points at.
        unsafe { self.base.add(idx as usize * self.buf_size) }
    }

    /// Wraps an owned buffer index (taken from this pool) as a packet of `len` bytes.
    #[inline(always)]
    pub(crate) fn packet(&self, idx: u32, len: usize) -> PacketBuf<'_> {
        PacketBuf {
            pool: self,
            data: self.data(idx),
            idx,
            len: len.min(self.buf_size) as u32,
        }
    }

    #[cfg(debug_assertions)]
    fn mark(&self, idx: u32, out: bool) {
        let was = self.out[idx as usize].swap(out, Ordering::Relaxed);
        assert_ne!(
            was,
            out,
            "buffer {idx} {} twice",
            if out { "handed out" } else { "freed" }
        );
    }

    /// Takes up to `out.len()` buffers off the stack; returns how many.
    pub(crate) fn pop_bulk(&self, out: &mut [u32]) -> usize {
        if out.is_empty() {
            return 0;
        }
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let mut idx = head as u32;
            let mut n = 0;
            while idx != NIL && n < out.len() {
                out[n] = idx;
                n += 1;
                idx = self
                    .next
                    .get(idx as usize)
                    .map_or(NIL, |x| x.load(Ordering::Relaxed));
            }
            if n == 0 {
                return 0;
            }
            let new = ((head >> 32).wrapping_add(1) << 32) | u64::from(idx);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    self.free.fetch_sub(n as u32, Ordering::AcqRel);
                    #[cfg(debug_assertions)]
                    for &i in &out[..n] {
                        self.mark(i, true);
                    }
                    return n;
                }
                Err(h) => head = h,
            }
        }
    }

    /// Puts buffers (owned by the caller, all from this pool) back on the stack.
    pub(crate) fn push_bulk(&self, idxs: &[u32]) {
        let (Some(&first), Some(&last)) = (idxs.first(), idxs.last()) else {
            return;
        };
        #[cfg(debug_assertions)]
        for &i in idxs {
            self.mark(i, false);
        }
        for w in idxs.windows(2) {
            self.next[w[0] as usize].store(w[1], Ordering::Relaxed);
        }
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            self.next[last as usize].store(head as u32, Ordering::Relaxed);
            let new = ((head >> 32).wrapping_add(1) << 32) | u64::from(first);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        self.free.fetch_add(idxs.len() as u32, Ordering::AcqRel);
    }

    /// Takes one buffer (off the data path: the queues use their caches).
    pub fn alloc(&self) -> Option<PacketBuf<'_>> {
        let mut i = [0];
        (self.pop_bulk(&mut i) == 1).then(|| self.packet(i[0], 0))
    }
}

/// A pool of `count` DMA packet buffers of `buf_size` bytes each.
pub struct Mempool<A: DmaAllocator> {
    core: PoolCore,
    _mem: DmaBuffer<A>,
}

impl<A: DmaAllocator> fmt::Debug for Mempool<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<A: DmaAllocator> Mempool<A> {
    /// Allocates `count` buffers of `buf_size` bytes (a multiple of 1 KiB, at most 16 KiB).
    pub fn new(alloc: A, count: u32, buf_size: usize) -> Result<Self, Error> {
        if count == 0
            || count == NIL
            || buf_size == 0
            || buf_size % BUF_UNIT != 0
            || buf_size > MAX_BUF_SIZE
        {
            return Err(Error::BadPool { count, buf_size });
        }
        let len = (count as usize)
            .checked_mul(buf_size)
            .ok_or(Error::BadPool { count, buf_size })?;
        let mem = DmaBuffer::new(alloc, len, 4096).map_err(Error::Dma)?;
        let next: Vec<AtomicU32> = (0..count)
            .map(|i| AtomicU32::new(if i + 1 == count { NIL } else { i + 1 }))
            .collect();
        let core = PoolCore {
            // SAFETY: `DmaBuffer::as_ptr` is the non-null start of the region.
            base: unsafe { NonNull::new_unchecked(mem.as_ptr()) },
            bus: mem.bus_addr(),
            buf_size,
            count,
            head: AtomicU64::new(0),
            next: next.into_boxed_slice(),
            free: AtomicU32::new(count),
            #[cfg(debug_assertions)]
            out: (0..count)
                .map(|_| core::sync::atomic::AtomicBool::new(false))
                .collect(),
        };
        Ok(Self { core, _mem: mem })
    }

    /// The shared part, which queues and packets refer to.
    pub fn core(&self) -> &PoolCore {
        &self.core
    }
}

impl<A: DmaAllocator> core::ops::Deref for Mempool<A> {
    type Target = PoolCore;
    fn deref(&self) -> &PoolCore {
        &self.core
    }
}

/// One packet buffer, owned: dropping it returns it to its pool.
///
/// Its bytes are the DMA buffer itself: a received packet is the memory the NIC wrote, and a
/// packet given to [`TxQueue::tx_batch`](crate::TxQueue::tx_batch) is sent from where it lies.
pub struct PacketBuf<'p> {
    pool: &'p PoolCore,
    data: NonNull<u8>,
    idx: u32,
    len: u32,
}

// SAFETY: a `PacketBuf` is the only owner of its buffer's bytes (ownership comes from the pool's
// stack or a ring slot, never duplicated), and its pool is `Sync`.
unsafe impl Send for PacketBuf<'_> {}
// SAFETY: `&PacketBuf` only allows reading the bytes.
unsafe impl Sync for PacketBuf<'_> {}

impl<'p> PacketBuf<'p> {
    /// Length of the packet in bytes.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size of the buffer (the largest length).
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.pool.buf_size
    }

    /// Sets the length, at most [`capacity`](Self::capacity); returns the length set.
    #[inline(always)]
    pub fn set_len(&mut self, len: usize) -> usize {
        self.len = len.min(self.pool.buf_size) as u32;
        self.len as usize
    }

    /// The whole buffer, for writing a packet into before [`set_len`](Self::set_len).
    pub fn buffer_mut(&mut self) -> &mut [u8] {
        // SAFETY: the buffer's `buf_size` bytes belong to this value alone (see `Send`), and
        // the NIC does not own it while a `PacketBuf` exists.
        unsafe { core::slice::from_raw_parts_mut(self.data.as_ptr(), self.pool.buf_size) }
    }

    /// Index of the buffer in its pool.
    pub fn index(&self) -> u32 {
        self.idx
    }

    /// The buffer's bus address.
    #[inline(always)]
    pub fn bus_addr(&self) -> u64 {
        self.pool.bus_addr(self.idx)
    }

    /// The pool this buffer belongs to.
    pub fn pool(&self) -> &'p PoolCore {
        self.pool
    }

    /// Gives up ownership without returning the buffer to the pool (the caller keeps the index).
    #[inline(always)]
    pub(crate) fn into_raw(self) -> (&'p PoolCore, u32) {
        let me = core::mem::ManuallyDrop::new(self);
        (me.pool, me.idx)
    }
}

impl core::ops::Deref for PacketBuf<'_> {
    type Target = [u8];
    #[inline(always)]
    fn deref(&self) -> &[u8] {
        // SAFETY: `len <= buf_size` bytes owned by this value (see `buffer_mut`).
        unsafe { core::slice::from_raw_parts(self.data.as_ptr(), self.len as usize) }
    }
}

impl core::ops::DerefMut for PacketBuf<'_> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `buffer_mut`, and `len <= buf_size`.
        unsafe { core::slice::from_raw_parts_mut(self.data.as_ptr(), self.len as usize) }
    }
}

impl Drop for PacketBuf<'_> {
    fn drop(&mut self) {
        self.pool.push_bulk(&[self.idx]);
    }
}

impl fmt::Debug for PacketBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketBuf")
            .field("index", &self.idx)
            .field("len", &self.len)
            .finish()
    }
}

/// Buffers a queue holds between the shared stack and its ring.
pub(crate) const CACHE: usize = 64;

/// A queue-local stack of buffer indices of one pool at a time.
pub(crate) struct PoolCache<'p> {
    pool: Option<&'p PoolCore>,
    items: [u32; CACHE],
    n: usize,
}

impl<'p> PoolCache<'p> {
    pub(crate) fn new(pool: Option<&'p PoolCore>) -> Self {
        Self {
            pool,
            items: [0; CACHE],
            n: 0,
        }
    }

    /// One buffer index from `pool`, refilling from its stack in bulk when empty.
    #[inline(always)]
    pub(crate) fn alloc(&mut self, pool: &'p PoolCore) -> Option<u32> {
        if !self.is(pool) {
            self.flush();
            self.pool = Some(pool);
        }
        if self.n == 0 {
            self.n = pool.pop_bulk(&mut self.items[..CACHE / 2]);
        }
        self.n = self.n.checked_sub(1)?;
        Some(self.items[self.n])
    }

    /// Takes back buffer `idx` of `pool`, spilling half the cache in bulk when full.
    #[inline(always)]
    pub(crate) fn free(&mut self, pool: &'p PoolCore, idx: u32) {
        if !self.is(pool) {
            self.flush();
            self.pool = Some(pool);
        }
        if self.n == CACHE {
            pool.push_bulk(&self.items[CACHE / 2..]);
            self.n = CACHE / 2;
        }
        self.items[self.n] = idx;
        self.n += 1;
    }

    #[inline(always)]
    fn is(&self, pool: &PoolCore) -> bool {
        self.pool.is_some_and(|p| core::ptr::eq(p, pool))
    }

    /// Returns every cached buffer to its pool.
    pub(crate) fn flush(&mut self) {
        if let Some(p) = self.pool {
            p.push_bulk(&self.items[..self.n]);
        }
        self.n = 0;
    }
}

impl Drop for PoolCache<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use osp_hal::sim::SimMemory;

    #[test]
    fn bad_sizes_are_refused() {
        let mem = SimMemory::new();
        assert!(Mempool::new(&mem, 0, 2048).is_err());
        assert!(Mempool::new(&mem, 8, 1000).is_err());
        assert!(Mempool::new(&mem, 8, 32 * 1024).is_err());
    }

    #[test]
    fn every_buffer_exactly_once() {
        let mem = SimMemory::new();
        let pool = Mempool::new(&mem, 100, 2048).unwrap();
        let mut got = std::vec::Vec::new();
        while let Some(b) = pool.alloc() {
            got.push(b);
        }
        assert_eq!(got.len(), 100);
        let mut idx: std::vec::Vec<u32> = got.iter().map(|b| b.index()).collect();
        idx.sort();
        idx.dedup();
        assert_eq!(idx.len(), 100);
        assert_eq!(pool.free_count(), 0);
        drop(got);
        assert_eq!(pool.free_count(), 100);
    }

    #[test]
    fn caches_move_in_bulk_and_give_everything_back() {
        let mem = SimMemory::new();
        let pool = Mempool::new(&mem, 200, 2048).unwrap();
        let mut c = PoolCache::new(Some(pool.core()));
        let a: std::vec::Vec<u32> = (0..100).map(|_| c.alloc(pool.core()).unwrap()).collect();
        assert!(pool.free_count() <= 100);
        for i in a {
            c.free(pool.core(), i);
        }
        drop(c);
        assert_eq!(pool.free_count(), 200);
    }

    #[test]
    fn threads_share_a_pool() {
        let mem = SimMemory::new();
        let pool = Mempool::new(&mem, 256, 1024).unwrap();
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let core = pool.core();
                s.spawn(move || {
                    let mut c = PoolCache::new(None);
                    for round in 0..2000u32 {
                        let mut mine = std::vec::Vec::new();
                        for _ in 0..(round % 50) {
                            if let Some(i) = c.alloc(core) {
                                let mut p = core.packet(i, 1);
                                p[0] = t;
                                mine.push(p.into_raw().1);
                            }
                        }
                        for i in mine {
                            let p = core.packet(i, 1);
                            assert_eq!(p[0], t);
                            let (_, i) = p.into_raw();
                            c.free(core, i);
                        }
                    }
                });
            }
        });
        assert_eq!(pool.free_count(), 256);
    }
}
