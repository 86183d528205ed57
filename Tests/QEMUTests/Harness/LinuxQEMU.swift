import Foundation
import Testing

/// Debian's own Linux kernel, booted in the same QEMU as MiniKernel: the second oracle.
///
/// The first oracle is the host: a scenario runs natively on this Linux and under MiniKernel,
/// and the outputs must agree (`runNative`). That cannot speak for what only pid 1 sees —
/// the console on fds 0-2, argv and envp built from `-append`, device nodes from the
/// initramfs, the "Attempted to kill init!" line when init exits. For those, a test boots
/// Debian's kernel with the same initramfs and the same command line, and compares what user
/// space saw (`PidOneView`), never the kernels' own boot logs.
///
/// The kernel comes from `scripts/linux_kernel.py` (shared with `make bench`): fetched once
/// with apt-get into `~/.cache/minikernel/linux/`, never into the repository. Without it
/// (no apt, no network) every boot throws, and the failure says how to get it.
enum LinuxQEMU {
    /// The uncompressed vmlinux, fetched on first use (once per test process).
    static func vmlinux() async throws -> URL {
        switch await fetched.value {
        case .success(let url): return url
        case .failure(let error): throw error
        }
    }

    /// Boots Debian's kernel with the QEMU line `QEMU.boot` uses for MiniKernel (same
    /// `-initrd`, `-append`, `-smp`, TCG, `-no-reboot`, every boot under `timeout`), only with
    /// 512 MiB, which a distribution kernel wants.
    ///
    /// `append` should hold `quiet` (else Linux's boot log floods the console and slows the
    /// boot) and `panic=-1` when init may exit: Linux then reboots at once after "Attempted
    /// to kill init!" and `-no-reboot` ends QEMU; without it Linux waits for ever and the
    /// boot ends at its timeout. Linux's QEMU status is 0 in both cases (it has no
    /// isa-debug-exit protocol): read the console, not `outcome`.
    static func boot(initrd: URL, append: String, smp: Int = 1, timeout: Double = 120) async throws -> BootResult {
        let kernel = try await vmlinux()
        return try await QEMU.boot(kernel: kernel, initrd: initrd, append: append, smp: smp, memory: "512M",
                                   timeout: timeout)
    }

    private static let fetched = Task<Result<URL, HarnessError>, Never> {
        let script = Repo.root.appendingPathComponent("scripts/linux_kernel.py")
        do {
            let r = try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                             arguments: ["python3", script.path], timeout: 900)
            let path = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if r.status == 0, !r.signaled, !r.timedOut, FileManager.default.fileExists(atPath: path) {
                return .success(URL(fileURLWithPath: path))
            }
            return .failure(HarnessError("""
                Linux oracle: scripts/linux_kernel.py \(r.ending) and gave no vmlinux, so the tests that \
                compare with Linux in QEMU cannot run. It fetches Debian's linux-image-amd64 with apt-get \
                into ~/.cache/minikernel/linux/ (needs apt-get, dpkg-deb and network to a Debian mirror; \
                run it by hand to see the whole story). Its output:
                \(String(decoding: r.stderr, as: UTF8.self))
                """))
        } catch {
            return .failure(HarnessError("Linux oracle: cannot run scripts/linux_kernel.py: \(error)"))
        }
    }
}

/// What user space saw on the console of a boot, either kernel: the output of init and its
/// children (every kernel line removed), and the kernel lines user space is promised —
/// init's exit line. MiniKernel's kernel lines carry `[ SECONDS][ CPU] `, Linux's (Debian
/// builds with CONFIG_PRINTK_TIME) `[ SECONDS] `; both are dropped.
struct PidOneView: Equatable, CustomStringConvertible {
    /// The console minus kernel lines (user output glued to a kernel line is kept).
    var output: String
    /// "Kernel panic - not syncing: Attempted to kill init! exitcode=0x..." without its prefix.
    var initExit: String?

    init(_ boot: BootResult) {
        var out = ""
        var exit: String?
        let lines = boot.console.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            if let (start, text) = Self.kernelLine(in: line) {
                out += line[..<start]
                if text.hasPrefix(UserOutput.initExitMarker), exit == nil { exit = String(text) }
            } else {
                out += line
                if i != lines.count - 1 { out += "\n" }
            }
        }
        output = out
        initExit = exit
    }

    /// The whole view as text, for diffs.
    var description: String { output + "--- kernel: " + (initExit ?? "(no init exit line)") + "\n" }

    /// Where a kernel line starts in `line` (0 or later: user output without a final newline
    /// is glued to it) and its text after the prefix; nil for a user line.
    static func kernelLine(in line: Substring) -> (Substring.Index, Substring)? {
        var i = line.startIndex
        while let open = line[i...].firstIndex(of: "[") {
            if let n = prefixLength(line[open...]) { return (open, line[open...].dropFirst(n)) }
            i = line.index(after: open)
        }
        return nil
    }

    /// `[ 1.234567] ` (Linux) or `[ 1.234567][ C0] ` (MiniKernel, see Console).
    private static func prefixLength(_ s: Substring) -> Int? {
        if let n = Console.kernelPrefixLength(s) { return n }
        let u = Array(s.utf8.prefix(32))
        var p = 0
        func digits() -> Int { let s = p; while p < u.count, (0x30...0x39).contains(u[p]) { p += 1 }; return p - s }
        guard p < u.count, u[p] == UInt8(ascii: "[") else { return nil }
        p += 1
        while p < u.count, u[p] == 0x20 { p += 1 }
        guard digits() > 0, p < u.count, u[p] == UInt8(ascii: ".") else { return nil }
        p += 1
        guard digits() > 0, p + 1 < u.count, u[p] == UInt8(ascii: "]"), u[p + 1] == 0x20 else { return nil }
        return p + 2
    }
}

/// Boots `initrd` with `append` under MiniKernel and under Debian's Linux (concurrently) and
/// fails, with a unified diff (Linux as the old side), unless user space saw the same thing.
///
/// `known` lists lines where MiniKernel is known to differ, by prefix, with the reason: they
/// are compared apart, inside `withKnownIssue`, so the test stays green while they differ and
/// fails when they stop differing (then the entry is to be removed).
@discardableResult
func expectSameAsLinux(initrd: URL, append: String, smp: Int, timeout: Double = 120,
                       known: [(prefix: String, reason: String)] = [],
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> (minikernel: BootResult, linux: BootResult) {
    async let mk = QEMU.boot(initrd: initrd, append: append, smp: smp, timeout: timeout)
    async let lx = LinuxQEMU.boot(initrd: initrd, append: append, smp: smp, timeout: timeout)
    let (mkBoot, lxBoot) = try await (mk, lx)
    if lxBoot.timedOut {
        Issue.record(Comment(rawValue: "the oracle failed: Linux did not finish within \(timeout) s\n\(lxBoot)"),
                     sourceLocation: sourceLocation)
        return (mkBoot, lxBoot)
    }
    let mkView = PidOneView(mkBoot), lxView = PidOneView(lxBoot)
    func split(_ text: String) -> (kept: String, known: String) {
        var kept = "", apart = ""
        for line in Console.lines(text) {
            if known.contains(where: { line.hasPrefix($0.prefix) }) { apart += line + "\n" } else { kept += line + "\n" }
        }
        return (kept, apart)
    }
    let (mkKept, mkKnown) = split(mkView.description), (lxKept, lxKnown) = split(lxView.description)
    if let diff = TextDiff.unified(lxKept, mkKept) {
        Issue.record(Comment(rawValue: """
            -smp \(smp), -append "\(append)": user space saw something else under MiniKernel than under \
            Debian's Linux in the same QEMU; \(diff)
            === MiniKernel boot:
            \(mkBoot)
            === Linux boot:
            \(lxBoot)
            """), sourceLocation: sourceLocation)
    }
    if !known.isEmpty {
        withKnownIssue(Comment(rawValue: known.map { "\($0.prefix) \($0.reason)" }.joined(separator: "; "))) {
            if let diff = TextDiff.unified(lxKnown, mkKnown) {
                Issue.record(Comment(rawValue: "known difference from Linux; \(diff)"), sourceLocation: sourceLocation)
            }
        }
    }
    return (mkBoot, lxBoot)
}
