/*
 * init_view - what pid 1 is given by the kernel, printed for the Linux-in-QEMU oracle
 * (Tests/QEMUTests/LinuxOracleTests.swift). Not a scenario: natively it is not pid 1, so only
 * Debian's kernel booted in the same QEMU can say what the right output is.
 *
 * Prints, one fact a line:
 *   - argv (from -append: the words after "--" and unknown bare words, next_arg's quotes)
 *   - envp (HOME=/ TERM=linux and the unknown name=value words)
 *   - pid, parent, process group and session; cwd; the umask
 *   - fds 0-3: file type, device numbers and permission bits (fstat), and the open flags
 *     (fcntl F_GETFL): Linux opens /dev/console O_RDWR for fd 0 and dups it to 1 and 2
 *   - "tty:" the console's answer to TCGETS (a terminal answers 0) and the termios it holds
 *     (the flags in octal and the control characters), the window size, and TIOCGPGRP and
 *     TIOCGSID, which fail with ENOTTY: /dev/console is nobody's controlling terminal
 *   - with the argument "dev": every /dev entry (sorted: type, mode, device numbers), a write
 *     to /dev/null and a read from /dev/zero -- the tests then put those nodes in the archive
 *
 * Then it exits with 16 * argc + envc, so the kernel's "Attempted to kill init!
 * exitcode=0x..." line also says how many words init got.
 */
#include "lib.h"
#include "fs.h"

#define SYS_getsid 124
#define TCGETS 0x5401

static const char *ftype(unsigned mode)
{
    switch (mode & 0170000) {
    case 0140000: return "sock";
    case 0120000: return "link";
    case 0100000: return "file";
    case 0060000: return "blk";
    case 0040000: return "dir";
    case 0020000: return "chr";
    case 0010000: return "fifo";
    }
    return "?";
}

static void describe(const char *what, long r, const struct kstat *st)
{
    if (r < 0) {
        say("%s: %s\n", what, errname(r));
        return;
    }
    say("%s: %s %o %u:%u\n", what, ftype(st->st_mode), st->st_mode & 07777,
        (unsigned)((st->st_rdev >> 8) & 0xfff), (unsigned)((st->st_rdev & 0xff) | ((st->st_rdev >> 12) & 0xfff00)));
}

static void list_dev(void)
{
    static char buf[8192];
    static char names[64][64];
    int n = 0;
    long fd = sys_open("/dev", O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) {
        say("/dev: %s\n", errname(fd));
        return;
    }
    for (;;) {
        long got = sys_getdents64(fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            const char *name = buf + off + 19;
            if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && n < 64 && strlen(name) < 64)
                strcpy(names[n++], name);
            off += reclen;
        }
    }
    sys_close(fd);
    for (int i = 1; i < n; i++)             /* insertion sort: getdents order is the fs's own */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[64];
            strcpy(t, names[j]); strcpy(names[j], names[j - 1]); strcpy(names[j - 1], t);
        }
    for (int i = 0; i < n; i++) {
        char path[80], what[80];
        struct kstat st;
        format(path, sizeof path, "/dev/%s", names[i]);
        format(what, sizeof what, "dev %s", path);
        describe(what, sys_lstat(path, &st), &st);
    }
    long null = sys_open("/dev/null", O_WRONLY, 0);
    say("write /dev/null: %s\n", null < 0 ? errname(null) : errname(sys_write(null, "abc", 3)));
    long zero = sys_open("/dev/zero", O_RDONLY, 0);
    unsigned char z[4] = {1, 1, 1, 1};
    long r = zero < 0 ? zero : sys_read(zero, z, sizeof z);
    say("read /dev/zero: %s, bytes %d %d %d %d\n", errname(r), z[0], z[1], z[2], z[3]);
}

int main(int argc, char **argv, char **envp)
{
    int envc = 0, dev = 0;
    say("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        say("argv[%d]=[%s]\n", i, argv[i]);
        if (strcmp(argv[i], "dev") == 0)
            dev = 1;
    }
    for (char **e = envp; *e; e++)
        say("envp[%d]=[%s]\n", envc++, *e);
    say("pid=%ld ppid=%ld pgid=%ld sid=%ld\n", sys_getpid(), sys_getppid(), sys_getpgid(0),
        syscall1(SYS_getsid, 0));
    char cwd[256];
    long r = sys_getcwd(cwd, sizeof cwd);
    say("cwd: %s\n", r < 0 ? errname(r) : cwd);
    long mask = sys_umask(022);
    say("umask: %lo\n", mask);
    for (int fd = 0; fd <= 3; fd++) {
        struct kstat st;
        char what[16];
        format(what, sizeof what, "fd %d", fd);
        describe(what, sys_fstat(fd, &st), &st);
        long fl = sys_fcntl(fd, 3 /* F_GETFL */, 0);
        if (fl >= 0)
            say("fd %d flags: %lx\n", fd, fl);
    }
    unsigned termios[16] = { 0 };
    r = syscall3(SYS_ioctl, 0, TCGETS, (long)termios);
    say("tty: TCGETS on fd 0: %s\n", errname(r));
    if (r == 0) {
        const unsigned char *cc = (const unsigned char *)&termios[4];
        say("tty: iflag %o oflag %o cflag %o lflag %o line %d\n", termios[0], termios[1], termios[2],
            termios[3], cc[0]);
        say("tty: cc");
        for (int i = 1; i <= 19; i++)
            say(" %d", cc[i]);
        say("\n");
    }
    unsigned short ws[4] = { 9, 9, 9, 9 };
    r = syscall3(SYS_ioctl, 0, 0x5413 /* TIOCGWINSZ */, (long)ws);
    say("tty: TIOCGWINSZ %s %d %d\n", errname(r), ws[0], ws[1]);
    int id = -7;
    r = syscall3(SYS_ioctl, 0, 0x540f /* TIOCGPGRP */, (long)&id);
    say("tty: TIOCGPGRP %s %d\n", errname(r), id);
    r = syscall3(SYS_ioctl, 0, 0x5429 /* TIOCGSID */, (long)&id);
    say("tty: TIOCGSID %s %d\n", errname(r), id);
    if (dev)
        list_dev();
    /* tcdrain(1): all of it sent before init exits and the kernel's panic lines come
     * (Linux's serial console sends a program's output later, by interrupt; see tcdrain.c). */
    syscall3(SYS_ioctl, 1, 0x5409 /* TCSBRK */, 1);
    return 16 * argc + envc;
}
