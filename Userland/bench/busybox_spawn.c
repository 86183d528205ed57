/*
 * busybox_spawn - Debian's busybox shell runs `/bin/sh -c true` 200 times: fork, exec of
 * /bin/busybox from the RAM filesystem (the initramfs), exit, wait, all done by busybox.
 *
 * This program (init) starts `/bin/sh -c SCRIPT` with its stdout on a pipe, where SCRIPT is
 *     i=0; while [ $i -lt N ]; do /bin/sh -c true || exit 9; i=$((i+1)); done; echo $i
 * The path /bin/sh makes busybox's ash exec it (an applet name alone could be run in the
 * forked child without an exec).  One run of N = 5 warms up, then the timed run of N = 200
 * goes from before the fork of the outer shell to the return of its wait4.  The run is
 * correct when the outer shell printed "200" and exited 0.  The initramfs holds busybox and
 * its applet links (scripts/busybox-initramfs.sh); bench.py skips this program without
 * /bin/busybox (package busybox-static).
 *
 *   BENCH name=busybox_spawn metric=sh_c_true_ns value=MEAN unit=ns n=200   total / 200
 *   BENCH name=busybox_spawn metric=total_us value=TOTAL unit=us n=1
 */
#include "bench.h"
#include "fs.h"

#define N 200

static long run_loop(int n)
{
    char script[160];
    format(script, sizeof script,
           "i=0; while [ $i -lt %d ]; do /bin/sh -c true || exit 9; i=$((i+1)); done; echo $i", n);
    char *argv[] = {"sh", "-c", script, NULL};
    char *envp[] = {"HOME=/", "TERM=linux", NULL};
    int fds[2];
    long r = sys_pipe(fds);
    if (r < 0)
        bench_fail("pipe returned %s", errname(r));
    long t0 = now_ns();
    long pid = bench_fork();
    if (pid == 0) {
        sys_dup2(fds[1], 1);
        sys_close(fds[0]);
        sys_close(fds[1]);
        r = sys_execve("/bin/sh", argv, envp);
        bench_fail("execve(/bin/sh) returned %s", errname(r));
    }
    sys_close(fds[1]);
    char out[64];
    long got = 0;
    while (got < (long)sizeof out - 1) {
        long k = sys_read(fds[0], out + got, sizeof out - 1 - got);
        if (k <= 0)
            break;
        got += k;
    }
    out[got] = 0;
    bench_reap(pid, 0);
    long t1 = now_ns();
    sys_close(fds[0]);
    char want[16];
    format(want, sizeof want, "%d\n", n);
    if (strcmp(out, want) != 0)
        bench_fail("the shell printed \"%s\", want %d spawns", out, n);
    return t1 - t0;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    bench_start("busybox_spawn");
    run_loop(5);
    long total = run_loop(N);
    bench_report("sh_c_true_ns", total / N, "ns", N, "");
    bench_report("total_us", total / 1000, "us", 1, "");
    return bench_done();
}
