/*
 * tty_ctl - the terminal's rules that need no typing, for the Linux-in-QEMU oracle
 * (Tests/QEMUTests/LinuxOracleTests.swift): run as init on /dev/console, with /dev/ttyS0,
 * /dev/tty and /dev/null in the archive. Natively there is no serial console to test, so
 * only Debian's kernel booted the same way can say what the right output is.
 *
 * Init (pid 1, no session leader, no controlling terminal) checks the ioctls' errors: bad
 * pointers (EFAULT), files that are not terminals (ENOTTY), requests that need a controlling
 * terminal, bad arguments, the driver's TIOCGSERIAL, VMIN/VTIME and O_NONBLOCK reads with no
 * input. A child then makes a session and takes ttyS0 by opening it, and walks through job
 * control: a background reader and a TOSTOP writer stop (SIGTTIN, SIGTTOU) — but not through
 * /dev/console, which is no job-control terminal —, an ignored SIGTTIN
 * makes the read fail with EIO, a blocked SIGTTOU lets TCSETS through, an orphaned group gets
 * EIO; TIOCSWINSZ signals SIGWINCH; TIOCSPGRP's checks; TIOCNOTTY sends the foreground group
 * SIGHUP and SIGCONT; TIOCVHANGUP hangs the line up (read 0, write EIO) but not /dev/console;
 * and at last the session leader exits holding the terminal: disassociate_ctty() hangs the
 * session up and its foreground group gets SIGHUP. Nothing prints a pid (Linux's numbers
 * differ: its kernel threads take some); every line is one fact.
 */
#include "lib.h"
#include "fs.h"
#include "signals.h"

#define O_RDWR 2
#define O_NOCTTY 0400
#define O_NONBLOCK 04000
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSBRK 0x5409
#define TCXONC 0x540a
#define TCFLSH 0x540b
#define TIOCSCTTY 0x540e
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define TIOCOUTQ 0x5411
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541b
#define TIOCGSERIAL 0x541e
#define TIOCNOTTY 0x5422
#define TIOCGETD 0x5424
#define TIOCGSID 0x5429
#define TIOCVHANGUP 0x5437
#define ICANON 02
#define ECHO 010
#define TOSTOP 0400

struct kterm { unsigned iflag, oflag, cflag, lflag; unsigned char line, cc[19]; };

static long io(long fd, long cmd, void *arg) { return syscall3(SYS_ioctl, fd, cmd, (long)arg); }
static long getpid(void) { return syscall0(SYS_getpid); }
static long getppid(void) { return syscall0(SYS_getppid); }

static void status(const char *what, int st)
{
    if ((st & 0xff) == 0x7f)
        say("%s: stopped by %s\n", what, signame((st >> 8) & 0xff));
    else if (st & 0x7f)
        say("%s: killed by %s\n", what, signame(st & 0x7f));
    else
        say("%s: exited %d\n", what, (st >> 8) & 0xff);
}

/* A child in a process group of its own, background on the terminal `tty`. */
static long background(void)
{
    long pid = must_fork();
    if (pid == 0)
        sys_setpgid(0, 0);
    else
        sys_setpgid(pid, pid);
    return pid;
}

static void set_lflag(long tty, unsigned on, unsigned off)
{
    struct kterm t;
    io(tty, TCGETS, &t);
    t.lflag = (t.lflag | on) & ~off;
    io(tty, TCSETS, &t);
}

/* tcdrain(1): Linux's serial driver sends output from a buffer, and a hangup throws away what
 * it still holds (tty_ldisc_hangup): everything said so far must be out first. */
static void drain(void) { syscall3(SYS_ioctl, 1, TCSBRK, 1); }

static volatile int winches, hups;
static void on_winch(int sig) { (void)sig; winches++; }
static void on_hup(int sig) { (void)sig; hups++; }

static void init_checks(void)
{
    long t = sys_open("/dev/ttyS0", O_RDWR | O_NOCTTY, 0);
    say("open /dev/ttyS0 O_NOCTTY: %s\n", t >= 0 ? "ok" : errname(t));
    int id = -7;
    say("TIOCGPGRP, not our terminal: %s\n", errname(io(t, TIOCGPGRP, &id)));
    say("TIOCGSID, not our terminal: %s\n", errname(io(t, TIOCGSID, &id)));
    say("TIOCNOTTY, not our terminal: %s\n", errname(io(t, TIOCNOTTY, 0)));
    say("open /dev/tty without a controlling terminal: %s\n", errname(sys_open("/dev/tty", O_RDWR, 0)));
    say("TIOCSCTTY by a process that leads no session: %s\n", errname(io(t, TIOCSCTTY, 0)));
    void *bad = (void *)8;
    say("bad pointers: TCGETS %s TCSETS %s TIOCGWINSZ %s TIOCSWINSZ %s\n", errname(io(t, TCGETS, bad)),
        errname(io(t, TCSETS, bad)), errname(io(t, TIOCGWINSZ, bad)), errname(io(t, TIOCSWINSZ, bad)));
    say("bad pointers: TIOCGSERIAL %s FIONREAD %s TIOCGETD %s TIOCOUTQ %s\n", errname(io(t, TIOCGSERIAL, bad)),
        errname(io(t, FIONREAD, bad)), errname(io(t, TIOCGETD, bad)), errname(io(t, TIOCOUTQ, bad)));
    long null = sys_open("/dev/null", O_RDWR, 0);
    struct kterm k;
    say("/dev/null: TCGETS %s TIOCGPGRP %s TIOCSCTTY %s\n", errname(io(null, TCGETS, &k)),
        errname(io(null, TIOCGPGRP, &id)), errname(io(null, TIOCSCTTY, 0)));
    int p[2];
    sys_pipe(p);
    say("a pipe: TCGETS %s TIOCGWINSZ %s\n", errname(io(p[0], TCGETS, &k)), errname(io(p[0], TIOCGWINSZ, &k)));
    sys_close(null);
    sys_close(p[0]);
    sys_close(p[1]);

    int s[18] = { 0 };
    long r = io(t, TIOCGSERIAL, s);
    say("TIOCGSERIAL %s: type %d line %d port %x irq %d xmit_fifo_size %d baud_base %d\n", errname(r), s[0],
        s[1], s[2], s[3], s[5], s[7]);
    int v = -7;
    r = io(t, TIOCGETD, &v);
    say("TIOCGETD %s %d\n", errname(r), v);
    r = io(t, TIOCOUTQ, &v);
    say("TIOCOUTQ %s\n", errname(r));             /* (Linux may still be sending init's output) */
    r = io(t, FIONREAD, &v);
    say("FIONREAD %s %d\n", errname(r), v);
    say("TCFLSH 7: %s, TCFLSH TCIFLUSH: %s, TCXONC 9: %s\n", errname(io(t, TCFLSH, (void *)7)),
        errname(io(t, TCFLSH, 0)), errname(io(t, TCXONC, (void *)9)));

    /* TCOOFF holds output: a write fills the driver's buffer (TIOCOUTQ counts it, after ONLCR)
     * and comes out at TCOON, before what is written after. */
    drain();
    long off = io(t, TCXONC, 0);
    long nbw = sys_open("/dev/ttyS0", O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
    long w = sys_write(nbw, "held\n", 5);
    int q = -1;
    io(t, TIOCOUTQ, &q);
    long on = io(t, TCXONC, (void *)1);
    sys_close(nbw);
    say("TCOOFF %s, a write while stopped %ld, TIOCOUTQ %d, TCOON %s\n", errname(off), w, q, errname(on));

    /* No input is coming: each read says how it ends. */
    struct kterm saved, raw;
    io(t, TCGETS, &saved);
    raw = saved;
    raw.lflag &= ~(ICANON | ECHO);
    raw.cc[6] = 0;                                   /* VMIN */
    raw.cc[5] = 0;                                   /* VTIME */
    io(t, TCSETS, &raw);
    char c;
    say("MIN 0 TIME 0 read: %ld\n", sys_read(t, &c, 1));
    raw.cc[5] = 1;
    io(t, TCSETS, &raw);
    long t0 = now_ms();
    r = sys_read(t, &c, 1);
    say("MIN 0 TIME 1 read: %ld after %s\n", r, now_ms() - t0 >= 90 ? "a tenth of a second" : "less");
    struct kterm back;
    io(t, TCGETS, &back);
    say("TCSETS then TCGETS: lflag %s, VMIN %d VTIME %d\n", back.lflag == raw.lflag ? "kept" : "changed",
        back.cc[6], back.cc[5]);
    io(t, TCSETS, &saved);
    long nb = sys_open("/dev/ttyS0", O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
    say("O_NONBLOCK canonical read: %s\n", errname(sys_read(nb, &c, 1)));
    sys_close(nb);
    sys_close(t);
}

/* The session: runs in init's child, which leads it. */
static void session(void)
{
    say("setsid: %s\n", sys_setsid() == getpid() ? "a new session" : "failed");
    long t = sys_open("/dev/ttyS0", O_RDWR, 0);
    int id = -7;
    io(t, TIOCGPGRP, &id);
    say("open /dev/ttyS0: controlling terminal, foreground group ours: %s\n", yesno(id == getpid()));
    io(t, TIOCGSID, &id);
    say("TIOCGSID: ours: %s\n", yesno(id == getpid()));
    long dt = sys_open("/dev/tty", O_RDWR, 0);
    say("open /dev/tty: %s\n", dt >= 0 ? "ok" : errname(dt));
    sys_close(dt);
    say("TIOCSCTTY on our own terminal: %s\n", errname(io(t, TIOCSCTTY, 0)));
    int nr = -1;
    say("TIOCSPGRP -1: %s\n", errname(io(t, TIOCSPGRP, &nr)));
    nr = 99999;
    say("TIOCSPGRP to no group: %s\n", errname(io(t, TIOCSPGRP, &nr)));
    nr = 1;
    say("TIOCSPGRP to init, in another session: %s\n", errname(io(t, TIOCSPGRP, &nr)));

    char c;
    int st;
    long g = background();
    if (g == 0) {
        /* /dev/console is no job-control terminal: a background read of it is not stopped. */
        long con = sys_open("/dev/console", O_RDWR | O_NONBLOCK, 0);
        say("background read of /dev/console: %s\n", errname(sys_read(con, &c, 1)));
        sys_read(t, &c, 1);                         /* SIGTTIN stops us here */
        sys_exit(9);
    }
    sys_wait4(g, &st, WUNTRACED, NULL);
    status("background read", st);
    sys_kill(g, SIGKILL);
    wait_for(g);

    g = background();
    if (g == 0) {
        sig_ignore(SIGTTIN);
        say("background read, SIGTTIN ignored: %s\n", errname(sys_read(t, &c, 1)));
        sig_block(1UL << (SIGTTOU - 1));
        struct kterm k;
        io(t, TCGETS, &k);
        say("background TCSETS, SIGTTOU blocked: %s\n", errname(io(t, TCSETS, &k)));
        say("background write, no TOSTOP: %ld\n", sys_write(t, "", 0));
        sys_exit(0);
    }
    status("the second background job", wait_for(g));

    set_lflag(t, TOSTOP, 0);
    g = background();
    if (g == 0) {
        say("background write to /dev/console with TOSTOP: not stopped\n");
        sys_write(t, "x\n", 2);                     /* SIGTTOU stops us here */
        sys_exit(9);
    }
    sys_wait4(g, &st, WUNTRACED, NULL);
    status("background write with TOSTOP", st);
    sys_kill(g, SIGKILL);
    wait_for(g);
    set_lflag(t, 0, TOSTOP);

    /* An orphaned background group: its leader is gone and init adopted the member. */
    int done[2];
    sys_pipe(done);
    g = background();
    if (g == 0) {
        if (must_fork() == 0) {
            sys_close(done[0]);
            while (getppid() != 1)
                sleep_ms(5);
            say("background read, orphaned group: %s\n", errname(sys_read(t, &c, 1)));
            sys_exit(0);
        }
        sys_exit(0);
    }
    sys_close(done[1]);
    wait_for(g);
    sys_read(done[0], &c, 1);                       /* EOF: the member is done */
    sys_close(done[0]);

    sig_handle(SIGWINCH, on_winch, 0);
    unsigned short ws[4] = { 24, 80, 0, 0 };
    io(t, TIOCSWINSZ, ws);
    io(t, TIOCSWINSZ, ws);
    unsigned short got[4] = { 0 };
    io(t, TIOCGWINSZ, got);
    say("TIOCSWINSZ twice: %d SIGWINCH, TIOCGWINSZ %d %d\n", winches, got[0], got[1]);

    /* Hand the terminal to a group that sleeps; then give the terminal up. */
    g = background();
    if (g == 0) {
        for (;;)
            syscall0(SYS_pause);
    }
    nr = g;
    say("TIOCSPGRP to our background group: %s\n", errname(io(t, TIOCSPGRP, &nr)));
    io(t, TIOCGPGRP, &id);
    say("TIOCGPGRP: that group: %s\n", yesno(id == g));
    struct kterm k;
    io(t, TCGETS, &k);
    say("TCSETS from our group, now orphaned background: %s\n", errname(io(t, TCSETS, &k)));
    say("TIOCSPGRP from there: %s\n", errname(io(t, TIOCSPGRP, &nr)));
    sig_ignore(SIGHUP);
    say("TIOCNOTTY by the session leader: %s\n", errname(io(t, TIOCNOTTY, 0)));
    status("the foreground group", wait_for(g));
    say("TIOCGPGRP after TIOCNOTTY: %s\n", errname(io(t, TIOCGPGRP, &id)));
    say("open /dev/tty after TIOCNOTTY: %s\n", errname(sys_open("/dev/tty", O_RDWR, 0)));
    say("TIOCSCTTY, taking it back: %s\n", errname(io(t, TIOCSCTTY, 0)));

    drain();
    say("TIOCVHANGUP: %s\n", errname(io(t, TIOCVHANGUP, 0)));
    say("after the hangup: read %ld, write %s, TCGETS %s, TIOCSPGRP %s\n", sys_read(t, &c, 1),
        errname(sys_write(t, "x", 1)), errname(io(t, TCGETS, &k)), errname(io(t, TIOCSPGRP, &nr)));
    long t2 = sys_open("/dev/ttyS0", O_RDWR | O_NOCTTY, 0);
    say("a new file after the hangup: TIOCGPGRP %s, TCGETS %s\n", errname(io(t2, TIOCGPGRP, &id)),
        errname(io(t2, TCGETS, &k)));
    sys_close(t2);
    sys_close(t);

    /* Take the terminal once more, then exit as its session's leader. */
    sig_default(SIGHUP);
    t = sys_open("/dev/ttyS0", O_RDWR, 0);
    io(t, TIOCGPGRP, &id);
    say("open again: controlling terminal: %s\n", yesno(id == getpid()));
    int ready[2];
    sys_pipe(ready);
    if (must_fork() == 0) {                          /* in our (the foreground) group */
        sig_handle(SIGHUP, on_hup, 0);
        sys_close(ready[0]);
        sys_close(ready[1]);
        while (!hups)
            syscall0(SYS_pause);
        say("member: SIGHUP when the leader exited\n");
        say("member: read %ld, write %s, TIOCGPGRP %s\n", sys_read(t, &c, 1), errname(sys_write(t, "x", 1)),
            errname(io(t, TIOCGPGRP, &id)));
        sys_exit(0);
    }
    sys_close(ready[1]);
    sys_read(ready[0], &c, 1);                      /* EOF: the member's handler is in place */
    drain();
    sys_exit(0);
}

int main(void)
{
    init_checks();
    long pid = must_fork();
    if (pid == 0)
        session();
    int st, reaped = 0;
    while (sys_wait4(-1, &st, 0, NULL) > 0)
        reaped++;
    say("init reaped %d processes\n", reaped);
    drain();
    return 0;
}
