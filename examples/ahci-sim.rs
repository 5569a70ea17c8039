//! Brings up a simulated AHCI HBA with a mix of healthy and misbehaving ports under each link
//! timing preset, prints what happened per port and an `hdparm -I`-style block per disk, then
//! writes, flushes and verifies a scratch pattern with multi-sector and NCQ commands.
//!
//! `cargo run --example ahci-sim --no-default-features --features ahci [-- --json]`

use std::time::{Duration, Instant};

use osp_ahci::identify::IdentifyBuilder;
use osp_ahci::sim::{DeviceSpec, HbaSpec, LinkMode, SimHba};
use osp_ahci::{BringUpReport, Config, Dir, Hba, PortOutcome};
use osp_hal::DmaBuffer;
use osp_hal::sim::{SimClock, SimMemory};

type Driver = Hba<SimHba, SimMemory, SimClock>;

fn ports() -> Vec<(u8, &'static str, DeviceSpec)> {
    let ms = Duration::from_millis;
    let hdd = IdentifyBuilder::disk(1 << 16, 4096)
        .strings("OSP 4Kn SPINNING DISK", "SIMHDD4K0001", "HD01")
        .word(217, 7200)
        .with_checksum()
        .build();
    let e512 = IdentifyBuilder::disk(1 << 17, 512)
        .strings("OSP 512e DISK", "SIM512E00001", "E512")
        .physical_log2(3)
        .with_checksum()
        .build();
    vec![
        (
            0,
            "SSD, link up 5 ms after spin-up",
            DeviceSpec::disk(1 << 17, 512),
        ),
        (
            1,
            "4Kn HDD, link 40 ms, busy 800 ms",
            DeviceSpec::disk(1 << 16, 4096)
                .with_identify(hdd)
                .link_up_after(ms(40))
                .busy_for(ms(800)),
        ),
        (2, "empty", DeviceSpec::disk(0, 512)),
        (3, "ATAPI drive", DeviceSpec::atapi()),
        (
            4,
            "link never up (DET stuck at 1)",
            DeviceSpec::disk(1024, 512).link(LinkMode::Never),
        ),
        (
            5,
            "512e disk, needs a COMRESET",
            DeviceSpec::disk(1 << 17, 512)
                .with_identify(e512)
                .link(LinkMode::NeedsComreset),
        ),
    ]
}

fn rig(config: Config) -> (Driver, BringUpReport, SimHba, SimMemory, Duration) {
    let clock = SimClock::new();
    clock.set_relax_step(Duration::from_micros(10));
    let mem = SimMemory::new();
    let sim = SimHba::new(clock.clone(), mem.clone(), HbaSpec::default());
    for (p, _, dev) in ports() {
        if p != 2 {
            sim.attach(p, dev);
        }
    }
    let mut hba = Hba::new(sim.clone(), mem.clone(), clock, config).expect("HBA comes up");
    let host = Instant::now();
    let report = hba.bring_up();
    (hba, report, sim, mem, host.elapsed())
}

fn json_report(name: &str, report: &BringUpReport) -> serde_json::Value {
    let ports: Vec<_> = report
        .iter()
        .map(|r| {
            serde_json::json!({
                "port": r.port,
                "outcome": format!("{:?}", r.outcome),
                "took_ms": r.took.as_secs_f64() * 1e3,
                "started_ms": r.started.as_secs_f64() * 1e3,
                "link_up_ms": r.link_up_after.map(|d| d.as_secs_f64() * 1e3),
                "speed": r.speed,
                "comresets": r.comresets,
                "signature": r.signature.map(|s| s.to_string()),
            })
        })
        .collect();
    serde_json::json!({ "preset": name, "total_ms": report.total.as_secs_f64() * 1e3, "ports": ports })
}

/// The scratch pattern: sector k holds k (u64 LE), "OSPWRITE", then (k + j) mod 251.
fn fill(buf: &mut [u8], first: u64, ss: usize) {
    for (i, s) in buf.chunks_mut(ss).enumerate() {
        let k = first + i as u64;
        s[..8].copy_from_slice(&k.to_le_bytes());
        s[8..16].copy_from_slice(b"OSPWRITE");
        for (j, b) in s.iter_mut().enumerate().skip(16) {
            *b = ((k + j as u64) % 251) as u8;
        }
    }
}

fn scratch(
    hba: &mut Driver,
    mem: &SimMemory,
    port: u8,
    sectors: u64,
) -> Result<(), osp_ahci::Error> {
    let mut disk = hba.disk(port)?;
    let ss = disk.sector_size() as usize;
    let per_cmd = 128u64;
    let t = Instant::now();
    let mut buf = DmaBuffer::new(mem, per_cmd as usize * ss, 4096)?;
    for lba in (0..sectors).step_by(per_cmd as usize) {
        let n = per_cmd.min(sectors - lba);
        fill(&mut buf.as_mut_slice()[..n as usize * ss], lba, ss);
        disk.write_sectors(lba, n as u32, &buf)?;
    }
    disk.flush()?;
    let w = t.elapsed();

    // Read back with NCQ, 32 commands of 8 sectors in flight.
    let t = Instant::now();
    let depth = u64::from(disk.ncq_depth().max(1));
    let (mut next, mut bad) = (0u64, 0u64);
    let mut expect = vec![0u8; 8 * ss];
    let mut free: Vec<_> = (0..depth)
        .map(|_| DmaBuffer::new(mem.clone(), 8 * ss, 4096))
        .collect::<Result<_, _>>()?;
    loop {
        while next < sectors && !free.is_empty() {
            let b = free.pop().expect("non-empty");
            let n = 8.min(sectors - next) as u32;
            disk.ncq_submit(Dir::Read, next, n, b)
                .map_err(|r| r.error)?;
            next += u64::from(n);
        }
        if disk.ncq_in_flight() == 0 {
            break;
        }
        let c = disk.ncq_wait()?;
        c.result?;
        let len = c.count as usize * ss;
        fill(&mut expect[..len], c.lba, ss);
        if c.buf.as_slice()[..len] != expect[..len] {
            bad += 1;
        }
        free.push(c.buf);
    }
    let r = t.elapsed();
    let mib = (sectors as usize * ss) as f64 / (1 << 20) as f64;
    println!(
        "port {port}: scratch {sectors} sectors: write {:.1} MiB/s (128-sector commands), \
         NCQ read {:.1} MiB/s (QD{depth}), {} mismatching commands (host time, simulated disk)",
        mib / w.as_secs_f64(),
        mib / r.as_secs_f64(),
        bad
    );
    Ok(())
}

/// 4 KiB random-ish reads against a device that takes 100 µs per command, in simulated time:
/// one at a time (READ DMA EXT) versus 32 NCQ commands in flight.
fn queue_depth(
    hba: &mut Driver,
    sim: &SimHba,
    mem: &SimMemory,
    port: u8,
) -> Result<(), osp_ahci::Error> {
    const N: u64 = 1024;
    sim.set_command_latency(Duration::from_micros(100));
    let clock = hba.clock().clone();
    let mut disk = hba.disk(port)?;
    let sectors = disk.sectors();
    let lba = |i: u64| (i * 7919 * 8) % (sectors - 8);
    let mut buf = DmaBuffer::new(mem.clone(), 4096, 4096)?;
    let t0 = clock.elapsed();
    for i in 0..N {
        disk.read_sectors(lba(i), 8, &mut buf)?;
    }
    let qd1 = clock.elapsed() - t0;
    let mut free: Vec<_> = (0..32)
        .map(|_| DmaBuffer::new(mem.clone(), 4096, 4096))
        .collect::<Result<_, _>>()?;
    let (t0, mut next) = (clock.elapsed(), 0);
    while next < N || disk.ncq_in_flight() > 0 {
        while next < N && !free.is_empty() {
            let b = free.pop().expect("non-empty");
            disk.ncq_submit(Dir::Read, lba(next), 8, b)
                .map_err(|r| r.error)?;
            next += 1;
        }
        let c = disk.ncq_wait()?;
        c.result?;
        free.push(c.buf);
    }
    let qd32 = clock.elapsed() - t0;
    let iops = |d: Duration| N as f64 / d.as_secs_f64();
    println!(
        "port {port}: {N} x 4 KiB reads, 100 µs per command (simulated time): QD1 {:.0} IOPS, \
         NCQ QD32 {:.0} IOPS ({:.1}x)",
        iops(qd1),
        iops(qd32),
        qd1.as_secs_f64() / qd32.as_secs_f64()
    );
    sim.set_command_latency(Duration::ZERO);
    Ok(())
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let presets = [
        ("normal", Config::normal()),
        ("hotplug", Config::hotplug()),
        ("long", Config::long()),
        ("no_wait (OSv)", Config::no_wait()),
    ];
    let mut out = Vec::new();
    if !json {
        println!("Simulated HBA (6 ports):");
        for (p, what, _) in ports() {
            println!("  port {p}: {what}");
        }
    }
    for (name, config) in presets {
        let (_, report, _, _, host) = rig(config);
        if json {
            out.push(json_report(name, &report));
            continue;
        }
        println!(
            "\n== preset {name}: {:?} {:?} ==",
            config.link, config.pre_debounce_delay
        );
        println!("{report}  (simulated time; {host:.2?} on the host)");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
        return;
    }

    let (mut hba, report, sim, mem, _) = rig(Config::default());
    for r in report.iter().filter(|r| r.outcome == PortOutcome::Ready) {
        let disk = hba.disk(r.port).expect("ready");
        println!("\n/dev/port{}:\n\n{}", r.port, disk.identify());
    }
    for p in report.ready() {
        if let Err(e) = scratch(&mut hba, &mem, p, 2048) {
            println!("port {p}: scratch failed: {e}");
        }
    }
    if let Err(e) = queue_depth(&mut hba, &sim, &mem, 0) {
        println!("port 0: queue depth comparison failed: {e}");
    }
    println!(
        "\nmodel: {:?}; order-of-operations violations: {:?}",
        sim.stats(),
        sim.violations()
    );
}
