//! In-memory DMA structures: FISes, command headers, command tables and PRDTs (AHCI 1.3.1 §4,
//! SATA 3.x §10.5).
//!
//! Each structure is a `#[repr(C)]` plain-old-data type with its size pinned by
//! `static_assertions`; the driver writes them into DMA memory dword by dword with volatile
//! stores, and the simulated HBA reads them back with the same types.

#![forbid(unsafe_code)]

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// FIS type codes (SATA §10.5).
pub mod fis_type {
    /// Register FIS, host to device.
    pub const REG_H2D: u8 = 0x27;
    /// Register FIS, device to host.
    pub const REG_D2H: u8 = 0x34;
    /// DMA activate.
    pub const DMA_ACT: u8 = 0x39;
    /// DMA setup.
    pub const DMA_SETUP: u8 = 0x41;
    /// Data.
    pub const DATA: u8 = 0x46;
    /// PIO setup.
    pub const PIO_SETUP: u8 = 0x5F;
    /// Set device bits.
    pub const SET_DEVICE_BITS: u8 = 0xA1;
}

/// ATA command codes this driver issues (ACS-3 §7).
pub mod ata_cmd {
    /// IDENTIFY DEVICE (PIO data-in, 512 bytes).
    pub const IDENTIFY: u8 = 0xEC;
    /// READ DMA EXT (48-bit).
    pub const READ_DMA_EXT: u8 = 0x25;
    /// WRITE DMA EXT (48-bit).
    pub const WRITE_DMA_EXT: u8 = 0x35;
    /// READ DMA (28-bit).
    pub const READ_DMA: u8 = 0xC8;
    /// WRITE DMA (28-bit).
    pub const WRITE_DMA: u8 = 0xCA;
    /// FLUSH CACHE EXT.
    pub const FLUSH_CACHE_EXT: u8 = 0xEA;
    /// FLUSH CACHE.
    pub const FLUSH_CACHE: u8 = 0xE7;
    /// READ FPDMA QUEUED (NCQ).
    pub const READ_FPDMA_QUEUED: u8 = 0x60;
    /// WRITE FPDMA QUEUED (NCQ).
    pub const WRITE_FPDMA_QUEUED: u8 = 0x61;
}

/// Offsets inside the received-FIS area (§4.2.1).
pub mod rfis {
    /// DMA setup FIS.
    pub const DSFIS: usize = 0x00;
    /// PIO setup FIS.
    pub const PSFIS: usize = 0x20;
    /// D2H register FIS.
    pub const RFIS: usize = 0x40;
    /// Set device bits FIS.
    pub const SDBFIS: usize = 0x58;
    /// Unknown FIS.
    pub const UFIS: usize = 0x60;
    /// Size of the area without FIS-based switching.
    pub const LEN: usize = 0x100;
    /// Required alignment without FIS-based switching.
    pub const ALIGN: usize = 0x100;
}

/// Register FIS, host to device (SATA §10.5.5): 20 bytes, the command FIS of a command table.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct H2dFis {
    /// [`fis_type::REG_H2D`].
    pub fis_type: u8,
    /// Bit 7: C (command, not device control); bits 3:0: port multiplier port.
    pub flags: u8,
    /// ATA command.
    pub command: u8,
    /// Features 7:0.
    pub feature_lo: u8,
    /// LBA 7:0.
    pub lba0: u8,
    /// LBA 15:8.
    pub lba1: u8,
    /// LBA 23:16.
    pub lba2: u8,
    /// Device register (bit 6 LBA mode; bit 7 FUA for NCQ).
    pub device: u8,
    /// LBA 31:24.
    pub lba3: u8,
    /// LBA 39:32.
    pub lba4: u8,
    /// LBA 47:40.
    pub lba5: u8,
    /// Features 15:8.
    pub feature_hi: u8,
    /// Count 7:0 (for NCQ: the tag in bits 7:3).
    pub count_lo: u8,
    /// Count 15:8.
    pub count_hi: u8,
    /// Isochronous command completion.
    pub icc: u8,
    /// Device control.
    pub control: u8,
    /// Auxiliary (reserved for the commands used here).
    pub aux: [u8; 4],
}

/// Device register bit 6: the address is an LBA.
pub const DEVICE_LBA: u8 = 1 << 6;
/// H2D flags bit 7: the FIS carries a command.
pub const H2D_C: u8 = 1 << 7;

impl H2dFis {
    /// A command FIS for `command` with nothing else set.
    pub fn command(command: u8) -> Self {
        Self {
            fis_type: fis_type::REG_H2D,
            flags: H2D_C,
            command,
            ..Self::default()
        }
    }

    /// A 48-bit LBA command transferring `count` sectors (0 = 65536).
    pub fn lba48(command: u8, lba: u64, count: u16) -> Self {
        let mut f = Self::command(command);
        f.set_lba(lba);
        f.device = DEVICE_LBA;
        [f.count_lo, f.count_hi] = count.to_le_bytes();
        f
    }

    /// A 28-bit LBA command transferring `count` sectors (0 = 256).
    pub fn lba28(command: u8, lba: u32, count: u8) -> Self {
        let mut f = Self::command(command);
        f.set_lba(u64::from(lba & 0x00FF_FFFF));
        f.device = DEVICE_LBA | ((lba >> 24) as u8 & 0x0F);
        f.count_lo = count;
        f
    }

    /// An NCQ (FPDMA QUEUED) command: the count goes in the features, the tag in count 7:3.
    pub fn fpdma(command: u8, lba: u64, count: u16, tag: u8, fua: bool) -> Self {
        let mut f = Self::command(command);
        f.set_lba(lba);
        f.device = DEVICE_LBA | if fua { 0x80 } else { 0 };
        [f.feature_lo, f.feature_hi] = count.to_le_bytes();
        f.count_lo = (tag & 0x1F) << 3;
        f
    }

    fn set_lba(&mut self, lba: u64) {
        let b = lba.to_le_bytes();
        (self.lba0, self.lba1, self.lba2) = (b[0], b[1], b[2]);
        (self.lba3, self.lba4, self.lba5) = (b[3], b[4], b[5]);
    }

    /// The 48-bit LBA.
    pub fn lba(&self) -> u64 {
        u64::from_le_bytes([
            self.lba0, self.lba1, self.lba2, self.lba3, self.lba4, self.lba5, 0, 0,
        ])
    }

    /// The 16-bit count field.
    pub fn count(&self) -> u16 {
        u16::from_le_bytes([self.count_lo, self.count_hi])
    }

    /// The 16-bit features field.
    pub fn features(&self) -> u16 {
        u16::from_le_bytes([self.feature_lo, self.feature_hi])
    }

    /// The FIS as five little-endian dwords (the command FIS length, CFL = 5).
    pub fn dwords(&self) -> [u32; 5] {
        let mut out = [0u32; 5];
        for (d, c) in out.iter_mut().zip(self.as_bytes().chunks_exact(4)) {
            *d = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        out
    }
}

/// Register FIS, device to host (SATA §10.5.6): status and error after a command or reset.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct D2hFis {
    /// [`fis_type::REG_D2H`].
    pub fis_type: u8,
    /// Bit 6: interrupt; bits 3:0: port multiplier port.
    pub flags: u8,
    /// ATA status.
    pub status: u8,
    /// ATA error.
    pub error: u8,
    /// LBA 7:0.
    pub lba0: u8,
    /// LBA 15:8.
    pub lba1: u8,
    /// LBA 23:16.
    pub lba2: u8,
    /// Device.
    pub device: u8,
    /// LBA 31:24.
    pub lba3: u8,
    /// LBA 39:32.
    pub lba4: u8,
    /// LBA 47:40.
    pub lba5: u8,
    /// Reserved.
    pub rsv0: u8,
    /// Count 7:0.
    pub count_lo: u8,
    /// Count 15:8.
    pub count_hi: u8,
    /// Reserved.
    pub rsv1: [u8; 6],
}

/// Set Device Bits FIS (SATA §10.5.7): NCQ completions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SdbFis {
    /// [`fis_type::SET_DEVICE_BITS`].
    pub fis_type: u8,
    /// Bit 6: interrupt; bit 7: notification.
    pub flags: u8,
    /// Status bits 6:4 and 2:0.
    pub status: u8,
    /// ATA error.
    pub error: u8,
    /// Completed tags (bit n = tag n done).
    pub sactive: u32,
}

/// PIO Setup FIS (SATA §10.5.11), sent before PIO data-in such as IDENTIFY.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct PioSetupFis {
    /// [`fis_type::PIO_SETUP`].
    pub fis_type: u8,
    /// Bit 5: direction (1 = device to host); bit 6: interrupt.
    pub flags: u8,
    /// Status before the transfer.
    pub status: u8,
    /// Error.
    pub error: u8,
    /// LBA and device bytes (unused here).
    pub lba_dev: [u8; 8],
    /// Count.
    pub count: [u8; 2],
    /// Reserved.
    pub rsv0: u8,
    /// Status after the transfer.
    pub e_status: u8,
    /// Transfer count in bytes.
    pub transfer_count: u16,
    /// Reserved.
    pub rsv1: [u8; 2],
}

/// Command header (§4.2.2): one of the 32 entries of a port's command list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct CommandHeader {
    /// CFL 4:0, A 5, W 6, P 7, R 8, B 9, C 10, PMP 15:12, PRDTL 31:16.
    pub dw0: u32,
    /// PRD byte count: bytes transferred, written back by the HBA.
    pub prdbc: u32,
    /// Command table base address, low (128-byte aligned).
    pub ctba: u32,
    /// Command table base address, high.
    pub ctbau: u32,
    /// Reserved.
    pub rsv: [u32; 4],
}

/// Command header DW0 bit 6: the command writes to the device.
pub const HDR_WRITE: u32 = 1 << 6;
/// Command header DW0 bit 10: clear PxTFD.BSY and PxCI on R_OK.
pub const HDR_CLEAR_BUSY: u32 = 1 << 10;

impl CommandHeader {
    /// A header for a command table at `ctba` with `prdtl` entries; `write` for host-to-device
    /// data. The command FIS is five dwords long.
    pub fn new(ctba: u64, prdtl: u16, write: bool) -> Self {
        let cfl = (size_of::<H2dFis>() / 4) as u32;
        let dw0 = cfl | if write { HDR_WRITE } else { 0 } | (u32::from(prdtl) << 16);
        Self {
            dw0,
            prdbc: 0,
            ctba: ctba as u32,
            ctbau: (ctba >> 32) as u32,
            rsv: [0; 4],
        }
    }

    /// Command FIS length in dwords.
    pub fn cfl(&self) -> u32 {
        self.dw0 & 0x1F
    }

    /// Whether the data moves host to device.
    pub fn is_write(&self) -> bool {
        self.dw0 & HDR_WRITE != 0
    }

    /// Number of PRDT entries.
    pub fn prdtl(&self) -> u16 {
        (self.dw0 >> 16) as u16
    }

    /// The command table's bus address.
    pub fn ctba(&self) -> u64 {
        u64::from(self.ctba) | (u64::from(self.ctbau) << 32)
    }
}

/// Physical region descriptor (§4.2.3.3): one scatter-gather segment of a command.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct PrdtEntry {
    /// Data base address, low (bit 0 must be 0).
    pub dba: u32,
    /// Data base address, high.
    pub dbau: u32,
    /// Reserved.
    pub rsv: u32,
    /// DBC 21:0 (byte count − 1, odd, so the count is even), I 31 (interrupt on completion).
    pub dw3: u32,
}

/// Largest byte count one PRDT entry can describe (DBC is 22 bits).
pub const PRD_MAX_BYTES: usize = 4 << 20;

impl PrdtEntry {
    /// A segment of `len` bytes (even, 2..=4 MiB) at `bus`.
    pub fn new(bus: u64, len: usize) -> Self {
        Self {
            dba: bus as u32,
            dbau: (bus >> 32) as u32,
            rsv: 0,
            dw3: (len.saturating_sub(1) as u32) & 0x3F_FFFF,
        }
    }

    /// The segment's bus address.
    pub fn addr(&self) -> u64 {
        u64::from(self.dba) | (u64::from(self.dbau) << 32)
    }

    /// The segment's length in bytes.
    pub fn len(&self) -> usize {
        (self.dw3 & 0x3F_FFFF) as usize + 1
    }

    /// Always false: a segment holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Command table layout (§4.2.3).
pub mod table {
    /// Command FIS.
    pub const CFIS: usize = 0x00;
    /// ATAPI command.
    pub const ACMD: usize = 0x40;
    /// First PRDT entry.
    pub const PRDT: usize = 0x80;
    /// Required alignment of a command table.
    pub const ALIGN: usize = 128;
}

/// Command list: 32 headers, 1 KiB aligned (§4.2.2).
pub const COMMAND_LIST_LEN: usize = 32 * size_of::<CommandHeader>();
/// Required alignment of the command list.
pub const COMMAND_LIST_ALIGN: usize = 1024;

static_assertions::assert_eq_size!(H2dFis, [u8; 20]);
static_assertions::assert_eq_size!(D2hFis, [u8; 20]);
static_assertions::assert_eq_size!(SdbFis, [u8; 8]);
static_assertions::assert_eq_size!(PioSetupFis, [u8; 20]);
static_assertions::assert_eq_size!(CommandHeader, [u8; 32]);
static_assertions::assert_eq_size!(PrdtEntry, [u8; 16]);
static_assertions::const_assert_eq!(COMMAND_LIST_LEN, 1024);
static_assertions::const_assert!(rfis::SDBFIS + size_of::<SdbFis>() <= rfis::UFIS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ncq_fis_puts_count_in_features_and_tag_in_count() {
        let f = H2dFis::fpdma(ata_cmd::READ_FPDMA_QUEUED, 0x1234_5678_9ABC, 8, 1, false);
        assert_eq!(f.features(), 8);
        assert_eq!(f.count_lo, 1 << 3);
        assert_eq!(f.lba(), 0x1234_5678_9ABC);
        assert_eq!(f.device, 0x40);
        assert_eq!(f.dwords()[0], 0x0860_8027);
    }

    #[test]
    fn header_and_prd_encode_lengths_as_the_spec_says() {
        let h = CommandHeader::new(0x1_2345_6780, 3, true);
        assert_eq!(h.dw0, 5 | (1 << 6) | (3 << 16));
        assert_eq!(
            (h.cfl(), h.prdtl(), h.is_write(), h.ctba()),
            (5, 3, true, 0x1_2345_6780)
        );
        let p = PrdtEntry::new(0xABCD_0000_1000, 4096);
        assert_eq!(p.dw3, 4095);
        assert_eq!((p.addr(), p.len()), (0xABCD_0000_1000, 4096));
        assert_eq!(PrdtEntry::new(0, PRD_MAX_BYTES).len(), PRD_MAX_BYTES);
    }

    #[test]
    fn lba28_puts_the_top_nibble_in_the_device_register() {
        let f = H2dFis::lba28(ata_cmd::READ_DMA, 0x0ABC_DEF1, 4);
        assert_eq!(f.device, 0x40 | 0x0A);
        assert_eq!(f.lba() & 0xFF_FFFF, 0xBC_DEF1);
    }
}
