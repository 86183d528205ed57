/*
 * robust_list - the locks a dying thread still holds are released for it (kernel/futex/core.c:
 * exit_robust_list, handle_futex_death, futex_exit_release, futex_exec_release;
 * kernel/futex/syscalls.c: set_robust_list, get_robust_list).
 *
 *   - set_robust_list takes only sizeof(struct robust_list_head), 24; get_robust_list gives
 *     back the head and the length, for the caller (pid 0) or another thread; ESRCH for a
 *     pid nobody has; EFAULT for either bad pointer. A forked child starts with no list
 *   - when a thread exits, every word in its list that names it as owner becomes
 *     FUTEX_OWNER_DIED, keeping FUTEX_WAITERS, and a waiter is woken; a word owned by
 *     someone else is left alone; a PI entry (bit 0 of the link) is marked too
 *   - the same for a whole process killed by SIGKILL, for each of its threads' lists, seen
 *     from another process through shared memory
 *   - exec releases the old image's locks and the new image starts with no list
 *   - the list is the user's: a loop, a bad pointer, an unreadable head or a misaligned
 *     word never hang or crash the exit; list_op_pending is handled last
 */
#include "signals.h"
#include "thread.h"

#define SYS_set_robust_list 273
#define SYS_get_robust_list 274
#define FUTEX_WAITERS    0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u

struct robust_list { struct robust_list *next; };
struct robust_list_head {
    struct robust_list list;
    long futex_offset;
    struct robust_list *list_op_pending;
};
/* A robust lock laid out as glibc's: the link, and the lock word futex_offset bytes on. */
struct rlock {
    struct robust_list link;
    volatile unsigned word;
    unsigned pad;
};
#define WORD_OFFSET ((long)__builtin_offsetof(struct rlock, word))

static long set_rl(void *head, long len) { return syscall2(SYS_set_robust_list, (long)head, len); }
static long get_rl(long pid, void *headp, void *lenp) { return syscall3(SYS_get_robust_list, pid, (long)headp, (long)lenp); }

static void list_init(struct robust_list_head *h)
{
    h->list.next = &h->list;
    h->futex_offset = WORD_OFFSET;
    h->list_op_pending = NULL;
}

/* What a robust lock() does once it owns the word: link the lock at the head of the list. */
static void take(struct robust_list_head *h, struct rlock *l)
{
    l->word = (unsigned)sys_gettid();
    l->link.next = h->list.next;
    h->list.next = &l->link;
}

/* A shared wait (robust wakes are shared, as glibc's robust locks wait): woken, or the word
 * had already changed. */
static const char *wait_word(volatile unsigned *w, unsigned expect)
{
    long r = futex((volatile int *)w, FUTEX_WAIT, (int)expect, NULL);
    return r == 0 || r == -EAGAIN ? "woken" : errname(r);
}

/* Shared futex operations: the flags are waited for across processes too. */
static void wait_ready(volatile int *flag)
{
    while (!*flag)
        futex(flag, FUTEX_WAIT, 0, NULL);
}

static void set_ready(volatile int *flag)
{
    *flag = 1;
    futex(flag, FUTEX_WAKE, 1, NULL);
}

/* ---- the API ---- */

static void api(void)
{
    struct robust_list_head mine, *h = (void *)-1L;
    long len = -1;
    list_init(&mine);
    say("set_robust_list len 23: %s, 25: %s, 0: %s, 24: %s\n", errname(set_rl(&mine, 23)),
        errname(set_rl(&mine, 25)), errname(set_rl(&mine, 0)), errname(set_rl(&mine, 24)));
    long r = get_rl(0, &h, &len);
    say("get_robust_list(0): %s, our head: %s, len %ld\n", errname(r), yesno(h == &mine), len);
    say("get_robust_list bad head_ptr: %s, bad len_ptr: %s, pid -1: %s, pid 0x3fffffff: %s\n",
        errname(get_rl(0, (void *)1, &len)), errname(get_rl(0, &h, (void *)1)), errname(get_rl(-1, &h, &len)),
        errname(get_rl(0x3fffffff, &h, &len)));
    long pid = must_fork();
    if (pid == 0) {
        h = (void *)-1L;
        get_rl(0, &h, &len);
        sys_exit(h == NULL ? 0 : 1);
    }
    say("a forked child starts with no list: %s\n", yesno(WEXITSTATUS(wait_for(pid)) == 0));
    say("an unreadable head is accepted: %s\n", errname(set_rl((void *)8, 24)));
    set_rl(NULL, 24);
    get_rl(0, &h, &len);
    say("set_robust_list(NULL) clears it: %s\n", yesno(h == NULL));
}

/* ---- a thread dies holding locks ---- */

static struct robust_list_head th_head;
static struct rlock held, waited, others, pi_held;
static volatile int holder_ready;

static int holder(void *arg)
{
    (void)arg;
    list_init(&th_head);
    set_rl(&th_head, sizeof th_head);
    take(&th_head, &held);
    take(&th_head, &waited);
    others.word = 0x1234;                       /* a lock some other thread owns */
    others.link.next = th_head.list.next;
    th_head.list.next = &others.link;
    take(&th_head, &pi_held);
    pi_held.word |= FUTEX_WAITERS;
    th_head.list.next = (struct robust_list *)((unsigned long)&pi_held.link | 1);   /* PI entry */
    set_ready(&holder_ready);
    sleep_ms(100);                              /* time for main to wait on `waited` */
    return 0;
}

static void thread_dies(void)
{
    struct thread t;
    if (thread_create(&t, holder, NULL) < 0)
        fail("thread_create");
    wait_ready(&holder_ready);
    unsigned owner = waited.word;
    __atomic_fetch_or(&waited.word, FUTEX_WAITERS, __ATOMIC_SEQ_CST);
    say("waiter on the thread's lock: %s\n", wait_word(&waited.word, owner | FUTEX_WAITERS));
    thread_join(&t);
    say("after the thread's exit: held 0x%x, waited-for 0x%x, someone else's 0x%x, PI 0x%x\n", held.word,
        waited.word, others.word, pi_held.word);
}

/* ---- lists a program got wrong ---- */

static struct robust_list_head bad_head;
static struct rlock bad_lock;
static volatile int bad_owner;

static int bad_list(void *arg)
{
    long kind = (long)arg;
    list_init(&bad_head);
    take(&bad_head, &bad_lock);
    bad_owner = (int)bad_lock.word;
    switch (kind) {
    case 0: bad_lock.link.next = &bad_lock.link; break;                 /* a loop that never comes back */
    case 1: bad_head.list.next = (struct robust_list *)8; break;        /* unreadable entry */
    case 2: bad_head.futex_offset = WORD_OFFSET + 1; break;             /* misaligned word */
    case 3: bad_head.list.next = &bad_head.list;                        /* pending only: mid-acquire */
            bad_head.list_op_pending = &bad_lock.link; break;
    case 4: bad_head.list.next = &bad_head.list;                        /* pending, unowned: mid-release */
            bad_head.list_op_pending = &bad_lock.link; bad_lock.word = 0; break;
    }
    set_rl(&bad_head, sizeof bad_head);
    return 0;
}

static void bad_lists(void)
{
    static const char *what[] = { "a loop", "an unreadable entry", "a misaligned word", "a pending lock it owns",
                                  "a pending lock nobody owns" };
    for (long k = 0; k < 5; k++) {
        struct thread t;
        if (thread_create(&t, bad_list, (void *)k) < 0)
            fail("thread_create");
        thread_join(&t);
        unsigned w = bad_lock.word;
        say("%s: exit done, word %s\n", what[k], w == FUTEX_OWNER_DIED ? "owner died" : w == (unsigned)bad_owner ?
            "still the dead owner's" : w == 0 ? "0" : "changed otherwise");
    }
}

/* ---- a process dies: SIGKILL, and exec ---- */

struct shared {
    struct robust_list_head head_a, head_b;
    struct rlock a, b, e;
    volatile int ready_a, ready_b;
};
static struct shared *sh;

static int second_holder(void *arg)
{
    (void)arg;
    list_init(&sh->head_b);
    set_rl(&sh->head_b, sizeof sh->head_b);
    take(&sh->head_b, &sh->b);
    set_ready(&sh->ready_b);
    for (;;)
        sleep_ms(1000);
    return 0;
}

static void process_killed(void)
{
    long pid = must_fork();
    if (pid == 0) {
        list_init(&sh->head_a);
        set_rl(&sh->head_a, sizeof sh->head_a);
        take(&sh->head_a, &sh->a);
        struct thread t;
        if (thread_create(&t, second_holder, NULL) < 0)
            fail("thread_create");
        wait_ready(&sh->ready_b);
        set_ready(&sh->ready_a);
        for (;;)
            sleep_ms(1000);
    }
    wait_ready(&sh->ready_a);
    struct robust_list_head *h = NULL;
    long len = 0;
    long r = get_rl(pid, &h, &len);
    say("get_robust_list(child): %s, the child's head: %s\n", errname(r), yesno(h == &sh->head_a));
    unsigned owner = sh->a.word;
    __atomic_fetch_or(&sh->a.word, FUTEX_WAITERS, __ATOMIC_SEQ_CST);
    sys_kill(pid, SIGKILL);
    say("waiter in another process: %s\n", wait_word(&sh->a.word, owner | FUTEX_WAITERS));
    int status;
    sys_wait4(pid, &status, 0, NULL);
    say("child killed by %s; its locks: main thread's 0x%x, other thread's 0x%x\n", signame(WTERMSIG(status)),
        sh->a.word, sh->b.word);
}

static void across_exec(char *self)
{
    long pid = must_fork();
    if (pid == 0) {
        list_init(&sh->head_a);
        set_rl(&sh->head_a, sizeof sh->head_a);
        take(&sh->head_a, &sh->e);
        reexec_self(self, NULL);
        sys_exit(99);
    }
    int status = wait_for(pid);
    say("exec'd child: status %d; the lock it held before exec: 0x%x\n", WEXITSTATUS(status), sh->e.word);
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 2 && strcmp(argv[1], "after-exec") == 0) {
        struct robust_list_head *h = (void *)-1L;
        long len = 0;
        get_rl(0, &h, &len);
        say("after exec: no robust list: %s\n", yesno(h == NULL));
        return 5;
    }
    say("robust_list: start\n");
    signals_reset();
    sh = shared_page();
    api();
    thread_dies();
    bad_lists();
    process_killed();
    across_exec(argv[0]);
    say("DONE\n");
    return 0;
}
