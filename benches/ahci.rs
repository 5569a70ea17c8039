//! osp-ahci against the simulated HBA: commands per second and CPU cost per 4 KiB read, queue
//! depth 1 (READ DMA EXT, and NCQ one at a time) versus 32 (NCQ).
//!
//! The model executes each command synchronously inside a register access, so these figures
//! are the driver's own per-command overhead plus the model's (register decode, a mutex, the
//! 4 KiB copy): an upper bound on what the driver costs per I/O, not a disk's speed.
//!
//! `cargo bench --bench ahci --no-default-features --features ahci`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use osp_ahci::sim::{DeviceSpec, HbaSpec, SimHba};
use osp_ahci::{Config, Dir, Hba};
use osp_hal::DmaBuffer;
use osp_hal::sim::{SimClock, SimMemory};

const SECTORS: u64 = 1 << 15; // 16 MiB
const READ_SECTORS: u32 = 8; // 4 KiB

fn rig() -> (Hba<SimHba, SimMemory, SimClock>, SimMemory) {
    let clock = SimClock::new();
    let mem = SimMemory::new();
    let sim = SimHba::new(clock.clone(), mem.clone(), HbaSpec::default());
    sim.attach(0, DeviceSpec::disk(SECTORS, 512));
    let mut hba = Hba::new(sim, mem.clone(), clock, Config::default()).expect("HBA");
    let report = hba.bring_up();
    assert_eq!(report.ready().next(), Some(0));
    (hba, mem)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ahci_4k_read");

    let (mut hba, mem) = rig();
    let mut buf = DmaBuffer::new(mem.clone(), 4096, 4096).expect("buffer");
    let mut lba = 0u64;
    g.throughput(Throughput::Elements(1));
    g.bench_function("qd1_read_dma_ext", |b| {
        let mut disk = hba.disk(0).expect("disk");
        b.iter(|| {
            disk.read_sectors(lba, READ_SECTORS, &mut buf)
                .expect("read");
            lba = (lba + u64::from(READ_SECTORS)) % SECTORS;
            black_box(buf.as_slice()[0]);
        })
    });

    let (mut hba, mem) = rig();
    g.bench_function("qd1_ncq", |b| {
        let mut disk = hba.disk(0).expect("disk");
        let mut spare = Some(DmaBuffer::new(mem.clone(), 4096, 4096).expect("buffer"));
        let mut lba = 0u64;
        b.iter(|| {
            let buf = spare.take().expect("buffer");
            disk.ncq_submit(Dir::Read, lba, READ_SECTORS, buf)
                .expect("submit");
            let done = disk.ncq_wait().expect("completion");
            done.result.expect("read");
            spare = Some(done.buf);
            lba = (lba + u64::from(READ_SECTORS)) % SECTORS;
        })
    });

    let (mut hba, mem) = rig();
    g.throughput(Throughput::Elements(32));
    g.bench_function("qd32_ncq", |b| {
        let mut disk = hba.disk(0).expect("disk");
        let mut free: Vec<_> = (0..32)
            .map(|_| DmaBuffer::new(mem.clone(), 4096, 4096).expect("buffer"))
            .collect();
        let mut lba = 0u64;
        b.iter(|| {
            for buf in free.drain(..) {
                disk.ncq_submit(Dir::Read, lba, READ_SECTORS, buf)
                    .expect("submit");
                lba = (lba + u64::from(READ_SECTORS)) % SECTORS;
            }
            while disk.ncq_in_flight() > 0 {
                let done = disk.ncq_wait().expect("completion");
                done.result.expect("read");
                free.push(done.buf);
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
