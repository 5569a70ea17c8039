//! Boots QEMU, captures COM1, and reports how it ended, within a time bound.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Result, out_dir};

/// What QEMU boots.
#[derive(Debug, Clone)]
pub enum Boot {
    /// `-kernel FILE [-append ARGS]` (multiboot 1 through QEMU's loader, SeaBIOS).
    Kernel {
        /// The kernel file.
        kernel: PathBuf,
        /// The loader command line.
        append: Option<String>,
    },
    /// A disk image on the q35 AHCI controller, under SeaBIOS or OVMF.
    Disk {
        /// The image (opened read-only: writes go to a throw-away overlay).
        image: PathBuf,
        /// Boot with OVMF (UEFI) instead of SeaBIOS.
        uefi: bool,
    },
    /// No boot file: only the extra arguments say what to boot (network boot).
    Custom {
        /// Boot with OVMF (UEFI) instead of SeaBIOS.
        uefi: bool,
    },
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// QEMU exited by itself with this status (0: ACPI power-off or, with -no-reboot, a reset;
    /// 33/35: the kernel wrote 0x10/0x11 to isa-debug-exit).
    Exited(i32),
    /// QEMU was stopped by a signal.
    Signalled,
    /// We stopped it: the time bound passed.
    TimedOut,
    /// We stopped it on purpose, `stop_after` past `osp: ready`.
    StoppedAfterReady,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Exited(c) => write!(f, "exit status {c}"),
            End::Signalled => write!(f, "killed by a signal"),
            End::TimedOut => write!(f, "timed out"),
            End::StoppedAfterReady => write!(f, "stopped after ready"),
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Everything on COM1.
    pub serial: String,
    /// How it ended.
    pub end: End,
    /// From QEMU's start to its end.
    pub elapsed: Duration,
    /// From QEMU's start to the kernel's `osp: ready` line.
    pub ready: Option<Duration>,
    /// What the [`Qemu::on_line`] action returned, if it ran.
    pub host: Option<Result<String>>,
}

impl Outcome {
    /// Whether QEMU ended because the guest powered off (ACPI S5 or isa-debug-exit).
    pub fn powered_off(&self) -> bool {
        matches!(self.end, End::Exited(0 | 33 | 35))
    }
}

/// A QEMU invocation.
/// What a host-side action gets while QEMU runs.
pub struct HostCtx {
    /// QEMU's QMP socket, when [`Qemu::qmp`] asked for one.
    pub qmp: Option<PathBuf>,
    /// COM1 output so far.
    pub serial: String,
}

/// A host-side action, run once when a COM1 line contains a pattern.
pub type HostAction = fn(&HostCtx) -> Result<String>;

pub struct Qemu {
    boot: Boot,
    on_line: Option<(&'static str, HostAction)>,
    qmp: bool,
    com2: bool,
    machine: &'static str,
    extra: Vec<String>,
    timeout: Duration,
    stop_after_ready: Option<Duration>,
    echo: bool,
    memory_mib: u32,
}

/// The accelerator: TCG unless `OSP_QEMU_ACCEL=kvm` and `/dev/kvm` opens read-write. TCG is
/// the default because nested KVM (CI machines are virtual) was measured slower than TCG for
/// this kernel and fails OVMF's early code with "emulation failure".
pub fn accel_args() -> Vec<String> {
    let kvm = std::env::var("OSP_QEMU_ACCEL").as_deref() == Ok("kvm")
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok();
    // QEMU tries the accelerators in order.
    let mut a = Vec::new();
    if kvm {
        a.extend(["-accel".into(), "kvm".into()]);
    }
    a.extend(["-accel".into(), "tcg".into()]);
    a
}

/// The accelerator actually wanted, for reports.
pub fn accel_name() -> &'static str {
    if accel_args().iter().any(|a| a == "kvm") {
        "KVM"
    } else {
        "TCG"
    }
}

impl Qemu {
    /// A q35 machine with 512 MiB, COM1 on our pipe, isa-debug-exit, no reboot.
    pub fn new(boot: Boot) -> Self {
        Self {
            boot,
            on_line: None,
            qmp: false,
            com2: false,
            machine: "q35",
            extra: Vec::new(),
            timeout: Duration::from_secs(120),
            stop_after_ready: None,
            echo: false,
            memory_mib: 512,
        }
    }

    /// Adds QEMU arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.extra.extend(args.into_iter().map(Into::into));
        self
    }

    /// Bounds the run.
    pub fn timeout_secs(mut self, secs: u64) -> Self {
        self.timeout = Duration::from_secs(secs);
        self
    }

    /// Stops QEMU this long after `osp: ready`.
    pub fn stop_after_ready(mut self, d: Duration) -> Self {
        self.stop_after_ready = Some(d);
        self
    }

    /// Runs `action` on the host (QEMU keeps running) the first time a COM1 line contains
    /// `pattern`; its result lands in [`Outcome::host`].
    pub fn on_line(mut self, pattern: &'static str, action: HostAction) -> Self {
        self.on_line = Some((pattern, action));
        self
    }

    /// The QEMU machine type (default `q35`; `pc` is the older i440FX/PIIX4 chipset).
    pub fn machine(mut self, machine: &'static str) -> Self {
        self.machine = machine;
        self
    }

    /// Puts our pipe on COM2 instead of COM1 (COM1 then goes nowhere).
    pub fn com2(mut self, on: bool) -> Self {
        self.com2 = on;
        self
    }

    /// Gives QEMU a QMP socket for the host action.
    pub fn qmp(mut self, on: bool) -> Self {
        self.qmp = on;
        self
    }

    fn qmp_path(&self) -> Option<PathBuf> {
        self.qmp
            .then(|| out_dir().join(format!("qmp-{}.sock", std::process::id())))
    }

    /// Copies COM1 to our stdout as it arrives.
    pub fn echo(mut self, on: bool) -> Self {
        self.echo = on;
        self
    }

    fn command(&self) -> Result<Command> {
        let mut c = Command::new("qemu-system-x86_64");
        c.args(accel_args());
        c.args(["-machine", self.machine, "-m"])
            .arg(self.memory_mib.to_string());
        c.args(["-display", "none", "-vga", "none", "-no-reboot"]);
        if self.com2 {
            c.args(["-serial", "null"]);
        }
        c.args(["-serial", "stdio"]);
        c.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        let uefi = match &self.boot {
            Boot::Kernel { kernel, append } => {
                c.arg("-kernel").arg(kernel);
                if let Some(a) = append {
                    c.arg("-append").arg(a);
                }
                false
            }
            Boot::Disk { image, uefi } => {
                c.arg("-drive").arg(format!(
                    "if=none,id=bootdisk,format=raw,snapshot=on,file={}",
                    image.display()
                ));
                c.args(["-device", "ide-hd,drive=bootdisk,bus=ide.0,bootindex=1"]);
                *uefi
            }
            Boot::Custom { uefi } => *uefi,
        };
        if uefi {
            let vars = out_dir().join(format!("ovmf-vars-{}.fd", std::process::id()));
            std::fs::copy("/usr/share/OVMF/OVMF_VARS_4M.fd", &vars)
                .map_err(|e| format!("OVMF vars: {e}"))?;
            c.args([
                "-drive",
                "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
            ]);
            c.arg("-drive").arg(format!(
                "if=pflash,format=raw,unit=1,file={}",
                vars.display()
            ));
        }
        if let Some(q) = self.qmp_path() {
            let _ = std::fs::remove_file(&q);
            c.arg("-qmp")
                .arg(format!("unix:{},server=on,wait=off", q.display()));
        }
        c.args(&self.extra);
        Ok(c)
    }

    /// Runs QEMU to its end, or to the time bound.
    pub fn run(self) -> Result<Outcome> {
        std::fs::create_dir_all(out_dir()).map_err(|e| e.to_string())?;
        let mut cmd = self.command()?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("qemu-system-x86_64: {e}"))?;
        let stdout = child.stdout.take().ok_or("no QEMU stdout")?;
        let mut stderr = child.stderr.take().ok_or("no QEMU stderr")?;
        let (tx, rx) = mpsc::channel::<(Instant, String)>();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            while r.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
                let line = String::from_utf8_lossy(&buf).into_owned();
                buf.clear();
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let mut serial = String::new();
        let mut ready: Option<Duration> = None;
        let mut host = None;
        let echo = self.echo;
        // Every COM1 line: echoed if asked, kept, and the first `osp: ready` timed.
        let absorb =
            |at: Instant, line: &str, serial: &mut String, ready: &mut Option<Duration>| {
                if echo {
                    print!("{line}");
                }
                if ready.is_none() && line.contains("osp: ready") {
                    *ready = Some(at - start);
                }
                serial.push_str(line);
            };
        let end = loop {
            while let Ok((at, line)) = rx.try_recv() {
                absorb(at, &line, &mut serial, &mut ready);
                if let Some((pattern, action)) = self.on_line {
                    if host.is_none() && line.contains(pattern) {
                        let ctx = HostCtx {
                            qmp: self.qmp_path(),
                            serial: serial.clone(),
                        };
                        host = Some(action(&ctx));
                    }
                }
            }
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status.code().map_or(End::Signalled, End::Exited);
            }
            if let (Some(r), Some(d)) = (ready, self.stop_after_ready) {
                if start.elapsed() > r + d {
                    let _ = child.kill();
                    let _ = child.wait();
                    break End::StoppedAfterReady;
                }
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break End::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = start.elapsed();
        let _ = reader.join();
        while let Ok((at, line)) = rx.try_recv() {
            absorb(at, &line, &mut serial, &mut ready);
        }
        let stderr = err_reader.join().unwrap_or_default();
        if !stderr.trim().is_empty() {
            serial.push_str("\n[qemu stderr]\n");
            serial.push_str(&stderr);
        }
        if let Some(q) = self.qmp_path() {
            let _ = std::fs::remove_file(q);
        }
        Ok(Outcome {
            serial: serial.replace('\r', ""),
            end,
            elapsed,
            ready,
            host,
        })
    }
}
