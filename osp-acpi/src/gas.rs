//! The Generic Address Structure (ACPI 6.5 §5.2.3.2).

use crate::bytes::{u8_at, u64_at};

/// The address space a register lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddressSpace {
    /// Memory (MMIO).
    SystemMemory,
    /// x86 I/O ports.
    SystemIo,
    /// PCI configuration space (segment 0, bus 0; device and function in the address).
    PciConfig,
    /// Any other space id, kept raw.
    Other(u8),
}

impl From<u8> for AddressSpace {
    fn from(id: u8) -> Self {
        match id {
            0 => Self::SystemMemory,
            1 => Self::SystemIo,
            2 => Self::PciConfig,
            other => Self::Other(other),
        }
    }
}

impl AddressSpace {
    /// The raw space id.
    pub fn id(self) -> u8 {
        match self {
            Self::SystemMemory => 0,
            Self::SystemIo => 1,
            Self::PciConfig => 2,
            Self::Other(id) => id,
        }
    }
}

/// A register location: address space, width and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GenericAddress {
    /// Address space.
    pub space: AddressSpace,
    /// Register width in bits.
    pub bit_width: u8,
    /// Bit offset of the register within the address.
    pub bit_offset: u8,
    /// Access size: 0 undefined (legacy), 1 byte, 2 word, 3 dword, 4 qword.
    pub access_size: u8,
    /// The address.
    pub address: u64,
}

impl GenericAddress {
    /// Decodes the 12 bytes at `off` of `b`.
    pub(crate) fn read(b: &[u8], off: usize) -> Option<Self> {
        Some(Self {
            space: AddressSpace::from(u8_at(b, off)?),
            bit_width: u8_at(b, off.checked_add(1)?)?,
            bit_offset: u8_at(b, off.checked_add(2)?)?,
            access_size: u8_at(b, off.checked_add(3)?)?,
            address: u64_at(b, off.checked_add(4)?)?,
        })
    }

    /// A legacy I/O port block of `len` bytes, as ACPICA builds it from a 32-bit FADT field.
    pub fn io(port: u32, len: u8) -> Self {
        Self {
            space: AddressSpace::SystemIo,
            bit_width: len.saturating_mul(8),
            bit_offset: 0,
            access_size: 0,
            address: u64::from(port),
        }
    }

    /// Whether the structure names a register (non-zero address).
    pub fn is_present(&self) -> bool {
        self.address != 0
    }
}
