/* Entry from a multiboot 1 or multiboot 2 loader: 32-bit protected mode, paging off,
 * EAX = loader magic, EBX = physical address of the boot information.
 * Builds an identity map of the first 4 GiB with 2 MiB pages, enters long mode and calls
 * kmain(magic, info). Facts: Multiboot Specification 0.6.96 §3.1 (header, a.out kludge fields,
 * machine state), Multiboot2 Specification 2.0 §3.1; Intel SDM Vol. 3A §9.8.5 (IA-32e mode
 * initialisation: CR4.PAE, EFER.LME = MSR 0xC0000080 bit 8, CR0.PG). */

.set MB1_MAGIC, 0x1BADB002
.set MB1_FLAGS, 0x00010002          /* bit 1: memory map wanted; bit 16: address fields valid */
.set MB2_MAGIC, 0xE85250D6

.section .multiboot, "a"
.balign 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long 0x100000000 - MB1_MAGIC - MB1_FLAGS
    .long mb1_header                /* header_addr */
    .long __load_start              /* load_addr */
    .long __load_end                /* load_end_addr */
    .long __bss_end                 /* bss_end_addr */
    .long _start32                  /* entry_addr */

.balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                         /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long 0x100000000 - MB2_MAGIC - (mb2_header_end - mb2_header)
    .short 0                        /* end tag */
    .short 0
    .long 8
mb2_header_end:

.section .boot32, "ax"
.code32
.global _start32
_start32:
    cli
    cld
    movl %eax, %ebp                 /* magic (the loader's stack is not ours to use) */
    movl %ebx, %esi                 /* info  -> second argument of kmain */

    /* Zero .bss (page tables, stacks, Rust statics) whatever the loader did. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl %ebp, %edi                 /* magic -> first argument of kmain */

    movl $boot_stack_top, %esp

    /* Long mode available? CPUID 0x80000001 EDX bit 29. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode

    /* PML4[0] -> PDPT; PDPT[0..4] -> four page directories of 2 MiB pages (0..4 GiB). */
    movl $boot_pdpt, %eax
    orl $0x3, %eax
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $0x3, %eax
    movl %eax, boot_pdpt
    addl $0x1000, %eax
    movl %eax, boot_pdpt + 8
    addl $0x1000, %eax
    movl %eax, boot_pdpt + 16
    addl $0x1000, %eax
    movl %eax, boot_pdpt + 24
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* present | writable | 2 MiB page */
    movl %eax, boot_pd(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b

    movl %cr4, %eax
    orl $(1 << 5), %eax             /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* EFER */
    rdmsr
    orl $(1 << 8), %eax             /* LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax           /* PG | WP | PE */
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $start64

no_long_mode:
    /* Say so on COM1 (polled, bounded), then stop. */
    movl $no_lm_msg, %esi
2:  movb (%esi), %al
    testb %al, %al
    jz 4f
    movl $100000, %ecx
    movw $0x3FD, %dx
3:  inb %dx, %al
    testb $0x20, %al
    jnz 5f
    loop 3b
5:  movb (%esi), %al
    movw $0x3F8, %dx
    outb %al, %dx
    incl %esi
    jmp 2b
4:  cli
    hlt
    jmp 4b

.code64
start64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    movl %edi, %edi                 /* upper halves are undefined after the mode switch */
    movl %esi, %esi
    xorl %ebp, %ebp
    call kmain
6:  cli
    hlt
    jmp 6b

.section .rodata.boot, "a"
.balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF        /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
boot_gdt_ptr:
    .short boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
no_lm_msg:
    .asciz "OSp: this CPU has no long mode (x86-64); stopping.\r\n"

.section .bss.boot, "aw", @nobits
.balign 4096
.global boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096 * 4
.global boot_stack_bottom
boot_stack_bottom:
    .skip 2 * 1024 * 1024          /* drivers keep per-port state by value: be generous */
.global boot_stack_top
boot_stack_top:
