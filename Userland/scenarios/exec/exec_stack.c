/*
 * exec_stack - pins down the initial stack execve builds (Linux: create_elf_tables).
 *
 * Checked as relations, since addresses, the environment and the path differ between
 * worlds (Linux randomizes the stack; the harness's environment is not init's):
 *   - rsp at entry is 16-byte aligned and points at argc; argv[argc] and the envp
 *     terminator are NULL, envp follows argv's NULL
 *   - the strings are packed back to back in the order argv, envp, execfn, and the
 *     execfn's NUL is followed by 8 zero bytes and then a page boundary (STACK_TOP)
 *   - the auxv holds AT_PAGESZ 4096, AT_PHENT 56, AT_PHNUM and AT_PHDR that describe
 *     this program's headers, AT_ENTRY == _start, AT_BASE 0, AT_FLAGS 0, AT_SECURE 0,
 *     AT_CLKTCK 100, AT_RANDOM (16 bytes just below the "x86_64" of AT_PLATFORM, below
 *     the strings), AT_EXECFN (the path execve got) and ends with AT_NULL
 *   - a re-exec with a chosen argv and envp sees exactly them, in the same layout
 *   - the program's own .data, .bss and brk start as Linux lays them out: .bss is
 *     zero, brk(0) is page aligned and at or above the end of .bss
 */
#include "lib.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_PLATFORM 15
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

extern char _start[];
extern char __bss_start[], _end[];
static long data_word = 42;
static char bss_area[3 * 4096];

static unsigned long aux(unsigned long *auxv, unsigned long key, int *found)
{
    for (unsigned long *p = auxv; p[0] != AT_NULL; p += 2)
        if (p[0] == key) { *found = 1; return p[1]; }
    *found = 0;
    return 0;
}

static void check(int argc, char **argv, char **envp, const char *who)
{
    say("%s: argc=%d\n", who, argc);
    say("%s: rsp at entry 16-byte aligned: %s\n", who, yesno((((unsigned long)argv - 8) & 15) == 0));
    say("%s: argv[argc] NULL, envp after it: %s\n", who, yesno(argv[argc] == NULL && envp == argv + argc + 1));
    char **e = envp;
    while (*e) e++;
    unsigned long *auxv = (unsigned long *)(e + 1);

    /* Strings back to back: argv, envp, execfn. */
    int packed = 1;
    char *next = argv[0];
    for (int i = 0; i < argc; i++) {
        if (argv[i] != next) packed = 0;
        next = argv[i] + strlen(argv[i]) + 1;
    }
    for (char **p = envp; *p; p++) {
        if (*p != next) packed = 0;
        next = *p + strlen(*p) + 1;
    }
    int f;
    char *execfn = (char *)aux(auxv, AT_EXECFN, &f);
    say("%s: AT_EXECFN present: %s, right after the strings: %s\n", who, yesno(f), yesno(f && execfn == next));
    say("%s: argv and envp strings packed in order: %s\n", who, yesno(packed));
    char *top = execfn + strlen(execfn) + 1;
    int zeros = 1;
    for (int i = 0; i < 8; i++) if (top[i]) zeros = 0;
    say("%s: 8 zero bytes then a page boundary after execfn: %s\n", who,
        yesno(zeros && (((unsigned long)top + 8) & 4095) == 0));

    say("%s: AT_PAGESZ %lu\n", who, aux(auxv, AT_PAGESZ, &f));
    say("%s: AT_PHENT %lu\n", who, aux(auxv, AT_PHENT, &f));
    say("%s: AT_BASE %lu, AT_FLAGS %lu, AT_SECURE %lu, AT_CLKTCK %lu\n", who, aux(auxv, AT_BASE, &f),
        aux(auxv, AT_FLAGS, &f), aux(auxv, AT_SECURE, &f), aux(auxv, AT_CLKTCK, &f));
    say("%s: AT_ENTRY is _start: %s\n", who, yesno(aux(auxv, AT_ENTRY, &f) == (unsigned long)_start));
    unsigned long phnum = aux(auxv, AT_PHNUM, &f);
    unsigned int *phdr = (unsigned int *)aux(auxv, AT_PHDR, &f);
    /* Elf64_Phdr: p_type at 0; the first one of a static binary is PT_LOAD (1) here, and
     * one of them must map the headers' own address. */
    int loads = 0;
    for (unsigned long i = 0; i < phnum; i++)
        if (phdr[i * 14] == 1) loads++;
    say("%s: AT_PHDR/AT_PHNUM describe %s PT_LOAD segments: %s\n", who, loads > 0 ? "some" : "no", yesno(loads > 0));
    char *plat = (char *)aux(auxv, AT_PLATFORM, &f);
    say("%s: AT_PLATFORM \"%s\"\n", who, f ? plat : "(none)");
    char *rnd = (char *)aux(auxv, AT_RANDOM, &f);
    say("%s: AT_RANDOM right below AT_PLATFORM, below the strings: %s\n", who,
        yesno(f && rnd + 16 == plat && plat + 7 <= argv[0]));
    say("%s: auxv ends below AT_RANDOM: %s\n", who, yesno((char *)auxv < rnd));
}

int main(int argc, char **argv, char **envp)
{
    if (argc >= 2 && strcmp(argv[1], "child") == 0) {
        check(argc, argv, envp, "re-exec");
        for (int i = 1; i < argc; i++) say("re-exec: argv[%d]=\"%s\"\n", i, argv[i]);
        for (int i = 0; envp[i]; i++) say("re-exec: envp[%d]=\"%s\"\n", i, envp[i]);
        return 0;
    }
    say("exec_stack: start\n");
    check(argc, argv, envp, "first");
    say(".data initialised: %s, .bss zero: %s\n", yesno(data_word == 42),
        yesno(bss_area[0] == 0 && bss_area[4096] == 0 && bss_area[3 * 4096 - 1] == 0));
    unsigned long brk0 = (unsigned long)sys_brk(NULL);
    say("brk(0) page aligned and above .bss: %s\n", yesno((brk0 & 4095) == 0 && brk0 >= (unsigned long)_end));

    long pid = must_fork();
    if (pid == 0) {
        char *args[] = { argv[0], "child", "", "two words", "x", NULL };
        char *env[] = { "A=1", "", "LONG=0123456789abcdef", NULL };
        long r = sys_execve(argv[0], args, env);
        say("execve failed: %s\n", errname(r));
        sys_exit(1);
    }
    int status = wait_for(pid);
    say("re-exec exited 0: %s\n", yesno(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    say("DONE\n");
    return 0;
}
