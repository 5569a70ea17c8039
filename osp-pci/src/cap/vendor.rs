//! Vendor-specific capability (PCI Local Bus 3.0 §6.8.4): an ID, a next pointer, a length byte
//! and vendor-defined contents.

use crate::Address;
use crate::access::{ConfigAccess, rd8};

/// A vendor-specific capability: where it is and how long it says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VendorSpecific {
    /// Offset of the capability.
    pub offset: u8,
    /// Length in bytes, from the byte at +2 (includes the 3-byte header).
    pub len: u8,
}

impl VendorSpecific {
    /// Reads the capability at `offset`.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address, offset: u8) -> Self {
        Self {
            offset,
            len: rd8(access, addr, u16::from(offset) + 2),
        }
    }

    /// Reads byte `index` of the vendor data (after the 3-byte header), if inside the length
    /// the capability gives and inside the space.
    pub fn byte<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        addr: Address,
        index: u8,
    ) -> Option<u8> {
        let at = 3u16 + u16::from(index);
        if at >= u16::from(self.len) {
            return None;
        }
        access.read8(addr, u16::from(self.offset) + at).ok()
    }
}
