use std::alloc::Layout;
use std::collections::BTreeMap;
use std::fmt;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard};
use std::vec::Vec;

use crate::{DmaAllocator, DmaError, DmaRegion};

/// A device access to simulated physical memory that no live allocation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaFault {
    /// First bus address of the access.
    pub bus: u64,
    /// Length of the access in bytes.
    pub len: usize,
    /// Whether the device was writing.
    pub write: bool,
}

impl fmt::Display for DmaFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.write { "write" } else { "read" };
        write!(
            f,
            "DMA {what} of {} bytes at {:#x} outside allocated memory",
            self.len, self.bus
        )
    }
}

impl std::error::Error for DmaFault {}

/// Simulated physical memory: a DMA allocator for drivers and bus-address access for models.
///
/// Regions are backed by host memory and given bus addresses from `base` upwards, separated by
/// an unmapped guard gap of one page, so an overrun by a single byte is caught. Device-side
/// accesses ([`read`](Self::read), [`write`](Self::write) …) must fall entirely inside one live
/// region; anything else is refused with a [`DmaFault`], which is also recorded
/// ([`faults`](Self::faults)). Clones share the same memory.
#[derive(Clone)]
pub struct SimMemory {
    inner: Arc<Mutex<Inner>>,
}

struct Block {
    host: NonNull<u8>,
    len: usize,
    layout: Layout,
}

struct Inner {
    /// Live regions by bus start address.
    blocks: BTreeMap<u64, Block>,
    next_bus: u64,
    limit: usize,
    in_use: usize,
    allocations: u64,
    faults: Vec<DmaFault>,
}

// SAFETY: the raw host pointers in `Inner` are owned allocations only touched under the mutex
// (device side) or by the `DmaBuffer` that owns the region (driver side).
unsafe impl Send for Inner {}

const GUARD: u64 = 4096;

impl fmt::Debug for SimMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("SimMemory")
            .field("regions", &inner.blocks.len())
            .field("in_use", &inner.in_use)
            .field("faults", &inner.faults.len())
            .finish()
    }
}

impl Default for SimMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl SimMemory {
    /// 256 MiB of simulated memory with bus addresses from 2 GiB.
    pub fn new() -> Self {
        Self::with_base(0x8000_0000, 256 << 20)
    }

    /// `limit` bytes of simulated memory whose bus addresses start at `base` (use a base above
    /// 4 GiB to check that a driver programs 64-bit addresses).
    pub fn with_base(base: u64, limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                blocks: BTreeMap::new(),
                next_bus: base.max(GUARD),
                limit,
                in_use: 0,
                allocations: 0,
                faults: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the memory from the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the host bytes of `[bus, bus + len)` if one live region holds all of them.
    fn with_range<R>(
        &self,
        bus: u64,
        len: usize,
        write: bool,
        f: impl FnOnce(*mut u8) -> R,
    ) -> Result<R, DmaFault> {
        let mut inner = self.lock();
        let fault = DmaFault { bus, len, write };
        let found = inner
            .blocks
            .range(..=bus)
            .next_back()
            .and_then(|(&start, block)| {
                let off = usize::try_from(bus - start).ok()?;
                let end = off.checked_add(len)?;
                (end <= block.len).then(|| {
                    // SAFETY: `off + len <= block.len`, inside the host allocation.
                    unsafe { block.host.as_ptr().add(off) }
                })
            });
        match found {
            Some(p) => Ok(f(p)),
            None => {
                inner.faults.push(fault);
                Err(fault)
            }
        }
    }

    /// Device read of `buf.len()` bytes at bus address `bus`.
    pub fn read(&self, bus: u64, buf: &mut [u8]) -> Result<(), DmaFault> {
        self.with_range(bus, buf.len(), false, |p| {
            // SAFETY: `p` points at `buf.len()` bytes inside a live region (checked by
            // `with_range`, under the lock, so the region cannot be freed meanwhile).
            unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) }
        })
    }

    /// Device write of `data` at bus address `bus`.
    pub fn write(&self, bus: u64, data: &[u8]) -> Result<(), DmaFault> {
        self.with_range(bus, data.len(), true, |p| {
            // SAFETY: as in `read`; the destination is inside a live region.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) }
        })
    }

    /// Device read of a little-endian `u32`.
    pub fn read_u32(&self, bus: u64) -> Result<u32, DmaFault> {
        let mut b = [0; 4];
        self.read(bus, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Device read of a little-endian `u64`.
    pub fn read_u64(&self, bus: u64) -> Result<u64, DmaFault> {
        let mut b = [0; 8];
        self.read(bus, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Device write of a little-endian `u32`.
    pub fn write_u32(&self, bus: u64, value: u32) -> Result<(), DmaFault> {
        self.write(bus, &value.to_le_bytes())
    }

    /// Device write of a little-endian `u64`.
    pub fn write_u64(&self, bus: u64, value: u64) -> Result<(), DmaFault> {
        self.write(bus, &value.to_le_bytes())
    }

    /// Every refused device access so far, oldest first.
    pub fn faults(&self) -> Vec<DmaFault> {
        self.lock().faults.clone()
    }

    /// Forgets the recorded faults.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Number of live regions (a leak check for tests).
    pub fn live_regions(&self) -> usize {
        self.lock().blocks.len()
    }

    /// Bytes in live regions.
    pub fn bytes_in_use(&self) -> usize {
        self.lock().in_use
    }

    /// Allocations made since creation.
    pub fn allocations(&self) -> u64 {
        self.lock().allocations
    }

    /// Whether `[bus, bus + len)` lies inside one live region (without recording a fault).
    pub fn is_mapped(&self, bus: u64, len: usize) -> bool {
        let inner = self.lock();
        inner
            .blocks
            .range(..=bus)
            .next_back()
            .is_some_and(|(&start, block)| {
                usize::try_from(bus - start)
                    .ok()
                    .and_then(|off| off.checked_add(len))
                    .is_some_and(|end| end <= block.len)
            })
    }
}

// SAFETY: regions are fresh zeroed host allocations of at least `len` bytes, aligned to
// `align` on the host and on the (made-up) bus, never overlapping on either side, and freed only
// in `deallocate`. Host and "device" share the same bytes, so they are coherent.
unsafe impl DmaAllocator for SimMemory {
    fn allocate(&self, len: usize, align: usize) -> Result<DmaRegion, DmaError> {
        let bad = DmaError::BadLayout { len, align };
        if len == 0 || !align.is_power_of_two() {
            return Err(bad);
        }
        let layout = Layout::from_size_align(len, align).map_err(|_| bad)?;
        let mut inner = self.lock();
        if inner.in_use.saturating_add(len) > inner.limit {
            return Err(DmaError::OutOfMemory { len });
        }
        let align64 = u64::try_from(align).map_err(|_| bad)?;
        let len64 = u64::try_from(len).map_err(|_| bad)?;
        let bus = inner
            .next_bus
            .checked_next_multiple_of(align64)
            .filter(|b| b.checked_add(len64 + GUARD).is_some())
            .ok_or(DmaError::OutOfMemory { len })?;
        // SAFETY: `layout` has a non-zero size.
        let host = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })
            .ok_or(DmaError::OutOfMemory { len })?;
        inner.next_bus = bus + len64 + GUARD;
        inner.in_use += len;
        inner.allocations += 1;
        inner.blocks.insert(bus, Block { host, len, layout });
        Ok(DmaRegion {
            virt: host,
            bus,
            len,
        })
    }

    unsafe fn deallocate(&self, region: DmaRegion) {
        let mut inner = self.lock();
        let Some(block) = inner.blocks.remove(&region.bus) else {
            // Not ours: the caller broke the contract. Leaking is the only safe answer.
            return;
        };
        inner.in_use -= block.len;
        // SAFETY: `block.host` was allocated with `block.layout` and is no longer reachable
        // through the map; the caller promised no further CPU use.
        unsafe { std::alloc::dealloc(block.host.as_ptr(), block.layout) };
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for block in self.blocks.values() {
            // SAFETY: the last handle to the memory is going away; regions still live here
            // belong to `DmaBuffer`s that cannot outlive the allocator they borrow or clone.
            unsafe { std::alloc::dealloc(block.host.as_ptr(), block.layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DmaBuffer;

    #[test]
    fn allocations_are_aligned_zeroed_and_separated() {
        let mem = SimMemory::new();
        let a = DmaBuffer::new(&mem, 100, 128).unwrap();
        let b = DmaBuffer::new(&mem, 4096, 4096).unwrap();
        assert_eq!(a.bus_addr() % 128, 0);
        assert_eq!(b.bus_addr() % 4096, 0);
        assert_eq!(a.as_ptr() as usize % 128, 0);
        assert!(a.as_slice().iter().all(|&x| x == 0));
        assert!(b.bus_addr() >= a.bus_addr() + 100 + GUARD);
        assert_eq!(mem.live_regions(), 2);
        assert_eq!(mem.bytes_in_use(), 4196);
    }

    #[test]
    fn device_and_cpu_see_the_same_bytes() {
        let mem = SimMemory::new();
        let mut buf = DmaBuffer::new(&mem, 64, 8).unwrap();
        buf.write::<u32>(8, 0x1234_5678);
        assert_eq!(mem.read_u32(buf.bus_addr() + 8), Ok(0x1234_5678));
        mem.write_u64(buf.bus_addr() + 16, u64::MAX).unwrap();
        assert_eq!(buf.read::<u64>(16), u64::MAX);
        assert_eq!(buf.as_slice()[8], 0x78);
    }

    #[test]
    fn wild_dma_is_refused_and_recorded() {
        let mem = SimMemory::new();
        let buf = DmaBuffer::new(&mem, 64, 8).unwrap();
        let bus = buf.bus_addr();
        // One byte past the end, straddling the end, before the start, nowhere near.
        assert!(mem.read_u32(bus + 64).is_err());
        assert!(mem.write_u64(bus + 60, 0).is_err());
        assert!(mem.read_u32(bus - 4).is_err());
        assert!(mem.write(0, &[1]).is_err());
        assert!(mem.read(u64::MAX - 1, &mut [0; 8]).is_err());
        assert_eq!(mem.faults().len(), 5);
        assert_eq!(
            mem.faults()[1],
            DmaFault {
                bus: bus + 60,
                len: 8,
                write: true
            }
        );
        assert!(mem.read_u32(bus + 60).is_ok());
    }

    #[test]
    fn freed_memory_is_no_longer_reachable_by_the_device() {
        let mem = SimMemory::new();
        let buf = DmaBuffer::new(mem.clone(), 64, 8).unwrap();
        let bus = buf.bus_addr();
        drop(buf);
        assert_eq!(mem.live_regions(), 0);
        assert!(mem.read_u32(bus).is_err(), "use after free is caught");
    }

    #[test]
    fn limits_and_bad_layouts_are_errors() {
        let mem = SimMemory::with_base(0x1_0000_0000, 8192);
        assert!(matches!(
            DmaBuffer::new(&mem, 0, 8),
            Err(DmaError::BadLayout { .. })
        ));
        assert!(matches!(
            DmaBuffer::new(&mem, 8, 3),
            Err(DmaError::BadLayout { .. })
        ));
        let a = DmaBuffer::new(&mem, 8192, 8).unwrap();
        assert!(a.bus_addr() >= 0x1_0000_0000, "bus addresses above 4 GiB");
        assert_eq!(
            DmaBuffer::new(&mem, 1, 1).unwrap_err(),
            DmaError::OutOfMemory { len: 1 }
        );
        drop(a);
        assert!(DmaBuffer::new(&mem, 1, 1).is_ok());
    }

    #[test]
    fn buffer_accessors_check_bounds() {
        let mem = SimMemory::new();
        let mut buf = DmaBuffer::new(&mem, 16, 8).unwrap();
        assert_eq!(buf.get::<u64>(8), Some(0));
        assert_eq!(buf.get::<u64>(9), None, "misaligned");
        assert_eq!(buf.get::<u64>(16), None);
        assert_eq!(buf.get::<u8>(usize::MAX), None);
        assert_eq!(buf.set::<u32>(14, 1), None);
        assert!(std::panic::catch_unwind(move || buf.write::<u32>(16, 1)).is_err());
    }

    #[test]
    fn memory_outlives_nothing_it_should_not() {
        let mem = SimMemory::new();
        let buf = DmaBuffer::new(mem.clone(), 32, 8).unwrap();
        drop(mem);
        assert_eq!(
            buf.read::<u32>(0),
            0,
            "the buffer's clone keeps the memory alive"
        );
    }
}
