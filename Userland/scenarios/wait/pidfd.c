/*
 * pidfd - a file descriptor for a process (kernel/pid.c: pidfd_open; fs/pidfs.c: pidfd_poll;
 * kernel/signal.c: pidfd_send_signal, do_notify_pidfd; kernel/exit.c: waitid(P_PIDFD);
 * kernel/fork.c: CLONE_PIDFD).
 *
 *   - pidfd_open gives a close-on-exec descriptor; flags other than PIDFD_NONBLOCK and
 *     PIDFD_THREAD, and pid <= 0, are EINVAL; a pid nobody has is ESRCH; a thread that is not
 *     a group leader needs PIDFD_THREAD (ENOENT without); read and write are EINVAL
 *   - poll: nothing while the process runs; POLLIN once it has exited (a zombie), POLLIN |
 *     POLLHUP once it is reaped; a sleeping poll is woken by the exit; a leader that exited
 *     before its threads is not readable until the last thread has gone
 *   - waitid(P_PIDFD) waits for that child only; ECHILD for a pidfd that is not our child's,
 *     EBADF for a descriptor that is not a pidfd, EINVAL for a negative one; a PIDFD_NONBLOCK
 *     pidfd makes it EAGAIN instead of sleeping
 *   - pidfd_send_signal signals the process; signal 0 checks it; a zombie takes signals
 *     silently, a reaped process is ESRCH; unknown or combined flags, a bad signal number, a
 *     siginfo whose signo differs are EINVAL; forging an SI_USER siginfo for another process
 *     is EPERM, an SI_QUEUE one arrives with its value
 *   - clone(CLONE_PIDFD) stores the pidfd at parent_tid; with CLONE_PARENT_SETTID or
 *     CLONE_DETACHED it is EINVAL; a bad pointer is EFAULT and no child is made; with
 *     CLONE_THREAD it is a thread's pidfd, readable when that thread exits
 */
#include "fs.h"
#include "signals.h"
#include "thread.h"

#define SYS_pidfd_send_signal 424
#define SYS_pidfd_open        434
#define PIDFD_NONBLOCK  O_NONBLOCK
#define PIDFD_THREAD    O_EXCL
#define CLONE_DETACHED  0x00400000
#define SI_QUEUE_CODE   (-1)
#define POLLRDNORM      0x40

static long pidfd_open(long pid, long flags) { return syscall2(SYS_pidfd_open, pid, flags); }
static long pidfd_send(long fd, long sig, void *info, long flags)
{
    return syscall4(SYS_pidfd_send_signal, fd, sig, (long)info, flags);
}
static long raw_clone(unsigned long flags, int *parent_tid)
{
    return syscall5(SYS_clone, (long)flags, 0, (long)parent_tid, 0, 0);
}

/* poll(2) on one descriptor: the revents, or -errno. */
static long poll_one(long fd, long ms)
{
    struct pollfd p = { (int)fd, POLLIN, 0 };
    long r = sys_poll(&p, 1, ms);
    return r < 0 ? r : p.revents;
}

static const char *events(long r)
{
    static char buf[64];
    if (r < 0)
        return errname(r);
    if (r == 0)
        return "none";
    format(buf, sizeof buf, "%s%s%s%s", r & POLLIN ? "IN " : "", r & POLLRDNORM ? "RDNORM " : "",
           r & POLLHUP ? "HUP " : "", r & ~(POLLIN | POLLRDNORM | POLLHUP) ? "other " : "");
    buf[strlen(buf) - 1] = 0;
    return buf;
}

static volatile long *shared;     /* [0]: a child's go flag, [1]: a thread's */

static long sleeper(void)
{
    long pid = must_fork();
    if (pid == 0) {
        while (!shared[0])
            sys_sched_yield();
        sys_exit(3);
    }
    return pid;
}

static void opening(void)
{
    shared[0] = 0;
    long pid = sleeper();
    long fd = pidfd_open(pid, 0);
    say("pidfd_open(child): fd >= 3: %s, close-on-exec: %s, O_RDWR: %s, O_NONBLOCK: %s\n", yesno(fd >= 3),
        yesno(sys_fcntl(fd, F_GETFD, 0) == 1), yesno((sys_fcntl(fd, F_GETFL, 0) & 3) == O_RDWR),
        yesno(sys_fcntl(fd, F_GETFL, 0) & O_NONBLOCK));
    long nb = pidfd_open(pid, PIDFD_NONBLOCK);
    say("PIDFD_NONBLOCK: O_NONBLOCK: %s\n", yesno(sys_fcntl(nb, F_GETFL, 0) & O_NONBLOCK));
    char c;
    say("read: %s, write: %s\n", errname(sys_read(fd, &c, 1)), errname(sys_write(fd, "x", 1)));
    say("flags 1: %s, pid 0: %s, pid -1: %s, no such pid: %s\n", errname(pidfd_open(pid, 1)),
        errname(pidfd_open(0, 0)), errname(pidfd_open(-1, 0)), errname(pidfd_open(0x3fffffff, 0)));
    say("poll while it runs: %s\n", events(poll_one(fd, 0)));
    ksiginfo_t si;
    say("waitid(P_PIDFD) on the PIDFD_NONBLOCK pidfd, running: %s\n", errname(sys_waitid(P_PIDFD, nb, &si, WEXITED, NULL)));
    say("  with WNOHANG: %s\n", errname(sys_waitid(P_PIDFD, nb, &si, WEXITED | WNOHANG, NULL)));
    shared[0] = 1;
    say("a sleeping poll wakes at the exit: %s\n", events(poll_one(fd, -1)));
    say("poll on the zombie: %s\n", events(poll_one(fd, 0)));
    memset(&si, 0, sizeof si);
    long r = sys_waitid(P_PIDFD, fd, &si, WEXITED, NULL);
    say("waitid(P_PIDFD): %s, si_pid matches: %s, status %d\n", errname(r), yesno(si.si_pid == pid), si.si_status);
    say("poll once reaped: %s\n", events(poll_one(fd, 0)));
    say("waitid(P_PIDFD) again: %s, pidfd_send_signal(0): %s\n", errname(sys_waitid(P_PIDFD, fd, &si, WEXITED, NULL)),
        errname(pidfd_send(fd, 0, NULL, 0)));
    sys_close(fd);
    sys_close(nb);

    long self = pidfd_open(sys_getpid(), 0);
    int p[2];
    sys_pipe(p);
    say("waitid(P_PIDFD) of ourselves: %s, of a pipe: %s, of fd 99: %s, of -1: %s\n",
        errname(sys_waitid(P_PIDFD, self, &si, WEXITED, NULL)), errname(sys_waitid(P_PIDFD, p[0], &si, WEXITED, NULL)),
        errname(sys_waitid(P_PIDFD, 99, &si, WEXITED, NULL)), errname(sys_waitid(P_PIDFD, -1, &si, WEXITED, NULL)));
    say("pidfd_send_signal to a pipe: %s, to fd 99: %s\n", errname(pidfd_send(p[0], 0, NULL, 0)),
        errname(pidfd_send(99, 0, NULL, 0)));
    sys_close(p[0]);
    sys_close(p[1]);
    sys_close(self);
}

static volatile int info_seen_code, info_seen_value;

static void on_usr1(int sig, ksiginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    info_seen_code = si->si_code;
    info_seen_value = si->si_status;          /* si_value's int, at offset 24 */
}

static void signalling(void)
{
    shared[0] = 0;
    long pid = sleeper();
    long fd = pidfd_open(pid, 0);
    ksiginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR1;
    say("flags 8: %s, THREAD|THREAD_GROUP: %s, signal 65: %s, signal 0: %s\n", errname(pidfd_send(fd, SIGTERM, NULL, 8)),
        errname(pidfd_send(fd, SIGTERM, NULL, 3)), errname(pidfd_send(fd, 65, NULL, 0)), errname(pidfd_send(fd, 0, NULL, 0)));
    say("siginfo with another signo: %s, bad siginfo pointer: %s\n", errname(pidfd_send(fd, SIGTERM, &info, 0)),
        errname(pidfd_send(fd, SIGUSR1, (void *)1, 0)));
    info.si_code = 0;                         /* SI_USER: only the kernel may say that for others */
    say("forged SI_USER siginfo to a child: %s\n", errname(pidfd_send(fd, SIGUSR1, &info, 0)));
    say("SIGTERM: %s\n", errname(pidfd_send(fd, SIGTERM, NULL, 0)));
    ksiginfo_t si;
    memset(&si, 0, sizeof si);
    sys_waitid(P_PIDFD, fd, &si, WEXITED, NULL);
    say("child: %s by %s\n", si_codename(si.si_code), signame(si.si_status));
    say("after the reap: %s\n", errname(pidfd_send(fd, SIGTERM, NULL, 0)));
    sys_close(fd);

    /* A queued siginfo to ourselves, and an SI_QUEUE one to a child. */
    sig_handle_info(SIGUSR1, on_usr1, 0);
    long self = pidfd_open(sys_getpid(), 0);
    info.si_code = 0;
    info.si_status = 77;
    long r = pidfd_send(self, SIGUSR1, &info, 0);
    say("SI_USER siginfo to ourselves: %s, arrived with code %d and value %d\n", errname(r), info_seen_code,
        info_seen_value);
    sys_close(self);

    info_seen_code = 1;                       /* the child starts with this: the signal may come first */
    long qpid = must_fork();
    if (qpid == 0) {
        while (info_seen_code == 1)
            sys_sched_yield();
        sys_exit(info_seen_code == SI_QUEUE_CODE && info_seen_value == 42 ? 0 : 1);
    }
    fd = pidfd_open(qpid, 0);
    info.si_code = SI_QUEUE_CODE;
    info.si_status = 42;
    info.si_pid = sys_getpid();
    say("SI_QUEUE siginfo to a child: %s", errname(pidfd_send(fd, SIGUSR1, &info, 0)));
    memset(&si, 0, sizeof si);
    sys_waitid(P_PIDFD, fd, &si, WEXITED, NULL);
    say(", it saw code and value: %s\n", yesno(si.si_code == CLD_EXITED && si.si_status == 0));
    sys_close(fd);
    sig_default(SIGUSR1);

    /* A zombie takes signals silently. */
    long zpid = must_fork();
    if (zpid == 0)
        sys_exit(4);
    fd = pidfd_open(zpid, 0);
    poll_one(fd, -1);
    r = pidfd_send(fd, SIGKILL, NULL, 0);
    say("signal to a zombie: %s; it still exits with %d\n", errname(r), WEXITSTATUS(wait_for(zpid)));
    sys_close(fd);
}

/* A child whose leader exits first: the pidfd waits for the last thread. */
static volatile int leader_tid_word;

static int last_thread(void *arg)
{
    (void)arg;
    int v;
    while ((v = leader_tid_word) != 0)        /* cleared by the kernel when the leader exits */
        futex(&leader_tid_word, FUTEX_WAIT, v, NULL);
    shared[1] = 1;                            /* tell the parent: the leader is gone */
    while (!shared[0])
        sys_sched_yield();
    return 0;
}

static void leader_first(void)
{
    shared[0] = shared[1] = 0;
    long pid = must_fork();
    if (pid == 0) {
        leader_tid_word = (int)sys_gettid();
        syscall1(SYS_set_tid_address, (long)&leader_tid_word);
        struct thread t;
        if (thread_create(&t, last_thread, NULL) < 0)
            fail("thread_create");
        sys_exit(0);                          /* the leader alone */
    }
    long fd = pidfd_open(pid, 0);
    while (!shared[1])
        sys_sched_yield();
    say("leader exited, a thread lives: poll %s\n", events(poll_one(fd, 0)));
    shared[0] = 1;
    say("last thread gone: poll %s\n", events(poll_one(fd, -1)));
    say("status %d\n", WEXITSTATUS(wait_for(pid)));
    sys_close(fd);
}

static int short_thread(void *arg)
{
    (void)arg;
    while (!shared[1])
        sys_sched_yield();
    return 0;
}

static void clone_pidfd(void)
{
    int pfd = -1;
    shared[0] = 0;
    long pid = raw_clone(CLONE_PIDFD | SIGCHLD, &pfd);
    if (pid == 0) {
        while (!shared[0])
            sys_sched_yield();
        sys_exit(5);
    }
    say("clone(CLONE_PIDFD): pidfd >= 3: %s, close-on-exec: %s, poll: %s\n", yesno(pfd >= 3),
        yesno(sys_fcntl(pfd, F_GETFD, 0) == 1), events(poll_one(pfd, 0)));
    shared[0] = 1;
    ksiginfo_t si;
    memset(&si, 0, sizeof si);
    sys_waitid(P_PIDFD, pfd, &si, WEXITED, NULL);
    say("waitid on it: si_pid matches: %s, status %d\n", yesno(si.si_pid == pid), si.si_status);
    sys_close(pfd);

    say("CLONE_PIDFD|CLONE_PARENT_SETTID: %s, CLONE_PIDFD|CLONE_DETACHED: %s\n",
        errname(raw_clone(CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, &pfd)),
        errname(raw_clone(CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, &pfd)));
    long r = raw_clone(CLONE_PIDFD | SIGCHLD, (int *)1);
    if (r == 0)
        sys_exit(0);
    say("CLONE_PIDFD to a bad address: %s, no child made: %s\n", errname(r),
        errname(sys_wait4(-1, NULL, WNOHANG, NULL)));

    /* A thread's pidfd. */
    shared[1] = 0;
    struct thread t;
    long tid = thread_create_flags(&t, (THREAD_FLAGS & ~CLONE_PARENT_SETTID) | CLONE_PIDFD, short_thread, NULL);
    int tfd = t.tid;                          /* CLONE_PIDFD wrote the pidfd where the tid would go */
    say("CLONE_PIDFD|CLONE_THREAD: %s, pidfd >= 3: %s, poll: %s\n", yesno(tid > 0), yesno(tfd >= 3),
        events(poll_one(tfd, 0)));
    long tfd2 = pidfd_open(tid, PIDFD_THREAD);
    say("pidfd_open of the thread: %s, with PIDFD_THREAD: fd >= 3: %s\n", errname(pidfd_open(tid, 0)),
        yesno(tfd2 >= 3));
    shared[1] = 1;
    /* Woken while the thread is dead but maybe not yet released: HUP may or may not be there yet. */
    say("the thread exits: readable: %s\n", yesno(poll_one(tfd, -1) & POLLIN));
    thread_join(&t);
    /* The join returns at clear_child_tid, before the thread is released: wait for the hang-up. */
    while (!(poll_one(tfd, 0) & POLLHUP))
        sys_sched_yield();
    say("once released: %s, on the PIDFD_THREAD one: %s\n", events(poll_one(tfd, 0)), events(poll_one(tfd2, 0)));
    sys_close(tfd);
    sys_close(tfd2);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("pidfd: start\n");
    signals_reset();
    shared = shared_page();
    opening();
    signalling();
    leader_first();
    clone_pidfd();
    say("DONE\n");
    return 0;
}
