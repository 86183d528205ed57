/*
 * stack_growth: the stack is an area that grows down on faults (Linux mm/mmap.c
 * expand_downwards, fs/exec.c setup_arg_pages). A program starts with its arguments and
 * 128 KiB below them; touching memory further down grows the area, up to RLIMIT_STACK.
 *   - a child with the default 8 MiB limit fills 4 MiB of locals: it grows and exits 0;
 *   - a child that lowers RLIMIT_STACK to 256 KiB and then touches 512 KiB below is killed
 *     by SIGSEGV (acct_stack_growth refuses to grow past the limit);
 *   - after a fork, the child's stack has the parent's size and contents.
 */
#include "lib.h"
#include "fs.h"
#include "signals.h"

#define RLIMIT_STACK 3
#define KB 1024L

/* Touches `bytes` of stack below the caller, one byte a page, from the top down. */
static __attribute__((noinline)) long touch_stack(long bytes)
{
    char buf[bytes];
    long sum = 0;
    for (long i = bytes - 1; i >= 0; i -= 4096) {
        ((volatile char *)buf)[i] = (char)i;
        sum += ((volatile char *)buf)[i];
    }
    return sum;
}

static void set_stack_limit(long bytes)
{
    struct rlimit64 old, lim;
    sys_prlimit(0, RLIMIT_STACK, NULL, &old);
    lim.cur = bytes;
    lim.max = old.max;
    long r = sys_prlimit(0, RLIMIT_STACK, &lim, NULL);
    if (r < 0) {
        say("setting RLIMIT_STACK to %ld: %s\n", bytes, errname(r));
        sys_exit(3);
    }
}

static void report(const char *what, int st)
{
    if (WIFSIGNALED(st))
        say("%s: killed by %s\n", what, signame(WTERMSIG(st)));
    else
        say("%s: exit %d\n", what, WEXITSTATUS(st));
}

int main(void)
{
    say("stack_growth: start\n");

    long pid = must_fork();
    if (pid == 0) {
        set_stack_limit(8192 * KB);
        touch_stack(4096 * KB);
        sys_exit(0);
    }
    report("4 MiB of locals under an 8 MiB RLIMIT_STACK", wait_for(pid));

    pid = must_fork();
    if (pid == 0) {
        set_stack_limit(256 * KB);
        touch_stack(512 * KB);
        sys_exit(0);
    }
    report("512 KiB of locals under a 256 KiB RLIMIT_STACK", wait_for(pid));

    /* Grow this stack by 1 MiB, leave a mark deep in it, and fork: the child sees it. */
    char deep[1024 * KB];
    ((volatile char *)deep)[0] = 42;
    pid = must_fork();
    if (pid == 0)
        sys_exit(((volatile char *)deep)[0] == 42 ? 0 : 1);
    report("a child reads the parent's grown stack", wait_for(pid));

    say("stack_growth: done\n");
    return 0;
}
