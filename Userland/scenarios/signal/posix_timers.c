/*
 * posix_timers - timer_create and friends (kernel/time/posix-timers.c, the timer part of
 * kernel/time/posix-cpu-timers.c; kernel/signal.c: the timer's signal at dequeue;
 * fs/exec.c and kernel/exit.c: exit_itimers).
 *
 *   - ids count from 0 in each process; a fresh timer is disarmed; without a sigevent it
 *     sends SIGALRM with si_code SI_TIMER, si_timerid and si_value both the id
 *   - a periodic timer whose signal stays blocked sends one signal, keeps its time in
 *     timer_gettime, and reports the periods it missed in si_overrun and timer_getoverrun
 *   - SIGEV_NONE sends nothing; timer_gettime counts down to 0 (one-shot)
 *   - SIGEV_THREAD_ID sends to that thread; TIMER_ABSTIME in the past fires at once; a zero
 *     value disarms and the interval goes with it
 *   - a signal of a timer deleted while the signal was pending is dropped
 *   - CLOCK_PROCESS_CPUTIME_ID counts the process's CPU time: a sleeping process never fires it
 *   - the timers are the process's: a thread's exit keeps them, fork does not copy them,
 *     exec deletes them
 *   - errors: unknown clock EINVAL, a clock without timers (CLOCK_MONOTONIC_RAW) EOPNOTSUPP,
 *     a bad sigev_notify or signal number EINVAL, a SIGEV_THREAD_ID thread of another
 *     process EINVAL, an unknown id EINVAL, tv_nsec out of range EINVAL, bad pointers EFAULT
 */
#include "signals.h"
#include "thread.h"

#define SYS_timer_create     222
#define SYS_timer_settime    223
#define SYS_timer_gettime    224
#define SYS_timer_getoverrun 225
#define SYS_timer_delete     226
#define SIGEV_SIGNAL    0
#define SIGEV_NONE      1
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME   1
#define CLOCK_MONOTONIC_RAW 4
#define SI_TIMER (-2)

struct sigevent_k {
    long sigev_value;
    int sigev_signo, sigev_notify;
    int tid;
    int pad[11];
};
struct itimerspec { struct timespec it_interval, it_value; };

static long tcreate(long clock, struct sigevent_k *ev, int *id) { return syscall3(SYS_timer_create, clock, (long)ev, (long)id); }
static long tset(long id, long flags, const struct itimerspec *v, struct itimerspec *old)
{
    return syscall4(SYS_timer_settime, id, flags, (long)v, (long)old);
}
static long tget(long id, struct itimerspec *v) { return syscall2(SYS_timer_gettime, id, (long)v); }
static long tover(long id) { return syscall1(SYS_timer_getoverrun, id); }
static long tdel(long id) { return syscall1(SYS_timer_delete, id); }

static struct itimerspec its(long value_ns, long interval_ns)
{
    struct itimerspec v = { { interval_ns / 1000000000, interval_ns % 1000000000 }, { value_ns / 1000000000, value_ns % 1000000000 } };
    return v;
}
static long nsof(struct timespec t) { return t.tv_sec * 1000000000L + t.tv_nsec; }

static volatile int count, last_code, last_timerid, last_value, last_overrun, last_tid;
static volatile int first_overrun, first_getoverrun;
static void on_timer(int sig, ksiginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    if (count == 0) {                         /* the first delivery's own numbers, before any next one */
        first_overrun = (int)si->si_uid;
        first_getoverrun = (int)tover(si->si_pid);
    }
    last_code = si->si_code;
    last_timerid = si->si_pid;                /* si_timerid, offset 16 */
    last_overrun = (int)si->si_uid;           /* si_overrun, offset 20 */
    last_value = si->si_status;               /* si_value's int, offset 24 */
    last_tid = (int)sys_gettid();
    count++;                                  /* last: another thread may be watching it */
}

/* Waits until the handler of `sig` has run n times. */
static void wait_count(int n, int sig) { wait_signals(&count, n, sig); }

static void basics(void)
{
    int a = -1, b = -1;
    long r = tcreate(CLOCK_MONOTONIC, NULL, &a);
    tcreate(CLOCK_MONOTONIC, NULL, &b);
    say("timer_create: %s, ids %d and %d\n", errname(r), a, b);
    struct itimerspec v;
    memset(&v, 0x55, sizeof v);
    tget(a, &v);
    say("a fresh timer is disarmed: %s\n", yesno(nsof(v.it_value) == 0 && nsof(v.it_interval) == 0));

    sig_handle_info(SIGALRM, on_timer, 0);
    v = its(20000000, 20000000);
    tset(a, 0, &v, NULL);
    wait_count(3, SIGALRM);
    say("three SIGALRMs; si_code SI_TIMER: %s, si_timerid and si_value the id: %s\n", yesno(last_code == SI_TIMER),
        yesno(last_timerid == a && last_value == a));
    tget(a, &v);
    say("interval 20 ms: %s, value at most 20 ms: %s\n", yesno(nsof(v.it_interval) == 20000000),
        yesno(nsof(v.it_value) <= 20000000));

    /* Blocked: one signal, the time kept, the missed periods counted. (Set again first,
     * so that timer_getoverrun starts from 0 whatever the deliveries above said.) */
    v = its(20000000, 20000000);
    tset(a, 0, &v, NULL);
    sig_block(sigbit(SIGALRM));
    ksigset_t pend = 0;
    while (!(pend & sigbit(SIGALRM)))
        sys_rt_sigpending(&pend);
    sleep_ms(100);
    tget(a, &v);
    say("blocked 100 ms: value in (0, 20 ms]: %s, timer_getoverrun before delivery: %ld\n",
        yesno(nsof(v.it_value) > 0 && nsof(v.it_value) <= 20000000), tover(a));
    count = 0;
    sig_unblock(sigbit(SIGALRM));
    say("unblocked: the signal at once: %s, its si_overrun >= 3: %s, timer_getoverrun the same: %s\n", yesno(count >= 1),
        yesno(first_overrun >= 3), yesno(first_getoverrun == first_overrun));
    struct itimerspec zero = its(0, 0), old;
    tset(a, 0, &zero, &old);
    tget(a, &v);
    say("disarmed; the old setting had the interval: %s; now all zero: %s\n", yesno(nsof(old.it_interval) == 20000000),
        yesno(nsof(v.it_value) == 0 && nsof(v.it_interval) == 0));
    v = its(0, 20000000);
    tset(a, 0, &v, NULL);
    tget(a, &v);
    say("value 0 with an interval: disarmed, interval 0: %s\n", yesno(nsof(v.it_value) == 0 && nsof(v.it_interval) == 0));

    /* TIMER_ABSTIME in the past fires at once. */
    count = 0;
    v = its(1, 0);
    tset(b, TIMER_ABSTIME, &v, NULL);
    wait_count(1, SIGALRM);
    say("TIMER_ABSTIME at 1 ns after boot: fired, from timer %s\n", last_timerid == b ? "b" : "a");

    /* Deleted while its signal is pending: the signal is dropped. */
    count = 0;
    sig_block(sigbit(SIGALRM));
    v = its(1000000, 0);
    tset(b, 0, &v, NULL);
    pend = 0;
    while (!(pend & sigbit(SIGALRM)))
        sys_rt_sigpending(&pend);
    say("timer_delete with its signal pending: %s, still pending: %s\n", errname(tdel(b)),
        yesno((sys_rt_sigpending(&pend), pend & sigbit(SIGALRM)) != 0));
    sig_unblock(sigbit(SIGALRM));
    say("unblocked: the signal was dropped: %s\n", yesno(count == 0));
    say("timer_delete again: %s, timer_gettime of it: %s\n", errname(tdel(b)), errname(tget(b, &v)));
    tdel(a);
    sig_default(SIGALRM);
}

static volatile int target_ready, target_done;
static int target_thread(void *arg)
{
    (void)arg;
    target_ready = 1;
    while (!target_done)
        sys_sched_yield();
    return 0;
}

static void notify_kinds(void)
{
    struct sigevent_k ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    int n = -1;
    tcreate(CLOCK_MONOTONIC, &ev, &n);
    struct itimerspec v = its(30000000, 0);
    tset(n, 0, &v, NULL);
    tget(n, &v);
    long first = nsof(v.it_value);
    sleep_ms(50);
    tget(n, &v);
    say("SIGEV_NONE: counting down: %s, 0 once expired: %s\n", yesno(first > 0 && first <= 30000000),
        yesno(nsof(v.it_value) == 0));
    v = its(10000000, 10000000);
    tset(n, 0, &v, NULL);
    sleep_ms(35);
    tget(n, &v);
    say("SIGEV_NONE periodic: value stays in (0, 10 ms]: %s\n", yesno(nsof(v.it_value) > 0 && nsof(v.it_value) <= 10000000));
    tdel(n);

    /* SIGEV_THREAD_ID: to that thread. */
    struct thread t;
    target_ready = target_done = 0;
    long tid = thread_create(&t, target_thread, NULL);
    while (!target_ready)
        sys_sched_yield();
    sig_handle_info(SIGUSR1, on_timer, 0);
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value = 1234;
    ev.tid = (int)tid;
    int th = -1;
    long r = tcreate(CLOCK_MONOTONIC, &ev, &th);
    count = 0;
    sig_block(sigbit(SIGUSR1));                 /* only the target may take it */
    v = its(5000000, 0);
    tset(th, 0, &v, NULL);
    while (count == 0)
        sys_sched_yield();
    say("SIGEV_THREAD_ID: %s, handled by that thread: %s, si_value 1234: %s\n", errname(r), yesno(last_tid == tid),
        yesno(last_value == 1234));
    sig_unblock(sigbit(SIGUSR1));
    tdel(th);
    target_done = 1;
    thread_join(&t);
    sig_default(SIGUSR1);
}

static int create_and_exit(void *arg)
{
    int *id = arg;
    struct sigevent_k ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    tcreate(CLOCK_MONOTONIC, &ev, id);
    struct itimerspec v = its(20000000, 0);
    tset(*id, 0, &v, NULL);
    return 0;
}

static void ownership(char *self)
{
    /* CPU time: nothing while sleeping, then it fires. */
    sig_handle_info(SIGUSR2, on_timer, 0);
    struct sigevent_k ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    int c = -1;
    tcreate(CLOCK_PROCESS_CPUTIME_ID, &ev, &c);
    count = 0;
    struct itimerspec v = its(30000000, 0);
    tset(c, 0, &v, NULL);
    sleep_ms(100);
    say("CLOCK_PROCESS_CPUTIME_ID over a 100 ms sleep: no signal: %s\n", yesno(count == 0));
    volatile unsigned long x = 0;
    while (count == 0)
        for (int i = 0; i < 100000; i++)
            x++;
    say("spinning: it fired once: %s\n", yesno(count == 1));
    tdel(c);

    /* A thread creates one and exits: it stays. */
    int id = -1;
    struct thread t;
    count = 0;
    if (thread_create(&t, create_and_exit, &id) < 0)
        fail("thread_create");
    thread_join(&t);
    wait_count(1, SIGUSR2);
    say("created by a thread that exited: it fired: %s, and still exists: %s\n", yesno(count == 1),
        errname(tget(id, &v)));

    long pid = must_fork();
    if (pid == 0)
        sys_exit(tget(id, &v) == -EINVAL ? 0 : 1);
    say("fork: the child has no timer %d: %s\n", id, yesno(WEXITSTATUS(wait_for(pid)) == 0));
    tdel(id);
    sig_default(SIGUSR2);

    pid = must_fork();
    if (pid == 0) {
        int e = -1;
        tcreate(CLOCK_MONOTONIC, NULL, &e);
        struct itimerspec far = its(100000000000L, 0);
        tset(e, 0, &far, NULL);
        reexec_self(self, NULL);
        sys_exit(99);
    }
    say("exec'd child: status %d\n", WEXITSTATUS(wait_for(pid)));
}

static void errors(void)
{
    int id = -1;
    struct sigevent_k ev;
    say("clock 99: %s, CLOCK_MONOTONIC_RAW: %s, bad sigevent pointer: %s, bad id pointer: %s\n",
        errname(tcreate(99, NULL, &id)), errname(tcreate(CLOCK_MONOTONIC_RAW, NULL, &id)),
        errname(tcreate(CLOCK_MONOTONIC, (void *)1, &id)), errname(tcreate(CLOCK_MONOTONIC, NULL, (void *)1)));
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = 3;
    ev.sigev_signo = SIGUSR1;
    long r1 = tcreate(CLOCK_MONOTONIC, &ev, &id);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 0;
    long r2 = tcreate(CLOCK_MONOTONIC, &ev, &id);
    ev.sigev_signo = 65;
    long r3 = tcreate(CLOCK_MONOTONIC, &ev, &id);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev.tid = 1 == sys_getpid() ? 0x3ffffff : 1;     /* a thread of another process, or none */
    long r4 = tcreate(CLOCK_MONOTONIC, &ev, &id);
    say("sigev_notify 3: %s, signal 0: %s, signal 65: %s, SIGEV_THREAD_ID elsewhere: %s\n", errname(r1), errname(r2),
        errname(r3), errname(r4));
    struct itimerspec v = its(0, 0), bad = { { 0, 0 }, { 0, 1000000000 } };
    int t = -1;
    tcreate(CLOCK_MONOTONIC, NULL, &t);
    say("settime id 12345: %s, gettime id 12345: %s, getoverrun id 12345: %s, delete id 12345: %s\n",
        errname(tset(12345, 0, &v, NULL)), errname(tget(12345, &v)), errname(tover(12345)), errname(tdel(12345)));
    say("tv_nsec 1e9: %s, NULL new value: %s, bad new value: %s, bad old value: %s, gettime to a bad address: %s\n",
        errname(tset(t, 0, &bad, NULL)), errname(tset(t, 0, NULL, NULL)), errname(tset(t, 0, (void *)1, NULL)),
        errname(tset(t, 0, &v, (void *)1)), errname(tget(t, (void *)1)));
    tdel(t);
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 2 && strcmp(argv[1], "after-exec") == 0) {
        struct itimerspec v;
        say("after exec: the timer is gone: %s\n", errname(tget(0, &v)));
        return 8;
    }
    say("posix_timers: start\n");
    signals_reset();
    basics();
    notify_kinds();
    ownership(argv[0]);
    errors();
    say("DONE\n");
    return 0;
}
