//! Capability lists: the standard list (PCI Local Bus 3.0 §6.7) and the extended list of PCI
//! Express functions (PCIe Base 4.0 §7.6), each walked with a bound, and typed views of the
//! capabilities drivers need (one file each).

mod express;
mod msi;
mod msix;
mod pm;
mod vendor;

pub use express::{Express, LinkSpeed, PortType};
pub use msi::Msi;
pub use msix::{MsiX, MsixTable, TableLocation};
pub use pm::{PowerManagement, PowerState};
pub use vendor::VendorSpecific;

use crate::Address;
use crate::access::{ConfigAccess, rd8, rd16, rd32};
use crate::regs::{self, HeaderType};

/// Standard capability IDs (PCI Code and ID Assignment 1.11, §2).
pub mod id {
    /// Null capability.
    pub const NULL: u8 = 0x00;
    /// PCI Power Management.
    pub const POWER_MANAGEMENT: u8 = 0x01;
    /// AGP.
    pub const AGP: u8 = 0x02;
    /// Vital Product Data.
    pub const VPD: u8 = 0x03;
    /// Message Signalled Interrupts.
    pub const MSI: u8 = 0x05;
    /// PCI-X.
    pub const PCI_X: u8 = 0x07;
    /// HyperTransport.
    pub const HYPERTRANSPORT: u8 = 0x08;
    /// Vendor specific.
    pub const VENDOR_SPECIFIC: u8 = 0x09;
    /// Bridge subsystem vendor/device ID.
    pub const BRIDGE_SUBSYSTEM: u8 = 0x0d;
    /// PCI Express.
    pub const PCI_EXPRESS: u8 = 0x10;
    /// MSI-X.
    pub const MSI_X: u8 = 0x11;
    /// SATA data/index configuration.
    pub const SATA: u8 = 0x12;
    /// Advanced features.
    pub const ADVANCED_FEATURES: u8 = 0x13;
    /// Enhanced allocation.
    pub const ENHANCED_ALLOCATION: u8 = 0x14;
    /// An ID that ends the list: what an absent function reads.
    pub const END: u8 = 0xff;
}

/// One entry of the standard capability list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Capability {
    /// Offset of the capability header in configuration space.
    pub offset: u8,
    /// Capability ID (see [`id`]).
    pub id: u8,
}

/// Iterator over the standard capability list of one function.
///
/// Bounded: it ends at a null next pointer, at the first offset seen twice (a loop, at most 64
/// entries in 256 bytes), and at ID 0xff (what an absent function or a pointer into nothing
/// reads). Pointers have their low two bits masked, as the specification reserves them.
#[derive(Debug)]
pub struct Capabilities<'a, A: ?Sized> {
    access: &'a mut A,
    addr: Address,
    next: u8,
    seen: u64,
}

impl<'a, A: ConfigAccess + ?Sized> Capabilities<'a, A> {
    /// The list of the function at `addr` with layout `header_type`; empty when Status bit 4 is
    /// clear or the layout has no capabilities pointer.
    pub fn new(access: &'a mut A, addr: Address, header_type: HeaderType) -> Self {
        let status = rd16(access, addr, regs::STATUS);
        let next = match header_type.cap_ptr_offset() {
            Some(ptr) if status != u16::MAX && status & regs::STATUS_CAP_LIST != 0 => {
                rd8(access, addr, ptr) & 0xfc
            }
            _ => 0,
        };
        Self {
            access,
            addr,
            next,
            seen: 0,
        }
    }
}

impl<A: ConfigAccess + ?Sized> Iterator for Capabilities<'_, A> {
    type Item = Capability;
    fn next(&mut self) -> Option<Capability> {
        let offset = self.next;
        let bit = 1u64 << (offset / 4);
        if offset == 0 || self.seen & bit != 0 {
            self.next = 0;
            return None;
        }
        self.seen |= bit;
        let header = rd16(self.access, self.addr, offset.into());
        let id = header as u8;
        if id == id::END {
            self.next = 0;
            return None;
        }
        self.next = (header >> 8) as u8 & 0xfc;
        Some(Capability { offset, id })
    }
}

/// One entry of the extended capability list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ExtCapability {
    /// Offset of the capability header (0x100 or above on well-formed devices).
    pub offset: u16,
    /// Extended capability ID (0x0001 AER, 0x0003 serial number, …).
    pub id: u16,
    /// Capability version.
    pub version: u8,
}

/// Iterator over the extended capability list of one function.
///
/// Only PCI Express and PCI-X functions whose space is larger than 256 bytes have one. Bounded:
/// it ends at a zero or all-ones header, at a null next pointer and at the first offset seen
/// twice (at most 1024 entries). A header at 0x100 equal to the function's first dword is the
/// legacy space mirrored by a mechanism that ignores the extended offset bits, not a capability.
#[derive(Debug)]
pub struct ExtCapabilities<'a, A: ?Sized> {
    access: &'a mut A,
    addr: Address,
    next: u16,
    seen: [u64; 16],
}

impl<'a, A: ConfigAccess + ?Sized> ExtCapabilities<'a, A> {
    /// The list of the function at `addr`; `eligible` says whether its standard list has a PCI
    /// Express or PCI-X capability (see [`crate::Function::extended_capabilities`]).
    pub fn new(access: &'a mut A, addr: Address, eligible: bool) -> Self {
        let mut next = 0;
        if eligible && access.space_len(addr) > regs::LEGACY_SPACE {
            let first = rd32(access, addr, regs::EXT_CAP_START);
            if first != rd32(access, addr, regs::VENDOR_ID) {
                next = regs::EXT_CAP_START;
            }
        }
        Self {
            access,
            addr,
            next,
            seen: [0; 16],
        }
    }
}

impl<A: ConfigAccess + ?Sized> Iterator for ExtCapabilities<'_, A> {
    type Item = ExtCapability;
    fn next(&mut self) -> Option<ExtCapability> {
        let offset = self.next;
        self.next = 0;
        let slot = usize::from(offset / 4);
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        if offset == 0 || word >= self.seen.len() || self.seen[word] & bit != 0 {
            return None;
        }
        self.seen[word] |= bit;
        let header = rd32(self.access, self.addr, offset);
        if header == 0 || header == u32::MAX {
            return None;
        }
        self.next = (header >> 20) as u16 & 0xffc;
        Some(ExtCapability {
            offset,
            id: header as u16,
            version: (header >> 16) as u8 & 0xf,
        })
    }
}
