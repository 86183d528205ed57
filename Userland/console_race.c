/*
 * console_race - init ends while three children write to the console without pause, for
 * InitTests. Each child writes lines of 100 copies of its letter, one write(2) a line, on
 * its own CPU at -smp 4. Init sleeps 30 ms and exits 0 without waiting: the kernel's last
 * words ("Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000") then
 * come while another CPU is in the middle of writing a line. They must come out whole,
 * and no child's line may be cut by them or follow them.
 */
#include "lib.h"
#include "sys.h"

static void writer(char letter)
{
    char line[101];
    for (int i = 0; i < 100; i++)
        line[i] = letter;
    line[100] = '\n';
    for (;;)
        syscall3(SYS_write, 1, (long)line, sizeof line);
}

int main(void)
{
    for (int i = 0; i < 3; i++)
        if (must_fork() == 0)
            writer((char)('a' + i));
    struct timespec t = { 0, 30 * 1000 * 1000 };
    sys_nanosleep(&t, 0);
    return 0;
}
