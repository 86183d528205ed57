/*
 * tcdrain - waits until the console has sent everything written to it (ioctl TCSBRK with
 * a non-zero argument, as tcdrain(3) does), for the Linux-in-QEMU oracle. Linux's serial
 * console sends a program's output from a buffer, by interrupt, while the kernel's own
 * messages are written at once: when init exits, the panic lines can overtake its last
 * output and even split its lines (seen under load). Draining first keeps the two apart.
 * MiniKernel's terminal writes at once: TCSBRK returns with nothing to wait for.
 * Prints nothing, exits 0.
 */
#include "lib.h"
#include "fs.h"

#define TCSBRK 0x5409

int main(void)
{
    syscall3(SYS_ioctl, 1, TCSBRK, 1);
    return 0;
}
