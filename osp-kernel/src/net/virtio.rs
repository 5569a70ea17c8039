//! virtio-net over PCI (QEMU's `virtio-net-pci`) through the `virtio-drivers` crate, as a
//! smoltcp device.
//!
//! The crate's `VirtIONetRaw` gives the virtqueues; buffers and their ownership are kept here,
//! so that no call waits for the device: transmit completions are reclaimed when the next
//! packet goes out, and a received buffer is handed back to the device on the next poll after
//! smoltcp has read it.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::ptr::NonNull;

use osp_hal::{DmaAllocator, DmaRegion};
use osp_pci::{Address, BarKind, ConfigAccess, Function};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::Transport;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction, PciRoot};
use virtio_drivers::{BufferDirection, Hal, PAGE_SIZE, PhysAddr};

use super::nic::{Link, Nic, NicStats};
use crate::memory::KernelDma;

/// The virtio vendor ID (virtio 1.2 §4.1.2).
pub const VENDOR: u16 = 0x1af4;
/// The transitional network device ID and the modern one (0x1040 + type 1), virtio 1.2 §4.1.2.
pub const DEVICE_IDS: [u16; 2] = [0x1000, 0x1041];

/// Descriptors per queue; QEMU's virtio-net queues have 256, and the crate caps the size at the
/// device's maximum.
const QUEUE_SIZE: usize = 256;
/// One buffer per frame: the virtio-net header (12 bytes) plus a 1514-byte Ethernet frame
/// (virtio-drivers wants receive buffers of at least 1526 bytes).
const BUF_LEN: usize = 2048;
/// Ethernet frame without FCS at a 1500-byte MTU.
const MTU: usize = 1514;
/// `status` in the device configuration (virtio 1.2 §5.1.4) and its link bit.
const CONFIG_STATUS: usize = 6;
const STATUS_LINK_UP: u16 = 1;

/// `virtio_drivers::Hal` for the kernel's identity-mapped memory: DMA pages from the kernel
/// heap (bus address = virtual address), buffers shared as they are.
pub struct KernelHal;

// SAFETY: `dma_alloc` returns fresh, zeroed, page-aligned heap memory that nothing else uses
// until `dma_dealloc` (or `(0, dangling)`, which the crate treats as failure); MMIO regions are
// mapped uncached at their identity address; identity mapping makes every buffer's virtual
// address its bus address, and x86 keeps write-back RAM coherent with device DMA.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match pages
            .checked_mul(PAGE_SIZE)
            .map(|len| KernelDma.allocate(len, PAGE_SIZE))
        {
            Some(Ok(region)) => (region.bus, region.virt),
            _ => (0, NonNull::dangling()),
        }
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, vaddr: NonNull<u8>, pages: usize) -> i32 {
        let region = DmaRegion {
            virt: vaddr,
            bus: paddr,
            len: pages * PAGE_SIZE,
        };
        // SAFETY: the caller passes back what `dma_alloc` returned for `pages` pages.
        unsafe { KernelDma.deallocate(region) };
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        // The BARs were mapped before the transport was made (`map_bars`); mapping again is a
        // no-op then, and the identity address is the answer either way.
        let _ = crate::memory::map_mmio(paddr, size as u64, crate::memory_map());
        NonNull::new(paddr as *mut u8).unwrap_or(NonNull::dangling())
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        buffer.cast::<u8>().as_ptr() as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

/// `virtio-drivers`' configuration-space interface over the kernel's `osp-pci` mechanism.
struct Cam<'a> {
    access: NonNull<dyn ConfigAccess + 'a>,
    segment: u16,
    _borrow: PhantomData<&'a mut dyn ConfigAccess>,
}

impl<'a> Cam<'a> {
    fn new(access: &'a mut dyn ConfigAccess, segment: u16) -> Self {
        Self {
            access: NonNull::from(access),
            segment,
            _borrow: PhantomData,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut dyn ConfigAccess) -> T) -> T {
        // SAFETY: `access` comes from a `&'a mut` that this `Cam` (and its clones, which the
        // crate only uses for reads) holds for `'a`; the kernel is single-threaded and no
        // access method re-enters, so the reference made here is the only live one.
        f(unsafe { &mut *self.access.as_ptr() })
    }

    fn addr(&self, df: DeviceFunction) -> Address {
        Address::new(self.segment, df.bus, df.device, df.function)
    }
}

impl ConfigurationAccess for Cam<'_> {
    fn read_word(&self, df: DeviceFunction, offset: u8) -> u32 {
        let addr = self.addr(df);
        self.with(|a| a.read32(addr, offset.into()).unwrap_or(u32::MAX))
    }

    fn write_word(&mut self, df: DeviceFunction, offset: u8, data: u32) {
        let addr = self.addr(df);
        self.with(|a| {
            let _ = a.write32(addr, offset.into(), data);
        })
    }

    unsafe fn unsafe_clone(&self) -> Self {
        Self {
            access: self.access,
            segment: self.segment,
            _borrow: PhantomData,
        }
    }
}

/// Maps every memory BAR of `f` (the transport's structures live in them), uncached.
fn map_bars(access: &mut dyn ConfigAccess, f: &Function) -> Result<(), String> {
    let bars = f
        .size_bars(access)
        .map_err(|e| alloc::format!("cannot size the BARs: {e}"))?;
    for bar in bars.iter() {
        if bar.kind == BarKind::Io || bar.address == 0 {
            continue;
        }
        if let Some(size) = bar.size {
            crate::memory::map_mmio(bar.address, size, crate::memory_map()).map_err(|e| {
                alloc::format!("cannot map BAR{} at {:#x}: {e:?}", bar.index, bar.address)
            })?;
        }
    }
    Ok(())
}

/// A virtio-net device with its buffers.
pub struct VirtioNic {
    pci: String,
    mac: [u8; 6],
    link: Link,
    rx: RxSide,
    tx: TxSide,
}

struct RxSide {
    /// The buffer the device holds for each receive token.
    posted: Vec<Option<Box<[u8]>>>,
    /// Buffers smoltcp is done with, to give back to the device.
    returned: Vec<Box<[u8]>>,
}

struct TxSide {
    raw: VirtIONetRaw<KernelHal, PciTransport, QUEUE_SIZE>,
    /// The buffer (and its used length) the device holds for each transmit token.
    in_flight: Vec<Option<(Box<[u8]>, usize)>>,
    free: Vec<Box<[u8]>>,
    /// Buffers made so far (at most `QUEUE_SIZE`).
    made: usize,
    stats: NicStats,
}

fn buffer() -> Box<[u8]> {
    vec![0u8; BUF_LEN].into_boxed_slice()
}

impl VirtioNic {
    /// Brings up the virtio-net function `f`.
    pub fn probe(access: &mut dyn ConfigAccess, f: &Function) -> Result<Self, String> {
        let _ = f.set_memory_decode(access, true);
        let _ = f.set_bus_master(access, true);
        map_bars(access, f)?;
        let a = f.address;
        let df = DeviceFunction {
            bus: a.bus(),
            device: a.device(),
            function: a.function(),
        };
        let mut root = PciRoot::new(Cam::new(access, a.segment()));
        let transport = PciTransport::new::<KernelHal, _>(&mut root, df)
            .map_err(|e| alloc::format!("virtio PCI transport: {e}"))?;
        // The status field exists when the device offers VIRTIO_NET_F_STATUS (bit 16), which
        // the crate negotiates when offered.
        let mut t = transport;
        let link = if t.read_device_features() & (1 << 16) != 0 {
            let status: u16 = t.read_config_space(CONFIG_STATUS).unwrap_or(0);
            Link {
                up: Some(status & STATUS_LINK_UP != 0),
                mbps: None,
            }
        } else {
            Link {
                up: None,
                mbps: None,
            }
        };
        let raw = VirtIONetRaw::<KernelHal, _, QUEUE_SIZE>::new(t)
            .map_err(|e| alloc::format!("virtio-net set-up: {e}"))?;
        let mut nic = Self {
            pci: alloc::format!("{}", a.short()),
            mac: raw.mac_address(),
            link,
            rx: RxSide {
                posted: (0..QUEUE_SIZE).map(|_| None).collect(),
                returned: (0..QUEUE_SIZE).map(|_| buffer()).collect(),
            },
            tx: TxSide {
                raw,
                in_flight: (0..QUEUE_SIZE).map(|_| None).collect(),
                free: Vec::with_capacity(QUEUE_SIZE),
                made: 0,
                stats: NicStats::default(),
            },
        };
        nic.repost();
        Ok(nic)
    }

    /// Gives the buffers smoltcp has finished with back to the device.
    fn repost(&mut self) {
        while let Some(mut buf) = self.rx.returned.pop() {
            // SAFETY: the buffer is a heap allocation owned by `posted` from now until the
            // device returns its token; nothing reads or writes it meanwhile.
            match unsafe { self.tx.raw.receive_begin(&mut buf) } {
                Ok(token) => match self.rx.posted.get_mut(usize::from(token)) {
                    Some(slot @ None) => *slot = Some(buf),
                    // A token the queue should never give: keep the buffer out of reach of
                    // the device-visible ring's bookkeeping rather than free memory it holds.
                    _ => {
                        self.tx.stats.rx_errors += 1;
                        core::mem::forget(buf);
                    }
                },
                Err(_) => {
                    self.rx.returned.push(buf);
                    break;
                }
            }
        }
    }
}

impl TxSide {
    /// Takes back the buffers of transmitted frames.
    fn reclaim(&mut self) {
        for _ in 0..QUEUE_SIZE {
            let Some(token) = self.raw.poll_transmit() else {
                return;
            };
            let Some((buf, len)) = self
                .in_flight
                .get_mut(usize::from(token))
                .and_then(Option::take)
            else {
                // The device completed a token that was never sent: nothing to reclaim, and
                // asking again would return the same token.
                return;
            };
            // SAFETY: `buf[..len]` is exactly what `transmit_begin` got for this token.
            match unsafe { self.raw.transmit_complete(token, &buf[..len]) } {
                Ok(_) => self.free.push(buf),
                Err(_) => {
                    self.stats.tx_dropped += 1;
                    // The queue still refers to the buffer: leave it allocated.
                    core::mem::forget(buf);
                    return;
                }
            }
        }
    }

    /// Whether a frame can be queued now.
    fn ready(&mut self) -> bool {
        self.reclaim();
        self.raw.can_send() && (!self.free.is_empty() || self.made < QUEUE_SIZE)
    }

    fn send<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let mut buf = match self.free.pop() {
            Some(b) => b,
            None => {
                self.made += 1;
                buffer()
            }
        };
        let hdr = self.raw.fill_buffer_header(&mut buf).unwrap_or(0);
        if hdr == 0 || hdr + len > buf.len() {
            // Never for frames up to the MTU smoltcp was told; the frame is dropped.
            let mut scratch = vec![0u8; len];
            self.stats.tx_dropped += 1;
            self.free.push(buf);
            return f(&mut scratch);
        }
        let r = f(&mut buf[hdr..hdr + len]);
        let used = hdr + len;
        // SAFETY: the buffer goes into `in_flight` below and is not touched until the device
        // returns its token (`reclaim`).
        match unsafe { self.raw.transmit_begin(&buf[..used]) } {
            Ok(token) => match self.in_flight.get_mut(usize::from(token)) {
                Some(slot @ None) => {
                    *slot = Some((buf, used));
                    self.stats.tx_packets += 1;
                    self.stats.tx_bytes += len as u64;
                }
                _ => {
                    self.stats.tx_dropped += 1;
                    core::mem::forget(buf);
                }
            },
            Err(_) => {
                self.stats.tx_dropped += 1;
                self.free.push(buf);
            }
        }
        r
    }
}

impl Nic for VirtioNic {
    fn driver(&self) -> &'static str {
        "virtio-net"
    }
    fn pci(&self) -> &str {
        &self.pci
    }
    fn mac(&self) -> [u8; 6] {
        self.mac
    }
    fn link(&mut self) -> Link {
        self.link
    }
    fn stats(&mut self) -> NicStats {
        self.tx.stats
    }
}

/// A received frame: the buffer, where the frame is in it, and where the buffer goes after.
pub struct VirtioRxToken<'a> {
    buf: Box<[u8]>,
    start: usize,
    len: usize,
    returned: &'a mut Vec<Box<[u8]>>,
}

/// Permission to transmit one frame.
pub struct VirtioTxToken<'a> {
    tx: &'a mut TxSide,
}

impl phy::RxToken for VirtioRxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let r = f(&self.buf[self.start..self.start + self.len]);
        self.returned.push(self.buf);
        r
    }
}

impl phy::TxToken for VirtioTxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.tx.send(len, f)
    }
}

impl phy::Device for VirtioNic {
    type RxToken<'a> = VirtioRxToken<'a>;
    type TxToken<'a> = VirtioTxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.repost();
        if !self.tx.ready() {
            return None;
        }
        for _ in 0..QUEUE_SIZE {
            let token = self.tx.raw.poll_receive()?;
            let Some(mut buf) = self
                .rx
                .posted
                .get_mut(usize::from(token))
                .and_then(Option::take)
            else {
                self.tx.stats.rx_errors += 1;
                return None;
            };
            // SAFETY: `buf` is the buffer `receive_begin` was given for this token.
            match unsafe { self.tx.raw.receive_complete(token, &mut buf) } {
                Ok((hdr, len)) if hdr + len <= buf.len() && len > 0 => {
                    self.tx.stats.rx_packets += 1;
                    self.tx.stats.rx_bytes += len as u64;
                    return Some((
                        VirtioRxToken {
                            buf,
                            start: hdr,
                            len,
                            returned: &mut self.rx.returned,
                        },
                        VirtioTxToken { tx: &mut self.tx },
                    ));
                }
                Ok(_) => {
                    self.tx.stats.rx_errors += 1;
                    self.rx.returned.push(buf);
                }
                Err(_) => {
                    self.tx.stats.rx_errors += 1;
                    core::mem::forget(buf);
                    return None;
                }
            }
        }
        None
    }

    fn transmit(&mut self, _: Instant) -> Option<Self::TxToken<'_>> {
        if !self.tx.ready() {
            return None;
        }
        Some(VirtioTxToken { tx: &mut self.tx })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(QUEUE_SIZE / 2);
        caps
    }
}
