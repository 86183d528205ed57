import Foundation
import Testing

/// A core file MiniKernel writes is one the host's own tools read: `readelf -n` lists the
/// same notes as for Linux's core of the same program (NT_PRSTATUS and NT_FPREGSET per
/// thread, NT_PRPSINFO, NT_SIGINFO, NT_AUXV), and `gdb` finds the same threads stopped in
/// the same functions, with the faulting thread's backtrace.
///
/// `crash_threads` (three threads, the main one stores to address 0x10 in `crash_here()`)
/// runs under busybox's sh with `ulimit -c unlimited`; the shell sends the core back over
/// the console, gzip'd and base64'd. Natively the same program dumps core in a temporary
/// directory (this needs the default `core_pattern`, "core").
@Suite("Core dumps read by the host's readelf and gdb")
struct CoredumpTests {
    static let script = """
        ulimit -c unlimited
        mkdir -p /tmp && cd /tmp
        /crash_threads
        echo "status $?"

        """ + ConsoleFile.sendScript("core")

    @Test("the core of a three-thread process killed by SIGSEGV", arguments: [1, 4])
    func readByHostTools(smp: Int) async throws {
        guard BusyboxTests.present() else { return }
        try await Build.ensure()
        let program = Repo.userland("crash_threads")
        let work = try TempDir.make("coredump")
        defer { TempDir.remove(work) }

        // Natively: Linux's core of the same program.
        let native = work.appendingPathComponent("native")
        try FileManager.default.createDirectory(at: native, withIntermediateDirectories: true)
        let pattern = (try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8)) ?? "core\n"
        try #require(pattern == "core\n", "this test needs Linux's default core_pattern \"core\", not \(pattern)")
        let n = try await HostJobs.run {
            try await Subprocess.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "ulimit -c unlimited; exec \(program.path)"],
                                     currentDirectory: native, mergeStderr: true, timeout: 60)
        }
        try #require(n.signaled == false && n.status == 128 + 11 || n.signaled && n.status == 11, "natively: \(n.ending)")
        let nativeCore = native.appendingPathComponent("core")

        // Under MiniKernel.
        let scriptFile = work.appendingPathComponent("crash.sh")
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let cpio = try await BusyboxTests.initramfs(["/crash.sh=\(scriptFile.path)", "/crash_threads=\(program.path)"])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet rdinit=/bin/sh -- /crash.sh",
                                       smp: smp, timeout: 120)
        let output = UserOutput.extract(boot.console)
        try #require(output.contains("status 139"), "the shell should see 128 + SIGSEGV\n\(boot)")
        guard let mkCore = try await ConsoleFile.receive("core", from: output, into: work.appendingPathComponent("minikernel")) else {
            Issue.record("no core came back over the console\n\(boot)")
            return
        }

        // readelf -n: the same notes, as many of each.
        let kinds: Set<String> = ["NT_PRSTATUS", "NT_FPREGSET", "NT_PRPSINFO", "NT_SIGINFO", "NT_AUXV"]
        let nativeNotes = try await Self.notes(nativeCore).filter { kinds.contains($0.key) }
        let (mkNotes, warnings) = try await Self.readelf(mkCore)
        #expect(warnings.isEmpty, "readelf complains about MiniKernel's core: \(warnings)")
        #expect(mkNotes.filter { kinds.contains($0.key) } == nativeNotes,
                "notes: MiniKernel \(mkNotes), Linux \(nativeNotes)\n\(boot)")
        #expect(nativeNotes["NT_PRSTATUS"] == 3, "Linux's core has a NT_PRSTATUS per thread: \(nativeNotes)")

        // gdb: the same threads in the same functions; the faulting one's backtrace.
        let mkThreads = try await Self.gdbThreads(program, mkCore)
        let nativeThreads = try await Self.gdbThreads(program, nativeCore)
        #expect(mkThreads.frames == nativeThreads.frames, "gdb's threads: MiniKernel \(mkThreads), Linux \(nativeThreads)")
        #expect(mkThreads.current == ["crash_here", "main"], "the faulting thread's backtrace: \(mkThreads.current)")
    }

    /// Note names (NT_...) and how many of each, from `readelf -n`.
    static func notes(_ core: URL) async throws -> [String: Int] { try await readelf(core).notes }

    static func readelf(_ core: URL) async throws -> (notes: [String: Int], warnings: String) {
        let r = try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/readelf"), arguments: ["-n", core.path],
                                         timeout: 60)
        var counts: [String: Int] = [:]
        for line in String(decoding: r.stdout, as: UTF8.self).split(separator: "\n") {
            guard let word = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first(where: { $0.hasPrefix("NT_") })
            else { continue }
            counts[String(word), default: 0] += 1
        }
        return (counts, String(decoding: r.stderr, as: UTF8.self))
    }

    /// gdb's view: each thread's innermost function (sorted), and the current thread's backtrace.
    static func gdbThreads(_ program: URL, _ core: URL) async throws -> (frames: [String], current: [String]) {
        let r = try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/gdb"),
                                         arguments: ["-batch", "-nx", "-ex", "echo ==bt==\\n", "-ex", "bt",
                                                     "-ex", "echo ==threads==\\n", "-ex", "thread apply all bt 1",
                                                     program.path, core.path],
                                         mergeStderr: true, timeout: 120)
        let text = String(decoding: r.stdout, as: UTF8.self)
        // "#0  0x00000000004010b7 in crash_here ()", or "#1  main ()" without an address.
        func function(_ line: Substring) -> String? {
            if let r = line.range(of: " in ") { return line[r.upperBound...].split(separator: " ").first.map(String.init) }
            return line.split(separator: " ").dropFirst().first.map(String.init)
        }
        var section = ""
        var current: [String] = [], frames: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("==") { section = String(line); continue }
            guard line.hasPrefix("#"), let f = function(line) else { continue }
            if section == "==bt==" { current.append(f) }
            if section == "==threads==" && line.hasPrefix("#0") { frames.append(f) }
        }
        return (frames.sorted(), current)
    }
}
