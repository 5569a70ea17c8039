//! QEMU tests of the kernel's network services. The kernel runs over QEMU's `virtio-net-pci`
//! on a user-mode network whose ports 80 and 7 are forwarded to free ports on 127.0.0.1 (never
//! beyond loopback); once the kernel says it serves, the host reads `/` and `/metrics`, sends
//! requests a server must survive, and round-trips 1 MiB through the echo service, byte for
//! byte, measuring the throughput.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::Result;
use crate::qemu::{Boot, End, HostCtx, Outcome, Qemu};
use crate::scenarios::{Artifacts, Scenario, expect, expect_boot, expect_power_off};

/// The line the kernel prints when its services are up.
const SERVING: &str = "net: serving http://";
/// How long the kernel serves in the tests that end by power-off. Boot takes about a second
/// under TCG and the host's exchange a few more; the rest is margin.
const SERVE_SECONDS: u32 = 15;
/// Bytes sent through the echo service.
const ECHO_BYTES: usize = 1 << 20;
/// Bound on every host-side socket operation.
const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// The virtio-net device's MAC address on QEMU's user network (QEMU's default).
const QEMU_MAC: &str = "52:54:00:12:34:56";

/// The forwarded host ports (HTTP, echo) of the scenario that is running: the host action is a
/// plain function, and scenarios run one after another.
static PORTS: Mutex<(u16, u16)> = Mutex::new((0, 0));

/// The network service tests.
pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "network services over virtio-net: DHCP, HTTP /, /metrics, 1 MiB echo",
            run: |a| {
                boot(
                    a,
                    &format!("osp.after=poweroff osp.serve.seconds={SERVE_SECONDS}"),
                    exercise,
                    None,
                )
            },
            check: |o| {
                let mut v = check_served(o);
                v.extend(expect(
                    o,
                    &[
                        "net: DHCP: asking for an address",
                        "net: address 10.0.2.15/24 gateway 10.0.2.2 (DHCP lease from 10.0.2.2",
                    ],
                ));
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "network services with a static address (ip=, gw=)",
            run: |a| {
                boot(
                    a,
                    &format!(
                        "osp.after=poweroff osp.serve.seconds={SERVE_SECONDS} ip=10.0.2.15/24 gw=10.0.2.2"
                    ),
                    exercise,
                    None,
                )
            },
            check: |o| {
                let mut v = check_served(o);
                v.extend(expect(
                    o,
                    &["net: address 10.0.2.15/24 gateway 10.0.2.2 (static)"],
                ));
                if o.serial.contains("DHCP") {
                    v.push("the kernel used DHCP although ip= was given".into());
                }
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "osp.after=serve keeps serving",
            run: |a| {
                boot(
                    a,
                    "osp.after=serve",
                    metrics_only,
                    Some(Duration::from_secs(3)),
                )
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(o, &[SERVING, "net: link up"]));
                v.extend(host_result(o));
                if o.end != End::StoppedAfterReady {
                    v.push(format!(
                        "QEMU should still run while the kernel serves, but: {}",
                        o.end
                    ));
                }
                if o.serial.contains("osp: power off") || o.serial.contains("osp: halted") {
                    v.push("the kernel stopped serving".into());
                }
                v
            },
        },
    ]
}

/// Boots the kernel with a forwarded virtio-net user network and runs `action` once it serves.
fn boot(
    a: &Artifacts,
    append: &str,
    action: fn(&HostCtx) -> Result<String>,
    stop: Option<Duration>,
) -> Result<Outcome> {
    // Both listeners live until both ports are known, so the two differ.
    let l1 = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    let l2 = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string());
    let (http, echo) = (port(&l1)?, port(&l2)?);
    drop((l1, l2));
    *PORTS.lock().map_err(|_| "port table poisoned")? = (http, echo);
    let netdev =
        format!("user,id=n0,hostfwd=tcp:127.0.0.1:{http}-:80,hostfwd=tcp:127.0.0.1:{echo}-:7");
    let mut q = Qemu::new(Boot::Kernel {
        kernel: a.kernel.clone(),
        append: Some(append.to_string()),
    })
    .args([
        "-netdev",
        netdev.as_str(),
        "-device",
        "virtio-net-pci,netdev=n0",
    ])
    .on_line(SERVING, action)
    .timeout_secs(120);
    if let Some(d) = stop {
        q = q.stop_after_ready(d);
    }
    q.run()
}

/// What every serving run prints and how the host exchange went.
fn check_served(o: &Outcome) -> Vec<String> {
    let mut v = expect_boot(o);
    v.extend(expect(
        o,
        &[
            &format!("net: 00:01.0 virtio-net MAC {QEMU_MAC}"),
            "net: link up",
            SERVING,
            "net: served ",
        ],
    ));
    v.extend(host_result(o));
    v
}

fn host_result(o: &Outcome) -> Vec<String> {
    match &o.host {
        None => vec!["the host never saw the kernel serve".into()],
        Some(Err(e)) => vec![format!("host side: {e}")],
        Some(Ok(_)) => Vec::new(),
    }
}

fn ports() -> Result<(SocketAddr, SocketAddr)> {
    let (h, e) = *PORTS.lock().map_err(|_| "port table poisoned")?;
    Ok((
        SocketAddr::from(([127, 0, 0, 1], h)),
        SocketAddr::from(([127, 0, 0, 1], e)),
    ))
}

fn connect(addr: SocketAddr) -> Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

/// A response: status code, header block, body.
struct Response {
    status: u16,
    head: String,
    body: String,
}

/// Sends `request` as it is and reads the response to the connection's end; the body must be
/// as long as `Content-Length` says.
fn exchange(addr: SocketAddr, request: &[u8]) -> Result<Response> {
    let r = exchange_head(addr, request)?;
    let length: Option<usize> = r
        .head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok());
    if length != Some(r.body.len()) {
        return Err(format!(
            "Content-Length {length:?} but a {}-byte body",
            r.body.len()
        ));
    }
    Ok(r)
}

/// Sends `request` as it is and reads the response to the connection's end.
fn exchange_head(addr: SocketAddr, request: &[u8]) -> Result<Response> {
    let mut s = connect(addr)?;
    s.write_all(request)
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("reading the response: {e}"))?;
    let text = String::from_utf8(raw).map_err(|_| "the response is not UTF-8")?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("no end of the response head")?;
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line in {:?}", head.lines().next()))?;
    Ok(Response {
        status,
        head: head.to_string(),
        body: body.to_string(),
    })
}

fn get(addr: SocketAddr, path: &str) -> Result<Response> {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: osp\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn want(r: &Response, what: &str, status: u16, needles: &[&str]) -> Result {
    if r.status != status {
        return Err(format!("{what}: status {} (wanted {status})", r.status));
    }
    for n in needles {
        if !r.body.contains(n) && !r.head.contains(n) {
            return Err(format!("{what}: the response lacks {n:?}"));
        }
    }
    Ok(())
}

/// The value of the sample `name{labels}` (or `name`) in a Prometheus text page, checking
/// that every sample line of the page is `name[{labels}] number`.
fn sample(page: &str, name: &str) -> Result<f64> {
    let mut found = None;
    for line in page
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, value) = line
            .rsplit_once(' ')
            .ok_or_else(|| format!("metrics: bad line {line:?}"))?;
        let value: f64 = value
            .parse()
            .map_err(|_| format!("metrics: bad value in {line:?}"))?;
        let metric = key.split('{').next().unwrap_or(key);
        if metric.is_empty()
            || !metric
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("metrics: bad name in {line:?}"));
        }
        if key == name || (metric == name && found.is_none()) {
            found = Some(value);
        }
    }
    found.ok_or_else(|| format!("metrics: no sample {name}"))
}

/// Deterministic, incompressible-looking bytes (xorshift64).
fn pattern(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Sends `data` through the echo service and reads it back; returns the time it took.
fn echo(addr: SocketAddr, data: &[u8]) -> Result<Duration> {
    let s = connect(addr)?;
    let mut w = s.try_clone().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let sent = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result {
            w.write_all(data)
                .map_err(|e| format!("echo: writing: {e}"))?;
            w.shutdown(Shutdown::Write)
                .map_err(|e| format!("echo: half-close: {e}"))
        });
        let mut back = Vec::with_capacity(data.len());
        let read = (&s)
            .read_to_end(&mut back)
            .map_err(|e| format!("echo: reading after {} bytes: {e}", back.len()));
        let written = writer
            .join()
            .map_err(|_| "echo: the writer panicked".to_string())?;
        written?;
        read?;
        Ok::<_, String>(back)
    })?;
    let took = start.elapsed();
    if sent.len() != data.len() {
        return Err(format!(
            "echo: {} bytes came back of {}",
            sent.len(),
            data.len()
        ));
    }
    if let Some(i) = sent.iter().zip(data).position(|(a, b)| a != b) {
        return Err(format!("echo: byte {i} differs"));
    }
    Ok(took)
}

/// The full exchange: pages, hostile requests, echo, counters.
fn exercise(ctx: &HostCtx) -> Result<String> {
    let (http, echo_addr) = ports()?;
    let mut report = String::new();
    // QEMU's user network hands out 10.0.2.15 (and the static runs ask for it).
    let serving = ctx
        .serial
        .lines()
        .find(|l| l.contains(SERVING))
        .ok_or("no serving line")?;
    if !serving.contains("http://10.0.2.15:80/") {
        return Err(format!(
            "the kernel serves, but not on 10.0.2.15: {serving:?}"
        ));
    }
    // `(N ms after boot)`: the kernel's own boot-to-serving time.
    if let Some(ms) = serving
        .rsplit_once('(')
        .and_then(|(_, t)| t.split(' ').next())
    {
        println!("    net: serving {ms} ms after kernel entry");
    }

    let index = get(http, "/")?;
    want(
        &index,
        "GET /",
        200,
        &[
            "Content-Type: text/html",
            "<h1>OSp machine inventory</h1>",
            "<h2>CPU</h2>",
            "QEMU Virtual CPU",
            "<h2>Memory</h2>",
            "<h2>ACPI</h2>",
            "MADT",
            "<h2>PCI</h2>",
            "Ethernet controller [0200]: Device [1af4:1000]",
            "SATA controller [0106]",
            "<h2>Disks (AHCI)</h2>",
            "<h2>NICs</h2>",
            "virtio-net",
            QEMU_MAC,
            "10.0.2.15/24",
        ],
    )?;
    report.push_str(&format!("GET / -> 200, {} bytes\n", index.body.len()));

    let head = exchange_head(http, b"HEAD /metrics HTTP/1.0\r\n\r\n")?;
    want(&head, "HEAD /metrics", 200, &["Content-Length: "])?;
    if !head.body.is_empty() {
        return Err("HEAD /metrics: the response has a body".into());
    }
    want(&get(http, "/no/such/page")?, "GET /no/such/page", 404, &[])?;
    want(
        &exchange(http, b"DELETE / HTTP/1.1\r\n\r\n")?,
        "DELETE /",
        405,
        &["Allow: GET, HEAD"],
    )?;
    want(
        &exchange(http, b"\x00\xff\xfe garbage \x01\r\n\r\n")?,
        "binary garbage",
        400,
        &[],
    )?;
    want(
        &exchange(http, b"GET / HTTP/9.9\r\n\r\n")?,
        "HTTP/9.9",
        505,
        &[],
    )?;
    let mut huge = b"GET / HTTP/1.1\r\n".to_vec();
    while huge.len() < 64 * 1024 {
        huge.extend_from_slice(
            b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    match exchange(http, &huge) {
        Ok(r) => want(&r, "64 KiB of headers", 431, &[])?,
        // The server answers and closes while the rest is still on its way: a reset may cut
        // the answer off. What matters is that the server lives, which the next requests show.
        Err(e) => report.push_str(&format!("64 KiB of headers: {e}\n")),
    }
    let mut cut = connect(http)?;
    cut.write_all(b"GET / HT").map_err(|e| e.to_string())?;
    drop(cut);
    report.push_str("hostile requests answered 404/405/400/505/431\n");

    let data = pattern(ECHO_BYTES, 0x0517_2026_dead_beef);
    let took = echo(echo_addr, &data)?;
    let mib_s = ECHO_BYTES as f64 / (1 << 20) as f64 / took.as_secs_f64();
    let line = format!(
        "echo: 1 MiB round trip byte for byte in {:.3} s ({mib_s:.2} MiB/s each way)",
        took.as_secs_f64()
    );
    println!("    {line}");
    report.push_str(&line);
    report.push('\n');
    // A second connection after the first: the slot goes back to listening.
    echo(echo_addr, &pattern(1000, 7))?;

    let metrics = get(http, "/metrics")?;
    want(
        &metrics,
        "GET /metrics",
        200,
        &[
            "Content-Type: text/plain; version=0.0.4",
            "# TYPE osp_nic_rx_packets_total counter",
        ],
    )?;
    let nic = format!("{{nic=\"00:01.0\",driver=\"virtio-net\",mac=\"{QEMU_MAC}\"}}");
    let echoed = sample(&metrics.body, "osp_echo_bytes_total")?;
    if echoed < (ECHO_BYTES + 1000) as f64 {
        return Err(format!(
            "metrics: osp_echo_bytes_total {echoed} after {} bytes echoed",
            ECHO_BYTES + 1000
        ));
    }
    let rx = sample(&metrics.body, &format!("osp_nic_rx_bytes_total{nic}"))?;
    let tx = sample(&metrics.body, &format!("osp_nic_tx_bytes_total{nic}"))?;
    if rx < ECHO_BYTES as f64 || tx < ECHO_BYTES as f64 {
        return Err(format!(
            "metrics: NIC rx {rx} / tx {tx} bytes after a 1 MiB echo"
        ));
    }
    for (code, at_least) in [
        ("200", 1.0),
        ("404", 1.0),
        ("405", 1.0),
        ("400", 1.0),
        ("505", 1.0),
    ] {
        let n = sample(
            &metrics.body,
            &format!("osp_http_requests_total{{code=\"{code}\"}}"),
        )?;
        if n < at_least {
            return Err(format!("metrics: {n} responses with status {code}"));
        }
    }
    if sample(&metrics.body, "osp_echo_connections_total")? < 2.0 {
        return Err("metrics: fewer than 2 echo connections counted".into());
    }
    sample(&metrics.body, "osp_uptime_seconds")?;
    report.push_str(&format!(
        "GET /metrics -> 200, rx {rx} tx {tx} bytes, echo {echoed} bytes\n"
    ));
    Ok(report)
}

/// For the serve-for-ever run: the counters page answers.
fn metrics_only(_: &HostCtx) -> Result<String> {
    let (http, _) = ports()?;
    let m = get(http, "/metrics")?;
    want(&m, "GET /metrics", 200, &["osp_uptime_seconds"])?;
    Ok(format!("GET /metrics -> 200, {} bytes", m.body.len()))
}
