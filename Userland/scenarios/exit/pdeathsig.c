/*
 * pdeathsig - pins down PR_SET_PDEATHSIG: the signal a child gets when its parent dies.
 *
 * Linux sends it from forget_original_parent(), for every child of the exiting *thread*
 * (not process), after the child has been given its new parent, with
 * group_send_sig_info(sig, SEND_SIG_NOINFO, ...): si_code SI_USER, si_pid the dying
 * parent's process id (tgid) as seen from the child, si_uid its uid.  The scenario is a
 * child subreaper, so orphans come to it in both worlds.
 *
 *   - PR_SET_PDEATHSIG(SIGUSR1) then PR_GET_PDEATHSIG reads SIGUSR1; 0 clears it; an
 *     invalid signal (65, -1) is EINVAL; a forked child of the child reads 0 (not
 *     inherited); execve (not set-id) keeps it
 *   - parent process exits: the child's SA_SIGINFO handler runs once with si_signo
 *     SIGUSR1, si_code SI_USER, si_pid the dead parent's pid, si_uid getuid(); inside the
 *     handler getppid() is already the subreaper
 *   - with no handler, PDEATHSIG SIGTERM kills the orphan: the subreaper reaps it with
 *     WIFSIGNALED and WTERMSIG SIGTERM; PDEATHSIG SIGKILL likewise with SIGKILL
 *   - parent thread exits while its process lives on: the child forked by that thread
 *     still gets the signal (si_pid = the process's pid), its getppid() does not change
 *     (the adopter is the leader of the same process), and the leader reaps it
 *   - PDEATHSIG set and then cleared with 0: no signal when the parent dies
 */
#include "signals.h"
#include "thread.h"

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2

struct area {
    volatile long armed, go, parent_pid, subreaper;
    volatile long count, signo, code, pid, uid, ppid_in_handler;
    volatile long done;
};

static struct area *a;
static struct thread t1;

static void on_pdeath(int sig, ksiginfo_t *info, void *uc)
{
    (void)uc;
    a->count++;
    a->signo = sig == info->si_signo ? sig : -1;
    a->code = info->si_code;
    a->pid = info->si_pid;
    a->uid = info->si_uid;
    a->ppid_in_handler = sys_getppid();
}

/* The child's side: arm, report, wait for the signal (or for `done`), exit with 0. */
__attribute__((noreturn)) static void armed_child(int sig, int handler, int clear)
{
    if (handler)
        sig_handle_info(sig, on_pdeath, 0);
    sys_prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0);
    if (clear)
        sys_prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    a->armed = 1;
    while (!a->count && !a->done)
        sys_sched_yield();
    sys_exit(0);
}

static void report_handler(const char *what, long want_pid, long want_ppid, const char *ppid_is)
{
    say("%s: handler ran %ld time(s), si_signo %s, si_code %s, si_pid is the dead parent's pid: %s, "
        "si_uid is getuid(): %s, getppid() in the handler is %s: %s\n", what, a->count,
        a->signo > 0 ? signame((int)a->signo) : "wrong", si_codename((int)a->code),
        yesno(a->pid == want_pid), yesno(a->uid == sys_getuid()),
        ppid_is, yesno(a->ppid_in_handler == want_ppid));
}

/* Parent P forks the child, waits until it is armed, then exits. */
static long make_pair(int sig, int handler, int clear)
{
    memset((void *)a, 0, sizeof *a);
    long p = must_fork();
    if (p == 0) {
        a->parent_pid = sys_getpid();
        long c = must_fork();
        if (c == 0)
            armed_child(sig, handler, clear);
        while (!a->armed)
            sys_sched_yield();
        sys_exit(c & 0x7f);   /* low bits only: the scenario learns c below */
    }
    wait_for(p);
    return p;
}

static int thread_forks(void *arg)
{
    (void)arg;
    long c = must_fork();
    if (c == 0)
        armed_child(SIGUSR1, 1, 0);
    a->go = c;
    while (!a->armed)
        sys_sched_yield();
    return 0;   /* this thread exits; the process lives on */
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
        int v = -1;
        sys_prctl(PR_GET_PDEATHSIG, (long)&v, 0, 0, 0);
        return v;
    }
    say("pdeathsig: start\n");
    a = shared_page();
    long me = sys_getpid();
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    /* get/set */
    long pid = must_fork();
    if (pid == 0) {
        int v = -1, w = -1;
        long r1 = sys_prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        long r2 = sys_prctl(PR_GET_PDEATHSIG, (long)&v, 0, 0, 0);
        say("child: PR_SET_PDEATHSIG(SIGUSR1): %s, PR_GET_PDEATHSIG: %s, value %s\n", errname(r1), errname(r2),
            signame(v));
        say("child: PR_SET_PDEATHSIG(65): %s, PR_SET_PDEATHSIG(-1): %s\n",
            errname(sys_prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0)), errname(sys_prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0)));
        sys_prctl(PR_GET_PDEATHSIG, (long)&w, 0, 0, 0);
        say("child: after the failed calls the value is still %s\n", signame(w));
        long g = must_fork();
        if (g == 0) {
            int gv = -1;
            sys_prctl(PR_GET_PDEATHSIG, (long)&gv, 0, 0, 0);
            sys_exit(gv);
        }
        say("child: its own forked child reads %d\n", WEXITSTATUS(wait_for(g)));
        g = must_fork();
        if (g == 0) {
            sys_prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
            reexec_self(argv[0], NULL);
            sys_exit(99);
        }
        say("child: PR_SET_PDEATHSIG(SIGUSR2) then execve: the new image reads %s\n",
            signame(WEXITSTATUS(wait_for(g))));
        sys_prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        sys_prctl(PR_GET_PDEATHSIG, (long)&v, 0, 0, 0);
        say("child: PR_SET_PDEATHSIG(0) clears it: %s\n", yesno(v == 0));
        sys_exit(0);
    }
    wait_for(pid);

    /* Parent process exits, handler in the child. */
    long p = make_pair(SIGUSR1, 1, 0);
    int status;
    long c = sys_wait4(-1, &status, 0, NULL);
    report_handler("parent process exited", p, me, "the subreaper");
    say("orphan reaped by the subreaper: %s, WEXITSTATUS=%d\n", yesno(c > 0), WEXITSTATUS(status));

    /* Default actions. */
    static const int deadly[] = { SIGTERM, SIGKILL, SIGHUP };
    for (unsigned i = 0; i < sizeof deadly / sizeof deadly[0]; i++) {
        make_pair(deadly[i], 0, 0);
        c = sys_wait4(-1, &status, 0, NULL);
        say("PDEATHSIG %s, no handler: orphan reaped: %s, WIFSIGNALED=%d WTERMSIG=%s\n", signame(deadly[i]),
            yesno(c > 0), WIFSIGNALED(status) ? 1 : 0, signame(WTERMSIG(status)));
    }

    /* Set, then cleared: nothing arrives. */
    make_pair(SIGTERM, 1, 1);
    a->done = 1;
    c = sys_wait4(-1, &status, 0, NULL);
    say("PDEATHSIG cleared with 0: orphan exited normally: %s (WEXITSTATUS=%d), handler ran: %ld\n",
        yesno(WIFEXITED(status)), WEXITSTATUS(status), a->count);

    /* The parent thread exits, the process lives on. */
    memset((void *)a, 0, sizeof *a);
    pid = must_fork();
    if (pid == 0) {
        long pp = sys_getpid();
        if (thread_create(&t1, thread_forks, NULL) <= 0)
            sys_exit(1);
        thread_join(&t1);
        long cc = a->go;
        int st;
        long r = sys_wait4(cc, &st, 0, NULL);
        report_handler("parent thread exited, process lives on", pp, pp, "unchanged (the same process)");
        say("the leader reaped the child: %s, WEXITSTATUS=%d\n", yesno(r == cc), WEXITSTATUS(st));
        sys_exit(0);
    }
    wait_for(pid);
    say("nothing left: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
