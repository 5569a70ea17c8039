//! A bounded, allocation-free scan of AML for the `\_S5` sleep package — no interpreter.
//!
//! The scan walks the term list structurally: it descends into `Scope`, `Device`, `Processor`,
//! `PowerResource` and `ThermalZone` bodies (tracking whether the current scope is the root,
//! so `Scope (\) { Name (_S5, …) }` nested anywhere is found), skips `Method`, `If`/`Else`/
//! `While`, fields and buffers by their PkgLength, and decodes `Name (_S5, Package () {…})` when it
//! names `\_S5`. Module-level code is stepped over where operand counts are known: fixed-arity
//! opcodes, and calls of methods the table defines or declares `External` (their argument counts
//! are collected first into a fixed, sorted table). When the walk finds nothing, a second walk
//! searches the byte code it could not step over for the `Name (_S5, Package` pattern. Every
//! step advances through the table and nesting is capped, so the scan always ends.

use crate::bytes::{u8_at, u16_at, u32_at, u64_at};

const NAME_OP: u8 = 0x08;
const PACKAGE_OP: u8 = 0x12;
const EXT_OP: u8 = 0x5b;
const ROOT_CHAR: u8 = b'\\';
const PARENT_CHAR: u8 = b'^';
const DUAL_NAME: u8 = 0x2e;
const MULTI_NAME: u8 = 0x2f;
const S5: &[u8; 4] = b"_S5_";
/// Nesting of scopes the walk follows (real tables use fewer than 10).
const MAX_SCOPES: usize = 32;
/// Nesting of expressions the walk steps over.
const MAX_EXPR_DEPTH: u32 = 16;

/// `SLP_TYPa` and `SLP_TYPb` for a sleep state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SleepType {
    /// Value for PM1a control (and the sleep control register on hardware-reduced platforms).
    pub slp_typa: u8,
    /// Value for PM1b control.
    pub slp_typb: u8,
}

/// Why no sleep type could be taken from the AML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum S5Error {
    /// No `Name (\_S5, Package …)` in the DSDT or any SSDT (it may be conditional or computed,
    /// which needs an AML interpreter).
    NotFound,
    /// The package exists but its first elements are not integer constants, or it is empty.
    NotConstant,
}

impl core::fmt::Display for S5Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotFound => write!(f, "no \\_S5 package in the DSDT or SSDTs"),
            Self::NotConstant => write!(f, "\\_S5 package does not start with integer constants"),
        }
    }
}

impl core::error::Error for S5Error {}

/// How a `\_S5` package was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FoundBy {
    /// By the structural walk, in the root scope.
    Structure,
    /// By the byte-pattern fallback inside code the walk could not step over.
    Pattern,
}

/// A `\_S5` package found in one AML table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct S5Found {
    /// The decoded sleep types.
    pub value: Result<SleepType, S5Error>,
    /// Offset of the `Name` opcode in the AML given to [`find_s5`].
    pub offset: usize,
    /// How it was found.
    pub by: FoundBy,
}

/// Searches one table's AML (the bytes after its 36-byte header) for `\_S5`.
///
/// A first walk only follows the structure; when it finds nothing, a second walk also searches
/// the code it could not step over for the byte pattern (so the common case reads each byte once).
pub fn find_s5(aml: &[u8]) -> Option<S5Found> {
    let methods = Methods::collect(aml);
    walk(aml, &methods, false).or_else(|| walk(aml, &methods, true))
}

/// How many method argument counts are remembered per table.
const MAX_METHODS: usize = 256;

/// Argument counts of the methods a table defines or declares `External`, by last name segment:
/// firmware calls methods in module-level code (`OperationRegion (PXCS, SystemMemory,
/// PC2M (_ADR), 0x0C80)`), and a call can only be stepped over knowing its argument count.
struct Methods {
    /// (last name segment as a little-endian `u32`, definition order, argument count), sorted
    /// after collection.
    entries: [(u32, u16, u8); MAX_METHODS],
    len: usize,
}

impl Methods {
    fn collect(aml: &[u8]) -> Self {
        let mut m = Self {
            entries: [(0, 0, 0); MAX_METHODS],
            len: 0,
        };
        for (i, &b) in aml.iter().enumerate() {
            let found = match b {
                0x14 => method_def(aml, i),
                0x15 => external_method(aml, i),
                _ => None,
            };
            if let Some((name, args)) = found {
                match m.entries.get_mut(m.len) {
                    Some(slot) => *slot = (u32::from_le_bytes(name), m.len as u16, args),
                    None => break,
                }
                m.len = m.len.saturating_add(1);
            }
        }
        // For a name defined twice, the first definition sorts first and wins.
        if let Some(e) = m.entries.get_mut(..m.len) {
            e.sort_unstable_by_key(|&(name, order, _)| (name, order));
        }
        m
    }

    fn args(&self, name: [u8; 4]) -> Option<u8> {
        let e = self.entries.get(..self.len)?;
        let key = u32::from_le_bytes(name);
        let i = e.partition_point(|&(n, _, _)| n < key);
        e.get(i).filter(|&&(n, _, _)| n == key).map(|&(_, _, a)| a)
    }
}

fn name_char(b: u8) -> bool {
    lead_name_char(b) || b.is_ascii_digit()
}

/// `Method (NAME, flags)` at `at`: its last name segment and argument count.
fn method_def(aml: &[u8], at: usize) -> Option<([u8; 4], u8)> {
    let (_, name_at) = pkg_length(aml, at.checked_add(1)?)?;
    let name = name_string(aml, name_at)?;
    let flags = u8_at(aml, name.end)?;
    (name.segments > 0 && name.last.iter().all(|&c| name_char(c))).then_some((name.last, flags & 7))
}

/// `External (NAME, MethodObj, args)` at `at`.
fn external_method(aml: &[u8], at: usize) -> Option<([u8; 4], u8)> {
    let name = name_string(aml, at.checked_add(1)?)?;
    let kind = u8_at(aml, name.end)?;
    let args = u8_at(aml, name.end.checked_add(1)?)?;
    (kind == 8 && args <= 7 && name.segments > 0 && name.last.iter().all(|&c| name_char(c)))
        .then_some((name.last, args))
}

fn walk(aml: &[u8], methods: &Methods, fallback: bool) -> Option<S5Found> {
    // Frame 0 is the table's root scope; frames above `depth` are stale.
    let mut stack = [(aml.len(), true); MAX_SCOPES];
    let mut depth = 0usize;
    let mut pos = 0usize;
    loop {
        let &(end, root) = stack.get(depth)?;
        if pos >= end {
            depth = depth.checked_sub(1)?;
            continue;
        }
        match step(aml, methods, pos, end, root) {
            Step::Next(next) => pos = next.max(pos.saturating_add(1)),
            Step::Found(f) => return Some(f),
            Step::Enter {
                body,
                end: scope_end,
                root: scope_root,
            } => {
                let scope_end = scope_end.min(end);
                match stack.get_mut(depth.saturating_add(1)) {
                    Some(slot) => {
                        *slot = (scope_end, scope_root);
                        depth = depth.saturating_add(1);
                        pos = body.max(pos.saturating_add(1));
                    }
                    None => {
                        if fallback {
                            if let Some(f) = scan(aml, pos, scope_end) {
                                return Some(f);
                            }
                        }
                        pos = scope_end.max(pos.saturating_add(1));
                    }
                }
            }
            Step::Lost => {
                if fallback {
                    if let Some(f) = scan(aml, pos, end) {
                        return Some(f);
                    }
                }
                pos = end;
            }
        }
    }
}

enum Step {
    Next(usize),
    Enter { body: usize, end: usize, root: bool },
    Found(S5Found),
    Lost,
}

/// One term object at `pos`.
fn step(aml: &[u8], m: &Methods, pos: usize, end: usize, root: bool) -> Step {
    step_inner(aml, m, pos, end, root).unwrap_or(Step::Lost)
}

fn step_inner(aml: &[u8], m: &Methods, pos: usize, end: usize, root: bool) -> Option<Step> {
    let op = u8_at(aml, pos)?;
    let next = pos.checked_add(1)?;
    Some(match op {
        // Scope: PkgLength NameString TermList
        0x10 => {
            let (pkg_end, name_at) = pkg_length(aml, next)?;
            let name = name_string(aml, name_at)?;
            let scope_root = if name.absolute && name.segments == 0 {
                true
            } else if !name.absolute && name.parents == 0 && name.segments == 0 {
                root
            } else {
                false
            };
            Step::Enter {
                body: name.end,
                end: pkg_end,
                root: scope_root,
            }
        }
        NAME_OP => {
            let name = name_string(aml, next)?;
            let is_s5 = name.segments == 1
                && name.last == *S5
                && name.parents == 0
                && (name.absolute || root);
            if is_s5 && u8_at(aml, name.end)? == PACKAGE_OP {
                return Some(Step::Found(S5Found {
                    value: decode_package(aml, name.end, end),
                    offset: pos,
                    by: FoundBy::Structure,
                }));
            }
            Step::Next(skip_data(aml, name.end, 0)?)
        }
        // Method, Buffer, Package, VarPackage, If, Else, While: skipped whole.
        0x14 | 0x11 | 0x12 | 0x13 | 0xa0 | 0xa1 | 0xa2 => Step::Next(pkg_length(aml, next)?.0),
        // Alias: NameString NameString
        0x06 => Step::Next(name_string(aml, name_string(aml, next)?.end)?.end),
        // External: NameString ObjectType ArgumentCount
        0x15 => Step::Next(name_string(aml, next)?.end.checked_add(2)?),
        // CreateDWord/Word/Byte/Bit/QWordField: TermArg TermArg NameString
        0x8a | 0x8b | 0x8c | 0x8d | 0x8f => {
            let p = skip_term(aml, m, next, 0)?;
            let p = skip_term(aml, m, p, 0)?;
            Step::Next(name_string(aml, p)?.end)
        }
        // NoOp
        0xa3 => Step::Next(next),
        // Module-level statements with fixed operand counts (Store, arithmetic, …); names are
        // not stepped over here: a method call's argument count is unknown without a namespace.
        0x70..=0x99 => Step::Next(skip_term(aml, m, pos, 0)?),
        EXT_OP => {
            let ext = u8_at(aml, next)?;
            let at = next.checked_add(1)?;
            match ext {
                // Mutex: NameString SyncFlags
                0x01 => Step::Next(name_string(aml, at)?.end.checked_add(1)?),
                // Event
                0x02 => Step::Next(name_string(aml, at)?.end),
                // CreateField: TermArg TermArg TermArg NameString
                0x13 => {
                    let mut p = at;
                    for _ in 0..3 {
                        p = skip_term(aml, m, p, 0)?;
                    }
                    Step::Next(name_string(aml, p)?.end)
                }
                // OperationRegion: NameString RegionSpace TermArg TermArg
                0x80 => {
                    let p = name_string(aml, at)?.end.checked_add(1)?;
                    let p = skip_term(aml, m, p, 0)?;
                    Step::Next(skip_term(aml, m, p, 0)?)
                }
                // Field, IndexField, BankField: skipped whole.
                0x81 | 0x86 | 0x87 => Step::Next(pkg_length(aml, at)?.0),
                // Device, ThermalZone: PkgLength NameString TermList
                0x82 | 0x85 => {
                    let (pkg_end, name_at) = pkg_length(aml, at)?;
                    Step::Enter {
                        body: name_string(aml, name_at)?.end,
                        end: pkg_end,
                        root: false,
                    }
                }
                // Processor: PkgLength NameString ProcID PblkAddr PblkLen TermList
                0x83 => {
                    let (pkg_end, name_at) = pkg_length(aml, at)?;
                    let body = name_string(aml, name_at)?.end.checked_add(6)?;
                    Step::Enter {
                        body,
                        end: pkg_end,
                        root: false,
                    }
                }
                // PowerResource: PkgLength NameString SystemLevel ResourceOrder TermList
                0x84 => {
                    let (pkg_end, name_at) = pkg_length(aml, at)?;
                    let body = name_string(aml, name_at)?.end.checked_add(3)?;
                    Step::Enter {
                        body,
                        end: pkg_end,
                        root: false,
                    }
                }
                // DataRegion: NameString TermArg TermArg TermArg
                0x88 => {
                    let mut p = name_string(aml, at)?.end;
                    for _ in 0..3 {
                        p = skip_term(aml, m, p, 0)?;
                    }
                    Step::Next(p)
                }
                _ => return None,
            }
        }
        // A statement calling a method whose argument count is known.
        b if b == ROOT_CHAR
            || b == PARENT_CHAR
            || b == DUAL_NAME
            || b == MULTI_NAME
            || lead_name_char(b) =>
        {
            Step::Next(skip_call(aml, m, pos, 0)?)
        }
        _ => return None,
    })
    .filter(|s| match s {
        Step::Next(n) => *n <= end,
        _ => true,
    })
}

/// Decodes a PkgLength at `at`: returns (end of the package, offset after the encoding).
fn pkg_length(aml: &[u8], at: usize) -> Option<(usize, usize)> {
    let lead = u8_at(aml, at)?;
    let extra = usize::from(lead >> 6);
    let mut len = if extra == 0 {
        usize::from(lead & 0x3f)
    } else {
        usize::from(lead & 0x0f)
    };
    for i in 0..extra {
        let b = usize::from(u8_at(aml, at.checked_add(1 + i)?)?);
        len |= b << (4 + 8 * i);
    }
    let end = at.checked_add(len)?;
    (end <= aml.len()).then_some((end, at.checked_add(1 + extra)?))
}

struct Name {
    end: usize,
    absolute: bool,
    parents: usize,
    segments: usize,
    last: [u8; 4],
}

fn lead_name_char(b: u8) -> bool {
    b.is_ascii_uppercase() || b == b'_'
}

fn name_string(aml: &[u8], at: usize) -> Option<Name> {
    let mut p = at;
    let mut absolute = false;
    let mut parents = 0usize;
    if u8_at(aml, p)? == ROOT_CHAR {
        absolute = true;
        p = p.checked_add(1)?;
    } else {
        while u8_at(aml, p)? == PARENT_CHAR {
            parents = parents.checked_add(1)?;
            p = p.checked_add(1)?;
        }
    }
    let (segments, seg_start) = match u8_at(aml, p)? {
        0x00 => (0, p.checked_add(1)?),
        DUAL_NAME => (2, p.checked_add(1)?),
        MULTI_NAME => (
            usize::from(u8_at(aml, p.checked_add(1)?)?),
            p.checked_add(2)?,
        ),
        b if lead_name_char(b) => (1, p),
        _ => return None,
    };
    let end = seg_start.checked_add(segments.checked_mul(4)?)?;
    if end > aml.len() {
        return None;
    }
    let last = if segments == 0 {
        [0; 4]
    } else {
        crate::bytes::array_at(aml, end.checked_sub(4)?)?
    };
    Some(Name {
        end,
        absolute,
        parents,
        segments,
        last,
    })
}

/// Steps over a DataRefObject (the value of a `Name`).
fn skip_data(aml: &[u8], at: usize, depth: u32) -> Option<usize> {
    let op = u8_at(aml, at)?;
    let next = at.checked_add(1)?;
    match op {
        0x00 | 0x01 | 0xff => Some(next),
        0x0a => next.checked_add(1),
        0x0b => next.checked_add(2),
        0x0c => next.checked_add(4),
        0x0e => next.checked_add(8),
        // String: ASCII up to a NUL.
        0x0d => {
            let len = aml.get(next..)?.iter().position(|&b| b == 0)?;
            next.checked_add(len)?.checked_add(1)
        }
        0x11..=0x13 => Some(pkg_length(aml, next)?.0),
        EXT_OP if u8_at(aml, next)? == 0x30 => next.checked_add(1),
        ROOT_CHAR | PARENT_CHAR | DUAL_NAME | MULTI_NAME => Some(name_string(aml, at)?.end),
        b if lead_name_char(b) => Some(name_string(aml, at)?.end),
        _ => {
            let _ = depth;
            None
        }
    }
}

/// Steps over a TermArg: a constant, name, local/arg, or an expression with a fixed operand count.
fn skip_term(aml: &[u8], m: &Methods, at: usize, depth: u32) -> Option<usize> {
    if depth > MAX_EXPR_DEPTH {
        return None;
    }
    let op = u8_at(aml, at)?;
    let next = at.checked_add(1)?;
    // (operands, targets)
    let (operands, targets) = match op {
        0x60..=0x6e => return Some(next),
        0x72 | 0x73 | 0x74 | 0x77 | 0x79 | 0x7a | 0x7b | 0x7c | 0x7d | 0x7e | 0x7f | 0x85
        | 0x88 => (2, 1),
        0x78 => (2, 2),
        0x80 | 0x81 | 0x82 | 0x96 | 0x97 | 0x98 | 0x99 => (1, 1),
        0x70 => (1, 1),
        0x71 | 0x75 | 0x76 | 0x83 | 0x87 | 0x8e | 0x92 => (1, 0),
        0x90 | 0x91 | 0x93 | 0x94 | 0x95 => (2, 0),
        EXT_OP => {
            return match u8_at(aml, next)? {
                0x30 | 0x31 | 0x33 => next.checked_add(1),
                0x12 => {
                    let p = skip_term(aml, m, next.checked_add(1)?, depth + 1)?;
                    skip_target(aml, m, p, depth + 1)
                }
                _ => None,
            };
        }
        ROOT_CHAR | PARENT_CHAR | DUAL_NAME | MULTI_NAME => {
            return skip_name_or_call(aml, m, at, depth);
        }
        b if lead_name_char(b) => return skip_name_or_call(aml, m, at, depth),
        _ => return skip_data(aml, at, depth),
    };
    let mut p = next;
    for _ in 0..operands {
        p = skip_term(aml, m, p, depth + 1)?;
    }
    for _ in 0..targets {
        p = skip_target(aml, m, p, depth + 1)?;
    }
    Some(p)
}

/// A name in a TermArg: a call with its arguments when it names a known method, else a plain
/// reference.
fn skip_name_or_call(aml: &[u8], m: &Methods, at: usize, depth: u32) -> Option<usize> {
    skip_call(aml, m, at, depth).or_else(|| Some(name_string(aml, at)?.end))
}

/// A call of a known method: the name and its arguments.
fn skip_call(aml: &[u8], m: &Methods, at: usize, depth: u32) -> Option<usize> {
    let name = name_string(aml, at)?;
    let args = m.args(name.last).filter(|_| name.segments > 0)?;
    let mut p = name.end;
    for _ in 0..args {
        p = skip_term(aml, m, p, depth.checked_add(1)?)?;
    }
    Some(p)
}

fn skip_target(aml: &[u8], m: &Methods, at: usize, depth: u32) -> Option<usize> {
    if u8_at(aml, at)? == 0x00 {
        at.checked_add(1)
    } else {
        skip_term(aml, m, at, depth)
    }
}

/// Reads an integer constant element.
fn integer(aml: &[u8], at: usize) -> Option<(u64, usize)> {
    let next = at.checked_add(1)?;
    Some(match u8_at(aml, at)? {
        0x00 => (0, next),
        0x01 => (1, next),
        0xff => (u64::MAX, next),
        0x0a => (u64::from(u8_at(aml, next)?), next.checked_add(1)?),
        0x0b => (u64::from(u16_at(aml, next)?), next.checked_add(2)?),
        0x0c => (u64::from(u32_at(aml, next)?), next.checked_add(4)?),
        0x0e => (u64_at(aml, next)?, next.checked_add(8)?),
        _ => return None,
    })
}

/// Decodes `Package (n) { a, b, … }` at `at` as ACPICA does: two or more elements give
/// SLP_TYPa and SLP_TYPb; a single element holds both (low byte a, next byte b).
fn decode_package(aml: &[u8], at: usize, limit: usize) -> Result<SleepType, S5Error> {
    let parse = || -> Option<Result<SleepType, S5Error>> {
        let (pkg_end, count_at) = pkg_length(aml, at.checked_add(1)?)?;
        let pkg_end = pkg_end.min(limit);
        let count = u8_at(aml, count_at)?;
        let body = aml.get(..pkg_end)?;
        let first = count_at.checked_add(1)?;
        let Some((a, after)) = integer(body, first) else {
            return Some(Err(S5Error::NotConstant));
        };
        Some(Ok(match count {
            0 => return Some(Err(S5Error::NotConstant)),
            1 => SleepType {
                slp_typa: a as u8,
                slp_typb: (a >> 8) as u8,
            },
            _ => match integer(body, after) {
                Some((b, _)) => SleepType {
                    slp_typa: a as u8,
                    slp_typb: b as u8,
                },
                None => return Some(Err(S5Error::NotConstant)),
            },
        }))
    };
    parse().unwrap_or(Err(S5Error::NotConstant))
}

/// Byte-pattern fallback: `NameOp [\] _S5_ PackageOp` within `[from, to)`.
fn scan(aml: &[u8], from: usize, to: usize) -> Option<S5Found> {
    let region = aml.get(from..to.min(aml.len()))?;
    region.windows(6).enumerate().find_map(|(i, w)| {
        let at = from.checked_add(i)?;
        let relative = w.get(1..5)? == S5;
        let absolute = w.get(1) == Some(&ROOT_CHAR) && w.get(2..6)? == S5;
        if w.first() != Some(&NAME_OP) || !(relative || absolute) {
            return None;
        }
        let name_at = at.checked_add(1)?;
        let name = name_string(aml, name_at)?;
        (u8_at(aml, name.end)? == PACKAGE_OP).then(|| S5Found {
            value: decode_package(aml, name.end, to),
            offset: at,
            by: FoundBy::Pattern,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S5_PKG: [u8; 14] = [
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x07, 0x04, 0x0a, 0x07, 0x00, 0x00, 0x00, 0xa3,
    ];

    #[test]
    fn root_name_with_byte_prefix_and_zero() {
        let f = find_s5(&S5_PKG).unwrap();
        assert_eq!(
            f.value,
            Ok(SleepType {
                slp_typa: 7,
                slp_typb: 0
            })
        );
        assert_eq!(f.by, FoundBy::Structure);
    }

    #[test]
    fn absolute_name_inside_device_and_scope_root() {
        // Device (DEV0) { Name (\_S5, Package (2) { One, 0x05 }) }
        let inner = [
            0x08, b'\\', b'_', b'S', b'5', b'_', 0x12, 0x05, 0x02, 0x01, 0x0a, 0x05,
        ];
        let mut aml = std::vec![
            0x5b,
            0x82,
            (1 + 4 + inner.len()) as u8,
            b'D',
            b'E',
            b'V',
            b'0'
        ];
        aml.extend_from_slice(&inner);
        let f = find_s5(&aml).unwrap();
        assert_eq!(
            f.value,
            Ok(SleepType {
                slp_typa: 1,
                slp_typb: 5
            })
        );
        // Relative _S5 inside a device is not \_S5.
        let mut aml = std::vec![0x5b, 0x82, (1 + 4 + 13) as u8, b'D', b'E', b'V', b'0'];
        aml.extend_from_slice(&S5_PKG[..13]);
        assert_eq!(find_s5(&aml), None);
        // Scope (\) { Name (_S5, …) } inside a device: root again.
        let mut scope = std::vec![0x10, (1 + 2 + 13) as u8, b'\\', 0x00];
        scope.extend_from_slice(&S5_PKG[..13]);
        let mut aml = std::vec![
            0x5b,
            0x82,
            (1 + 4 + scope.len()) as u8,
            b'D',
            b'E',
            b'V',
            b'0'
        ];
        aml.extend_from_slice(&scope);
        assert_eq!(
            find_s5(&aml).unwrap().value,
            Ok(SleepType {
                slp_typa: 7,
                slp_typb: 0
            })
        );
    }

    #[test]
    fn method_bodies_are_skipped_and_pkglength_multibyte() {
        // Method (FOO) containing Name (_S5, …), two-byte PkgLength.
        let mut aml = std::vec![
            0x14,
            0x40 | ((2 + 4 + 1 + 13) & 0x0f) as u8,
            ((2 + 4 + 1 + 13) >> 4) as u8
        ];
        aml.extend_from_slice(b"FOO_");
        aml.push(0x00);
        aml.extend_from_slice(&S5_PKG[..13]);
        assert_eq!(find_s5(&aml), None);
        aml.extend_from_slice(&S5_PKG);
        assert_eq!(find_s5(&aml).unwrap().offset, 21);
    }

    #[test]
    fn known_method_calls_in_module_level_code_are_stepped_over() {
        // Method (PC2M, 1) { } then OperationRegion (PXCS, SystemMemory, PC2M (_ADR), 0x0C80),
        // an unknown call GMIO (^_ADR, _ADR) would lose the walk; PC2M's count is known.
        let mut aml = std::vec![0x14, 0x06, b'P', b'C', b'2', b'M', 0x01];
        aml.extend_from_slice(&[0x5b, 0x80, b'P', b'X', b'C', b'S', 0x00]);
        aml.extend_from_slice(&[
            b'P', b'C', b'2', b'M', b'_', b'A', b'D', b'R', 0x0b, 0x80, 0x0c,
        ]);
        aml.extend_from_slice(&S5_PKG);
        assert_eq!(find_s5(&aml).unwrap().by, FoundBy::Structure);
        // The same call at statement level.
        let mut aml = std::vec![0x14, 0x06, b'P', b'C', b'2', b'M', 0x01];
        aml.extend_from_slice(&[b'P', b'C', b'2', b'M', 0x0a, 0x05]);
        aml.extend_from_slice(&S5_PKG);
        assert_eq!(find_s5(&aml).unwrap().by, FoundBy::Structure);
        // External (GMIO, MethodObj, 2) gives the count for a method defined elsewhere.
        let mut aml = std::vec![0x15, b'G', b'M', b'I', b'O', 0x08, 0x02];
        aml.extend_from_slice(b"GMIO^_ADR_ADR");
        aml.extend_from_slice(&S5_PKG);
        assert_eq!(find_s5(&aml).unwrap().by, FoundBy::Structure);
    }

    #[test]
    fn word_constants_single_element_and_non_constants() {
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x05, 0x01, 0x0b, 0x07, 0x05,
        ];
        assert_eq!(
            find_s5(&aml).unwrap().value,
            Ok(SleepType {
                slp_typa: 7,
                slp_typb: 5
            })
        );
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x07, 0x02, b'S', b'L', b'P', b'A', 0x00,
        ];
        assert_eq!(find_s5(&aml).unwrap().value, Err(S5Error::NotConstant));
    }

    #[test]
    fn unknown_code_falls_back_to_pattern() {
        // Store (Zero, Local0) at module level is stepped over.
        let mut aml = std::vec![0x70, 0x00, 0x60];
        aml.extend_from_slice(&S5_PKG);
        assert_eq!(find_s5(&aml).unwrap().by, FoundBy::Structure);
        // A method call (argument count unknown) at module level: the pattern fallback.
        let mut aml = b"FOO_".to_vec();
        aml.push(0x00);
        aml.extend_from_slice(&S5_PKG);
        let f = find_s5(&aml).unwrap();
        assert_eq!(f.by, FoundBy::Pattern);
        assert_eq!(
            f.value,
            Ok(SleepType {
                slp_typa: 7,
                slp_typb: 0
            })
        );
    }

    #[test]
    fn hostile_bytes_end() {
        for aml in [
            &[][..],
            &[0x10],
            &[0x10, 0xff, 0xff, 0xff],
            &[0x08, b'\\'],
            &[0x5b, 0x82, 0x00],
        ] {
            let _ = find_s5(aml);
        }
        let deep: std::vec::Vec<u8> = (0..200).flat_map(|_| [0x10u8, 0x3f, b'\\', 0x00]).collect();
        let _ = find_s5(&deep);
    }
}
