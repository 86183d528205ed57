/*
 * sched_policy - the scheduling-policy calls, getresuid/getresgid and posix_fadvise, as
 * CPython's test_posix uses them (kernel/sched/syscalls.c, kernel/sys.c, mm/fadvise.c).
 *
 *   - a new process is SCHED_OTHER with priority 0; SCHED_BATCH and SCHED_IDLE can be set
 *     and read back, with priority 0 only (EINVAL otherwise); an unknown policy is EINVAL,
 *     a negative pid EINVAL, a missing process ESRCH;
 *   - SCHED_RESET_ON_FORK is reported back, and a child forked with it starts SCHED_OTHER;
 *   - the priority ranges: 1..99 for SCHED_FIFO and SCHED_RR, 0..0 for the others;
 *   - sched_rr_get_interval answers for a fair task (under a second);
 *   - getresuid/getresgid: root's ids;
 *   - posix_fadvise: 0 on a file, ESPIPE on a pipe, EINVAL for an unknown advice or a
 *     negative length, EBADF for a closed descriptor.
 * (SCHED_FIFO itself is left out: Linux lets root have it, MiniKernel has no real-time
 * class and answers EPERM; docs/interfaces.md says so.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(int r) { return r >= 0 ? "ok" : strerrorname_np(errno); }
static const char *adv(int r) { return r == 0 ? "0" : strerrorname_np(r); }

/* Each call made before its line is printed: C leaves the order of arguments open. */
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sched_param p = { 0 };
    int pol = sched_getscheduler(0);
    const char *e = err(sched_getparam(0, &p));
    printf("policy %d, getparam %s prio %d\n", pol, e, p.sched_priority);
    int policies[] = { SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 4, 7, 8 };
    for (unsigned i = 0; i < sizeof policies / sizeof *policies; i++) {
        int mx = sched_get_priority_max(policies[i]);
        printf("policy %d: max %d%s", policies[i], mx, mx < 0 ? strerrorname_np(errno) : "");
        int mn = sched_get_priority_min(policies[i]);
        printf(", min %d%s\n", mn, mn < 0 ? strerrorname_np(errno) : "");
    }
    e = err(sched_setscheduler(0, SCHED_BATCH, &p));
    printf("set BATCH: %s, now %d\n", e, sched_getscheduler(0));
    p.sched_priority = 1;
    printf("set BATCH prio 1: %s\n", err(sched_setscheduler(0, SCHED_BATCH, &p)));
    printf("setparam prio 1: %s\n", err(sched_setparam(0, &p)));
    p.sched_priority = 0;
    e = err(sched_setparam(0, &p));
    printf("setparam prio 0: %s, policy still %d\n", e, sched_getscheduler(0));
    printf("set policy 4: %s\n", err(sched_setscheduler(0, 4, &p)));
    printf("set pid -1: %s\n", err(sched_setscheduler(-1, SCHED_OTHER, &p)));
    printf("get pid 99999999: %s\n", err(sched_getscheduler(99999999)));
    e = err(sched_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &p));
    printf("set IDLE|RESET_ON_FORK: %s, now %#x\n", e, sched_getscheduler(0));
    pid_t c = fork();
    if (c == 0) { printf("child: policy %d\n", sched_getscheduler(0)); _exit(0); }
    waitpid(c, NULL, 0);
    e = err(sched_setscheduler(0, SCHED_OTHER, &p));
    printf("back to OTHER: %s, now %d\n", e, sched_getscheduler(0));
    struct timespec ts = { -1, -1 };
    e = err(sched_rr_get_interval(0, &ts));
    printf("rr_get_interval: %s, under a second %s\n", e, ts.tv_sec == 0 && ts.tv_nsec >= 0 ? "yes" : "no");
    uid_t r = 7, ef = 7, sv = 7;
    gid_t gr = 7, ge = 7, gs = 7;
    e = err(getresuid(&r, &ef, &sv));
    printf("getresuid: %s %u %u %u\n", e, r, ef, sv);
    e = err(getresgid(&gr, &ge, &gs));
    printf("getresgid: %s %u %u %u\n", e, gr, ge, gs);
    int n = -1;
    e = err(syscall(SYS_getgroups, n, NULL));
    printf("getgroups(-1): %s\n", e);
    int fd = open("fadvise.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "data", 4);
    int pfd[2];
    pipe(pfd);
    printf("fadvise file: %s\n", adv(posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)));
    printf("fadvise pipe: %s\n", adv(posix_fadvise(pfd[0], 0, 0, POSIX_FADV_NORMAL)));
    printf("fadvise advice 9: %s\n", adv(posix_fadvise(fd, 0, 0, 9)));
    printf("fadvise len -1: %s\n", adv(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL)));
    printf("fadvise closed fd: %s\n", adv(posix_fadvise(77, 0, 0, POSIX_FADV_NORMAL)));
    close(fd);
    unlink("fadvise.txt");
    return 0;
}
