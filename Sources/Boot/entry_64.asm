; entry_64.asm — every way into the kernel after boot, and the stack switch
; between tasks. Linux: arch/x86/entry/entry_64.S.
;
; - Exceptions and interrupts (the `int 0x80` gate among them): each vector
;   has a tiny stub that makes the stack uniform (an error code is pushed for
;   vectors where the CPU pushes none) and pushes its vector number, then
;   jumps to common_interrupt, which saves the general registers in the order
;   of `struct pt_regs` (PUSH_REGS, calling.inc) and calls do_IRQ_or_trap in
;   Swift with a pointer to them; ret_from_intr goes back with IRET.
; - entry_SYSCALL_64: the SYSCALL instruction, the same pt_regs, back with
;   SYSRET when do_syscall_64 allows it, else through ret_from_intr.
; - __switch_to_asm: the context switch's change of stacks (switch_to() in
;   arch/x86_64/process.swift does the rest), and ret_from_fork, where a new
;   task starts.

bits 64
default rel

%include "calling.inc"

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
    PUSH_REGS
    mov rdi, rsp
    cld
    extern do_IRQ_or_trap
    call do_IRQ_or_trap
global ret_from_intr
ret_from_intr:
    POP_REGS
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

; ---------------------------------------------------------------------------
; entry_SYSCALL_64: the SYSCALL instruction lands here (MSR_LSTAR), with the
; user's RIP in RCX, RFLAGS in R11, still on the user stack and with the
; user's GS. Interrupts are off (MSR_SYSCALL_MASK clears IF).
;
; Per-CPU area, reached through GS after swapgs (struct percpu_hot in shim.h):
;   gs:16  top of this CPU's current kernel stack
;   gs:24  scratch for the user RSP
SYSCALL_VECTOR equ 0x100

section .text
global entry_SYSCALL_64
entry_SYSCALL_64:
    swapgs
    mov [gs:24], rsp
    mov rsp, [gs:16]
    push qword 0x2b                 ; ss = __USER_DS
    push qword [gs:24]              ; rsp
    push r11                        ; rflags
    push qword 0x33                 ; cs = __USER_CS
    push rcx                        ; rip
    push rax                        ; orig_rax: the system call number
    push qword SYSCALL_VECTOR
    PUSH_REGS {qword -38}           ; rax = -ENOSYS until a handler says otherwise
    mov rdi, rsp
    cld
    extern do_syscall_64
    call do_syscall_64              ; true: the registers allow SYSRET
    test al, al
    jz ret_from_intr                ; IRET restores everything, always correct
    POP_REGS                        ; r11 == saved rflags, rcx == saved rip (do_syscall_64 checked)
    mov rsp, [rsp + 16 + 24]        ; skip vector, orig_rax; rip, cs, rflags, then rsp
    swapgs
    o64 sysret

; ---------------------------------------------------------------------------
; __switch_to_asm(prev_sp *, next_sp, prev) -> prev
; Saves the callee-saved registers on the old kernel stack, switches stacks,
; restores the new task's. A new task's stack was laid out by copy_thread()
; so that the `ret` goes to ret_from_fork. Linux: entry_64.S.
global __switch_to_asm
__switch_to_asm:
    PUSH_CALLEE_SAVED
    mov [rdi], rsp
    mov rsp, rsi
    mov rax, rdx
    POP_CALLEE_SAVED
    ret

; A new task's first instructions: finish the switch, then leave for user
; mode through the pt_regs copy_thread() placed at the top of its stack.
global ret_from_fork
ret_from_fork:
    mov rdi, rax
    extern schedule_tail
    call schedule_tail
    mov rdi, rsp
    extern exit_to_user_mode_from_fork
    call exit_to_user_mode_from_fork
    jmp ret_from_intr
