//! Small x86-64 pieces: port I/O, halting, the hypervisor signature, power-off fallbacks.

use osp_hal::PortIo;
use x86_64::instructions::port::Port;

/// The CPU's I/O port space.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports;

impl PortIo for Ports {
    fn read8(&mut self, port: u16) -> u8 {
        // SAFETY: port reads have no memory-safety effect on this kernel's state; the kernel owns
        // all devices (no other OS runs beside it).
        unsafe { Port::<u8>::new(port).read() }
    }
    fn read16(&mut self, port: u16) -> u16 {
        // SAFETY: as in `read8`.
        unsafe { Port::<u16>::new(port).read() }
    }
    fn read32(&mut self, port: u16) -> u32 {
        // SAFETY: as in `read8`.
        unsafe { Port::<u32>::new(port).read() }
    }
    fn write8(&mut self, port: u16, value: u8) {
        // SAFETY: devices on I/O ports do not DMA into memory we have not handed them; callers
        // choose the port deliberately.
        unsafe { Port::<u8>::new(port).write(value) }
    }
    fn write16(&mut self, port: u16, value: u16) {
        // SAFETY: as in `write8`.
        unsafe { Port::<u16>::new(port).write(value) }
    }
    fn write32(&mut self, port: u16, value: u32) {
        // SAFETY: as in `write8`.
        unsafe { Port::<u32>::new(port).write(value) }
    }
}

/// Stops this CPU for good: interrupts off, `hlt` forever.
pub fn halt_forever() -> ! {
    x86_64::instructions::interrupts::disable();
    loop {
        x86_64::instructions::hlt();
    }
}

/// The hypervisor's CPUID signature (leaf 0x4000_0000), if CPUID says we run under one.
pub fn hypervisor() -> Option<[u8; 12]> {
    let leaf1 = raw_cpuid::cpuid!(1);
    if leaf1.ecx & (1 << 31) == 0 {
        return None;
    }
    let r = raw_cpuid::cpuid!(0x4000_0000);
    let mut sig = [0u8; 12];
    sig[0..4].copy_from_slice(&r.ebx.to_le_bytes());
    sig[4..8].copy_from_slice(&r.ecx.to_le_bytes());
    sig[8..12].copy_from_slice(&r.edx.to_le_bytes());
    Some(sig)
}

/// Whether we run under QEMU (TCG or KVM), where the `isa-debug-exit` device may exist.
pub fn is_qemu() -> bool {
    matches!(hypervisor(), Some(sig) if &sig == b"TCGTCGTCGTCG" || &sig == b"KVMKVMKVM\0\0\0")
}

/// QEMU's `isa-debug-exit` device (`-device isa-debug-exit,iobase=0xf4,iosize=4`): writing `v`
/// ends QEMU with exit status `(v << 1) | 1`. Does nothing where the device is absent.
pub fn qemu_debug_exit(value: u8) {
    if is_qemu() {
        Ports.write32(0xf4, u32::from(value));
    }
}

/// The value written to `isa-debug-exit` for a clean power-off (QEMU status 33).
pub const QEMU_EXIT_OK: u8 = 0x10;
/// The value written to `isa-debug-exit` after a fatal error (QEMU status 35).
pub const QEMU_EXIT_FATAL: u8 = 0x11;
