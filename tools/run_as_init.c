/*
 * run_as_init - run a program with the signal state a freshly started init has:
 * every signal unblocked and at its default action.
 *
 *     run_as_init PROGRAM [ARG ...]
 *
 * The test harness spawns native oracle runs from worker threads, whose signal masks
 * block most signals (libdispatch does that), and a spawned child inherits the mask:
 * busybox's `wait` would then sleep in sigsuspend() with SIGCHLD blocked forever, and
 * `kill -TERM` would not kill. Under MiniKernel, init starts with nothing blocked, so
 * the oracle must too.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PROGRAM [ARG ...]\n", argv[0]);
        return 2;
    }
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);        /* fails harmlessly for SIGKILL, SIGSTOP, glibc's own */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
