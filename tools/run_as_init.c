/*
 * run_as_init - run a program as a freshly started init starts: with only fds 0, 1 and 2
 * open, every signal unblocked and at its default action, and no core dumps.
 *
 *     run_as_init PROGRAM [ARG ...]
 *
 * The test harness spawns native oracle runs from worker threads, whose signal masks
 * block most signals (libdispatch does that), and a spawned child inherits the mask:
 * busybox's `wait` would then sleep in sigsuspend() with SIGCHLD blocked forever, and
 * `kill -TERM` would not kill. Under MiniKernel, init starts with nothing blocked, so
 * the oracle must too.
 *
 * The harness's other threads also create pipes all the time, and one may be inherited
 * across its fork before close-on-exec is set (mm_syscalls once saw fd 100 open natively:
 * ENODEV where MiniKernel, whose init has only the console, said EBADF).  So everything
 * above fd 2 is closed as well.
 *
 * And RLIMIT_CORE's soft limit is 0, as init's is (INIT_RLIMITS): a scenario killed by
 * SIGSEGV must not dump core (and report WCOREDUMP) because the harness's shell allows it.
 * Scenarios about core dumps raise it themselves.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PROGRAM [ARG ...]\n", argv[0]);
        return 2;
    }
    /* The kernel's own sigaction, not glibc's: glibc refuses its two internal signals (32
       and 33), which a parent such as the test runner may have left ignored; exec keeps an
       ignored signal ignored, and /proc/<pid>/status would show it. (The call fails
       harmlessly for SIGKILL and SIGSTOP.) */
    struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } dfl = { SIG_DFL, 0, 0, 0 };
    for (int sig = 1; sig < NSIG; sig++)
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct rlimit core;
    if (getrlimit(RLIMIT_CORE, &core) == 0) {
        core.rlim_cur = 0;
        setrlimit(RLIMIT_CORE, &core);
    }
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
        perror("run_as_init: close_range");
        return 127;
    }
    execv(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
