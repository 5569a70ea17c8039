//! Bounded randomized tests on stable: the fuzz entry points over random and mutated inputs
//! must return without panicking (or looping: each case is bounded by its input's size).

use osp_acpi::harness;
use proptest::prelude::*;

fn corpus_seed() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/acpi");
    let Ok(mut machines) =
        std::fs::read_dir(&dir).map(|d| d.map(|e| e.unwrap().path()).collect::<Vec<_>>())
    else {
        return vec![vec![0; 64]];
    };
    machines.sort();
    let mut seeds = Vec::new();
    for m in machines.iter().step_by(40) {
        for f in ["APIC.dat", "FACP.dat", "MCFG.dat", "HPET.dat"] {
            if let Ok(b) = std::fs::read(m.join(f)) {
                seeds.push(b);
            }
        }
    }
    seeds
}

/// A table-like header followed by random bytes, so the typed views get past the length check.
fn headed() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![*b"FACP", *b"APIC", *b"MCFG", *b"HPET", *b"SSDT"]),
        prop::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(sig, body)| {
            let mut t = sig.to_vec();
            t.extend_from_slice(&(36 + body.len() as u32).to_le_bytes());
            t.extend_from_slice(&[0u8; 28]);
            t.extend_from_slice(&body);
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn tables_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        harness::table(&data);
    }

    #[test]
    fn headed_tables_never_panic(data in headed()) {
        harness::table(&data);
    }

    #[test]
    fn mutated_corpus_tables_never_panic(
        seed in prop::sample::select(corpus_seed()),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut t = seed.clone();
        for (i, b) in edits {
            let at = i.index(t.len().max(1));
            if let Some(x) = t.get_mut(at) {
                *x = b;
            }
        }
        harness::table(&t);
        t.truncate(cut.index(t.len() + 1));
        harness::table(&t);
    }

    #[test]
    fn aml_never_panics(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        harness::aml(&data);
    }

    #[test]
    fn aml_structured_never_panics(
        ops in prop::collection::vec(prop::sample::select(vec![0x10u8, 0x08, 0x12, 0x14, 0x5b, 0x82, 0x5c, 0x00, 0x5f, 0x53, 0x35, 0x3f, 0x40, 0x80, 0xc0, 0x0a, 0x0b, 0x70, 0x2e, 0x2f, 0xff]), 0..600)
    ) {
        harness::aml(&ops);
    }

    #[test]
    fn images_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        harness::image(&data);
    }

    #[test]
    fn acpidump_text_never_panics(data in "(?s)[ -~\n]{0,600}") {
        harness::dump_text(data.as_bytes());
    }
}

/// A well-formed image: RSDP → XSDT → random tables, each entry sometimes hostile.
#[test]
fn structured_images_never_panic() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    let strategy = (
        any::<u8>(),
        prop::collection::vec(any::<u64>(), 0..12),
        prop::collection::vec(headed(), 1..6),
    );
    runner
        .run(&strategy, |(rev, entries, tables)| {
            // Chunks: [RSDP][XSDT][tables…] at 0x1000, 0x11000, 0x21000, …
            let mut chunks: Vec<Vec<u8>> = Vec::new();
            let mut rsdp = vec![0u8; 36];
            rsdp[..8].copy_from_slice(b"RSD PTR ");
            rsdp[15] = rev % 4;
            rsdp[16..20].copy_from_slice(&0x11000u32.to_le_bytes());
            rsdp[24..32].copy_from_slice(&0x11000u64.to_le_bytes());
            chunks.push(rsdp);
            let mut xsdt = b"XSDT".to_vec();
            let listed: Vec<u64> = (0..tables.len() as u64)
                .map(|i| 0x21000 + i * 0x10000)
                .chain(entries)
                .collect();
            xsdt.extend_from_slice(&(36 + 8 * listed.len() as u32).to_le_bytes());
            xsdt.extend_from_slice(&[0u8; 28]);
            for e in listed {
                xsdt.extend_from_slice(&e.to_le_bytes());
            }
            chunks.push(xsdt);
            chunks.extend(tables);
            let mut data = Vec::new();
            for c in chunks {
                data.extend_from_slice(&(c.len() as u16).to_le_bytes());
                data.extend_from_slice(&c);
            }
            harness::image(&data);
            Ok(())
        })
        .unwrap();
}
