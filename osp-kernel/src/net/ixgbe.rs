//! An Intel 82599 port through `osp-ixgbe`, as a smoltcp device.

use alloc::boxed::Box;
use alloc::string::String;
use core::time::Duration;

use osp_hal::Mmio;
use osp_ixgbe::{Config, IxgbePhy, LinkSpeed, Mempool, PhyRxToken, PhyTxToken};
use osp_pci::{BarKind, ConfigAccess, Function};
use smoltcp::phy::{self, DeviceCapabilities};
use smoltcp::time::Instant;

use super::nic::{Link, Nic, NicStats};
use crate::memory::KernelDma;
use crate::tsc::TscClock;

/// Packet buffers: enough for the RX ring (512), the TX ring (512) and smoltcp's batches.
const POOL_BUFFERS: u32 = 2048;
/// One 1514-byte frame per 2 KiB buffer.
const POOL_BUF_SIZE: usize = 2048;
/// How long bring-up waits for the link (an SFP+ link is up in well under a second; a cable
/// that is not plugged in costs this once).
const LINK_WAIT: Duration = Duration::from_secs(5);

type Phy = IxgbePhy<'static, Mmio, KernelDma, TscClock>;

/// An 82599 port with its buffer pool.
pub struct IxgbeNic {
    pci: String,
    phy: Phy,
}

impl IxgbeNic {
    /// Brings up the 82599 function `f` (BAR 0 is its register window).
    pub fn probe(access: &mut dyn ConfigAccess, f: &Function) -> Result<Self, String> {
        let bar = f
            .bar(access, 0)
            .filter(|b| b.kind != BarKind::Io && b.address != 0)
            .ok_or_else(|| String::from("no memory BAR 0"))?;
        let len = osp_ixgbe::regs::WINDOW_LEN;
        let ptr = crate::memory::map_mmio(bar.address, len as u64, crate::memory_map())
            .map_err(|e| alloc::format!("cannot map BAR 0 at {:#x}: {e:?}", bar.address))?;
        let _ = f.set_memory_decode(access, true);
        let _ = f.set_bus_master(access, true);
        // SAFETY: `map_mmio` mapped the register window uncached at its identity address, and
        // this driver alone uses it from now on.
        let regs = unsafe { Mmio::new(ptr, len) };
        let config = Config {
            link_wait: Some(LINK_WAIT),
            ..Config::default()
        };
        let dev = osp_ixgbe::Device::init(regs, KernelDma, TscClock, config)
            .map_err(|e| alloc::format!("82599 bring-up: {e}"))?;
        // The pool lives as long as the kernel serves: the queues borrow it.
        let pool: &'static Mempool<KernelDma> = Box::leak(Box::new(
            Mempool::new(KernelDma, POOL_BUFFERS, POOL_BUF_SIZE)
                .map_err(|e| alloc::format!("packet buffers: {e}"))?,
        ));
        let phy = IxgbePhy::start(dev, pool).map_err(|e| alloc::format!("queues: {e}"))?;
        Ok(Self {
            pci: alloc::format!("{}", f.address.short()),
            phy,
        })
    }
}

impl Nic for IxgbeNic {
    fn driver(&self) -> &'static str {
        "ixgbe"
    }
    fn pci(&self) -> &str {
        &self.pci
    }
    fn mac(&self) -> [u8; 6] {
        self.phy.mac()
    }
    fn link(&mut self) -> Link {
        match self.phy.link() {
            Ok(l) => Link {
                up: Some(l.up),
                mbps: (l.speed != LinkSpeed::Unknown).then(|| l.speed.mbps()),
            },
            Err(_) => Link {
                up: Some(false),
                mbps: None,
            },
        }
    }
    fn stats(&mut self) -> NicStats {
        let nic = self.phy.stats().unwrap_or_default();
        let (rx, tx) = self.phy.queues();
        let (rx, tx) = (rx.stats(), tx.stats());
        NicStats {
            rx_packets: nic.rx_packets,
            rx_bytes: nic.rx_bytes,
            tx_packets: nic.tx_packets,
            tx_bytes: nic.tx_bytes,
            rx_dropped: nic.rx_missed + nic.rx_no_buffer + rx.multi_descriptor,
            tx_dropped: self.phy.tx_dropped() + tx.refused,
            rx_errors: nic.crc_errors + rx.frame_errors + rx.bad_length,
        }
    }
}

impl phy::Device for IxgbeNic {
    type RxToken<'a> = PhyRxToken<'static>;
    type TxToken<'a> = PhyTxToken<'a, 'static, Mmio, KernelDma>;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.phy.receive(now)
    }
    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        self.phy.transmit(now)
    }
    fn capabilities(&self) -> DeviceCapabilities {
        self.phy.capabilities()
    }
}
