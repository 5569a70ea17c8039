//! One table (any signature) through the header check, every typed view and its diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osp_acpi::harness::table(data);
});
