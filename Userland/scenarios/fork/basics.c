/*
 * basics - pins down the small calls every process uses, and how they relate across fork.
 *
 *   - gettid() == getpid() for a single-threaded process; set_tid_address returns the tid
 *   - a child's getppid() is the parent's getpid(); fork returns the child's pid, which is
 *     the child's getpid(); pids of two live children differ
 *   - getuid/geteuid and getgid/getegid agree (values not printed: they depend on who runs
 *     the test natively), and a child inherits them
 *   - uname: sysname "Linux", machine "x86_64", strings NUL-terminated
 *   - sched_yield returns 0; CLOCK_MONOTONIC never goes backwards and nanosleep(20 ms)
 *     sleeps at least 20 ms by that clock
 *   - brk(0) returns the current break, page aligned; growing and shrinking return the
 *     new break; memory given back and taken again reads as zero; a request below the
 *     start or absurdly high fails by returning the old break
 *   - exit via exit_group while the parent is in nanosleep: the parent is not disturbed
 *   - a vfork child that registered set_tid_address(&word) clears word (writes 0) when it
 *     exits, because it shares the parent's memory (Linux's mm_release; no futex waiters)
 */
#include "lib.h"

static volatile int tid_word = 12345;

static int memchr_ok(const char *field)
{
    for (int i = 0; i < 65; i++)
        if (field[i] == 0)
            return 1;
    return 0;
}

static long ns_between(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

__attribute__((noinline, noreturn)) static void vfork_child(void)
{
    syscall1(SYS_set_tid_address, (long)&tid_word);
    sys_exit(0);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("basics: start\n");
    long me = sys_getpid();
    say("gettid() == getpid(): %s\n", yesno(sys_gettid() == me));
    static int dummy;
    say("set_tid_address returns the tid: %s\n",
        yesno(syscall1(SYS_set_tid_address, (long)&dummy) == me));

    long uid = syscall0(SYS_getuid), euid = syscall0(SYS_geteuid);
    long gid = syscall0(SYS_getgid), egid = syscall0(SYS_getegid);
    say("getuid() == geteuid(): %s, getgid() == getegid(): %s, all >= 0: %s\n", yesno(uid == euid),
        yesno(gid == egid), yesno(uid >= 0 && gid >= 0));

    /* fork and identities */
    long a = must_fork();
    if (a == 0) {
        int ok = sys_getppid() == me && sys_getpid() != me && sys_gettid() == sys_getpid() &&
                 syscall0(SYS_getuid) == uid && syscall0(SYS_getgid) == gid;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        sys_nanosleep(&ts, NULL);
        sys_exit_group(ok ? 0 : 1);
    }
    long b = must_fork();
    if (b == 0)
        sys_exit(sys_getpid() == b ? 1 : 0);   /* b is 0 here: the child's copy of the variable */
    say("two live children have different pids: %s\n", yesno(a != b && a > 0 && b > 0));
    int sa = wait_for(a), sb = wait_for(b);
    say("child saw parent's pid as getppid and inherited ids: %s\n", yesno(WEXITSTATUS(sa) == 0));
    say("fork returned 0 in the child: %s\n", yesno(WEXITSTATUS(sb) == 0));

    /* uname */
    struct utsname u;
    memset(&u, 'x', sizeof u);
    long r = sys_uname(&u);
    int terminated = memchr_ok(u.sysname) && memchr_ok(u.nodename) && memchr_ok(u.release) &&
                     memchr_ok(u.version) && memchr_ok(u.machine) && memchr_ok(u.domainname);
    say("uname: %s, sysname=\"%s\", machine=\"%s\", release non-empty: %s, all fields terminated: %s\n",
        errname(r), u.sysname, u.machine, yesno(u.release[0] != 0), yesno(terminated));

    /* scheduling and time */
    say("sched_yield: %s\n", errname(sys_sched_yield()));
    struct timespec t0, t1, t2;
    sys_clock_gettime(CLOCK_MONOTONIC, &t0);
    sys_clock_gettime(CLOCK_MONOTONIC, &t1);
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    long nr = sys_nanosleep(&nap, NULL);
    sys_clock_gettime(CLOCK_MONOTONIC, &t2);
    say("CLOCK_MONOTONIC does not go backwards: %s\n", yesno(ns_between(&t0, &t1) >= 0));
    say("nanosleep(20 ms): %s, slept at least 20 ms: %s\n", errname(nr),
        yesno(ns_between(&t1, &t2) >= 20 * 1000 * 1000));
    say("tv_nsec in range: %s\n", yesno(t2.tv_nsec >= 0 && t2.tv_nsec < 1000000000L));
    struct timespec rt;
    say("clock_gettime(CLOCK_REALTIME): %s\n", errname(sys_clock_gettime(CLOCK_REALTIME, &rt)));

    /* brk */
    char *cur = (char *)sys_brk(NULL);
    say("brk(0) is page aligned: %s\n", yesno(((unsigned long)cur & 4095) == 0));
    char *grown = (char *)sys_brk(cur + 3 * 4096 + 100);
    say("brk(+3 pages+100) returns exactly that: %s\n", yesno(grown == cur + 3 * 4096 + 100));
    cur[3 * 4096 + 99] = 1;     /* the last byte below the break is usable */
    cur[4096] = 7;
    char *shrunk = (char *)sys_brk(cur + 4096);
    say("brk shrink returns the new break: %s\n", yesno(shrunk == cur + 4096));
    char *again = (char *)sys_brk(cur + 2 * 4096);
    say("memory regained after shrink reads as zero: %s\n", yesno(again == cur + 2 * 4096 && cur[4096] == 0));
    char *low = (char *)sys_brk((void *)0x1000);
    say("brk(0x1000) fails and returns the old break: %s\n", yesno(low == again));
    char *high = (char *)sys_brk((void *)0x7ff000000000UL);
    say("brk(near the top of user space) fails and returns the old break: %s\n", yesno(high == again));
    sys_brk(cur);

    /* vfork + set_tid_address: clear_child_tid is written at exit with shared memory */
    long v = sys_vfork();
    if (v == 0)
        vfork_child();
    wait_for(v);
    say("vfork child's clear_child_tid cleared the shared word: %s\n", yesno(tid_word == 0));

    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
