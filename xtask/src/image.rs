//! `bare.img`: a hybrid GRUB image (BIOS boot code + an EFI system partition, made by
//! `grub-mkrescue`) that boots the kernel with `multiboot2` and a serial console, and can be
//! written to a disk or USB stick with `dd`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// Builds a GRUB image of `kernel` at `dest`. `cmdline`, when given, goes on GRUB's
/// `multiboot2` line (the loader's command line, which wins over the embedded one).
pub fn bare_img(kernel: &Path, dest: &Path, cmdline: Option<&str>) -> Result<PathBuf> {
    let stage = dest.with_extension("d");
    let _ = std::fs::remove_dir_all(&stage);
    let grub_dir = stage.join("boot/grub");
    std::fs::create_dir_all(&grub_dir).map_err(|e| e.to_string())?;
    std::fs::copy(kernel, stage.join("boot/osp-kernel"))
        .map_err(|e| format!("{}: {e}", kernel.display()))?;
    let args = cmdline.unwrap_or("");
    if args.contains(['\n', '"', '\'', ';', '$']) {
        return Err("image parameters may not contain newlines, quotes, ';' or '$'".into());
    }
    let cfg = format!(
        "# OSp boot menu: serial console at 115200 and the screen, no waiting.\n\
         set timeout=0\n\
         set default=0\n\
         serial --unit=0 --speed=115200\n\
         terminal_input serial console\n\
         terminal_output serial console\n\
         menuentry \"OSp\" {{\n\
         \x20   multiboot2 /boot/osp-kernel {args}\n\
         \x20   boot\n\
         }}\n"
    );
    std::fs::write(grub_dir.join("grub.cfg"), cfg).map_err(|e| e.to_string())?;
    let out = Command::new("grub-mkrescue")
        .arg("-o")
        .arg(dest)
        .arg(&stage)
        .args(["--", "-volid", "OSP"])
        .output()
        .map_err(|e| format!("grub-mkrescue: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "grub-mkrescue failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let _ = std::fs::remove_dir_all(&stage);
    Ok(dest.to_path_buf())
}
