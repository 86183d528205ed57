/*
 * file_ops: what the file system calls do when they succeed — write and read
 * back, positions shared by dup'd descriptors and not by separate opens,
 * O_APPEND, O_TRUNC, pread/pwrite, ftruncate with a zero-filled hole, hard
 * links and the link count, rename over an existing file, symlinks and
 * readlink, getdents64, getcwd, umask, close-on-exec flags, and an unlinked
 * file still readable through an open descriptor. Everything happens in
 * t_ops (removed at the end).
 */
#include "lib.h"
#include "fs.h"

static int has_entry(const char *dir, const char *name)
{
    char buf[512];
    long fd = sys_open(dir, O_RDONLY | O_DIRECTORY, 0);
    int found = 0;
    long n;
    while ((n = sys_getdents64(fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            if (strcmp(buf + off + 19, name) == 0) found = 1;
            off += reclen;
        }
    }
    sys_close(fd);
    return found;
}

static const char *oct(unsigned v)
{
    static char b[4][16];
    static int k;
    char *p = b[k++ & 3] + 15;
    *p = 0;
    do { *--p = '0' + (v & 7); v >>= 3; } while (v);
    return p;
}

int main(void)
{
    say("file_ops: start\n");
    char buf[128];
    struct kstat st;
    say("mkdir t_ops: %s\n", errname(sys_mkdir("t_ops", 0755)));
    say("chdir t_ops: %s\n", errname(sys_chdir("t_ops")));
    long old = sys_umask(022);
    (void)old;

    long fd = sys_open("a", O_CREAT | O_RDWR | O_TRUNC, 0666);
    say("write: %s\n", errname(sys_write(fd, "hello, world\n", 13)));
    say("lseek(0, SEEK_CUR): %s\n", errname(sys_lseek(fd, 0, SEEK_CUR)));
    say("lseek(0, SEEK_SET): %s\n", errname(sys_lseek(fd, 0, SEEK_SET)));
    memset(buf, 0, sizeof buf);
    say("read: %s \"%s\"\n", errname(sys_read(fd, buf, sizeof buf - 1)), buf);
    say("read at EOF: %s\n", errname(sys_read(fd, buf, 10)));
    sys_fstat(fd, &st);
    say("size %ld, mode %s, nlink %ld\n", st.st_size, oct(st.st_mode), (long)st.st_nlink);

    long d = sys_dup(fd);
    sys_lseek(fd, 7, SEEK_SET);
    say("dup shares the offset: %s\n", yesno(sys_lseek(d, 0, SEEK_CUR) == 7));
    long other = sys_open("a", O_RDONLY, 0);
    say("a second open has its own: %s\n", yesno(sys_lseek(other, 0, SEEK_CUR) == 0));
    say("F_GETFD after dup: %s\n", errname(sys_fcntl(d, F_GETFD, 0)));
    long c = sys_fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 10);
    say("F_DUPFD_CLOEXEC at 10: fd >= 10 %s, F_GETFD %s\n", yesno(c >= 10), errname(sys_fcntl(c, F_GETFD, 0)));
    say("F_GETFL: %s\n", errname(sys_fcntl(fd, F_GETFL, 0) & 03));
    sys_fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK);
    say("F_GETFL after F_SETFL: O_APPEND %s O_NONBLOCK %s\n", yesno(sys_fcntl(fd, F_GETFL, 0) & O_APPEND),
        yesno(sys_fcntl(fd, F_GETFL, 0) & O_NONBLOCK));
    sys_lseek(fd, 0, SEEK_SET);
    sys_write(fd, "more\n", 5);
    sys_fstat(fd, &st);
    say("O_APPEND wrote at the end: size %ld\n", st.st_size);
    sys_close(d); sys_close(other); sys_close(c);

    say("pwrite: %s\n", errname(sys_pwrite(fd, "HELLO", 5, 0)));
    memset(buf, 0, sizeof buf);
    say("pread: %s \"%s\"\n", errname(sys_pread(fd, buf, 5, 0)), buf);
    say("ftruncate(40): %s\n", errname(sys_ftruncate(fd, 40)));
    memset(buf, 'x', sizeof buf);
    long n = sys_pread(fd, buf, 64, 0);
    int zeros = 1;
    for (int i = 18; i < 40; i++) if (buf[i] != 0) zeros = 0;
    say("read after growing: %ld bytes, the hole reads as zeros: %s\n", n, yesno(zeros));
    sys_ftruncate(fd, 5);
    sys_fstat(fd, &st);
    say("ftruncate(5): size %ld\n", st.st_size);
    sys_close(fd);

    /* O_TRUNC, O_EXCL, creat mode and umask */
    fd = sys_open("a", O_WRONLY | O_TRUNC, 0);
    sys_fstat(fd, &st);
    say("O_TRUNC: size %ld\n", st.st_size);
    sys_close(fd);
    sys_umask(077);
    fd = sys_open("b", O_CREAT | O_EXCL | O_WRONLY, 0666);
    sys_fstat(fd, &st);
    say("created under umask 077: mode %s\n", oct(st.st_mode));
    sys_write(fd, "bee\n", 4);
    sys_close(fd);
    sys_umask(022);
    sys_mkdir("dir", 0777);
    sys_stat("dir", &st);
    say("mkdir under umask 022: mode %s, nlink %ld\n", oct(st.st_mode), (long)st.st_nlink);

    /* Hard links, rename, unlink */
    say("link b c: %s\n", errname(sys_link("b", "c")));
    sys_stat("b", &st);
    say("nlink after link: %ld\n", (long)st.st_nlink);
    say("rename c over a: %s\n", errname(sys_rename("c", "a")));
    sys_stat("b", &st);
    say("nlink after rename over a: %ld\n", (long)st.st_nlink);
    memset(buf, 0, sizeof buf);
    fd = sys_open("a", O_RDONLY, 0);
    sys_read(fd, buf, sizeof buf);
    say("a now holds: %s", buf);
    say("unlink a while open: %s\n", errname(sys_unlink("a")));
    memset(buf, 0, sizeof buf);
    sys_lseek(fd, 0, SEEK_SET);
    say("still readable: %s \"%s\"\n", errname(sys_read(fd, buf, 3)), buf);
    sys_fstat(fd, &st);
    say("nlink of the open file: %ld\n", (long)st.st_nlink);
    sys_close(fd);
    say("rename b dir/b: %s\n", errname(sys_rename("b", "dir/b")));
    say("dir has b: %s, t_ops has b: %s\n", yesno(has_entry("dir", "b")), yesno(has_entry(".", "b")));

    /* Symlinks */
    say("symlink dir/b s: %s\n", errname(sys_symlink("dir/b", "s")));
    memset(buf, 0, sizeof buf);
    say("readlink s: %s \"%s\"\n", errname(sys_readlink("s", buf, sizeof buf)), buf);
    say("readlink into 3 bytes: %s\n", errname(sys_readlink("s", buf, 3)));
    sys_lstat("s", &st);
    say("lstat s: link %s, size %ld\n", yesno((st.st_mode & 0170000) == 0120000), st.st_size);
    sys_stat("s", &st);
    say("stat s: regular %s, size %ld\n", yesno((st.st_mode & 0170000) == 0100000), st.st_size);
    sys_symlink("dir", "sd");
    fd = sys_open("sd/b", O_RDONLY, 0);
    memset(buf, 0, sizeof buf);
    sys_read(fd, buf, sizeof buf);
    say("through a directory symlink: %s", buf);
    sys_close(fd);
    sys_symlink("nowhere", "dangling");
    say("stat dangling: %s, lstat: %s\n", errname(sys_stat("dangling", &st)), errname(sys_lstat("dangling", &st)));

    /* getcwd, chdir, .. */
    sys_chdir("sd");
    memset(buf, 0, sizeof buf);
    long len = sys_getcwd(buf, sizeof buf);
    say("getcwd through the link: %s, ends in /t_ops/dir: %s\n", len > 0 ? "ok" : errname(len), yesno(strstr_simple(buf, "/t_ops/dir") != 0));
    sys_chdir("..");
    sys_getcwd(buf, sizeof buf);
    say("after chdir ..: ends in /t_ops: %s\n", yesno(strstr_simple(buf, "/t_ops") != 0 && strstr_simple(buf, "/t_ops/") == 0));
    say("getdents lists . and ..: %s %s, dangling: %s\n", yesno(has_entry(".", ".")), yesno(has_entry(".", "..")),
        yesno(has_entry(".", "dangling")));

    /* A removed working directory */
    sys_mkdir("gone", 0755);
    sys_chdir("gone");
    say("rmdir of the cwd: %s\n", errname(sys_rmdir("../gone")));
    say("getcwd after: %s\n", errname(sys_getcwd(buf, sizeof buf)));
    say("create in it: %s\n", errname(sys_open("x", O_CREAT | O_WRONLY, 0644)));
    sys_chdir("..");

    /* Clean up */
    sys_unlink("dangling"); sys_unlink("sd"); sys_unlink("s"); sys_unlink("dir/b");
    say("rmdir dir: %s\n", errname(sys_rmdir("dir")));
    sys_chdir("..");
    say("rmdir t_ops: %s\n", errname(sys_rmdir("t_ops")));
    say("DONE\n");
    return 0;
}
