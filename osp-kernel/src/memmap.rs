//! The physical memory map, from either multiboot flavour, and a frame allocator over it.
//!
//! Firmware maps are hostile input: regions may overlap, wrap around the end of the address
//! space, be empty or be listed in any order. Everything here saturates or skips instead of
//! overflowing, and the map has a fixed capacity (extra regions are counted, not stored).

use core::fmt;

/// What a region of physical memory is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free RAM.
    Usable,
    /// Firmware, ROM, MMIO or otherwise not ours.
    Reserved,
    /// ACPI tables; reusable once they have been read.
    AcpiReclaimable,
    /// ACPI non-volatile storage.
    AcpiNvs,
    /// Defective RAM.
    Defective,
}

impl Kind {
    /// From the multiboot / E820 type number.
    pub fn from_e820(ty: u32) -> Self {
        match ty {
            1 => Kind::Usable,
            3 => Kind::AcpiReclaimable,
            4 => Kind::AcpiNvs,
            5 => Kind::Defective,
            _ => Kind::Reserved,
        }
    }

    /// Whether this is RAM (cacheable), whatever its use.
    pub fn is_ram(self) -> bool {
        matches!(self, Kind::Usable | Kind::AcpiReclaimable | Kind::AcpiNvs)
    }
}

/// A region `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// One past the last byte (saturated at `u64::MAX`).
    pub end: u64,
    /// What it is.
    pub kind: Kind,
}

impl Region {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the region is empty.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Maximum number of regions kept.
pub const MAX_REGIONS: usize = 128;

/// A physical memory map.
#[derive(Clone)]
pub struct MemoryMap {
    regions: [Region; MAX_REGIONS],
    len: usize,
    dropped: usize,
}

impl Default for MemoryMap {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            regions: [Region {
                start: 0,
                end: 0,
                kind: Kind::Reserved,
            }; MAX_REGIONS],
            len: 0,
            dropped: 0,
        }
    }

    /// Adds `len` bytes at `start`; empty regions are ignored, regions running past the end of
    /// the address space are clipped, and regions beyond the capacity are counted in `dropped`.
    pub fn push(&mut self, start: u64, len: u64, kind: Kind) {
        if len == 0 {
            return;
        }
        if self.len == MAX_REGIONS {
            self.dropped += 1;
            return;
        }
        self.regions[self.len] = Region {
            start,
            end: start.saturating_add(len),
            kind,
        };
        self.len += 1;
    }

    /// The regions, in the order the firmware gave them.
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.len]
    }

    /// Regions that did not fit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Total bytes of `kind` (overlaps counted twice, as the firmware listed them).
    pub fn total(&self, kind: Kind) -> u64 {
        self.regions()
            .iter()
            .filter(|r| r.kind == kind)
            .fold(0, |a, r| a.saturating_add(r.len()))
    }

    /// One past the highest RAM byte.
    pub fn ram_end(&self) -> u64 {
        self.regions()
            .iter()
            .filter(|r| r.kind.is_ram())
            .map(|r| r.end)
            .max()
            .unwrap_or(0)
    }

    /// Whether any RAM region overlaps `[start, end)`.
    pub fn overlaps_ram(&self, start: u64, end: u64) -> bool {
        self.regions()
            .iter()
            .any(|r| r.kind.is_ram() && r.start < end && start < r.end)
    }

    /// Whether `[start, end)` is entirely inside one usable region that no non-usable region
    /// overlaps (firmware maps sometimes list a reserved hole inside a usable range).
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        let inside_usable = self
            .regions()
            .iter()
            .any(|r| r.kind == Kind::Usable && r.start <= start && end <= r.end);
        let touches_other = self
            .regions()
            .iter()
            .any(|r| r.kind != Kind::Usable && r.start < end && start < r.end);
        inside_usable && !touches_other
    }
}

impl fmt::Display for MemoryMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.regions() {
            writeln!(
                f,
                "  [{:#014x}-{:#014x}] {:>10} KiB {:?}",
                r.start,
                r.end,
                r.len() >> 10,
                r.kind
            )?;
        }
        if self.dropped > 0 {
            writeln!(f, "  ({} more regions not kept)", self.dropped)?;
        }
        Ok(())
    }
}

/// 4 KiB frames.
pub const FRAME: u64 = 4096;

/// A bump allocator of physical frames over the usable regions of a map, skipping the first
/// MiB (BIOS data, real-mode structures) and ranges the caller reserves (the kernel image).
/// Frames are never returned: the heap and DMA allocator reuse memory above it.
pub struct FrameAllocator {
    map: MemoryMap,
    reserved: [(u64, u64); 4],
    next: u64,
    limit: u64,
    handed_out: u64,
}

impl FrameAllocator {
    /// Frames from `map`, below `limit`, avoiding the `reserved` ranges.
    pub fn new(map: &MemoryMap, reserved: [(u64, u64); 4], limit: u64) -> Self {
        Self {
            map: map.clone(),
            reserved,
            next: 0x10_0000,
            limit,
            handed_out: 0,
        }
    }

    /// Bytes handed out so far.
    pub fn handed_out(&self) -> u64 {
        self.handed_out
    }

    /// Raises (or lowers) the address below which frames are handed out.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// `count` physically contiguous frames, aligned to `align` bytes (a power of two, at least
    /// a frame). Returns the physical address of the first.
    pub fn allocate(&mut self, count: u64, align: u64) -> Option<u64> {
        let align = align.max(FRAME);
        if !align.is_power_of_two() || count == 0 {
            return None;
        }
        let size = count.checked_mul(FRAME)?;
        // Each iteration moves `candidate` strictly forward, to the end of something it
        // collided with or to the next usable region, so the loop ends within
        // (regions + reserved) * 2 + 1 iterations.
        let mut candidate = self.next;
        for _ in 0..(MAX_REGIONS + self.reserved.len()) * 2 + 2 {
            candidate = candidate.checked_next_multiple_of(align)?;
            let end = candidate.checked_add(size)?;
            if end > self.limit {
                return None;
            }
            if let Some(&(_, r_end)) = self
                .reserved
                .iter()
                .find(|&&(s, e)| s < e && s < end && candidate < e)
            {
                candidate = r_end;
                continue;
            }
            if self.map.is_free(candidate, end) {
                self.next = end;
                self.handed_out += size;
                return Some(candidate);
            }
            // Skip to the next usable region starting above the candidate, or past whatever
            // non-usable region overlaps it.
            let blocker = self
                .map
                .regions()
                .iter()
                .filter(|r| r.kind != Kind::Usable && r.start < end && candidate < r.end)
                .map(|r| r.end)
                .max();
            let next_usable = self
                .map
                .regions()
                .iter()
                .filter(|r| r.kind == Kind::Usable && r.start > candidate)
                .map(|r| r.start)
                .min();
            candidate = match (blocker, next_usable) {
                (Some(b), _) if b > candidate => b,
                (_, Some(n)) => n,
                _ => return None,
            };
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qemu_like() -> MemoryMap {
        let mut m = MemoryMap::new();
        m.push(0, 0x9fc00, Kind::Usable);
        m.push(0x9fc00, 0x400, Kind::Reserved);
        m.push(0xf0000, 0x10000, Kind::Reserved);
        m.push(0x100000, 0x7ee0000, Kind::Usable);
        m.push(0x7fe0000, 0x20000, Kind::Reserved);
        m.push(0xfffc0000, 0x40000, Kind::Reserved);
        m.push(0x1_0000_0000, 0x4000_0000, Kind::Usable);
        m
    }

    #[test]
    fn totals_and_ram_end() {
        let m = qemu_like();
        assert_eq!(m.total(Kind::Usable), 0x9fc00 + 0x7ee0000 + 0x4000_0000);
        assert_eq!(m.ram_end(), 0x1_4000_0000);
        assert!(m.overlaps_ram(0x7e0_0000, 0x800_0000));
        assert!(!m.overlaps_ram(0xb000_0000, 0xc000_0000));
    }

    #[test]
    fn frames_skip_low_memory_the_kernel_and_holes() {
        let m = qemu_like();
        let mut fa =
            FrameAllocator::new(&m, [(0x100000, 0x400000), (0, 0), (0, 0), (0, 0)], u64::MAX);
        assert_eq!(fa.allocate(1, FRAME), Some(0x400000));
        assert_eq!(fa.allocate(1, 0x200000), Some(0x600000));
        // Too big for the rest of low RAM: comes from above 4 GiB.
        assert_eq!(fa.allocate(0x8000, FRAME), Some(0x1_0000_0000));
        fa.set_limit(0x1_0000_0000);
        assert_eq!(
            fa.allocate(1, FRAME),
            None,
            "nothing left below the limit past the bump"
        );
    }

    #[test]
    fn hostile_maps_do_not_overflow_or_loop() {
        let mut m = MemoryMap::new();
        m.push(u64::MAX - 10, 100, Kind::Usable);
        m.push(0x200000, 0x100000, Kind::Usable);
        m.push(0x280000, 0x1000, Kind::Reserved); // hole inside a usable region
        m.push(5, 0, Kind::Usable);
        assert_eq!(m.regions().len(), 3);
        assert_eq!(m.regions()[0].end, u64::MAX);
        let mut fa = FrameAllocator::new(&m, [(0, 0); 4], u64::MAX);
        assert_eq!(fa.allocate(0x80, FRAME), Some(0x200000));
        assert_eq!(
            fa.allocate(1, FRAME),
            Some(0x281000),
            "skips the reserved hole"
        );
        assert_eq!(fa.allocate(u64::MAX, FRAME), None);
        assert_eq!(fa.allocate(1, 3 * FRAME), None, "bad alignment");
        for _ in 0..200 {
            m.push(0x1000, 0x1000, Kind::Usable);
        }
        assert_eq!(m.dropped(), 200 - (MAX_REGIONS - 3));
    }
}
