//! MSI-X capability (PCI Local Bus 3.0 §6.8.2) and its vector table, which lives in a BAR.

use osp_hal::RegisterIo;

use crate::access::{ConfigAccess, rd16, rd32};
use crate::{Address, Error};

/// Message control, at +2.
const CONTROL: u16 = 2;
/// Table offset/BIR, at +4.
const TABLE: u16 = 4;
/// PBA offset/BIR, at +8.
const PBA: u16 = 8;
/// Control bits 10:0: table size − 1.
const TABLE_SIZE: u16 = 0x7ff;
/// Control bit 14: function mask.
const FUNCTION_MASK: u16 = 1 << 14;
/// Control bit 15: MSI-X enable.
const ENABLE: u16 = 1 << 15;
/// Table/PBA register bits 2:0: BAR indicator.
const BIR: u32 = 0b111;

/// Bytes per table entry: address low, address high, data, vector control.
const ENTRY: usize = 16;
/// Vector control bit 0: masked.
const ENTRY_MASKED: u32 = 1;

/// Where a structure lives: BAR `bir`, `offset` bytes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TableLocation {
    /// BAR index (0–5; 6 and 7 are reserved values a broken device may report).
    pub bir: u8,
    /// Byte offset in that BAR.
    pub offset: u32,
}

impl TableLocation {
    const fn from_raw(raw: u32) -> Self {
        Self {
            bir: (raw & BIR) as u8,
            offset: raw & !BIR,
        }
    }
}

/// The MSI-X capability of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MsiX {
    addr: Address,
    offset: u8,
    control: u16,
    table: TableLocation,
    pba: TableLocation,
}

impl MsiX {
    /// Reads the capability at `offset`.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address, offset: u8) -> Self {
        let at = u16::from(offset);
        Self {
            addr,
            offset,
            control: rd16(access, addr, at + CONTROL),
            table: TableLocation::from_raw(rd32(access, addr, at + TABLE)),
            pba: TableLocation::from_raw(rd32(access, addr, at + PBA)),
        }
    }
    /// Offset of the capability.
    pub const fn offset(&self) -> u8 {
        self.offset
    }
    /// Number of vectors (table entries), 1–2048.
    pub const fn table_size(&self) -> u16 {
        (self.control & TABLE_SIZE) + 1
    }
    /// Where the vector table is.
    pub const fn table(&self) -> TableLocation {
        self.table
    }
    /// Where the pending-bit array is.
    pub const fn pba(&self) -> TableLocation {
        self.pba
    }
    /// Whether MSI-X was enabled when read.
    pub const fn is_enabled(&self) -> bool {
        self.control & ENABLE != 0
    }
    /// Whether all vectors were masked by the function mask when read.
    pub const fn is_function_masked(&self) -> bool {
        self.control & FUNCTION_MASK != 0
    }

    fn write_control<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        control: u16,
    ) -> Result<(), Error> {
        access.write16(self.addr, u16::from(self.offset) + CONTROL, control)?;
        self.control = control;
        Ok(())
    }
    /// Turns MSI-X on or off.
    pub fn set_enabled<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        on: bool,
    ) -> Result<(), Error> {
        let c = if on {
            self.control | ENABLE
        } else {
            self.control & !ENABLE
        };
        self.write_control(access, c)
    }
    /// Masks or unmasks every vector at once.
    pub fn set_function_mask<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        masked: bool,
    ) -> Result<(), Error> {
        let c = if masked {
            self.control | FUNCTION_MASK
        } else {
            self.control & !FUNCTION_MASK
        };
        self.write_control(access, c)
    }

    /// The vector table, given the register window of BAR [`table().bir`](Self::table) mapped
    /// by the caller.
    pub fn table_in<R: RegisterIo>(&self, bar: R) -> MsixTable<R> {
        MsixTable {
            regs: bar,
            base: self.table.offset as usize,
            size: self.table_size(),
        }
    }
}

/// The MSI-X vector table inside its BAR's register window.
#[derive(Debug)]
pub struct MsixTable<R> {
    regs: R,
    base: usize,
    size: u16,
}

impl<R: RegisterIo> MsixTable<R> {
    /// Number of entries.
    pub const fn len(&self) -> u16 {
        self.size
    }
    /// Always false: a table has at least one entry.
    pub const fn is_empty(&self) -> bool {
        false
    }

    fn entry(&self, index: u16) -> Result<usize, Error> {
        if index >= self.size {
            return Err(Error::VectorOutOfRange {
                index,
                size: self.size,
            });
        }
        Ok(self.base + usize::from(index) * ENTRY)
    }

    /// Programs entry `index` with a message `address` and `data` and unmasks it. The entry is
    /// masked while it is written, so the function never sees half an update.
    pub fn set_vector(&mut self, index: u16, address: u64, data: u32) -> Result<(), Error> {
        let at = self.entry(index)?;
        let control = self.regs.read32(at + 12);
        self.regs.write32(at + 12, control | ENTRY_MASKED);
        self.regs.write32(at, address as u32);
        self.regs.write32(at + 4, (address >> 32) as u32);
        self.regs.write32(at + 8, data);
        self.regs.write32(at + 12, control & !ENTRY_MASKED);
        Ok(())
    }

    /// Masks or unmasks entry `index`.
    pub fn set_masked(&mut self, index: u16, masked: bool) -> Result<(), Error> {
        let at = self.entry(index)? + 12;
        let control = self.regs.read32(at);
        let value = if masked {
            control | ENTRY_MASKED
        } else {
            control & !ENTRY_MASKED
        };
        self.regs.write32(at, value);
        Ok(())
    }

    /// Whether entry `index` is masked.
    pub fn is_masked(&mut self, index: u16) -> Result<bool, Error> {
        let at = self.entry(index)? + 12;
        Ok(self.regs.read32(at) & ENTRY_MASKED != 0)
    }

    /// Entry `index`'s message address and data.
    pub fn vector(&mut self, index: u16) -> Result<(u64, u32), Error> {
        let at = self.entry(index)?;
        let lo = self.regs.read32(at);
        let hi = self.regs.read32(at + 4);
        Ok((
            u64::from(hi) << 32 | u64::from(lo),
            self.regs.read32(at + 8),
        ))
    }

    /// Gives the register window back.
    pub fn into_inner(self) -> R {
        self.regs
    }
}
