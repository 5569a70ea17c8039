#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo
)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)
)]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod acpi;
pub mod aml;
mod bytes;
mod diag;
#[cfg(feature = "std")]
pub mod dump;
mod facs;
pub mod fadt;
mod gas;
#[cfg(feature = "std")]
pub mod harness;
mod hpet;
pub mod madt;
mod mapping;
mod mcfg;
pub mod power;
mod rsdp;
mod sdt;

pub use acpi::{Acpi, Config, Error, RootEntry};
pub use aml::{S5Error, SleepType, find_s5};
pub use diag::{Diagnostic, DiagnosticKind, Diagnostics, FadtField};
pub use facs::Facs;
pub use fadt::{Block, Fadt};
pub use gas::{AddressSpace, GenericAddress};
pub use hpet::Hpet;
pub use madt::{
    InterruptSourceOverride, IoApic, LocalApic, LocalApicNmi, LocalX2Apic, Madt, MadtEntry,
    NmiSource,
};
pub use mapping::{MemoryImage, PhysMapper};
pub use mcfg::{Mcfg, McfgEntry};
pub use power::{AcpiIo, AcpiMode, PowerError, Width};
pub use rsdp::{RootPointer, Rsdp, search_rsdp};
pub use sdt::{HEADER_LEN, Sdt, Signature, TableError};
