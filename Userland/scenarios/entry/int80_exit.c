/*
 * int80_exit - pins down that exit and exit_group through the int $0x80 gate behave
 * exactly like exit (60) and exit_group (231) through the syscall instruction.
 *
 * MiniKernel's int $0x80 gate takes the asm-generic numbers (exit 93, exit_group 94,
 * write 64, getpid 172) with arguments in rdi, rsi, rdx...  On real x86-64 Linux,
 * int $0x80 is the IA-32 compat entry: i386 numbers (exit 1, exit_group 252, write 4,
 * getpid 20) with arguments in ebx, ecx, edx.  The scenario looks at uname's release
 * (MiniKernel's ends in "minikernel") and uses the matching convention, so the output is
 * the same in both worlds.  Checked: the wait status of every exit path and code
 * (0, 1, 255, 256, 300, -1) is identical, int $0x80 getpid equals getpid, int $0x80 write
 * writes, an unknown number through int $0x80 is ENOSYS.
 */
#include "lib.h"

static int mk;

static long int80_exit(long code)
{
    return mk ? syscall_int80(GENERIC_NR_exit, code, 0, 0, 0, 0, 0)
              : syscall_int80_i386(I386_NR_exit, code, 0, 0);
}
static long int80_exit_group(long code)
{
    return mk ? syscall_int80(GENERIC_NR_exit_group, code, 0, 0, 0, 0, 0)
              : syscall_int80_i386(I386_NR_exit_group, code, 0, 0);
}
static long int80_getpid(void)
{
    return mk ? syscall_int80(GENERIC_NR_getpid, 0, 0, 0, 0, 0, 0)
              : syscall_int80_i386(I386_NR_getpid, 0, 0, 0);
}
static long int80_write(int fd, const char *buf, long n)
{
    /* buf must be below 4 GiB for the i386 entry: a string literal in the non-PIE image is. */
    return mk ? syscall_int80(GENERIC_NR_write, fd, (long)buf, n, 0, 0, 0)
              : syscall_int80_i386(I386_NR_write, fd, (long)buf, n);
}

enum how { VIA_SYSCALL_EXIT, VIA_SYSCALL_EXIT_GROUP, VIA_INT80_EXIT, VIA_INT80_EXIT_GROUP };
static const char *how_names[] = { "syscall exit(60)", "syscall exit_group(231)",
                                   "int80 exit(93)", "int80 exit_group(94)" };

static int run(enum how how, long code)
{
    long pid = must_fork();
    if (pid == 0) {
        switch (how) {
        case VIA_SYSCALL_EXIT: syscall1(SYS_exit, code); break;
        case VIA_SYSCALL_EXIT_GROUP: syscall1(SYS_exit_group, code); break;
        case VIA_INT80_EXIT: int80_exit(code); break;
        case VIA_INT80_EXIT_GROUP: int80_exit_group(code); break;
        }
        sys_exit(99);   /* not reached */
    }
    return wait_for(pid);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    mk = on_minikernel();
    say("int80_exit: start\n");

    static const long codes[] = { 0, 1, 255, 256, 300, -1 };
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int ref = run(VIA_SYSCALL_EXIT, codes[i]);
        for (int how = VIA_SYSCALL_EXIT; how <= VIA_INT80_EXIT_GROUP; how++) {
            int st = how == VIA_SYSCALL_EXIT ? ref : run((enum how)how, codes[i]);
            say("%s code %ld: WIFEXITED=%d WEXITSTATUS=%d status=0x%04x same as syscall exit: %s\n",
                how_names[how], codes[i], WIFEXITED(st) ? 1 : 0, WEXITSTATUS(st), st, yesno(st == ref));
        }
    }

    say("int80 getpid equals getpid: %s\n", yesno(int80_getpid() == sys_getpid()));
    static const char msg[] = "int80 write: hello through the gate\n";
    long r = int80_write(1, msg, sizeof msg - 1);
    say("int80 write returned the length: %s\n", yesno(r == (long)sizeof msg - 1));
    r = mk ? syscall_int80(1000, 0, 0, 0, 0, 0, 0) : syscall_int80_i386(1000, 0, 0, 0);
    say("int80 unknown number 1000: %s\n", errname(r));

    /* A child exits via int $0x80 while the parent keeps running via syscall. */
    long pid = must_fork();
    if (pid == 0)
        int80_exit_group(77);
    int st = wait_for(pid);
    say("parent reaped the int80 child: WEXITSTATUS=%d\n", WEXITSTATUS(st));
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
