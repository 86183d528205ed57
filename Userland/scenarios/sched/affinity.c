/*
 * affinity - sched_setaffinity, sched_getaffinity and getcpu answer as Linux does
 * (kernel/sched/syscalls.c, kernel/sys.c), whatever the number of CPUs:
 *   - getaffinity returns the bytes it wrote (cpumask_size(): 8 with up to 64 CPUs), EINVAL for a
 *     length that is not a multiple of 8, EFAULT for a bad buffer, ESRCH for no such pid;
 *   - setaffinity to a mask with no usable CPU is EINVAL and leaves the old mask; a bad pointer is
 *     EFAULT; a short mask is zero-extended; pid 0 is the caller, and a child's tid works too;
 *   - after pinning to CPU 0, getcpu says 0 and getaffinity says exactly {0}; a forked child
 *     inherits the mask;
 *   - getcpu with NULL pointers is fine, a bad pointer is EFAULT.
 */
#include "thread.h"

int main(void)
{
    unsigned long m = 0, all = 0;
    long r = sys_sched_getaffinity(0, sizeof all, &all);
    say("getaffinity(0, 8): returns %ld, CPU 0 in the mask: %s\n", r, (all & 1) ? "yes" : "no");
    /* (A longer buffer gets cpumask_size() bytes, which depends on the kernel's NR_CPUS: 8 for
     * MiniKernel, 32 on this machine's Linux; so that is not printed.) */
    say("getaffinity(0, 12): %s\n", errname(sys_sched_getaffinity(0, 12, &m)));
    say("getaffinity(0, 8, bad pointer): %s\n", errname(sys_sched_getaffinity(0, 8, (unsigned long *)8)));
    say("getaffinity(no such pid): %s\n", errname(sys_sched_getaffinity(999999, 8, &m)));

    unsigned long none = 1UL << 63;
    say("setaffinity to a CPU that does not exist: %s\n", errname(sys_sched_setaffinity(0, 8, &none)));
    sys_sched_getaffinity(0, 8, &m);
    say("mask unchanged after the failure: %s\n", m == all ? "yes" : "no");
    unsigned long zero = 0;
    say("setaffinity to the empty mask: %s\n", errname(sys_sched_setaffinity(0, 8, &zero)));
    say("setaffinity(bad pointer): %s\n", errname(sys_sched_setaffinity(0, 8, (unsigned long *)8)));
    say("setaffinity(no such pid): %s\n", errname(sys_sched_setaffinity(999999, 8, &all)));

    unsigned char one = 1;                      /* a 1-byte mask: CPU 0, the rest zero-extended */
    say("setaffinity(0, 1 byte, {0}): %s\n", errname(sys_sched_setaffinity(0, 1, (unsigned long *)&one)));
    sys_sched_getaffinity(0, 8, &m);
    unsigned cpu = 99, node = 99;
    long g = sys_getcpu(&cpu, &node);
    say("pinned: mask is {0}: %s, getcpu returns %ld, cpu %u, node %u\n", m == 1 ? "yes" : "no", g, cpu, node);
    say("getcpu(NULL, NULL): %s\n", errname(sys_getcpu(0, 0)));
    say("getcpu(bad pointer): %s\n", errname(sys_getcpu((unsigned *)8, 0)));

    long pid = must_fork();
    if (pid == 0) {
        unsigned long cm = 0;
        sys_sched_getaffinity(0, 8, &cm);
        sys_exit(cm == 1 ? 0 : 1);
    }
    int st = 0;
    sys_wait4(pid, &st, 0, 0);
    say("a forked child inherits the mask: %s\n", st == 0 ? "yes" : "no");

    /* Another task by pid: a sleeping child is pinned from outside, and sees it. */
    volatile int *flag = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sys_sched_setaffinity(0, 8, &all);
    pid = must_fork();
    if (pid == 0) {
        while (!*flag) sys_sched_yield();
        unsigned long cm = 0;
        sys_sched_getaffinity(0, 8, &cm);
        sys_exit(cm == 1 && current_cpu() == 0 ? 0 : 1);
    }
    unsigned long only0 = 1;
    say("setaffinity(child pid, {0}): %s\n", errname(sys_sched_setaffinity(pid, 8, &only0)));
    *flag = 1;
    sys_wait4(pid, &st, 0, 0);
    say("the child then runs on CPU 0 with mask {0}: %s\n", st == 0 ? "yes" : "no");
    say("DONE\n");
    return 0;
}
