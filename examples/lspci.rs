//! `lspci` over `lspci -xxxx` dumps (host mode): `cargo run --example lspci -- [-v] [--json] FILE…`
//!
//! Prints one `lspci -nn` line per function (`bb:dd.f Class name [cccc]: Device [vvvv:dddd] (rev rr)`);
//! `-v` adds BARs and capabilities; `--json` prints the functions, their BARs and capability IDs,
//! and the number of configuration reads the walk made. All the files given form one machine.

use std::fmt::Write as _;
use std::process::ExitCode;

use osp_pci::dump::DumpSpace;
use osp_pci::{Bar, BarKind, Counting, Function};

fn main() -> ExitCode {
    let mut verbose = false;
    let mut json = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-v" => verbose = true,
            "--json" => json = true,
            "-h" | "--help" => {
                println!("usage: lspci [-v] [--json] FILE…");
                return ExitCode::SUCCESS;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: lspci [-v] [--json] FILE…");
        return ExitCode::FAILURE;
    }
    let mut space = DumpSpace::new();
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("lspci: {file}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = space.add(&text) {
            eprintln!("lspci: {file}: {e}");
            return ExitCode::FAILURE;
        }
    }

    let mut counting = Counting::new(&space);
    let functions = space.list(&mut counting);
    let config_reads = counting.reads();

    let mut access = &space;
    let mut out = String::new();
    if json {
        out.push_str("{\"functions\":[");
        for (i, f) in functions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            function_json(&mut out, f, &mut access);
        }
        let _ = write!(out, "],\"config_reads\":{config_reads}}}");
        println!("{out}");
        return ExitCode::SUCCESS;
    }
    for f in &functions {
        let _ = writeln!(out, "{}", f.lspci_line());
        if verbose {
            verbose_lines(&mut out, f, &mut access);
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}

fn function_json(out: &mut String, f: &Function, access: &mut &DumpSpace) {
    let _ = write!(
        out,
        "{{\"bdf\":\"{}\",\"vendor\":\"{:04x}\",\"device\":\"{:04x}\",\"class\":\"{:06x}\",\
         \"revision\":\"{:02x}\",\"header_type\":{},\"bars\":[",
        f.address,
        f.vendor_id,
        f.device_id,
        f.class.value(),
        f.revision,
        f.header_type.raw()
    );
    for (i, bar) in f.bars(access).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let size = bar.size.map_or("null".to_owned(), |s| s.to_string());
        let _ = write!(
            out,
            "{{\"index\":{},\"kind\":\"{}\",\"address\":\"{:#x}\",\"prefetchable\":{},\"size\":{size}}}",
            bar.index,
            bar.kind.as_str(),
            bar.address,
            bar.prefetchable
        );
    }
    out.push_str("],\"capabilities\":[");
    for (i, cap) in f.capabilities(access).enumerate() {
        let _ = write!(out, "{}\"{:02x}\"", if i > 0 { "," } else { "" }, cap.id);
    }
    out.push_str("],\"extended_capabilities\":[");
    for (i, cap) in f.extended_capabilities(access).enumerate() {
        let _ = write!(out, "{}\"{:04x}\"", if i > 0 { "," } else { "" }, cap.id);
    }
    out.push_str("]}");
}

fn verbose_lines(out: &mut String, f: &Function, access: &mut &DumpSpace) {
    if let Some((sv, sd)) = f.subsystem {
        let _ = writeln!(out, "\tSubsystem: [{sv:04x}:{sd:04x}]");
    }
    if f.interrupt_pin != 0 {
        let pin = char::from(b'A' + (f.interrupt_pin - 1).min(25));
        let _ = writeln!(
            out,
            "\tInterrupt: pin {pin} routed to IRQ {}",
            f.interrupt_line
        );
    }
    if let Some(b) = f.bus_numbers {
        let _ = writeln!(
            out,
            "\tBus: primary={:02x}, secondary={:02x}, subordinate={:02x}",
            b.primary, b.secondary, b.subordinate
        );
    }
    for bar in f.bars(access) {
        let _ = writeln!(out, "\t{}", region(&bar));
    }
    if let Some(w) = f.bridge_windows(access) {
        for (name, win) in [
            ("I/O", w.io),
            ("Memory", w.memory),
            ("Prefetchable memory", w.prefetchable),
        ] {
            match win {
                Some(win) => {
                    let _ = writeln!(
                        out,
                        "\t{name} behind bridge: {:x}-{:x}",
                        win.base, win.limit
                    );
                }
                None => {
                    let _ = writeln!(out, "\t{name} behind bridge: None");
                }
            }
        }
    }
    let caps: Vec<_> = f.capabilities(access).collect();
    for cap in caps {
        let _ = write!(out, "\tCapabilities: [{:02x}] {:02x}", cap.offset, cap.id);
        match cap.id {
            osp_pci::cap::id::PCI_EXPRESS => {
                let e = osp_pci::cap::Express::read(access, f.address, cap.offset);
                let _ = write!(out, " Express (v{}) {:?}", e.version(), e.port_type());
                if let Some((speed, width)) = e.link(access) {
                    let _ = write!(out, ", link {speed} x{width}");
                }
            }
            osp_pci::cap::id::MSI => {
                let m = osp_pci::cap::Msi::read(access, f.address, cap.offset);
                let _ = write!(
                    out,
                    " MSI: Enable{} Count={}/{} 64bit{}",
                    flag(m.is_enabled()),
                    m.enabled_vectors(),
                    m.max_vectors(),
                    flag(m.is_64bit())
                );
            }
            osp_pci::cap::id::MSI_X => {
                let m = osp_pci::cap::MsiX::read(access, f.address, cap.offset);
                let (t, p) = (m.table(), m.pba());
                let _ = write!(
                    out,
                    " MSI-X: Enable{} Count={} Table: BAR={} offset={:08x} PBA: BAR={} offset={:08x}",
                    flag(m.is_enabled()),
                    m.table_size(),
                    t.bir,
                    t.offset,
                    p.bir,
                    p.offset
                );
            }
            osp_pci::cap::id::POWER_MANAGEMENT => {
                let pm = osp_pci::cap::PowerManagement::read(access, f.address, cap.offset);
                let _ = write!(out, " Power Management version {}", pm.version());
            }
            osp_pci::cap::id::VENDOR_SPECIFIC => {
                let v = osp_pci::cap::VendorSpecific::read(access, f.address, cap.offset);
                let _ = write!(out, " Vendor Specific Information: Len={:02x}", v.len);
            }
            _ => {}
        }
        out.push('\n');
    }
    for cap in f.extended_capabilities(access) {
        let _ = writeln!(
            out,
            "\tCapabilities: [{:03x} v{}] {:04x}",
            cap.offset, cap.version, cap.id
        );
    }
}

fn region(bar: &Bar) -> String {
    let at = if bar.address == 0 {
        "<unassigned>".to_owned()
    } else {
        format!("{:x}", bar.address)
    };
    match bar.kind {
        BarKind::Io => format!("Region {}: I/O ports at {at}", bar.index),
        kind => format!(
            "Region {}: Memory at {at} ({}, {}prefetchable)",
            bar.index,
            match kind {
                BarKind::Mem64 => "64-bit",
                BarKind::Mem1M => "low-1M",
                _ => "32-bit",
            },
            if bar.prefetchable { "" } else { "non-" }
        ),
    }
}

fn flag(on: bool) -> char {
    if on { '+' } else { '-' }
}
