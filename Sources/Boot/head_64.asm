; head_64.asm — the first instructions MiniKernel runs.
;
; QEMU's `-kernel` loads this ELF at its physical addresses and, because of the
; PVH note below (XEN_ELFNOTE_PHYS32_ENTRY), enters `pvh_start` in 32-bit
; protected mode with paging off and EBX = physical address of hvm_start_info.
; Linux enters through the same note (arch/x86/platform/pvh/head.S).
;
; We build the boot page tables, switch to long mode, move to the upper half,
; install an early IDT (so a fault before trap_init() reports itself instead of
; triple-faulting, which QEMU would turn into a silent exit 0), enable SSE and
; call start_kernel(start_info_phys) in Swift.

%include "long_mode.inc"

bits 32

KERNEL_VMA   equ 0xffffffff80000000     ; __START_KERNEL_map, as in Linux
PAGE_OFFSET  equ 0xffff888000000000     ; direct map of all physical memory

section .note.Xen note alloc align=4
    dd 4                    ; namesz
    dd 8                    ; descsz
    dd 18                   ; XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dq pvh_start            ; physical entry point (a 64-bit value)

section .boot.text progbits alloc exec align=16
global pvh_start
pvh_start:
    cli
    cld
    mov esi, ebx                        ; keep hvm_start_info in esi

    ; Boot page tables (all 2 MiB pages):
    ;   PML4[0]   -> pdpt_low   identity map 0..4 GiB (dropped once in Swift)
    ;   PML4[273] -> pdpt_low   direct map PAGE_OFFSET + 0..4 GiB
    ;   PML4[511] -> pdpt_high  PDPT[510] -> pd0: KERNEL_VMA + 0..1 GiB
    mov edi, boot_pml4 - KERNEL_VMA
    mov eax, boot_pdpt_low - KERNEL_VMA
    or eax, 3
    mov [edi], eax
    mov [edi + 273*8], eax
    mov eax, boot_pdpt_high - KERNEL_VMA
    or eax, 3
    mov [edi + 511*8], eax

    mov edi, boot_pdpt_low - KERNEL_VMA
    mov eax, boot_pd - KERNEL_VMA
    or eax, 3
    mov ecx, 4
.fill_pdpt:
    mov [edi], eax
    add edi, 8
    add eax, 4096
    loop .fill_pdpt

    mov edi, boot_pdpt_high - KERNEL_VMA
    mov eax, boot_pd - KERNEL_VMA
    or eax, 3
    mov [edi + 510*8], eax

    ; 4 page directories x 512 entries x 2 MiB = 4 GiB, PS|RW|P
    mov edi, boot_pd - KERNEL_VMA
    xor eax, eax
    xor edx, edx
    mov ecx, 2048
.fill_pd:
    mov ebx, eax
    or ebx, 0x83
    mov [edi], ebx
    mov [edi + 4], edx
    add edi, 8
    add eax, 0x200000
    jnc .no_carry
    inc edx
.no_carry:
    loop .fill_pd

    ENTER_LONG_MODE boot_pml4 - KERNEL_VMA

    lgdt [boot_gdt_ptr - KERNEL_VMA]
    jmp 0x08:long_mode_entry

bits 64
long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, strict qword higher_half
    jmp rax

section .text
higher_half:
    mov rsp, strict qword boot_stack_top
    xor rbp, rbp
    ; Early IDT: every vector goes to early_trap. trap_init() replaces it.
    mov rdi, strict qword early_idt
    mov rax, strict qword early_trap
    mov rcx, 256
.fill_idt:
    mov word [rdi], ax
    mov word [rdi + 2], 0x08
    mov word [rdi + 4], 0x8E00
    mov rdx, rax
    shr rdx, 16
    mov word [rdi + 6], dx
    shr rdx, 16
    mov dword [rdi + 8], edx
    mov dword [rdi + 12], 0
    add rdi, 16
    loop .fill_idt
    lidt [early_idt_ptr]

    mov edi, esi                        ; start_kernel(start_info_phys)
    extern start_kernel
    call start_kernel
.halt:
    cli
    hlt
    jmp .halt

; A fault before trap_init(): say so on COM1 and leave QEMU with the panic code.
early_trap:
    mov rsi, strict qword early_msg
.next:
    mov al, [rsi]
    test al, al
    jz .out
    mov dx, 0x3f8
    out dx, al
    inc rsi
    jmp .next
.out:
    mov dx, 0xf4
    mov eax, 0x7e                       ; QEMU_EXIT_PANIC (see arch/x86_64/power.swift)
    out dx, eax
    cli
    hlt
    jmp .out

section .rodata
early_msg: db 13, 10, "Kernel panic - not syncing: fault before trap_init", 13, 10, 0
align 8
boot_gdt:
    dq 0
    dq 0x00af9a000000ffff               ; 0x08 kernel code, 64-bit
    dq 0x00cf92000000ffff               ; 0x10 kernel data
boot_gdt_ptr:
    dw boot_gdt_ptr - boot_gdt - 1
    dq boot_gdt - KERNEL_VMA
align 8
early_idt_ptr:
    dw 256 * 16 - 1
    dq early_idt

section .bss
align 4096
global boot_pml4
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4096 * 4
early_idt:      resb 256 * 16
align 4096
global boot_stack_guard
boot_stack_guard:
    resb 4096                           ; unmapped by paging_init(): a guard page
global boot_stack_bottom
boot_stack_bottom:
    resb 16384
global boot_stack_top
boot_stack_top:

; Static descriptor tables for the boot CPU (arch/x86_64/desc.swift fills them).
section .bss
align 4096
global idt_table
idt_table:      resb 256 * 16
global boot_gdt_page
boot_gdt_page:  resb 4096
global boot_tss
boot_tss:       resb 4096
; IST stacks for the boot CPU: double fault and NMI get a known-good stack,
; so a kernel stack overflow into the guard page still reports itself.
align 4096
global boot_ist_stacks
boot_ist_stacks: resb 4096 * 2
global boot_ist_stacks_end
boot_ist_stacks_end:
