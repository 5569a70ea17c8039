//! Host-mode stand-ins for the platform, used by driver tests and device models.
//!
//! - [`SimMemory`]: a simulated physical memory that hands out DMA regions with made-up bus
//!   addresses and lets a device model read and write them *by bus address*, refusing (and
//!   recording) every access that falls outside a live allocation — a poor man's IOMMU that
//!   catches wild DMA, use after free and overruns in tests.
//! - [`SimClock`]: a clock that only moves when told to, so a 2-second timeout is tested in
//!   microseconds and deterministically.

mod clock;
mod memory;

pub use clock::SimClock;
pub use memory::{DmaFault, SimMemory};
