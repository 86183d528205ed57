/*
 * madvise: what madvise(2) answers and does (Linux mm/madvise.c). MADV_DONTNEED on private
 * anonymous memory: the pages read as zeros afterwards, and can be written again; on a
 * private file mapping the file's bytes come back; on a shared file mapping the stores
 * stay (they are the file's). MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED
 * are accepted and keep the contents. Errors: EINVAL for an unaligned start, an unknown
 * advice and a length that wraps; ENOMEM for a range that is wholly or partly unmapped
 * (the mapped part is still advised); length 0 is 0.
 */
#include "lib.h"
#include "fs.h"

#define PG 4096

int main(void)
{
    say("madvise: start\n");
    char *a = sys_mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 4 * PG; i++) a[i] = 7;

    static const struct { long advice; const char *name; } keep[] = {
        { MADV_NORMAL, "MADV_NORMAL" }, { MADV_RANDOM, "MADV_RANDOM" },
        { MADV_SEQUENTIAL, "MADV_SEQUENTIAL" }, { MADV_WILLNEED, "MADV_WILLNEED" },
    };
    for (int k = 0; k < 4; k++) {
        long r = sys_madvise(a, 4 * PG, keep[k].advice);
        say("%s: %s, contents kept: %s\n", keep[k].name, errname(r), yesno(a[0] == 7 && a[4 * PG - 1] == 7));
    }

    long r = sys_madvise(a + PG, 2 * PG, MADV_DONTNEED);
    int zero = 1;
    for (int i = PG; i < 3 * PG; i++) if (a[i] != 0) zero = 0;
    say("MADV_DONTNEED of the middle two pages: %s, they read as zeros: %s, the others kept: %s\n",
        errname(r), yesno(zero), yesno(a[0] == 7 && a[3 * PG] == 7));
    a[PG] = 9;
    say("the dropped page can be written again: %s\n", yesno(a[PG] == 9));
    r = sys_madvise(a, 100, MADV_DONTNEED);
    say("MADV_DONTNEED of 100 bytes drops the whole first page: %s, %s\n", errname(r), yesno(a[0] == 0 && a[PG - 1] == 0));

    /* a forked child's DONTNEED drops its copy, not the parent's */
    a[0] = 5;
    long pid = must_fork();
    if (pid == 0) {
        sys_madvise(a, PG, MADV_DONTNEED);
        sys_exit(a[0] == 0 ? 0 : 1);
    }
    int st = wait_for(pid);
    say("after fork, the child's DONTNEED gives it zeros: %s, the parent keeps its byte: %s\n",
        yesno(WEXITSTATUS(st) == 0), yesno(a[0] == 5));

    say("unaligned start: %s\n", errname(sys_madvise(a + 1, PG, MADV_DONTNEED)));
    say("unknown advice 12345: %s\n", errname(sys_madvise(a, PG, 12345)));
    say("unknown advice -1: %s\n", errname(sys_madvise(a, PG, -1)));
    say("length that wraps: %s\n", errname(sys_madvise(a, -100L, MADV_NORMAL)));
    say("length 0: %s\n", errname(sys_madvise(a, 0, MADV_DONTNEED)));
    say("length 0, unknown advice: %s\n", errname(sys_madvise(a, 0, 12345)));

    /* a hole: unmap page 2 */
    a[3 * PG] = 3;
    sys_munmap(a + 2 * PG, PG);
    r = sys_madvise(a, 4 * PG, MADV_DONTNEED);
    say("over a hole: %s, the page after the hole was still dropped: %s\n", errname(r), yesno(a[3 * PG] == 0));
    say("the hole alone: %s\n", errname(sys_madvise(a + 2 * PG, PG, MADV_NORMAL)));
    say("past every mapping: %s\n", errname(sys_madvise((void *)0x200000000000UL, PG, MADV_NORMAL)));
    sys_munmap(a, 4 * PG);

    sys_mkdir("t_madv", 0755);
    long fd = sys_open("t_madv/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
    static char data[2 * PG];
    for (int i = 0; i < 2 * PG; i++) data[i] = (char)('a' + i % 26);
    sys_write(fd, data, sizeof data);
    char *p = sys_mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p[0] = 'X';
    r = sys_madvise(p, 2 * PG, MADV_DONTNEED);
    say("private file mapping, MADV_DONTNEED: %s, the file's byte is back: %s\n", errname(r), yesno(p[0] == 'a'));
    char *s = sys_mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    s[1] = 'Y';
    r = sys_madvise(s, 2 * PG, MADV_DONTNEED);
    say("shared file mapping, MADV_DONTNEED: %s, the store stays: %s\n", errname(r), yesno(s[1] == 'Y'));
    sys_munmap(p, 2 * PG);
    sys_munmap(s, 2 * PG);
    sys_close(fd);
    sys_unlink("t_madv/f");
    sys_rmdir("t_madv");
    say("DONE\n");
    return 0;
}
