//! The parser never touches the heap: a counting global allocator watches a full kernel-style
//! pass (RSDP → XSDT → FADT, MADT, MCFG, HPET, DSDT/SSDT `\_S5`, diagnostics) over the corpus.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use osp_acpi::dump::{Machine, read_dir};
use osp_acpi::{Acpi, Block, Diagnostics, MemoryImage};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed through.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn kernel_pass(machine: &Machine, regions: &[(u64, &[u8])]) -> u64 {
    let mem = MemoryImage::new(regions);
    let acpi = Acpi::from_rsdp_addr(&mem, machine.rsdp).unwrap();
    let mut acc = 0u64;
    for t in acpi.tables() {
        acc += u64::from(t.length()) + u64::from(t.checksum_ok());
    }
    if let Some(f) = acpi.fadt() {
        acc += f.block(Block::Pm1aControl).map_or(0, |g| g.address);
    }
    if let Some(m) = acpi.madt() {
        acc += m.entries().count() as u64 + m.local_apic_address();
    }
    acc += acpi.mcfg().map_or(0, |m| m.entries().count() as u64);
    acc += acpi
        .hpet()
        .and_then(|h| h.base_address())
        .map_or(0, |g| g.address);
    acc += acpi.s5().map_or(0, |s| u64::from(s.slp_typa));
    acc += acpi.facs().map_or(0, |f| u64::from(f.length()));
    let mut diags = Diagnostics::<64>::new();
    acpi.diagnose(&mut |d| diags.push(d));
    acc + diags.len() as u64
}

#[test]
fn no_heap_allocation_while_parsing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/acpi");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("ACPI corpus not found at {}: skipping", dir.display());
        return;
    };
    let machines: Vec<Machine> = entries
        .map(|e| Machine::new(&read_dir(&e.unwrap().path()).unwrap()))
        .collect();
    let images: Vec<Vec<(u64, &[u8])>> = machines.iter().map(Machine::slices).collect();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let mut acc = 0u64;
    for (m, r) in machines.iter().zip(&images) {
        acc = acc.wrapping_add(kernel_pass(m, r));
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(acc != 0);
    assert_eq!(
        after - before,
        0,
        "heap allocations while parsing {} machines",
        machines.len()
    );
}
