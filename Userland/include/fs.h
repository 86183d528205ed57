/*
 * fs.h - file, directory and pipe system calls for the scenarios (raw syscalls,
 * x86-64 numbers and flags, as the kernel ABI defines them).
 */
#ifndef MK_FS_H
#define MK_FS_H

#include "lib.h"

#define SYS_open        2
#define SYS_close       3
#define SYS_stat        4
#define SYS_fstat       5
#define SYS_lstat       6
#define SYS_poll        7
#define SYS_lseek       8
#define SYS_ioctl      16
#define SYS_pread64    17
#define SYS_pwrite64   18
#define SYS_readv      19
#define SYS_pipe       22
#define SYS_dup        32
#define SYS_dup2       33
#define SYS_fcntl      72
#define SYS_ftruncate  77
#define SYS_getcwd     79
#define SYS_chdir      80
#define SYS_fchdir     81
#define SYS_rename     82
#define SYS_mkdir      83
#define SYS_rmdir      84
#define SYS_link       86
#define SYS_unlink     87
#define SYS_symlink    88
#define SYS_readlink   89
#define SYS_umask      95
#define SYS_getdents64 217
#define SYS_openat     257
#define SYS_mkdirat    258
#define SYS_newfstatat 262
#define SYS_unlinkat   263
#define SYS_dup3       292
#define SYS_pipe2      293
#define SYS_prlimit64  302
#define SYS_close_range 436

#define ENXIO    6
#define ENODEV  19
#define EMFILE  24
#define ENOTTY  25
#define EFBIG   27
#define ENOSPC  28
#define ESPIPE  29
#define EPIPE   32
#define ERANGE  34
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP   40

#define O_RDONLY    0
#define O_WRONLY    1
#define O_RDWR      2
#define O_CREAT     0100
#define O_EXCL      0200
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define AT_FDCWD    -100
#define AT_REMOVEDIR 0x200
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define RLIMIT_NOFILE 7
#define POLLIN  1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLNVAL 32

struct kstat {                       /* x86-64 struct stat */
    unsigned long st_dev, st_ino, st_nlink;
    unsigned int st_mode, st_uid, st_gid, __pad0;
    unsigned long st_rdev;
    long st_size, st_blksize, st_blocks;
    unsigned long st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
    long __unused[3];
};
struct rlimit64 { unsigned long cur, max; };
struct pollfd { int fd; short events, revents; };

static inline long sys_open(const char *p, long flags, long mode) { return syscall3(SYS_open, (long)p, flags, mode); }
static inline long sys_close(long fd) { return syscall1(SYS_close, fd); }
static inline long sys_pipe(int fds[2]) { return syscall1(SYS_pipe, (long)fds); }
static inline long sys_pipe2(int fds[2], long flags) { return syscall2(SYS_pipe2, (long)fds, flags); }
static inline long sys_dup(long fd) { return syscall1(SYS_dup, fd); }
static inline long sys_dup2(long a, long b) { return syscall2(SYS_dup2, a, b); }
static inline long sys_fcntl(long fd, long cmd, long arg) { return syscall3(SYS_fcntl, fd, cmd, arg); }
static inline long sys_lseek(long fd, long off, long whence) { return syscall3(SYS_lseek, fd, off, whence); }
static inline long sys_fstat(long fd, struct kstat *st) { return syscall2(SYS_fstat, fd, (long)st); }
static inline long sys_stat(const char *p, struct kstat *st) { return syscall2(SYS_stat, (long)p, (long)st); }
static inline long sys_lstat(const char *p, struct kstat *st) { return syscall2(SYS_lstat, (long)p, (long)st); }
static inline long sys_mkdir(const char *p, long mode) { return syscall2(SYS_mkdir, (long)p, mode); }
static inline long sys_rmdir(const char *p) { return syscall1(SYS_rmdir, (long)p); }
static inline long sys_unlink(const char *p) { return syscall1(SYS_unlink, (long)p); }
static inline long sys_rename(const char *a, const char *b) { return syscall2(SYS_rename, (long)a, (long)b); }
static inline long sys_link(const char *a, const char *b) { return syscall2(SYS_link, (long)a, (long)b); }
static inline long sys_symlink(const char *a, const char *b) { return syscall2(SYS_symlink, (long)a, (long)b); }
static inline long sys_readlink(const char *p, char *buf, long n) { return syscall3(SYS_readlink, (long)p, (long)buf, n); }
static inline long sys_chdir(const char *p) { return syscall1(SYS_chdir, (long)p); }
static inline long sys_getcwd(char *buf, long n) { return syscall2(SYS_getcwd, (long)buf, n); }
static inline long sys_umask(long m) { return syscall1(SYS_umask, m); }
static inline long sys_ftruncate(long fd, long len) { return syscall2(SYS_ftruncate, fd, len); }
static inline long sys_pread(long fd, void *b, long n, long off) { return syscall4(SYS_pread64, fd, (long)b, n, off); }
static inline long sys_pwrite(long fd, const void *b, long n, long off) { return syscall4(SYS_pwrite64, fd, (long)b, n, off); }
static inline long sys_getdents64(long fd, void *b, long n) { return syscall3(SYS_getdents64, fd, (long)b, n); }
static inline long sys_poll(struct pollfd *p, long n, long ms) { return syscall3(SYS_poll, (long)p, n, ms); }
static inline long sys_prlimit(long pid, long res, const struct rlimit64 *n, struct rlimit64 *o)
{
    return syscall4(SYS_prlimit64, pid, res, (long)n, (long)o);
}


/* A file mapping's first view: the file's n bytes, then zeros up to len. */
static inline void say_mapping_shows_file(const char *p, const char *data, int n, int len)
{
    int zeros = 1;
    for (int i = n; i < len; i++) if (p[i] != 0) zeros = 0;
    say("the mapping shows the file: %s, zeros after its end: %s\n", yesno(memcmp(p, data, n) == 0), yesno(zeros));
}

#endif
