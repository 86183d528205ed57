/*
 * acct - BSD process accounting: each process that ends while acct(2) is on appends a
 * struct acct_v3 record (kernel/acct.c: acct_on, acct_collect, acct_process, fill_ac).
 *
 *   - acct on a missing file: ENOENT, on a directory: EISDIR, a bad pointer: EFAULT;
 *     acct(NULL) turns it off (again: still 0)
 *   - one record per process, not per thread, written when its last thread exits, with
 *     version 3, the pid and parent, the name of the last thread to exit, the exit code
 *     as do_exit() got it (the leader's), and the flags: AFORK for a child that never
 *     exec'd, AXSIG when killed by a signal, ACORE when it dumped core
 *   - acct(NULL) writes a last record, of the caller (acct_pin_kill); a process that ends
 *     after it writes nothing
 * Records of other processes on the machine (natively, accounting is system-wide) are
 * told apart by their parent: only ours are printed.
 */
#include "fs.h"
#include "signals.h"
#include "thread.h"

#define SYS_acct 163
#define PR_SET_NAME 15
#define RLIMIT_CORE 4

static long acct(const char *path) { return syscall1(SYS_acct, (long)path); }

static void set_name(const char *n) { sys_prctl(PR_SET_NAME, (long)n, 0, 0, 0); }

static int *volatile bad_pointer = (int *)0x10;

/* The thread has the leader's name (clone copies it), so the record's name does not
 * depend on which of the two exits last. */
static int exits_group(void *arg)
{
    (void)arg;
    sys_exit_group(7);
    return 0;
}

static const char *flags(unsigned f)
{
    static char buf[64];
    buf[0] = 0;
    const char *names[] = { "AFORK", "ASU", "ACOMPAT", "ACORE", "AXSIG" };
    int n = 0;
    for (int i = 0; i < 5; i++)
        if (f & (1u << i))
            n += format(buf + n, sizeof buf - n, "%s%s", n ? "|" : "", names[i]);
    if (!n)
        format(buf, sizeof buf, "none");
    return buf;
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 2 && strcmp(argv[1], "after-exec") == 0) {
        set_name("acct-execd");
        return 5;
    }
    say("acct: start\n");
    signals_reset();
    long self = sys_getpid();
    say("acct of a missing file: %s, of a directory: %s, a bad pointer: %s\n", errname(acct("no-such-file")),
        errname(acct(".")), errname(acct((const char *)8)));
    long fd = sys_open("pacct", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    sys_close(fd);
    say("acct on: %s\n", errname(acct("pacct")));

    long pids[6];
    int n = 0;
    long pid = must_fork();
    if (pid == 0) {
        set_name("acct-exit");
        sys_exit(3);
    }
    wait_for(pid);
    pids[n++] = pid;

    volatile long *named = shared_page();
    pid = must_fork();
    if (pid == 0) {
        set_name("acct-killed");
        *named = 1;
        for (;;)
            sleep_ms(1000);
    }
    wait_flag(named, 30000);
    sys_kill(pid, SIGKILL);
    wait_for(pid);
    pids[n++] = pid;

    pid = must_fork();
    if (pid == 0) {
        reexec_self(argv[0], NULL);
        sys_exit(99);
    }
    wait_for(pid);
    pids[n++] = pid;

    pid = must_fork();
    if (pid == 0) {
        set_name("acct-group");
        static struct thread t;
        thread_create(&t, exits_group, NULL);
        for (;;)
            sleep_ms(1000);
    }
    wait_for(pid);
    pids[n++] = pid;

    pid = must_fork();
    if (pid == 0) {
        set_name("acct-core");
        struct rlimit64 r = { ~0UL, ~0UL };
        sys_prlimit(0, RLIMIT_CORE, &r, NULL);
        *bad_pointer = 1;
    }
    wait_for(pid);
    pids[n++] = pid;
    sys_unlink("core");

    long off = acct(NULL), again = acct(NULL);
    say("acct off: %s, again: %s\n", errname(off), errname(again));
    pid = must_fork();
    if (pid == 0)
        sys_exit(0);
    wait_for(pid);

    fd = sys_open("pacct", O_RDONLY, 0);
    unsigned char rec[64];
    int k = 0, mine = 0;
    while (sys_read(fd, rec, 64) == 64) {
        unsigned ppid = rec[20] | rec[21] << 8 | rec[22] << 16 | (unsigned)rec[23] << 24;
        unsigned pidr = rec[16] | rec[17] << 8 | rec[18] << 16 | (unsigned)rec[19] << 24;
        unsigned code = rec[4] | rec[5] << 8 | rec[6] << 16 | (unsigned)rec[7] << 24;
        unsigned mem = rec[36] | rec[37] << 8;
        if (pidr == (unsigned)self) {
            /* acct(NULL) let go of the file with a record of the caller, still alive. */
            say("the record acct(NULL) wrote for us: version %d, %s, exit code 0x%x\n", rec[1], flags(rec[0]), code);
            continue;
        }
        if (ppid != (unsigned)self)
            continue;
        char comm[17];
        memcpy(comm, rec + 48, 16);
        comm[16] = 0;
        say("record: \"%s\" version %d, %s, exit code 0x%x, the child we made: %s, some memory: %s\n", comm,
            rec[1], flags(rec[0]), code, yesno(k < n && pidr == (unsigned)pids[k]), yesno(mem != 0));
        k++;
        mine++;
    }
    sys_close(fd);
    say("records of our children: %d\n", mine);
    if (argc < 2 || strcmp(argv[1], "keep") != 0)      /* AcctTests keeps it for dump-acct */
        sys_unlink("pacct");
    say("DONE\n");
    return 0;
}
