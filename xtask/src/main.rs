//! `cargo xtask`: builds the OSp kernel and its boot images and boots them in QEMU.
//!
//! ```text
//! cargo xtask build                 kernel -> target/osp/osp-kernel
//! cargo xtask image [--args ARGS]   bootable hybrid disk image -> target/osp/bare.img
//! cargo xtask embed "ARGS" [FILE]   rewrite the command line embedded in the kernel file
//! cargo xtask embed --show [FILE]   print it
//! cargo xtask netboot [--args ARGS] [--kernel FILE] [--server ADDR]
//!                                   network boot tree (TFTP root) -> target/osp/netboot
//! cargo xtask netboot --test [--kernel FILE]
//!                                   only the network boot tests
//! cargo xtask run [--disk|--uefi] [--args ARGS] [-- QEMU-ARGS…]
//!                                   build, boot in QEMU, return when the kernel powers off
//! cargo xtask test [--no-host]      all host tests, then the QEMU boot tests
//! ```

mod embed;
mod image;
mod kernel;
mod netboot;
mod nettest;
mod prereq;
mod qemu;
mod qmp;
mod scenarios;

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// `target/osp`, where every artefact goes.
pub fn out_dir() -> PathBuf {
    root().join("target").join("osp")
}

/// An error to print and exit on.
pub type Result<T = ()> = std::result::Result<T, String>;

fn usage() -> String {
    "usage: cargo xtask <build|image|embed|netboot|run|test> …  (see xtask/src/main.rs)".to_string()
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}

fn take_value(args: &mut Vec<String>, flag: &str) -> Result<Option<String>> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) if i + 1 < args.len() => {
            let v = args.remove(i + 1);
            args.remove(i);
            Ok(Some(v))
        }
        Some(_) => Err(format!("{flag} needs a value")),
    }
}

fn run(mut args: Vec<String>) -> Result {
    if args.is_empty() {
        return Err(usage());
    }
    let cmd = args.remove(0);
    match cmd.as_str() {
        "build" => {
            prereq::ensure(prereq::Need::Build)?;
            let k = kernel::build()?;
            println!("{}", k.display());
            Ok(())
        }
        "image" => {
            prereq::ensure(prereq::Need::Image)?;
            let cmdline = take_value(&mut args, "--args")?;
            let k = kernel::build()?;
            let img = image::bare_img(&k, &out_dir().join("bare.img"), cmdline.as_deref())?;
            println!("{}", img.display());
            Ok(())
        }
        "embed" => {
            let show = take_flag(&mut args, "--show");
            let (text, file) = if show {
                (None, args.first().cloned())
            } else {
                let text = args
                    .first()
                    .cloned()
                    .ok_or("embed needs the parameters, or --show")?;
                (Some(text), args.get(1).cloned())
            };
            let file = file
                .map(PathBuf::from)
                .unwrap_or_else(|| out_dir().join("osp-kernel"));
            match text {
                Some(t) => {
                    embed::write(&file, &t)?;
                    println!("{}: embedded {:?}", file.display(), t);
                }
                None => println!("{}", embed::read(&file)?),
            }
            Ok(())
        }
        "netboot" => netboot::command(&mut args),
        "run" => {
            // Everything after `--` goes to QEMU as it is.
            let qemu_extra: Vec<String> = match args.iter().position(|a| a == "--") {
                Some(i) => args.split_off(i).into_iter().skip(1).collect(),
                None => Vec::new(),
            };
            let disk = take_flag(&mut args, "--disk");
            let uefi = take_flag(&mut args, "--uefi");
            let cmdline = take_value(&mut args, "--args")?
                .unwrap_or_else(|| "osp.after=poweroff".to_string());
            prereq::ensure(if disk || uefi {
                prereq::Need::Image
            } else {
                prereq::Need::Run
            })?;
            let k = kernel::build()?;
            let boot = if disk || uefi {
                let img = image::bare_img(&k, &out_dir().join("run.img"), Some(&cmdline))?;
                qemu::Boot::Disk { image: img, uefi }
            } else {
                qemu::Boot::Kernel {
                    kernel: k,
                    append: Some(cmdline),
                }
            };
            let out = qemu::Qemu::new(boot)
                .args(qemu_extra)
                .timeout_secs(300)
                .echo(true)
                .run()?;
            println!(
                "xtask: QEMU ended ({}) after {:.2} s; kernel ready after {}",
                out.end,
                out.elapsed.as_secs_f64(),
                out.ready
                    .map_or("never".into(), |d| format!("{:.2} s", d.as_secs_f64()))
            );
            if out.powered_off() && out.ready.is_some() {
                Ok(())
            } else {
                Err("the kernel did not reach ready and power off".into())
            }
        }
        "test" => {
            let no_host = take_flag(&mut args, "--no-host");
            scenarios::test_all(!no_host)
        }
        _ => Err(usage()),
    }
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
