import Foundation
import Testing

/// The other ways pid 1 ends, and what it survives (Userland/poweroff.c, exit3.c and
/// init_protect.c are not scenarios: they only make sense as init under MiniKernel).
@Suite("Init: power-off, exit codes, protection")
struct InitEndTests {
    /// reboot(POWER_OFF) from init: Linux prints `reboot: Power down` and the machine
    /// stops; init never exits, so the "Attempted to kill init!" panic never comes.
    @Test("reboot(LINUX_REBOOT_CMD_POWER_OFF) from init powers off cleanly", arguments: [1, 4])
    func powerOff(smp: Int) async throws {
        let run = try await bootProgram("poweroff", smp: smp, timeout: 30)
        expect(run.boot, run.output == "poweroff: pid 1 calls reboot(LINUX_REBOOT_CMD_POWER_OFF)\n",
               "expected exactly poweroff's one line (reboot must not return), got:\n\(run.output)")
        expectKernelLine(run.boot, exactly: "reboot: Power down")
        expect(run.boot, !run.boot.console.contains("Attempted to kill init"),
               "init did not exit, so there must be no \"Attempted to kill init\" line")
        expectOutcome(run.boot, .poweroff)
    }

    /// init exiting with 3: the panic line carries the wait status 0x300 and QEMU's
    /// status is (3 << 1) | 1 = 7.
    @Test("init exiting with 3: exitcode=0x00000300 and QEMU status 7", arguments: [1, 4])
    func exitThree(smp: Int) async throws {
        let run = try await bootProgram("exit3", smp: smp, timeout: 30)
        expect(run.boot, run.output == "exit3: pid 1 exits with 3\n", "unexpected user output:\n\(run.output)")
        expectKernelLine(run.boot, exactly: "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300")
        expect(run.boot, run.status == 0x300, "init's wait status should be 0x300, got \(run.status.map { String($0, radix: 16) } ?? "none")")
        expect(run.boot, run.boot.status == 7, "QEMU status should be 7, got \(run.boot.status)")
        expectOutcome(run.boot, .initExited(3))
    }
}
