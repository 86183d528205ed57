/*
 * sem_undo - System V semaphores, and what an exit gives back (ipc/sem.c: ksys_semget,
 * newary, do_semtimedop, perform_atomic_semop_slow, update_queue, count_semcnt,
 * semctl_main, semctl_setval, semctl_stat, freeary, copy_semundo, exit_sem).
 *
 *   - semget, semop, semtimedop and semctl answer their errors as Linux does (EINVAL,
 *     ENOENT, EEXIST, E2BIG, EFBIG, EFAULT, EAGAIN, ERANGE; IPC_64 is no flag on x86-64)
 *   - a semop is all or nothing, in order (the same semaphore twice included)
 *   - an operation with SEM_UNDO is reversed when the process exits, killed or not, and
 *     that wakes a process asleep on the semaphore; GETNCNT and GETZCNT count sleepers;
 *     GETPID names the last process that changed the value, the exiting one included
 *   - threads made with CLONE_SYSVSEM share the adjustments: the undo comes at the last
 *     one's exit; a thread made without it undoes its own at its exit
 *   - fork does not copy adjustments; exec keeps them
 *   - the undo is clamped to 0..SEMVMX; SETVAL and SETALL forget adjustments
 *   - IPC_RMID wakes sleepers with EIDRM; a process whose adjustments were for a removed
 *     array exits cleanly; semtimedop times out with EAGAIN; a signal ends a sleep with
 *     EINTR, SA_RESTART or not
 */
#include "ipc.h"
#include "signals.h"
#include "thread.h"

struct shared {
    volatile int step;
};
static struct shared *sh;
static long ID;                              /* three semaphores, used throughout */

static void set_step(int v) { step_set(&sh->step, v); }
static void wait_step(int want) { step_wait(&sh->step, want); }

static long val(int num) { return semctl(ID, num, GETVAL, 0); }
static long setval(int num, int v) { return semctl(ID, num, SETVAL, v); }

/* Until `count` (GETNCNT or GETZCNT) of semaphore num reaches want: whether it did. */
static int wait_count(long id, int num, int cmd, long want)
{
    for (int i = 0; i < 30000; i++) {
        if (semctl(id, num, cmd, 0) == want)
            return 1;
        sleep_ms(1);
    }
    return 0;
}

static void hold_forever(void)
{
    for (;;)
        sleep_ms(1000);
}

/* ---- the calls and their errors ---- */

static void api(void)
{
    say("semget nsems -1: %s, 0: %s, 32001: %s\n", errname(semget(IPC_PRIVATE, -1, 0600)),
        errname(semget(IPC_PRIVATE, 0, 0600)), errname(semget(IPC_PRIVATE, 32001, 0600)));
    long key = 0x4d4b0000 | (sys_getpid() & 0xffff);
    say("a key nobody made: %s\n", errname(semget(key, 2, 0)));
    long id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0640);
    say("made with IPC_CREAT|IPC_EXCL: %s\n", yesno(id >= 0));
    say("again: %s; without IPC_EXCL, the same: %s; nsems 0: the same: %s; nsems 3: %s\n",
        errname(semget(key, 2, IPC_CREAT | IPC_EXCL | 0640)), yesno(semget(key, 2, IPC_CREAT) == id),
        yesno(semget(key, 0, 0) == id), errname(semget(key, 3, 0)));
    struct semid64_ds ds;
    memset(&ds, 0xff, sizeof ds);
    long r = semctl(id, 0, IPC_STAT, (long)&ds);
    say("IPC_STAT: %s, nsems %lu, mode 0x%x, key ours: %s, otime %ld\n", errname(r), ds.sem_nsems,
        ds.sem_perm.mode, yesno(ds.sem_perm.key == (int)key), ds.sem_otime);
    say("IPC_STAT|IPC_64: %s, cmd 99: %s, bad buffer: %s\n", errname(semctl(id, 0, IPC_STAT | IPC_64, (long)&ds)),
        errname(semctl(id, 0, 99, 0)), errname(semctl(id, 0, IPC_STAT, 8)));
    ds.sem_perm.mode = 0600;
    r = semctl(id, 0, IPC_SET, (long)&ds);
    semctl(id, 0, IPC_STAT, (long)&ds);
    say("IPC_SET mode 0600: %s, now 0x%x\n", errname(r), ds.sem_perm.mode);
    long rm = semctl(id, 0, IPC_RMID, 0), again = semctl(id, 0, IPC_RMID, 0);
    say("IPC_RMID: %s, again: %s, the key: %s\n", errname(rm), errname(again), errname(semget(key, 0, 0)));

    ID = semget(IPC_PRIVATE, 3, 0600);
    if (ID < 0)
        fail("semget");
    say("new values: %ld %ld %ld\n", val(0), val(1), val(2));
    r = setval(0, 5);
    say("SETVAL 5: %s, GETVAL: %ld, GETPID is ours: %s\n", errname(r), val(0),
        yesno(semctl(ID, 0, GETPID, 0) == sys_getpid()));
    say("SETVAL -1: %s, 32768: %s, semnum 3: %s; GETVAL semnum 3: %s, -1: %s\n", errname(setval(0, -1)),
        errname(setval(0, 32768)), errname(setval(3, 1)), errname(semctl(ID, 3, GETVAL, 0)),
        errname(semctl(ID, -1, GETVAL, 0)));
    unsigned short all[3] = { 1, 2, 3 }, got[3] = { 9, 9, 9 };
    r = semctl(ID, 0, SETALL, (long)all);
    long g = semctl(ID, 0, GETALL, (long)got);
    say("SETALL 1 2 3: %s, GETALL: %s %d %d %d\n", errname(r), errname(g), got[0], got[1], got[2]);
    unsigned short big[3] = { 1, 40000, 3 };
    r = semctl(ID, 0, SETALL, (long)big);
    g = semctl(ID, 0, GETALL, 8);
    say("SETALL with 40000: %s, GETALL to a bad pointer: %s, values kept: %ld %ld %ld\n", errname(r), errname(g),
        val(0), val(1), val(2));
    say("an id of another generation: %s, id -1: %s\n", errname(semctl(ID + 32768, 0, GETVAL, 0)),
        errname(semctl(-1, 0, GETVAL, 0)));

    struct sembuf ops[2] = { { 0, -1, IPC_NOWAIT }, { 1, -5, IPC_NOWAIT } };
    say("semop nsops 0: %s, 501: %s, semnum 3: %s, bad pointer: %s, id -1: %s, other generation: %s\n",
        errname(semop(ID, ops, 0)), errname(semop(ID, ops, 501)), errname(sem1(ID, 3, 1, 0)),
        errname(semop(ID, (void *)8, 1)), errname(semop(-1, ops, 1)), errname(sem1(ID + 32768, 0, 1, 0)));
    r = semop(ID, ops, 2);
    say("all or nothing: %s, values still %ld %ld\n", errname(r), val(0), val(1));
    say("IPC_NOWAIT below 0: %s, wait for zero: %s, over SEMVMX: %s, values %ld %ld %ld\n",
        errname(sem1(ID, 2, -4, IPC_NOWAIT)), errname(sem1(ID, 2, 0, IPC_NOWAIT)),
        errname(sem1(ID, 2, SEMVMX - 2, 0)), val(0), val(1), val(2));
    struct sembuf twice[2] = { { 0, 2, 0 }, { 0, -3, 0 } };
    r = semop(ID, twice, 2);
    say("+2 then -3 on a 1: %s, now %ld\n", errname(r), val(0));
    struct timespec ts = { 0, 20 * 1000000L }, bad = { 0, 1000000000L };
    struct sembuf take = { 0, -1, 0 };
    say("semtimedop 20 ms on a 0: %s; a bad time: %s, a bad pointer: %s; GETNCNT after: %ld\n",
        errname(semtimedop(ID, &take, 1, &ts)), errname(semtimedop(ID, &take, 1, &bad)),
        errname(semtimedop(ID, &take, 1, (void *)8)), semctl(ID, 0, GETNCNT, 0));
}

/* ---- exits give back ---- */

static void undone_at_exit(void)
{
    setval(0, 1);
    long pid = must_fork();
    if (pid == 0)
        sys_exit(sem1(ID, 0, -1, SEM_UNDO) == 0 && val(0) == 0 ? 0 : 1);
    int st = wait_for(pid);
    say("a child took it with SEM_UNDO and exited (%d): value %ld, GETPID is the child: %s\n",
        WEXITSTATUS(st), val(0), yesno(semctl(ID, 0, GETPID, 0) == pid));

    set_step(0);
    pid = must_fork();
    if (pid == 0) {
        sem1(ID, 0, -1, SEM_UNDO);
        set_step(1);
        hold_forever();
    }
    wait_step(1);
    say("held by a child: %ld\n", val(0));
    long waiter = must_fork();
    if (waiter == 0)
        sys_exit(sem1(ID, 0, -1, 0) == 0 ? 0 : 1);
    say("GETNCNT with a sleeper: %s\n", yesno(wait_count(ID, 0, GETNCNT, 1)));
    sys_kill(pid, SIGKILL);
    st = wait_for(pid);
    say("the holder killed by %s\n", signame(WTERMSIG(st)));
    st = wait_for(waiter);
    say("the sleeper got it (%d); value %ld, GETNCNT %ld\n", WEXITSTATUS(st), val(0),
        semctl(ID, 0, GETNCNT, 0));

    setval(1, 1);
    pid = must_fork();
    if (pid == 0)
        sys_exit(sem1(ID, 1, 0, 0) == 0 ? 0 : 1);
    say("GETZCNT with a sleeper: %s, GETNCNT: %ld\n", yesno(wait_count(ID, 1, GETZCNT, 1)),
        semctl(ID, 1, GETNCNT, 0));
    setval(1, 0);
    st = wait_for(pid);
    say("SETVAL 0 woke the wait for zero (%d)\n", WEXITSTATUS(st));
}

/* The child changes semaphore 2 by `op` with SEM_UNDO, then waits while the parent
 * does `then`; what is left after its exit. */
static void clamped(int start, int op, void (*then)(void), const char *what)
{
    setval(2, start);
    set_step(0);
    long pid = must_fork();
    if (pid == 0) {
        sem1(ID, 2, op, SEM_UNDO);
        set_step(1);
        wait_step(2);
        sys_exit(0);
    }
    wait_step(1);
    then();
    set_step(2);
    wait_for(pid);
    say("%s: %ld\n", what, val(2));
}

static void take_two(void) { sem1(ID, 2, -2, 0); }
static void give_two(void) { sem1(ID, 2, 2, 0); }
static void set_five(void) { setval(2, 5); }
static void set_all(void)
{
    unsigned short v[3] = { 0, 0, 7 };
    semctl(ID, 0, SETALL, (long)v);
}

static void limits(void)
{
    clamped(0, 2, take_two, "+2 undone after another took 2: clamped at");
    clamped(SEMVMX, -2, give_two, "-2 undone after another gave 2: clamped at");
    clamped(1, -1, set_five, "-1 undone after SETVAL 5");
    clamped(1, -1, set_all, "-1 undone after SETALL 0 0 7");
}

/* ---- threads, fork and exec ---- */

static int take_one(void *arg)
{
    (void)arg;
    return sem1(ID, 0, -1, SEM_UNDO) == 0 ? 0 : 1;
}

static void threads(unsigned long flags, const char *what)
{
    setval(0, 1);
    long pid = must_fork();
    if (pid == 0) {
        struct thread t;
        long tid = thread_create_flags(&t, flags, take_one, NULL);
        if (tid < 0)
            fail("thread_create");
        thread_join(&t);
        /* The join returns at clear_child_tid's wake (exit_mm), before exit_sem() runs:
         * wait until the thread is gone altogether (released, after exit_notify). */
        while (sys_tgkill(sys_getpid(), tid, 0) == 0)
            sleep_ms(1);
        say("%s: after the thread's exit %ld\n", what, val(0));
        sys_exit(0);
    }
    wait_for(pid);
    say("%s: after the process's exit %ld\n", what, val(0));
}

static void fork_and_exec(char *self)
{
    setval(0, 1);
    long pid = must_fork();
    if (pid == 0) {
        sem1(ID, 0, -1, SEM_UNDO);
        long child = must_fork();
        if (child == 0)
            sys_exit(0);
        wait_for(child);
        say("fork: a child's exit did not undo its parent's operation: %ld\n", val(0));
        sys_exit(0);
    }
    wait_for(pid);
    say("fork: the parent's exit did: %ld\n", val(0));

    pid = must_fork();
    if (pid == 0) {
        sem1(ID, 0, -1, SEM_UNDO);
        char id[24];
        format(id, sizeof id, "%ld", ID);
        reexec_self(self, id);
        sys_exit(99);
    }
    int st = wait_for(pid);
    say("exec: the new image's exit (%d) undid the old one's operation: %ld\n", WEXITSTATUS(st), val(0));
}

/* ---- removal, timeouts, signals ---- */

static void on_usr1(int sig) { (void)sig; }

static void ends_of_a_sleep(void)
{
    long other = semget(IPC_PRIVATE, 1, 0600);
    long pid = must_fork();
    if (pid == 0)
        sys_exit(-sem1(other, 0, -1, 0));
    say("a sleeper on an array: %s\n", yesno(wait_count(other, 0, GETNCNT, 1)));
    say("IPC_RMID: %s\n", errname(semctl(other, 0, IPC_RMID, 0)));
    int st = wait_for(pid);
    say("the sleeper's semop: %s\n", errname(-WEXITSTATUS(st)));

    other = semget(IPC_PRIVATE, 1, 0600);
    semctl(other, 0, SETVAL, 1);
    set_step(0);
    pid = must_fork();
    if (pid == 0) {
        sem1(other, 0, -1, SEM_UNDO);
        set_step(1);
        wait_step(2);
        sys_exit(0);
    }
    wait_step(1);
    semctl(other, 0, IPC_RMID, 0);
    set_step(2);
    st = wait_for(pid);
    say("an exit with adjustments for a removed array: status %d\n", WEXITSTATUS(st));

    setval(0, 0);
    pid = must_fork();
    if (pid == 0) {
        sig_handle(SIGUSR1, on_usr1, SA_RESTART);
        sys_exit(-sem1(ID, 0, -1, 0));
    }
    wait_count(ID, 0, GETNCNT, 1);
    sys_kill(pid, SIGUSR1);
    st = wait_for(pid);
    say("a signal with SA_RESTART ends the sleep: %s\n", errname(-WEXITSTATUS(st)));
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 3 && strcmp(argv[1], "after-exec") == 0) {
        say("after exec: the value is still taken: %ld\n", semctl(parse_long(argv[2]), 0, GETVAL, 0));
        return 3;
    }
    say("sem_undo: start\n");
    signals_reset();
    sh = shared_page();
    api();
    undone_at_exit();
    limits();
    threads(THREAD_FLAGS, "CLONE_SYSVSEM thread");
    threads(THREAD_FLAGS & ~CLONE_SYSVSEM, "thread without CLONE_SYSVSEM");
    fork_and_exec(argv[0]);
    ends_of_a_sleep();
    say("IPC_RMID at the end: %s\n", errname(semctl(ID, 0, IPC_RMID, 0)));
    say("DONE\n");
    return 0;
}
