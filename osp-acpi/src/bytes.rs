//! Little-endian reads from byte slices that return `None` instead of panicking.

/// The byte at `off`.
pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

/// The `N` bytes at `off`.
pub(crate) fn array_at<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

/// The little-endian `u16` at `off`.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    array_at(b, off).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `off`.
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    array_at(b, off).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `off`.
pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    array_at(b, off).map(u64::from_le_bytes)
}

/// The 8-bit sum of `b` (an ACPI structure is valid when it is zero).
pub(crate) fn sum8(b: &[u8]) -> u8 {
    // Summing in a wide accumulator vectorises; the low byte is the 8-bit sum.
    b.iter()
        .fold(0u64, |acc, &x| acc.wrapping_add(u64::from(x))) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u8_at(&b, 7), Some(8));
        assert_eq!(u8_at(&b, 8), None);
        assert_eq!(u16_at(&b, 6), Some(0x0807));
        assert_eq!(u16_at(&b, 7), None);
        assert_eq!(u32_at(&b, 4), Some(0x0807_0605));
        assert_eq!(u32_at(&b, usize::MAX - 1), None);
        assert_eq!(u64_at(&b, 0), Some(0x0807_0605_0403_0201));
        assert_eq!(u64_at(&b, 1), None);
        assert_eq!(sum8(&[0xff, 0x01]), 0);
    }
}
