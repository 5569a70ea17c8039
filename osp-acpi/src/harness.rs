//! Whole-parser entry points over arbitrary bytes (feature `std`), shared by the cargo-fuzz
//! targets and the randomized tests: each runs every accessor a kernel would and must return
//! without panicking, whatever the input.

use std::vec::Vec;

use crate::power::{AcpiIo, Width};
use crate::{Acpi, Block, Config, Diagnostics, Fadt, Hpet, Madt, Mcfg, MemoryImage, Sdt};

/// An [`AcpiIo`] that accepts everything and remembers nothing.
#[derive(Debug, Default)]
pub struct NullIo;

impl osp_hal::PortIo for NullIo {
    fn read8(&mut self, _: u16) -> u8 {
        0
    }
    fn read16(&mut self, _: u16) -> u16 {
        0
    }
    fn read32(&mut self, _: u16) -> u32 {
        0
    }
    fn write8(&mut self, _: u16, _: u8) {}
    fn write16(&mut self, _: u16, _: u16) {}
    fn write32(&mut self, _: u16, _: u32) {}
}

impl AcpiIo for NullIo {
    fn read_memory(&mut self, _: u64, _: Width) -> u64 {
        0
    }
    fn write_memory(&mut self, _: u64, _: Width, _: u64) {}
}

/// One table: the header check and every typed view and check over `data`.
pub fn table(data: &[u8]) -> u64 {
    let Ok(sdt) = Sdt::new(data, 0x1000) else {
        return 0;
    };
    let mut acc = u64::from(sdt.checksum_ok()).wrapping_add(u64::from(sdt.length()));
    let mut diags = Diagnostics::<16>::new();
    let mut sink = |d| diags.push(d);
    // Views check the signature; try each regardless of what the bytes say.
    let retag = |sig: &[u8; 4]| {
        let mut v = data.to_vec();
        if let Some(s) = v.get_mut(..4) {
            s.copy_from_slice(sig);
        }
        v
    };
    let (f, m, c, h) = (
        retag(b"FACP"),
        retag(b"APIC"),
        retag(b"MCFG"),
        retag(b"HPET"),
    );
    if let Some(fadt) = any(&f).and_then(|s| Fadt::new(s).ok()) {
        fadt.check(&mut sink);
        for b in Block::ALL {
            acc = acc.wrapping_add(fadt.block(b).map_or(0, |g| g.address));
        }
        acc = acc
            .wrapping_add(fadt.dsdt_address().unwrap_or(0))
            .wrapping_add(fadt.facs_address().unwrap_or(0));
        let _ = (
            fadt.reset_register(),
            fadt.sleep_control(),
            fadt.iapc_boot_arch(),
        );
        let _ = crate::power::reset(&mut NullIo, &fadt);
        let _ = crate::power::enter_sleep(
            &mut NullIo,
            &fadt,
            crate::SleepType {
                slp_typa: 5,
                slp_typb: 7,
            },
        );
    }
    if let Some(madt) = any(&m).and_then(|s| Madt::new(s).ok()) {
        madt.check(&mut sink);
        acc = acc
            .wrapping_add(madt.entries().count() as u64)
            .wrapping_add(madt.local_apic_address());
        acc = acc.wrapping_add(u64::from(madt.isa_irq(0).0));
    }
    if let Some(mcfg) = any(&c).and_then(|s| Mcfg::new(s).ok()) {
        mcfg.check(&mut sink);
        acc = acc.wrapping_add(mcfg.entries().map(|e| e.base).fold(0, u64::wrapping_add));
    }
    if let Some(hpet) = any(&h).and_then(|s| Hpet::new(s).ok()) {
        acc = acc.wrapping_add(u64::from(hpet.comparators().unwrap_or(0)));
    }
    acc.wrapping_add(crate::find_s5(sdt.body()).map_or(0, |f| f.offset as u64))
        .wrapping_add(diags.len() as u64)
}

/// AML: the `\_S5` scan over `data`.
pub fn aml(data: &[u8]) -> u64 {
    crate::find_s5(data).map_or(0, |f| f.offset as u64)
}

/// A whole memory image cut from `data`: the first byte picks the RSDP revision, then
/// length-prefixed chunks become regions at 4 KiB-spaced addresses, the first being the RSDP
/// and the second the root table (whose entries may point anywhere, including other chunks).
/// Every `Acpi` accessor, `diagnose`, `power_off` and `reset` then run over it.
pub fn image(data: &[u8]) -> u64 {
    let mut regions: Vec<(u64, &[u8])> = Vec::new();
    let mut rest = data;
    let mut base = 0x1000u64;
    while let [len_lo, len_hi, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*len_lo, *len_hi])).min(tail.len());
        let (chunk, next) = tail.split_at(len);
        regions.push((base, chunk));
        base += 0x1_0000;
        rest = next;
        if regions.len() >= 32 {
            break;
        }
    }
    let mem = MemoryImage::new(&regions);
    let mut acc = 0u64;
    for config in [
        Config::default(),
        Config {
            max_table_length: 4096,
            force_rsdt: true,
        },
    ] {
        let Ok(acpi) = Acpi::from_rsdp_addr_with(&mem, 0x1000, config) else {
            continue;
        };
        acc = acc.wrapping_add(run(&acpi));
    }
    if let Ok(acpi) = Acpi::search_rsdp(&mem) {
        acc = acc.wrapping_add(run(&acpi));
    }
    acc
}

fn any(bytes: &[u8]) -> Option<Sdt<'_>> {
    Sdt::new(bytes, 0).ok()
}

fn run(acpi: &Acpi<'_, MemoryImage<'_>>) -> u64 {
    let mut acc = 0u64;
    for e in acpi.entries() {
        acc = acc.wrapping_add(e.phys);
    }
    for t in acpi.tables() {
        acc = acc.wrapping_add(table(t.bytes()));
    }
    let _ = (
        acpi.fadt(),
        acpi.madt(),
        acpi.mcfg(),
        acpi.hpet(),
        acpi.dsdt(),
        acpi.facs(),
    );
    let _ = acpi.s5();
    let mut diags = Diagnostics::<64>::new();
    acpi.diagnose(&mut |d| diags.push(d));
    let _ = acpi.power_off(&mut NullIo);
    let _ = acpi.reset(&mut NullIo);
    acc.wrapping_add(diags.len() as u64)
}

/// acpidump text: parse, lay out and summarise as JSON.
pub fn dump_text(data: &[u8]) -> usize {
    let tables = crate::dump::parse_acpidump(&std::string::String::from_utf8_lossy(data));
    crate::dump::to_json(&tables).len()
}
