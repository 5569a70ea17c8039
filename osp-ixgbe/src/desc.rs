//! Advanced RX and TX descriptors (datasheet §7.1.6 and §7.2.3.2.4), 16 bytes, little-endian.
//!
//! Descriptors live in DMA memory the NIC writes at any time, so they are only touched through
//! [`DmaBuffer`]'s volatile accessors, one field at a time, never as references.

#![forbid(unsafe_code)]

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

/// Reads descriptor `i`'s write-back status word.
#[inline(always)]
pub(crate) fn rx_status<A: DmaAllocator>(ring: &DmaBuffer<A>, i: usize) -> u32 {
    ring.read::<u32>(i * DESC_LEN + rx::STATUS_ERROR)
}

/// Reads descriptor `i`'s write-back length.
#[inline(always)]
pub(crate) fn rx_length<A: DmaAllocator>(ring: &DmaBuffer<A>, i: usize) -> u16 {
    ring.read::<u16>(i * DESC_LEN + rx::LENGTH)
}

/// Writes descriptor `i` in read format: give buffer `bus` to the NIC (clears `DD`).
#[inline(always)]
pub(crate) fn rx_arm<A: DmaAllocator>(ring: &mut DmaBuffer<A>, i: usize, bus: u64) {
    ring.write::<u64>(i * DESC_LEN + rx::PKT_ADDR, bus);
    ring.write::<u64>(i * DESC_LEN + rx::HDR_ADDR, 0);
}

/// Writes TX descriptor `i` for one packet of `len` bytes at `bus`.
#[inline(always)]
pub(crate) fn tx_fill<A: DmaAllocator>(ring: &mut DmaBuffer<A>, i: usize, bus: u64, len: u16) {
    ring.write::<u64>(i * DESC_LEN + tx::BUFFER_ADDR, bus);
    ring.write::<u32>(i * DESC_LEN + tx::CMD_TYPE_LEN, tx::cmd_type_len(len));
    ring.write::<u32>(
        i * DESC_LEN + tx::OLINFO_STATUS,
        u32::from(len) << tx::PAYLEN_SHIFT,
    );
}

/// Whether TX descriptor `i` has been written back as done.
#[inline(always)]
pub(crate) fn tx_done<A: DmaAllocator>(ring: &DmaBuffer<A>, i: usize) -> bool {
    ring.read::<u32>(i * DESC_LEN + tx::OLINFO_STATUS) & tx::STAT_DD != 0
}
