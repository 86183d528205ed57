import Foundation

/// What one QEMU boot produced.
struct BootResult: Sendable, CustomStringConvertible {
    /// Everything written to COM1, CR LF normalized to LF (see `Console.text`).
    var console: String
    /// QEMU's exit status (meaningless when `timedOut`).
    var status: Int32
    /// True when QEMU had to be killed at the deadline: the kernel hung.
    var timedOut: Bool
    /// QEMU's own stderr (warnings, "could not load kernel", ...).
    var qemuStderr: String
    /// The full QEMU command, to reproduce a failure by hand.
    var command: [String]
    /// Wall-clock seconds from launch to exit.
    var seconds: Double
    /// A hang only: QEMU's registers of every vCPU at the deadline (`QEMUMonitor`).
    var vcpus: String? = nil
    /// The booted kernel, to name the vCPUs' RIPs.
    var kernel: URL? = nil

    /// The exit status decoded per docs/interfaces.md.
    var outcome: BootOutcome { BootOutcome(status: status, timedOut: timedOut) }

    /// This boot's name among all boots, in the file its console is kept in.
    var id = "\(getpid())-\(UUID().uuidString.prefix(8))"

    /// Keeps the whole console of a boot that a failure describes, in
    /// build/test-consoles/ (the failure message shows only its tail). One
    /// file per boot, however often the failure describes it (two boots
    /// with the same console, an empty one, must not share a file).
    func saveConsole() -> String? {
        let dir = Repo.buildDir.appendingPathComponent("test-consoles")
        let name = "console-\(id).log"
        let file = dir.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: file.path) { return file.path }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let regs = vcpus.map { "--- vCPUs at the deadline ---\n\($0)\n" } ?? ""
            let text = "command: \(command.joined(separator: " "))\n\(qemuStderr)\n\(regs)--- console ---\n\(console)"
            try text.write(to: file, atomically: true, encoding: .utf8)
            return file.path
        } catch {
            return nil
        }
    }

    /// The console's last `lines` lines.
    func tail(lines: Int = 40) -> String { Console.lastLines(of: console, lines) }

    /// Every console line, without "\n".
    var lines: [Substring] { Console.lines(console) }

    /// The text of the kernel's own lines, dmesg prefix removed.
    var kernelMessages: [String] { Console.kernelMessages(console) }

    /// True when some kernel line's text contains `text`.
    func kernelSaid(_ text: String) -> Bool { kernelMessages.contains { $0.contains(text) } }

    /// The standard failure context: outcome, command, QEMU stderr and the
    /// console tail. Every failure message made from a BootResult uses it, so
    /// a hang or a wrong status always shows what the kernel last printed.
    var description: String {
        var s = "QEMU: \(outcome) after \(String(format: "%.2f", seconds)) s\n"
        s += "command: \(command.joined(separator: " "))\n"
        if let path = saveConsole() { s += "whole console: \(path)\n" }
        if !qemuStderr.isEmpty { s += "QEMU stderr:\n\(qemuStderr)\n" }
        if let vcpus {
            let symbols = kernel.flatMap { KernelSymbols(kernel: $0) }
            s += "--- vCPUs at the deadline ---\n\(QEMUMonitor.summary(vcpus, symbols: symbols))\n"
        }
        let n = lines.count
        s += "--- console, last \(min(n, 40)) of \(n) lines ---\n\(tail(lines: 40))\n--- end of console ---"
        return s
    }
}

/// Boots kernels under QEMU (TCG only: the test machines have no KVM).
enum QEMU {
    /// Boots `kernel` and waits for QEMU to exit or for `timeout` seconds.
    ///
    /// Runs `make -s all` first (once per process), since nearly every caller
    /// boots build outputs. At most `QEMU.maxConcurrent` boots run at a time, so
    /// a large parallel suite does not starve TCG and trip timeouts; the
    /// timeout starts when this boot actually launches.
    ///
    /// - Parameters:
    ///   - append: the kernel command line (`-append`).
    ///   - smp: number of CPUs; >1 uses multi-threaded TCG.
    ///   - memory: guest RAM, QEMU `-m` syntax.
    ///   - input: bytes fed to the serial port (QEMU's stdin); nil for none.
    ///   - wrapper: a host tool that runs the QEMU command given after its own
    ///     arguments and `--` (scripts/stall: a host that stalls or starves vCPUs).
    static func boot(
        kernel: URL = Repo.kernel,
        initrd: URL? = nil,
        append: String,
        smp: Int = 1,
        memory: String = "128M",
        timeout: Double = 60,
        input: Data? = nil,
        icount: Bool = false,
        wrapper: [String] = []
    ) async throws -> BootResult {
        try await Build.ensure()
        for file in [kernel] + (initrd.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: file.path) {
            throw HarnessError("QEMU.boot: \(file.path) does not exist (did `make all` build it?)")
        }

        // icount: single-threaded TCG with guest time counted in instructions,
        // so that a run (and a sched_seed) repeats exactly (README, "Races").
        var args = [
            "-accel", icount ? "tcg,thread=single" : (smp > 1 ? "tcg,thread=multi" : "tcg"),
            "-smp", String(smp),
            "-m", memory,
            "-kernel", kernel.path,
        ]
        if icount { args += ["-icount", "shift=0,sleep=off"] }
        if let initrd { args += ["-initrd", initrd.path] }
        args += [
            "-append", append,
            "-display", "none",
            "-serial", "stdio",
            "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]

        // The monitor answers only at a hang (`QEMUMonitor`); its socket is gone after the boot.
        let monitor = "/tmp/minikernel-monitor-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        defer { unlink(monitor) }
        args += ["-monitor", "unix:\(monitor),server=on,wait=off"]
        let hang = HangRegisters()
        let atTimeout: @Sendable () -> Void = { hang.text = QEMUMonitor.registers(socket: monitor) }

        await slots.acquire()
        let start = Date()
        let run: Subprocess.Result
        do {
            if let tool = wrapper.first {
                run = try await Subprocess.run(URL(fileURLWithPath: tool),
                                               arguments: Array(wrapper.dropFirst()) + ["--", executable.path] + args,
                                               input: input, timeout: timeout, atTimeout: atTimeout)
            } else {
                run = try await Subprocess.run(executable, arguments: args, input: input, timeout: timeout,
                                               atTimeout: atTimeout)
            }
        } catch {
            await slots.release()
            throw error
        }
        await slots.release()

        return BootResult(
            console: Console.text(run.stdout),
            status: run.status,
            timedOut: run.timedOut,
            qemuStderr: String(decoding: run.stderr, as: UTF8.self),
            command: wrapper + (wrapper.isEmpty ? [] : ["--"]) + [executable.path] + args.map { $0.contains(" ") ? "\"\($0)\"" : $0 },
            seconds: Date().timeIntervalSince(start),
            vcpus: run.timedOut ? hang.text : nil,
            kernel: kernel
        )
    }

    /// The QEMU binary: `$QEMU` if set, else qemu-system-x86_64 from PATH.
    static let executable: URL = {
        let env = ProcessInfo.processInfo.environment
        if let path = env["QEMU"] { return URL(fileURLWithPath: path) }
        for dir in (env["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("qemu-system-x86_64")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/qemu-system-x86_64")
    }()

    /// How many QEMUs may run at once: `$MINIKERNEL_QEMU_JOBS`, else the core count.
    static let maxConcurrent: Int = {
        if let s = ProcessInfo.processInfo.environment["MINIKERNEL_QEMU_JOBS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body`, a boot that another program makes (scripts/tty_session.py drives its own
    /// QEMU, to type at it), in one of `boot`'s slots: it counts against `maxConcurrent` like
    /// any boot, and its deadline should start inside `body`.
    static func withSlot<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        try await slots.holding(body)
    }

    private static let slots = AsyncSemaphore(maxConcurrent)
}

/// The host programs that are not boots (initramfs builds, native oracle
/// runs): at most twice the core count at once, so that a parameterized test
/// that starts a hundred of them does not make each one wait for CPU past its
/// own deadline. The deadline starts when the job does.
enum HostJobs {
    static func run<R: Sendable>(_ job: () async throws -> R) async throws -> R {
        try await slots.holding(job)
    }

    private static let slots = AsyncSemaphore(2 * max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Native programs that change what the whole machine shares, with the reason. Two of
    /// them at once — two tests of this suite, or two suites on one machine — would see
    /// each other's changes, so each runs under a host-wide lock of its own.
    static let machineWide: [String: String] = [
        // acct(2) sets the one accounting file of the pid namespace: a second run's
        // acct(file) takes the first's records, and its acct(NULL) stops them.
        "acct": "process accounting",
    ]

    /// `job` (a native run of `program`), alone on the machine if `program` changes
    /// machine-wide state: an flock on /tmp/minikernel-native-PROGRAM.lock, polled so
    /// that no thread blocks, and released when the descriptor closes.
    static func alone<R: Sendable>(_ program: String, _ job: () async throws -> R) async throws -> R {
        guard machineWide[program] != nil else { return try await job() }
        let fd = open("/tmp/minikernel-native-\(program).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw HarnessError("cannot open the lock for native \(program): errno \(errno)") }
        defer { close(fd) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return try await job()
    }
}

/// What `QEMUMonitor` answered at a boot's deadline: written by the supervising thread
/// before the run's result is handed over, read after it.
private final class HangRegisters: @unchecked Sendable {
    var text: String?
}

/// A counting semaphore for async code (waiters suspend, no thread blocks).
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { available = count }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// `body` run in a slot, released however it ends.
    nonisolated func holding<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        await acquire()
        do {
            let r = try await body()
            await release()
            return r
        } catch {
            await release()
            throw error
        }
    }
}
