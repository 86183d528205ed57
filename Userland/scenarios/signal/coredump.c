/*
 * coredump - a signal whose default action is "core" writes an ELF core file and sets
 * the 0x80 bit of the wait status (fs/coredump.c: vfs_coredump, coredump_wait,
 * zap_threads, coredump_finish; kernel/exit.c: coredump_task_exit; fs/binfmt_elf.c:
 * elf_core_dump; kernel/signal.c: get_signal).
 *
 *   - with RLIMIT_CORE 0, or below one page, or after prctl(PR_SET_DUMPABLE, 0), or with a
 *     directory called "core" in the way: no file and no WCOREDUMP bit
 *   - otherwise `core` in the working directory, mode 0600, replacing an old one; the
 *     status has WCOREDUMP and waitid says CLD_DUMPED
 *   - the file is an ELF core for x86-64 whose notes, read back here, hold an NT_PRSTATUS
 *     per thread (the dumping thread first, each with its tid and the signal), an
 *     NT_PRFPREG per thread, the process's NT_PRPSINFO (the leader's pid, the name set
 *     with PR_SET_NAME), NT_SIGINFO (signal, code, fault address or sender) and NT_AUXV
 *     (AT_PAGESZ, the program's AT_ENTRY); a PT_LOAD holds a global's value and an
 *     anonymous page's at their addresses
 *   - every thread of the group is in the dump, whichever thread faults, blocked or not
 * Needs Linux's default core_pattern ("core") and core_uses_pid 0 natively.
 */
#include "fs.h"
#include "signals.h"
#include "thread.h"

#define PR_SET_NAME 15
#define PR_GET_DUMPABLE 3
#define RLIMIT_CORE 4
#define NT_PRSTATUS 1
#define NT_PRFPREG 2
#define NT_PRPSINFO 3
#define NT_AUXV 6
#define NT_SIGINFO 0x53494749
#define AT_PAGESZ 6
#define AT_ENTRY 9
#define MARKER 0x1122334455667788UL

static volatile unsigned long marker;
static unsigned long entry;                   /* our AT_ENTRY, found past envp */

struct shared {
    volatile long tids[4];
    volatile long ready;
    volatile unsigned long page;              /* the anonymous page the child filled */
};
static struct shared *sh;

static void set_core_limit(unsigned long v)
{
    struct rlimit64 r = { v, ~0UL };
    if (sys_prlimit(0, RLIMIT_CORE, &r, NULL) != 0)
        fail("prlimit RLIMIT_CORE");
}

static int core_exists(void)
{
    struct kstat st;
    return sys_stat("core", &st) == 0 && (st.st_mode & 0170000) == 0100000;
}

/* ---- reading the core back ---- */

struct facts {
    int elf, prstatus, fpregs, psinfo, siginfo, auxv;
    long pids[8];
    int cursig;
    long psinfo_pid;
    char fname[17];
    int si_signo, si_code, si_pid;
    unsigned long si_addr, pagesz, at_entry;
    int marker_found, page_found;
};

static unsigned char notes[65536];
static unsigned char phdrs[64 * 56];

static unsigned long rd(const unsigned char *p, int n)
{
    unsigned long v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The 8 bytes at address va in the dumped memory, if a PT_LOAD holds them. */
static int read_memory(long fd, int phnum, unsigned long va, unsigned long *out)
{
    for (int i = 0; i < phnum; i++) {
        const unsigned char *ph = phdrs + i * 56;
        unsigned long off = rd(ph + 8, 8), vaddr = rd(ph + 16, 8), filesz = rd(ph + 32, 8);
        if (rd(ph, 4) == 1 && va >= vaddr && va + 8 <= vaddr + filesz)
            return sys_pread(fd, out, 8, (long)(off + va - vaddr)) == 8;
    }
    return 0;
}

static void read_core(struct facts *f)
{
    memset(f, 0, sizeof *f);
    long fd = sys_open("core", O_RDONLY, 0);
    if (fd < 0)
        return;
    unsigned char eh[64];
    if (sys_pread(fd, eh, 64, 0) != 64)
        goto out;
    f->elf = rd(eh, 4) == 0x464c457f && eh[4] == 2 && rd(eh + 16, 2) == 4 && rd(eh + 18, 2) == 62;
    int phnum = (int)rd(eh + 56, 2);
    if (phnum > 64)
        phnum = 64;
    sys_pread(fd, phdrs, phnum * 56, (long)rd(eh + 32, 8));
    for (int i = 0; i < phnum; i++) {
        const unsigned char *ph = phdrs + i * 56;
        if (rd(ph, 4) != 4)
            continue;
        long size = (long)rd(ph + 32, 8);
        if (size > (long)sizeof notes)
            size = sizeof notes;
        sys_pread(fd, notes, size, (long)rd(ph + 8, 8));
        for (long at = 0; at + 12 <= size;) {
            long namesz = (long)rd(notes + at, 4), descsz = (long)rd(notes + at + 4, 4);
            unsigned long type = rd(notes + at + 8, 4);
            const unsigned char *name = notes + at + 12, *d = name + ((namesz + 3) & ~3);
            at += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
            if (namesz != 5 || memcmp(name, "CORE", 5) != 0)
                continue;
            if (type == NT_PRSTATUS) {
                if (f->prstatus < 8)
                    f->pids[f->prstatus] = (int)rd(d + 32, 4);
                if (f->prstatus == 0)
                    f->cursig = (short)rd(d + 12, 2);
                f->prstatus++;
            } else if (type == NT_PRFPREG) {
                f->fpregs++;
            } else if (type == NT_PRPSINFO) {
                f->psinfo++;
                f->psinfo_pid = (int)rd(d + 24, 4);
                memcpy(f->fname, d + 40, 16);
            } else if (type == NT_SIGINFO) {
                f->siginfo++;
                f->si_signo = (int)rd(d, 4);
                f->si_code = (int)rd(d + 8, 4);
                f->si_addr = rd(d + 16, 8);
                f->si_pid = (int)rd(d + 16, 4);
            } else if (type == NT_AUXV) {
                f->auxv++;
                for (long k = 0; k + 16 <= descsz; k += 16) {
                    if (rd(d + k, 8) == AT_PAGESZ)
                        f->pagesz = rd(d + k + 8, 8);
                    if (rd(d + k, 8) == AT_ENTRY)
                        f->at_entry = rd(d + k + 8, 8);
                }
            }
        }
    }
    unsigned long v = 0;
    f->marker_found = read_memory(fd, phnum, (unsigned long)&marker, &v) && v == MARKER;
    f->page_found = read_memory(fd, phnum, sh->page + 8, &v) && v == 0xabcdef;
out:
    sys_close(fd);
}

static void say_notes(const struct facts *f, int threads)
{
    say("  ELF core for x86-64: %s; NT_PRSTATUS %d, NT_PRFPREG %d, NT_PRPSINFO %d, NT_SIGINFO %d, NT_AUXV %d"
        " (threads %d)\n", yesno(f->elf), f->prstatus, f->fpregs, f->psinfo, f->siginfo, f->auxv, threads);
    say("  pr_cursig %s, pr_fname \"%s\", AT_PAGESZ %lu, AT_ENTRY ours: %s\n", signame(f->cursig), f->fname,
        f->pagesz, yesno(f->at_entry == entry));
    say("  a global's value: %s, an anonymous page's: %s\n", yesno(f->marker_found), yesno(f->page_found));
}

/* ---- children that die ---- */

static void prepare(void)
{
    sys_prctl(PR_SET_NAME, (long)"dumper", 0, 0, 0);
    marker = MARKER;
    unsigned long *p = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[1] = 0xabcdef;
    sh->page = (unsigned long)p;
}

/* A store to address 0x10: SIGSEGV, SEGV_MAPERR, si_addr 0x10. */
static int *volatile bad_pointer = (int *)0x10;
static void segv(void) { *bad_pointer = 1; }

static int status_of(long pid)
{
    int st = 0;
    sys_wait4(pid, &st, 0, NULL);
    return st;
}

static void say_status(const char *what, int st)
{
    say("%s: killed by %s, WCOREDUMP %s, core file %s\n", what, signame(WTERMSIG(st)), yesno(WCOREDUMP(st)),
        yesno(core_exists()));
}

static void no_dump(void)
{
    set_core_limit(0);
    long pid = must_fork();
    if (pid == 0)
        segv();
    say_status("RLIMIT_CORE 0", status_of(pid));

    set_core_limit(4095);
    pid = must_fork();
    if (pid == 0)
        segv();
    say_status("RLIMIT_CORE 4095", status_of(pid));

    set_core_limit(~0UL);
    pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (sys_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            sys_exit(9);
        segv();
    }
    say_status("PR_SET_DUMPABLE 0", status_of(pid));

    sys_mkdir("core", 0755);
    pid = must_fork();
    if (pid == 0)
        segv();
    int st = status_of(pid);
    struct kstat s;
    sys_stat("core", &s);
    say("a directory called core: killed by %s, WCOREDUMP %s, still a directory: %s\n", signame(WTERMSIG(st)),
        yesno(WCOREDUMP(st)), yesno((s.st_mode & 0170000) == 0040000));
    sys_rmdir("core");
}

static void single(void)
{
    long fd = sys_open("core", O_CREAT | O_WRONLY, 0644);
    sys_write(fd, "old", 3);
    sys_close(fd);
    set_core_limit(~0UL);
    long pid = must_fork();
    if (pid == 0) {
        prepare();
        segv();
    }
    ksiginfo_t si;
    memset(&si, 0, sizeof si);
    long r = sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT, NULL);
    say("waitid: %s, %s, status %s\n", errname(r), si.si_code == CLD_DUMPED ? "CLD_DUMPED" : "not CLD_DUMPED",
        signame(si.si_status));
    int st = status_of(pid);
    say_status("SIGSEGV", st);
    struct kstat s;
    sys_stat("core", &s);
    say("  mode 0x%x, replaced the old one: %s\n", s.st_mode & 0777, yesno(s.st_size > 3));
    struct facts f;
    read_core(&f);
    say_notes(&f, 1);
    say("  the thread's tid: %s, PRPSINFO's pid: %s; si_signo %s, si_code %d, si_addr 0x%lx\n",
        yesno(f.pids[0] == pid), yesno(f.psinfo_pid == pid), signame(f.si_signo), f.si_code, f.si_addr);
    sys_unlink("core");

    sh->page = 0;
    pid = must_fork();
    if (pid == 0) {
        prepare();
        for (;;)
            sleep_ms(1000);
    }
    /* SIGQUIT from us once the child is ready (its name is set). */
    while (sh->page == 0)
        sleep_ms(1);
    sys_kill(pid, SIGQUIT);
    st = status_of(pid);
    say_status("SIGQUIT from the parent", st);
    read_core(&f);
    say("  si_signo %s, si_code SI_USER: %s, si_pid ours: %s\n", signame(f.si_signo), yesno(f.si_code == 0),
        yesno(f.si_pid == sys_getpid()));
    sys_unlink("core");
}

/* ---- threads ---- */

static int faulter(void *i)
{
    thread_report_ready((int)(long)i);
    while (sh->ready < 3)
        sleep_ms(1);
    segv();
    return 0;
}

static void threads(int leader_faults)
{
    sh->ready = 0;
    sh->page = 0;
    long pid = must_fork();
    if (pid == 0) {
        prepare();
        thread_report_to(sh->tids, &sh->ready);
        static struct thread t1, t2;
        sh->tids[0] = sys_gettid();
        if (thread_create(&t1, thread_block_futex, (void *)1L) < 0 ||
            thread_create(&t2, leader_faults ? thread_block_sleep : faulter, (void *)2L) < 0)
            fail("thread_create");
        __atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
        if (leader_faults) {
            while (sh->ready < 3)
                sleep_ms(1);
            segv();
        }
        for (;;)
            sleep_ms(1000);
    }
    int st = status_of(pid);
    say_status(leader_faults ? "three threads, the leader faults" : "three threads, a thread faults", st);
    struct facts f;
    read_core(&f);
    say_notes(&f, 3);
    long faulting = leader_faults ? sh->tids[0] : sh->tids[2];
    int all = f.prstatus == 3;
    for (int i = 0; i < 3 && all; i++) {
        int seen = 0;
        for (int k = 0; k < 3; k++)
            seen |= f.pids[k] == sh->tids[i];
        all &= seen;
    }
    say("  every thread's tid: %s, the faulting thread's first: %s, PRPSINFO's pid the leader's: %s\n", yesno(all),
        yesno(f.pids[0] == faulting), yesno(f.psinfo_pid == pid));
    sys_unlink("core");
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv;
    char **e = envp;
    while (*e)
        e++;
    for (unsigned long *a = (unsigned long *)(e + 1); a[0] != 0; a += 2)
        if (a[0] == AT_ENTRY)
            entry = a[1];
    long pf = sys_open("/proc/sys/kernel/core_pattern", O_RDONLY, 0);
    if (pf >= 0) {
        char pat[64] = { 0 };
        sys_read(pf, pat, sizeof pat - 1);
        sys_close(pf);
        if (strcmp(pat, "core\n") != 0) {
            say("core_pattern is %s; this scenario needs Linux's default, \"core\"\n", pat);
            return 1;
        }
    }
    say("coredump: start\n");
    signals_reset();
    sh = shared_page();
    long mk = sys_mkdir("t_core", 0755);
    say("mkdir t_core: %s, chdir: %s\n", errname(mk), errname(sys_chdir("t_core")));
    sys_umask(022);
    no_dump();
    single();
    threads(1);
    threads(0);
    sys_chdir("..");
    say("rmdir t_core: %s\n", errname(sys_rmdir("t_core")));
    say("DONE\n");
    return 0;
}
