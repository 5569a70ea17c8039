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
        // Wrapping arithmetic: `base` may lie below the mapped part (when start_bus > 0), so it
        // is not an in-bounds pointer offset. The bus is in start_bus..=end_bus and
        // offset + width <= 4096, so the result is inside the window `Ecam::new`'s caller mapped.
        NonNull::new(self.base.as_ptr().wrapping_add(index))
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

/// Several ECAM windows (one per MCFG entry) as one configuration access: each access goes to
/// the window that reaches its segment and bus.
#[derive(Debug)]
pub struct EcamSet<'a> {
    windows: &'a mut [Ecam],
}

impl<'a> EcamSet<'a> {
    /// The windows `windows`, searched in order.
    pub fn new(windows: &'a mut [Ecam]) -> Self {
        Self { windows }
    }

    /// The walk roots: each window's first bus, ordered by segment (as
    /// [`crate::Enumerator::new`] wants them). Writes at most `out.len()` roots and returns them.
    pub fn roots<'o>(&self, out: &'o mut [crate::BusId]) -> &'o [crate::BusId] {
        let n = self.windows.len().min(out.len());
        for (slot, w) in out.iter_mut().zip(self.windows.iter()) {
            *slot = crate::BusId::new(w.segment, w.start_bus);
        }
        out[..n].sort_unstable();
        &out[..n]
    }

    fn window(&mut self, addr: Address) -> Option<&mut Ecam> {
        self.windows.iter_mut().find(|w| w.reaches(addr))
    }
}

impl ConfigAccess for EcamSet<'_> {
    fn space_len(&self, addr: Address) -> u16 {
        self.windows
            .iter()
            .find(|w| w.reaches(addr))
            .map_or(0, |w| w.space_len(addr))
    }
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        self.window(addr)
            .map_or(width.mask(), |w| w.read_raw(addr, offset, width))
    }
    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32) {
        if let Some(w) = self.window(addr) {
            w.write_raw(addr, offset, width, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BusId;
    use std::vec;

    #[test]
    fn a_set_dispatches_by_segment_and_bus() {
        // Segment 0 buses 0..=0 and segment 1 buses 0x80..=0x80, each backed by 1 MiB.
        let mut seg0 = vec![u32::MAX; (1 << 20) / 4];
        let mut seg1 = vec![u32::MAX; (1 << 20) / 4];
        seg0[0] = 0x1237_8086;
        seg1[(2 << 15) / 4] = 0x1000_1af4;
        let base1 = NonNull::from(seg1.as_mut_slice()).cast::<u8>();
        // SAFETY: each vector is 1 MiB, aligned, and outlives the windows; the second window's
        // base is placed so that bus 0x80 lands on `seg1` (only that bus is ever accessed).
        let mut windows = unsafe {
            [
                Ecam::new(NonNull::from(seg0.as_mut_slice()).cast(), 0, 0, 0),
                Ecam::new(
                    NonNull::new_unchecked(base1.as_ptr().wrapping_sub(0x80 << 20)),
                    1,
                    0x80,
                    0x80,
                ),
            ]
        };
        let mut set = EcamSet::new(&mut windows);
        let mut buf = [BusId::new(0, 0); 4];
        assert_eq!(set.roots(&mut buf), [BusId::new(0, 0), BusId::new(1, 0x80)]);
        assert_eq!(set.read32(Address::new(0, 0, 0, 0), 0), Ok(0x1237_8086));
        assert_eq!(set.read32(Address::new(1, 0x80, 2, 0), 0), Ok(0x1000_1af4));
        assert!(set.read32(Address::new(1, 0x81, 0, 0), 0).is_err());
        assert!(set.read32(Address::new(2, 0, 0, 0), 0).is_err());
    }
}
