/*
 * cow - pins down that fork() gives the child a private copy of the address space.
 *
 * After fork, writes by the child to a global (.data), a .bss array, a stack variable,
 * memory obtained from brk and a MAP_PRIVATE|MAP_ANONYMOUS page are invisible to the
 * parent, and writes by the parent after fork are invisible to the child.  A
 * MAP_SHARED|MAP_ANONYMOUS page stays shared: the child's writes are seen by the parent.
 * A grandchild forked from the child sees the child's values, not the parent's.  Pages
 * the parent never touched before fork (fresh brk/mmap memory) read as zero in both.
 */
#include "lib.h"

static volatile long data_var = 111;          /* .data */
static volatile char bss_buf[3 * 4096];       /* .bss, spans pages */

struct shared_area {
    volatile long flag_parent_wrote;          /* parent -> child */
    volatile long child_ok;                   /* child's findings */
    volatile long grandchild_ok;
    volatile long written_by_child;
};

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("cow: start\n");
    volatile long stack_var = 222;

    /* brk: grow the heap by four pages. */
    char *brk0 = (char *)sys_brk(NULL);
    char *brk1 = (char *)sys_brk(brk0 + 4 * 4096);
    if (brk1 != brk0 + 4 * 4096)
        fail("brk grow");
    volatile char *heap = brk0;
    heap[0] = 'p';
    heap[4096] = 'q';                          /* heap[2*4096..] stays untouched */

    volatile long *priv = sys_mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct shared_area *sh = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed((void *)priv) || mmap_failed(sh))
        fail("mmap");
    priv[0] = 333;                             /* priv[512] (second page) stays untouched */
    bss_buf[0] = 'a';
    bss_buf[4096] = 'b';
    sh->written_by_child = 0;

    long pid = must_fork();
    if (pid == 0) {
        /* Child: sees the values from before fork ... */
        int ok = data_var == 111 && stack_var == 222 && heap[0] == 'p' && heap[4096] == 'q' &&
                 heap[2 * 4096] == 0 && priv[0] == 333 && priv[512] == 0 && bss_buf[0] == 'a' &&
                 bss_buf[4096] == 'b' && bss_buf[8192] == 0;
        /* ... overwrites everything ... */
        data_var = 1111;
        stack_var = 2222;
        heap[0] = 'P';
        heap[2 * 4096] = 'R';
        priv[0] = 3333;
        priv[512] = 4444;
        bss_buf[0] = 'A';
        bss_buf[8192] = 'C';
        sh->written_by_child = 5555;
        /* ... and must not see what the parent writes after fork. */
        while (!sh->flag_parent_wrote)
            sys_sched_yield();
        ok = ok && data_var == 1111 && stack_var == 2222 && heap[0] == 'P' && heap[4096] == 'q' &&
             priv[0] == 3333 && bss_buf[4096] == 'b';
        sh->child_ok = ok ? 1 : 2;

        /* A grandchild inherits the child's values. */
        long g = must_fork();
        if (g == 0) {
            int gok = data_var == 1111 && stack_var == 2222 && heap[0] == 'P' && heap[2 * 4096] == 'R' &&
                      priv[0] == 3333 && priv[512] == 4444 && bss_buf[0] == 'A';
            data_var = 99;                     /* must not reach the child */
            sh->grandchild_ok = gok ? 1 : 2;
            sys_exit(0);
        }
        wait_for(g);
        if (data_var != 1111)
            sh->grandchild_ok = 3;
        sys_exit(0);
    }

    /* Parent: write after fork, then let the child check. */
    bss_buf[4096] = 'B';
    heap[4096] = 'Q';
    sh->flag_parent_wrote = 1;
    int status = wait_for(pid);
    say("child exited normally: %s\n", yesno(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    say("child saw pre-fork values and kept its own writes: %s\n", yesno(sh->child_ok == 1));
    say("grandchild saw the child's values, its write stayed private: %s\n",
        yesno(sh->grandchild_ok == 1));
    say("parent: .data unchanged: %s (%ld)\n", yesno(data_var == 111), data_var);
    say("parent: stack variable unchanged: %s (%ld)\n", yesno(stack_var == 222), stack_var);
    say("parent: .bss unchanged: %s\n", yesno(bss_buf[0] == 'a' && bss_buf[8192] == 0));
    say("parent: brk memory unchanged: %s\n", yesno(heap[0] == 'p' && heap[2 * 4096] == 0));
    say("parent: private mmap unchanged: %s (%ld, %ld)\n", yesno(priv[0] == 333 && priv[512] == 0),
        priv[0], priv[512]);
    say("parent: own writes after fork kept: %s\n", yesno(bss_buf[4096] == 'B' && heap[4096] == 'Q'));
    say("parent: shared mmap shows the child's write: %s (%ld)\n", yesno(sh->written_by_child == 5555),
        sh->written_by_child);

    /* After the child is gone, the parent's pages are writable as before. */
    data_var = 7;
    priv[0] = 8;
    heap[0] = 9;
    say("parent: writes after the child exited work: %s\n",
        yesno(data_var == 7 && priv[0] == 8 && heap[0] == 9));

    /* Many children writing the same COW page, one after another. */
    int good = 0;
    for (int i = 0; i < 20; i++) {
        pid = must_fork();
        if (pid == 0) {
            int ok = data_var == 7;
            data_var = 1000 + i;
            sys_exit(ok && data_var == 1000 + i ? 0 : 1);
        }
        status = wait_for(pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && data_var == 7)
            good++;
    }
    say("20 children wrote the same COW page, parent still sees its value: %d/20\n", good);
    say("DONE\n");
    return 0;
}
