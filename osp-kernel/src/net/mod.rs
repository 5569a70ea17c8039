//! Networking: one NIC chosen at boot (an 82599 port through `osp-ixgbe` on hardware, a
//! virtio-net device in QEMU), smoltcp over it, an address from DHCP or `ip=`/`gw=`, and two
//! services: TCP echo on port 7 and HTTP on port 80 (`/` the machine inventory, `/metrics` the
//! counters). The stack is generic over the NIC, so both drivers run the same code.

mod ixgbe;
mod virtio;

// The hardware-independent parts live in the library, where they are tested on the host.
use osp_kernel::net::{http, nic, pages};

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use osp_hal::Clock;
use osp_kernel::cmdline::StaticIp;
use osp_pci::{ConfigAccess, Function};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::{dhcpv4, tcp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

use crate::kprintln;
use crate::tsc::TscClock;
use http::{Parse, Status};
use nic::{Mac, Nic};
use pages::{Counters, Snapshot};

/// TCP echo port (RFC 862).
const ECHO_PORT: u16 = 7;
/// HTTP port.
const HTTP_PORT: u16 = 80;
/// Echo connections served at once.
const ECHO_SLOTS: usize = 4;
/// HTTP connections served at once.
const HTTP_SLOTS: usize = 8;
/// Echo socket buffers, each way.
const ECHO_BUF: usize = 64 * 1024;
/// HTTP receive buffer (the request head is bounded by `http::MAX_HEAD` anyway).
const HTTP_RX_BUF: usize = 4 * 1024;
/// HTTP send buffer; responses are fed into it as it drains.
const HTTP_TX_BUF: usize = 32 * 1024;
/// How long an HTTP connection may take from accept to its last byte sent.
const HTTP_DEADLINE_NS: u64 = 10_000_000_000;
/// How long boot waits for a DHCP lease before serving anyway (DHCP goes on while serving).
const DHCP_WAIT_NS: u64 = 10_000_000_000;
/// TCP idle timeout: a peer that vanishes does not hold a slot for ever.
const TCP_TIMEOUT: Duration = Duration::from_secs(60);
/// Keep-alive probe interval on idle connections.
const TCP_KEEP_ALIVE: Duration = Duration::from_secs(30);

fn now_ns() -> u64 {
    TscClock.now().as_nanos()
}

fn smol_now() -> Instant {
    Instant::from_micros(i64::try_from(now_ns() / 1000).unwrap_or(i64::MAX))
}

/// A network that can serve.
pub struct Network(Box<dyn Serve>);

impl Network {
    /// Serves for `seconds` (for ever when `None`).
    pub fn serve(&mut self, seconds: Option<u64>) {
        self.0.serve(seconds)
    }
}

trait Serve {
    fn serve(&mut self, seconds: Option<u64>);
}

/// Finds a supported NIC among `functions`, brings it up, configures the address (DHCP with a
/// bounded wait, or `ip`) and opens the services; `None` when there is no usable NIC.
pub fn init(
    access: &mut dyn ConfigAccess,
    functions: &[Function],
    ip: Option<StaticIp>,
) -> Option<Network> {
    // An 82599 port first (hardware), then virtio-net (QEMU).
    for f in functions
        .iter()
        .filter(|f| osp_ixgbe::is_supported(f.vendor_id, f.device_id))
    {
        match ixgbe::IxgbeNic::probe(access, f) {
            Ok(nic) => return Some(Network(Box::new(Stack::new(nic, ip)))),
            Err(e) => kprintln!("net: {}: ixgbe: {e}", f.address.short()),
        }
    }
    for f in functions
        .iter()
        .filter(|f| f.vendor_id == virtio::VENDOR && virtio::DEVICE_IDS.contains(&f.device_id))
    {
        match virtio::VirtioNic::probe(access, f) {
            Ok(nic) => return Some(Network(Box::new(Stack::new(nic, ip)))),
            Err(e) => kprintln!("net: {}: virtio-net: {e}", f.address.short()),
        }
    }
    kprintln!("net: no supported NIC (82599 or virtio-net); no network");
    None
}

/// One HTTP connection slot.
struct HttpConn {
    handle: SocketHandle,
    request: Vec<u8>,
    response: Option<(Vec<u8>, usize)>,
    accepted_at: Option<u64>,
}

/// smoltcp over one NIC, with the services.
struct Stack<D: Nic> {
    nic: D,
    iface: Interface,
    sockets: SocketSet<'static>,
    dhcp: Option<SocketHandle>,
    echo: Vec<(SocketHandle, bool)>,
    http: Vec<HttpConn>,
    counters: Counters,
    address: Option<Ipv4Cidr>,
    gateway: Option<Ipv4Address>,
    source: &'static str,
}

fn tcp_socket(rx: usize, tx: usize) -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; rx]),
        tcp::SocketBuffer::new(vec![0; tx]),
    );
    s.set_timeout(Some(TCP_TIMEOUT));
    // Probes find peers that vanished, so that their slot is freed after `TCP_TIMEOUT`.
    s.set_keep_alive(Some(TCP_KEEP_ALIVE));
    s
}

impl<D: Nic> Stack<D> {
    fn new(mut nic: D, ip: Option<StaticIp>) -> Self {
        let mut mac = nic.mac();
        let link = nic.link();
        kprintln!("net: {} {} MAC {}", nic.pci(), nic.driver(), Mac(mac));
        if !EthernetAddress(mac).is_unicast() {
            // smoltcp refuses a group address; a locally administered one keeps the port usable.
            kprintln!("net: the NIC's MAC is not a unicast address; using 02:00:00:00:00:01");
            mac = [0x02, 0, 0, 0, 0, 1];
        }
        kprintln!("net: link {link}");
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = now_ns()
            ^ u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0x5a, 0xa5]);
        let iface = Interface::new(config, &mut nic, smol_now());
        let mut sockets = SocketSet::new(Vec::new());
        let echo = (0..ECHO_SLOTS)
            .map(|_| (sockets.add(tcp_socket(ECHO_BUF, ECHO_BUF)), false))
            .collect();
        let http = (0..HTTP_SLOTS)
            .map(|_| HttpConn {
                handle: sockets.add(tcp_socket(HTTP_RX_BUF, HTTP_TX_BUF)),
                request: Vec::new(),
                response: None,
                accepted_at: None,
            })
            .collect();
        let mut stack = Self {
            nic,
            iface,
            sockets,
            dhcp: None,
            echo,
            http,
            counters: Counters::default(),
            address: None,
            gateway: None,
            source: "static",
        };
        match ip {
            Some(ip) => stack.configure_static(ip),
            None => stack.start_dhcp(),
        }
        stack
    }

    fn configure_static(&mut self, ip: StaticIp) {
        let addr = Ipv4Address::from(ip.addr);
        if !usable(addr) {
            kprintln!(
                "net: ip={addr}/{} is not a unicast address; trying DHCP instead",
                ip.prefix
            );
            self.start_dhcp();
            return;
        }
        let cidr = Ipv4Cidr::new(addr, ip.prefix);
        self.set_address(cidr, ip.gateway.map(Ipv4Address::from));
        self.source = "static, ip=";
        kprintln!("net: address {cidr}{} (static)", GatewayText(self.gateway));
    }

    fn start_dhcp(&mut self) {
        self.source = "DHCP";
        self.dhcp = Some(self.sockets.add(dhcpv4::Socket::new()));
        kprintln!("net: DHCP: asking for an address");
        let deadline = now_ns().saturating_add(DHCP_WAIT_NS);
        while self.address.is_none() && now_ns() < deadline {
            self.poll();
        }
        if self.address.is_none() {
            kprintln!(
                "net: DHCP: no lease after {} s; serving without an address and still asking",
                DHCP_WAIT_NS / 1_000_000_000
            );
        }
    }

    fn set_address(&mut self, cidr: Ipv4Cidr, gateway: Option<Ipv4Address>) {
        self.iface.update_ip_addrs(|addrs| {
            addrs.clear();
            let _ = addrs.push(IpCidr::Ipv4(cidr));
        });
        self.iface.routes_mut().remove_default_ipv4_route();
        if let Some(g) = gateway {
            let _ = self.iface.routes_mut().add_default_ipv4_route(g);
        }
        self.address = Some(cidr);
        self.gateway = gateway;
    }

    fn clear_address(&mut self) {
        self.iface.update_ip_addrs(|addrs| addrs.clear());
        self.iface.routes_mut().remove_default_ipv4_route();
        self.address = None;
        self.gateway = None;
    }

    /// One round: the interface, then DHCP and every service socket.
    fn poll(&mut self) {
        let now = smol_now();
        self.iface.poll(now, &mut self.nic, &mut self.sockets);
        self.dhcp_events();
        self.echo_service();
        self.http_service();
        // Send what the services queued without waiting for the next round.
        self.iface
            .poll(smol_now(), &mut self.nic, &mut self.sockets);
    }

    fn dhcp_events(&mut self) {
        let Some(h) = self.dhcp else { return };
        let event = match self.sockets.get_mut::<dhcpv4::Socket>(h).poll() {
            None => return,
            Some(dhcpv4::Event::Configured(c)) => Some((c.address, c.router, c.server.address)),
            Some(dhcpv4::Event::Deconfigured) => None,
        };
        match event {
            Some((cidr, router, server)) => {
                let a = cidr.address();
                if !usable(a) {
                    kprintln!(
                        "net: DHCP: server {server} offered {cidr}, not a unicast address; ignored"
                    );
                    return;
                }
                self.set_address(cidr, router);
                self.counters.dhcp_leases += 1;
                kprintln!(
                    "net: address {cidr}{} (DHCP lease from {server}, {} ms after boot)",
                    GatewayText(router),
                    now_ns() / 1_000_000
                );
            }
            // The socket also says so when it starts.
            None if self.address.is_none() => {}
            None => {
                kprintln!("net: DHCP: lease lost; address removed");
                self.clear_address();
            }
        }
    }

    fn echo_service(&mut self) {
        let mut chunk = [0u8; 4096];
        for (h, connected) in &mut self.echo {
            let s = self.sockets.get_mut::<tcp::Socket>(*h);
            if !s.is_open() {
                if s.state() == tcp::State::TimeWait {
                    s.abort();
                }
                *connected = false;
                let _ = s.listen(ECHO_PORT);
                continue;
            }
            if s.is_active() && !*connected {
                *connected = true;
                self.counters.echo_connections += 1;
            }
            // Move what fits into the send buffer; the rest waits in the receive buffer, which
            // closes the peer's window: the echo never holds more than its two buffers.
            while s.can_recv() {
                let room = s.send_capacity() - s.send_queue();
                let n = room.min(chunk.len()).min(s.recv_queue());
                if n == 0 {
                    break;
                }
                let Ok(got) = s.recv_slice(&mut chunk[..n]) else {
                    break;
                };
                let sent = s.send_slice(&chunk[..got]).unwrap_or(0);
                self.counters.echo_bytes += sent as u64;
                if sent < got {
                    // Cannot happen (room was checked); the connection is no longer an echo.
                    s.abort();
                    break;
                }
            }
            if !s.may_recv() && s.send_queue() == 0 && s.may_send() {
                s.close();
            }
        }
    }

    fn http_service(&mut self) {
        let now = now_ns();
        for i in 0..self.http.len() {
            let h = self.http[i].handle;
            let s = self.sockets.get_mut::<tcp::Socket>(h);
            let conn = &mut self.http[i];
            if !s.is_open() {
                if s.state() == tcp::State::TimeWait {
                    s.abort();
                }
                conn.request.clear();
                conn.response = None;
                conn.accepted_at = None;
                let _ = s.listen(HTTP_PORT);
                continue;
            }
            // Listening, or the handshake is not complete yet.
            if !s.is_active() || s.state() == tcp::State::SynReceived {
                continue;
            }
            let accepted = *conn.accepted_at.get_or_insert_with(|| {
                self.counters.http_connections += 1;
                now
            });
            if now.saturating_sub(accepted) > HTTP_DEADLINE_NS {
                self.counters.http_timeouts += 1;
                s.abort();
                continue;
            }
            if conn.response.is_none() {
                while s.can_recv() && conn.request.len() < http::MAX_HEAD {
                    let room = http::MAX_HEAD - conn.request.len();
                    let _ = s.recv(|b| {
                        let n = b.len().min(room);
                        conn.request.extend_from_slice(&b[..n]);
                        (n, ())
                    });
                }
                let reply = match http::parse(&conn.request) {
                    Parse::Partial if s.may_recv() => None,
                    Parse::Partial => Some((Status::BadRequest, http::error(Status::BadRequest))),
                    Parse::Reject(st) => Some((st, http::error(st))),
                    Parse::Request(r) => Some(page(
                        r,
                        &mut self.nic,
                        &self.counters,
                        self.address,
                        self.gateway,
                        self.source,
                    )),
                };
                if let Some((st, bytes)) = reply {
                    self.counters.http_responses[st.index()] += 1;
                    conn.request = Vec::new();
                    conn.response = Some((bytes, 0));
                }
            } else {
                // Whatever else the client sends is read and ignored.
                while s.can_recv() {
                    if s.recv(|b| (b.len(), ())).is_err() {
                        break;
                    }
                }
            }
            if let Some((bytes, sent)) = &mut conn.response {
                if *sent < bytes.len() {
                    *sent += s.send_slice(&bytes[*sent..]).unwrap_or(0);
                }
                if *sent == bytes.len() && s.may_send() {
                    s.close();
                }
            }
        }
    }

    fn snapshot(&mut self) -> (Link, nic::NicStats) {
        (self.nic.link(), self.nic.stats())
    }
}

use nic::Link;

/// Builds the response for a parsed request.
fn page<D: Nic>(
    r: http::Request<'_>,
    nic: &mut D,
    counters: &Counters,
    address: Option<Ipv4Cidr>,
    gateway: Option<Ipv4Address>,
    source: &str,
) -> (Status, Vec<u8>) {
    let (link, stats) = (nic.link(), nic.stats());
    let snap = Snapshot {
        uptime_ns: now_ns(),
        driver: nic.driver(),
        pci: nic.pci(),
        mac: nic.mac(),
        link,
        stats,
        address,
        gateway,
        source,
        counters: *counters,
    };
    match r.path {
        "/" | "/index.html" => {
            let body = crate::serial::with_log(|log| pages::inventory(log, &snap));
            (
                Status::Ok,
                http::response(
                    Status::Ok,
                    "text/html; charset=utf-8",
                    body.as_bytes(),
                    r.head_only,
                ),
            )
        }
        "/metrics" => {
            let body = pages::metrics(&snap);
            (
                Status::Ok,
                http::response(
                    Status::Ok,
                    "text/plain; version=0.0.4; charset=utf-8",
                    body.as_bytes(),
                    r.head_only,
                ),
            )
        }
        _ => (Status::NotFound, http::error(Status::NotFound)),
    }
}

/// An address an interface may have (smoltcp refuses the others).
fn usable(a: Ipv4Address) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast())
}

struct GatewayText(Option<Ipv4Address>);

impl core::fmt::Display for GatewayText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(g) => write!(f, " gateway {g}"),
            None => Ok(()),
        }
    }
}

impl<D: Nic> Serve for Stack<D> {
    fn serve(&mut self, seconds: Option<u64>) {
        let start = now_ns();
        let until = seconds.map(|s| start.saturating_add(s.saturating_mul(1_000_000_000)));
        let addr = self.address.map_or(String::from("(no address yet)"), |a| {
            alloc::format!("{}", a.address())
        });
        match seconds {
            Some(s) => kprintln!(
                "net: serving http://{addr}:{HTTP_PORT}/ and tcp echo on port {ECHO_PORT} for {s} s ({} ms after boot)",
                start / 1_000_000
            ),
            None => kprintln!(
                "net: serving http://{addr}:{HTTP_PORT}/ and tcp echo on port {ECHO_PORT} ({} ms after boot)",
                start / 1_000_000
            ),
        }
        while until.is_none_or(|u| now_ns() < u) {
            self.poll();
            core::hint::spin_loop();
        }
        let (_, st) = self.snapshot();
        let c = self.counters;
        kprintln!(
            "net: served {} s: {} HTTP requests, {} echo connections, {} echo bytes; \
             rx {} packets {} bytes, tx {} packets {} bytes, {} rx dropped, {} tx dropped",
            (now_ns() - start) / 1_000_000_000,
            c.http_responses.iter().sum::<u64>(),
            c.echo_connections,
            c.echo_bytes,
            st.rx_packets,
            st.rx_bytes,
            st.tx_packets,
            st.tx_bytes,
            st.rx_dropped,
            st.tx_dropped
        );
    }
}
