//! The PCI Express memory-mapped configuration table (PCI Firmware Specification 3.2 §4.1.2).

use crate::bytes::{u8_at, u16_at, u64_at};
use crate::diag::{Diagnostic, DiagnosticKind};
use crate::{Sdt, Signature, TableError};

const ENTRIES: usize = 44;
const ENTRY_LEN: usize = 16;

/// One ECAM region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct McfgEntry {
    /// Physical base address of the region (the address of bus 0 of the segment, even when
    /// `start_bus` is not 0).
    pub base: u64,
    /// PCI segment group.
    pub segment: u16,
    /// First bus decoded.
    pub start_bus: u8,
    /// Last bus decoded.
    pub end_bus: u8,
}

/// An MCFG view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mcfg<'a> {
    sdt: Sdt<'a>,
}

impl<'a> Mcfg<'a> {
    /// Views `sdt` as an MCFG.
    pub fn new(sdt: Sdt<'a>) -> Result<Self, TableError> {
        Ok(Self {
            sdt: sdt.expect(Signature::MCFG)?,
        })
    }

    /// The underlying table.
    pub fn sdt(&self) -> Sdt<'a> {
        self.sdt
    }

    /// The ECAM regions (a trailing partial entry is ignored, as Linux does).
    pub fn entries(&self) -> impl Iterator<Item = McfgEntry> + 'a {
        let body = self.sdt.bytes().get(ENTRIES..).unwrap_or_default();
        body.chunks_exact(ENTRY_LEN).filter_map(|e| {
            Some(McfgEntry {
                base: u64_at(e, 0)?,
                segment: u16_at(e, 8)?,
                start_bus: u8_at(e, 10)?,
                end_bus: u8_at(e, 11)?,
            })
        })
    }

    /// Reports a length that leaves a partial entry.
    pub fn check(&self, sink: &mut impl FnMut(Diagnostic)) {
        let body = self.sdt.bytes().len().saturating_sub(ENTRIES);
        let extra = body % ENTRY_LEN;
        if extra != 0 || self.sdt.bytes().len() < ENTRIES {
            let count = if self.sdt.bytes().len() < ENTRIES {
                self.sdt.length()
            } else {
                extra as u32
            };
            sink(Diagnostic {
                table: Signature::MCFG,
                kind: DiagnosticKind::TrailingBytes { count },
            });
        }
    }
}
