//! The stable-Rust variant of the `ixgbe_rx_writeback` fuzz target: arbitrary write-backs,
//! then the driver's invariants (checked inside `rx_writeback_case`).

use osp_ixgbe::sim::harness::rx_writeback_case;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn arbitrary_write_backs_never_break_the_driver(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        rx_writeback_case(&data);
    }
}

/// Hand-picked cases: DD with every length around the buffer size, on every descriptor.
#[test]
fn lengths_around_the_buffer_size() {
    let mut data = Vec::new();
    for (k, len) in [0u16, 1, 60, 2047, 2048, 2049, 4096, u16::MAX]
        .into_iter()
        .enumerate()
    {
        for i in 0..16u8 {
            let [lo, hi] = len.to_le_bytes();
            data.extend_from_slice(&[
                i,
                3,
                lo,
                hi,
                (k as u8) << 5,
                i & 1,
                8,
                7,
                1,
                k as u8 & 1,
                0,
                0,
                0,
                0,
                0,
                0,
            ]);
        }
    }
    assert!(
        rx_writeback_case(&data) > 0,
        "some of these are plausible packets"
    );
}
