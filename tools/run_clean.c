/*
 * run_clean PROGRAM [ARG...] - exec PROGRAM with only fds 0, 1 and 2 open.
 *
 * The native half of a differential test must start as init starts under
 * MiniKernel: with the console on fds 0-2 and nothing else. The test harness
 * is a multi-threaded process whose other threads open pipes all the time, and
 * any of them may be inherited across its fork before close-on-exec can be set
 * (mm_syscalls once saw fd 100 open natively: ENODEV where MiniKernel said
 * EBADF). Closing everything above 2 here makes the oracle's start the same.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: run_clean PROGRAM [ARG...]\n");
        return 127;
    }
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
        perror("run_clean: close_range");
        return 127;
    }
    execv(argv[1], argv + 1);
    perror("run_clean: execv");
    return 127;
}
