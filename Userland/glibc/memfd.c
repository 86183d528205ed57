/*
 * memfd - memfd_create() and file seals (mm/memfd.c, mm/shmem.c):
 *   - a memfd is a file with no name in any directory: it reads and writes, maps shared,
 *     truncates; /proc/self/fd shows "/memfd:NAME (deleted)"; MFD_CLOEXEC sets FD_CLOEXEC;
 *     reopening it through /proc/self/fd reaches the same file;
 *   - without MFD_ALLOW_SEALING its seals are F_SEAL_SEAL and F_ADD_SEALS is EPERM;
 *   - with it: F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE each refuse what they name
 *     (EPERM), F_SEAL_WRITE is EBUSY while a writable shared mapping exists, and after
 *     F_SEAL_SEAL no seal can be added;
 *   - bad flags and a name that is too long are EINVAL; F_GET_SEALS on an ordinary file
 *     is EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct statfs sf;
    int mounted = 0;
    if (statfs("/proc", &sf) != 0 || sf.f_type != 0x9fa0) mounted = mount("proc", "/proc", "proc", 0, NULL) == 0;

    int fd = memfd_create("hello", MFD_CLOEXEC);
    printf("memfd_create: %s, FD_CLOEXEC %d\n", err(fd), fcntl(fd, F_GETFD) & FD_CLOEXEC);
    printf("write: %ld\n", (long)write(fd, "memfd data", 10));
    char buf[64] = "", path[64], link[128] = "";
    long got = pread(fd, buf, sizeof buf, 0);
    printf("pread: %ld %.10s\n", got, buf);
    struct stat st;
    fstat(fd, &st);
    printf("fstat: regular %s, size %lld, nlink %lu, mode %o\n", S_ISREG(st.st_mode) ? "yes" : "no",
           (long long)st.st_size, (unsigned long)st.st_nlink, st.st_mode & 07777);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    readlink(path, link, sizeof link - 1);
    printf("fd link: %s\n", link);
    int again = open(path, O_RDWR);
    const char *e = err(again);
    memset(buf, 0, sizeof buf);
    read(again, buf, 5);
    printf("reopened through /proc: %s (%.5s)\n", e, buf);
    close(again);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mmap shared: %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "ok");
    if (m != MAP_FAILED) {
        m[0] = 'M';
        pread(fd, buf, 1, 0);
        printf("a write through the map reads back: %c\n", buf[0]);
        munmap(m, 4096);
    }
    printf("ftruncate 100: %s\n", err(ftruncate(fd, 100)));
    printf("F_GET_SEALS: %d\n", fcntl(fd, F_GET_SEALS));
    printf("F_ADD_SEALS: %s\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    close(fd);

    int s = memfd_create("sealed", MFD_ALLOW_SEALING);
    write(s, "0123456789", 10);
    printf("seals at first: %d\n", fcntl(s, F_GET_SEALS));
    printf("add SHRINK: %s\n", err(fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK)));
    printf("ftruncate 5: %s\n", err(ftruncate(s, 5)));
    printf("ftruncate 20: %s\n", err(ftruncate(s, 20)));
    printf("add GROW: %s\n", err(fcntl(s, F_ADD_SEALS, F_SEAL_GROW)));
    printf("ftruncate 30: %s\n", err(ftruncate(s, 30)));
    printf("write past the end: %s\n", err(pwrite(s, "x", 1, 20)));
    printf("write inside: %s\n", err(pwrite(s, "y", 1, 3)));
    char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    printf("add WRITE with a writable shared map: %s\n", err(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE)));
    munmap(w, 4096);
    printf("add WRITE after munmap: %s\n", err(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE)));
    printf("write: %s\n", err(pwrite(s, "z", 1, 0)));
    char *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    printf("mmap shared writable after WRITE: %s\n", r == MAP_FAILED ? strerrorname_np(errno) : "ok");
    r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0);
    printf("mmap shared read-only: %s\n", r == MAP_FAILED ? strerrorname_np(errno) : "ok");
    printf("mprotect it to write: %s\n", err(mprotect(r, 4096, PROT_READ | PROT_WRITE)));
    munmap(r, 4096);
    printf("add SEAL: %s\n", err(fcntl(s, F_ADD_SEALS, F_SEAL_SEAL)));
    printf("then add FUTURE_WRITE: %s\n", err(fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)));
    printf("seals now %#x\n", fcntl(s, F_GET_SEALS));
    close(s);

    printf("bad flags: %s\n", err(memfd_create("x", 0x100)));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    printf("long name: %s\n", err(memfd_create(longname, 0)));
    int plain = open("memfd-plain.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    printf("F_GET_SEALS on a plain file: %s\n", err(fcntl(plain, F_GET_SEALS)));
    close(plain);
    unlink("memfd-plain.txt");
    if (mounted) umount("/proc");
    return 0;
}
