//! PCI Power Management capability (PCI Bus Power Management 1.2, §3.2).

use crate::access::{ConfigAccess, rd16};
use crate::{Address, ConfigError};

/// PMC: capabilities register, at +2.
const PMC: u16 = 2;
/// PMCSR: control/status register, at +4.
const PMCSR: u16 = 4;
/// PMCSR bits 1:0: power state.
const PMCSR_STATE: u16 = 0b11;
/// PMCSR bit 15: PME status (write 1 to clear; kept 0 on writes).
const PMCSR_PME_STATUS: u16 = 1 << 15;

/// A device power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PowerState {
    /// Fully on.
    D0,
    /// Light sleep.
    D1,
    /// Deeper sleep.
    D2,
    /// Off (hot): configuration space still answers.
    D3Hot,
}

impl PowerState {
    const fn from_bits(bits: u16) -> Self {
        match bits & PMCSR_STATE {
            0 => PowerState::D0,
            1 => PowerState::D1,
            2 => PowerState::D2,
            _ => PowerState::D3Hot,
        }
    }
}

/// The Power Management capability of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PowerManagement {
    addr: Address,
    offset: u8,
    pmc: u16,
}

impl PowerManagement {
    /// Reads the capability at `offset`.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address, offset: u8) -> Self {
        Self {
            addr,
            offset,
            pmc: rd16(access, addr, u16::from(offset) + PMC),
        }
    }
    /// Offset of the capability.
    pub const fn offset(&self) -> u8 {
        self.offset
    }
    /// Specification version (PMC bits 2:0; 3 = PM 1.2).
    pub const fn version(&self) -> u8 {
        (self.pmc & 0x7) as u8
    }
    /// Whether D1 is supported.
    pub const fn supports_d1(&self) -> bool {
        self.pmc & (1 << 9) != 0
    }
    /// Whether D2 is supported.
    pub const fn supports_d2(&self) -> bool {
        self.pmc & (1 << 10) != 0
    }
    /// States from which the function can signal PME (bit 0 = D0 … bit 4 = D3cold).
    pub const fn pme_support(&self) -> u8 {
        (self.pmc >> 11) as u8
    }
    /// The current power state.
    pub fn power_state<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> PowerState {
        PowerState::from_bits(rd16(access, self.addr, u16::from(self.offset) + PMCSR))
    }
    /// Moves the function to `state`. The caller waits the transition time the specification
    /// sets (10 ms from D3hot) before touching the function again.
    pub fn set_power_state<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        state: PowerState,
    ) -> Result<(), ConfigError> {
        let at = u16::from(self.offset) + PMCSR;
        let csr = access.read16(self.addr, at)?;
        let value = (csr & !(PMCSR_STATE | PMCSR_PME_STATUS)) | state as u16;
        access.write16(self.addr, at, value)
    }
}
