/*
 * tlb_shootdown - a thread touching memory another CPU has just unmapped (or made
 * inaccessible) dies of SIGSEGV; it never reads the old page through a stale TLB entry.
 *
 * Linux flushes every CPU that may cache a translation before munmap/mprotect return
 * (flush_tlb_mm_range, an IPI to each CPU in mm_cpumask); so does MiniKernel
 * (arch/x86_64/mm/tlb.swift). The reader is pinned on CPU 1 and keeps the page hot in its
 * TLB; the writer on CPU 0 unmaps it, then tells the reader to read once more. With one
 * CPU both run on CPU 0 and the answer must be the same.
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

int main(void)
{
    sh = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int n = 0;
    for (int i = 0; i < 20; i++) n += one_case(0);
    say("munmap, then the other CPU reads the page: killed by SIGSEGV %d of 20 times\n", n);
    n = 0;
    for (int i = 0; i < 20; i++) n += one_case(1);
    say("mprotect(PROT_NONE), then the other CPU reads the page: killed by SIGSEGV %d of 20 times\n", n);
    say("DONE\n");
    return 0;
}
