/*
 * exit_codes - pins down how Linux truncates exit codes into the wait status.
 *
 * exit(code) and exit_group(code) keep only code & 0xff; wait4 reports it as
 * status = (code & 0xff) << 8, so WIFEXITED is true and WEXITSTATUS is the low
 * byte: 256 -> 0, 300 -> 44, -1 -> 255, also when the upper 32 bits of rdi are set.
 * Children are reaped by pid: one at a time for exit, all forked first and reaped in
 * reverse order for exit_group.  After the last one, wait4 gives ECHILD and leaves
 * *status alone.
 */
#include "lib.h"

static const long codes[] = { 0, 1, 255, 256, 300, -1, 42, 0x12345678, -256 };
#define NCODES (sizeof codes / sizeof codes[0])

static void report(const char *how, long code, int status)
{
    say("%s(%ld): WIFEXITED=%d WEXITSTATUS=%d WIFSIGNALED=%d status=0x%04x\n", how, code,
        WIFEXITED(status) ? 1 : 0, WEXITSTATUS(status), WIFSIGNALED(status) ? 1 : 0, status);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("exit_codes: start\n");

    /* exit (60): one child at a time. */
    for (unsigned i = 0; i < NCODES; i++) {
        long pid = must_fork();
        if (pid == 0)
            sys_exit(codes[i]);
        report("exit", codes[i], wait_for(pid));
    }

    /* exit_group (231): fork all first, then reap in reverse order by pid. */
    long pids[NCODES];
    for (unsigned i = 0; i < NCODES; i++) {
        pids[i] = must_fork();
        if (pids[i] == 0)
            sys_exit_group(codes[i]);
    }
    for (int i = (int)NCODES - 1; i >= 0; i--)
        report("exit_group", codes[i], wait_for(pids[i]));

    /* Raw syscall with the full 64-bit value in rdi: only the low byte counts. */
    long pid = must_fork();
    if (pid == 0)
        syscall1(SYS_exit, 0x7fffffff00000103L);
    int st = wait_for(pid);
    say("exit(rdi=0x7fffffff00000103): WIFEXITED=%d WEXITSTATUS=%d status=0x%04x\n",
        WIFEXITED(st) ? 1 : 0, WEXITSTATUS(st), st);

    int status = 0x5555;
    long r = sys_wait4(-1, &status, 0, NULL);
    say("wait4 with no children left: %s, status untouched: %s\n", errname(r),
        yesno(status == 0x5555));
    say("DONE\n");
    return 0;
}
