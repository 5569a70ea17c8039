//! Builds the kernel (its own workspace, target x86_64-unknown-none) and copies it to
//! `target/osp/osp-kernel`.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, out_dir, root};

/// Builds the release kernel; returns `target/osp/osp-kernel`. A command line embedded in the
/// previous `target/osp/osp-kernel` (`cargo xtask embed`) is carried over to the new build, so
/// `embed` then `image` or `netboot` keeps it; `cargo xtask embed ""` clears it.
pub fn build() -> Result<PathBuf> {
    let dir = root().join("osp-kernel");
    let target_dir = root().join("target").join("kernel");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--target-dir"])
        .arg(&target_dir)
        .current_dir(&dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err("the kernel did not build".into());
    }
    let built = target_dir.join("x86_64-unknown-none/release/osp-kernel");
    std::fs::create_dir_all(out_dir()).map_err(|e| e.to_string())?;
    let dest = out_dir().join("osp-kernel");
    let keep = crate::embed::read(&dest).ok().filter(|k| !k.is_empty());
    std::fs::copy(&built, &dest).map_err(|e| format!("{}: {e}", built.display()))?;
    if let Some(k) = keep {
        crate::embed::write(&dest, &k)?;
        eprintln!("xtask: kept the embedded command line {k:?} (cargo xtask embed \"\" clears it)");
    }
    Ok(dest)
}
