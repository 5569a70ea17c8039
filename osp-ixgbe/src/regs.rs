//! 82599 register map: offsets and bits (datasheet chapter 8, "Programming Interface").
//!
//! Every value is taken from Intel's shared `ixgbe_type.h` (via `ixgbe_regs.tsv`, where both the
//! 2015 DPDK copy and the 2025 out-of-tree Linux copy agree). Per-queue registers are `const fn`s
//! of the queue number, so logic never adds offsets by hand. The unit test at the bottom checks
//! every constant here against the facts table by name.

#![forbid(unsafe_code)]

/// Number of RX and TX queues the 82599 has (datasheet §1.3: 128 each).
pub const MAX_QUEUES: u16 = 128;

// --- §8.2.3.1 General control -------------------------------------------------------------

/// Device Control (§8.2.3.1.1).
pub const CTRL: usize = 0x00000;
/// Device Status (§8.2.3.1.2).
pub const STATUS: usize = 0x00008;
/// Extended Device Control (§8.2.3.1.3).
pub const CTRL_EXT: usize = 0x00018;
/// EEPROM/Flash Control (§8.2.3.2.1).
pub const EEC: usize = 0x10010;
/// Software Semaphore (§8.2.3.7.1).
pub const SWSM: usize = 0x10140;
/// Software–Firmware Synchronization, `GSSR` in Intel's header (§8.2.3.7.2).
pub const SW_FW_SYNC: usize = 0x10160;

/// `CTRL` bits.
pub mod ctrl {
    /// Link reset (bit 3).
    pub const LNK_RST: u32 = 0x0000_0008;
    /// Software reset, self-clearing (bit 26).
    pub const RST: u32 = 0x0400_0000;
    /// What a global reset writes (§4.6.3.2).
    pub const RST_MASK: u32 = LNK_RST | RST;
}

/// `CTRL_EXT` bits.
pub mod ctrl_ext {
    /// No-snoop disable (bit 16), set during RX init (§4.6.7).
    pub const NS_DIS: u32 = 0x0001_0000;
    /// Driver loaded (bit 28).
    pub const DRV_LOAD: u32 = 0x1000_0000;
}

/// `EEC` bits.
pub mod eec {
    /// EEPROM present (bit 8).
    pub const PRES: u32 = 0x0000_0100;
    /// EEPROM auto-read done (bit 9), polled after reset (§4.6.3).
    pub const ARD: u32 = 0x0000_0200;
}

/// `SWSM` bits (§10.5.4 software/firmware synchronisation).
pub mod swsm {
    /// Software semaphore: reads 0 once, then hardware sets it (bit 0).
    pub const SMBI: u32 = 0x0000_0001;
    /// Software/firmware semaphore (bit 1).
    pub const SWESMBI: u32 = 0x0000_0002;
}

/// `SW_FW_SYNC` bits: software owns bits 4:0, firmware the same resources at bits 9:5.
pub mod sw_fw_sync {
    /// The MAC CSR resource (AUTOC and friends), software bit.
    pub const MAC_CSR_SM: u32 = 0x0008;
    /// Distance from a software bit to the firmware bit of the same resource.
    pub const FW_SHIFT: u32 = 5;
}

// --- §8.2.3.5 Interrupts --------------------------------------------------------------------

/// Extended Interrupt Cause Read (§8.2.3.5.1).
pub const EICR: usize = 0x00800;
/// Extended Interrupt Mask Set (§8.2.3.5.3).
pub const EIMS: usize = 0x00880;
/// Extended Interrupt Mask Clear (§8.2.3.5.4).
pub const EIMC: usize = 0x00888;
/// What masks every interrupt cause (`IXGBE_IRQ_CLEAR_MASK`; bit 31 is reserved and ignored).
pub const IRQ_CLEAR_MASK: u32 = 0xFFFF_FFFF;

// --- §8.2.3.8 Receive DMA -------------------------------------------------------------------

const fn rxq(base_lo: usize, base_hi: usize, i: u16) -> usize {
    let i = i as usize;
    if i < 64 {
        base_lo + i * 0x40
    } else {
        base_hi + (i - 64) * 0x40
    }
}

/// RX Descriptor Base Address Low, queue `i` (§8.2.3.8.1).
pub const fn rdbal(i: u16) -> usize {
    rxq(0x01000, 0x0D000, i)
}
/// RX Descriptor Base Address High (§8.2.3.8.2).
pub const fn rdbah(i: u16) -> usize {
    rxq(0x01004, 0x0D004, i)
}
/// RX Descriptor ring length in bytes, a multiple of 128 (§8.2.3.8.3).
pub const fn rdlen(i: u16) -> usize {
    rxq(0x01008, 0x0D008, i)
}
/// RX Descriptor Head (§8.2.3.8.4).
pub const fn rdh(i: u16) -> usize {
    rxq(0x01010, 0x0D010, i)
}
/// RX Descriptor Tail (§8.2.3.8.5).
pub const fn rdt(i: u16) -> usize {
    rxq(0x01018, 0x0D018, i)
}
/// RX Descriptor Control (§8.2.3.8.6).
pub const fn rxdctl(i: u16) -> usize {
    rxq(0x01028, 0x0D028, i)
}
/// Split and Replication RX Control (§8.2.3.8.7).
pub const fn srrctl(i: u16) -> usize {
    if i <= 15 {
        0x02100 + i as usize * 4
    } else {
        rxq(0x01014, 0x0D014, i)
    }
}
/// RX DCA control (§8.2.3.11.1).
pub const fn dca_rxctrl(i: u16) -> usize {
    if i <= 15 {
        0x02200 + i as usize * 4
    } else {
        rxq(0x0100C, 0x0D00C, i)
    }
}
/// RX DMA Control (§8.2.3.8.8).
pub const RDRXCTL: usize = 0x02F00;
/// RX Packet Buffer Size, traffic class `i` (§8.2.3.8.9).
pub const fn rxpbsize(i: u16) -> usize {
    0x03C00 + i as usize * 4
}
/// Receive Control (§8.2.3.8.10).
pub const RXCTRL: usize = 0x03000;
/// Security RX Control (§8.2.3.12.5).
pub const SECRXCTRL: usize = 0x08D00;
/// Security RX Status (§8.2.3.12.6).
pub const SECRXSTAT: usize = 0x08D04;

/// `RXDCTL` bits.
pub mod rxdctl {
    /// Queue enable (bit 25); reads back set once the queue runs.
    pub const ENABLE: u32 = 0x0200_0000;
}
/// `SRRCTL` fields.
pub mod srrctl {
    /// Packet buffer size shift: the field holds bytes >> 10.
    pub const BSIZEPKT_SHIFT: u32 = 10;
    /// Packet buffer size field (1 KiB units).
    pub const BSIZEPKT_MASK: u32 = 0x0000_007F;
    /// Descriptor type field (bits 27:25).
    pub const DESCTYPE_MASK: u32 = 0x0E00_0000;
    /// Advanced descriptors, one buffer.
    pub const DESCTYPE_ADV_ONEBUF: u32 = 0x0200_0000;
    /// Drop packets when no descriptor is free instead of filling the packet buffer.
    pub const DROP_EN: u32 = 0x1000_0000;
}
/// `RDRXCTL` bits.
pub mod rdrxctl {
    /// Strip CRC (must match `HLREG0.RXCRCSTRP`).
    pub const CRCSTRIP: u32 = 0x0000_0002;
    /// DMA init done (bit 3).
    pub const DMAIDONE: u32 = 0x0000_0008;
    /// RSC first size (bits 21:17): must be 0 (§4.6.7).
    pub const RSCFRSTSIZE: u32 = 0x003E_0000;
    /// RSC ACK coalescing: must be 1.
    pub const RSCACKC: u32 = 0x0200_0000;
    /// FCoE write fix: must be 1.
    pub const FCOE_WRFIX: u32 = 0x0400_0000;
}
/// `RXCTRL` bits.
pub mod rxctrl {
    /// Receive enable.
    pub const RXEN: u32 = 0x0000_0001;
}
/// `SECRXCTRL` / `SECRXSTAT` bits.
pub mod secrx {
    /// `SECRXCTRL.RX_DIS`: stop the RX security block.
    pub const RX_DIS: u32 = 0x0000_0002;
    /// `SECRXSTAT.SECRX_RDY`: the block is idle.
    pub const SECRX_RDY: u32 = 0x0000_0001;
}
/// Packet buffer size encodings.
pub mod pbsize {
    /// 128 KiB for RX packet buffer 0 (`IXGBE_RXPBSIZE_128KB`).
    pub const RX_128KB: u32 = 0x0002_0000;
    /// 40 KiB for TX packet buffer 0 (`IXGBE_TXPBSIZE_40KB`).
    pub const TX_40KB: u32 = 0x0000_A000;
}

/// The DCA_RXCTRL bit that resets to 1 and must be cleared (§4.6.7, "RX arbitration").
pub const DCA_RXCTRL_BIT12: u32 = 1 << 12;

// --- §8.2.3.7 Receive filters and MAC -----------------------------------------------------

/// Filter Control (§8.2.3.7.1).
pub const FCTRL: usize = 0x05080;
/// Receive Address Low, entry `i` (§8.2.3.7.9).
pub const fn ral(i: u16) -> usize {
    if i <= 15 {
        0x05400 + i as usize * 8
    } else {
        0x0A200 + i as usize * 8
    }
}
/// Receive Address High, entry `i` (§8.2.3.7.10).
pub const fn rah(i: u16) -> usize {
    if i <= 15 {
        0x05404 + i as usize * 8
    } else {
        0x0A204 + i as usize * 8
    }
}
/// MAC Core Control 0 (§8.2.3.22.8).
pub const HLREG0: usize = 0x04240;
/// Auto-Negotiation Control (§8.2.3.22.19).
pub const AUTOC: usize = 0x042A0;
/// Link Status (§8.2.3.22.20).
pub const LINKS: usize = 0x042A4;
/// Auto-Negotiation Control 2 (§8.2.3.22.21).
pub const AUTOC2: usize = 0x042A8;

/// `FCTRL` bits.
pub mod fctrl {
    /// Multicast promiscuous.
    pub const MPE: u32 = 0x0000_0100;
    /// Unicast promiscuous.
    pub const UPE: u32 = 0x0000_0200;
    /// Broadcast accept.
    pub const BAM: u32 = 0x0000_0400;
}
/// `RAH` bits.
pub mod rah {
    /// Address valid.
    pub const AV: u32 = 0x8000_0000;
}
/// `HLREG0` bits.
pub mod hlreg0 {
    /// TX CRC enable.
    pub const TXCRCEN: u32 = 0x0000_0001;
    /// RX CRC strip.
    pub const RXCRCSTRP: u32 = 0x0000_0002;
    /// Pad short frames to 64 bytes.
    pub const TXPADEN: u32 = 0x0000_0400;
}
/// `AUTOC` fields.
pub mod autoc {
    /// Restart auto-negotiation (bit 12).
    pub const AN_RESTART: u32 = 0x0000_1000;
    /// Link mode select (bits 15:13).
    pub const LMS_MASK: u32 = 0x7 << 13;
    /// LMS = 3: 10G serial.
    pub const LMS_10G_SERIAL: u32 = 0x3 << 13;
    /// 10G parallel PMA/PMD (bits 8:7).
    pub const PMA_PMD_10G_MASK: u32 = 0x0000_0180;
    /// 10G PMA/PMD = XAUI.
    pub const PMA_PMD_10G_XAUI: u32 = 0;
}
/// `AUTOC2` fields.
pub mod autoc2 {
    /// 10G serial PMA/PMD (bits 17:16).
    pub const SERIAL_PMA_PMD_MASK: u32 = 0x0003_0000;
    /// 10G serial PMA/PMD = SFI.
    pub const SERIAL_PMA_PMD_SFI: u32 = 0x2 << 16;
}
/// `LINKS` fields.
pub mod links {
    /// Link up (bit 30).
    pub const UP: u32 = 0x4000_0000;
    /// Speed (bits 29:28, 82599 encoding).
    pub const SPEED_MASK: u32 = 0x3000_0000;
    /// 10 Gb/s.
    pub const SPEED_10G: u32 = 0x3000_0000;
    /// 1 Gb/s.
    pub const SPEED_1G: u32 = 0x2000_0000;
    /// 100 Mb/s.
    pub const SPEED_100M: u32 = 0x1000_0000;
}

// --- §8.2.3.9 Transmit DMA ------------------------------------------------------------------

/// TX Descriptor Base Address Low, queue `i` (§8.2.3.9.5).
pub const fn tdbal(i: u16) -> usize {
    0x06000 + i as usize * 0x40
}
/// TX Descriptor Base Address High (§8.2.3.9.6).
pub const fn tdbah(i: u16) -> usize {
    0x06004 + i as usize * 0x40
}
/// TX Descriptor ring length in bytes (§8.2.3.9.7).
pub const fn tdlen(i: u16) -> usize {
    0x06008 + i as usize * 0x40
}
/// TX Descriptor Head (§8.2.3.9.8).
pub const fn tdh(i: u16) -> usize {
    0x06010 + i as usize * 0x40
}
/// TX Descriptor Tail (§8.2.3.9.9).
pub const fn tdt(i: u16) -> usize {
    0x06018 + i as usize * 0x40
}
/// TX Descriptor Control (§8.2.3.9.10).
pub const fn txdctl(i: u16) -> usize {
    0x06028 + i as usize * 0x40
}
/// TX Packet Buffer Size, traffic class `i` (§8.2.3.9.13).
pub const fn txpbsize(i: u16) -> usize {
    0x0CC00 + i as usize * 4
}
/// DMA TX Control (§8.2.3.9.2).
pub const DMATXCTL: usize = 0x04A80;
/// DMA TX maximum total size of requests (§8.2.3.9.1).
pub const DTXMXSZRQ: usize = 0x08100;
/// DCB TX descriptor plane control (§8.2.3.10.2).
pub const RTTDCS: usize = 0x04900;

/// `TXDCTL` fields.
pub mod txdctl {
    /// Queue enable (bit 25).
    pub const ENABLE: u32 = 0x0200_0000;
    /// Prefetch threshold (bits 6:0).
    pub const PTHRESH_SHIFT: u32 = 0;
    /// Host threshold (bits 14:8).
    pub const HTHRESH_SHIFT: u32 = 8;
    /// Write-back threshold (bits 22:16).
    pub const WTHRESH_SHIFT: u32 = 16;
}
/// `DMATXCTL` bits.
pub mod dmatxctl {
    /// Transmit enable.
    pub const TE: u32 = 0x1;
}
/// `RTTDCS` bits.
pub mod rttdcs {
    /// DCB arbiter disable, set while the TX packet buffers are configured.
    pub const ARBDIS: u32 = 0x0000_0040;
}

// --- §8.2.3.23 Statistics (all clear on read) -----------------------------------------------

/// CRC errors.
pub const CRCERRS: usize = 0x04000;
/// Missed packets, packet buffer `i`.
pub const fn mpc(i: u16) -> usize {
    0x03FA0 + i as usize * 4
}
/// RX no-buffer count, packet buffer `i`.
pub const fn rnbc(i: u16) -> usize {
    0x03FC0 + i as usize * 4
}
/// Good packets received.
pub const GPRC: usize = 0x04074;
/// Good packets transmitted.
pub const GPTC: usize = 0x04080;
/// Good octets received, low (read before high).
pub const GORCL: usize = 0x04088;
/// Good octets received, high (bits 3:0).
pub const GORCH: usize = 0x0408C;
/// Good octets transmitted, low.
pub const GOTCL: usize = 0x04090;
/// Good octets transmitted, high (bits 3:0).
pub const GOTCH: usize = 0x04094;

/// Size of the register window (BAR 0) the driver touches: up to and including `SW_FW_SYNC`.
pub const WINDOW_LEN: usize = 0x20000;

// Layout pins: what the data path and init rely on most.
const _: () = assert!(rdbal(0) == 0x1000 && rdbal(63) == 0x1FC0 && rdbal(64) == 0xD000);
const _: () = assert!(rdt(0) - rdbal(0) == 0x18 && rxdctl(1) == 0x1068);
const _: () = assert!(srrctl(15) == 0x213C && srrctl(16) == 0x1414 && srrctl(64) == 0xD014);
const _: () = assert!(tdt(0) == 0x6018 && txdctl(127) == 0x6028 + 127 * 0x40);
const _: () = assert!(ral(0) == 0x5400 && rah(0) == 0x5404 && ral(16) == 0xA280);
const _: () = assert!(ctrl::RST_MASK == 0x0400_0008);
const _: () = assert!(autoc::LMS_10G_SERIAL == 0x6000 && autoc2::SERIAL_PMA_PMD_SFI == 0x2_0000);
const _: () = assert!(WINDOW_LEN > SW_FW_SYNC);

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// Evaluates the facts table's `value_or_formula` for queue/entry `i` (only the forms the
    /// table uses: a hex number, or a `(_i)` ternary formula, or `(x << SHIFT)`).
    fn facts() -> Option<Vec<(String, String)>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/facts/ixgbe_regs.tsv"
        );
        let text = std::fs::read_to_string(path).ok()?;
        Some(
            text.lines()
                .skip(1)
                .filter_map(|l| {
                    let mut f = l.split('\t');
                    Some((f.next()?.into(), f.nth(1)?.into()))
                })
                .collect(),
        )
    }

    fn hex(s: &str) -> u64 {
        u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap()
    }

    #[test]
    fn constants_match_intel_header_facts() {
        let Some(facts) = facts() else {
            std::println!("../shared/facts/ixgbe_regs.tsv not found: register facts not checked");
            return;
        };
        let get = |name: &str| -> String {
            facts
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{name}"))
                .1
                .clone()
        };
        let fixed: &[(&str, u64)] = &[
            ("IXGBE_CTRL", CTRL as u64),
            ("IXGBE_STATUS", STATUS as u64),
            ("IXGBE_CTRL_EXT", CTRL_EXT as u64),
            ("IXGBE_EEC", EEC as u64),
            ("IXGBE_SWSM", SWSM as u64),
            ("IXGBE_GSSR", SW_FW_SYNC as u64),
            ("IXGBE_EICR", EICR as u64),
            ("IXGBE_EIMS", EIMS as u64),
            ("IXGBE_EIMC", EIMC as u64),
            ("IXGBE_IRQ_CLEAR_MASK", IRQ_CLEAR_MASK.into()),
            ("IXGBE_RDRXCTL", RDRXCTL as u64),
            ("IXGBE_RXCTRL", RXCTRL as u64),
            ("IXGBE_SECRXCTRL", SECRXCTRL as u64),
            ("IXGBE_SECRXSTAT", SECRXSTAT as u64),
            ("IXGBE_FCTRL", FCTRL as u64),
            ("IXGBE_HLREG0", HLREG0 as u64),
            ("IXGBE_AUTOC", AUTOC as u64),
            ("IXGBE_LINKS", LINKS as u64),
            ("IXGBE_AUTOC2", AUTOC2 as u64),
            ("IXGBE_DMATXCTL", DMATXCTL as u64),
            ("IXGBE_DTXMXSZRQ", DTXMXSZRQ as u64),
            ("IXGBE_RTTDCS", RTTDCS as u64),
            ("IXGBE_CRCERRS", CRCERRS as u64),
            ("IXGBE_GPRC", GPRC as u64),
            ("IXGBE_GPTC", GPTC as u64),
            ("IXGBE_GORCL", GORCL as u64),
            ("IXGBE_GORCH", GORCH as u64),
            ("IXGBE_GOTCL", GOTCL as u64),
            ("IXGBE_GOTCH", GOTCH as u64),
            ("IXGBE_CTRL_LNK_RST", ctrl::LNK_RST.into()),
            ("IXGBE_CTRL_RST", ctrl::RST.into()),
            ("IXGBE_CTRL_EXT_NS_DIS", ctrl_ext::NS_DIS.into()),
            ("IXGBE_CTRL_EXT_DRV_LOAD", ctrl_ext::DRV_LOAD.into()),
            ("IXGBE_EEC_PRES", eec::PRES.into()),
            ("IXGBE_EEC_ARD", eec::ARD.into()),
            ("IXGBE_SWSM_SMBI", swsm::SMBI.into()),
            ("IXGBE_SWSM_SWESMBI", swsm::SWESMBI.into()),
            ("IXGBE_GSSR_MAC_CSR_SM", sw_fw_sync::MAC_CSR_SM.into()),
            ("IXGBE_RXDCTL_ENABLE", rxdctl::ENABLE.into()),
            ("IXGBE_SRRCTL_BSIZEPKT_SHIFT", srrctl::BSIZEPKT_SHIFT.into()),
            ("IXGBE_SRRCTL_BSIZEPKT_MASK", srrctl::BSIZEPKT_MASK.into()),
            ("IXGBE_SRRCTL_DESCTYPE_MASK", srrctl::DESCTYPE_MASK.into()),
            (
                "IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF",
                srrctl::DESCTYPE_ADV_ONEBUF.into(),
            ),
            ("IXGBE_SRRCTL_DROP_EN", srrctl::DROP_EN.into()),
            ("IXGBE_RDRXCTL_CRCSTRIP", rdrxctl::CRCSTRIP.into()),
            ("IXGBE_RDRXCTL_DMAIDONE", rdrxctl::DMAIDONE.into()),
            ("IXGBE_RDRXCTL_RSCFRSTSIZE", rdrxctl::RSCFRSTSIZE.into()),
            ("IXGBE_RDRXCTL_RSCACKC", rdrxctl::RSCACKC.into()),
            ("IXGBE_RDRXCTL_FCOE_WRFIX", rdrxctl::FCOE_WRFIX.into()),
            ("IXGBE_RXCTRL_RXEN", rxctrl::RXEN.into()),
            ("IXGBE_SECRXCTRL_RX_DIS", secrx::RX_DIS.into()),
            ("IXGBE_SECRXSTAT_SECRX_RDY", secrx::SECRX_RDY.into()),
            ("IXGBE_RXPBSIZE_128KB", pbsize::RX_128KB.into()),
            ("IXGBE_TXPBSIZE_40KB", pbsize::TX_40KB.into()),
            ("IXGBE_FCTRL_MPE", fctrl::MPE.into()),
            ("IXGBE_FCTRL_UPE", fctrl::UPE.into()),
            ("IXGBE_FCTRL_BAM", fctrl::BAM.into()),
            ("IXGBE_RAH_AV", rah::AV.into()),
            ("IXGBE_HLREG0_TXCRCEN", hlreg0::TXCRCEN.into()),
            ("IXGBE_HLREG0_RXCRCSTRP", hlreg0::RXCRCSTRP.into()),
            ("IXGBE_HLREG0_TXPADEN", hlreg0::TXPADEN.into()),
            ("IXGBE_AUTOC_AN_RESTART", autoc::AN_RESTART.into()),
            (
                "IXGBE_AUTOC_10G_PMA_PMD_MASK",
                autoc::PMA_PMD_10G_MASK.into(),
            ),
            (
                "IXGBE_AUTOC2_10G_SERIAL_PMA_PMD_MASK",
                autoc2::SERIAL_PMA_PMD_MASK.into(),
            ),
            ("IXGBE_LINKS_UP", links::UP.into()),
            ("IXGBE_LINKS_SPEED_82599", links::SPEED_MASK.into()),
            ("IXGBE_LINKS_SPEED_10G_82599", links::SPEED_10G.into()),
            ("IXGBE_LINKS_SPEED_1G_82599", links::SPEED_1G.into()),
            ("IXGBE_LINKS_SPEED_100_82599", links::SPEED_100M.into()),
            ("IXGBE_TXDCTL_ENABLE", txdctl::ENABLE.into()),
            ("IXGBE_TXDCTL_WTHRESH_SHIFT", txdctl::WTHRESH_SHIFT.into()),
            ("IXGBE_DMATXCTL_TE", dmatxctl::TE.into()),
            ("IXGBE_RTTDCS_ARBDIS", rttdcs::ARBDIS.into()),
        ];
        for &(name, ours) in fixed {
            let theirs = get(name);
            let v = theirs.trim();
            let v = if v.starts_with("0x") {
                hex(v)
            } else {
                v.parse().unwrap()
            };
            assert_eq!(ours, v, "{name}: facts say {theirs}");
        }
        // Shifted-field constants, written as `(N << SHIFT)` in the header.
        for (name, ours) in [
            ("IXGBE_AUTOC_LMS_MASK", autoc::LMS_MASK),
            ("IXGBE_AUTOC_LMS_10G_SERIAL", autoc::LMS_10G_SERIAL),
            ("IXGBE_AUTOC_10G_XAUI", autoc::PMA_PMD_10G_XAUI),
            ("IXGBE_AUTOC2_10G_SFI", autoc2::SERIAL_PMA_PMD_SFI),
        ] {
            let f = get(name);
            let inner = f.trim_start_matches('(').trim_end_matches(')');
            let (n, shift) = inner.split_once("<<").unwrap();
            let shift = match shift.trim() {
                "IXGBE_AUTOC_LMS_SHIFT" => 13,
                "IXGBE_AUTOC_10G_PMA_PMD_SHIFT" => 7,
                "IXGBE_AUTOC2_10G_SERIAL_PMA_PMD_SHIFT" => 16,
                s => panic!("unknown shift {s}"),
            };
            assert_eq!(u64::from(ours), hex(n) << shift, "{name}");
        }
        // Per-queue formulas, evaluated for every index against ours.
        type QueueFn = fn(u16) -> usize;
        let per_queue: &[(&str, QueueFn, u16)] = &[
            ("IXGBE_RDBAL", rdbal, 128),
            ("IXGBE_RDBAH", rdbah, 128),
            ("IXGBE_RDLEN", rdlen, 128),
            ("IXGBE_RDH", rdh, 128),
            ("IXGBE_RDT", rdt, 128),
            ("IXGBE_RXDCTL", rxdctl, 128),
            ("IXGBE_SRRCTL", srrctl, 128),
            ("IXGBE_DCA_RXCTRL", dca_rxctrl, 128),
            ("IXGBE_TDBAL", tdbal, 128),
            ("IXGBE_TDBAH", tdbah, 128),
            ("IXGBE_TDLEN", tdlen, 128),
            ("IXGBE_TDH", tdh, 128),
            ("IXGBE_TDT", tdt, 128),
            ("IXGBE_TXDCTL", txdctl, 128),
            ("IXGBE_RXPBSIZE", rxpbsize, 8),
            ("IXGBE_TXPBSIZE", txpbsize, 8),
            ("IXGBE_MPC", mpc, 8),
            ("IXGBE_RNBC", rnbc, 8),
            ("IXGBE_RAL", ral, 128),
            ("IXGBE_RAH", rah, 128),
        ];
        for &(name, ours, n) in per_queue {
            let formula = get(name);
            for i in 0..n {
                assert_eq!(
                    ours(i) as u64,
                    eval(&formula, i.into()),
                    "{name}({i}) = {formula}"
                );
            }
        }
    }

    /// A tiny evaluator for the header's `(_i) expr` macros: ternaries, +, *, -, comparisons.
    fn eval(formula: &str, i: u64) -> u64 {
        let body = formula.trim().strip_prefix("(_i)").unwrap().trim();
        let toks: Vec<String> = tokenize(body);
        let mut p = Parser { toks, pos: 0, i };
        p.ternary()
    }

    fn tokenize(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let cs: Vec<char> = s.chars().collect();
        let mut k = 0;
        while k < cs.len() {
            let c = cs[k];
            if c.is_whitespace() {
                k += 1;
            } else if c.is_ascii_alphanumeric() || c == '_' {
                let st = k;
                while k < cs.len() && (cs[k].is_ascii_alphanumeric() || cs[k] == '_') {
                    k += 1;
                }
                out.push(cs[st..k].iter().collect());
            } else if (c == '<' || c == '>') && cs.get(k + 1) == Some(&'=') {
                out.push(std::format!("{c}="));
                k += 2;
            } else {
                out.push(c.into());
                k += 1;
            }
        }
        out
    }

    struct Parser {
        toks: Vec<String>,
        pos: usize,
        i: u64,
    }
    impl Parser {
        fn peek(&self) -> &str {
            self.toks.get(self.pos).map_or("", |s| s.as_str())
        }
        fn next(&mut self) -> String {
            self.pos += 1;
            self.toks[self.pos - 1].clone()
        }
        fn ternary(&mut self) -> u64 {
            let c = self.cmp();
            if self.peek() == "?" {
                self.next();
                let a = self.ternary();
                assert_eq!(self.next(), ":");
                let b = self.ternary();
                if c != 0 { a } else { b }
            } else {
                c
            }
        }
        fn cmp(&mut self) -> u64 {
            let a = self.sum();
            match self.peek() {
                "<" | "<=" | ">" | ">=" => {
                    let op = self.next();
                    let b = self.sum();
                    u64::from(match op.as_str() {
                        "<" => a < b,
                        "<=" => a <= b,
                        ">" => a > b,
                        _ => a >= b,
                    })
                }
                _ => a,
            }
        }
        fn sum(&mut self) -> u64 {
            let mut a = self.prod();
            while matches!(self.peek(), "+" | "-") {
                let op = self.next();
                let b = self.prod();
                // Both arms of a ternary are evaluated, so the unused one may wrap.
                a = if op == "+" {
                    a.wrapping_add(b)
                } else {
                    a.wrapping_sub(b)
                };
            }
            a
        }
        fn prod(&mut self) -> u64 {
            let mut a = self.atom();
            while self.peek() == "*" {
                self.next();
                a = a.wrapping_mul(self.atom());
            }
            a
        }
        fn atom(&mut self) -> u64 {
            let t = self.next();
            if t == "(" {
                let v = self.ternary();
                assert_eq!(self.next(), ")");
                v
            } else if t == "_i" {
                self.i
            } else if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(h, 16).unwrap()
            } else {
                t.parse().unwrap()
            }
        }
    }
}
