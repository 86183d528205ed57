/*
 * _start: the process entry point.  The kernel leaves the System V initial
 * stack at %rsp: argc, argv[0..argc-1], NULL, envp[...], NULL, auxv...
 * We call main(argc, argv, envp) and pass its result to exit_group.
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xor     %ebp, %ebp              /* outermost frame */
    mov     (%rsp), %rdi            /* argc */
    lea     8(%rsp), %rsi           /* argv */
    lea     16(%rsp,%rdi,8), %rdx   /* envp = argv + argc + 1 */
    and     $-16, %rsp              /* ABI: 16-byte aligned before call */
    call    main
    mov     %eax, %edi              /* exit status = main's int result */
    mov     $231, %eax              /* exit_group */
    syscall
    hlt                             /* not reached */
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
