import Foundation
import Testing

/// Ordinary glibc programs (`Userland/glibc/*.c`, `gcc -static` against Debian's glibc, so
/// glibc's own start-up: set_tid_address, set_robust_list, rseq, prlimit64, getrandom,
/// clone3 falling back to clone) behave as on Linux: pthreads, fork/waitpid, system() and
/// popen() through /bin/sh, stdio on files.
///
/// The program is `/init` in busybox's initramfs (`scripts/busybox-initramfs.sh`: /bin/sh for
/// system() and popen()); natively it runs under `run_as_init` in an empty temporary
/// directory with init's environment. leakcheck must end with every counter where it began.
@Suite("glibc programs")
struct GlibcTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var smp: Int
        var testDescription: String { "\(name), -smp \(smp)" }
    }

    static var programs: [String] {
        let dir = Repo.root.appendingPathComponent("Userland/glibc")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".c") }.map { String($0.dropLast(2)) }.sorted()
    }
    static let cases = programs.flatMap { p in [1, 4].map { Case(name: p, smp: $0) } }

    @Test("same output and exit status as on Linux", arguments: cases)
    func program(_ c: Case) async throws {
        try await Build.ensure()
        let binary = Repo.buildDir.appendingPathComponent("glibc/\(c.name)")
        let cwd = try TempDir.make("native-glibc")
        defer { TempDir.remove(cwd) }
        let native = try await HostJobs.run {
            try await Subprocess.run(Repo.runAsInit,
                                     arguments: [binary.path], environment: ["HOME": "/", "TERM": "linux"],
                                     currentDirectory: cwd, mergeStderr: true, timeout: 60)
        }
        let nativeStatus: Int32 = native.signaled ? native.status : native.status << 8

        let cpio = try await BusyboxTests.initramfs(["/init=\(binary.path)"])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet lockcheck leakcheck", smp: c.smp, timeout: 60)
        expectSameAsLinux(boot, nativeOutput: Console.text(native.stdout), nativeStatus: nativeStatus)
    }

    /// `norandmaps` on MiniKernel's command line turns address-space randomisation off for
    /// every process, as `setarch -R` (personality ADDR_NO_RANDOMIZE) does for one program
    /// on Linux: Userland/glibc/aslr.c then sees nothing move, on both.
    @Test("aslr: norandmaps on MiniKernel, setarch -R on Linux", arguments: [1, 4])
    func norandmaps(smp: Int) async throws {
        try await Build.ensure()
        let binary = Repo.buildDir.appendingPathComponent("glibc/aslr")
        let cwd = try TempDir.make("native-glibc")
        defer { TempDir.remove(cwd) }
        let native = try await HostJobs.run {
            try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/setarch"),
                                     arguments: ["-R", Repo.runAsInit.path, binary.path], environment: ["HOME": "/", "TERM": "linux"],
                                     currentDirectory: cwd, mergeStderr: true, timeout: 60)
        }
        let nativeStatus: Int32 = native.signaled ? native.status : native.status << 8
        let cpio = try await BusyboxTests.initramfs(["/init=\(binary.path)"])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet lockcheck leakcheck norandmaps", smp: smp, timeout: 60)
        expectSameAsLinux(boot, nativeOutput: Console.text(native.stdout), nativeStatus: nativeStatus)
    }
}
