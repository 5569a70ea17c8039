//! Configuration-space header layout (PCI Local Bus 3.0 §6.1, PCI-to-PCI Bridge 1.2 §3.2,
//! PC Card 8.0 CardBus bridge header) and the Command/Status bits.

/// Vendor ID (16 bits); Device ID follows at 0x02.
pub const VENDOR_ID: u16 = 0x00;
/// Command register (16 bits).
pub const COMMAND: u16 = 0x04;
/// Status register (16 bits).
pub const STATUS: u16 = 0x06;
/// Revision ID (8 bits), then prog-if, subclass and base class up to 0x0b.
pub const REVISION: u16 = 0x08;
/// Cache line size, latency timer, header type (byte 0x0e) and BIST.
pub const HEADER_DWORD: u16 = 0x0c;
/// Header type byte.
pub const HEADER_TYPE: u16 = 0x0e;
/// First BAR.
pub const BAR0: u16 = 0x10;
/// Type 0: subsystem vendor ID (16 bits) and subsystem ID.
pub const SUBSYSTEM_TYPE0: u16 = 0x2c;
/// Type 0: expansion ROM base address.
pub const ROM_TYPE0: u16 = 0x30;
/// Type 0 and 1: capabilities pointer (8 bits).
pub const CAP_PTR: u16 = 0x34;
/// Interrupt line (8 bits) and interrupt pin (byte 0x3d), all header types.
pub const INTERRUPT: u16 = 0x3c;

/// Type 1 and 2: primary, secondary and subordinate bus numbers (bytes 0x18–0x1a).
pub const BUS_NUMBERS: u16 = 0x18;
/// Type 1: I/O base and limit (bytes 0x1c, 0x1d).
pub const IO_BASE: u16 = 0x1c;
/// Type 1: memory base and limit (16 bits each).
pub const MEMORY_BASE: u16 = 0x20;
/// Type 1: prefetchable memory base and limit (16 bits each).
pub const PREF_BASE: u16 = 0x24;
/// Type 1: prefetchable base, upper 32 bits.
pub const PREF_BASE_UPPER: u16 = 0x28;
/// Type 1: prefetchable limit, upper 32 bits.
pub const PREF_LIMIT_UPPER: u16 = 0x2c;
/// Type 1: I/O base and limit, upper 16 bits each.
pub const IO_UPPER: u16 = 0x30;

/// Type 2: capabilities pointer.
pub const CAP_PTR_CARDBUS: u16 = 0x14;
/// Type 2: subsystem vendor ID and subsystem ID.
pub const SUBSYSTEM_CARDBUS: u16 = 0x40;

/// Header type bit 7: the device has more than one function.
pub const HEADER_MULTIFUNCTION: u8 = 0x80;
/// Status bit 4: the capability list is valid.
pub const STATUS_CAP_LIST: u16 = 1 << 4;

/// First extended capability (PCIe Base §7.6).
pub const EXT_CAP_START: u16 = 0x100;
/// Size of the legacy configuration space.
pub const LEGACY_SPACE: u16 = 0x100;

/// The layout of a function's header (header type bits 6:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HeaderType {
    /// Type 0: an ordinary function (endpoint), six BARs.
    Endpoint,
    /// Type 1: a PCI-to-PCI bridge, two BARs.
    PciBridge,
    /// Type 2: a CardBus bridge, one BAR.
    CardBus,
    /// Any other value: layout unknown, no BARs.
    Unknown(u8),
}

impl HeaderType {
    /// Decodes header type bits 6:0 (bit 7, multi-function, is ignored).
    pub const fn from_raw(raw: u8) -> Self {
        match raw & 0x7f {
            0 => HeaderType::Endpoint,
            1 => HeaderType::PciBridge,
            2 => HeaderType::CardBus,
            other => HeaderType::Unknown(other),
        }
    }
    /// The value of bits 6:0.
    pub const fn raw(self) -> u8 {
        match self {
            HeaderType::Endpoint => 0,
            HeaderType::PciBridge => 1,
            HeaderType::CardBus => 2,
            HeaderType::Unknown(v) => v,
        }
    }
    /// How many BARs this layout has.
    pub const fn bar_count(self) -> u8 {
        match self {
            HeaderType::Endpoint => 6,
            HeaderType::PciBridge => 2,
            HeaderType::CardBus => 1,
            HeaderType::Unknown(_) => 0,
        }
    }
    /// Offset of the capabilities pointer, if the layout has one.
    pub const fn cap_ptr_offset(self) -> Option<u16> {
        match self {
            HeaderType::Endpoint | HeaderType::PciBridge => Some(CAP_PTR),
            HeaderType::CardBus => Some(CAP_PTR_CARDBUS),
            HeaderType::Unknown(_) => None,
        }
    }
    /// Whether the function is a bridge with secondary/subordinate bus numbers.
    pub const fn is_bridge(self) -> bool {
        matches!(self, HeaderType::PciBridge | HeaderType::CardBus)
    }
}

/// Class code: base class, subclass and programming interface (offsets 0x0b, 0x0a, 0x09).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClassCode {
    /// Base class (e.g. 0x01 mass storage).
    pub base: u8,
    /// Subclass (e.g. 0x06 SATA).
    pub sub: u8,
    /// Programming interface (e.g. 0x01 AHCI).
    pub prog_if: u8,
}

impl ClassCode {
    /// Decodes the dword at 0x08 (revision in the low byte is ignored).
    pub const fn from_dword(dword: u32) -> Self {
        Self {
            base: (dword >> 24) as u8,
            sub: (dword >> 16) as u8,
            prog_if: (dword >> 8) as u8,
        }
    }
    /// The 24-bit value `bbsspp`.
    pub const fn value(self) -> u32 {
        (self.base as u32) << 16 | (self.sub as u32) << 8 | self.prog_if as u32
    }
    /// The name of the class/subclass, as `pci.ids` spells it (see [`crate::class_name`]).
    pub fn name(self) -> Option<&'static str> {
        crate::class::name(self.base, self.sub)
    }
}

/// The Command register (PCI Local Bus 3.0 §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Command(pub u16);

impl Command {
    /// Bit 0: respond to I/O space accesses.
    pub const IO_SPACE: u16 = 1 << 0;
    /// Bit 1: respond to memory space accesses.
    pub const MEMORY_SPACE: u16 = 1 << 1;
    /// Bit 2: may act as a bus master (DMA, MSI).
    pub const BUS_MASTER: u16 = 1 << 2;
    /// Bit 6: parity error response.
    pub const PARITY_ERROR_RESPONSE: u16 = 1 << 6;
    /// Bit 8: SERR# enable.
    pub const SERR: u16 = 1 << 8;
    /// Bit 10: INTx emulation disabled.
    pub const INTX_DISABLE: u16 = 1 << 10;

    /// Whether all bits of `mask` are set.
    pub const fn contains(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
    /// The value with the bits of `mask` set or cleared.
    pub const fn with(self, mask: u16, on: bool) -> Self {
        Self(if on { self.0 | mask } else { self.0 & !mask })
    }
}

/// The Status register (PCI Local Bus 3.0 §6.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Status(pub u16);

impl Status {
    /// Bit 3: an INTx interrupt is pending.
    pub const INTERRUPT: u16 = 1 << 3;
    /// Bit 4: the capabilities list is valid.
    pub const CAP_LIST: u16 = STATUS_CAP_LIST;

    /// Whether the capabilities pointer is valid.
    pub const fn has_capabilities(self) -> bool {
        self.0 & Self::CAP_LIST != 0
    }
}
