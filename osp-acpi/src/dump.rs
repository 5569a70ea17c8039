//! Host-side helpers (feature `std`): reading table dumps (a directory of `SIG.dat` files or
//! `acpidump` text), laying them out in a memory image behind a synthesized RSDP and XSDT, and
//! summarising what the parser decodes as JSON.
//!
//! Dumps rarely hold the root tables, and the FADT's DSDT/FACS addresses point into the dumped
//! machine's memory: [`Machine`] places the DSDT and FACS at the addresses the FADT gives, the
//! other tables at synthetic addresses listed by a fresh XSDT (in natural file order:
//! `SIG.dat`, `SIG_2.dat`, …, `SIG_10.dat`), so the same code path as on hardware runs.

use std::fmt::Write as _;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, fs, io, vec};

use crate::bytes::{sum8, u8_at, u32_at};
use crate::{Acpi, Diagnostic, MemoryImage, Rsdp, Signature};

/// Refuse dump lines that would place bytes beyond this offset in one table.
const MAX_DUMP_TABLE: usize = 64 << 20;
/// Where synthesized structures start (far above any firmware address).
pub const SYNTH_BASE: u64 = 0x7000_0000_0000;

/// One table from a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpTable {
    /// Its name in the dump (`SSDT_2` for a file, `SSDT` for an acpidump section).
    pub name: String,
    /// Address the dump gives (0 when unknown).
    pub address: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl DumpTable {
    /// The signature from the bytes (`RSDP` for a root pointer).
    pub fn signature(&self) -> Signature {
        if self.is_rsdp() {
            return Signature::RSDP;
        }
        let mut s = [0u8; 4];
        for (d, b) in s.iter_mut().zip(&self.bytes) {
            *d = *b;
        }
        Signature(s)
    }

    fn is_rsdp(&self) -> bool {
        self.bytes.starts_with(b"RSD PTR ")
    }

    /// Whether the bytes sum to zero over the length the header gives (RSDP: its checksums;
    /// FACS: always, it has none).
    pub fn checksum_ok(&self) -> bool {
        if self.is_rsdp() {
            return Rsdp::new(&self.bytes).is_some_and(|r| r.valid());
        }
        if self.signature() == Signature::FACS {
            return true;
        }
        let len = u32_at(&self.bytes, 4).map_or(self.bytes.len(), |l| l as usize);
        sum8(self.bytes.get(..len).unwrap_or(&self.bytes)) == 0
    }
}

/// `SSDT_10` → (`SSDT`, 10); `SSDT` → (`SSDT`, 1).
fn natural_key(stem: &str) -> (String, u64) {
    if let Some((prefix, n)) = stem.rsplit_once('_') {
        if let Ok(n) = n.parse::<u64>() {
            if !prefix.is_empty() {
                return (prefix.to_string(), n);
            }
        }
    }
    (stem.to_string(), 1)
}

/// Reads every `*.dat` / `*.aml` file of `dir`, in natural order.
pub fn read_dir(dir: &Path) -> io::Result<Vec<DumpTable>> {
    let mut tables = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !path.is_file() || !matches!(ext.as_deref(), Some("dat" | "aml")) {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        tables.push(DumpTable {
            name,
            address: 0,
            bytes: fs::read(&path)?,
        });
    }
    tables.sort_by_key(|t| natural_key(&t.name));
    Ok(tables)
}

/// Parses `acpidump` text: `SIG @ 0xADDR` lines, each followed by `OFFS: xx xx … ascii` lines.
pub fn parse_acpidump(text: &str) -> Vec<DumpTable> {
    let mut tables: Vec<DumpTable> = Vec::new();
    for line in text.lines() {
        if let Some((sig, addr)) = section_header(line) {
            tables.push(DumpTable {
                name: sig.to_string(),
                address: addr,
                bytes: Vec::new(),
            });
            continue;
        }
        let (Some(table), Some((offset, bytes))) = (tables.last_mut(), data_line(line)) else {
            continue;
        };
        if offset.saturating_add(bytes.len()) > MAX_DUMP_TABLE {
            continue;
        }
        table.bytes.resize(offset, 0);
        table.bytes.extend_from_slice(&bytes);
    }
    tables
}

fn section_header(line: &str) -> Option<(&str, u64)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (sig, addr) = line.trim_end().split_once(" @ ")?;
    let addr = addr
        .trim()
        .strip_prefix("0x")
        .or_else(|| addr.trim().strip_prefix("0X"))?;
    let sig = sig.trim();
    if sig.is_empty() || sig.len() > 8 {
        return None;
    }
    Some((sig, u64::from_str_radix(addr, 16).ok()?))
}

/// `    0010: 41 20 4D … 00  A M I…` → (0x10, bytes). Only the 48 columns of the hex area are
/// read, so the ASCII column never contributes bytes.
fn data_line(line: &str) -> Option<(usize, Vec<u8>)> {
    let (offset, rest) = line.trim_start().split_once(':')?;
    if offset.is_empty() || offset.len() > 8 {
        return None;
    }
    let offset = usize::from_str_radix(offset, 16).ok()?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let area = rest.get(..48.min(rest.len())).unwrap_or(rest);
    let bytes: Vec<u8> = area
        .split_whitespace()
        .take(16)
        .map_while(|t| {
            if t.len() == 2 {
                u8::from_str_radix(t, 16).ok()
            } else {
                None
            }
        })
        .collect();
    (!bytes.is_empty()).then_some((offset, bytes))
}

/// Reads a directory of table files or an acpidump text file.
pub fn read_input(path: &Path) -> io::Result<Vec<DumpTable>> {
    if path.is_dir() {
        read_dir(path)
    } else {
        let bytes = fs::read(path)?;
        Ok(parse_acpidump(&String::from_utf8_lossy(&bytes)))
    }
}

/// A dumped machine's tables laid out in a fake physical memory.
#[derive(Clone, Debug)]
pub struct Machine {
    /// `(physical base, bytes)` regions.
    pub regions: Vec<(u64, Vec<u8>)>,
    /// Address of the synthesized RSDP.
    pub rsdp: u64,
    /// For each dump table, whether the walk from the RSDP reaches it (listed in the XSDT, or
    /// placed where the FADT points).
    pub reached: Vec<bool>,
}

impl Machine {
    /// Lays out `tables`: DSDT and FACS at the FADT's addresses, everything else (except dumped
    /// RSDP/RSDT/XSDT) behind a synthesized revision 2 RSDP and XSDT.
    pub fn new(tables: &[DumpTable]) -> Self {
        let mut reached = vec![false; tables.len()];
        let mut regions: Vec<(u64, Vec<u8>)> = Vec::new();
        let sig_of = |t: &DumpTable| t.signature();
        let is_root =
            |s: Signature| s == Signature::RSDP || s == Signature::RSDT || s == Signature::XSDT;
        let fadt = tables.iter().find(|t| sig_of(t) == Signature::FADT);
        let fadt = fadt
            .and_then(|t| crate::Sdt::new(&t.bytes, 0).ok())
            .and_then(|s| crate::Fadt::new(s).ok());
        // DSDT and FACS where the FADT says (first of each; a second FACS at the other address).
        let mut fixed: Vec<(usize, u64)> = Vec::new();
        if let Some(f) = &fadt {
            if let (Some(i), Some(a)) = (
                tables.iter().position(|t| sig_of(t) == Signature::DSDT),
                f.dsdt_address(),
            ) {
                fixed.push((i, a));
            }
            let mut facs = tables
                .iter()
                .enumerate()
                .filter(|(_, t)| sig_of(t) == Signature::FACS)
                .map(|(i, _)| i);
            if let (Some(i), Some(a)) = (facs.next(), f.facs_address()) {
                fixed.push((i, a));
                let other = [f.firmware_ctrl().map(u64::from), f.x_firmware_ctrl()];
                let other = other.into_iter().flatten().find(|&o| o != 0 && o != a);
                if let (Some(j), Some(o)) = (facs.next(), other) {
                    fixed.push((j, o));
                }
            }
        }
        for (i, addr) in fixed {
            let Some(t) = tables.get(i) else { continue };
            let end = addr.saturating_add(t.bytes.len() as u64);
            let overlaps = regions
                .iter()
                .any(|(b, r)| addr < b.saturating_add(r.len() as u64) && *b < end);
            if !overlaps && end < SYNTH_BASE {
                regions.push((addr, t.bytes.clone()));
                if let Some(r) = reached.get_mut(i) {
                    *r = true;
                }
            }
        }
        let listed: Vec<usize> = (0..tables.len())
            .filter(|&i| !reached.get(i).copied().unwrap_or(true))
            .filter(|&i| {
                tables.get(i).is_some_and(|t| {
                    !is_root(sig_of(t))
                        && sig_of(t) != Signature::DSDT
                        && sig_of(t) != Signature::FACS
                })
            })
            .collect();
        // Layout: RSDP (36 bytes), XSDT, then each table 16-byte aligned.
        let xsdt_at = 0x40usize;
        let xsdt_len = 36 + 8 * listed.len();
        let mut blob = vec![0u8; (xsdt_at + xsdt_len + 15) & !15];
        let mut addrs = Vec::new();
        for &i in &listed {
            let Some(t) = tables.get(i) else { continue };
            addrs.push(SYNTH_BASE + blob.len() as u64);
            blob.extend_from_slice(&t.bytes);
            blob.resize((blob.len() + 15) & !15, 0);
            if let Some(r) = reached.get_mut(i) {
                *r = true;
            }
        }
        let mut xsdt = Vec::with_capacity(xsdt_len);
        xsdt.extend_from_slice(b"XSDT");
        xsdt.extend_from_slice(&(xsdt_len as u32).to_le_bytes());
        xsdt.extend_from_slice(&[1, 0]);
        xsdt.extend_from_slice(b"OSPDMP");
        xsdt.extend_from_slice(b"OSPXSDT ");
        xsdt.extend_from_slice(&[1, 0, 0, 0]);
        xsdt.extend_from_slice(b"OSP ");
        xsdt.extend_from_slice(&[1, 0, 0, 0]);
        for a in &addrs {
            xsdt.extend_from_slice(&a.to_le_bytes());
        }
        let sum = sum8(&xsdt);
        if let Some(c) = xsdt.get_mut(9) {
            *c = 0u8.wrapping_sub(sum);
        }
        let rsdp = synth_rsdp(SYNTH_BASE + xsdt_at as u64);
        if let Some(dst) = blob.get_mut(..36) {
            dst.copy_from_slice(&rsdp);
        }
        if let Some(dst) = blob.get_mut(xsdt_at..xsdt_at + xsdt_len) {
            dst.copy_from_slice(&xsdt);
        }
        regions.push((SYNTH_BASE, blob));
        Self {
            regions,
            rsdp: SYNTH_BASE,
            reached,
        }
    }

    /// The regions as borrowed slices, for [`MemoryImage::new`].
    pub fn slices(&self) -> Vec<(u64, &[u8])> {
        self.regions
            .iter()
            .map(|(a, b)| (*a, b.as_slice()))
            .collect()
    }
}

/// A revision 2 RSDP pointing at an XSDT at `xsdt` (RSDT address 0), checksums valid.
pub fn synth_rsdp(xsdt: u64) -> [u8; 36] {
    let mut r = [0u8; 36];
    r[..8].copy_from_slice(b"RSD PTR ");
    r[9..15].copy_from_slice(b"OSPDMP");
    r[15] = 2;
    r[20..24].copy_from_slice(&36u32.to_le_bytes());
    r[24..32].copy_from_slice(&xsdt.to_le_bytes());
    r[8] = 0u8.wrapping_sub(sum8(&r[..20]));
    r[32] = 0u8.wrapping_sub(sum8(&r[..36]));
    r
}

fn hex(v: u64) -> String {
    format!("\"{v:#x}\"")
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| "null".to_string(), f)
}

/// A JSON string literal for raw firmware bytes (trailing spaces and NULs trimmed).
fn text(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |p| p + 1);
    let mut s = String::from("\"");
    for &b in bytes.get(..end).unwrap_or_default() {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\u{b:04x}");
            }
        }
    }
    s.push('"');
    s
}

fn list<T>(items: impl Iterator<Item = T>, f: impl Fn(T) -> String) -> String {
    let v: Vec<String> = items.map(f).collect();
    format!("[{}]", v.join(","))
}

fn table_json(t: &DumpTable) -> String {
    let b = &t.bytes;
    let sig = t.signature();
    let (length, revision, oem) = if sig == Signature::RSDP {
        let r = Rsdp::new(b);
        let rev = u8_at(b, 15);
        let length = if rev.is_some_and(|r| r >= 2) {
            u32_at(b, 20)
        } else {
            Some(20)
        };
        (length, rev, r.map(|r| r.oem_id().to_vec()))
    } else if sig == Signature::FACS {
        (u32_at(b, 4), u8_at(b, 32), None)
    } else {
        (u32_at(b, 4), u8_at(b, 8), b.get(10..16).map(<[u8]>::to_vec))
    };
    format!(
        "{{\"signature\":{},\"length\":{},\"revision\":{},\"oem_id\":{},\"checksum_ok\":{}}}",
        text(sig.as_bytes()),
        opt(length, |v| v.to_string()),
        opt(revision, |v| v.to_string()),
        opt(oem, |o| text(&o)),
        t.checksum_ok()
    )
}

/// The `acpi-dump --json` document for a dump.
pub fn to_json(tables: &[DumpTable]) -> String {
    let machine = Machine::new(tables);
    let slices = machine.slices();
    let mem = MemoryImage::new(&slices);
    let acpi = Acpi::from_rsdp_addr(&mem, machine.rsdp).ok();
    let mut out = String::from("{\"tables\":");
    out.push_str(&list(tables.iter(), table_json));
    let madt = acpi.as_ref().and_then(Acpi::madt);
    out.push_str(",\"madt\":");
    out.push_str(&opt(madt, |m| {
        format!(
            "{{\"local_apic_address\":{},\"local_apics\":{},\"x2apics\":{},\"io_apics\":{},\"overrides\":{},\"nmi_sources\":{},\"local_apic_nmis\":{}}}",
            hex(m.local_apic_address()),
            list(m.local_apics(), |l| format!(
                "{{\"processor_uid\":{},\"apic_id\":{},\"enabled\":{}}}",
                l.processor_uid, l.apic_id, l.enabled()
            )),
            list(m.x2apics(), |x| format!(
                "{{\"processor_uid\":{},\"x2apic_id\":{},\"enabled\":{}}}",
                x.processor_uid, x.x2apic_id, x.enabled()
            )),
            list(m.io_apics(), |i| format!(
                "{{\"id\":{},\"address\":{},\"gsi_base\":{}}}",
                i.id, hex(u64::from(i.address)), i.gsi_base
            )),
            list(m.overrides(), |o| format!(
                "{{\"bus\":{},\"source\":{},\"gsi\":{},\"flags\":{}}}",
                o.bus, o.source, o.gsi, o.flags
            )),
            list(m.nmi_sources(), |n| format!("{{\"flags\":{},\"gsi\":{}}}", n.flags, n.gsi)),
            list(m.local_apic_nmis(), |n| format!(
                "{{\"processor_uid\":{},\"flags\":{},\"lint\":{}}}",
                n.processor_uid, n.flags, n.lint
            )),
        )
    }));
    let fadt = acpi.as_ref().and_then(Acpi::fadt);
    out.push_str(",\"fadt\":");
    out.push_str(&opt(fadt, |f| {
        use crate::Block;
        let block = |b| opt(f.block(b), |g| hex(g.address));
        let reset = f.reset_register().filter(|r| r.is_present());
        format!(
            "{{\"revision\":{},\"length\":{},\"sci_int\":{},\"smi_cmd\":{},\"pm1a_evt\":{},\"pm1a_cnt\":{},\"pm1b_cnt\":{},\"pm_tmr\":{},\"reset_reg\":{},\"hw_reduced\":{},\"dsdt\":{},\"facs\":{},\"iapc_boot_arch\":{},\"flags\":{}}}",
            f.sdt().revision(),
            f.sdt().length(),
            opt(f.sci_int(), |v| v.to_string()),
            opt(f.smi_cmd().filter(|&v| v != 0), |v| hex(u64::from(v))),
            block(Block::Pm1aEvent),
            block(Block::Pm1aControl),
            block(Block::Pm1bControl),
            block(Block::PmTimer),
            opt(reset, |r| format!(
                "{{\"space\":{},\"address\":{},\"value\":{}}}",
                match r.space.id() {
                    0 => "\"memory\"".to_string(),
                    1 => "\"io\"".to_string(),
                    2 => "\"pci\"".to_string(),
                    n => format!("\"{n}\""),
                },
                hex(r.address),
                opt(f.reset_value(), |v| v.to_string())
            )),
            f.hw_reduced(),
            opt(f.dsdt_address(), hex),
            opt(f.facs_address(), hex),
            opt(f.iapc_boot_arch(), |v| format!("\"{v:#06x}\"")),
            opt(f.flags(), |v| format!("\"{v:#010x}\"")),
        )
    }));
    let mcfg = acpi.as_ref().and_then(Acpi::mcfg);
    out.push_str(",\"mcfg\":");
    out.push_str(&opt(mcfg, |m| {
        list(m.entries(), |e| {
            format!(
                "{{\"base\":{},\"segment\":{},\"start_bus\":{},\"end_bus\":{}}}",
                hex(e.base),
                e.segment,
                e.start_bus,
                e.end_bus
            )
        })
    }));
    let hpet = acpi.as_ref().and_then(Acpi::hpet);
    out.push_str(",\"hpet\":");
    out.push_str(&opt(hpet, |h| {
        format!(
            "{{\"address\":{},\"comparators\":{},\"min_tick\":{}}}",
            opt(h.base_address(), |g| hex(g.address)),
            opt(h.comparators(), |v| v.to_string()),
            opt(h.min_tick(), |v| v.to_string())
        )
    }));
    let s5 = acpi.as_ref().and_then(|a| a.s5().ok());
    out.push_str(",\"s5\":");
    out.push_str(&opt(s5, |s| {
        format!(
            "{{\"slp_typa\":{},\"slp_typb\":{}}}",
            s.slp_typa, s.slp_typb
        )
    }));
    out.push_str(",\"diagnostics\":");
    out.push_str(&list(
        diagnostics(tables, &machine, acpi.as_ref()).into_iter(),
        |d| {
            format!(
                "{{\"table\":{},\"kind\":\"{}\"}}",
                text(d.table.as_bytes()),
                d.kind.name()
            )
        },
    ));
    out.push('}');
    out
}

/// The parser's diagnostics for the walk, plus bad checksums of dump tables the walk does not
/// reach (dumped root tables, extra DSDT/FACS copies).
pub fn diagnostics(
    tables: &[DumpTable],
    machine: &Machine,
    acpi: Option<&Acpi<'_, MemoryImage<'_>>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(acpi) = acpi {
        acpi.diagnose(&mut |d| out.push(d));
    }
    for (t, reached) in tables.iter().zip(&machine.reached) {
        if !reached && !t.checksum_ok() {
            out.push(Diagnostic {
                table: t.signature(),
                kind: crate::DiagnosticKind::BadChecksum,
            });
        }
    }
    out
}
