/*
 * de_thread - pins down execve in a multi-threaded process (fs/exec.c: de_thread()).
 *
 * Before the new image runs, every other thread of the process is killed and waited
 * for; an exec'ing thread that is not the leader takes over the leader's pid
 * (exchange_tids/transfer_pid) and its place as its parent's child, and the old leader
 * is released without its parent ever hearing of it. The process goes on as one: the
 * parent's wait4 sees exactly one exit, with the new image's code.
 *
 *   - A: a non-leader thread execs while the leader sleeps in nanosleep, one thread
 *     waits in FUTEX_WAIT and one spins in user mode. The new image has getpid() equal
 *     to the old pid, gettid() == getpid(), the same parent; the old tids (the exec'ing
 *     thread's included) answer tgkill(pid, tid, 0) with ESRCH; the old leader's zombie
 *     child is now the new image's child (it was reparented to a live thread of the
 *     group, the exec'ing one) and is reaped by it
 *   - B: the leader execs while three threads sleep, wait and spin: same pid, threads gone
 *   - C: the leader has already called exit(2) (its CLONE_CHILD_CLEARTID word says so)
 *     and is a zombie the parent cannot see; then a non-leader thread execs and takes
 *     the pid
 *   - D: an execve that fails (ENOENT) kills nobody: every thread still answers
 *   - in each case the parent's wait4 reaps one process, with the new image's exit code,
 *     and then has no children left
 *
 * The program execs itself through argv[0] (its path natively, /init under MiniKernel),
 * with "after-exec", the case letter and the pids and tids to check as arguments.
 */
#include "signals.h"
#include "thread.h"

#define SYS_set_tid_address 218

struct area {
    volatile long tids[4];                    /* leader, futex, spin, sleep/exec'ing */
    volatile long ready;
    volatile long go;
    volatile int leader_word;                 /* the leader's set_tid_address word (case C) */
    volatile long leader_gone, go2;
};

static struct area *a;
static struct thread th[3];
static const char *self;

static long parse(const char *s)
{
    long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}

/* The new image: argv = self, "after-exec", case, pid, ppid, old tid... */
static int after_exec(int argc, char **argv)
{
    const char *c = argv[2];
    long pid = parse(argv[3]), ppid = parse(argv[4]);
    say("%s: new image: getpid() is the old pid: %s, gettid() == getpid(): %s, same parent: %s\n", c,
        yesno(sys_getpid() == pid), yesno(sys_gettid() == sys_getpid()), yesno(sys_getppid() == ppid));
    int old = 0, gone = 0;
    for (int i = 5; i < argc; i++) {
        long tid = parse(argv[i]);
        if (tid == pid)
            continue;                         /* the pid is ours now */
        old++;
        if (sys_tgkill(pid, tid, 0) == -ESRCH)
            gone++;
    }
    say("%s: new image: the other old threads are gone: %s (%d of %d)\n", c, yesno(gone == old), gone, old);
    if (c[0] == 'A') {
        int st = 0;
        long r = sys_wait4(-1, &st, 0, NULL);
        say("A: new image: the old leader's zombie child is ours: reaped: %s, WEXITSTATUS=%d; then %s\n",
            yesno(r > 0), WEXITSTATUS(st), errname(sys_wait4(-1, &st, WNOHANG, NULL)));
    }
    return c[0] - 'A' + 10;                   /* A: 10, B: 11, C: 12 */
}



static char arg[8][24];

/* execve(self, "after-exec", which, pid, ppid, tids...) from the calling thread. */
static long exec_self(const char *which)
{
    char *args[10];
    int n = 0;
    args[n++] = (char *)self;
    args[n++] = "after-exec";
    args[n++] = (char *)which;
    format(arg[0], sizeof arg[0], "%ld", sys_getpid());
    args[n++] = arg[0];
    format(arg[1], sizeof arg[1], "%ld", sys_getppid());
    args[n++] = arg[1];
    for (int i = 0; i < 4; i++) {
        format(arg[2 + i], sizeof arg[2 + i], "%ld", a->tids[i]);
        args[n++] = arg[2 + i];
    }
    args[n] = NULL;
    char *env[] = { NULL };
    return sys_execve(self, args, env);
}

static int t_exec_after_go(void *arg)
{
    thread_report_ready((int)(long)arg);
    while (!a->go)
        sys_sched_yield();
    exec_self("A");
    sys_exit_group(99);                       /* not reached */
    return 0;
}

static int t_exec_after_leader(void *arg)
{
    thread_report_ready((int)(long)arg);
    /* Wait until the leader has exited: its clear_child_tid word becomes 0. */
    int v;
    while ((v = a->leader_word) != 0)
        futex(&a->leader_word, FUTEX_WAIT, v, NULL);   /* shared: the exit wake is not private */
    a->leader_gone = 1;
    while (!a->go2)
        sys_sched_yield();
    exec_self("C");
    sys_exit_group(99);
    return 0;
}

/* Waits for the child process and reports the one exit the parent sees. */
static void reap(const char *c, long pid)
{
    int st = 0;
    long r = sys_wait4(pid, &st, 0, NULL);
    long more = sys_wait4(-1, NULL, WNOHANG, NULL);
    say("%s: parent: wait4 reaped the process: %s, WIFEXITED=%d WEXITSTATUS=%d; then %s\n", c, yesno(r == pid),
        WIFEXITED(st) ? 1 : 0, WEXITSTATUS(st), errname(more));
}

static void wait_ready(long n)
{
    while (a->ready < n)
        sys_sched_yield();
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    self = argv[0];
    if (argc > 2 && strcmp(argv[1], "after-exec") == 0)
        return after_exec(argc, argv);

    say("de_thread: start\n");
    signals_reset();
    a = shared_page();
    thread_report_to(a->tids, &a->ready);

    /* A: a non-leader thread execs. */
    long pid = must_fork();
    if (pid == 0) {
        long g = must_fork();
        if (g == 0)
            sys_exit(42);
        ksiginfo_t si;
        sys_waitid(P_PID, g, &si, WEXITED | WNOWAIT, NULL);   /* a zombie now */
        if (thread_create(&th[0], thread_block_futex, (void *)1) <= 0 || thread_create(&th[1], thread_block_spin, (void *)2) <= 0 ||
            thread_create(&th[2], t_exec_after_go, (void *)3) <= 0)
            sys_exit_group(1);
        thread_report_ready(0);
        struct timespec ts = { 100, 0 };
        for (;;)
            sys_nanosleep(&ts, NULL);
    }
    wait_ready(4);
    sleep_ms(10);
    a->go = 'A';
    reap("A", pid);

    /* B: the leader execs. */
    memset((void *)a, 0, sizeof *a);
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&th[0], thread_block_futex, (void *)1) <= 0 || thread_create(&th[1], thread_block_spin, (void *)2) <= 0 ||
            thread_create(&th[2], thread_block_sleep, (void *)3) <= 0)
            sys_exit_group(1);
        thread_report_ready(0);
        wait_ready(4);
        while (!a->go)
            sys_sched_yield();
        exec_self("B");
        sys_exit_group(99);
    }
    wait_ready(4);
    sleep_ms(10);
    a->go = 1;
    reap("B", pid);

    /* C: the leader has exited already; a non-leader thread execs. */
    memset((void *)a, 0, sizeof *a);
    a->leader_word = 1;
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&th[0], thread_block_futex, (void *)1) <= 0 || thread_create(&th[1], thread_block_spin, (void *)2) <= 0)
            sys_exit_group(1);
        wait_ready(2);
        thread_report_ready(0);
        while (!a->go)
            sys_sched_yield();
        if (thread_create(&th[2], t_exec_after_leader, (void *)3) <= 0)
            sys_exit_group(1);
        wait_ready(4);
        syscall1(SYS_set_tid_address, (long)&a->leader_word);
        sys_exit(0);
    }
    wait_ready(3);
    a->go = 1;
    while (!a->leader_gone)
        sys_sched_yield();
    int st = 0;
    say("C: parent: the leader has exited, a thread lives: wait4(WNOHANG) = %s\n",
        errname(sys_wait4(pid, &st, WNOHANG, NULL)));
    a->go2 = 1;
    reap("C", pid);

    /* D: a failed execve kills nobody. */
    memset((void *)a, 0, sizeof *a);
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&th[0], thread_block_futex, (void *)1) <= 0 || thread_create(&th[1], thread_block_spin, (void *)2) <= 0)
            sys_exit_group(1);
        thread_report_ready(0);
        wait_ready(3);
        char *args[] = { "nothing", NULL };
        char *env[] = { NULL };
        long r = sys_execve("/nonexistent/program", args, env);
        int alive = 0;
        for (int i = 0; i < 3; i++)
            if (sys_tgkill(sys_getpid(), a->tids[i], 0) == 0)
                alive++;
        say("D: execve(missing file) = %s; threads still there: %d of 3\n", errname(r), alive);
        sys_exit_group(13);
    }
    reap("D", pid);

    say("DONE\n");
    return 0;
}
