//! The Fixed ACPI Description Table (ACPI 6.5 §5.2.9).
//!
//! Every field is gated on the table's length, never on its revision byte: real FADTs claim
//! revisions whose fields their length does not contain (ACPICA: "the FADT revision value is
//! unreliable; only the length can be trusted"). A field outside the length reads as `None`.

use crate::bytes::{u8_at, u16_at, u32_at, u64_at};
use crate::diag::{Diagnostic, DiagnosticKind, FadtField};
use crate::gas::GenericAddress;
use crate::{Sdt, Signature, TableError};

/// Flag bit: the reset register is supported (`RESET_REG_SUP`).
pub const FLAG_RESET_REG_SUP: u32 = 1 << 10;
/// Flag bit: hardware-reduced ACPI (`HW_REDUCED_ACPI`).
pub const FLAG_HW_REDUCED: u32 = 1 << 20;

/// Byte offsets of the fixed fields.
mod off {
    pub const FIRMWARE_CTRL: usize = 36;
    pub const DSDT: usize = 40;
    pub const PREFERRED_PM_PROFILE: usize = 45;
    pub const SCI_INT: usize = 46;
    pub const SMI_CMD: usize = 48;
    pub const ACPI_ENABLE: usize = 52;
    pub const ACPI_DISABLE: usize = 53;
    pub const IAPC_BOOT_ARCH: usize = 109;
    pub const FLAGS: usize = 112;
    pub const RESET_REG: usize = 116;
    pub const RESET_VALUE: usize = 128;
    pub const X_FIRMWARE_CTRL: usize = 132;
    pub const X_DSDT: usize = 140;
    pub const SLEEP_CONTROL_REG: usize = 244;
    pub const SLEEP_STATUS_REG: usize = 256;
    pub const HYPERVISOR_VENDOR: usize = 268;
}

/// A fixed-hardware register block the FADT describes in both a 32-bit and a GAS form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Block {
    /// PM1a event (status + enable) block.
    Pm1aEvent,
    /// PM1b event block.
    Pm1bEvent,
    /// PM1a control block.
    Pm1aControl,
    /// PM1b control block.
    Pm1bControl,
    /// PM2 control block.
    Pm2Control,
    /// Power management timer.
    PmTimer,
    /// General-purpose event block 0.
    Gpe0,
    /// General-purpose event block 1.
    Gpe1,
}

impl Block {
    /// All blocks, in table order.
    pub const ALL: [Block; 8] = [
        Self::Pm1aEvent,
        Self::Pm1bEvent,
        Self::Pm1aControl,
        Self::Pm1bControl,
        Self::Pm2Control,
        Self::PmTimer,
        Self::Gpe0,
        Self::Gpe1,
    ];

    /// (32-bit address offset, length byte offset, GAS offset).
    fn offsets(self) -> (usize, usize, usize) {
        match self {
            Self::Pm1aEvent => (56, 88, 148),
            Self::Pm1bEvent => (60, 88, 160),
            Self::Pm1aControl => (64, 89, 172),
            Self::Pm1bControl => (68, 89, 184),
            Self::Pm2Control => (72, 90, 196),
            Self::PmTimer => (76, 91, 208),
            Self::Gpe0 => (80, 92, 220),
            Self::Gpe1 => (84, 93, 232),
        }
    }
}

/// A FADT view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fadt<'a> {
    sdt: Sdt<'a>,
}

/// The smallest length each revision's fields need (revision 2 is ACPI 1.0b's, up to the reset
/// value).
fn expected_length(revision: u8) -> u32 {
    match revision {
        0 | 1 => 116,
        2 => 129,
        3 | 4 => 244,
        5 => 268,
        _ => 276,
    }
}

/// Picks the address the OS uses from a 32-bit and a 64-bit field, as ACPICA does: the 64-bit
/// one when present and non-zero, else the 32-bit one; zero means absent.
fn select(legacy: Option<u32>, extended: Option<u64>) -> Option<u64> {
    match (legacy, extended) {
        (_, Some(x)) if x != 0 => Some(x),
        (Some(l), _) if l != 0 => Some(u64::from(l)),
        _ => None,
    }
}

impl<'a> Fadt<'a> {
    /// Views `sdt` as a FADT (its signature must be `FACP`).
    pub fn new(sdt: Sdt<'a>) -> Result<Self, TableError> {
        Ok(Self {
            sdt: sdt.expect(Signature::FADT)?,
        })
    }

    /// The underlying table.
    pub fn sdt(&self) -> Sdt<'a> {
        self.sdt
    }

    fn b(&self) -> &'a [u8] {
        self.sdt.bytes()
    }

    /// 32-bit FACS address (`FIRMWARE_CTRL`).
    pub fn firmware_ctrl(&self) -> Option<u32> {
        u32_at(self.b(), off::FIRMWARE_CTRL)
    }

    /// 64-bit FACS address (`X_FIRMWARE_CTRL`).
    pub fn x_firmware_ctrl(&self) -> Option<u64> {
        u64_at(self.b(), off::X_FIRMWARE_CTRL)
    }

    /// 32-bit DSDT address.
    pub fn dsdt32(&self) -> Option<u32> {
        u32_at(self.b(), off::DSDT)
    }

    /// 64-bit DSDT address (`X_DSDT`).
    pub fn x_dsdt(&self) -> Option<u64> {
        u64_at(self.b(), off::X_DSDT)
    }

    /// The FACS address the OS uses (64-bit field wins when non-zero).
    pub fn facs_address(&self) -> Option<u64> {
        select(self.firmware_ctrl(), self.x_firmware_ctrl())
    }

    /// The DSDT address the OS uses (64-bit field wins when non-zero).
    pub fn dsdt_address(&self) -> Option<u64> {
        select(self.dsdt32(), self.x_dsdt())
    }

    /// Preferred power management profile (1 desktop, 2 mobile, 4 enterprise server, …).
    pub fn preferred_pm_profile(&self) -> Option<u8> {
        u8_at(self.b(), off::PREFERRED_PM_PROFILE)
    }

    /// The SCI interrupt (an ISA IRQ, to be mapped through the MADT's overrides).
    pub fn sci_int(&self) -> Option<u16> {
        u16_at(self.b(), off::SCI_INT)
    }

    /// The SMI command port (0: no SMI command port, the system is always in ACPI mode).
    pub fn smi_cmd(&self) -> Option<u32> {
        u32_at(self.b(), off::SMI_CMD)
    }

    /// Value to write to `smi_cmd` to enter ACPI mode.
    pub fn acpi_enable(&self) -> Option<u8> {
        u8_at(self.b(), off::ACPI_ENABLE)
    }

    /// Value to write to `smi_cmd` to leave ACPI mode.
    pub fn acpi_disable(&self) -> Option<u8> {
        u8_at(self.b(), off::ACPI_DISABLE)
    }

    /// IA-PC boot architecture flags (bit 0 legacy devices, bit 1 8042, bit 2 no VGA, bit 3 no
    /// MSI, bit 4 no ASPM control, bit 5 no CMOS RTC), raw.
    pub fn iapc_boot_arch(&self) -> Option<u16> {
        u16_at(self.b(), off::IAPC_BOOT_ARCH)
    }

    /// Fixed feature flags, raw.
    pub fn flags(&self) -> Option<u32> {
        u32_at(self.b(), off::FLAGS)
    }

    /// Hardware-reduced ACPI (flag bit 20): no PM1 blocks; sleep through the sleep registers.
    pub fn hw_reduced(&self) -> bool {
        self.flags().is_some_and(|f| f & FLAG_HW_REDUCED != 0)
    }

    /// Whether the reset register is supported (flag bit 10).
    pub fn reset_supported(&self) -> bool {
        self.flags().is_some_and(|f| f & FLAG_RESET_REG_SUP != 0)
    }

    /// The reset register, whatever the flags say (check [`reset_supported`](Self::reset_supported)).
    pub fn reset_register(&self) -> Option<GenericAddress> {
        GenericAddress::read(self.b(), off::RESET_REG)
    }

    /// Value to write to the reset register.
    pub fn reset_value(&self) -> Option<u8> {
        u8_at(self.b(), off::RESET_VALUE)
    }

    /// Hardware-reduced sleep control register.
    pub fn sleep_control(&self) -> Option<GenericAddress> {
        GenericAddress::read(self.b(), off::SLEEP_CONTROL_REG)
    }

    /// Hardware-reduced sleep status register.
    pub fn sleep_status(&self) -> Option<GenericAddress> {
        GenericAddress::read(self.b(), off::SLEEP_STATUS_REG)
    }

    /// Hypervisor vendor identity.
    pub fn hypervisor_vendor(&self) -> Option<u64> {
        u64_at(self.b(), off::HYPERVISOR_VENDOR)
    }

    /// The 32-bit address of `block` and its length byte.
    pub fn legacy_block(&self, block: Block) -> Option<(u32, u8)> {
        let (addr, len, _) = block.offsets();
        Some((u32_at(self.b(), addr)?, u8_at(self.b(), len)?))
    }

    /// The GAS (`X_`) form of `block`.
    pub fn x_block(&self, block: Block) -> Option<GenericAddress> {
        GenericAddress::read(self.b(), block.offsets().2)
    }

    /// The register block the OS uses: the `X_` GAS when present with a non-zero address, else
    /// the 32-bit I/O port block (as a GAS of the given length). `None` when neither exists.
    pub fn block(&self, block: Block) -> Option<GenericAddress> {
        if let Some(x) = self.x_block(block).filter(GenericAddress::is_present) {
            return Some(x);
        }
        let (addr, len) = self.legacy_block(block)?;
        (addr != 0).then(|| GenericAddress::io(addr, len))
    }

    /// Reports what is odd about this FADT: a revision promising fields the length lacks, and
    /// 32/64-bit address pairs that disagree.
    pub fn check(&self, sink: &mut impl FnMut(Diagnostic)) {
        let mut emit = |kind| {
            sink(Diagnostic {
                table: Signature::FADT,
                kind,
            })
        };
        let (revision, length) = (self.sdt.revision(), self.sdt.length());
        if length < expected_length(revision) {
            emit(DiagnosticKind::RevisionLengthMismatch { revision, length });
        }
        let pairs = [
            (
                FadtField::Facs,
                self.firmware_ctrl(),
                self.x_firmware_ctrl(),
            ),
            (FadtField::Dsdt, self.dsdt32(), self.x_dsdt()),
        ];
        let blocks = Block::ALL.map(|b| {
            (
                FadtField::Block(b),
                self.legacy_block(b).map(|(a, _)| a),
                self.x_block(b).map(|g| g.address),
            )
        });
        for (field, legacy, extended) in pairs.into_iter().chain(blocks) {
            if let (Some(legacy), Some(extended)) = (legacy, extended) {
                if legacy != 0 && extended != 0 && u64::from(legacy) != extended {
                    emit(DiagnosticKind::AddressMismatch {
                        field,
                        legacy,
                        extended,
                    });
                }
            }
        }
    }
}
