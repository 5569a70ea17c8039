use core::fmt;
use core::time::Duration;

use osp_hal::DmaError;

/// A step of bring-up that waits for the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Step {
    /// `CTRL.RST` to self-clear after a global reset (§4.6.3.2).
    Reset,
    /// `EEC.ARD`, the EEPROM auto-read (§4.6.3).
    EepromAutoRead,
    /// `RDRXCTL.DMAIDONE`, DMA initialisation (§4.6.3).
    DmaInit,
    /// The software/firmware semaphore for the MAC registers (§10.5.4).
    Semaphore,
    /// `SECRXSTAT.SECRX_RDY`, the RX security block going idle (§4.6.7).
    SecurityRxIdle,
    /// `RXDCTL.ENABLE` read-back of RX queue `n` (§4.6.7.1).
    RxQueueEnable(u16),
    /// `TXDCTL.ENABLE` read-back of TX queue `n` (§4.6.8.1).
    TxQueueEnable(u16),
    /// `LINKS.UP` (§4.6.4).
    Link,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The device did not finish `step` in time.
    Timeout {
        /// What was awaited.
        step: Step,
        /// How long.
        #[cfg_attr(feature = "defmt", defmt(Debug2Format))]
        waited: Duration,
    },
    /// The device reads all-ones: it has been removed or is not answering.
    DeviceGone,
    /// No DMA memory.
    Dma(DmaError),
    /// A configuration value outside what the hardware supports.
    BadConfig(ConfigError),
    /// A pool with zero buffers or a buffer size that is not a multiple of 1 KiB up to 16 KiB.
    BadPool {
        /// Buffers asked for.
        count: u32,
        /// Buffer size asked for.
        buf_size: usize,
    },
    /// Queue `queue` does not exist in the configuration, or was already started.
    QueueUnavailable {
        /// The queue asked for.
        queue: u16,
    },
    /// The pool has fewer free buffers than the ring needs to start.
    PoolTooSmall {
        /// Buffers needed.
        needed: usize,
        /// Buffers free.
        free: usize,
    },
    /// `RAL0`/`RAH0` hold no valid unicast address.
    NoMacAddress,
}

/// Which configuration value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// Queue counts must be 1 to 128.
    QueueCount(u16),
    /// Ring sizes must be a power of two from 8 to 8192.
    RingSize(u16),
}

impl From<DmaError> for Error {
    fn from(e: DmaError) -> Self {
        Self::Dma(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout { step, waited } => {
                write!(f, "timed out after {waited:?} waiting for {step:?}")
            }
            Self::DeviceGone => f.write_str("device reads all-ones (removed or not answering)"),
            Self::Dma(e) => write!(f, "{e}"),
            Self::BadConfig(c) => write!(f, "bad configuration: {c:?}"),
            Self::BadPool { count, buf_size } => {
                write!(f, "bad pool: {count} buffers of {buf_size} bytes")
            }
            Self::QueueUnavailable { queue } => write!(f, "queue {queue} unavailable"),
            Self::PoolTooSmall { needed, free } => {
                write!(f, "pool has {free} free buffers, ring needs {needed}")
            }
            Self::NoMacAddress => f.write_str("no valid MAC address in RAL0/RAH0"),
        }
    }
}

impl core::error::Error for Error {}
