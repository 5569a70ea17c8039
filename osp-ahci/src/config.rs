//! Bring-up and I/O timing: every wait the driver does, with presets named after Linux libata.

#![forbid(unsafe_code)]

use core::time::Duration;

/// How the driver decides a SATA link is stable (Linux `sata_link_debounce`).
///
/// The link is sampled every `interval`; it counts as settled once PxSSTS.DET has held the same
/// value (other than 1, "present, no PHY yet") for `stable`. The whole wait is capped at
/// `timeout`. An empty port therefore costs about `stable`, not `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LinkTiming {
    /// Time between samples of PxSSTS.
    pub interval: Duration,
    /// How long DET must stay unchanged to count as settled.
    pub stable: Duration,
    /// Upper bound of one debounce.
    pub timeout: Duration,
}

impl LinkTiming {
    /// Linux `sata_deb_timing_normal`: 5 ms / 100 ms / 2 s (boot probe, error handling).
    pub const NORMAL: Self = Self::from_ms(5, 100, 2000);
    /// Linux `sata_deb_timing_hotplug`: 25 ms / 500 ms / 2 s (after a hot plug).
    pub const HOTPLUG: Self = Self::from_ms(25, 500, 2000);
    /// Linux `sata_deb_timing_long`: 100 ms / 2 s / 5 s (flaky PHYs).
    pub const LONG: Self = Self::from_ms(100, 2000, 5000);
    /// No debounce at all: one look at DET. This is what OSv did (16 reads, no delay); it exists
    /// to show why it fails, and for emulators whose link is up before the driver looks.
    pub const NO_WAIT: Self = Self::from_ms(0, 0, 0);

    const fn from_ms(interval: u64, stable: u64, timeout: u64) -> Self {
        Self {
            interval: Duration::from_millis(interval),
            stable: Duration::from_millis(stable),
            timeout: Duration::from_millis(timeout),
        }
    }
}

/// Everything that bounds a wait, plus the switches users of Linux know as module parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Config {
    /// Link debounce.
    pub link: LinkTiming,
    /// Pause after releasing COMRESET before sampling the link: some PHYs react badly to being
    /// polled at once (Linux: 200 ms, `libata.force=nodbdelay` turns it off).
    pub pre_debounce_delay: Duration,
    /// How long COMRESET is asserted (PxSCTL.DET = 1); the spec asks for at least 1 ms.
    pub comreset_hold: Duration,
    /// How many COMRESETs to try on a port whose link does not settle, or whose device stays
    /// busy, before giving up on it.
    pub comreset_retries: u8,
    /// How long a device may keep BSY or DRQ set after the link came up (Linux gives 10 s on the
    /// first try: "most drives spin up by 10sec").
    pub ready_timeout: Duration,
    /// Bound of GHC.HR (the spec allows 1 s).
    pub hba_reset_timeout: Duration,
    /// Bound of PxCMD.CR / PxCMD.FR clearing after ST / FRE are cleared (the spec allows 500 ms).
    pub engine_stop_timeout: Duration,
    /// Bound of the BIOS/OS handoff (BOHC.BOS clearing; the spec allows 25 ms, plus 2 s if the
    /// BIOS says it is busy).
    pub handoff_timeout: Duration,
    /// Bound of IDENTIFY and data commands.
    pub command_timeout: Duration,
    /// Bound of FLUSH CACHE (Linux: 15 s, then 30 s).
    pub flush_timeout: Duration,
    /// Do not reset the HBA (Linux `ahci.skip_host_reset=1`): keeps what firmware set up.
    pub skip_hba_reset: bool,
    /// Spin all ports up at once even when CAP.SSS asks for staggering (Linux `ahci.ignore_sss`).
    pub ignore_sss: bool,
    /// Pause between spinning up one port and the next under staggered spin-up.
    pub stagger_delay: Duration,
    /// Never use NCQ, even if HBA and device support it (`libata.force=noncq`).
    pub disable_ncq: bool,
    /// Highest link speed to negotiate: 0 = no limit, 1 = 1.5, 2 = 3, 3 = 6 Gb/s
    /// (`libata.force=1.5Gbps` …).
    pub link_speed_limit: u8,
}

impl Config {
    /// Linux's defaults: the `normal` debounce table, 200 ms pre-debounce delay, 10 s ready.
    pub const fn normal() -> Self {
        Self {
            link: LinkTiming::NORMAL,
            pre_debounce_delay: Duration::from_millis(200),
            comreset_hold: Duration::from_millis(1),
            comreset_retries: 1,
            ready_timeout: Duration::from_secs(10),
            hba_reset_timeout: Duration::from_secs(1),
            engine_stop_timeout: Duration::from_millis(500),
            handoff_timeout: Duration::from_millis(2025),
            command_timeout: Duration::from_secs(10),
            flush_timeout: Duration::from_secs(30),
            skip_hba_reset: false,
            ignore_sss: false,
            stagger_delay: Duration::ZERO,
            disable_ncq: false,
            link_speed_limit: 0,
        }
    }

    /// For ports that were just hot-plugged: the `hotplug` debounce table (25 ms / 500 ms / 2 s).
    pub const fn hotplug() -> Self {
        Self {
            link: LinkTiming::HOTPLUG,
            ..Self::normal()
        }
    }

    /// For flaky PHYs and slow drives: the `long` debounce table (100 ms / 2 s / 5 s), two
    /// COMRESET retries and 35 s for a drive to spin up (Linux's longest reset try).
    pub const fn long() -> Self {
        Self {
            link: LinkTiming::LONG,
            comreset_retries: 2,
            ready_timeout: Duration::from_secs(35),
            ..Self::normal()
        }
    }

    /// No link wait at all and no COMRESET: OSv's behaviour. Exists for the regression test and
    /// for comparison; do not use it on hardware.
    pub const fn no_wait() -> Self {
        Self {
            link: LinkTiming::NO_WAIT,
            pre_debounce_delay: Duration::ZERO,
            comreset_retries: 0,
            ..Self::normal()
        }
    }

    /// This configuration with another debounce table.
    pub const fn with_link(mut self, link: LinkTiming) -> Self {
        self.link = link;
        self
    }

    /// This configuration with NCQ disabled or not.
    pub const fn with_ncq_disabled(mut self, disable: bool) -> Self {
        self.disable_ncq = disable;
        self
    }

    /// This configuration with the HBA reset skipped or not.
    pub const fn with_skip_hba_reset(mut self, skip: bool) -> Self {
        self.skip_hba_reset = skip;
        self
    }

    /// This configuration with staggered spin-up ignored or not.
    pub const fn with_ignore_sss(mut self, ignore: bool) -> Self {
        self.ignore_sss = ignore;
        self
    }

    /// This configuration with a link speed limit (0 = none, 1..=3 = Gen1..Gen3).
    pub const fn with_link_speed_limit(mut self, gen_: u8) -> Self {
        self.link_speed_limit = gen_;
        self
    }

    /// This configuration with another pre-debounce delay.
    pub const fn with_pre_debounce_delay(mut self, d: Duration) -> Self {
        self.pre_debounce_delay = d;
        self
    }

    /// This configuration with another ready (BSY) timeout.
    pub const fn with_ready_timeout(mut self, d: Duration) -> Self {
        self.ready_timeout = d;
        self
    }

    /// This configuration with another command timeout.
    pub const fn with_command_timeout(mut self, d: Duration) -> Self {
        self.command_timeout = d;
        self
    }

    /// This configuration with another number of COMRESET retries.
    pub const fn with_comreset_retries(mut self, n: u8) -> Self {
        self.comreset_retries = n;
        self
    }

    /// The longest a single port's bring-up can take under this configuration (excluding
    /// IDENTIFY): what "one bad port never blocks the others beyond its own timeout" means.
    pub fn port_budget(&self) -> Duration {
        let tries = u32::from(self.comreset_retries) + 1;
        self.engine_stop_timeout * 2
            + (self.link.timeout
                + self.pre_debounce_delay
                + self.comreset_hold
                + self.ready_timeout)
                * tries
    }
}

impl Default for Config {
    /// [`Config::normal`].
    fn default() -> Self {
        Self::normal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_linux_tables() {
        assert_eq!(Config::default().link, LinkTiming::from_ms(5, 100, 2000));
        assert_eq!(Config::hotplug().link, LinkTiming::from_ms(25, 500, 2000));
        assert_eq!(Config::long().link, LinkTiming::from_ms(100, 2000, 5000));
        assert_eq!(Config::no_wait().link.timeout, Duration::ZERO);
        assert!(Config::default().comreset_hold >= Duration::from_millis(1));
    }
}
