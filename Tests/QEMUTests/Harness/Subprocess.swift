import Foundation

/// Runs one host program to completion with a deadline, capturing its output.
///
/// Why not `Process.waitUntilExit()` + `readDataToEndOfFile()` in sequence: a
/// child that writes more than a pipe buffer (64 KiB) blocks until someone
/// reads, so reading only after exit deadlocks. Each pipe is therefore drained
/// on its own thread while the child runs, and the call completes only when
/// the child has exited *and* both pipes reached EOF.
///
/// The call is `async` and blocks no Swift-concurrency thread. Blocking reads
/// and writes run on dedicated threads, not on GCD's global queue: that pool
/// is sized to the core count, and a few blocked readers would stall every
/// other subprocess (for about a second each, while GCD grows the pool).
enum Subprocess {
    struct Result: Sendable {
        /// Everything the child wrote to stdout (and stderr when `mergeStderr`).
        var stdout: Data
        /// Everything written to stderr, empty when `mergeStderr`.
        var stderr: Data
        /// `Process.terminationStatus`: the exit code, or the signal number when killed.
        var status: Int32
        /// True when the child was killed by a signal (including our timeout kill).
        var signaled: Bool
        /// True when the deadline passed and we killed the child.
        var timedOut: Bool
    }

    /// - Parameters:
    ///   - executable: absolute path of the program.
    ///   - arguments: argv[1...].
    ///   - environment: the whole environment, or nil to inherit ours.
    ///   - currentDirectory: working directory, or nil to inherit ours.
    ///   - input: bytes fed to stdin (then closed); nil gives /dev/null.
    ///   - mergeStderr: send stderr into the same pipe as stdout, preserving the
    ///     interleaving (as on the kernel's serial console).
    ///   - timeout: seconds before the child is sent SIGKILL.
    static func run(
        _ executable: URL,
        arguments: [String],
        environment: [String: String]? = nil,
        currentDirectory: URL? = nil,
        input: Data? = nil,
        mergeStderr: Bool = false,
        timeout: Double
    ) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }

        let outPipe = Pipe()
        let errPipe = mergeStderr ? outPipe : Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe: Pipe? = input == nil ? nil : Pipe()
        process.standardInput = inPipe ?? FileHandle.nullDevice

        let state = State()
        let group = DispatchGroup()

        // Exit, plus one drain per distinct pipe.
        group.enter()
        process.terminationHandler = { _ in
            state.exited = true
            group.leave()
        }
        drain(outPipe, into: { state.stdout = $0 }, group: group)
        if !mergeStderr { drain(errPipe, into: { state.stderr = $0 }, group: group) }

        do {
            try process.run()
        } catch {
            throw HarnessError("cannot run \(executable.path): \(error)")
        }
        // Our copies of the write ends must be closed, or EOF never comes.
        try? outPipe.fileHandleForWriting.close()
        if !mergeStderr { try? errPipe.fileHandleForWriting.close() }

        if let inPipe, let input {
            try? inPipe.fileHandleForReading.close()
            Thread.detachNewThread {
                // A child that exits without reading gives EPIPE; that is fine.
                try? inPipe.fileHandleForWriting.write(contentsOf: input)
                try? inPipe.fileHandleForWriting.close()
            }
        }

        // The deadline: kill hard (QEMU may ignore SIGTERM while wedged).
        let pid = process.processIdentifier
        let deadline = DispatchWorkItem {
            state.killIfRunning(pid)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)

        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { done.resume() }
        }
        deadline.cancel()

        return Result(
            stdout: state.stdout,
            stderr: state.stderr,
            status: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal,
            timedOut: state.timedOut
        )
    }

    /// Reads `pipe` to EOF on its own thread, then hands the bytes over.
    private static func drain(_ pipe: Pipe, into store: @escaping @Sendable (Data) -> Void, group: DispatchGroup) {
        group.enter()
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread {
            let data = (try? handle.readToEnd()) ?? Data()
            store(data)
            group.leave()
        }
    }

    /// Results written from GCD threads, read after the group completes.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var _stdout = Data(), _stderr = Data(), _timedOut = false, _exited = false
        var stdout: Data {
            get { lock.withLock { _stdout } }
            set { lock.withLock { _stdout = newValue } }
        }
        var stderr: Data {
            get { lock.withLock { _stderr } }
            set { lock.withLock { _stderr = newValue } }
        }
        var timedOut: Bool { lock.withLock { _timedOut } }
        var exited: Bool {
            get { lock.withLock { _exited } }
            set { lock.withLock { _exited = newValue } }
        }
        /// The deadline's action; under the lock so it cannot race the exit report.
        func killIfRunning(_ pid: pid_t) {
            lock.withLock {
                guard !_exited else { return }
                _timedOut = true
                kill(pid, SIGKILL)
            }
        }
    }
}
