/*
 * enosys - pins down what Linux x86-64 answers for system call numbers it does not have.
 *
 *   - numbers past the end of the table (500, 1000, 4096, 0x3fffffff), numbers in the
 *     x32 range (512..547, rejected on the 64-bit ABI), 400 and 423 in the gap before
 *     pidfd_send_signal (not 335/336: this machine's kernel uses those), and the
 *     table's never-implemented slots (create_module 174, get_kernel_syms 177,
 *     query_module 178, nfsservctl 180, getpmsg 181, putpmsg 182, afs_syscall 183,
 *     tuxcall 184, security 185, vserver 236) all return -ENOSYS
 *   - -1 (rax = 0xffffffffffffffff) returns -ENOSYS
 *   - only the low 32 bits of rax select the call, sign-extended: rax = 0x1_0000_0027
 *     is getpid (39) and rax = 0xffffffff_0000_0027 too, while 0x0000_0000_8000_0027 is
 *     a negative int and gives ENOSYS
 *   - the process keeps running after any number of unknown calls
 */
#include "lib.h"

static void try_nr(const char *label, long nr)
{
    long r = syscall6(nr, 1, 2, 3, 4, 5, 6);
    say("syscall(%s): %s\n", label, errname(r));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("enosys: start\n");
    static const long nrs[] = { 174, 177, 178, 180, 181, 182, 183, 184, 185, 236,
                                400, 423, 500, 512, 530, 547, 1000, 4096, 0x3fffffff };
    char label[32];
    for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
        format(label, sizeof label, "%ld", nrs[i]);
        try_nr(label, nrs[i]);
    }
    try_nr("-1", -1);
    try_nr("-2", -2);
    try_nr("0x7fffffff", 0x7fffffffL);
    try_nr("0x80000000", 0x80000000L);
    try_nr("0x80000027", 0x80000027L);

    long pid = sys_getpid();
    say("syscall(0x100000027) is getpid: %s\n", yesno(syscall0(0x100000027L) == pid));
    say("syscall(0xffffffff00000027) is getpid: %s\n", yesno(syscall0((long)0xffffffff00000027UL) == pid));

    /* Many unknown calls in a row do not hurt. */
    int all = 1;
    for (int i = 0; i < 1000; i++)
        if (syscall0(600 + i) != -ENOSYS)
            all = 0;
    say("1000 unknown calls 600..1599 all ENOSYS: %s\n", yesno(all));
    say("still the same process: %s\n", yesno(sys_getpid() == pid));
    say("DONE\n");
    return 0;
}
