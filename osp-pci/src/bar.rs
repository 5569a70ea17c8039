//! Base address registers (PCI Local Bus 3.0 §6.2.5.1) and bridge forwarding windows
//! (PCI-to-PCI Bridge 1.2 §3.2.5).

use crate::access::{ConfigAccess, rd8, rd32};
use crate::regs::{self, Command, HeaderType};
use crate::{Address, ConfigError};

/// BAR bit 0: I/O space indicator.
const BAR_IO: u32 = 1;
/// Memory BAR bits 2:1: type.
const BAR_MEM_TYPE: u32 = 0b110;
/// Memory type 01: below 1 MiB (PCI 2.x).
const MEM_TYPE_1M: u32 = 0b010;
/// Memory type 10: 64-bit, two registers.
const MEM_TYPE_64: u32 = 0b100;
/// Memory BAR bit 3: prefetchable.
const BAR_PREFETCHABLE: u32 = 1 << 3;
/// Address bits of an I/O BAR.
const IO_ADDRESS: u32 = !0x3;
/// Address bits of a memory BAR.
const MEM_ADDRESS: u32 = !0xf;

/// What a BAR maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BarKind {
    /// I/O ports.
    Io,
    /// Memory anywhere in the low 4 GiB (memory type 00; also the reserved type 11).
    Mem32,
    /// Memory below 1 MiB (memory type 01, legacy PCI).
    Mem1M,
    /// Memory anywhere in 64 bits; takes this register and the next.
    Mem64,
}

impl BarKind {
    /// `"io"`, `"mem32"` (also for below-1 MiB BARs) or `"mem64"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BarKind::Io => "io",
            BarKind::Mem32 | BarKind::Mem1M => "mem32",
            BarKind::Mem64 => "mem64",
        }
    }
}

/// One decoded BAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Bar {
    /// Register index 0–5 (the lower register of a 64-bit BAR).
    pub index: u8,
    /// What it maps.
    pub kind: BarKind,
    /// Base address as programmed (0 when firmware left it unassigned).
    pub address: u64,
    /// Whether the memory is prefetchable (always false for I/O).
    pub prefetchable: bool,
    /// Size in bytes, when known (only from a live sizing probe).
    pub size: Option<u64>,
}

/// Decodes one BAR from its register values: `lo` at `index`, `hi` the next register if any.
/// Returns the BAR and how many registers it takes, or `None` when `lo` is not a BAR (reads 0
/// or all-ones).
pub fn decode(index: u8, lo: u32, hi: Option<u32>) -> Option<(Bar, u8)> {
    if lo == 0 || lo == u32::MAX {
        return None;
    }
    if lo & BAR_IO != 0 {
        let bar = Bar {
            index,
            kind: BarKind::Io,
            address: (lo & IO_ADDRESS).into(),
            prefetchable: false,
            size: None,
        };
        return Some((bar, 1));
    }
    let prefetchable = lo & BAR_PREFETCHABLE != 0;
    let (kind, address, used) = match lo & BAR_MEM_TYPE {
        MEM_TYPE_64 => {
            let high = hi.unwrap_or(0);
            (
                BarKind::Mem64,
                u64::from(high) << 32 | u64::from(lo & MEM_ADDRESS),
                1 + u8::from(hi.is_some()),
            )
        }
        MEM_TYPE_1M => (BarKind::Mem1M, u64::from(lo & MEM_ADDRESS), 1),
        _ => (BarKind::Mem32, u64::from(lo & MEM_ADDRESS), 1),
    };
    Some((
        Bar {
            index,
            kind,
            address,
            prefetchable,
            size: None,
        },
        used,
    ))
}

/// The BARs of one function, decoded from register values (an iterator; no access held).
#[derive(Debug, Clone)]
pub struct Bars {
    raw: [u32; 6],
    len: u8,
    next: u8,
}

impl Bars {
    /// Decodes up to six BAR register values (extra values are ignored).
    pub fn decode(raw: &[u32]) -> Self {
        let mut regs = [0; 6];
        let len = raw.len().min(6);
        regs[..len].copy_from_slice(&raw[..len]);
        Self {
            raw: regs,
            len: len as u8,
            next: 0,
        }
    }
}

impl Iterator for Bars {
    type Item = Bar;
    fn next(&mut self) -> Option<Bar> {
        while self.next < self.len {
            let i = self.next;
            let hi = (i + 1 < self.len).then(|| self.raw[usize::from(i) + 1]);
            match decode(i, self.raw[usize::from(i)], hi) {
                Some((bar, used)) => {
                    self.next += used;
                    return Some(bar);
                }
                None => self.next += 1,
            }
        }
        None
    }
}

/// The BARs of one function, with sizes, indexed by register.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BarSet {
    bars: [Option<Bar>; 6],
}

impl BarSet {
    /// BAR `index`, if there is one there (the upper register of a 64-bit BAR is `None`).
    pub fn get(&self, index: u8) -> Option<Bar> {
        self.bars.get(usize::from(index)).copied().flatten()
    }
    /// The BARs in register order.
    pub fn iter(&self) -> impl Iterator<Item = Bar> + '_ {
        self.bars.iter().flatten().copied()
    }
}

/// Lowest set bit of the size mask: robust against high garbage bits some devices return.
fn size_from_mask(mask: u64) -> Option<u64> {
    (mask != 0).then(|| mask & mask.wrapping_neg())
}

/// Sizes the BARs of the function at `addr` by the standard probe.
///
/// Memory and I/O decoding are turned off in Command first (the probe value must never be
/// decoded as an address), each register is written all-ones and read back, and every BAR and
/// Command are restored to what they held, also when a write fails half-way. A BAR whose probe
/// reads back 0 is not implemented; one left at address 0 by firmware but implemented is
/// returned with address 0 and its size. For live configuration space only: a dump cannot
/// answer the probe.
pub fn size_bars<A: ConfigAccess + ?Sized>(
    access: &mut A,
    addr: Address,
    header_type: HeaderType,
) -> Result<BarSet, ConfigError> {
    let count = header_type.bar_count();
    let command = access.read16(addr, regs::COMMAND)?;
    let decode = Command::IO_SPACE | Command::MEMORY_SPACE;
    if command & decode != 0 {
        access.write16(addr, regs::COMMAND, command & !decode)?;
    }
    let result = probe_all(access, addr, count);
    if command & decode != 0 {
        access.write16(addr, regs::COMMAND, command)?;
    }
    result
}

fn probe_all<A: ConfigAccess + ?Sized>(
    access: &mut A,
    addr: Address,
    count: u8,
) -> Result<BarSet, ConfigError> {
    let mut set = BarSet::default();
    let mut i = 0;
    while i < count {
        let offset = regs::BAR0 + 4 * u16::from(i);
        let lo = access.read32(addr, offset)?;
        let probe_lo = probe(access, addr, offset, lo)?;
        // Flag bits are read-only, so the probe carries them even for a BAR firmware left at 0.
        let flags = if lo != 0 { lo } else { probe_lo };
        let is_io = flags & BAR_IO != 0;
        let is_mem64 = !is_io && flags & BAR_MEM_TYPE == MEM_TYPE_64 && i + 1 < count;
        let (hi, probe_hi) = if is_mem64 {
            let hi = access.read32(addr, offset + 4)?;
            (hi, probe(access, addr, offset + 4, hi)?)
        } else {
            (0, 0)
        };
        let used = if is_mem64 { 2 } else { 1 };
        let mask = if is_io {
            let m = probe_lo & IO_ADDRESS;
            // I/O BARs may implement only 16 address bits; the upper ones then read 0.
            u64::from(if m & 0xffff_0000 == 0 {
                m | 0xffff_0000
            } else {
                m
            }) | !0xffff_ffff
        } else if is_mem64 {
            u64::from(probe_hi) << 32 | u64::from(probe_lo & MEM_ADDRESS)
        } else {
            u64::from(probe_lo & MEM_ADDRESS) | !0xffff_ffff
        };
        let implemented = probe_lo != 0 && probe_lo != u32::MAX;
        if let (true, Some(size)) = (implemented, size_from_mask(mask)) {
            let kind = if is_io {
                BarKind::Io
            } else {
                match flags & BAR_MEM_TYPE {
                    MEM_TYPE_64 => BarKind::Mem64,
                    MEM_TYPE_1M => BarKind::Mem1M,
                    _ => BarKind::Mem32,
                }
            };
            let address = if is_io {
                u64::from(lo & IO_ADDRESS)
            } else {
                u64::from(hi) << 32 | u64::from(lo & MEM_ADDRESS)
            };
            let prefetchable = !is_io && flags & BAR_PREFETCHABLE != 0;
            set.bars[usize::from(i)] = Some(Bar {
                index: i,
                kind,
                address,
                prefetchable,
                size: Some(size),
            });
        }
        i += used;
    }
    Ok(set)
}

/// Writes all-ones to one BAR register, reads it back and restores `original`.
fn probe<A: ConfigAccess + ?Sized>(
    access: &mut A,
    addr: Address,
    offset: u16,
    original: u32,
) -> Result<u32, ConfigError> {
    access.write32(addr, offset, u32::MAX)?;
    let value = access.read32(addr, offset);
    let restored = access.write32(addr, offset, original);
    let value = value?;
    restored?;
    Ok(value)
}

/// An address range a bridge forwards, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Window {
    /// First address.
    pub base: u64,
    /// Last address.
    pub limit: u64,
}

/// The forwarding windows of a PCI-to-PCI bridge; `None` when a window is closed (base above
/// limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BridgeWindows {
    /// I/O window.
    pub io: Option<Window>,
    /// Non-prefetchable memory window.
    pub memory: Option<Window>,
    /// Prefetchable memory window.
    pub prefetchable: Option<Window>,
}

impl BridgeWindows {
    /// Reads the windows of the bridge at `addr`.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address) -> Self {
        let io_base = rd8(access, addr, regs::IO_BASE);
        let io_limit = rd8(access, addr, regs::IO_BASE + 1);
        let (mut base, mut limit) = (
            u64::from(io_base & 0xf0) << 8,
            u64::from(io_limit & 0xf0) << 8 | 0xfff,
        );
        if io_base & 0xf == 1 {
            let upper = rd32(access, addr, regs::IO_UPPER);
            base |= u64::from(upper & 0xffff) << 16;
            limit |= u64::from(upper >> 16) << 16;
        }
        let io = window(base, limit);

        let mem = rd32(access, addr, regs::MEMORY_BASE);
        let memory = window(
            u64::from(mem & 0xfff0) << 16,
            u64::from(mem >> 16 & 0xfff0) << 16 | 0xf_ffff,
        );

        let pref = rd32(access, addr, regs::PREF_BASE);
        let (mut base, mut limit) = (
            u64::from(pref & 0xfff0) << 16,
            u64::from(pref >> 16 & 0xfff0) << 16 | 0xf_ffff,
        );
        if pref & 0xf == 1 {
            base |= u64::from(rd32(access, addr, regs::PREF_BASE_UPPER)) << 32;
            limit |= u64::from(rd32(access, addr, regs::PREF_LIMIT_UPPER)) << 32;
        }
        let prefetchable = window(base, limit);
        Self {
            io,
            memory,
            prefetchable,
        }
    }
}

fn window(base: u64, limit: u64) -> Option<Window> {
    (base <= limit).then_some(Window { base, limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn decodes_every_bar_kind() {
        let bars: Vec<_> =
            Bars::decode(&[0xfebf_100c, 0x1, 0xe001, 0, 0xffff_ffff, 0xf000_0002]).collect();
        assert_eq!(bars.len(), 3);
        assert_eq!(
            (bars[0].kind, bars[0].address, bars[0].prefetchable),
            (BarKind::Mem64, 0x1_febf_1000, true)
        );
        assert_eq!(
            (bars[1].index, bars[1].kind, bars[1].address),
            (2, BarKind::Io, 0xe000)
        );
        assert_eq!(
            (bars[2].index, bars[2].kind, bars[2].address),
            (5, BarKind::Mem1M, 0xf000_0000)
        );
    }

    #[test]
    fn a_64_bit_bar_in_the_last_slot_has_no_upper_half() {
        let bars: Vec<_> = Bars::decode(&[0, 0, 0, 0, 0, 0x8000_0004]).collect();
        assert_eq!(bars.len(), 1);
        assert_eq!(
            (bars[0].index, bars[0].kind, bars[0].address),
            (5, BarKind::Mem64, 0x8000_0000)
        );
    }

    #[test]
    fn unassigned_bar_with_flags_is_listed_at_zero() {
        let bars: Vec<_> = Bars::decode(&[0x4, 0, 0x1]).collect();
        assert_eq!(bars.len(), 2);
        assert_eq!((bars[0].kind, bars[0].address), (BarKind::Mem64, 0));
        assert_eq!(
            (bars[1].index, bars[1].kind, bars[1].address),
            (2, BarKind::Io, 0)
        );
    }

    #[test]
    fn size_is_the_lowest_set_bit() {
        assert_eq!(size_from_mask(0xffff_ffff_ffff_f000), Some(0x1000));
        assert_eq!(size_from_mask(0x3ff_ffff_0000_4000), Some(0x4000));
        assert_eq!(size_from_mask(0), None);
    }
}
