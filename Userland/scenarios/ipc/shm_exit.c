/*
 * shm_exit - System V shared memory, and the detach an exit performs (ipc/shm.c:
 * ksys_shmget, newseg, do_shmat, ksys_shmdt, shmctl_stat, shmctl_down, do_shm_rmid,
 * shm_open, shm_close, shm_destroy; mm/mmap.c remove_vma → vm_ops->close).
 *
 *   - shmget and shmctl answer their errors as Linux does (EINVAL, ENOENT, EEXIST,
 *     EFAULT; IPC_64 is no flag on x86-64); IPC_STAT shows the size, the creator, the
 *     last attacher and the attach count
 *   - every attach maps the same memory: a second attach, a forked child and the parent
 *     see each other's writes; a new segment reads as zeros
 *   - each area that maps the segment is one attach: fork adds one, munmap of a middle
 *     page makes two, shmdt of the start address removes every piece of that attach
 *   - shmat's address rules: SHM_RND, EINVAL for an unaligned address, for an overlap
 *     without SHM_REMAP, for SHM_REMAP without an address; SHM_RDONLY cannot be made
 *     writable by mprotect (EACCES); shmdt of an address that is no attach start: EINVAL
 *   - IPC_RMID of an attached segment only marks it (SHM_DEST, key forgotten, still
 *     attachable by id); the last detach destroys it — here, a child's exit; exec detaches
 *   - IPC_SET changes the mode; SHM_LOCK and SHM_UNLOCK set and clear SHM_LOCKED
 */
#include "ipc.h"
#include "signals.h"
#include "thread.h"

#define PG 4096UL

struct shared {
    volatile int step;
};
static struct shared *sh;

static void set_step(int v) { step_set(&sh->step, v); }
static void wait_step(int want) { step_wait(&sh->step, want); }

static char *attach(long id, const void *addr, long flg)
{
    long r = shmat(id, addr, flg);
    if (shm_attach_failed(r)) {
        say("shmat: %s\n", errname(r));
        fail("shmat");
    }
    return (char *)r;
}

/* ---- the calls and their errors ---- */

static void api(void)
{
    say("shmget size 0: %s, ULONG_MAX: %s\n", errname(shmget(IPC_PRIVATE, 0, 0600)),
        errname(shmget(IPC_PRIVATE, ~0UL, 0600)));
    long key = 0x4d4c0000 | (sys_getpid() & 0xffff);
    say("a key nobody made: %s\n", errname(shmget(key, PG, 0)));
    long id = shmget(key, 2 * PG, IPC_CREAT | IPC_EXCL | 0600);
    say("made with IPC_CREAT|IPC_EXCL: %s\n", yesno(id >= 0));
    say("again: %s; bigger: %s; smaller, the same: %s; IPC_CREAT, the same: %s\n",
        errname(shmget(key, 2 * PG, IPC_CREAT | IPC_EXCL | 0600)), errname(shmget(key, 3 * PG, 0)),
        yesno(shmget(key, PG, 0) == id), yesno(shmget(key, 2 * PG, IPC_CREAT) == id));
    struct shmid64_ds ds;
    memset(&ds, 0xff, sizeof ds);
    long r = shmctl(id, IPC_STAT, &ds);
    say("IPC_STAT: %s, size %lu, nattch %lu, mode 0x%x, key ours: %s, creator us: %s, lpid %d, atime %ld\n",
        errname(r), ds.shm_segsz, ds.shm_nattch, ds.shm_perm.mode, yesno(ds.shm_perm.key == (int)key),
        yesno(ds.shm_cpid == sys_getpid()), ds.shm_lpid, ds.shm_atime);
    say("IPC_STAT|IPC_64: %s, cmd 99: %s, cmd -1: %s, bad buffer: %s, id -1: %s, other generation: %s\n",
        errname(shmctl(id, IPC_STAT | IPC_64, &ds)), errname(shmctl(id, 99, &ds)), errname(shmctl(id, -1, &ds)),
        errname(shmctl(id, IPC_STAT, (void *)8)), errname(shmctl(-1, IPC_STAT, &ds)),
        errname(shmctl(id + 32768, IPC_STAT, &ds)));
    ds.shm_perm.mode = 0640;
    r = shmctl(id, IPC_SET, &ds);
    shmctl(id, IPC_STAT, &ds);
    say("IPC_SET mode 0640: %s, now 0x%x\n", errname(r), ds.shm_perm.mode);
    r = shmctl(id, SHM_LOCK, NULL);
    shmctl(id, IPC_STAT, &ds);
    long locked = ds.shm_perm.mode & SHM_LOCKED;
    long u = shmctl(id, SHM_UNLOCK, NULL);
    shmctl(id, IPC_STAT, &ds);
    say("SHM_LOCK: %s, locked: %s; SHM_UNLOCK: %s, locked: %s\n", errname(r), yesno(locked), errname(u),
        yesno(ds.shm_perm.mode & SHM_LOCKED));
    struct shminfo64 info;
    r = shmctl(0, IPC_INFO, &info);
    say("IPC_INFO: %s, shmmin %lu\n", r >= 0 ? "an index" : errname(r), info.shmmin);
    long rm = shmctl(id, IPC_RMID, NULL), again = shmctl(id, IPC_RMID, NULL);
    say("IPC_RMID unattached: %s, again: %s, the key: %s, shmat: %s\n", errname(rm), errname(again),
        errname(shmget(key, PG, 0)), errname(shmat(id, NULL, 0)));
}

/* ---- sharing, and counting attaches ---- */

static void attaches(void)
{
    long id = shmget(IPC_PRIVATE, 3 * PG, 0600);
    char *p = attach(id, NULL, 0);
    int zeros = 1;
    for (unsigned long i = 0; i < 3 * PG; i++)
        zeros &= p[i] == 0;
    say("page-aligned: %s, zeros: %s, nattch %ld\n", yesno(((unsigned long)p & (PG - 1)) == 0), yesno(zeros),
        shm_nattch(id));
    memcpy(p, "hello", 6);
    char *q = attach(id, NULL, 0);
    long n2 = shm_nattch(id);
    int seen = q != p && memcmp(q, "hello", 6) == 0;
    long dt = shmdt(q);
    say("a second attach elsewhere sees it: %s, nattch %ld; shmdt: %s, nattch %ld\n", yesno(seen), n2, errname(dt),
        shm_nattch(id));
    say("shmdt unaligned: %s, of a middle page: %s, of no attach: %s\n", errname(shmdt(p + 1)),
        errname(shmdt(p + PG)), errname(shmdt(&zeros)));

    set_step(0);
    long pid = must_fork();
    if (pid == 0) {
        int seen = memcmp(p, "hello", 6) == 0;
        memcpy(p + PG, "child", 6);
        set_step(seen ? 1 : 2);
        wait_step(3);
        sys_exit(0);
    }
    wait_step(1);
    say("a forked child sees it: %s, nattch with the child %ld\n", yesno(sh->step == 1), shm_nattch(id));
    set_step(3);
    wait_for(pid);
    struct shmid64_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("after the child's exit: nattch %lu, its write seen: %s, lpid the child's: %s\n", ds.shm_nattch,
        yesno(memcmp(p + PG, "child", 6) == 0), yesno(ds.shm_lpid == pid));

    long un = sys_munmap(p + PG, PG);
    long pieces = shm_nattch(id);
    long d = shmdt(p);
    say("munmap of the middle page: %s, nattch %ld; shmdt of the start: %s, nattch %ld\n", errname(un), pieces,
        errname(d), shm_nattch(id));

    char *ro = attach(id, NULL, SHM_RDONLY);
    long mp = sys_mprotect(ro, PG, PROT_READ | PROT_WRITE);
    say("SHM_RDONLY attach reads: %s; mprotect writable: %s\n", yesno(memcmp(ro + PG, "child", 6) == 0),
        errname(mp));
    shmdt(ro);

    char *x = attach(id, NULL, 0);
    shmdt(x);
    char *at = (char *)shmat(id, x, 0);
    long unaligned = shmat(id, x + 1, 0), overlap = shmat(id, x, 0), remap0 = shmat(id, NULL, SHM_REMAP);
    shmdt(at);
    char *rnd = (char *)shmat(id, x + 1, SHM_RND);
    long n1 = shm_nattch(id);
    char *remapped = (char *)shmat(id, x, SHM_REMAP);
    say("at a free address: %s; unaligned: %s; overlapping: %s; SHM_REMAP without an address: %s\n",
        yesno(at == x), errname(unaligned), errname(overlap), errname(remap0));
    say("SHM_RND: %s, nattch %ld; SHM_REMAP over it: %s, nattch %ld\n", yesno(rnd == x), n1, yesno(remapped == x),
        shm_nattch(id));
    shmdt(x);
    long n0 = shm_nattch(id);
    long rm = shmctl(id, IPC_RMID, NULL);
    struct shmid64_ds gone;
    say("detached: nattch %ld; IPC_RMID: %s, then IPC_STAT: %s\n", n0, errname(rm), errname(shmctl(id, IPC_STAT, &gone)));
}

/* ---- the last detach destroys: an exit's, after exec ---- */

static void destroyed_by_exit(void)
{
    long key = 0x4d4d0000 | (sys_getpid() & 0xffff);
    long id = shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600);
    set_step(0);
    long pid = must_fork();
    if (pid == 0) {
        char *p = attach(id, NULL, 0);
        p[0] = 'c';
        set_step(1);
        wait_step(2);
        sys_exit(0);
    }
    wait_step(1);
    long rm = shmctl(id, IPC_RMID, NULL);
    struct shmid64_ds ds;
    long st = shmctl(id, IPC_STAT, &ds);
    say("IPC_RMID while a child has it: %s; IPC_STAT: %s, nattch %lu, SHM_DEST: %s, key forgotten: %s\n",
        errname(rm), errname(st), ds.shm_nattch, yesno(ds.shm_perm.mode & SHM_DEST), yesno(ds.shm_perm.key == 0));
    say("the key: %s\n", errname(shmget(key, PG, 0)));
    char *p = attach(id, NULL, 0);
    say("still attachable by id: %s, nattch %ld\n", yesno(p[0] == 'c'), shm_nattch(id));
    shmdt(p);
    say("our detach left it: nattch %ld\n", shm_nattch(id));
    set_step(2);
    wait_for(pid);
    say("after the child's exit: IPC_STAT %s\n", errname(shmctl(id, IPC_STAT, &ds)));
}

static void exec_detaches(char *self)
{
    long id = shmget(IPC_PRIVATE, PG, 0600);
    char *p = attach(id, NULL, 0);
    long pid = must_fork();
    if (pid == 0) {
        char id_s[24];
        format(id_s, sizeof id_s, "%ld", id);
        reexec_self(self, id_s);
        sys_exit(99);
    }
    int st = wait_for(pid);
    say("the exec'd child exited %d; nattch %ld, its write seen: %s\n", WEXITSTATUS(st), shm_nattch(id),
        yesno(memcmp(p, "exec", 5) == 0));
    shmdt(p);
    shmctl(id, IPC_RMID, NULL);
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 3 && strcmp(argv[1], "after-exec") == 0) {
        long id = parse_long(argv[2]);
        long before = shm_nattch(id);
        char *p = attach(id, NULL, 0);
        say("after exec: nattch %ld, attached again %ld\n", before, shm_nattch(id));
        memcpy(p, "exec", 5);
        return 4;
    }
    say("shm_exit: start\n");
    signals_reset();
    sh = shared_page();
    api();
    attaches();
    destroyed_by_exit();
    exec_detaches(argv[0]);
    say("DONE\n");
    return 0;
}
