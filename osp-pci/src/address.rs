//! PCI function addresses.

use core::fmt;

/// The address of one PCI function: segment (domain), bus, device and function.
///
/// `Display` prints the canonical `ssss:bb:dd.f` form; [`Address::short`] prints what `lspci`
/// prints (`bb:dd.f`, with the domain only when it is not 0).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Address {
    segment: u16,
    bus: u8,
    device: u8,
    function: u8,
}

impl Address {
    /// Number of devices on a bus.
    pub const DEVICES: u8 = 32;
    /// Number of functions of a device.
    pub const FUNCTIONS: u8 = 8;

    /// The function `segment:bus:device.function`; `device` is taken modulo 32 and `function`
    /// modulo 8, the widths the hardware has.
    pub const fn new(segment: u16, bus: u8, device: u8, function: u8) -> Self {
        Self {
            segment,
            bus,
            device: device & 0x1f,
            function: function & 0x7,
        }
    }

    /// The segment (PCI domain).
    pub const fn segment(self) -> u16 {
        self.segment
    }
    /// The bus number.
    pub const fn bus(self) -> u8 {
        self.bus
    }
    /// The device number (0–31).
    pub const fn device(self) -> u8 {
        self.device
    }
    /// The function number (0–7).
    pub const fn function(self) -> u8 {
        self.function
    }

    /// The same device, function `function`.
    pub const fn with_function(self, function: u8) -> Self {
        Self::new(self.segment, self.bus, self.device, function)
    }

    /// `lspci`'s form: `bb:dd.f`, prefixed by `ssss:` when the segment is not 0.
    pub fn short(self) -> impl fmt::Display {
        Short(self)
    }
}

struct Short(Address);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        if a.segment != 0 {
            write!(f, "{:04x}:", a.segment)?;
        }
        write!(f, "{:02x}:{:02x}.{:x}", a.bus, a.device, a.function)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.segment, self.bus, self.device, self.function
        )
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
