/*
 * sigkill_threads - pins down fatal signals in multi-threaded processes: one fatal
 * signal kills every thread, and the parent sees the process die of that signal.
 *
 * complete_signal(): a fatal signal (SIGKILL, or a signal whose action is SIG_DFL with
 * a "terminate" or "core" default) sent to any thread becomes a group exit: every thread
 * gets SIGKILL, group_exit_code is the signal, and wait4 reports WIFSIGNALED with that
 * signal.
 *
 *   - kill(pid, SIGKILL) while the leader blocks in wait4 on a child of its own and three
 *     threads sit in FUTEX_WAIT, nanosleep and a user-mode spin: status 0x0009; afterwards
 *     tgkill(pid, tid, 0) gives ESRCH for every tid
 *   - tgkill(pid, tid of a non-leader thread, SIGKILL): the whole process dies of SIGKILL
 *   - tkill(non-leader tid, SIGTERM) with SIGTERM at SIG_DFL: the process dies of SIGTERM
 *   - tgkill(pid, own tid, SIGKILL) from a non-leader thread: dies of SIGKILL
 *   - the leader has already called exit(2) and is a zombie; kill(pid, SIGKILL) still
 *     reaches the live thread: the process dies of SIGKILL
 *   - a non-leader thread faults (SIGSEGV, core dumps off): the process dies of SIGSEGV
 *   - SIGUSR1 (SIG_DFL: terminate) sent with tgkill to one thread ends the process too
 *
 * In the first four cases the leader has a child of its own (it waits for it in wait4).
 * That child outlives the process: it is reparented to us (we are a subreaper), and we
 * kill and reap it at once, so nothing the scenario starts can outlive it.
 */
#include "signals.h"
#include "thread.h"

#define NT 3

struct area {
    volatile long tids[NT + 1];
    volatile long ready;
    volatile long grandchild;                 /* the leader's own child, 0 if none */
};

static struct area *a;
static struct thread th[NT];
static volatile int word;
static int *volatile bad_pointer = (int *)8;



static int t_self_kill(void *arg)
{
    thread_report_ready((int)(long)arg);
    while (a->ready < 2)
        sys_sched_yield();
    sys_tgkill(sys_getpid(), sys_gettid(), SIGKILL);
    for (;;)
        sys_sched_yield();
    return 0;
}

static int t_segv(void *arg)
{
    thread_report_ready((int)(long)arg);
    while (a->ready < 2)
        sys_sched_yield();
    *bad_pointer = 1;
    return 0;
}

/* Starts the standard process: leader + 3 threads; returns its pid once all are up. */
static long start(int leader_exits)
{
    memset((void *)a, 0, sizeof *a);
    long pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (thread_create(&th[0], thread_block_futex, (void *)1) <= 0 || thread_create(&th[1], thread_block_sleep, (void *)2) <= 0 ||
            thread_create(&th[2], thread_block_spin, (void *)3) <= 0)
            sys_exit_group(1);
        if (leader_exits) {
            thread_report_ready(0);
            while (a->ready < NT + 1)
                sys_sched_yield();
            sys_exit(0);
        }
        long c = must_fork();
        if (c == 0) {
            /* Outlives its parent's process; report() kills it once it is ours. */
            for (;;)
                futex_wait(&word, 0, NULL);
        }
        a->grandchild = c;
        thread_report_ready(0);
        for (;;)
            sys_wait4(c, NULL, 0, NULL);
    }
    while (a->ready < NT + 1)
        sys_sched_yield();
    return pid;
}

static void report(const char *what, long pid)
{
    int status = 0;
    long r = sys_wait4(pid, &status, 0, NULL);
    int threads = 0, dead = 0;
    for (int i = 0; i <= NT; i++) {
        if (!a->tids[i])
            continue;
        threads++;
        if (sys_tgkill(pid, a->tids[i], 0) == -ESRCH)
            dead++;
    }
    say("%s: pid matches: %s, WIFSIGNALED=%d WTERMSIG=%s status=0x%04x, every thread gone: %s (%d)\n", what,
        yesno(r == pid), WIFSIGNALED(status) ? 1 : 0, signame(WTERMSIG(status)), status,
        yesno(dead == threads), threads);
    if (a->grandchild) {
        /* exit_notify() reparented it to us before the process became a zombie. */
        long c = a->grandchild;
        int st = 0;
        long k = sys_kill(c, SIGKILL);
        long w = sys_wait4(c, &st, 0, NULL);
        say("  the leader's child, adopted by us: kill %s, reaped: %s, WTERMSIG=%s\n", errname(k),
            yesno(w == c), signame(WTERMSIG(st)));
    }
}

/* A leader sleeping in FUTEX_WAIT and one thread running fn (core dumps off); returns its
 * pid once both have reported in. */
static long start_pair(int (*fn)(void *))
{
    memset((void *)a, 0, sizeof *a);
    long pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (thread_create(&th[0], fn, (void *)1) <= 0)
            sys_exit_group(1);
        thread_report_ready(0);
        for (;;)
            futex_wait(&word, 0, NULL);
    }
    while (a->ready < 2)
        sys_sched_yield();
    return pid;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("sigkill_threads: start\n");
    signals_reset();
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);   /* the leader's own child comes to us */
    a = shared_page();
    thread_report_to(a->tids, &a->ready);

    long pid = start(0);
    sys_kill(pid, SIGKILL);
    report("kill(pid, SIGKILL), threads in wait4, futex, nanosleep, spin", pid);

    pid = start(0);
    sys_tgkill(pid, a->tids[2], SIGKILL);
    report("tgkill(pid, non-leader tid, SIGKILL)", pid);

    pid = start(0);
    sys_tkill(a->tids[1], SIGTERM);
    report("tkill(non-leader tid, SIGTERM)", pid);

    pid = start(0);
    sys_tgkill(pid, a->tids[3], SIGUSR1);
    report("tgkill(pid, spinning thread, SIGUSR1)", pid);

    pid = start(1);
    sleep_ms(20);
    int st = 0x5555;
    long r = sys_wait4(pid, &st, WNOHANG, NULL);
    say("leader exited, threads alive: wait4(WNOHANG) = %s\n", errname(r));
    sys_kill(pid, SIGKILL);
    report("kill(pid, SIGKILL) with a zombie leader", pid);

    pid = start_pair(t_self_kill);
    a->tids[2] = a->tids[3] = 0;
    report("a thread sends itself SIGKILL (tgkill)", pid);

    pid = start_pair(t_segv);
    report("a non-leader thread faults", pid);

    /* Every child and adopted orphan was reaped above. */
    r = sys_wait4(-1, &st, WNOHANG, NULL);
    say("nothing left: %s\n", errname(r));
    say("DONE\n");
    return 0;
}
