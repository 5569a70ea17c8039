//! The COM1 console: a polled 16550 UART (National Semiconductor PC16550D datasheet: THR/RBR at
//! +0, IER +1, FCR +2, LCR +3, MCR +4, LSR +5 with THRE = bit 5; divisor latch when LCR.DLAB).

use core::fmt;

use osp_hal::PortIo;

use crate::arch::Ports;

/// COM1's I/O base.
pub const COM1: u16 = 0x3F8;
/// The console's port base: COM1 until `osp.console` says otherwise.
static CONSOLE_BASE: core::sync::atomic::AtomicU16 = core::sync::atomic::AtomicU16::new(COM1);

/// Moves the console to the UART at `base` (initialising it) from now on: servers often have
/// their BMC's serial-over-LAN port on COM2 (0x2F8), e.g. HP iLO's virtual serial port.
pub fn set_console(base: u16) {
    let uart = Uart::new(base);
    uart.init();
    let mut console = CONSOLE.lock();
    *console = uart;
    CONSOLE_BASE.store(base, core::sync::atomic::Ordering::SeqCst);
}

const THR: u16 = 0;
const IER: u16 = 1;
const FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;
const LSR_THRE: u8 = 1 << 5;
/// Transmit FIFO depth of a 16550A.
const FIFO_DEPTH: u32 = 16;
const LCR_DLAB: u8 = 1 << 7;
const LCR_8N1: u8 = 0x03;
/// 115200 baud from the 1.8432 MHz clock.
const DIVISOR_115200: u16 = 1;
/// How many LSR polls a byte may wait for the transmitter (about 1 ms of port reads): an absent
/// or stuck UART slows the console down, it never hangs it.
const TX_POLLS: u32 = 20_000;

/// A 16550 on a port base. Stateless: every handle to the same base drives the same UART, which
/// lets the exception path print without taking any lock.
#[derive(Debug, Clone, Copy)]
pub struct Uart {
    base: u16,
}

impl Uart {
    /// The UART at `base`, not yet initialised.
    pub const fn new(base: u16) -> Self {
        Self { base }
    }

    /// 115200 8N1, FIFOs on, interrupts off.
    pub fn init(&self) {
        let mut p = Ports;
        p.write8(self.base + IER, 0);
        p.write8(self.base + LCR, LCR_DLAB);
        p.write8(self.base, (DIVISOR_115200 & 0xff) as u8);
        p.write8(self.base + IER, (DIVISOR_115200 >> 8) as u8);
        p.write8(self.base + LCR, LCR_8N1);
        p.write8(self.base + FCR, 0xC7); // enable and clear FIFOs, 14-byte threshold
        p.write8(self.base + MCR, 0x03); // DTR | RTS
    }

    /// Waits (bounded) until the transmit FIFO is empty.
    fn wait_empty(&self, p: &mut Ports) {
        for _ in 0..TX_POLLS {
            if p.read8(self.base + LSR) & LSR_THRE != 0 {
                return;
            }
            core::hint::spin_loop();
        }
    }

    /// Writes bytes, turning `\n` into `\r\n` for terminals. THRE means the whole 16-byte FIFO
    /// is empty (FCR enabled it), so one status read covers up to 16 bytes: fewer port reads,
    /// which matters where each one is a VM exit.
    pub fn write_bytes(&self, bytes: &[u8]) {
        let mut p = Ports;
        let mut room = 0;
        for &b in bytes {
            for out in [b'\r', b] {
                if out == b'\r' && b != b'\n' {
                    continue;
                }
                if room == 0 {
                    self.wait_empty(&mut p);
                    room = FIFO_DEPTH;
                }
                p.write8(self.base + THR, out);
                room -= 1;
            }
        }
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = core::convert::Infallible;
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.write_bytes(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

/// The console lock: keeps lines from different code paths whole.
static CONSOLE: spin::Mutex<Uart> = spin::Mutex::new(Uart::new(COM1));

/// A copy of what the console printed (the first [`LOG_SIZE`] bytes): the machine inventory
/// the kernel shows on its web page is exactly what it reported at boot.
pub const LOG_SIZE: usize = 64 * 1024;

struct Log {
    buf: [u8; LOG_SIZE],
    len: usize,
}

static LOG: spin::Mutex<Log> = spin::Mutex::new(Log {
    buf: [0; LOG_SIZE],
    len: 0,
});

/// Console output and, up to [`LOG_SIZE`], the log copy.
struct Tee<'a>(&'a mut Uart, &'a mut Log);

impl fmt::Write for Tee<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_bytes(s.as_bytes());
        let log = &mut *self.1;
        let n = s.len().min(LOG_SIZE - log.len);
        log.buf[log.len..log.len + n].copy_from_slice(&s.as_bytes()[..n]);
        log.len += n;
        Ok(())
    }
}

/// Prints to the console.
pub fn print(args: fmt::Arguments<'_>) {
    use fmt::Write;
    let mut uart = CONSOLE.lock();
    let mut log = LOG.lock();
    let _ = Tee(&mut uart, &mut log).write_fmt(args);
}

/// Calls `f` with what the console has printed so far (up to [`LOG_SIZE`] bytes).
pub fn with_log<T>(f: impl FnOnce(&str) -> T) -> T {
    let log = LOG.lock();
    let bytes = &log.buf[..log.len];
    // A cut inside a UTF-8 sequence at the very end is dropped.
    let text = match core::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    };
    f(text)
}

/// Prints from a context that must not take locks (exceptions, panics).
pub fn print_unlocked(args: fmt::Arguments<'_>) {
    use fmt::Write;
    let _ = Uart::new(CONSOLE_BASE.load(core::sync::atomic::Ordering::SeqCst)).write_fmt(args);
}

/// `print!` to COM1.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => { $crate::serial::print(format_args!($($arg)*)) };
}

/// `println!` to COM1.
#[macro_export]
macro_rules! kprintln {
    () => { $crate::serial::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::serial::print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// The `log` backend: `LEVEL target: message` lines on COM1, filtered by `osp.log`.
pub struct Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            print(format_args!(
                "{:5} {}: {}\n",
                record.level(),
                record.target(),
                record.args()
            ));
        }
    }
    fn flush(&self) {}
}
