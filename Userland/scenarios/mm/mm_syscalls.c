/*
 * mm_syscalls - pins down mmap, munmap, mprotect and brk as Linux 6.18 answers them.
 *
 *   mmap: len 0, an unaligned offset, neither or both of MAP_PRIVATE/MAP_SHARED -> EINVAL;
 *     no MAP_ANONYMOUS with a closed descriptor -> EBADF (checked before the length);
 *     MAP_FIXED at an unaligned address -> EINVAL; more than the address space -> ENOMEM;
 *     MAP_FIXED_NOREPLACE over a mapping -> EEXIST; MAP_SHARED|MAP_GROWSDOWN -> EINVAL;
 *     a free hint is taken, a hint below mmap_min_addr becomes 0x10000, a taken one is
 *     not; successive mappings go downwards; MAP_FIXED replaces what was there (zeroes);
 *     fresh anonymous memory reads as zero.
 *   munmap: unaligned or length 0 -> EINVAL, nothing mapped -> 0; a hole punched in the
 *     middle leaves both sides intact and makes the hole fault (SIGSEGV).
 *   mprotect: unaligned -> EINVAL, length 0 -> 0 even with bad bits, unknown bits ->
 *     EINVAL, a range with a hole or nothing mapped -> ENOMEM (the part before the hole
 *     is changed), PROT_GROWSDOWN on an ordinary mapping -> EINVAL; contents survive
 *     PROT_NONE and back; a write to a PROT_READ page is SIGSEGV.
 *   brk: brk(0) is the break; growth returns exactly the request and reads as zero;
 *     shrinking and growing again gives zeroed pages; a request below the start or
 *     beyond the address space leaves the break where it was.
 *   After fork, munmap and mprotect in the child leave the parent's mappings alone.
 */
#include "lib.h"

#define MAP_GROWSDOWN       0x0100
#define MAP_POPULATE        0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define PROT_GROWSDOWN      0x01000000
#define PG 4096UL

static char *map(void *hint, size_t len, long prot, long flags)
{
    return sys_mmap(hint, len, prot, flags, -1, 0);
}

static void show(const char *what, long r)
{
    say("%s: %s\n", what, errname(r));
}

static void showp(const char *what, void *p)
{
    say("%s: %s\n", what, mmap_failed(p) ? errname((long)p) : "ok");
}

/* Runs fn in a child and says whether it died of SIGSEGV. */
static void expect_segv(const char *what, void (*fn)(char *), char *arg)
{
    long pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        fn(arg);
        sys_exit(0);
    }
    int status = wait_for(pid);
    say("%s: %s\n", what, WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? "SIGSEGV" :
        WIFEXITED(status) ? "no fault" : "other signal");
}

static void touch_read(char *p) { (void)*(volatile char *)p; }
static void touch_write(char *p) { *(volatile char *)p = 1; }

static int all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_mmap(void)
{
    showp("mmap len 0", map(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS));
    showp("mmap unaligned offset", sys_mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100));
    showp("mmap neither private nor shared", map(NULL, PG, PROT_READ, MAP_ANONYMOUS));
    showp("mmap MAP_SHARED_VALIDATE anonymous", map(NULL, PG, PROT_READ, 0x03 | MAP_ANONYMOUS));
    showp("mmap closed fd", sys_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 100, 0));
    showp("mmap closed fd, len 0", sys_mmap(NULL, 0, PROT_READ, MAP_PRIVATE, 100, 0));
    showp("mmap MAP_FIXED unaligned", map((void *)0x200000123UL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
    showp("mmap 1 TiB * 256", map(NULL, 1UL << 48, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS));
    showp("mmap length near 2^64", map(NULL, -(PG / 2), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS));
    showp("mmap shared growsdown", map(NULL, PG, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN));

    char *a = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    char *b = map(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (mmap_failed(a) || mmap_failed(b))
        fail("mmap");
    say("second mapping below the first: %s\n", yesno(b < a));
    say("fresh memory is zero: %s\n", yesno(all_zero(a, 2 * PG) && all_zero(b, PG)));

    char *h = map((void *)0x200000000UL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    say("free hint taken: %s\n", yesno(h == (char *)0x200000000UL));
    char *h2 = map((void *)0x200000000UL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    say("taken hint not reused: %s\n", yesno(!mmap_failed(h2) && h2 != h));
    char *low = map((void *)0x1000, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    say("hint below mmap_min_addr gives 0x10000: %s\n", yesno(low == (char *)0x10000));
    showp("MAP_FIXED_NOREPLACE over a mapping", map(h, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
    h[0] = 'x';
    char *f = map(h, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
    say("MAP_FIXED replaces: %s, old data gone: %s\n", yesno(f == h), yesno(f == h && h[0] == 0));
    char *pop = map(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE);
    say("MAP_POPULATE: %s, zero: %s\n", mmap_failed(pop) ? "failed" : "ok", yesno(!mmap_failed(pop) && all_zero(pop, 4 * PG)));
    sys_munmap(a, 2 * PG);
    sys_munmap(b, PG);
    sys_munmap(h, PG);
    sys_munmap(h2, PG);
    sys_munmap(low, PG);
    sys_munmap(pop, 4 * PG);
}

static void test_munmap(void)
{
    char *a = map(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (mmap_failed(a))
        fail("mmap");
    show("munmap unaligned", sys_munmap(a + 1, PG));
    show("munmap length 0", sys_munmap(a, 0));
    show("munmap past the end of user space", sys_munmap((void *)0x7ffffffff000UL, 2 * PG));
    show("munmap of nothing", sys_munmap((void *)0x300000000UL, PG));
    a[0] = 'a';
    a[PG] = 'b';
    a[2 * PG] = 'c';
    show("munmap the middle page", sys_munmap(a + PG, PG));
    say("both sides intact: %s\n", yesno(a[0] == 'a' && a[2 * PG] == 'c'));
    expect_segv("read of the hole", touch_read, a + PG);
    show("munmap across the hole", sys_munmap(a, 3 * PG));
    expect_segv("read after munmap", touch_read, a);
}

static void test_mprotect(void)
{
    char *a = map(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (mmap_failed(a))
        fail("mmap");
    memset(a, 'm', 4 * PG);
    show("mprotect unaligned", sys_mprotect(a + 1, PG, PROT_READ));
    show("mprotect length 0, bad bits", sys_mprotect(a, 0, 0x40));
    show("mprotect unknown bits", sys_mprotect(a, PG, 0x10));
    show("mprotect PROT_GROWSDOWN on a plain mapping", sys_mprotect(a, PG, PROT_READ | PROT_GROWSDOWN));
    show("mprotect nothing mapped", sys_mprotect((void *)0x300000000UL, PG, PROT_READ));
    show("mprotect PROT_NONE", sys_mprotect(a + PG, PG, PROT_NONE));
    expect_segv("read of PROT_NONE", touch_read, a + PG);
    show("mprotect back to read-write", sys_mprotect(a + PG, PG, PROT_READ | PROT_WRITE));
    say("contents survived PROT_NONE: %s\n", yesno(a[PG] == 'm' && a[2 * PG - 1] == 'm'));
    show("mprotect read-only", sys_mprotect(a, 2 * PG, PROT_READ));
    expect_segv("write to read-only", touch_write, a + PG);
    say("read of read-only page: %s\n", yesno(a[PG] == 'm'));
    show("munmap page 2", sys_munmap(a + 2 * PG, PG));
    show("mprotect across the hole", sys_mprotect(a, 4 * PG, PROT_READ | PROT_WRITE));
    a[0] = 'w';   /* the part before the hole became writable */
    say("the part before the hole was changed: %s\n", yesno(a[0] == 'w'));
    expect_segv("write beyond the hole (left read-write)", touch_write, a + 3 * PG);
    sys_munmap(a, 4 * PG);
}

static void test_brk(void)
{
    char *cur = (char *)sys_brk(NULL);
    char *grown = (char *)sys_brk(cur + 5 * PG + 10);
    say("brk grow returns the request: %s\n", yesno(grown == cur + 5 * PG + 10));
    say("new heap is zero: %s\n", yesno(all_zero(cur, 5 * PG + 10)));
    memset(cur, 'h', 5 * PG + 10);
    char *shrunk = (char *)sys_brk(cur + PG);
    say("brk shrink returns the request: %s\n", yesno(shrunk == cur + PG));
    expect_segv("access above the shrunk break", touch_read, cur + 3 * PG);
    char *again = (char *)sys_brk(cur + 4 * PG);
    say("regrown heap is zero again: %s, kept page kept: %s\n",
        yesno(again == cur + 4 * PG && all_zero(cur + 2 * PG, 2 * PG)), yesno(cur[PG - 1] == 'h'));
    say("brk below the start keeps the break: %s\n", yesno((char *)sys_brk((void *)0x1000) == cur + 4 * PG));
    say("brk beyond user space keeps the break: %s\n", yesno((char *)sys_brk((void *)0x800000000000UL) == cur + 4 * PG));
    say("brk of 4 TiB keeps the break: %s\n", yesno((char *)sys_brk(cur + (4UL << 40)) == cur + 4 * PG));
    sys_brk(cur);
}

static void test_fork(void)
{
    char *a = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (mmap_failed(a))
        fail("mmap");
    a[0] = 'p';
    a[PG] = 'q';
    long pid = must_fork();
    if (pid == 0) {
        int ok = sys_munmap(a, PG) == 0 && sys_mprotect(a + PG, PG, PROT_NONE) == 0;
        sys_exit(ok ? 0 : 1);
    }
    int status = wait_for(pid);
    say("child unmapped and protected its copy: %s\n", yesno(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    say("parent's mapping untouched: %s\n", yesno(a[0] == 'p' && a[PG] == 'q'));
    a[PG] = 'r';
    say("parent still writes it: %s\n", yesno(a[PG] == 'r'));
    sys_munmap(a, 2 * PG);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("mm_syscalls: start\n");
    test_mmap();
    test_munmap();
    test_mprotect();
    test_brk();
    test_fork();
    say("DONE\n");
    return 0;
}
