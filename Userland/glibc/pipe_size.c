/*
 * pipe_size - fcntl(F_GETPIPE_SZ / F_SETPIPE_SZ) (fs/pipe.c: pipe_fcntl, round_pipe_size,
 * pipe_resize_ring), as CPython's subprocess(pipesize=) uses it:
 *   - a new pipe holds 64 KiB; a size is rounded up to a power of two of pages, at least
 *     one page; either end answers;
 *   - the ring really is that size: a non-blocking writer fills exactly that many bytes;
 *   - growing a full pipe lets the writer go on; shrinking below what it holds is EBUSY,
 *     and the bytes come out in order after a resize;
 *   - not a pipe: EBADF; a size past 2 GiB: EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static long fill(int fd) {
    static char block[4096];
    long total = 0, r;
    while ((r = write(fd, block, sizeof block)) > 0) total += r;
    return total;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe2(p, O_NONBLOCK);
    printf("default: %d (read end %d)\n", fcntl(p[1], F_GETPIPE_SZ), fcntl(p[0], F_GETPIPE_SZ));
    printf("set 1: %d\n", fcntl(p[1], F_SETPIPE_SZ, 1));
    printf("set 5000: %d\n", fcntl(p[1], F_SETPIPE_SZ, 5000));
    printf("set 65537: %d\n", fcntl(p[1], F_SETPIPE_SZ, 65537));
    printf("set 32768 on the read end: %d\n", fcntl(p[0], F_SETPIPE_SZ, 32768));
    printf("it holds %ld bytes\n", fill(p[1]));
    printf("shrink below the contents: %s\n", err(fcntl(p[1], F_SETPIPE_SZ, 4096)));
    printf("grow to 1 MiB: %d\n", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
    printf("it takes %ld more\n", fill(p[1]));
    /* The bytes come out in order: number each page first. */
    int q[2];
    pipe2(q, O_NONBLOCK);
    char page[4096];
    for (int i = 0; i < 8; i++) { memset(page, 'a' + i, sizeof page); write(q[1], page, sizeof page); }
    char got[4096];
    read(q[0], got, 1000);                         /* the reader is inside page 0 */
    printf("resize with 8 pages in: %d\n", fcntl(q[1], F_SETPIPE_SZ, 256 * 1024));
    int inorder = got[0] == 'a';
    long n, seen = 1000;
    while ((n = read(q[0], got, sizeof got)) > 0) {
        for (long k = 0; k < n; k++) if (got[k] != 'a' + (int)((seen + k) / 4096)) inorder = 0;
        seen += n;
    }
    printf("read back %ld bytes, in order: %s\n", seen, inorder ? "yes" : "no");
    printf("resize to one page when empty: %d\n", fcntl(q[1], F_SETPIPE_SZ, 4096));
    int f = open("/dev/null", O_RDWR);
    printf("not a pipe: %s\n", err(fcntl(f, F_GETPIPE_SZ)));
    printf("3 GiB: %s\n", err(fcntl(p[1], F_SETPIPE_SZ, 3U << 30)));
    return 0;
}
