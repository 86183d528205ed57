; ktest_user.asm — for the self-tests only: run a few instructions in ring 3
; and come back. Not a way into user space for real processes (that is the
; scheduler's return-to-user path); it exists so that the mm self-tests can
; check what only the CPU can check: that user page tables really work from
; CPL 3 (user bits at every level, NX, read-only pages, demand faults, COW).
;
; ktest_enter_user(rip, rsp, a0, a1) saves the callee-saved registers and
; the kernel stack pointer, swaps GS as a return to user mode does, and
; irets to CPL 3 at `rip` with rdi = a0, rsi = a1 and interrupts off. The
; test's fault hook (arch/x86_64/mm/fault.swift) ends the excursion by
; rewriting the saved frame to resume at ktest_user_resume in kernel mode
; (the fault's own entry already swapped GS back), which returns rax.

bits 64
default rel

%include "calling.inc"

section .text
global ktest_enter_user
ktest_enter_user:
    PUSH_CALLEE_SAVED
    mov [ktest_saved_rsp], rsp
    push qword 0x2b                 ; ss: __USER_DS
    push rsi                        ; rsp
    push qword 0x2                  ; rflags: IF off
    push qword 0x33                 ; cs: __USER_CS
    push rdi                        ; rip
    mov rdi, rdx
    mov rsi, rcx
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    swapgs
    iretq

global ktest_user_resume
ktest_user_resume:
    mov rsp, [ktest_saved_rsp]
    POP_CALLEE_SAVED
    ret

section .bss
align 8
ktest_saved_rsp: resq 1
