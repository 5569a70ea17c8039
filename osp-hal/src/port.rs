//! x86 port I/O.

/// Access to the x86 I/O port space (`in`/`out`), for devices and firmware interfaces that live
/// there: PCI configuration mechanism #1, ACPI PM1 blocks, the 16550 UART.
///
/// The kernel implements it with the `in`/`out` instructions; tests implement it with a model.
pub trait PortIo {
    /// Reads a byte from `port`.
    fn read8(&mut self, port: u16) -> u8;
    /// Reads a 16-bit word from `port`.
    fn read16(&mut self, port: u16) -> u16;
    /// Reads a 32-bit word from `port`.
    fn read32(&mut self, port: u16) -> u32;
    /// Writes a byte to `port`.
    fn write8(&mut self, port: u16, value: u8);
    /// Writes a 16-bit word to `port`.
    fn write16(&mut self, port: u16, value: u16);
    /// Writes a 32-bit word to `port`.
    fn write32(&mut self, port: u16, value: u32);
}

impl<P: PortIo + ?Sized> PortIo for &mut P {
    fn read8(&mut self, port: u16) -> u8 {
        (**self).read8(port)
    }
    fn read16(&mut self, port: u16) -> u16 {
        (**self).read16(port)
    }
    fn read32(&mut self, port: u16) -> u32 {
        (**self).read32(port)
    }
    fn write8(&mut self, port: u16, value: u8) {
        (**self).write8(port, value)
    }
    fn write16(&mut self, port: u16, value: u16) {
        (**self).write16(port, value)
    }
    fn write32(&mut self, port: u16, value: u32) {
        (**self).write32(port, value)
    }
}
