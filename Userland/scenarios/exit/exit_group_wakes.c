/*
 * exit_group_wakes - pins down that exit_group(2) ends threads wherever they are blocked.
 *
 * do_group_exit -> zap_other_threads sends SIGKILL to every other thread and wakes it
 * (signal_wake_up(t, 1): TASK_WAKEKILL), so interruptible and killable sleeps end at once.
 * A process (the scenario is its subreaper) has:
 *   leader    in nanosleep(100 s)
 *   thread A  in FUTEX_WAIT without timeout on a word nobody changes
 *   thread B  in FUTEX_WAIT with a 100 s timeout
 *   thread C  in wait4(-1) for a live child G that C forked
 *   thread D  spinning in user mode
 *   thread E  waits until the others are about to block, 50 ms more, then exit_group(5)
 * Checked: the parent's wait4 returns WEXITSTATUS 5 well before any 100 s timeout (under
 * 10 s); G, whose parent (thread C) died, is reparented to the subreaper, sees its new
 * parent, and is reaped there with its own code; nothing is left afterwards.
 */
#include "signals.h"
#include "thread.h"

struct area {
    volatile long blocked;      /* bit per sleeper about to block */
    volatile long g_pid, g_saw_reaper;
    volatile long p_pid;
};

static struct area *a;
static struct thread ta, tb, tc, td, te;
static volatile int word;

static void about_to_block(int bit) { __atomic_or_fetch(&a->blocked, 1L << bit, __ATOMIC_SEQ_CST); }

static int in_futex(void *arg)
{
    (void)arg;
    about_to_block(1);
    for (;;)
        futex_wait(&word, 0, NULL);
    return 0;
}

static int in_futex_timeout(void *arg)
{
    (void)arg;
    struct timespec ts = { 100, 0 };
    about_to_block(2);
    for (;;)
        futex_wait(&word, 0, &ts);
    return 0;
}

static int in_wait4(void *arg)
{
    long reaper = (long)arg;
    long g = must_fork();
    if (g == 0) {
        /* G: wait until the process that forked us is gone and we belong to the reaper. */
        while (sys_getppid() != reaper)
            sys_sched_yield();
        a->g_saw_reaper = 1;
        sys_exit(77);
    }
    a->g_pid = g;
    about_to_block(3);
    for (;;)
        sys_wait4(-1, NULL, 0, NULL);
    return 0;
}

static int spinning(void *arg)
{
    (void)arg;
    about_to_block(4);
    for (;;)
        __asm__ volatile("pause" ::: "memory");
    return 0;
}

static int exiter(void *arg)
{
    (void)arg;
    while (a->blocked != 0x1f)
        sys_sched_yield();
    sleep_ms(50);
    sys_exit_group(5);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("exit_group_wakes: start\n");
    say("prctl(PR_SET_CHILD_SUBREAPER, 1): %s\n", errname(sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)));
    a = shared_page();
    long reaper = sys_getpid();

    long t0 = now_ms();
    long pid = must_fork();
    if (pid == 0) {
        if (thread_create(&ta, in_futex, NULL) <= 0 || thread_create(&tb, in_futex_timeout, NULL) <= 0 ||
            thread_create(&tc, in_wait4, (void *)reaper) <= 0 || thread_create(&td, spinning, NULL) <= 0 ||
            thread_create(&te, exiter, NULL) <= 0)
            sys_exit_group(1);
        struct timespec ts = { 100, 0 };
        about_to_block(0);
        sys_nanosleep(&ts, NULL);
        sys_exit_group(2);
    }
    int status = 0;
    long r = sys_wait4(pid, &status, 0, NULL);
    long elapsed = now_ms() - t0;
    say("process: wait4 found it: %s, WIFEXITED=%d WEXITSTATUS=%d\n", yesno(r == pid), WIFEXITED(status) ? 1 : 0,
        WEXITSTATUS(status));
    say("all six threads were about to block or spinning: %s\n", yesno(a->blocked == 0x1f));
    say("ended without waiting for a 100 s timeout (under 10 s): %s\n", yesno(elapsed < 10000));

    long g = a->g_pid;
    r = sys_wait4(g, &status, 0, NULL);
    say("grandchild: reaped by the subreaper: %s, saw the subreaper as its parent: %s, WEXITSTATUS=%d\n",
        yesno(r == g), yesno(a->g_saw_reaper), WEXITSTATUS(status));
    say("wait4 afterwards: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
