//! A TCP transfer between two smoltcp interfaces on two model NICs connected by a wire.

use osp_hal::sim::{SimClock, SimMemory};
use osp_ixgbe::sim::harness::bring_up;
use osp_ixgbe::sim::{Fault, ModelConfig, SimNic, Wire};
use osp_ixgbe::{Config, IxgbePhy, Mempool};
use smoltcp::iface::{Config as IfConfig, Interface, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr};

/// The byte stream: a pseudo-random table repeated with a prime period, so a dropped,
/// duplicated or reordered segment shows up as a mismatch.
const PERIOD: usize = 65_521;

fn table() -> Vec<u8> {
    (0..2 * PERIOD)
        .map(|i| {
            ((i % PERIOD) as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_right(13) as u8
        })
        .collect()
}

/// Sends `total` bytes from A to B; returns (bytes received intact, B's NIC counters).
fn transfer(total: usize, lose_every: u32) -> (usize, osp_ixgbe::Stats, u64) {
    let mem = SimMemory::new();
    let clock = SimClock::new();
    let na = SimNic::new(&mem, &clock, ModelConfig::new(1));
    let nb = SimNic::new(&mem, &clock, ModelConfig::new(2));
    let wire = Wire::new(&na, &nb);
    if lose_every > 0 {
        nb.inject_fault(Fault::LoseEveryNth(lose_every));
    }
    let cfg = Config {
        rx_ring_size: 512,
        tx_ring_size: 512,
        ..Config::default()
    };
    let pa = Mempool::new(&mem, 2048, 2048).unwrap();
    let pb = Mempool::new(&mem, 2048, 2048).unwrap();
    let mut a = IxgbePhy::start(bring_up(&mem, &clock, &na, cfg).unwrap(), &pa).unwrap();
    let mut b = IxgbePhy::start(bring_up(&mem, &clock, &nb, cfg).unwrap(), &pb).unwrap();
    assert!(a.link().unwrap().up);

    let mut now = Instant::from_millis(0);
    let iface = |phy: &mut IxgbePhy<'_, _, _, _>, ip: [u8; 4], now| {
        let mac = EthernetAddress(phy.mac());
        let mut i = Interface::new(IfConfig::new(mac.into()), phy, now);
        i.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::v4(ip[0], ip[1], ip[2], ip[3]), 24))
                .unwrap();
        });
        i
    };
    let mut ia = iface(&mut a, [10, 0, 0, 1], now);
    let mut ib = iface(&mut b, [10, 0, 0, 2], now);
    let sock = || {
        tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; 1 << 20]),
            tcp::SocketBuffer::new(vec![0; 1 << 20]),
        )
    };
    let mut sa = SocketSet::new(vec![]);
    let mut sb = SocketSet::new(vec![]);
    let ha = sa.add(sock());
    let hb = sb.add(sock());
    sb.get_mut::<tcp::Socket<'_>>(hb).listen(5000).unwrap();
    sa.get_mut::<tcp::Socket<'_>>(ha)
        .connect(ia.context(), (IpAddress::v4(10, 0, 0, 2), 5000), 49152)
        .unwrap();

    let (mut sent, mut got, mut bad) = (0usize, 0usize, 0usize);
    let table = table();
    let mut rounds = 0u64;
    while got < total {
        rounds += 1;
        assert!(rounds < 50_000_000, "transfer stalled at {got} of {total}");
        now += smoltcp::time::Duration::from_micros(20);
        ia.poll(now, &mut a, &mut sa);
        {
            let s = sa.get_mut::<tcp::Socket<'_>>(ha);
            if s.can_send() && sent < total {
                let n = (total - sent).min(PERIOD);
                let off = sent % PERIOD;
                sent += s.send_slice(&table[off..off + n]).unwrap();
            }
        }
        ia.poll(now, &mut a, &mut sa);
        wire.step();
        ib.poll(now, &mut b, &mut sb);
        {
            let s = sb.get_mut::<tcp::Socket<'_>>(hb);
            while s.can_recv() {
                let base = got;
                let n = s
                    .recv(|d| {
                        let d = &d[..d.len().min(PERIOD)];
                        let off = base % PERIOD;
                        if d != &table[off..off + d.len()] {
                            bad += 1;
                        }
                        (d.len(), d.len())
                    })
                    .unwrap();
                got += n;
                if n == 0 {
                    break;
                }
            }
        }
        ib.poll(now, &mut b, &mut sb);
        wire.step();
    }
    assert_eq!(bad, 0, "corrupted chunks");
    let lost = nb.stats().lost;
    (got, b.stats().unwrap(), lost)
}

#[test]
fn sixty_four_mib_arrive_intact() {
    let total = 64 << 20;
    let (got, stats, _) = transfer(total, 0);
    assert_eq!(got, total);
    // The NIC counted at least one frame per MSS.
    assert!(stats.rx_packets as usize >= total / 1460);
    assert!(stats.rx_bytes as usize > total);
    assert_eq!(stats.rx_missed, 0);
}

#[test]
fn a_lossy_wire_still_delivers_intact() {
    let total = 2 << 20;
    let (got, _, lost) = transfer(total, 97);
    assert_eq!(got, total);
    assert!(lost > 0, "frames were really lost");
}
