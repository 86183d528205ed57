import Foundation
import Testing

/// CPython 3.11 as Debian ships it (`python3.11`, `libpython3.11-testsuite`), unmodified,
/// as init: `tools/mkinitramfs` packs the interpreter, its libraries and the standard
/// library (the test package reduced to what the tests below import). The proof is a test
/// suite nobody here wrote: CPython's own regression tests of fork and wait, run by its own
/// runner (`python3 -m test`), pass as they pass natively on this machine. Python is told
/// not to write bytecode caches (`PYTHONDONTWRITEBYTECODE=1`, init's environment from the
/// command line): the files it would leave behind are not leaks, and leakcheck must end
/// with every counter where it began.
@Suite("CPython's own tests")
struct PythonTests {
    static let python = "/usr/bin/python3.11"
    static let stdlib = "/usr/lib/python3.11"
    static let tests = ["test_wait3", "test_wait4", "test_fork1"]

    /// True when the interpreter and its test suite are installed.
    static func present() -> Bool {
        if FileManager.default.isExecutableFile(atPath: python),
           FileManager.default.fileExists(atPath: "\(stdlib)/test/test_wait3.py") { return true }
        Issue.record("no \(python) or its tests: apt-get install python3.11 libpython3.11-testsuite (.ci/run does)")
        return false
    }

    /// One initramfs for the suite: the interpreter, the standard library without its
    /// 57 MB of tests, and the test modules named above with what they import.
    static let initramfs = Task { () async throws -> URL in
        let out = try TempDir.make("python").appendingPathComponent("python.cpio")
        let t = "\(stdlib)/test"
        var args = ["-o", out.path, python, "--dir", stdlib, "--exclude", t, "--dir", "\(t)/support", "--dir", "\(t)/libregrtest"]
        for file in ["__init__", "__main__", "fork_wait"] + tests {
            args += ["--add", "\(t)/\(file).py=\(t)/\(file).py"]
        }
        let r = try await HostJobs.run {
            try await Subprocess.run(Repo.root.appendingPathComponent("tools/mkinitramfs"), arguments: args, mergeStderr: true, timeout: 120)
        }
        guard r.status == 0, !r.signaled, !r.timedOut else {
            throw HarnessError("mkinitramfs \(r.ending):\n" + String(decoding: r.stdout, as: UTF8.self))
        }
        return out
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var smp: Int
        var testDescription: String { "-smp \(smp)" }
    }

    @Test("python3 -m test test_wait3 test_wait4 test_fork1 passes as on Linux", arguments: [Case(smp: 1), Case(smp: 4)])
    func forkAndWait(_ c: Case) async throws {
        guard Self.present() else { return }
        try await Build.ensure()
        let cwd = try TempDir.make("native-python")
        defer { TempDir.remove(cwd) }
        let native = try await HostJobs.run {
            try await Subprocess.run(Repo.runAsInit, arguments: [Self.python, "-m", "test"] + Self.tests,
                                     environment: ["HOME": "/", "TERM": "linux", "PYTHONDONTWRITEBYTECODE": "1"],
                                     currentDirectory: cwd, mergeStderr: true, timeout: 300)
        }
        let nativeOut = Console.text(native.stdout)
        try #require(native.status == 0 && !native.signaled, "natively: \(native.ending)\n\(nativeOut)")

        let cpio = try await Self.initramfs.value
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet leakcheck PYTHONDONTWRITEBYTECODE=1 rdinit=\(Self.python) -- -m test "
                                           + Self.tests.joined(separator: " "),
                                       smp: c.smp, memory: "512M", timeout: 300)
        let out = UserOutput.extract(boot.console)
        // The runner's verdict, not its timings: every test OK, init's exit status 0.
        let verdict = "All \(Self.tests.count) tests OK."
        #expect(nativeOut.contains(verdict), "natively:\n\(nativeOut)")
        expect(boot, out.contains(verdict), "MiniKernel:\n\(out)")
        expectSameAsLinux(boot, nativeOutput: nil, nativeStatus: 0)     // (the runner prints timings)
    }

    /// A `python3 -c` program of the kind people run: fork with os.waitpid, os.wait4 and
    /// os.waitstatus_to_exitcode, os.wait, threads, subprocess.run with a pipe both ways and
    /// with a timeout that kills the child. The kernel command line cannot carry newlines or
    /// double quotes, so the script travels in base64 (padded with spaces to a multiple of
    /// three bytes, so that no '=' appears) and runs through exec(); natively the same words run.
    static let program = """
        import os, sys, threading, subprocess
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        p, status = os.waitpid(pid, 0)
        print('waitpid', p == pid, os.waitstatus_to_exitcode(status))
        pid = os.fork()
        if pid == 0:
            os.kill(os.getpid(), 15)
        p, status, ru = os.wait4(pid, 0)
        print('wait4', p == pid, os.waitstatus_to_exitcode(status), ru.ru_utime >= 0)
        res = []
        ts = [threading.Thread(target=lambda i=i: res.append(i * i)) for i in range(8)]
        for t in ts: t.start()
        for t in ts: t.join()
        print('threads', sorted(res))
        r = subprocess.run([sys.executable, '-c', 'import sys; print(sys.stdin.read().upper())'],
                           input=b'piped', capture_output=True)
        print('subprocess', r.returncode, r.stdout)
        try:
            subprocess.run([sys.executable, '-c', 'import time; time.sleep(30)'], timeout=0.5)
        except subprocess.TimeoutExpired:
            print('timeout expired')
        pid = os.fork()
        if pid == 0:
            os._exit(3)
        print('wait', os.wait()[1] >> 8)
        """

    @Test("python3 -c: fork, waitpid, wait4, threads, subprocess with pipes and a timeout, as on Linux",
          arguments: [Case(smp: 1), Case(smp: 4)])
    func dashC(_ c: Case) async throws {
        guard Self.present() else { return }
        try await Build.ensure()
        var script = Self.program
        while script.utf8.count % 3 != 0 { script += " " }
        let b64 = Data(script.utf8).base64EncodedString()
        let args = ["-c", "exec(__import__('base64').b64decode('\(b64)').decode())"]
        let cwd = try TempDir.make("native-python")
        defer { TempDir.remove(cwd) }
        let native = try await HostJobs.run {
            try await Subprocess.run(Repo.runAsInit, arguments: [Self.python] + args,
                                     environment: ["HOME": "/", "TERM": "linux", "PYTHONDONTWRITEBYTECODE": "1"],
                                     currentDirectory: cwd, mergeStderr: true, timeout: 120)
        }
        let nativeStatus: Int32 = native.signaled ? native.status : native.status << 8
        let cpio = try await Self.initramfs.value
        let boot = try await QEMU.boot(initrd: cpio, append: "console=ttyS0 quiet lockcheck leakcheck PYTHONDONTWRITEBYTECODE=1 "
                                           + "rdinit=\(Self.python) -- -c \"\(args[1])\"",
                                       smp: c.smp, memory: "512M", timeout: 300)
        expectSameAsLinux(boot, nativeOutput: Console.text(native.stdout), nativeStatus: nativeStatus)
    }
}
