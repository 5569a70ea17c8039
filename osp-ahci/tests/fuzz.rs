//! The fuzz target's entry point on random inputs, bounded, on stable.

use osp_ahci::sim::fuzz;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_device_behaviour_never_panics_or_hangs(data in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let _ = fuzz::run(&data);
    }

    #[test]
    fn honest_registers_with_arbitrary_devices(mut data in proptest::collection::vec(any::<u8>(), 0..1200)) {
        if let Some(f) = data.first_mut() {
            *f &= !1;
        }
        let _ = fuzz::run(&data);
    }
}

#[test]
fn empty_input_is_fine() {
    let _ = fuzz::run(&[]);
}

/// The harness reaches I/O on most random inputs (it would be vacuous otherwise).
#[test]
fn random_inputs_reach_ready_disks_and_io() {
    let mut state = 0x9E37_79B9_u32;
    let mut total = fuzz::Summary::default();
    for _ in 0..200 {
        let data: Vec<u8> = (0..900)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let s = fuzz::run(&data);
        total.ready_ports += s.ready_ports;
        total.ops_ok += s.ops_ok;
        total.ops_failed += s.ops_failed;
    }
    assert!(total.ready_ports > 100, "{total:?}");
    assert!(total.ops_ok > 500 && total.ops_failed > 10, "{total:?}");
}
