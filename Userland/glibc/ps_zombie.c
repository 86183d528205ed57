/*
 * ps_zombie - Debian's busybox `ps` sees the exit path: a child that has exited and not
 * been reaped is listed with state Z, and once its parent reaps it, it is gone
 * (fs/proc/array.c's state letter; release_task() -> proc_flush_pid()).
 *
 * The program mounts proc on /proc if it is not there yet, makes a zombie child (waitid
 * with WNOWAIT waits for its exit without reaping it), runs `/bin/busybox ps -o
 * pid,ppid,stat,comm` with its output on a pipe, and prints the lines of its own children
 * with the pids replaced by their roles; then it reaps the child and runs ps again. The
 * child names itself "zchild" (prctl PR_SET_NAME), so its comm is the same on every kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0

static void ps(const char *when, pid_t zombie) {
    int p[2];
    pipe(p);
    pid_t ps = fork();
    if (ps == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl("/bin/busybox", "ps", "-o", "pid,ppid,stat,comm", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        int pid, ppid;
        char stat[16], comm[64];
        lines++;
        if (sscanf(line, "%d %d %15s %63s", &pid, &ppid, stat, comm) != 4 || ppid != getpid()) continue;
        printf("%s: %s %s %s\n", when, pid == zombie ? "child" : pid == ps ? "ps" : "other", stat, comm);
    }
    fclose(f);
    int status;
    waitpid(ps, &status, 0);
    printf("%s: ps listed something %s, exit status %d\n", when, lines > 1 ? "yes" : "no", WEXITSTATUS(status));
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct statfs sf;
    int mounted = 0;
    if (statfs("/proc", &sf) != 0 || sf.f_type != PROC_SUPER_MAGIC) {
        if (mount("proc", "/proc", "proc", 0, NULL) != 0) { printf("mount: %s\n", strerrorname_np(errno)); return 1; }
        mounted = 1;
    }
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_SET_NAME, "zchild");
        _exit(7);
    }
    siginfo_t si;
    waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    ps("before the reap", c);
    int status = 0;
    pid_t r = waitpid(c, &status, 0);
    printf("reaped: %s, exit code %d\n", r == c ? "yes" : "no", WEXITSTATUS(status));
    ps("after the reap", c);
    if (mounted && umount("/proc") != 0) printf("umount: %s\n", strerrorname_np(errno));
    return 0;
}
