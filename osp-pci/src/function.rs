//! One PCI function: its identity read from the header, and helpers for the Command register.

use core::fmt;

use crate::access::{ConfigAccess, rd16, rd32};
use crate::bar::{self, Bar, BarSet, Bars};
use crate::cap::{self, Capabilities, Capability, ExtCapabilities};
use crate::regs::{self, ClassCode, Command, HeaderType, Status};
use crate::{Address, ConfigError};

/// Primary, secondary and subordinate bus numbers of a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BusNumbers {
    /// The bus the bridge sits on, as firmware programmed it.
    pub primary: u8,
    /// The bus directly behind the bridge.
    pub secondary: u8,
    /// The highest bus behind the bridge.
    pub subordinate: u8,
}

/// Identity of one PCI function, as read from its configuration header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Function {
    /// Where it is.
    pub address: Address,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Device ID.
    pub device_id: u16,
    /// Subsystem vendor ID and subsystem ID: from the header for endpoints and CardBus bridges,
    /// from the Bridge Subsystem capability (id 0x0d) for PCI-to-PCI bridges.
    pub subsystem: Option<(u16, u16)>,
    /// Class, subclass and programming interface.
    pub class: ClassCode,
    /// Revision ID.
    pub revision: u8,
    /// Header layout.
    pub header_type: HeaderType,
    /// Header type bit 7: the device has functions 1–7.
    pub multifunction: bool,
    /// Interrupt pin: 0 none, 1–4 INTA#–INTD#.
    pub interrupt_pin: u8,
    /// Interrupt line as firmware programmed it.
    pub interrupt_line: u8,
    /// Bus numbers, for PCI-to-PCI and CardBus bridges.
    pub bus_numbers: Option<BusNumbers>,
}

/// Whether a vendor ID read means "no function here" (all-ones: nothing answered; zero: what
/// some broken bridges return for absent devices).
pub(crate) const fn vendor_absent(vendor: u16) -> bool {
    vendor == 0xffff || vendor == 0
}

impl Function {
    /// Reads the function at `addr`, or `None` when nothing answers there.
    pub fn read<A: ConfigAccess + ?Sized>(access: &mut A, addr: Address) -> Option<Self> {
        let ids = rd32(access, addr, regs::VENDOR_ID);
        if vendor_absent(ids as u16) {
            return None;
        }
        let header = (rd32(access, addr, regs::HEADER_DWORD) >> 16) as u8;
        Some(Self::read_rest(access, addr, ids, header))
    }

    /// Reads the rest of the header once the ID dword and header type byte are known.
    pub(crate) fn read_rest<A: ConfigAccess + ?Sized>(
        access: &mut A,
        addr: Address,
        ids: u32,
        header: u8,
    ) -> Self {
        let class_rev = rd32(access, addr, regs::REVISION);
        let header_type = HeaderType::from_raw(header);
        let interrupt = rd16(access, addr, regs::INTERRUPT);
        let bus_numbers = header_type.is_bridge().then(|| {
            let b = rd32(access, addr, regs::BUS_NUMBERS);
            BusNumbers {
                primary: b as u8,
                secondary: (b >> 8) as u8,
                subordinate: (b >> 16) as u8,
            }
        });
        let mut f = Self {
            address: addr,
            vendor_id: ids as u16,
            device_id: (ids >> 16) as u16,
            subsystem: None,
            class: ClassCode::from_dword(class_rev),
            revision: class_rev as u8,
            header_type,
            multifunction: header & regs::HEADER_MULTIFUNCTION != 0,
            interrupt_pin: (interrupt >> 8) as u8,
            interrupt_line: interrupt as u8,
            bus_numbers,
        };
        f.subsystem = match header_type {
            HeaderType::Endpoint => Some(split(rd32(access, addr, regs::SUBSYSTEM_TYPE0))),
            HeaderType::CardBus => Some(split(rd32(access, addr, regs::SUBSYSTEM_CARDBUS))),
            HeaderType::PciBridge => f
                .find_capability(access, cap::id::BRIDGE_SUBSYSTEM)
                .map(|c| split(rd32(access, addr, u16::from(c.offset) + 4))),
            HeaderType::Unknown(_) => None,
        };
        f
    }

    /// The `lspci -nn` line: `bb:dd.f Class name [cccc]: Device [vvvv:dddd] (rev rr)`.
    ///
    /// The class name comes from [`crate::class_name`]; like `lspci` without vendor names it
    /// prints `Device` before the IDs, `Class` when the class has no name, and the revision only
    /// when it is not 0.
    pub fn lspci_line(&self) -> impl fmt::Display + '_ {
        LspciLine(self)
    }

    /// The Status register.
    pub fn status<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Status {
        Status(rd16(access, self.address, regs::STATUS))
    }

    /// The Command register.
    pub fn command<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Command {
        Command(rd16(access, self.address, regs::COMMAND))
    }

    /// Writes the Command register (a 16-bit write, so Status is untouched).
    pub fn set_command<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        command: Command,
    ) -> Result<(), ConfigError> {
        access.write16(self.address, regs::COMMAND, command.0)
    }

    /// Sets or clears the Command bits in `mask`; returns the value written.
    pub fn modify_command<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        mask: u16,
        on: bool,
    ) -> Result<Command, ConfigError> {
        let value = Command(access.read16(self.address, regs::COMMAND)?).with(mask, on);
        self.set_command(access, value)?;
        Ok(value)
    }

    /// Turns memory-space decoding on or off.
    pub fn set_memory_decode<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        on: bool,
    ) -> Result<Command, ConfigError> {
        self.modify_command(access, Command::MEMORY_SPACE, on)
    }

    /// Turns I/O-space decoding on or off.
    pub fn set_io_decode<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        on: bool,
    ) -> Result<Command, ConfigError> {
        self.modify_command(access, Command::IO_SPACE, on)
    }

    /// Allows or forbids bus mastering (DMA and MSI writes).
    pub fn set_bus_master<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        on: bool,
    ) -> Result<Command, ConfigError> {
        self.modify_command(access, Command::BUS_MASTER, on)
    }

    /// Disables (or re-enables) legacy INTx interrupts.
    pub fn set_intx_disable<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        disabled: bool,
    ) -> Result<Command, ConfigError> {
        self.modify_command(access, Command::INTX_DISABLE, disabled)
    }

    /// The BARs as programmed, without probing sizes (no writes).
    pub fn bars<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Bars {
        let mut raw = [0u32; 6];
        let n = self.header_type.bar_count();
        for (i, r) in raw.iter_mut().take(n.into()).enumerate() {
            *r = rd32(access, self.address, regs::BAR0 + 4 * i as u16);
        }
        Bars::decode(&raw[..n.into()])
    }

    /// The BARs with their sizes, by the standard probe: decoding is turned off in Command,
    /// each BAR is written all-ones and read back, then every register is restored. Only for
    /// live configuration space; see [`bar::size_bars`].
    pub fn size_bars<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
    ) -> Result<BarSet, ConfigError> {
        bar::size_bars(access, self.address, self.header_type)
    }

    /// BAR `index` as programmed (no size), if it is a BAR.
    pub fn bar<A: ConfigAccess + ?Sized>(&self, access: &mut A, index: u8) -> Option<Bar> {
        self.bars(access).find(|b| b.index == index)
    }

    /// The bridge's forwarding windows (PCI-to-PCI bridges only).
    pub fn bridge_windows<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
    ) -> Option<bar::BridgeWindows> {
        (self.header_type == HeaderType::PciBridge)
            .then(|| bar::BridgeWindows::read(access, self.address))
    }

    /// The standard capability list (empty when Status says there is none). The walk is bounded:
    /// it stops at the first offset seen twice, at id 0xff and at a pointer outside the space.
    pub fn capabilities<'a, A: ConfigAccess + ?Sized>(
        &self,
        access: &'a mut A,
    ) -> Capabilities<'a, A> {
        Capabilities::new(access, self.address, self.header_type)
    }

    /// The first standard capability with `id`.
    pub fn find_capability<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
        id: u8,
    ) -> Option<Capability> {
        self.capabilities(access).find(|c| c.id == id)
    }

    /// The extended capability list (PCI Express functions with a 4 KiB space, i.e. through
    /// ECAM; empty otherwise). Bounded like [`capabilities`](Self::capabilities).
    pub fn extended_capabilities<'a, A: ConfigAccess + ?Sized>(
        &self,
        access: &'a mut A,
    ) -> ExtCapabilities<'a, A> {
        let eligible = self
            .capabilities(access)
            .any(|c| c.id == cap::id::PCI_EXPRESS || c.id == cap::id::PCI_X);
        ExtCapabilities::new(access, self.address, eligible)
    }

    /// The MSI capability, typed.
    pub fn msi<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Option<cap::Msi> {
        let c = self.find_capability(access, cap::id::MSI)?;
        Some(cap::Msi::read(access, self.address, c.offset))
    }

    /// The MSI-X capability, typed.
    pub fn msix<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Option<cap::MsiX> {
        let c = self.find_capability(access, cap::id::MSI_X)?;
        Some(cap::MsiX::read(access, self.address, c.offset))
    }

    /// The PCI Express capability, typed.
    pub fn express<A: ConfigAccess + ?Sized>(&self, access: &mut A) -> Option<cap::Express> {
        let c = self.find_capability(access, cap::id::PCI_EXPRESS)?;
        Some(cap::Express::read(access, self.address, c.offset))
    }

    /// The Power Management capability, typed.
    pub fn power_management<A: ConfigAccess + ?Sized>(
        &self,
        access: &mut A,
    ) -> Option<cap::PowerManagement> {
        let c = self.find_capability(access, cap::id::POWER_MANAGEMENT)?;
        Some(cap::PowerManagement::read(access, self.address, c.offset))
    }
}

const fn split(dword: u32) -> (u16, u16) {
    (dword as u16, (dword >> 16) as u16)
}

struct LspciLine<'a>(&'a Function);

impl fmt::Display for LspciLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let func = self.0;
        let class = u16::from(func.class.base) << 8 | u16::from(func.class.sub);
        write!(
            f,
            "{} {} [{class:04x}]: Device [{:04x}:{:04x}]",
            func.address.short(),
            func.class.name().unwrap_or("Class"),
            func.vendor_id,
            func.device_id
        )?;
        if func.revision != 0 {
            write!(f, " (rev {:02x})", func.revision)?;
        }
        Ok(())
    }
}

impl fmt::Display for Function {
    /// Same as [`Function::lspci_line`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        LspciLine(self).fmt(f)
    }
}
