import Foundation
import Testing

/// Unit tests of the harness: its pure parts, host runs, and one boot for what it shows at a hang.
@Suite("Harness")
struct HarnessTests {
    @Test("exit statuses decode per docs/interfaces.md")
    func outcomes() {
        #expect(BootOutcome(status: 1, timedOut: false) == .poweroff)
        #expect(BootOutcome(status: 3, timedOut: false) == .initExited(1))
        #expect(BootOutcome(status: 127, timedOut: false) == .initExited(63))
        #expect(BootOutcome(status: 129, timedOut: false) == .initExitedHigh)
        #expect(BootOutcome(status: 131, timedOut: false) == .initKilled)
        #expect(BootOutcome(status: 251, timedOut: false) == .ktestFailed)
        #expect(BootOutcome(status: 253, timedOut: false) == .panic)
        #expect(BootOutcome(status: 0, timedOut: false) == .other(0))
        #expect(BootOutcome(status: 4, timedOut: false) == .other(4))
        #expect(BootOutcome(status: 1, timedOut: true) == .timeout)
    }

    /// The Linux oracle's view of a console: both kernels' line prefixes are dropped (also
    /// after user output without a final newline), and init's exit line is kept apart.
    @Test("PidOneView reads MiniKernel's and Linux's consoles alike")
    func pidOneView() {
        func boot(_ console: String) -> BootResult {
            BootResult(console: console, status: 0, timedOut: false, qemuStderr: "", command: [], seconds: 0)
        }
        let exit = "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300"
        let mk = PidOneView(boot("[    0.012345][    C0] MiniKernel version x\nhello\nno newline[    0.2][    C1] \(exit)\n"))
        let lx = PidOneView(boot("[    4.125249] Run /init as init process\nhello\nno newline[    4.200000] \(exit)\n"
            + "[    4.201000] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0-57-amd64 #1\n"))
        #expect(mk.output == "hello\nno newline")
        #expect(mk == lx)
        #expect(lx.initExit == exit)
        #expect(PidOneView(boot("[not a prefix] user\n")).output == "[not a prefix] user\n")
    }

    /// The ways a host run can end (Subprocess): CI once spent its 90 minutes
    /// waiting for EOF on a pipe that a killed wrapper's child still held.
    @Test("host runs: output and status, a deadline that kills the whole group, no wait for a leftover's pipe")
    func subprocessEndings() async throws {
        let sh = URL(fileURLWithPath: "/bin/sh")
        let ok = try await Subprocess.run(sh, arguments: ["-c", "echo out; echo err >&2; exit 3"], timeout: 10)
        #expect(ok.stdout == Data("out\n".utf8) && ok.stderr == Data("err\n".utf8))
        #expect(ok.status == 3 && !ok.signaled && !ok.timedOut)

        let fed = try await Subprocess.run(sh, arguments: ["-c", "cat; kill -USR1 $$"], input: Data("in".utf8), timeout: 10)
        #expect(fed.stdout == Data("in".utf8) && fed.signaled && fed.status == SIGUSR1)

        // A grandchild that outlives the deadline dies with the group.
        let marker = "/tmp/minikernel-subprocess-\(getpid())"
        let slow = try await Subprocess.run(sh, arguments: ["-c", "(sleep 3; touch \(marker)) & sleep 100"], timeout: 0.5)
        #expect(slow.timedOut && slow.signaled && slow.seconds < 50)   // not the 100 s of its sleep

        // A leftover that keeps the pipe open is killed once the child exits.
        let left = try await Subprocess.run(sh, arguments: ["-c", "sleep 3 && touch \(marker) & echo started"], timeout: 10)
        #expect(left.stdout == Data("started\n".utf8) && left.status == 0 && !left.timedOut)
        try await Task.sleep(for: .seconds(3.5))
        #expect(!FileManager.default.fileExists(atPath: marker), "a grandchild outlived its run")
    }

    /// A boot that hangs quietly has no console to show, so at the deadline the harness asks
    /// QEMU's monitor where each vCPU is (CI once saw Linux print nothing for 120 s).
    /// Busybox's shell spins in user mode on one CPU; the other idles in the kernel, whose
    /// RIP must come out named from the kernel's symbols.
    @Test("a hang's failure names where each vCPU was at the deadline")
    func hangRegisters() async throws {
        guard BusyboxTests.present() else { return }
        let cpio = try await BusyboxTests.initramfs([])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet rdinit=/bin/sh -- -c \"while :; do :; done\"",
                                       smp: 2, timeout: 8)
        #expect(boot.outcome == .timeout, "\(boot)")
        let summary = QEMUMonitor.summary(boot.vcpus ?? "", symbols: KernelSymbols(kernel: Repo.kernel))
        let cpus = summary.split(separator: "\n")
        #expect(cpus.count == 2 && cpus.allSatisfy { $0.contains("RIP=") }, "\(summary)")
        #expect(cpus.contains { $0.contains("+0x") }, "no vCPU's RIP named in the kernel:\n\(summary)")
        #expect(boot.description.contains("--- vCPUs at the deadline ---"))
    }

    @Test("FNV-1a 32 known vectors")
    func fnv() {
        #expect(FNV1a32.hex([]) == "811c9dc5")
        #expect(FNV1a32.hex(Array("a".utf8)) == "e40c292c")
        #expect(FNV1a32.hex(Array("foobar".utf8)) == "bf9cf968")
    }

    @Test("kernel prefix recognition")
    func prefix() {
        #expect(Console.kernelPrefixLength("[    0.001234][    C0] hello") == 23)
        #expect(Console.kernelPrefixLength("[12345.000001][   C12] x") == 23)
        #expect(Console.kernelPrefixLength("[    0.001234][    C0]") == nil)
        #expect(Console.kernelPrefixLength("hello [    0.001234][    C0] x") == nil)
        #expect(Console.kernelPrefixLength("[1] x") == nil)
    }

    @Test("user output is the console minus kernel lines")
    func userOutput() {
        let p = "[    0.104000][    C0] "
        let console = """
            \(p)MiniKernel booting
            hello
            world
            no newline here\(p)Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300
            \(p)reboot: Power down

            """
        #expect(UserOutput.extract(console) == "hello\nworld\nno newline here")
        #expect(UserOutput.initExitStatus(console) == 0x300)
        #expect(UserOutput.extract("a\n\nb\n") == "a\n\nb\n")
        #expect(UserOutput.initExitStatus("a\n") == nil)
        #expect(WaitStatus.exitCode(0x300) == 3)
        #expect(WaitStatus.signal(0x300) == nil)
        #expect(WaitStatus.signal(0x0b) == 11)
        #expect(WaitStatus.exitCode(0x8b) == nil)
    }
}
