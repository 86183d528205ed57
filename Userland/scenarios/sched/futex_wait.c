/*
 * futex_wait - a futex wait with a timeout ends at whichever comes first: the wake, a
 * signal, or the timeout (kernel/futex/waitwake.c: futex_wait, futex_wait_queue;
 * kernel/time/hrtimer.c: the sleeper's hrtimer is one sleep, not a nanosleep).
 *
 *   - FUTEX_WAIT on a word that already changed: EAGAIN; a timeout that passes: ETIMEDOUT;
 *     a bad timeout: EINVAL
 *   - a thread waiting with a 20 s relative timeout (FUTEX_WAIT), or an absolute one
 *     20 s ahead (FUTEX_WAIT_BITSET), is woken by FUTEX_WAKE at once: its wait returns
 *     0 long before the timeout
 *   - a signal with a handler ends such a wait long before the timeout too
 */
#include "signals.h"
#include "thread.h"

#define FUTEX_WAIT_BITSET 9
#define FUTEX_BITSET_MATCH_ANY 0xffffffff
#define CLOCK_MONOTONIC_ID 1

static volatile int word;
static volatile long result, elapsed_ms;

static int waiter(void *arg)
{
    long absolute = (long)arg;
    long start = now_ms();
    if (absolute) {
        struct timespec ts;
        sys_clock_gettime(CLOCK_MONOTONIC_ID, &ts);
        ts.tv_sec += 20;
        result = syscall6(SYS_futex, (long)&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, (long)&ts, 0,
                          FUTEX_BITSET_MATCH_ANY);
    } else {
        struct timespec ts = { 20, 0 };
        result = futex_wait(&word, 0, &ts);
    }
    elapsed_ms = now_ms() - start;
    return 0;
}

/* FUTEX_WAKE until it finds the waiter asleep on the word (it wakes it then). */
static void wake_the_waiter(void)
{
    while (futex_wake(&word, 1) != 1)
        sleep_ms(1);
}

static void woken(long absolute, const char *what)
{
    struct thread t;
    word = 0;
    if (thread_create(&t, waiter, (void *)absolute) < 0)
        fail("thread_create");
    wake_the_waiter();
    thread_join(&t);
    say("%s: %s, long before its timeout: %s\n", what, errname(result), yesno(elapsed_ms < 10000));
}

static void on_usr1(int sig) { (void)sig; }

static int signalled(void *arg)
{
    (void)arg;
    long start = now_ms();
    struct timespec ts = { 20, 0 };
    result = futex_wait(&word, 0, &ts);
    elapsed_ms = now_ms() - start;
    return 0;
}

int main(void)
{
    say("futex_wait: start\n");
    signals_reset();
    struct timespec short_ts = { 0, 30 * 1000000L }, bad = { 0, -1 };
    word = 1;
    say("the word changed: %s\n", errname(futex_wait(&word, 0, &short_ts)));
    word = 0;
    say("30 ms with nobody waking: %s; a bad timeout: %s\n", errname(futex_wait(&word, 0, &short_ts)),
        errname(futex_wait(&word, 0, &bad)));
    woken(0, "FUTEX_WAIT with 20 s, woken");
    woken(1, "FUTEX_WAIT_BITSET until 20 s ahead, woken");

    sig_handle(SIGUSR1, on_usr1, 0);
    struct thread t;
    word = 0;
    result = 1;
    if (thread_create(&t, signalled, NULL) < 0)
        fail("thread_create");
    /* The thread is asleep on the word once a wake finds it; put the word back to sleep
     * on by waking nobody: instead, signal until the wait has ended. */
    while (result == 1) {
        sys_tgkill(sys_getpid(), t.tid, SIGUSR1);
        sleep_ms(5);
    }
    thread_join(&t);
    say("a handled signal: %s, long before its timeout: %s\n", errname(result), yesno(elapsed_ms < 10000));
    say("DONE\n");
    return 0;
}
