//! Data transfer on a ready disk: READ/WRITE DMA EXT straight from caller buffers, FLUSH CACHE
//! EXT, and NCQ (READ/WRITE FPDMA QUEUED) with a submit / poll-completion API.

use core::fmt;

use osp_hal::{Clock, Deadline, DmaAllocator, DmaBuffer, RegisterIo};

use crate::error::{BufferError, Error};
use crate::fis::{H2dFis, ata_cmd};
use crate::hba::{Dir, Hba, Inflight, MAX_PRDT, MAX_SECTORS_PER_COMMAND, Seg};
use crate::identify::Identify;
use crate::regs::{PortIs, port};

/// Size of each port's internal bounce buffer (IDENTIFY, and the byte-slice block API).
pub const BOUNCE_LEN: usize = 64 * 1024;
/// Most caller buffers one [`Disk::read`] / [`Disk::write`] call takes.
pub const MAX_SEGMENTS: usize = 256;

/// A finished NCQ command: its buffer comes back to the caller.
pub struct Completion<A: DmaAllocator> {
    /// The tag it ran under.
    pub tag: u8,
    /// Read or write.
    pub dir: Dir,
    /// First LBA.
    pub lba: u64,
    /// Sectors.
    pub count: u32,
    /// The buffer given to [`Disk::ncq_submit`] (holding the data, for reads).
    pub buf: DmaBuffer<A>,
    /// How it ended. After an error the port has been recovered; every command that was in
    /// flight with it reports the same error and may be resubmitted.
    pub result: Result<(), Error>,
}

impl<A: DmaAllocator> fmt::Debug for Completion<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completion")
            .field("tag", &self.tag)
            .field("dir", &self.dir)
            .field("lba", &self.lba)
            .field("count", &self.count)
            .field("result", &self.result)
            .finish()
    }
}

/// A refused [`Disk::ncq_submit`]: the error and the buffer, handed back.
pub struct Rejected<A: DmaAllocator> {
    /// Why.
    pub error: Error,
    /// The buffer.
    pub buf: DmaBuffer<A>,
}

impl<A: DmaAllocator> fmt::Debug for Rejected<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected")
            .field("error", &self.error)
            .finish()
    }
}

/// A ready ATA disk on one port of an [`Hba`], borrowed for I/O.
pub struct Disk<'a, R: RegisterIo, A: DmaAllocator + Clone, C: Clock> {
    hba: &'a mut Hba<R, A, C>,
    port: u8,
    id: Identify,
}

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> Hba<R, A, C> {
    /// The disk on port `p`, if its bring-up ended [`Ready`](crate::PortOutcome::Ready).
    pub fn disk(&mut self, p: u8) -> Result<Disk<'_, R, A, C>, Error> {
        if !self.is_implemented(p) {
            return Err(Error::NoSuchPort(p));
        }
        let st = self.ports[usize::from(p)]
            .as_ref()
            .ok_or(Error::PortNotReady(p))?;
        let id = match (&st.identify, st.ready) {
            (Some(id), true) => *id,
            _ => return Err(Error::PortNotReady(p)),
        };
        Ok(Disk {
            hba: self,
            port: p,
            id,
        })
    }
}

fn segs_of<B: DmaAllocator>(
    bufs: &[DmaBuffer<B>],
    out: &mut [Seg; MAX_SEGMENTS],
) -> Result<usize, BufferError> {
    if bufs.len() > MAX_SEGMENTS {
        return Err(BufferError::TooFragmented);
    }
    let mut total = 0usize;
    for (o, b) in out.iter_mut().zip(bufs) {
        if b.bus_addr() % 2 != 0 || b.len() % 2 != 0 {
            return Err(BufferError::Misaligned {
                bus: b.bus_addr(),
                len: b.len(),
            });
        }
        *o = Seg {
            bus: b.bus_addr(),
            len: b.len(),
        };
        total = total.saturating_add(b.len());
    }
    Ok(total)
}

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> Disk<'_, R, A, C> {
    /// Port number.
    pub fn port(&self) -> u8 {
        self.port
    }

    /// The disk's IDENTIFY data (its `Display` is an `hdparm -I` block).
    pub fn identify(&self) -> &Identify {
        &self.id
    }

    /// Logical sector size in bytes.
    pub fn sector_size(&self) -> u32 {
        self.id.logical_sector_size
    }

    /// Number of logical sectors.
    pub fn sectors(&self) -> u64 {
        self.id.sectors()
    }

    /// NCQ depth in use: 0 when NCQ is off (HBA, device or [`Config`](crate::Config)).
    pub fn ncq_depth(&self) -> u8 {
        self.hba.ports[usize::from(self.port)]
            .as_ref()
            .map_or(0, |s| s.ncq_depth)
    }

    /// NCQ commands submitted and not yet returned by [`ncq_poll`](Self::ncq_poll).
    pub fn ncq_in_flight(&self) -> u32 {
        self.hba.ports[usize::from(self.port)]
            .as_ref()
            .map_or(0, |s| s.inflight.iter().flatten().count() as u32)
    }

    fn check_range(&self, lba: u64, count: u64) -> Result<(), Error> {
        let sectors = self.sectors();
        match lba.checked_add(count) {
            Some(end) if end <= sectors => Ok(()),
            _ => Err(Error::OutOfRange {
                lba,
                count,
                sectors,
            }),
        }
    }

    /// Reads sectors from `lba` into `bufs`, filled in order (scatter). The buffers' total
    /// length must be a whole number of sectors; each must be word aligned. Long requests are
    /// split into several commands. Zero-copy: the device writes straight into `bufs`.
    pub fn read<B: DmaAllocator>(
        &mut self,
        lba: u64,
        bufs: &mut [DmaBuffer<B>],
    ) -> Result<(), Error> {
        let mut segs = [Seg { bus: 0, len: 0 }; MAX_SEGMENTS];
        let n = segs_of(bufs, &mut segs)?;
        let total = n;
        self.transfer(Dir::Read, lba, &segs[..bufs.len()], total)
    }

    /// Writes `bufs` (gather) to the disk from `lba`; as [`read`](Self::read).
    pub fn write<B: DmaAllocator>(&mut self, lba: u64, bufs: &[DmaBuffer<B>]) -> Result<(), Error> {
        let mut segs = [Seg { bus: 0, len: 0 }; MAX_SEGMENTS];
        let total = segs_of(bufs, &mut segs)?;
        self.transfer(Dir::Write, lba, &segs[..bufs.len()], total)
    }

    /// Reads `count` sectors at `lba` into the start of `buf`.
    pub fn read_sectors<B: DmaAllocator>(
        &mut self,
        lba: u64,
        count: u32,
        buf: &mut DmaBuffer<B>,
    ) -> Result<(), Error> {
        let seg = self.one_seg(count, buf)?;
        self.transfer(Dir::Read, lba, &[seg], seg.len)
    }

    /// Writes `count` sectors from the start of `buf` at `lba`.
    pub fn write_sectors<B: DmaAllocator>(
        &mut self,
        lba: u64,
        count: u32,
        buf: &DmaBuffer<B>,
    ) -> Result<(), Error> {
        let seg = self.one_seg(count, buf)?;
        self.transfer(Dir::Write, lba, &[seg], seg.len)
    }

    fn one_seg<B: DmaAllocator>(&self, count: u32, buf: &DmaBuffer<B>) -> Result<Seg, Error> {
        let len = (count as usize)
            .checked_mul(self.sector_size() as usize)
            .filter(|&l| l <= buf.len())
            .ok_or(BufferError::TooLarge)?;
        if buf.bus_addr() % 2 != 0 {
            return Err(BufferError::Misaligned {
                bus: buf.bus_addr(),
                len,
            }
            .into());
        }
        Ok(Seg {
            bus: buf.bus_addr(),
            len,
        })
    }

    fn transfer(&mut self, dir: Dir, lba: u64, segs: &[Seg], total: usize) -> Result<(), Error> {
        let ss = self.sector_size() as usize;
        if total == 0 || total % ss != 0 {
            let e = BufferError::NotSectorMultiple {
                len: total,
                sector_size: ss as u32,
            };
            return Err(e.into());
        }
        self.check_range(lba, (total / ss) as u64)?;
        let lba48 = self.id.lba48();
        let max_sectors = if lba48 { MAX_SECTORS_PER_COMMAND } else { 255 } as usize;
        let timeout = self.hba.config.command_timeout;
        let mut done = 0usize;
        while done < total {
            let limit = (total - done).min(max_sectors * ss);
            let span = Hba::<R, A, C>::command_span(segs, done, limit, ss)?;
            let mut prd = [Seg { bus: 0, len: 0 }; MAX_PRDT];
            let n = Hba::<R, A, C>::prds(segs, done, span, &mut prd)?;
            let at = lba + (done / ss) as u64;
            let count = (span / ss) as u32;
            let fis = match (lba48, dir) {
                (true, Dir::Read) => H2dFis::lba48(ata_cmd::READ_DMA_EXT, at, count as u16),
                (true, Dir::Write) => H2dFis::lba48(ata_cmd::WRITE_DMA_EXT, at, count as u16),
                (false, Dir::Read) => H2dFis::lba28(ata_cmd::READ_DMA, at as u32, count as u8),
                (false, Dir::Write) => H2dFis::lba28(ata_cmd::WRITE_DMA, at as u32, count as u8),
            };
            self.hba
                .exec(self.port, &fis, &prd[..n], dir == Dir::Write, timeout)?;
            done += span;
        }
        Ok(())
    }

    /// FLUSH CACHE EXT (FLUSH CACHE on 28-bit disks): the written data is on the medium.
    pub fn flush(&mut self) -> Result<(), Error> {
        let cmd = if self.id.lba48() {
            ata_cmd::FLUSH_CACHE_EXT
        } else {
            ata_cmd::FLUSH_CACHE
        };
        let timeout = self.hba.config.flush_timeout;
        self.hba
            .exec(self.port, &H2dFis::command(cmd), &[], false, timeout)
    }

    /// Resets the port: stops the engine, COMRESETs the link, waits for the device and restarts.
    /// NCQ commands in flight complete with [`Error::Aborted`].
    pub fn reset(&mut self) -> Result<(), Error> {
        let p = self.port;
        self.hba.fail_inflight(p, Error::Aborted(p));
        let r = self.hba.recover(p, true);
        if let Some(st) = self.hba.ports[usize::from(p)].as_mut() {
            st.ready = r.is_ok();
        }
        r
    }

    /// Queues an NCQ read or write of `count` sectors at `lba`, using the start of `buf`, and
    /// returns its tag. The buffer belongs to the device until [`ncq_poll`](Self::ncq_poll)
    /// hands it back in a [`Completion`]. Up to [`ncq_depth`](Self::ncq_depth) commands may be
    /// in flight.
    pub fn ncq_submit(
        &mut self,
        dir: Dir,
        lba: u64,
        count: u32,
        buf: DmaBuffer<A>,
    ) -> Result<u8, Rejected<A>> {
        match self.try_submit(dir, lba, count, &buf) {
            Ok((tag, deadline)) => {
                let inflight = Inflight {
                    buf,
                    dir,
                    lba,
                    count,
                    deadline,
                    result: None,
                };
                if let Some(st) = self.hba.ports[usize::from(self.port)].as_mut() {
                    st.inflight[usize::from(tag)] = Some(inflight);
                }
                Ok(tag)
            }
            Err(error) => Err(Rejected { error, buf }),
        }
    }

    fn try_submit(
        &mut self,
        dir: Dir,
        lba: u64,
        count: u32,
        buf: &DmaBuffer<A>,
    ) -> Result<(u8, Deadline), Error> {
        let depth = self.ncq_depth();
        if depth == 0 {
            return Err(Error::NcqUnsupported);
        }
        let p = self.port;
        let st = self.hba.ports[usize::from(p)]
            .as_ref()
            .ok_or(Error::PortNotReady(p))?;
        if !st.ready {
            return Err(Error::PortNotReady(p));
        }
        let tag = (0..depth).find(|&t| st.inflight[usize::from(t)].is_none());
        let tag = tag.ok_or(Error::QueueFull)?;
        if count == 0 || count > MAX_SECTORS_PER_COMMAND {
            return Err(BufferError::TooLarge.into());
        }
        let seg = self.one_seg(count, buf)?;
        self.check_range(lba, u64::from(count))?;
        let ss = self.sector_size() as usize;
        let span = Hba::<R, A, C>::command_span(&[seg], 0, seg.len, ss)?;
        if span != seg.len {
            return Err(BufferError::TooLarge.into());
        }
        let mut prd = [Seg { bus: 0, len: 0 }; MAX_PRDT];
        let n = Hba::<R, A, C>::prds(&[seg], 0, seg.len, &mut prd)?;
        let cmd = match dir {
            Dir::Read => ata_cmd::READ_FPDMA_QUEUED,
            Dir::Write => ata_cmd::WRITE_FPDMA_QUEUED,
        };
        let fis = H2dFis::fpdma(cmd, lba, count as u16, tag, false);
        self.hba
            .write_command(p, tag, &fis, &prd[..n], dir == Dir::Write)?;
        // §9.3.1: PxSACT before PxCI.
        self.hba.pwrite(p, port::SACT, 1 << tag);
        self.hba.pwrite(p, port::CI, 1 << tag);
        Ok((
            tag,
            Deadline::after(&self.hba.clock, self.hba.config.command_timeout),
        ))
    }

    /// Looks at the hardware and returns one finished NCQ command, if any (never waits).
    ///
    /// Commands on a port whose engine cannot be stopped (see [`Error::RecoveryFailed`]) are
    /// never returned: the HBA may still write their buffers.
    pub fn ncq_poll(&mut self) -> Option<Completion<A>> {
        self.ncq_update();
        let st = self.hba.ports[usize::from(self.port)].as_mut()?;
        if st.wedged {
            return None;
        }
        let tag = st
            .inflight
            .iter()
            .position(|f| f.as_ref().is_some_and(|f| f.result.is_some()))?;
        let f = st.inflight[tag].take()?;
        Some(Completion {
            tag: tag as u8,
            dir: f.dir,
            lba: f.lba,
            count: f.count,
            buf: f.buf,
            result: f.result.unwrap_or(Ok(())),
        })
    }

    /// Waits for the next NCQ completion. Bounded: every command has its own deadline
    /// ([`Config::command_timeout`](crate::Config::command_timeout)), after which it completes
    /// with [`Error::CommandTimeout`].
    pub fn ncq_wait(&mut self) -> Result<Completion<A>, Error> {
        loop {
            if self.hba.ports[usize::from(self.port)]
                .as_ref()
                .is_none_or(|s| s.wedged)
            {
                return Err(Error::RecoveryFailed(self.port));
            }
            if let Some(c) = self.ncq_poll() {
                return Ok(c);
            }
            if self.ncq_in_flight() == 0 {
                return Err(Error::NothingInFlight);
            }
            self.hba.clock.relax();
        }
    }

    fn ncq_update(&mut self) {
        let p = self.port;
        let Some(st) = self.hba.ports[usize::from(p)].as_ref() else {
            return;
        };
        let mut outstanding = 0u32;
        let mut expired: Option<Deadline> = None;
        for (t, f) in st.inflight.iter().enumerate() {
            if let Some(f) = f.as_ref().filter(|f| f.result.is_none()) {
                outstanding |= 1 << t;
                if expired.is_none() && f.deadline.expired(&self.hba.clock) {
                    expired = Some(f.deadline);
                }
            }
        }
        if outstanding == 0 {
            return;
        }
        let is = match self.hba.check_port(p) {
            Ok(is) => is,
            Err(e) => return self.hba.recover_after(p, e),
        };
        let sact = self.hba.pread(p, port::SACT);
        let ci = self.hba.pread(p, port::CI);
        if PortIs::from_bits(is).sdbs() {
            self.hba
                .pwrite(p, port::IS, PortIs::new().with_sdbs(true).into_bits());
        }
        let done = outstanding & !(sact | ci);
        if let Some(st) = self.hba.ports[usize::from(p)].as_mut() {
            for (t, f) in st.inflight.iter_mut().enumerate() {
                if done & (1 << t) != 0 {
                    if let Some(f) = f.as_mut() {
                        f.result = Some(Ok(()));
                    }
                }
            }
        }
        if let (Some(d), true) = (expired, outstanding & !done != 0) {
            let e = Error::CommandTimeout {
                port: p,
                waited: d.elapsed(&self.hba.clock),
            };
            self.hba.recover_after(p, e);
        }
    }

    /// The bounce buffer, allocated at bring-up.
    fn take_bounce(&mut self) -> Result<DmaBuffer<A>, Error> {
        let p = self.port;
        let st = self.hba.ports[usize::from(p)]
            .as_mut()
            .ok_or(Error::PortNotReady(p))?;
        match st.bounce.take() {
            Some(b) => Ok(b),
            None => Ok(DmaBuffer::new(self.hba.dma.clone(), BOUNCE_LEN, 4096)?),
        }
    }

    fn put_bounce(&mut self, b: DmaBuffer<A>) {
        if let Some(st) = self.hba.ports[usize::from(self.port)].as_mut() {
            st.bounce = Some(b);
        }
    }

    /// Copying read into ordinary memory through the port's bounce buffer.
    pub fn read_bytes(&mut self, lba: u64, out: &mut [u8]) -> Result<(), Error> {
        let ss = self.sector_size() as usize;
        if out.len() % ss != 0 {
            let e = BufferError::NotSectorMultiple {
                len: out.len(),
                sector_size: ss as u32,
            };
            return Err(e.into());
        }
        self.check_range(lba, (out.len() / ss) as u64)?;
        let mut bounce = self.take_bounce()?;
        let chunk = (BOUNCE_LEN / ss).max(1) * ss;
        let mut r = Ok(());
        for (i, part) in out.chunks_mut(chunk).enumerate() {
            let at = lba + (i * chunk / ss) as u64;
            r = self.read_sectors(at, (part.len() / ss) as u32, &mut bounce);
            if r.is_err() {
                break;
            }
            part.copy_from_slice(&bounce.as_slice()[..part.len()]);
        }
        self.put_bounce(bounce);
        r
    }

    /// Copying write from ordinary memory through the port's bounce buffer.
    pub fn write_bytes(&mut self, lba: u64, data: &[u8]) -> Result<(), Error> {
        let ss = self.sector_size() as usize;
        if data.len() % ss != 0 {
            let e = BufferError::NotSectorMultiple {
                len: data.len(),
                sector_size: ss as u32,
            };
            return Err(e.into());
        }
        self.check_range(lba, (data.len() / ss) as u64)?;
        let mut bounce = self.take_bounce()?;
        let chunk = (BOUNCE_LEN / ss).max(1) * ss;
        let mut r = Ok(());
        for (i, part) in data.chunks(chunk).enumerate() {
            let at = lba + (i * chunk / ss) as u64;
            bounce.as_mut_slice()[..part.len()].copy_from_slice(part);
            r = self.write_sectors(at, (part.len() / ss) as u32, &bounce);
            if r.is_err() {
                break;
            }
        }
        self.put_bounce(bounce);
        r
    }
}
