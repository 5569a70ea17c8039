//! Port bring-up (AHCI 1.3.1 §10.1.2, §10.4.2, §10.10.1), every port concurrently.
//!
//! Each implemented port runs its own small state machine — spin-up, link debounce, COMRESET,
//! wait for BSY/DRQ to clear, signature, IDENTIFY — and [`Hba::bring_up`] steps all of them
//! round-robin against the clock, so a port that needs its whole timeout never delays the
//! others, and the total is about the slowest port's time, not the sum.

use core::fmt;
use core::time::Duration;

use osp_hal::{Clock, DmaAllocator, DmaBuffer, Instant, RegisterIo};

use crate::config::LinkTiming;
use crate::error::{Error, PortOutcome, Signature};
use crate::fis::{H2dFis, ata_cmd};
use crate::hba::{Hba, Seg};
use crate::identify::{IDENTIFY_LEN, Identify};
use crate::regs::{Ssts, ata_status, det, port};

/// Link debounce, as Linux's `sata_link_debounce`: DET must hold one value (other than 1) for
/// `stable`, sampled every `interval`, within `timeout`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Debouncer {
    timing: LinkTiming,
    start: Instant,
    last: Option<u8>,
    since: Instant,
}

impl Debouncer {
    pub(crate) fn new(timing: LinkTiming, now: Instant) -> Self {
        Self {
            timing,
            start: now,
            last: None,
            since: now,
        }
    }

    pub(crate) fn interval(&self) -> Duration {
        self.timing.interval
    }

    /// Feeds one sample: `Some(Ok(det))` once settled, `Some(Err(last))` at the deadline.
    pub(crate) fn sample(&mut self, now: Instant, det_value: u8) -> Option<Result<u8, u8>> {
        if self.last != Some(det_value) {
            self.last = Some(det_value);
            self.since = now;
        }
        let held = now.saturating_duration_since(self.since);
        if det_value != det::PRESENT_NO_PHY && held >= self.timing.stable {
            return Some(Ok(det_value));
        }
        if now.saturating_duration_since(self.start) >= self.timing.timeout {
            return Some(Err(det_value));
        }
        None
    }
}

/// One port's line in a [`BringUpReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PortReport {
    /// Port number.
    pub port: u8,
    /// How bring-up ended.
    pub outcome: PortOutcome,
    /// When the port's bring-up started, from the start of [`Hba::bring_up`] (later than zero
    /// under staggered spin-up).
    pub started: Duration,
    /// Time the port took, from its start to its outcome.
    pub took: Duration,
    /// Time until the link settled (DET = 3), if it did.
    pub link_up_after: Option<Duration>,
    /// Negotiated link speed (PxSSTS.SPD: 1 = 1.5, 2 = 3, 3 = 6 Gb/s), 0 if none.
    pub speed: u8,
    /// COMRESETs issued.
    pub comresets: u8,
    /// What answered, when something did.
    pub signature: Option<Signature>,
}

impl fmt::Display for PortReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port {:2}: {} after {:?}",
            self.port, self.outcome, self.took
        )?;
        if let Some(l) = self.link_up_after {
            let gbps = match self.speed {
                1 => "1.5",
                2 => "3.0",
                3 => "6.0",
                _ => "?",
            };
            write!(f, " (link up at {l:?}, {gbps} Gb/s)")?;
        }
        if self.comresets > 0 {
            write!(f, " [{} COMRESET]", self.comresets)?;
        }
        Ok(())
    }
}

/// The result of [`Hba::bring_up`]: one report per implemented port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BringUpReport {
    ports: [Option<PortReport>; 32],
    /// Wall time of the whole bring-up.
    pub total: Duration,
}

impl BringUpReport {
    /// Reports of implemented ports, by port number.
    pub fn iter(&self) -> impl Iterator<Item = &PortReport> {
        self.ports.iter().flatten()
    }

    /// Port `p`'s report.
    pub fn port(&self, p: u8) -> Option<&PortReport> {
        self.ports.get(usize::from(p))?.as_ref()
    }

    /// Ports whose outcome is [`PortOutcome::Ready`].
    pub fn ready(&self) -> impl Iterator<Item = u8> + '_ {
        self.iter()
            .filter(|r| r.outcome == PortOutcome::Ready)
            .map(|r| r.port)
    }
}

impl fmt::Display for BringUpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.iter() {
            writeln!(f, "{r}")?;
        }
        write!(f, "bring-up took {:?}", self.total)
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    WaitTurn,
    Debounce(Debouncer, Instant),
    Hold(Instant),
    PreDebounce(Instant),
    WaitReady { since: Instant, next: Instant },
    Identify { since: Instant },
    Done(PortOutcome),
}

#[derive(Debug, Clone, Copy)]
struct Probe {
    phase: Phase,
    start: Option<Instant>,
    link_start: Instant,
    link_waited: Duration,
    link_up: Option<Instant>,
    comresets: u8,
    speed: u8,
    signature: Option<Signature>,
    end: Option<Instant>,
}

/// Poll interval of the BSY/DRQ wait (Linux `ata_wait_ready` polls every 50 ms; a shorter one
/// costs nothing here and gets disks going sooner).
const READY_POLL: Duration = Duration::from_millis(1);

impl<R: RegisterIo, A: DmaAllocator + Clone, C: Clock> Hba<R, A, C> {
    /// Brings every implemented port up and reports, per port, what happened and how long it
    /// took. Ports that end [`PortOutcome::Ready`] accept I/O through [`Hba::disk`].
    ///
    /// Bounded: no port takes longer than [`Config::port_budget`](crate::Config::port_budget)
    /// plus its IDENTIFY's [`command_timeout`](crate::Config::command_timeout) (and, under
    /// staggered spin-up, the link phases of the ports before it).
    pub fn bring_up(&mut self) -> BringUpReport {
        self.bring_up_ports(u32::MAX)
    }

    /// [`bring_up`](Self::bring_up) for the implemented ports in `mask` only (a re-probe after a
    /// hot plug or a failed recovery); the other ports are left alone and not reported.
    pub fn bring_up_ports(&mut self, mask: u32) -> BringUpReport {
        let t0 = self.now();
        let staggered = self.cap.sss() && !self.config.ignore_sss;
        let mut probes: [Option<Probe>; 32] = [None; 32];
        for p in 0..32u8 {
            if !self.is_implemented(p) || mask & (1 << p) == 0 {
                continue;
            }
            let now = self.now();
            let mut probe = Probe {
                phase: Phase::WaitTurn,
                start: None,
                link_start: now,
                link_waited: Duration::ZERO,
                link_up: None,
                comresets: 0,
                speed: 0,
                signature: None,
                end: None,
            };
            if let Some(st) = self.ports[usize::from(p)].as_mut() {
                st.ready = false;
            }
            // §10.1.2 steps 3–6: idle the port, give it memory, FIS receive on, clear errors.
            let setup = self
                .stop_engine(p, true)
                .and_then(|()| self.setup_port_memory(p))
                .map(|()| self.write_sctl(p, 0));
            if setup.is_ok() {
                // The engine is stopped: whatever a wedged port still held is safe to hand back.
                if let Some(st) = self.ports[usize::from(p)].as_mut() {
                    st.wedged = false;
                }
                self.fail_inflight(p, Error::Aborted(p));
            }
            if let Err(e) = setup {
                probe.start = Some(now);
                let outcome = match e {
                    Error::EngineStuck { waited, .. } => PortOutcome::EngineStuck { waited },
                    e => PortOutcome::SetupFailed(e),
                };
                probe.phase = Phase::Done(outcome);
                probe.end = Some(self.now());
            } else if !staggered {
                self.spin_up(p, &mut probe);
            }
            probes[usize::from(p)] = Some(probe);
        }

        let mut next_turn = self.now();
        loop {
            let mut pending = false;
            let in_link = |pr: &Probe| {
                matches!(
                    pr.phase,
                    Phase::Debounce(..) | Phase::Hold(_) | Phase::PreDebounce(_)
                )
            };
            let mut link_busy = staggered && probes.iter().flatten().any(in_link);
            for p in 0..32u8 {
                let Some(mut probe) = probes[usize::from(p)] else {
                    continue;
                };
                if matches!(probe.phase, Phase::Done(_)) {
                    continue;
                }
                pending = true;
                if matches!(probe.phase, Phase::WaitTurn) {
                    // §10.10.1: one port spins up at a time.
                    if !link_busy && self.now() >= next_turn {
                        self.spin_up(p, &mut probe);
                        link_busy = true;
                    }
                } else {
                    let was = in_link(&probe);
                    self.step(p, &mut probe);
                    if staggered && was && !in_link(&probe) {
                        next_turn = self.now().saturating_add(self.config.stagger_delay);
                    }
                }
                probes[usize::from(p)] = Some(probe);
            }
            if !pending {
                break;
            }
            self.clock.relax();
        }

        let mut ports = [None; 32];
        for (p, probe) in probes.iter().enumerate() {
            let Some(probe) = probe else { continue };
            let Phase::Done(outcome) = probe.phase else {
                continue;
            };
            let start = probe.start.unwrap_or(t0);
            let end = probe.end.unwrap_or(start);
            ports[p] = Some(PortReport {
                port: p as u8,
                outcome,
                started: start.saturating_duration_since(t0),
                took: end.saturating_duration_since(start),
                link_up_after: probe.link_up.map(|l| l.saturating_duration_since(start)),
                speed: probe.speed,
                comresets: probe.comresets,
                signature: probe.signature,
            });
        }
        BringUpReport {
            ports,
            total: self.now().saturating_duration_since(t0),
        }
    }

    /// §10.10.1: SUD (and POD when cold presence detection is there), then debounce the link.
    fn spin_up(&mut self, p: u8, probe: &mut Probe) {
        let now = self.now();
        probe.start = Some(now);
        probe.link_start = now;
        let c = self.cmd(p);
        let c = c.with_sud(true).with_pod(c.cpd() || c.pod()).with_fre(true);
        self.pwrite(p, port::CMD, c.into_bits());
        probe.phase = Phase::Debounce(Debouncer::new(self.config.link, now), now);
    }

    fn finish(&mut self, probe: &mut Probe, outcome: PortOutcome) {
        probe.phase = Phase::Done(outcome);
        probe.end = Some(self.now());
    }

    /// COMRESET (§10.4.2) if tries are left, else `outcome`.
    fn comreset_or(&mut self, p: u8, probe: &mut Probe, outcome: PortOutcome) {
        if probe.comresets < self.config.comreset_retries {
            probe.comresets += 1;
            // PxCMD.ST is clear during bring-up; COMRESET requires it.
            self.write_sctl(p, det::COMRESET);
            probe.phase = Phase::Hold(self.now().saturating_add(self.config.comreset_hold));
        } else {
            self.finish(probe, outcome);
        }
    }

    fn step(&mut self, p: u8, probe: &mut Probe) {
        let now = self.now();
        match probe.phase {
            Phase::WaitTurn | Phase::Done(_) => {}
            Phase::Hold(until) => {
                if now >= until {
                    self.write_sctl(p, 0);
                    let d = self.config.pre_debounce_delay;
                    probe.phase = Phase::PreDebounce(now.saturating_add(d));
                }
            }
            Phase::PreDebounce(until) => {
                if now >= until {
                    probe.link_start = now;
                    probe.phase = Phase::Debounce(Debouncer::new(self.config.link, now), now);
                }
            }
            Phase::Debounce(mut deb, next) => {
                if now < next {
                    return;
                }
                let raw = self.pread(p, port::SSTS);
                if raw == u32::MAX {
                    return self.finish(probe, PortOutcome::NoDevice);
                }
                let ssts = Ssts::from_bits(raw);
                match deb.sample(now, ssts.det()) {
                    None => {
                        probe.phase = Phase::Debounce(deb, now.saturating_add(deb.interval()));
                    }
                    Some(Ok(det::ESTABLISHED)) => {
                        probe.link_waited += now.saturating_duration_since(probe.link_start);
                        probe.link_up = Some(now);
                        probe.speed = ssts.spd();
                        self.pwrite(p, port::SERR, u32::MAX);
                        if ssts.ipm() != 1 {
                            // §10.1.2 / Linux: wake a link in partial/slumber (ICC = active).
                            let c = self.cmd(p);
                            self.pwrite(p, port::CMD, c.with_icc(1).into_bits());
                        }
                        probe.phase = Phase::WaitReady {
                            since: now,
                            next: now,
                        };
                    }
                    Some(Ok(_)) => self.finish(probe, PortOutcome::NoDevice),
                    Some(Err(_)) => {
                        probe.link_waited += now.saturating_duration_since(probe.link_start);
                        let waited = probe.link_waited;
                        self.comreset_or(p, probe, PortOutcome::LinkTimeout { waited });
                    }
                }
            }
            Phase::WaitReady { since, next } => {
                if now < next {
                    return;
                }
                let tfd = self.pread(p, port::TFD);
                let ssts = self.pread(p, port::SSTS);
                if tfd == u32::MAX || ssts == u32::MAX {
                    return self.finish(probe, PortOutcome::NoDevice);
                }
                if Ssts::from_bits(ssts).det() != det::ESTABLISHED {
                    // The link dropped while the device was getting ready: that ends this try
                    // (a flapping link must not restart the wait forever).
                    probe.link_up = None;
                    let waited = now.saturating_duration_since(probe.start.unwrap_or(now));
                    return self.comreset_or(p, probe, PortOutcome::LinkTimeout { waited });
                }
                let status = tfd as u8;
                if status & (ata_status::BSY | ata_status::DRQ) == 0 {
                    return self.device_ready(p, probe);
                }
                let waited = now.saturating_duration_since(since);
                if waited >= self.config.ready_timeout {
                    self.comreset_or(p, probe, PortOutcome::BusyTimeout { waited, status });
                } else {
                    probe.phase = Phase::WaitReady {
                        since,
                        next: now.saturating_add(READY_POLL),
                    };
                }
            }
            Phase::Identify { since } => {
                let waited = now.saturating_duration_since(since);
                match self.poll_slot0(p) {
                    Ok(false) if waited < self.config.command_timeout => {}
                    Ok(false) => {
                        let e = Error::CommandTimeout { port: p, waited };
                        self.recover_after(p, e);
                        self.finish(probe, PortOutcome::IdentifyFailed(e));
                    }
                    Ok(true) => {
                        let outcome = match self.store_identify(p) {
                            Ok(()) => PortOutcome::Ready,
                            Err(e) => PortOutcome::IdentifyFailed(e),
                        };
                        self.finish(probe, outcome);
                    }
                    Err(e) => {
                        self.recover_after(p, e);
                        self.finish(probe, PortOutcome::IdentifyFailed(e));
                    }
                }
            }
        }
    }

    /// BSY and DRQ are clear: read the signature, start the engine, issue IDENTIFY.
    fn device_ready(&mut self, p: u8, probe: &mut Probe) {
        let sig = Signature::from_raw(self.pread(p, port::SIG));
        probe.signature = Some(sig);
        if sig != Signature::Ata {
            return self.finish(probe, PortOutcome::Unsupported(sig));
        }
        self.clear_errors(p);
        if let Err(e) = self.start_engine(p) {
            let waited = match e {
                Error::EngineStuck { waited, .. } => waited,
                _ => Duration::ZERO,
            };
            return self.finish(probe, PortOutcome::EngineStuck { waited });
        }
        let issued = self.issue_identify(p);
        match issued {
            Ok(()) => probe.phase = Phase::Identify { since: self.now() },
            Err(e) => self.finish(probe, PortOutcome::IdentifyFailed(e)),
        }
    }

    fn issue_identify(&mut self, p: u8) -> Result<(), Error> {
        let st = self.ports[usize::from(p)]
            .as_mut()
            .ok_or(Error::PortNotReady(p))?;
        if st.bounce.is_none() {
            st.bounce = Some(DmaBuffer::new(
                self.dma.clone(),
                crate::io::BOUNCE_LEN,
                4096,
            )?);
        }
        let bus = st.bounce.as_ref().map_or(0, DmaBuffer::bus_addr);
        let seg = [Seg {
            bus,
            len: IDENTIFY_LEN,
        }];
        self.write_command(p, 0, &H2dFis::command(ata_cmd::IDENTIFY), &seg, false)?;
        self.pwrite(p, port::CI, 1);
        Ok(())
    }

    /// Whether slot 0 finished: `Ok(true)` done, `Ok(false)` still running.
    fn poll_slot0(&mut self, p: u8) -> Result<bool, Error> {
        let is = self.check_port(p)?;
        if self.pread(p, port::CI) & 1 == 0 {
            self.pwrite(p, port::IS, is);
            return Ok(true);
        }
        Ok(false)
    }

    fn store_identify(&mut self, p: u8) -> Result<(), Error> {
        let ncq_ok = self.cap.sncq() && !self.config.disable_ncq;
        let slots = self.command_slots();
        let st = self.ports[usize::from(p)]
            .as_mut()
            .ok_or(Error::PortNotReady(p))?;
        let data = st.bounce.as_ref().ok_or(Error::PortNotReady(p))?;
        let id = Identify::parse(&data.as_slice()[..IDENTIFY_LEN])?;
        st.ncq_depth = match id.ncq_depth {
            Some(d) if ncq_ok && id.lba48() => d.min(slots),
            _ => 0,
        };
        st.identify = Some(id);
        st.ready = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_nanos(n * 1_000_000)
    }

    #[test]
    fn debounce_needs_a_stable_value_for_the_whole_duration() {
        let mut d = Debouncer::new(LinkTiming::NORMAL, ms(0));
        assert_eq!(d.sample(ms(0), 1), None, "DET=1 never counts as settled");
        assert_eq!(d.sample(ms(5), 3), None);
        assert_eq!(d.sample(ms(50), 3), None);
        assert_eq!(d.sample(ms(60), 1), None, "a flap restarts the clock");
        assert_eq!(d.sample(ms(61), 3), None);
        assert_eq!(d.sample(ms(161), 3), Some(Ok(3)));
    }

    #[test]
    fn empty_port_settles_after_the_stable_time_and_stuck_port_times_out() {
        let mut d = Debouncer::new(LinkTiming::NORMAL, ms(0));
        assert_eq!(d.sample(ms(0), 0), None);
        assert_eq!(d.sample(ms(100), 0), Some(Ok(0)));
        let mut d = Debouncer::new(LinkTiming::NORMAL, ms(0));
        assert_eq!(d.sample(ms(1999), 1), None);
        assert_eq!(d.sample(ms(2000), 1), Some(Err(1)));
    }

    #[test]
    fn no_wait_takes_one_look() {
        let mut d = Debouncer::new(LinkTiming::NO_WAIT, ms(0));
        assert_eq!(d.sample(ms(0), 3), Some(Ok(3)));
        let mut d = Debouncer::new(LinkTiming::NO_WAIT, ms(0));
        assert_eq!(d.sample(ms(0), 1), Some(Err(1)));
    }
}
