#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

mod clock;
mod dma;
mod port;
mod reg;
#[cfg(feature = "sim")]
pub mod sim;

#[cfg(feature = "std")]
pub use clock::StdClock;
pub use clock::{Clock, Deadline, Instant, Timeout, delay, poll};
pub use dma::{DmaAllocator, DmaBuffer, DmaError, DmaRegion, DmaValue};
pub use port::PortIo;
pub use reg::{Mmio, RegisterIo};
