/*
 * fifo: named pipes (Linux fs/pipe.c: fifo_open). mknod(S_IFIFO) makes one; opening it
 * for reading waits for a writer and for writing waits for a reader; with O_NONBLOCK
 * a reader opens at once and a writer without a reader fails with ENXIO; O_RDWR never
 * waits. Data flows as in a pipe, EOF once the writer is gone (here: by exiting), and
 * lseek is ESPIPE. Works in t_fifo (removed at the end).
 */
#include "lib.h"
#include "fs.h"

#define SYS_mknod 133

int main(void)
{
    say("fifo: start\n");
    char buf[64];
    struct kstat st;
    sys_mkdir("t_fifo", 0755);
    say("mknod S_IFIFO: %s\n", errname(syscall3(SYS_mknod, (long)"t_fifo/p", 0010644, 0)));
    sys_stat("t_fifo/p", &st);
    say("stat says FIFO: %s\n", yesno((st.st_mode & 0170000) == 0010000));
    say("write-only, non-blocking, no reader: %s\n", errname(sys_open("t_fifo/p", O_WRONLY | O_NONBLOCK, 0)));
    long r = sys_open("t_fifo/p", O_RDONLY | O_NONBLOCK, 0);
    say("read-only, non-blocking: %s\n", r >= 0 ? "opened" : errname(r));
    say("its read with no writer: %s\n", errname(sys_read(r, buf, sizeof buf)));
    long w = sys_open("t_fifo/p", O_WRONLY | O_NONBLOCK, 0);
    say("write-only, non-blocking, with a reader: %s\n", w >= 0 ? "opened" : errname(w));
    sys_write(w, "ping\n", 5);
    memset(buf, 0, sizeof buf);
    say("read: %s %s", errname(sys_read(r, buf, sizeof buf)), buf);
    say("lseek on a FIFO: %s\n", errname(sys_lseek(r, 0, SEEK_SET)));
    sys_close(w);
    sys_close(r);

    long pid = must_fork();
    if (pid == 0) {
        long fd = sys_open("t_fifo/p", O_WRONLY, 0);      /* waits for the parent */
        sys_write(fd, "from the writer\n", 16);
        sys_exit(0);                                        /* exit_files() closes it */
    }
    long fd = sys_open("t_fifo/p", O_RDONLY, 0);           /* waits for the child */
    long n = sys_read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    say("blocking open and read: %s", buf);
    say("after the writer exited: %s\n", errname(sys_read(fd, buf, sizeof buf)));
    sys_close(fd);
    wait_for(pid);

    long rw = sys_open("t_fifo/p", O_RDWR, 0);
    say("O_RDWR opens at once: %s\n", rw >= 0 ? "yes" : errname(rw));
    sys_write(rw, "self\n", 5);
    memset(buf, 0, sizeof buf);
    sys_read(rw, buf, sizeof buf);
    say("and reads its own bytes: %s", buf);
    sys_close(rw);
    sys_unlink("t_fifo/p");
    sys_rmdir("t_fifo");
    say("DONE\n");
    return 0;
}
