//! PCI through `osp-pci`: ECAM from the ACPI MCFG table when there is one, port I/O otherwise;
//! prints an `lspci -nn` list.

use alloc::vec::Vec;

use osp_pci::{BusId, ConfigAccess, Ecam, Function, PortCam};

use crate::arch::Ports;
use crate::kprintln;

/// The configuration mechanism in use.
pub enum Config {
    /// Memory-mapped (PCIe ECAM).
    Ecam(Ecam),
    /// Port I/O mechanism #1.
    Port(PortCam<Ports>),
}

impl Config {
    /// The mechanism as a trait object.
    pub fn access(&mut self) -> &mut dyn ConfigAccess {
        match self {
            Config::Ecam(e) => e,
            Config::Port(p) => p,
        }
    }
}

/// One ECAM window from MCFG: (base, segment, start bus, end bus).
pub type EcamWindow = (u64, u16, u8, u8);

/// Chooses the mechanism, walks every bus reachable from the host bridge and prints the list.
pub fn init(ecam: Option<EcamWindow>) -> (Config, Vec<Function>) {
    let mut config = match ecam.and_then(|w| map_ecam(w).map(|e| (w, e))) {
        Some(((base, segment, start, end), e)) => {
            kprintln!("pci: ECAM at {base:#x}, segment {segment}, buses {start}-{end}");
            Config::Ecam(e)
        }
        None => {
            kprintln!("pci: port I/O configuration mechanism (0xCF8/0xCFC)");
            Config::Port(PortCam::new(Ports))
        }
    };
    let roots = match &config {
        Config::Ecam(e) => [BusId::new(e.segment(), e.start_bus())],
        Config::Port(_) => [BusId::new(0, 0)],
    };
    let functions = osp_pci::collect_functions(config.access(), &roots);
    for f in &functions {
        kprintln!("pci: {}", f.lspci_line());
    }
    kprintln!("pci: {} functions", functions.len());
    (config, functions)
}

fn map_ecam((base, segment, start, end): EcamWindow) -> Option<Ecam> {
    if end < start {
        return None;
    }
    let buses = u64::from(end - start) + 1;
    let window = base.checked_add(u64::from(start) << 20)?;
    match crate::memory::map_mmio(window, buses << 20, crate::memory_map()) {
        Ok(_) => {
            let base = core::ptr::NonNull::new(base as *mut u8)?;
            // SAFETY: `map_mmio` mapped the part for buses start..=end uncached at its identity
            // address (so relative to `base`, bus 0's address, as `Ecam::new` wants), and the
            // kernel alone uses it.
            Some(unsafe { Ecam::new(base, segment, start, end) })
        }
        Err(e) => {
            kprintln!("pci: cannot map the ECAM window at {window:#x}: {e:?}");
            None
        }
    }
}
