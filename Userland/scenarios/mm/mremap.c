/*
 * mremap: what mremap(2) answers and does (Linux mm/mremap.c). Shrinking in place
 * unmaps the tail; growing in place when the space after is free, zeros in the new
 * part; growing with MREMAP_MAYMOVE when it is not moves the area with its contents and
 * unmaps the old place; MREMAP_FIXED moves to the address given, replacing what was
 * there, and may shrink on the way; a moved shared anonymous area is still shared with a
 * fork'd child, and the part it grew by is past the end of its memory (SIGBUS), as shmem's. MREMAP_DONTUNMAP moves the pages and leaves the old range mapped: empty
 * (zeros) for private memory, the same pages for shared memory. Errors: EINVAL for an unaligned address, length 0, unknown flags,
 * MREMAP_FIXED without MREMAP_MAYMOVE or with an unaligned or overlapping destination,
 * a zero old length on a private area; EFAULT when the address is not mapped or the old
 * range runs past its area; ENOMEM when growing in place is impossible and moving not
 * allowed. Whether a page is mapped is asked with madvise (ENOMEM over a hole).
 */
#include "lib.h"
#include "signals.h"

#define PG 4096L

static const char *mapped(void *p) { return sys_madvise(p, PG, MADV_NORMAL) == 0 ? "mapped" : "unmapped"; }
static const char *res(long r, void *expect)
{
    if (r < 0 && r > -4096) return errname(r);
    return (void *)r == expect ? "the same address" : "another address";
}
static void fill(char *p, long n, char v) { for (long i = 0; i < n; i++) p[i] = v; }
static int all(char *p, long n, char v) { for (long i = 0; i < n; i++) if (p[i] != v) return 0; return 1; }

int main(void)
{
    say("mremap: start\n");
    long rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;

    char *a = sys_mmap(NULL, 2 * PG, rw, anon, -1, 0);
    fill(a, 2 * PG, 1);
    long r = sys_mremap(a, 2 * PG, PG, 0, NULL);
    say("shrink 2 pages to 1: %s, first page kept: %s, second %s\n", res(r, a), yesno(all(a, PG, 1)), mapped(a + PG));
    r = sys_mremap(a, PG, PG, 0, NULL);
    say("same size: %s\n", res(r, a));

    char *b = sys_mmap(NULL, 4 * PG, rw, anon, -1, 0);
    sys_munmap(b + PG, 3 * PG);
    fill(b, PG, 2);
    r = sys_mremap(b, PG, 3 * PG, 0, NULL);
    say("grow into free space: %s, contents kept: %s, new part zero: %s\n", res(r, b), yesno(all(b, PG, 2)),
        yesno(all(b + PG, 2 * PG, 0)));

    char *c = sys_mmap(NULL, 3 * PG, rw, anon, -1, 0);
    fill(c, 3 * PG, 3);
    r = sys_mremap(c, PG, 2 * PG, 0, NULL);
    say("grow the first page of three, no MREMAP_MAYMOVE: %s\n", res(r, c));
    char *g = sys_mmap(NULL, PG, rw, anon, -1, 0);
    fill(g, PG, 4);
    sys_mmap(g + PG, PG, PROT_READ, anon | MAP_FIXED, -1, 0);   /* something right after */
    r = sys_mremap(g, PG, 3 * PG, MREMAP_MAYMOVE, NULL);
    char *m = (char *)r;
    say("grow with MREMAP_MAYMOVE, blocked after: %s, contents kept: %s, new part zero: %s, old page %s\n",
        res(r, g), yesno(all(m, PG, 4)), yesno(all(m + PG, 2 * PG, 0)), mapped(g));
    m[3 * PG - 1] = 5;
    say("  the moved area is writable to its end: %s\n", yesno(m[3 * PG - 1] == 5));

    char *y = sys_mmap(NULL, 2 * PG, rw, anon, -1, 0);
    char *z = sys_mmap(NULL, 2 * PG, rw, anon, -1, 0);
    fill(y, 2 * PG, 6);
    fill(z, 2 * PG, 7);
    r = sys_mremap(y, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, z);
    say("MREMAP_FIXED onto another area: %s, it holds the moved bytes: %s, old place %s\n", res(r, z),
        yesno(all(z, 2 * PG, 6)), mapped(y));
    char *w = sys_mmap(NULL, PG, rw, anon, -1, 0);
    r = sys_mremap(z, 2 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, w);
    say("MREMAP_FIXED shrinking: %s, bytes kept: %s, old place %s and %s\n", res(r, w), yesno(all(w, PG, 6)),
        mapped(z), mapped(z + PG));

    char *s = sys_mmap(NULL, PG, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fill(s, PG, 8);
    sys_mmap(s + PG, PG, PROT_READ, anon | MAP_FIXED, -1, 0);
    char *s2 = (char *)sys_mremap(s, PG, 2 * PG, MREMAP_MAYMOVE, NULL);
    long pid = must_fork();
    if (pid == 0) { s2[10] = 9; sys_exit(0); }
    wait_for(pid);
    say("a moved shared area stays shared with a child: %s\n", yesno(s2[10] == 9));
    pid = must_fork();
    if (pid == 0) { s2[PG + 10] = 9; sys_exit(0); }
    int st = wait_for(pid);
    say("its grown part lies past the shared memory's end: %s\n",
        WIFSIGNALED(st) ? signame(WTERMSIG(st)) : "no signal");

    char *d = sys_mmap(NULL, 2 * PG, rw, anon, -1, 0);
    fill(d, 2 * PG, 10);
    char *d2 = (char *)sys_mremap(d, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    say("MREMAP_DONTUNMAP, private: moved %s, old range %s and reads zeros %s\n",
        yesno(all(d2, 2 * PG, 10)), mapped(d), yesno(all(d, 2 * PG, 0)));
    char *e = sys_mmap(NULL, PG, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fill(e, PG, 11);
    char *e2 = (char *)sys_mremap(e, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    e2[0] = 12;
    say("MREMAP_DONTUNMAP, shared: moved %s, old range shows the same page %s\n",
        yesno(e2[1] == 11), yesno(e[0] == 12 && e[1] == 11));
    say("MREMAP_DONTUNMAP with a new size: %s\n", res(sys_mremap(d2, 2 * PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), d2));
    say("MREMAP_DONTUNMAP without MREMAP_MAYMOVE: %s\n", res(sys_mremap(d2, 2 * PG, 2 * PG, MREMAP_DONTUNMAP, NULL), d2));
    sys_munmap(d, 2 * PG); sys_munmap(d2, 2 * PG); sys_munmap(e, PG); sys_munmap(e2, PG);

    say("unaligned address: %s\n", res(sys_mremap(a + 1, PG, PG, 0, NULL), a));
    say("new length 0: %s\n", res(sys_mremap(a, PG, 0, 0, NULL), a));
    say("flag 8: %s\n", res(sys_mremap(a, PG, PG, 8, NULL), a));
    say("MREMAP_FIXED without MREMAP_MAYMOVE: %s\n", res(sys_mremap(a, PG, PG, MREMAP_FIXED, w), a));
    say("MREMAP_FIXED to an unaligned address: %s\n", res(sys_mremap(a, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, w + 1), a));
    say("MREMAP_FIXED overlapping the old range: %s\n", res(sys_mremap(b, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, b + PG), b));
    say("old length 0 of a private area: %s\n", res(sys_mremap(a, 0, PG, MREMAP_MAYMOVE, NULL), a));
    say("not mapped: %s\n", res(sys_mremap((void *)0x100000000000L, PG, 2 * PG, MREMAP_MAYMOVE, NULL), a));
    say("old range past its area: %s\n", res(sys_mremap(a, 2 * PG, 3 * PG, MREMAP_MAYMOVE, NULL), a));
    say("a huge new length: %s\n", res(sys_mremap(a, PG, 1L << 48, MREMAP_MAYMOVE, NULL), a));
    sys_munmap(a, PG); sys_munmap(b, 3 * PG); sys_munmap(c, 3 * PG); sys_munmap(m, 3 * PG);
    sys_munmap(g + PG, PG); sys_munmap(w, PG); sys_munmap(s2, 2 * PG); sys_munmap(s + PG, PG);
    say("DONE\n");
    return 0;
}
