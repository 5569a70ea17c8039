//! Kernel parameters.
//!
//! The loader's command line wins; when it is empty, the command line embedded in the kernel
//! file is used (`cargo xtask embed "ARGS"` rewrites it in place, like OSv's `imgedit.py
//! setargs`). QEMU and iPXE put the kernel's file name or URL first: a first token without `=`
//! is dropped. Unknown keys are reported, never fatal.

/// Size of the embedded command-line block, magic included.
pub const EMBED_SIZE: usize = 4096;
/// The tag that starts the block; `xtask embed` finds the block by section name and checks it.
pub const EMBED_MAGIC: &[u8; 8] = b"OSPCMDL\0";

/// The embedded command line: `EMBED_MAGIC`, then NUL-terminated UTF-8 text.
#[used]
#[unsafe(link_section = ".osp_cmdline")]
static EMBEDDED: [u8; EMBED_SIZE] = {
    let mut block = [0u8; EMBED_SIZE];
    let mut i = 0;
    while i < EMBED_MAGIC.len() {
        block[i] = EMBED_MAGIC[i];
        i += 1;
    }
    block
};

/// The embedded command line as the file holds it now. Read through a volatile copy: the
/// compiler must not fold the all-zero initial value into the code, since the file is patched
/// after linking.
pub fn embedded(buf: &mut [u8; EMBED_SIZE]) -> &str {
    let src = core::ptr::addr_of!(EMBEDDED).cast::<u8>();
    for (i, b) in buf.iter_mut().enumerate() {
        // SAFETY: `i < EMBED_SIZE`, inside the static.
        *b = unsafe { src.add(i).read_volatile() };
    }
    if &buf[..8] != EMBED_MAGIC {
        return "";
    }
    let text = &buf[8..];
    let len = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    core::str::from_utf8(&text[..len]).unwrap_or("")
}

/// Where the parameters came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The boot loader's command line.
    Loader,
    /// The block embedded in the kernel file.
    Embedded,
    /// Neither had any: defaults.
    None,
}

/// Drops a leading token without `=` (a file name or URL the loader prepended).
pub fn strip_image_name(line: &str) -> &str {
    let line = line.trim();
    match line.split_once(char::is_whitespace) {
        _ if line.is_empty() => "",
        Some((first, rest)) if !first.contains('=') => rest.trim_start(),
        None if !line.contains('=') => "",
        _ => line,
    }
}

/// Chooses the effective command line.
pub fn choose<'a>(loader: Option<&'a str>, embedded: &'a str) -> (&'a str, Source) {
    let loader = loader.map(strip_image_name).unwrap_or("");
    if !loader.is_empty() {
        (loader, Source::Loader)
    } else if !embedded.trim().is_empty() {
        (embedded.trim(), Source::Embedded)
    } else {
        ("", Source::None)
    }
}

/// What to do after `osp: ready` or after a fatal error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Power the machine off (ACPI S5; QEMU's debug-exit device as a fallback).
    PowerOff,
    /// Stop the CPU and leave the console as it is.
    Halt,
    /// Keep serving on the network (for `osp.serve.seconds`, then what `osp.after` said before,
    /// or forever).
    Serve,
}

/// A static IPv4 configuration from `ip=ADDR/PREFIX` and `gw=GATEWAY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticIp {
    /// Address.
    pub addr: [u8; 4],
    /// Prefix length (0-32).
    pub prefix: u8,
    /// Default gateway, if given.
    pub gateway: Option<[u8; 4]>,
}

/// Parses `a.b.c.d`.
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut out {
        *o = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// The parsed parameters the kernel acts on.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    /// `osp.after`.
    pub after: After,
    /// `osp.test=fault`: take a page fault after `ready`.
    pub test_fault: bool,
    /// `osp.log`.
    pub log_level: log::LevelFilter,
    /// `osp.serve.seconds`: serve for this long, then follow `osp.after`'s fallback.
    pub serve_seconds: Option<u64>,
    /// `ip=ADDR/PREFIX` (with `gw=`); DHCP when absent.
    pub ip: Option<StaticIp>,
    /// `osp.scratch=SERIAL`: the disk with this serial number may be overwritten.
    pub scratch_serial: Option<&'a str>,
    /// `osp.scratch.sectors`.
    pub scratch_sectors: u64,
    /// `osp.console=com1|com2|0xPORT`: the UART the console moves to.
    pub console: Option<u16>,
}

impl Default for Params<'_> {
    fn default() -> Self {
        Self {
            // On a real machine the kernel is there to be reached over the network; with no
            // network it halts.
            after: After::Serve,
            test_fault: false,
            log_level: log::LevelFilter::Info,
            serve_seconds: None,
            ip: None,
            scratch_serial: None,
            scratch_sectors: 2048,
            console: None,
        }
    }
}

/// A parameter the kernel did not understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem<'a> {
    /// The key is not one the kernel knows.
    UnknownKey(&'a str),
    /// The key is known but its value is not.
    BadValue(&'a str, &'a str),
}

/// Parses `line`, calling `report` for every problem; never fails.
pub fn parse<'a>(line: &'a str, mut report: impl FnMut(Problem<'a>)) -> Params<'a> {
    let mut p = Params::default();
    let mut gateway = None;
    for token in line.split_whitespace() {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        match key {
            "osp.after" => match value {
                "poweroff" => p.after = After::PowerOff,
                "halt" => p.after = After::Halt,
                "serve" => p.after = After::Serve,
                _ => report(Problem::BadValue(key, value)),
            },
            "osp.test" => match value {
                "fault" => p.test_fault = true,
                _ => report(Problem::BadValue(key, value)),
            },
            "osp.log" => match value.parse() {
                Ok(level) => p.log_level = level,
                Err(_) => report(Problem::BadValue(key, value)),
            },
            "osp.console" => {
                let base = match value {
                    "com1" | "ttyS0" => Some(0x3F8),
                    "com2" | "ttyS1" => Some(0x2F8),
                    "com3" | "ttyS2" => Some(0x3E8),
                    "com4" | "ttyS3" => Some(0x2E8),
                    v => v
                        .strip_prefix("0x")
                        .and_then(|h| u16::from_str_radix(h, 16).ok()),
                };
                match base {
                    Some(b) => p.console = Some(b),
                    None => report(Problem::BadValue(key, value)),
                }
            }
            "osp.serve.seconds" => match value.parse() {
                Ok(n) => p.serve_seconds = Some(n),
                Err(_) => report(Problem::BadValue(key, value)),
            },
            "osp.scratch" if !value.is_empty() => p.scratch_serial = Some(value),
            "osp.scratch.sectors" => match value.parse() {
                Ok(n) if n > 0 => p.scratch_sectors = n,
                _ => report(Problem::BadValue(key, value)),
            },
            "ip" => {
                let parsed = value.split_once('/').and_then(|(a, len)| {
                    let prefix: u8 = len.parse().ok().filter(|&l| l <= 32)?;
                    Some(StaticIp {
                        addr: parse_ipv4(a)?,
                        prefix,
                        gateway: None,
                    })
                });
                match parsed {
                    Some(ip) => p.ip = Some(ip),
                    None => report(Problem::BadValue(key, value)),
                }
            }
            "gw" => match parse_ipv4(value) {
                Some(g) => gateway = Some(g),
                None => report(Problem::BadValue(key, value)),
            },
            _ => report(Problem::UnknownKey(key)),
        }
    }
    if let Some(ip) = &mut p.ip {
        ip.gateway = gateway;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn loader_file_names_and_urls_are_dropped() {
        assert_eq!(
            strip_image_name("/tmp/osp-kernel osp.after=halt"),
            "osp.after=halt"
        );
        assert_eq!(
            strip_image_name("tftp://10.0.2.2/osp-kernel  a=b c=d"),
            "a=b c=d"
        );
        assert_eq!(strip_image_name("/boot/osp-kernel"), "");
        assert_eq!(
            strip_image_name("  osp.log=debug x=y "),
            "osp.log=debug x=y"
        );
        assert_eq!(strip_image_name(""), "");
        assert_eq!(strip_image_name("   "), "");
    }

    #[test]
    fn loader_wins_over_embedded_which_wins_over_nothing() {
        assert_eq!(choose(Some("k a=1"), "b=2"), ("a=1", Source::Loader));
        assert_eq!(choose(Some("k"), "b=2"), ("b=2", Source::Embedded));
        assert_eq!(choose(None, " b=2 "), ("b=2", Source::Embedded));
        assert_eq!(choose(Some(""), ""), ("", Source::None));
    }

    #[test]
    fn known_keys_are_parsed_and_the_rest_reported() {
        let mut problems = Vec::new();
        let p = parse(
            "osp.after=poweroff osp.test=fault osp.log=debug foo=1 osp.after=sideways bare",
            |e| problems.push(e),
        );
        assert_eq!(
            p.after,
            After::PowerOff,
            "a bad later value keeps the earlier good one"
        );
        assert!(p.test_fault);
        assert_eq!(p.log_level, log::LevelFilter::Debug);
        assert_eq!(
            problems,
            [
                Problem::UnknownKey("foo"),
                Problem::BadValue("osp.after", "sideways"),
                Problem::UnknownKey("bare")
            ]
        );
    }

    #[test]
    fn network_scratch_and_serve_parameters() {
        let mut problems = Vec::new();
        let p = parse(
            "ip=10.0.2.15/24 gw=10.0.2.2 osp.after=serve osp.serve.seconds=30 osp.scratch=QM1 \
             osp.scratch.sectors=4096 ip=1.2.3/8 gw=x osp.scratch.sectors=0",
            |e| problems.push(e),
        );
        assert_eq!(
            p.ip,
            Some(StaticIp {
                addr: [10, 0, 2, 15],
                prefix: 24,
                gateway: Some([10, 0, 2, 2])
            })
        );
        assert_eq!(p.after, After::Serve);
        assert_eq!(p.serve_seconds, Some(30));
        assert_eq!(p.scratch_serial, Some("QM1"));
        assert_eq!(p.scratch_sectors, 4096);
        assert_eq!(
            problems,
            [
                Problem::BadValue("ip", "1.2.3/8"),
                Problem::BadValue("gw", "x"),
                Problem::BadValue("osp.scratch.sectors", "0")
            ]
        );
        assert_eq!(parse_ipv4("256.1.1.1"), None);
        let mut problems = Vec::new();
        assert_eq!(
            parse("osp.console=com2", |e| problems.push(e)).console,
            Some(0x2F8)
        );
        assert_eq!(
            parse("osp.console=0x3e8", |e| problems.push(e)).console,
            Some(0x3E8)
        );
        assert_eq!(
            parse("osp.console=lpt1", |e| problems.push(e)).console,
            None
        );
        assert_eq!(problems, [Problem::BadValue("osp.console", "lpt1")]);
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
    }

    #[test]
    fn the_embedded_block_starts_with_its_magic_and_is_empty() {
        let mut buf = [0; EMBED_SIZE];
        assert_eq!(embedded(&mut buf), "");
        assert_eq!(&buf[..8], EMBED_MAGIC);
    }
}
