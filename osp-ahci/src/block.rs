//! A block-device trait and a byte stream over it (`embedded_io::{Read, Write, Seek}`).

#![forbid(unsafe_code)]

use embedded_io::{ErrorType, Read, Seek, SeekFrom, Write};
use osp_hal::{Clock, DmaAllocator, RegisterIo};

use crate::error::{BufferError, Error};
use crate::io::Disk;

/// Something that stores fixed-size blocks: the interface file systems are written against.
pub trait BlockDevice {
    /// Block (logical sector) size in bytes.
    fn block_size(&self) -> usize;
    /// Number of blocks.
    fn block_count(&self) -> u64;
    /// Reads whole blocks from `lba` into `buf` (a multiple of the block size).
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), Error>;
    /// Writes whole blocks from `buf` at `lba`.
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> Result<(), Error>;
    /// Makes written blocks durable.
    fn flush(&mut self) -> Result<(), Error>;
}

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> BlockDevice for Disk<'_, R, A, C> {
    fn block_size(&self) -> usize {
        self.sector_size() as usize
    }
    fn block_count(&self) -> u64 {
        self.sectors()
    }
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.read_bytes(lba, buf)
    }
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> Result<(), Error> {
        self.write_bytes(lba, buf)
    }
    fn flush(&mut self) -> Result<(), Error> {
        Disk::flush(self)
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for &mut D {
    fn block_size(&self) -> usize {
        (**self).block_size()
    }
    fn block_count(&self) -> u64 {
        (**self).block_count()
    }
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), Error> {
        (**self).read_blocks(lba, buf)
    }
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> Result<(), Error> {
        (**self).write_blocks(lba, buf)
    }
    fn flush(&mut self) -> Result<(), Error> {
        (**self).flush()
    }
}

/// A seekable byte stream over a [`BlockDevice`]. Partial blocks are read-modify-written
/// through `scratch`, which must hold at least one block.
pub struct ByteStream<'s, D: BlockDevice> {
    dev: D,
    pos: u64,
    scratch: &'s mut [u8],
}

impl<'s, D: BlockDevice> ByteStream<'s, D> {
    /// A stream at position 0. Fails when `scratch` is shorter than one block.
    pub fn new(dev: D, scratch: &'s mut [u8]) -> Result<Self, Error> {
        let bs = dev.block_size();
        if scratch.len() < bs || bs == 0 {
            return Err(BufferError::TooLarge.into());
        }
        Ok(Self {
            dev,
            pos: 0,
            scratch,
        })
    }

    /// The device's size in bytes.
    pub fn len(&self) -> u64 {
        self.dev
            .block_count()
            .saturating_mul(self.dev.block_size() as u64)
    }

    /// Whether the device holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The device back.
    pub fn into_inner(self) -> D {
        self.dev
    }
}

impl<D: BlockDevice> ErrorType for ByteStream<'_, D> {
    type Error = Error;
}

impl<D: BlockDevice> Read for ByteStream<'_, D> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let bs = self.dev.block_size() as u64;
        let len = self.len();
        if buf.is_empty() || self.pos >= len {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(len - self.pos) as usize;
        let (lba, off) = (self.pos / bs, (self.pos % bs) as usize);
        let n = if off == 0 && want >= bs as usize {
            // Whole blocks straight into the caller's memory.
            let n = want - want % bs as usize;
            self.dev.read_blocks(lba, &mut buf[..n])?;
            n
        } else {
            let block = &mut self.scratch[..bs as usize];
            self.dev.read_blocks(lba, block)?;
            let n = want.min(bs as usize - off);
            buf[..n].copy_from_slice(&block[off..off + n]);
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl<D: BlockDevice> Write for ByteStream<'_, D> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        let bs = self.dev.block_size() as u64;
        let len = self.len();
        if buf.is_empty() || self.pos >= len {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(len - self.pos) as usize;
        let (lba, off) = (self.pos / bs, (self.pos % bs) as usize);
        let n = if off == 0 && want >= bs as usize {
            let n = want - want % bs as usize;
            self.dev.write_blocks(lba, &buf[..n])?;
            n
        } else {
            let block = &mut self.scratch[..bs as usize];
            self.dev.read_blocks(lba, block)?;
            let n = want.min(bs as usize - off);
            block[off..off + n].copy_from_slice(&buf[..n]);
            self.dev.write_blocks(lba, block)?;
            n
        };
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.dev.flush()
    }
}

impl<D: BlockDevice> Seek for ByteStream<'_, D> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, Error> {
        let bad = Error::OutOfRange {
            lba: u64::MAX,
            count: 0,
            sectors: self.dev.block_count(),
        };
        let new = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or(bad)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    struct Mem(Vec<u8>, usize);
    impl BlockDevice for Mem {
        fn block_size(&self) -> usize {
            self.1
        }
        fn block_count(&self) -> u64 {
            (self.0.len() / self.1) as u64
        }
        fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), Error> {
            let at = lba as usize * self.1;
            buf.copy_from_slice(&self.0[at..at + buf.len()]);
            Ok(())
        }
        fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> Result<(), Error> {
            assert_eq!(buf.len() % self.1, 0);
            let at = lba as usize * self.1;
            self.0[at..at + buf.len()].copy_from_slice(buf);
            Ok(())
        }
        fn flush(&mut self) -> Result<(), Error> {
            Ok(())
        }
    }

    #[test]
    fn unaligned_writes_and_reads_round_trip() {
        let mut scratch = [0u8; 4096];
        let mut s = ByteStream::new(Mem(vec![0; 64 * 1024], 4096), &mut scratch).unwrap();
        s.seek(SeekFrom::Start(1000)).unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        s.write_all(&data).unwrap();
        s.seek(SeekFrom::Start(1000)).unwrap();
        let mut back = vec![0; 10_000];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, data);
        let mem = s.into_inner();
        assert!(mem.0[..1000].iter().all(|&b| b == 0));
        assert!(mem.0[11_000..].iter().all(|&b| b == 0));
    }

    #[test]
    fn end_of_device_reads_zero_and_writes_nothing() {
        let mut scratch = [0u8; 512];
        let mut s = ByteStream::new(Mem(vec![7; 1024], 512), &mut scratch).unwrap();
        assert_eq!(s.seek(SeekFrom::End(-2)).unwrap(), 1022);
        let mut b = [0; 8];
        assert_eq!(s.read(&mut b).unwrap(), 2);
        assert_eq!(s.read(&mut b).unwrap(), 0);
        assert_eq!(s.write(&b).unwrap(), 0);
        assert!(s.seek(SeekFrom::Current(-5000)).is_err());
    }
}
