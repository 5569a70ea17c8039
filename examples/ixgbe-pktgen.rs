//! ixy-pktgen on the 82599 model: 60-byte UDP frames from a pool of pre-filled buffers, a sequence
//! number written into each, sent in batches; the model's TX engine drains them to a sink.
//! Prints the rate and the driver-side cost per packet.
//!
//! `cargo run --release --example ixgbe-pktgen --no-default-features --features ixgbe -- [BATCH] [MPACKETS]`

#[path = "ixgbe_common/mod.rs"]
mod common;

use std::time::Instant;

use osp_hal::sim::{SimClock, SimMemory};
use osp_ixgbe::sim::harness::bring_up;
use osp_ixgbe::sim::{ModelConfig, SimNic};
use osp_ixgbe::{Config, Mempool, PacketBuf};

/// Ethernet + IPv4 + UDP, 60 bytes, IP checksum filled in once (as ixy-pktgen does).
fn template() -> [u8; 60] {
    let mut f = [0u8; 60];
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x99]);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = [
        0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    f[14..34].copy_from_slice(&ip);
    let sum: u32 = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    let sum = !(((sum & 0xFFFF) + (sum >> 16)) as u16);
    f[24..26].copy_from_slice(&sum.to_be_bytes());
    f[34..42].copy_from_slice(&[0x04, 0xD2, 0x16, 0x2E, 0, 26, 0, 0]);
    f
}

fn main() {
    let mut args = std::env::args().skip(1);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let mpackets: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4.0);
    let total = (mpackets * 1e6) as u64;
    let mem = SimMemory::new();
    let clock = SimClock::new();
    let nic = SimNic::new(&mem, &clock, ModelConfig::new(1));
    nic.set_sink(true);
    let cfg = Config {
        tx_ring_size: 512,
        ..Config::default()
    };
    let mut dev = bring_up(&mem, &clock, &nic, cfg).unwrap();
    let pool = Mempool::new(&mem, 2048, 2048).unwrap();
    // Pre-fill every buffer with the template once; sending reuses them without rewriting it.
    let mut all = Vec::new();
    while let Some(mut p) = pool.alloc() {
        p.buffer_mut()[..60].copy_from_slice(&template());
        p.set_len(60);
        all.push(p);
    }
    drop(all);
    let mut tx = dev.start_tx_queue(0).unwrap();
    let mut bufs: Vec<Option<PacketBuf<'_>>> = (0..batch).map(|_| None).collect();
    let (mut sent, mut seq, mut driver) = (0u64, 0u32, 0u64);
    let wall = Instant::now();
    let t_start = common::cycles();
    while sent < total {
        let t0 = common::cycles();
        for slot in bufs.iter_mut() {
            if let Some(mut p) = tx.alloc(&pool) {
                p.set_len(60);
                p[42..46].copy_from_slice(&seq.to_le_bytes());
                seq = seq.wrapping_add(1);
                *slot = Some(p);
            }
        }
        sent += tx.tx_batch(&mut bufs) as u64;
        bufs.iter_mut().for_each(|b| *b = None);
        driver += common::cycles() - t0;
        nic.step_tx();
    }
    let secs = wall.elapsed().as_secs_f64();
    let ghz = (common::cycles() - t_start) as f64 / secs / 1e9;
    let per = driver as f64 / sent as f64;
    println!("ixgbe-pktgen: batch {batch}, {sent} packets in {secs:.2} s");
    println!(
        "  overall (driver + model): {:.2} Mpps",
        sent as f64 / secs / 1e6
    );
    println!(
        "  driver: {per:.1} cycles/packet -> {:.1} Mpps per {ghz:.2} GHz core",
        ghz * 1e3 / per
    );
    let s = dev.stats().unwrap();
    println!(
        "  NIC counters: {} packets, {} bytes transmitted",
        s.tx_packets, s.tx_bytes
    );
}
