//! acpidump text through the dump reader, the memory layout and the JSON summary.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osp_acpi::harness::dump_text(data);
});
