//! osp-ixgbe on the 82599 model.
//!
//! - `ixgbe_fwd/overall/B`: ixy-fwd style forwarding between two model ports at batch size B,
//!   driver and model together (packets per second of the whole simulation).
//! - `ixgbe_fwd/driver/B`: the same run, counting only the time spent in the driver's data path
//!   (`rx_batch`, the one-byte touch, `tx_batch`, freeing leftovers) — the number to compare
//!   with ixy's cycles per packet. The model's DMA work runs outside that window.
//! - `ixgbe_tcp/{model,loopback,loopback_mtu1514}`: smoltcp TCP throughput over two model NICs
//!   and over smoltcp's `Loopback` (at its own 65535-byte MTU and at the NICs' 1514), same
//!   transfer, same run.
//!
//! A summary table (cycles per packet by batch size, TCP ratio) is printed at the end.

#[path = "../examples/ixgbe_common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use osp_ixgbe::Mempool;

const BATCHES: [usize; 4] = [1, 8, 32, 256];

fn tsc_hz() -> f64 {
    let (t, c) = (Instant::now(), common::cycles());
    std::thread::sleep(Duration::from_millis(100));
    (common::cycles() - c) as f64 / t.elapsed().as_secs_f64()
}

fn fwd(c: &mut Criterion) {
    let hz = tsc_hz();
    let rig = common::FwdRig::new();
    let mut devs = rig.devices(512);
    let pools = [0, 1].map(|_| Mempool::new(&rig.mem, 4096, 2048).unwrap());
    let mut qs = common::start(&mut devs, &pools);
    let mut g = c.benchmark_group("ixgbe_fwd");
    let mut table = Vec::new();
    for batch in BATCHES {
        // Each iteration forwards one batch each way.
        let per_iter = 2 * batch as u64;
        g.throughput(Throughput::Elements(per_iter));
        g.bench_with_input(BenchmarkId::new("overall", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                common::forward(&rig, &mut qs, batch, iters * per_iter);
                t.elapsed()
            })
        });
        let mut total = common::FwdCount::default();
        g.bench_with_input(BenchmarkId::new("driver", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| {
                let r = common::forward(&rig, &mut qs, batch, iters * per_iter);
                total.packets += r.packets;
                total.driver_cycles += r.driver_cycles;
                total.model_cycles += r.model_cycles;
                // Scale to what `iters` iterations would have cost (rounds overshoot slightly).
                let per_pkt = r.driver_cycles as f64 / r.packets.max(1) as f64;
                Duration::from_secs_f64(per_pkt * (iters * per_iter) as f64 / hz)
            })
        });
        table.push((batch, total));
    }
    g.finish();
    println!(
        "\nosp-ixgbe driver side, per packet (TSC at {:.2} GHz):",
        hz / 1e9
    );
    println!("| batch | driver cycles/pkt | driver Mpps/core | model cycles/pkt |");
    println!("|---|---|---|---|");
    for (batch, t) in table {
        let p = t.packets.max(1) as f64;
        let d = t.driver_cycles as f64 / p;
        println!(
            "| {batch} | {d:.1} | {:.1} | {:.0} |",
            hz / d / 1e6,
            t.model_cycles as f64 / p
        );
    }
}

fn tcp(c: &mut Criterion) {
    const MIB: usize = 8;
    let mut g = c.benchmark_group("ixgbe_tcp");
    g.throughput(Throughput::Bytes((MIB << 20) as u64));
    g.sample_size(10);
    g.bench_function("model", |b| {
        b.iter(|| assert!(common::tcp_over_model(MIB << 20).intact))
    });
    g.bench_function("loopback", |b| {
        b.iter(|| assert!(common::tcp_over_loopback(MIB << 20, None).intact))
    });
    g.bench_function("loopback_mtu1514", |b| {
        b.iter(|| assert!(common::tcp_over_loopback(MIB << 20, Some(1514)).intact))
    });
    g.finish();
    let m = common::tcp_over_model(32 << 20);
    let l = common::tcp_over_loopback(32 << 20, None);
    let l1514 = common::tcp_over_loopback(32 << 20, Some(1514));
    println!(
        "\nsmoltcp TCP, 32 MiB: two model NICs {:.0} Mbit/s; Loopback {:.0} Mbit/s (ratio {:.2}); \
         Loopback at MTU 1514 {:.0} Mbit/s (ratio {:.2})",
        m.mbit_per_s(),
        l.mbit_per_s(),
        m.mbit_per_s() / l.mbit_per_s(),
        l1514.mbit_per_s(),
        m.mbit_per_s() / l1514.mbit_per_s()
    );
}

criterion_group!(benches, fwd, tcp);
criterion_main!(benches);
