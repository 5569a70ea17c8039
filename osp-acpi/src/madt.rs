//! The Multiple APIC Description Table (ACPI 6.5 §5.2.12): CPUs, I/O APICs, interrupt overrides.
//!
//! The entry walk is total: a zero-length entry or one running past the table ends it (with a
//! diagnostic), an entry too short for its type is skipped, unknown types are yielded raw. It
//! never loops and never reads outside the table.

use crate::bytes::{u8_at, u16_at, u32_at, u64_at};
use crate::diag::{Diagnostic, DiagnosticKind};
use crate::{Sdt, Signature, TableError};

const ENTRIES: usize = 44;

/// Entry type numbers.
pub mod entry_type {
    /// Processor local APIC.
    pub const LOCAL_APIC: u8 = 0;
    /// I/O APIC.
    pub const IO_APIC: u8 = 1;
    /// Interrupt source override.
    pub const INTERRUPT_SOURCE_OVERRIDE: u8 = 2;
    /// Non-maskable interrupt source.
    pub const NMI_SOURCE: u8 = 3;
    /// Local APIC NMI.
    pub const LOCAL_APIC_NMI: u8 = 4;
    /// Local APIC address override.
    pub const LOCAL_APIC_ADDRESS_OVERRIDE: u8 = 5;
    /// Processor local x2APIC.
    pub const LOCAL_X2APIC: u8 = 9;
    /// Local x2APIC NMI.
    pub const LOCAL_X2APIC_NMI: u8 = 0xa;
    /// Multiprocessor wakeup (TDX guests).
    pub const MULTIPROCESSOR_WAKEUP: u8 = 0x10;
}

/// Processor local APIC (type 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LocalApic {
    /// ACPI processor UID.
    pub processor_uid: u8,
    /// APIC id.
    pub apic_id: u8,
    /// Flags: bit 0 enabled, bit 1 online capable.
    pub flags: u32,
}

/// Processor local x2APIC (type 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LocalX2Apic {
    /// ACPI processor UID.
    pub processor_uid: u32,
    /// x2APIC id.
    pub x2apic_id: u32,
    /// Flags: bit 0 enabled, bit 1 online capable.
    pub flags: u32,
}

/// Local APIC flag bit: the processor is enabled.
pub const LAPIC_ENABLED: u32 = 1;
/// Local APIC flag bit: the processor can be brought online (when not enabled).
pub const LAPIC_ONLINE_CAPABLE: u32 = 2;

impl LocalApic {
    /// Whether the processor is usable now.
    pub fn enabled(&self) -> bool {
        self.flags & LAPIC_ENABLED != 0
    }
}

impl LocalX2Apic {
    /// Whether the processor is usable now.
    pub fn enabled(&self) -> bool {
        self.flags & LAPIC_ENABLED != 0
    }
}

/// I/O APIC (type 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IoApic {
    /// I/O APIC id.
    pub id: u8,
    /// Physical address of its registers.
    pub address: u32,
    /// First global system interrupt it serves.
    pub gsi_base: u32,
}

/// Interrupt source override (type 2): ISA IRQ `source` arrives on `gsi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InterruptSourceOverride {
    /// Bus (0: ISA).
    pub bus: u8,
    /// ISA IRQ.
    pub source: u8,
    /// Global system interrupt.
    pub gsi: u32,
    /// MPS INTI flags: bits 1:0 polarity, bits 3:2 trigger mode.
    pub flags: u16,
}

/// NMI source (type 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NmiSource {
    /// MPS INTI flags.
    pub flags: u16,
    /// Global system interrupt.
    pub gsi: u32,
}

/// Local APIC NMI (type 4) or local x2APIC NMI (type 10, with a 32-bit UID).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LocalApicNmi {
    /// ACPI processor UID (0xFF, or 0xFFFFFFFF for x2APIC, means all processors).
    pub processor_uid: u32,
    /// MPS INTI flags.
    pub flags: u16,
    /// LINT input (0 or 1 on sane firmware; kept raw).
    pub lint: u8,
}

/// One MADT entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MadtEntry<'a> {
    /// Type 0.
    LocalApic(LocalApic),
    /// Type 1.
    IoApic(IoApic),
    /// Type 2.
    InterruptSourceOverride(InterruptSourceOverride),
    /// Type 3.
    NmiSource(NmiSource),
    /// Type 4.
    LocalApicNmi(LocalApicNmi),
    /// Type 5: the 64-bit local APIC address that replaces the header's.
    LocalApicAddressOverride(u64),
    /// Type 9.
    LocalX2Apic(LocalX2Apic),
    /// Type 10.
    LocalX2ApicNmi(LocalApicNmi),
    /// Type 16: mailbox version and physical address of the wakeup mailbox.
    MultiprocessorWakeup {
        /// Mailbox version.
        version: u16,
        /// Mailbox physical address.
        mailbox: u64,
    },
    /// A known type whose length is too short for its fields (skipped by the typed iterators).
    Short {
        /// Entry type.
        entry_type: u8,
        /// Offset in the table.
        offset: u32,
        /// The entry, header included.
        data: &'a [u8],
    },
    /// Any other type (GIC, SAPIC, reserved, OEM), raw.
    Other {
        /// Entry type.
        entry_type: u8,
        /// The entry, header included.
        data: &'a [u8],
    },
}

fn decode(t: u8, e: &[u8]) -> Option<MadtEntry<'_>> {
    use entry_type as ty;
    Some(match t {
        ty::LOCAL_APIC => MadtEntry::LocalApic(LocalApic {
            processor_uid: u8_at(e, 2)?,
            apic_id: u8_at(e, 3)?,
            flags: u32_at(e, 4)?,
        }),
        ty::IO_APIC => MadtEntry::IoApic(IoApic {
            id: u8_at(e, 2)?,
            address: u32_at(e, 4)?,
            gsi_base: u32_at(e, 8)?,
        }),
        ty::INTERRUPT_SOURCE_OVERRIDE => {
            MadtEntry::InterruptSourceOverride(InterruptSourceOverride {
                bus: u8_at(e, 2)?,
                source: u8_at(e, 3)?,
                gsi: u32_at(e, 4)?,
                flags: u16_at(e, 8)?,
            })
        }
        ty::NMI_SOURCE => MadtEntry::NmiSource(NmiSource {
            flags: u16_at(e, 2)?,
            gsi: u32_at(e, 4)?,
        }),
        ty::LOCAL_APIC_NMI => MadtEntry::LocalApicNmi(LocalApicNmi {
            processor_uid: u32::from(u8_at(e, 2)?),
            flags: u16_at(e, 3)?,
            lint: u8_at(e, 5)?,
        }),
        ty::LOCAL_APIC_ADDRESS_OVERRIDE => MadtEntry::LocalApicAddressOverride(u64_at(e, 4)?),
        ty::LOCAL_X2APIC => MadtEntry::LocalX2Apic(LocalX2Apic {
            x2apic_id: u32_at(e, 4)?,
            flags: u32_at(e, 8)?,
            processor_uid: u32_at(e, 12)?,
        }),
        ty::LOCAL_X2APIC_NMI => MadtEntry::LocalX2ApicNmi(LocalApicNmi {
            flags: u16_at(e, 2)?,
            processor_uid: u32_at(e, 4)?,
            lint: u8_at(e, 8)?,
        }),
        ty::MULTIPROCESSOR_WAKEUP => MadtEntry::MultiprocessorWakeup {
            version: u16_at(e, 2)?,
            mailbox: u64_at(e, 8)?,
        },
        _ => MadtEntry::Other {
            entry_type: t,
            data: e,
        },
    })
}

/// Iterator over MADT entries. After it returns `None`, [`stop`](Self::stop) says whether the
/// walk ended early.
#[derive(Clone, Debug)]
pub struct MadtEntries<'a> {
    b: &'a [u8],
    off: usize,
    stop: Option<DiagnosticKind>,
}

impl<'a> MadtEntries<'a> {
    /// Why the walk ended before the end of the table (zero-length or truncated entry), if it did.
    pub fn stop(&self) -> Option<DiagnosticKind> {
        self.stop
    }
}

impl<'a> Iterator for MadtEntries<'a> {
    type Item = MadtEntry<'a>;

    fn next(&mut self) -> Option<MadtEntry<'a>> {
        let rest = self.b.get(self.off..).filter(|r| !r.is_empty())?;
        let offset = self.off as u32;
        let (Some(t), Some(len)) = (u8_at(rest, 0), u8_at(rest, 1)) else {
            self.stop = Some(DiagnosticKind::TruncatedEntry { offset, length: 0 });
            self.off = self.b.len();
            return None;
        };
        if len == 0 {
            self.stop = Some(DiagnosticKind::ZeroLengthEntry { offset });
            self.off = self.b.len();
            return None;
        }
        let Some(e) = rest.get(..usize::from(len)) else {
            self.stop = Some(DiagnosticKind::TruncatedEntry {
                offset,
                length: len,
            });
            self.off = self.b.len();
            return None;
        };
        self.off = self.off.saturating_add(usize::from(len));
        Some(decode(t, e).unwrap_or(MadtEntry::Short {
            entry_type: t,
            offset,
            data: e,
        }))
    }
}

/// A MADT view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Madt<'a> {
    sdt: Sdt<'a>,
}

impl<'a> Madt<'a> {
    /// Views `sdt` as a MADT (signature `APIC`, at least 44 bytes).
    pub fn new(sdt: Sdt<'a>) -> Result<Self, TableError> {
        let sdt = sdt.expect(Signature::MADT)?;
        if sdt.bytes().len() < ENTRIES {
            return Err(TableError::TooShort {
                length: sdt.length(),
            });
        }
        Ok(Self { sdt })
    }

    /// The underlying table.
    pub fn sdt(&self) -> Sdt<'a> {
        self.sdt
    }

    /// The 32-bit local APIC address from the header.
    pub fn local_apic_address32(&self) -> u32 {
        u32_at(self.sdt.bytes(), 36).unwrap_or(0)
    }

    /// The local APIC address to use: a type 5 override when present, else the header's.
    pub fn local_apic_address(&self) -> u64 {
        // Entry headers only: the walk ends where `entries()` would.
        let b = self.sdt.bytes();
        let mut off = ENTRIES;
        while let (Some(t), Some(len)) = (u8_at(b, off), u8_at(b, off.saturating_add(1))) {
            let next = off.saturating_add(usize::from(len));
            if len == 0 || next > b.len() {
                break;
            }
            if t == entry_type::LOCAL_APIC_ADDRESS_OVERRIDE {
                if let Some(a) = u64_at(b, off.saturating_add(4)).filter(|_| len >= 12) {
                    return a;
                }
            }
            off = next;
        }
        u64::from(self.local_apic_address32())
    }

    /// Header flags (bit 0: PC-AT compatible dual 8259s present, to be masked).
    pub fn flags(&self) -> u32 {
        u32_at(self.sdt.bytes(), 40).unwrap_or(0)
    }

    /// Whether legacy 8259 PICs are present (flag bit 0).
    pub fn has_8259(&self) -> bool {
        self.flags() & 1 != 0
    }

    /// All entries in table order.
    pub fn entries(&self) -> MadtEntries<'a> {
        MadtEntries {
            b: self.sdt.bytes(),
            off: ENTRIES,
            stop: None,
        }
    }

    /// Processor local APICs.
    pub fn local_apics(&self) -> impl Iterator<Item = LocalApic> + 'a {
        self.entries().filter_map(|e| {
            if let MadtEntry::LocalApic(x) = e {
                Some(x)
            } else {
                None
            }
        })
    }

    /// Processor local x2APICs.
    pub fn x2apics(&self) -> impl Iterator<Item = LocalX2Apic> + 'a {
        self.entries().filter_map(|e| {
            if let MadtEntry::LocalX2Apic(x) = e {
                Some(x)
            } else {
                None
            }
        })
    }

    /// I/O APICs.
    pub fn io_apics(&self) -> impl Iterator<Item = IoApic> + 'a {
        self.entries().filter_map(|e| {
            if let MadtEntry::IoApic(x) = e {
                Some(x)
            } else {
                None
            }
        })
    }

    /// Interrupt source overrides.
    pub fn overrides(&self) -> impl Iterator<Item = InterruptSourceOverride> + 'a {
        self.entries().filter_map(|e| match e {
            MadtEntry::InterruptSourceOverride(x) => Some(x),
            _ => None,
        })
    }

    /// NMI sources.
    pub fn nmi_sources(&self) -> impl Iterator<Item = NmiSource> + 'a {
        self.entries().filter_map(|e| {
            if let MadtEntry::NmiSource(x) = e {
                Some(x)
            } else {
                None
            }
        })
    }

    /// Local APIC NMIs (type 4 only; see [`x2apic_nmis`](Self::x2apic_nmis)).
    pub fn local_apic_nmis(&self) -> impl Iterator<Item = LocalApicNmi> + 'a {
        self.entries().filter_map(|e| {
            if let MadtEntry::LocalApicNmi(x) = e {
                Some(x)
            } else {
                None
            }
        })
    }

    /// Local x2APIC NMIs.
    pub fn x2apic_nmis(&self) -> impl Iterator<Item = LocalApicNmi> + 'a {
        self.entries().filter_map(|e| match e {
            MadtEntry::LocalX2ApicNmi(x) => Some(x),
            _ => None,
        })
    }

    /// The GSI an ISA IRQ arrives on and its INTI flags: the override when there is one, else the
    /// identity mapping with flags 0 (bus-default: edge, active high).
    pub fn isa_irq(&self, irq: u8) -> (u32, u16) {
        self.overrides()
            .find(|o| o.bus == 0 && o.source == irq)
            .map_or((u32::from(irq), 0), |o| (o.gsi, o.flags))
    }

    /// Reports the oddities of this MADT: entries ending the walk, short entries, LINT values
    /// other than 0/1, reserved INTI polarity or trigger, non-ISA overrides. Entries are kept.
    pub fn check(&self, sink: &mut impl FnMut(Diagnostic)) {
        let mut emit = |kind| {
            sink(Diagnostic {
                table: Signature::MADT,
                kind,
            })
        };
        let reserved = |flags: u16| flags & 3 == 2 || (flags >> 2) & 3 == 2;
        let mut it = self.entries();
        for e in it.by_ref() {
            let inti = match e {
                MadtEntry::Short {
                    entry_type,
                    offset,
                    data,
                } => {
                    let length = data.len() as u8;
                    emit(DiagnosticKind::ShortEntry {
                        offset,
                        entry_type,
                        length,
                    });
                    None
                }
                MadtEntry::LocalApicNmi(n) | MadtEntry::LocalX2ApicNmi(n) => {
                    if n.lint > 1 {
                        emit(DiagnosticKind::BadLint {
                            processor_uid: n.processor_uid,
                            lint: n.lint,
                        });
                    }
                    let t = if matches!(e, MadtEntry::LocalApicNmi(_)) {
                        entry_type::LOCAL_APIC_NMI
                    } else {
                        entry_type::LOCAL_X2APIC_NMI
                    };
                    Some((t, n.flags))
                }
                MadtEntry::InterruptSourceOverride(o) => {
                    if o.bus != 0 {
                        emit(DiagnosticKind::NonIsaOverride { bus: o.bus });
                    }
                    Some((entry_type::INTERRUPT_SOURCE_OVERRIDE, o.flags))
                }
                MadtEntry::NmiSource(n) => Some((entry_type::NMI_SOURCE, n.flags)),
                _ => None,
            };
            if let Some((entry_type, flags)) = inti.filter(|&(_, f)| reserved(f)) {
                emit(DiagnosticKind::ReservedIntiFlags { entry_type, flags });
            }
        }
        if let Some(kind) = it.stop() {
            emit(kind);
        }
    }
}
