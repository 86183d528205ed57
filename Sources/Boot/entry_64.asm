; entry_64.asm — every way into the kernel after boot: exceptions and
; interrupts (this file), later the SYSCALL instruction and the context switch.
;
; Each vector has a tiny stub that makes the stack uniform (an error code is
; pushed for vectors where the CPU pushes none) and pushes its vector number,
; then jumps to common_interrupt, which saves the general registers in the
; order of `struct PtRegs` (arch/x86_64/ptrace.swift) and calls do_IRQ_or_trap
; in Swift with a pointer to them. Linux: arch/x86/entry/entry_64.S.

bits 64
default rel

section .text

%macro ISR_NOERR 1
isr_%1:
    push qword 0
    push qword %1
    jmp common_interrupt
%endmacro
%macro ISR_ERR 1
isr_%1:
    push qword %1
    jmp common_interrupt
%endmacro

; Vectors with a CPU-pushed error code: 8, 10-14, 17, 21, 29, 30.
%assign i 0
%rep 256
  %if i == 8 || (i >= 10 && i <= 14) || i == 17 || i == 21 || i == 29 || i == 30
    ISR_ERR i
  %else
    ISR_NOERR i
  %endif
  %assign i i+1
%endrep

; Stack on arrival (low to high): vector, error_code, rip, cs, rflags, rsp, ss
global common_interrupt
common_interrupt:
    ; Entered from user mode? Then GS holds the user's base: swap to ours.
    test qword [rsp + 24], 3
    jz .from_kernel
    swapgs
.from_kernel:
    push rdi
    push rsi
    push rdx
    push rcx
    push rax
    push r8
    push r9
    push r10
    push r11
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    extern do_IRQ_or_trap
    call do_IRQ_or_trap
global ret_from_intr
ret_from_intr:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rax
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    test qword [rsp + 24], 3
    jz .to_kernel
    swapgs
.to_kernel:
    add rsp, 16                     ; vector, error_code
    iretq

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign i 0
%rep 256
    dq isr_ %+ i
  %assign i i+1
%endrep
