//! Arbitrary configuration spaces (bridges pointing anywhere, capability lists of any shape, any
//! BAR values) walked, decoded and sized by osp-pci, and the same bytes parsed as an `lspci`
//! dump. `osp_pci::sim::exercise` panics when a bound breaks (walk reads, capability list
//! lengths, a function listed twice, a BAR probed while decoding).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osp_pci::sim::exercise(data);
});
