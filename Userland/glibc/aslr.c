/*
 * aslr - address-space randomisation as Linux does it (fs/binfmt_elf.c, arch/x86/mm/mmap.c,
 * kernel/exec_domain.c), seen from user space:
 *   - randomisation is on unless kernel.randomize_va_space is 0 (MiniKernel: `norandmaps`)
 *     or the process's personality has ADDR_NO_RANDOMIZE (`setarch -R`); /proc/<pid>/stat
 *     then shows PF_RANDOMIZE in its flags;
 *   - with it, two execs of the same program put the stack, the mmap area and the brk heap
 *     at different places (the code of this non-PIE program stays where it was linked);
 *     the stack stays within 16 GiB of the top and the brk within 1 GiB of the data;
 *   - personality(ADDR_NO_RANDOMIZE) makes the next execs place everything the same, and
 *     fork and exec keep the personality; personality(0xffffffff) only reads it.
 * Each exec is a child re-running this program with "probe", which prints its addresses on
 * a pipe. Run natively under `setarch -R`, it prints what MiniKernel booted with
 * `norandmaps` prints (Tests/QEMUTests/GlibcTests.swift).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char end;
struct addrs { uintptr_t stack, mmap, brk, code, data_end; unsigned long flags; unsigned persona; };

static unsigned long stat_flags(void) {
    FILE *f = fopen("/proc/self/stat", "r");
    char buf[1024] = "";
    if (f) { fgets(buf, sizeof buf, f); fclose(f); }
    char *p = strrchr(buf, ')');
    unsigned long flags = 0;
    if (p) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags);
    return flags;
}

static struct addrs probe(const char *self) {
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        dup2(p[1], 3);
        execl(self, self, "probe", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    struct addrs a = { 0 };
    read(p[0], &a, sizeof a);
    close(p[0]);
    waitpid(c, NULL, 0);
    return a;
}

static const char *yes(int c) { return c ? "yes" : "no"; }

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "probe")) {
        int local;
        struct addrs a = { (uintptr_t)&local, (uintptr_t)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                           (uintptr_t)sbrk(0), (uintptr_t)main, (uintptr_t)&end, stat_flags(),
                           (unsigned)personality(0xffffffff) };
        write(3, &a, sizeof a);
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    struct statfs sf;
    int mounted = 0;
    if (statfs("/proc", &sf) != 0 || sf.f_type != 0x9fa0) mounted = mount("proc", "/proc", "proc", 0, NULL) == 0;
    FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
    int rvs = -1;
    if (f) { fscanf(f, "%d", &rvs); fclose(f); }
    int persona = personality(0xffffffff);
    int randomizes = rvs > 0 && !(persona & ADDR_NO_RANDOMIZE);
    printf("randomizes: %s\n", yes(randomizes));

    struct addrs a = probe(argv[0]), b = probe(argv[0]);
    printf("PF_RANDOMIZE in a child's stat: %s\n", yes(a.flags & 0x400000));
    printf("two execs: stack moves %s, mmap moves %s, brk moves %s, code moves %s\n", yes(a.stack != b.stack),
           yes(a.mmap != b.mmap), yes(a.brk != b.brk), yes(a.code != b.code));
    printf("stack within 16 GiB of the top: %s\n", yes(0x7ffffffff000 - a.stack < (16ULL << 30) + (8 << 20)));
    printf("brk within 1 GiB of the data: %s\n", yes(a.brk >= a.data_end && a.brk - a.data_end <= (1ULL << 30) + 8192));
    printf("mmap area at least 128 MiB under the stack: %s\n", yes(a.stack > a.mmap && a.stack - a.mmap >= (128 << 20)));

    personality(persona | ADDR_NO_RANDOMIZE);
    printf("personality now: %#x\n", personality(0xffffffff));
    a = probe(argv[0]);
    b = probe(argv[0]);
    printf("ADDR_NO_RANDOMIZE: stack moves %s, mmap moves %s, brk moves %s; PF_RANDOMIZE %s; child's personality %#x\n",
           yes(a.stack != b.stack), yes(a.mmap != b.mmap), yes(a.brk != b.brk), yes(a.flags & 0x400000), a.persona);
    if (mounted) umount("/proc");
    return 0;
}
