//! `cargo xtask test`: every host test, then the QEMU boot tests. Each boot test boots the
//! kernel a certain way and checks what it printed on COM1 and how QEMU ended, within a bound.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::qemu::{Boot, End, Outcome, Qemu};
use crate::{Result, embed, image, kernel, out_dir, prereq, root};

/// A boot test.
pub(crate) struct Scenario {
    /// What it shows, as printed in the results.
    pub name: &'static str,
    /// Boots QEMU.
    pub run: fn(&Artifacts) -> Result<Outcome>,
    /// Lists what is wrong with the outcome (empty: passed).
    pub check: fn(&Outcome) -> Vec<String>,
}

/// What the scenarios boot.
pub(crate) struct Artifacts {
    /// The freshly built kernel (empty embedded command line).
    pub kernel: PathBuf,
    /// A copy with `osp.after=poweroff osp.log=debug` embedded.
    pub embedded_kernel: PathBuf,
    /// A bare.img whose GRUB passes `osp.after=poweroff`.
    pub image: PathBuf,
}

pub(crate) const READY: &str = "osp: ready";

pub(crate) fn expect(out: &Outcome, needles: &[&str]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| !out.serial.contains(*n))
        .map(|n| format!("COM1 output lacks {n:?}"))
        .collect()
}

pub(crate) fn expect_power_off(out: &Outcome) -> Vec<String> {
    let mut v = Vec::new();
    if !out.powered_off() {
        v.push(format!("QEMU did not end by power-off ({})", out.end));
    }
    if !out.serial.contains("osp: power off") {
        v.push("the kernel never said it was powering off".into());
    }
    v
}

/// The banner, CPU and memory lines every successful boot prints.
pub(crate) fn expect_boot(out: &Outcome) -> Vec<String> {
    let mut v = expect(
        out,
        &[
            concat!("OSp ", env!("CARGO_PKG_VERSION")),
            "cmdline: ",
            "cpu: vendor_id",
            "cpu: flags",
            " lm",
            "memory: ",
            " MiB usable",
            "identity-mapped",
            READY,
        ],
    );
    if out.serial.contains("FATAL") || out.serial.contains("PANIC") {
        v.push("the kernel reported a fatal error".into());
    }
    v
}

fn kernel_boot(k: &Path, append: Option<&str>) -> Qemu {
    Qemu::new(Boot::Kernel {
        kernel: k.to_path_buf(),
        append: append.map(str::to_string),
    })
    .timeout_secs(90)
}

fn scenarios() -> Vec<Scenario> {
    let mut v = base_scenarios();
    v.extend(crate::netboot::scenarios());
    v.extend(crate::nettest::scenarios());
    v
}

fn base_scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "qemu -kernel (multiboot 1), loader command line",
            run: |a| kernel_boot(&a.kernel, Some("osp.after=poweroff osp.no.such.key=1")).run(),
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &[
                        "boot: multiboot1",
                        "cmdline: \"osp.after=poweroff osp.no.such.key=1\" (from loader)",
                        "unknown parameter \"osp.no.such.key\" ignored",
                    ],
                ));
                v.extend(expect(
                    o,
                    &[
                        "acpi: RSDP revision",
                        "acpi: FACP",
                        "acpi: MADT: 1 CPUs enabled",
                        "acpi: MADT: I/O APIC id 0 at 0xfec00000, GSI base 0",
                        "acpi: MADT: override bus 0 IRQ 0 -> GSI 2",
                        "acpi: MCFG: ECAM at 0xb0000000, segment 0, buses 0-255",
                        "acpi: _S5: SLP_TYPa=0",
                        "acpi: ACPI mode: Enabled { polls:",
                        "pci: ECAM at 0xb0000000",
                        "pci: 00:1f.2 SATA controller [0106]: Device [8086:2922] (rev 02)",
                    ],
                ));
                v.extend(expect_power_off(o));
                if o.end != End::Exited(0) {
                    v.push(format!(
                        "expected ACPI S5 power-off (QEMU status 0), got {}",
                        o.end
                    ));
                }
                if o.serial.contains("power-off impossible") {
                    v.push("ACPI power-off failed".into());
                }
                v
            },
        },
        Scenario {
            name: "PCI list agrees with QEMU (root port + device behind it, multi-function device); SATA disk identified",
            run: |a| {
                kernel_boot(&a.kernel, Some("osp.after=halt"))
                    .args([
                        "-device",
                        "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x6",
                        "-device",
                        "e1000e,bus=rp1,netdev=n1",
                        "-netdev",
                        "user,id=n1,restrict=on",
                        "-device",
                        "virtio-net-pci,multifunction=on,addr=0x7.0,netdev=n2",
                        "-netdev",
                        "user,id=n2,restrict=on",
                        "-device",
                        "virtio-rng-pci,addr=0x7.1",
                        "-drive",
                        "if=none,id=d2,format=raw,file=null-co://,file.size=64M",
                        "-device",
                        "ide-hd,drive=d2,bus=ide.3,serial=OSPDISK1,model=OSP-TEST-DISK",
                    ])
                    .qmp(true)
                    .on_line(READY, |ctx| {
                        let q = ctx.qmp.as_ref().ok_or("no QMP socket")?;
                        let fns = crate::qmp::pci_functions(q)?;
                        Ok(fns
                            .iter()
                            .map(|(b, s, f, class, v, d)| {
                                format!("{b:02x}:{s:02x}.{f} [{class:04x}] [{v:04x}:{d:04x}]\n")
                            })
                            .collect())
                    })
                    .stop_after_ready(Duration::from_secs(1))
                    .run()
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &[
                        "pci: 01:00.0 Ethernet controller [0200]: Device [8086:10d3]",
                        "Model Number:       OSP-TEST-DISK",
                        "Serial Number:      OSPDISK1",
                        "Queue depth: 32",
                        "ahci: port 3: ready",
                        "ahci: port 0: no device",
                    ],
                ));
                let qemu = match &o.host {
                    Some(Ok(list)) => list.clone(),
                    Some(Err(e)) => {
                        v.push(format!("QMP query-pci failed: {e}"));
                        return v;
                    }
                    None => {
                        v.push("QMP was never asked (no ready line?)".into());
                        return v;
                    }
                };
                let kernel: Vec<&str> = o
                    .serial
                    .lines()
                    .filter(|l| l.starts_with("pci: ") && l.contains("]: "))
                    .collect();
                let mut count = 0;
                for q in qemu.lines() {
                    count += 1;
                    let (bdf, rest) = q.split_once(' ').unwrap_or((q, ""));
                    let (class, ids) = rest.split_once(' ').unwrap_or((rest, ""));
                    let ok = kernel.iter().any(|l| {
                        l.starts_with(&format!("pci: {bdf} "))
                            && l.contains(class)
                            && l.contains(ids)
                    });
                    if !ok {
                        v.push(format!(
                            "QEMU has {q} but the kernel printed no matching line"
                        ));
                    }
                }
                if kernel.len() != count {
                    v.push(format!(
                        "the kernel listed {} functions, QEMU has {count}",
                        kernel.len()
                    ));
                }
                // host bridge, root port, e1000e, virtio-net, virtio-rng, ISA, SATA, SMBus
                if count < 8 {
                    v.push(format!("QEMU reported only {count} functions"));
                }
                v
            },
        },
        Scenario {
            name: "scratch disk: the kernel writes with DMA and NCQ, the host checks the image",
            run: |a| {
                let img = out_dir().join("test/scratch.img");
                let size = 8u64 << 20;
                let f = std::fs::File::create(&img).map_err(|e| e.to_string())?;
                f.set_len(size).map_err(|e| e.to_string())?;
                drop(f);
                let mut o = kernel_boot(
                    &a.kernel,
                    Some("osp.after=poweroff osp.scratch=OSPSCRATCH osp.scratch.sectors=6000"),
                )
                .args([
                    "-drive".to_string(),
                    format!("if=none,id=s0,format=raw,file={}", img.display()),
                    "-device".to_string(),
                    "ide-hd,drive=s0,bus=ide.2,serial=OSPSCRATCH".to_string(),
                ])
                .run()?;
                o.host = Some(verify_scratch(&img, 6000, size));
                Ok(o)
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &[
                        "scratch: port 2 is the scratch disk \"OSPSCRATCH\"",
                        "scratch: write dma",
                        "scratch: write ncq",
                        "scratch: read ncq",
                        "scratch: verified 6000 sectors",
                    ],
                ));
                match &o.host {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => v.push(format!("image check: {e}")),
                    None => v.push("image not checked".into()),
                }
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "embedded command line (xtask embed), no loader parameters",
            run: |a| kernel_boot(&a.embedded_kernel, None).run(),
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &[
                        "cmdline: \"osp.after=poweroff osp.log=debug\" (from embedded)",
                        "DEBUG",
                    ],
                ));
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "loader parameters win over embedded ones",
            run: |a| kernel_boot(&a.embedded_kernel, Some("osp.after=poweroff")).run(),
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &["cmdline: \"osp.after=poweroff\" (from loader)"],
                ));
                if o.serial.contains("DEBUG") {
                    v.push("the embedded osp.log=debug leaked through".into());
                }
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "osp.test=fault prints a page-fault dump and powers off",
            run: |a| kernel_boot(&a.kernel, Some("osp.after=poweroff osp.test=fault")).run(),
            check: |o| {
                let mut v = expect(
                    o,
                    &[
                        READY,
                        "CPU exception 14 (page fault)",
                        "not-present read kernel",
                        "CR2=0x0000400000000000",
                        "RIP=0x",
                        "RAX=0x",
                        "R15=0x",
                    ],
                );
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "i440FX/PIIX4 machine: PCI over port I/O (no MCFG), IDE only, ACPI S5 power-off",
            run: |a| {
                kernel_boot(&a.kernel, Some("osp.after=poweroff"))
                    .machine("pc")
                    .run()
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &[
                        "pci: port I/O configuration mechanism (0xCF8/0xCFC)",
                        "pci: 00:00.0 Host bridge [0600]: Device [8086:1237] (rev 02)",
                        "pci: 00:01.1 IDE interface [0101]",
                        "acpi: ACPI mode: Enabled { polls:",
                    ],
                ));
                if o.serial.contains("acpi: MCFG") || o.serial.contains("ahci: ") {
                    v.push("an i440FX has neither MCFG nor AHCI".into());
                }
                v.extend(expect_power_off(o));
                if o.end != End::Exited(0) {
                    v.push(format!(
                        "expected ACPI S5 power-off (QEMU status 0), got {}",
                        o.end
                    ));
                }
                v
            },
        },
        Scenario {
            name: "osp.console=com2 moves the console to COM2 (a BMC's serial-over-LAN port)",
            run: |a| {
                kernel_boot(&a.kernel, Some("osp.after=poweroff osp.console=com2"))
                    .com2(true)
                    .run()
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(
                    o,
                    &["cmdline: \"osp.after=poweroff osp.console=com2\" (from loader)"],
                ));
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "osp.after=halt stays halted",
            run: |a| {
                kernel_boot(&a.kernel, Some("osp.after=halt"))
                    .stop_after_ready(Duration::from_secs(2))
                    .run()
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(o, &["osp: halted"]));
                if o.end != End::StoppedAfterReady {
                    v.push(format!("QEMU should still run after halt, but: {}", o.end));
                }
                v
            },
        },
        Scenario {
            name: "bare.img as a SATA (AHCI) disk under SeaBIOS",
            run: |a| {
                Qemu::new(Boot::Disk {
                    image: a.image.clone(),
                    uefi: false,
                })
                .timeout_secs(120)
                .run()
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(o, &["boot: multiboot2 from GRUB", "(from loader)"]));
                v.extend(expect_power_off(o));
                v
            },
        },
        Scenario {
            name: "bare.img as a SATA (AHCI) disk under OVMF (UEFI)",
            run: |a| {
                Qemu::new(Boot::Disk {
                    image: a.image.clone(),
                    uefi: true,
                })
                .timeout_secs(240)
                .run()
            },
            check: |o| {
                let mut v = expect_boot(o);
                v.extend(expect(o, &["boot: multiboot2 from GRUB"]));
                v.extend(expect_power_off(o));
                v
            },
        },
    ]
}

/// Checks the scratch image: sector k holds k (u64 LE), "OSPWRITE", then (k + j) mod 251 for
/// every byte j >= 16; sectors past `sectors` are untouched (zero).
fn verify_scratch(img: &Path, sectors: u64, size: u64) -> Result<String> {
    const SS: usize = 512;
    let data = std::fs::read(img).map_err(|e| e.to_string())?;
    if data.len() as u64 != size {
        return Err(format!("image is {} bytes, expected {size}", data.len()));
    }
    let mut expected = [0u8; SS];
    for k in 0..sectors {
        expected[..8].copy_from_slice(&k.to_le_bytes());
        expected[8..16].copy_from_slice(b"OSPWRITE");
        for (j, b) in expected.iter_mut().enumerate().skip(16) {
            *b = ((k + j as u64) % 251) as u8;
        }
        let at = k as usize * SS;
        if data[at..at + SS] != expected {
            return Err(format!("sector {k} differs"));
        }
    }
    if data[sectors as usize * SS..].iter().any(|&b| b != 0) {
        return Err(format!("bytes past sector {sectors} were written"));
    }
    Ok(format!("{sectors} sectors verified"))
}

fn host_tests() -> Result {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("xtask: host tests (cargo test --workspace)");
    let ok = Command::new(&cargo)
        .args(["test", "--workspace", "--all-features"])
        .current_dir(root())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err("host tests failed".into());
    }
    println!("xtask: kernel library tests on the host");
    let ok = Command::new(&cargo)
        .args([
            "test",
            "--lib",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target-dir",
        ])
        .arg(root().join("target/kernel-host"))
        .current_dir(root().join("osp-kernel"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err("kernel library tests failed".into());
    }
    Ok(())
}

/// Runs `list`, printing one line per scenario (and what went wrong, with the end of COM1 saved
/// under `log_dir`); returns (passed, failed).
pub(crate) fn run_scenarios(list: Vec<Scenario>, a: &Artifacts, log_dir: &Path) -> (u32, u32) {
    let (mut passed, mut failed) = (0, 0);
    for s in list {
        let result = (s.run)(a);
        let problems = match &result {
            Ok(out) => (s.check)(out),
            Err(e) => vec![e.clone()],
        };
        let timing = result.as_ref().map_or(String::new(), |o| {
            let ready = o
                .ready
                .map_or("-".into(), |d| format!("{:.2} s", d.as_secs_f64()));
            format!("{:.2} s, ready after {ready}", o.elapsed.as_secs_f64())
        });
        if problems.is_empty() {
            passed += 1;
            println!("test {} ... ok ({timing})", s.name);
            continue;
        }
        failed += 1;
        println!("test {} ... FAILED ({timing})", s.name);
        for p in &problems {
            println!("    {p}");
        }
        if let Ok(o) = &result {
            let log = log_dir.join(format!("failed-{}.log", passed + failed));
            let _ = std::fs::write(&log, &o.serial);
            println!(
                "    COM1 output saved to {}; its last lines:",
                log.display()
            );
            let lines: Vec<&str> = o.serial.lines().collect();
            for l in &lines[lines.len().saturating_sub(15)..] {
                println!("    | {l}");
            }
        }
    }
    (passed, failed)
}

/// Runs the host tests (unless `host` is false) and every boot test.
pub fn test_all(host: bool) -> Result {
    prereq::ensure(prereq::Need::All)?;
    if host {
        host_tests()?;
    }
    println!("xtask: building the kernel and images");
    let built = kernel::build()?;
    let test_dir = out_dir().join("test");
    std::fs::create_dir_all(&test_dir).map_err(|e| e.to_string())?;
    // The tests boot a copy with nothing embedded, whatever the developer embedded in theirs.
    let kernel = test_dir.join("osp-kernel");
    std::fs::copy(&built, &kernel).map_err(|e| e.to_string())?;
    embed::write(&kernel, "")?;
    let embedded_kernel = test_dir.join("osp-kernel-embedded");
    std::fs::copy(&kernel, &embedded_kernel).map_err(|e| e.to_string())?;
    embed::write(&embedded_kernel, "osp.after=poweroff osp.log=debug")?;
    if embed::read(&embedded_kernel)? != "osp.after=poweroff osp.log=debug" {
        return Err("embed --show does not read back what embed wrote".into());
    }
    let image = image::bare_img(
        &kernel,
        &test_dir.join("bare-test.img"),
        Some("osp.after=poweroff"),
    )?;
    let a = Artifacts {
        kernel,
        embedded_kernel,
        image,
    };

    println!("xtask: QEMU boot tests ({})", crate::qemu::accel_name());
    let (passed, failed) = run_scenarios(scenarios(), &a, &test_dir);
    println!("qemu: {passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} boot tests failed"))
    }
}
