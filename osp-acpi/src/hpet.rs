//! The IA-PC High Precision Event Timer table (HPET specification 1.0a §3.2.4).

use crate::bytes::{u8_at, u16_at, u32_at};
use crate::gas::GenericAddress;
use crate::{Sdt, Signature, TableError};

/// An HPET table view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hpet<'a> {
    sdt: Sdt<'a>,
}

impl<'a> Hpet<'a> {
    /// Views `sdt` as an HPET table.
    pub fn new(sdt: Sdt<'a>) -> Result<Self, TableError> {
        Ok(Self {
            sdt: sdt.expect(Signature::HPET)?,
        })
    }

    /// The underlying table.
    pub fn sdt(&self) -> Sdt<'a> {
        self.sdt
    }

    /// Event timer block id (a copy of the HPET's capabilities register low half).
    pub fn event_timer_block_id(&self) -> Option<u32> {
        u32_at(self.sdt.bytes(), 36)
    }

    /// Number of comparators (bits 12:8 of the block id, plus one).
    pub fn comparators(&self) -> Option<u8> {
        self.event_timer_block_id()
            .map(|id| ((id >> 8) & 0x1f) as u8 + 1)
    }

    /// PCI vendor id of the timer block (bits 31:16 of the block id).
    pub fn pci_vendor_id(&self) -> Option<u16> {
        self.event_timer_block_id().map(|id| (id >> 16) as u16)
    }

    /// The timer block's registers.
    pub fn base_address(&self) -> Option<GenericAddress> {
        GenericAddress::read(self.sdt.bytes(), 40)
    }

    /// HPET sequence number.
    pub fn hpet_number(&self) -> Option<u8> {
        u8_at(self.sdt.bytes(), 52)
    }

    /// Minimum clock ticks for periodic mode.
    pub fn min_tick(&self) -> Option<u16> {
        u16_at(self.sdt.bytes(), 53)
    }

    /// Page protection and OEM attributes.
    pub fn page_protection(&self) -> Option<u8> {
        u8_at(self.sdt.bytes(), 55)
    }
}
