//! Configuration mechanism #1: the 0xCF8 address / 0xCFC data port pair (PCI Local Bus 3.0,
//! §3.2.2.3.2).

use osp_hal::PortIo;

use crate::Address;
use crate::access::{ConfigAccess, Width};

/// CONFIG_ADDRESS port.
const CONFIG_ADDRESS: u16 = 0xcf8;
/// CONFIG_DATA port (the dword; bytes and words use 0xCFC + offset % 4).
const CONFIG_DATA: u16 = 0xcfc;
/// CONFIG_ADDRESS bit 31: enable the configuration cycle.
const ENABLE: u32 = 1 << 31;
/// Size of a function's configuration space through this mechanism.
const SPACE: u16 = 256;

/// Port I/O configuration access (mechanism #1) for segment 0, 256 bytes per function.
///
/// Each access writes CONFIG_ADDRESS and then accesses CONFIG_DATA, so it is not atomic: the
/// caller must serialise configuration accesses (hold the `PortCam` behind one lock).
#[derive(Debug)]
pub struct PortCam<P> {
    ports: P,
}

impl<P: PortIo> PortCam<P> {
    /// Configuration access through `ports`.
    pub const fn new(ports: P) -> Self {
        Self { ports }
    }

    /// Gives the port access back.
    pub fn into_inner(self) -> P {
        self.ports
    }

    /// Selects `addr`/`offset` in CONFIG_ADDRESS and returns the data port for `offset`, or
    /// `None` when the mechanism cannot address it.
    fn select(&mut self, addr: Address, offset: u16) -> Option<u16> {
        if addr.segment() != 0 || offset >= SPACE {
            return None;
        }
        let value = ENABLE
            | u32::from(addr.bus()) << 16
            | u32::from(addr.device()) << 11
            | u32::from(addr.function()) << 8
            | u32::from(offset & 0xfc);
        self.ports.write32(CONFIG_ADDRESS, value);
        Some(CONFIG_DATA + (offset & 3))
    }
}

impl<P: PortIo> ConfigAccess for PortCam<P> {
    fn space_len(&self, addr: Address) -> u16 {
        if addr.segment() == 0 { SPACE } else { 0 }
    }

    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        match self.select(addr, offset) {
            None => width.mask(),
            Some(port) => match width {
                Width::Byte => self.ports.read8(port).into(),
                Width::Word => self.ports.read16(port).into(),
                Width::Dword => self.ports.read32(port),
            },
        }
    }

    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32) {
        if let Some(port) = self.select(addr, offset) {
            match width {
                Width::Byte => self.ports.write8(port, value as u8),
                Width::Word => self.ports.write16(port, value as u16),
                Width::Dword => self.ports.write32(port, value),
            }
        }
    }
}
