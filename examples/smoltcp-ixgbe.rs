//! Two smoltcp interfaces on two 82599 models joined by a wire run a TCP transfer; the same
//! transfer over smoltcp's own `Loopback` device gives the yardstick.
//!
//! `cargo run --release --example smoltcp-ixgbe --no-default-features --features ixgbe -- [MIB]`

#[path = "ixgbe_common/mod.rs"]
mod common;

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let total = mib << 20;
    let nic = common::tcp_over_model(total);
    let lo = common::tcp_over_loopback(total, None);
    let lo1514 = common::tcp_over_loopback(total, Some(1514));
    let runs = [
        ("two model NICs (MTU 1514)", nic),
        ("smoltcp Loopback (MTU 65535)", lo),
        ("smoltcp Loopback (MTU 1514)", lo1514),
    ];
    for (name, r) in runs {
        println!(
            "{name:>29}: {} MiB in {:.2} s = {:.0} Mbit/s, intact: {}",
            r.bytes >> 20,
            r.elapsed.as_secs_f64(),
            r.mbit_per_s(),
            r.intact
        );
    }
    println!(
        "ratio NICs / Loopback: {:.2} (Loopback at its own MTU), {:.2} (at MTU 1514)",
        nic.mbit_per_s() / lo.mbit_per_s(),
        nic.mbit_per_s() / lo1514.mbit_per_s()
    );
    if !(nic.intact && lo.intact && lo1514.intact) {
        std::process::exit(1);
    }
}
