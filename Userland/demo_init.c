/*
 * demo_init - the program `make run` boots as /init (pid 1).
 *
 * It tells a small story of the process lifecycle: init forks five children; four exit
 * with different codes (one of them via exit_group through int $0x80, MiniKernel's
 * asm-generic gate), one dies of SIGSEGV.  init reaps each by pid with wait4 and prints
 * what happened to it, then checks that nothing is left to wait for and exits 0, which
 * makes MiniKernel print "Attempted to kill init! exitcode=0x00000000" and power off.
 * (It runs natively too; then the int $0x80 child uses the i386 numbers.)
 */
#include "lib.h"

struct plan {
    const char *name;
    int code;       /* exit code, or -1 for "crash" */
};

static const struct plan plans[] = {
    { "the optimist", 0 },
    { "the complainer", 1 },
    { "the overachiever", 300 },    /* truncated to 300 & 0xff = 44 */
    { "the crasher", -1 },
    { "the gate keeper", 94 },
};
#define NPLANS (int)(sizeof plans / sizeof plans[0])

__attribute__((noinline)) static void crash(void)
{
    unsigned long a = 0;
    __asm__("" : "+r"(a));
    *(volatile int *)a = 42;
}

static void child(int i)
{
    const struct plan *p = &plans[i];
    say("  [pid %ld] %s: hello, my parent is pid %ld\n", sys_getpid(), p->name, sys_getppid());
    if (p->code < 0) {
        say("  [pid %ld] %s: about to write through a NULL pointer...\n", sys_getpid(), p->name);
        sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        crash();
    }
    if (i == NPLANS - 1) {
        say("  [pid %ld] %s: leaving through int $0x80 exit_group(%d)\n", sys_getpid(), p->name, p->code);
        if (on_minikernel())
            syscall_int80(GENERIC_NR_exit_group, p->code, 0, 0, 0, 0, 0);
        else
            syscall_int80_i386(I386_NR_exit_group, p->code, 0, 0);
    }
    say("  [pid %ld] %s: calling exit(%d)\n", sys_getpid(), p->name, p->code);
    sys_exit(p->code);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    struct utsname u;
    sys_uname(&u);
    say("demo_init: I am pid %ld on %s %s (%s)\n", sys_getpid(), u.sysname, u.release, u.machine);

    long pids[NPLANS];
    for (int i = 0; i < NPLANS; i++) {
        pids[i] = must_fork();
        if (pids[i] == 0)
            child(i);
        /* Let each child tell its story before the next one starts. */
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        sys_nanosleep(&ts, NULL);
    }

    say("demo_init: forked %d children, now reaping them in order\n", NPLANS);
    for (int i = 0; i < NPLANS; i++) {
        int status = wait_for(pids[i]);
        if (WIFEXITED(status))
            say("demo_init: pid %ld (%s) exited with status %d (wait status 0x%04x)\n", pids[i],
                plans[i].name, WEXITSTATUS(status), status);
        else if (WIFSIGNALED(status))
            say("demo_init: pid %ld (%s) was killed by signal %d%s (wait status 0x%04x)\n", pids[i],
                plans[i].name, WTERMSIG(status), WTERMSIG(status) == SIGSEGV ? " (SIGSEGV)" : "",
                status);
        else
            say("demo_init: pid %ld (%s): unexpected wait status 0x%x\n", pids[i], plans[i].name,
                status);
    }
    long r = sys_wait4(-1, NULL, WNOHANG, NULL);
    say("demo_init: anyone left? wait4 says %s\n", errname(r));
    say("demo_init: all children reaped, exiting with 0. Goodbye!\n");
    return 0;
}
