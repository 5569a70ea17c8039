//! The PCI Express enhanced configuration access mechanism (PCIe Base 4.0 §7.2.2): a memory
//! window in which each function has 4 KiB at `bus << 20 | device << 15 | function << 12`.

use core::ptr::NonNull;

use crate::Address;
use crate::access::{ConfigAccess, Width};

/// Size of a function's configuration space through ECAM.
const SPACE: u16 = 4096;

/// One ECAM window: the configuration space of buses `start_bus..=end_bus` of one segment, as an
/// ACPI MCFG entry describes it.
#[derive(Debug)]
pub struct Ecam {
    /// Virtual address of bus 0's configuration space (MCFG's base address, mapped).
    base: NonNull<u8>,
    segment: u16,
    start_bus: u8,
    end_bus: u8,
}

// SAFETY: an `Ecam` is a pointer to device memory that `Ecam::new`'s caller handed over to it;
// configuration space may be accessed from any CPU.
unsafe impl Send for Ecam {}

impl Ecam {
    /// The ECAM window of `segment`, buses `start_bus..=end_bus`.
    ///
    /// `base_virt` is where the MCFG entry's base address is mapped: the address of bus 0's
    /// space, even when `start_bus` is not 0 (MCFG defines it that way). Only the part for
    /// `start_bus..=end_bus` is ever accessed.
    ///
    /// # Safety
    /// `base_virt` must be 4-byte aligned (ECAM regions are 1 MiB aligned), and
    /// `base_virt + (start_bus << 20)` up to `base_virt + ((end_bus + 1) << 20)` must be mapped
    /// uncached to that ECAM region for as long as the returned value lives, and nothing else
    /// may access it in a way that conflicts (the kernel serialises config accesses).
    pub unsafe fn new(base_virt: NonNull<u8>, segment: u16, start_bus: u8, end_bus: u8) -> Self {
        Self {
            base: base_virt,
            segment,
            start_bus,
            end_bus,
        }
    }

    /// The segment this window serves.
    pub const fn segment(&self) -> u16 {
        self.segment
    }
    /// The first bus of the window.
    pub const fn start_bus(&self) -> u8 {
        self.start_bus
    }
    /// The last bus of the window.
    pub const fn end_bus(&self) -> u8 {
        self.end_bus
    }

    fn reaches(&self, addr: Address) -> bool {
        addr.segment() == self.segment && (self.start_bus..=self.end_bus).contains(&addr.bus())
    }

    /// The register's address, when it is inside the window and aligned for `width`.
    fn pointer(&self, addr: Address, offset: u16, width: Width) -> Option<NonNull<u8>> {
        if !self.reaches(addr)
            || offset % width.bytes() != 0
            || u32::from(offset) + u32::from(width.bytes()) > u32::from(SPACE)
        {
            return None;
        }
        let index = usize::from(addr.bus()) << 20
            | usize::from(addr.device()) << 15
            | usize::from(addr.function()) << 12
            | usize::from(offset);
        // SAFETY: the bus is in start_bus..=end_bus and offset + width <= 4096, so the byte
        // range is inside the mapped window `Ecam::new`'s caller guaranteed.
        Some(unsafe { self.base.add(index) })
    }
}

impl ConfigAccess for Ecam {
    fn space_len(&self, addr: Address) -> u16 {
        if self.reaches(addr) { SPACE } else { 0 }
    }

    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        let Some(p) = self.pointer(addr, offset, width) else {
            return width.mask();
        };
        // SAFETY: `pointer` checked that the access is aligned and inside the mapped window.
        unsafe {
            match width {
                Width::Byte => p.as_ptr().read_volatile().into(),
                Width::Word => p.cast::<u16>().as_ptr().read_volatile().into(),
                Width::Dword => p.cast::<u32>().as_ptr().read_volatile(),
            }
        }
    }

    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32) {
        let Some(p) = self.pointer(addr, offset, width) else {
            return;
        };
        // SAFETY: `pointer` checked that the access is aligned and inside the mapped window.
        unsafe {
            match width {
                Width::Byte => p.as_ptr().write_volatile(value as u8),
                Width::Word => p.cast::<u16>().as_ptr().write_volatile(value as u16),
                Width::Dword => p.cast::<u32>().as_ptr().write_volatile(value),
            }
        }
    }
}
