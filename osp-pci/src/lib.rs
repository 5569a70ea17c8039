#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

mod access;
mod address;
pub mod bar;
pub mod cap;
mod class;
#[cfg(feature = "std")]
pub mod dump;
// The only module with `unsafe`: volatile accesses to the ECAM window the caller mapped.
#[allow(unsafe_code)]
mod ecam;
mod function;
mod port;
pub mod regs;
mod renumber;
#[cfg(feature = "sim")]
pub mod sim;
mod walk;

use core::fmt;

pub use access::{ConfigAccess, ConfigError, Counting, Width};
pub use address::Address;
pub use bar::{Bar, BarKind, BarSet, Bars, BridgeWindows, Window};
pub use cap::{Capability, ExtCapability};
pub use class::{name as class_name, table as class_table};
pub use ecam::{Ecam, EcamSet};
pub use function::{BusNumbers, Function};
pub use port::PortCam;
pub use regs::{ClassCode, Command, HeaderType, Status};
pub use renumber::assign_bus_numbers;
#[cfg(feature = "alloc")]
pub use walk::collect_functions;
pub use walk::{BusId, DEFAULT_ROOTS, Enumerator, enumerate, visit};

/// What went wrong in an operation that programs a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A configuration access was refused.
    Config(ConfigError),
    /// A 64-bit message address was given to a function that only takes 32-bit ones.
    AddressTooWide {
        /// The address asked for.
        address: u64,
    },
    /// More MSI vectors (or not a power of two) than the function offers.
    TooManyVectors {
        /// Vectors asked for.
        requested: u16,
        /// Vectors the function offers.
        max: u16,
    },
    /// An MSI-X table index beyond the table.
    VectorOutOfRange {
        /// The index asked for.
        index: u16,
        /// Entries in the table.
        size: u16,
    },
    /// The function lacks the feature (e.g. MSI per-vector masking).
    NotSupported,
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => e.fmt(f),
            Error::AddressTooWide { address } => {
                write!(
                    f,
                    "message address {address:#x} needs 64 bits but the function has 32"
                )
            }
            Error::TooManyVectors { requested, max } => {
                write!(
                    f,
                    "{requested} MSI vectors asked for, the function offers {max} (powers of two)"
                )
            }
            Error::VectorOutOfRange { index, size } => {
                write!(f, "MSI-X vector {index} is outside the {size}-entry table")
            }
            Error::NotSupported => f.write_str("the function does not support this"),
        }
    }
}

impl core::error::Error for Error {}
