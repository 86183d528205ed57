/*
 * copy_file_range - an in-kernel copy between regular files (fs/read_write.c:
 * vfs_copy_file_range, generic_copy_file_checks), as CPython's os.copy_file_range and
 * shutil use it:
 *   - without offsets it reads and writes at the files' positions, which move on; with
 *     them, the offsets move and the positions stay; the copy stops at the end of the input;
 *   - within one file: fine apart, EINVAL when the ranges overlap;
 *   - flags: EINVAL; a directory EISDIR; a pipe EINVAL; an O_APPEND or read-only output,
 *     a write-only input: EBADF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }
static void show(const char *what, const char *path) {
    char buf[64] = "";
    int fd = open(path, O_RDONLY);
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s: %ld bytes \"%s\"\n", what, n, buf);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int in = open("cfr-in", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(in, "0123456789", 10);
    lseek(in, 0, SEEK_SET);
    int out = open("cfr-out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ssize_t r = copy_file_range(in, NULL, out, NULL, 5, 0);
    printf("5 bytes at the positions: %zd, positions now %ld and %ld\n", r, (long)lseek(in, 0, SEEK_CUR),
           (long)lseek(out, 0, SEEK_CUR));
    show("out", "cfr-out");
    off_t oi = 7, oo = 1;
    r = copy_file_range(in, &oi, out, &oo, 100, 0);
    printf("from 7 to 1, 100 asked: %zd, offsets now %lld and %lld, positions %ld and %ld\n", r, (long long)oi,
           (long long)oo, (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
    show("out", "cfr-out");
    oi = 10;
    r = copy_file_range(in, &oi, out, NULL, 4, 0);
    printf("at the end of the input: %zd\n", r);
    oi = 0; oo = 20;
    r = copy_file_range(in, &oi, in, &oo, 4, 0);
    printf("within one file, apart: %s\n", err(r));
    oi = 0; oo = 2;
    printf("within one file, overlapping: %s\n", err(copy_file_range(in, &oi, in, &oo, 4, 0)));
    printf("flags 1: %s\n", err(copy_file_range(in, NULL, out, NULL, 1, 1)));
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    printf("from a directory: %s\n", err(copy_file_range(dir, NULL, out, NULL, 1, 0)));
    int p[2];
    pipe(p);
    printf("to a pipe: %s\n", err(copy_file_range(in, NULL, p[1], NULL, 1, 0)));
    int app = open("cfr-out", O_WRONLY | O_APPEND);
    printf("to an O_APPEND file: %s\n", err(copy_file_range(in, NULL, app, NULL, 1, 0)));
    int ro = open("cfr-out", O_RDONLY);
    printf("to a read-only fd: %s\n", err(copy_file_range(in, NULL, ro, NULL, 1, 0)));
    int wo = open("cfr-in", O_WRONLY);
    printf("from a write-only fd: %s\n", err(copy_file_range(wo, NULL, out, NULL, 1, 0)));
    printf("closed fd: %s\n", err(copy_file_range(77, NULL, out, NULL, 1, 0)));
    unlink("cfr-in");
    unlink("cfr-out");
    return 0;
}
