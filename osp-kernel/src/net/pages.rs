//! The two pages: `/`, the machine inventory as the kernel reported it on its console, and
//! `/metrics`, the counters in the Prometheus text exposition format (version 0.0.4).
#![forbid(unsafe_code)]

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use smoltcp::wire::{Ipv4Address, Ipv4Cidr};

use super::http::Status;
use super::nic::{Link, Mac, NicStats};

/// Service counters kept by the stack.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    /// Echo connections accepted.
    pub echo_connections: u64,
    /// Bytes echoed back.
    pub echo_bytes: u64,
    /// HTTP connections accepted.
    pub http_connections: u64,
    /// HTTP responses by status (indexed like [`Status::ALL`]).
    pub http_responses: [u64; Status::ALL.len()],
    /// HTTP connections dropped for idling or not reading their response.
    pub http_timeouts: u64,
    /// DHCP leases obtained.
    pub dhcp_leases: u64,
}

/// Everything the pages show that is not in the console log.
pub struct Snapshot<'a> {
    /// Nanoseconds since boot.
    pub uptime_ns: u64,
    /// The NIC's driver name.
    pub driver: &'a str,
    /// The NIC's PCI function.
    pub pci: &'a str,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// Its link.
    pub link: Link,
    /// Its counters.
    pub stats: NicStats,
    /// The interface address.
    pub address: Option<Ipv4Cidr>,
    /// The default gateway.
    pub gateway: Option<Ipv4Address>,
    /// Where the address came from.
    pub source: &'a str,
    /// Service counters.
    pub counters: Counters,
}

/// Console-line prefixes and the inventory section each belongs to, in page order.
const SECTIONS: &[(&str, &[&str])] = &[
    ("Boot", &["OSp", "boot", "cmdline"]),
    ("CPU", &["cpu"]),
    ("Memory", &["memory"]),
    ("ACPI", &["acpi"]),
    ("PCI", &["pci"]),
    ("Disks (AHCI)", &["ahci", "scratch"]),
    ("Network", &["net"]),
];

/// Splits the console log into sections: a line `key: text` goes to the section of `key`,
/// an indented line to the section of the line before it; log-level lines and the rest are
/// left out.
fn sections(log: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = SECTIONS.iter().map(|_| Vec::new()).collect();
    let mut current: Option<usize> = None;
    for line in log.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(i) = current {
                out[i].push(line);
            }
            continue;
        }
        let key = line
            .split_once(": ")
            .map_or(line.split(' ').next().unwrap_or(""), |(k, _)| k);
        // The memory map comes as a log record (`INFO  osp_kernel: memory map:`).
        let key = if line.ends_with("memory map:") {
            "memory"
        } else {
            key
        };
        current = SECTIONS.iter().position(|(_, keys)| keys.contains(&key));
        if let Some(i) = current {
            let text = line
                .strip_prefix(key)
                .and_then(|t| t.strip_prefix(": "))
                .unwrap_or(line);
            out[i].push(text);
        }
    }
    out
}

/// Writes `text` with HTML's special characters escaped (the log holds firmware strings).
fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

fn address_text(s: &Snapshot<'_>) -> String {
    match (s.address, s.gateway) {
        (Some(a), Some(g)) => alloc::format!("{a} via {g} ({})", s.source),
        (Some(a), None) => alloc::format!("{a} ({})", s.source),
        (None, _) => String::from("none yet (waiting for DHCP)"),
    }
}

/// The inventory page.
pub fn inventory(log: &str, s: &Snapshot<'_>) -> String {
    let mut p = String::with_capacity(log.len() + 4096);
    p.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>OSp machine inventory</title>\n<style>body{font-family:sans-serif;margin:2em}\
         pre{background:#f4f4f4;padding:.6em;overflow-x:auto}td,th{padding:0 1em 0 0;\
         text-align:left}</style></head><body>\n<h1>OSp machine inventory</h1>\n",
    );
    let up = s.uptime_ns / 1_000_000;
    let _ = writeln!(
        p,
        "<p>OSp {} up {}.{:03} s. Counters: <a href=\"/metrics\">/metrics</a>.</p>",
        env!("CARGO_PKG_VERSION"),
        up / 1000,
        up % 1000
    );
    p.push_str(
        "<h2>NICs</h2>\n<table><tr><th>PCI</th><th>driver</th><th>MAC</th><th>link</th>\
                <th>address</th><th>rx packets</th><th>tx packets</th></tr>\n",
    );
    let _ = write!(
        p,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>",
        s.pci,
        s.driver,
        Mac(s.mac)
    );
    escape(&mut p, &alloc::format!("{}", s.link));
    p.push_str("</td><td>");
    escape(&mut p, &address_text(s));
    let _ = write!(
        p,
        "</td><td>{}</td><td>{}</td></tr>\n</table>\n",
        s.stats.rx_packets, s.stats.tx_packets
    );
    for ((title, _), lines) in SECTIONS.iter().zip(sections(log)) {
        if lines.is_empty() {
            continue;
        }
        let _ = write!(p, "<h2>{title}</h2>\n<pre>");
        for l in lines {
            escape(&mut p, l);
            p.push('\n');
        }
        p.push_str("</pre>\n");
    }
    p.push_str("</body></html>\n");
    p
}

struct Metrics(String);

impl Metrics {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = write!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
    }
    fn sample(&mut self, name: &str, labels: &str, value: impl core::fmt::Display) {
        if labels.is_empty() {
            let _ = writeln!(self.0, "{name} {value}");
        } else {
            let _ = writeln!(self.0, "{name}{{{labels}}} {value}");
        }
    }
    fn one(&mut self, name: &str, kind: &str, help: &str, labels: &str, v: u64) {
        self.family(name, kind, help);
        self.sample(name, labels, v);
    }
}

/// The `/metrics` page.
pub fn metrics(s: &Snapshot<'_>) -> String {
    let mut m = Metrics(String::with_capacity(4096));
    m.family(
        "osp_uptime_seconds",
        "gauge",
        "Time since the kernel was entered.",
    );
    let ms = s.uptime_ns / 1_000_000;
    m.sample(
        "osp_uptime_seconds",
        "",
        alloc::format!("{}.{:03}", ms / 1000, ms % 1000),
    );
    let nic = alloc::format!(
        "nic=\"{}\",driver=\"{}\",mac=\"{}\"",
        s.pci,
        s.driver,
        Mac(s.mac)
    );
    m.one(
        "osp_nic_link_up",
        "gauge",
        "1 when the link is up (or not reported), 0 when down.",
        &nic,
        u64::from(s.link.up != Some(false)),
    );
    let st = s.stats;
    for (name, help, v) in [
        (
            "osp_nic_rx_packets_total",
            "Frames received.",
            st.rx_packets,
        ),
        (
            "osp_nic_rx_bytes_total",
            "Bytes of frames received.",
            st.rx_bytes,
        ),
        (
            "osp_nic_tx_packets_total",
            "Frames transmitted.",
            st.tx_packets,
        ),
        (
            "osp_nic_tx_bytes_total",
            "Bytes of frames transmitted.",
            st.tx_bytes,
        ),
        (
            "osp_nic_rx_dropped_total",
            "Frames dropped on receive.",
            st.rx_dropped,
        ),
        (
            "osp_nic_tx_dropped_total",
            "Frames dropped on transmit.",
            st.tx_dropped,
        ),
        (
            "osp_nic_rx_errors_total",
            "Frames received with errors.",
            st.rx_errors,
        ),
    ] {
        m.one(name, "counter", help, &nic, v);
    }
    let c = s.counters;
    m.one(
        "osp_echo_connections_total",
        "counter",
        "TCP echo (port 7) connections accepted.",
        "",
        c.echo_connections,
    );
    m.one(
        "osp_echo_bytes_total",
        "counter",
        "Bytes echoed back on port 7.",
        "",
        c.echo_bytes,
    );
    m.one(
        "osp_http_connections_total",
        "counter",
        "HTTP (port 80) connections accepted.",
        "",
        c.http_connections,
    );
    m.family(
        "osp_http_requests_total",
        "counter",
        "HTTP responses sent, by status code.",
    );
    for st in Status::ALL {
        m.sample(
            "osp_http_requests_total",
            &alloc::format!("code=\"{}\"", st.code()),
            c.http_responses[st.index()],
        );
    }
    m.one(
        "osp_http_timeouts_total",
        "counter",
        "HTTP connections closed for idling.",
        "",
        c.http_timeouts,
    );
    m.one(
        "osp_dhcp_leases_total",
        "counter",
        "DHCP leases obtained.",
        "",
        c.dhcp_leases,
    );
    m.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot<'static> {
        Snapshot {
            uptime_ns: 12_345_000_000,
            driver: "virtio-net",
            pci: "00:01.0",
            mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56],
            link: Link {
                up: Some(true),
                mbps: None,
            },
            stats: NicStats {
                rx_packets: 3,
                ..NicStats::default()
            },
            address: Some(Ipv4Cidr::new(Ipv4Address::new(10, 0, 2, 15), 24)),
            gateway: Some(Ipv4Address::new(10, 0, 2, 2)),
            source: "DHCP",
            counters: Counters::default(),
        }
    }

    #[test]
    fn log_lines_land_in_their_sections_and_are_escaped() {
        let log = "OSp 0.1.0\ncpu: model name\t: <script>\nINFO  osp_kernel: memory map:\n  \
                   [0x0-0x9fc00] Usable\nahci: port 0: disk\n  Model Number: A&B\nstray line\n  \
                   indented after stray\npci: 00:01.0 Ethernet\n";
        let s = sections(log);
        assert_eq!(s[0], ["OSp 0.1.0"]);
        assert_eq!(s[1], ["model name\t: <script>"]);
        assert_eq!(
            s[2],
            ["INFO  osp_kernel: memory map:", "  [0x0-0x9fc00] Usable"]
        );
        assert_eq!(s[4], ["00:01.0 Ethernet"]);
        assert_eq!(s[5], ["port 0: disk", "  Model Number: A&B"]);
        let page = inventory(log, &snapshot());
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("A&amp;B"));
        assert!(!page.contains("stray"));
        assert!(page.contains("10.0.2.15/24 via 10.0.2.2 (DHCP)"));
    }

    #[test]
    fn metrics_are_prometheus_text() {
        let mut snap = snapshot();
        snap.counters.http_responses[Status::NotFound.index()] = 2;
        let m = metrics(&snap);
        assert!(m.contains("osp_uptime_seconds 12.345\n"));
        assert!(m.contains(
            "osp_nic_rx_packets_total{nic=\"00:01.0\",driver=\"virtio-net\",\
             mac=\"52:54:00:12:34:56\"} 3\n"
        ));
        assert!(m.contains("osp_http_requests_total{code=\"404\"} 2\n"));
        for line in m.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                assert!(rest.starts_with("HELP osp_") || rest.starts_with("TYPE osp_"));
                continue;
            }
            let (name, value) = line.rsplit_once(' ').expect("name value");
            assert!(value.parse::<f64>().is_ok(), "{line}");
            let metric = name.split('{').next().unwrap_or("");
            assert!(metric.starts_with("osp_"), "{line}");
            assert!(
                metric
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            );
        }
    }
}
