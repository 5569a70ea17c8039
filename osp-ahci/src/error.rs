//! The crate's error type and per-port bring-up outcomes.

#![forbid(unsafe_code)]

use core::fmt;
use core::time::Duration;

use osp_hal::DmaError;

use crate::identify::IdentifyError;
use crate::regs::sig;

/// What a driver call can fail with. `Copy`, and every variant says which port and what the
/// device reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The registers read all-ones: the controller is gone (surprise removal, dead link).
    HbaGone,
    /// GHC.HR did not clear.
    HbaResetTimeout {
        /// How long the driver waited.
        waited: Duration,
    },
    /// The BIOS did not release the HBA (BOHC.BOS stayed set).
    HandoffTimeout {
        /// How long the driver waited.
        waited: Duration,
    },
    /// DMA memory could not be allocated.
    Dma(DmaError),
    /// DMA memory above 4 GiB for an HBA without 64-bit addressing (CAP.S64A = 0).
    AddressTooHigh {
        /// The offending bus address.
        bus: u64,
    },
    /// The port is not implemented (PI) or out of range.
    NoSuchPort(u8),
    /// The port has no ready ATA disk (see its bring-up outcome).
    PortNotReady(u8),
    /// The device ended a command with an error (PxIS.TFES): its ATA status and error bytes.
    Device {
        /// Port number.
        port: u8,
        /// ATA status (PxTFD.STS).
        status: u8,
        /// ATA error (PxTFD.ERR): UNC 0x40, IDNF 0x10, ABRT 0x04 …
        error: u8,
    },
    /// The HBA reported a host bus or interface error (PxIS.HBFS, HBDS, IFS or OFS).
    HostBus {
        /// Port number.
        port: u8,
        /// PxIS when the error was seen.
        is: u32,
    },
    /// A command did not complete in time; the port was reset.
    CommandTimeout {
        /// Port number.
        port: u8,
        /// How long the driver waited.
        waited: Duration,
    },
    /// The device went away during the command (link down, DET = 0, or all-ones registers).
    DeviceGone(u8),
    /// PxCMD.CR or FR did not clear after ST or FRE were cleared.
    EngineStuck {
        /// Port number.
        port: u8,
        /// How long the driver waited.
        waited: Duration,
    },
    /// The command was in flight when the port was reset on request.
    Aborted(u8),
    /// Port recovery failed: the link or the device did not come back after COMRESET.
    RecoveryFailed(u8),
    /// A buffer is unusable for DMA (see [`BufferError`]).
    Buffer(BufferError),
    /// The request reaches past the end of the disk.
    OutOfRange {
        /// First LBA asked for.
        lba: u64,
        /// Sectors asked for.
        count: u64,
        /// Sectors the disk has.
        sectors: u64,
    },
    /// All NCQ tags are in use.
    QueueFull,
    /// A non-queued command was asked for while NCQ commands are in flight.
    QueueBusy,
    /// NCQ is unsupported by the HBA or device, or disabled in the [`Config`](crate::Config).
    NcqUnsupported,
    /// `ncq_wait` was called with nothing in flight.
    NothingInFlight,
    /// IDENTIFY data was refused.
    Identify(IdentifyError),
}

/// Why a buffer cannot be used for a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BufferError {
    /// The total length is not a multiple of the sector size, or zero.
    NotSectorMultiple {
        /// Total bytes.
        len: usize,
        /// The disk's logical sector size.
        sector_size: u32,
    },
    /// A segment starts at an odd bus address or has an odd length (PRDs move whole words).
    Misaligned {
        /// The segment's bus address.
        bus: u64,
        /// The segment's length.
        len: usize,
    },
    /// One sector is spread over more segments than a command table holds.
    TooFragmented,
    /// The buffer is shorter than the sectors asked for, or a queued request exceeds one
    /// command's size.
    TooLarge,
}

impl From<DmaError> for Error {
    fn from(e: DmaError) -> Self {
        Self::Dma(e)
    }
}

impl From<IdentifyError> for Error {
    fn from(e: IdentifyError) -> Self {
        Self::Identify(e)
    }
}

impl From<BufferError> for Error {
    fn from(e: BufferError) -> Self {
        Self::Buffer(e)
    }
}

impl fmt::Display for BufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSectorMultiple { len, sector_size } => {
                write!(
                    f,
                    "{len} bytes is not a whole number of {sector_size}-byte sectors"
                )
            }
            Self::Misaligned { bus, len } => {
                write!(
                    f,
                    "DMA segment of {len} bytes at {bus:#x} is not word aligned"
                )
            }
            Self::TooFragmented => f.write_str("a sector spans more segments than a command holds"),
            Self::TooLarge => f.write_str("request does not fit the buffer or one command"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HbaGone => f.write_str("AHCI controller reads all-ones (removed?)"),
            Self::HbaResetTimeout { waited } => write!(f, "HBA reset did not finish in {waited:?}"),
            Self::HandoffTimeout { waited } => {
                write!(f, "BIOS did not hand the HBA over in {waited:?}")
            }
            Self::Dma(e) => write!(f, "{e}"),
            Self::AddressTooHigh { bus } => {
                write!(
                    f,
                    "DMA address {bus:#x} above 4 GiB but the HBA is 32-bit only"
                )
            }
            Self::NoSuchPort(p) => write!(f, "port {p} is not implemented"),
            Self::PortNotReady(p) => write!(f, "port {p} has no ready disk"),
            Self::Device {
                port,
                status,
                error,
            } => write!(
                f,
                "port {port}: device error (status {status:#04x}, error {error:#04x}{})",
                match *error {
                    e if e & crate::regs::ata_error::UNC != 0 => ": uncorrectable data",
                    e if e & crate::regs::ata_error::IDNF != 0 => ": ID not found",
                    e if e & crate::regs::ata_error::ABRT != 0 => ": command aborted",
                    _ => "",
                }
            ),
            Self::HostBus { port, is } => {
                write!(f, "port {port}: host bus error (PxIS {is:#010x})")
            }
            Self::CommandTimeout { port, waited } => {
                write!(f, "port {port}: command timed out after {waited:?}")
            }
            Self::DeviceGone(p) => write!(f, "port {p}: device went away"),
            Self::EngineStuck { port, waited } => {
                write!(f, "port {port}: command engine did not stop in {waited:?}")
            }
            Self::Aborted(p) => write!(f, "port {p}: command aborted by a port reset"),
            Self::RecoveryFailed(p) => write!(f, "port {p}: did not recover after COMRESET"),
            Self::Buffer(e) => write!(f, "{e}"),
            Self::OutOfRange {
                lba,
                count,
                sectors,
            } => {
                write!(
                    f,
                    "{count} sectors at LBA {lba} pass the end of a {sectors}-sector disk"
                )
            }
            Self::QueueFull => f.write_str("all NCQ tags in use"),
            Self::QueueBusy => f.write_str("NCQ commands in flight"),
            Self::NcqUnsupported => f.write_str("NCQ not available"),
            Self::NothingInFlight => f.write_str("no NCQ command in flight"),
            Self::Identify(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for Error {}

impl embedded_io::Error for Error {
    fn kind(&self) -> embedded_io::ErrorKind {
        use embedded_io::ErrorKind;
        match self {
            Self::OutOfRange { .. } => ErrorKind::InvalidInput,
            Self::Buffer(_) => ErrorKind::InvalidInput,
            Self::Dma(_) => ErrorKind::OutOfMemory,
            Self::CommandTimeout { .. } => ErrorKind::TimedOut,
            Self::DeviceGone(_) | Self::HbaGone | Self::PortNotReady(_) => ErrorKind::NotConnected,
            _ => ErrorKind::Other,
        }
    }
}

/// What answered on a port (PxSIG after the device's first D2H FIS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Signature {
    /// An ATA disk.
    Ata,
    /// An ATAPI device (optical drive, tape).
    Atapi,
    /// A port multiplier.
    PortMultiplier,
    /// An enclosure management bridge.
    Semb,
    /// Anything else, raw.
    Unknown(u32),
}

impl Signature {
    /// Decodes PxSIG.
    pub fn from_raw(raw: u32) -> Self {
        match raw {
            sig::ATA => Self::Ata,
            sig::ATAPI => Self::Atapi,
            sig::PORT_MULTIPLIER => Self::PortMultiplier,
            sig::SEMB => Self::Semb,
            other => Self::Unknown(other),
        }
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ata => f.write_str("ATA"),
            Self::Atapi => f.write_str("ATAPI"),
            Self::PortMultiplier => f.write_str("port multiplier"),
            Self::Semb => f.write_str("SEMB"),
            Self::Unknown(raw) => write!(f, "unknown signature {raw:#010x}"),
        }
    }
}

/// How a port's bring-up ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PortOutcome {
    /// An ATA disk is ready for I/O: IDENTIFY succeeded and the command engine runs.
    Ready,
    /// The link settled with no device (DET = 0 or 4).
    NoDevice,
    /// The link did not settle within the debounce timeout, even after COMRESET.
    LinkTimeout {
        /// Time spent waiting for the link, all tries together.
        waited: Duration,
    },
    /// The device kept BSY or DRQ set past the ready timeout.
    BusyTimeout {
        /// Time spent waiting for the device.
        waited: Duration,
        /// The last ATA status seen.
        status: u8,
    },
    /// Something other than an ATA disk answered.
    Unsupported(Signature),
    /// The command engine did not stop, so the port could not be set up.
    EngineStuck {
        /// How long the driver waited.
        waited: Duration,
    },
    /// The disk came up but IDENTIFY failed.
    IdentifyFailed(Error),
    /// Setting up the port failed (DMA memory).
    SetupFailed(Error),
}

impl fmt::Display for PortOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready => f.write_str("ready"),
            Self::NoDevice => f.write_str("no device"),
            Self::LinkTimeout { waited } => write!(f, "link did not come up in {waited:?}"),
            Self::BusyTimeout { waited, status } => {
                write!(f, "device busy for {waited:?} (status {status:#04x})")
            }
            Self::Unsupported(s) => write!(f, "unsupported device: {s}"),
            Self::EngineStuck { waited } => write!(f, "engine did not stop in {waited:?}"),
            Self::IdentifyFailed(e) => write!(f, "IDENTIFY failed: {e}"),
            Self::SetupFailed(e) => write!(f, "setup failed: {e}"),
        }
    }
}
