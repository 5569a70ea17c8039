//! The OSp reference kernel: boots from a multiboot loader (QEMU `-kernel`, iPXE, GRUB on BIOS
//! and UEFI), shows what the machine is, and composes the OSp drivers.
#![no_std]
#![no_main]

extern crate alloc;

mod acpi;
mod arch;
mod bootinfo;
mod cpu;
mod interrupts;
mod memory;
mod net;
mod pci;
mod scratch;
mod serial;
mod storage;
mod tsc;

use core::sync::atomic::{AtomicU8, Ordering};

use osp_kernel::cmdline::{self, After, Problem, Source};
use osp_kernel::memmap::{Kind, MemoryMap};

core::arch::global_asm!(include_str!("boot.s"), options(att_syntax));

/// Kernel version, printed in the banner.
const VERSION: &str = env!("CARGO_PKG_VERSION");

static MEMORY_MAP: spin::Once<MemoryMap> = spin::Once::new();
static RSDP_COPY: spin::Once<[u8; 36]> = spin::Once::new();

/// The physical memory map (empty before the boot information has been read).
pub fn memory_map() -> &'static MemoryMap {
    static EMPTY: MemoryMap = MemoryMap::new();
    MEMORY_MAP.get().unwrap_or(&EMPTY)
}

/// `osp.after` as a number, readable from the fault path without locks.
static AFTER: AtomicU8 = AtomicU8::new(AFTER_HALT);
const AFTER_HALT: u8 = 0;
const AFTER_POWEROFF: u8 = 1;

/// Called from `boot.s` in long mode with what the loader left in EAX and EBX.
#[unsafe(no_mangle)]
extern "C" fn kmain(magic: u32, info: u32) -> ! {
    tsc::start();
    interrupts::init();
    serial::Uart::new(serial::COM1).init();
    kprintln!();
    kprintln!("OSp {VERSION}");

    // SAFETY: `magic`/`info` are the loader's EAX/EBX, and nothing has been allocated yet.
    let boot = match unsafe { bootinfo::read(magic, info) } {
        Ok(b) => b,
        Err(e) => {
            kprintln!("osp: FATAL: cannot read the boot information: {e:?}");
            after_fatal();
        }
    };
    let protocol = match boot.protocol {
        bootinfo::Protocol::Multiboot1 => "multiboot1",
        bootinfo::Protocol::Multiboot2 => "multiboot2",
    };
    let loader = boot
        .loader_name
        .as_ref()
        .map_or("unknown loader", |t| t.as_str());
    kprintln!("boot: {protocol} from {loader}");

    let mut embedded_buf = [0u8; cmdline::EMBED_SIZE];
    let embedded = cmdline::embedded(&mut embedded_buf);
    let (line, source) = cmdline::choose(boot.cmdline.as_ref().map(|t| t.as_str()), embedded);
    let source = match source {
        Source::Loader => "loader",
        Source::Embedded => "embedded",
        Source::None => "none",
    };
    kprintln!("cmdline: {line:?} (from {source})");
    let params = cmdline::parse(line, |p| match p {
        Problem::UnknownKey(k) => kprintln!("cmdline: warning: unknown parameter {k:?} ignored"),
        Problem::BadValue(k, v) => kprintln!("cmdline: warning: bad value {v:?} for {k} ignored"),
    });
    if let Some(base) = params.console {
        kprintln!("console: moving to the UART at {base:#x} (osp.console)");
        serial::set_console(base);
        kprintln!();
        kprintln!("OSp {VERSION}");
        kprintln!("boot: {protocol} from {loader}");
        kprintln!("cmdline: {line:?} (from {source})");
    }
    AFTER.store(
        match params.after {
            After::PowerOff => AFTER_POWEROFF,
            After::Halt | After::Serve => AFTER_HALT,
        },
        Ordering::SeqCst,
    );
    static LOGGER: serial::Logger = serial::Logger;
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(params.log_level);
    log::debug!("boot information at {info:#x} (magic {magic:#x})");

    cpu::print_info();
    let (hz, how) = tsc::calibrate();
    kprintln!(
        "cpu: tsc\t\t: {}.{:03} MHz ({how:?})",
        hz / 1_000_000,
        (hz / 1_000) % 1_000
    );

    let map = MEMORY_MAP.call_once(|| boot.memory.clone());
    let rsdp = boot.rsdp.map(|r| RSDP_COPY.call_once(|| r));
    kprintln!(
        "memory: {} MiB usable, {} MiB ACPI, {} MiB reserved, RAM ends at {:#x}, {} regions",
        map.total(Kind::Usable) >> 20,
        (map.total(Kind::AcpiReclaimable) + map.total(Kind::AcpiNvs)) >> 20,
        map.total(Kind::Reserved) >> 20,
        map.ram_end(),
        map.regions().len(),
    );
    log::info!("memory map:\n{map}");
    match memory::init(map) {
        Ok(s) => kprintln!(
            "memory: identity-mapped {} MiB, heap {} MiB, {} KiB of frames used",
            s.mapped >> 20,
            s.heap >> 20,
            s.frames_used >> 10
        ),
        Err(e) => {
            kprintln!("osp: FATAL: memory set-up failed: {e:?}");
            after_fatal();
        }
    }

    let acpi = acpi::init(map, rsdp);
    let ecam = acpi
        .and_then(|a| a.mcfg())
        .and_then(|m| m.entries().find(|e| e.segment == 0))
        .map(|e| (e.base, e.segment, e.start_bus, e.end_bus));
    let (mut pci, functions) = pci::init(ecam);
    let scratch = params.scratch_serial.map(|s| (s, params.scratch_sectors));
    storage::init(pci.access(), &functions, scratch);
    let network = net::init(pci.access(), &functions, params.ip);

    kprintln!("osp: ready ({} ms after entry)", tsc::uptime_ms());

    if params.test_fault {
        kprintln!(
            "osp: osp.test=fault: reading unmapped address {:#x}",
            FAULT_TEST_ADDR
        );
        // SAFETY: deliberately unsound: this read faults (the address is canonical but never
        // mapped) to prove the exception path; the handler never returns here.
        let v = unsafe { core::ptr::read_volatile(FAULT_TEST_ADDR as *const u64) };
        kprintln!("osp: the fault test read {v:#x} instead of faulting");
        after_fatal();
    }
    finish(params.after, params.serve_seconds, network)
}

/// Canonical, below the 128 TiB user/kernel split, far above any RAM: never mapped.
const FAULT_TEST_ADDR: u64 = 0x4000_0000_0000;

/// `osp.serve.seconds=N` serves N seconds, then does what `osp.after` says (`serve` then means
/// power off); `osp.after=serve` without it serves for ever.
fn finish(after: After, serve_seconds: Option<u64>, network: Option<net::Network>) -> ! {
    let serve = serve_seconds.is_some() || after == After::Serve;
    match network {
        Some(mut n) if serve => n.serve(serve_seconds),
        None if serve => kprintln!("osp: nothing to serve on (no network)"),
        _ => {}
    }
    match after {
        After::PowerOff => power_off(arch::QEMU_EXIT_OK),
        After::Serve if serve_seconds.is_some() => power_off(arch::QEMU_EXIT_OK),
        After::Halt | After::Serve => {
            kprintln!("osp: halted");
            arch::halt_forever()
        }
    }
}

fn power_off(qemu_code: u8) -> ! {
    serial::print_unlocked(format_args!("osp: power off\n"));
    acpi::power_off();
    arch::qemu_debug_exit(qemu_code);
    serial::print_unlocked(format_args!("osp: no power-off method worked; halted\n"));
    arch::halt_forever()
}

/// What happens after a fatal error: as `osp.after` says (halt until it has been parsed).
pub fn after_fatal() -> ! {
    if AFTER.load(Ordering::SeqCst) == AFTER_POWEROFF {
        power_off(arch::QEMU_EXIT_FATAL)
    }
    serial::print_unlocked(format_args!("osp: halted\n"));
    arch::halt_forever()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    serial::print_unlocked(format_args!("\nosp: PANIC: {info}\n"));
    after_fatal()
}
