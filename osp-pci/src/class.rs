//! Class and subclass names, spelled as in the PCI ID repository (`pci.ids`, section `C`), which
//! follows the PCI Code and ID Assignment Specification. `lspci` prints these names.

/// Base class names.
const CLASSES: &[(u8, &str)] = &[
    (0x00, "Unclassified device"),
    (0x01, "Mass storage controller"),
    (0x02, "Network controller"),
    (0x03, "Display controller"),
    (0x04, "Multimedia controller"),
    (0x05, "Memory controller"),
    (0x06, "Bridge"),
    (0x07, "Communication controller"),
    (0x08, "Generic system peripheral"),
    (0x09, "Input device controller"),
    (0x0a, "Docking station"),
    (0x0b, "Processor"),
    (0x0c, "Serial bus controller"),
    (0x0d, "Wireless controller"),
    (0x0e, "Intelligent controller"),
    (0x0f, "Satellite communications controller"),
    (0x10, "Encryption controller"),
    (0x11, "Signal processing controller"),
    (0x12, "Processing accelerators"),
    (0x13, "Non-Essential Instrumentation"),
    (0x40, "Coprocessor"),
    (0xff, "Unassigned class"),
];

/// Subclass names, keyed by `base << 8 | sub`, sorted.
const SUBCLASSES: &[(u16, &str)] = &[
    (0x0000, "Non-VGA unclassified device"),
    (0x0001, "VGA compatible unclassified device"),
    (0x0005, "Image coprocessor"),
    (0x0100, "SCSI storage controller"),
    (0x0101, "IDE interface"),
    (0x0102, "Floppy disk controller"),
    (0x0103, "IPI bus controller"),
    (0x0104, "RAID bus controller"),
    (0x0105, "ATA controller"),
    (0x0106, "SATA controller"),
    (0x0107, "Serial Attached SCSI controller"),
    (0x0108, "Non-Volatile memory controller"),
    (0x0109, "Universal Flash Storage controller"),
    (0x0180, "Mass storage controller"),
    (0x0200, "Ethernet controller"),
    (0x0201, "Token ring network controller"),
    (0x0202, "FDDI network controller"),
    (0x0203, "ATM network controller"),
    (0x0204, "ISDN controller"),
    (0x0205, "WorldFip controller"),
    (0x0206, "PICMG controller"),
    (0x0207, "Infiniband controller"),
    (0x0208, "Fabric controller"),
    (0x0280, "Network controller"),
    (0x0300, "VGA compatible controller"),
    (0x0301, "XGA compatible controller"),
    (0x0302, "3D controller"),
    (0x0380, "Display controller"),
    (0x0400, "Multimedia video controller"),
    (0x0401, "Multimedia audio controller"),
    (0x0402, "Computer telephony device"),
    (0x0403, "Audio device"),
    (0x0480, "Multimedia controller"),
    (0x0500, "RAM memory"),
    (0x0501, "FLASH memory"),
    (0x0502, "CXL"),
    (0x0580, "Memory controller"),
    (0x0600, "Host bridge"),
    (0x0601, "ISA bridge"),
    (0x0602, "EISA bridge"),
    (0x0603, "MicroChannel bridge"),
    (0x0604, "PCI bridge"),
    (0x0605, "PCMCIA bridge"),
    (0x0606, "NuBus bridge"),
    (0x0607, "CardBus bridge"),
    (0x0608, "RACEway bridge"),
    (0x0609, "Semi-transparent PCI-to-PCI bridge"),
    (0x060a, "InfiniBand to PCI host bridge"),
    (0x0680, "Bridge"),
    (0x0700, "Serial controller"),
    (0x0701, "Parallel controller"),
    (0x0702, "Multiport serial controller"),
    (0x0703, "Modem"),
    (0x0704, "GPIB controller"),
    (0x0705, "Smard Card controller"),
    (0x0780, "Communication controller"),
    (0x0800, "PIC"),
    (0x0801, "DMA controller"),
    (0x0802, "Timer"),
    (0x0803, "RTC"),
    (0x0804, "PCI Hot-plug controller"),
    (0x0805, "SD Host controller"),
    (0x0806, "IOMMU"),
    (0x0880, "System peripheral"),
    (0x0899, "Timing Card"),
    (0x0900, "Keyboard controller"),
    (0x0901, "Digitizer Pen"),
    (0x0902, "Mouse controller"),
    (0x0903, "Scanner controller"),
    (0x0904, "Gameport controller"),
    (0x0980, "Input device controller"),
    (0x0a00, "Generic Docking Station"),
    (0x0a80, "Docking Station"),
    (0x0b00, "386"),
    (0x0b01, "486"),
    (0x0b02, "Pentium"),
    (0x0b10, "Alpha"),
    (0x0b20, "Power PC"),
    (0x0b30, "MIPS"),
    (0x0b40, "Co-processor"),
    (0x0c00, "FireWire (IEEE 1394)"),
    (0x0c01, "ACCESS Bus"),
    (0x0c02, "SSA"),
    (0x0c03, "USB controller"),
    (0x0c04, "Fibre Channel"),
    (0x0c05, "SMBus"),
    (0x0c06, "InfiniBand"),
    (0x0c07, "IPMI Interface"),
    (0x0c08, "SERCOS interface"),
    (0x0c09, "CANBUS"),
    (0x0c80, "Serial bus controller"),
    (0x0d00, "IRDA controller"),
    (0x0d01, "Consumer IR controller"),
    (0x0d10, "RF controller"),
    (0x0d11, "Bluetooth"),
    (0x0d12, "Broadband"),
    (0x0d20, "802.1a controller"),
    (0x0d21, "802.1b controller"),
    (0x0d80, "Wireless controller"),
    (0x0e00, "I2O"),
    (0x0f01, "Satellite TV controller"),
    (0x0f02, "Satellite audio communication controller"),
    (0x0f03, "Satellite voice communication controller"),
    (0x0f04, "Satellite data communication controller"),
    (0x1000, "Network and computing encryption device"),
    (0x1010, "Entertainment encryption device"),
    (0x1080, "Encryption controller"),
    (0x1100, "DPIO module"),
    (0x1101, "Performance counters"),
    (0x1110, "Communication synchronizer"),
    (0x1120, "Signal processing management"),
    (0x1180, "Signal processing controller"),
    (0x1200, "Processing accelerators"),
    (
        0x1201,
        "SNIA Smart Data Accelerator Interface (SDXI) controller",
    ),
];

/// The name `lspci` prints for a class: the subclass's name when it has one, else the base
/// class's, else `None` (lspci then prints `Class`).
pub fn name(base: u8, sub: u8) -> Option<&'static str> {
    let key = u16::from(base) << 8 | u16::from(sub);
    if let Ok(i) = SUBCLASSES.binary_search_by_key(&key, |&(k, _)| k) {
        return Some(SUBCLASSES[i].1);
    }
    CLASSES.iter().find(|&&(b, _)| b == base).map(|&(_, n)| n)
}

/// Every base class and subclass name, as `(base, Some(sub) | None, name)`: the table in
/// `pci.ids` form, for tools that want to hand it to another program.
pub fn table() -> impl Iterator<Item = (u8, Option<u8>, &'static str)> {
    CLASSES.iter().flat_map(|&(base, name)| {
        core::iter::once((base, None, name)).chain(
            SUBCLASSES
                .iter()
                .filter(move |&&(k, _)| (k >> 8) as u8 == base)
                .map(move |&(k, n)| (base, Some(k as u8), n)),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn subclass_table_is_sorted_and_every_subclass_has_a_base_class() {
        assert!(super::SUBCLASSES.windows(2).all(|w| w[0].0 < w[1].0));
        for &(k, _) in super::SUBCLASSES {
            assert!(
                super::CLASSES.iter().any(|&(b, _)| b == (k >> 8) as u8),
                "{k:04x}"
            );
        }
        assert_eq!(
            super::table().count(),
            super::CLASSES.len() + super::SUBCLASSES.len()
        );
    }

    #[test]
    fn falls_back_to_the_base_class_then_none() {
        assert_eq!(super::name(0x01, 0x06), Some("SATA controller"));
        assert_eq!(super::name(0x01, 0x42), Some("Mass storage controller"));
        assert_eq!(
            super::name(0x13, 0x00),
            Some("Non-Essential Instrumentation")
        );
        assert_eq!(super::name(0x77, 0x00), None);
    }
}
