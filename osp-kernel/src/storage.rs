//! SATA disks through `osp-ahci`: every AHCI controller `osp-pci` found is brought up with the
//! default (Linux "normal") link timing, and every disk is described like `hdparm -I`.

use osp_ahci::{Config, Hba, PortOutcome};
use osp_hal::Mmio;
use osp_pci::{BarKind, ConfigAccess, Function};

use crate::kprintln;
use crate::memory::KernelDma;
use crate::tsc::TscClock;

/// AHCI 1.3.1 §2.1: the ABAR is BAR5; the register window is 0x100 bytes of generic registers
/// plus 0x80 per port, 32 ports at most.
const ABAR_INDEX: u8 = 5;
const ABAR_LEN: u64 = 0x100 + 32 * 0x80;

/// Brings up every AHCI controller among `functions`.
/// `scratch`: the serial number of a disk that may be overwritten, and how many sectors.
pub fn init(access: &mut dyn ConfigAccess, functions: &[Function], scratch: Option<(&str, u64)>) {
    for f in functions
        .iter()
        .filter(|f| (f.class.base, f.class.sub, f.class.prog_if) == (0x01, 0x06, 0x01))
    {
        let addr = f.address;
        let Some(bar) = f
            .bar(access, ABAR_INDEX)
            .filter(|b| b.kind != BarKind::Io && b.address != 0)
        else {
            kprintln!("ahci: {addr}: no memory BAR5 (ABAR); skipped");
            continue;
        };
        let ptr = match crate::memory::map_mmio(bar.address, ABAR_LEN, crate::memory_map()) {
            Ok(p) => p,
            Err(e) => {
                kprintln!("ahci: {addr}: cannot map ABAR {:#x}: {e:?}", bar.address);
                continue;
            }
        };
        let _ = f.set_memory_decode(access, true);
        let _ = f.set_bus_master(access, true);
        // SAFETY: `map_mmio` mapped the ABAR window uncached at its identity address, and this
        // controller is driven by this `Hba` alone.
        let regs = unsafe { Mmio::new(ptr, ABAR_LEN as usize) };
        let mut hba = match Hba::new(regs, KernelDma, TscClock, Config::default()) {
            Ok(h) => h,
            Err(e) => {
                kprintln!("ahci: {addr}: {e}");
                continue;
            }
        };
        let vs = hba.version();
        kprintln!(
            "ahci: {addr}: AHCI {}.{}, {} command slots, ports implemented {:#010x}",
            vs >> 16,
            (vs >> 8) & 0xff,
            hba.command_slots(),
            hba.ports_implemented()
        );
        let report = hba.bring_up();
        for r in report.iter() {
            kprintln!(
                "ahci: port {}: {} ({} ms)",
                r.port,
                r.outcome,
                r.took.as_millis()
            );
        }
        kprintln!("ahci: bring-up took {} ms", report.total.as_millis());
        let ready: alloc::vec::Vec<u8> = report
            .iter()
            .filter(|r| r.outcome == PortOutcome::Ready)
            .map(|r| r.port)
            .collect();
        for p in ready {
            match hba.disk(p) {
                Ok(mut disk) => {
                    kprintln!("ahci: port {p}: disk");
                    for line in alloc::format!("{}", disk.identify()).lines() {
                        kprintln!("  {line}");
                    }
                    let serial = disk.identify().serial.as_str();
                    if let Some((_, sectors)) = scratch.filter(|(s, _)| *s == serial) {
                        kprintln!("scratch: port {p} is the scratch disk {serial:?}");
                        if let Err(e) = crate::scratch::run(&mut disk, sectors) {
                            kprintln!("scratch: FAILED: {e}");
                        }
                    }
                }
                Err(e) => kprintln!("ahci: port {p}: {e}"),
            }
        }
    }
}
