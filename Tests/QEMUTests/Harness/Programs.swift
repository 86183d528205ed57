import Foundation

/// A user program run as init under MiniKernel.
struct ProgramRun: Sendable, CustomStringConvertible {
    /// What the program wrote to fd 1 and 2: the console minus every kernel line.
    var output: String
    /// init's wait status from the kernel's
    /// `Kernel panic - not syncing: Attempted to kill init! exitcode=0x%08x`,
    /// in the same encoding as `runNative(...).status`; nil when that line
    /// never came (panic, hang, ...).
    var status: Int32?
    /// The whole boot, for the console tail and the QEMU status.
    var boot: BootResult

    /// The exit code when init exited normally.
    var exitCode: Int32? { status.flatMap(WaitStatus.exitCode) }
    /// The signal number when init was killed by a signal.
    var signal: Int32? { status.flatMap(WaitStatus.signal) }

    var description: String {
        let ws = status.map { "wait status 0x" + String($0, radix: 16) + " (\(WaitStatus.describe($0)))" } ?? "no init exit line"
        return "init: \(ws)\n\(boot)"
    }
}

/// Helpers for the wait-status encoding (Linux `wait(2)`): normal exit is
/// `code << 8`, death by signal is the signal number (| 0x80 with a core dump).
enum WaitStatus {
    static func exitCode(_ ws: Int32) -> Int32? { ws & 0x7f == 0 ? (ws >> 8) & 0xff : nil }
    static func signal(_ ws: Int32) -> Int32? {
        let sig = ws & 0x7f
        return sig != 0 && sig != 0x7f ? sig : nil
    }
    static func describe(_ ws: Int32) -> String {
        if let code = exitCode(ws) { return "exited \(code)" }
        if let sig = signal(ws) { return "killed by signal \(sig)" + (ws & 0x80 != 0 ? " (core dumped)" : "") }
        return "unknown"
    }
}

/// Every user program in build/userland as `/bin/NAME` entries, for tests
/// whose init runs other programs.
func allUserlandFiles() -> [(dest: String, src: String)] {
    userlandPrograms().map { (dest: "/bin/\($0)", src: Repo.userland($0).path) }
}

/// Names of the built user programs: the executable files in build/userland.
func userlandPrograms() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: Repo.userlandDir.path)) ?? []
    return names.sorted().filter { name in
        var isDir: ObjCBool = false
        let path = Repo.userland(name).path
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}

/// Names of the scenario programs (`Userland/scenarios/GROUP/NAME.c`, built as
/// `build/userland/NAME`: the group folder is not part of the name), the natural
/// arguments of a differential test. Read from the sources, so it is known
/// before the build runs.
func userlandScenarios() -> [String] {
    let dir = Repo.root.appendingPathComponent("Userland/scenarios")
    let fm = FileManager.default
    var names: [String] = []
    for group in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] {
        let files = (try? fm.contentsOfDirectory(atPath: dir.appendingPathComponent(group).path)) ?? []
        names += files.filter { $0.hasSuffix(".c") }.map { String($0.dropLast(2)) }
    }
    return names.sorted()
}

/// Boots `build/userland/NAME` as `/init` and returns what it printed.
///
/// The command line is `console=ttyS0 quiet init=/init EXTRA`, followed by
/// ` -- ARGS` when `args` is not empty (Linux passes everything after `--`
/// to init as argv[1...]). Arguments therefore cannot contain spaces.
///
/// - Parameters:
///   - extraFiles: more initramfs entries, e.g. `allUserlandFiles()`.
///   - extra: appended to the kernel command line.
///   - wrapper: see `QEMU.boot`.
func bootProgram(
    _ name: String,
    args: [String] = [],
    extraFiles: [(dest: String, src: String)] = [],
    smp: Int = 1,
    append extra: String = "",
    timeout: Double = 60,
    icount: Bool = false,
    wrapper: [String] = []
) async throws -> ProgramRun {
    try await Build.ensure()
    let binary = Repo.userland(name)
    guard FileManager.default.fileExists(atPath: binary.path) else {
        throw HarnessError("bootProgram: \(binary.path) does not exist (no Userland/\(name).c?)")
    }
    precondition(args.allSatisfy { !$0.contains(" ") && !$0.isEmpty }, "kernel command line arguments cannot hold spaces")

    let cpio = try await Initramfs.make(files: [(dest: "/init", src: binary.path)] + extraFiles)
    defer { Initramfs.discard(cpio) }

    // lockcheck: the whole suite runs under the lock-order checker.
    var cmdline = "console=ttyS0 quiet lockcheck init=/init"
    if !extra.isEmpty { cmdline += " " + extra }
    if !args.isEmpty { cmdline += " -- " + args.joined(separator: " ") }

    let boot = try await QEMU.boot(initrd: URL(fileURLWithPath: cpio), append: cmdline, smp: smp, timeout: timeout,
                                   icount: icount, wrapper: wrapper)
    return ProgramRun(output: UserOutput.extract(boot.console), status: UserOutput.initExitStatus(boot.console), boot: boot)
}

/// Runs `build/userland/NAME` directly on the host: the oracle for
/// differential tests (the host runs real Linux).
///
/// The program gets what Linux gives init, except argv[0]: environment
/// `HOME=/ TERM=linux`, stdin /dev/null, stdout and stderr into one pipe (as
/// both reach one serial port in the guest). argv[0] is the binary's absolute
/// host path (in the guest it is "/init"): programs re-exec themselves through
/// argv[0], so it must name the binary, and they do not print it. The working
/// directory is a fresh empty temp directory (init's is "/", which tests must
/// not write to on the host).
///
/// - Returns: the output (CR LF normalized like the console), and the wait
///   status in the same encoding as `ProgramRun.status` (exit code << 8, or
///   the signal number; no core-dump flag, as Foundation does not report it).
func runNative(_ name: String, args: [String] = [], timeout: Double = 120) async throws -> (output: String, status: Int32) {
    try await Build.ensure()
    let binary = Repo.userland(name)
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw HarnessError("runNative: \(binary.path) does not exist")
    }
    let cwd = try TempDir.make("native-\(name)")
    defer { TempDir.remove(cwd) }

    // Through run_as_init: natively too, the program starts with fds 0-2 only and default signals.
    let r = try await HostJobs.run {
        try await HostJobs.alone(name) {
            try await Subprocess.run(
                Repo.runAsInit,
                arguments: [binary.path] + args,
                environment: ["HOME": "/", "TERM": "linux"],
                currentDirectory: cwd,
                mergeStderr: true,
                timeout: timeout
            )
        }
    }
    if r.timedOut {
        throw HarnessError("runNative(\(name)): timed out after \(timeout) s; output:\n" + Console.text(r.stdout))
    }
    let status = r.signaled ? r.status : r.status << 8
    return (output: Console.text(r.stdout), status: status)
}

/// Separating a user program's output from the kernel's on the shared console.
enum UserOutput {
    /// Linux's line when pid 1 exits; the kernel prints it (prefixed) before powering off.
    static let initExitMarker = "Kernel panic - not syncing: Attempted to kill init!"

    /// The console with every kernel line removed.
    ///
    /// A line that starts with the dmesg prefix is the kernel's and is dropped
    /// whole. When user output does not end in "\n", the kernel's next line is
    /// glued to it: the user part before the prefix is kept, without adding a
    /// newline, so it compares equal to the program's native output.
    static func extract(_ console: String) -> String {
        var out = ""
        let lines = console.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            let isLast = i == lines.count - 1
            if let start = Console.kernelPrefixStart(in: line) {
                out += line[..<start]
            } else if let marker = line.range(of: initExitMarker) {
                out += line[..<marker.lowerBound]   // unprefixed, but still the kernel's
            } else {
                out += line
                if !isLast { out += "\n" }
            }
        }
        return out
    }

    /// The wait status in the init-exit line, if the kernel printed it.
    static func initExitStatus(_ console: String) -> Int32? {
        for line in Console.lines(console).reversed() {
            guard let marker = line.range(of: initExitMarker),
                  let eq = line[marker.upperBound...].range(of: "exitcode=0x")
            else { continue }
            let hex = line[eq.upperBound...].prefix { $0.isHexDigit }
            return UInt32(hex, radix: 16).map { Int32(bitPattern: $0) }
        }
        return nil
    }
}
