//! What the boot loader told us, copied out of its structures before any memory is reused.

use multiboot::information::{MemoryManagement, MemoryType, Multiboot, PAddr};
use osp_kernel::memmap::{Kind, MemoryMap};

/// EAX from a multiboot 1 loader (Multiboot Specification 0.6.96 §3.2).
pub const MULTIBOOT1_MAGIC: u32 = 0x2BAD_B002;
/// EAX from a multiboot 2 loader (Multiboot2 Specification §3.2).
pub const MULTIBOOT2_MAGIC: u32 = 0x36D7_6289;

/// Which protocol started us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Multiboot 1 (QEMU `-kernel`, iPXE, GRUB `multiboot`).
    Multiboot1,
    /// Multiboot 2 (GRUB `multiboot2`, BIOS or UEFI).
    Multiboot2,
}

/// Copy of a bounded string.
#[derive(Clone)]
pub struct Text<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Text<N> {
    const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    fn set(&mut self, s: &str) {
        // Cut at a character boundary so the copy stays valid UTF-8.
        let mut len = s.len().min(N);
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        self.buf[..len].copy_from_slice(&s.as_bytes()[..len]);
        self.len = len;
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Everything the kernel keeps from the loader.
pub struct BootInfo {
    /// The protocol.
    pub protocol: Protocol,
    /// The loader's name, if it gave one.
    pub loader_name: Option<Text<64>>,
    /// The loader's command line, if it gave one.
    pub cmdline: Option<Text<4096>>,
    /// The physical memory map.
    pub memory: MemoryMap,
    /// A copy of the RSDP the loader found (multiboot 2 under UEFI passes it), if any.
    pub rsdp: Option<[u8; 36]>,
}

/// Multiboot 1 structures are below 4 GiB, which the boot page tables identity-map.
struct LowMemory;

impl MemoryManagement for LowMemory {
    unsafe fn paddr_to_slice(&self, addr: PAddr, length: usize) -> Option<&'static [u8]> {
        let end = addr.checked_add(length as u64)?;
        if addr == 0 || end > 0x1_0000_0000 {
            return None;
        }
        // SAFETY: the range is below 4 GiB, identity-mapped by the boot page tables; the loader
        // promised (by the multiboot magic) that its structures live there. They are copied out
        // before any frame is handed out.
        Some(unsafe { core::slice::from_raw_parts(addr as *const u8, length) })
    }
    unsafe fn allocate(&mut self, _length: usize) -> Option<(PAddr, &mut [u8])> {
        None
    }
    unsafe fn deallocate(&mut self, _addr: PAddr) {}
}

/// Why the boot information could not be read.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code, reason = "read through Debug in the fatal message")]
pub enum BootInfoError {
    /// EAX held neither multiboot magic.
    UnknownMagic(u32),
    /// The multiboot structure could not be read.
    Unreadable,
}

/// Reads the loader's structures.
///
/// # Safety
/// `magic` and `info` must be what the loader passed in EAX and EBX, and the structures must
/// still be intact (nothing has been allocated yet).
pub unsafe fn read(magic: u32, info: u32) -> Result<BootInfo, BootInfoError> {
    let mut out = BootInfo {
        protocol: Protocol::Multiboot1,
        loader_name: None,
        cmdline: None,
        memory: MemoryMap::new(),
        rsdp: None,
    };
    match magic {
        MULTIBOOT1_MAGIC => {
            let mut mm = LowMemory;
            // SAFETY: the loader passed `info` with the multiboot 1 magic (caller's promise);
            // `LowMemory` refuses anything not identity-mapped.
            let mb = unsafe { Multiboot::from_ptr(u64::from(info), &mut mm) }
                .ok_or(BootInfoError::Unreadable)?;
            if let Some(name) = mb.boot_loader_name() {
                out.loader_name = Some(text(name));
            }
            if let Some(cmd) = mb.command_line() {
                out.cmdline = Some(text(cmd));
            }
            if let Some(regions) = mb.memory_regions() {
                for r in regions {
                    let kind = match r.memory_type() {
                        MemoryType::Available => Kind::Usable,
                        MemoryType::ACPI => Kind::AcpiReclaimable,
                        MemoryType::NVS => Kind::AcpiNvs,
                        MemoryType::Defect => Kind::Defective,
                        MemoryType::Reserved => Kind::Reserved,
                    };
                    out.memory.push(r.base_address(), r.length(), kind);
                }
            } else if let (Some(lower), Some(upper)) =
                (mb.lower_memory_bound(), mb.upper_memory_bound())
            {
                out.memory.push(0, u64::from(lower) * 1024, Kind::Usable);
                out.memory
                    .push(0x10_0000, u64::from(upper) * 1024, Kind::Usable);
            }
        }
        MULTIBOOT2_MAGIC => {
            out.protocol = Protocol::Multiboot2;
            let ptr = info as usize as *const multiboot2::BootInformationHeader;
            // SAFETY: the loader passed `info` with the multiboot 2 magic; the structure is
            // below 4 GiB (a 32-bit EBX) and so identity-mapped.
            let mb = unsafe { multiboot2::BootInformation::load(ptr) }
                .map_err(|_| BootInfoError::Unreadable)?;
            if let Some(name) = mb.boot_loader_name_tag().and_then(|t| t.name().ok()) {
                out.loader_name = Some(text(name));
            }
            if let Some(cmd) = mb.command_line_tag().and_then(|t| t.cmdline().ok()) {
                out.cmdline = Some(text(cmd));
            }
            if let Some(map) = mb.memory_map_tag() {
                for a in map.memory_areas() {
                    let ty: u32 = a.typ().into();
                    out.memory
                        .push(a.start_address(), a.size(), Kind::from_e820(ty));
                }
            }
            let rsdp: Option<&[u8]> = match (mb.rsdp_v2_tag(), mb.rsdp_v1_tag()) {
                (Some(v2), _) => Some(tag_payload(v2, 36)),
                (None, Some(v1)) => Some(tag_payload(v1, 20)),
                _ => None,
            };
            if let Some(bytes) = rsdp {
                let mut copy = [0u8; 36];
                copy[..bytes.len()].copy_from_slice(bytes);
                out.rsdp = Some(copy);
            }
        }
        other => return Err(BootInfoError::UnknownMagic(other)),
    }
    Ok(out)
}

fn text<const N: usize>(s: &str) -> Text<N> {
    let mut t = Text::new();
    t.set(s);
    t
}

/// The RSDP bytes inside an RSDP tag (after the 8-byte tag header).
fn tag_payload<T: ?Sized>(tag: &T, len: usize) -> &[u8] {
    let base = core::ptr::from_ref(tag).cast::<u8>();
    // SAFETY: RSDP tags are an 8-byte header followed by a copy of the RSDP (20 bytes for v1, 36
    // for v2), and the multiboot2 crate checked the tag's size covers its type's layout.
    unsafe { core::slice::from_raw_parts(base.add(8), len) }
}
