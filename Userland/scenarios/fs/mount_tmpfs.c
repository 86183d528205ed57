/*
 * mount_tmpfs: mount -t tmpfs on a directory and umount (Linux fs/namespace.c, mm/shmem.c).
 * The mount hides the directory's contents until umount; it has its own device number
 * (rename and link across are EXDEV); ".." from its root leaves through the covered
 * directory; rmdir of the mountpoint is EBUSY; umount is EBUSY while a file inside is
 * open or a working directory is inside, and takes the contents with it otherwise.
 * Bad input: an unknown type (ENODEV), a file as target (ENOTDIR), a missing target
 * (ENOENT), umount of a plain directory (EINVAL), bad pointers (EFAULT).
 */
#include "lib.h"
#include "fs.h"

#define SYS_mount   165
#define SYS_umount2 166

static long mnt(const char *src, const char *dst, const char *type)
{
    return syscall5(SYS_mount, (long)src, (long)dst, (long)type, 0, 0);
}
static long umnt(const char *dst) { return syscall2(SYS_umount2, (long)dst, 0); }

int main(void)
{
    say("mount_tmpfs: start\n");
    struct kstat st, st2;
    char buf[256];
    sys_mkdir("t_mnt", 0755);
    sys_mkdir("t_mnt/m", 0755);
    sys_close(sys_open("t_mnt/m/under", O_CREAT | O_WRONLY, 0644));
    sys_close(sys_open("t_mnt/outside", O_CREAT | O_WRONLY, 0644));
    sys_stat("t_mnt", &st);

    say("mount tmpfs: %s\n", errname(mnt("none", "t_mnt/m", "tmpfs")));
    say("the covered file is hidden: %s\n", errname(sys_stat("t_mnt/m/under", &st2)));
    sys_stat("t_mnt/m", &st2);
    say("own device number: %s, mode %s\n", yesno(st2.st_dev != st.st_dev), (st2.st_mode & 07777) == 01777 ? "1777" : "other");
    long fd = sys_open("t_mnt/m/file", O_CREAT | O_RDWR, 0644);
    sys_write(fd, "inside\n", 7);
    sys_mkdir("t_mnt/m/dir", 0755);
    say("rename across the mount: %s\n", errname(sys_rename("t_mnt/outside", "t_mnt/m/outside")));
    say("link across the mount: %s\n", errname(sys_link("t_mnt/m/file", "t_mnt/hard")));
    say("rename inside it: %s\n", errname(sys_rename("t_mnt/m/file", "t_mnt/m/dir/file")));
    say("rmdir of the mountpoint: %s\n", errname(sys_rmdir("t_mnt/m")));
    sys_stat("t_mnt/m/..", &st2);
    say("m/.. is t_mnt: %s\n", yesno(st2.st_ino == st.st_ino && st2.st_dev == st.st_dev));
    say("umount with a file open inside: %s\n", errname(umnt("t_mnt/m")));
    sys_close(fd);
    sys_chdir("t_mnt/m/dir");
    long n = sys_getcwd(buf, sizeof buf);
    say("getcwd inside: %s, ends in /t_mnt/m/dir: %s\n", n > 0 ? "ok" : errname(n), yesno(ends_with(buf, "/t_mnt/m/dir")));
    say("umount with a working directory inside: %s\n", errname(umnt("../../m")));
    sys_chdir("../../..");
    say("umount: %s\n", errname(umnt("t_mnt/m")));
    say("the covered file is back: %s, the tmpfs file is gone: %s\n", errname(sys_stat("t_mnt/m/under", &st2)),
        errname(sys_stat("t_mnt/m/dir", &st2)));
    say("umount again (a plain directory): %s\n", errname(umnt("t_mnt/m")));

    say("mount of an unknown type: %s\n", errname(mnt("none", "t_mnt/m", "nosuchfs")));
    say("mount on a file: %s\n", errname(mnt("none", "t_mnt/outside", "tmpfs")));
    say("mount on a missing directory: %s\n", errname(mnt("none", "t_mnt/missing", "tmpfs")));
    say("mount with a bad type pointer: %s\n", errname(mnt("none", "t_mnt/m", (const char *)8)));
    say("umount of a missing path: %s\n", errname(umnt("t_mnt/missing")));
    say("umount with a bad flag: %s\n", errname(syscall2(SYS_umount2, (long)"t_mnt/m", 0x100)));

    /* Two mounts stacked: the top one is seen, and goes first. */
    mnt("none", "t_mnt/m", "tmpfs");
    sys_close(sys_open("t_mnt/m/lower", O_CREAT | O_WRONLY, 0644));
    mnt("none", "t_mnt/m", "tmpfs");
    say("stacked: the lower mount's file is hidden: %s\n", errname(sys_stat("t_mnt/m/lower", &st2)));
    umnt("t_mnt/m");
    say("after one umount it is back: %s\n", errname(sys_stat("t_mnt/m/lower", &st2)));
    say("second umount: %s\n", errname(umnt("t_mnt/m")));

    sys_unlink("t_mnt/m/under");
    sys_rmdir("t_mnt/m");
    sys_unlink("t_mnt/outside");
    say("rmdir t_mnt: %s\n", errname(sys_rmdir("t_mnt")));
    say("DONE\n");
    return 0;
}
