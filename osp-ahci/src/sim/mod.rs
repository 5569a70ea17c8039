//! A simulated AHCI HBA for host tests, examples, benchmarks and fuzzing.
//!
//! [`SimHba`] implements [`RegisterIo`](osp_hal::RegisterIo) over the AHCI register map,
//! follows the spec's port state machines (engine start/stop, FIS receive, COMRESET through
//! PxSCTL, staggered spin-up), reads the driver's command lists, tables and PRDTs from
//! [`SimMemory`](osp_hal::sim::SimMemory) by bus address, and executes IDENTIFY, READ/WRITE DMA
//! (EXT), FLUSH CACHE (EXT) and READ/WRITE FPDMA QUEUED against an in-memory disk. Time comes
//! from [`SimClock`](osp_hal::sim::SimClock). Faults are knobs: late, flapping or dead links,
//! devices that stay busy, errors on chosen LBAs, stuck engines, removal, a dead controller.
//! It also records order-of-operations mistakes ([`Violation`]).

mod model;
mod spec;

pub mod fuzz;

pub use model::{SimHba, SimStats, Violation};
pub use spec::{DeviceKind, DeviceSpec, HbaSpec, LinkMode};
