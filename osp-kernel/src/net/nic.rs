//! What the network stack needs from a NIC beyond smoltcp's `phy::Device`: identity, link and
//! counters for the console, the inventory page and `/metrics`.

use core::fmt;

use smoltcp::phy;

/// Link state as the driver knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Up, down, or not reported by the device.
    pub up: Option<bool>,
    /// Speed in Mb/s, when the device reports one.
    pub mbps: Option<u32>,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.up {
            Some(true) => f.write_str("up")?,
            Some(false) => f.write_str("down")?,
            None => f.write_str("not reported (assumed up)")?,
        }
        match self.mbps {
            Some(m) if self.up == Some(true) => write!(f, ", {m} Mb/s"),
            _ => Ok(()),
        }
    }
}

/// Driver and device counters since bring-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NicStats {
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes of the frames received.
    pub rx_bytes: u64,
    /// Frames transmitted.
    pub tx_packets: u64,
    /// Bytes of the frames transmitted.
    pub tx_bytes: u64,
    /// Frames the device or driver dropped on receive (no buffer, missed).
    pub rx_dropped: u64,
    /// Frames dropped on transmit (ring full, refused).
    pub tx_dropped: u64,
    /// Frames received with an error (CRC, framing, impossible length).
    pub rx_errors: u64,
}

/// A NIC the stack runs over.
pub trait Nic: phy::Device {
    /// The driver's name (`virtio-net`, `ixgbe`).
    fn driver(&self) -> &'static str;
    /// The PCI function, `bb:dd.f`.
    fn pci(&self) -> &str;
    /// The MAC address.
    fn mac(&self) -> [u8; 6];
    /// Current link state.
    fn link(&mut self) -> Link;
    /// Counters.
    fn stats(&mut self) -> NicStats;
}

/// `aa:bb:cc:dd:ee:ff`.
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}
