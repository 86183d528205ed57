import Foundation
import Testing

/// Debian's dynamically linked programs, unmodified: each is packed by `tools/mkinitramfs`
/// with its loader (PT_INTERP) and libraries, booted as init (`rdinit=PATH -- ARGS`), and
/// its output and exit status compared with the same program run natively on this machine
/// (`run_as_init`, init's environment, an empty temporary directory). glibc's loader maps
/// every library from the RAM filesystem with mmap, so this is exec, file mappings and
/// mprotect the way every Debian program uses them. `leakcheck` is on.
@Suite("Dynamic programs: Debian's own binaries")
struct DynamicTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var argv: [String]
        var extra: [String]
        var smp: Int
        var testDescription: String { "\(argv.joined(separator: " ")), -smp \(smp)" }
    }

    /// No argument holds a double quote: the kernel command line cannot carry one.
    static let programs: [[String]] = [
        ["/usr/bin/dash", "-c", "echo dash runs; x=$((6 * 7)); echo $x; exit 3"],
        ["/usr/bin/dash", "-c", "true; false; echo status $?; (exit 5); echo sub $?"],
        ["/usr/bin/true"],
        ["/usr/bin/false"],
        ["/usr/bin/printenv", "HOME", "TERM"],      // (env's order is the harness's dictionary's natively)
        ["/usr/bin/seq", "3", "2", "11"],
        ["/usr/bin/sleep", "0.1"],
        // coreutils from a dash script: ls (plain, -F, -a, an error), cat (-n, an error),
        // timeout (expiring: 124; not: the command's status; -s KILL: 137), env -i; rm -r takes
        // the files away again (leakcheck counts them otherwise). `ls -1`: under MiniKernel
        // stdout is the console, a terminal, where ls would print columns; natively a pipe.
        ["/usr/bin/dash", "-c", "mkdir t && cd t && seq 2 > f && mkdir sub && ls -1 && ls -1F && ls -1a && cat f && "
            + "cat -n f && timeout 0.3 sleep 5; echo timeout $?; timeout 5 true; echo ok $?; "
            + "timeout -s KILL 0.2 sleep 5; echo killed $?; env -i A=1 B=2 env; "
            + "ls -d sub nonexistent; echo ls $?; cat nonexistent; echo cat $?; cd .. && rm -r t"],
    ]
    /// What a program's script runs, packed beside it.
    static let coreutils = ["mkdir", "seq", "ls", "cat", "timeout", "sleep", "true", "env", "rm"].map { "/usr/bin/" + $0 }
    static let cases = programs.flatMap { p in
        [1, 4].map { Case(argv: p, extra: p.count > 2 && p[2].contains("timeout") ? coreutils : [], smp: $0) }
    }

    /// An initramfs holding `program`, the `extra` programs, and everything their loader opens.
    static func initramfs(_ program: String, extra: [String] = []) async throws -> URL {
        try await Build.ensure()
        let out = try TempDir.make("dynamic").appendingPathComponent("prog.cpio")
        let r = try await HostJobs.run {
            try await Subprocess.run(Repo.root.appendingPathComponent("tools/mkinitramfs"),
                                     arguments: ["-o", out.path, program] + extra, mergeStderr: true, timeout: 60)
        }
        guard r.status == 0, !r.signaled, !r.timedOut else {
            throw HarnessError("mkinitramfs \(r.ending):\n" + String(decoding: r.stdout, as: UTF8.self))
        }
        return out
    }

    @Test("same output and exit status as on Linux", arguments: cases)
    func program(_ c: Case) async throws {
        guard FileManager.default.isExecutableFile(atPath: c.argv[0]) else {
            Issue.record("no \(c.argv[0]) on this machine")
            return
        }
        let cwd = try TempDir.make("native-dynamic")
        defer { TempDir.remove(cwd) }
        let native = try await HostJobs.run {
            try await Subprocess.run(Repo.runAsInit, arguments: c.argv, environment: ["HOME": "/", "TERM": "linux"],
                                     currentDirectory: cwd, mergeStderr: true, timeout: 60)
        }
        let nativeStatus: Int32 = native.signaled ? native.status : native.status << 8

        let cpio = try await Self.initramfs(c.argv[0], extra: c.extra)
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let args = c.argv.dropFirst().map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet lockcheck leakcheck rdinit=\(c.argv[0])"
                                           + (args.isEmpty ? "" : " -- \(args)"),
                                       smp: c.smp, timeout: 120)
        expectSameAsLinux(boot, nativeOutput: Console.text(native.stdout), nativeStatus: nativeStatus)
    }
}
