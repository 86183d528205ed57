/*
 * procfs - /proc as Linux shows it (fs/proc/: root.c, base.c, array.c, fd.c).
 *
 * Mounts proc on /proc if it is not there yet (MiniKernel's initramfs), reads it as tools
 * do, and prints facts, never numbers that differ from run to run:
 *   - /proc/self is the reader's pid; stat's 52 fields and status agree with getpid(),
 *     getppid(), getpgrp(), getsid(), the signal mask and dispositions, the thread count;
 *   - cmdline is argv; comm can be renamed by writing to it; exe is the program;
 *   - fd/ lists the open descriptors; a pipe's link is "pipe:[N]", a file's link opens the
 *     file itself even after an unlink (and says " (deleted)"); a closed one is gone;
 *   - a zombie shows Z until it is reaped, with its exit code and no cmdline, and an open
 *     file on its stat reads ESRCH after the reap; its directory is then gone;
 *   - an open /proc/<pid> directory works as a pidfd for pidfd_send_signal (ESRCH once the
 *     process is reaped; EBADF for a /proc file that is not such a directory);
 *   - a thread is found by its number though /proc does not list it;
 *   - uptime, loadavg, meminfo and sys/kernel/pid_max read in Linux's formats;
 *   - nothing can be created, removed or renamed in /proc: Linux's errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0
static const char *yes(int c) { return c ? "yes" : "no"; }
static const char *err(int r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

/* The whole of a /proc file, NUL-terminated; its length, or -1 with errno. */
static int slurp(const char *path, char *buf, int size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int n = 0, r;
    while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0) n += r;
    close(fd);
    if (r < 0) return -1;
    buf[n] = 0;
    return n;
}

/* Field k (1-based) of a stat line, as a number; the comm may hold spaces. */
static long long stat_field(const char *line, int k, char *state) {
    const char *p = strrchr(line, ')');
    if (!p) return -1;
    p += 2;
    if (state) *state = *p;
    for (int i = 3; i < k; i++) { p = strchr(p, ' '); if (!p) return -1; p++; }
    return strtoll(p, NULL, 10);
}
static int stat_fields(const char *line) {
    const char *p = strrchr(line, ')');
    int n = 2;
    for (; *p; p++) if (*p == ' ') n++;
    return n;
}

/* The value of "Key:" in a status text. */
static const char *status_line(const char *text, const char *key, char *out, int size) {
    const char *p = strstr(text, key);
    if (!p) return "(none)";
    p += strlen(key);
    while (*p == '\t' || *p == ' ') p++;
    int n = 0;
    while (p[n] && p[n] != '\n' && n < size - 1) { out[n] = p[n]; n++; }
    out[n] = 0;
    return out;
}

static int listed(const char *dir, const char *name) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) if (!strcmp(e->d_name, name)) found = 1;
    closedir(d);
    return found;
}

static int pipefd[2];
static volatile pid_t thread_tid;
static void *sleeper(void *arg) {
    char c;
    thread_tid = syscall(SYS_gettid);
    read(pipefd[0], &c, 1);
    return arg;
}
static void on_term(int sig) { (void)sig; }

int main(int argc, char **argv) {
    (void)argc;
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[8192], path[128], v[256];
    struct statfs sf;
    int mounted = 0;
    if (statfs("/proc", &sf) != 0 || sf.f_type != PROC_SUPER_MAGIC) {
        if (mount("proc", "/proc", "proc", 0, NULL) != 0) { printf("mount: %s\n", strerrorname_np(errno)); return 1; }
        mounted = 1;
    }
    printf("statfs type is proc: %s\n", yes(statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC));

    /* self and stat */
    int n = readlink("/proc/self", v, sizeof v - 1);
    v[n > 0 ? n : 0] = 0;
    printf("self names me: %s\n", yes(atoi(v) == getpid()));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGTERM, on_term);
    slurp("/proc/self/stat", buf, sizeof buf);
    char state;
    char comm[64], *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    snprintf(comm, sizeof comm, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    printf("stat: %d fields, pid %s, comm is argv[0]'s name %s\n", stat_fields(buf),
           yes(stat_field(buf, 1, NULL) == getpid() || atoi(buf) == getpid()), yes(!strcmp(comm, basename(strdup(argv[0])))));
    stat_field(buf, 3, &state);
    printf("stat: state %c, ppid %s, pgrp %s, session %s, threads %lld, exit_signal %lld\n", state,
           yes(stat_field(buf, 4, NULL) == getppid()), yes(stat_field(buf, 5, NULL) == getpgrp()),
           yes(stat_field(buf, 6, NULL) == getsid(0)), stat_field(buf, 20, NULL), stat_field(buf, 38, NULL));
    printf("stat: blocked %lld, ignored %lld, caught %lld, vsize>0 %s, rss>0 %s, tty %lld\n",
           stat_field(buf, 32, NULL), stat_field(buf, 33, NULL), stat_field(buf, 34, NULL),
           yes(stat_field(buf, 23, NULL) > 0), yes(stat_field(buf, 24, NULL) > 0), stat_field(buf, 7, NULL));

    /* status */
    slurp("/proc/self/status", buf, sizeof buf);
    printf("status: Name %s\n", yes(!strcmp(status_line(buf, "Name:", v, sizeof v), comm)));
    printf("status: State %s\n", status_line(buf, "State:", v, sizeof v));
    printf("status: Pid %s, Tgid %s, PPid %s\n", yes(atoi(status_line(buf, "\nPid:", v, sizeof v)) == getpid()),
           yes(atoi(status_line(buf, "Tgid:", v, sizeof v)) == getpid()),
           yes(atoi(status_line(buf, "PPid:", v, sizeof v)) == getppid()));
    printf("status: Threads %s\n", status_line(buf, "Threads:", v, sizeof v));
    printf("status: SigBlk %s\n", status_line(buf, "SigBlk:", v, sizeof v));
    printf("status: SigIgn %s\n", status_line(buf, "SigIgn:", v, sizeof v));
    printf("status: SigCgt %s\n", status_line(buf, "SigCgt:", v, sizeof v));
    printf("status: Umask %s\n", status_line(buf, "Umask:", v, sizeof v));
    printf("status: VmRSS present %s\n", yes(strstr(buf, "\nVmRSS:") != NULL));

    /* cmdline, comm, exe */
    n = slurp("/proc/self/cmdline", buf, sizeof buf);
    printf("cmdline is argv: %s\n", yes(n == (int)strlen(argv[0]) + 1 && !strcmp(buf, argv[0])));
    int cfd = open("/proc/self/comm", O_WRONLY);
    printf("comm write: %s\n", err(write(cfd, "renamed", 7)));
    close(cfd);
    slurp("/proc/self/comm", buf, sizeof buf);
    printf("comm now: %s", buf);
    slurp("/proc/self/stat", buf, sizeof buf);
    printf("stat shows it: %s\n", yes(strstr(buf, "(renamed)") != NULL));
    struct stat a, b;
    printf("exe is this program: %s\n", yes(stat("/proc/self/exe", &a) == 0 && stat(argv[0], &b) == 0 &&
                                          a.st_ino == b.st_ino && a.st_dev == b.st_dev));
    n = readlink("/proc/self/exe", v, sizeof v - 1);
    v[n > 0 ? n : 0] = 0;
    printf("exe link ends in argv[0]'s name: %s\n", yes(!strcmp(basename(v), basename(strdup(argv[0])))));

    /* fd/ */
    pipe(pipefd);
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int seen[64] = {0}, dfd = dirfd(d);
    while ((e = readdir(d))) if (e->d_name[0] != '.' && atoi(e->d_name) < 64) seen[atoi(e->d_name)] = 1;
    closedir(d);
    printf("fd/ lists:");
    for (int i = 0; i < 64; i++) if (seen[i]) printf(" %d%s", i, i == dfd ? "(dir)" : "");
    printf("\n");
    snprintf(path, sizeof path, "/proc/self/fd/%d", pipefd[0]);
    n = readlink(path, v, sizeof v - 1);
    v[n > 0 ? n : 0] = 0;
    printf("pipe link: %s\n", yes(!strncmp(v, "pipe:[", 6)));
    lstat(path, &a);
    snprintf(path, sizeof path, "/proc/self/fd/%d", pipefd[1]);
    lstat(path, &b);
    printf("link modes: read end %o, write end %o\n", a.st_mode, b.st_mode);
    int ffd = open("procfs.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(ffd, "hello", 5);
    snprintf(path, sizeof path, "/proc/self/fd/%d", ffd);
    unlink("procfs.txt");
    int again = open(path, O_RDONLY);
    n = read(again, v, sizeof v);
    printf("unlinked file reopened through fd/: %s\n", yes(n == 5 && !memcmp(v, "hello", 5)));
    close(again);
    n = readlink(path, v, sizeof v - 1);
    v[n > 0 ? n : 0] = 0;
    printf("its link says deleted: %s\n", yes(n > 10 && !strcmp(v + n - 10, " (deleted)")));
    close(ffd);
    printf("closed descriptor: %s\n", err(open(path, O_RDONLY)));

    /* a zombie */
    pid_t c = fork();
    if (c == 0) _exit(3);
    siginfo_t si;
    waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    slurp(path, buf, sizeof buf);
    stat_field(buf, 3, &state);
    printf("zombie: state %c, ppid %s, exit_code %lld, vsize %lld\n", state,
           yes(stat_field(buf, 4, NULL) == getpid()), stat_field(buf, 52, NULL), stat_field(buf, 23, NULL));
    snprintf(v, sizeof v, "%d", c);
    printf("zombie listed in /proc: %s\n", yes(listed("/proc", v)));
    snprintf(path, sizeof path, "/proc/%d/cmdline", c);
    printf("zombie cmdline bytes: %d\n", slurp(path, buf, sizeof buf));
    snprintf(path, sizeof path, "/proc/%d/status", c);
    slurp(path, buf, sizeof buf);
    printf("zombie status: %s\n", status_line(buf, "State:", v, sizeof v));
    snprintf(path, sizeof path, "/proc/%d/exe", c);
    printf("zombie exe: %s\n", err(readlink(path, v, sizeof v)));
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    int zfd = open(path, O_RDONLY);
    waitpid(c, NULL, 0);
    const char *r1 = err(open(path, O_RDONLY));
    const char *r2 = err(read(zfd, buf, sizeof buf));
    printf("after the reap: open %s, read of the open file %s\n", r1, r2);
    close(zfd);
    pid_t c2 = fork();
    if (c2 == 0) _exit(0);
    waitid(P_PID, c2, &si, WEXITED | WNOWAIT);
    snprintf(path, sizeof path, "/proc/%d", c2);
    int zdir = open(path, O_RDONLY | O_DIRECTORY);
    printf("signal 0 through a zombie's /proc dir: %s\n", err(syscall(SYS_pidfd_send_signal, zdir, 0, NULL, 0)));
    waitpid(c2, NULL, 0);
    printf("after its reap: %s\n", err(syscall(SYS_pidfd_send_signal, zdir, 0, NULL, 0)));
    close(zdir);
    snprintf(v, sizeof v, "%d", c);
    printf("reaped child listed: %s\n", yes(listed("/proc", v)));

    /* a thread */
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    while (!thread_tid) usleep(1000);
    snprintf(path, sizeof path, "/proc/%d/stat", thread_tid);
    for (int i = 0; i < 2000; i++) {
        slurp(path, buf, sizeof buf);
        stat_field(buf, 3, &state);
        if (state == 'S') break;
        usleep(1000);
    }
    printf("thread: state %c, found by number %s, listed %s\n", state, yes(access(path, R_OK) == 0),
           yes(listed("/proc", (snprintf(v, sizeof v, "%d", thread_tid), v))));
    slurp("/proc/self/stat", buf, sizeof buf);
    printf("process threads now: %lld\n", stat_field(buf, 20, NULL));
    write(pipefd[1], "x", 1);
    pthread_join(th, NULL);

    int selfdir = open("/proc/self", O_RDONLY | O_DIRECTORY);
    printf("signal 0 through /proc/self: %s\n", err(syscall(SYS_pidfd_send_signal, selfdir, 0, NULL, 0)));
    close(selfdir);
    int regular = open("/proc/self/stat", O_RDONLY);
    printf("through a /proc file that is no directory: %s\n", err(syscall(SYS_pidfd_send_signal, regular, 0, NULL, 0)));
    close(regular);

    /* the fixed files */
    slurp("/proc/uptime", buf, sizeof buf);
    double up, idle;
    char dot1[8], dot2[8];
    printf("uptime: two numbers %s, format %s\n", yes(sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0),
           yes(sscanf(buf, "%*d.%2[0-9] %*d.%2[0-9]", dot1, dot2) == 2 && strlen(dot1) == 2 && strlen(dot2) == 2));
    slurp("/proc/loadavg", buf, sizeof buf);
    int run, all, last;
    double l1, l5, l15;
    printf("loadavg: format %s\n",
           yes(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &all, &last) == 6 && run >= 1 && all >= run &&
               last > 0));
    slurp("/proc/meminfo", buf, sizeof buf);
    long total = 0, mfree = 0;
    sscanf(buf, "MemTotal: %ld kB\nMemFree: %ld kB", &total, &mfree);
    printf("meminfo: MemTotal first %s, MemFree <= MemTotal %s\n", yes(!strncmp(buf, "MemTotal:", 9)),
           yes(total > 0 && mfree > 0 && mfree <= total));
    slurp("/proc/sys/kernel/pid_max", buf, sizeof buf);
    printf("pid_max: a number %s\n", yes(atoi(buf) > 0 && buf[strlen(buf) - 1] == '\n'));
    printf("self/ has fd status comm cmdline stat exe: %s\n",
           yes(listed("/proc/self", "fd") && listed("/proc/self", "status") && listed("/proc/self", "comm") &&
               listed("/proc/self", "cmdline") && listed("/proc/self", "stat") && listed("/proc/self", "exe")));
    printf("/proc lists self, sys, meminfo and me: %s\n",
           yes(listed("/proc", "self") && listed("/proc", "sys") && listed("/proc", "meminfo") &&
               listed("/proc", (snprintf(v, sizeof v, "%d", getpid()), v))));

    /* the calls that change names, and the ones files do not have */
    printf("mkdir /proc/x: %s\n", err(mkdir("/proc/x", 0755)));
    printf("mkdir /proc/self: %s\n", err(mkdir("/proc/self", 0755)));
    printf("create /proc/self/x: %s\n", err(open("/proc/self/x", O_CREAT | O_WRONLY, 0644)));
    printf("symlink /proc/x: %s\n", err(symlink("a", "/proc/x")));
    printf("unlink /proc/self/stat: %s\n", err(unlink("/proc/self/stat")));
    printf("rmdir /proc/self/fd: %s\n", err(rmdir("/proc/self/fd")));
    printf("rename stat to x: %s\n", err(rename("/proc/self/stat", "/proc/self/x")));
    printf("open /proc/99999999/stat: %s\n", err(open("/proc/99999999/stat", O_RDONLY)));
    printf("open /proc/01/stat: %s\n", err(open("/proc/01/stat", O_RDONLY)));
    printf("open /proc/self/stat/x: %s\n", err(open("/proc/self/stat/x", O_RDONLY)));
    int sfd = open("/proc/self/stat", O_RDONLY);
    printf("lseek SEEK_END: %s, SEEK_CUR 5: %s\n", err(lseek(sfd, 0, SEEK_END)), err(lseek(sfd, 5, SEEK_CUR)));
    n = pread(sfd, v, 4, 0);
    printf("pread at 0: %d bytes\n", n);
    printf("write to stat: %s\n", err(write(sfd, "x", 1)));
    close(sfd);
    if (mounted) printf("umount: %s\n", err(umount("/proc")));
    else printf("umount: ok\n");
    return 0;
}
