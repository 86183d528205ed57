import Foundation
import Testing

/// The acct(2) file MiniKernel writes is one Debian's `dump-acct` (package acct) reads, with
/// the same records as Linux's for the same program: the `exit/acct` scenario, run with
/// `keep` so that its `pacct` stays, under busybox's sh (which sends it back over the console,
/// gzip'd and base64'd) and natively in a temporary directory. Natively accounting is
/// system-wide, so only the scenario's children's records (named `acct-...`) are compared:
/// name, version, flags and exit code.
@Suite("Process accounting read by the host's dump-acct")
struct AcctTests {
    static let dumpAcct = URL(fileURLWithPath: "/usr/sbin/dump-acct")
    static let script = "/acct keep\n" + ConsoleFile.sendScript("pacct")

    @Test("dump-acct shows the same records as for Linux's file")
    func readByDumpAcct() async throws {
        guard BusyboxTests.present() else { return }
        guard FileManager.default.isExecutableFile(atPath: Self.dumpAcct.path) else {
            Issue.record("no dump-acct: apt-get install acct (.ci/run does)")
            return
        }
        try await Build.ensure()
        let program = Repo.userland("acct")
        let work = try TempDir.make("acct")
        defer { TempDir.remove(work) }

        let native = work.appendingPathComponent("native")
        try FileManager.default.createDirectory(at: native, withIntermediateDirectories: true)
        // Alone: the `exit/acct` scenario's own native run would switch accounting away.
        let n = try await HostJobs.run {
            try await HostJobs.alone("acct") {
                try await Subprocess.run(Repo.runAsInit, arguments: [program.path, "keep"], environment: ["HOME": "/", "TERM": "linux"],
                                         currentDirectory: native, mergeStderr: true, timeout: 60)
            }
        }
        try #require(n.status == 0 && !n.signaled, "natively: \(n.ending)\n\(String(decoding: n.stdout, as: UTF8.self))")

        let scriptFile = work.appendingPathComponent("acct.sh")
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let cpio = try await BusyboxTests.initramfs(["/acct.sh=\(scriptFile.path)", "/acct=\(program.path)"])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet rdinit=/bin/sh -- /acct.sh", timeout: 120)
        guard let mkFile = try await ConsoleFile.receive("pacct", from: UserOutput.extract(boot.console),
                                                         into: work.appendingPathComponent("minikernel")) else {
            Issue.record("no pacct came back over the console\n\(boot)")
            return
        }
        let mkRecords = try await Self.records(mkFile)
        let nativeRecords = try await Self.records(native.appendingPathComponent("pacct"))
        #expect(nativeRecords.count == 5, "Linux's file has the scenario's five children: \(nativeRecords)")
        #expect(mkRecords == nativeRecords, "dump-acct: MiniKernel \(mkRecords), Linux \(nativeRecords)\n\(boot)")
    }

    /// Natively the accounting file is the machine's (its pid namespace's): two runs of the
    /// scenario at once, as the differential test and the test above once were, took each
    /// other's records. `HostJobs.alone` keeps them apart; this failed without it.
    @Test("two native runs at once each find their five records")
    func nativeRunsApart() async throws {
        async let first = runNative("acct")
        async let second = runNative("acct")
        for run in try await [first, second] {
            #expect(run.output.contains("records of our children: 5\n"), "\(run.output)")
        }
    }

    /// dump-acct's columns (comm|version|utime|stime|etime|uid|gid|mem|io|pid|ppid|flags|exitcode|tty|btime):
    /// name, version, flags and exit code of the `acct-...` records.
    static func records(_ file: URL) async throws -> [String] {
        let r = try await Subprocess.run(dumpAcct, arguments: [file.path], timeout: 60)
        #expect(r.status == 0 && r.stderr.isEmpty, "dump-acct \(file.path): \(r.ending) \(String(decoding: r.stderr, as: UTF8.self))")
        return String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 13, f[0].hasPrefix("acct-") else { return nil }
            return [f[0], f[1], f[11], f[12]].joined(separator: " ")
        }
    }
}
