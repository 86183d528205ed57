/*
 * tlb_shootdown - a thread touching memory another CPU has just unmapped (or made
 * inaccessible) dies of SIGSEGV; it never reads the old page through a stale TLB entry.
 *
 * Linux flushes every CPU that may cache a translation before munmap/mprotect return
 * (flush_tlb_mm_range, an IPI to each CPU in mm_cpumask); so does MiniKernel
 * (arch/x86_64/mm/tlb.swift). The reader is pinned on CPU 1 and keeps the page hot in its
 * TLB; the writer on CPU 0 unmaps it, then tells the reader to read once more. With one
 * CPU both run on CPU 0 and the answer must be the same.
 *
 * Copy-on-write too: fork write-protects the parent's pages, and a thread on CPU 1 that keeps
 * writing a page must fault and get its own copy at once, not go on writing the frame the
 * child now shares through a stale writable entry. The child's copy stays as it was at fork.
 */
#include "signals.h"
#include "thread.h"

struct shared { volatile int reading; volatile int go; volatile long sink; };
static struct shared *sh;
static volatile long *page;
static struct thread reader_thread;

static int reader(void *arg)
{
    int cpu = (int)(long)arg;
    pin_to_cpu(cpu);
    long v = 0;
    while (!sh->go) { v += page[0]; sh->reading = 1; }
    sh->sink = page[0] + v;                 /* must fault: the page is gone */
    sh->sink = -1;
    sys_exit_group(0);                      /* reached only through a stale translation */
    return 0;
}

/* 1 when the reader died of SIGSEGV. */
static int one_case(int use_mprotect)
{
    long pid = must_fork();
    if (pid == 0) {
        int n = nr_cpus_allowed();
        pin_to_cpu(0);
        page = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        page[0] = 42;
        thread_create(&reader_thread, reader, (void *)(long)(n >= 2 ? 1 : 0));
        while (!sh->reading) sys_sched_yield();
        long r = use_mprotect ? sys_mprotect((void *)page, 4096, PROT_NONE) : sys_munmap((void *)page, 4096);
        if (r != 0) sys_exit_group(3);
        sh->go = 1;
        for (;;) sys_sched_yield();
    }
    int st = 0;
    sys_wait4(pid, &st, 0, 0);
    memset((void *)sh, 0, sizeof *sh);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

static volatile long *counter_page;
static int writer(void *arg)
{
    pin_to_cpu((int)(long)arg);
    for (;;) { counter_page[0]++; sh->reading = 1; }
    return 0;
}

/* 1 when the child's copy did not change after fork while CPU 1 kept writing. */
static int cow_case(void)
{
    long pid = must_fork();
    if (pid == 0) {
        int n = nr_cpus_allowed();
        pin_to_cpu(0);
        counter_page = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        thread_create(&reader_thread, writer, (void *)(long)(n >= 2 ? 1 : 0));
        while (!sh->reading) sys_sched_yield();
        long c = sys_fork();
        if (c == 0) {
            long v1 = counter_page[0];
            struct timespec ts = { 0, 20000000 };
            sys_nanosleep(&ts, 0);
            sys_exit(counter_page[0] == v1 ? 0 : 1);
        }
        int cst = 0;
        sys_wait4(c, &cst, 0, 0);
        sys_exit_group(WIFEXITED(cst) && WEXITSTATUS(cst) == 0 ? 0 : 1);
    }
    int st = 0;
    sys_wait4(pid, &st, 0, 0);
    memset((void *)sh, 0, sizeof *sh);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
    sh = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int n = 0;
    for (int i = 0; i < 20; i++) n += one_case(0);
    say("munmap, then the other CPU reads the page: killed by SIGSEGV %d of 20 times\n", n);
    n = 0;
    for (int i = 0; i < 20; i++) n += one_case(1);
    say("mprotect(PROT_NONE), then the other CPU reads the page: killed by SIGSEGV %d of 20 times\n", n);
    n = 0;
    for (int i = 0; i < 20; i++) n += cow_case();
    say("fork while another CPU writes a page: the child's copy stays as it was %d of 20 times\n", n);
    say("DONE\n");
    return 0;
}
