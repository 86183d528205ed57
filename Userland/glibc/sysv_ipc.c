/*
 * sysv_ipc: System V semaphores and shared memory through glibc (semget, semop,
 * semtimedop, semctl, shmget, shmat, shmdt, shmctl) with its threads, which pthread_create
 * makes with CLONE_SYSVSEM. A semaphore taken with SEM_UNDO comes back when the process
 * that took it dies (killed or not), not when one of its threads does; a segment removed
 * while attached lives until the last detach, which a child's exit makes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int semid;

static int value(void) { return semctl(semid, 0, GETVAL); }

static int take(int flags)
{
    struct sembuf op = { 0, -1, (short)flags };
    return semop(semid, &op, 1);
}

static void *thread_takes(void *arg)
{
    (void)arg;
    take(SEM_UNDO);
    return NULL;
}

static int status_of(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        perror("waitpid");
    return st;
}

static void semaphores(void)
{
    semid = semget(IPC_PRIVATE, 1, 0600);
    union semun arg = { .val = 1 };
    semctl(semid, 0, SETVAL, arg);

    pid_t pid = fork();
    if (pid == 0) {
        take(SEM_UNDO);
        raise(SIGKILL);
        _exit(1);
    }
    int st = status_of(pid);
    printf("a child took the semaphore and was killed by signal %d; value %d\n", WTERMSIG(st), value());

    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, thread_takes, NULL);
        pthread_join(t, NULL);
        printf("after the thread that took it ended: %d\n", value());
        fflush(stdout);
        exit(0);
    }
    status_of(pid);
    printf("after the process ended: %d\n", value());

    take(0);
    struct sembuf op = { 0, -1, 0 };
    struct timespec ts = { 0, 50 * 1000000L };
    int r = semtimedop(semid, &op, 1, &ts);
    printf("semtimedop on a 0: %d (%s)\n", r, r < 0 ? strerror(errno) : "ok");
    pid = fork();
    if (pid == 0)
        _exit(take(0) == 0 ? 0 : 1);
    while (semctl(semid, 0, GETNCNT) != 1)
        usleep(1000);
    semctl(semid, 0, IPC_RMID);
    st = status_of(pid);
    printf("a sleeper when the array was removed: exit %d\n", WEXITSTATUS(st));
}

static void shared_memory(void)
{
    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    char *p = shmat(id, NULL, 0);
    int go[2], written[2];
    if (pipe(go) != 0 || pipe(written) != 0)
        perror("pipe");
    fflush(stdout);
    pid_t pid = fork();
    char c = 0;
    if (pid == 0) {
        close(go[1]);
        snprintf(p, 64, "written by the child");
        if (write(written[1], "w", 1) != 1 || read(go[0], &c, 1) < 0)
            perror("pipe i/o");
        _exit(0);
    }
    close(go[0]);
    if (read(written[0], &c, 1) != 1)
        perror("read");
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("the parent reads \"%s\"; attaches with the child: %lu\n", p, (unsigned long)ds.shm_nattch);
    shmdt(p);
    printf("IPC_RMID: %d\n", shmctl(id, IPC_RMID, NULL));
    shmctl(id, IPC_STAT, &ds);
    printf("still there for the child: %lu attach, marked: %s\n", (unsigned long)ds.shm_nattch,
           ds.shm_perm.mode & SHM_DEST ? "yes" : "no");
    close(go[1]);
    status_of(pid);
    int r = shmctl(id, IPC_STAT, &ds);
    printf("after the child's exit: %d (%s)\n", r, r < 0 ? strerror(errno) : "still there");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    semaphores();
    shared_memory();
    return 0;
}
