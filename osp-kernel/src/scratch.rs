//! The scratch-disk exercise (`osp.scratch=SERIAL`): writes a known pattern over the first
//! `osp.scratch.sectors` sectors of the disk with that serial number, with multi-sector DMA and
//! NCQ commands, flushes, reads everything back, compares, and prints each phase's throughput.
//! The host checks the disk image byte for byte afterwards.
//!
//! Sector `k` holds: bytes 0..8 = `k` as u64 little-endian, bytes 8..16 = `OSPWRITE`, and byte
//! `j` (16 ≤ j < sector size) = (k + j) mod 251.

use osp_ahci::{Dir, Disk, Error};
use osp_hal::{Clock, DmaBuffer, RegisterIo};

use crate::kprintln;
use crate::memory::KernelDma;
use crate::tsc::TscClock;

/// Sectors per multi-sector command (64 KiB with 512-byte sectors).
const DMA_CHUNK: u32 = 128;
/// Sectors per NCQ command.
const NCQ_CHUNK: u32 = 16;

fn fill(buf: &mut [u8], first: u64, ss: usize) {
    for (i, sector) in buf.chunks_exact_mut(ss).enumerate() {
        let k = first + i as u64;
        sector[..8].copy_from_slice(&k.to_le_bytes());
        sector[8..16].copy_from_slice(b"OSPWRITE");
        for (j, b) in sector.iter_mut().enumerate().skip(16) {
            *b = ((k + j as u64) % 251) as u8;
        }
    }
}

/// First sector in `buf` that differs from the pattern.
fn check(buf: &[u8], first: u64, ss: usize, scratch: &mut [u8]) -> Option<u64> {
    for (i, sector) in buf.chunks_exact(ss).enumerate() {
        let k = first + i as u64;
        fill(&mut scratch[..ss], k, ss);
        if sector != &scratch[..ss] {
            return Some(k);
        }
    }
    None
}

struct Phase {
    name: &'static str,
    sectors: u64,
    start: u64,
}

impl Phase {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            sectors: 0,
            start: TscClock.now().as_nanos(),
        }
    }
    fn report(&self, ss: u64) {
        let ns = TscClock.now().as_nanos().saturating_sub(self.start).max(1);
        let bytes = self.sectors * ss;
        let kib_s = u128::from(bytes) * 1_000_000_000 / u128::from(ns) / 1024;
        kprintln!(
            "scratch: {:<10} {:6} sectors in {:5}.{:03} ms = {} KiB/s",
            self.name,
            self.sectors,
            ns / 1_000_000,
            (ns / 1_000) % 1_000,
            kib_s
        );
    }
}

/// Runs the exercise on `disk`.
pub fn run<R: RegisterIo>(
    disk: &mut Disk<'_, R, KernelDma, TscClock>,
    sectors: u64,
) -> Result<(), Error> {
    let ss = disk.sector_size() as usize;
    let total = sectors.min(disk.sectors());
    let ncq = disk.ncq_depth() > 0;
    // The first half goes with multi-sector DMA commands, the second with NCQ.
    let half = if ncq { total / 2 } else { total };
    kprintln!(
        "scratch: writing {total} sectors of {ss} bytes ({} with DMA, {} with NCQ, depth {})",
        half,
        total - half,
        disk.ncq_depth()
    );
    let mut big = DmaBuffer::new(KernelDma, DMA_CHUNK as usize * ss, 4096)?;
    let mut scratch = alloc::vec![0u8; ss];

    let mut p = Phase::new("write dma");
    let mut lba = 0;
    while lba < half {
        let n = DMA_CHUNK.min((half - lba) as u32);
        fill(&mut big.as_mut_slice()[..n as usize * ss], lba, ss);
        disk.write_sectors(lba, n, &big)?;
        lba += u64::from(n);
        p.sectors += u64::from(n);
    }
    p.report(ss as u64);

    let mut p = Phase::new("write ncq");
    ncq_phase(disk, Dir::Write, half, total, ss, &mut p, &mut scratch)?;
    p.report(ss as u64);

    let p = Phase::new("flush");
    disk.flush()?;
    p.report(ss as u64);

    let mut p = Phase::new("read dma");
    let mut lba = 0;
    while lba < half {
        let n = DMA_CHUNK.min((half - lba) as u32);
        disk.read_sectors(lba, n, &mut big)?;
        if let Some(bad) = check(&big.as_slice()[..n as usize * ss], lba, ss, &mut scratch) {
            kprintln!("scratch: MISMATCH at sector {bad}");
            return Ok(());
        }
        lba += u64::from(n);
        p.sectors += u64::from(n);
    }
    p.report(ss as u64);

    let mut p = Phase::new("read ncq");
    if !ncq_phase(disk, Dir::Read, half, total, ss, &mut p, &mut scratch)? {
        return Ok(());
    }
    p.report(ss as u64);
    kprintln!("scratch: verified {total} sectors");
    Ok(())
}

/// NCQ over `[from, to)`: keeps up to the device's queue depth of commands in flight; for reads
/// compares each completed buffer. Returns false after a mismatch (already reported).
fn ncq_phase<R: RegisterIo>(
    disk: &mut Disk<'_, R, KernelDma, TscClock>,
    dir: Dir,
    from: u64,
    to: u64,
    ss: usize,
    phase: &mut Phase,
    scratch: &mut [u8],
) -> Result<bool, Error> {
    let depth = u32::from(disk.ncq_depth().max(1));
    let mut free: alloc::vec::Vec<DmaBuffer<KernelDma>> = alloc::vec::Vec::new();
    for _ in 0..depth {
        free.push(DmaBuffer::new(KernelDma, NCQ_CHUNK as usize * ss, 4096)?);
    }
    let mut next = from;
    let mut ok = true;
    while next < to || disk.ncq_in_flight() > 0 {
        while next < to {
            let Some(mut buf) = free.pop() else { break };
            let n = NCQ_CHUNK.min((to - next) as u32);
            if dir == Dir::Write {
                fill(&mut buf.as_mut_slice()[..n as usize * ss], next, ss);
            }
            match disk.ncq_submit(dir, next, n, buf) {
                Ok(_) => next += u64::from(n),
                Err(rejected) => {
                    free.push(rejected.buf);
                    if disk.ncq_in_flight() == 0 {
                        return Err(rejected.error);
                    }
                    break;
                }
            }
        }
        if disk.ncq_in_flight() > 0 {
            let done = disk.ncq_wait()?;
            done.result?;
            if dir == Dir::Read && ok {
                let n = done.count as usize * ss;
                if let Some(bad) = check(&done.buf.as_slice()[..n], done.lba, ss, scratch) {
                    kprintln!("scratch: MISMATCH at sector {bad}");
                    ok = false;
                }
            }
            phase.sectors += u64::from(done.count);
            free.push(done.buf);
        }
    }
    Ok(ok)
}
