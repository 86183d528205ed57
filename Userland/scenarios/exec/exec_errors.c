/*
 * exec_errors - pins down execve's answers for files that exist but are not programs.
 *
 * The build puts two executable (mode 0755) non-programs next to the scenario binaries,
 * and the tests put them next to /init in the initramfs, so both are found at
 * dirname(argv[0]) + "/notelf.txt" and "/badelf.bin" in both worlds:
 *   - notelf.txt is plain text; badelf.bin starts with the ELF magic "\x7fELF" followed
 *     by garbage (no valid class, type or machine).  Linux tries every binary format;
 *     none accepts them, so execve returns -ENOEXEC
 *   - a directory (dirname(argv[0]) itself) gives -EACCES (not a regular file)
 *   - "notelf.txt/" (trailing slash on a file) gives -ENOTDIR
 *   - order of checks: the file is opened (EACCES for a directory) before argv is read,
 *     and argv is read (EFAULT for a bad pointer) before the format is checked, so
 *     notelf.txt with argv = (char **)1 gives EFAULT, not ENOEXEC
 *   - ENOEXEC is returned before the point of no return: the caller keeps running with
 *     its memory and pid unchanged, can try again, and a vfork child whose exec fails
 *     can still _exit and let its parent resume
 */
#include "lib.h"

static char dir[512], notelf[600], badelf[600], trailing[600];
static volatile long canary = 12345;

static void try_exec(const char *what, const char *path, char **args)
{
    char *env[] = { NULL };
    long r = sys_execve(path, args, env);
    say("execve(%s): %s\n", what, errname(r));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)envp;
    say("exec_errors: start\n");

    /* dirname(argv[0]): "/init" -> "/", "/a/b/exec_errors" -> "/a/b". */
    strcpy(dir, argv[0]);
    char *slash = NULL;
    for (char *p = dir; *p; p++)
        if (*p == '/')
            slash = p;
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
    format(notelf, sizeof notelf, "%s%snotelf.txt", dir, sep);
    format(badelf, sizeof badelf, "%s%sbadelf.bin", dir, sep);
    format(trailing, sizeof trailing, "%s%snotelf.txt/", dir, sep);

    char *args[] = { "notaprogram", NULL };
    long pid_before = sys_getpid();
    try_exec("plain text file", notelf, args);
    try_exec("\\x7fELF followed by garbage", badelf, args);
    try_exec("the program's directory", dir, args);
    try_exec("plain text file with a trailing slash", trailing, args);
    try_exec("plain text file, bad argv pointer", notelf, (char **)1);
    try_exec("directory, bad argv pointer", dir, (char **)1);
    try_exec("plain text file again", notelf, args);
    say("after the failures: same pid: %s, memory intact: %s\n", yesno(sys_getpid() == pid_before),
        yesno(canary == 12345));

    /* A vfork child whose exec fails leaves with _exit; the parent then resumes. */
    long pid = sys_vfork();
    if (pid == 0) {
        char *env[] = { NULL };
        long r = sys_execve(notelf, args, env);
        sys_exit(r == -ENOEXEC ? 8 : 1);
    }
    if (pid < 0)
        fail("vfork");
    int status = wait_for(pid);
    say("vfork child whose execve failed with ENOEXEC: WEXITSTATUS=%d\n", WEXITSTATUS(status));

    /* A forked child too: its failed exec does not disturb the parent. */
    pid = must_fork();
    if (pid == 0) {
        char *env[] = { NULL };
        long r = sys_execve(badelf, args, env);
        sys_exit(r == -ENOEXEC ? 9 : 1);
    }
    status = wait_for(pid);
    say("fork child whose execve failed with ENOEXEC: WEXITSTATUS=%d\n", WEXITSTATUS(status));
    say("DONE\n");
    return 0;
}
