//! The configuration-space access trait, with width and offset checks, and a counting wrapper.

use core::fmt;

use crate::Address;

/// Width of one configuration access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Width {
    /// 8 bits.
    Byte = 1,
    /// 16 bits.
    Word = 2,
    /// 32 bits.
    Dword = 4,
}

impl Width {
    /// The width in bytes.
    pub const fn bytes(self) -> u16 {
        self as u16
    }
    /// The mask of a value of this width.
    pub const fn mask(self) -> u32 {
        match self {
            Width::Byte => 0xff,
            Width::Word => 0xffff,
            Width::Dword => u32::MAX,
        }
    }
}

/// Why a configuration access was refused before reaching the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// The offset is not a multiple of the access width.
    Unaligned {
        /// The offset asked for.
        offset: u16,
        /// The access width.
        width: Width,
    },
    /// The access does not fit in the function's configuration space as this mechanism reaches
    /// it (256 bytes for port I/O, 4096 for ECAM).
    OutOfRange {
        /// The offset asked for.
        offset: u16,
        /// The size of the space.
        len: u16,
    },
    /// This mechanism does not reach the function at all (another segment, or a bus outside the
    /// ECAM window).
    Unreachable(Address),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Unaligned { offset, width } => {
                write!(
                    f,
                    "config offset {offset:#x} is not aligned for a {}-byte access",
                    width.bytes()
                )
            }
            ConfigError::OutOfRange { offset, len } => {
                write!(
                    f,
                    "config offset {offset:#x} is outside the {len}-byte space"
                )
            }
            ConfigError::Unreachable(a) => write!(f, "{a} is not reachable through this mechanism"),
        }
    }
}

impl core::error::Error for ConfigError {}

/// Access to PCI configuration space.
///
/// Implementors provide [`space_len`](Self::space_len) and the raw accessors; callers use the
/// provided `read8/16/32` and `write8/16/32`, which check the offset's alignment and range against
/// the space the mechanism has before any access is made.
///
/// # Contract for implementors
/// `read_raw`/`write_raw` are only called by the provided methods with an aligned offset that
/// fits in `space_len(addr)`, but they are safe functions: for any other argument they must not
/// panic or touch memory outside the mechanism's window (reads return all-ones, writes are
/// dropped). A function that is absent reads all-ones, as on real hardware.
pub trait ConfigAccess {
    /// Size in bytes of `addr`'s configuration space as this mechanism reaches it: 256 for port
    /// I/O, 4096 for ECAM, 0 when the mechanism cannot reach `addr` at all.
    fn space_len(&self, addr: Address) -> u16;

    /// Reads `width` bytes at `offset` (aligned, in range); the value is in the low bits.
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32;

    /// Writes the low `width` bytes of `value` at `offset` (aligned, in range).
    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32);

    /// Checks that a `width` access at `offset` is aligned and inside `addr`'s space.
    fn check(&self, addr: Address, offset: u16, width: Width) -> Result<(), ConfigError> {
        let len = self.space_len(addr);
        if len == 0 {
            return Err(ConfigError::Unreachable(addr));
        }
        if offset % width.bytes() != 0 {
            return Err(ConfigError::Unaligned { offset, width });
        }
        if u32::from(offset) + u32::from(width.bytes()) > u32::from(len) {
            return Err(ConfigError::OutOfRange { offset, len });
        }
        Ok(())
    }

    /// Reads the byte at `offset`.
    fn read8(&mut self, addr: Address, offset: u16) -> Result<u8, ConfigError> {
        self.check(addr, offset, Width::Byte)?;
        Ok(self.read_raw(addr, offset, Width::Byte) as u8)
    }
    /// Reads the 16-bit word at `offset` (2-byte aligned).
    fn read16(&mut self, addr: Address, offset: u16) -> Result<u16, ConfigError> {
        self.check(addr, offset, Width::Word)?;
        Ok(self.read_raw(addr, offset, Width::Word) as u16)
    }
    /// Reads the 32-bit word at `offset` (4-byte aligned).
    fn read32(&mut self, addr: Address, offset: u16) -> Result<u32, ConfigError> {
        self.check(addr, offset, Width::Dword)?;
        Ok(self.read_raw(addr, offset, Width::Dword))
    }
    /// Writes the byte at `offset`.
    fn write8(&mut self, addr: Address, offset: u16, value: u8) -> Result<(), ConfigError> {
        self.check(addr, offset, Width::Byte)?;
        self.write_raw(addr, offset, Width::Byte, value.into());
        Ok(())
    }
    /// Writes the 16-bit word at `offset` (2-byte aligned), leaving its neighbours untouched
    /// (which matters for the write-1-to-clear Status register beside Command).
    fn write16(&mut self, addr: Address, offset: u16, value: u16) -> Result<(), ConfigError> {
        self.check(addr, offset, Width::Word)?;
        self.write_raw(addr, offset, Width::Word, value.into());
        Ok(())
    }
    /// Writes the 32-bit word at `offset` (4-byte aligned).
    fn write32(&mut self, addr: Address, offset: u16, value: u32) -> Result<(), ConfigError> {
        self.check(addr, offset, Width::Dword)?;
        self.write_raw(addr, offset, Width::Dword, value);
        Ok(())
    }
}

impl<A: ConfigAccess + ?Sized> ConfigAccess for &mut A {
    fn space_len(&self, addr: Address) -> u16 {
        (**self).space_len(addr)
    }
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        (**self).read_raw(addr, offset, width)
    }
    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32) {
        (**self).write_raw(addr, offset, width, value)
    }
}

/// Reads as the walkers use them: a refused access reads all-ones, like an absent function.
pub(crate) fn rd32<A: ConfigAccess + ?Sized>(a: &mut A, addr: Address, offset: u16) -> u32 {
    a.read32(addr, offset).unwrap_or(u32::MAX)
}
pub(crate) fn rd16<A: ConfigAccess + ?Sized>(a: &mut A, addr: Address, offset: u16) -> u16 {
    a.read16(addr, offset).unwrap_or(u16::MAX)
}
pub(crate) fn rd8<A: ConfigAccess + ?Sized>(a: &mut A, addr: Address, offset: u16) -> u8 {
    a.read8(addr, offset).unwrap_or(u8::MAX)
}

/// Wraps a [`ConfigAccess`] and counts the accesses that reach it.
///
/// Every access counts as one, whatever its width (a 32-bit-equivalent count: a byte read costs
/// a bus transaction just like a dword read).
#[derive(Debug, Clone, Default)]
pub struct Counting<A> {
    inner: A,
    reads: u64,
    writes: u64,
}

impl<A> Counting<A> {
    /// Starts counting accesses to `inner` from zero.
    pub const fn new(inner: A) -> Self {
        Self {
            inner,
            reads: 0,
            writes: 0,
        }
    }
    /// Reads made so far.
    pub const fn reads(&self) -> u64 {
        self.reads
    }
    /// Writes made so far.
    pub const fn writes(&self) -> u64 {
        self.writes
    }
    /// Sets both counters back to zero.
    pub fn reset(&mut self) {
        self.reads = 0;
        self.writes = 0;
    }
    /// The wrapped access.
    pub fn inner(&self) -> &A {
        &self.inner
    }
    /// The wrapped access, mutably (accesses through it are not counted).
    pub fn inner_mut(&mut self) -> &mut A {
        &mut self.inner
    }
    /// Unwraps the access.
    pub fn into_inner(self) -> A {
        self.inner
    }
}

impl<A: ConfigAccess> ConfigAccess for Counting<A> {
    fn space_len(&self, addr: Address) -> u16 {
        self.inner.space_len(addr)
    }
    fn read_raw(&mut self, addr: Address, offset: u16, width: Width) -> u32 {
        self.reads += 1;
        self.inner.read_raw(addr, offset, width)
    }
    fn write_raw(&mut self, addr: Address, offset: u16, width: Width, value: u32) {
        self.writes += 1;
        self.inner.write_raw(addr, offset, width, value)
    }
}

/// Extracts a `width` value at byte `offset` from the dword that holds it.
#[cfg(feature = "std")]
pub(crate) const fn extract(dword: u32, offset: u16, width: Width) -> u32 {
    (dword >> ((offset & 3) * 8)) & width.mask()
}
