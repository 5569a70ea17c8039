//! Host mode: configuration spaces loaded from `lspci -x`/`-xxx`/`-xxxx` dumps (the input
//! format of `lspci -F`): a line `[ssss:]bb:dd.f description` starts a function, lines
//! `off: xx xx …` give its bytes, anything else (the decoded `-v` text) is ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::vec::Vec;

use crate::access::{ConfigAccess, Width, extract};
use crate::walk::{BusId, Enumerator};
use crate::{Address, Function};

/// Size of a full (extended) configuration space.
const FULL: usize = 4096;

/// Why a dump could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DumpError {
    /// A hex line came before any function header.
    BytesWithoutFunction {
        /// 1-based line number.
        line: usize,
    },
    /// A hex line's offset or bytes are out of range or malformed.
    BadHexLine {
        /// 1-based line number.
        line: usize,
    },
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::BytesWithoutFunction { line } => {
                write!(
                    f,
                    "line {line}: configuration bytes before any function header"
                )
            }
            DumpError::BadHexLine { line } => {
                write!(f, "line {line}: malformed configuration bytes")
            }
        }
    }
}

impl std::error::Error for DumpError {}

#[derive(Debug, Clone)]
struct Space {
    bytes: Vec<u8>,
    /// Bytes the dump gave: 64, 256 or 4096 (what `lspci -x`, `-xxx`, `-xxxx` print).
    len: u16,
}

/// Configuration spaces from one or more dumps. Absent functions read all-ones; writes are
/// dropped (a dump is a snapshot).
#[derive(Debug, Clone, Default)]
pub struct DumpSpace {
    functions: BTreeMap<Address, Space>,
}

impl DumpSpace {
    /// An empty space.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one dump.
    pub fn parse(text: &str) -> Result<Self, DumpError> {
        let mut space = Self::new();
        space.add(text)?;
        Ok(space)
    }

    /// Adds the functions of another dump (a function dumped twice keeps the later bytes).
    pub fn add(&mut self, text: &str) -> Result<(), DumpError> {
        let mut current: Option<(Address, Vec<u8>, usize)> = None;
        for (n, line) in text.lines().enumerate() {
            if let Some(addr) = parse_header(line) {
                self.finish(current.take());
                current = Some((addr, std::vec![0xff; FULL], 0));
            } else if let Some((offset, rest)) = split_hex_line(line) {
                let Some((_, bytes, len)) = current.as_mut() else {
                    return Err(DumpError::BytesWithoutFunction { line: n + 1 });
                };
                let mut at = offset;
                for tok in rest.split_ascii_whitespace() {
                    let value = (tok.len() == 2)
                        .then(|| u8::from_str_radix(tok, 16).ok())
                        .flatten()
                        .filter(|_| at < FULL)
                        .ok_or(DumpError::BadHexLine { line: n + 1 })?;
                    bytes[at] = value;
                    at += 1;
                }
                *len = (*len).max(at);
            }
        }
        self.finish(current);
        Ok(())
    }

    fn finish(&mut self, current: Option<(Address, Vec<u8>, usize)>) {
        if let Some((addr, bytes, len)) = current {
            let len = match len {
                l if l >= 4096 => 4096,
                l if l >= 256 => 256,
                l if l >= 64 => 64,
                _ => return, // lspci cannot use a function without its 64-byte header either
            };
            self.functions.insert(addr, Space { bytes, len });
        }
    }

    /// The functions the dump holds, in address order.
    pub fn addresses(&self) -> impl Iterator<Item = Address> + '_ {
        self.functions.keys().copied()
    }

    /// Number of functions the dump holds.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether the dump holds no function.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Every bus that holds a function, sorted: used as walk roots so that buses no bridge
    /// leads to (another host bridge, a dump of a single device) are walked too.
    pub fn buses(&self) -> Vec<BusId> {
        let mut buses: Vec<BusId> = self
            .functions
            .keys()
            .map(|a| BusId::new(a.segment(), a.bus()))
            .collect();
        buses.dedup();
        buses
    }

    /// Every function of the dump, as `lspci -F` lists them, sorted by address: the walk over
    /// [`buses`](Self::buses) through `access` (normally this dump, possibly wrapped in
    /// [`crate::Counting`]), then the functions no walk reaches (a function 1–7 whose function 0
    /// is absent or says it is single-function), read the same way.
    pub fn list<A: ConfigAccess>(&self, mut access: A) -> Vec<Function> {
        let roots = self.buses();
        let mut found: Vec<Function> = Enumerator::new(&mut access, &roots).collect();
        found.sort_by_key(|f| f.address);
        let missed: Vec<Address> = self
            .addresses()
            .filter(|a| found.binary_search_by_key(a, |f| f.address).is_err())
            .collect();
        found.extend(
            missed
                .into_iter()
                .filter_map(|a| Function::read(&mut access, a)),
        );
        found.sort_by_key(|f| f.address);
        found
    }

    fn read(&self, addr: Address, offset: u16, width: Width) -> u32 {
        let Some(space) = self.functions.get(&addr) else {
            return width.mask();
        };
        let at = usize::from(offset & !3);
        match space.bytes.get(at..at + 4) {
            Some(b) if offset < space.len => {
                let dword = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                extract(dword, offset, width)
            }
            _ => width.mask(),
        }
    }
}

/// `[ssss:]bb:dd.f ` at the start of a line.
fn parse_header(line: &str) -> Option<Address> {
    let word = line.split(' ').next()?;
    if word.len() == line.len() && !line.ends_with(' ') {
        return None;
    }
    let (segment, rest) = match word.len() {
        7 => (0, word),
        12.. if word.as_bytes()[word.len() - 8] == b':' => {
            let (s, r) = word.split_at(word.len() - 8);
            (u16::from_str_radix(s, 16).ok()?, &r[1..])
        }
        _ => return None,
    };
    let b = rest.as_bytes();
    if b.len() != 7 || b[2] != b':' || b[5] != b'.' {
        return None;
    }
    let bus = u8::from_str_radix(&rest[0..2], 16).ok()?;
    let device = u8::from_str_radix(&rest[3..5], 16).ok()?;
    let function = u8::from_str_radix(&rest[6..7], 16).ok()?;
    (device < 32 && function < 8).then(|| Address::new(segment, bus, device, function))
}

/// `off: …` hex lines: the offset (2 or 3 hex digits, a multiple of 16) and the bytes.
fn split_hex_line(line: &str) -> Option<(usize, &str)> {
    let (off, rest) = line.split_once(": ")?;
    if !(2..=3).contains(&off.len()) || !off.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let offset = usize::from_str_radix(off, 16).ok()?;
    Some((offset, rest))
}

impl ConfigAccess for DumpSpace {
    fn space_len(&self, addr: Address) -> u16 {
        self.functions.get(&addr).map_or(FULL as u16, |s| s.len)
    }
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        self.read(addr, offset, width)
    }
    fn write_raw(&mut self, _: Address, _: u16, _: Width, _: u32) {}
}

impl ConfigAccess for &DumpSpace {
    fn space_len(&self, addr: Address) -> u16 {
        (**self).space_len(addr)
    }
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        self.read(addr, offset, width)
    }
    fn write_raw(&mut self, _: Address, _: u16, _: Width, _: u32) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "0001:02:00.0 Ethernet controller: X\n\tControl: I/O+\n00: 86 80 fb 10 06 04 10 00 01 00 00 02 10 00 80 00\n10: 0c 00 00 f0\n20: 00\n30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n\n02:00.1 X\n00: 86 80 fb 10\n30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";

    #[test]
    fn parses_headers_with_and_without_domain() {
        let d = DumpSpace::parse(TWO).unwrap();
        let a: Vec<_> = d.addresses().collect();
        assert_eq!(a, [Address::new(0, 2, 0, 1), Address::new(1, 2, 0, 0)]);
        let mut d = d;
        assert_eq!(d.read32(Address::new(1, 2, 0, 0), 0).unwrap(), 0x10fb_8086);
        assert_eq!(d.read8(Address::new(1, 2, 0, 0), 0x0e).unwrap(), 0x80);
        assert_eq!(
            d.read32(Address::new(1, 2, 0, 0), 0x10).unwrap(),
            0xf000_000c
        );
        assert_eq!(d.space_len(Address::new(1, 2, 0, 0)), 64);
        assert!(d.read32(Address::new(1, 2, 0, 0), 0x40).is_err());
        assert_eq!(
            d.read32(Address::new(0, 9, 0, 0), 0).unwrap(),
            u32::MAX,
            "absent reads all-ones"
        );
    }

    #[test]
    fn rejects_bytes_before_a_header_and_bad_hex() {
        assert_eq!(
            DumpSpace::parse("00: 00\n").unwrap_err(),
            DumpError::BytesWithoutFunction { line: 1 }
        );
        assert_eq!(
            DumpSpace::parse("00:00.0 x\n00: zz\n").unwrap_err(),
            DumpError::BadHexLine { line: 2 }
        );
        assert_eq!(
            DumpSpace::parse(
                "00:00.0 x\nff0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
            )
            .unwrap_err(),
            DumpError::BadHexLine { line: 2 }
        );
    }

    #[test]
    fn lists_functions_a_walk_would_miss() {
        // Function 1 of a device whose function 0 is absent, on a bus no bridge leads to.
        let d = DumpSpace::parse("05:03.1 x\n00: 34 12 78 56 00 00 00 00 00 00 00 02 00 00 00 00\n10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n").unwrap();
        let list = d.list(&d);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].address, Address::new(0, 5, 3, 1));
        assert_eq!((list[0].vendor_id, list[0].device_id), (0x1234, 0x5678));
    }
}
