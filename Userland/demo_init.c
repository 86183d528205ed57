/*
 * demo_init - the program `make run` boots as /init (pid 1), with trace=exit on.
 *
 * It tells the story of the exit path in four acts, each announced by a one-line
 * caption ("=== Act N: ..."), so that the kernel's trace lines between two captions
 * belong to that act:
 *   1. five children: four exit with different codes (one of them via exit_group through
 *      int $0x80, MiniKernel's asm-generic gate), one dies of SIGSEGV; init reaps each
 *   2. a thread group (a leader and two sleeping threads) ends with exit_group(3):
 *      zap_other_threads, each thread's do_exit, the last one announcing the group
 *   3. a subreaper adopts orphans: its child dies and leaves two grandchildren behind,
 *      which are reparented to the subreaper (not to init), and it reaps them
 *   4. a zombie: a child that has exited is still there (waitid WNOWAIT sees it, kill
 *      finds it) until init's wait4 reaps it, and then it is gone
 * Then init checks that nothing is left to wait for and exits 0, which makes MiniKernel
 * print "Attempted to kill init! exitcode=0x00000000" and power off.
 * (It runs natively too; then the int $0x80 child uses the i386 numbers.)
 */
#include "signals.h"
#include "thread.h"

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

static void pause_ms(long ms)
{
    struct timespec ts = { 0, ms * 1000 * 1000 };
    sys_nanosleep(&ts, NULL);
}

/* ---- Act 2: a thread group ends with exit_group ---- */

static struct thread workers[2];

static int worker(void *arg)
{
    say("  [tid %ld] thread %ld of process %ld: sleeping for 100 s\n", sys_gettid(), (long)arg, sys_getpid());
    struct timespec ts = { 100, 0 };
    sys_nanosleep(&ts, NULL);
    say("  thread %ld woke up: this should never be printed\n", (long)arg);
    return 0;
}

static void act_thread_group(void)
{
    say("=== Act 2: a thread group ends with exit_group(3): every thread dies, init hears once\n");
    long pid = must_fork();
    if (pid == 0) {
        for (long i = 0; i < 2; i++)
            thread_create(&workers[i], worker, (void *)(i + 1));
        pause_ms(30);
        say("  [pid %ld] leader: calling exit_group(3) while my threads sleep\n", sys_getpid());
        sys_exit_group(3);
    }
    int status = wait_for(pid);
    say("demo_init: the thread group (pid %ld) exited with status %d (wait status 0x%04x), threads and all\n",
        pid, WEXITSTATUS(status), status);
}

/* ---- Act 3: a subreaper adopts orphans ---- */

static void act_subreaper(void)
{
    say("=== Act 3: a subreaper adopts the orphans its dead child leaves behind\n");
    long s = must_fork();
    if (s == 0) {
        sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        say("  [pid %ld] subreaper: PR_SET_CHILD_SUBREAPER set\n", sys_getpid());
        long m = must_fork();
        if (m == 0) {
            for (int i = 0; i < 2; i++) {
                if (must_fork() == 0) {
                    pause_ms(40);   /* until the parent is gone */
                    say("  [pid %ld] orphan: my parent died; my parent is now pid %ld\n", sys_getpid(), sys_getppid());
                    sys_exit(20 + i);
                }
            }
            say("  [pid %ld] middle: forked two children, exiting without waiting for them\n", sys_getpid());
            sys_exit(0);
        }
        wait_for(m);
        say("  [pid %ld] subreaper: reaped my child pid %ld; now waiting for its orphans\n", sys_getpid(), m);
        int status;
        long r;
        while ((r = sys_wait4(-1, &status, 0, NULL)) > 0)
            say("  [pid %ld] subreaper: adopted and reaped pid %ld, exit status %d\n", sys_getpid(), r,
                WEXITSTATUS(status));
        sys_exit(0);
    }
    wait_for(s);
    say("demo_init: the subreaper (pid %ld) is done; none of the orphans came to init\n", s);
}

/* ---- Act 4: a zombie is reaped ---- */

static void act_zombie(void)
{
    say("=== Act 4: a zombie: dead, but kept until its parent's wait4 collects the status\n");
    long pid = must_fork();
    if (pid == 0) {
        say("  [pid %ld] child: exit(7)\n", sys_getpid());
        sys_exit(7);
    }
    ksiginfo_t si;
    memset(&si, 0, sizeof si);
    sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT, NULL);
    say("demo_init: pid %ld has exited (waitid WNOWAIT: code %d) but is a zombie: kill(pid, 0) = %s\n", pid,
        si.si_status, errname(sys_kill(pid, 0)));
    int status = wait_for(pid);
    say("demo_init: wait4 reaped the zombie, status %d; now kill(pid, 0) = %s\n", WEXITSTATUS(status),
        errname(sys_kill(pid, 0)));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    struct utsname u;
    sys_uname(&u);
    say("demo_init: I am pid %ld on %s %s (%s)\n", sys_getpid(), u.sysname, u.release, u.machine);
    say("=== Act 1: five children live and die; init reaps each with wait4\n");

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
    act_thread_group();
    act_subreaper();
    act_zombie();

    long r = sys_wait4(-1, NULL, WNOHANG, NULL);
    say("demo_init: anyone left? wait4 says %s\n", errname(r));
    say("demo_init: all children reaped, exiting with 0. Goodbye!\n");
    return 0;
}
