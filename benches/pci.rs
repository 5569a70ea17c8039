//! PCI enumeration: osp-pci's bridge walk against a brute-force scan of every bus/device/function
//! and against the same walk written with `pci_types` 0.10, over the corpus machine
//! (`tree-asus-p6t6`) and a synthetic machine with many bridges; plus the cost of one checked
//! config read through ECAM and port I/O. Prints a table of config reads per walk first.
//!
//! `cargo bench --no-default-features --features pci --bench pci -- --warm-up-time 1 --measurement-time 3`

use std::cell::Cell;
use std::hint::black_box;
use std::path::Path;
use std::ptr::NonNull;

use criterion::{Criterion, criterion_group, criterion_main};
use osp_pci::dump::DumpSpace;
use osp_pci::sim::SimConfig;
use osp_pci::{Address, BusId, ConfigAccess, Ecam, Enumerator, Function, PortCam, Width};
use pci_types::{ConfigRegionAccess, HeaderType, PciAddress, PciHeader, PciPciBridgeHeader};

/// A machine's configuration space as a flat table (one slot per segment-0 function), so that
/// the access itself costs the same, and little, for every walker; counts reads.
struct Flat {
    spaces: Vec<Option<Box<[u8]>>>,
    reads: Cell<u64>,
}

impl Flat {
    fn capture<A: ConfigAccess>(mut access: A, addrs: impl Iterator<Item = Address>) -> Self {
        let mut spaces: Vec<Option<Box<[u8]>>> = (0..1 << 16).map(|_| None).collect();
        for a in addrs.filter(|a| a.segment() == 0) {
            let bytes: Vec<u8> = (0..4096u16)
                .map(|o| access.read8(a, o).unwrap_or(0xff))
                .collect();
            spaces[slot(a.bus(), a.device(), a.function())] = Some(bytes.into_boxed_slice());
        }
        Self {
            spaces,
            reads: Cell::new(0),
        }
    }

    fn dword(&self, bus: u8, device: u8, function: u8, offset: u16) -> u32 {
        self.reads.set(self.reads.get() + 1);
        let at = usize::from(offset & 0xffc);
        match &self.spaces[slot(bus, device, function)] {
            Some(s) if at + 4 <= s.len() => {
                u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
            }
            _ => u32::MAX,
        }
    }

    fn take_reads(&self) -> u64 {
        self.reads.replace(0)
    }
}

fn slot(bus: u8, device: u8, function: u8) -> usize {
    usize::from(bus) << 8 | usize::from(device & 31) << 3 | usize::from(function & 7)
}

impl ConfigAccess for &Flat {
    fn space_len(&self, _: Address) -> u16 {
        4096
    }
    fn read_raw(&mut self, a: Address, offset: u16, width: Width) -> u32 {
        let d = self.dword(a.bus(), a.device(), a.function(), offset);
        (d >> ((offset & 3) * 8)) & width.mask()
    }
    fn write_raw(&mut self, _: Address, _: u16, _: Width, _: u32) {}
}

impl ConfigRegionAccess for &Flat {
    unsafe fn read(&self, a: PciAddress, offset: u16) -> u32 {
        self.dword(a.bus(), a.device(), a.function(), offset)
    }
    unsafe fn write(&self, _: PciAddress, _: u16, _: u32) {}
}

/// osp-pci: the bridge walk from the host bridges' buses.
fn walk_osp(flat: &Flat, roots: &[BusId]) -> usize {
    Enumerator::new(flat, roots)
        .inspect(|f| {
            black_box(f);
        })
        .count()
}

/// Every bus, device and function, reading the same fields for each function found.
fn walk_brute(flat: &Flat) -> usize {
    let mut access = flat;
    let mut n = 0;
    for bus in 0..=255u8 {
        for device in 0..32 {
            for function in 0..8 {
                if let Some(f) = Function::read(&mut access, Address::new(0, bus, device, function))
                {
                    black_box(f);
                    n += 1;
                }
            }
        }
    }
    n
}

/// The same depth-first walk written with `pci_types` (visited-bus set against loops), reading
/// the fields osp-pci's `Function` has.
fn walk_pci_types(flat: &Flat, roots: &[BusId]) -> usize {
    fn scan(flat: &Flat, bus_no: u8, visited: &mut [bool; 256], n: &mut usize) {
        visited[usize::from(bus_no)] = true;
        for device in 0..32 {
            let header = PciHeader::new(PciAddress::new(0, bus_no, device, 0));
            if header.id(flat).0 == 0xffff {
                continue;
            }
            let functions = if header.has_multiple_functions(flat) {
                8
            } else {
                1
            };
            for function in 0..functions {
                let header = PciHeader::new(PciAddress::new(0, bus_no, device, function));
                let (vendor, device_id) = header.id(flat);
                if vendor == 0xffff {
                    continue;
                }
                black_box((vendor, device_id, header.revision_and_class(flat)));
                *n += 1;
                match header.header_type(flat) {
                    HeaderType::Endpoint => {
                        if let Some(e) = pci_types::EndpointHeader::from_header(header, flat) {
                            black_box((e.subsystem(flat), e.interrupt(flat)));
                        }
                    }
                    HeaderType::PciPciBridge => {
                        if let Some(b) = PciPciBridgeHeader::from_header(header, flat) {
                            let secondary = b.secondary_bus_number(flat);
                            black_box((b.primary_bus_number(flat), b.subordinate_bus_number(flat)));
                            if secondary != 0 && !visited[usize::from(secondary)] {
                                scan(flat, secondary, visited, n);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let mut visited = [false; 256];
    let mut n = 0;
    for r in roots {
        if !visited[usize::from(r.bus)] {
            scan(flat, r.bus, &mut visited, &mut n);
        }
    }
    n
}

struct Machine {
    name: &'static str,
    flat: Flat,
    /// Host bridges' buses (what ACPI would list).
    roots: Vec<BusId>,
}

fn machines() -> Vec<Machine> {
    let mut out = Vec::new();
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/pci/tree-asus-p6t6");
    match std::fs::read_to_string(&tree)
        .ok()
        .and_then(|t| DumpSpace::parse(&t).ok())
    {
        Some(dump) => {
            let flat = Flat::capture(&dump, dump.addresses());
            // X58: the IOH's bus 0 and the uncore's bus 0xff are separate host bridges.
            out.push(Machine {
                name: "asus-p6t6",
                flat,
                roots: vec![BusId::new(0, 0), BusId::new(0, 0xff)],
            });
        }
        None => println!(
            "corpus tree {} absent: benchmarking the synthetic machine only",
            tree.display()
        ),
    }
    let sim = SimConfig::synthetic(8, 8);
    let addrs: Vec<Address> = sim.functions().map(|(a, _)| a).collect();
    let flat = Flat::capture(sim, addrs.into_iter());
    out.push(Machine {
        name: "synthetic-80-bridges",
        flat,
        roots: vec![BusId::new(0, 0)],
    });
    out
}

fn print_read_table(machines: &[Machine]) {
    println!("\nconfig reads per full enumeration (functions found)");
    println!(
        "{:<22} {:>16} {:>16} {:>18} {:>9} {:>9}",
        "machine", "osp-pci", "pci_types", "brute force", "brute/osp", "pci_t/osp"
    );
    for m in machines {
        let n_osp = walk_osp(&m.flat, &m.roots);
        let osp = m.flat.take_reads();
        let n_pt = walk_pci_types(&m.flat, &m.roots);
        let pt = m.flat.take_reads();
        let n_brute = walk_brute(&m.flat);
        let brute = m.flat.take_reads();
        println!(
            "{:<22} {:>16} {:>16} {:>18} {:>9.1} {:>9.2}",
            m.name,
            format!("{osp} ({n_osp})"),
            format!("{pt} ({n_pt})"),
            format!("{brute} ({n_brute})"),
            brute as f64 / osp as f64,
            pt as f64 / osp as f64
        );
    }
    println!();
}

/// Port I/O that answers CONFIG_DATA from a fixed value (what one `in` costs is the kernel's).
struct ModelPorts(u32);

impl osp_hal::PortIo for ModelPorts {
    fn read8(&mut self, _: u16) -> u8 {
        self.0 as u8
    }
    fn read16(&mut self, _: u16) -> u16 {
        self.0 as u16
    }
    fn read32(&mut self, _: u16) -> u32 {
        self.0
    }
    fn write8(&mut self, _: u16, _: u8) {}
    fn write16(&mut self, _: u16, _: u16) {}
    fn write32(&mut self, port: u16, value: u32) {
        black_box((port, value));
    }
}

fn benches(c: &mut Criterion) {
    let machines = machines();
    print_read_table(&machines);

    let mut g = c.benchmark_group("enumerate");
    for m in &machines {
        g.bench_function(format!("{}/osp-pci", m.name), |b| {
            b.iter(|| walk_osp(&m.flat, &m.roots))
        });
        g.bench_function(format!("{}/pci_types", m.name), |b| {
            b.iter(|| walk_pci_types(&m.flat, &m.roots))
        });
        g.bench_function(format!("{}/brute-force", m.name), |b| {
            b.iter(|| walk_brute(&m.flat))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("config-read");
    // One bus of ECAM backed by ordinary memory: the checked, volatile read path.
    let mut window = vec![0u32; (1 << 20) / 4];
    window[0] = 0x2922_8086;
    // SAFETY: `window` is 1 MiB, 4-byte aligned and outlives `ecam`; only bus 0 is declared.
    let mut ecam = unsafe { Ecam::new(NonNull::from(window.as_mut_slice()).cast(), 0, 0, 0) };
    let a = Address::new(0, 0, 0, 0);
    g.bench_function("ecam-read32", |b| {
        b.iter(|| ecam.read32(black_box(a), black_box(0)).unwrap_or(0))
    });
    let mut cam = PortCam::new(ModelPorts(0x2922_8086));
    g.bench_function("portcam-read32", |b| {
        b.iter(|| cam.read32(black_box(a), black_box(0)).unwrap_or(0))
    });
    g.finish();
    black_box(&window);
}

criterion_group!(pci, benches);
criterion_main!(pci);
