#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The README links the optional modules; without their features those links cannot resolve.
#![cfg_attr(
    not(all(feature = "sim", feature = "smoltcp")),
    allow(rustdoc::broken_intra_doc_links)
)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod desc;
mod error;
mod init;
#[cfg(feature = "smoltcp")]
mod phy;
mod pool;
mod queue;
pub mod regs;
mod ring;
#[cfg(feature = "sim")]
pub mod sim;

pub use error::{ConfigError, Error, Step};
pub use init::{Config, Device, Link, LinkSpeed, ShareRegisters, Stats, Timeouts};
#[cfg(feature = "smoltcp")]
pub use phy::{IxgbePhy, PhyRxToken, PhyTxToken};
pub use pool::{BUF_UNIT, MAX_BUF_SIZE, Mempool, PacketBuf, PoolCore};
pub use queue::{RxQueue, RxQueueStats, TxQueue, TxQueueStats};
pub use ring::{MAX_RING, MIN_RING, valid_ring_size};

/// Intel's PCI vendor id.
pub const INTEL_VENDOR_ID: u16 = 0x8086;

/// PCI device ids of the 82599 family this driver runs (physical functions; from Intel's
/// `ixgbe_type.h` via the facts table): KX4, combo backplane, CX4, SFP+ (X520), XAUI LOM,
/// T3 LOM, KR, SFP EM, 82599EN SFP.
pub const SUPPORTED_DEVICE_IDS: &[u16] = &[
    0x10F7, 0x10F8, 0x10F9, 0x10FB, 0x10FC, 0x151C, 0x1517, 0x1507, 0x1557,
];

/// Whether `(vendor, device)` is an 82599 this driver supports.
pub fn is_supported(vendor: u16, device: u16) -> bool {
    vendor == INTEL_VENDOR_ID && SUPPORTED_DEVICE_IDS.contains(&device)
}

#[cfg(test)]
mod tests {
    #[test]
    fn device_ids_match_the_facts() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/facts/ixgbe_regs.tsv"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            std::println!("facts table not found: device ids not checked");
            return;
        };
        let mut ids: std::vec::Vec<u16> = text
            .lines()
            .filter(|l| l.starts_with("IXGBE_DEV_ID_82599") && !l.contains("_VF\t"))
            .map(|l| {
                let v = l.split('\t').nth(2).unwrap();
                u16::from_str_radix(v.trim_start_matches("0x"), 16).unwrap()
            })
            .collect();
        ids.sort();
        let mut ours = super::SUPPORTED_DEVICE_IDS.to_vec();
        ours.sort();
        assert_eq!(ours, ids);
        assert!(super::is_supported(0x8086, 0x10FB));
        assert!(
            !super::is_supported(0x8086, 0x10ED),
            "the VF needs a different driver"
        );
    }
}
