//! Register windows: the trait drivers are generic over, and its volatile MMIO implementation.

use core::ptr::NonNull;

use volatile::VolatilePtr;

/// A device's register window: 32-bit (and 64-bit) registers at byte offsets.
///
/// Drivers are generic over this trait, so the same code drives a memory-mapped device
/// ([`Mmio`]) or a device model on the host. Reads take `&mut self` because device registers may
/// have side effects on read (clear-on-read counters, interrupt causes).
///
/// # Contract for implementors
/// An access outside the window, or at an offset the window cannot serve, must not panic: reads
/// return all-ones (what a removed PCI device reads as) and writes are dropped.
pub trait RegisterIo {
    /// Reads the 32-bit register at byte `offset`.
    fn read32(&mut self, offset: usize) -> u32;
    /// Writes the 32-bit register at byte `offset`.
    fn write32(&mut self, offset: usize, value: u32);

    /// Reads a 64-bit register as two 32-bit reads, low half first (the order AHCI and the
    /// 82599 specify for split registers).
    fn read64(&mut self, offset: usize) -> u64 {
        let lo = self.read32(offset);
        let hi = self.read32(offset.wrapping_add(4));
        u64::from(lo) | (u64::from(hi) << 32)
    }

    /// Writes a 64-bit register as two 32-bit writes, low half first.
    fn write64(&mut self, offset: usize, value: u64) {
        self.write32(offset, value as u32);
        self.write32(offset.wrapping_add(4), (value >> 32) as u32);
    }

    /// Read-modify-write of a 32-bit register; returns the value written.
    fn modify32(&mut self, offset: usize, f: impl FnOnce(u32) -> u32) -> u32
    where
        Self: Sized,
    {
        let value = f(self.read32(offset));
        self.write32(offset, value);
        value
    }
}

impl<R: RegisterIo + ?Sized> RegisterIo for &mut R {
    fn read32(&mut self, offset: usize) -> u32 {
        (**self).read32(offset)
    }
    fn write32(&mut self, offset: usize, value: u32) {
        (**self).write32(offset, value)
    }
    fn read64(&mut self, offset: usize) -> u64 {
        (**self).read64(offset)
    }
    fn write64(&mut self, offset: usize, value: u64) {
        (**self).write64(offset, value)
    }
}

/// A memory-mapped register window accessed with volatile 32-bit loads and stores.
///
/// Offsets are checked against the window's length: an access outside it, or not 4-byte
/// aligned, reads all-ones and writes nothing (see [`RegisterIo`]).
#[derive(Debug)]
pub struct Mmio {
    base: NonNull<u32>,
    len: usize,
}

// SAFETY: an `Mmio` is a pointer to device memory that the creator promised is exclusively ours
// (see `Mmio::new`); device registers may be accessed from any CPU.
unsafe impl Send for Mmio {}

impl Mmio {
    /// Wraps the register window at virtual address `base`, `len` bytes long.
    ///
    /// # Safety
    /// `base` must be 4-byte aligned and point to `len` bytes of device memory, mapped uncached
    /// (or write-combining where the device allows it), that stay mapped for the life of the
    /// returned value, and nothing else may access those registers meanwhile in a way the driver
    /// does not expect.
    pub unsafe fn new(base: NonNull<u8>, len: usize) -> Self {
        Self {
            base: base.cast(),
            len,
        }
    }

    /// The window's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The window's base address, as given to [`Mmio::new`] (for a driver that hands further
    /// handles to parts of the same device, e.g. one per queue).
    pub fn base(&self) -> NonNull<u8> {
        self.base.cast()
    }

    fn register(&self, offset: usize) -> Option<VolatilePtr<'_, u32>> {
        let end = offset.checked_add(4)?;
        if offset % 4 != 0 || end > self.len {
            return None;
        }
        // SAFETY: `offset + 4 <= len` and `offset` is 4-aligned, so the pointer stays inside the
        // window that `Mmio::new`'s caller promised is mapped, aligned device memory.
        let ptr = unsafe { self.base.byte_add(offset) };
        // SAFETY: as above, `ptr` is valid and aligned for volatile u32 accesses for as long as
        // `self` lives, which bounds the returned lifetime.
        Some(unsafe { VolatilePtr::new(ptr) })
    }
}

impl RegisterIo for Mmio {
    fn read32(&mut self, offset: usize) -> u32 {
        self.register(offset).map_or(u32::MAX, |r| r.read())
    }
    fn write32(&mut self, offset: usize, value: u32) {
        if let Some(r) = self.register(offset) {
            r.write(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmio_reads_and_writes_inside_the_window() {
        let mut backing = [0u32; 8];
        // SAFETY: `backing` is 32 aligned bytes that outlive `mmio`; nothing else touches them.
        let mut mmio = unsafe { Mmio::new(NonNull::from(&mut backing).cast(), 32) };
        mmio.write32(4, 0xdead_beef);
        assert_eq!(mmio.read32(4), 0xdead_beef);
        assert_eq!(mmio.base(), NonNull::from(&mut backing).cast());
        mmio.write64(8, 0x1122_3344_5566_7788);
        assert_eq!(mmio.read32(8), 0x5566_7788);
        assert_eq!(mmio.read32(12), 0x1122_3344);
        assert_eq!(mmio.read64(8), 0x1122_3344_5566_7788);
        assert_eq!(mmio.modify32(4, |v| v & 0xffff), 0xbeef);
        let _ = mmio;
        assert_eq!(backing[1], 0xbeef);
    }

    #[test]
    fn mmio_outside_the_window_reads_all_ones_and_drops_writes() {
        let mut backing = [0u32; 4];
        // SAFETY: `backing` is 16 aligned bytes that outlive `mmio`; nothing else touches them.
        let mut mmio = unsafe { Mmio::new(NonNull::from(&mut backing).cast(), 16) };
        assert_eq!(mmio.read32(16), u32::MAX);
        assert_eq!(mmio.read32(usize::MAX - 1), u32::MAX);
        assert_eq!(mmio.read32(2), u32::MAX, "unaligned offsets are refused");
        mmio.write32(16, 1);
        mmio.write32(usize::MAX, 1);
        mmio.write32(1, 1);
        let _ = mmio;
        assert_eq!(backing, [0; 4]);
    }
}
