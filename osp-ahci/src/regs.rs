//! AHCI register map and typed registers (AHCI 1.3.1 §3).
//!
//! Offsets are relative to the ABAR (PCI BAR5) window. Port `n`'s registers sit at
//! `0x100 + 0x80·n` (§3.3). Bit layouts are hardware facts from the specification; they are pinned
//! by the unit tests below against the values QEMU 7.2's `ich9-ahci` reports.

use bitfield_struct::bitfield;

/// Generic host control registers (§3.1).
pub mod host {
    /// Host Capabilities.
    pub const CAP: usize = 0x00;
    /// Global HBA Control.
    pub const GHC: usize = 0x04;
    /// Interrupt Status (one bit per port).
    pub const IS: usize = 0x08;
    /// Ports Implemented.
    pub const PI: usize = 0x0C;
    /// Version.
    pub const VS: usize = 0x10;
    /// Host Capabilities Extended.
    pub const CAP2: usize = 0x24;
    /// BIOS/OS Handoff Control and Status.
    pub const BOHC: usize = 0x28;
}

/// Port registers (§3.3), relative to the port's base ([`port_base`]).
pub mod port {
    /// Command List Base Address (1 KiB aligned), low half.
    pub const CLB: usize = 0x00;
    /// Command List Base Address, high half.
    pub const CLBU: usize = 0x04;
    /// FIS Base Address (256 B aligned), low half.
    pub const FB: usize = 0x08;
    /// FIS Base Address, high half.
    pub const FBU: usize = 0x0C;
    /// Interrupt Status (write 1 to clear).
    pub const IS: usize = 0x10;
    /// Interrupt Enable.
    pub const IE: usize = 0x14;
    /// Command and Status.
    pub const CMD: usize = 0x18;
    /// Task File Data.
    pub const TFD: usize = 0x20;
    /// Signature.
    pub const SIG: usize = 0x24;
    /// SATA Status (SCR0: SStatus).
    pub const SSTS: usize = 0x28;
    /// SATA Control (SCR2: SControl).
    pub const SCTL: usize = 0x2C;
    /// SATA Error (SCR1: SError, write 1 to clear).
    pub const SERR: usize = 0x30;
    /// SATA Active (SCR3: SActive), one bit per NCQ tag.
    pub const SACT: usize = 0x34;
    /// Command Issue, one bit per command slot.
    pub const CI: usize = 0x38;
    /// SATA Notification.
    pub const SNTF: usize = 0x3C;
    /// FIS-based Switching Control.
    pub const FBS: usize = 0x40;
}

/// Number of ports an HBA can have (CAP.NP is 5 bits).
pub const MAX_PORTS: usize = 32;

/// Byte offset of port `n`'s register block in the ABAR window.
pub const fn port_base(n: usize) -> usize {
    0x100 + 0x80 * n
}

/// Size of the ABAR window that covers all 32 possible ports.
pub const ABAR_LEN: usize = port_base(MAX_PORTS);

/// CAP — Host Capabilities (§3.1.1).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Cap {
    /// Number of ports − 1.
    #[bits(5)]
    pub np: u8,
    /// Supports external SATA.
    pub sxs: bool,
    /// Enclosure management supported.
    pub ems: bool,
    /// Command completion coalescing supported.
    pub cccs: bool,
    /// Number of command slots − 1.
    #[bits(5)]
    pub ncs: u8,
    /// Partial state capable.
    pub psc: bool,
    /// Slumber state capable.
    pub ssc: bool,
    /// PIO multiple DRQ block.
    pub pmd: bool,
    /// FIS-based switching supported.
    pub fbss: bool,
    /// Supports port multiplier.
    pub spm: bool,
    /// Supports AHCI mode only (GHC.AE reads 1).
    pub sam: bool,
    #[bits(1)]
    __: u8,
    /// Interface speed support (1 = 1.5, 2 = 3, 3 = 6 Gb/s).
    #[bits(4)]
    pub iss: u8,
    /// Supports command list override.
    pub sclo: bool,
    /// Supports activity LED.
    pub sal: bool,
    /// Supports aggressive link power management.
    pub salp: bool,
    /// Supports staggered spin-up.
    pub sss: bool,
    /// Supports mechanical presence switch.
    pub smps: bool,
    /// Supports SNotification register.
    pub ssntf: bool,
    /// Supports native command queuing.
    pub sncq: bool,
    /// Supports 64-bit addressing.
    pub s64a: bool,
}

/// GHC — Global HBA Control (§3.1.2).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Ghc {
    /// HBA reset (self-clearing).
    pub hr: bool,
    /// Interrupt enable.
    pub ie: bool,
    /// MSI revert to single message.
    pub mrsm: bool,
    #[bits(28)]
    __: u32,
    /// AHCI enable.
    pub ae: bool,
}

/// CAP2 — Host Capabilities Extended (§3.1.10).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Cap2 {
    /// BIOS/OS handoff supported.
    pub boh: bool,
    /// NVMHCI present.
    pub nvmp: bool,
    /// Automatic partial to slumber transitions.
    pub apst: bool,
    /// Supports device sleep.
    pub sds: bool,
    /// Supports aggressive device sleep management.
    pub sadm: bool,
    /// DevSleep entrance from slumber only.
    pub deso: bool,
    #[bits(26)]
    __: u32,
}

/// BOHC — BIOS/OS Handoff Control and Status (§3.1.11).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Bohc {
    /// BIOS owned semaphore.
    pub bos: bool,
    /// OS owned semaphore.
    pub oos: bool,
    /// SMI on OS ownership change enable.
    pub sooe: bool,
    /// OS ownership change (write 1 to clear).
    pub ooc: bool,
    /// BIOS busy.
    pub bb: bool,
    #[bits(27)]
    __: u32,
}

/// PxIS — Port Interrupt Status (§3.3.5). Write 1 to clear.
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct PortIs {
    /// Device to host register FIS received.
    pub dhrs: bool,
    /// PIO setup FIS received.
    pub pss: bool,
    /// DMA setup FIS received.
    pub dss: bool,
    /// Set device bits FIS received.
    pub sdbs: bool,
    /// Unknown FIS.
    pub ufs: bool,
    /// Descriptor processed.
    pub dps: bool,
    /// Port connect change.
    pub pcs: bool,
    /// Device mechanical presence.
    pub dmps: bool,
    #[bits(14)]
    __: u32,
    /// PhyRdy change.
    pub prcs: bool,
    /// Incorrect port multiplier.
    pub ipms: bool,
    /// Overflow.
    pub ofs: bool,
    #[bits(1)]
    __: u8,
    /// Interface non-fatal error.
    pub infs: bool,
    /// Interface fatal error.
    pub ifs: bool,
    /// Host bus data error.
    pub hbds: bool,
    /// Host bus fatal error.
    pub hbfs: bool,
    /// Task file error.
    pub tfes: bool,
    /// Cold port detect.
    pub cpds: bool,
}

impl PortIs {
    /// The error bits after which the HBA stops processing the command list (§6.1.2, §10.7.1):
    /// software must restart the port.
    pub const FATAL: u32 = PortIs::new()
        .with_tfes(true)
        .with_hbfs(true)
        .with_hbds(true)
        .with_ifs(true)
        .with_ofs(true)
        .into_bits();

    /// The bit that says the PHY lost (or regained) its link: with DET ≠ 3, the device is gone.
    /// (PCS is not used for this: it follows PxSERR.DIAG.X, which a plain COMINIT also sets.)
    pub const LINK_CHANGE: u32 = PortIs::new().with_prcs(true).into_bits();
}

/// PxCMD — Port Command and Status (§3.3.7).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct PortCmd {
    /// Start (process the command list).
    pub st: bool,
    /// Spin-up device.
    pub sud: bool,
    /// Power on device.
    pub pod: bool,
    /// Command list override.
    pub clo: bool,
    /// FIS receive enable.
    pub fre: bool,
    #[bits(3)]
    __: u8,
    /// Current command slot.
    #[bits(5)]
    pub ccs: u8,
    /// Mechanical presence switch state.
    pub mpss: bool,
    /// FIS receive running.
    pub fr: bool,
    /// Command list running.
    pub cr: bool,
    /// Cold presence state.
    pub cps: bool,
    /// Port multiplier attached.
    pub pma: bool,
    /// Hot plug capable port.
    pub hpcp: bool,
    /// Mechanical presence switch attached.
    pub mpsp: bool,
    /// Cold presence detection.
    pub cpd: bool,
    /// External SATA port.
    pub esp: bool,
    /// FIS-based switching capable port.
    pub fbscp: bool,
    /// Automatic partial to slumber transitions enabled.
    pub apste: bool,
    /// Device is ATAPI.
    pub atapi: bool,
    /// Drive LED on ATAPI enable.
    pub dlae: bool,
    /// Aggressive link power management enable.
    pub alpe: bool,
    /// Aggressive slumber / partial.
    pub asp: bool,
    /// Interface communication control (1 = active).
    #[bits(4)]
    pub icc: u8,
}

/// PxTFD — Port Task File Data (§3.3.8): the device's last ATA status and error bytes.
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Tfd {
    /// ATA status register.
    #[bits(8)]
    pub sts: u8,
    /// ATA error register.
    #[bits(8)]
    pub err: u8,
    #[bits(16)]
    __: u16,
}

/// ATA status register bits (ATA8-ACS §6.1 / AHCI PxTFD.STS).
pub mod ata_status {
    /// Busy.
    pub const BSY: u8 = 0x80;
    /// Device ready.
    pub const DRDY: u8 = 0x40;
    /// Device fault.
    pub const DF: u8 = 0x20;
    /// Data request.
    pub const DRQ: u8 = 0x08;
    /// Error.
    pub const ERR: u8 = 0x01;
}

/// ATA error register bits.
pub mod ata_error {
    /// Uncorrectable data (medium error).
    pub const UNC: u8 = 0x40;
    /// ID not found (LBA out of range).
    pub const IDNF: u8 = 0x10;
    /// Command aborted.
    pub const ABRT: u8 = 0x04;
    /// Interface CRC error.
    pub const ICRC: u8 = 0x80;
}

/// PxSSTS.DET / PxSCTL.DET values (§3.3.10, §3.3.11).
pub mod det {
    /// No device detected, no PHY communication.
    pub const NONE: u8 = 0;
    /// Device present, PHY communication not established.
    pub const PRESENT_NO_PHY: u8 = 1;
    /// Device present and PHY communication established.
    pub const ESTABLISHED: u8 = 3;
    /// PHY offline (disabled or in loopback).
    pub const OFFLINE: u8 = 4;
    /// SCTL.DET: perform interface initialisation (COMRESET).
    pub const COMRESET: u8 = 1;
    /// SCTL.DET: disable the interface.
    pub const DISABLE: u8 = 4;
}

/// PxSSTS — SATA Status (§3.3.10).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Ssts {
    /// Device detection ([`det`]).
    #[bits(4)]
    pub det: u8,
    /// Negotiated speed (1 = 1.5, 2 = 3, 3 = 6 Gb/s).
    #[bits(4)]
    pub spd: u8,
    /// Interface power management (1 active, 2 partial, 6 slumber, 8 devsleep).
    #[bits(4)]
    pub ipm: u8,
    #[bits(20)]
    __: u32,
}

/// PxSCTL — SATA Control (§3.3.11).
#[bitfield(u32, defmt = cfg(feature = "defmt"))]
#[derive(PartialEq, Eq)]
pub struct Sctl {
    /// Device detection initialisation ([`det`]).
    #[bits(4)]
    pub det: u8,
    /// Speed allowed (0 = no limit, 1 = 1.5, 2 = 3, 3 = 6 Gb/s).
    #[bits(4)]
    pub spd: u8,
    /// Transitions not allowed (bit mask: 1 partial, 2 slumber, 4 devsleep).
    #[bits(4)]
    pub ipm: u8,
    /// Select power management.
    #[bits(4)]
    pub spm: u8,
    /// Port multiplier port.
    #[bits(4)]
    pub pmp: u8,
    #[bits(12)]
    __: u16,
}

/// PxSIG values (§3.3.9): what kind of device answered with its first D2H FIS.
pub mod sig {
    /// An ATA (disk) device.
    pub const ATA: u32 = 0x0000_0101;
    /// An ATAPI (packet) device, such as an optical drive.
    pub const ATAPI: u32 = 0xEB14_0101;
    /// A port multiplier.
    pub const PORT_MULTIPLIER: u32 = 0x9669_0101;
    /// An enclosure management bridge.
    pub const SEMB: u32 = 0xC33C_0101;
}

static_assertions::const_assert_eq!(ABAR_LEN, 0x1100);
static_assertions::const_assert_eq!(port_base(5) + port::FBS, 0x100 + 5 * 0x80 + 0x40);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_ich9_cap_decodes_as_measured() {
        // QEMU 7.2 ich9-ahci: CAP = 0xC0141F05 (research §4).
        let cap = Cap::from_bits(0xC014_1F05);
        assert_eq!(cap.np(), 5);
        assert_eq!(cap.ncs(), 31);
        assert!(cap.s64a() && cap.sncq() && cap.sam());
        assert!(!cap.sss() && !cap.sclo() && !cap.ssntf());
        assert_eq!(cap.iss(), 1);
    }

    #[test]
    fn port_bits_sit_where_the_spec_puts_them() {
        assert_eq!(
            PortCmd::new().with_st(true).with_fre(true).into_bits(),
            0x11
        );
        assert_eq!(
            PortCmd::new().with_fr(true).with_cr(true).into_bits(),
            0xC000
        );
        assert_eq!(PortCmd::new().with_icc(1).into_bits(), 0x1000_0000);
        assert_eq!(PortIs::new().with_tfes(true).into_bits(), 1 << 30);
        assert_eq!(PortIs::new().with_sdbs(true).into_bits(), 1 << 3);
        assert_eq!(PortIs::new().with_prcs(true).into_bits(), 1 << 22);
        assert_eq!(
            PortIs::FATAL,
            (1 << 30) | (1 << 29) | (1 << 28) | (1 << 27) | (1 << 24)
        );
        let ssts = Ssts::from_bits(0x113);
        assert_eq!((ssts.det(), ssts.spd(), ssts.ipm()), (3, 1, 1));
        assert_eq!(Sctl::new().with_det(1).with_ipm(3).into_bits(), 0x301);
        assert_eq!(Ghc::new().with_ae(true).into_bits(), 0x8000_0000);
        let tfd = Tfd::from_bits(0x130);
        assert_eq!((tfd.sts(), tfd.err()), (0x30, 0x01));
    }
}
