/*
 * fill_fs: fill the RAM filesystem until it refuses (MiniKernel only: natively this
 * would fill the host's disk). Writes fail with ENOSPC, never a panic; a file written
 * first survives intact; creating files on a full filesystem works or fails cleanly;
 * after everything is removed, as much fits again. Not a scenario: run by
 * Tests/QEMUTests/FullFilesystemTests.swift.
 */
#include "lib.h"
#include "fs.h"

static char chunk[65536];

static long fill(const char *name, long *written)
{
    long fd = sys_open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return fd;
    *written = 0;
    long r;
    for (;;) {
        r = sys_write(fd, chunk, sizeof chunk);
        if (r <= 0) break;
        *written += r;
    }
    sys_close(fd);
    return r;
}

int main(void)
{
    say("fill_fs: start\n");
    for (int i = 0; i < (int)sizeof chunk; i++) chunk[i] = (char)i;
    sys_mkdir("t_fill", 0755);
    long fd = sys_open("t_fill/precious", O_CREAT | O_WRONLY, 0644);
    sys_write(fd, "keep me\n", 8);
    sys_close(fd);

    long a = 0, b = 0;
    long r = fill("t_fill/big1", &a);
    say("first fill stops with %s after more than 64 MiB: %s\n", errname(r), yesno(a > (64L << 20)));
    r = fill("t_fill/big2", &b);
    say("a second file, until refused too: %s\n", errname(r));
    long made = 0, err = 0;
    for (int i = 0; i < 2000; i++) {
        char name[32];
        format(name, sizeof name, "t_fill/n%d", i);
        long f = sys_open(name, O_CREAT | O_WRONLY, 0644);
        if (f < 0) { err = f; break; }
        sys_close(f);
        made++;
    }
    say("2000 more empty files, or a clean refusal: %s\n", yesno(made == 2000 || err == -ENOSPC || err == -ENOMEM));
    char buf[16] = { 0 };
    fd = sys_open("t_fill/precious", O_RDONLY, 0);
    sys_read(fd, buf, sizeof buf - 1);
    sys_close(fd);
    say("the file written first is intact: %s\n", yesno(strcmp(buf, "keep me\n") == 0));
    for (long i = 0; i < made; i++) {
        char name[32];
        format(name, sizeof name, "t_fill/n%ld", i);
        sys_unlink(name);
    }
    sys_unlink("t_fill/big1");
    sys_unlink("t_fill/big2");
    long c = 0;
    fill("t_fill/big3", &c);
    say("after removing everything the first file's size fits again: %s\n", yesno(c >= a));
    sys_unlink("t_fill/big3");
    sys_unlink("t_fill/precious");
    sys_rmdir("t_fill");
    say("DONE\n");
    return 0;
}
