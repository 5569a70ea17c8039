//! `cargo xtask netboot`: the network boot tree (a TFTP root), and its QEMU tests.
//!
//! ```text
//! target/osp/netboot/
//!   osp-kernel                  the kernel
//!   boot.ipxe                   iPXE script: `kernel osp-kernel <parameters>`, `boot`
//!   undionly.kpxe               iPXE for BIOS PXE (Debian's ipxe package), chained by the firmware
//!   bootx64.efi                 GRUB's network image for UEFI PXE (grub-mknetdir)
//!   boot/grub/grub.cfg          GRUB: serial console, `multiboot2 /osp-kernel <parameters>`
//!   boot/grub/x86_64-efi/       GRUB's modules, fetched by TFTP as needed
//!   dnsmasq.conf                TFTP server + proxy DHCP beside an existing DHCP server
//! ```
//!
//! BIOS: the firmware's PXE fetches `undionly.kpxe`; that iPXE asks DHCP again, now with user
//! class `iPXE`, and is sent to `boot.ipxe`, which loads the kernel as multiboot 1 (iPXE has no
//! multiboot 2). UEFI: iPXE cannot boot a multiboot kernel there, so the firmware's PXE fetches
//! GRUB instead, which loads the kernel with `multiboot2` (RSDP, memory map) over TFTP.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::qemu::{Boot, Outcome, Qemu};
use crate::scenarios::{Artifacts, Scenario, expect, expect_boot, expect_power_off};
use crate::{Result, embed, out_dir};

/// The parameters when neither `--args` nor the kernel file gives any: keep serving on the
/// network, which is what a network-booted machine is for.
pub const DEFAULT_PARAMS: &str = "osp.after=serve";

/// iPXE for BIOS PXE, as Debian's `ipxe` package installs it.
const UNDIONLY: &str = "/usr/lib/ipxe/undionly.kpxe";
/// GRUB's x86-64 EFI modules (`grub-efi-amd64-bin`).
const GRUB_EFI_DIR: &str = "/usr/lib/grub/x86_64-efi";
/// Where GRUB's files sit in the tree; grub-mknetdir bakes `/boot/grub` into its image as the
/// prefix, so GRUB finds `grub.cfg` and its modules there on the TFTP server.
const GRUB_SUBDIR: &str = "boot/grub";

/// The parameters the tree passes: `--args` when given (even empty: then the loaders pass none
/// and the kernel's embedded ones apply), else the kernel file's embedded ones, else
/// [`DEFAULT_PARAMS`].
pub fn resolve_params(given: Option<&str>, embedded: &str) -> String {
    match given {
        Some(g) => g.trim().to_string(),
        None if !embedded.trim().is_empty() => embedded.trim().to_string(),
        None => DEFAULT_PARAMS.to_string(),
    }
}

/// Refuses parameters that iPXE's or GRUB's script language would read as more than words:
/// line breaks end the command, `$` expands settings/variables, quotes, `;`, `|`, `&`, `#` and
/// `\` are syntax in one or both.
pub fn check_params(params: &str) -> Result {
    let bad: &[char] = &['\n', '\r', '\0', '"', '\'', ';', '$', '|', '&', '#', '\\'];
    if let Some(c) = params.chars().find(|c| bad.contains(c)) {
        return Err(format!(
            "netboot parameters may not contain {c:?} (it is syntax in the iPXE script or grub.cfg)"
        ));
    }
    Ok(())
}

/// `boot.ipxe`. File names are relative to the script's own URL, so the script works from any
/// TFTP (or HTTP) server that holds the tree.
pub fn ipxe_script(params: &str) -> String {
    let kernel_line = if params.is_empty() {
        "kernel osp-kernel".to_string()
    } else {
        format!("kernel osp-kernel {params}")
    };
    format!(
        "#!ipxe\n\
         # OSp network boot (BIOS): iPXE loads the kernel as multiboot 1 from the same server.\n\
         # The words after the file name are the kernel parameters; they win over the ones\n\
         # embedded in the kernel file. Edit them here, no rebuild needed.\n\
         echo OSp: loading osp-kernel from ${{next-server}}\n\
         {kernel_line}\n\
         boot\n"
    )
}

/// `boot/grub/grub.cfg` for the UEFI path: serial console, then the kernel over TFTP.
pub fn grub_cfg(params: &str) -> String {
    let load = if params.is_empty() {
        "multiboot2 /osp-kernel".to_string()
    } else {
        format!("multiboot2 /osp-kernel {params}")
    };
    format!(
        "# OSp network boot (UEFI): GRUB loads the kernel with multiboot2 over TFTP.\n\
         # The words after the file name are the kernel parameters; they win over the ones\n\
         # embedded in the kernel file. Edit them here, no rebuild needed.\n\
         set timeout=0\n\
         set default=0\n\
         serial --unit=0 --speed=115200\n\
         terminal_input serial console\n\
         terminal_output serial console\n\
         menuentry \"OSp (network)\" {{\n\
         \x20   echo \"OSp: loading /osp-kernel from ($root)\"\n\
         \x20   {load}\n\
         \x20   boot\n\
         }}\n"
    )
}

/// `dnsmasq.conf`: TFTP from `tftp_root`, PXE answers as a proxy beside an existing DHCP
/// server, comments for the full-DHCP variant.
pub fn dnsmasq_conf(tftp_root: &Path) -> String {
    format!(
        r#"# dnsmasq for booting OSp over the network (written by `cargo xtask netboot`).
#
# Proxy mode: the LAN's own DHCP server (a router, ...) keeps handing out addresses; this
# dnsmasq only adds the PXE answers (which file to boot) and serves the files by TFTP. Run it on
# a machine on the same LAN as the one to boot:
#     sudo dnsmasq --no-daemon --conf-file=dnsmasq.conf
# First EDIT the dhcp-range line: your LAN's network address.

# No DNS service, only DHCP (proxy) and TFTP.
port=0
# Print every DHCP/PXE exchange: useful on the first boots.
log-dhcp

# This tree is the TFTP root (GRUB looks for /boot/grub in it). Change the path if you copy
# the tree elsewhere.
enable-tftp
tftp-root={root}

# EDIT: your LAN's network address. "proxy": hand out no addresses, only boot information.
dhcp-range=192.168.1.0,proxy
# Optionally answer on one interface only:
#interface=eth0

# Who is asking. iPXE (undionly.kpxe, after the firmware's PXE) asks again with user class
# "iPXE" and its own option 175: that second request gets boot.ipxe, not undionly.kpxe again.
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:ipxe,175
# x86-64 UEFI firmware: client architecture 7 (what PCs send) or 9.
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9

# The firmware's own PXE client: BIOS gets iPXE, UEFI gets GRUB (iPXE cannot start a
# multiboot kernel on UEFI). One entry per architecture: it boots without a menu.
pxe-service=tag:!ipxe,x86PC,"OSp (BIOS, iPXE)",undionly.kpxe
pxe-service=tag:!ipxe,BC_EFI,"OSp (UEFI, GRUB)",bootx64.efi
pxe-service=tag:!ipxe,x86-64_EFI,"OSp (UEFI, GRUB)",bootx64.efi

# Boot file names: what iPXE reads from a proxy answer, and what every client gets in the
# full-DHCP variant.
dhcp-boot=tag:ipxe,tag:!efi64,boot.ipxe
dhcp-boot=tag:efi64,bootx64.efi
dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe

# Full-DHCP variant (a network of your own with no other DHCP server): replace the
# dhcp-range line above with a range of addresses to hand out, and name the router:
#dhcp-range=192.168.1.100,192.168.1.200,12h
#dhcp-option=option:router,192.168.1.1
#dhcp-authoritative
"#,
        root = tftp_root.display()
    )
}

/// How to build a tree.
pub struct TreeSpec<'a> {
    /// The kernel file to copy in (its embedded parameters travel with it).
    pub kernel: &'a Path,
    /// The loaders' parameters (empty: the loaders pass none).
    pub params: &'a str,
    /// The TFTP server's address, baked into GRUB's image. Without it GRUB takes the server
    /// from the DHCP server's answer, which in proxy mode may not name it.
    pub server: Option<Ipv4Addr>,
}

fn io<T>(what: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| format!("{}: {e}", what.display()))
}

fn run_tool(cmd: &mut Command, name: &str) -> Result {
    let out = cmd.output().map_err(|e| format!("{name}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{name} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// GRUB's EFI image with `(tftp,SERVER)/boot/grub` as its prefix, the same modules inside as
/// grub-mknetdir puts there (the network driver and TFTP).
fn grub_image_with_server(dest: &Path, server: Ipv4Addr) -> Result {
    run_tool(
        Command::new("grub-mkimage")
            .args(["-O", "x86_64-efi", "-d", GRUB_EFI_DIR, "-p"])
            .arg(format!("(tftp,{server})/{GRUB_SUBDIR}"))
            .arg("-o")
            .arg(dest)
            .args(["efinet", "tftp"]),
        "grub-mkimage",
    )
}

/// Writes the tree at `dest` (replacing what was there). Returns `dest`.
pub fn write_tree(spec: &TreeSpec<'_>, dest: &Path) -> Result<PathBuf> {
    check_params(spec.params)?;
    if dest.exists() {
        io(dest, std::fs::remove_dir_all(dest))?;
    }
    io(dest, std::fs::create_dir_all(dest))?;
    io(
        spec.kernel,
        std::fs::copy(spec.kernel, dest.join("osp-kernel")),
    )?;
    io(
        Path::new(UNDIONLY),
        std::fs::copy(UNDIONLY, dest.join("undionly.kpxe")),
    )?;
    let script = dest.join("boot.ipxe");
    io(&script, std::fs::write(&script, ipxe_script(spec.params)))?;

    // GRUB: modules under boot/grub/x86_64-efi, its image there as core.efi. No locales, fonts
    // or themes: a serial console needs none.
    run_tool(
        Command::new("grub-mknetdir")
            .arg(format!("--net-directory={}", dest.display()))
            .arg(format!("--subdir={GRUB_SUBDIR}"))
            .args(["-d", GRUB_EFI_DIR, "--locales=", "--fonts=", "--themes="]),
        "grub-mknetdir",
    )?;
    let grub_dir = dest.join(GRUB_SUBDIR);
    let core = grub_dir.join("x86_64-efi").join("core.efi");
    let efi = dest.join("bootx64.efi");
    match spec.server {
        None => io(&core, std::fs::copy(&core, &efi)).map(drop)?,
        Some(server) => grub_image_with_server(&efi, server)?,
    }
    let cfg = grub_dir.join("grub.cfg");
    io(&cfg, std::fs::write(&cfg, grub_cfg(spec.params)))?;

    let abs = io(dest, std::fs::canonicalize(dest))?;
    let conf = dest.join("dnsmasq.conf");
    io(&conf, std::fs::write(&conf, dnsmasq_conf(&abs)))?;
    Ok(dest.to_path_buf())
}

/// Checks `conf` with `dnsmasq --test` (which starts no server). `Ok(None)` when dnsmasq is not
/// installed.
pub fn check_dnsmasq(conf: &Path) -> Result<Option<String>> {
    let out = match Command::new("dnsmasq")
        .arg("--test")
        .arg(format!("--conf-file={}", conf.display()))
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("dnsmasq: {e}")),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(Some(text.trim().to_string()))
    } else {
        Err(format!(
            "dnsmasq --test rejects {}: {}",
            conf.display(),
            text.trim()
        ))
    }
}

/// `cargo xtask netboot [--args ARGS] [--kernel FILE] [--server ADDR]`, or
/// `cargo xtask netboot --test [--kernel FILE]` to run only the network boot tests.
pub fn command(args: &mut Vec<String>) -> Result {
    let test = crate::take_flag(args, "--test");
    let given = crate::take_value(args, "--args")?;
    let kernel_file = crate::take_value(args, "--kernel")?;
    let server = crate::take_value(args, "--server")?
        .map(|s| {
            s.parse::<Ipv4Addr>()
                .map_err(|_| format!("--server {s:?}: not an IPv4 address"))
        })
        .transpose()?;
    if let Some(extra) = args.first() {
        return Err(format!("netboot: unexpected argument {extra:?}"));
    }
    if test && (given.is_some() || server.is_some()) {
        return Err("netboot --test makes its own trees; it takes only --kernel".into());
    }
    // GRUB's tools and EFI modules come with what `image` needs; iPXE's BIOS image besides.
    // The tests also need QEMU's iPXE option ROMs, which `All` brings.
    crate::prereq::ensure(if test {
        crate::prereq::Need::All
    } else {
        crate::prereq::Need::Image
    })?;
    if !Path::new(UNDIONLY).exists() {
        return Err(format!(
            "{UNDIONLY} is missing; run: sudo apt-get install -y ipxe"
        ));
    }
    let kernel = match kernel_file {
        Some(f) => PathBuf::from(f),
        None => crate::kernel::build()?,
    };
    if test {
        return run_tests(&kernel);
    }
    let embedded = embed::read(&kernel)?;
    let params = resolve_params(given.as_deref(), &embedded);
    let dest = out_dir().join("netboot");
    write_tree(
        &TreeSpec {
            kernel: &kernel,
            params: &params,
            server,
        },
        &dest,
    )?;
    println!("{}", dest.display());
    match (&given, params.is_empty()) {
        (_, true) => {
            println!("parameters: none on the loader lines (the kernel's embedded ones apply)")
        }
        (Some(_), false) => println!("parameters: {params:?} (from --args)"),
        (None, false) if embedded.trim() == params => {
            println!("parameters: {params:?} (the kernel file's embedded ones)")
        }
        (None, false) => println!("parameters: {params:?} (default)"),
    }
    match check_dnsmasq(&dest.join("dnsmasq.conf"))? {
        Some(_) => println!(
            "dnsmasq.conf: dnsmasq --test accepts it; edit its dhcp-range line for your LAN"
        ),
        None => {
            println!("dnsmasq.conf: not checked (dnsmasq is not installed; Debian: dnsmasq-base)")
        }
    }
    Ok(())
}

// ---- QEMU tests -------------------------------------------------------------------------------

/// A test tree under `target/osp/test/netboot-<name>`, from `kernel` with `embedded` written
/// into its copy of the kernel first (when given).
fn test_tree(
    name: &str,
    kernel: &Path,
    embedded: Option<&str>,
    spec_params: &str,
    server: Option<Ipv4Addr>,
) -> Result<PathBuf> {
    let dir = out_dir().join("test");
    io(&dir, std::fs::create_dir_all(&dir))?;
    let k = dir.join(format!("osp-kernel-netboot-{name}"));
    io(kernel, std::fs::copy(kernel, &k))?;
    if let Some(e) = embedded {
        embed::write(&k, e)?;
    }
    write_tree(
        &TreeSpec {
            kernel: &k,
            params: spec_params,
            server,
        },
        &dir.join(format!("netboot-{name}")),
    )
}

/// QEMU's user network with its built-in DHCP and TFTP server: DHCP names `bootfile`, TFTP
/// serves `tree`. An e1000, whose option ROM is iPXE (BIOS and EFI builds, package ipxe-qemu).
fn pxe_qemu(tree: &Path, bootfile: &str, uefi: bool) -> Qemu {
    // QEMU's option syntax doubles a comma inside a value.
    let tftp = tree.display().to_string().replace(',', ",,");
    let netdev = format!("user,id=n0,tftp={tftp},bootfile={bootfile}");
    let q = Qemu::new(Boot::Custom { uefi }).args(["-netdev".to_string(), netdev]);
    if uefi {
        // OVMF boots the first device in bootindex order: the NIC's PXE.
        q.args(["-device", "e1000,netdev=n0,bootindex=0"])
            .timeout_secs(240)
    } else {
        q.args(["-device", "e1000,netdev=n0", "-boot", "n"])
            .timeout_secs(90)
    }
}

fn bios_boot(o: &Outcome, cmdline: &str) -> Vec<String> {
    let mut v = expect_boot(o);
    v.extend(expect(o, &["boot: multiboot1 from iPXE", cmdline]));
    v.extend(expect_power_off(o));
    v
}

fn uefi_boot(o: &Outcome, cmdline: &str) -> Vec<String> {
    let mut v = expect_boot(o);
    v.extend(expect(o, &["boot: multiboot2 from GRUB", cmdline]));
    v.extend(expect_power_off(o));
    v
}

/// Runs the network boot tests alone on `kernel` (`cargo xtask test` runs them with the rest).
fn run_tests(kernel: &Path) -> Result {
    // These scenarios only boot `a.kernel`; they make their own embedded copies.
    let a = Artifacts {
        kernel: kernel.to_path_buf(),
        embedded_kernel: kernel.to_path_buf(),
        image: PathBuf::new(),
    };
    let log_dir = out_dir().join("test");
    std::fs::create_dir_all(&log_dir).map_err(|e| e.to_string())?;
    let (passed, failed) = crate::scenarios::run_scenarios(scenarios(), &a, &log_dir);
    println!("netboot: {passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} network boot tests failed"))
    }
}

/// Embedded parameters the precedence tests put into the kernel file.
const EMBEDDED: &str = "osp.after=poweroff osp.log=debug netboot=embedded";

/// The network boot tests.
pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "netboot BIOS: NIC iPXE ROM, TFTP boot.ipxe, kernel parameters from the script",
            run: |a: &Artifacts| {
                let t = test_tree(
                    "bios",
                    &a.kernel,
                    None,
                    "osp.after=poweroff netboot=bios",
                    None,
                )?;
                pxe_qemu(&t, "boot.ipxe", false).run()
            },
            check: |o| {
                bios_boot(
                    o,
                    "cmdline: \"osp.after=poweroff netboot=bios\" (from loader)",
                )
            },
        },
        Scenario {
            name: "netboot UEFI: OVMF PXE, GRUB bootx64.efi over TFTP, multiboot2 with grub.cfg's parameters",
            run: |a| {
                let t = test_tree(
                    "uefi",
                    &a.kernel,
                    None,
                    "osp.after=poweroff netboot=uefi",
                    None,
                )?;
                pxe_qemu(&t, "bootx64.efi", true).run()
            },
            check: |o| {
                uefi_boot(
                    o,
                    "cmdline: \"osp.after=poweroff netboot=uefi\" (from loader)",
                )
            },
        },
        Scenario {
            name: "netboot BIOS: boot.ipxe parameters win over the kernel's embedded ones",
            run: |a| {
                let t = test_tree(
                    "loader-wins",
                    &a.kernel,
                    Some(EMBEDDED),
                    "osp.after=poweroff netboot=script",
                    None,
                )?;
                pxe_qemu(&t, "boot.ipxe", false).run()
            },
            check: |o| {
                let mut v = bios_boot(
                    o,
                    "cmdline: \"osp.after=poweroff netboot=script\" (from loader)",
                );
                if o.serial.contains("DEBUG") || o.serial.contains("netboot=embedded") {
                    v.push("the embedded parameters leaked through".into());
                }
                v
            },
        },
        Scenario {
            name: "netboot BIOS: `kernel osp-kernel` without parameters, the embedded ones apply",
            run: |a| {
                let t = test_tree("bios-embedded", &a.kernel, Some(EMBEDDED), "", None)?;
                pxe_qemu(&t, "boot.ipxe", false).run()
            },
            check: |o| {
                let mut v = bios_boot(o, &format!("cmdline: \"{EMBEDDED}\" (from embedded)"));
                v.extend(expect(o, &["DEBUG"]));
                v
            },
        },
        Scenario {
            name: "netboot UEFI: GRUB with the TFTP server in its prefix, no parameters, the embedded ones apply",
            run: |a| {
                // 10.0.2.2 is QEMU's user-network host, where its TFTP server answers.
                let t = test_tree(
                    "uefi-server",
                    &a.kernel,
                    Some(EMBEDDED),
                    "",
                    Some(Ipv4Addr::new(10, 0, 2, 2)),
                )?;
                pxe_qemu(&t, "bootx64.efi", true).run()
            },
            check: |o| {
                let mut v = uefi_boot(o, &format!("cmdline: \"{EMBEDDED}\" (from embedded)"));
                v.extend(expect(o, &["DEBUG", "from (tftp,10.0.2.2)"]));
                v
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_come_from_args_then_embedded_then_default() {
        assert_eq!(resolve_params(Some(" a=1 "), "b=2"), "a=1");
        assert_eq!(resolve_params(Some(""), "b=2"), "");
        assert_eq!(resolve_params(None, " b=2 "), "b=2");
        assert_eq!(resolve_params(None, "  "), DEFAULT_PARAMS);
    }

    #[test]
    fn script_syntax_in_params_is_refused() {
        assert!(check_params("osp.after=poweroff ip=10.0.0.2/24 gw=10.0.0.1").is_ok());
        assert!(check_params("").is_ok());
        for bad in [
            "a=${x}",
            "a=1\nshell",
            "a=1;b",
            "a=\"x\"",
            "a=1 || b",
            "a=1 # c",
            "a=\\",
        ] {
            assert!(check_params(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ipxe_script_loads_the_kernel_with_or_without_params() {
        let s = ipxe_script("osp.after=serve");
        assert!(s.starts_with("#!ipxe\n"));
        let lines: Vec<&str> = s.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines[lines.len() - 2..],
            ["kernel osp-kernel osp.after=serve", "boot"]
        );
        assert!(ipxe_script("").lines().any(|l| l == "kernel osp-kernel"));
    }

    #[test]
    fn grub_cfg_uses_multiboot2_and_serial() {
        let c = grub_cfg("a=1");
        assert!(c.contains("serial --unit=0 --speed=115200"));
        assert!(c.lines().any(|l| l.trim() == "multiboot2 /osp-kernel a=1"));
        assert!(
            grub_cfg("")
                .lines()
                .any(|l| l.trim() == "multiboot2 /osp-kernel")
        );
    }

    #[test]
    fn dnsmasq_conf_routes_each_client_and_breaks_the_loop() {
        let c = dnsmasq_conf(Path::new("/srv/osp"));
        let lines: Vec<&str> = c
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        for want in [
            "tftp-root=/srv/osp",
            "dhcp-range=192.168.1.0,proxy",
            "dhcp-userclass=set:ipxe,iPXE",
            "pxe-service=tag:!ipxe,x86PC,\"OSp (BIOS, iPXE)\",undionly.kpxe",
            "dhcp-boot=tag:ipxe,tag:!efi64,boot.ipxe",
            "dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe",
        ] {
            assert!(lines.contains(&want), "missing {want:?}");
        }
        // Every service or boot line for a plain (not yet iPXE) BIOS client excludes iPXE, so
        // iPXE's own request never gets undionly.kpxe again.
        for l in lines.iter().filter(|l| l.contains("undionly.kpxe")) {
            assert!(l.contains("tag:!ipxe"), "{l:?} would loop");
        }
    }

    #[test]
    fn dnsmasq_accepts_the_conf() {
        let dir = std::env::temp_dir().join(format!("osp-netboot-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("dnsmasq.conf");
        std::fs::write(&conf, dnsmasq_conf(&dir)).unwrap();
        match check_dnsmasq(&conf) {
            Ok(Some(_)) => {}
            Ok(None) => println!("dnsmasq is not installed: skipping `dnsmasq --test`"),
            Err(e) => panic!("{e}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
