//! Checks for what the tasks need, installs what is missing when we may (root: Debian packages;
//! rustup: the bare-metal target), and otherwise stops with the exact command to run.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::Result;

/// What a task is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Build the kernel.
    Build,
    /// Build the kernel and boot it with `-kernel`.
    Run,
    /// Build a GRUB disk image (and boot it, with or without UEFI).
    Image,
    /// Everything the test suite uses.
    All,
}

/// (file that proves the package is there, Debian package).
const RUN_FILES: &[(&str, &str)] = &[("/usr/bin/qemu-system-x86_64", "qemu-system-x86")];
const IMAGE_FILES: &[(&str, &str)] = &[
    ("/usr/bin/grub-mkrescue", "grub-common"),
    ("/usr/lib/grub/i386-pc/moddep.lst", "grub-pc-bin"),
    ("/usr/lib/grub/x86_64-efi/moddep.lst", "grub-efi-amd64-bin"),
    ("/usr/bin/xorriso", "xorriso"),
    ("/usr/bin/mformat", "mtools"),
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "ovmf"),
];
const TEST_FILES: &[(&str, &str)] = &[
    ("/usr/lib/ipxe/undionly.kpxe", "ipxe"),
    ("/usr/lib/ipxe/qemu/efi-e1000.rom", "ipxe-qemu"),
    ("/usr/bin/lspci", "pciutils"),
    ("/usr/bin/iasl", "acpica-tools"),
    ("/usr/sbin/dnsmasq", "dnsmasq-base"),
];

fn has_target() -> Option<bool> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == "x86_64-unknown-none"),
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Makes sure what `need` requires is installed.
pub fn ensure(need: Need) -> Result {
    match has_target() {
        Some(true) => {}
        Some(false) => {
            eprintln!("xtask: adding the x86_64-unknown-none target with rustup");
            let ok = Command::new("rustup")
                .args(["target", "add", "x86_64-unknown-none"])
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(
                    "could not add the target; run: rustup target add x86_64-unknown-none".into(),
                );
            }
        }
        // No rustup: the toolchain came some other way; the build will say if the target is
        // missing.
        None => {}
    }
    let mut files: Vec<(&str, &str)> = Vec::new();
    if need != Need::Build {
        files.extend(RUN_FILES);
    }
    if matches!(need, Need::Image | Need::All) {
        files.extend(IMAGE_FILES);
    }
    if need == Need::All {
        files.extend(TEST_FILES);
    }
    let mut missing: Vec<&str> = files
        .iter()
        .filter(|(f, _)| !Path::new(f).exists())
        .map(|&(_, p)| p)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        return Err(format!(
            "missing Debian packages; run: sudo apt-get update && sudo apt-get install -y {list}"
        ));
    }
    eprintln!("xtask: installing {list}");
    let quiet = |c: &mut Command| {
        c.env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null());
    };
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    quiet(&mut update);
    let mut install = Command::new("apt-get");
    install
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing);
    quiet(&mut install);
    let ok =
        update.status().is_ok_and(|s| s.success()) && install.status().is_ok_and(|s| s.success());
    if !ok {
        return Err(format!("apt-get could not install: {list}"));
    }
    Ok(())
}
