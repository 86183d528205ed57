/*
 * pipe_exit: pipes and the exit path (Linux fs/pipe.c, kernel/exit.c).
 *  1. A writer that exits without closing: exit_files() closes its end, and
 *     the reader, asleep in read(), wakes with what was written, then EOF.
 *  2. A reader that exits: the next write raises SIGPIPE (default action:
 *     death by signal 13), or fails with EPIPE when SIGPIPE is ignored.
 *  3. CLONE_FILES: a child sharing the descriptor table exits; the write end
 *     it shared stays open (no EOF) until the last user of the table closes it.
 *     A thread (CLONE_THREAD|CLONE_FILES) that closes a descriptor closes it
 *     for the whole process.
 *  4. 64 KiB of capacity, O_NONBLOCK, blocking writes completed by a reader,
 *     PIPE_BUF-sized writes never interleaved, poll() readiness and POLLHUP.
 */
#include "lib.h"
#include "fs.h"
#include "signals.h"
#include "thread.h"

static void msleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    sys_nanosleep(&ts, 0);
}

static struct thread th;
static int shared_fd;
static int close_in_thread(void *arg)
{
    (void)arg;
    return (int)sys_close(shared_fd);
}

int main(void)
{
    say("pipe_exit: start\n");
    int p[2];
    char buf[256];

    /* 1. The writer exits; the reader sees its bytes, then EOF. */
    sys_pipe(p);
    long pid = must_fork();
    if (pid == 0) {
        sys_close(p[0]);
        msleep(50);                  /* the parent is asleep in read() by now */
        sys_write(p[1], "from the child\n", 15);
        sys_exit(0);                 /* no close(): exit_files() does it */
    }
    sys_close(p[1]);
    long n = sys_read(p[0], buf, sizeof buf);
    if (n > 0) buf[n] = 0;
    say("read %ld bytes: %s", n, n > 0 ? buf : "\n");
    say("next read after the writer exited: %s\n", errname(sys_read(p[0], buf, sizeof buf)));
    wait_for(pid);
    sys_close(p[0]);

    /* 2. The reader exits; the writer gets SIGPIPE, or EPIPE. */
    sys_pipe(p);
    pid = must_fork();
    if (pid == 0) { sys_close(p[1]); sys_exit(0); }
    wait_for(pid);
    sys_close(p[0]);
    long w = must_fork();
    if (w == 0) {
        sys_write(p[1], "x", 1);
        say("the writer survived SIGPIPE: no\n");
        sys_exit(1);
    }
    int status = wait_for(w);
    say("writer with no reader: %s, signal %d\n", WIFSIGNALED(status) ? "killed" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    sig_ignore(SIGPIPE);
    say("write with SIGPIPE ignored: %s\n", errname(sys_write(p[1], "x", 1)));
    sig_default(SIGPIPE);
    sys_close(p[1]);

    /* 3. CLONE_FILES: the shared table keeps the write end open until its last user. */
    sys_pipe2(p, O_NONBLOCK);
    pid = syscall5(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        sys_write(p[1], "shared\n", 7);
        sys_exit(0);
    }
    wait_for(pid);
    n = sys_read(p[0], buf, sizeof buf);
    say("after the CLONE_FILES child exited: read %ld bytes\n", n);
    say("then, write end still open in the shared table: %s\n", errname(sys_read(p[0], buf, sizeof buf)));
    sys_close(p[1]);
    say("after the last user closed it: %s\n", errname(sys_read(p[0], buf, sizeof buf)));
    sys_close(p[0]);

    sys_pipe(p);
    shared_fd = p[1];
    long tid = thread_create(&th, close_in_thread, 0);
    if (tid < 0) fail("thread_create");
    thread_join(&th);
    say("a thread closed the write end for the process: F_GETFD %s, read %s\n",
        errname(sys_fcntl(p[1], F_GETFD, 0)), errname(sys_read(p[0], buf, sizeof buf)));
    sys_close(p[0]);

    /* 4. Capacity, non-blocking, blocking, atomic writes, poll. */
    sys_pipe2(p, O_NONBLOCK);
    long total = 0;
    for (;;) {
        long r = sys_write(p[1], buf, 1);
        if (r < 0) { say("filling one byte at a time ends with %s\n", errname(r)); break; }
        total += r;
    }
    say("capacity: %ld bytes\n", total);
    struct pollfd pf[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
    long pr = sys_poll(pf, 2, 0);
    say("poll on a full pipe: %ld, read end %s, write end %s\n", pr,
        yesno(pf[0].revents & POLLIN), yesno(pf[1].revents & POLLOUT));
    sys_close(p[0]);
    sys_close(p[1]);

    sys_pipe(p);
    pid = must_fork();
    if (pid == 0) {
        static char big[100000];
        sys_close(p[0]);
        for (int i = 0; i < (int)sizeof big; i++) big[i] = (char)('a' + i % 26);
        long r = sys_write(p[1], big, sizeof big);   /* blocks until the parent has read enough */
        sys_exit(r == (long)sizeof big ? 0 : 1);
    }
    sys_close(p[1]);
    msleep(50);
    long got = 0, rr, bad = 0;
    while ((rr = sys_read(p[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < rr; i++) if (buf[i] != (char)('a' + (got + i) % 26)) bad++;
        got += rr;
    }
    status = wait_for(pid);
    say("a 100000-byte write through the pipe: writer exit %d, read %ld bytes, %ld out of order, then %s\n",
        WEXITSTATUS(status), got, bad, errname(rr));
    sys_close(p[0]);

    sys_pipe(p);
    long writers[4];
    for (int k = 0; k < 4; k++) {
        writers[k] = must_fork();
        if (writers[k] == 0) {
            static char rec[4096];
            sys_close(p[0]);
            memset(rec, 'A' + k, sizeof rec);
            for (int j = 0; j < 8; j++) sys_write(p[1], rec, sizeof rec);
            sys_exit(0);
        }
    }
    sys_close(p[1]);
    static char all[4 * 8 * 4096];
    long have = 0;
    while ((rr = sys_read(p[0], all + have, sizeof all - have)) > 0) have += rr;
    long mixed = 0;
    for (long r0 = 0; r0 < have; r0 += 4096)
        for (long i = 1; i < 4096; i++) if (all[r0 + i] != all[r0]) { mixed++; break; }
    for (int k = 0; k < 4; k++) wait_for(writers[k]);
    say("4 writers x 8 records of PIPE_BUF bytes: %ld bytes, %ld records interleaved\n", have, mixed);
    sys_close(p[0]);

    sys_pipe(p);
    struct pollfd q = { p[0], POLLIN, 0 };
    say("poll on an empty pipe: %ld\n", sys_poll(&q, 1, 0));
    sys_write(p[1], "z", 1);
    pr = sys_poll(&q, 1, 0);
    say("after a write: %ld, POLLIN %s\n", pr, yesno(q.revents & POLLIN));
    sys_read(p[0], buf, 1);
    sys_close(p[1]);
    pr = sys_poll(&q, 1, 100);
    say("after the writer closed: %ld, POLLHUP %s\n", pr, yesno(q.revents & POLLHUP));
    sys_close(99);
    q.fd = 99;
    pr = sys_poll(&q, 1, 0);
    say("poll on a closed fd: %ld, POLLNVAL %s\n", pr, yesno(q.revents & POLLNVAL));
    sys_close(p[0]);
    say("DONE\n");
    return 0;
}
