//! The walk, BAR sizing, capabilities and MSI/MSI-X against a simulated live configuration
//! space, through the simulator directly and through `PortCam` and `Ecam`.

use std::ptr::NonNull;

use osp_hal::{PortIo, RegisterIo};
use osp_pci::sim::{SimConfig, Violation};
use osp_pci::{
    Address, BarKind, BusId, Command, ConfigAccess, ConfigError, Counting, Ecam, Enumerator,
    Function, PortCam, cap, enumerate,
};

fn a(bus: u8, dev: u8, func: u8) -> Address {
    Address::new(0, bus, dev, func)
}

fn addrs(fs: &[Function]) -> Vec<Address> {
    fs.iter().map(|f| f.address).collect()
}

#[test]
fn walks_bridges_depth_first_and_lists_each_function_once() {
    let mut m = SimConfig::new(4096);
    m.endpoint(a(0, 0, 0), 0x8086, 0x29c0, 0x06_00_00);
    m.bridge(a(0, 1, 0), 2, 3);
    m.bridge(a(2, 0, 0), 3, 3);
    m.endpoint(a(3, 0, 0), 0x10ec, 0x8168, 0x02_00_00);
    m.endpoint(a(0, 2, 0), 0x1234, 0x1111, 0x03_00_00);
    let found: Vec<Function> = enumerate(&mut m).collect();
    assert_eq!(
        addrs(&found),
        [a(0, 0, 0), a(0, 1, 0), a(2, 0, 0), a(3, 0, 0), a(0, 2, 0)]
    );
    let nic = &found[3];
    assert_eq!(
        (nic.vendor_id, nic.device_id, nic.class.value()),
        (0x10ec, 0x8168, 0x02_00_00)
    );
    assert_eq!(
        found[1]
            .bus_numbers
            .map(|b| (b.primary, b.secondary, b.subordinate)),
        Some((0, 2, 3))
    );
}

#[test]
fn never_probes_buses_no_bridge_leads_to() {
    let mut m = SimConfig::new(256);
    m.endpoint(a(0, 0, 0), 0x8086, 0x1237, 0x06_00_00);
    m.endpoint(a(7, 0, 0), 0x8086, 0x100e, 0x02_00_00); // unreachable: no bridge to bus 7
    let mut c = Counting::new(&mut m);
    let found: Vec<Function> = enumerate(&mut c).collect();
    assert_eq!(addrs(&found), [a(0, 0, 0)]);
    // Bus 0 only: 32 vendor probes plus the function's header reads.
    assert!(c.reads() < 40, "{} reads", c.reads());
    let roots = [BusId::new(0, 0), BusId::new(0, 7)];
    let found: Vec<Function> = Enumerator::new(&mut m, &roots).collect();
    assert_eq!(
        addrs(&found),
        [a(0, 0, 0), a(7, 0, 0)],
        "further host bridges are roots"
    );
}

#[test]
fn self_referencing_bridges_and_bus_loops_end_the_walk() {
    let mut m = SimConfig::new(4096);
    m.bridge(a(0, 0, 0), 0, 0); // secondary 0: unprogrammed / itself
    m.bridge(a(0, 1, 0), 1, 1);
    m.bridge(a(1, 0, 0), 1, 1); // points at its own bus
    m.bridge(a(1, 1, 0), 2, 2);
    m.bridge(a(2, 0, 0), 1, 2); // loops back to bus 1
    m.bridge(a(2, 1, 0), 0, 0); // loops back to the root
    m.endpoint(a(2, 2, 0), 0x1af4, 0x1000, 0x02_00_00);
    let mut c = Counting::new(&mut m);
    let found: Vec<Function> = enumerate(&mut c).collect();
    let mut got = addrs(&found);
    got.sort();
    assert_eq!(
        got,
        [
            a(0, 0, 0),
            a(0, 1, 0),
            a(1, 0, 0),
            a(1, 1, 0),
            a(2, 0, 0),
            a(2, 1, 0),
            a(2, 2, 0)
        ]
    );
    assert!(
        c.reads() < 3 * 32 + 7 * 8,
        "each bus walked once: {} reads",
        c.reads()
    );
}

#[test]
fn all_ones_and_multifunction_rules() {
    let mut m = SimConfig::new(256);
    m.endpoint(a(0, 0, 0), 0x8086, 0x1237, 0x06_00_00);
    // Single-function device 1: its function 3 must not be probed.
    m.endpoint(a(0, 1, 0), 0x8086, 0x7000, 0x06_01_00);
    m.endpoint(a(0, 1, 3), 0xdead, 0xbeef, 0x01_01_80);
    // Multi-function device 2 with a hole at function 1.
    m.endpoint(a(0, 2, 0), 0x8086, 0x2918, 0x06_01_00)
        .multifunction();
    m.endpoint(a(0, 2, 2), 0x8086, 0x2922, 0x01_06_01);
    // Device 3 has only function 1 (function 0 absent): not a device on live hardware.
    m.endpoint(a(0, 3, 1), 0x8086, 0x2930, 0x0c_05_00);
    let found: Vec<Function> = enumerate(&mut m).collect();
    assert_eq!(
        addrs(&found),
        [a(0, 0, 0), a(0, 1, 0), a(0, 2, 0), a(0, 2, 2)]
    );
    assert!(found[2].multifunction && !found[1].multifunction);
    // Surprise removal: the function reads all-ones and disappears from the next walk.
    m.remove(a(0, 2, 2));
    let found: Vec<Function> = enumerate(&mut m).collect();
    assert_eq!(addrs(&found), [a(0, 0, 0), a(0, 1, 0), a(0, 2, 0)]);
    assert!(Function::read(&mut m, a(0, 2, 2)).is_none());
}

#[test]
fn cardbus_bridges_are_followed() {
    let mut m = SimConfig::new(256);
    m.cardbus(a(0, 4, 0), 5, 5).set32(0x40, 0x5678_1234);
    m.endpoint(a(5, 0, 0), 0x168c, 0x0013, 0x02_80_00);
    let found: Vec<Function> = enumerate(&mut m).collect();
    assert_eq!(addrs(&found), [a(0, 4, 0), a(5, 0, 0)]);
    assert_eq!(found[0].subsystem, Some((0x1234, 0x5678)));
    assert_eq!(found[0].bars(&mut m).count(), 0);
}

#[test]
fn worst_case_machine_is_bounded() {
    // Every bus full of multi-function bridges, each pointing at the next bus: the walk reaches
    // every bus once and stops.
    let mut m = SimConfig::new(256);
    for bus in 0..=255u8 {
        for dev in 0..32 {
            m.bridge(a(bus, dev, 0), bus.wrapping_add(1), 255)
                .multifunction();
        }
    }
    let mut c = Counting::new(&mut m);
    let n = enumerate(&mut c).count();
    assert_eq!(n, 256 * 32);
    assert!(c.reads() <= 256 * 32 * 8 * 8, "{} reads", c.reads());
}

#[test]
fn bar_sizing_turns_decode_off_and_restores_everything() {
    let mut m = SimConfig::new(4096);
    let f = m
        .endpoint(a(0, 3, 0), 0x8086, 0x10d3, 0x02_00_00)
        .bar(0, BarKind::Mem32, 0xfebc_0000, 0x2_0000, false)
        .bar(1, BarKind::Mem64, 0x3_8000_0000, 0x100_0000, true)
        .bar(3, BarKind::Io, 0xc000, 0x20, false)
        .bar(4, BarKind::Mem32, 0, 0x10_0000, false) // left unassigned by firmware
        .set16(
            0x04,
            Command::IO_SPACE | Command::MEMORY_SPACE | Command::BUS_MASTER,
        )
        .set16(0x06, 0x0010);
    let before = f.bytes().to_vec();
    let func = Function::read(&mut m, a(0, 3, 0)).unwrap();
    let as_programmed: Vec<_> = func
        .bars(&mut m)
        .map(|b| (b.index, b.kind, b.address))
        .collect();
    assert_eq!(
        as_programmed,
        [
            (0, BarKind::Mem32, 0xfebc_0000),
            (1, BarKind::Mem64, 0x3_8000_0000),
            (3, BarKind::Io, 0xc000)
        ]
    );
    let sized = func.size_bars(&mut m).unwrap();
    let got: Vec<_> = sized
        .iter()
        .map(|b| (b.index, b.kind, b.address, b.prefetchable, b.size))
        .collect();
    assert_eq!(
        got,
        [
            (0, BarKind::Mem32, 0xfebc_0000, false, Some(0x2_0000)),
            (1, BarKind::Mem64, 0x3_8000_0000, true, Some(0x100_0000)),
            (3, BarKind::Io, 0xc000, false, Some(0x20)),
            (4, BarKind::Mem32, 0, false, Some(0x10_0000)),
        ]
    );
    assert_eq!(m.violations(), &[] as &[Violation]);
    assert_eq!(
        m.function(a(0, 3, 0)).unwrap().bytes(),
        &before[..],
        "every register restored"
    );
}

#[test]
fn the_model_catches_a_probe_while_decoding() {
    // Guards the test above: the model does notice a careless probe.
    let mut m = SimConfig::new(256);
    m.endpoint(a(0, 3, 0), 0x8086, 0x10d3, 0x02_00_00)
        .bar(0, BarKind::Mem32, 0xfebc_0000, 0x2_0000, false)
        .set16(0x04, Command::MEMORY_SPACE);
    m.write32(a(0, 3, 0), 0x10, u32::MAX).unwrap();
    assert_eq!(
        m.violations(),
        &[Violation::BarWrittenWhileDecoding {
            addr: a(0, 3, 0),
            index: 0
        }]
    );
}

#[test]
fn command_helpers_touch_only_their_bits_and_never_status() {
    let mut m = SimConfig::new(256);
    m.endpoint(a(0, 5, 0), 0x8086, 0x2922, 0x01_06_01)
        .set16(0x04, 0x0400)
        .set16(0x06, 0x0210);
    let f = Function::read(&mut m, a(0, 5, 0)).unwrap();
    f.set_memory_decode(&mut m, true).unwrap();
    f.set_bus_master(&mut m, true).unwrap();
    f.set_intx_disable(&mut m, false).unwrap();
    assert_eq!(
        f.command(&mut m).0,
        Command::MEMORY_SPACE | Command::BUS_MASTER
    );
    assert_eq!(
        f.status(&mut m).0,
        0x0210,
        "write-1-to-clear status untouched"
    );
}

/// (offset, id) of the standard and the extended capabilities.
type CapLists = (Vec<(u8, u8)>, Vec<(u16, u16)>);

fn caps_of(m: &mut SimConfig, addr: Address) -> CapLists {
    let f = Function::read(m, addr).unwrap();
    let std = f.capabilities(m).map(|c| (c.offset, c.id)).collect();
    let ext = f
        .extended_capabilities(m)
        .map(|c| (c.offset, c.id))
        .collect();
    (std, ext)
}

#[test]
fn capability_loops_and_bad_pointers_end_the_list() {
    let mut m = SimConfig::new(4096);
    let f = m.endpoint(a(0, 6, 0), 0x8086, 0x1234, 0x02_00_00);
    f.capability(0x40, cap::id::POWER_MANAGEMENT, &[0x03, 0x00]);
    f.capability(0x50, cap::id::PCI_EXPRESS, &[0x02, 0x00]);
    f.capability(0x60, cap::id::NULL, &[]);
    f.set8(0x61, 0x42); // next = 0x42: low bits are reserved, so 0x40 — a loop
    f.set32(0x100, 0x1401_0001); // AER v1, next 0x140
    f.set32(0x140, 0x1001_0003); // serial number, next 0x100: loop
    let (std, ext) = caps_of(&mut m, a(0, 6, 0));
    assert_eq!(std, [(0x40, 0x01), (0x50, 0x10), (0x60, 0x00)]);
    assert_eq!(ext, [(0x100, 0x0001), (0x140, 0x0003)]);

    // A pointer into nothing (all-ones) and an extended header of all-ones.
    let f = m.function_mut(a(0, 6, 0)).unwrap();
    f.set8(0x61, 0xfc)
        .set32(0xfc, 0xffff_ffff)
        .set32(0x140, 0xffff_ffff);
    let (std, ext) = caps_of(&mut m, a(0, 6, 0));
    assert_eq!(std, [(0x40, 0x01), (0x50, 0x10), (0x60, 0x00)]);
    assert_eq!(ext, [(0x100, 0x0001)]);

    // Status bit 4 clear: no list at all, whatever the pointer says.
    m.function_mut(a(0, 6, 0)).unwrap().set16(0x06, 0);
    assert_eq!(caps_of(&mut m, a(0, 6, 0)), (vec![], vec![]));
}

#[test]
fn extended_capabilities_need_express_and_a_4k_space() {
    let mut m = SimConfig::new(256);
    let f = m.endpoint(a(0, 6, 0), 0x8086, 0x1234, 0x02_00_00);
    f.capability(0x50, cap::id::PCI_EXPRESS, &[0x02, 0x00]);
    f.set32(0x100, 0x0001_0001);
    assert_eq!(
        caps_of(&mut m, a(0, 6, 0)).1,
        vec![],
        "port I/O reaches 256 bytes only"
    );
    assert_eq!(
        m.read32(a(0, 6, 0), 0x100),
        Err(ConfigError::OutOfRange {
            offset: 0x100,
            len: 256
        })
    );

    let mut m = SimConfig::new(4096);
    let f = m.endpoint(a(0, 6, 0), 0x8086, 0x1234, 0x02_00_00);
    f.capability(0x50, cap::id::MSI, &[0, 0]);
    f.set32(0x100, 0x0001_0001);
    assert_eq!(
        caps_of(&mut m, a(0, 6, 0)).1,
        vec![],
        "conventional PCI function"
    );

    let f = m.function_mut(a(0, 6, 0)).unwrap();
    f.capability(0x60, cap::id::PCI_EXPRESS, &[0x02, 0x00]);
    let id = f.get32(0);
    f.set32(0x100, id);
    assert_eq!(
        caps_of(&mut m, a(0, 6, 0)).1,
        vec![],
        "header mirrored at 0x100"
    );
}

#[test]
fn msi_programming() {
    let mut m = SimConfig::new(256);
    // 64-bit, per-vector masking, 8 vectors capable.
    m.endpoint(a(0, 0x1f, 2), 0x8086, 0x2922, 0x01_06_01)
        .capability(0x80, cap::id::MSI, &[0x86, 0x01]);
    let f = Function::read(&mut m, a(0, 0x1f, 2)).unwrap();
    let mut msi = f.msi(&mut m).unwrap();
    assert!(msi.is_64bit() && msi.per_vector_masking());
    assert_eq!(msi.max_vectors(), 8);
    msi.set_message(&mut m, 0x1_fee0_0000, 0x4041).unwrap();
    assert_eq!(
        msi.set_vectors(&mut m, 16),
        Err(osp_pci::Error::TooManyVectors {
            requested: 16,
            max: 8
        })
    );
    msi.set_vectors(&mut m, 4).unwrap();
    msi.set_mask(&mut m, 0b1010).unwrap();
    msi.set_enabled(&mut m, true).unwrap();
    let sim = m.function(a(0, 0x1f, 2)).unwrap();
    assert_eq!(sim.get32(0x84), 0xfee0_0000);
    assert_eq!(sim.get32(0x88), 0x1);
    assert_eq!(sim.get32(0x8c) & 0xffff, 0x4041);
    assert_eq!(sim.get32(0x90), 0b1010);
    assert_eq!(sim.get32(0x80) >> 16, 0x0186 | 2 << 4 | 1);
    assert!(f.msi(&mut m).unwrap().is_enabled());

    // A 32-bit-only function refuses a 64-bit address.
    m.endpoint(a(0, 2, 0), 0x8086, 0x100e, 0x02_00_00)
        .capability(0xd0, cap::id::MSI, &[0x00, 0x00]);
    let f = Function::read(&mut m, a(0, 2, 0)).unwrap();
    let msi = f.msi(&mut m).unwrap();
    assert_eq!(
        msi.set_message(&mut m, 0x1_0000_0000, 0),
        Err(osp_pci::Error::AddressTooWide {
            address: 0x1_0000_0000
        })
    );
    assert_eq!(msi.set_mask(&mut m, 1), Err(osp_pci::Error::NotSupported));
}

/// A BAR's register window in memory, for the MSI-X table.
struct Window(Vec<u32>);

impl RegisterIo for Window {
    fn read32(&mut self, offset: usize) -> u32 {
        self.0.get(offset / 4).copied().unwrap_or(u32::MAX)
    }
    fn write32(&mut self, offset: usize, value: u32) {
        if let Some(r) = self.0.get_mut(offset / 4) {
            *r = value;
        }
    }
}

#[test]
fn msix_table_programming() {
    let mut m = SimConfig::new(4096);
    // 16 entries, table in BAR 3 at 0x2000, PBA in BAR 3 at 0x3000.
    m.endpoint(a(1, 0, 0), 0x8086, 0x10fb, 0x02_00_00)
        .capability(
            0x70,
            cap::id::MSI_X,
            &[0x0f, 0x00, 0x03, 0x20, 0x00, 0x00, 0x03, 0x30, 0x00, 0x00],
        );
    let f = Function::read(&mut m, a(1, 0, 0)).unwrap();
    let mut msix = f.msix(&mut m).unwrap();
    assert_eq!(msix.table_size(), 16);
    assert_eq!((msix.table().bir, msix.table().offset), (3, 0x2000));
    assert_eq!((msix.pba().bir, msix.pba().offset), (3, 0x3000));
    msix.set_function_mask(&mut m, true).unwrap();
    msix.set_enabled(&mut m, true).unwrap();
    let mut table = msix.table_in(Window(vec![0x1; 0x4000 / 4]));
    table.set_vector(5, 0xfee0_1000, 0x31).unwrap();
    assert_eq!(table.vector(5).unwrap(), (0xfee0_1000, 0x31));
    assert!(!table.is_masked(5).unwrap());
    table.set_masked(5, true).unwrap();
    assert!(table.is_masked(5).unwrap());
    assert_eq!(
        table.set_vector(16, 0, 0),
        Err(osp_pci::Error::VectorOutOfRange {
            index: 16,
            size: 16
        })
    );
    msix.set_function_mask(&mut m, false).unwrap();
    let again = f.msix(&mut m).unwrap();
    assert!(again.is_enabled() && !again.is_function_masked());
}

#[test]
fn express_and_power_management() {
    let mut m = SimConfig::new(4096);
    let f = m.bridge(a(0, 0x1c, 0), 2, 2);
    // Express v2 root port with slot; link cap 8 GT/s x4; link status 5 GT/s x1.
    f.capability(0x40, cap::id::PCI_EXPRESS, &[0x42, 0x01]);
    f.set32(0x4c, 0x0000_0043).set16(0x52, 0x0012);
    f.capability(0xa0, cap::id::POWER_MANAGEMENT, &[0x03, 0x06, 0x03, 0x00]);
    let func = Function::read(&mut m, a(0, 0x1c, 0)).unwrap();
    let e = func.express(&mut m).unwrap();
    assert_eq!(
        (e.version(), e.port_type(), e.slot_implemented()),
        (2, cap::PortType::RootPort, true)
    );
    assert_eq!(e.max_link(&mut m), Some((cap::LinkSpeed::Gt8, 4)));
    assert_eq!(e.link(&mut m), Some((cap::LinkSpeed::Gt5, 1)));
    let pm = func.power_management(&mut m).unwrap();
    assert_eq!(pm.version(), 3);
    assert!(pm.supports_d1() && pm.supports_d2());
    assert_eq!(pm.power_state(&mut m), cap::PowerState::D3Hot);
    pm.set_power_state(&mut m, cap::PowerState::D0).unwrap();
    assert_eq!(pm.power_state(&mut m), cap::PowerState::D0);
}

/// Port I/O that decodes CONFIG_ADDRESS/CONFIG_DATA onto a simulated configuration space.
struct Cf8Ports {
    config: SimConfig,
    address: u32,
}

impl Cf8Ports {
    fn target(&self, port: u16) -> Option<(Address, u16)> {
        let v = self.address;
        if v & 1 << 31 == 0 || !(0xcfc..0xd00).contains(&port) {
            return None;
        }
        let addr = Address::new(0, (v >> 16) as u8, (v >> 11) as u8 & 31, (v >> 8) as u8 & 7);
        Some((addr, (v & 0xfc) as u16 + (port - 0xcfc)))
    }
}

impl PortIo for Cf8Ports {
    fn read8(&mut self, port: u16) -> u8 {
        self.target(port)
            .map_or(0xff, |(a, o)| self.config.read8(a, o).unwrap_or(0xff))
    }
    fn read16(&mut self, port: u16) -> u16 {
        self.target(port)
            .map_or(0xffff, |(a, o)| self.config.read16(a, o).unwrap_or(0xffff))
    }
    fn read32(&mut self, port: u16) -> u32 {
        if port == 0xcf8 {
            return self.address;
        }
        self.target(port).map_or(u32::MAX, |(a, o)| {
            self.config.read32(a, o).unwrap_or(u32::MAX)
        })
    }
    fn write8(&mut self, port: u16, value: u8) {
        if let Some((a, o)) = self.target(port) {
            let _ = self.config.write8(a, o, value);
        }
    }
    fn write16(&mut self, port: u16, value: u16) {
        if let Some((a, o)) = self.target(port) {
            let _ = self.config.write16(a, o, value);
        }
    }
    fn write32(&mut self, port: u16, value: u32) {
        match (port, self.target(port)) {
            (0xcf8, _) => self.address = value,
            (_, Some((a, o))) => {
                let _ = self.config.write32(a, o, value);
            }
            _ => {}
        }
    }
}

fn sample_machine(space: u16) -> SimConfig {
    let mut m = SimConfig::new(space);
    m.endpoint(a(0, 0, 0), 0x8086, 0x29c0, 0x06_00_00);
    m.endpoint(a(0, 0x1f, 0), 0x8086, 0x2918, 0x06_01_00)
        .multifunction();
    m.endpoint(a(0, 0x1f, 2), 0x8086, 0x2922, 0x01_06_01)
        .bar(5, BarKind::Mem32, 0xfebf_1000, 0x1000, false)
        .set16(0x04, 0x0007)
        .set16(0x3c, 0x010b);
    m.bridge(a(0, 0x1c, 0), 1, 1);
    m.endpoint(a(1, 0, 0), 0x1af4, 0x1041, 0x02_00_00)
        .set32(0x2c, 0x1100_1af4);
    m
}

#[test]
fn port_io_mechanism_agrees_with_the_model() {
    let expected: Vec<Function> = enumerate(sample_machine(256)).collect();
    let mut cam = PortCam::new(Cf8Ports {
        config: sample_machine(256),
        address: 0,
    });
    let found: Vec<Function> = enumerate(&mut cam).collect();
    assert_eq!(found, expected);
    let sata = found.iter().find(|f| f.address == a(0, 0x1f, 2)).unwrap();
    assert_eq!(
        sata.lspci_line().to_string(),
        "00:1f.2 SATA controller [0106]: Device [8086:2922]"
    );
    assert_eq!((sata.interrupt_pin, sata.interrupt_line), (1, 0x0b));
    assert_eq!(
        found
            .iter()
            .find(|f| f.address == a(1, 0, 0))
            .unwrap()
            .subsystem,
        Some((0x1af4, 0x1100))
    );
    let sized = sata.size_bars(&mut cam).unwrap();
    assert_eq!(
        sized.get(5).map(|b| (b.address, b.size)),
        Some((0xfebf_1000, Some(0x1000)))
    );
    assert_eq!(
        cam.read32(a(0, 0, 0), 0x100),
        Err(ConfigError::OutOfRange {
            offset: 0x100,
            len: 256
        })
    );
    assert_eq!(
        cam.read16(a(0, 0, 0), 0x3),
        Err(ConfigError::Unaligned {
            offset: 3,
            width: osp_pci::Width::Word
        })
    );
    let other = Address::new(1, 0, 0, 0);
    assert_eq!(cam.read32(other, 0), Err(ConfigError::Unreachable(other)));
    let ports = cam.into_inner();
    assert_eq!(ports.config.violations(), &[] as &[Violation]);
}

#[test]
fn ecam_mechanism_reads_its_window_only() {
    // Buses 0 and 1 of segment 0 in ordinary memory, filled from the model.
    let model = sample_machine(4096);
    let mut window = vec![0xffff_ffffu32; (2 << 20) / 4];
    for (addr, f) in model.functions() {
        let base = (usize::from(addr.bus()) << 20
            | usize::from(addr.device()) << 15
            | usize::from(addr.function()) << 12)
            / 4;
        for (i, chunk) in f.bytes().chunks(4).enumerate() {
            window[base + i] = u32::from_le_bytes(chunk.try_into().unwrap());
        }
    }
    // SAFETY: `window` covers buses 0..=1 (2 MiB, 4-byte aligned) and outlives `ecam`.
    let mut ecam = unsafe { Ecam::new(NonNull::from(window.as_mut_slice()).cast(), 0, 0, 1) };
    let roots = [BusId::new(ecam.segment(), ecam.start_bus())];
    let found: Vec<Function> = Enumerator::new(&mut ecam, &roots).collect();
    assert_eq!(found, enumerate(sample_machine(4096)).collect::<Vec<_>>());
    assert_eq!(ecam.read32(a(1, 0, 0), 0xffc), Ok(0));
    assert_eq!(
        ecam.read32(a(2, 0, 0), 0),
        Err(ConfigError::Unreachable(a(2, 0, 0)))
    );
    assert_eq!(
        ecam.read32(a(1, 0, 0), 0x1000),
        Err(ConfigError::OutOfRange {
            offset: 0x1000,
            len: 4096
        })
    );
    ecam.write16(a(0, 0x1f, 2), 0x04, 0x0006).unwrap();
    assert_eq!(ecam.read8(a(0, 0x1f, 2), 0x04), Ok(0x06));
    assert_eq!(
        ecam.read8(a(0, 0x1f, 2), 0x06),
        Ok(0x00),
        "the 16-bit write left Status alone"
    );
}

#[test]
fn visitor_may_use_the_access_and_stop() {
    let mut m = sample_machine(256);
    let found = osp_pci::visit(&mut m, osp_pci::DEFAULT_ROOTS, |access, f| {
        if f.class.base == 0x01 {
            f.set_bus_master(access, false).unwrap();
            return std::ops::ControlFlow::Break(f.address);
        }
        std::ops::ControlFlow::Continue(())
    });
    assert_eq!(found, Some(a(0, 0x1f, 2)));
    assert_eq!(
        m.function(a(0, 0x1f, 2)).unwrap().get32(0x04) & 0xffff,
        0x0003
    );
}
