; trampoline_64.asm — where an application processor starts. Linux:
; arch/x86/realmode/rm/trampoline_64.S.
;
; The boot CPU copies this blob to TRAMP_BASE (below 1 MiB, in the range
; memblock keeps from the allocator), fills in the four words at its end, and
; sends INIT-SIPI-SIPI with vector TRAMP_BASE >> 12. The AP wakes in real mode
; with CS = TRAMP_BASE >> 4, IP = 0, and goes straight to long mode: PAE, the
; page tables in tr_cr3 (low memory identity-mapped, plus the kernel half),
; EFER.LME, then PG and PE together, a far jump into 64-bit code, and a jump
; to start_secondary(cpu) in the upper half on its idle task's stack.
;
; Everything is position-dependent on TRAMP_BASE: the blob only ever runs
; there. Addresses in it are written as TRAMP_BASE + (label - trampoline_start).

%include "long_mode.inc"

TRAMP_BASE equ 0x8000

section .rodata
align 16
global trampoline_start
global trampoline_end
global tr_cr3
global tr_stack
global tr_entry
global tr_cpu

bits 16
trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    o32 lgdt [tr_gdt_ptr - trampoline_start]
    ENTER_LONG_MODE [tr_cr3 - trampoline_start]       ; real mode to long mode in one step
    jmp dword 0x08:(TRAMP_BASE + tr_long - trampoline_start)

bits 64
tr_long:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, [TRAMP_BASE + tr_stack - trampoline_start]
    push qword 0                        ; a null return address ends backtraces
    xor ebp, ebp
    mov rdi, [TRAMP_BASE + tr_cpu - trampoline_start]
    mov rax, [TRAMP_BASE + tr_entry - trampoline_start]
    jmp rax

align 8
tr_gdt:
    dq 0
    dq 0x00af9a000000ffff               ; 0x08 code, 64-bit
    dq 0x00cf92000000ffff               ; 0x10 data
tr_gdt_ptr:
    dw 3 * 8 - 1
    dd TRAMP_BASE + tr_gdt - trampoline_start

align 8
tr_cr3:   dq 0                          ; physical, below 4 GiB
tr_stack: dq 0                          ; the AP's idle stack top (virtual)
tr_entry: dq 0                          ; start_secondary
tr_cpu:   dq 0                          ; its logical CPU number
trampoline_end:
