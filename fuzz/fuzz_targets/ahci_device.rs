//! The AHCI driver against a simulated HBA whose devices, link timing, IDENTIFY data and
//! register values come from the input: it must never panic, hang or touch memory it does not
//! own. The entry point lives in `osp_ahci::sim::fuzz` so that stable tests run it too.
//!
//! Run with `-detect_leaks=0`: a port whose command engine never stops keeps (leaks) its DMA
//! memory on purpose, since the HBA may still write it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = osp_ahci::sim::fuzz::run(data);
});
