//! CPU identity and features from CPUID, printed like a `/proc/cpuinfo` subset.

use raw_cpuid::{CpuId, cpuid};

use crate::kprintln;

/// (leaf, sub-leaf, register, bit, Linux flag name). Intel SDM Vol. 2A, CPUID, Tables 3-10/3-11
/// and leaf 07H; AMD APM Vol. 3 for 8000_0001H. Names as Linux's /proc/cpuinfo prints them.
const FLAGS: &[(u32, u32, u8, u8, &str)] = &[
    (1, 0, b'd', 0, "fpu"),
    (1, 0, b'd', 1, "vme"),
    (1, 0, b'd', 2, "de"),
    (1, 0, b'd', 3, "pse"),
    (1, 0, b'd', 4, "tsc"),
    (1, 0, b'd', 5, "msr"),
    (1, 0, b'd', 6, "pae"),
    (1, 0, b'd', 7, "mce"),
    (1, 0, b'd', 8, "cx8"),
    (1, 0, b'd', 9, "apic"),
    (1, 0, b'd', 11, "sep"),
    (1, 0, b'd', 12, "mtrr"),
    (1, 0, b'd', 13, "pge"),
    (1, 0, b'd', 14, "mca"),
    (1, 0, b'd', 15, "cmov"),
    (1, 0, b'd', 16, "pat"),
    (1, 0, b'd', 17, "pse36"),
    (1, 0, b'd', 19, "clflush"),
    (1, 0, b'd', 23, "mmx"),
    (1, 0, b'd', 24, "fxsr"),
    (1, 0, b'd', 25, "sse"),
    (1, 0, b'd', 26, "sse2"),
    (1, 0, b'd', 27, "ss"),
    (1, 0, b'd', 28, "ht"),
    (0x8000_0001, 0, b'd', 11, "syscall"),
    (0x8000_0001, 0, b'd', 20, "nx"),
    (0x8000_0001, 0, b'd', 26, "pdpe1gb"),
    (0x8000_0001, 0, b'd', 27, "rdtscp"),
    (0x8000_0001, 0, b'd', 29, "lm"),
    (1, 0, b'c', 0, "pni"),
    (1, 0, b'c', 1, "pclmulqdq"),
    (1, 0, b'c', 3, "monitor"),
    (1, 0, b'c', 5, "vmx"),
    (1, 0, b'c', 9, "ssse3"),
    (1, 0, b'c', 12, "fma"),
    (1, 0, b'c', 13, "cx16"),
    (1, 0, b'c', 19, "sse4_1"),
    (1, 0, b'c', 20, "sse4_2"),
    (1, 0, b'c', 21, "x2apic"),
    (1, 0, b'c', 22, "movbe"),
    (1, 0, b'c', 23, "popcnt"),
    (1, 0, b'c', 24, "tsc_deadline_timer"),
    (1, 0, b'c', 25, "aes"),
    (1, 0, b'c', 26, "xsave"),
    (1, 0, b'c', 28, "avx"),
    (1, 0, b'c', 29, "f16c"),
    (1, 0, b'c', 30, "rdrand"),
    (1, 0, b'c', 31, "hypervisor"),
    (0x8000_0001, 0, b'c', 0, "lahf_lm"),
    (0x8000_0001, 0, b'c', 2, "svm"),
    (0x8000_0001, 0, b'c', 5, "abm"),
    (7, 0, b'b', 0, "fsgsbase"),
    (7, 0, b'b', 3, "bmi1"),
    (7, 0, b'b', 5, "avx2"),
    (7, 0, b'b', 7, "smep"),
    (7, 0, b'b', 8, "bmi2"),
    (7, 0, b'b', 9, "erms"),
    (7, 0, b'b', 10, "invpcid"),
    (7, 0, b'b', 16, "avx512f"),
    (7, 0, b'b', 18, "rdseed"),
    (7, 0, b'b', 19, "adx"),
    (7, 0, b'b', 20, "smap"),
    (7, 0, b'b', 29, "sha_ni"),
    (7, 0, b'c', 2, "umip"),
    (7, 0, b'c', 4, "pku"),
];

fn max_leaf(base: u32) -> u32 {
    cpuid!(base).eax
}

fn has(leaf: u32, sub: u32, reg: u8, bit: u8) -> bool {
    let max = max_leaf(leaf & 0x8000_0000);
    if leaf > max {
        return false;
    }
    let r = cpuid!(leaf, sub);
    let v = match reg {
        b'a' => r.eax,
        b'b' => r.ebx,
        b'c' => r.ecx,
        _ => r.edx,
    };
    v & (1 << bit) != 0
}

/// Prints the CPU's identity and features.
pub fn print_info() {
    let id = CpuId::new();
    let vendor = id.get_vendor_info();
    let vendor = vendor.as_ref().map_or("unknown", |v| v.as_str());
    kprintln!("cpu: vendor_id\t: {vendor}");
    if let Some(f) = id.get_feature_info() {
        kprintln!("cpu: cpu family\t: {}", f.family_id());
        kprintln!("cpu: model\t\t: {}", f.model_id());
        kprintln!("cpu: stepping\t: {}", f.stepping_id());
    }
    if let Some(brand) = id.get_processor_brand_string() {
        kprintln!("cpu: model name\t: {}", brand.as_str().trim());
    }
    if let Some(sizes) = id.get_processor_capacity_feature_info() {
        kprintln!(
            "cpu: address sizes\t: {} bits physical, {} bits virtual",
            sizes.physical_address_bits(),
            sizes.linear_address_bits()
        );
    }
    if let Some(hv) = crate::arch::hypervisor() {
        let end = hv.iter().position(|&b| b == 0).unwrap_or(hv.len());
        kprintln!(
            "cpu: hypervisor\t: {}",
            core::str::from_utf8(&hv[..end]).unwrap_or("?")
        );
    }
    crate::kprint!("cpu: flags\t\t:");
    for &(leaf, sub, reg, bit, name) in FLAGS {
        if has(leaf, sub, reg, bit) {
            crate::kprint!(" {name}");
        }
    }
    kprintln!();
}
