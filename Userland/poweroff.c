/*
 * poweroff - an init that ends the machine with reboot(2) instead of exiting.
 *
 * NOT a scenario, and never to be run natively: as root on the host, reboot(POWER_OFF)
 * would power the host off.  It therefore refuses to run anywhere but MiniKernel
 * (uname's release ends in "minikernel").
 *
 * It prints one line, then calls reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
 * LINUX_REBOOT_CMD_POWER_OFF).  Linux prints "reboot: Power down" and the machine stops;
 * init never exits, so there is no "Attempted to kill init!" line.  If reboot returns,
 * the error is printed and init exits 1.
 */
#include "lib.h"

#define LINUX_REBOOT_MAGIC1        0xfee1deadL
#define LINUX_REBOOT_MAGIC2        672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    if (!on_minikernel()) {
        say("poweroff: not running on MiniKernel; refusing to power off this machine\n");
        return 2;
    }
    say("poweroff: pid %ld calls reboot(LINUX_REBOOT_CMD_POWER_OFF)\n", sys_getpid());
    long r = syscall4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
    say("poweroff: reboot returned %s\n", errname(r));
    return 1;
}
