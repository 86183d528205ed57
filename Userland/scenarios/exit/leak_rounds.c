/*
 * leak_rounds - 1,000 fork/exit/wait rounds, for the "no leaks" check.
 *
 * Linux frees everything a process owns when it is reaped: its pid, its task, its page
 * tables and every page it faulted in or copied on write.  Each round here creates a
 * child that uses memory in a different way and reaps it.  The scenario itself checks
 * what user space can see (every status right, nothing left to wait for); MiniKernel
 * compares its free-frame, task and pid counters before and after (on the kernel side).
 * Round kinds (i % 5): plain fork+exit; the child writes COW pages (.data, stack) and a
 * fresh mmap page; the child grows brk and touches it; vfork+_exit; the child forks a
 * grandchild and reaps it.
 */
#include "lib.h"

#define ROUNDS 1000

static volatile long data_page[1024] = { 1 };   /* one page of .data, shared COW after fork */
static volatile long vfork_counter;

__attribute__((noinline, noreturn)) static void vfork_child(int i)
{
    vfork_counter++;
    sys_exit(i & 0xff);
}

static void child(int i)
{
    switch (i % 5) {
    case 0:
        break;
    case 1: {
        volatile long stack_var[512];
        stack_var[0] = i;
        data_page[0] = i;
        data_page[1023] = i;
        volatile long *m = sys_mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mmap_failed((void *)m))
            sys_exit(200);
        m[0] = i;
        m[1024] = i + stack_var[0];
        /* leave it mapped: exit must free it */
        break;
    }
    case 2: {
        char *b = (char *)sys_brk(NULL);
        char *e = (char *)sys_brk(b + 8 * PAGE_SIZE);
        if (e != b + 8 * PAGE_SIZE)
            sys_exit(201);
        for (int k = 0; k < 8; k++)
            b[k * PAGE_SIZE] = (char)k;
        break;
    }
    case 4: {
        long g = sys_fork();
        if (g < 0)
            sys_exit(202);
        if (g == 0)
            sys_exit_group(3);
        int st;
        if (sys_wait4(g, &st, 0, NULL) != g || WEXITSTATUS(st) != 3)
            sys_exit(203);
        break;
    }
    }
    sys_exit(i & 0xff);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("leak_rounds: start\n");
    long pid0 = sys_getpid();
    int bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
        long pid;
        if (i % 5 == 3) {
            pid = sys_vfork();
            if (pid == 0)
                vfork_child(i);
        } else {
            pid = sys_fork();
            if (pid == 0)
                child(i);
        }
        if (pid < 0) {
            say("round %d: fork failed: %s\n", i, errname(pid));
            fail("fork");
        }
        int status;
        long r = sys_wait4(pid, &status, 0, NULL);
        if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) != (i & 0xff)) {
            if (bad < 5)
                say("round %d: wait4 %s, status 0x%x\n", i, errname(r), status);
            bad++;
        }
        if ((i + 1) % 250 == 0)
            say("after %d rounds: %d bad\n", i + 1, bad);
    }
    say("vfork children ran: %ld\n", vfork_counter);
    say("parent's .data page untouched: %s\n", yesno(data_page[0] == 1 && data_page[1023] == 0));
    say("still the same process: %s\n", yesno(sys_getpid() == pid0));
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
