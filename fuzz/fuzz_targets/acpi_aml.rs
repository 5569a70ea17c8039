//! AML bytes through the bounded `\_S5` scan.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osp_acpi::harness::aml(data);
});
