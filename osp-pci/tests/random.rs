//! Randomized (stable, bounded) version of the fuzz target: arbitrary configuration spaces never
//! make the walk, BAR decoding or sizing, or the capability walks panic or exceed their bounds.

use osp_pci::sim::exercise;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_machines_are_walked_within_bounds(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        exercise(&data);
    }

    /// Mostly-valid headers: vendor IDs present, header types 0–2 and bridges pointing at buses
    /// 0–7, so that the walk goes deep and meets loops.
    #[test]
    fn bridge_heavy_machines_are_walked_within_bounds(
        funcs in proptest::collection::vec((0u8..8, 0u8..32, 0u8..8, 0u8..3, 0u8..8, any::<bool>(), any::<[u8; 192]>()), 1..16),
        wide in any::<bool>(),
    ) {
        let mut data = vec![(funcs.len() as u8 - 1) | if wide { 0x80 } else { 0 }];
        for (bus, dev, func, header, secondary, multi, tail) in &funcs {
            let mut bytes = vec![0u8; 64];
            bytes[..4].copy_from_slice(&[0x86, 0x80, 0x34, 0x12]);
            bytes[0x06] = tail[0] & 0x10; // capability list sometimes
            bytes[0x0e] = header | if *multi { 0x80 } else { 0 };
            bytes[0x18] = *bus;
            bytes[0x19] = *secondary;
            bytes[0x1a] = 7;
            bytes[0x34] = tail[1];
            bytes.extend_from_slice(tail);
            data.extend_from_slice(&[*bus, *dev, *func]);
            data.extend_from_slice(&bytes);
            if wide {
                // Bytes 0x100–0x1ff: extended capability headers from the same random tail.
                data.extend_from_slice(&tail[..]);
                data.extend(std::iter::repeat_n(0, 256 - tail.len()));
            }
        }
        let r = exercise(&data);
        prop_assert!(r.functions <= funcs.len());
    }
}

#[test]
fn corpus_dumps_through_the_fuzz_entry_point() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/corpus/pci"
    ));
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!("skipped: ../shared/corpus/pci is absent");
        return;
    };
    for e in entries.flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        exercise(&bytes);
    }
}
