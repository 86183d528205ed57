/*
 * leader_exits_first - pins down a thread group whose leader calls exit(2) (the thread
 * only) while another thread lives on.
 *
 *   - the leader becomes a zombie that cannot be reaped yet (delay_group_leader): the
 *     parent's wait4(pid, WNOHANG) returns 0, and kill(pid, 0) still finds the process
 *     (0), and so does tgkill(pid, tid, 0)
 *   - the surviving thread still has getpid() == pid and the same getppid()
 *   - when the last thread exits, the parent reaps the process by its pid.  The status
 *     reported is the one Linux 6.18 reports; this scenario prints it, so MiniKernel must
 *     match: see the lines "leader exit(3), last thread exit(9)" and
 *     "leader exit(3), last thread exit(0)"
 *   - if instead the surviving thread calls exit_group(9), the status is 9 (the group
 *     exit code)
 *   - a leader that calls exit(3) after its only thread has already exited: status 3
 */
#include "signals.h"
#include "thread.h"

struct area {
    volatile long leader_gone_go;     /* parent -> thread: go on and exit */
    volatile long t_pid_ok, t_ppid_ok, t_tid;
    volatile long leader_pid, leader_ppid;
    volatile int leader_running;      /* cleared by the kernel when the leader's exit reaches exit_mm */
};

static struct area *a;
static struct thread t1;

static int survivor(void *arg)
{
    long how = (long)arg;   /* 0: exit(9); 1: exit(0); 2: exit_group(9) */
    a->t_tid = sys_gettid();
    while (!a->leader_gone_go)
        sys_sched_yield();
    a->t_pid_ok = sys_getpid() == a->leader_pid;
    a->t_ppid_ok = sys_getppid() == a->leader_ppid;
    if (how == 2)
        sys_exit_group(9);
    sys_exit(how == 0 ? 9 : 0);
}

static void round_(const char *what, long how)
{
    memset((void *)a, 0, sizeof *a);
    a->leader_running = 1;
    long pid = must_fork();
    if (pid == 0) {
        a->leader_pid = sys_getpid();
        a->leader_ppid = sys_getppid();
        if (thread_create(&t1, survivor, (void *)how) <= 0)
            sys_exit_group(1);
        while (a->t_tid == 0)
            sys_sched_yield();
        /* exit_mm() clears this word (mm_release, clear_child_tid): by then the leader
         * has passed synchronize_group_exit(), so the survivor is the group's last
         * thread and its code is the group's (Linux 6.x) - whatever the host's timing. */
        syscall1(SYS_set_tid_address, (long)&a->leader_running);
        sys_exit(3);
    }
    while (a->t_tid == 0 || a->leader_running)
        sys_sched_yield();
    int status = 0x5555;
    long r = sys_wait4(pid, &status, WNOHANG, NULL);
    say("%s: while a thread lives: wait4(WNOHANG)=%s status untouched: %s, kill(pid, 0)=%s, "
        "tgkill(pid, tid, 0)=%s\n", what, errname(r), yesno(status == 0x5555), errname(sys_kill(pid, 0)),
        errname(sys_tgkill(pid, a->t_tid, 0)));
    a->leader_gone_go = 1;
    r = sys_wait4(pid, &status, 0, NULL);
    say("%s: thread saw getpid()==pid: %s, same getppid(): %s\n", what, yesno(a->t_pid_ok), yesno(a->t_ppid_ok));
    say("%s: reaped by pid: %s, WIFEXITED=%d WEXITSTATUS=%d status=0x%04x\n", what, yesno(r == pid),
        WIFEXITED(status) ? 1 : 0, WEXITSTATUS(status), status);
}

static int quick(void *arg)
{
    (void)arg;
    return 11;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("leader_exits_first: start\n");
    a = shared_page();
    round_("leader exit(3), last thread exit(9)", 0);
    round_("leader exit(3), last thread exit(0)", 1);
    round_("leader exit(3), last thread exit_group(9)", 2);

    /* The thread exits first and is joined; then the leader exits alone. */
    long pid = must_fork();
    if (pid == 0) {
        if (thread_create(&t1, quick, NULL) <= 0)
            sys_exit_group(1);
        thread_join(&t1);
        sys_exit(3);
    }
    int status = wait_for(pid);
    say("thread exit(11) and joined, then leader exit(3): WEXITSTATUS=%d\n", WEXITSTATUS(status));
    say("wait4 afterwards: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
