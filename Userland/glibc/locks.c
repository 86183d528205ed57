/*
 * locks - POSIX record locks and OFD locks (fs/locks.c), as lockf() and databases use them:
 *   - another process sees a lock with F_GETLK (type, range, the holder's pid) and is refused
 *     by F_SETLK (EAGAIN) where they overlap and one is exclusive; read locks share;
 *   - one owner's touching locks of a type merge, and unlocking the middle splits one;
 *   - closing any descriptor of the file drops the process's locks on it, and so does its
 *     exit (exit_files); a F_SETLKW sleeper wakes when the holder unlocks;
 *   - two processes each waiting for the other's lock: EDEADLK for the second;
 *   - OFD locks belong to the open file description: two opens in one process conflict,
 *     and F_OFD_GETLK reports pid -1;
 *   - lockf(): F_TLOCK, F_TEST (EACCES when another holds it), F_ULOCK;
 *   - bad type or whence, a negative start: EINVAL; a write lock on a read-only fd: EBADF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }
static int lk(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}
static const char *tname(short t) { return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?"; }
/* F_GETLK for [start, start+len) as seen by `fd`'s owner, as text. */
static void getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len, pid_t holder) {
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    int r = fcntl(fd, cmd, &fl);
    if (r < 0) { printf("%s: %s\n", what, strerrorname_np(errno)); return; }
    if (fl.l_type == F_UNLCK) printf("%s: free\n", what);
    else printf("%s: %s [%lld, +%lld) pid %s\n", what, tname(fl.l_type), (long long)fl.l_start, (long long)fl.l_len,
                fl.l_pid == holder ? "holder" : fl.l_pid == -1 ? "-1" : "other");
}
/* Run `body` in a child and wait for it. */
#define IN_CHILD(body) do { fflush(stdout); pid_t c_ = fork(); if (c_ == 0) { body; fflush(stdout); _exit(0); } waitpid(c_, NULL, 0); } while (0)

static char state_of(pid_t p) {
    char path[64], buf[512] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", p);
    FILE *f = fopen(path, "r");
    if (!f) return '?';
    fgets(buf, sizeof buf, f);
    fclose(f);
    char *q = strrchr(buf, ')');
    return q ? q[2] : '?';
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct statfs sf;
    int mounted = 0;
    if (statfs("/proc", &sf) != 0 || sf.f_type != 0x9fa0) mounted = mount("proc", "/proc", "proc", 0, NULL) == 0;
    pid_t me = getpid();
    int fd = open("locks.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "0123456789", 10);

    printf("WR [0,10): %s\n", err(lk(fd, F_SETLK, F_WRLCK, 0, 10)));
    printf("WR [10,20): %s\n", err(lk(fd, F_SETLK, F_WRLCK, 10, 10)));
    IN_CHILD(getlk("child sees", fd, F_GETLK, F_RDLCK, 0, 100, me);
             printf("child WR [5,6): %s\n", err(lk(fd, F_SETLK, F_WRLCK, 5, 1)));
             printf("child WR [20,30): %s\n", err(lk(fd, F_SETLK, F_WRLCK, 20, 10))));
    printf("unlock [5,15): %s\n", err(lk(fd, F_SETLK, F_UNLCK, 5, 10)));
    IN_CHILD(getlk("child sees [5,15)", fd, F_GETLK, F_WRLCK, 5, 10, me);
             getlk("child sees [0,100)", fd, F_GETLK, F_WRLCK, 0, 100, me);
             getlk("child sees [15,100)", fd, F_GETLK, F_WRLCK, 15, 100, me));
    printf("to RD [0,20): %s\n", err(lk(fd, F_SETLK, F_RDLCK, 0, 20)));
    IN_CHILD(printf("child RD [0,5): %s\n", err(lk(fd, F_SETLK, F_RDLCK, 0, 5)));
             printf("child WR [0,5): %s\n", err(lk(fd, F_SETLK, F_WRLCK, 0, 5))));
    int other = open("locks.dat", O_RDONLY);
    close(other);
    IN_CHILD(getlk("after closing another fd of the file", fd, F_GETLK, F_WRLCK, 0, 0, me));

    /* A lock goes with its process; a sleeper wakes when it goes. */
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t holder = fork();
    if (holder == 0) {
        lk(fd, F_SETLK, F_WRLCK, 0, 0);
        write(p[1], "L", 1);
        usleep(100000);
        write(p[1], "U", 1);
        _exit(0);
    }
    char c;
    read(p[0], &c, 1);
    printf("F_SETLK while another holds it: %s\n", err(lk(fd, F_SETLK, F_WRLCK, 0, 1)));
    int r = lk(fd, F_SETLKW, F_WRLCK, 0, 1);
    char after = 0;
    read(p[0], &after, 1);
    printf("F_SETLKW: %s, after the holder let go: %s\n", err(r), after == 'U' ? "yes" : "no");
    waitpid(holder, NULL, 0);
    lk(fd, F_SETLK, F_UNLCK, 0, 0);

    /* Deadlock: I hold [0,1) and want [1,2); the child holds [1,2) and waits for [0,1). */
    lk(fd, F_SETLK, F_WRLCK, 0, 1);
    fflush(stdout);
    pid_t d = fork();
    if (d == 0) {
        lk(fd, F_SETLK, F_WRLCK, 1, 1);
        write(p[1], "B", 1);
        int rr = lk(fd, F_SETLKW, F_WRLCK, 0, 1);
        printf("the child's wait: %s\n", err(rr));
        _exit(0);
    }
    read(p[0], &c, 1);
    for (int i = 0; i < 5000 && state_of(d) != 'S'; i++) usleep(1000);
    printf("my wait for the child's lock: %s\n", err(lk(fd, F_SETLKW, F_WRLCK, 1, 1)));
    lk(fd, F_SETLK, F_UNLCK, 0, 0);
    waitpid(d, NULL, 0);

    /* OFD locks. */
    int a = open("locks.dat", O_RDWR), b = open("locks.dat", O_RDWR);
    struct flock ofl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
    printf("OFD WR on one open: %s\n", err(fcntl(a, F_OFD_SETLK, &ofl)));
    printf("OFD WR on another open: %s\n", err(fcntl(b, F_OFD_SETLK, &ofl)));
    getlk("OFD GETLK from the other", b, F_OFD_GETLK, F_WRLCK, 0, 4, me);
    getlk("POSIX GETLK by the same process", fd, F_GETLK, F_WRLCK, 0, 4, me);
    ofl.l_pid = 1;
    printf("OFD with l_pid set: %s\n", err(fcntl(b, F_OFD_SETLK, &ofl)));
    close(a);
    ofl.l_pid = 0;
    printf("after closing the first open: %s\n", err(fcntl(b, F_OFD_SETLK, &ofl)));
    close(b);

    /* lockf. */
    lseek(fd, 0, SEEK_SET);
    printf("lockf F_TLOCK 4: %s\n", err(lockf(fd, F_TLOCK, 4)));
    IN_CHILD(printf("child lockf F_TEST: %s\n", err(lockf(fd, F_TEST, 4)));
             printf("child lockf F_TLOCK: %s\n", err(lockf(fd, F_TLOCK, 4))));
    printf("lockf F_ULOCK: %s\n", err(lockf(fd, F_ULOCK, 4)));
    IN_CHILD(printf("child lockf F_TEST now: %s\n", err(lockf(fd, F_TEST, 4))));

    /* Bad requests. */
    printf("type 5: %s\n", err(lk(fd, F_SETLK, 5, 0, 1)));
    struct flock bw = { .l_type = F_RDLCK, .l_whence = 7 };
    printf("whence 7: %s\n", err(fcntl(fd, F_SETLK, &bw)));
    printf("start -1: %s\n", err(lk(fd, F_SETLK, F_RDLCK, -1, 1)));
    int ro = open("locks.dat", O_RDONLY);
    printf("WR on a read-only fd: %s\n", err(lk(ro, F_SETLK, F_WRLCK, 0, 1)));
    close(ro);
    close(fd);
    unlink("locks.dat");
    if (mounted) umount("/proc");
    return 0;
}
