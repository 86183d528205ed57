/*
 * dynamic_spawn - Debian's dynamically linked programs, start to exit: `dash -c true` and
 * `python3.11 -c pass`, each forked and exec'd by init and reaped, as a shell or a build
 * system runs them. Most of the time is the program's own start-up in user mode: ld.so
 * mapping and relocating libc (and for CPython libpython, libm, libz, libexpat...), then
 * CPython importing its start-up modules; the kernel's part is exec, mmap of the files,
 * page faults on them, and exit.
 *
 * The initramfs (bench.py, with tools/mkinitramfs) holds dash, python3.11, their loader and
 * libraries, and the standard library. One warm-up run of each comes first (CPython then
 * writes its .pyc caches into the RAM filesystem, as a first run on any machine does);
 * then the timed runs, each from before the fork to the return of wait4, checked for exit
 * status 0.
 *
 *   BENCH name=dynamic_spawn metric=dash_c_true_ns value=MEAN unit=ns n=50
 *   BENCH name=dynamic_spawn metric=python_c_pass_ns value=MEAN unit=ns n=5
 */
#include "bench.h"

static long run(const char *path, char **argv, int rounds)
{
    char *envp[] = {"HOME=/", "TERM=linux", "PATH=/usr/bin:/bin", NULL};
    long total = 0;
    for (int i = 0; i < rounds; i++) {
        long t0 = now_ns();
        long pid = bench_fork();
        if (pid == 0) {
            long r = sys_execve(path, argv, envp);
            bench_fail("execve(%s) returned %s", path, errname(r));
        }
        bench_reap(pid, 0);
        total += now_ns() - t0;
    }
    return total / rounds;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    bench_start("dynamic_spawn");
    char *dash[] = {"dash", "-c", "true", NULL};
    char *python[] = {"python3.11", "-c", "pass", NULL};
    run("/usr/bin/dash", dash, 1);
    bench_report("dash_c_true_ns", run("/usr/bin/dash", dash, 50), "ns", 50, "");
    run("/usr/bin/python3.11", python, 1);
    bench_report("python_c_pass_ns", run("/usr/bin/python3.11", python, 5), "ns", 5, "");
    return bench_done();
}
