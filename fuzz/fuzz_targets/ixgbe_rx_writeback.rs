//! Arbitrary RX write-back descriptors (status, errors, lengths, on any descriptor, owned by the
//! NIC or not) against a running osp-ixgbe RX queue on the 82599 model: no panic, no access out
//! of bounds, every buffer back in the pool exactly once.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osp_ixgbe::sim::harness::rx_writeback_case(data);
});
