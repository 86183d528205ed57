/*
 * file_errors: bad input to the file system calls is answered as Linux
 * answers it — EBADF, EFAULT, EMFILE at RLIMIT_NOFILE, ENOENT, EEXIST,
 * ENOTDIR, EISDIR, ENOTEMPTY, ESPIPE, ELOOP, ENAMETOOLONG, EINVAL — and a
 * failed call leaves nothing behind. Works in a directory of its own
 * (t_errors, removed at the end).
 */
#include "lib.h"
#include "fs.h"

#define BAD ((void *)8)
#define KERNEL_ADDR ((void *)0xffff888000000000UL)

static void check(const char *what, long r) { say("%s: %s\n", what, errname(r)); }

int main(void)
{
    say("file_errors: start\n");
    char buf[64];
    struct kstat st;
    int fds[2];

    sys_close(999);                  /* natively the test runner may leave descriptors open */
    check("mkdir t_errors", sys_mkdir("t_errors", 0755));
    check("chdir t_errors", sys_chdir("t_errors"));

    /* EBADF */
    check("read(-1)", sys_read(-1, buf, 1));
    check("write(999)", sys_write(999, buf, 1));
    check("close(999)", sys_close(999));
    check("dup(999)", sys_dup(999));
    check("dup2(999, 5)", sys_dup2(999, 5));
    check("fstat(999)", sys_fstat(999, &st));
    check("lseek(999)", sys_lseek(999, 0, SEEK_SET));
    check("fcntl(999, F_GETFD)", sys_fcntl(999, F_GETFD, 0));
    long fd = sys_open("f", O_CREAT | O_WRONLY, 0644);
    check("open f for writing", fd < 0 ? fd : 0);
    check("read from a write-only fd", sys_read(fd, buf, 1));
    sys_close(fd);
    fd = sys_open("f", O_RDONLY, 0);
    check("write to a read-only fd", sys_write(fd, "x", 1));

    /* EFAULT */
    check("open(bad pointer)", sys_open(BAD, O_RDONLY, 0));
    check("read into a kernel address", sys_read(fd, KERNEL_ADDR, 1));
    check("write from a bad pointer", sys_write(sys_open("g", O_CREAT | O_RDWR, 0644), BAD, 1));
    check("stat into a bad buffer", sys_stat("f", BAD));
    check("pipe(bad pointer)", syscall1(SYS_pipe, (long)BAD));
    check("mkdir(bad pointer)", sys_mkdir(BAD, 0755));
    check("getcwd(bad pointer)", sys_getcwd(BAD, 4096));
    sys_close(fd);

    /* ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY */
    check("open missing", sys_open("missing", O_RDONLY, 0));
    check("open missing/x", sys_open("missing/x", O_RDONLY, 0));
    check("open \"\"", sys_open("", O_RDONLY, 0));
    check("creat in a missing dir", sys_open("missing/x", O_CREAT | O_WRONLY, 0644));
    check("open f/x (f is a file)", sys_open("f/x", O_RDONLY, 0));
    check("open f/ (trailing slash)", sys_open("f/", O_RDONLY, 0));
    check("open f with O_DIRECTORY", sys_open("f", O_RDONLY | O_DIRECTORY, 0));
    check("mkdir f/d", sys_mkdir("f/d", 0755));
    check("chdir f", sys_chdir("f"));
    check("mkdir d", sys_mkdir("d", 0755));
    check("open d for writing", sys_open("d", O_WRONLY, 0));
    check("open d with O_CREAT", sys_open("d", O_CREAT | O_RDWR, 0644));
    check("unlink d", sys_unlink("d"));
    check("read a directory", ({ long dfd = sys_open("d", O_RDONLY, 0); long r = sys_read(dfd, buf, 8); sys_close(dfd); r; }));
    check("mkdir d again", sys_mkdir("d", 0755));
    check("creat f with O_EXCL", sys_open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
    check("mkdir . ", sys_mkdir(".", 0755));
    check("rmdir f", sys_rmdir("f"));
    check("rmdir .", sys_rmdir("."));
    check("rmdir missing", sys_rmdir("missing"));
    sys_close(sys_open("d/inner", O_CREAT | O_WRONLY, 0644));
    check("rmdir d (not empty)", sys_rmdir("d"));
    check("rename d to f (file)", sys_rename("d", "f"));
    check("rename f to d (dir)", sys_rename("f", "d"));
    check("rename d into itself", sys_rename("d", "d/sub"));
    check("link d (a directory)", sys_link("d", "dlink"));
    check("link f to an existing name", sys_link("f", "g"));
    check("readlink f (not a link)", sys_readlink("f", buf, sizeof buf));
    check("getdents64 on a file", ({ long r; fd = sys_open("f", O_RDONLY, 0); r = sys_getdents64(fd, buf, sizeof buf); sys_close(fd); r; }));
    check("getdents64 with a tiny buffer", ({ long r; fd = sys_open("d", O_RDONLY, 0); r = sys_getdents64(fd, buf, 8); sys_close(fd); r; }));

    /* ELOOP, ENAMETOOLONG */
    sys_symlink("loop2", "loop1");
    sys_symlink("loop1", "loop2");
    check("open a symlink loop", sys_open("loop1", O_RDONLY, 0));
    check("stat a symlink loop", sys_stat("loop1", &st));
    check("lstat a symlink loop", sys_lstat("loop1", &st));
    check("open a link with O_NOFOLLOW", sys_open("loop1", O_RDONLY | O_NOFOLLOW, 0));
    char longname[300];
    memset(longname, 'a', 299);
    longname[299] = 0;
    check("open a 299-byte name", sys_open(longname, O_RDONLY, 0));
    check("mkdir a 299-byte name", sys_mkdir(longname, 0755));

    /* ESPIPE, EINVAL */
    sys_pipe(fds);
    check("lseek on a pipe", sys_lseek(fds[0], 0, SEEK_SET));
    check("pread on a pipe", sys_pread(fds[0], buf, 1, 0));
    check("pwrite on a pipe", sys_pwrite(fds[1], buf, 1, 0));
    check("pipe2 with a bad flag", sys_pipe2(fds, 1));
    check("dup3 with a bad flag", syscall3(SYS_dup3, fds[0], 20, 1));
    check("dup3 onto itself", syscall3(SYS_dup3, fds[0], fds[0], 0));
    check("lseek whence 99", sys_lseek(sys_open("f", O_RDONLY, 0), 0, 99));
    check("lseek before 0", sys_lseek(sys_open("f", O_RDONLY, 0), -1, SEEK_SET));
    check("ftruncate a read-only fd", sys_ftruncate(sys_open("f", O_RDONLY, 0), 0));
    check("ftruncate -1", sys_ftruncate(sys_open("f", O_RDWR, 0), -1));
    check("unlinkat with a bad flag", syscall3(SYS_unlinkat, AT_FDCWD, (long)"f", 1));
    check("getcwd into 1 byte", sys_getcwd(buf, 1));
    check("ioctl TCGETS on a pipe", syscall3(SYS_ioctl, fds[0], 0x5401, (long)buf));
    check("ioctl TCGETS on a file", syscall3(SYS_ioctl, sys_open("f", O_RDONLY, 0), 0x5401, (long)buf));
    check("close_range 5..3", syscall3(SYS_close_range, 5, 3, 0));

    /* EMFILE at RLIMIT_NOFILE, and descriptors come back when closed */
    struct rlimit64 lim = { 16, 16 }, old;
    check("prlimit64(NOFILE, 16)", sys_prlimit(0, RLIMIT_NOFILE, &lim, &old));
    long last = 0, n = 0;
    for (;;) {
        long r = sys_open("f", O_RDONLY, 0);
        if (r < 0) { check("open past the limit", r); break; }
        last = r;
        n++;
    }
    say("highest descriptor opened: %ld\n", last);
    check("dup past the limit", sys_dup(0));
    check("dup2 to 16 (the limit)", sys_dup2(0, 16));
    check("fcntl F_DUPFD at 16", sys_fcntl(0, F_DUPFD, 16));
    check("pipe at the limit", sys_pipe(fds));
    check("close_range(3, ~0)", syscall3(SYS_close_range, 3, ~0U, 0));
    check("open after closing", sys_open("f", O_RDONLY, 0) == 3 ? 0 : -1);
    sys_close(3);

    /* Clean up. */
    sys_unlink("loop1");
    sys_unlink("loop2");
    sys_unlink("d/inner");
    sys_rmdir("d");
    sys_unlink("f");
    sys_unlink("g");
    check("chdir ..", sys_chdir(".."));
    check("rmdir t_errors", sys_rmdir("t_errors"));
    say("DONE\n");
    return 0;
}
