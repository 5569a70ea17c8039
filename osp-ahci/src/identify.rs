//! ATA IDENTIFY DEVICE data (ACS-3 §7.12.7), parsed into [`Identify`] and printed like
//! `hdparm -I`.
//!
//! The data is device input: every field is decoded defensively and parsing never panics.

#![forbid(unsafe_code)]

use core::fmt;

/// Length of IDENTIFY DEVICE data in bytes.
pub const IDENTIFY_LEN: usize = 512;

/// Why IDENTIFY data was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum IdentifyError {
    /// Fewer than 512 bytes.
    TooShort(usize),
    /// Word 255 carries the 0xA5 signature but the bytes do not sum to zero.
    BadChecksum {
        /// The checksum byte stored in word 255.
        stored: u8,
        /// The sum of the 511 bytes before it.
        sum: u8,
    },
    /// The logical sector size (words 117–118) is not an even number of bytes in 512..=65536.
    BadSectorSize(u32),
    /// Word 0 bit 15 is set: not an ATA device.
    NotAta(u16),
}

impl fmt::Display for IdentifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort(n) => write!(f, "IDENTIFY data is {n} bytes, expected 512"),
            Self::BadChecksum { stored, sum } => {
                write!(
                    f,
                    "IDENTIFY checksum {stored:#04x} does not match the data (sum {sum:#04x})"
                )
            }
            Self::BadSectorSize(n) => write!(f, "unsupported logical sector size of {n} bytes"),
            Self::NotAta(w0) => write!(f, "IDENTIFY word 0 = {w0:#06x}: not an ATA device"),
        }
    }
}

impl core::error::Error for IdentifyError {}

/// Nominal media rotation rate (word 217).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rotation {
    /// Not reported.
    Unknown,
    /// A solid state device.
    SolidState,
    /// A spinning disk at this many revolutions per minute.
    Rpm(u16),
}

/// A fixed-size, space-trimmed ASCII string from IDENTIFY (byte-swapped per word on the wire).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AtaString<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> AtaString<N> {
    fn from_words(raw: &[u8]) -> Self {
        let mut bytes = [b' '; N];
        for (i, pair) in raw.chunks_exact(2).take(N / 2).enumerate() {
            bytes[2 * i] = pair[1];
            bytes[2 * i + 1] = pair[0];
        }
        for b in &mut bytes {
            if !(0x20..0x7F).contains(b) {
                *b = b'?';
            }
        }
        let start = bytes.iter().position(|&b| b != b' ').unwrap_or(N);
        let end = bytes
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(start, |e| e + 1);
        bytes.copy_within(start..end, 0);
        Self {
            bytes,
            len: end - start,
        }
    }

    /// The text (printable ASCII; other bytes show as `?`).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }
}

impl<const N: usize> fmt::Debug for AtaString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for AtaString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// IDENTIFY DEVICE data, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identify {
    words: [u16; 256],
    /// Model number (words 27–46).
    pub model: AtaString<40>,
    /// Serial number (words 10–19).
    pub serial: AtaString<20>,
    /// Firmware revision (words 23–26).
    pub firmware: AtaString<8>,
    /// Sectors addressable with 28-bit commands (words 60–61).
    pub lba28_sectors: u32,
    /// Sectors addressable with 48-bit commands, when the 48-bit feature set is supported (words
    /// 100–103, or 230–233 when word 69 says the extended count is valid).
    pub lba48_sectors: Option<u64>,
    /// Logical sector size in bytes (words 106, 117–118).
    pub logical_sector_size: u32,
    /// Physical sector size in bytes (word 106).
    pub physical_sector_size: u32,
    /// Offset of logical sector 0 inside its physical sector, in logical sectors (word 209).
    pub alignment_offset: u16,
    /// NCQ queue depth (1..=32) when NCQ is supported (words 75–76).
    pub ncq_depth: Option<u8>,
    /// Write cache: (supported, enabled) (words 82/85 bit 5).
    pub write_cache: (bool, bool),
    /// SMART: (supported, enabled) (words 82/85 bit 0).
    pub smart: (bool, bool),
    /// DATA SET MANAGEMENT TRIM supported (word 169 bit 0).
    pub trim: bool,
    /// FLUSH CACHE EXT supported (word 83 bit 13).
    pub flush_ext: bool,
    /// Rotation rate (word 217).
    pub rotation: Rotation,
    /// Whether the 0xA5 integrity signature is present (and, having parsed, correct).
    pub checksum_present: bool,
}

fn word_valid(w: u16) -> bool {
    w & 0xC000 == 0x4000
}

impl Identify {
    /// Decodes 512 bytes of IDENTIFY DEVICE data.
    pub fn parse(data: &[u8]) -> Result<Self, IdentifyError> {
        let data = data
            .get(..IDENTIFY_LEN)
            .ok_or(IdentifyError::TooShort(data.len()))?;
        let mut words = [0u16; 256];
        for (w, c) in words.iter_mut().zip(data.chunks_exact(2)) {
            *w = u16::from_le_bytes([c[0], c[1]]);
        }
        if words[0] & 0x8000 != 0 {
            return Err(IdentifyError::NotAta(words[0]));
        }
        let checksum_present = words[255] & 0xFF == 0xA5;
        if checksum_present {
            let sum = data[..511].iter().fold(0u8, |a, &b| a.wrapping_add(b));
            if sum.wrapping_add(data[511]) != 0 {
                return Err(IdentifyError::BadChecksum {
                    stored: data[511],
                    sum,
                });
            }
        }
        let w = &words;
        let dword = |i: usize| u32::from(w[i]) | (u32::from(w[i + 1]) << 16);
        let qword = |i: usize| u64::from(dword(i)) | (u64::from(dword(i + 2)) << 32);

        let lba48_supported = word_valid(w[83]) && w[83] & (1 << 10) != 0;
        let lba48_sectors = lba48_supported.then(|| {
            // ACS-4: words 230–233 hold the count when word 69 bit 3 says so.
            if w[69] & (1 << 3) != 0 && qword(230) != 0 {
                qword(230) & 0x0000_FFFF_FFFF_FFFF
            } else {
                qword(100) & 0x0000_FFFF_FFFF_FFFF
            }
        });

        let (mut logical, mut ratio_log2) = (512u32, 0u32);
        if word_valid(w[106]) {
            if w[106] & (1 << 12) != 0 {
                logical = dword(117).saturating_mul(2);
            }
            if w[106] & (1 << 13) != 0 {
                ratio_log2 = u32::from(w[106] & 0xF);
            }
        }
        if !(512..=65536).contains(&logical) || logical % 2 != 0 {
            return Err(IdentifyError::BadSectorSize(logical));
        }
        let physical = logical.saturating_mul(1 << ratio_log2);
        let alignment_offset = if word_valid(w[209]) {
            w[209] & 0x3FFF
        } else {
            0
        };

        let ncq_depth = (w[76] != 0 && w[76] != 0xFFFF && w[76] & (1 << 8) != 0)
            .then(|| (w[75] & 0x1F) as u8 + 1);
        let (w82, w85) = (w[82], w[85]);
        let w82_ok = w82 != 0 && w82 != 0xFFFF;
        let w85_ok = w85 != 0 && w85 != 0xFFFF;
        let bit = |word: u16, ok: bool, b: u16| ok && word & (1 << b) != 0;
        let rotation = match w[217] {
            1 => Rotation::SolidState,
            r @ 0x0401..=0xFFFE => Rotation::Rpm(r),
            _ => Rotation::Unknown,
        };
        Ok(Self {
            words,
            model: AtaString::from_words(&data[54..94]),
            serial: AtaString::from_words(&data[20..40]),
            firmware: AtaString::from_words(&data[46..54]),
            lba28_sectors: dword(60) & 0x0FFF_FFFF,
            lba48_sectors,
            logical_sector_size: logical,
            physical_sector_size: physical,
            alignment_offset,
            ncq_depth,
            write_cache: (bit(w82, w82_ok, 5), bit(w85, w85_ok, 5)),
            smart: (bit(w82, w82_ok, 0), bit(w85, w85_ok, 0)),
            trim: w[169] & 1 != 0,
            flush_ext: word_valid(w[83]) && w[83] & (1 << 13) != 0,
            rotation,
            checksum_present,
        })
    }

    /// The raw words.
    pub fn words(&self) -> &[u16; 256] {
        &self.words
    }

    /// Whether 48-bit addressing (READ/WRITE DMA EXT, FPDMA) is supported.
    pub fn lba48(&self) -> bool {
        self.lba48_sectors.is_some()
    }

    /// User-addressable sectors: the 48-bit count when supported and non-zero, else the 28-bit one.
    pub fn sectors(&self) -> u64 {
        match self.lba48_sectors {
            Some(n) if n != 0 => n,
            _ => u64::from(self.lba28_sectors),
        }
    }

    /// Capacity in bytes.
    pub fn capacity_bytes(&self) -> u64 {
        self.sectors()
            .saturating_mul(u64::from(self.logical_sector_size))
    }

    /// Supported SATA generations (word 76 bits 1–3): bit 0 = Gen1 …
    pub fn sata_gens(&self) -> u8 {
        let w = self.words[76];
        if w == 0 || w == 0xFFFF {
            0
        } else {
            ((w >> 1) & 0x7) as u8
        }
    }

    /// Transport major version word (222): bits 15:12 the type (1 = serial), bits 11:0 the
    /// SATA revisions supported, as `hdparm -I` prints them on its "Transport:" line.
    pub fn transport(&self) -> u16 {
        self.words[222]
    }

    /// The World Wide Name (words 108–111) when word 84/87 bit 8 says it is there.
    pub fn wwn(&self) -> Option<u64> {
        let w = &self.words;
        let present = (word_valid(w[84]) && w[84] & (1 << 8) != 0)
            || (word_valid(w[87]) && w[87] & (1 << 8) != 0);
        present.then(|| {
            (u64::from(w[108]) << 48)
                | (u64::from(w[109]) << 32)
                | (u64::from(w[110]) << 16)
                | u64::from(w[111])
        })
    }

    /// Largest sector count for READ/WRITE MULTIPLE (word 47 7:0).
    pub fn max_multiple(&self) -> u8 {
        (self.words[47] & 0xFF) as u8
    }
}

struct Transport(u16, u8);

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Transport(w222, gens) = *self;
        if w222 == 0 || w222 == 0xFFFF {
            f.write_str("Serial")?;
        } else {
            let kind = match w222 >> 12 {
                0 => "Parallel",
                1 => "Serial",
                _ => "Unknown",
            };
            f.write_str(kind)?;
            const NAMES: [&str; 11] = [
                "ATA8-AST",
                "SATA 1.0a",
                "SATA II Extensions",
                "SATA Rev 2.5",
                "SATA Rev 2.6",
                "SATA Rev 3.0",
                "SATA Rev 3.1",
                "SATA Rev 3.2",
                "SATA Rev 3.3",
                "SATA Rev 3.4",
                "SATA Rev 3.5",
            ];
            for (i, name) in NAMES.iter().enumerate() {
                if w222 & (1 << i) != 0 {
                    write!(f, ", {name}")?;
                }
            }
        }
        for (i, speed) in ["1.5", "3.0", "6.0"].iter().enumerate() {
            if gens & (1 << i) != 0 {
                write!(f, "; Gen{} signaling speed ({speed}Gb/s)", i + 1)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Identify {
    /// An `hdparm -I`-style block.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.words;
        let removable = if w[0] & (1 << 7) != 0 {
            "removable"
        } else {
            "non-removable"
        };
        writeln!(f, "ATA device, with {removable} media")?;
        writeln!(f, "\tModel Number:       {}", self.model)?;
        writeln!(f, "\tSerial Number:      {}", self.serial)?;
        writeln!(f, "\tFirmware Revision:  {}", self.firmware)?;
        writeln!(
            f,
            "\tTransport:          {}",
            Transport(w[222], self.sata_gens())
        )?;
        writeln!(f, "Standards:")?;
        if w[80] != 0 && w[80] != 0xFFFF {
            f.write_str("\tSupported:")?;
            for v in (1..=15).rev() {
                if w[80] & (1 << v) != 0 {
                    write!(f, " {v}")?;
                }
            }
            writeln!(f)?;
        }
        writeln!(f, "Configuration:")?;
        writeln!(
            f,
            "\tLBA    user addressable sectors: {:>11}",
            self.lba28_sectors
        )?;
        if let Some(n) = self.lba48_sectors {
            writeln!(f, "\tLBA48  user addressable sectors: {n:>11}")?;
        }
        writeln!(
            f,
            "\tLogical  Sector size:           {:>11} bytes",
            self.logical_sector_size
        )?;
        writeln!(
            f,
            "\tPhysical Sector size:           {:>11} bytes",
            self.physical_sector_size
        )?;
        let offset = u32::from(self.alignment_offset) * self.logical_sector_size;
        writeln!(f, "\tLogical Sector-0 offset:        {offset:>11} bytes")?;
        let bytes = self.capacity_bytes();
        writeln!(
            f,
            "\tdevice size with M = 1024*1024: {:>11} MBytes",
            bytes >> 20
        )?;
        writeln!(
            f,
            "\tdevice size with M = 1000*1000: {:>11} MBytes ({} GB)",
            bytes / 1_000_000,
            bytes / 1_000_000_000
        )?;
        match self.rotation {
            Rotation::SolidState => {
                writeln!(f, "\tNominal Media Rotation Rate: Solid State Device")?
            }
            Rotation::Rpm(r) => writeln!(f, "\tNominal Media Rotation Rate: {r}")?,
            Rotation::Unknown => {}
        }
        writeln!(f, "Capabilities:")?;
        let lba = if w[49] & (1 << 9) != 0 { "LBA, " } else { "" };
        let iordy = match (w[49] & (1 << 11) != 0, w[49] & (1 << 10) != 0) {
            (true, true) => "IORDY(can be disabled)",
            (true, false) => "IORDY",
            _ => "no IORDY",
        };
        writeln!(f, "\t{lba}{iordy}")?;
        if let Some(d) = self.ncq_depth {
            writeln!(f, "\tQueue depth: {d}")?;
        }
        writeln!(
            f,
            "\tR/W multiple sector transfer: Max = {}",
            self.max_multiple()
        )?;
        if w[53] & (1 << 2) != 0 && w[88] & 0x7F != 0 {
            f.write_str("\tUDMA: ")?;
            for m in 0..7 {
                if w[88] & (1 << m) != 0 {
                    let star = if w[88] & (1 << (m + 8)) != 0 { "*" } else { "" };
                    write!(f, "{star}udma{m} ")?;
                }
            }
            writeln!(f)?;
        }
        writeln!(f, "Commands/features:")?;
        writeln!(f, "\tEnabled\tSupported:")?;
        let feature = |f: &mut fmt::Formatter<'_>, (sup, en): (bool, bool), name: &str| {
            if sup {
                writeln!(f, "\t   {}\t{name}", if en { "*" } else { " " })
            } else {
                Ok(())
            }
        };
        feature(f, self.smart, "SMART feature set")?;
        feature(f, self.write_cache, "Write cache")?;
        feature(
            f,
            (self.lba48(), self.lba48()),
            "48-bit Address feature set",
        )?;
        feature(f, (self.flush_ext, self.flush_ext), "FLUSH_CACHE_EXT")?;
        let ncq = self.ncq_depth.is_some();
        feature(f, (ncq, ncq), "Native Command Queueing (NCQ)")?;
        feature(
            f,
            (self.trim, self.trim),
            "Data Set Management TRIM supported",
        )?;
        if let Some(wwn) = self.wwn() {
            writeln!(f, "Logical Unit WWN Device Identifier: {wwn:016x}")?;
        }
        let checksum = if self.checksum_present {
            "correct"
        } else {
            "not present"
        };
        writeln!(f, "Checksum: {checksum}")
    }
}

/// Builds IDENTIFY data for tests and the simulated device.
#[derive(Debug, Clone)]
pub struct IdentifyBuilder {
    words: [u16; 256],
}

impl IdentifyBuilder {
    /// A SATA disk of `sectors` logical sectors of `logical_sector_size` bytes (a power of two
    /// ≥ 512), with LBA48, FLUSH CACHE EXT, write cache and NCQ depth 32, like QEMU's `ide-hd`.
    pub fn disk(sectors: u64, logical_sector_size: u32) -> Self {
        let mut w = [0u16; 256];
        w[0] = 0x0040;
        w[47] = 0x8010;
        w[49] = 0x0F00;
        w[53] = 0x0007;
        let lba28 = sectors.min(0x0FFF_FFFF) as u32;
        w[60] = lba28 as u16;
        w[61] = (lba28 >> 16) as u16;
        w[75] = 31;
        w[76] = 0x0100 | 0b1110;
        w[80] = 0x00F0;
        w[82] = 0x4021;
        w[83] = 0x7400;
        w[84] = 0x4000;
        w[85] = 0x4021;
        w[86] = 0x3400;
        w[87] = 0x4000;
        w[88] = 0x203F;
        for i in 0..4 {
            w[100 + i] = (sectors >> (16 * i)) as u16;
        }
        w[106] = 0x4000;
        if logical_sector_size != 512 {
            w[106] |= 1 << 12;
            let words = logical_sector_size / 2;
            w[117] = words as u16;
            w[118] = (words >> 16) as u16;
        }
        w[169] = 1;
        w[217] = 1;
        w[222] = 0x103F;
        let mut b = Self { words: w };
        b = b.strings("OSP SIMULATED DISK", "SIM0000001", "1.0");
        b
    }

    /// Sets model, serial and firmware.
    pub fn strings(mut self, model: &str, serial: &str, firmware: &str) -> Self {
        self.put_string(27, 20, model);
        self.put_string(10, 10, serial);
        self.put_string(23, 4, firmware);
        self
    }

    fn put_string(&mut self, first: usize, words: usize, s: &str) {
        let mut bytes = s.bytes().chain(core::iter::repeat(b' '));
        for i in 0..words {
            let a = bytes.next().unwrap_or(b' ');
            let b = bytes.next().unwrap_or(b' ');
            self.words[first + i] = u16::from_be_bytes([a, b]);
        }
    }

    /// Sets `2^log2` logical sectors per physical sector (512e: `log2` = 3).
    pub fn physical_log2(mut self, log2: u8) -> Self {
        self.words[106] = (self.words[106] & !0x200F) | if log2 > 0 { 1 << 13 } else { 0 };
        self.words[106] |= u16::from(log2 & 0xF);
        self
    }

    /// Sets the NCQ depth (1..=32), or removes NCQ support with `None`.
    pub fn ncq(mut self, depth: Option<u8>) -> Self {
        match depth {
            Some(d) => {
                self.words[76] |= 1 << 8;
                self.words[75] = u16::from(d.clamp(1, 32) - 1);
            }
            None => {
                self.words[76] &= !(1 << 8);
                self.words[75] = 0;
            }
        }
        self
    }

    /// Sets one raw word.
    pub fn word(mut self, index: u8, value: u16) -> Self {
        self.words[usize::from(index)] = value;
        self
    }

    /// Adds the 0xA5 integrity signature and checksum.
    pub fn with_checksum(mut self) -> Self {
        self.words[255] = 0x00A5;
        let bytes = self.bytes_raw();
        let sum = bytes[..511].iter().fold(0u8, |a, &b| a.wrapping_add(b));
        self.words[255] = 0x00A5 | (u16::from(sum.wrapping_neg()) << 8);
        self
    }

    fn bytes_raw(&self) -> [u8; IDENTIFY_LEN] {
        let mut out = [0u8; IDENTIFY_LEN];
        for (c, w) in out.chunks_exact_mut(2).zip(self.words.iter()) {
            c.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// The 512 bytes.
    pub fn build(&self) -> [u8; IDENTIFY_LEN] {
        self.bytes_raw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words QEMU 7.2's `ide-hd` reports (research §4): checks the parser against them.
    fn qemu_default() -> [u8; 512] {
        IdentifyBuilder::disk(0, 512)
            .strings("QEMU HARDDISK", "QM00001", "2.5+")
            .word(60, 0x0000)
            .word(61, 0x0002)
            .word(76, 0x0100)
            .word(83, 0x7400)
            .word(100, 0)
            .word(101, 2)
            .word(106, 0x6000)
            .word(169, 1)
            .word(217, 0)
            .word(222, 0)
            .build()
    }

    #[test]
    fn qemu_identify_decodes() {
        let id = Identify::parse(&qemu_default()).unwrap();
        assert_eq!(id.model.as_str(), "QEMU HARDDISK");
        assert_eq!(id.serial.as_str(), "QM00001");
        assert_eq!(id.firmware.as_str(), "2.5+");
        assert_eq!(id.sectors(), 0x20000);
        assert_eq!(id.ncq_depth, Some(32));
        assert_eq!(
            (id.logical_sector_size, id.physical_sector_size),
            (512, 512)
        );
        assert_eq!(id.rotation, Rotation::Unknown);
        assert!(!id.checksum_present);
        assert_eq!(id.capacity_bytes(), 64 << 20);
        let text = std::format!("{id}");
        assert!(text.contains("Model Number:       QEMU HARDDISK"), "{text}");
        assert!(text.contains("Queue depth: 32"), "{text}");
        assert!(
            text.contains("LBA48  user addressable sectors:      131072"),
            "{text}"
        );
    }

    #[test]
    fn sector_sizes_512e_and_4kn() {
        let e =
            Identify::parse(&IdentifyBuilder::disk(1000, 512).physical_log2(3).build()).unwrap();
        assert_eq!((e.logical_sector_size, e.physical_sector_size), (512, 4096));
        let n = Identify::parse(&IdentifyBuilder::disk(1000, 4096).build()).unwrap();
        assert_eq!(
            (n.logical_sector_size, n.physical_sector_size),
            (4096, 4096)
        );
        assert_eq!(n.capacity_bytes(), 4096 * 1000);
        let bad = IdentifyBuilder::disk(1000, 512)
            .word(106, 0x5000)
            .word(117, 0)
            .build();
        assert_eq!(Identify::parse(&bad), Err(IdentifyError::BadSectorSize(0)));
    }

    #[test]
    fn checksum_is_checked_only_when_signed() {
        let good = IdentifyBuilder::disk(100, 512).with_checksum().build();
        assert!(Identify::parse(&good).unwrap().checksum_present);
        let mut bad = good;
        bad[100] ^= 1;
        assert!(matches!(
            Identify::parse(&bad),
            Err(IdentifyError::BadChecksum { .. })
        ));
    }

    #[test]
    fn lba28_only_device_and_short_input() {
        let id = IdentifyBuilder::disk(5000, 512).word(83, 0x4000).build();
        let id = Identify::parse(&id).unwrap();
        assert!(!id.lba48());
        assert_eq!(id.sectors(), 5000);
        assert_eq!(Identify::parse(&[0; 10]), Err(IdentifyError::TooShort(10)));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x1234_5678_u32;
        for _ in 0..2000 {
            let mut data = [0u8; 512];
            for b in &mut data {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *b = state as u8;
            }
            if let Ok(id) = Identify::parse(&data) {
                let _ = std::format!("{id}");
            }
        }
    }
}
