//! The common 36-byte System Description Table header (ACPI 6.5 §5.2.6) and table signatures.

use core::fmt;

use crate::bytes::{array_at, sum8, u8_at, u32_at};

/// Length of the common table header.
pub const HEADER_LEN: usize = 36;

/// A four-byte table signature such as `APIC`. Any bytes are accepted: firmware tables with
/// non-ASCII signatures exist, and displaying one prints `?` for each unprintable byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Signature(pub [u8; 4]);

impl Signature {
    /// Fixed ACPI Description Table.
    pub const FADT: Signature = Signature(*b"FACP");
    /// Multiple APIC Description Table.
    pub const MADT: Signature = Signature(*b"APIC");
    /// PCI Express memory-mapped configuration table.
    pub const MCFG: Signature = Signature(*b"MCFG");
    /// High Precision Event Timer table.
    pub const HPET: Signature = Signature(*b"HPET");
    /// Differentiated System Description Table (AML).
    pub const DSDT: Signature = Signature(*b"DSDT");
    /// Secondary System Description Table (AML).
    pub const SSDT: Signature = Signature(*b"SSDT");
    /// Firmware ACPI Control Structure.
    pub const FACS: Signature = Signature(*b"FACS");
    /// Root System Description Table (32-bit entries).
    pub const RSDT: Signature = Signature(*b"RSDT");
    /// Extended System Description Table (64-bit entries).
    pub const XSDT: Signature = Signature(*b"XSDT");
    /// Used in diagnostics about the Root System Description Pointer.
    pub const RSDP: Signature = Signature(*b"RSDP");

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    /// The signature as text, if it is printable ASCII.
    pub fn as_str(&self) -> Option<&str> {
        if self.0.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            core::str::from_utf8(&self.0).ok()
        } else {
            None
        }
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            let c = if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature(\"{self}\")")
    }
}

/// Why a table could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TableError {
    /// A root table entry is zero (skipped, as ACPICA does).
    NullAddress,
    /// The mapper refused `length` bytes at `phys`.
    Unmappable {
        /// Physical address of the table.
        phys: u64,
        /// Bytes asked for.
        length: u32,
    },
    /// The header's length is shorter than the header itself (or than the table's fixed part).
    TooShort {
        /// Length from the header.
        length: u32,
    },
    /// The header's length is larger than the configured maximum.
    TooLong {
        /// Length from the header.
        length: u32,
    },
    /// The header's length is larger than the bytes available.
    Truncated {
        /// Length from the header.
        length: u32,
        /// Bytes available.
        available: usize,
    },
    /// The table does not have the signature its referrer promised.
    WrongSignature {
        /// What was expected.
        expected: Signature,
        /// What was found.
        found: Signature,
    },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NullAddress => write!(f, "null table address"),
            Self::Unmappable { phys, length } => {
                write!(f, "cannot map {length} bytes at {phys:#x}")
            }
            Self::TooShort { length } => write!(f, "table length {length} is too short"),
            Self::TooLong { length } => write!(f, "table length {length} exceeds the limit"),
            Self::Truncated { length, available } => {
                write!(
                    f,
                    "table length {length} but only {available} bytes available"
                )
            }
            Self::WrongSignature { expected, found } => {
                write!(f, "expected a {expected} table, found {found}")
            }
        }
    }
}

impl core::error::Error for TableError {}

/// A system description table: a header plus its body, exactly `length` bytes long.
///
/// No accessor panics: the constructor checks that the bytes hold the header and that the
/// header's length fits in them, and truncates the slice to that length.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sdt<'a> {
    bytes: &'a [u8],
    phys: u64,
}

impl<'a> Sdt<'a> {
    /// Checks `bytes` as a table found at physical address `phys` (0 when unknown).
    pub fn new(bytes: &'a [u8], phys: u64) -> Result<Self, TableError> {
        let bytes = cut_to_length(bytes, HEADER_LEN)?;
        Ok(Self { bytes, phys })
    }

    /// The signature.
    pub fn signature(&self) -> Signature {
        Signature(array_at(self.bytes, 0).unwrap_or_default())
    }

    /// Length from the header (equal to `bytes().len()`).
    pub fn length(&self) -> u32 {
        self.bytes.len() as u32
    }

    /// The header's revision byte (for the FADT this says little: see [`crate::Fadt`]).
    pub fn revision(&self) -> u8 {
        u8_at(self.bytes, 8).unwrap_or(0)
    }

    /// The header's checksum byte.
    pub fn checksum_byte(&self) -> u8 {
        u8_at(self.bytes, 9).unwrap_or(0)
    }

    /// Whether all bytes sum to zero (the FACS, which has no checksum, always passes).
    pub fn checksum_ok(&self) -> bool {
        self.signature() == Signature::FACS || sum8(self.bytes) == 0
    }

    /// OEM id, 6 bytes, usually space-padded ASCII.
    pub fn oem_id(&self) -> [u8; 6] {
        array_at(self.bytes, 10).unwrap_or_default()
    }

    /// OEM table id, 8 bytes.
    pub fn oem_table_id(&self) -> [u8; 8] {
        array_at(self.bytes, 16).unwrap_or_default()
    }

    /// OEM revision.
    pub fn oem_revision(&self) -> u32 {
        u32_at(self.bytes, 24).unwrap_or(0)
    }

    /// ASL compiler vendor id.
    pub fn creator_id(&self) -> [u8; 4] {
        array_at(self.bytes, 28).unwrap_or_default()
    }

    /// ASL compiler revision.
    pub fn creator_revision(&self) -> u32 {
        u32_at(self.bytes, 32).unwrap_or(0)
    }

    /// The whole table, header included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes after the header (for the DSDT and SSDTs: the AML byte code).
    pub fn body(&self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }

    /// Physical address the table was found at (0 when built from a plain byte slice).
    pub fn phys(&self) -> u64 {
        self.phys
    }

    /// `Ok(self)` if the signature is `expected`.
    pub fn expect(self, expected: Signature) -> Result<Self, TableError> {
        let found = self.signature();
        if found == expected {
            Ok(self)
        } else {
            Err(TableError::WrongSignature { expected, found })
        }
    }
}

impl fmt::Debug for Sdt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sdt")
            .field("signature", &self.signature())
            .field("length", &self.length())
            .field("revision", &self.revision())
            .field("phys", &format_args!("{:#x}", self.phys))
            .finish()
    }
}

/// `bytes` cut to the length in its offset-4 field (every SDT, and the FACS, keeps it there),
/// which must be at least `min` and within `bytes`.
pub(crate) fn cut_to_length(bytes: &[u8], min: usize) -> Result<&[u8], TableError> {
    let length = u32_at(bytes, 4).ok_or(TableError::Truncated {
        length: min as u32,
        available: bytes.len(),
    })?;
    if (length as usize) < min {
        return Err(TableError::TooShort { length });
    }
    bytes.get(..length as usize).ok_or(TableError::Truncated {
        length,
        available: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(sig: &[u8; 4], len: u32) -> [u8; 40] {
        let mut t = [0u8; 40];
        t[..4].copy_from_slice(sig);
        t[4..8].copy_from_slice(&len.to_le_bytes());
        let sum = sum8(&t[..len.min(40) as usize]);
        t[9] = 0u8.wrapping_sub(sum);
        t
    }

    #[test]
    fn hostile_lengths() {
        for len in [0u32, 1, 35] {
            assert_eq!(
                Sdt::new(&table(b"APIC", len), 0),
                Err(TableError::TooShort { length: len })
            );
        }
        assert!(matches!(
            Sdt::new(&table(b"APIC", u32::MAX), 0),
            Err(TableError::Truncated { .. })
        ));
        assert!(matches!(
            Sdt::new(&[0u8; 3], 0),
            Err(TableError::Truncated { .. })
        ));
        let t = table(b"APIC", 36);
        let sdt = Sdt::new(&t, 0x1000).unwrap();
        assert_eq!(sdt.length(), 36);
        assert_eq!(sdt.bytes().len(), 36);
        assert!(sdt.checksum_ok());
        assert!(sdt.body().is_empty());
        assert_eq!(sdt.signature(), Signature::MADT);
        assert!(sdt.expect(Signature::FADT).is_err());
    }

    #[test]
    fn signature_display_never_panics() {
        let s = Signature([0xff, b'A', 0, b'!']);
        assert_eq!(std::format!("{s}"), "?A?!");
        assert_eq!(s.as_str(), None);
        assert_eq!(Signature::MADT.as_str(), Some("APIC"));
    }
}
