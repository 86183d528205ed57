/*
 * itimers - the process's interval timers (kernel/time/itimer.c: setitimer, getitimer,
 * alarm_setitimer, it_real_fn; kernel/time/posix-cpu-timers.c: check_cpu_itimer;
 * kernel/signal.c: dequeue_signal's re-arm of ITIMER_REAL; kernel/exit.c: exit_itimers).
 *
 *   - nothing is armed at start; ITIMER_REAL with an interval sends SIGALRM again and again,
 *     and getitimer shows the interval and a value no larger than it; a zero value disarms
 *     and the old setting comes back
 *   - alarm() is ITIMER_REAL in seconds: each sees the other's setting
 *   - an interval ITIMER_REAL whose SIGALRM stays blocked fires once and stops (value 0
 *     while the signal is pending) and runs again once the signal is taken
 *   - ITIMER_VIRTUAL counts user time only (a sleeping process never gets SIGVTALRM),
 *     ITIMER_PROF user and system time, with an interval
 *   - the timers are the process's: not inherited by fork, kept across exec, and a thread
 *     that sets one and exits leaves it running
 *   - which other than 0, 1, 2 is EINVAL; a timeval with tv_usec outside 0..999999 or a
 *     negative tv_sec is EINVAL; bad pointers are EFAULT (the old value is written only on
 *     success); a NULL new value disarms
 * Times are compared with thresholds, never printed.
 */
#include "signals.h"
#include "thread.h"

#define SYS_getitimer 36
#define SYS_setitimer 38
#define ITIMER_REAL    0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF    2

struct itimerval { struct timeval it_interval, it_value; };

static long getitimer(long which, struct itimerval *v) { return syscall2(SYS_getitimer, which, (long)v); }
static long setitimer(long which, const struct itimerval *v, struct itimerval *old)
{
    return syscall3(SYS_setitimer, which, (long)v, (long)old);
}
static long sys_alarm(long secs) { return syscall1(37, secs); }

static struct itimerval itv(long value_us, long interval_us)
{
    struct itimerval v = { { interval_us / 1000000, interval_us % 1000000 }, { value_us / 1000000, value_us % 1000000 } };
    return v;
}
static long us(struct timeval t) { return t.tv_sec * 1000000L + t.tv_usec; }

static volatile int alrm, vtalrm, prof;
static void on_alrm(int s) { (void)s; alrm++; }
static void on_vtalrm(int s) { (void)s; vtalrm++; }
static void on_prof(int s) { (void)s; prof++; }

/* Waits until the handler of `sig` has counted to n: the check runs with `sig` blocked
 * and rt_sigsuspend opens it, so a signal between the two is not missed. */
static void wait_count(volatile int *count, int n, int sig) { wait_signals(count, n, sig); }

static void burn_user(volatile int *until, int n)
{
    volatile unsigned long x = 0;
    while (*until < n)
        for (int i = 0; i < 100000; i++)
            x++;
}

static void real_timer(void)
{
    struct itimerval v, old;
    memset(&v, 0x55, sizeof v);
    getitimer(ITIMER_REAL, &v);
    say("at start: ITIMER_REAL %s, ITIMER_VIRTUAL ", yesno(us(v.it_value) == 0 && us(v.it_interval) == 0));
    getitimer(ITIMER_VIRTUAL, &v);
    say("%s, ITIMER_PROF ", yesno(us(v.it_value) == 0 && us(v.it_interval) == 0));
    getitimer(ITIMER_PROF, &v);
    say("%s\n", yesno(us(v.it_value) == 0 && us(v.it_interval) == 0));

    sig_handle(SIGALRM, on_alrm, 0);
    v = itv(20000, 20000);
    say("setitimer(ITIMER_REAL, 20 ms every 20 ms): %s\n", errname(setitimer(ITIMER_REAL, &v, NULL)));
    wait_count(&alrm, 3, SIGALRM);
    getitimer(ITIMER_REAL, &v);
    /* (The value may already be 0 again: fired, and waiting for its SIGALRM to be taken.) */
    say("three SIGALRMs; interval 20 ms: %s, value at most 20 ms: %s\n", yesno(us(v.it_interval) == 20000),
        yesno(us(v.it_value) <= 20000));
    struct itimerval zero = itv(0, 0);
    setitimer(ITIMER_REAL, &zero, &old);
    say("disarmed; the old setting had the interval: %s\n", yesno(us(old.it_interval) == 20000));
    getitimer(ITIMER_REAL, &v);
    say("now: value 0: %s, interval 0: %s\n", yesno(us(v.it_value) == 0), yesno(us(v.it_interval) == 0));

    v = itv(5000000, 0);
    setitimer(ITIMER_REAL, &v, NULL);
    long left = sys_alarm(0);
    getitimer(ITIMER_REAL, &v);
    say("alarm(0) after setitimer(5 s): 1 to 5 s left: %s, and the timer is off: %s\n", yesno(left >= 1 && left <= 5),
        yesno(us(v.it_value) == 0));
    sys_alarm(7);
    getitimer(ITIMER_REAL, &v);
    say("after alarm(7): getitimer value in (0, 7 s]: %s, interval 0: %s\n",
        yesno(us(v.it_value) > 0 && us(v.it_value) <= 7000000), yesno(us(v.it_interval) == 0));
    sys_alarm(0);

    /* Blocked: fires once, then waits for the signal to be taken. */
    alrm = 0;
    sig_block(sigbit(SIGALRM));
    v = itv(10000, 10000);
    setitimer(ITIMER_REAL, &v, NULL);
    ksigset_t pend = 0;
    while (!(pend & sigbit(SIGALRM)))
        sys_rt_sigpending(&pend);
    sleep_ms(50);
    getitimer(ITIMER_REAL, &v);
    say("SIGALRM blocked and pending: value 0 (stopped): %s, interval kept: %s\n", yesno(us(v.it_value) == 0),
        yesno(us(v.it_interval) == 10000));
    sig_unblock(sigbit(SIGALRM));
    say("unblocked: the pending SIGALRM is taken at once: %s\n", yesno(alrm >= 1));
    wait_count(&alrm, 2, SIGALRM);
    say("and the timer runs again: a second SIGALRM came\n");
    setitimer(ITIMER_REAL, &zero, NULL);
    sig_default(SIGALRM);
}

static void cpu_timers(void)
{
    sig_handle(SIGVTALRM, on_vtalrm, 0);
    sig_handle(SIGPROF, on_prof, 0);
    struct itimerval v = itv(30000, 0), old;
    setitimer(ITIMER_VIRTUAL, &v, NULL);
    sleep_ms(100);
    getitimer(ITIMER_VIRTUAL, &v);
    say("ITIMER_VIRTUAL over a 100 ms sleep: no signal: %s, still armed: %s\n", yesno(vtalrm == 0),
        yesno(us(v.it_value) > 0));
    burn_user(&vtalrm, 1);
    say("spinning in user mode: SIGVTALRM once: %s\n", yesno(vtalrm == 1));
    getitimer(ITIMER_VIRTUAL, &v);
    say("one-shot: now off: %s\n", yesno(us(v.it_value) == 0));

    v = itv(20000, 20000);
    setitimer(ITIMER_PROF, &v, NULL);
    burn_user(&prof, 3);
    getitimer(ITIMER_PROF, &v);
    say("ITIMER_PROF every 20 ms: three SIGPROFs, interval 20 ms: %s\n", yesno(us(v.it_interval) == 20000));
    struct itimerval zero = itv(0, 0);
    setitimer(ITIMER_PROF, &zero, &old);
    say("disarmed, old interval 20 ms: %s\n", yesno(us(old.it_interval) == 20000));
    sig_default(SIGVTALRM);
    sig_default(SIGPROF);
}

static int arm_and_exit(void *arg)
{
    (void)arg;
    struct itimerval v = itv(30000, 0);
    setitimer(ITIMER_REAL, &v, NULL);
    return 0;
}

static void process_wide(char *self)
{
    struct itimerval v = itv(9000000, 1000000);
    setitimer(ITIMER_REAL, &v, NULL);
    long pid = must_fork();
    if (pid == 0) {
        getitimer(ITIMER_REAL, &v);
        sys_exit(us(v.it_value) == 0 && us(v.it_interval) == 0 ? 0 : 1);
    }
    getitimer(ITIMER_REAL, &v);
    say("fork: the child has no timer: %s; ours still runs: %s\n", yesno(WEXITSTATUS(wait_for(pid)) == 0),
        yesno(us(v.it_value) > 0));
    struct itimerval zero = itv(0, 0);
    setitimer(ITIMER_REAL, &zero, NULL);

    pid = must_fork();
    if (pid == 0) {
        v = itv(9000000, 1000000);
        setitimer(ITIMER_REAL, &v, NULL);
        reexec_self(self, NULL);
        sys_exit(99);
    }
    say("exec'd child: status %d\n", WEXITSTATUS(wait_for(pid)));

    alrm = 0;
    sig_handle(SIGALRM, on_alrm, 0);
    struct thread t;
    if (thread_create(&t, arm_and_exit, NULL) < 0)
        fail("thread_create");
    thread_join(&t);
    wait_count(&alrm, 1, SIGALRM);
    say("a thread armed ITIMER_REAL and exited: SIGALRM came: %s\n", yesno(alrm == 1));
    sig_default(SIGALRM);
}

static void errors(void)
{
    struct itimerval v = itv(0, 0), old;
    struct itimerval bad_usec = { { 0, 0 }, { 0, 1000000 } }, neg_usec = { { 0, 0 }, { 0, -1 } };
    struct itimerval neg_sec = { { 0, 0 }, { -1, 0 } }, bad_interval = { { 0, 1000000 }, { 1, 0 } };
    say("which 3: %s, which -1: %s, getitimer(3): %s\n", errname(setitimer(3, &v, NULL)), errname(setitimer(-1, &v, NULL)),
        errname(getitimer(3, &v)));
    say("tv_usec 1000000: %s, tv_usec -1: %s, tv_sec -1: %s, interval tv_usec 1000000: %s\n",
        errname(setitimer(ITIMER_REAL, &bad_usec, NULL)), errname(setitimer(ITIMER_REAL, &neg_usec, NULL)),
        errname(setitimer(ITIMER_REAL, &neg_sec, NULL)), errname(setitimer(ITIMER_REAL, &bad_interval, NULL)));
    say("bad new value: %s, bad old value: %s, getitimer to a bad address: %s\n",
        errname(setitimer(ITIMER_REAL, (void *)1, NULL)), errname(setitimer(ITIMER_REAL, &v, (void *)1)),
        errname(getitimer(ITIMER_REAL, (void *)1)));
    memset(&old, 0x55, sizeof old);
    long r = setitimer(3, &v, &old);
    say("old value untouched when which is bad: %s (%s)\n", yesno(old.it_value.tv_sec == 0x5555555555555555L), errname(r));
    v = itv(5000000, 0);
    setitimer(ITIMER_REAL, &v, NULL);
    r = setitimer(ITIMER_REAL, NULL, &old);
    getitimer(ITIMER_REAL, &v);
    say("NULL new value: %s, it disarmed: %s, old value was set: %s\n", errname(r), yesno(us(v.it_value) == 0),
        yesno(us(old.it_value) > 0));
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 2 && strcmp(argv[1], "after-exec") == 0) {
        struct itimerval v;
        getitimer(ITIMER_REAL, &v);
        say("after exec: ITIMER_REAL still armed: %s, interval 1 s: %s\n",
            yesno(us(v.it_value) > 0 && us(v.it_value) <= 9000000), yesno(us(v.it_interval) == 1000000));
        return 6;
    }
    say("itimers: start\n");
    signals_reset();
    real_timer();
    cpu_timers();
    process_wide(argv[0]);
    errors();
    say("DONE\n");
    return 0;
}
