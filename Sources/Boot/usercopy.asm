; usercopy.asm — the only instructions in the kernel that touch user memory.
; Linux: arch/x86/lib/copy_user_64.S, usercopy_64.c, strncpy_from_user.c,
; strnlen_user.c, and the exception table (arch/x86/mm/extable.c).
;
; Every instruction that may fault on a user address has an entry in the
; exception table: (address of the instruction, address of its fixup). When
; such an instruction faults, the page-fault handler first tries to resolve
; the fault in the current mm (demand paging, copy-on-write); if it cannot,
; do_page_fault() finds the entry (search_exception_tables) and resumes at the
; fixup, which makes the routine return failure instead of oopsing.
;
; The table is a section of this file alone (.rodata.ex_table, which the
; linker script's .rodata.* keeps in place) bounded by __ex_table_start and
; __ex_table_end, so it needs no linker-script support.
;
; Callers (arch/x86_64/lib/usercopy.swift) check access_ok() first: these
; routines trust that the user range lies below TASK_SIZE.

bits 64
default rel

section .rodata.ex_table progbits alloc noexec nowrite align=8
global __ex_table_start
__ex_table_start:

%macro EX_TABLE 2
section .rodata.ex_table
    dq %1, %2
section .text
%endmacro

section .text

; uint64_t __copy_user_ll(void *dst, const void *src, uint64_t n)
; Returns the number of bytes NOT copied (0 on success). Eight bytes at a time,
; then the tail (copy_user_generic's shape); a fault in the quadword part
; retries the rest byte by byte, so the count returned is exact.
global __copy_user_ll
__copy_user_ll:
    cld                             ; never trust DF (a syscall entry may not clear it)
    mov rcx, rdx
    shr rcx, 3
    and edx, 7
.copyq:
    rep movsq
    mov rcx, rdx
.copy:
    rep movsb
    xor eax, eax
    ret
.faultq:
    lea rcx, [rdx + rcx*8]
    jmp .copy
.fault:
    mov rax, rcx
    ret
EX_TABLE __copy_user_ll.copyq, __copy_user_ll.faultq
EX_TABLE __copy_user_ll.copy, __copy_user_ll.fault

; uint64_t __clear_user_ll(void *dst, uint64_t n)
; Returns the number of bytes NOT cleared (same shape as the copy above).
global __clear_user_ll
__clear_user_ll:
    cld
    mov rcx, rsi
    shr rcx, 3
    and esi, 7
    xor eax, eax
.clearq:
    rep stosq
    mov rcx, rsi
.clear:
    rep stosb
    xor eax, eax
    ret
.faultq:
    lea rcx, [rsi + rcx*8]
    jmp .clear
.fault:
    mov rax, rcx
    ret
EX_TABLE __clear_user_ll.clearq, __clear_user_ll.faultq
EX_TABLE __clear_user_ll.clear, __clear_user_ll.fault

; int64_t __strncpy_from_user_ll(char *dst, const char *src, uint64_t count)
; Copies up to count bytes, stopping after a NUL. Returns the length of the
; string (without the NUL), count when no NUL came within count bytes, or
; -EFAULT (-14) on a fault.
global __strncpy_from_user_ll
__strncpy_from_user_ll:
    xor eax, eax
.loop:
    cmp rax, rdx
    jae .done
.load:
    movzx ecx, byte [rsi + rax]
    mov [rdi + rax], cl
    test cl, cl
    jz .done
    inc rax
    jmp .loop
.done:
    ret
.fault:
    mov rax, -14
    ret
EX_TABLE __strncpy_from_user_ll.load, __strncpy_from_user_ll.fault

; uint64_t __strnlen_user_ll(const char *src, uint64_t count)
; The string's size INCLUDING its NUL; count+1 when there is no NUL within
; count bytes; 0 on a fault (Linux's strnlen_user contract).
global __strnlen_user_ll
__strnlen_user_ll:
    xor eax, eax
.loop:
    cmp rax, rsi
    jae .toolong
.load:
    movzx ecx, byte [rdi + rax]
    inc rax
    test cl, cl
    jnz .loop
    ret
.toolong:
    lea rax, [rsi + 1]
    ret
.fault:
    xor eax, eax
    ret
EX_TABLE __strnlen_user_ll.load, __strnlen_user_ll.fault

; int64_t __futex_cmpxchg_user_ll(uint32_t *uaddr, uint32_t old, uint32_t new)
; One atomic compare-and-exchange of a user futex word: the value that was
; there (new was stored if it equals old), or -EFAULT (-14) on a fault.
; Linux: futex_atomic_cmpxchg_inatomic (arch/x86/include/asm/futex.h).
global __futex_cmpxchg_user_ll
__futex_cmpxchg_user_ll:
    mov eax, esi                    ; zero-extends: rax is the 32-bit value either way
.cmpxchg:
    lock cmpxchg [rdi], edx
    ret
.fault:
    mov rax, -14
    ret
EX_TABLE __futex_cmpxchg_user_ll.cmpxchg, __futex_cmpxchg_user_ll.fault

section .rodata.ex_table
global __ex_table_end
__ex_table_end:
