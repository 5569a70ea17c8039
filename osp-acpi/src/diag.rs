//! Diagnostics: what the firmware got wrong, reported without failing and without allocating.

use core::fmt;

use crate::{Block, Signature, TableError};

/// One oddity found in the firmware's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Diagnostic {
    /// The table it concerns (`RSDP` for the root pointer).
    pub table: Signature,
    /// What is wrong.
    pub kind: DiagnosticKind,
}

/// Which FADT address field a [`DiagnosticKind::AddressMismatch`] concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FadtField {
    /// `FIRMWARE_CTRL` / `X_FIRMWARE_CTRL` (the FACS).
    Facs,
    /// `DSDT` / `X_DSDT`.
    Dsdt,
    /// One of the fixed-hardware register blocks.
    Block(Block),
}

impl fmt::Display for FadtField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Facs => f.write_str("Facs"),
            Self::Dsdt => f.write_str("Dsdt"),
            Self::Block(b) => write!(f, "{b:?}"),
        }
    }
}

/// The kinds of [`Diagnostic`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The bytes do not sum to zero (ACPICA warns and carries on).
    BadChecksum,
    /// The RSDP's extended (36-byte) checksum is wrong.
    BadExtendedChecksum,
    /// A table could not be used.
    Unusable {
        /// Root table entry index (`None` for tables reached through the FADT).
        index: Option<u16>,
        /// Physical address.
        phys: u64,
        /// Why.
        error: TableError,
    },
    /// A root table entry is zero.
    NullEntry {
        /// Entry index.
        index: u16,
    },
    /// A root table lists the same address twice.
    DuplicateEntry {
        /// Entry index of the repeat.
        index: u16,
        /// The address.
        phys: u64,
    },
    /// The root table's length leaves a partial entry.
    PartialEntry {
        /// Bytes left over.
        extra: u8,
    },
    /// A table that should exist once appears again.
    DuplicateTable,
    /// The revision promises fields the length does not contain (fields beyond the length are
    /// treated as absent).
    RevisionLengthMismatch {
        /// Revision byte.
        revision: u8,
        /// Length.
        length: u32,
    },
    /// The 32-bit and 64-bit forms of a FADT address differ (the 64-bit one is used).
    AddressMismatch {
        /// Which field.
        field: FadtField,
        /// 32-bit value.
        legacy: u32,
        /// 64-bit value.
        extended: u64,
    },
    /// A MADT entry has length zero: the walk stops.
    ZeroLengthEntry {
        /// Offset in the table.
        offset: u32,
    },
    /// A MADT entry runs past the end of the table: the walk stops.
    TruncatedEntry {
        /// Offset in the table.
        offset: u32,
        /// Its length.
        length: u8,
    },
    /// A MADT entry of a known type is too short for its fields: it is skipped.
    ShortEntry {
        /// Offset in the table.
        offset: u32,
        /// Entry type.
        entry_type: u8,
        /// Its length.
        length: u8,
    },
    /// A local APIC NMI entry names a LINT input other than 0 or 1 (kept as is).
    BadLint {
        /// Processor UID of the entry.
        processor_uid: u32,
        /// The LINT byte.
        lint: u8,
    },
    /// MPS INTI flags use a reserved polarity or trigger mode (kept as is).
    ReservedIntiFlags {
        /// Entry type.
        entry_type: u8,
        /// The flags.
        flags: u16,
    },
    /// An interrupt source override names a bus other than 0 (ISA).
    NonIsaOverride {
        /// The bus byte.
        bus: u8,
    },
    /// Bytes after the last whole entry of a table made of fixed-size entries.
    TrailingBytes {
        /// How many.
        count: u32,
    },
    /// No `\_S5` package was found in the DSDT or SSDTs.
    NoS5,
}

impl DiagnosticKind {
    /// A stable snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::BadChecksum => "bad_checksum",
            Self::BadExtendedChecksum => "bad_extended_checksum",
            Self::Unusable { .. } => "unusable_table",
            Self::NullEntry { .. } => "null_entry",
            Self::DuplicateEntry { .. } => "duplicate_entry",
            Self::PartialEntry { .. } => "partial_entry",
            Self::DuplicateTable => "duplicate_table",
            Self::RevisionLengthMismatch { .. } => "revision_length_mismatch",
            Self::AddressMismatch { .. } => "address_mismatch",
            Self::ZeroLengthEntry { .. } => "zero_length_entry",
            Self::TruncatedEntry { .. } => "truncated_entry",
            Self::ShortEntry { .. } => "short_entry",
            Self::BadLint { .. } => "bad_lint",
            Self::ReservedIntiFlags { .. } => "reserved_inti_flags",
            Self::NonIsaOverride { .. } => "non_isa_override",
            Self::TrailingBytes { .. } => "trailing_bytes",
            Self::NoS5 => "no_s5",
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.table)?;
        match self.kind {
            DiagnosticKind::Unusable { index, phys, error } => {
                write!(f, "table at {phys:#x}")?;
                if let Some(i) = index {
                    write!(f, " (entry {i})")?;
                }
                write!(f, " unusable: {error}")
            }
            DiagnosticKind::AddressMismatch {
                field,
                legacy,
                extended,
            } => {
                write!(
                    f,
                    "32/64-bit {field} address mismatch: {legacy:#x} / {extended:#x}"
                )
            }
            DiagnosticKind::RevisionLengthMismatch { revision, length } => {
                write!(f, "revision {revision} but length {length}")
            }
            DiagnosticKind::BadLint {
                processor_uid,
                lint,
            } => {
                write!(
                    f,
                    "local APIC NMI for processor {processor_uid} has LINT {lint:#x}"
                )
            }
            other => write!(f, "{} {:?}", other.name(), other),
        }
    }
}

/// A fixed-capacity list of diagnostics that counts what did not fit.
#[derive(Clone, Debug)]
pub struct Diagnostics<const N: usize> {
    items: [Option<Diagnostic>; N],
    len: usize,
    dropped: usize,
}

impl<const N: usize> Default for Diagnostics<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Diagnostics<N> {
    /// An empty list.
    pub const fn new() -> Self {
        Self {
            items: [None; N],
            len: 0,
            dropped: 0,
        }
    }

    /// Appends `d`, or counts it as dropped when full.
    pub fn push(&mut self, d: Diagnostic) {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(d);
                self.len = self.len.saturating_add(1);
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// The diagnostics kept, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().flatten()
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many did not fit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}
