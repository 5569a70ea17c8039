//! Decodes a machine's ACPI tables from a dump, the way the kernel reads them from memory.
//!
//! `cargo run --example acpi-dump -- [--json] INPUT`, where INPUT is a directory of table files
//! (`APIC.dat`, `SSDT_2.dat`, …) or an `acpidump` text file. The tables are laid out in a fake
//! physical memory behind a synthesized RSDP and XSDT and read through `osp_acpi::Acpi`.
//! Exit status: 0 whenever the input could be read, 2 when it could not, 1 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;

use osp_acpi::dump::{Machine, diagnostics, read_input, to_json};
use osp_acpi::{Acpi, MemoryImage};

fn main() -> ExitCode {
    let mut json = false;
    let mut input = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!(
                    "usage: acpi-dump [--json] INPUT (directory of SIG.dat files or acpidump text)"
                );
                return ExitCode::SUCCESS;
            }
            _ if input.is_none() => input = Some(PathBuf::from(arg)),
            _ => {
                eprintln!("acpi-dump: unexpected argument {arg:?}");
                return ExitCode::from(1);
            }
        }
    }
    let Some(input) = input else {
        eprintln!("usage: acpi-dump [--json] INPUT");
        return ExitCode::from(1);
    };
    let tables = match read_input(&input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("acpi-dump: cannot read {}: {e}", input.display());
            return ExitCode::from(2);
        }
    };
    if json {
        println!("{}", to_json(&tables));
    } else {
        print_summary(&tables);
    }
    ExitCode::SUCCESS
}

fn print_summary(tables: &[osp_acpi::dump::DumpTable]) {
    println!("{} tables", tables.len());
    for t in tables {
        let len = t
            .bytes
            .get(4..8)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let ok = if t.checksum_ok() {
            ""
        } else {
            "  BAD CHECKSUM"
        };
        println!("  {:<8} {} {:>8} bytes{ok}", t.name, t.signature(), len);
    }
    let machine = Machine::new(tables);
    let slices = machine.slices();
    let mem = MemoryImage::new(&slices);
    let acpi = match Acpi::from_rsdp_addr(&mem, machine.rsdp) {
        Ok(a) => a,
        Err(e) => {
            println!("cannot open the tables: {e}");
            return;
        }
    };
    match acpi.madt() {
        Some(m) => {
            let lapics = m.local_apics().filter(|l| l.enabled()).count();
            let x2 = m.x2apics().filter(|x| x.enabled()).count();
            println!(
                "MADT: local APIC {:#x}, {} enabled CPUs ({} LAPIC, {} x2APIC), 8259s {}",
                m.local_apic_address(),
                lapics + x2,
                lapics,
                x2,
                if m.has_8259() { "present" } else { "absent" }
            );
            for io in m.io_apics() {
                println!(
                    "  I/O APIC {} at {:#x}, GSI base {}",
                    io.id, io.address, io.gsi_base
                );
            }
            for o in m.overrides() {
                println!("  IRQ {} -> GSI {} (flags {:#x})", o.source, o.gsi, o.flags);
            }
        }
        None => println!("MADT: none"),
    }
    if let Some(f) = acpi.fadt() {
        println!(
            "FADT: rev {} len {}, SCI {:?}, SMI_CMD {:?}, hardware-reduced {}",
            f.sdt().revision(),
            f.sdt().length(),
            f.sci_int(),
            f.smi_cmd(),
            f.hw_reduced()
        );
        if let Some(r) = f.reset_register().filter(|r| r.is_present()) {
            println!(
                "  reset: {:?} {:#x} <- {:?} (supported: {})",
                r.space,
                r.address,
                f.reset_value(),
                f.reset_supported()
            );
        }
    }
    for e in acpi.mcfg().iter().flat_map(|m| m.entries()) {
        println!(
            "MCFG: ECAM {:#x} segment {} buses {}-{}",
            e.base, e.segment, e.start_bus, e.end_bus
        );
    }
    if let Some(h) = acpi.hpet() {
        println!(
            "HPET: {:#x}, {:?} comparators",
            h.base_address().map_or(0, |g| g.address),
            h.comparators()
        );
    }
    match acpi.s5() {
        Ok(s) => println!("\\_S5: SLP_TYPa {} SLP_TYPb {}", s.slp_typa, s.slp_typb),
        Err(e) => println!("\\_S5: {e}"),
    }
    for d in diagnostics(tables, &machine, Some(&acpi)) {
        println!("diagnostic: {d}");
    }
}
