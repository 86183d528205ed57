/* leak_threads: 1,000 processes with 4 threads each, ending in every way the
 * exit path knows, all reaped. Pins down nothing visible by itself (it
 * prints facts that hold on Linux too); booted with `leakcheck`, MiniKernel
 * then proves that tasks, pids, frames and every kernel object (signal and
 * sighand structs, sigqueues, mm's) went back to where they started.
 *
 * The ways, by round number modulo 7:
 *   0 the leader calls exit_group while its threads sleep in nanosleep
 *   1 a non-leader thread calls exit_group while the others block in futex
 *   2 every thread calls exit, the leader first (the delayed group leader)
 *   3 the parent sends SIGKILL while the threads spin
 *   4 a thread dies of SIGSEGV
 *   5 SIGTERM arrives while the leader blocks in wait4 on a child of its own;
 *     that child exits only once the whole group is gone (its parent pid changes
 *     when it is adopted), so it is always an orphan and the wait never ends
 *     first. (It used to sleep 300 ms: under a loaded host a MiniKernel guest
 *     can lose that much time before the parent's kill, and the leader's wait4
 *     then reaped it and the process exited 0: "round N mode 5: status 0x0",
 *     or an orphan short.)
 *   6 the threads are joined through clear_child_tid, then the leader exits */
#include "lib.h"
#include "thread.h"
#include "signals.h"

static int *volatile bad_pointer = (int *)8;

#define ROUNDS 1000
#define THREADS 4

static volatile int futex_word;
/* MAP_SHARED with the parent: the child says "set up" before being killed. */
static volatile int *child_ready;
static volatile int ready;
static int mode;

static int worker(void *arg)
{
    long idx = (long)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    switch (mode) {
    case 0: { struct timespec ts = { 100, 0 }; sys_nanosleep(&ts, 0); break; }
    case 1:
        if (idx == 0) {
            while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < THREADS) sys_sched_yield();
            sys_exit_group(11);
        }
        futex_wait(&futex_word, 0, 0);
        break;
    case 2: { struct timespec ts = { 0, 2000000 }; sys_nanosleep(&ts, 0); sys_exit(0); break; }
    case 3:
        if (idx == 0) for (;;) __asm__ volatile("" ::: "memory");    /* one spins in user mode */
        futex_wait(&futex_word, 0, 0);
        break;
    case 4:
        if (idx == 2) *bad_pointer = 1;
        futex_wait(&futex_word, 0, 0);
        break;
    case 5: { struct timespec ts = { 100, 0 }; sys_nanosleep(&ts, 0); break; }
    case 6: return 0;
    }
    return 0;
}

static int child_main(void)
{
    static struct thread t[THREADS];
    for (long i = 0; i < THREADS; i++)
        if (thread_create(&t[i], worker, (void *)i) < 0) return 99;
    switch (mode) {
    case 0:
        while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < THREADS) sys_sched_yield();
        sys_exit_group(10);
        break;
    case 3:
        while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < THREADS) sys_sched_yield();
        *child_ready = 1;
        for (;;) futex_wait(&futex_word, 0, 0);
    case 1: case 4: for (;;) futex_wait(&futex_word, 0, 0);
    case 2: sys_exit(0);                              /* leader first; the group reports the last code */
    case 5: {
        long me = sys_getpid();
        long c = sys_fork();
        if (c == 0) {
            struct timespec ts = { 0, 10000000 };
            while (sys_getppid() == me) sys_nanosleep(&ts, 0);
            sys_exit(0);
        }
        while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < THREADS) sys_sched_yield();
        *child_ready = 1;
        int st;
        sys_wait4(c, &st, 0, 0);                        /* never returns: SIGTERM ends the group */
        break;
    }
    case 6:
        for (int i = 0; i < THREADS; i++) thread_join(&t[i]);
        sys_exit_group(16);
    }
    return 0;
}

static int expected(int m, int status)
{
    switch (m) {
    case 0: return status == 0x0a00;
    case 1: return status == 0x0b00;
    case 2: return status == 0x0000;
    case 3: return status == 9;
    case 4: return status == 11;
    case 5: return status == 15;
    case 6: return status == 0x1000;
    }
    return 0;
}

int main(void)
{
    int bad = 0;
    /* Orphaned grandchildren (mode 5) come to us in both worlds, native
     * and as pid 1, and are reaped below. */
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    child_ready = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int r = 0; r < ROUNDS; r++) {
        mode = r % 7;
        ready = 0;
        *child_ready = 0;
        long pid = sys_fork();
        if (pid == 0) sys_exit_group(child_main());
        if (mode == 3 || mode == 5) {
            while (!*child_ready) sys_sched_yield();
            sys_kill(pid, mode == 3 ? 9 : 15);
        }
        int st = 0;
        long w = sys_wait4(pid, &st, 0, 0);
        int m = mode;
        if (w != pid || !expected(m, st)) { if (bad < 5) say("round %d mode %d: status 0x%x\n", r, m, st); bad++; }
    }
    say("1000 processes with 4 threads each, all reaped as expected: %s\n", bad ? "no" : "yes");
    int orphans = 0;
    while (sys_wait4(-1, 0, 0, 0) > 0) orphans++;
    say("orphaned grandchildren adopted and reaped: %s\n", orphans == (ROUNDS + 1) / 7 ? "yes" : "no");
    long w = sys_wait4(-1, 0, WNOHANG, 0);
    say("no child left: %s\n", w == -ECHILD ? "yes" : "no");
    say("DONE\n");
    return 0;
}
