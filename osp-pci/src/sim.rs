//! A simulated live configuration space for tests and benchmarks: functions with 256-byte or
//! 4 KiB spaces, BARs that answer the sizing probe through their size masks, read-only and
//! write-1-to-clear registers, and a record of accesses that break the rules (a BAR probed while
//! its decoding is on).

use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::Address;
use crate::access::{ConfigAccess, Width, extract};
use crate::bar::BarKind;
use crate::regs::{self, Command};

/// A rule the software under test broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A BAR was written while the function decoded that BAR's space: the probe value was live.
    BarWrittenWhileDecoding {
        /// The function.
        addr: Address,
        /// BAR index.
        index: u8,
    },
}

/// One simulated function.
#[derive(Debug, Clone)]
pub struct SimFunction {
    bytes: Vec<u8>,
    /// Per BAR register: `None` plain storage (raw images), else the bits software may write
    /// (address bits; 0 = hardwired zero, no BAR) and the read-only flag bits.
    bars: [Option<BarReg>; 6],
}

#[derive(Debug, Clone, Copy, Default)]
struct BarReg {
    mask: u32,
    read_only: u32,
    io: bool,
}

impl SimFunction {
    fn new(vendor: u16, device: u16, class: u32, header: u8) -> Self {
        let mut f = Self {
            bytes: std::vec![0; 4096],
            bars: [Some(BarReg::default()); 6],
        };
        f.set32(0x00, u32::from(device) << 16 | u32::from(vendor));
        f.set32(0x08, class << 8);
        f.set8(regs::HEADER_TYPE, header);
        f
    }

    /// Sets a byte.
    pub fn set8(&mut self, offset: u16, v: u8) -> &mut Self {
        self.bytes[usize::from(offset) % 4096] = v;
        self
    }
    /// Sets a 16-bit word.
    pub fn set16(&mut self, offset: u16, v: u16) -> &mut Self {
        for (i, b) in v.to_le_bytes().into_iter().enumerate() {
            self.set8(offset.wrapping_add(i as u16), b);
        }
        self
    }
    /// Sets a 32-bit word.
    pub fn set32(&mut self, offset: u16, v: u32) -> &mut Self {
        for (i, b) in v.to_le_bytes().into_iter().enumerate() {
            self.set8(offset.wrapping_add(i as u16), b);
        }
        self
    }
    /// Reads a byte of the current contents.
    pub fn get8(&self, offset: u16) -> u8 {
        self.bytes[usize::from(offset) % 4096]
    }
    /// Reads a 32-bit word of the current contents.
    pub fn get32(&self, offset: u16) -> u32 {
        let o = usize::from(offset & 0xffc);
        u32::from_le_bytes([
            self.bytes[o],
            self.bytes[o + 1],
            self.bytes[o + 2],
            self.bytes[o + 3],
        ])
    }
    /// The whole 4 KiB image.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Sets the multi-function bit.
    pub fn multifunction(&mut self) -> &mut Self {
        let h = self.get8(regs::HEADER_TYPE);
        self.set8(regs::HEADER_TYPE, h | regs::HEADER_MULTIFUNCTION)
    }

    /// Adds BAR `index` of `kind` and `size` (a power of two) at `address`.
    ///
    /// # Panics
    /// When `index` is above 5 or `size` is 0 (a test-building mistake).
    pub fn bar(
        &mut self,
        index: u8,
        kind: BarKind,
        address: u64,
        size: u64,
        prefetchable: bool,
    ) -> &mut Self {
        let i = usize::from(index);
        let at = regs::BAR0 + 4 * u16::from(index);
        let mask = !(size - 1);
        let (value, read_only, io) = match kind {
            BarKind::Io => (address as u32 & !0x3 | 1, 1, true),
            BarKind::Mem32 | BarKind::Mem1M => {
                let flags =
                    if kind == BarKind::Mem1M { 0b010 } else { 0 } | u32::from(prefetchable) << 3;
                (address as u32 & !0xf | flags, flags, false)
            }
            BarKind::Mem64 => {
                let flags = 0b100 | u32::from(prefetchable) << 3;
                if let Some(upper) = self.bars.get_mut(i + 1) {
                    *upper = Some(BarReg {
                        mask: (mask >> 32) as u32,
                        read_only: 0,
                        io: false,
                    });
                    self.set32(at + 4, (address >> 32) as u32);
                }
                (address as u32 & !0xf | flags, flags, false)
            }
        };
        let low_bits = if io { 0x3 } else { 0xf };
        self.bars[i] = Some(BarReg {
            mask: mask as u32 & !low_bits,
            read_only,
            io,
        });
        self.set32(at, value);
        self
    }

    /// Appends a standard capability `id` with `body` (bytes after the 2-byte header) at
    /// `offset`, linking it at the end of the list and setting Status bit 4.
    pub fn capability(&mut self, offset: u8, id: u8, body: &[u8]) -> &mut Self {
        let ptr_at = if self.get8(regs::HEADER_TYPE) & 0x7f == 2 {
            regs::CAP_PTR_CARDBUS
        } else {
            regs::CAP_PTR
        };
        // Find the last link of the list (bounded by the 64 possible entries).
        let mut link = ptr_at;
        for _ in 0..64 {
            let next = self.get8(link);
            if next == 0 {
                break;
            }
            link = u16::from(next) + 1;
        }
        self.set8(link, offset);
        self.set8(offset.into(), id);
        self.set8(u16::from(offset) + 1, 0);
        for (i, b) in body.iter().enumerate() {
            self.set8(u16::from(offset) + 2 + i as u16, *b);
        }
        let status = u16::from_le_bytes([self.get8(regs::STATUS), self.get8(regs::STATUS + 1)]);
        self.set16(regs::STATUS, status | regs::STATUS_CAP_LIST)
    }

    fn write(
        &mut self,
        addr: Address,
        offset: u16,
        width: Width,
        value: u32,
        log: &mut Vec<Violation>,
    ) {
        let n = width.bytes();
        for k in 0..n {
            let at = offset + k;
            let byte = (value >> (8 * k)) as u8;
            match at {
                // Read-only identity: IDs, class/revision, header type.
                0x00..=0x03 | 0x08..=0x0b | 0x0e => {}
                // Status: write 1 to clear.
                0x06..=0x07 => {
                    let old = self.get8(at);
                    self.set8(at, old & !byte);
                }
                _ => {
                    self.set8(at, byte);
                }
            }
        }
        // BAR registers keep their read-only bits and only take the bits of the size mask.
        let bar_count = crate::HeaderType::from_raw(self.get8(regs::HEADER_TYPE)).bar_count();
        for i in 0..bar_count {
            let at = regs::BAR0 + 4 * u16::from(i);
            let Some(reg) = self.bars[usize::from(i)] else {
                continue;
            };
            if offset < at + 4 && at < offset + n {
                let stored = self.get32(at);
                self.set32(at, stored & reg.mask | reg.read_only);
                let command = Command(u16::from_le_bytes([
                    self.get8(regs::COMMAND),
                    self.get8(regs::COMMAND + 1),
                ]));
                let decode = if reg.io {
                    Command::IO_SPACE
                } else {
                    Command::MEMORY_SPACE
                };
                if reg.mask != 0 && command.contains(decode) {
                    log.push(Violation::BarWrittenWhileDecoding { addr, index: i });
                }
            }
        }
    }
}

/// A machine's configuration space: functions keyed by address, each 256 bytes (port I/O) or
/// 4 KiB (ECAM) as `space` says. Absent functions read all-ones.
#[derive(Debug, Clone)]
pub struct SimConfig {
    functions: BTreeMap<Address, SimFunction>,
    space: u16,
    violations: Vec<Violation>,
    reads: u64,
}

impl SimConfig {
    /// An empty machine whose mechanism reaches `space` bytes per function (256 or 4096).
    pub fn new(space: u16) -> Self {
        Self {
            functions: BTreeMap::new(),
            space: space.min(4096),
            violations: Vec::new(),
            reads: 0,
        }
    }

    /// Adds an endpoint (header type 0).
    pub fn endpoint(
        &mut self,
        addr: Address,
        vendor: u16,
        device: u16,
        class: u32,
    ) -> &mut SimFunction {
        self.functions
            .insert(addr, SimFunction::new(vendor, device, class, 0));
        self.functions.get_mut(&addr).expect("just inserted")
    }

    /// Adds a PCI-to-PCI bridge with its bus numbers.
    pub fn bridge(&mut self, addr: Address, secondary: u8, subordinate: u8) -> &mut SimFunction {
        let mut f = SimFunction::new(0x8086, 0x3408, 0x06_04_00, 1);
        f.set32(
            regs::BUS_NUMBERS,
            u32::from(subordinate) << 16 | u32::from(secondary) << 8 | u32::from(addr.bus()),
        );
        self.functions.insert(addr, f);
        self.functions.get_mut(&addr).expect("just inserted")
    }

    /// Adds a CardBus bridge with its bus numbers.
    pub fn cardbus(&mut self, addr: Address, secondary: u8, subordinate: u8) -> &mut SimFunction {
        let mut f = SimFunction::new(0x104c, 0xac56, 0x06_07_00, 2);
        f.set32(
            regs::BUS_NUMBERS,
            u32::from(subordinate) << 16 | u32::from(secondary) << 8 | u32::from(addr.bus()),
        );
        self.functions.insert(addr, f);
        self.functions.get_mut(&addr).expect("just inserted")
    }

    /// Adds a function with raw bytes (as much as `bytes` gives, the rest 0).
    pub fn raw(&mut self, addr: Address, bytes: &[u8]) -> &mut SimFunction {
        let mut f = SimFunction {
            bytes: std::vec![0; 4096],
            bars: [None; 6],
        };
        let n = bytes.len().min(4096);
        f.bytes[..n].copy_from_slice(&bytes[..n]);
        self.functions.insert(addr, f);
        self.functions.get_mut(&addr).expect("just inserted")
    }

    /// The function at `addr`.
    pub fn function(&self, addr: Address) -> Option<&SimFunction> {
        self.functions.get(&addr)
    }
    /// The function at `addr`, mutably.
    pub fn function_mut(&mut self, addr: Address) -> Option<&mut SimFunction> {
        self.functions.get_mut(&addr)
    }
    /// Every function, in address order.
    pub fn functions(&self) -> impl Iterator<Item = (Address, &SimFunction)> + '_ {
        self.functions.iter().map(|(a, f)| (*a, f))
    }
    /// Removes a function (surprise removal: it reads all-ones from now on).
    pub fn remove(&mut self, addr: Address) -> Option<SimFunction> {
        self.functions.remove(&addr)
    }
    /// Number of functions.
    pub fn len(&self) -> usize {
        self.functions.len()
    }
    /// Whether there is no function.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
    /// Rules broken so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    /// Reads made so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// A machine with many bridges: `root_ports` PCI Express root ports on bus 0, each leading
    /// to a switch (upstream port, `downstream` downstream ports), each downstream port to an
    /// endpoint with a 64-bit BAR; bus numbers assigned depth-first as firmware does.
    pub fn synthetic(root_ports: u8, downstream: u8) -> Self {
        let mut m = Self::new(4096);
        m.endpoint(Address::new(0, 0, 0, 0), 0x8086, 0x29c0, 0x06_00_00);
        let mut next_bus = 1u8;
        for rp in 0..root_ports.min(31) {
            let upstream_bus = next_bus;
            let switch_bus = next_bus.saturating_add(1);
            let last = switch_bus.saturating_add(downstream);
            m.bridge(Address::new(0, 0, rp + 1, 0), upstream_bus, last);
            m.bridge(Address::new(0, upstream_bus, 0, 0), switch_bus, last);
            for d in 0..downstream.min(32) {
                let leaf = switch_bus.saturating_add(1 + d);
                m.bridge(Address::new(0, switch_bus, d, 0), leaf, leaf);
                m.endpoint(Address::new(0, leaf, 0, 0), 0x10ec, 0x8168, 0x02_00_00)
                    .bar(
                        0,
                        BarKind::Mem64,
                        0x1_0000_0000 + u64::from(leaf) * 0x10_0000,
                        0x4000,
                        false,
                    );
            }
            next_bus = last.saturating_add(1);
            if next_bus == 0 {
                break;
            }
        }
        m
    }
}

impl ConfigAccess for SimConfig {
    fn space_len(&self, _: Address) -> u16 {
        self.space
    }
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        self.reads += 1;
        match self.functions.get(&addr) {
            Some(f) if offset < self.space => extract(f.get32(offset), offset, width),
            _ => width.mask(),
        }
    }
    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32) {
        if offset >= self.space || offset % width.bytes() != 0 {
            return;
        }
        if let Some(f) = self.functions.get_mut(&addr) {
            f.write(addr, offset, width, value, &mut self.violations);
        }
    }
}

/// What [`exercise`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exercise {
    /// Functions the walk found.
    pub functions: usize,
    /// Configuration reads the walk made.
    pub walk_reads: u64,
    /// Configuration reads made in total.
    pub total_reads: u64,
}

/// Most reads a walk may make: two per probed slot of every bus, plus the header reads and a
/// full capability walk (bridge subsystem lookup) of every function found.
pub fn walk_read_bound(functions: usize) -> u64 {
    256 * 32 * 8 * 2 + functions as u64 * (8 + 64 * 2)
}

/// The fuzzing entry point, shared by the fuzz target and the randomized tests: builds a machine
/// of arbitrary configuration spaces from `data` (bridges pointing anywhere, capability lists of
/// any shape), walks it, decodes and sizes every BAR, walks both capability lists and reads the
/// typed capabilities; numbers the buses of a copy and walks it again; then parses `data` as an
/// `lspci` dump and lists it.
///
/// # Panics
/// When a bound is broken: more walk reads than [`walk_read_bound`], a capability list longer
/// than its space allows, a function listed twice, or a BAR probe while decoding.
pub fn exercise(data: &[u8]) -> Exercise {
    use crate::{Counting, Enumerator, walk::BusId};

    let Some((&head, mut rest)) = data.split_first() else {
        return Exercise::default();
    };
    let space = if head & 0x80 != 0 { 4096 } else { 256 };
    let mut m = SimConfig::new(space);
    for _ in 0..=head % 16 {
        let Some((addr, tail)) = rest.split_first_chunk::<3>() else {
            break;
        };
        let a = Address::new(0, addr[0] % 8, addr[1], addr[2]);
        let take = tail.len().min(if space == 4096 { 512 } else { 256 });
        let (bytes, tail) = tail.split_at(take);
        let f = m.raw(a, bytes);
        if bytes.len() > 256 {
            // Put the second part at 0x100 so that extended capabilities get arbitrary bytes.
            for (i, b) in bytes[256..].iter().enumerate() {
                f.set8(0x100 + i as u16, *b);
            }
        }
        rest = tail;
    }

    let roots = [BusId::new(0, 0), BusId::new(0, 3), BusId::new(0, 7)];
    let mut c = Counting::new(&mut m);
    let functions: Vec<crate::Function> = Enumerator::new(&mut c, &roots).collect();
    let walk_reads = c.reads();
    assert!(
        walk_reads <= walk_read_bound(functions.len()),
        "walk made {walk_reads} reads"
    );
    let mut seen: Vec<Address> = functions.iter().map(|f| f.address).collect();
    seen.sort();
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "a function listed twice"
    );

    for f in &functions {
        let _ = f.bars(&mut c).count();
        let _ = f.size_bars(&mut c);
        let _ = f.bridge_windows(&mut c);
        assert!(f.capabilities(&mut c).count() <= 64);
        assert!(f.extended_capabilities(&mut c).count() <= 1024);
        if let Some(mut msi) = f.msi(&mut c) {
            let _ = (msi.max_vectors(), msi.mask(&mut c));
            let _ = msi.set_message(&mut c, 0xfee0_0000, 0x30);
            let _ = msi.set_vectors(&mut c, 1);
        }
        if let Some(msix) = f.msix(&mut c) {
            let _ = (msix.table_size(), msix.table(), msix.pba());
        }
        if let Some(e) = f.express(&mut c) {
            let _ = (e.port_type(), e.link(&mut c), e.max_link(&mut c));
        }
        if let Some(pm) = f.power_management(&mut c) {
            let _ = pm.power_state(&mut c);
        }
        let _ = f.lspci_line().to_string();
    }
    let total_reads = c.reads();
    assert!(m.violations().is_empty(), "{:?}", m.violations());

    // Bus numbering over the same machine, then a walk of the result: both stay bounded.
    let mut renumbered = m.clone();
    let mut c = Counting::new(&mut renumbered);
    let _ = crate::assign_bus_numbers(&mut c, BusId::new(0, 0));
    let n = Enumerator::new(&mut c, &roots).count();
    assert!(
        c.reads() <= 2 * walk_read_bound(n),
        "renumber and walk made {} reads",
        c.reads()
    );

    if let Ok(dump) = crate::dump::DumpSpace::parse(&String::from_utf8_lossy(data)) {
        let listed = dump.list(&dump);
        assert!(listed.len() <= dump.len());
    }
    Exercise {
        functions: functions.len(),
        walk_reads,
        total_reads,
    }
}
