//! Time to read everything a kernel needs from ACPI (RSDP → XSDT → FADT, MADT entries, MCFG,
//! HPET, DSDT/SSDT `\_S5`) for every machine of the corpus, with `osp-acpi` and with the `acpi`
//! crate 5.2 (`default-features = false`, the configuration that builds on stable), plus the heap
//! allocations each makes (counted by a wrapping global allocator).
//!
//! Both read the same synthesized memory image per machine. The `acpi` crate has no `\_S5`
//! extraction without its AML interpreter, so both sides run `osp_acpi::find_s5` over the AML
//! byte ranges their own table lookups return: the comparison is of table discovery and decoding.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use osp_acpi::dump::{Machine, read_dir};
use osp_acpi::{Acpi, Block, MadtEntry, MemoryImage, find_s5};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts allocations.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What both sides extract; summed so nothing is optimised away. Like the `acpi` crate, which
/// validates every table it returns, this side verifies the checksums of the tables it uses.
fn osp(machine: &Machine, regions: &[(u64, &[u8])]) -> u64 {
    osp_pass(machine, regions, true)
}

fn osp_tables(machine: &Machine, regions: &[(u64, &[u8])]) -> u64 {
    osp_pass(machine, regions, false)
}

fn osp_pass(machine: &Machine, regions: &[(u64, &[u8])], s5: bool) -> u64 {
    let mem = MemoryImage::new(regions);
    let Ok(acpi) = Acpi::from_rsdp_addr(&mem, machine.rsdp) else {
        return 0;
    };
    let mut acc = 0u64;
    let (fadt, madt, mcfg, hpet) = (acpi.fadt(), acpi.madt(), acpi.mcfg(), acpi.hpet());
    let used = [
        fadt.map(|t| t.sdt()),
        madt.map(|t| t.sdt()),
        mcfg.map(|t| t.sdt()),
        hpet.map(|t| t.sdt()),
    ];
    for t in used.into_iter().flatten() {
        black_box(t.checksum_ok());
    }
    if let Some(f) = fadt {
        acc += u64::from(f.sci_int().unwrap_or(0));
        acc += f.block(Block::Pm1aControl).map_or(0, |g| g.address);
        acc += f.reset_register().map_or(0, |g| g.address);
    }
    if let Some(m) = madt {
        acc += m.local_apic_address();
        for e in m.entries() {
            acc += match e {
                MadtEntry::LocalApic(l) => u64::from(l.apic_id),
                MadtEntry::IoApic(i) => u64::from(i.address),
                MadtEntry::InterruptSourceOverride(o) => u64::from(o.gsi),
                MadtEntry::LocalX2Apic(x) => u64::from(x.x2apic_id),
                _ => 1,
            };
        }
    }
    for e in mcfg.iter().flat_map(|m| m.entries()) {
        acc += e.base;
    }
    if let Some(h) = hpet {
        acc += h.base_address().map_or(0, |g| g.address);
    }
    if s5 {
        // The acpi crate validates each AML table it returns; its search stops in the DSDT on
        // 200 of 207 machines, so check the DSDT's checksum here too.
        if let Ok(t) = acpi.dsdt() {
            black_box(t.checksum_ok());
        }
        if let Ok(s) = acpi.s5() {
            acc += u64::from(s.slp_typa);
        }
    }
    acc
}

static ZEROS: [u8; 1 << 20] = [0; 1 << 20];
static OUTSIDE: AtomicUsize = AtomicUsize::new(0);

/// `acpi` 5.2's handler over the same regions.
#[derive(Clone, Copy)]
struct Handler<'a> {
    regions: &'a [(u64, &'a [u8])],
}

impl acpi::AcpiHandler for Handler<'_> {
    unsafe fn map_physical_region<T>(
        &self,
        phys: usize,
        size: usize,
    ) -> acpi::PhysicalMapping<Self, T> {
        let bytes = self
            .regions
            .iter()
            .find_map(|&(base, b)| {
                let start = usize::try_from((phys as u64).checked_sub(base)?).ok()?;
                b.get(start..start.checked_add(size)?)
            })
            .unwrap_or_else(|| {
                // The crate reads addresses from beyond short tables (revision-gated FADT fields):
                // hand it zeros, as unbacked memory would, and count it.
                OUTSIDE.fetch_add(1, Ordering::Relaxed);
                ZEROS
                    .get(..size)
                    .expect("request larger than the zero page")
            });
        let ptr = NonNull::new(bytes.as_ptr().cast_mut().cast::<T>())
            .expect("slice pointers are non-null");
        // SAFETY: `ptr` points to `size` readable bytes that live as long as the regions.
        unsafe { acpi::PhysicalMapping::new(phys, ptr, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &acpi::PhysicalMapping<Self, T>) {}
}

fn aml_of<'r>(regions: &[(u64, &'r [u8])], address: usize, length: u32) -> &'r [u8] {
    regions
        .iter()
        .find_map(|&(base, b)| {
            let start = usize::try_from((address as u64).checked_sub(base)?).ok()?;
            b.get(start..start.checked_add(length as usize)?)
        })
        .unwrap_or(&[])
}

fn acpi_crate(machine: &Machine, regions: &[(u64, &[u8])]) -> u64 {
    acpi_pass(machine, regions, true)
}

fn acpi_crate_tables(machine: &Machine, regions: &[(u64, &[u8])]) -> u64 {
    acpi_pass(machine, regions, false)
}

fn acpi_pass(machine: &Machine, regions: &[(u64, &[u8])], s5: bool) -> u64 {
    let handler = Handler { regions };
    // SAFETY: the handler only hands out memory inside the image; the RSDP address is valid.
    let Ok(tables) = (unsafe { acpi::AcpiTables::from_rsdp(handler, machine.rsdp as usize) })
    else {
        return 0;
    };
    let mut acc = 0u64;
    if let Ok(f) = tables.find_table::<acpi::fadt::Fadt>() {
        acc += u64::from(f.sci_interrupt);
        acc += f.pm1a_control_block().map_or(0, |g| g.address);
        acc += f.reset_register().map_or(0, |g| g.address);
    }
    if let Ok(m) = tables.find_table::<acpi::madt::Madt>() {
        acc += u64::from(m.get().local_apic_address);
        for e in m.get().entries() {
            acc += match e {
                acpi::madt::MadtEntry::LocalApic(l) => u64::from(l.apic_id),
                acpi::madt::MadtEntry::IoApic(i) => u64::from(i.io_apic_address),
                acpi::madt::MadtEntry::InterruptSourceOverride(o) => {
                    u64::from(o.global_system_interrupt)
                }
                acpi::madt::MadtEntry::LocalX2Apic(x) => u64::from(x.x2apic_id),
                _ => 1,
            };
        }
    }
    if let Ok(m) = tables.find_table::<acpi::mcfg::Mcfg>() {
        for e in m.entries() {
            acc += e.base_address;
        }
    }
    if let Ok(h) = acpi::HpetInfo::new(&tables) {
        acc += h.base_address as u64;
    }
    if !s5 {
        return acc;
    }
    let dsdt = tables
        .dsdt()
        .ok()
        .map(|t| aml_of(regions, t.address, t.length));
    let found = dsdt
        .into_iter()
        .chain(tables.ssdts().map(|t| aml_of(regions, t.address, t.length)))
        .find_map(find_s5);
    if let Some(Ok(s)) = found.map(|f| f.value) {
        acc += u64::from(s.slp_typa);
    }
    acc
}

fn bench(c: &mut Criterion) {
    let Some(dir) = osp::corpus_dir()
        .map(|d| d.join("acpi"))
        .filter(|d| d.is_dir())
    else {
        eprintln!("ACPI corpus not found (../shared/corpus/acpi): nothing to benchmark");
        return;
    };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let machines: Vec<Machine> = names
        .iter()
        .map(|p| Machine::new(&read_dir(p).unwrap()))
        .collect();
    let images: Vec<Vec<(u64, &[u8])>> = machines.iter().map(Machine::slices).collect();
    println!("{} machines", machines.len());

    for (name, f) in [
        ("osp-acpi", osp as fn(&Machine, &[(u64, &[u8])]) -> u64),
        ("acpi 5.2", acpi_crate),
    ] {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut sum = 0u64;
        for (m, r) in machines.iter().zip(&images) {
            sum = sum.wrapping_add(f(m, r));
        }
        let allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
        println!("{name}: {allocs} heap allocations over the corpus (checksum {sum:#x})");
    }
    println!(
        "acpi 5.2 asked for {} ranges outside the firmware tables",
        OUTSIDE.load(Ordering::Relaxed)
    );
    for (i, (m, r)) in machines.iter().zip(&images).enumerate() {
        let (a, b) = (osp(m, r), acpi_crate(m, r));
        if a != b {
            println!(
                "differs on {}: osp-acpi {a:#x}, acpi 5.2 {b:#x}",
                names[i].display()
            );
        }
    }

    type Pass = fn(&Machine, &[(u64, &[u8])]) -> u64;
    let groups: [(&str, Pass, Pass); 2] = [
        ("acpi_kernel_needs_all_machines", osp, acpi_crate),
        (
            "acpi_tables_only_all_machines",
            osp_tables,
            acpi_crate_tables,
        ),
    ];
    for (group, ours, theirs) in groups {
        let mut g = c.benchmark_group(group);
        for (name, pass) in [("osp-acpi", ours), ("acpi-5.2", theirs)] {
            g.bench_function(name, |b| {
                b.iter(|| {
                    machines
                        .iter()
                        .zip(&images)
                        .map(|(m, r)| pass(m, black_box(r)))
                        .sum::<u64>()
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
