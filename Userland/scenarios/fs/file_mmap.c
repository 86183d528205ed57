/*
 * file_mmap: MAP_PRIVATE mappings of a file (Linux mm/filemap.c): the mapping shows
 * the file's bytes and zeros past its end within the last page; writes to the mapping
 * stay private (the file and a second mapping do not see them); a mapping outlives
 * close() and unlink(); fork'd children see the parent's private copy. Bad input:
 * EBADF, EACCES (a write-only descriptor), ENODEV (a pipe, a directory), EINVAL
 * (offset not page-aligned, length 0).
 */
#include "lib.h"
#include "fs.h"

static long map(long len, long prot, long flags, long fd, long off)
{
    return syscall6(SYS_mmap, 0, len, prot, flags, fd, off);
}

int main(void)
{
    say("file_mmap: start\n");
    sys_mkdir("t_mmap", 0755);
    long fd = sys_open("t_mmap/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
    static char data[6000];
    for (int i = 0; i < (int)sizeof data; i++) data[i] = (char)('a' + i % 26);
    sys_write(fd, data, sizeof data);

    long a = map(8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    say("mmap MAP_PRIVATE: %s\n", a < 0 ? errname(a) : "ok");
    char *p = (char *)a;
    say_mapping_shows_file(p, data, sizeof data, 8192);
    p[0] = 'X';
    char c = 0;
    sys_pread(fd, &c, 1, 0);
    say("a write to the mapping reaches the file: %s\n", yesno(c == 'X'));
    long b = map(4096, PROT_READ, MAP_PRIVATE, fd, 4096);
    say("second mapping at offset 4096 shows byte 4096: %s\n", yesno(((char *)b)[0] == data[4096]));

    long pid = must_fork();
    if (pid == 0) sys_exit(p[0] == 'X' && p[1] == 'b' ? 0 : 1);
    say("the child sees the parent's private copy: %s\n", yesno(WEXITSTATUS(wait_for(pid)) == 0));

    sys_close(fd);
    sys_unlink("t_mmap/f");
    say("after close and unlink, still readable: %s\n", yesno(p[100] == data[100] && ((char *)b)[1] == data[4097]));
    sys_munmap(p, 8192);
    sys_munmap((void *)b, 4096);

    int fds[2];
    sys_pipe(fds);
    say("mmap of a pipe: %s\n", errname(map(4096, PROT_READ, MAP_PRIVATE, fds[0], 0)));
    long w = sys_open("t_mmap/w", O_CREAT | O_WRONLY, 0644);
    say("mmap of a write-only fd: %s\n", errname(map(4096, PROT_READ, MAP_PRIVATE, w, 0)));
    long dfd = sys_open("t_mmap", O_RDONLY | O_DIRECTORY, 0);
    say("mmap of a directory: %s\n", errname(map(4096, PROT_READ, MAP_PRIVATE, dfd, 0)));
    sys_close(99);
    say("mmap of a closed fd: %s\n", errname(map(4096, PROT_READ, MAP_PRIVATE, 99, 0)));
    long r = sys_open("t_mmap/w", O_RDONLY, 0);
    say("offset not page-aligned: %s\n", errname(map(4096, PROT_READ, MAP_PRIVATE, r, 100)));
    say("length 0: %s\n", errname(map(0, PROT_READ, MAP_PRIVATE, r, 0)));
    sys_close(w); sys_close(r); sys_close(dfd); sys_close(fds[0]); sys_close(fds[1]);
    sys_unlink("t_mmap/w");
    sys_rmdir("t_mmap");
    say("DONE\n");
    return 0;
}
