//! Every dump of `../shared/corpus/pci/` decodes to what `lspci -F FILE -nn -vv` (pciutils)
//! prints for the same file: functions, their `-nn` lines, prog-if, subsystem, interrupt,
//! BAR kinds and addresses, and standard and extended capability offsets and IDs.
//!
//! Skips with a message when the corpus or `lspci` is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use osp_pci::dump::DumpSpace;
use osp_pci::{BarKind, Counting, Function};

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/corpus/pci"
    ));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    files.sort();
    Some(files)
}

fn lspci(args: &[&str]) -> Option<String> {
    let out = Command::new("lspci").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A `pci.ids` holding only our class table, so that lspci names classes exactly as we do and
/// prints IDs for vendors and devices.
fn class_ids_file() -> PathBuf {
    let mut text = String::new();
    for (base, sub, name) in osp_pci::class_table() {
        match sub {
            None => text.push_str(&format!("C {base:02x}  {name}\n")),
            Some(s) => text.push_str(&format!("\t{s:02x}  {name}\n")),
        }
    }
    let path = std::env::temp_dir().join(format!("osp-pci-classes-{}.ids", std::process::id()));
    std::fs::write(&path, text).expect("write class table");
    path
}

#[derive(Debug, Default)]
struct LspciFunction {
    prog_if: Option<u8>,
    subsystem: Option<(u16, u16)>,
    interrupt: Option<(char, u32)>,
    /// (index, "io"/"mem32"/"mem64"/"low-1M", address, prefetchable)
    regions: Vec<(u8, &'static str, u64, bool)>,
    caps: Vec<(u16, u16)>,
    ext_caps: Vec<(u16, Vec<u16>)>,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad hex {s:?}"))
}

fn bdf_of(line: &str) -> Option<String> {
    let word = line.split(' ').next()?;
    let b = word.as_bytes();
    let ok = |w: &[u8]| w.len() == 7 && w[2] == b':' && w[5] == b'.';
    if ok(b) {
        Some(format!("0000:{word}"))
    } else if b.len() == 12 && ok(&b[5..]) {
        Some(word.to_owned())
    } else {
        None
    }
}

fn std_cap_id(name: &str) -> u16 {
    const NAMES: &[(&str, u16)] = &[
        ("Null", 0x00),
        ("Power Management", 0x01),
        ("AGP3", 0x0e),
        ("AGP", 0x02),
        ("Vital Product Data", 0x03),
        ("Slot ID", 0x04),
        ("MSI-X", 0x11),
        ("MSI", 0x05),
        ("CompactPCI hot-swap", 0x06),
        ("PCI-X", 0x07),
        ("HyperTransport", 0x08),
        ("Vendor Specific Information", 0x09),
        ("Debug port", 0x0a),
        ("CompactPCI central resource control", 0x0b),
        ("Hot-plug capable", 0x0c),
        ("Subsystem", 0x0d),
        ("Secure device", 0x0f),
        ("Express", 0x10),
        ("SATA HBA", 0x12),
        ("PCI Advanced Features", 0x13),
        ("Enhanced Allocation", 0x14),
    ];
    if let Some(rest) = name.strip_prefix('#') {
        return hex(&rest[..2]) as u16;
    }
    NAMES
        .iter()
        .find(|(n, _)| name.starts_with(n))
        .unwrap_or_else(|| panic!("unknown lspci capability name {name:?}"))
        .1
}

/// Extended capability names as lspci prints them; some names stand for more than one ID.
fn ext_cap_ids(name: &str) -> Vec<u16> {
    const NAMES: &[(&str, &[u16])] = &[
        ("Null", &[0x0000]),
        ("Advanced Error Reporting", &[0x0001]),
        ("Virtual Channel", &[0x0002, 0x0009]),
        ("Device Serial Number", &[0x0003]),
        ("Power Budgeting", &[0x0004]),
        ("Root Complex Link", &[0x0005]),
        ("Root Complex Internal Link", &[0x0006]),
        ("Root Complex Event Collector", &[0x0007]),
        ("Multi-Function Virtual Channel", &[0x0008]),
        ("Root Complex Register Block", &[0x000a]),
        ("Vendor Specific Information", &[0x000b]),
        ("Access Control Services", &[0x000d]),
        ("Alternative Routing-ID Interpretation", &[0x000e]),
        ("Address Translation Service", &[0x000f]),
        ("Single Root I/O Virtualization", &[0x0010]),
        ("Multi-Root I/O Virtualization", &[0x0011]),
        ("Multicast", &[0x0012]),
        ("Page Request Interface", &[0x0013]),
        ("Resizable BAR", &[0x0015]),
        ("Dynamic Power Allocation", &[0x0016]),
        ("Transaction Processing Hints", &[0x0017]),
        ("Latency Tolerance Reporting", &[0x0018]),
        ("Secondary PCI Express", &[0x0019]),
        ("Process Address Space ID", &[0x001b]),
        ("Downstream Port Containment", &[0x001d]),
        ("L1 PM Substates", &[0x001e]),
        ("Precision Time Measurement", &[0x001f]),
        ("Readiness Time Reporting", &[0x0022]),
        ("Designated Vendor-Specific", &[0x0023]),
        ("VF Resizable BAR", &[0x0024]),
        ("Data Link Feature", &[0x0025]),
        ("Physical Layer 16.0 GT/s", &[0x0026]),
        ("Lane Margining at the Receiver", &[0x0027]),
        ("Hierarchy ID", &[0x0028]),
        ("Native PCIe Enclosure Management", &[0x0029]),
        ("Physical Layer 32.0 GT/s", &[0x002a]),
        ("Data Object Exchange", &[0x002e]),
        ("Integrity & Data Encryption", &[0x0030]),
    ];
    if let Some(rest) = name.strip_prefix("Extended Capability ID 0x") {
        return vec![hex(rest.trim()) as u16];
    }
    NAMES
        .iter()
        .filter(|(n, _)| name.starts_with(n))
        .max_by_key(|(n, _)| n.len())
        .unwrap_or_else(|| panic!("unknown lspci extended capability name {name:?}"))
        .1
        .to_vec()
}

fn parse_vv(text: &str) -> BTreeMap<String, LspciFunction> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(bdf) = bdf_of(line) {
            let mut f = LspciFunction::default();
            if let Some(i) = line.find("(prog-if ") {
                f.prog_if = Some(hex(&line[i + 9..i + 11]) as u8);
            }
            out.insert(bdf.clone(), f);
            current = Some(bdf);
            continue;
        }
        let Some(f) = current.as_ref().and_then(|b| out.get_mut(b)) else {
            continue;
        };
        // Only lines indented by exactly one tab belong to the function itself (SR-IOV VF
        // regions are nested deeper).
        let Some(body) = line.strip_prefix('\t').filter(|l| !l.starts_with('\t')) else {
            continue;
        };
        if let Some(rest) = body.strip_prefix("Subsystem: ") {
            let i = rest.rfind('[').expect("subsystem ids");
            let (v, d) = rest[i + 1..i + 10].split_once(':').expect("vvvv:dddd");
            f.subsystem = Some((hex(v) as u16, hex(d) as u16));
        } else if let Some(rest) = body.strip_prefix("Interrupt: pin ") {
            let pin = rest.chars().next().expect("pin");
            let irq = rest
                .rsplit(' ')
                .next()
                .expect("irq")
                .parse()
                .expect("irq number");
            f.interrupt = Some((pin, irq));
        } else if let Some(rest) = body.strip_prefix("Region ") {
            let (index, rest) = rest.split_once(": ").expect("region index");
            let index: u8 = index.parse().expect("region number");
            let (kind, rest) = if let Some(r) = rest.strip_prefix("I/O ports at ") {
                ("io", r)
            } else {
                let r = rest.strip_prefix("Memory at ").expect("memory region");
                let kind = if r.contains("(64-bit") {
                    "mem64"
                } else if r.contains("(low-1M") {
                    "low-1M"
                } else {
                    "mem32"
                };
                (kind, r)
            };
            let at = rest.split(' ').next().expect("address");
            let address = if at == "<unassigned>" { 0 } else { hex(at) };
            let prefetchable = rest.contains(", prefetchable");
            f.regions.push((index, kind, address, prefetchable));
        } else if let Some(rest) = body.strip_prefix("Capabilities: [") {
            let (off, name) = rest.split_once("] ").expect("capability offset");
            if let Some((o, _version)) = off.split_once(" v") {
                f.ext_caps.push((hex(o) as u16, ext_cap_ids(name)));
            } else {
                f.caps.push((hex(off) as u16, std_cap_id(name)));
            }
        }
    }
    out
}

fn kind_name(k: BarKind) -> &'static str {
    match k {
        BarKind::Io => "io",
        BarKind::Mem32 => "mem32",
        BarKind::Mem1M => "low-1M",
        BarKind::Mem64 => "mem64",
    }
}

fn compare(file: &Path, space: &DumpSpace, functions: &[Function], lspci_vv: &str) -> [usize; 4] {
    let name = file.file_name().unwrap().to_string_lossy();
    let expected = parse_vv(lspci_vv);
    let ours: Vec<String> = functions.iter().map(|f| f.address.to_string()).collect();
    let theirs: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(ours, theirs, "{name}: functions");
    let mut access = space;
    let mut checked = [0; 4];
    for f in functions {
        let e = &expected[&f.address.to_string()];
        let at = format!("{name} {}", f.address);
        assert_eq!(e.prog_if.unwrap_or(0), f.class.prog_if, "{at}: prog-if");

        let subsystem = f.subsystem.filter(|&(v, _)| v != 0 && v != 0xffff);
        assert_eq!(e.subsystem, subsystem, "{at}: subsystem");

        match e.interrupt {
            Some((pin, irq)) => {
                let ours = if f.interrupt_pin == 0 {
                    '?'
                } else {
                    char::from(b'A' + f.interrupt_pin - 1)
                };
                assert_eq!(
                    (pin, irq),
                    (ours, u32::from(f.interrupt_line)),
                    "{at}: interrupt"
                );
            }
            None => assert_eq!(
                (f.interrupt_pin, f.interrupt_line),
                (0, 0),
                "{at}: interrupt"
            ),
        }

        let bars: Vec<_> = f.bars(&mut access).collect();
        // lspci 3.9 prints a bogus region for the upper half of some 64-bit BARs; it is no BAR.
        let regions: Vec<_> = e
            .regions
            .iter()
            .filter(|r| {
                !bars
                    .iter()
                    .any(|b| b.kind == BarKind::Mem64 && b.index + 1 == r.0)
            })
            .copied()
            .collect();
        let ours: Vec<_> = bars
            .iter()
            .map(|b| (b.index, kind_name(b.kind), b.address, b.prefetchable))
            .collect();
        assert_eq!(ours, regions, "{at}: BARs");

        let caps: Vec<_> = f
            .capabilities(&mut access)
            .map(|c| (u16::from(c.offset), u16::from(c.id)))
            .collect();
        assert_eq!(caps, e.caps, "{at}: capabilities");

        let ext: Vec<_> = f.extended_capabilities(&mut access).collect();
        assert_eq!(
            ext.len(),
            e.ext_caps.len(),
            "{at}: extended capabilities {ext:x?} vs {:x?}",
            e.ext_caps
        );
        for (c, (off, ids)) in ext.iter().zip(&e.ext_caps) {
            assert_eq!(c.offset, *off, "{at}: extended capability offset");
            assert!(
                ids.contains(&c.id),
                "{at}: extended capability at {off:#x}: {:#x} not in {ids:x?}",
                c.id
            );
        }
        checked[0] += 1;
        checked[1] += bars.len();
        checked[2] += caps.len();
        checked[3] += ext.len();
    }
    checked
}

#[test]
fn every_corpus_dump_agrees_with_lspci() {
    let Some(files) = corpus() else {
        println!("skipped: ../shared/corpus/pci is absent");
        return;
    };
    let have_lspci = lspci(&["--version"]).is_some();
    if !have_lspci {
        println!(
            "lspci not found: checking only that every dump decodes; install pciutils to compare"
        );
    }
    let ids = class_ids_file();
    let ids = ids.to_str().expect("utf-8 temp path");
    let (mut dumps, mut checked) = (0, [0; 4]);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read dump");
        let space = DumpSpace::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut counting = Counting::new(&space);
        let functions = space.list(&mut counting);
        assert_eq!(
            functions.len(),
            space.len(),
            "{}: every dumped function is listed",
            file.display()
        );
        assert!(
            counting.reads() <= 256 * 32 * 8 * 8,
            "walk reads are bounded"
        );
        dumps += 1;
        if !have_lspci {
            continue;
        }
        let path = file.to_str().expect("utf-8 path");
        let nn = lspci(&["-F", path, "-nn", "-i", ids]).expect("lspci -nn");
        let ours: String = functions
            .iter()
            .map(|f| format!("{}\n", f.lspci_line()))
            .collect();
        assert_eq!(ours, nn, "{}: lspci -nn lines", file.display());
        let vv = lspci(&["-F", path, "-nn", "-vv"]).expect("lspci -vv");
        let c = compare(file, &space, &functions, &vv);
        checked.iter_mut().zip(c).for_each(|(t, n)| *t += n);
    }
    let [functions, bars, caps, ext] = checked;
    println!(
        "{dumps} dumps decoded; compared with lspci: {functions} functions, {bars} BARs, \
         {caps} capabilities, {ext} extended capabilities"
    );
    assert!(dumps > 0);
    if have_lspci {
        assert!(
            functions > 0 && bars > 0 && caps > 0 && ext > 0,
            "the comparison compared something"
        );
    }
}
