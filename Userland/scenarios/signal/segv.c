/*
 * segv - pins down that a bad memory access in user mode kills the process with SIGSEGV.
 *
 * Each child makes one bad access; the parent sees WIFSIGNALED with WTERMSIG == SIGSEGV (11)
 * and the raw status 0x000b (the children turn off core dumps with prctl(PR_SET_DUMPABLE, 0)
 * first, so the 0x80 core bit is clear natively too; the call's result is ignored).
 * Cases: read and write through NULL, write to a PROT_READ page, write to the program's
 * own code, write to a string literal (.rodata), call to an unmapped address, call into a
 * PROT_READ|PROT_WRITE page (no-execute), read of a PROT_NONE page, read of an munmap()ed
 * page, read of a kernel address (page fault on a supervisor page) and of a non-canonical
 * address (a general-protection fault, also SIGSEGV on Linux).  The parent survives all of
 * them and is still able to fork afterwards.
 */
#include "lib.h"

typedef void (*fn_t)(void);

static char *ro_page, *rw_page, *none_page, *gone_page;

/* Launder an address through an empty asm so GCC cannot see it is NULL or bogus
 * (otherwise it may replace the access by a trap instruction, which is SIGILL). */
static inline volatile char *opaque(unsigned long a)
{
    __asm__("" : "+r"(a));
    return (volatile char *)a;
}

__attribute__((noinline)) static void do_case(int which)
{
    volatile char *p;
    switch (which) {
    case 0: p = opaque(0); (void)*p; break;
    case 1: p = opaque(0); *p = 1; break;
    case 2: p = opaque((unsigned long)ro_page); *p = 1; break;
    case 3: p = opaque((unsigned long)&do_case); *p = 0; break;
    case 4: p = opaque((unsigned long)"a string literal"); *p = 'A'; break;
    case 5: ((fn_t)opaque(0x1000))(); break;
    case 6: rw_page[0] = (char)0xc3; /* ret */ ((fn_t)opaque((unsigned long)rw_page))(); break;
    case 7: p = opaque((unsigned long)none_page); (void)*p; break;
    case 8: p = opaque((unsigned long)gone_page); (void)*p; break;
    case 9: p = opaque(0xffff888000000000UL); (void)*p; break;
    case 10: p = opaque(0x8000000000000000UL); (void)*p; break;
    }
}

static const char *names[] = {
    "read NULL",
    "write NULL",
    "write a PROT_READ page",
    "write own code",
    "write a string literal",
    "call unmapped 0x1000",
    "call a non-executable page",
    "read a PROT_NONE page",
    "read an munmapped page",
    "read a kernel address",
    "read a non-canonical address",
};
#define NCASES (int)(sizeof names / sizeof names[0])

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("segv: start\n");
    ro_page = sys_mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rw_page = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    none_page = sys_mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    gone_page = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(ro_page) || mmap_failed(rw_page) || mmap_failed(none_page) || mmap_failed(gone_page))
        fail("mmap");
    gone_page[0] = 1;
    if (sys_munmap(gone_page, PAGE_SIZE) != 0)
        fail("munmap");

    for (int i = 0; i < NCASES; i++) {
        long pid = must_fork();
        if (pid == 0) {
            sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  /* no core dump; result ignored */
            do_case(i);
            say("%s: survived?!\n", names[i]);
            sys_exit(99);
        }
        int status = wait_for(pid);
        say("%s: WIFSIGNALED=%d WTERMSIG=%d WIFEXITED=%d status=0x%04x\n", names[i],
            WIFSIGNALED(status) ? 1 : 0, WTERMSIG(status), WIFEXITED(status) ? 1 : 0, status);
    }

    /* A child whose own child segfaults: the death is reported to the right parent only. */
    long pid = must_fork();
    if (pid == 0) {
        long g = must_fork();
        if (g == 0) {
            sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            do_case(1);
            sys_exit(99);
        }
        int st = wait_for(g);
        sys_exit(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 17 : 1);
    }
    int status = wait_for(pid);
    say("middle child saw its child die of SIGSEGV and exited normally: %s (WEXITSTATUS=%d)\n",
        yesno(WIFEXITED(status) && WEXITSTATUS(status) == 17), WEXITSTATUS(status));
    say("parent still fine: %s\n", yesno(ro_page[0] == 0));
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
