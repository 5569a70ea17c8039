//! Soft-off (S5) and reset through the FADT's fixed hardware, via a small I/O trait.

use core::fmt;

use osp_hal::PortIo;

use crate::aml::{S5Error, SleepType};
use crate::fadt::{Block, Fadt};
use crate::gas::{AddressSpace, GenericAddress};

/// PM1 control: `SLP_TYP` field position (bits 12:10).
pub const PM1_SLP_TYP_SHIFT: u32 = 10;
/// PM1 control: `SLP_TYP` mask.
pub const PM1_SLP_TYP_MASK: u32 = 0x7 << PM1_SLP_TYP_SHIFT;
/// PM1 control: `SLP_EN` (bit 13).
pub const PM1_SLP_EN: u32 = 1 << 13;
/// PM1 control: `SCI_EN` (bit 0): set while the platform is in ACPI mode (ACPI 6.5 §4.8.3.2.1).
pub const PM1_SCI_EN: u32 = 1;
/// PM1 status: `WAK_STS` (bit 15), write 1 to clear.
pub const PM1_WAK_STS: u32 = 1 << 15;
/// Sleep control register (hardware-reduced): `SLP_TYP` at bits 4:2.
pub const SLEEP_CONTROL_TYP_SHIFT: u32 = 2;
/// Sleep control register: `SLP_EN` (bit 5).
pub const SLEEP_CONTROL_EN: u8 = 1 << 5;
/// Sleep status register: `WAK_STS` (bit 7).
pub const SLEEP_STATUS_WAK: u8 = 1 << 7;

/// Width of one register access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Width {
    /// 8 bits.
    U8,
    /// 16 bits.
    U16,
    /// 32 bits.
    U32,
    /// 64 bits.
    U64,
}

/// Register access the kernel provides: x86 ports (from [`PortIo`]) and physical memory.
///
/// The kernel implements the memory half with volatile accesses to its (uncached) mapping of
/// `phys`; tests implement it with a recording fake.
pub trait AcpiIo: PortIo {
    /// Reads `width` at physical address `phys`.
    fn read_memory(&mut self, phys: u64, width: Width) -> u64;
    /// Writes `width` at physical address `phys`.
    fn write_memory(&mut self, phys: u64, width: Width, value: u64);
}

impl<T: AcpiIo + ?Sized> AcpiIo for &mut T {
    fn read_memory(&mut self, phys: u64, width: Width) -> u64 {
        (**self).read_memory(phys, width)
    }
    fn write_memory(&mut self, phys: u64, width: Width, value: u64) {
        (**self).write_memory(phys, width, value)
    }
}

/// Why a power operation could not be performed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PowerError {
    /// There is no usable FADT.
    NoFadt,
    /// The `\_S5` sleep types are unknown.
    NoSleepType(S5Error),
    /// Neither a PM1a control block nor a sleep control register is described.
    NoControlRegister,
    /// The FADT does not declare a reset register (flag bit 10 clear, or zero address).
    ResetUnsupported,
    /// A register lives in an address space or at an address this crate cannot access.
    UnsupportedRegister {
        /// Its space.
        space: AddressSpace,
        /// Its address.
        address: u64,
    },
    /// `ACPI_ENABLE` was written to `SMI_CMD` but `SCI_EN` never came on.
    AcpiModeTimeout {
        /// How many times PM1a control was read.
        polls: u32,
    },
}

impl fmt::Display for PowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoFadt => write!(f, "no usable FADT"),
            Self::NoSleepType(e) => write!(f, "S5 sleep type unknown: {e}"),
            Self::NoControlRegister => write!(f, "no PM1a control block or sleep control register"),
            Self::ResetUnsupported => write!(f, "FADT has no supported reset register"),
            Self::UnsupportedRegister { space, address } => {
                write!(f, "cannot access register {address:#x} in {space:?}")
            }
            Self::AcpiModeTimeout { polls } => {
                write!(f, "SCI_EN still clear after ACPI_ENABLE and {polls} polls")
            }
        }
    }
}

impl core::error::Error for PowerError {}

/// The access width for a register: the GAS access size when given, else its bit width.
fn width(g: &GenericAddress) -> Width {
    match g.access_size {
        1 => Width::U8,
        2 => Width::U16,
        3 => Width::U32,
        4 => Width::U64,
        _ => match u32::from(g.bit_width) + u32::from(g.bit_offset) {
            0..=8 => Width::U8,
            9..=16 => Width::U16,
            17..=32 => Width::U32,
            _ => Width::U64,
        },
    }
}

fn unsupported(g: &GenericAddress) -> PowerError {
    PowerError::UnsupportedRegister {
        space: g.space,
        address: g.address,
    }
}

fn port(g: &GenericAddress) -> Result<u16, PowerError> {
    u16::try_from(g.address).map_err(|_| unsupported(g))
}

/// Reads register `g`.
pub fn read_register<I: AcpiIo + ?Sized>(
    io: &mut I,
    g: &GenericAddress,
) -> Result<u64, PowerError> {
    let w = width(g);
    match g.space {
        AddressSpace::SystemIo => {
            let p = port(g)?;
            Ok(match w {
                Width::U8 => u64::from(io.read8(p)),
                Width::U16 => u64::from(io.read16(p)),
                Width::U32 => u64::from(io.read32(p)),
                Width::U64 => return Err(unsupported(g)),
            })
        }
        AddressSpace::SystemMemory => Ok(io.read_memory(g.address, w)),
        _ => Err(unsupported(g)),
    }
}

/// Writes `value` to register `g` (PCI configuration space registers through mechanism #1,
/// segment 0, bus 0, as the FADT reset register defines them).
pub fn write_register<I: AcpiIo + ?Sized>(
    io: &mut I,
    g: &GenericAddress,
    value: u64,
) -> Result<(), PowerError> {
    let w = width(g);
    match g.space {
        AddressSpace::SystemIo => {
            let p = port(g)?;
            match w {
                Width::U8 => io.write8(p, value as u8),
                Width::U16 => io.write16(p, value as u16),
                Width::U32 => io.write32(p, value as u32),
                Width::U64 => return Err(unsupported(g)),
            }
        }
        AddressSpace::SystemMemory => io.write_memory(g.address, w, value),
        AddressSpace::PciConfig => {
            // Address: device in bits 47:32, function in 31:16, register offset in 15:0.
            let device = (g.address >> 32) & 0xffff;
            let function = (g.address >> 16) & 0xffff;
            let offset = g.address & 0xffff;
            if device > 31 || function > 7 || offset > 0xff || w != Width::U8 {
                return Err(unsupported(g));
            }
            let addr = 0x8000_0000 | (device << 11) | (function << 8) | (offset & 0xfc);
            io.write32(0xcf8, addr as u32);
            io.write8(0xcfc + (offset & 3) as u16, value as u8);
        }
        AddressSpace::Other(_) => return Err(unsupported(g)),
    }
    Ok(())
}

/// How [`enable_acpi_mode`] found or left the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AcpiMode {
    /// `SCI_EN` was already set (firmware or a previous OS enabled ACPI mode).
    AlreadyEnabled,
    /// `ACPI_ENABLE` was written to `SMI_CMD`; `SCI_EN` came on after this many polls.
    Enabled {
        /// PM1a control reads until `SCI_EN` was seen.
        polls: u32,
    },
    /// Hardware-reduced ACPI: there is no legacy mode to leave.
    HardwareReduced,
    /// No `SMI_CMD` port or `ACPI_ENABLE` value: the platform is always in ACPI mode.
    AlwaysAcpi,
}

/// Takes the platform from legacy (SMM-owned) mode into ACPI mode, as an OS does before it uses
/// the fixed hardware (ACPI 6.5 §4.8.2.5 and §16.3.1): when `SCI_EN` is clear and the FADT gives
/// `SMI_CMD` and `ACPI_ENABLE`, write the latter to the former, then poll PM1a control until
/// `SCI_EN` is set, at most `max_polls` times (the firmware's SMI handler may take a while; a
/// port read is about a microsecond, so 3 000 000 polls bound the wait to a few seconds). On
/// many machines PM1 control writes, such as entering S5, are ignored in legacy mode.
pub fn enable_acpi_mode<I: AcpiIo + ?Sized>(
    io: &mut I,
    fadt: &Fadt<'_>,
    max_polls: u32,
) -> Result<AcpiMode, PowerError> {
    if fadt.hw_reduced() {
        return Ok(AcpiMode::HardwareReduced);
    }
    let pm1a = fadt
        .block(Block::Pm1aControl)
        .ok_or(PowerError::NoControlRegister)?;
    let sci_en = |io: &mut I| -> Result<bool, PowerError> {
        Ok(read_register(io, &pm1a)? as u32 & PM1_SCI_EN != 0)
    };
    if sci_en(io)? {
        return Ok(AcpiMode::AlreadyEnabled);
    }
    let smi = fadt.smi_cmd().filter(|&p| p != 0);
    let value = fadt.acpi_enable().filter(|&v| v != 0);
    let (Some(smi), Some(value)) = (smi, value) else {
        return Ok(AcpiMode::AlwaysAcpi);
    };
    let port = u16::try_from(smi).map_err(|_| PowerError::UnsupportedRegister {
        space: AddressSpace::SystemIo,
        address: u64::from(smi),
    })?;
    io.write8(port, value);
    for polls in 1..=max_polls {
        if sci_en(io)? {
            return Ok(AcpiMode::Enabled { polls });
        }
    }
    Err(PowerError::AcpiModeTimeout { polls: max_polls })
}

/// Enters the sleep state `sleep` (S5 with `\_S5`'s values): ACPICA's sequence.
///
/// Hardware-reduced platforms (or FADTs without PM1a control but with a sleep control register):
/// clear `WAK_STS` in the sleep status register, then write `SLP_TYPa << 2 | SLP_EN` to the sleep
/// control register. Otherwise: clear `WAK_STS` in PM1a/PM1b status, read PM1a control, clear its
/// `SLP_TYP`/`SLP_EN` bits, write `SLP_TYPx << 10` to PM1a and PM1b control, then the same with
/// `SLP_EN` (bit 13). Returns after the writes; on real hardware the machine is off by then.
pub fn enter_sleep<I: AcpiIo + ?Sized>(
    io: &mut I,
    fadt: &Fadt<'_>,
    sleep: SleepType,
) -> Result<(), PowerError> {
    let pm1a = fadt.block(Block::Pm1aControl);
    let control = fadt.sleep_control().filter(GenericAddress::is_present);
    if let Some(ctl) = control.filter(|_| fadt.hw_reduced() || pm1a.is_none()) {
        if let Some(status) = fadt.sleep_status().filter(GenericAddress::is_present) {
            write_register(io, &status, u64::from(SLEEP_STATUS_WAK))?;
        }
        let typ = (sleep.slp_typa << SLEEP_CONTROL_TYP_SHIFT) & 0x1c;
        return write_register(io, &ctl, u64::from(typ | SLEEP_CONTROL_EN));
    }
    let pm1a = pm1a.ok_or(PowerError::NoControlRegister)?;
    let pm1b = fadt.block(Block::Pm1bControl);
    // PM1 status is the first half of each PM1 event block.
    for evt in [Block::Pm1aEvent, Block::Pm1bEvent] {
        if let Some(mut status) = fadt.block(evt) {
            status.bit_width /= 2;
            status.access_size = 0;
            write_register(io, &status, u64::from(PM1_WAK_STS))?;
        }
    }
    let current = read_register(io, &pm1a)? as u32 & !(PM1_SLP_TYP_MASK | PM1_SLP_EN);
    let a = current | (u32::from(sleep.slp_typa) << PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK;
    let b = current | (u32::from(sleep.slp_typb) << PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK;
    write_register(io, &pm1a, u64::from(a))?;
    if let Some(pm1b) = &pm1b {
        write_register(io, pm1b, u64::from(b))?;
    }
    write_register(io, &pm1a, u64::from(a | PM1_SLP_EN))?;
    if let Some(pm1b) = &pm1b {
        write_register(io, pm1b, u64::from(b | PM1_SLP_EN))?;
    }
    Ok(())
}

/// Writes the FADT reset value to the reset register, when the FADT declares one (flag bit 10
/// and a non-zero address). The caller falls back to other methods if the machine keeps running.
pub fn reset<I: AcpiIo + ?Sized>(io: &mut I, fadt: &Fadt<'_>) -> Result<(), PowerError> {
    let reg = fadt
        .reset_register()
        .filter(|r| r.is_present() && fadt.reset_supported())
        .ok_or(PowerError::ResetUnsupported)?;
    let value = fadt.reset_value().ok_or(PowerError::ResetUnsupported)?;
    let reg = GenericAddress {
        access_size: 1,
        ..reg
    };
    write_register(io, &reg, u64::from(value))
}
