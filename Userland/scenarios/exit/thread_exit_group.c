/*
 * thread_exit_group - pins down exit_group(2) called by a thread that is not the leader,
 * and what a thread sees of itself.
 *
 * Threads come from raw clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|
 * CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID) (include/thread.h).
 *
 *   - in a thread: getpid() is the leader's pid (the tgid), gettid() is the tid clone
 *     returned and differs from getpid(); getppid() is the process's parent (same value
 *     as the leader's getppid()); CLONE_PARENT_SETTID stored the tid before clone returned
 *   - a non-leader thread calls exit_group(42) while the leader sleeps in FUTEX_WAIT on a
 *     word nobody changes: the whole process dies and its parent's wait4 returns the
 *     process's pid (the tgid, not the thread's tid) with WIFEXITED and WEXITSTATUS 42
 *   - the same while the leader and two other threads spin in user mode without system
 *     calls: they are stopped and killed too (the kernel must interrupt running threads)
 *   - the leader first exits alone with exit(5); a thread then calls exit_group(44): the
 *     status is 44 (the group exit code wins over the leader's own code)
 *   - exit_group(0x1ff) from a thread: only the low byte, WEXITSTATUS 255
 */
#include "signals.h"
#include "thread.h"

struct facts {
    volatile long leader_pid, leader_ppid, clone_ret;
    volatile long t_pid, t_tid, t_ppid, t_settid;
    volatile long spinning;
};

static struct facts *f;
static struct thread t1, t2, t3;
static volatile int never_changes;

static int identity_thread(void *arg)
{
    (void)arg;
    f->t_pid = sys_getpid();
    f->t_tid = sys_gettid();
    f->t_ppid = sys_getppid();
    f->t_settid = t1.tid;
    /* Wait until the leader has stored clone's return value and gone to sleep. */
    while (f->clone_ret == 0)
        sys_sched_yield();
    say("thread: getpid() is the leader's pid: %s\n", yesno(f->t_pid == f->leader_pid));
    say("thread: gettid() differs from getpid(): %s\n", yesno(f->t_tid != f->t_pid));
    say("thread: gettid() is what clone returned: %s\n", yesno(f->t_tid == f->clone_ret));
    say("thread: CLONE_PARENT_SETTID stored the tid: %s\n", yesno(f->t_settid == f->t_tid));
    say("thread: getppid() is the leader's getppid(): %s\n", yesno(f->t_ppid == f->leader_ppid));
    sleep_ms(20);   /* let the leader reach FUTEX_WAIT (the result does not depend on it) */
    sys_exit_group(42);
}

static int spinner(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&f->spinning, 1, __ATOMIC_SEQ_CST);
    for (;;)
        __asm__ volatile("pause" ::: "memory");
    return 0;
}

static int exiter(void *arg)
{
    long code = (long)arg;
    while (f->spinning < 3)
        __asm__ volatile("pause" ::: "memory");
    sys_exit_group(code);
}

static int after_leader(void *arg)
{
    long code = (long)arg;
    /* The leader has called exit(5); wait a little so it is a zombie (either way the
     * answer is the same). */
    sleep_ms(20);
    sys_exit_group(code);
}

static void report(const char *what, long pid, long want)
{
    int status = 0;
    long r = sys_wait4(pid, &status, 0, NULL);
    say("%s: wait4 returned the process's pid: %s, WIFEXITED=%d WEXITSTATUS=%d (want %ld)\n", what,
        yesno(r == pid), WIFEXITED(status) ? 1 : 0, WEXITSTATUS(status), want);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("thread_exit_group: start\n");
    f = shared_page();

    /* 1. Identity, then exit_group from the thread while the leader is in FUTEX_WAIT. */
    long pid = must_fork();
    if (pid == 0) {
        f->leader_pid = sys_getpid();
        f->leader_ppid = sys_getppid();
        long r = thread_create(&t1, identity_thread, NULL);
        f->clone_ret = r;
        if (r <= 0) {
            say("clone thread: %s\n", errname(r));
            sys_exit(1);
        }
        futex_wait(&never_changes, 0, NULL);
        say("leader: FUTEX_WAIT returned (must not happen)\n");
        sys_exit(1);
    }
    report("exit_group(42) from a thread, leader in FUTEX_WAIT", pid, 42);

    /* 2. Everyone else spins in user mode. */
    f->spinning = 0;
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&t1, spinner, NULL) <= 0 || thread_create(&t2, spinner, NULL) <= 0 ||
            thread_create(&t3, exiter, (void *)43) <= 0)
            sys_exit(1);
        spinner(NULL);
    }
    report("exit_group(43) from a thread, leader and two threads spinning", pid, 43);

    /* 3. The leader exits first with exit(5); the thread's exit_group(44) decides. */
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&t1, after_leader, (void *)44) <= 0)
            sys_exit(1);
        sys_exit(5);
    }
    report("leader exit(5), then exit_group(44) from a thread", pid, 44);

    /* 4. Only the low byte of the code counts. */
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&t1, after_leader, (void *)0x1ff) <= 0)
            sys_exit(1);
        futex_wait(&never_changes, 0, NULL);
        sys_exit(1);
    }
    report("exit_group(0x1ff) from a thread", pid, 255);

    say("wait4 afterwards: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
