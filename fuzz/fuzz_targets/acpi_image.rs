//! A fake physical memory cut from the input: RSDP, root table and tables, through every Acpi accessor, diagnose, power_off and reset.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osp_acpi::harness::image(data);
});
