/*
 * file_mmap_shared: MAP_SHARED mappings of a file (Linux mm/filemap.c, mm/memory.c
 * do_shared_fault, mm/msync.c). A store through the mapping is in the file: read() and a
 * second mapping see it, and so does the parent after a fork'd child stores; write() is
 * seen through the mapping. msync's answers: 0 for MS_SYNC, MS_ASYNC, MS_INVALIDATE,
 * EINVAL for unknown flags, MS_SYNC|MS_ASYNC and an unaligned address, ENOMEM for a range
 * with unmapped pages. A read-only descriptor: EACCES for a shared writable mapping, a
 * shared read-only one that mprotect cannot make writable. SIGBUS with BUS_ADRERR and the
 * address for a page wholly past the end of the file, shared or private; bytes past the
 * end inside the last page read as zeros; a file grown by ftruncate fills the mapping,
 * shrunk it takes away the pages past its new end, even pages already mapped or copied
 * (unmap_mapping_range), and so does open with O_TRUNC.
 */
#include "lib.h"
#include "fs.h"
#include "signals.h"

static long map(void *at, long len, long prot, long flags, long fd, long off)
{
    return syscall6(SYS_mmap, (long)at, len, prot, flags, fd, off);
}

static volatile char *fault_at;

static void on_sigbus(int sig, ksiginfo_t *info, void *uc)
{
    (void)uc;
    void *addr;
    memcpy(&addr, &info->si_pid, sizeof addr);  /* si_addr shares si_pid's offset (16) */
    say("  %s, si_code BUS_ADRERR: %s, si_addr is the address: %s\n", signame(sig),
        yesno(info->si_code == 2), yesno(addr == (void *)fault_at));
    sys_exit(0);
}

/* In a child: touch p (read or write); report the signal or that nothing came. */
static void touch_in_child(const char *what, volatile char *p, int write)
{
    say("%s:\n", what);
    long pid = must_fork();
    if (pid == 0) {
        sig_handle_info(SIGBUS, on_sigbus, 0);
        fault_at = p;
        if (write) *p = 1; else (void)*p;
        say("  no signal, byte %d\n", *p);
        sys_exit(0);
    }
    wait_for(pid);
}

/* In a child: map the page at p by touching it (a write makes a private copy), shrink the
 * file to `to` bytes, touch p again: truncation takes mapped pages out of every mapping. */
static void mapped_then_shrunk(const char *what, long fd, volatile char *p, int write, long to)
{
    say("%s:\n", what);
    long pid = must_fork();
    if (pid == 0) {
        sig_handle_info(SIGBUS, on_sigbus, 0);
        if (write) *p = 1; else (void)*p;
        fault_at = p;
        sys_ftruncate(fd, to);
        (void)*p;
        say("  no signal, byte %d\n", *p);
        sys_exit(0);
    }
    wait_for(pid);
}

int main(void)
{
    say("file_mmap_shared: start\n");
    signals_reset();
    sys_mkdir("t_shm", 0755);
    long fd = sys_open("t_shm/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
    static char data[6000];
    for (int i = 0; i < (int)sizeof data; i++) data[i] = (char)('a' + i % 26);
    sys_write(fd, data, sizeof data);

    long a = map(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say("mmap MAP_SHARED: %s\n", a < 0 ? errname(a) : "ok");
    char *p = (char *)a;
    say_mapping_shows_file(p, data, sizeof data, 8192);

    p[10] = 'Z';
    char c = 0;
    sys_pread(fd, &c, 1, 10);
    say("a store through the mapping is read by pread: %s\n", yesno(c == 'Z'));
    sys_pwrite(fd, "Q", 1, 20);
    say("pwrite is seen through the mapping: %s\n", yesno(p[20] == 'Q'));
    sys_pwrite(fd, "W", 1, 4100);
    say("pwrite into the second page too: %s\n", yesno(p[4100] == 'W'));

    char *q = (char *)map(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say("a second mapping sees the first one's store: %s\n", yesno(q[10] == 'Z'));
    q[11] = 'Y';
    say("and the first sees the second's: %s\n", yesno(p[11] == 'Y'));

    long pid = must_fork();
    if (pid == 0) {
        p[30] = 'C';
        sys_exit(p[10] == 'Z' ? 0 : 1);
    }
    int st = wait_for(pid);
    sys_pread(fd, &c, 1, 30);
    say("a child's store reaches the parent's mapping: %s, the file: %s (child saw the parent's: %s)\n",
        yesno(p[30] == 'C'), yesno(c == 'C'), yesno(WEXITSTATUS(st) == 0));
    struct kstat ks;
    sys_fstat(fd, &ks);
    say("stores into the last page do not grow the file: size %ld\n", (long)ks.st_size);

    say("msync MS_SYNC: %s\n", errname(sys_msync(p, 8192, MS_SYNC)));
    say("msync MS_ASYNC: %s\n", errname(sys_msync(p, 8192, MS_ASYNC)));
    say("msync MS_INVALIDATE: %s\n", errname(sys_msync(p, 4096, MS_INVALIDATE)));
    say("msync MS_SYNC of a part: %s\n", errname(sys_msync(p + 4096, 100, MS_SYNC)));
    say("msync length 0: %s\n", errname(sys_msync(p, 0, MS_SYNC)));
    say("msync MS_SYNC|MS_ASYNC: %s\n", errname(sys_msync(p, 4096, MS_SYNC | MS_ASYNC)));
    say("msync flag 8: %s\n", errname(sys_msync(p, 4096, 8)));
    say("msync unaligned: %s\n", errname(sys_msync(p + 1, 4096, MS_SYNC)));
    /* a hole after the mapping: reserve three pages, unmap the middle one */
    char *h = (char *)map(0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sys_munmap(h + 4096, 4096);
    say("msync over a hole, MS_SYNC: %s\n", errname(sys_msync(h, 3 * 4096, MS_SYNC)));
    say("msync over a hole, MS_ASYNC: %s\n", errname(sys_msync(h, 3 * 4096, MS_ASYNC)));
    say("msync of the hole alone: %s\n", errname(sys_msync(h + 4096, 4096, MS_SYNC)));
    sys_munmap(h, 3 * 4096);

    long r = sys_open("t_shm/f", O_RDONLY, 0);
    say("read-only fd, MAP_SHARED with PROT_WRITE: %s\n", errname(map(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0)));
    long ro = map(0, 4096, PROT_READ, MAP_SHARED, r, 0);
    say("read-only fd, MAP_SHARED with PROT_READ: %s, shows the stores: %s\n", ro < 0 ? errname(ro) : "ok",
        yesno(ro > 0 && ((char *)ro)[10] == 'Z'));
    say("  mprotect PROT_WRITE on it: %s\n", errname(sys_mprotect((void *)ro, 4096, PROT_READ | PROT_WRITE)));
    long w = sys_open("t_shm/f", O_WRONLY, 0);
    say("write-only fd, MAP_SHARED: %s\n", errname(map(0, 4096, PROT_WRITE, MAP_SHARED, w, 0)));
    say("MAP_SHARED | MAP_PRIVATE: %s\n", errname(map(0, 4096, PROT_READ, MAP_SHARED | MAP_PRIVATE | 4, fd, 0)));

    /* Three pages over a 6000-byte file: page 1 is partly the file, page 2 wholly past it. */
    char *s3 = (char *)map(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *p3 = (char *)map(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    touch_in_child("shared, read past the end inside the last page", s3 + 7000, 0);
    touch_in_child("shared, read a page wholly past the end", s3 + 8192 + 5, 0);
    touch_in_child("shared, write a page wholly past the end", s3 + 8192, 1);
    touch_in_child("private, read a page wholly past the end", p3 + 8192 + 5, 0);
    touch_in_child("private, write a page wholly past the end", p3 + 3 * 4096 - 1, 1);

    sys_ftruncate(fd, 9000);
    touch_in_child("after ftruncate to 9000, shared, the third page", s3 + 8192 + 5, 0);
    touch_in_child("after ftruncate to 9000, private, the third page", p3 + 8192 + 5, 0);
    sys_ftruncate(fd, 100);
    touch_in_child("after ftruncate to 100, shared, the third page", s3 + 8192 + 5, 0);
    touch_in_child("after ftruncate to 100, private, the second page", p3 + 4096, 0);
    sys_pread(fd, &c, 1, 10);
    say("pread after the shrink still sees the mapping's store: %s\n", yesno(c == 'Z'));
    say("pread past the new end: %ld\n", sys_pread(fd, &c, 1, 200));

    sys_ftruncate(fd, 9000);
    mapped_then_shrunk("shared, the third page mapped, then ftruncate to 100", fd, s3 + 8192 + 5, 0, 100);
    sys_ftruncate(fd, 9000);
    mapped_then_shrunk("private, the third page copied by a write, then ftruncate to 100", fd, p3 + 8192 + 5, 1, 100);
    sys_ftruncate(fd, 9000);
    mapped_then_shrunk("shared, the first page mapped, then ftruncate to 100 (it stays)", fd, s3 + 5, 0, 100);
    long t = sys_open("t_shm/f", O_RDWR | O_TRUNC, 0);
    sys_close(t);
    say("after O_TRUNC, the first page of the shared mapping:\n");
    touch_in_child("  read", s3 + 5, 0);

    sys_munmap(p, 8192);
    sys_munmap(q, 4096);
    sys_munmap((void *)ro, 4096);
    sys_munmap(s3, 3 * 4096);
    sys_munmap(p3, 3 * 4096);
    sys_close(fd); sys_close(r); sys_close(w);
    sys_unlink("t_shm/f");
    sys_rmdir("t_shm");
    say("DONE\n");
    return 0;
}
