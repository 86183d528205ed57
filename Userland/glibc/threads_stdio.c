/*
 * threads_stdio: an ordinary glibc program (gcc -static, Debian's glibc, unmodified
 * start-up: set_tid_address, set_robust_list, rseq, prlimit64, getrandom, clone3 with
 * its fallback to clone). pthread create/join/exit/detach/cancel; fork and waitpid;
 * system() and popen() through /bin/sh (busybox); stdio on files.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int counter, detached_done;

static void *adder(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)((long)arg * 10);
}

static void *exiter(void *arg)
{
    (void)arg;
    pthread_exit((void *)42);
}

static void *detached(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    detached_done = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;) pause();          /* a cancellation point */
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("threads_stdio: start\n");

    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, adder, (void *)i);
    long sum = 0;
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
    printf("4 threads x 1000 increments: %d, results sum %ld\n", counter, sum);

    void *r;
    pthread_create(&t[0], NULL, exiter, NULL);
    pthread_join(t[0], &r);
    printf("pthread_exit value: %ld\n", (long)r);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t[0], &attr, detached, NULL);
    pthread_mutex_lock(&lock);
    while (!detached_done) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    printf("detached thread ran: yes\n");

    pthread_create(&t[0], NULL, sleeper, NULL);
    usleep(20000);
    pthread_cancel(t[0]);
    pthread_join(t[0], &r);
    printf("cancelled: %s\n", r == PTHREAD_CANCELED ? "yes" : "no");

    pid_t pid = fork();
    if (pid == 0) _exit(7);
    int status;
    waitpid(pid, &status, 0);
    printf("fork/waitpid: exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    int rc = system("echo from system; exit 3");
    printf("system(): exit %d\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);

    FILE *p = popen("echo one; echo two", "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, p)) { lines++; printf("popen read: %s", line); }
    printf("popen: %d lines, pclose %d\n", lines, WEXITSTATUS(pclose(p)));
    p = popen("wc -c", "w");
    fputs("twelve bytes", p);
    fflush(stdout);
    pclose(p);

    mkdir("t_glibc", 0755);
    FILE *f = fopen("t_glibc/file.txt", "w");
    for (int i = 0; i < 100; i++) fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("t_glibc/file.txt", "r");
    int n = 0, last = -1;
    while (fgets(line, sizeof line, f)) { n++; sscanf(line, "line %d", &last); }
    fseek(f, 0, SEEK_END);
    printf("stdio: %d lines, last %d, size %ld\n", n, last, ftell(f));
    fclose(f);
    struct stat st;
    stat("t_glibc/file.txt", &st);
    printf("stat size %ld\n", (long)st.st_size);
    printf("fopen of a missing file: %s\n", fopen("t_glibc/missing", "r") == NULL && errno == ENOENT ? "ENOENT" : "?");
    unlink("t_glibc/file.txt");
    rmdir("t_glibc");
    printf("DONE\n");
    return 0;
}
