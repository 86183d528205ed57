/*
 * execve_args - pins down execve's argument passing and its error returns.
 *
 * The program re-executes itself through argv[0] (its path both natively and as /init in
 * the initramfs) with a chosen argv and envp; the new image prints what it received.
 *   - argc/argv/envp arrive exactly as passed, including empty strings and spaces
 *   - the pid and parent pid are unchanged across execve; memory is fresh (a global set
 *     before execve reads as its initial value in the new image)
 *   - an empty envp, or a NULL envp pointer, gives envp[0] == NULL
 *   - an empty argv, or a NULL argv pointer, gives argc == 1 with argv[0] == "" (Linux 5.18+
 *     inserts the empty string so that argv[0] always exists)
 *   - errors return to the caller, which keeps running:
 *       missing file or empty path -> ENOENT, a path through a regular file -> ENOTDIR,
 *       a directory -> EACCES, bad filename pointer (low, kernel or non-canonical) ->
 *       EFAULT, bad argv/envp array or element pointer -> EFAULT, a single argument
 *       string longer than MAX_ARG_STRLEN (32 pages) -> E2BIG.
 *     Order: the file is looked up before argv/envp are read, so a missing file with a
 *     bad argv is ENOENT.
 */
#include "lib.h"

static long marker = 1;   /* set to 2 before execve; the new image must see 1 */
static char huge[32 * 4096 + 16];

static void child_mode(int argc, char **argv, char **envp)
{
    /* argv[0] is the path, which differs between worlds (build path vs /init): not printed. */
    say("new image: argc=%d\n", argc);
    say("new image: argv[0] is a path to me: %s\n", yesno(argv[0] && argv[0][0] != 0));
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "pid=", 4) == 0 || strncmp(argv[i], "ppid=", 5) == 0)
            continue;
        say("new image: argv[%d]=\"%s\"\n", i, argv[i]);
    }
    say("new image: argv[argc] is NULL: %s\n", yesno(argv[argc] == NULL));
    int n = 0;
    for (char **e = envp; *e; e++, n++)
        say("new image: envp[%d]=\"%s\"\n", n, *e);
    say("new image: %d environment strings\n", n);
    /* pid and parent unchanged: the old image passed them as "pid=N" "ppid=N". */
    char want[32];
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "pid=", 4) == 0) {
            format(want, sizeof want, "pid=%ld", sys_getpid());
            say("new image: pid unchanged across execve: %s\n", yesno(strcmp(want, argv[i]) == 0));
        }
        if (strncmp(argv[i], "ppid=", 5) == 0) {
            format(want, sizeof want, "ppid=%ld", sys_getppid());
            say("new image: parent unchanged across execve: %s\n", yesno(strcmp(want, argv[i]) == 0));
        }
    }
    say("new image: globals are fresh (marker=%ld)\n", marker);
}

static void exec_child(const char *self, char **args, char **env, int code)
{
    long pid = must_fork();
    if (pid == 0) {
        marker = 2;
        long r = sys_execve(self, args, env);
        say("execve failed: %s\n", errname(r));
        sys_exit(127);
    }
    int status = wait_for(pid);
    say("parent: exec'd child WIFEXITED=%d WEXITSTATUS=%d (want %d)\n", WIFEXITED(status) ? 1 : 0,
        WEXITSTATUS(status), code);
}

static void try_exec(const char *what, const char *path, char **args, char **env)
{
    long r = sys_execve(path, args, env);
    say("execve(%s): %s\n", what, errname(r));
}

int main(int argc, char **argv, char **envp)
{
    if (argc > 1 && strcmp(argv[1], "execve-child") == 0) {
        child_mode(argc, argv, envp);
        return 9;
    }
    if (argc > 1 && strcmp(argv[1], "execve-child-quiet") == 0) {
        say("new image: argc=%d, envp[0] is NULL: %s\n", argc, yesno(envp[0] == NULL));
        return 10;
    }
    for (char **e = envp; *e; e++) {
        if (strcmp(*e, "EXECVE_MODE=empty-argv") == 0) {
            say("new image: argc=%d, argv[0]=\"%s\", argv[1] is NULL: %s\n", argc,
                argc > 0 ? argv[0] : "(none)", yesno(argc > 0 && argv[1] == NULL));
            return 11;
        }
    }
    say("execve_args: start\n");
    const char *self = argv[0];

    /* 1. Full argv and envp. */
    char pidarg[32], ppidarg[32];
    long pid = must_fork();
    if (pid == 0) {
        format(pidarg, sizeof pidarg, "pid=%ld", sys_getpid());
        format(ppidarg, sizeof ppidarg, "ppid=%ld", sys_getppid());
        char *args[] = { (char *)self, "execve-child", "hello world", "", "  spaced  ",
                         pidarg, ppidarg, "last", NULL };
        char *env[] = { "A=1", "B=two words", "EMPTY=", "NOEQUALS", "", "Z=last", NULL };
        marker = 2;
        long r = sys_execve(self, args, env);
        say("execve failed: %s\n", errname(r));
        sys_exit(127);
    }
    int status = wait_for(pid);
    say("parent: exec'd child WIFEXITED=%d WEXITSTATUS=%d\n", WIFEXITED(status) ? 1 : 0,
        WEXITSTATUS(status));

    /* 2. Empty environment. */
    char *args2[] = { (char *)self, "execve-child-quiet", NULL };
    char *noenv[] = { NULL };
    exec_child(self, args2, noenv, 10);
    /* 3. NULL envp pointer means an empty environment too. */
    exec_child(self, args2, NULL, 10);

    /* 4. Empty argv and NULL argv: the kernel supplies argv[0] = "". */
    char *noargs[] = { NULL };
    char *modeenv[] = { "EXECVE_MODE=empty-argv", NULL };
    exec_child(self, noargs, modeenv, 11);
    exec_child(self, NULL, modeenv, 11);

    /* 5. Errors: execve returns and we keep running. */
    char *args[] = { (char *)self, "never", NULL };
    char *env[] = { "X=1", NULL };
    char self_slash[4096];
    format(self_slash, sizeof self_slash, "%s/x", self);
    try_exec("missing file", "/no/such/file", args, env);
    try_exec("missing file in /", "/no-such-file", args, env);
    try_exec("empty path", "", args, env);
    try_exec("path through a regular file", self_slash, args, env);
    try_exec("a directory", "/", args, env);
    try_exec("filename (void*)1", (const char *)1, args, env);
    try_exec("filename NULL", NULL, args, env);
    try_exec("filename 0x1000", (const char *)0x1000, args, env);
    try_exec("filename kernel address", (const char *)0xffff888000000000UL, args, env);
    try_exec("filename non-canonical", (const char *)0x8000000000000000UL, args, env);
    try_exec("argv (void*)1", self, (char **)1, env);
    try_exec("argv kernel address", self, (char **)0xffff888000000000UL, env);
    char *bad_elem[] = { (char *)self, (char *)1, NULL };
    try_exec("argv[1] (void*)1", self, bad_elem, env);
    try_exec("envp (void*)1", self, args, (char **)1);
    char *bad_env[] = { "OK=1", (char *)0xffff888000000000UL, NULL };
    try_exec("envp[1] kernel address", self, args, bad_env);
    try_exec("missing file with bad argv", "/no/such/file", (char **)1, env);

    memset(huge, 'x', 32 * 4096);          /* 131072 chars + NUL > MAX_ARG_STRLEN */
    char *big_args[] = { (char *)self, huge, NULL };
    try_exec("argument of 131072 bytes", self, big_args, env);
    char *big_env[] = { huge, NULL };
    try_exec("environment string of 131072 bytes", self, args, big_env);

    say("still running after failed execve calls: yes\n");
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, &status, 0, NULL)));
    say("DONE\n");
    return 0;
}
