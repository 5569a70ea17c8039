//! The Firmware ACPI Control Structure (ACPI 6.5 §5.2.10). It has no checksum and no standard
//! header beyond its signature and length.

use crate::bytes::{u8_at, u32_at, u64_at};
use crate::{Signature, TableError};

/// Minimum FACS length.
pub const FACS_MIN_LEN: usize = 64;

/// A FACS view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facs<'a> {
    bytes: &'a [u8],
    phys: u64,
}

impl<'a> Facs<'a> {
    /// Checks `bytes` (signature `FACS`, length at least 64 and within `bytes`).
    pub fn new(bytes: &'a [u8], phys: u64) -> Result<Self, TableError> {
        let found = Signature(crate::bytes::array_at(bytes, 0).unwrap_or_default());
        if found != Signature::FACS {
            return Err(TableError::WrongSignature {
                expected: Signature::FACS,
                found,
            });
        }
        let bytes = crate::sdt::cut_to_length(bytes, FACS_MIN_LEN)?;
        Ok(Self { bytes, phys })
    }

    /// Length.
    pub fn length(&self) -> u32 {
        self.bytes.len() as u32
    }

    /// Physical address.
    pub fn phys(&self) -> u64 {
        self.phys
    }

    /// Hardware signature (changes when the hardware configuration changes across S4).
    pub fn hardware_signature(&self) -> u32 {
        u32_at(self.bytes, 8).unwrap_or(0)
    }

    /// 32-bit firmware waking vector.
    pub fn firmware_waking_vector(&self) -> u32 {
        u32_at(self.bytes, 12).unwrap_or(0)
    }

    /// Physical address of the global lock dword (this structure's address + 16).
    pub fn global_lock_address(&self) -> u64 {
        self.phys.wrapping_add(16)
    }

    /// Flags (bit 0: S4BIOS supported, bit 1: 64-bit wake supported).
    pub fn flags(&self) -> u32 {
        u32_at(self.bytes, 20).unwrap_or(0)
    }

    /// 64-bit firmware waking vector.
    pub fn x_firmware_waking_vector(&self) -> u64 {
        u64_at(self.bytes, 24).unwrap_or(0)
    }

    /// Version byte.
    pub fn version(&self) -> u8 {
        u8_at(self.bytes, 32).unwrap_or(0)
    }

    /// The whole structure.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}
