/*
 * clear_child_tid - pins down CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, set_tid_address
 * and the futex calls a thread join is made of.
 *
 * Linux's mm_release(): when a task with clear_child_tid exits and its mm has other users
 * (mm_users > 1, i.e. another thread or a vfork parent shares it), the kernel writes 0 to
 * *clear_child_tid and does FUTEX_WAKE(1) there - a shared-futex wake, so joins wait with
 * FUTEX_WAIT without FUTEX_PRIVATE_FLAG, as glibc does.
 *   - 4 threads started with CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID are joined by
 *     waiting on their tid words; afterwards each word is 0
 *   - without CLONE_CHILD_CLEARTID the word keeps the tid after the thread is gone
 *     (tgkill(pid, tid, 0) gives ESRCH)
 *   - set_tid_address(&w) in a thread returns its tid and moves the clearing to w: w
 *     becomes 0, the tid word from clone keeps the tid
 *   - CLONE_CHILD_SETTID without CLONE_PARENT_SETTID: the child stores its tid in
 *     child_tid (what clone returned); parent_tid is not touched
 *   - a thread joins the leader: the leader does set_tid_address(&w) and exit(2)s; w
 *     becomes 0 and the waiting thread wakes, then ends the process with exit_group(0)
 *   - a forked process (own mm, mm_users == 1) with CLONE_CHILD_CLEARTID pointing into a
 *     MAP_SHARED page: the word is NOT cleared at exit; with CLONE_CHILD_SETTID its pid
 *     is stored there (visible to the parent through the shared page)
 *   - futex: FUTEX_WAIT on a word that differs from val gives EAGAIN; with a 10 ms
 *     timeout ETIMEDOUT; FUTEX_WAKE with no waiter gives 0; a misaligned address EINVAL;
 *     NULL EFAULT; an unknown op ENOSYS; a timeout with tv_nsec >= 1e9 EINVAL; three
 *     waiters are woken by FUTEX_WAKE(1) calls that return 1 each (3 in total)
 */
#include "signals.h"
#include "thread.h"

static struct thread th[4], plain, moved;
static volatile int moved_word = 555;
static volatile int ptid_untouched = -7, ctid_set;
static volatile int leader_word;
static volatile int word;
static volatile long woken_count, waiting, gate;

static int ret_code(void *arg) { return (int)(long)arg; }

static int gated(void *arg)
{
    (void)arg;
    while (!gate)
        sys_sched_yield();
    return 0;
}

static int moves_clear(void *arg)
{
    (void)arg;
    long r = syscall1(SYS_set_tid_address, (long)&moved_word);
    return r == sys_gettid() ? 0 : 1;
}

static int waiter(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
    while (futex_wait(&word, 0, NULL) != 0)
        ;
    __atomic_add_fetch(&woken_count, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static int joins_leader(void *arg)
{
    (void)arg;
    int v;
    while ((v = leader_word) != 0)
        futex(&leader_word, FUTEX_WAIT, v, NULL);
    say("thread: the leader's set_tid_address word was cleared at its exit: %s\n", yesno(leader_word == 0));
    sys_exit_group(0);
}

static long wait_gone(long tid)
{
    long pid = sys_getpid();
    for (int i = 0; i < 100000; i++) {
        if (sys_tgkill(pid, tid, 0) == -ESRCH)
            return 1;
        sys_sched_yield();
    }
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("clear_child_tid: start\n");

    /* Joins. */
    long tids[4];
    for (long i = 0; i < 4; i++)
        tids[i] = thread_create(&th[i], ret_code, (void *)i);
    int all_set = 1, all_cleared = 1;
    for (int i = 0; i < 4; i++)
        if (tids[i] <= 0)
            all_set = 0;
    for (int i = 0; i < 4; i++) {
        thread_join(&th[i]);
        if (th[i].tid != 0)
            all_cleared = 0;
    }
    say("4 threads created: %s, joined through their cleared tid words: %s\n", yesno(all_set), yesno(all_cleared));

    /* Without CLONE_CHILD_CLEARTID. */
    long tid = thread_create_flags(&plain, THREAD_FLAGS & ~CLONE_CHILD_CLEARTID, ret_code, 0);
    long gone = wait_gone(tid);
    say("without CLONE_CHILD_CLEARTID: thread gone: %s, tid word still holds the tid: %s\n", yesno(gone),
        yesno(plain.tid == tid));
    sys_munmap(plain.stack, THREAD_STACK_SIZE);

    /* set_tid_address moves the clearing. */
    tid = thread_create(&moved, moves_clear, NULL);
    int v;
    while ((v = moved_word) != 0)
        futex(&moved_word, FUTEX_WAIT, v, NULL);
    gone = wait_gone(tid);
    say("set_tid_address(&w) in a thread: w cleared: %s, clone's tid word keeps the tid: %s\n",
        yesno(moved_word == 0 && gone), yesno(moved.tid == tid));

    /* CLONE_CHILD_SETTID without CLONE_PARENT_SETTID. */
    void *stack = sys_mmap(NULL, THREAD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long flags = (THREAD_FLAGS & ~(CLONE_PARENT_SETTID | CLONE_SETTLS)) | CLONE_CHILD_SETTID;
    tid = thread_clone(flags, (char *)stack + THREAD_STACK_SIZE, &ptid_untouched, &ctid_set, 0, gated, 0);
    for (int i = 0; i < 100000 && ctid_set != tid; i++)   /* stored by the child when it starts */
        sys_sched_yield();
    int stored = ctid_set == tid;
    gate = 1;
    while ((v = ctid_set) != 0)
        futex(&ctid_set, FUTEX_WAIT, v, NULL);
    gone = wait_gone(tid);
    say("CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID: child stored its tid: %s, cleared and joined: %s, "
        "parent_tid untouched: %s\n", yesno(stored), yesno(gone), yesno(ptid_untouched == -7));
    sys_munmap(stack, THREAD_STACK_SIZE);

    /* Forked processes and the two flags. */
    volatile int *sh = shared_page();
    sh[0] = 1234;
    long pid = syscall5(SYS_clone, SIGCHLD | CLONE_CHILD_CLEARTID, 0, 0, (long)&sh[0], 0);
    if (pid == 0)
        sys_exit(0);
    wait_for(pid);
    say("fork with CLONE_CHILD_CLEARTID into a shared page: word not cleared (mm_users was 1): %s\n",
        yesno(sh[0] == 1234));
    sh[1] = 0;
    pid = syscall5(SYS_clone, SIGCHLD | CLONE_CHILD_SETTID, 0, 0, (long)&sh[1], 0);
    if (pid == 0)
        sys_exit(0);
    wait_for(pid);
    say("fork with CLONE_CHILD_SETTID into a shared page: the child's pid is stored there: %s\n",
        yesno(sh[1] == pid));

    /* A thread joins the leader. */
    pid = must_fork();
    if (pid == 0) {
        leader_word = 1;
        if (thread_create(&th[0], joins_leader, NULL) <= 0)
            sys_exit(1);
        long r = syscall1(SYS_set_tid_address, (long)&leader_word);
        leader_word = (int)r;
        sys_exit(3);
    }
    int status = wait_for(pid);
    say("thread joined the leader, then exit_group(0): WEXITSTATUS=%d\n", WEXITSTATUS(status));

    /* futex basics */
    struct timespec ten_ms = { 0, 10 * 1000 * 1000 }, bad_ts = { 0, 1000000000 };
    word = 1;
    say("FUTEX_WAIT, value differs: %s\n", errname(futex_wait(&word, 0, NULL)));
    say("FUTEX_WAIT, 10 ms timeout: %s\n", errname(futex_wait(&word, 1, &ten_ms)));
    say("FUTEX_WAIT, shared, 10 ms timeout: %s\n", errname(futex(&word, FUTEX_WAIT, 1, &ten_ms)));
    say("FUTEX_WAKE, no waiters: %s\n", errname(futex_wake(&word, 1)));
    say("FUTEX_WAIT, tv_nsec = 1e9: %s\n", errname(futex_wait(&word, 1, &bad_ts)));
    say("FUTEX_WAIT, misaligned address: %s\n", errname(futex_wait((volatile int *)((char *)&word + 1), 1, &ten_ms)));
    say("FUTEX_WAKE, misaligned address: %s\n", errname(futex_wake((volatile int *)((char *)&word + 2), 1)));
    say("FUTEX_WAIT, NULL: %s\n", errname(futex_wait(NULL, 0, &ten_ms)));
    say("futex op 99: %s\n", errname(futex(&word, 99, 0, NULL)));

    word = 0;
    for (int i = 0; i < 3; i++)
        thread_create(&th[i], waiter, NULL);
    long total = 0, calls_gave_one = 0;
    while (total < 3) {
        long r = futex_wake(&word, 1);
        if (r == 1)
            calls_gave_one++;
        if (r < 0 || r > 1)
            break;
        total += r;
        if (r == 0)
            sys_sched_yield();
    }
    for (int i = 0; i < 3; i++)
        thread_join(&th[i]);
    say("three waiters woken by FUTEX_WAKE(1): total %ld, calls that woke one: %ld, threads saw a wake-up: %ld\n",
        total, calls_gave_one, woken_count);
    say("DONE\n");
    return 0;
}
