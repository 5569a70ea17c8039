//! Page tables, heap and DMA memory.
//!
//! Physical memory is identity-mapped (virtual = physical = bus address, DESIGN.md): every 2 MiB
//! page of the first 4 GiB (RAM write-back, everything else — MMIO, holes — uncached), all RAM
//! above 4 GiB write-back, and MMIO above 4 GiB on demand through [`map_mmio`].

use core::alloc::Layout;
use core::ptr::NonNull;

use linked_list_allocator::LockedHeap;
use osp_hal::{DmaAllocator, DmaError, DmaRegion};
use osp_kernel::memmap::{FRAME, FrameAllocator, MemoryMap};
use x86_64::structures::paging::mapper::{MapToError, TranslateResult};
use x86_64::structures::paging::{
    FrameAllocator as X86FrameAllocator, Mapper, OffsetPageTable, Page, PageTable,
    PageTableFlags as F, PhysFrame, Size2MiB, Size4KiB, Translate,
};
use x86_64::{PhysAddr, VirtAddr};

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

const HUGE: u64 = 2 << 20;
const FOUR_GIB: u64 = 1 << 32;
const UNCACHED: F = F::NO_CACHE.union(F::WRITE_THROUGH);

unsafe extern "C" {
    static __kernel_end: u8;
}

struct Frames(FrameAllocator);

// SAFETY: frames come from usable RAM not otherwise in use (the kernel image is reserved), each
// handed out once.
unsafe impl X86FrameAllocator<Size4KiB> for Frames {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let addr = self.0.allocate(1, FRAME)?;
        let frame = PhysFrame::from_start_address(PhysAddr::new(addr)).ok()?;
        // Page-table frames must start zeroed.
        // SAFETY: the frame is identity-mapped RAM that nothing else uses.
        unsafe { core::ptr::write_bytes(addr as *mut u8, 0, FRAME as usize) };
        Some(frame)
    }
}

struct Paging {
    mapper: OffsetPageTable<'static>,
    frames: Frames,
}

static PAGING: spin::Mutex<Option<Paging>> = spin::Mutex::new(None);

/// What [`init`] set up.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Bytes identity-mapped.
    pub mapped: u64,
    /// Heap size.
    pub heap: u64,
    /// Bytes of frames used for page tables and the heap.
    pub frames_used: u64,
}

/// Why memory set-up failed.
#[derive(Debug, Clone, Copy)]
pub enum MemoryError {
    /// No frames left for page tables or the heap.
    OutOfFrames,
    /// The page-table mapper refused a mapping.
    Map,
}

fn kernel_end() -> u64 {
    (&raw const __kernel_end) as u64
}

/// Builds the kernel's page tables, switches to them and starts the heap.
pub fn init(map: &MemoryMap) -> Result<Summary, MemoryError> {
    let kernel = (0x10_0000, kernel_end().next_multiple_of(FRAME));
    // Page tables are built while the boot tables (first 4 GiB) are live: take frames below.
    let mut frames = Frames(FrameAllocator::new(
        map,
        [kernel, (0, 0), (0, 0), (0, 0)],
        FOUR_GIB,
    ));
    let l4_addr = frames
        .0
        .allocate(1, FRAME)
        .ok_or(MemoryError::OutOfFrames)?;
    // SAFETY: a fresh, identity-mapped frame; zeroed here and owned by the mapper from now on.
    let l4 = unsafe {
        core::ptr::write_bytes(l4_addr as *mut u8, 0, FRAME as usize);
        &mut *(l4_addr as *mut PageTable)
    };
    // SAFETY: all physical memory the mapper touches (page-table frames) is identity-mapped
    // (offset 0) now and after the switch.
    let mut mapper = unsafe { OffsetPageTable::new(l4, VirtAddr::new(0)) };

    let top = map.ram_end().max(FOUR_GIB).next_multiple_of(HUGE);
    let mut mapped = 0;
    let mut addr = 0;
    while addr < top {
        let ram = map.overlaps_ram(addr, addr + HUGE);
        if addr < FOUR_GIB || ram {
            let flags = F::PRESENT
                | F::WRITABLE
                | if ram || addr == 0 {
                    F::empty()
                } else {
                    UNCACHED
                };
            // Not live yet: no TLB flush needed (and each one is an exit under nested paging).
            map_huge(&mut mapper, &mut frames, addr, flags, false)?;
            mapped += HUGE;
        }
        addr += HUGE;
    }
    // SAFETY: the new tables identity-map the kernel image, its stacks and all RAM with the same
    // addresses as the boot tables, so execution continues unchanged.
    unsafe {
        x86_64::registers::control::Cr3::write(
            PhysFrame::containing_address(PhysAddr::new(l4_addr)),
            x86_64::registers::control::Cr3Flags::empty(),
        )
    };

    // The heap: a quarter of usable RAM, between 4 and 256 MiB, 2 MiB aligned, anywhere in RAM.
    frames.0.set_limit(map.ram_end());
    let usable = map.total(osp_kernel::memmap::Kind::Usable);
    let heap = (usable / 4)
        .clamp(4 << 20, 256 << 20)
        .next_multiple_of(HUGE);
    let (heap_addr, heap) = match frames.0.allocate(heap / FRAME, HUGE) {
        Some(addr) => (addr, heap),
        None => {
            let small = 4 << 20;
            (
                frames
                    .0
                    .allocate(small / FRAME, HUGE)
                    .ok_or(MemoryError::OutOfFrames)?,
                small,
            )
        }
    };
    // SAFETY: `[heap_addr, heap_addr + heap)` is usable RAM handed out once, identity-mapped.
    unsafe { HEAP.lock().init(heap_addr as *mut u8, heap as usize) };

    let frames_used = frames.0.handed_out();
    *PAGING.lock() = Some(Paging { mapper, frames });
    Ok(Summary {
        mapped,
        heap,
        frames_used,
    })
}

fn map_huge(
    mapper: &mut OffsetPageTable<'static>,
    frames: &mut Frames,
    addr: u64,
    flags: F,
    live: bool,
) -> Result<(), MemoryError> {
    let page = Page::<Size2MiB>::containing_address(VirtAddr::new(addr));
    let frame = PhysFrame::<Size2MiB>::containing_address(PhysAddr::new(addr));
    // SAFETY: identity mapping of physical memory: no two virtual pages alias differently, and
    // the caller chose the cache mode from the memory map.
    match unsafe { mapper.map_to(page, frame, flags, frames) } {
        Ok(flush) if live => {
            flush.flush();
            Ok(())
        }
        Ok(flush) => {
            flush.ignore();
            Ok(())
        }
        Err(MapToError::FrameAllocationFailed) => Err(MemoryError::OutOfFrames),
        Err(_) => Err(MemoryError::Map),
    }
}

/// Why an MMIO range could not be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmioError {
    /// Memory set-up has not run.
    NotReady,
    /// The range is empty or wraps around the address space.
    BadRange,
    /// The range overlaps RAM: a device BAR there is a firmware bug, and mapping it uncached
    /// would alias cacheable memory.
    OverlapsRam,
    /// No frames left for page tables.
    OutOfFrames,
    /// The page tables are being changed (re-entered from the fault path).
    Busy,
}

/// Makes `[phys, phys + len)` accessible, uncached, at the same virtual address.
pub fn map_mmio(phys: u64, len: u64, map: &MemoryMap) -> Result<NonNull<u8>, MmioError> {
    let end = phys
        .checked_add(len)
        .filter(|_| len > 0)
        .ok_or(MmioError::BadRange)?;
    if end > 1 << 47 {
        return Err(MmioError::BadRange);
    }
    if map.overlaps_ram(phys, end) {
        return Err(MmioError::OverlapsRam);
    }
    // The kernel runs on one CPU: the lock can only be held here if a fault interrupted a
    // mapping and the fault path (ACPI power-off) asks again. Refuse instead of deadlocking.
    let mut guard = PAGING.try_lock().ok_or(MmioError::Busy)?;
    let paging = guard.as_mut().ok_or(MmioError::NotReady)?;
    let mut addr = phys & !(HUGE - 1);
    while addr < end {
        let virt = VirtAddr::new(addr);
        match paging.mapper.translate(virt) {
            TranslateResult::Mapped { flags, .. } if flags.contains(UNCACHED) => {}
            TranslateResult::Mapped { flags, .. } => {
                let page = Page::<Size2MiB>::containing_address(virt);
                // SAFETY: the page is not RAM (checked above), so making it uncached cannot
                // alias a cacheable mapping of the same memory.
                if let Ok(flush) = unsafe { paging.mapper.update_flags(page, flags | UNCACHED) } {
                    flush.flush();
                }
            }
            _ => {
                map_huge(
                    &mut paging.mapper,
                    &mut paging.frames,
                    addr,
                    F::PRESENT | F::WRITABLE | UNCACHED,
                    true,
                )
                .map_err(|_| MmioError::OutOfFrames)?;
            }
        }
        addr += HUGE;
    }
    NonNull::new(phys as *mut u8).ok_or(MmioError::BadRange)
}

/// DMA memory from the kernel heap: identity mapping makes the bus address the virtual one, and
/// x86 keeps write-back RAM coherent with device DMA. Alignments up to 4 KiB are served (all the
/// OSp drivers need); every region is allocated page-aligned so it can be freed with the same
/// layout it was allocated with.
#[derive(Debug, Clone, Copy, Default)]
pub struct KernelDma;

const DMA_ALIGN: usize = 4096;

// SAFETY: regions are fresh zeroed heap allocations of at least `len` bytes, aligned to 4 KiB
// (so to any `align` up to that), identity-mapped (bus = virt) and write-back coherent on x86.
unsafe impl DmaAllocator for KernelDma {
    fn allocate(&self, len: usize, align: usize) -> Result<DmaRegion, DmaError> {
        if len == 0 || !align.is_power_of_two() || align > DMA_ALIGN {
            return Err(DmaError::BadLayout { len, align });
        }
        let layout = Layout::from_size_align(len, DMA_ALIGN)
            .map_err(|_| DmaError::BadLayout { len, align })?;
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { alloc::alloc::alloc_zeroed(layout) };
        let virt = NonNull::new(ptr).ok_or(DmaError::OutOfMemory { len })?;
        Ok(DmaRegion {
            virt,
            bus: ptr as u64,
            len,
        })
    }

    unsafe fn deallocate(&self, region: DmaRegion) {
        if let Ok(layout) = Layout::from_size_align(region.len, DMA_ALIGN) {
            // SAFETY: the region came from `allocate` with this same layout (caller's promise).
            unsafe { alloc::alloc::dealloc(region.virt.as_ptr(), layout) }
        }
    }
}
