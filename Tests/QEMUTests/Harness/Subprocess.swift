import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one host program to completion with a deadline, capturing its output.
///
/// Built on posix_spawn and waitpid rather than Foundation's `Process`, so that
/// every way a run can end is in our hands (CI once lost 90 minutes to this):
///
/// - **The child leads its own process group**, and a timeout kills the whole
///   group. A wrapper tool (scripts/stall) starts QEMU, gdb and busy loops; with
///   only the tool killed, its children lived on holding our pipe, and a read
///   waiting for EOF waited forever. When the child exits on its own, whatever
///   it left behind in its group is killed as well.
/// - **EOF is waited for a short grace after the exit**, no longer: a process
///   that left the group and kept the pipe cannot stall the suite.
/// - **The exit is seen by our own `waitpid`**, polled beside the pipes on one
///   thread per child. Foundation's `Process` learns of an exit through a socket
///   its child inherits, watched by one run-loop thread for all children; under
///   a spawn storm (150 initramfs builds at once) CI saw children that had
///   exited with 0 reported past their 60 s deadline.
/// - **Nothing leaks into a child**: it gets fds 0-2 and closes every other
///   descriptor (`posix_spawn_file_actions_addclosefrom_np`), so one run's pipe
///   never keeps another run's reader waiting.
///
/// Since a child's group does not get the terminal's ^C, nor `timeout`'s
/// SIGTERM to our own group, we pass them on: SIGINT, SIGTERM and SIGHUP kill
/// every live child group before they end the test process.
///
/// A child that writes more than a pipe buffer is drained while it runs; input
/// is written as the child reads it, on the same thread (non-blocking), and a
/// child that exits without reading it is fine.
enum Subprocess {
    struct Result: Sendable {
        /// Everything the child wrote to stdout (and stderr when `mergeStderr`).
        var stdout: Data
        /// Everything written to stderr, empty when `mergeStderr`.
        var stderr: Data
        /// The exit code, or the signal number when killed.
        var status: Int32
        /// True when the child was killed by a signal (including our timeout kill).
        var signaled: Bool
        /// True when the deadline passed and we killed the child.
        var timedOut: Bool
        /// Seconds from spawn to exit.
        var seconds: Double

        /// How the run ended, in words, for error messages.
        var ending: String {
            if timedOut { return String(format: "timed out after %.1f s and was killed", seconds) }
            return signaled ? "killed by signal \(status)" : "exited with status \(status)"
        }
    }

    /// How long after the child's exit its pipes may stay open (a grandchild
    /// that left its group) before we stop reading.
    static let eofGrace: Double = 5
    /// How long a child still runs after `atTimeout` before the kill.
    static let atTimeoutGrace: Double = 3

    /// - Parameters:
    ///   - executable: absolute path of the program.
    ///   - arguments: argv[1...].
    ///   - environment: the whole environment, or nil to inherit ours.
    ///   - currentDirectory: working directory, or nil to inherit ours.
    ///   - input: bytes fed to stdin (then closed); nil gives /dev/null.
    ///   - mergeStderr: send stderr into the same pipe as stdout, preserving the
    ///     interleaving (as on the kernel's serial console).
    ///   - timeout: seconds before the child's process group is sent SIGKILL.
    ///   - atTimeout: runs at the deadline, before the kill, while the child still lives
    ///     (QEMU: its monitor tells where the vCPUs are).
    static func run(
        _ executable: URL,
        arguments: [String],
        environment: [String: String]? = nil,
        currentDirectory: URL? = nil,
        input: Data? = nil,
        mergeStderr: Bool = false,
        timeout: Double,
        atTimeout: (@Sendable () -> Void)? = nil
    ) async throws -> Result {
        let child = try Child.spawn(
            path: executable.path,
            argv: [executable.path] + arguments,
            env: (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" },
            cwd: currentDirectory?.path,
            withInput: input != nil,
            mergeStderr: mergeStderr
        )
        return await withCheckedContinuation { (done: CheckedContinuation<Result, Never>) in
            Thread.detachNewThread {
                done.resume(returning: child.supervise(input: input ?? Data(), timeout: timeout, atTimeout: atTimeout))
            }
        }
    }

    /// One spawned child and our ends of its pipes.
    private struct Child: @unchecked Sendable {
        var pid: pid_t
        var stdoutFD: Int32
        var stderrFD: Int32?
        var stdinFD: Int32?
        var start: Double

        static func spawn(path: String, argv: [String], env: [String], cwd: String?,
                          withInput: Bool, mergeStderr: Bool) throws -> Child {
            installSignalHandling
            let out = try makePipe()
            let err = mergeStderr ? nil : try makePipe()
            let inp = withInput ? try makePipe() : nil

            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if let inp {
                posix_spawn_file_actions_adddup2(&actions, inp.read, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, out.write, 1)
            posix_spawn_file_actions_adddup2(&actions, (err ?? out).write, 2)
            if let cwd { _ = glibcExtras.addchdir(&actions, cwd) }
            _ = glibcExtras.addclosefrom(&actions, 3)

            var attr = posix_spawnattr_t()
            posix_spawnattr_init(&attr)
            defer { posix_spawnattr_destroy(&attr) }
            posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            posix_spawnattr_setpgroup(&attr, 0)
            var none = sigset_t(), defaults = sigset_t()
            sigemptyset(&none)
            sigemptyset(&defaults)
            for s in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
            posix_spawnattr_setsigmask(&attr, &none)
            posix_spawnattr_setsigdefault(&attr, &defaults)

            var pid: pid_t = 0
            let rc = withCStrings(argv) { cargv in
                withCStrings(env) { cenv in posix_spawn(&pid, path, &actions, &attr, cargv, cenv) }
            }
            // The child has its copies; ours of its ends go, or EOF never comes.
            close(out.write)
            if let err { close(err.write) }
            if let inp { close(inp.read) }
            guard rc == 0 else {
                close(out.read)
                if let err { close(err.read) }
                if let inp { close(inp.write) }
                throw HarnessError("cannot run \(path): \(String(cString: strerror(rc)))")
            }
            if let inp { _ = fcntl(inp.write, F_SETFL, fcntl(inp.write, F_GETFL) | O_NONBLOCK) }
            liveGroups.add(pid)
            return Child(pid: pid, stdoutFD: out.read, stderrFD: err?.read, stdinFD: inp?.write, start: now())
        }

        /// Pumps the pipes until the child has exited and they reached EOF (or
        /// the grace ran out), enforcing the deadline; returns the outcome.
        func supervise(input: Data, timeout: Double, atTimeout: (@Sendable () -> Void)?) -> Result {
            var outData = Data(), errData = Data()
            var readFDs: [Int32] = [stdoutFD] + (stderrFD.map { [$0] } ?? [])
            var writeFD = stdinFD
            var written = 0
            var waitStatus: Int32 = 0
            var exitedAt: Double? = nil
            var timedOut = false
            var killAt: Double? = nil, killed = false
            var buffer = [UInt8](repeating: 0, count: 65536)

            while true {
                if exitedAt == nil, case let r = waitpid(pid, &waitStatus, WNOHANG), r == pid || r < 0 && errno != EINTR {
                    // (r < 0: reaped by someone else, which must not make us wait forever.)
                    if r < 0 { waitStatus = Int32(SIGKILL) }
                    exitedAt = now()
                    // What the child left running in its group is an orphan of the run.
                    kill(-pid, SIGKILL)
                    if let fd = writeFD { close(fd); writeFD = nil }
                }
                if exitedAt == nil, !timedOut, now() - start > timeout {
                    timedOut = true
                    // atTimeout may have asked the child to speak (QEMU: an NMI makes the
                    // kernel print every task): what it says in the next seconds is kept.
                    atTimeout?()
                    killAt = now() + (atTimeout == nil ? 0 : atTimeoutGrace)
                }
                if exitedAt == nil, let k = killAt, now() >= k, !killed {
                    killed = true
                    kill(-pid, SIGKILL)
                }
                if let t = exitedAt, readFDs.isEmpty || now() - t > eofGrace { break }
                if exitedAt == nil, killed, let k = killAt, now() - k > eofGrace {
                    break                        // SIGKILLed and still not gone (stuck in the host kernel)
                }

                var pfds = readFDs.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                if let fd = writeFD { pfds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
                // With no pipe left open, only the exit is awaited: look often.
                _ = poll(&pfds, nfds_t(pfds.count), pfds.isEmpty ? 2 : 50)

                for p in pfds where p.revents != 0 {
                    if p.fd == writeFD {
                        let n = input.withUnsafeBytes { raw in
                            write(p.fd, raw.baseAddress.map { $0 + written }, input.count - written)
                        }
                        if n > 0 { written += n }
                        if n < 0 && errno != EAGAIN || written == input.count {
                            close(p.fd)          // all given, or the child stopped reading (EPIPE)
                            writeFD = nil
                        }
                        continue
                    }
                    let n = read(p.fd, &buffer, buffer.count)
                    if n > 0 {
                        if p.fd == stdoutFD { outData.append(buffer, count: n) } else { errData.append(buffer, count: n) }
                    } else if n == 0 || errno != EINTR && errno != EAGAIN {
                        close(p.fd)
                        readFDs.removeAll { $0 == p.fd }
                    }
                }
            }
            for fd in readFDs { close(fd) }
            if let fd = writeFD { close(fd) }
            liveGroups.remove(pid)

            let signaled = (waitStatus & 0x7f) != 0
            return Result(
                stdout: outData,
                stderr: errData,
                status: signaled ? waitStatus & 0x7f : (waitStatus >> 8) & 0xff,
                signaled: signaled,
                timedOut: timedOut,
                seconds: (exitedAt ?? now()) - start
            )
        }
    }

    // MARK: - Glibc pieces

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw HarnessError("pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// A child that exits before reading its input must not kill us; the
    /// signals that end us end our children's groups first.
    private static let installSignalHandling: Void = {
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                liveGroups.killAll()
                signal(sig, SIG_DFL)
                kill(getpid(), sig)          // (raise() would pend on a dispatch thread that blocks it)
            }
            source.resume()
            signalSources.append(source)
        }
        return ()
    }()
    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []

    /// The process groups of children not yet reaped.
    private static let liveGroups = LiveGroups()
    private final class LiveGroups: @unchecked Sendable {
        private let lock = NSLock()
        private var pgids = Set<pid_t>()
        func add(_ pgid: pid_t) { lock.withLock { _ = pgids.insert(pgid) } }
        func remove(_ pgid: pid_t) { lock.withLock { _ = pgids.remove(pgid) } }
        func killAll() { lock.withLock { for g in pgids { kill(-g, SIGKILL) } } }
    }

    /// glibc functions (2.29, 2.34) that Swift's Glibc module does not import.
    private struct GlibcExtras: @unchecked Sendable {
        typealias Actions = UnsafeMutablePointer<posix_spawn_file_actions_t>
        let addchdir: @convention(c) (Actions, UnsafePointer<CChar>) -> Int32
        let addclosefrom: @convention(c) (Actions, Int32) -> Int32
    }
    private static let glibcExtras: GlibcExtras = {
        let libc = dlopen(nil, RTLD_NOW)
        guard let chdir = dlsym(libc, "posix_spawn_file_actions_addchdir_np"),
              let closefrom = dlsym(libc, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("Subprocess: glibc 2.34 or later is needed (posix_spawn_file_actions_addclosefrom_np)")
        }
        return GlibcExtras(addchdir: unsafeBitCast(chdir, to: (@convention(c) (GlibcExtras.Actions, UnsafePointer<CChar>) -> Int32).self),
                           addclosefrom: unsafeBitCast(closefrom, to: (@convention(c) (GlibcExtras.Actions, Int32) -> Int32).self))
    }()

    /// A NULL-terminated `char *[]` for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let cstrings = strings.map { strdup($0) } + [nil]
        defer { cstrings.forEach { free($0) } }
        return body(cstrings)
    }
}
