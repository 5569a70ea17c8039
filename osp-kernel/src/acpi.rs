//! ACPI through `osp-acpi`: the table list, the MADT summary, MCFG for PCI, and S5 power-off.

use osp_acpi::{Acpi, AcpiIo, PhysMapper, Width};
use osp_hal::PortIo;
use osp_kernel::memmap::MemoryMap;

use crate::arch::Ports;
use crate::kprintln;

/// Physical memory as the kernel maps it: identity, the first 4 GiB and all RAM. Refuses
/// anything else, so a firmware table pointer into nowhere is an error, not a fault.
pub struct KernelMapper {
    map: &'static MemoryMap,
}

impl PhysMapper for KernelMapper {
    fn map(&self, phys: u64, len: usize) -> Option<&[u8]> {
        let end = phys.checked_add(len as u64)?;
        let mapped = end <= 1 << 32
            || self
                .map
                .regions()
                .iter()
                .any(|r| r.kind.is_ram() && r.start <= phys && end <= r.end);
        if phys == 0 || !mapped {
            return None;
        }
        // SAFETY: the range is identity-mapped (checked above) and firmware tables are never
        // written by the kernel; `len` bytes from `phys` are readable.
        Some(unsafe { core::slice::from_raw_parts(phys as *const u8, len) })
    }
}

/// Port I/O plus volatile physical-memory access for the FADT's registers.
struct KernelAcpiIo;

impl PortIo for KernelAcpiIo {
    fn read8(&mut self, port: u16) -> u8 {
        Ports.read8(port)
    }
    fn read16(&mut self, port: u16) -> u16 {
        Ports.read16(port)
    }
    fn read32(&mut self, port: u16) -> u32 {
        Ports.read32(port)
    }
    fn write8(&mut self, port: u16, value: u8) {
        Ports.write8(port, value)
    }
    fn write16(&mut self, port: u16, value: u16) {
        Ports.write16(port, value)
    }
    fn write32(&mut self, port: u16, value: u32) {
        Ports.write32(port, value)
    }
}

impl AcpiIo for KernelAcpiIo {
    fn read_memory(&mut self, phys: u64, width: Width) -> u64 {
        let Ok(p) = crate::memory::map_mmio(phys, 8, crate::memory_map()) else {
            return u64::MAX;
        };
        let p = p.as_ptr();
        // SAFETY: `map_mmio` mapped the register uncached at its identity address; FADT
        // registers are naturally aligned device registers.
        unsafe {
            match width {
                Width::U8 => u64::from(p.read_volatile()),
                Width::U16 => u64::from(p.cast::<u16>().read_volatile()),
                Width::U32 => u64::from(p.cast::<u32>().read_volatile()),
                Width::U64 => p.cast::<u64>().read_volatile(),
            }
        }
    }
    fn write_memory(&mut self, phys: u64, width: Width, value: u64) {
        let Ok(p) = crate::memory::map_mmio(phys, 8, crate::memory_map()) else {
            return;
        };
        let p = p.as_ptr();
        // SAFETY: as in `read_memory`.
        unsafe {
            match width {
                Width::U8 => p.write_volatile(value as u8),
                Width::U16 => p.cast::<u16>().write_volatile(value as u16),
                Width::U32 => p.cast::<u32>().write_volatile(value as u32),
                Width::U64 => p.cast::<u64>().write_volatile(value),
            }
        }
    }
}

static MAPPER: spin::Once<KernelMapper> = spin::Once::new();
static ACPI: spin::Once<Option<Acpi<'static, KernelMapper>>> = spin::Once::new();

/// Finds the ACPI tables (the loader's RSDP copy, else the BIOS areas) and prints what they say.
pub fn init(
    map: &'static MemoryMap,
    rsdp_copy: Option<&'static [u8; 36]>,
) -> Option<&'static Acpi<'static, KernelMapper>> {
    let mapper = MAPPER.call_once(|| KernelMapper { map });
    let acpi = ACPI.call_once(|| {
        let found = match rsdp_copy {
            Some(copy) => Acpi::from_rsdp_addr(mapper, copy.as_ptr() as u64),
            None => Acpi::search_rsdp(mapper),
        };
        match found {
            Ok(a) => Some(a),
            Err(e) => {
                kprintln!("acpi: no usable tables: {e}");
                None
            }
        }
    });
    let acpi = acpi.as_ref()?;
    print(acpi);
    // Legacy (SMM-owned) mode ignores PM1 writes on many machines: take ACPI mode now, as an
    // OS does at boot. About a microsecond per poll: a few seconds at most.
    match acpi.enable_acpi_mode(&mut KernelAcpiIo, 3_000_000) {
        Ok(mode) => kprintln!("acpi: ACPI mode: {mode:?}"),
        Err(e) => kprintln!("acpi: ACPI mode: {e}"),
    }
    Some(acpi)
}

fn ascii(b: &[u8]) -> &str {
    core::str::from_utf8(b)
        .unwrap_or("?")
        .trim_end_matches([' ', '\0'])
}

fn print(acpi: &Acpi<'static, KernelMapper>) {
    if let Some(r) = acpi.rsdp() {
        kprintln!(
            "acpi: RSDP revision {} OEM {:?}, root table {}",
            r.revision(),
            ascii(&r.oem_id()),
            ascii(&acpi.root().signature().0)
        );
    }
    for t in acpi.tables() {
        kprintln!(
            "acpi: {} {:#010x} length {:5} revision {} OEM {:6} checksum {}",
            ascii(&t.signature().0),
            t.phys(),
            t.length(),
            t.revision(),
            ascii(&t.oem_id()),
            if t.checksum_ok() { "ok" } else { "BAD" }
        );
    }
    if let Some(madt) = acpi.madt() {
        let lapics = madt.local_apics().filter(|l| l.enabled()).count();
        let x2 = madt.x2apics().filter(|l| l.enabled()).count();
        kprintln!(
            "acpi: MADT: {} CPUs enabled ({} local APIC, {} x2APIC), local APIC at {:#x}, 8259 {}",
            lapics + x2,
            lapics,
            x2,
            madt.local_apic_address(),
            if madt.has_8259() { "present" } else { "absent" }
        );
        for io in madt.io_apics() {
            kprintln!(
                "acpi: MADT: I/O APIC id {} at {:#x}, GSI base {}",
                io.id,
                io.address,
                io.gsi_base
            );
        }
        for o in madt.overrides() {
            kprintln!(
                "acpi: MADT: override bus {} IRQ {} -> GSI {} flags {:#x}",
                o.bus,
                o.source,
                o.gsi,
                o.flags
            );
        }
        for n in madt.nmi_sources() {
            kprintln!("acpi: MADT: NMI source GSI {} flags {:#x}", n.gsi, n.flags);
        }
    }
    for m in acpi.mcfg().iter().flat_map(|m| m.entries()) {
        kprintln!(
            "acpi: MCFG: ECAM at {:#x}, segment {}, buses {}-{}",
            m.base,
            m.segment,
            m.start_bus,
            m.end_bus
        );
    }
    match acpi.s5() {
        Ok(s5) => kprintln!(
            "acpi: _S5: SLP_TYPa={} SLP_TYPb={}",
            s5.slp_typa,
            s5.slp_typb
        ),
        Err(e) => kprintln!("acpi: _S5: {e}"),
    }
    let mut count = 0;
    acpi.diagnose(&mut |d| {
        count += 1;
        if count <= 16 {
            kprintln!("acpi: diagnostic: {d}");
        }
    });
    if count > 16 {
        kprintln!("acpi: ({} more diagnostics)", count - 16);
    }
}

/// Enters S5 through the FADT; returns only if that was impossible.
pub fn power_off() {
    let Some(Some(acpi)) = ACPI.get() else {
        return;
    };
    match acpi.power_off(&mut KernelAcpiIo) {
        Ok(()) => {
            // S5 takes effect within microseconds; give slow chipsets a bounded moment.
            for _ in 0..10_000_000 {
                core::hint::spin_loop();
            }
            crate::serial::print_unlocked(format_args!("osp: S5 requested but still running\n"));
        }
        Err(e) => {
            crate::serial::print_unlocked(format_args!("osp: ACPI power-off impossible: {e}\n"))
        }
    }
}
