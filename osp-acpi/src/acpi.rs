//! The entry point: from the RSDP to every table, lazily, through a [`PhysMapper`].

use core::fmt;

use crate::aml::{S5Error, SleepType, find_s5};
use crate::diag::{Diagnostic, DiagnosticKind};
use crate::power::{AcpiIo, AcpiMode, PowerError};
use crate::rsdp::{RootPointer, Rsdp, search_rsdp};
use crate::sdt::HEADER_LEN;
use crate::{Facs, Fadt, Hpet, Madt, Mcfg, PhysMapper, Sdt, Signature, TableError};

/// Limits and choices for [`Acpi`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Tables claiming to be longer are refused (the largest real DSDTs are under 1 MiB).
    pub max_table_length: u32,
    /// Use the RSDT even when the RSDP offers an XSDT (Linux's `acpi=rsdt`).
    pub force_rsdt: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_table_length: 16 << 20,
            force_rsdt: false,
        }
    }
}

/// Why the ACPI tables could not be opened at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// No RSDP with valid checksums in the BIOS areas.
    RsdpNotFound,
    /// The given RSDP address cannot be mapped or does not hold the `RSD PTR ` signature.
    InvalidRsdp {
        /// The address.
        phys: u64,
    },
    /// The root table (RSDT/XSDT) cannot be used.
    RootTable {
        /// Its signature as expected.
        expected: Signature,
        /// Its address.
        phys: u64,
        /// Why.
        error: TableError,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RsdpNotFound => write!(f, "no RSDP found in the BIOS areas"),
            Self::InvalidRsdp { phys } => write!(f, "no valid RSDP at {phys:#x}"),
            Self::RootTable {
                expected,
                phys,
                error,
            } => {
                write!(f, "{expected} at {phys:#x} unusable: {error}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// One entry of the root table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootEntry<'a> {
    /// Index in the root table.
    pub index: u16,
    /// The address it holds.
    pub phys: u64,
    /// The table there, or why it cannot be used.
    pub table: Result<Sdt<'a>, TableError>,
}

/// The platform's ACPI tables, found from the RSDP and read in place through a [`PhysMapper`].
///
/// Nothing is copied or allocated: every accessor maps what it needs and returns views that
/// borrow the mapper's memory. Bad checksums and other firmware mistakes do not make anything
/// fail; [`diagnose`](Self::diagnose) reports them.
#[derive(Clone, Copy)]
pub struct Acpi<'a, M: PhysMapper + ?Sized> {
    mapper: &'a M,
    config: Config,
    rsdp: Option<(u64, Rsdp<'a>)>,
    root: Sdt<'a>,
    entry_size: usize,
}

impl<M: PhysMapper + ?Sized> fmt::Debug for Acpi<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acpi")
            .field("root", &self.root)
            .field("config", &self.config)
            .finish()
    }
}

impl<'a, M: PhysMapper + ?Sized> Acpi<'a, M> {
    /// Opens the tables from the RSDP at `phys` (from the boot loader: multiboot2 tag, UEFI
    /// configuration table). A bad RSDP checksum is a diagnostic, not an error.
    pub fn from_rsdp_addr(mapper: &'a M, phys: u64) -> Result<Self, Error> {
        Self::from_rsdp_addr_with(mapper, phys, Config::default())
    }

    /// [`from_rsdp_addr`](Self::from_rsdp_addr) with a [`Config`].
    pub fn from_rsdp_addr_with(mapper: &'a M, phys: u64, config: Config) -> Result<Self, Error> {
        let rsdp = Rsdp::at(mapper, phys).ok_or(Error::InvalidRsdp { phys })?;
        let root = match rsdp.root() {
            RootPointer::Xsdt(_) if config.force_rsdt => {
                RootPointer::Rsdt(u64::from(rsdp.rsdt_address()))
            }
            r => r,
        };
        let mut acpi = Self::from_root(mapper, root, config)?;
        acpi.rsdp = Some((phys, rsdp));
        Ok(acpi)
    }

    /// Finds the RSDP in the BIOS areas (EBDA, 0xE0000–0xFFFFF) and opens the tables.
    pub fn search_rsdp(mapper: &'a M) -> Result<Self, Error> {
        let phys = search_rsdp(mapper).ok_or(Error::RsdpNotFound)?;
        Self::from_rsdp_addr(mapper, phys)
    }

    /// Opens the tables from a root table directly (when there is no RSDP, e.g. a dump).
    pub fn from_root(mapper: &'a M, root: RootPointer, config: Config) -> Result<Self, Error> {
        let (expected, entry_size) = match root {
            RootPointer::Xsdt(_) => (Signature::XSDT, 8),
            RootPointer::Rsdt(_) => (Signature::RSDT, 4),
        };
        let phys = root.address();
        let table = map_table(mapper, config, phys)
            .and_then(|t| t.expect(expected))
            .map_err(|error| Error::RootTable {
                expected,
                phys,
                error,
            })?;
        Ok(Self {
            mapper,
            config,
            rsdp: None,
            root: table,
            entry_size,
        })
    }

    /// The RSDP, when opened from one.
    pub fn rsdp(&self) -> Option<Rsdp<'a>> {
        self.rsdp.map(|(_, r)| r)
    }

    /// The root table (XSDT or RSDT).
    pub fn root(&self) -> Sdt<'a> {
        self.root
    }

    /// The mapper.
    pub fn mapper(&self) -> &'a M {
        self.mapper
    }

    /// Maps and checks the table at `phys` (header, length within the limit and the mapping).
    pub fn map_table(&self, phys: u64) -> Result<Sdt<'a>, TableError> {
        map_table(self.mapper, self.config, phys)
    }

    /// The addresses in the root table, NULL entries included. The count comes from the length
    /// (rounded down), which the header check guarantees is at least 36.
    pub fn entry_addresses(&self) -> impl Iterator<Item = u64> + 'a {
        let size = self.entry_size;
        self.root.body().chunks_exact(size).map(move |c| {
            if size == 8 {
                crate::bytes::u64_at(c, 0).unwrap_or(0)
            } else {
                crate::bytes::u32_at(c, 0).map_or(0, u64::from)
            }
        })
    }

    /// Every root table entry with its table or the reason it is unusable.
    pub fn entries(&self) -> impl Iterator<Item = RootEntry<'a>> + 'a {
        let (mapper, config) = (self.mapper, self.config);
        self.entry_addresses()
            .enumerate()
            .map(move |(i, phys)| RootEntry {
                index: u16::try_from(i).unwrap_or(u16::MAX),
                phys,
                table: if phys == 0 {
                    Err(TableError::NullAddress)
                } else {
                    map_table(mapper, config, phys)
                },
            })
    }

    /// The usable tables listed in the root table, in order (NULL and unusable entries skipped).
    pub fn tables(&self) -> impl Iterator<Item = Sdt<'a>> + 'a {
        self.entries().filter_map(|e| e.table.ok())
    }

    /// Every listed table with signature `sig`, in root table order (duplicates included).
    pub fn find_all(&self, sig: Signature) -> impl Iterator<Item = Sdt<'a>> + 'a {
        let (mapper, config) = (self.mapper, self.config);
        // Check the signature from the header before mapping the whole table.
        self.entry_addresses().filter_map(move |phys| {
            let head = mapper.map(phys, 4).filter(|_| phys != 0)?;
            (head == sig.as_bytes())
                .then(|| map_table(mapper, config, phys).ok())
                .flatten()
        })
    }

    /// The first listed table with signature `sig`.
    pub fn find(&self, sig: Signature) -> Option<Sdt<'a>> {
        self.find_all(sig).next()
    }

    /// The FADT.
    pub fn fadt(&self) -> Option<Fadt<'a>> {
        Fadt::new(self.find(Signature::FADT)?).ok()
    }

    /// The MADT.
    pub fn madt(&self) -> Option<Madt<'a>> {
        self.find_all(Signature::MADT)
            .find_map(|t| Madt::new(t).ok())
    }

    /// The MCFG.
    pub fn mcfg(&self) -> Option<Mcfg<'a>> {
        Mcfg::new(self.find(Signature::MCFG)?).ok()
    }

    /// The HPET table.
    pub fn hpet(&self) -> Option<Hpet<'a>> {
        Hpet::new(self.find(Signature::HPET)?).ok()
    }

    /// The DSDT, through the FADT (64-bit address when non-zero).
    pub fn dsdt(&self) -> Result<Sdt<'a>, TableError> {
        let phys = self
            .fadt()
            .and_then(|f| f.dsdt_address())
            .ok_or(TableError::NullAddress)?;
        self.map_table(phys)?.expect(Signature::DSDT)
    }

    /// The SSDTs, in root table order.
    pub fn ssdts(&self) -> impl Iterator<Item = Sdt<'a>> + 'a {
        self.find_all(Signature::SSDT)
    }

    /// The FACS, through the FADT (64-bit address when non-zero).
    pub fn facs(&self) -> Result<Facs<'a>, TableError> {
        let phys = self
            .fadt()
            .and_then(|f| f.facs_address())
            .ok_or(TableError::NullAddress)?;
        let length = self
            .mapper
            .map(phys, 8)
            .and_then(|h| crate::bytes::u32_at(h, 4))
            .ok_or(TableError::Unmappable { phys, length: 8 })?;
        if length > self.config.max_table_length {
            return Err(TableError::TooLong { length });
        }
        let bytes = self
            .mapper
            .map(phys, length as usize)
            .ok_or(TableError::Unmappable { phys, length })?;
        Facs::new(bytes, phys)
    }

    /// The `\_S5` sleep types from the first of the DSDT and the SSDTs (in root table order) that
    /// defines `\_S5` (ACPI forbids defining it twice, so the first definition is the one).
    pub fn s5(&self) -> Result<SleepType, S5Error> {
        let mut aml = self.dsdt().ok().into_iter().chain(self.ssdts());
        aml.find_map(|t| find_s5(t.body()))
            .map_or(Err(S5Error::NotFound), |f| f.value)
    }

    /// Enters S5 (soft off) with the `\_S5` sleep types, through PM1a/PM1b control or, on
    /// hardware-reduced platforms, the sleep control register. See [`crate::power::enter_sleep`].
    /// On success the machine is switching off; the caller halts.
    pub fn power_off<I: AcpiIo + ?Sized>(&self, io: &mut I) -> Result<(), PowerError> {
        let fadt = self.fadt().ok_or(PowerError::NoFadt)?;
        let sleep = self.s5().map_err(PowerError::NoSleepType)?;
        crate::power::enter_sleep(io, &fadt, sleep)
    }

    /// Puts the platform into ACPI mode if firmware left it in legacy mode (see
    /// [`crate::power::enable_acpi_mode`]); call once at boot, before using the fixed hardware.
    pub fn enable_acpi_mode<I: AcpiIo + ?Sized>(
        &self,
        io: &mut I,
        max_polls: u32,
    ) -> Result<AcpiMode, PowerError> {
        let fadt = self.fadt().ok_or(PowerError::NoFadt)?;
        crate::power::enable_acpi_mode(io, &fadt, max_polls)
    }

    /// Resets through the FADT reset register (when the FADT declares it).
    pub fn reset<I: AcpiIo + ?Sized>(&self, io: &mut I) -> Result<(), PowerError> {
        crate::power::reset(io, &self.fadt().ok_or(PowerError::NoFadt)?)
    }

    /// Reports everything odd: RSDP and table checksums, NULL, duplicate, unusable and partial
    /// root entries, duplicated singleton tables, FADT, MADT and MCFG findings, the DSDT and
    /// FACS reached through the FADT, and a missing `\_S5`.
    pub fn diagnose(&self, sink: &mut impl FnMut(Diagnostic)) {
        if let Some((_, rsdp)) = self.rsdp {
            if !rsdp.checksum_ok() {
                sink(Diagnostic {
                    table: Signature::RSDP,
                    kind: DiagnosticKind::BadChecksum,
                });
            }
            if rsdp.extended_checksum_ok() == Some(false) {
                let kind = DiagnosticKind::BadExtendedChecksum;
                sink(Diagnostic {
                    table: Signature::RSDP,
                    kind,
                });
            }
        }
        let root_sig = self.root.signature();
        if !self.root.checksum_ok() {
            sink(Diagnostic {
                table: root_sig,
                kind: DiagnosticKind::BadChecksum,
            });
        }
        let extra = self.root.body().len() % self.entry_size;
        if extra != 0 {
            sink(Diagnostic {
                table: root_sig,
                kind: DiagnosticKind::PartialEntry { extra: extra as u8 },
            });
        }
        /// Duplicate addresses are looked for among this many entries (real tables list < 64).
        const DUP_WINDOW: usize = 256;
        for e in self.entries() {
            let kind = match e.table {
                Err(TableError::NullAddress) => Some(DiagnosticKind::NullEntry { index: e.index }),
                Err(error) => Some(DiagnosticKind::Unusable {
                    index: Some(e.index),
                    phys: e.phys,
                    error,
                }),
                Ok(t) => {
                    if !t.checksum_ok() {
                        sink(Diagnostic {
                            table: t.signature(),
                            kind: DiagnosticKind::BadChecksum,
                        });
                    }
                    None
                }
            };
            if let Some(kind) = kind {
                sink(Diagnostic {
                    table: root_sig,
                    kind,
                });
            }
            let index = usize::from(e.index);
            if e.phys != 0
                && index < DUP_WINDOW
                && self.entry_addresses().take(index).any(|p| p == e.phys)
            {
                let kind = DiagnosticKind::DuplicateEntry {
                    index: e.index,
                    phys: e.phys,
                };
                sink(Diagnostic {
                    table: root_sig,
                    kind,
                });
            }
        }
        for sig in [
            Signature::FADT,
            Signature::MADT,
            Signature::MCFG,
            Signature::HPET,
        ] {
            for _ in self.find_all(sig).skip(1) {
                sink(Diagnostic {
                    table: sig,
                    kind: DiagnosticKind::DuplicateTable,
                });
            }
        }
        if let Some(fadt) = self.fadt() {
            fadt.check(sink);
            let dsdt = fadt.dsdt_address();
            match self.dsdt() {
                Ok(t) if !t.checksum_ok() => sink(Diagnostic {
                    table: Signature::DSDT,
                    kind: DiagnosticKind::BadChecksum,
                }),
                Ok(_) => {}
                Err(error) => sink(Diagnostic {
                    table: Signature::DSDT,
                    kind: DiagnosticKind::Unusable {
                        index: None,
                        phys: dsdt.unwrap_or(0),
                        error,
                    },
                }),
            }
            if let (Err(error), Some(phys)) = (self.facs(), fadt.facs_address()) {
                let kind = DiagnosticKind::Unusable {
                    index: None,
                    phys,
                    error,
                };
                sink(Diagnostic {
                    table: Signature::FACS,
                    kind,
                });
            }
        }
        if let Some(madt) = self.madt() {
            madt.check(sink);
        }
        if let Some(mcfg) = self.mcfg() {
            mcfg.check(sink);
        }
        if self.s5().is_err() {
            sink(Diagnostic {
                table: Signature::DSDT,
                kind: DiagnosticKind::NoS5,
            });
        }
    }
}

/// Maps the header at `phys`, checks the length, then maps the whole table.
fn map_table<M: PhysMapper + ?Sized>(
    mapper: &M,
    config: Config,
    phys: u64,
) -> Result<Sdt<'_>, TableError> {
    if phys == 0 {
        return Err(TableError::NullAddress);
    }
    let header = mapper.map(phys, HEADER_LEN).ok_or(TableError::Unmappable {
        phys,
        length: HEADER_LEN as u32,
    })?;
    let length = crate::bytes::u32_at(header, 4).unwrap_or(0);
    if (length as usize) < HEADER_LEN {
        return Err(TableError::TooShort { length });
    }
    if length > config.max_table_length {
        return Err(TableError::TooLong { length });
    }
    let bytes = mapper
        .map(phys, length as usize)
        .ok_or(TableError::Unmappable { phys, length })?;
    Sdt::new(bytes, phys)
}
