//! Shared by the ixgbe examples and the `ixgbe` bench: forwarding and TCP set-ups on the 82599
//! model. (Not an example itself: Cargo only builds `examples/*.rs` and `examples/*/main.rs`.)

#![allow(dead_code)]

use std::time::{Duration, Instant as StdInstant};

use osp_hal::sim::{SimClock, SimMemory};
use osp_ixgbe::sim::harness::{SimDevice, bring_up, frame};
use osp_ixgbe::sim::{ModelConfig, SimNic, Wire};
use osp_ixgbe::{Config, IxgbePhy, Mempool, PacketBuf, RxQueue, TxQueue};
use smoltcp::iface::{Config as IfConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

/// Time-stamp counter: the cycle count the ixy papers report (on x86-64; elsewhere nanoseconds).
#[inline(always)]
pub fn cycles() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` has no preconditions; it only reads the time-stamp counter.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::time::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.as_nanos() as u64)
    }
}

/// Two model ports, each fed by a packet source and drained by a sink, as ixy-fwd is benchmarked
/// (MoonGen on both ports).
pub struct FwdRig {
    pub mem: SimMemory,
    pub clock: SimClock,
    pub nics: [SimNic; 2],
}

pub type Q<'p, 'm> = (
    RxQueue<'p, SimNic, &'m SimMemory>,
    TxQueue<'p, SimNic, &'m SimMemory>,
);

impl FwdRig {
    pub fn new() -> Self {
        let mem = SimMemory::new();
        let clock = SimClock::new();
        let nics = [1, 2].map(|n| SimNic::new(&mem, &clock, ModelConfig::new(n)));
        Self { mem, clock, nics }
    }

    pub fn devices(&self, ring: u16) -> [SimDevice<'_>; 2] {
        let cfg = Config {
            rx_ring_size: ring,
            tx_ring_size: ring,
            ..Config::default()
        };
        self.nics.clone().map(|nic| {
            let dev = bring_up(&self.mem, &self.clock, &nic, cfg).expect("bring-up");
            // 60-byte frames addressed to the port, as a generator would send them.
            nic.set_source(Some(&frame(&dev.mac(), 60)));
            nic.set_sink(true);
            dev
        })
    }
}

/// Driver-side and model-side cost of forwarding.
#[derive(Debug, Default, Clone, Copy)]
pub struct FwdCount {
    pub packets: u64,
    pub driver_cycles: u64,
    pub model_cycles: u64,
}

/// One forwarding round in both directions, ixy-fwd style: receive a batch, touch one byte of
/// each packet, send the same buffers out of the other port, free what did not fit.
#[inline(never)]
pub fn forward_round<'p>(qs: &mut [Q<'p, '_>; 2], bufs: &mut [Option<PacketBuf<'p>>]) -> u64 {
    let mut n_total = 0;
    for (from, to) in [(0, 1), (1, 0)] {
        let n = qs[from].0.rx_batch(bufs);
        for p in bufs[..n].iter_mut().flatten() {
            p[1] = p[1].wrapping_add(1);
        }
        let (a, b) = qs.split_at_mut(1);
        let tx = if to == 1 { &mut b[0].1 } else { &mut a[0].1 };
        tx.tx_batch(&mut bufs[..n]);
        for slot in &mut bufs[..n] {
            *slot = None;
        }
        n_total += n as u64;
    }
    n_total
}

/// Forwards until `packets` have gone through, timing driver and model separately.
pub fn forward(rig: &FwdRig, qs: &mut [Q<'_, '_>; 2], batch: usize, packets: u64) -> FwdCount {
    let mut bufs: Vec<Option<PacketBuf<'_>>> = (0..batch).map(|_| None).collect();
    let mut c = FwdCount::default();
    while c.packets < packets {
        let t0 = cycles();
        rig.nics[0].step();
        rig.nics[1].step();
        let t1 = cycles();
        c.packets += forward_round(qs, &mut bufs);
        let t2 = cycles();
        c.model_cycles += t1 - t0;
        c.driver_cycles += t2 - t1;
    }
    c
}

/// Start both ports' queues with one pool each (ixy: a mempool per RX queue).
pub fn start<'p, 'm>(
    devs: &mut [SimDevice<'m>; 2],
    pools: &'p [Mempool<&'m SimMemory>; 2],
) -> [Q<'p, 'm>; 2] {
    let [d0, d1] = devs;
    [
        (
            d0.start_rx_queue(0, &pools[0]).unwrap(),
            d0.start_tx_queue(0).unwrap(),
        ),
        (
            d1.start_rx_queue(0, &pools[1]).unwrap(),
            d1.start_tx_queue(0).unwrap(),
        ),
    ]
}

// --- TCP ----------------------------------------------------------------------------------

const PERIOD: usize = 65_521;

/// Outcome of a TCP transfer.
#[derive(Debug, Clone, Copy)]
pub struct TcpRun {
    pub bytes: usize,
    pub intact: bool,
    pub elapsed: Duration,
}

impl TcpRun {
    pub fn mbit_per_s(&self) -> f64 {
        self.bytes as f64 * 8.0 / self.elapsed.as_secs_f64() / 1e6
    }
}

struct Stream {
    table: Vec<u8>,
    sent: usize,
    got: usize,
    intact: bool,
}

impl Stream {
    fn new() -> Self {
        let table = (0..2 * PERIOD)
            .map(|i| {
                ((i % PERIOD) as u32)
                    .wrapping_mul(2_654_435_761)
                    .rotate_right(13) as u8
            })
            .collect();
        Self {
            table,
            sent: 0,
            got: 0,
            intact: true,
        }
    }
    fn send(&mut self, s: &mut tcp::Socket<'_>, total: usize) {
        while s.can_send() && self.sent < total {
            let off = self.sent % PERIOD;
            let n = (total - self.sent).min(PERIOD);
            match s.send_slice(&self.table[off..off + n]) {
                Ok(0) | Err(_) => break,
                Ok(k) => self.sent += k,
            }
        }
    }
    fn recv(&mut self, s: &mut tcp::Socket<'_>) {
        while s.can_recv() {
            let (base, table) = (self.got, &self.table);
            let mut ok = true;
            let n = s
                .recv(|d| {
                    let d = &d[..d.len().min(PERIOD)];
                    let off = base % PERIOD;
                    ok = d == &table[off..off + d.len()];
                    (d.len(), d.len())
                })
                .unwrap_or(0);
            self.intact &= ok;
            self.got += n;
            if n == 0 {
                break;
            }
        }
    }
}

fn socket() -> tcp::Socket<'static> {
    tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; 1 << 20]),
        tcp::SocketBuffer::new(vec![0; 1 << 20]),
    )
}

fn iface<D: smoltcp::phy::Device>(dev: &mut D, hw: HardwareAddress, ip: IpAddress) -> Interface {
    let mut i = Interface::new(IfConfig::new(hw), dev, Instant::from_millis(0));
    i.update_ip_addrs(|a| a.push(IpCidr::new(ip, 8)).unwrap());
    i
}

fn connect(
    client: &mut SocketSet<'_>,
    hc: SocketHandle,
    server: &mut SocketSet<'_>,
    hs: SocketHandle,
    iface: &mut Interface,
    to: IpAddress,
) {
    server.get_mut::<tcp::Socket<'_>>(hs).listen(5000).unwrap();
    client
        .get_mut::<tcp::Socket<'_>>(hc)
        .connect(iface.context(), (to, 5000), 49152)
        .unwrap();
}

/// `total` bytes from one smoltcp interface to another over two model NICs and a wire.
pub fn tcp_over_model(total: usize) -> TcpRun {
    let mem = SimMemory::new();
    let clock = SimClock::new();
    let na = SimNic::new(&mem, &clock, ModelConfig::new(1));
    let nb = SimNic::new(&mem, &clock, ModelConfig::new(2));
    let wire = Wire::new(&na, &nb);
    let cfg = Config {
        rx_ring_size: 512,
        tx_ring_size: 512,
        ..Config::default()
    };
    let pa = Mempool::new(&mem, 2048, 2048).unwrap();
    let pb = Mempool::new(&mem, 2048, 2048).unwrap();
    let mut a = IxgbePhy::start(bring_up(&mem, &clock, &na, cfg).unwrap(), &pa).unwrap();
    let mut b = IxgbePhy::start(bring_up(&mem, &clock, &nb, cfg).unwrap(), &pb).unwrap();
    let (ipa, ipb) = (IpAddress::v4(10, 0, 0, 1), IpAddress::v4(10, 0, 0, 2));
    let (ma, mb) = (EthernetAddress(a.mac()), EthernetAddress(b.mac()));
    let mut ia = iface(&mut a, ma.into(), ipa);
    let mut ib = iface(&mut b, mb.into(), ipb);
    let (mut sa, mut sb) = (SocketSet::new(vec![]), SocketSet::new(vec![]));
    let (ha, hb) = (sa.add(socket()), sb.add(socket()));
    connect(&mut sa, ha, &mut sb, hb, &mut ia, ipb);
    let mut st = Stream::new();
    let mut now = Instant::from_millis(0);
    let start = StdInstant::now();
    while st.got < total {
        now += smoltcp::time::Duration::from_micros(20);
        ia.poll(now, &mut a, &mut sa);
        st.send(sa.get_mut(ha), total);
        ia.poll(now, &mut a, &mut sa);
        wire.step();
        ib.poll(now, &mut b, &mut sb);
        st.recv(sb.get_mut(hb));
        ib.poll(now, &mut b, &mut sb);
        wire.step();
    }
    TcpRun {
        bytes: st.got,
        intact: st.intact,
        elapsed: start.elapsed(),
    }
}

/// smoltcp's `Loopback` with its MTU lowered, so TCP uses the same segment size as over the NICs.
pub struct MtuLimit<D>(pub D, pub usize);

impl<D: smoltcp::phy::Device> smoltcp::phy::Device for MtuLimit<D> {
    type RxToken<'a>
        = D::RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = D::TxToken<'a>
    where
        Self: 'a;
    fn receive(&mut self, t: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.0.receive(t)
    }
    fn transmit(&mut self, t: Instant) -> Option<Self::TxToken<'_>> {
        self.0.transmit(t)
    }
    fn capabilities(&self) -> smoltcp::phy::DeviceCapabilities {
        let mut c = self.0.capabilities();
        c.max_transmission_unit = self.1;
        c
    }
}

/// The same transfer over smoltcp's own `Loopback` device (both sockets on one interface), with
/// its own MTU (65535) or limited to `mtu`.
pub fn tcp_over_loopback(total: usize, mtu: Option<usize>) -> TcpRun {
    let lo = Loopback::new(Medium::Ethernet);
    let mtu = mtu.unwrap_or_else(|| smoltcp::phy::Device::capabilities(&lo).max_transmission_unit);
    let mut dev = MtuLimit(lo, mtu);
    let ip = IpAddress::v4(127, 0, 0, 1);
    let mut i = iface(&mut dev, EthernetAddress([2, 0, 0, 0, 0, 1]).into(), ip);
    let mut set = SocketSet::new(vec![]);
    let (hc, hs) = (set.add(socket()), set.add(socket()));
    set.get_mut::<tcp::Socket<'_>>(hs).listen(5000).unwrap();
    set.get_mut::<tcp::Socket<'_>>(hc)
        .connect(i.context(), (ip, 5000), 49152)
        .unwrap();
    let mut st = Stream::new();
    let mut now = Instant::from_millis(0);
    let start = StdInstant::now();
    while st.got < total {
        now += smoltcp::time::Duration::from_micros(20);
        i.poll(now, &mut dev, &mut set);
        st.send(set.get_mut(hc), total);
        i.poll(now, &mut dev, &mut set);
        st.recv(set.get_mut(hs));
    }
    TcpRun {
        bytes: st.got,
        intact: st.intact,
        elapsed: start.elapsed(),
    }
}
