/*
 * efault - pins down that every system call taking a user pointer answers a bad one
 * with -EFAULT (or the documented other error) instead of crashing or touching memory.
 *
 * Bad pointers used: (void*)1 and 0x1000 (low, unmapped), a page that was mapped and then
 * munmap()ed, a PROT_NONE page, a read-only page (for calls that write to user memory),
 * a structure that straddles the end of a mapping, a kernel address 0xffff888000000000 and
 * a non-canonical address 0x8000000000000000.
 *
 * Facts recorded from Linux 6.18 (x86-64):
 *   write/read: -EFAULT; read() checks its buffer range before looking at the file, so a
 *     kernel-half buffer gives EFAULT without reading (stdin must be readable, e.g. /dev/null)
 *   write(fd, (void*)1, 0): 0, nothing is read; but write(fd, kernel address, 0): EFAULT
 *     (the range check on the address comes first, even for 0 bytes)
 *   writev: EFAULT for a bad iovec array or a bad iov_base; EINVAL for iovcnt < 0 or > 1024
 *     or a negative iov_len, 0 for iovcnt 0
 *   wait4: the child is reaped first, then storing status or rusage fails -> EFAULT, and
 *     the child is gone (a second wait4 gives ECHILD); with a bad rusage pointer the
 *     status has already been stored
 *   clock_gettime: EFAULT for bad timespec; EINVAL for a bad clock even with a bad pointer
 *   nanosleep: EFAULT for bad req; a bad rem is not touched unless interrupted -> 0;
 *     EINVAL for tv_nsec >= 1e9 or tv_sec < 0
 *   uname: EFAULT
 *   uname, clock_gettime, wait4 into a read-only page or a structure that runs into an
 *     unmapped page: EFAULT (the whole range must be writable)
 *   execve: EFAULT for a bad filename, also a string that runs into an unmapped page
 *   arch_prctl(ARCH_SET_FS, addr outside user space): EPERM
 */
#include "lib.h"

#define KERNEL_ADDR   ((void *)0xffff888000000000UL)
#define NONCANON_ADDR ((void *)0x8000000000000000UL)

struct bad {
    const char *name;
    void *addr;
};

static struct bad bads[7];
static int nbad;
static char *ro_page;      /* PROT_READ page */
static char *edge;         /* last 8 bytes of a mapping followed by an unmapped page */

static void add_bad(const char *name, void *addr)
{
    bads[nbad].name = name;
    bads[nbad].addr = addr;
    nbad++;
}

static void setup(void)
{
    add_bad("(void*)1", (void *)1);
    add_bad("0x1000", (void *)0x1000);
    char *gone = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = sys_mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro_page = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *two = sys_mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(gone) || mmap_failed(none) || mmap_failed(ro_page) || mmap_failed(two))
        fail("mmap");
    gone[0] = 1;
    if (sys_munmap(gone, PAGE_SIZE) != 0)
        fail("munmap");
    add_bad("munmapped page", gone);
    add_bad("PROT_NONE page", none);
    add_bad("kernel address", KERNEL_ADDR);
    add_bad("non-canonical", NONCANON_ADDR);
    ro_page[0] = 'r';
    if (sys_mprotect(ro_page, PAGE_SIZE, PROT_READ) != 0)
        fail("mprotect");
    if (sys_munmap(two + PAGE_SIZE, PAGE_SIZE) != 0)
        fail("munmap second page");
    edge = two + PAGE_SIZE - 8;
}

/* Prints e.g. "uname(kernel address): EFAULT"; call carries the opening part of the call. */
static void show(const char *call, const char *what, long r)
{
    say("%s%s): %s\n", call, what, errname(r));
}

static void test_write(void)
{
    for (int i = 0; i < nbad; i++)
        show("write(", bads[i].name, sys_write(1, bads[i].addr, 16));
    show("write(", "kernel address, count 0", sys_write(1, KERNEL_ADDR, 0));
    show("write(", "(void*)1, count 0", sys_write(1, (void *)1, 0));
}

static void test_read(void)
{
    /* Only addresses outside user space: Linux rejects them before reading the file. */
    show("read(", "kernel address", sys_read(0, KERNEL_ADDR, 16));
    show("read(", "non-canonical", sys_read(0, NONCANON_ADDR, 16));
}

static void test_writev(void)
{
    for (int i = 0; i < nbad; i++)
        show("writev(", bads[i].name, sys_writev(1, bads[i].addr, 1));
    struct iovec iov[2];
    for (int i = 0; i < nbad; i++) {
        iov[0].iov_base = bads[i].addr;
        iov[0].iov_len = 16;
        char what[64];
        format(what, sizeof what, "iov_base %s", bads[i].name);
        show("writev(", what, sys_writev(1, iov, 1));
    }
    /* an iovec array that straddles into an unmapped page */
    show("writev(", "iovec array straddling a mapping's end", sys_writev(1, (struct iovec *)edge, 1));
    iov[0].iov_base = "x";
    iov[0].iov_len = 0;
    show("writev(", "iovcnt 0", sys_writev(1, iov, 0));
    show("writev(", "iovcnt -1", sys_writev(1, iov, -1));
    show("writev(", "iovcnt 1025", sys_writev(1, iov, 1025));
    iov[0].iov_len = (size_t)-1;
    show("writev(", "iov_len -1", sys_writev(1, iov, 1));
}

static void test_wait4(void)
{
    for (int i = 0; i < nbad; i++) {
        long pid = must_fork();
        if (pid == 0)
            sys_exit(5);
        long r = sys_wait4(pid, bads[i].addr, 0, NULL);
        long again = sys_wait4(pid, NULL, WNOHANG, NULL);
        say("wait4(status %s): %s, child reaped anyway: %s\n", bads[i].name, errname(r),
            yesno(again == -ECHILD));
    }
    {
        long pid = must_fork();
        if (pid == 0)
            sys_exit(5);
        long r = sys_wait4(pid, (int *)ro_page, 0, NULL);
        long again = sys_wait4(pid, NULL, WNOHANG, NULL);
        say("wait4(status read-only page): %s, child reaped anyway: %s\n", errname(r),
            yesno(again == -ECHILD));
    }
    for (int i = 0; i < nbad; i++) {
        long pid = must_fork();
        if (pid == 0)
            sys_exit(6);
        int status = 0;
        long r = sys_wait4(pid, &status, 0, bads[i].addr);
        long again = sys_wait4(pid, NULL, WNOHANG, NULL);
        say("wait4(rusage %s): %s, status was stored: %s, child reaped anyway: %s\n", bads[i].name,
            errname(r), yesno(status == 0x600), yesno(again == -ECHILD));
    }
    long pid = must_fork();
    if (pid == 0)
        sys_exit(6);
    long r = sys_wait4(pid, NULL, 0, (struct rusage *)edge);
    say("wait4(rusage straddling a mapping's end): %s\n", errname(r));
    /* A good rusage pointer: success, the structure is written (contents vary: not printed). */
    pid = must_fork();
    if (pid == 0)
        sys_exit(6);
    static struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    r = sys_wait4(pid, NULL, 0, &ru);
    say("wait4(good rusage): pid matches: %s, rusage written: %s\n", yesno(r == pid),
        yesno(ru.ru_maxrss != -1 || ru.ru_nivcsw != -1));
}

static void test_clock_gettime(void)
{
    for (int i = 0; i < nbad; i++)
        show("clock_gettime(CLOCK_MONOTONIC, ", bads[i].name, sys_clock_gettime(CLOCK_MONOTONIC, bads[i].addr));
    show("clock_gettime(CLOCK_REALTIME, ", "read-only page", sys_clock_gettime(CLOCK_REALTIME, (void *)ro_page));
    show("clock_gettime(CLOCK_MONOTONIC, ", "straddling a mapping's end",
         sys_clock_gettime(CLOCK_MONOTONIC, (void *)edge));
    show("clock_gettime(clock 100, ", "(void*)1", sys_clock_gettime(100, (void *)1));
    struct timespec ts;
    show("clock_gettime(CLOCK_MONOTONIC, ", "good pointer", sys_clock_gettime(CLOCK_MONOTONIC, &ts));
}

static void test_nanosleep(void)
{
    for (int i = 0; i < nbad; i++)
        show("nanosleep(", bads[i].name, sys_nanosleep(bads[i].addr, NULL));
    show("nanosleep(", "straddling a mapping's end", sys_nanosleep((void *)edge, NULL));
    struct timespec ts = { 0, 1000 };
    show("nanosleep(1us, rem=", "(void*)1", sys_nanosleep(&ts, (void *)1));
    show("nanosleep(1us, rem=", "kernel address", sys_nanosleep(&ts, KERNEL_ADDR));
    ts.tv_nsec = 1000000000;
    show("nanosleep(", "tv_nsec = 1e9", sys_nanosleep(&ts, NULL));
    ts.tv_sec = -1;
    ts.tv_nsec = 0;
    show("nanosleep(", "tv_sec = -1", sys_nanosleep(&ts, NULL));
    ts.tv_sec = 0;
    ts.tv_nsec = -1;
    show("nanosleep(", "tv_nsec = -1", sys_nanosleep(&ts, NULL));
}

static void test_uname(void)
{
    for (int i = 0; i < nbad; i++)
        show("uname(", bads[i].name, sys_uname(bads[i].addr));
    show("uname(", "read-only page", sys_uname((void *)ro_page));
    show("uname(", "straddling a mapping's end", sys_uname((void *)edge));
}

static void test_execve(void)
{
    char *args[] = { "x", NULL };
    for (int i = 0; i < nbad; i++)
        show("execve(", bads[i].name, sys_execve(bads[i].addr, args, NULL));
    memset(edge, 'A', 8);       /* no NUL before the unmapped page */
    show("execve(", "string running into an unmapped page", sys_execve(edge, args, NULL));
}

static void test_arch_prctl(void)
{
    show("arch_prctl(ARCH_SET_FS, ", "kernel address", syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)KERNEL_ADDR));
    show("arch_prctl(ARCH_SET_FS, ", "non-canonical", syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)NONCANON_ADDR));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("efault: start\n");
    setup();
    test_write();
    test_read();
    test_writev();
    test_wait4();
    test_clock_gettime();
    test_nanosleep();
    test_uname();
    test_execve();
    test_arch_prctl();
    say("read-only page still intact: %s\n", yesno(ro_page[0] == 'r'));
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
