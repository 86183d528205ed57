/*
 * altstack - sigaltstack(2) and SA_ONSTACK (kernel/signal.c: do_sigaltstack, sas_ss_flags;
 * arch/x86/kernel/signal.c: get_sigframe; restore_altstack at rt_sigreturn).
 *
 *   - A new process has no alternate stack: SS_DISABLE, size 0.
 *   - Errors: a size under MINSIGSTKSZ is ENOMEM, an unknown mode EINVAL, a bad pointer
 *     EFAULT; changing the stack while running on it is EPERM.
 *   - A handler with SA_ONSTACK runs on the alternate stack and sees SS_ONSTACK there; one
 *     without runs on the thread's stack. uc_stack in its ucontext is the stack as set.
 *   - The classic use: a stack overflow's SIGSEGV handled on the alternate stack (what
 *     CPython's faulthandler installs), leaving with siglongjmp.
 *   - SS_AUTODISARM: delivery disarms the stack for the handler, which may then set one;
 *     rt_sigreturn's restore of uc_stack is judged from the handler's stack pointer (Linux
 *     restores the alternate stack before the registers), so it is refused (EPERM, ignored).
 *   - fork keeps it, a new thread starts without one, exec drops it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)    /* <linux/signal.h>; glibc does not define it */
#endif
#define ALT_SIZE (64 * 1024)
static char *alt;
static volatile int on_alt, flags_inside, eperm_inside, uc_matches;
static sigjmp_buf back;

static const char *err(int r) { return r == 0 ? "0" : strerrorname_np(errno); }
static const char *yes(int c) { return c ? "yes" : "no"; }

static int inside_alt(void *p) { return (char *)p >= alt && (char *)p < alt + ALT_SIZE; }

static void handler(int sig, siginfo_t *si, void *uc_)
{
    (void)sig; (void)si;
    ucontext_t *uc = uc_;
    int local;
    stack_t now, change = { .ss_sp = alt, .ss_size = ALT_SIZE };
    on_alt = inside_alt(&local);
    sigaltstack(NULL, &now);
    flags_inside = now.ss_flags;
    eperm_inside = sigaltstack(&change, NULL) == -1 && errno == EPERM;
    uc_matches = uc->uc_stack.ss_sp == alt && uc->uc_stack.ss_size == ALT_SIZE;
}

static void segv_handler(int sig)
{
    int local;
    on_alt = inside_alt(&local);
    siglongjmp(back, sig);
}

static volatile int never = -1;       /* recurse() stops there: never, it overflows first */

__attribute__((noinline)) static int recurse(volatile int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    if (n == never) return 0;
    return recurse(n + 1) + pad[0];
}

static void on(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO | flags };
    sigaction(sig, &sa, NULL);
}

static void *thread_main(void *arg)
{
    (void)arg;
    stack_t s;
    sigaltstack(NULL, &s);
    printf("a new thread: flags %s, size %zu\n", s.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other", s.ss_size);
    return NULL;
}

int main(int argc, char **argv)
{
    stack_t s, old;
    (void)argv;
    if (argc > 1) {
        sigaltstack(NULL, &s);
        printf("after exec: flags %s, size %zu\n", s.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other", s.ss_size);
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("altstack: start\n");
    sigaltstack(NULL, &s);
    printf("at start: flags %s, size %zu, sp null: %s\n", s.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other",
           s.ss_size, yes(s.ss_sp == NULL));

    alt = malloc(ALT_SIZE);
    s = (stack_t){ .ss_sp = alt, .ss_size = 2047 };
    int r = sigaltstack(&s, NULL);
    printf("size 2047 (the kernel's MINSIGSTKSZ is 2048): %s\n", err(r));
    s = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 5 };
    r = sigaltstack(&s, NULL);
    printf("flags 5: %s\n", err(r));
    r = sigaltstack((stack_t *)1, NULL);
    printf("bad pointer: %s\n", err(r));
    s = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE };
    r = sigaltstack(&s, (stack_t *)1);
    printf("bad old pointer: %s\n", err(r));
    r = sigaltstack(NULL, &old);
    printf("set anyway (the old one is written after): %s, size now %zu\n", err(r), old.ss_size);

    on(SIGUSR1, handler, SA_ONSTACK);
    raise(SIGUSR1);
    printf("SA_ONSTACK handler on the alternate stack: %s, sees SS_ONSTACK: %s, EPERM to change it: %s, "
           "uc_stack is it: %s\n", yes(on_alt), yes(flags_inside == SS_ONSTACK), yes(eperm_inside), yes(uc_matches));
    on(SIGUSR2, handler, 0);
    raise(SIGUSR2);
    printf("handler without SA_ONSTACK on the alternate stack: %s\n", yes(on_alt));

    struct sigaction sa = { .sa_handler = segv_handler, .sa_flags = SA_ONSTACK };
    sigaction(SIGSEGV, &sa, NULL);
    int sig = sigsetjmp(back, 1);
    if (sig == 0) {
        recurse(0);
    } else {
        printf("stack overflow: caught signal %d on the alternate stack: %s\n", sig, yes(on_alt));
    }

    s = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = SS_AUTODISARM };
    r = sigaltstack(&s, NULL);
    raise(SIGUSR1);
    sigaltstack(NULL, &old);
    printf("SS_AUTODISARM: %s; in the handler on it: %s, sees %s, may set a stack: %s; after return flags 0x%x "
           "(rt_sigreturn's restore, judged on the handler's stack, was refused), size %zu\n",
           err(r), yes(on_alt), flags_inside == SS_DISABLE ? "SS_DISABLE" : "other", yes(!eperm_inside),
           (unsigned)old.ss_flags, old.ss_size);

    s = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE };
    sigaltstack(&s, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sigaltstack(NULL, &old);
        printf("fork child: the same stack: %s\n", yes(old.ss_sp == alt && old.ss_size == ALT_SIZE && old.ss_flags == 0));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    s = (stack_t){ .ss_flags = SS_DISABLE };
    r = sigaltstack(&s, NULL);
    sigaltstack(NULL, &old);
    printf("SS_DISABLE: %s, size %zu\n", err(r), old.ss_size);
    sigaltstack(&(stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE }, NULL);
    pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "altstack", "exec", (char *)NULL);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("exec'd child exit status %d\n", WEXITSTATUS(st));
    printf("DONE\n");
    return 0;
}
