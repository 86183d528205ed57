import Foundation
import Testing

/// Busybox's shell with job control on the serial console, typed at as a person would, under
/// MiniKernel and under Debian's Linux in the same QEMU: the transcripts must be equal.
///
/// `scripts/tty_session.py` boots the kernel with its initramfs (busybox; /init runs
/// `setsid cttyhack sh`, so the shell leads a session whose controlling terminal is
/// /dev/ttyS0), types each scenario's keystrokes into QEMU's serial port, waits for the
/// console's answers (never for time) and prints a normalised transcript: ^C, ^Z, `jobs`,
/// `bg`, `fg`, SIGTTIN and SIGTTOU (`stty tostop`), ^D, the line discipline's erase, word
/// erase and kill, a session leader's exit (the hangup of its terminal, SIGHUP to its
/// foreground group), ^C through a pipeline, ^\ (SIGQUIT), ^S/^Q with IXON and without;
/// and bad input: a 10,000-byte line (4095 bytes and the newline survive), NULs, a
/// 10,000-byte burst in raw mode that fills the input ring (the UART is throttled, nothing
/// lost). Every scenario's rationale is a comment in the
/// script. Linux's transcript is the expected one; MiniKernel runs with `lockcheck leakcheck`,
/// and its init must exit with 0 and every leakcheck counter back where it began.
@Suite("Terminal: job control on the console, against Linux")
struct TTYTests {
    /// `tty_session.py --list`'s names (checked by `scenarioNames`).
    static let scenarios = ["sigint", "sigquit", "stop", "eof", "erase", "background", "hangup", "pipeline", "orphaned",
                            "ixon", "longline", "nul", "burst"]

    struct Case: Sendable, CustomTestStringConvertible {
        var scenario: String
        var smp: Int
        var testDescription: String { "\(scenario), -smp \(smp)" }
    }
    static let cases = scenarios.flatMap { s in [1, 4].map { Case(scenario: s, smp: $0) } }

    static let script = Repo.root.appendingPathComponent("scripts/tty_session.py")

    /// One run of tty_session.py.
    struct Session {
        var kernel: String
        var result: Subprocess.Result
        /// The whole console (CR LF -> LF), as tty_session.py's --console wrote it.
        var console: String
        /// Where that console is kept when the case fails (build/test-consoles/).
        var consoleFile: URL

        var succeeded: Bool { result.status == 0 && !result.signaled && !result.timedOut }
        var transcript: String { String(decoding: result.stdout, as: UTF8.self) }
        var stderr: String { String(decoding: result.stderr, as: UTF8.self) }

        /// What went wrong, with tty_session.py's own account (the step, the console's tail).
        var failure: String {
            "tty_session.py (\(kernel)) \(result.ending):\n\(stderr)whole console: \(consoleFile.path)"
        }
    }

    /// The initramfs, built once per test process (`tty_session.py --build-initramfs`).
    static func initramfs() async throws -> URL {
        switch await built.value {
        case .success(let url): return url
        case .failure(let error): throw error
        }
    }

    private static let built = Task<Result<URL, HarnessError>, Never> {
        do {
            try await Build.ensure()             // build/host/gen_init_cpio
            let out = try TempDir.make("tty").appendingPathComponent("tty.cpio")
            let r = try await HostJobs.run {
                try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                         arguments: ["python3", script.path, "--build-initramfs", out.path],
                                         mergeStderr: true, timeout: 120)
            }
            guard r.status == 0, !r.signaled, !r.timedOut else {
                return .failure(HarnessError("tty_session.py --build-initramfs \(r.ending):\n"
                                             + String(decoding: r.stdout, as: UTF8.self)))
            }
            return .success(out)
        } catch let error as HarnessError {
            return .failure(error)
        } catch {
            return .failure(HarnessError("tty_session.py --build-initramfs: \(error)"))
        }
    }

    /// Plays `c` on `kernel`, in one of QEMU's slots (tty_session.py runs QEMU itself).
    static func play(_ c: Case, kernel: URL, name: String, initrd: URL, appendExtra: String = "") async throws -> Session {
        let dir = try TempDir.make("tty-\(c.scenario)")
        defer { TempDir.remove(dir) }
        let file = dir.appendingPathComponent("console.log")
        let result = try await QEMU.withSlot {
            try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: [
                "python3", script.path, "--kernel", kernel.path, "--initrd", initrd.path,
                "--smp", String(c.smp), "--scenario", c.scenario, "--append-extra", appendExtra,
                "--timeout", "240", "--console", file.path,
            ], timeout: 300)
        }
        let console = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        let kept = Repo.buildDir.appendingPathComponent("test-consoles")
            .appendingPathComponent("tty-\(c.scenario)-smp\(c.smp)-\(name)-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        return Session(kernel: name, result: result, console: console, consoleFile: kept)
    }

    /// Keeps a session's whole console in build/test-consoles/ (a failure names it).
    static func keep(_ s: Session) {
        try? FileManager.default.createDirectory(at: s.consoleFile.deletingLastPathComponent(),
                                                 withIntermediateDirectories: true)
        try? s.console.write(to: s.consoleFile, atomically: true, encoding: .utf8)
    }

    @Test("the same transcript as Linux's", arguments: cases)
    func scenario(_ c: Case) async throws {
        guard BusyboxTests.present() else { return }
        let initrd = try await Self.initramfs()
        let vmlinux = try await LinuxQEMU.vmlinux()
        try await Build.ensure()                 // build/minikernel
        async let lx = Self.play(c, kernel: vmlinux, name: "linux", initrd: initrd)
        async let mk = Self.play(c, kernel: Repo.kernel, name: "minikernel", initrd: initrd,
                                 appendExtra: "lockcheck leakcheck")
        let (linux, minikernel) = try await (lx, mk)

        guard linux.succeeded else {
            Self.keep(linux)
            Issue.record(Comment(rawValue: "the oracle failed: \(c.scenario), -smp \(c.smp) under Linux; \(linux.failure)"))
            return
        }
        guard minikernel.succeeded else {
            Self.keep(minikernel)
            Issue.record(Comment(rawValue: """
                \(c.scenario), -smp \(c.smp): MiniKernel's session did not run to its end; \(minikernel.failure)
                --- Linux's transcript (the expected one) ---
                \(linux.transcript)--- end ---
                """))
            return
        }
        var failed = false
        if let diff = TextDiff.unified(linux.transcript, minikernel.transcript) {
            failed = true
            Issue.record(Comment(rawValue: """
                \(c.scenario), -smp \(c.smp): the console showed something else under MiniKernel than \
                under Debian's Linux; \(diff)
                --- MiniKernel's transcript ---
                \(minikernel.transcript)--- end ---
                whole console: \(minikernel.consoleFile.path)
                """))
        }
        let status = UserOutput.initExitStatus(minikernel.console)
        if status != 0 {
            failed = true
            Issue.record(Comment(rawValue: "\(c.scenario), -smp \(c.smp): MiniKernel's init ended with wait status "
                                 + "\(status.map { String($0, radix: 16) } ?? "none"), not 0; whole console: \(minikernel.consoleFile.path)"))
        }
        if let problem = LeakCheck.problem(Console.kernelMessages(minikernel.console)) {
            failed = true
            Issue.record(Comment(rawValue: "\(c.scenario), -smp \(c.smp), MiniKernel: \(problem)"
                                 + "\nwhole console: \(minikernel.consoleFile.path)"))
        }
        if failed { Self.keep(minikernel) }
    }

    @Test("the scenarios are tty_session.py's")
    func scenarioNames() async throws {
        let r = try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                         arguments: ["python3", Self.script.path, "--list"], timeout: 60)
        let names = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
        #expect(r.status == 0 && !r.timedOut, "tty_session.py --list \(r.ending)")
        #expect(names == Self.scenarios, "TTYTests.scenarios should be tty_session.py --list's names")
    }
}
