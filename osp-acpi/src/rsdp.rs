//! The Root System Description Pointer (ACPI 6.5 §5.2.5): finding it and choosing the root table.

use crate::PhysMapper;
use crate::bytes::{array_at, sum8, u8_at, u16_at, u32_at, u64_at};

/// Bytes covered by the ACPI 1.0 checksum.
pub const RSDP_V1_LEN: usize = 20;
/// Bytes covered by the extended (ACPI 2.0+) checksum.
pub const RSDP_V2_LEN: usize = 36;

const SIGNATURE: &[u8; 8] = b"RSD PTR ";
/// BDA word holding the EBDA segment.
const EBDA_POINTER: u64 = 0x40e;
/// ACPICA searches the first KiB of the EBDA.
const EBDA_WINDOW: usize = 1024;
/// The BIOS read-only area searched second.
const BIOS_AREA: (u64, usize) = (0xe_0000, 0x2_0000);

/// A Root System Description Pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rsdp<'a> {
    bytes: &'a [u8],
}

/// The root table an RSDP selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RootPointer {
    /// An XSDT (64-bit entries) at this address.
    Xsdt(u64),
    /// An RSDT (32-bit entries) at this address.
    Rsdt(u64),
}

impl RootPointer {
    /// The physical address.
    pub fn address(self) -> u64 {
        match self {
            Self::Xsdt(a) | Self::Rsdt(a) => a,
        }
    }
}

impl<'a> Rsdp<'a> {
    /// Checks the signature of the RSDP at the start of `bytes` (which must hold 20 bytes, or 36
    /// when the revision is 2 or more). Checksums are not required here: see
    /// [`checksum_ok`](Self::checksum_ok).
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        if bytes.get(..8)? != SIGNATURE {
            return None;
        }
        let revision = u8_at(bytes, 15)?;
        let len = if revision >= 2 {
            RSDP_V2_LEN
        } else {
            RSDP_V1_LEN
        };
        Some(Self {
            bytes: bytes.get(..len)?,
        })
    }

    /// The revision: 0 for ACPI 1.0, 2 for ACPI 2.0 and later.
    pub fn revision(&self) -> u8 {
        u8_at(self.bytes, 15).unwrap_or(0)
    }

    /// OEM id.
    pub fn oem_id(&self) -> [u8; 6] {
        array_at(self.bytes, 9).unwrap_or_default()
    }

    /// Physical address of the RSDT.
    pub fn rsdt_address(&self) -> u32 {
        u32_at(self.bytes, 16).unwrap_or(0)
    }

    /// The length field (revision 2 and later).
    pub fn length(&self) -> Option<u32> {
        u32_at(self.bytes, 20)
    }

    /// Physical address of the XSDT (revision 2 and later).
    pub fn xsdt_address(&self) -> Option<u64> {
        u64_at(self.bytes, 24)
    }

    /// Whether the first 20 bytes sum to zero.
    pub fn checksum_ok(&self) -> bool {
        self.bytes.get(..RSDP_V1_LEN).is_some_and(|b| sum8(b) == 0)
    }

    /// Whether the first 36 bytes sum to zero (`None` before revision 2).
    pub fn extended_checksum_ok(&self) -> Option<bool> {
        (self.revision() >= 2).then(|| self.bytes.get(..RSDP_V2_LEN).is_some_and(|b| sum8(b) == 0))
    }

    /// Both applicable checksums hold.
    pub fn valid(&self) -> bool {
        self.checksum_ok() && self.extended_checksum_ok() != Some(false)
    }

    /// The bytes the structure occupies (20 or 36).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// ACPICA's rule: the XSDT when the revision is above 1 and its address is non-zero, else the
    /// RSDT. The XSDT address of a revision 0 RSDP is never read (it lies outside the structure).
    pub fn root(&self) -> RootPointer {
        match self.xsdt_address() {
            Some(x) if self.revision() > 1 && x != 0 => RootPointer::Xsdt(x),
            _ => RootPointer::Rsdt(u64::from(self.rsdt_address())),
        }
    }

    /// Maps and checks the RSDP at `phys`.
    pub fn at<M: PhysMapper + ?Sized>(mapper: &'a M, phys: u64) -> Option<Self> {
        let v1 = mapper.map(phys, RSDP_V1_LEN)?;
        if u8_at(v1, 15)? >= 2 {
            Self::new(mapper.map(phys, RSDP_V2_LEN)?)
        } else {
            Self::new(v1)
        }
    }
}

/// Searches the legacy BIOS areas for an RSDP with valid checksums, as ACPICA does: the first KiB
/// of the Extended BIOS Data Area (segment at 0x40E), then 0xE0000–0xFFFFF, on 16-byte
/// boundaries. Returns its physical address.
pub fn search_rsdp<M: PhysMapper + ?Sized>(mapper: &M) -> Option<u64> {
    let ebda = mapper
        .map(EBDA_POINTER, 2)
        .and_then(|b| u16_at(b, 0))
        .map(|seg| u64::from(seg) << 4);
    let ebda_window = ebda.filter(|&a| a > 0x400 && a < BIOS_AREA.0).map(|a| {
        // Clip the window at the start of the BIOS area, as ACPICA does.
        let len = usize::try_from(BIOS_AREA.0 - a).map_or(EBDA_WINDOW, |l| l.min(EBDA_WINDOW));
        (a, len)
    });
    ebda_window
        .into_iter()
        .chain([BIOS_AREA])
        .find_map(|(base, len)| scan(mapper, base, len))
}

fn scan<M: PhysMapper + ?Sized>(mapper: &M, base: u64, len: usize) -> Option<u64> {
    let window = mapper.map(base, len)?;
    (0..window.len()).step_by(16).find_map(|off| {
        let rsdp = Rsdp::new(window.get(off..)?)?;
        rsdp.valid().then(|| base.checked_add(off as u64)).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryImage;

    fn rsdp(revision: u8, rsdt: u32, xsdt: u64) -> [u8; 36] {
        let mut r = [0u8; 36];
        r[..8].copy_from_slice(SIGNATURE);
        r[9..15].copy_from_slice(b"OSPOEM");
        r[15] = revision;
        r[16..20].copy_from_slice(&rsdt.to_le_bytes());
        r[20..24].copy_from_slice(&36u32.to_le_bytes());
        r[24..32].copy_from_slice(&xsdt.to_le_bytes());
        r[8] = 0u8.wrapping_sub(sum8(&r[..20]));
        r[32] = 0u8.wrapping_sub(sum8(&r[..36]));
        r
    }

    #[test]
    fn root_choice_follows_acpica() {
        let r = rsdp(2, 0x1000, 0x2000);
        assert_eq!(Rsdp::new(&r).unwrap().root(), RootPointer::Xsdt(0x2000));
        let r = rsdp(2, 0x1000, 0);
        assert_eq!(Rsdp::new(&r).unwrap().root(), RootPointer::Rsdt(0x1000));
        // Revision 0 with junk where an XSDT address would be: RSDT, and only 20 bytes needed.
        let r = rsdp(0, 0x1000, 0xdead_beef_dead_beef);
        let v = Rsdp::new(&r[..20]).unwrap();
        assert_eq!(v.root(), RootPointer::Rsdt(0x1000));
        assert!(v.valid());
        assert_eq!(v.extended_checksum_ok(), None);
        // Revision 1 (some firmware): still the RSDT.
        let r = rsdp(1, 0x1000, 0x2000);
        assert_eq!(Rsdp::new(&r).unwrap().root(), RootPointer::Rsdt(0x1000));
        // Revision 2 but only 20 bytes available: rejected, never read past the end.
        let r = rsdp(2, 0x1000, 0x2000);
        assert!(Rsdp::new(&r[..20]).is_none());
    }

    #[test]
    fn search_finds_ebda_then_bios_area_and_skips_bad_checksums() {
        let mut bda = [0u8; 2];
        bda.copy_from_slice(&(0x9fc0u16).to_le_bytes());
        let mut ebda = [0u8; 1024];
        let mut bios = std::vec![0u8; 0x2_0000];
        let good = rsdp(2, 0x1000, 0x2000);
        let mut bad = good;
        bad[20] ^= 1; // breaks the extended checksum only
        bios[0x100..0x124].copy_from_slice(&bad);
        bios[0x1_0010..0x1_0034].copy_from_slice(&good);
        let regions = [
            (0x40e, &bda[..]),
            (0x9_fc00, &ebda[..]),
            (0xe_0000, &bios[..]),
        ];
        assert_eq!(search_rsdp(&MemoryImage::new(&regions)), Some(0xf_0010));
        ebda[16..52].copy_from_slice(&good);
        let regions = [
            (0x40e, &bda[..]),
            (0x9_fc00, &ebda[..]),
            (0xe_0000, &bios[..]),
        ];
        assert_eq!(search_rsdp(&MemoryImage::new(&regions)), Some(0x9_fc10));
        // Nothing mapped at all: not found, no panic.
        assert_eq!(search_rsdp(&MemoryImage::new(&[])), None);
    }
}
