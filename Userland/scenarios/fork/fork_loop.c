/*
 * fork_loop - pins down that many children can exist at once and every one is reaped.
 *
 * 200 children are forked in a loop; child i exits with i & 0xff (so codes repeat past
 * 255: 200 children give 0..199).  The parent then reaps with wait4(-1) until ECHILD and
 * checks: every pid returned was one it forked, none twice, and the multiset of exit
 * statuses is exactly {i & 0xff}.  A second round of 200 reaps each child right away
 * (fork, wait, fork, wait...), so pids are recycled.
 */
#include "lib.h"

#define N 200

static long pids[N];
static int seen[N];
static int count_by_code[256];

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("fork_loop: start\n");

    for (int i = 0; i < N; i++) {
        long pid = must_fork();
        if (pid == 0)
            sys_exit(i & 0xff);
        pids[i] = pid;
    }
    say("forked %d children\n", N);

    int reaped = 0, unknown = 0, twice = 0, wrong = 0;
    long r;
    int status;
    while ((r = sys_wait4(-1, &status, 0, NULL)) > 0) {
        int idx = -1;
        for (int i = 0; i < N; i++)
            if (pids[i] == r)
                idx = i;
        if (idx < 0) {
            unknown++;
            continue;
        }
        if (seen[idx]++)
            twice++;
        if (!WIFEXITED(status))
            wrong++;
        else if (WEXITSTATUS(status) != (idx & 0xff))
            wrong++;
        count_by_code[WEXITSTATUS(status)]++;
        reaped++;
    }
    say("reaped %d children, then wait4 said %s\n", reaped, errname(r));
    say("unknown pids: %d, reaped twice: %d, wrong status: %d\n", unknown, twice, wrong);

    int multiset_ok = 1;
    for (int c = 0; c < 256; c++) {
        int expect = 0;
        for (int i = 0; i < N; i++)
            if ((i & 0xff) == c)
                expect++;
        if (count_by_code[c] != expect)
            multiset_ok = 0;
    }
    say("multiset of exit statuses is {i & 0xff : 0 <= i < %d}: %s\n", N, yesno(multiset_ok));

    /* Distinct pids while all were alive. */
    int distinct = 1;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (pids[i] == pids[j])
                distinct = 0;
    say("all %d pids distinct: %s\n", N, yesno(distinct));

    /* Sequential rounds: fork, reap, repeat. */
    int ok = 0;
    long sum = 0;
    for (int i = 0; i < N; i++) {
        long pid = must_fork();
        if (pid == 0)
            sys_exit_group((i * 7) & 0xff);
        status = wait_for(pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == ((i * 7) & 0xff))
            ok++;
        sum += WEXITSTATUS(status);
    }
    say("sequential: %d of %d statuses right, sum of codes %ld\n", ok, N, sum);
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, &status, 0, NULL)));
    say("DONE\n");
    return 0;
}
