//! Advanced RX and TX descriptors (datasheet §7.1.6 and §7.2.3.2.4), 16 bytes, little-endian.
//!
//! Descriptors live in DMA memory the NIC writes at any time, so they are only touched through
//! [`DmaBuffer`]'s volatile accessors, one field at a time, never as references.

use osp_hal::{DmaAllocator, DmaBuffer};

/// Size of one descriptor, read or write-back format.
pub const DESC_LEN: usize = 16;
/// Ring lengths must be a multiple of 128 bytes, i.e. of 8 descriptors (`IXGBE_REQ_*_MULTIPLE`).
pub const RING_MULTIPLE: u16 = 8;

/// RX descriptor fields (§7.1.6.1 read format, §7.1.6.2 write-back format).
pub mod rx {
    /// Read format: packet buffer address (u64 at byte 0).
    pub const PKT_ADDR: usize = 0;
    /// Read format: header buffer address (u64 at byte 8); writing 0 clears `DD`, which the
    /// write-back `status_error` overlays.
    pub const HDR_ADDR: usize = 8;
    /// Write-back: `status_error` (u32 at byte 8): status bits 19:0, errors 31:20.
    pub const STATUS_ERROR: usize = 8;
    /// Write-back: packet length (u16 at byte 12).
    pub const LENGTH: usize = 12;
    /// Write-back: stripped VLAN tag (u16 at byte 14).
    pub const VLAN: usize = 14;

    /// Descriptor done.
    pub const STAT_DD: u32 = 0x01;
    /// End of packet.
    pub const STAT_EOP: u32 = 0x02;
    /// The error bits (31:20).
    pub const ERR_MASK: u32 = 0xFFF0_0000;
    /// Any MAC error (RXE, bit 29): CRC, length, symbol.
    pub const ERR_RXE: u32 = 0x2000_0000;
}

/// TX descriptor fields (§7.2.3.2.4 advanced data descriptor, §7.2.3.2.4 write-back).
pub mod tx {
    /// Read format: buffer address (u64 at byte 0).
    pub const BUFFER_ADDR: usize = 0;
    /// Read format: `cmd_type_len` (u32 at byte 8).
    pub const CMD_TYPE_LEN: usize = 8;
    /// Read format: `olinfo_status` (u32 at byte 12); write-back `status` overlays it.
    pub const OLINFO_STATUS: usize = 12;

    /// Data length (bits 15:0).
    pub const DTALEN_MASK: u32 = 0x0000_FFFF;
    /// Descriptor type (bits 23:20).
    pub const DTYP_MASK: u32 = 0x00F0_0000;
    /// Advanced data descriptor.
    pub const DTYP_DATA: u32 = 0x0030_0000;
    /// End of packet.
    pub const DCMD_EOP: u32 = 0x0100_0000;
    /// Insert FCS.
    pub const DCMD_IFCS: u32 = 0x0200_0000;
    /// Report status: hardware sets `DD` when done.
    pub const DCMD_RS: u32 = 0x0800_0000;
    /// Descriptor extension (advanced format).
    pub const DCMD_DEXT: u32 = 0x2000_0000;
    /// Payload length field shift in `olinfo_status` (bits 31:14).
    pub const PAYLEN_SHIFT: u32 = 14;
    /// Write-back status: descriptor done.
    pub const STAT_DD: u32 = 0x1;

    /// `cmd_type_len` for a single-buffer packet of `len` bytes, with status reporting.
    pub const fn cmd_type_len(len: u16) -> u32 {
        DCMD_EOP | DCMD_RS | DCMD_IFCS | DCMD_DEXT | DTYP_DATA | len as u32
    }
}

const _: () = assert!(tx::cmd_type_len(60) == 0x2B30_003C);

/// What a completed RX write-back says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxWriteBack {
    /// Status and error bits.
    pub status_error: u32,
    /// Length the NIC wrote.
    pub length: u16,
}

impl RxWriteBack {
    /// Whether the descriptor is done.
    pub fn done(&self) -> bool {
        self.status_error & rx::STAT_DD != 0
    }
    /// Whether this is the last descriptor of its packet.
    pub fn end_of_packet(&self) -> bool {
        self.status_error & rx::STAT_EOP != 0
    }
    /// Whether the NIC flagged a frame error.
    pub fn frame_error(&self) -> bool {
        self.status_error & rx::ERR_RXE != 0
    }
}

/// A descriptor ring in DMA memory: `size` (a power of two) descriptors of 16 bytes.
///
/// Indices are masked with `size - 1`, so every access is in bounds by construction and needs
/// no check on the data path; fields are read and written volatile, one at a time.
pub(crate) struct DescRing<A: DmaAllocator> {
    mem: DmaBuffer<A>,
    mask: usize,
}

impl<A: DmaAllocator> DescRing<A> {
    /// Wraps `mem`, which must hold a power-of-two number of descriptors (else `Err(mem)`).
    pub(crate) fn new(mem: DmaBuffer<A>) -> Result<Self, DmaBuffer<A>> {
        let n = mem.len() / DESC_LEN;
        if n == 0 || !n.is_power_of_two() || mem.len() % DESC_LEN != 0 || mem.bus_addr() % 16 != 0 {
            return Err(mem);
        }
        Ok(Self { mask: n - 1, mem })
    }

    /// Pointer to field `off` (a `T`, within the 16 bytes, aligned) of descriptor `i mod size`.
    #[inline(always)]
    fn field<T: osp_hal::DmaValue>(&self, i: usize, off: usize) -> *mut T {
        debug_assert!(off + core::mem::size_of::<T>() <= DESC_LEN);
        debug_assert!(off % core::mem::align_of::<T>() == 0);
        let at = (i & self.mask) * DESC_LEN + off;
        // SAFETY: `i & mask < size` and `off + size_of::<T>() <= 16`, so the field lies inside
        // the region of `size * 16` bytes; the region's start is 16-byte aligned (checked in
        // `new` on the bus side, and the allocator aligns host and bus alike), so is the field.
        unsafe { self.mem.as_ptr().add(at).cast() }
    }

    #[inline(always)]
    fn read<T: osp_hal::DmaValue>(&self, i: usize, off: usize) -> T {
        // SAFETY: `field` is in bounds and aligned, the memory lives as long as `self`, and any
        // bit pattern is a valid `T`; volatile because the NIC writes it concurrently.
        unsafe { self.field::<T>(i, off).read_volatile() }
    }

    #[inline(always)]
    fn write<T: osp_hal::DmaValue>(&mut self, i: usize, off: usize, v: T) {
        // SAFETY: as in `read`; `&mut self` makes this the only CPU-side writer.
        unsafe { self.field::<T>(i, off).write_volatile(v) }
    }

    /// Descriptor `i`'s write-back status word.
    #[inline(always)]
    pub(crate) fn rx_status(&self, i: usize) -> u32 {
        self.read(i, rx::STATUS_ERROR)
    }

    /// Descriptor `i`'s write-back length.
    #[inline(always)]
    pub(crate) fn rx_length(&self, i: usize) -> u16 {
        self.read(i, rx::LENGTH)
    }

    /// Writes descriptor `i` in read format: buffer `bus` for the NIC (clears `DD`).
    #[inline(always)]
    pub(crate) fn rx_arm(&mut self, i: usize, bus: u64) {
        self.write(i, rx::PKT_ADDR, bus);
        self.write(i, rx::HDR_ADDR, 0u64);
    }

    /// Writes TX descriptor `i` for one packet of `len` bytes at `bus`.
    #[inline(always)]
    pub(crate) fn tx_fill(&mut self, i: usize, bus: u64, len: u16) {
        self.write(i, tx::BUFFER_ADDR, bus);
        self.write(i, tx::CMD_TYPE_LEN, tx::cmd_type_len(len));
        self.write(i, tx::OLINFO_STATUS, u32::from(len) << tx::PAYLEN_SHIFT);
    }

    /// Whether TX descriptor `i` has been written back as done.
    #[inline(always)]
    pub(crate) fn tx_done(&self, i: usize) -> bool {
        self.read::<u32>(i, tx::OLINFO_STATUS) & tx::STAT_DD != 0
    }
}
