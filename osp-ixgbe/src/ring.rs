//! Ring bookkeeping, independent of the hardware: which slots the driver owns, which the NIC.
//!
//! Both rings keep one slot unused so that `tail == head` always means "NIC owns nothing"
//! (datasheet §7.1.9 / §7.2.3.3: the NIC treats `RDT == RDH` as an empty ring).

#![forbid(unsafe_code)]

use alloc::boxed::Box;
use alloc::vec::Vec;

/// Smallest and largest ring the driver accepts (descriptors).
pub const MIN_RING: u16 = 8;
/// Largest ring: 8192 descriptors is 128 KiB, within `RDLEN`'s 20 bits (§8.2.3.8.3).
pub const MAX_RING: u16 = 8192;

/// Whether `n` is a ring size the driver supports: a power of two from 8 to 8192 (which is also a
/// multiple of 8 descriptors, i.e. of 128 bytes, as the datasheet requires).
pub const fn valid_ring_size(n: u16) -> bool {
    n >= MIN_RING && n <= MAX_RING && n.is_power_of_two()
}

/// Index arithmetic for a power-of-two ring.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wrap {
    mask: usize,
}

impl Wrap {
    pub(crate) fn new(size: u16) -> Self {
        debug_assert!(valid_ring_size(size));
        Self {
            mask: usize::from(size) - 1,
        }
    }
    #[inline(always)]
    pub(crate) fn next(self, i: usize) -> usize {
        (i + 1) & self.mask
    }
    #[inline(always)]
    pub(crate) fn prev(self, i: usize) -> usize {
        i.wrapping_sub(1) & self.mask
    }
    pub(crate) fn size(self) -> usize {
        self.mask + 1
    }
}

/// The TX side: slots between `clean` and `tail` are in flight (owned by the NIC), each holding
/// what must be released when the NIC reports it sent.
pub(crate) struct TxSlots<T> {
    wrap: Wrap,
    slots: Box<[Option<T>]>,
    /// Next slot to fill.
    tail: usize,
    /// Oldest slot in flight.
    clean: usize,
}

impl<T> TxSlots<T> {
    pub(crate) fn new(size: u16) -> Self {
        let wrap = Wrap::new(size);
        let slots: Vec<Option<T>> = (0..wrap.size()).map(|_| None).collect();
        Self {
            wrap,
            slots: slots.into_boxed_slice(),
            tail: 0,
            clean: 0,
        }
    }

    /// Slots that can be filled now.
    #[inline(always)]
    pub(crate) fn free(&self) -> usize {
        self.clean.wrapping_sub(self.tail).wrapping_sub(1) & self.wrap.mask
    }

    /// Slots in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.tail.wrapping_sub(self.clean) & self.wrap.mask
    }

    /// Fills the tail slot when the caller has checked there is room ([`free`](Self::free) was
    /// non-zero and nothing was pushed since): no second check on the data path. Returns the
    /// slot's index.
    #[inline(always)]
    pub(crate) fn push_within_room(&mut self, item: T) -> usize {
        debug_assert!(self.free() > 0);
        let i = self.tail;
        self.slots[i] = Some(item);
        self.tail = self.wrap.next(i);
        i
    }

    /// The oldest in-flight slot's index, if any.
    #[inline(always)]
    pub(crate) fn oldest(&self) -> Option<usize> {
        (self.clean != self.tail).then_some(self.clean)
    }

    /// Releases the oldest in-flight slot, `i`, which must be what [`oldest`](Self::oldest)
    /// returned.
    #[inline(always)]
    pub(crate) fn release(&mut self, i: usize) -> Option<T> {
        debug_assert_eq!(Some(i), self.oldest());
        self.clean = self.wrap.next(i);
        self.slots[i].take()
    }

    /// Where the next packet goes (the value for `TDT`).
    #[inline(always)]
    pub(crate) fn tail(&self) -> usize {
        self.tail
    }

    /// Every item still held (for teardown).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.clean = self.tail;
        self.slots.iter_mut().filter_map(Option::take)
    }
}

/// The RX side: every descriptor holds a buffer; the driver reads completions from `next` on,
/// and the one slot behind `next` (at `RDT`) is held back so the NIC never sees a full ring.
pub(crate) struct RxSlots {
    pub(crate) wrap: Wrap,
    /// Buffer index held by each descriptor.
    pub(crate) bufs: Box<[u32]>,
    /// Next descriptor to look at for a completion.
    pub(crate) next: usize,
    /// Inside a multi-descriptor frame being discarded.
    pub(crate) discarding: bool,
}

impl RxSlots {
    pub(crate) fn new(size: u16, bufs: Box<[u32]>) -> Self {
        let wrap = Wrap::new(size);
        debug_assert_eq!(bufs.len(), wrap.size());
        Self {
            wrap,
            bufs,
            next: 0,
            discarding: false,
        }
    }

    /// The tail value that gives every slot but the one behind `next` to the NIC.
    #[inline(always)]
    pub(crate) fn tail(&self) -> usize {
        self.wrap.prev(self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes() {
        assert!(valid_ring_size(8) && valid_ring_size(512) && valid_ring_size(8192));
        assert!(!valid_ring_size(0) && !valid_ring_size(12) && !valid_ring_size(16384));
        assert!(!valid_ring_size(4));
    }

    proptest! {
        /// Model check against a queue: nothing is lost, nothing duplicated, one slot spare.
        #[test]
        fn tx_slots_behave_like_a_bounded_fifo(ops in proptest::collection::vec(any::<bool>(), 0..600)) {
            let mut ring = TxSlots::<u32>::new(16);
            let mut model = std::collections::VecDeque::new();
            let mut n = 0u32;
            for push in ops {
                if push {
                    if ring.free() > 0 {
                        let i = ring.push_within_room(n);
                        prop_assert_eq!(i, (n as usize) % 16);
                        model.push_back(n);
                        n += 1;
                    } else {
                        prop_assert_eq!(model.len(), 15);
                    }
                } else {
                    let got = ring.oldest().and_then(|i| ring.release(i));
                    prop_assert_eq!(got, model.pop_front());
                }
                prop_assert_eq!(ring.in_flight(), model.len());
                prop_assert_eq!(ring.free(), 15 - model.len());
            }
            let rest: Vec<u32> = ring.drain().collect();
            prop_assert_eq!(rest.len(), model.len());
        }
    }

    #[test]
    fn rx_tail_is_one_behind() {
        let mut r = RxSlots::new(8, (0..8).collect());
        assert_eq!(r.tail(), 7);
        r.next = 3;
        assert_eq!(r.tail(), 2);
    }
}
