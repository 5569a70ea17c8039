//! Synthesized root paths and hostile tables in a fake physical memory, and the S5/reset
//! register sequences against a recording fake.

use osp_acpi::power::{AcpiIo, Width};
use osp_acpi::{
    Acpi, Config, Diagnostic, DiagnosticKind, Error, FadtField, MadtEntry, MemoryImage, PowerError,
    S5Error, Signature, TableError,
};

fn sum(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |a, &x| a.wrapping_add(x))
}

/// A table with a valid checksum; `length` overrides the header's length field.
fn table_len(sig: &[u8; 4], revision: u8, body: &[u8], length: Option<u32>) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(sig);
    t.extend_from_slice(&length.unwrap_or(36 + body.len() as u32).to_le_bytes());
    t.push(revision);
    t.push(0);
    t.extend_from_slice(b"OSPTST");
    t.extend_from_slice(b"OSPTABLE");
    t.extend_from_slice(&[1, 0, 0, 0]);
    t.extend_from_slice(b"OSP ");
    t.extend_from_slice(&[1, 0, 0, 0]);
    t.extend_from_slice(body);
    t[9] = 0u8.wrapping_sub(sum(&t));
    t
}

fn table(sig: &[u8; 4], revision: u8, body: &[u8]) -> Vec<u8> {
    table_len(sig, revision, body, None)
}

fn rsdp(revision: u8, rsdt: u32, xsdt: u64) -> Vec<u8> {
    let mut r = vec![0u8; 36];
    r[..8].copy_from_slice(b"RSD PTR ");
    r[9..15].copy_from_slice(b"OSPTST");
    r[15] = revision;
    r[16..20].copy_from_slice(&rsdt.to_le_bytes());
    r[20..24].copy_from_slice(&36u32.to_le_bytes());
    r[24..32].copy_from_slice(&xsdt.to_le_bytes());
    r[8] = 0u8.wrapping_sub(sum(&r[..20]));
    r[32] = 0u8.wrapping_sub(sum(&r[..36]));
    r
}

fn gas(space: u8, bits: u8, addr: u64) -> [u8; 12] {
    let mut g = [0u8; 12];
    g[0] = space;
    g[1] = bits;
    g[4..].copy_from_slice(&addr.to_le_bytes());
    g
}

/// A FADT body of `len` total bytes (>= 116): DSDT at `dsdt`, PM1a event 0x400 / control
/// 0x404, PM1b control `pm1b`, flags, reset register, X_ fields as given.
struct FadtSpec {
    len: usize,
    revision: u8,
    dsdt: u32,
    x_dsdt: u64,
    pm1b_cnt: u32,
    flags: u32,
    reset: [u8; 12],
    reset_value: u8,
    sleep_control: [u8; 12],
    acpi_enable: u8,
}

impl Default for FadtSpec {
    fn default() -> Self {
        Self {
            len: 276,
            revision: 6,
            dsdt: 0x9000,
            x_dsdt: 0,
            pm1b_cnt: 0,
            flags: 1 << 10,
            reset: gas(1, 8, 0xcf9),
            reset_value: 6,
            sleep_control: [0; 12],
            acpi_enable: 0,
        }
    }
}

fn fadt(s: &FadtSpec) -> Vec<u8> {
    let mut b = vec![0u8; 276 - 36];
    let mut put = |off: usize, v: &[u8]| b[off - 36..off - 36 + v.len()].copy_from_slice(v);
    put(40, &s.dsdt.to_le_bytes());
    put(46, &9u16.to_le_bytes());
    put(48, &0xb2u32.to_le_bytes());
    put(52, &[s.acpi_enable]);
    put(56, &0x400u32.to_le_bytes());
    put(64, &0x404u32.to_le_bytes());
    put(68, &s.pm1b_cnt.to_le_bytes());
    put(76, &0x408u32.to_le_bytes());
    put(88, &[4, 2, 0, 4]);
    put(112, &s.flags.to_le_bytes());
    put(116, &s.reset);
    put(128, &[s.reset_value]);
    put(140, &s.x_dsdt.to_le_bytes());
    put(244, &s.sleep_control);
    b.truncate(s.len - 36);
    table(b"FACP", s.revision, &b)
}

fn dsdt_with_s5(a: u8, b: u8) -> Vec<u8> {
    table(
        b"DSDT",
        2,
        &[
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x08, 0x04, 0x0a, a, 0x0a, b, 0x00, 0x00,
        ],
    )
}

fn xsdt(entries: &[u64]) -> Vec<u8> {
    let body: Vec<u8> = entries.iter().flat_map(|e| e.to_le_bytes()).collect();
    table(b"XSDT", 1, &body)
}

fn rsdt(entries: &[u32]) -> Vec<u8> {
    let body: Vec<u8> = entries.iter().flat_map(|e| e.to_le_bytes()).collect();
    table(b"RSDT", 1, &body)
}

fn madt(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0xfee0_0000u32.to_le_bytes());
    body.extend_from_slice(&1u32.to_le_bytes());
    for e in entries {
        body.extend_from_slice(e);
    }
    table(b"APIC", 5, &body)
}

const LAPIC0: [u8; 8] = [0, 8, 1, 0, 1, 0, 0, 0];
const IOAPIC: [u8; 12] = [1, 12, 2, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0];

fn diags(acpi: &Acpi<'_, MemoryImage<'_>>) -> Vec<Diagnostic> {
    let mut v = Vec::new();
    acpi.diagnose(&mut |d| v.push(d));
    v
}

fn has(v: &[Diagnostic], f: impl Fn(&Diagnostic) -> bool) -> bool {
    v.iter().any(f)
}

#[test]
fn xsdt_path_with_null_duplicate_out_of_range_and_hostile_lengths() {
    let f = fadt(&FadtSpec::default());
    let d = dsdt_with_s5(5, 5);
    let m = madt(&[&LAPIC0, &IOAPIC]);
    let short = |len: u32| table_len(b"SSDT", 1, &[], Some(len));
    let (l0, l1, l35, lmax) = (short(0), short(1), short(35), short(u32::MAX));
    let entries = [
        0x2000,
        0,
        0x3000,
        0x2000,
        0xdead_0000,
        0x5000,
        0x6000,
        0x7000,
        0x8000,
    ];
    let x = xsdt(&entries);
    let r = rsdp(2, 0, 0x1100);
    let regions: Vec<(u64, &[u8])> = vec![
        (0x1000, &r),
        (0x1100, &x),
        (0x2000, &f),
        (0x3000, &m),
        (0x5000, &l0),
        (0x6000, &l1),
        (0x7000, &l35),
        (0x8000, &lmax),
        (0x9000, &d),
    ];
    let mem = MemoryImage::new(&regions);
    let acpi = Acpi::from_rsdp_addr(&mem, 0x1000).unwrap();
    assert_eq!(acpi.root().signature(), Signature::XSDT);
    let sigs: Vec<Signature> = acpi.tables().map(|t| t.signature()).collect();
    assert_eq!(sigs, [Signature::FADT, Signature::MADT, Signature::FADT]);
    assert_eq!(acpi.find_all(Signature::FADT).count(), 2);
    assert_eq!(
        acpi.s5(),
        Ok(osp_acpi::SleepType {
            slp_typa: 5,
            slp_typb: 5
        })
    );
    assert_eq!(acpi.madt().unwrap().io_apics().count(), 1);
    let v = diags(&acpi);
    let root = |k: &DiagnosticKind| has(&v, |d| d.table == Signature::XSDT && d.kind == *k);
    assert!(root(&DiagnosticKind::NullEntry { index: 1 }));
    assert!(root(&DiagnosticKind::DuplicateEntry {
        index: 3,
        phys: 0x2000
    }));
    for (index, phys, error) in [
        (
            4,
            0xdead_0000,
            TableError::Unmappable {
                phys: 0xdead_0000,
                length: 36,
            },
        ),
        (5, 0x5000, TableError::TooShort { length: 0 }),
        (6, 0x6000, TableError::TooShort { length: 1 }),
        (7, 0x7000, TableError::TooShort { length: 35 }),
        (8, 0x8000, TableError::TooLong { length: u32::MAX }),
    ] {
        assert!(
            root(&DiagnosticKind::Unusable {
                index: Some(index),
                phys,
                error
            }),
            "{index}: {v:?}"
        );
    }
    assert!(has(&v, |d| d.table == Signature::FADT
        && d.kind == DiagnosticKind::DuplicateTable));
    // A limit of u32::MAX lets the huge length through to the mapper, which refuses it.
    let cfg = Config {
        max_table_length: u32::MAX,
        ..Config::default()
    };
    let acpi = Acpi::from_rsdp_addr_with(&mem, 0x1000, cfg).unwrap();
    let e = acpi.entries().nth(8).unwrap();
    assert_eq!(
        e.table,
        Err(TableError::Unmappable {
            phys: 0x8000,
            length: u32::MAX
        })
    );
}

#[test]
fn rsdt_paths_rev0_with_junk_xsdt_rev2_without_xsdt_and_forced() {
    let f = fadt(&FadtSpec::default());
    let d = dsdt_with_s5(7, 0);
    let r = rsdt(&[0x2000]);
    let x = xsdt(&[0x2000]);
    // Revision 0: only 20 bytes exist at the RSDP address; junk XSDT never read.
    let mut v0 = rsdp(0, 0x1100, 0xffff_ffff_ffff_fff0);
    v0.truncate(20);
    v0[8] = 0;
    v0[8] = 0u8.wrapping_sub(sum(&v0));
    let v2 = rsdp(2, 0x1100, 0);
    let v2x = rsdp(2, 0x1100, 0x1200);
    for (rp, cfg, expect) in [
        (&v0, Config::default(), Signature::RSDT),
        (&v2, Config::default(), Signature::RSDT),
        (&v2x, Config::default(), Signature::XSDT),
        (
            &v2x,
            Config {
                force_rsdt: true,
                ..Config::default()
            },
            Signature::RSDT,
        ),
    ] {
        let regions: Vec<(u64, &[u8])> = vec![
            (0x1000, rp),
            (0x1100, &r),
            (0x1200, &x),
            (0x2000, &f),
            (0x9000, &d),
        ];
        let mem = MemoryImage::new(&regions);
        let acpi = Acpi::from_rsdp_addr_with(&mem, 0x1000, cfg).unwrap();
        assert_eq!(acpi.root().signature(), expect);
        assert!(acpi.fadt().is_some());
        assert_eq!(acpi.s5().unwrap().slp_typa, 7);
        assert!(diags(&acpi).is_empty(), "{:?}", diags(&acpi));
    }
}

#[test]
fn rsdp_errors_and_checksums() {
    let mut bad = rsdp(2, 0x1100, 0);
    bad[8] ^= 0x55;
    let r = rsdt(&[]);
    let regions: Vec<(u64, &[u8])> = vec![(0x1000, &bad), (0x1100, &r)];
    let mem = MemoryImage::new(&regions);
    let acpi = Acpi::from_rsdp_addr(&mem, 0x1000).unwrap();
    assert_eq!(acpi.tables().count(), 0);
    let v = diags(&acpi);
    assert!(has(&v, |d| d.table == Signature::RSDP
        && d.kind == DiagnosticKind::BadChecksum));
    assert_eq!(acpi.s5(), Err(S5Error::NotFound));
    assert_eq!(
        Acpi::from_rsdp_addr(&mem, 0x1100).unwrap_err(),
        Error::InvalidRsdp { phys: 0x1100 }
    );
    assert_eq!(
        Acpi::from_rsdp_addr(&mem, 0x5000).unwrap_err(),
        Error::InvalidRsdp { phys: 0x5000 }
    );
    // Root table missing, wrong signature, truncated by the mapping.
    let pointing = |addr| rsdp(2, 0, addr);
    let (p1, p2, p3) = (pointing(0x4000), pointing(0x1100), pointing(0x1200));
    let cut = xsdt(&[1, 2, 3]);
    let regions: Vec<(u64, &[u8])> = vec![
        (0x1000, &p1),
        (0x2000, &p2),
        (0x3000, &p3),
        (0x1100, &r),
        (0x1200, &cut[..40]),
    ];
    let mem = MemoryImage::new(&regions);
    assert!(matches!(
        Acpi::from_rsdp_addr(&mem, 0x1000),
        Err(Error::RootTable {
            error: TableError::Unmappable { .. },
            ..
        })
    ));
    assert!(matches!(
        Acpi::from_rsdp_addr(&mem, 0x2000),
        Err(Error::RootTable {
            error: TableError::WrongSignature { .. },
            ..
        })
    ));
    assert!(matches!(
        Acpi::from_rsdp_addr(&mem, 0x3000),
        Err(Error::RootTable {
            error: TableError::Unmappable { .. },
            ..
        })
    ));
    assert_eq!(Acpi::search_rsdp(&mem).unwrap_err(), Error::RsdpNotFound);
}

#[test]
fn xsdt_partial_entry_and_empty() {
    let mut body = 0x2000u64.to_le_bytes().to_vec();
    body.extend_from_slice(&[0x30, 0x00, 0x00]);
    let x = table(b"XSDT", 1, &body);
    let f = fadt(&FadtSpec::default());
    let r = rsdp(2, 0, 0x1100);
    let regions: Vec<(u64, &[u8])> = vec![(0x1000, &r), (0x1100, &x), (0x2000, &f)];
    let mem = MemoryImage::new(&regions);
    let acpi = Acpi::from_rsdp_addr(&mem, 0x1000).unwrap();
    assert_eq!(acpi.entry_addresses().count(), 1);
    let v = diags(&acpi);
    assert!(has(&v, |d| d.kind == DiagnosticKind::PartialEntry { extra: 3 }));
    // The DSDT the FADT names is absent: a diagnostic, and no S5.
    assert!(has(&v, |d| d.table == Signature::DSDT
        && matches!(d.kind, DiagnosticKind::Unusable { .. })));
    assert!(has(&v, |d| d.kind == DiagnosticKind::NoS5));
}

#[test]
fn fadt_fields_gated_on_length_not_revision() {
    // Revision 6 but ACPI 1.0 length: nothing past byte 116 exists.
    let spec = FadtSpec {
        len: 116,
        x_dsdt: 0x7777,
        ..FadtSpec::default()
    };
    let t = fadt(&spec);
    let f = osp_acpi::Fadt::new(osp_acpi::Sdt::new(&t, 0).unwrap()).unwrap();
    assert_eq!(f.x_dsdt(), None);
    assert_eq!(f.dsdt_address(), Some(0x9000));
    assert_eq!(f.reset_register(), None);
    assert_eq!(f.sleep_control(), None);
    assert_eq!(f.flags(), Some(1 << 10));
    assert_eq!(
        f.block(osp_acpi::Block::Pm1aControl).unwrap().address,
        0x404
    );
    let mut v = Vec::new();
    f.check(&mut |d| v.push(d));
    assert_eq!(
        v,
        [Diagnostic {
            table: Signature::FADT,
            kind: DiagnosticKind::RevisionLengthMismatch {
                revision: 6,
                length: 116
            }
        }]
    );
    // 129 bytes (ACPI 1.0b): the reset value is inside, the X_ fields are not.
    let t = fadt(&FadtSpec {
        len: 129,
        revision: 2,
        ..FadtSpec::default()
    });
    let f = osp_acpi::Fadt::new(osp_acpi::Sdt::new(&t, 0).unwrap()).unwrap();
    assert_eq!(f.reset_value(), Some(6));
    assert_eq!(f.x_firmware_ctrl(), None);
    // Full length: X_DSDT wins and the mismatch is diagnosed.
    let t = fadt(&FadtSpec {
        x_dsdt: 0x7777,
        ..FadtSpec::default()
    });
    let f = osp_acpi::Fadt::new(osp_acpi::Sdt::new(&t, 0).unwrap()).unwrap();
    assert_eq!(f.dsdt_address(), Some(0x7777));
    let mut v = Vec::new();
    f.check(&mut |d| v.push(d));
    assert!(v.contains(&Diagnostic {
        table: Signature::FADT,
        kind: DiagnosticKind::AddressMismatch {
            field: FadtField::Dsdt,
            legacy: 0x9000,
            extended: 0x7777
        }
    }));
}

#[test]
fn madt_zero_length_truncated_short_and_odd_entries() {
    let nmi_bad_lint: [u8; 6] = [4, 6, 0xff, 0x05, 0x00, 0x85];
    let reserved_iso: [u8; 10] = [2, 10, 1, 9, 9, 0, 0, 0, 0x0a, 0];
    let short_lapic: [u8; 4] = [0, 4, 1, 2];
    let unknown: [u8; 12] = [0x7f, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let zero: [u8; 2] = [1, 0];
    let check = |entries: &[&[u8]]| {
        let t = madt(entries);
        let m = osp_acpi::Madt::new(osp_acpi::Sdt::new(&t, 0).unwrap()).unwrap();
        let mut v = Vec::new();
        m.check(&mut |d| v.push(d.kind));
        (
            m.entries().collect::<Vec<_>>().len(),
            m.local_apics().count(),
            v,
        )
    };
    let (n, lapics, v) = check(&[
        &LAPIC0,
        &short_lapic,
        &nmi_bad_lint,
        &reserved_iso,
        &unknown,
        &zero,
        &LAPIC0,
    ]);
    assert_eq!((n, lapics), (5, 1), "walk stops at the zero-length entry");
    assert!(v.contains(&DiagnosticKind::ZeroLengthEntry {
        offset: 44 + 8 + 4 + 6 + 10 + 12
    }));
    assert!(v.contains(&DiagnosticKind::ShortEntry {
        offset: 52,
        entry_type: 0,
        length: 4
    }));
    assert!(v.contains(&DiagnosticKind::BadLint {
        processor_uid: 0xff,
        lint: 0x85
    }));
    assert!(v.contains(&DiagnosticKind::NonIsaOverride { bus: 1 }));
    assert!(v.contains(&DiagnosticKind::ReservedIntiFlags {
        entry_type: 2,
        flags: 0x0a
    }));
    // An entry running past the end, and a lone trailing byte.
    let over: [u8; 4] = [1, 12, 0, 0];
    let (n, _, v) = check(&[&LAPIC0, &over]);
    assert_eq!(n, 1);
    assert!(v.contains(&DiagnosticKind::TruncatedEntry {
        offset: 52,
        length: 12
    }));
    let (n, _, v) = check(&[&LAPIC0, &[9]]);
    assert_eq!(n, 1);
    assert!(v.contains(&DiagnosticKind::TruncatedEntry {
        offset: 52,
        length: 0
    }));
    // The garbage NMI is kept, not dropped.
    let t = madt(&[&nmi_bad_lint]);
    let m = osp_acpi::Madt::new(osp_acpi::Sdt::new(&t, 0).unwrap()).unwrap();
    assert_eq!(m.local_apic_nmis().next().unwrap().lint, 0x85);
    assert!(matches!(
        m.entries().next(),
        Some(MadtEntry::LocalApicNmi(_))
    ));
    // MADT shorter than its fixed part.
    let t = table(b"APIC", 1, &[0; 4]);
    assert!(osp_acpi::Madt::new(osp_acpi::Sdt::new(&t, 0).unwrap()).is_err());
}

/// Records every access; PM1a control reads back 0x0001 (SCI_EN set).
#[derive(Default)]
struct Recorder {
    log: Vec<(&'static str, u64, u64)>,
}

impl osp_hal::PortIo for Recorder {
    fn read8(&mut self, p: u16) -> u8 {
        self.log.push(("in8", p.into(), 0));
        0
    }
    fn read16(&mut self, p: u16) -> u16 {
        self.log.push(("in16", p.into(), 1));
        1
    }
    fn read32(&mut self, p: u16) -> u32 {
        self.log.push(("in32", p.into(), 0));
        0
    }
    fn write8(&mut self, p: u16, v: u8) {
        self.log.push(("out8", p.into(), v.into()));
    }
    fn write16(&mut self, p: u16, v: u16) {
        self.log.push(("out16", p.into(), v.into()));
    }
    fn write32(&mut self, p: u16, v: u32) {
        self.log.push(("out32", p.into(), v.into()));
    }
}

impl AcpiIo for Recorder {
    fn read_memory(&mut self, phys: u64, _: Width) -> u64 {
        self.log.push(("rdmem", phys, 0));
        0
    }
    fn write_memory(&mut self, phys: u64, w: Width, v: u64) {
        self.log
            .push((if w == Width::U8 { "wrmem8" } else { "wrmem" }, phys, v));
    }
}

fn machine(spec: &FadtSpec, s5: (u8, u8), f: impl FnOnce(&Acpi<'_, MemoryImage<'_>>)) {
    let t = fadt(spec);
    let d = dsdt_with_s5(s5.0, s5.1);
    let x = xsdt(&[0x2000]);
    let r = rsdp(2, 0, 0x1100);
    let regions: Vec<(u64, &[u8])> = vec![(0x1000, &r), (0x1100, &x), (0x2000, &t), (0x9000, &d)];
    let mem = MemoryImage::new(&regions);
    f(&Acpi::from_rsdp_addr(&mem, 0x1000).unwrap());
}

#[test]
fn power_off_through_pm1a_and_pm1b() {
    machine(
        &FadtSpec {
            pm1b_cnt: 0x504,
            ..FadtSpec::default()
        },
        (5, 3),
        |acpi| {
            let mut io = Recorder::default();
            acpi.power_off(&mut io).unwrap();
            let slp = |t: u64| 1 | (t << 10);
            assert_eq!(
                io.log,
                [
                    ("out16", 0x400, 0x8000),
                    ("in16", 0x404, 1),
                    ("out16", 0x404, slp(5)),
                    ("out16", 0x504, slp(3)),
                    ("out16", 0x404, slp(5) | 1 << 13),
                    ("out16", 0x504, slp(3) | 1 << 13),
                ]
            );
        },
    );
}

/// PM1a control whose SCI_EN (bit 0) comes on `after` polls once ACPI_ENABLE reaches SMI_CMD
/// (never, with `None`); records port writes.
struct Smm {
    after: Option<u32>,
    enabled: bool,
    polls_since: u32,
    writes: Vec<(u16, u8)>,
}

impl Smm {
    fn new(after: Option<u32>) -> Self {
        Self {
            after,
            enabled: false,
            polls_since: 0,
            writes: Vec::new(),
        }
    }
}

impl osp_hal::PortIo for Smm {
    fn read8(&mut self, _: u16) -> u8 {
        0
    }
    fn read16(&mut self, p: u16) -> u16 {
        assert_eq!(p, 0x404, "only PM1a control is read");
        if self.enabled {
            self.polls_since += 1;
        }
        u16::from(
            self.after
                .is_some_and(|n| self.enabled && self.polls_since > n),
        )
    }
    fn read32(&mut self, _: u16) -> u32 {
        0
    }
    fn write8(&mut self, p: u16, v: u8) {
        self.writes.push((p, v));
        self.enabled = true;
    }
    fn write16(&mut self, _: u16, _: u16) {}
    fn write32(&mut self, _: u16, _: u32) {}
}

impl AcpiIo for Smm {
    fn read_memory(&mut self, _: u64, _: Width) -> u64 {
        0
    }
    fn write_memory(&mut self, _: u64, _: Width, _: u64) {}
}

#[test]
fn acpi_mode_is_enabled_through_smi_cmd_with_a_bounded_wait() {
    use osp_acpi::{AcpiMode, PowerError};
    let spec = FadtSpec {
        acpi_enable: 0xa0,
        ..FadtSpec::default()
    };
    // Legacy mode: ACPI_ENABLE goes to SMI_CMD (0xb2), SCI_EN appears on the 4th poll.
    machine(&spec, (5, 0), |acpi| {
        let mut io = Smm::new(Some(3));
        assert_eq!(
            acpi.enable_acpi_mode(&mut io, 100),
            Ok(AcpiMode::Enabled { polls: 4 })
        );
        assert_eq!(io.writes, [(0xb2, 0xa0)]);
    });
    // SMM never answers: a typed timeout after exactly the bound, not a hang.
    machine(&spec, (5, 0), |acpi| {
        let mut io = Smm::new(None);
        assert_eq!(
            acpi.enable_acpi_mode(&mut io, 50),
            Err(PowerError::AcpiModeTimeout { polls: 50 })
        );
        assert_eq!(io.polls_since, 50);
    });
    // Already in ACPI mode (the Recorder reads SCI_EN set): nothing written.
    machine(&spec, (5, 0), |acpi| {
        let mut io = Recorder::default();
        assert_eq!(
            acpi.enable_acpi_mode(&mut io, 50),
            Ok(AcpiMode::AlreadyEnabled)
        );
        assert!(io.log.iter().all(|(op, _, _)| !op.starts_with("out")));
    });
    // No ACPI_ENABLE value: the platform is always in ACPI mode.
    machine(&FadtSpec::default(), (5, 0), |acpi| {
        let mut io = Smm::new(None);
        assert_eq!(acpi.enable_acpi_mode(&mut io, 50), Ok(AcpiMode::AlwaysAcpi));
        assert!(io.writes.is_empty());
    });
    // Hardware-reduced: no legacy mode at all.
    let hw = FadtSpec {
        flags: 1 << 20,
        acpi_enable: 0xa0,
        ..FadtSpec::default()
    };
    machine(&hw, (5, 0), |acpi| {
        let mut io = Smm::new(None);
        assert_eq!(
            acpi.enable_acpi_mode(&mut io, 50),
            Ok(AcpiMode::HardwareReduced)
        );
    });
}

#[test]
fn power_off_hw_reduced_uses_sleep_control() {
    let spec = FadtSpec {
        flags: 1 << 20,
        sleep_control: gas(0, 8, 0xfed8_0000),
        ..FadtSpec::default()
    };
    machine(&spec, (5, 0), |acpi| {
        let mut io = Recorder::default();
        acpi.power_off(&mut io).unwrap();
        assert_eq!(io.log, [("wrmem8", 0xfed8_0000, (5 << 2) | (1 << 5))]);
    });
}

#[test]
fn reset_register_io_memory_pci_and_unsupported() {
    for (reset, expect) in [
        (gas(1, 8, 0xcf9), vec![("out8", 0xcf9, 6)]),
        (gas(0, 8, 0xfee0_0000), vec![("wrmem8", 0xfee0_0000, 6)]),
        // PCI config: device 0x1f function 0 register 0xac.
        (
            gas(2, 8, (0x1f << 32) | 0xac),
            vec![("out32", 0xcf8, 0x8000_f8ac), ("out8", 0xcfc, 6)],
        ),
    ] {
        machine(
            &FadtSpec {
                reset,
                ..FadtSpec::default()
            },
            (5, 0),
            |acpi| {
                let mut io = Recorder::default();
                acpi.reset(&mut io).unwrap();
                assert_eq!(io.log, expect);
            },
        );
    }
    machine(
        &FadtSpec {
            flags: 0,
            ..FadtSpec::default()
        },
        (5, 0),
        |acpi| {
            assert_eq!(
                acpi.reset(&mut Recorder::default()),
                Err(PowerError::ResetUnsupported)
            );
        },
    );
    machine(
        &FadtSpec {
            reset: gas(9, 8, 1),
            ..FadtSpec::default()
        },
        (5, 0),
        |acpi| {
            assert!(matches!(
                acpi.reset(&mut Recorder::default()),
                Err(PowerError::UnsupportedRegister { .. })
            ));
        },
    );
}
