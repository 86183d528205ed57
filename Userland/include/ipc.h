/*
 * ipc.h - System V semaphores and shared memory on raw system calls (x86-64 numbers, the
 * kernel's struct layouts: include/uapi/linux/ipc.h, sem.h, shm.h, asm-generic/ipcbuf.h).
 * Every call returns -errno on error.
 */
#ifndef MK_IPC_H
#define MK_IPC_H

#include "lib.h"

#define SYS_shmget      29
#define SYS_shmat       30
#define SYS_shmctl      31
#define SYS_semget      64
#define SYS_semop       65
#define SYS_semctl      66
#define SYS_shmdt       67
#define SYS_semtimedop 220

#define IPC_PRIVATE 0
#define IPC_CREAT   01000
#define IPC_EXCL    02000
#define IPC_NOWAIT  04000
#define IPC_RMID 0
#define IPC_SET  1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64   0x0100      /* not a flag on x86-64: a cmd with it is EINVAL */

#define SEM_UNDO 0x1000
#define GETPID  11
#define GETVAL  12
#define GETALL  13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL  16
#define SETALL  17
#define SEMVMX  32767

#define SHM_RDONLY 010000
#define SHM_RND    020000
#define SHM_REMAP  040000
#define SHM_DEST   01000
#define SHM_LOCKED 02000
#define SHM_LOCK   11
#define SHM_UNLOCK 12

struct ipc64_perm {
    int key;
    unsigned uid, gid, cuid, cgid, mode;
    unsigned short seq, pad2;
    unsigned long unused1, unused2;
};

struct sembuf { unsigned short sem_num; short sem_op; short sem_flg; };

struct semid64_ds {
    struct ipc64_perm sem_perm;
    long sem_otime;
    unsigned long unused1;
    long sem_ctime;
    unsigned long unused2;
    unsigned long sem_nsems;
    unsigned long unused3, unused4;
};

struct shmid64_ds {
    struct ipc64_perm shm_perm;
    unsigned long shm_segsz;
    long shm_atime, shm_dtime, shm_ctime;
    int shm_cpid, shm_lpid;
    unsigned long shm_nattch;
    unsigned long unused4, unused5;
};

struct shminfo64 {
    unsigned long shmmax, shmmin, shmmni, shmseg, shmall;
    unsigned long unused[4];
};

static inline long semget(long key, long nsems, long flg) { return syscall3(SYS_semget, key, nsems, flg); }
static inline long semop(long id, struct sembuf *sops, long nsops) { return syscall3(SYS_semop, id, (long)sops, nsops); }
static inline long semtimedop(long id, struct sembuf *sops, long nsops, const struct timespec *ts)
{
    return syscall4(SYS_semtimedop, id, (long)sops, nsops, (long)ts);
}
static inline long semctl(long id, long num, long cmd, long arg) { return syscall4(SYS_semctl, id, num, cmd, arg); }
/* One operation on one semaphore. */
static inline long sem1(long id, int num, int op, int flg)
{
    struct sembuf b = { (unsigned short)num, (short)op, (short)flg };
    return semop(id, &b, 1);
}

static inline long shmget(long key, unsigned long size, long flg) { return syscall3(SYS_shmget, key, (long)size, flg); }
static inline long shmat(long id, const void *addr, long flg) { return syscall3(SYS_shmat, id, (long)addr, flg); }
static inline long shmdt(const void *addr) { return syscall1(SYS_shmdt, (long)addr); }
static inline long shmctl(long id, long cmd, void *buf) { return syscall3(SYS_shmctl, id, cmd, (long)buf); }
static inline int shm_attach_failed(long r) { return r < 0 && r > -4096; }
/* shm_nattch of a segment, or -errno. */
static inline long shm_nattch(long id)
{
    struct shmid64_ds ds;
    long r = shmctl(id, IPC_STAT, &ds);
    return r < 0 ? r : (long)ds.shm_nattch;
}

#endif
