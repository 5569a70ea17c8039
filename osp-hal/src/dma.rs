//! DMA memory: coherent, physically contiguous regions with a known bus address.

use core::fmt;
use core::ptr::NonNull;

/// A region of DMA memory as a [`DmaAllocator`] hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaRegion {
    /// Where the CPU sees the region.
    pub virt: NonNull<u8>,
    /// Where the device sees the region (the address written into descriptors and registers).
    pub bus: u64,
    /// Length in bytes.
    pub len: usize,
}

/// Why DMA memory could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DmaError {
    /// No memory left for a region of this size.
    OutOfMemory {
        /// Bytes asked for.
        len: usize,
    },
    /// Zero length, or an alignment that is not a power of two.
    BadLayout {
        /// Bytes asked for.
        len: usize,
        /// Alignment asked for.
        align: usize,
    },
}

impl fmt::Display for DmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfMemory { len } => write!(f, "no DMA memory left for {len} bytes"),
            Self::BadLayout { len, align } => {
                write!(f, "bad DMA layout: {len} bytes aligned to {align}")
            }
        }
    }
}

impl core::error::Error for DmaError {}

/// Hands out and takes back DMA memory.
///
/// # Safety
/// An implementation must return from [`allocate`](Self::allocate) regions that are at least
/// `len` bytes long, whose `virt` and `bus` addresses are both aligned to `align`, that are
/// zero-filled, readable and writable by the CPU through `virt` and by the device through `bus`,
/// coherent between the two (or made so by the implementation), and that overlap no other live
/// region, until they are passed to [`deallocate`](Self::deallocate).
pub unsafe trait DmaAllocator {
    /// Allocates `len` zeroed bytes aligned to `align` (a power of two).
    fn allocate(&self, len: usize, align: usize) -> Result<DmaRegion, DmaError>;

    /// Returns a region.
    ///
    /// # Safety
    /// `region` must have come from `allocate` on this allocator, unchanged, and neither the CPU
    /// nor the device may use it afterwards.
    unsafe fn deallocate(&self, region: DmaRegion);
}

// SAFETY: forwards to `A`, which upholds the contract.
unsafe impl<A: DmaAllocator + ?Sized> DmaAllocator for &A {
    fn allocate(&self, len: usize, align: usize) -> Result<DmaRegion, DmaError> {
        (**self).allocate(len, align)
    }
    unsafe fn deallocate(&self, region: DmaRegion) {
        // SAFETY: the caller's promise is passed on unchanged.
        unsafe { (**self).deallocate(region) }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Plain integers that can be read from and written to DMA memory (any bit pattern is valid).
pub trait DmaValue: Copy + sealed::Sealed {}
macro_rules! dma_value {
    ($($t:ty),*) => { $(impl sealed::Sealed for $t {} impl DmaValue for $t {})* };
}
dma_value!(u8, u16, u32, u64);

/// An owned region of DMA memory, returned to its allocator on drop.
///
/// Accessors use volatile loads and stores, since the device may write the region at any time.
/// Offsets are the driver's own arithmetic: an out-of-range offset is a driver bug and panics
/// in [`read`](Self::read)/[`write`](Self::write); the `get`/`set` forms return `None` instead.
pub struct DmaBuffer<A: DmaAllocator> {
    region: DmaRegion,
    alloc: A,
}

// SAFETY: the buffer exclusively owns its region; moving it to another thread moves that
// ownership. `A` must be `Send` to be dropped (deallocated) there.
unsafe impl<A: DmaAllocator + Send> Send for DmaBuffer<A> {}
// SAFETY: shared references only allow volatile reads and reading the bus address.
unsafe impl<A: DmaAllocator + Sync> Sync for DmaBuffer<A> {}

impl<A: DmaAllocator> DmaBuffer<A> {
    /// Allocates `len` zeroed bytes aligned to `align` from `alloc`.
    pub fn new(alloc: A, len: usize, align: usize) -> Result<Self, DmaError> {
        if len == 0 || !align.is_power_of_two() {
            return Err(DmaError::BadLayout { len, align });
        }
        let region = alloc.allocate(len, align)?;
        Ok(Self { region, alloc })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.region.len
    }

    /// Always false: a buffer has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.region.len == 0
    }

    /// The device's address of the first byte.
    pub fn bus_addr(&self) -> u64 {
        self.region.bus
    }

    /// The CPU's pointer to the first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.region.virt.as_ptr()
    }

    /// The region as the allocator handed it out.
    pub fn region(&self) -> DmaRegion {
        self.region
    }

    fn ptr_at<T: DmaValue>(&self, offset: usize) -> Option<*mut T> {
        let size = core::mem::size_of::<T>();
        let end = offset.checked_add(size)?;
        if end > self.region.len || offset % core::mem::align_of::<T>() != 0 {
            return None;
        }
        // SAFETY: `offset + size <= len`, so the pointer stays inside the region.
        Some(unsafe { self.region.virt.as_ptr().add(offset) }.cast())
    }

    /// Volatile read of a `T` at byte `offset`, `None` when out of range or misaligned.
    pub fn get<T: DmaValue>(&self, offset: usize) -> Option<T> {
        let p = self.ptr_at::<T>(offset)?;
        // SAFETY: `p` is in bounds and aligned (checked by `ptr_at`), the region is valid for
        // reads while `self` lives, and every bit pattern is a valid `T: DmaValue`.
        Some(unsafe { p.read_volatile() })
    }

    /// Volatile write of a `T` at byte `offset`; `None` (and nothing written) when out of range.
    pub fn set<T: DmaValue>(&mut self, offset: usize, value: T) -> Option<()> {
        let p = self.ptr_at::<T>(offset)?;
        // SAFETY: `p` is in bounds and aligned, and the region is valid for writes.
        unsafe { p.write_volatile(value) };
        Some(())
    }

    /// Volatile read of a `T` at byte `offset`.
    ///
    /// # Panics
    /// When `offset` is out of range or misaligned for `T` (a driver bug).
    #[track_caller]
    pub fn read<T: DmaValue>(&self, offset: usize) -> T {
        match self.get(offset) {
            Some(v) => v,
            None => panic!(
                "DMA read at {offset} outside a {}-byte buffer",
                self.region.len
            ),
        }
    }

    /// Volatile write of a `T` at byte `offset`.
    ///
    /// # Panics
    /// When `offset` is out of range or misaligned for `T` (a driver bug).
    #[track_caller]
    pub fn write<T: DmaValue>(&mut self, offset: usize, value: T) {
        let len = self.region.len;
        if self.set(offset, value).is_none() {
            panic!("DMA write at {offset} outside a {len}-byte buffer");
        }
    }

    /// The bytes, for use while the device does not own the buffer.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the region is `len` valid, initialised (zeroed at allocation) bytes owned by
        // `self`; the device may still write it, which the caller accepts by reading it while
        // the device does not own it.
        unsafe { core::slice::from_raw_parts(self.region.virt.as_ptr(), self.region.len) }
    }

    /// The bytes, mutable, for use while the device does not own the buffer.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as for `as_slice`, and `&mut self` makes this the only CPU-side reference.
        unsafe { core::slice::from_raw_parts_mut(self.region.virt.as_ptr(), self.region.len) }
    }
}

impl<A: DmaAllocator> Drop for DmaBuffer<A> {
    fn drop(&mut self) {
        // SAFETY: the region came from `self.alloc.allocate` and dies with `self`.
        unsafe { self.alloc.deallocate(self.region) }
    }
}

impl<A: DmaAllocator> fmt::Debug for DmaBuffer<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DmaBuffer")
            .field("bus", &format_args!("{:#x}", self.region.bus))
            .field("len", &self.region.len)
            .finish()
    }
}
