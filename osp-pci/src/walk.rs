//! Depth-first enumeration from root buses through PCI-to-PCI and CardBus bridges.
//!
//! The walk follows the secondary bus numbers firmware programmed, probes functions 1–7 only
//! of multi-function devices, and visits every bus at most once per segment, so self-referencing
//! bridges and bus loops end it instead of hanging it: a walk costs at most 256 buses × 32
//! devices × 8 functions probes, and far fewer on a real machine (it never scans all buses). It
//! needs no allocator: the state is a fixed 256-entry stack and a 256-bit visited set.

use core::ops::ControlFlow;

use crate::Address;
use crate::access::{ConfigAccess, rd32};
use crate::function::{Function, vendor_absent};
use crate::regs;

/// A bus of a segment, where a walk starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BusId {
    /// Segment (PCI domain).
    pub segment: u16,
    /// Bus number.
    pub bus: u8,
}

impl BusId {
    /// Bus `bus` of `segment`.
    pub const fn new(segment: u16, bus: u8) -> Self {
        Self { segment, bus }
    }
}

/// Bus 0 of segment 0: the root of a PC's hierarchy.
pub const DEFAULT_ROOTS: &[BusId] = &[BusId::new(0, 0)];

/// Position of a walk on one bus: which function to probe next.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cursor {
    pub(crate) bus: u8,
    pub(crate) device: u8,
    pub(crate) function: u8,
    pub(crate) multifunction: bool,
}

impl Cursor {
    /// A cursor at device 0 of `bus`.
    pub(crate) fn new(bus: u8) -> Self {
        Self {
            bus,
            ..Self::default()
        }
    }

    /// Whether every device of the bus was probed.
    pub(crate) fn done(&self) -> bool {
        self.device >= Address::DEVICES
    }

    /// Probes the function under the cursor and moves the cursor on, following the
    /// multi-function rules. Returns the function's address, ID dword and header type byte when
    /// a function answers.
    pub(crate) fn step<A: ConfigAccess + ?Sized>(
        &mut self,
        access: &mut A,
        segment: u16,
    ) -> Option<(Address, u32, u8)> {
        let addr = Address::new(segment, self.bus, self.device, self.function);
        let ids = rd32(access, addr, regs::VENDOR_ID);
        if vendor_absent(ids as u16) {
            if self.function == 0 {
                self.next_device();
            } else {
                self.advance();
            }
            return None;
        }
        let header = (rd32(access, addr, regs::HEADER_DWORD) >> 16) as u8;
        if self.function == 0 {
            self.multifunction = header & regs::HEADER_MULTIFUNCTION != 0;
        }
        self.advance();
        Some((addr, ids, header))
    }

    fn next_device(&mut self) {
        self.device += 1;
        self.function = 0;
        self.multifunction = false;
    }
    fn advance(&mut self) {
        if self.function == 0 && !self.multifunction || self.function == 7 {
            self.next_device();
        } else {
            self.function += 1;
        }
    }
}

/// The enumeration iterator: yields every function reached from the root buses, each bridge
/// before the functions behind it.
///
/// Roots must be grouped by segment (the visited set is per segment). A root bus already
/// reached through a bridge is skipped. To touch configuration space while walking, use
/// [`access`](Self::access) between calls to `next`, or [`visit`].
#[derive(Debug)]
pub struct Enumerator<'r, A> {
    access: A,
    roots: &'r [BusId],
    next_root: usize,
    segment: u16,
    visited: [u64; 4],
    stack: [Cursor; 256],
    depth: usize,
}

/// Enumerates from bus 0 of segment 0 (port I/O on a PC).
pub fn enumerate<A: ConfigAccess>(access: A) -> Enumerator<'static, A> {
    Enumerator::new(access, DEFAULT_ROOTS)
}

impl<'r, A: ConfigAccess> Enumerator<'r, A> {
    /// Enumerates from `roots` (host bridges' bus numbers: bus 0, or an ECAM window's start
    /// bus, plus any further host bridges firmware describes).
    pub fn new(access: A, roots: &'r [BusId]) -> Self {
        Self {
            access,
            roots,
            next_root: 0,
            segment: roots.first().map_or(0, |r| r.segment),
            visited: [0; 4],
            stack: [Cursor::default(); 256],
            depth: 0,
        }
    }

    /// The configuration access, to use between steps of the walk.
    pub fn access(&mut self) -> &mut A {
        &mut self.access
    }

    /// Ends the walk and gives the access back.
    pub fn into_inner(self) -> A {
        self.access
    }

    /// Whether `bus` of the current segment was walked (or is being walked).
    pub fn visited(&self, bus: u8) -> bool {
        self.visited[usize::from(bus / 64)] & 1 << (bus % 64) != 0
    }

    /// Marks `bus` visited and pushes it; false when it was visited already.
    fn push(&mut self, bus: u8) -> bool {
        if self.visited(bus) || self.depth == self.stack.len() {
            return false;
        }
        self.visited[usize::from(bus / 64)] |= 1 << (bus % 64);
        self.stack[self.depth] = Cursor::new(bus);
        self.depth += 1;
        true
    }
}

impl<A: ConfigAccess> Iterator for Enumerator<'_, A> {
    type Item = Function;

    fn next(&mut self) -> Option<Function> {
        loop {
            if self.depth == 0 {
                let root = *self.roots.get(self.next_root)?;
                self.next_root += 1;
                if root.segment != self.segment {
                    self.segment = root.segment;
                    self.visited = [0; 4];
                }
                self.push(root.bus);
                continue;
            }
            let top = &mut self.stack[self.depth - 1];
            if top.done() {
                self.depth -= 1;
                continue;
            }
            let Some((addr, ids, header)) = top.step(&mut self.access, self.segment) else {
                continue;
            };
            let function = Function::read_rest(&mut self.access, addr, ids, header);
            if let Some(b) = function.bus_numbers {
                // Secondary 0 is an unprogrammed bridge (bus 0 is always a root).
                if b.secondary != 0 {
                    self.push(b.secondary);
                }
            }
            return Some(function);
        }
    }
}

/// Walks from `roots` and calls `f` with the access and each function; `f` may use the access
/// (to enable a device, size its BARs, …) and may stop the walk with `ControlFlow::Break`.
pub fn visit<A: ConfigAccess, B>(
    access: &mut A,
    roots: &[BusId],
    mut f: impl FnMut(&mut A, Function) -> ControlFlow<B>,
) -> Option<B> {
    let mut walk = Enumerator::new(&mut *access, roots);
    while let Some(function) = walk.next() {
        if let ControlFlow::Break(b) = f(walk.access(), function) {
            return Some(b);
        }
    }
    None
}

/// Every function reached from `roots`, in walk order.
#[cfg(feature = "alloc")]
pub fn collect_functions<A: ConfigAccess>(access: A, roots: &[BusId]) -> alloc::vec::Vec<Function> {
    Enumerator::new(access, roots).collect()
}
