//! Ready-made set-ups over the model, shared by tests, the fuzz target, examples and benches.

use std::time::Duration;
use std::vec::Vec;

use osp_hal::sim::{SimClock, SimMemory};

use super::{ModelConfig, SimNic};
use crate::{Config, Device, Mempool, PacketBuf, desc};

/// A device on the model, with its memory and clock.
pub type SimDevice<'m> = Device<SimNic, &'m SimMemory, SimClock>;

/// Brings up a model port with `config` and waits for its link.
pub fn bring_up<'m>(
    mem: &'m SimMemory,
    clock: &SimClock,
    nic: &SimNic,
    config: Config,
) -> Result<SimDevice<'m>, crate::Error> {
    let mut dev = Device::init(nic.clone(), mem, clock.clone(), config)?;
    dev.wait_for_link(Duration::from_secs(1))?;
    Ok(dev)
}

/// Feeds arbitrary RX write-backs to a running queue and checks the driver's invariants:
/// nothing panics, every packet handed out fits its buffer, and after teardown every buffer is
/// back in the pool exactly once. `data` is read as 16-byte records
/// `[index, flags, len_lo, len_hi, err, ...]`. Returns the packets delivered.
pub fn rx_writeback_case(data: &[u8]) -> usize {
    let mem = SimMemory::new();
    let clock = SimClock::new();
    let nic = SimNic::new(&mem, &clock, ModelConfig::new(1));
    let config = Config {
        rx_ring_size: 16,
        tx_ring_size: 16,
        ..Config::default()
    };
    let Ok(mut dev) = bring_up(&mem, &clock, &nic, config) else {
        panic!("model bring-up")
    };
    let pool = Mempool::new(&mem, 64, 2048).expect("pool");
    let mut delivered = 0;
    {
        let mut rxq = dev.start_rx_queue(0, &pool).expect("rx queue");
        let ring_bus = u64::from(nic.peek(crate::regs::rdbal(0)))
            | (u64::from(nic.peek(crate::regs::rdbah(0))) << 32);
        let mut out: [Option<PacketBuf<'_>>; 8] = Default::default();
        let mut held: Vec<PacketBuf<'_>> = Vec::new();
        for rec in data.chunks(16) {
            let mut r = [0u8; 16];
            r[..rec.len()].copy_from_slice(rec);
            let i = u64::from(r[0] % 16);
            let status = u32::from(r[1] & 0x03) | (u32::from(r[4]) << 24);
            let len = u16::from_le_bytes([r[2], r[3]]);
            let wb_addr = ring_bus + i * desc::DESC_LEN as u64;
            let _ = mem.write_u32(wb_addr + 8, status);
            let _ = mem.write(wb_addr + 12, &len.to_le_bytes());
            if r[5] & 1 == 1 {
                nic.inject(&frame(&dev.mac(), usize::from(r[6]) * 8 + 14));
                nic.step();
            }
            let n = rxq.rx_batch(&mut out[..1 + usize::from(r[7] % 8)]);
            for slot in out[..n].iter_mut() {
                let p = slot.take().expect("rx_batch filled its count");
                assert!(!p.is_empty() && p.len() <= p.capacity());
                let _ = p.iter().fold(0u8, |a, b| a ^ b);
                delivered += 1;
                if r[8] & 1 == 1 && held.len() < 16 {
                    held.push(p);
                }
            }
            if r[9] & 1 == 1 {
                held.clear();
            }
        }
        drop(held);
    }
    assert_eq!(
        pool.free_count(),
        pool.capacity(),
        "every buffer back exactly once"
    );
    delivered
}

/// An Ethernet frame of `len` bytes to `dst`, with a recognisable payload.
pub fn frame(dst: &[u8; 6], len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len.max(14)).map(|i| (i * 7 + 3) as u8).collect();
    f[..6].copy_from_slice(dst);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0xEE]);
    f[12..14].copy_from_slice(&[0x88, 0xB5]);
    f
}
