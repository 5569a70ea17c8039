//! MSI capability (PCI Local Bus 3.0 §6.8.1).

use crate::access::{ConfigAccess, rd16, rd32};
use crate::{Address, Error};

/// Message control, at +2.
const CONTROL: u16 = 2;
/// Message address (low 32 bits), at +4.
const ADDRESS: u16 = 4;
/// Control bit 0: MSI enable.
const ENABLE: u16 = 1 << 0;
/// Control bits 3:1: multiple message capable (log2).
const MMC_SHIFT: u16 = 1;
/// Control bits 6:4: multiple message enable (log2).
const MME_SHIFT: u16 = 4;
const MME_MASK: u16 = 0b111 << MME_SHIFT;
/// Control bit 7: 64-bit address capable.
const ADDR64: u16 = 1 << 7;
/// Control bit 8: per-vector masking capable.
const PER_VECTOR_MASK: u16 = 1 << 8;

/// The MSI capability of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Msi {
    addr: Address,
    offset: u8,
    control: u16,
}

impl Msi {
    /// Reads the capability at `offset`.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address, offset: u8) -> Self {
        Self {
            addr,
            offset,
            control: rd16(access, addr, u16::from(offset) + CONTROL),
        }
    }
    /// Offset of the capability.
    pub const fn offset(&self) -> u8 {
        self.offset
    }
    /// Message control as read.
    pub const fn control(&self) -> u16 {
        self.control
    }
    /// Whether the message address may be 64-bit.
    pub const fn is_64bit(&self) -> bool {
        self.control & ADDR64 != 0
    }
    /// Whether the function has mask and pending bits per vector.
    pub const fn per_vector_masking(&self) -> bool {
        self.control & PER_VECTOR_MASK != 0
    }
    /// How many vectors the function can use (1–32; encodings above 32 read as 32).
    pub const fn max_vectors(&self) -> u8 {
        let log2 = (self.control >> MMC_SHIFT) & 0b111;
        1 << if log2 > 5 { 5 } else { log2 }
    }
    /// How many vectors are granted to the function (Multiple Message Enable).
    pub const fn enabled_vectors(&self) -> u8 {
        let log2 = (self.control & MME_MASK) >> MME_SHIFT;
        1 << if log2 > 5 { 5 } else { log2 }
    }
    /// Whether MSI was enabled when read.
    pub const fn is_enabled(&self) -> bool {
        self.control & ENABLE != 0
    }

    fn at(&self, rel: u16) -> u16 {
        u16::from(self.offset) + rel
    }
    fn data_offset(&self) -> u16 {
        self.at(if self.is_64bit() { 0xc } else { 0x8 })
    }
    fn mask_offset(&self) -> u16 {
        self.at(if self.is_64bit() { 0x10 } else { 0xc })
    }

    /// Programs the message address and data. A 32-bit-only function refuses an address above
    /// 4 GiB.
    pub fn set_message<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        address: u64,
        data: u16,
    ) -> Result<(), Error> {
        if !self.is_64bit() && address >> 32 != 0 {
            return Err(Error::AddressTooWide { address });
        }
        access.write32(self.addr, self.at(ADDRESS), address as u32)?;
        if self.is_64bit() {
            access.write32(self.addr, self.at(ADDRESS + 4), (address >> 32) as u32)?;
        }
        access.write16(self.addr, self.data_offset(), data)?;
        Ok(())
    }

    /// Grants `vectors` (a power of two up to [`max_vectors`](Self::max_vectors)) to the
    /// function; it then signals vector `n` by writing `data | n`.
    pub fn set_vectors<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        vectors: u8,
    ) -> Result<(), Error> {
        if !vectors.is_power_of_two() || vectors > self.max_vectors() {
            return Err(Error::TooManyVectors {
                requested: vectors.into(),
                max: self.max_vectors().into(),
            });
        }
        let log2 = vectors.trailing_zeros() as u16;
        self.write_control(access, (self.control & !MME_MASK) | log2 << MME_SHIFT)
    }

    /// Turns MSI on or off. Turning it on also makes the function stop using INTx.
    pub fn set_enabled<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        on: bool,
    ) -> Result<(), Error> {
        let control = if on {
            self.control | ENABLE
        } else {
            self.control & !ENABLE
        };
        self.write_control(access, control)
    }

    fn write_control<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        control: u16,
    ) -> Result<(), Error> {
        access.write16(self.addr, self.at(CONTROL), control)?;
        self.control = control;
        Ok(())
    }

    /// The per-vector mask bits, if the function has them.
    pub fn mask<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Option<u32> {
        self.per_vector_masking()
            .then(|| rd32(access, self.addr, self.mask_offset()))
    }

    /// Sets the per-vector mask bits (bit n masks vector n).
    pub fn set_mask<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        mask: u32,
    ) -> Result<(), Error> {
        if !self.per_vector_masking() {
            return Err(Error::NotSupported);
        }
        access.write32(self.addr, self.mask_offset(), mask)?;
        Ok(())
    }
}
