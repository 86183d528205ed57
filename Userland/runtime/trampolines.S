/*
 * trampolines.S - the two pieces of user code that cannot be written in C.
 *
 * __restore_rt: the signal restorer.  rt_sigaction(2) on x86-64 needs SA_RESTORER and a
 * restorer address: the kernel pushes it as the handler's return address, so when the
 * handler returns it lands here with %rsp pointing at the rt_sigframe's ucontext, and
 * rt_sigreturn (15) restores the interrupted context.  It must not touch the stack.
 *
 * thread_clone: raw clone(2) that starts the child on a new stack running fn(arg).
 *   long thread_clone(unsigned long flags, void *stack_top, int *parent_tid,
 *                     int *child_tid, unsigned long tls, int (*fn)(void *), void *arg);
 * System V arguments: rdi flags, rsi stack_top, rdx parent_tid, rcx child_tid, r8 tls,
 * r9 fn, 8(%rsp) arg.  x86-64 clone(2) takes flags, newsp, parent_tid, child_tid, tls in
 * rdi, rsi, rdx, r10, r8.  fn and arg are stored at the top of the child's stack before
 * the call, so the child (which starts with nothing but that stack: no return address)
 * pops them, calls fn(arg) on a 16-byte aligned stack and passes its result to exit (60),
 * which ends only the calling thread.  The parent gets the child's tid or -errno.
 */
    .text
    .globl __restore_rt
    .type __restore_rt, @function
__restore_rt:
    mov     $15, %eax               /* rt_sigreturn */
    syscall
    hlt                             /* not reached */
    .size __restore_rt, . - __restore_rt

    .globl thread_clone
    .type thread_clone, @function
thread_clone:
    mov     8(%rsp), %rax           /* arg */
    and     $-16, %rsi              /* child stack: 16-byte aligned top ... */
    sub     $16, %rsi               /* ... minus room for fn and arg */
    mov     %r9, 0(%rsi)            /* fn */
    mov     %rax, 8(%rsi)           /* arg */
    mov     %rcx, %r10              /* child_tid is clone's 4th argument */
    mov     $56, %eax               /* clone */
    syscall
    test    %rax, %rax
    jnz     1f                      /* parent (tid) or error (-errno) */
    /* child: %rsp is the new stack, holding fn and arg */
    xor     %ebp, %ebp              /* outermost frame */
    pop     %rax                    /* fn */
    pop     %rdi                    /* arg; %rsp is 16-byte aligned again */
    call    *%rax
    mov     %eax, %edi              /* exit(fn's result): this thread only */
    mov     $60, %eax
    syscall
    hlt                             /* not reached */
1:  ret
    .size thread_clone, . - thread_clone

    .section .note.GNU-stack, "", @progbits
