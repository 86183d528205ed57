/*
 * robust_mutex: glibc's robust mutexes (PTHREAD_MUTEX_ROBUST) over the kernel's robust
 * futex list (set_robust_list at every thread's start; exit_robust_list at its death).
 * The next locker of a mutex whose owner died gets EOWNERDEAD, whether it was already
 * waiting or comes later, in the same process or (PTHREAD_PROCESS_SHARED, in shared
 * memory) in another one; pthread_mutex_consistent() repairs it, and a mutex unlocked
 * without that becomes ENOTRECOVERABLE.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m;
static pthread_barrier_t locked;

static const char *err(int e)
{
    switch (e) {
    case 0: return "0";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EBUSY: return "EBUSY";
    default: return strerror(e);
    }
}

static void init_robust(pthread_mutex_t *mx, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared)
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    int e = pthread_mutex_init(mx, &a);
    if (e)
        printf("pthread_mutex_init: %s\n", err(e));
    pthread_mutexattr_destroy(&a);
}

/* Locks the mutex, lets main go on, and dies holding it. */
static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_barrier_wait(&locked);
    usleep(100 * 1000);                      /* main is (most likely) waiting by now */
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t;

    init_robust(&m, 0);
    pthread_barrier_init(&locked, NULL, 2);
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_barrier_wait(&locked);
    printf("trylock while the owner lives: %s\n", err(pthread_mutex_trylock(&m)));
    int e = pthread_mutex_lock(&m);           /* sleeps until the owner's death releases it */
    printf("lock after the owner thread died: %s\n", err(e));
    int c1 = pthread_mutex_consistent(&m), u1 = pthread_mutex_unlock(&m);
    printf("consistent: %s, unlock: %s\n", err(c1), err(u1));
    int l2 = pthread_mutex_lock(&m), u2 = pthread_mutex_unlock(&m);
    printf("lock again: %s, unlock: %s\n", err(l2), err(u2));
    pthread_join(t, NULL);

    /* Unlocked without pthread_mutex_consistent(): unusable for good. */
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_barrier_wait(&locked);
    pthread_join(t, NULL);
    printf("lock after the owner was joined: %s\n", err(pthread_mutex_lock(&m)));
    int u3 = pthread_mutex_unlock(&m), l3 = pthread_mutex_lock(&m);
    printf("unlock without consistent: %s; next lock: %s\n", err(u3), err(l3));

    /* A process-shared mutex whose owner process dies. */
    pthread_mutex_t *sm = mmap(NULL, sizeof *sm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    init_robust(sm, 1);
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(sm);
        char c = 'x';
        if (write(pipefd[1], &c, 1) != 1)
            _exit(2);
        _exit(0);                             /* exit_group with the lock held */
    }
    char c;
    if (read(pipefd[0], &c, 1) != 1)
        return 1;
    e = pthread_mutex_lock(sm);
    int status;
    waitpid(pid, &status, 0);
    printf("lock after the owner process exited: %s (child status %d)\n", err(e), WEXITSTATUS(status));
    int c4 = pthread_mutex_consistent(sm), u4 = pthread_mutex_unlock(sm), t4 = pthread_mutex_trylock(sm);
    printf("consistent: %s, unlock: %s, trylock: %s\n", err(c4), err(u4), err(t4));
    pthread_mutex_unlock(sm);
    printf("done\n");
    return 0;
}
