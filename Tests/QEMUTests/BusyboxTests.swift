import Foundation
import Testing

/// Debian's static busybox, unmodified, runs our shell scripts (`Userland/busybox/*.sh`)
/// with the same output and exit status as the same busybox natively on this machine.
///
/// The initramfs is `scripts/busybox-initramfs.sh`'s (busybox and its applet links) plus
/// the script; init is `rdinit=/bin/sh -- /NAME.sh`. Natively the script runs as
/// `/bin/busybox sh NAME.sh` in an empty temporary directory with init's environment
/// (`HOME=/ TERM=linux`), stdin from /dev/null and init's signal state (`run_as_init`). `leakcheck` is on: once the shell and
/// everything it started are gone, every counter (files, inodes, pipes included) must be
/// back where it was.
@Suite("Busybox: real programs")
struct BusyboxTests {
    static let busybox = URL(fileURLWithPath: "/bin/busybox")

    /// True when Debian's busybox is installed; else records why the test cannot run.
    static func present() -> Bool {
        if FileManager.default.isExecutableFile(atPath: busybox.path) { return true }
        Issue.record("no /bin/busybox: apt-get install busybox-static (.ci/run does)")
        return false
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var script: String
        var smp: Int
        var testDescription: String { "\(script).sh, -smp \(smp)" }
    }

    static var scripts: [String] {
        let dir = Repo.root.appendingPathComponent("Userland/busybox")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".sh") }.map { String($0.dropLast(3)) }.sorted()
    }
    static let cases = scripts.flatMap { s in [1, 4].map { Case(script: s, smp: $0) } }

    /// An initramfs with busybox, its links and `extra` files.
    static func initramfs(_ extra: [String]) async throws -> URL {
        try await Build.ensure()
        let out = try TempDir.make("busybox").appendingPathComponent("bb.cpio")
        let r = try await HostJobs.run {
            try await Subprocess.run(Repo.root.appendingPathComponent("scripts/busybox-initramfs.sh"),
                                     arguments: [out.path] + extra, mergeStderr: true, timeout: 60)
        }
        guard r.status == 0, !r.signaled, !r.timedOut else {
            throw HarnessError("busybox-initramfs.sh \(r.ending):\n" + String(decoding: r.stdout, as: UTF8.self))
        }
        return out
    }

    @Test("same output and exit status as busybox on Linux", arguments: cases)
    func script(_ c: Case) async throws {
        guard Self.present() else { return }
        let src = Repo.root.appendingPathComponent("Userland/busybox/\(c.script).sh").path
        let cwd = try TempDir.make("native-busybox")
        defer { TempDir.remove(cwd) }
        // run_as_init: nothing blocked, nothing ignored, as init starts (tools/run_as_init.c).
        let native = try await HostJobs.run {
            try await Subprocess.run(Repo.runAsInit,
                                     arguments: [Self.busybox.path, "sh", src],
                                     environment: ["HOME": "/", "TERM": "linux"],
                                     currentDirectory: cwd, mergeStderr: true, timeout: 120)
        }
        let nativeStatus: Int32 = native.signaled ? native.status : native.status << 8

        let cpio = try await Self.initramfs(["/\(c.script).sh=\(src)"])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet lockcheck leakcheck rdinit=/bin/sh -- /\(c.script).sh",
                                       smp: c.smp, timeout: 120)
        expectSameAsLinux(boot, nativeOutput: Console.text(native.stdout), nativeStatus: nativeStatus)
    }

    /// Linux's next_arg(): double quotes make one word of `echo a; exit 3`, and init
    /// (busybox's sh) gets argv = [/bin/sh, -c, "echo a; exit 3"].
    @Test("the command line's double quotes: rdinit=/bin/sh -- -c \"echo a; exit 3\"")
    func quotedCommandLine() async throws {
        guard Self.present() else { return }
        let cpio = try await Self.initramfs([])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet rdinit=/bin/sh -- -c \"echo a; exit 3\"", timeout: 60)
        expect(boot, UserOutput.extract(boot.console) == "a\n", "output: \(UserOutput.extract(boot.console))")
        expectOutcome(boot, .initExited(3))
    }
}
