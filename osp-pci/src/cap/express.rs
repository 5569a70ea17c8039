//! PCI Express capability (PCIe Base 4.0 §7.5.3): device/port type and link speed/width.

use core::fmt;

use crate::Address;
use crate::access::{ConfigAccess, rd16, rd32};

/// PCI Express capabilities register, at +2.
const CAPS: u16 = 2;
/// Link capabilities, at +0x0c.
const LINK_CAP: u16 = 0x0c;
/// Link status, at +0x12.
const LINK_STATUS: u16 = 0x12;

/// What kind of PCI Express function this is (capabilities register bits 7:4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PortType {
    /// PCI Express endpoint.
    Endpoint,
    /// Legacy PCI Express endpoint.
    LegacyEndpoint,
    /// Root port of a root complex.
    RootPort,
    /// Upstream port of a switch.
    UpstreamPort,
    /// Downstream port of a switch.
    DownstreamPort,
    /// PCI Express to PCI/PCI-X bridge.
    PcieToPciBridge,
    /// PCI/PCI-X to PCI Express bridge.
    PciToPcieBridge,
    /// Root complex integrated endpoint.
    RootComplexEndpoint,
    /// Root complex event collector.
    RootComplexEventCollector,
    /// A reserved value.
    Unknown(u8),
}

impl PortType {
    const fn from_bits(v: u8) -> Self {
        match v {
            0 => PortType::Endpoint,
            1 => PortType::LegacyEndpoint,
            4 => PortType::RootPort,
            5 => PortType::UpstreamPort,
            6 => PortType::DownstreamPort,
            7 => PortType::PcieToPciBridge,
            8 => PortType::PciToPcieBridge,
            9 => PortType::RootComplexEndpoint,
            10 => PortType::RootComplexEventCollector,
            other => PortType::Unknown(other),
        }
    }
    /// Whether the function has link registers (root complex integrated functions have none).
    pub const fn has_link(self) -> bool {
        !matches!(
            self,
            PortType::RootComplexEndpoint | PortType::RootComplexEventCollector
        )
    }
}

/// A link speed (encoding of Link Capabilities / Link Status bits 3:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LinkSpeed {
    /// 2.5 GT/s (gen 1).
    Gt2_5,
    /// 5 GT/s (gen 2).
    Gt5,
    /// 8 GT/s (gen 3).
    Gt8,
    /// 16 GT/s (gen 4).
    Gt16,
    /// 32 GT/s (gen 5).
    Gt32,
    /// 64 GT/s (gen 6).
    Gt64,
    /// Any other encoding.
    Unknown(u8),
}

impl LinkSpeed {
    const fn from_bits(v: u8) -> Self {
        match v {
            1 => LinkSpeed::Gt2_5,
            2 => LinkSpeed::Gt5,
            3 => LinkSpeed::Gt8,
            4 => LinkSpeed::Gt16,
            5 => LinkSpeed::Gt32,
            6 => LinkSpeed::Gt64,
            other => LinkSpeed::Unknown(other),
        }
    }
}

impl fmt::Display for LinkSpeed {
    /// As `lspci` prints it: `2.5GT/s`, `8GT/s`, `unknown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkSpeed::Gt2_5 => "2.5GT/s",
            LinkSpeed::Gt5 => "5GT/s",
            LinkSpeed::Gt8 => "8GT/s",
            LinkSpeed::Gt16 => "16GT/s",
            LinkSpeed::Gt32 => "32GT/s",
            LinkSpeed::Gt64 => "64GT/s",
            LinkSpeed::Unknown(_) => "unknown",
        })
    }
}

/// The PCI Express capability of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Express {
    addr: Address,
    offset: u8,
    caps: u16,
}

impl Express {
    /// Reads the capability at `offset`.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address, offset: u8) -> Self {
        Self {
            addr,
            offset,
            caps: rd16(access, addr, u16::from(offset) + CAPS),
        }
    }
    /// Offset of the capability.
    pub const fn offset(&self) -> u8 {
        self.offset
    }
    /// Capability version (1 or 2).
    pub const fn version(&self) -> u8 {
        (self.caps & 0xf) as u8
    }
    /// Device/port type.
    pub const fn port_type(&self) -> PortType {
        PortType::from_bits((self.caps >> 4 & 0xf) as u8)
    }
    /// Whether a slot is attached (root and downstream ports).
    pub const fn slot_implemented(&self) -> bool {
        self.caps & (1 << 8) != 0
    }
    /// MSI/MSI-X vector used for this capability's interrupts.
    pub const fn interrupt_message(&self) -> u8 {
        (self.caps >> 9 & 0x1f) as u8
    }
    /// Maximum link speed and width (x1, x4, …), if the function has a link.
    pub fn max_link<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Option<(LinkSpeed, u8)> {
        if !self.port_type().has_link() {
            return None;
        }
        let cap = rd32(access, self.addr, u16::from(self.offset) + LINK_CAP);
        Some((
            LinkSpeed::from_bits((cap & 0xf) as u8),
            (cap >> 4 & 0x3f) as u8,
        ))
    }
    /// Negotiated link speed and width, if the function has a link.
    pub fn link<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Option<(LinkSpeed, u8)> {
        if !self.port_type().has_link() {
            return None;
        }
        let status = rd16(access, self.addr, u16::from(self.offset) + LINK_STATUS);
        Some((
            LinkSpeed::from_bits((status & 0xf) as u8),
            (status >> 4 & 0x3f) as u8,
        ))
    }
}
