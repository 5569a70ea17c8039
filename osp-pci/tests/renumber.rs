//! Bus numbering of unprogrammed bridges, against a model that routes configuration cycles the
//! way bridges do: a bus number reaches the devices behind a bridge only through the secondary
//! and subordinate numbers software programmed.

use std::collections::BTreeMap;

use osp_pci::{Address, BusId, ConfigAccess, Function, Width, assign_bus_numbers, enumerate};

#[derive(Clone)]
struct Dev {
    config: Vec<u8>,
    /// The bus segment behind this bridge.
    child: Option<usize>,
}

/// Buses as a tree of physical segments; node 0 is bus 0.
#[derive(Clone, Default)]
struct Routed {
    nodes: Vec<BTreeMap<(u8, u8), Dev>>,
}

impl Routed {
    fn new() -> Self {
        Self {
            nodes: vec![BTreeMap::new()],
        }
    }

    fn device(&mut self, node: usize, dev: u8, func: u8, vendor: u16, header: u8, class: u32) {
        let mut config = vec![0u8; 256];
        config[..2].copy_from_slice(&vendor.to_le_bytes());
        config[2..4].copy_from_slice(&0x1234u16.to_le_bytes());
        config[8..12].copy_from_slice(&(class << 8).to_le_bytes());
        config[0x0e] = header;
        self.nodes[node].insert(
            (dev, func),
            Dev {
                config,
                child: None,
            },
        );
    }

    /// A bridge on `node` with a new empty segment behind it; returns that segment.
    fn bridge(&mut self, node: usize, dev: u8) -> usize {
        self.device(node, dev, 0, 0x8086, 1, 0x06_04_00);
        self.nodes.push(BTreeMap::new());
        let child = self.nodes.len() - 1;
        self.nodes[node].get_mut(&(dev, 0)).unwrap().child = Some(child);
        child
    }

    /// Which segment `bus` reaches, following programmed bridge windows (bounded by the
    /// number of segments).
    fn route(&self, bus: u8) -> Option<usize> {
        let mut node = 0;
        for _ in 0..=self.nodes.len() {
            if bus == 0 && node == 0 {
                return Some(0);
            }
            let next = self.nodes[node].values().find_map(|d| {
                let child = d.child?;
                let (sec, sub) = (d.config[0x19], d.config[0x1a]);
                (sec != 0 && sec <= bus && bus <= sub).then_some((child, sec))
            });
            match next {
                Some((child, sec)) if sec == bus => return Some(child),
                Some((child, _)) => node = child,
                None => return None,
            }
        }
        None
    }

    fn dev(&mut self, a: Address) -> Option<&mut Dev> {
        let node = self.route(a.bus())?;
        self.nodes[node].get_mut(&(a.device(), a.function()))
    }
}

impl ConfigAccess for Routed {
    fn space_len(&self, _: Address) -> u16 {
        256
    }
    fn read_raw(&mut self, a: Address, offset: u16, width: Width) -> u32 {
        let Some(d) = self.dev(a) else {
            return width.mask();
        };
        let o = usize::from(offset);
        let mut v = 0u32;
        for i in 0..usize::from(width.bytes()) {
            v |= u32::from(d.config[o + i]) << (8 * i);
        }
        v
    }
    fn write_raw(&mut self, a: Address, offset: u16, width: Width, value: u32) {
        if let Some(d) = self.dev(a) {
            for i in 0..usize::from(width.bytes()) {
                let at = usize::from(offset) + i;
                if !matches!(at, 0..=3 | 8..=11 | 0x0e) {
                    d.config[at] = (value >> (8 * i)) as u8;
                }
            }
        }
    }
}

fn bus_numbers(m: &mut Routed) -> Vec<(Address, (u8, u8, u8))> {
    enumerate(m)
        .filter_map(|f: Function| {
            f.bus_numbers
                .map(|b| (f.address, (b.primary, b.secondary, b.subordinate)))
        })
        .collect()
}

fn machine() -> Routed {
    let mut m = Routed::new();
    m.device(0, 0, 0, 0x8086, 0, 0x06_00_00);
    let a = m.bridge(0, 1);
    let c = m.bridge(a, 0);
    m.device(c, 0, 0, 0x10ec, 0, 0x02_00_00);
    m.device(a, 3, 0, 0x1b4b, 0x80, 0x01_06_01);
    m.device(a, 3, 1, 0x1b4b, 0x80, 0x01_01_85);
    let b = m.bridge(0, 2);
    m.device(b, 0, 0, 0x1af4, 0, 0x01_00_00);
    m
}

#[test]
fn unprogrammed_bridges_get_depth_first_numbers() {
    let mut m = machine();
    assert_eq!(
        enumerate(&mut m).count(),
        3,
        "before numbering only bus 0 is reachable"
    );
    let last = assign_bus_numbers(&mut m, BusId::new(0, 0)).unwrap();
    assert_eq!(last, 3);
    let a = |bus, dev| Address::new(0, bus, dev, 0);
    assert_eq!(
        bus_numbers(&mut m),
        [
            (a(0, 1), (0, 1, 2)),
            (a(1, 0), (1, 2, 2)),
            (a(0, 2), (0, 3, 3))
        ]
    );
    let all: Vec<Address> = enumerate(&mut m).map(|f| f.address).collect();
    assert_eq!(
        all,
        [
            a(0, 0),
            a(0, 1),
            a(1, 0),
            a(2, 0),
            a(1, 3),
            Address::new(0, 1, 3, 1),
            a(0, 2),
            a(3, 0)
        ]
    );
}

#[test]
fn wrong_numbers_are_replaced() {
    let mut m = machine();
    // Firmware numbered the bridges with overlapping ranges.
    for (node, dev) in [(0usize, 1u8), (0, 2)] {
        let d = m.nodes[node].get_mut(&(dev, 0)).unwrap();
        d.config[0x18..0x1b].copy_from_slice(&[0, 1, 9]);
    }
    assign_bus_numbers(&mut m, BusId::new(0, 0)).unwrap();
    let a = |bus, dev| Address::new(0, bus, dev, 0);
    assert_eq!(
        bus_numbers(&mut m),
        [
            (a(0, 1), (0, 1, 2)),
            (a(1, 0), (1, 2, 2)),
            (a(0, 2), (0, 3, 3))
        ]
    );
}

#[test]
fn running_out_of_bus_numbers_closes_the_remaining_bridges() {
    // A chain of 300 bridges: only 255 buses exist behind bus 0.
    let mut m = Routed::new();
    let mut node = 0;
    for _ in 0..300 {
        node = m.bridge(node, 0);
    }
    assert_eq!(assign_bus_numbers(&mut m, BusId::new(0, 0)).unwrap(), 255);
    let n = enumerate(&mut m).count();
    assert_eq!(n, 256, "bus 0 to 255 each hold one bridge");
}
