/*
 * alarm: alarm(2) and the real-time timer (Linux kernel/time/itimer.c). SIGALRM
 * arrives after the time asked (si_code SI_KERNEL) and wakes pause(); alarm returns
 * the seconds left of the previous one; alarm(0) cancels; the timer survives exec
 * (re-exec of argv[0]) and is not inherited by fork; its default action kills.
 */
#include "lib.h"
#include "signals.h"

#define SYS_pause 34
#define SYS_alarm 37

static volatile int got, code;
static void on_alrm(int sig, ksiginfo_t *info, void *uc)
{
    (void)sig; (void)uc;
    got++;
    code = info->si_code;
}

int main(int argc, char **argv, char **envp)
{
    if (argc > 1) {
        /* After exec: the alarm set before it is still pending. */
        long left = syscall1(SYS_alarm, 0);
        say("after exec, alarm(0) returns the time left: %ld\n", left);
        say("DONE\n");
        return 0;
    }
    say("alarm: start\n");
    sig_handle_info(SIGALRM, on_alrm, 0);
    say("first alarm(1) returns %ld\n", syscall1(SYS_alarm, 1));
    long r = syscall0(SYS_pause);
    say("pause returned %s, handler ran %d time(s), si_code SI_KERNEL: %s\n", errname(r), got, yesno(code == 0x80));
    syscall1(SYS_alarm, 5);
    say("alarm(2) while 5 s are left returns %ld\n", syscall1(SYS_alarm, 2));
    say("alarm(0) returns %ld\n", syscall1(SYS_alarm, 0));
    struct timespec ts = { 1, 200000000 };
    got = 0;
    sys_nanosleep(&ts, 0);
    say("a cancelled alarm does not fire: %s\n", yesno(got == 0));

    long pid = must_fork();
    if (pid == 0) {
        sig_default(SIGALRM);
        say("the child inherits no alarm: %s\n", yesno(syscall1(SYS_alarm, 1) == 0));
        syscall0(SYS_pause);
        sys_exit(0);
    }
    int status = wait_for(pid);
    say("a child killed by its own alarm: %s, signal %d\n", WIFSIGNALED(status) ? "yes" : "no", WTERMSIG(status));

    syscall1(SYS_alarm, 30);
    char *args[] = { argv[0], "again", 0 };
    sys_execve(argv[0], args, envp);
    say("execve failed\n");
    return 1;
}
