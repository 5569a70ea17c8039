#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod block;
mod config;
mod error;
pub mod fis;
mod hba;
pub mod identify;
mod init;
mod io;
pub mod regs;
#[cfg(feature = "sim")]
pub mod sim;

pub use block::{BlockDevice, ByteStream};
pub use config::{Config, LinkTiming};
pub use error::{BufferError, Error, PortOutcome, Signature};
pub use hba::{Dir, Hba, MAX_PRDT, MAX_SECTORS_PER_COMMAND};
pub use identify::{Identify, IdentifyError, Rotation};
pub use init::{BringUpReport, PortReport};
pub use io::{BOUNCE_LEN, Completion, Disk, MAX_SEGMENTS, Rejected};
