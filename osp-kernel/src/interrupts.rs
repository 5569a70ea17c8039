//! GDT, TSS and the exception IDT, installed before anything touches firmware tables, so that a
//! fault prints a register dump on COM1 instead of becoming a silent triple fault.

use core::sync::atomic::{AtomicBool, Ordering};

use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::control::{Cr0, Cr2, Cr3, Cr4};
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::idt::InterruptDescriptorTable;
use x86_64::structures::tss::TaskStateSegment;

use crate::serial::print_unlocked;

/// IST slot used by the double-fault handler (a fresh stack: a kernel stack overflow faults
/// again on the old one).
const DOUBLE_FAULT_IST: u16 = 0;
/// IST slot for NMI and machine check, which may arrive at any instruction.
const NMI_IST: u16 = 1;
const IST_STACK: usize = 32 * 1024;

#[repr(C, align(16))]
struct Stack([u8; IST_STACK]);
static mut DOUBLE_FAULT_STACK: Stack = Stack([0; IST_STACK]);
static mut NMI_STACK: Stack = Stack([0; IST_STACK]);

static TSS: spin::Once<TaskStateSegment> = spin::Once::new();
static GDT: spin::Once<(
    GlobalDescriptorTable,
    SegmentSelector,
    SegmentSelector,
    SegmentSelector,
)> = spin::Once::new();
static IDT: spin::Once<InterruptDescriptorTable> = spin::Once::new();

unsafe extern "C" {
    /// Entry stubs for vectors 0-31, from `isr.s`.
    static isr_table: [u64; 32];
}

core::arch::global_asm!(include_str!("isr.s"), options(att_syntax));

fn stack_top(stack: *const Stack) -> VirtAddr {
    VirtAddr::from_ptr(stack) + IST_STACK as u64
}

/// Loads the GDT with a TSS and the IDT with handlers for every CPU exception.
pub fn init() {
    let tss = TSS.call_once(|| {
        let mut tss = TaskStateSegment::new();
        tss.interrupt_stack_table[usize::from(DOUBLE_FAULT_IST)] =
            stack_top(&raw const DOUBLE_FAULT_STACK);
        tss.interrupt_stack_table[usize::from(NMI_IST)] = stack_top(&raw const NMI_STACK);
        tss
    });
    let (gdt, code, data, tss_sel) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let code = gdt.append(Descriptor::kernel_code_segment());
        let data = gdt.append(Descriptor::kernel_data_segment());
        let tss_sel = gdt.append(Descriptor::tss_segment(tss));
        (gdt, code, data, tss_sel)
    });
    gdt.load();
    // SAFETY: the selectors index the GDT just loaded, whose descriptors are a 64-bit code
    // segment, a data segment and an available TSS that lives in a static.
    unsafe {
        CS::set_reg(*code);
        SS::set_reg(*data);
        DS::set_reg(*data);
        ES::set_reg(*data);
        load_tss(*tss_sel);
    }

    let idt = IDT.call_once(|| {
        let mut idt = InterruptDescriptorTable::new();
        // SAFETY: `isr_table` is an array of 32 code addresses emitted by `isr.s`, never written.
        let table: &[u64; 32] = unsafe { &isr_table };
        let addr = |v: usize| VirtAddr::new(table[v]);
        // SAFETY: each address is an entry stub from `isr.s` that saves all registers, calls
        // `exception_entry` with a well-formed frame for that vector's error-code convention,
        // and returns with `iretq`.
        unsafe {
            idt.divide_error.set_handler_addr(addr(0));
            idt.debug.set_handler_addr(addr(1));
            idt.non_maskable_interrupt
                .set_handler_addr(addr(2))
                .set_stack_index(NMI_IST);
            idt.breakpoint.set_handler_addr(addr(3));
            idt.overflow.set_handler_addr(addr(4));
            idt.bound_range_exceeded.set_handler_addr(addr(5));
            idt.invalid_opcode.set_handler_addr(addr(6));
            idt.device_not_available.set_handler_addr(addr(7));
            idt.double_fault
                .set_handler_addr(addr(8))
                .set_stack_index(DOUBLE_FAULT_IST);
            idt.invalid_tss.set_handler_addr(addr(10));
            idt.segment_not_present.set_handler_addr(addr(11));
            idt.stack_segment_fault.set_handler_addr(addr(12));
            idt.general_protection_fault.set_handler_addr(addr(13));
            idt.page_fault.set_handler_addr(addr(14));
            idt.x87_floating_point.set_handler_addr(addr(16));
            idt.alignment_check.set_handler_addr(addr(17));
            idt.machine_check
                .set_handler_addr(addr(18))
                .set_stack_index(NMI_IST);
            idt.simd_floating_point.set_handler_addr(addr(19));
            idt.virtualization.set_handler_addr(addr(20));
            idt.cp_protection_exception.set_handler_addr(addr(21));
            idt.hv_injection_exception.set_handler_addr(addr(28));
            idt.vmm_communication_exception.set_handler_addr(addr(29));
            idt.security_exception.set_handler_addr(addr(30));
        }
        idt
    });
    idt.load();
}

/// The stack as `isr.s` leaves it for `exception_entry`.
#[repr(C)]
pub struct ExceptionFrame {
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    r11: u64,
    r10: u64,
    r9: u64,
    r8: u64,
    rbp: u64,
    rdi: u64,
    rsi: u64,
    rdx: u64,
    rcx: u64,
    rbx: u64,
    rax: u64,
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

/// Intel SDM Vol. 3A Table 6-1.
const NAMES: [&str; 32] = [
    "divide error",
    "debug",
    "non-maskable interrupt",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved (15)",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point exception",
    "virtualization exception",
    "control protection exception",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "hypervisor injection exception",
    "VMM communication exception",
    "security exception",
    "reserved (31)",
];

static IN_EXCEPTION: AtomicBool = AtomicBool::new(false);

/// Called by `isr.s` for every CPU exception: prints what happened and stops as `osp.after`
/// says. Never returns.
#[unsafe(no_mangle)]
extern "C" fn exception_entry(frame: &ExceptionFrame) -> ! {
    if IN_EXCEPTION.swap(true, Ordering::SeqCst) {
        print_unlocked(format_args!(
            "\nosp: FATAL: CPU exception {} inside the exception handler (RIP={:#018x}); stopping\n",
            frame.vector, frame.rip
        ));
        crate::arch::halt_forever();
    }
    let v = frame.vector as usize;
    let name = NAMES.get(v).copied().unwrap_or("unknown");
    print_unlocked(format_args!(
        "\nosp: FATAL: CPU exception {v} ({name}), error code {:#x}",
        frame.error
    ));
    if v == 14 {
        let e = frame.error;
        print_unlocked(format_args!(
            " [{} {} {}{}]",
            if e & 1 != 0 {
                "protection-violation"
            } else {
                "not-present"
            },
            if e & 2 != 0 { "write" } else { "read" },
            if e & 4 != 0 { "user" } else { "kernel" },
            if e & 16 != 0 {
                " instruction-fetch"
            } else {
                ""
            },
        ));
    }
    let cr2 = Cr2::read_raw();
    let (cr3, _) = Cr3::read_raw();
    print_unlocked(format_args!(
        "\n  RIP={:#018x} CS={:#06x} RFLAGS={:#018x}\n  RSP={:#018x} SS={:#06x}\n  \
         CR0={:#018x} CR2={:#018x} CR3={:#018x} CR4={:#018x}\n",
        frame.rip,
        frame.cs,
        frame.rflags,
        frame.rsp,
        frame.ss,
        Cr0::read_raw(),
        cr2,
        cr3.start_address().as_u64(),
        Cr4::read_raw(),
    ));
    print_unlocked(format_args!(
        "  RAX={:#018x} RBX={:#018x} RCX={:#018x} RDX={:#018x}\n  \
         RSI={:#018x} RDI={:#018x} RBP={:#018x} R8 ={:#018x}\n  \
         R9 ={:#018x} R10={:#018x} R11={:#018x} R12={:#018x}\n  \
         R13={:#018x} R14={:#018x} R15={:#018x}\n",
        frame.rax,
        frame.rbx,
        frame.rcx,
        frame.rdx,
        frame.rsi,
        frame.rdi,
        frame.rbp,
        frame.r8,
        frame.r9,
        frame.r10,
        frame.r11,
        frame.r12,
        frame.r13,
        frame.r14,
        frame.r15,
    ));
    crate::after_fatal()
}
