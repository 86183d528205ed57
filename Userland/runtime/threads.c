/*
 * threads.c - helpers for the thread and signal scenarios (include/thread.h,
 * include/signals.h): thread_create/thread_join on raw clone and futex, signal names,
 * sleeping, flags shared between processes.
 */
#include "signals.h"
#include "thread.h"

long thread_create_flags(struct thread *t, unsigned long flags, int (*fn)(void *), void *arg)
{
    void *stack = sys_mmap(NULL, THREAD_STACK_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(stack))
        fail("thread_create: mmap stack");
    t->stack = stack;
    t->tls[0] = (unsigned long)&t->tls[0];
    t->tid = -1;
    long r = thread_clone(flags, (char *)stack + THREAD_STACK_SIZE, &t->tid, &t->tid,
                          (unsigned long)&t->tls[0], fn, arg);
    if (r < 0) {
        sys_munmap(stack, THREAD_STACK_SIZE);
        t->stack = NULL;
        t->tid = 0;
    }
    return r;
}

long thread_create(struct thread *t, int (*fn)(void *), void *arg)
{
    return thread_create_flags(t, THREAD_FLAGS, fn, arg);
}

void thread_join(struct thread *t)
{
    int v;
    /* A shared (not FUTEX_PRIVATE_FLAG) wait, as glibc's pthread_join does:
     * the kernel's wake for CLONE_CHILD_CLEARTID is a shared wake, and Linux
     * keys a shared futex differently from a private one (FUT_OFF_MMSHARED). */
    while ((v = t->tid) != 0)
        futex(&t->tid, FUTEX_WAIT, v, NULL);
    if (t->stack) {
        sys_munmap(t->stack, THREAD_STACK_SIZE);
        t->stack = NULL;
    }
}

const char *signame(int sig)
{
    static const char *names[] = {
        [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",     [SIGQUIT] = "SIGQUIT",     [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",   [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1",   [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",   [SIGTERM] = "SIGTERM",     [16] = "SIGSTKFLT",
        [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",   [SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP",
        [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",   [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
        [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",   [SIGWINCH] = "SIGWINCH",
        [SIGIO] = "SIGIO",     [SIGPWR] = "SIGPWR",     [SIGSYS] = "SIGSYS",
    };
    static char other[16];
    if (sig > 0 && sig < (int)(sizeof names / sizeof names[0]) && names[sig])
        return names[sig];
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        format(other, sizeof other, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        format(other, sizeof other, "signal %d", sig);
    return other;
}

void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L }, rem;
    while (sys_nanosleep(&ts, &rem) == -EINTR)
        ts = rem;
}

long now_ms(void)
{
    struct timespec ts;
    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wait_flag(volatile long *flag, long ms)
{
    long end = now_ms() + ms;
    while (!*flag) {
        if (now_ms() > end)
            return 0;
        sys_sched_yield();
    }
    return 1;
}

void *shared_page(void)
{
    void *p = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(p))
        fail("mmap shared page");
    return p;
}

const char *si_codename(int code)
{
    static char other[24];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_TRAPPED: return "CLD_TRAPPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    }
    format(other, sizeof other, "si_code %d", code);
    return other;
}

static volatile long *report_tids, *report_ready;
static volatile int never_woken;

void thread_report_to(volatile long *tids, volatile long *ready)
{
    report_tids = tids;
    report_ready = ready;
}

void thread_report_ready(int i)
{
    report_tids[i] = sys_gettid();
    __atomic_add_fetch(report_ready, 1, __ATOMIC_SEQ_CST);
}

int thread_block_futex(void *i)
{
    thread_report_ready((int)(long)i);
    for (;;)
        futex_wait(&never_woken, 0, NULL);
    return 0;
}

int thread_block_sleep(void *i)
{
    thread_report_ready((int)(long)i);
    struct timespec ts = { 100, 0 };
    for (;;)
        sys_nanosleep(&ts, NULL);
    return 0;
}

int thread_block_spin(void *i)
{
    thread_report_ready((int)(long)i);
    for (;;)
        __asm__ volatile("pause" ::: "memory");
    return 0;
}

void step_set(volatile int *step, int v)
{
    *step = v;
    futex(step, FUTEX_WAKE, 1 << 30, NULL);
}

void step_wait(volatile int *step, int want)
{
    int s;
    while ((s = *step) < want)
        futex(step, FUTEX_WAIT, s, NULL);
}

void wait_signals(volatile int *count, int n, int sig)
{
    ksigset_t old = sig_getmask(), open = old & ~sigbit(sig);
    sig_block(sigbit(sig));
    while (*count < n)
        syscall2(130 /* rt_sigsuspend */, (long)&open, sizeof open);
    sig_setmask(old);
}
