/*
 * exit3 - an init that exits with code 3 (not a scenario).
 *
 * Linux panics with "Attempted to kill init! exitcode=0x00000300" (the wait status:
 * 3 << 8); MiniKernel then powers off with isa-debug-exit code 3, so QEMU's status is
 * (3 << 1) | 1 = 7.
 */
#include "lib.h"

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("exit3: pid %ld exits with 3\n", sys_getpid());
    return 3;
}
