/*
 * rw_flags - preadv2/pwritev2 (fs/read_write.c), as CPython's os.preadv/os.pwritev with
 * flags use them: RWF_HIPRI, RWF_DSYNC and RWF_SYNC read and write as without them;
 * RWF_APPEND writes at the end whatever the offset; offset -1 is the file's position,
 * which then moves (while preadv's -1 is EINVAL); an unknown flag is EOPNOTSUPP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("rwf.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "abcdefgh", 8);
    char a[4] = "", b[4] = "";
    struct iovec v[2] = { { a, 3 }, { b, 3 } };
    long r = preadv2(fd, v, 2, 1, RWF_HIPRI);
    printf("preadv2 HIPRI at 1: %ld \"%.3s\" \"%.3s\"\n", r, a, b);
    struct iovec w = { "XY", 2 };
    r = pwritev2(fd, &w, 1, 0, RWF_DSYNC | RWF_SYNC);
    printf("pwritev2 DSYNC|SYNC at 0: %ld\n", r);
    r = pwritev2(fd, &w, 1, 2, RWF_APPEND);
    printf("pwritev2 APPEND at 2: %ld, size now %ld\n", r, (long)lseek(fd, 0, SEEK_END));
    lseek(fd, 3, SEEK_SET);
    r = preadv2(fd, v, 1, -1, 0);
    printf("preadv2 at -1: %ld \"%.3s\", position now %ld\n", r, a, (long)lseek(fd, 0, SEEK_CUR));
    printf("preadv at -1: %s\n", err(preadv(fd, v, 1, -1)));
    printf("unknown flag: %s\n", err(preadv2(fd, v, 1, 0, 0x1000)));
    char all[16] = "";
    pread(fd, all, sizeof all - 1, 0);
    printf("file: %s\n", all);
    close(fd);
    unlink("rwf.txt");
    return 0;
}
