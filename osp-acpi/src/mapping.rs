//! Access to physical memory: the one thing the parser needs from its host.

/// Gives read access to physical memory as byte slices, so firmware tables are parsed in place.
///
/// The kernel implements it (with identity-mapped memory the body is one `from_raw_parts`);
/// host tests use [`MemoryImage`]. A mapper may refuse any range it cannot or will not map
/// (outside RAM or the firmware regions, too large, overflowing): the parser then reports a
/// diagnostic instead of touching the memory.
pub trait PhysMapper {
    /// The `len` bytes at physical address `phys`, or `None` to refuse.
    ///
    /// A returned slice shorter than `len` is treated as a refusal.
    fn map(&self, phys: u64, len: usize) -> Option<&[u8]>;
}

impl<M: PhysMapper + ?Sized> PhysMapper for &M {
    fn map(&self, phys: u64, len: usize) -> Option<&[u8]> {
        (**self).map(phys, len)
    }
}

/// A sparse physical memory made of byte slices placed at physical addresses: what a host test,
/// an example reading a dump, or a fuzzer hands to the parser instead of real memory.
///
/// A range is served only when it lies entirely inside one region.
#[derive(Clone, Copy, Debug)]
pub struct MemoryImage<'a> {
    regions: &'a [(u64, &'a [u8])],
}

impl<'a> MemoryImage<'a> {
    /// An image made of `(physical base, bytes)` regions.
    pub const fn new(regions: &'a [(u64, &'a [u8])]) -> Self {
        Self { regions }
    }
}

impl PhysMapper for MemoryImage<'_> {
    fn map(&self, phys: u64, len: usize) -> Option<&[u8]> {
        self.regions.iter().find_map(|&(base, bytes)| {
            let start = usize::try_from(phys.checked_sub(base)?).ok()?;
            bytes.get(start..start.checked_add(len)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refuses_ranges_outside_regions() {
        let a = [1u8, 2, 3, 4];
        let b = [9u8; 8];
        let regions = [(0x1000, &a[..]), (0x2000, &b[..])];
        let m = MemoryImage::new(&regions);
        assert_eq!(m.map(0x1001, 2), Some(&a[1..3]));
        assert_eq!(m.map(0x1002, 4), None);
        assert_eq!(m.map(0x0fff, 1), None);
        assert_eq!(m.map(0x2000, 8), Some(&b[..]));
        assert_eq!(m.map(u64::MAX, usize::MAX), None);
        assert_eq!(m.map(0x2004, usize::MAX), None);
    }
}
