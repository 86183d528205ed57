/*
 * eventfd - the counter file (fs/eventfd.c), as CPython's test_os.EventfdTests and event
 * loops use it:
 *   - the initial value reads back, and the read resets the counter; EFD_SEMAPHORE reads
 *     1 at a time; writes add up;
 *   - reading 0 with EFD_NONBLOCK is EAGAIN; a blocking read sleeps until another thread
 *     writes; a write that would overflow is EAGAIN with EFD_NONBLOCK;
 *   - fewer than 8 bytes, writing 0xffffffffffffffff, unknown flags: EINVAL; lseek stays
 *     at 0, pread is ESPIPE;
 *   - poll: POLLOUT only when empty, POLLIN|POLLOUT with a count, POLLIN alone when full;
 *   - EFD_CLOEXEC sets FD_CLOEXEC; /proc/self/fd shows anon_inode:[eventfd].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }
static int pollmask(int fd) {
    struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
    poll(&p, 1, 0);
    return p.revents;
}
static int efd_writer;
static void *writer(void *arg) {
    usleep(20000);
    uint64_t v = 5;
    write(efd_writer, &v, 8);
    return arg;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    uint64_t v = 0;
    int fd = eventfd(42, EFD_CLOEXEC | EFD_NONBLOCK);
    printf("FD_CLOEXEC: %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    long r = read(fd, &v, 8);
    printf("read: %ld %llu\n", r, (unsigned long long)v);
    const char *e = err(read(fd, &v, 8));
    printf("read of 0, nonblocking: %s\n", e);
    v = 3; write(fd, &v, 8); v = 4; write(fd, &v, 8);
    r = read(fd, &v, 8);
    printf("two writes add: %ld %llu\n", r, (unsigned long long)v);
    printf("short read: %s\n", err(read(fd, &v, 4)));
    printf("short write: %s\n", err(write(fd, &v, 4)));
    v = UINT64_MAX;
    printf("write of 2^64-1: %s\n", err(write(fd, &v, 8)));
    printf("lseek: %ld\n", (long)lseek(fd, 3, SEEK_SET));
    printf("pread: %s\n", err(pread(fd, &v, 8, 0)));
    printf("poll empty: %#x\n", pollmask(fd));
    v = 1; write(fd, &v, 8);
    printf("poll with 1: %#x\n", pollmask(fd));
    v = UINT64_MAX - 2; write(fd, &v, 8);
    printf("poll full: %#x\n", pollmask(fd));
    v = 1;
    printf("write past full: %s\n", err(write(fd, &v, 8)));
    close(fd);
    printf("unknown flag: %s\n", err(eventfd(0, 0x10)));

    int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    for (int i = 0; i < 4; i++) {
        v = 0;
        r = read(sem, &v, 8);
        printf("semaphore read %d: %s %llu\n", i, err(r), (unsigned long long)v);
    }
    close(sem);

    efd_writer = eventfd(0, 0);
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    r = read(efd_writer, &v, 8);
    printf("blocking read woken by a write: %ld %llu\n", r, (unsigned long long)v);
    pthread_join(t, NULL);

    struct statfs sf;
    int mounted = 0;
    if (statfs("/proc", &sf) != 0 || sf.f_type != 0x9fa0) mounted = mount("proc", "/proc", "proc", 0, NULL) == 0;
    char path[64], link[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", efd_writer);
    readlink(path, link, sizeof link - 1);
    printf("fd link: %s\n", link);
    close(efd_writer);
    if (mounted) umount("/proc");
    return 0;
}
