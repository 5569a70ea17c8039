//! ixy-fwd on the 82599 model: two ports, each fed at full rate by a packet source, every packet
//! received on one port sent out of the other from the same buffer. Prints the forwarding rate
//! and the driver-side cost per packet (time in `rx_batch`/`tx_batch` and the per-packet touch),
//! separately from the model's.
//!
//! `cargo run --release --example ixgbe-fwd --no-default-features --features ixgbe -- [BATCH] [MPACKETS]`

#[path = "ixgbe_common/mod.rs"]
mod common;

use std::time::Instant;

use osp_ixgbe::Mempool;

fn main() {
    let mut args = std::env::args().skip(1);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let mpackets: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4.0);
    let packets = (mpackets * 1e6) as u64;
    let rig = common::FwdRig::new();
    let mut devs = rig.devices(512);
    let pools = [0, 1].map(|_| Mempool::new(&rig.mem, 4096, 2048).unwrap());
    let mut qs = common::start(&mut devs, &pools);
    // Warm up, then measure.
    let warm = common::forward(&rig, &mut qs, batch, packets / 10);
    let wall = Instant::now();
    let t0 = common::cycles();
    let c = common::forward(&rig, &mut qs, batch, packets);
    let secs = wall.elapsed().as_secs_f64();
    let ghz = (common::cycles() - t0) as f64 / secs / 1e9;
    let p = c.packets as f64;
    let driver = c.driver_cycles as f64 / p;
    let model = c.model_cycles as f64 / p;
    println!(
        "ixgbe-fwd: batch {batch}, {} packets forwarded in {secs:.2} s (after {} warm-up; {} in all)",
        c.packets,
        warm.packets,
        c.packets + warm.packets
    );
    println!("  overall (driver + model): {:.2} Mpps", p / secs / 1e6);
    println!(
        "  driver: {driver:.1} cycles/packet -> {:.1} Mpps per {ghz:.2} GHz core (model: {model:.1} cycles/packet)",
        ghz * 1e3 / driver
    );
    let s = [devs[0].stats().unwrap(), devs[1].stats().unwrap()];
    println!(
        "  NIC counters: rx {} / tx {} packets, rx missed {}",
        s[0].rx_packets + s[1].rx_packets,
        s[0].tx_packets + s[1].tx_packets,
        s[0].rx_missed + s[1].rx_missed
    );
}
