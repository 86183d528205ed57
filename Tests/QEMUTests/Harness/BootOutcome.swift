/// What a QEMU exit status means, per the table in docs/interfaces.md.
///
/// The kernel writes `code` to the isa-debug-exit port (0xf4) and QEMU exits
/// with `(code << 1) | 1`, so every status the kernel chooses is odd. An even
/// status (e.g. 0 after a triple fault with -no-reboot) means QEMU stopped for
/// some other reason and decodes to `.other`.
enum BootOutcome: Equatable, Sendable, CustomStringConvertible {
    /// Status 1: reboot(POWER_OFF), all self-tests passed, or init exited 0.
    case poweroff
    /// Status 3...127: init exited normally with this code (1...63).
    case initExited(Int32)
    /// Status 129: init exited with code >= 64 (the exact value is on the console).
    case initExitedHigh
    /// Status 131: init was killed by a signal.
    case initKilled
    /// Status 251: at least one in-kernel self-test failed.
    case ktestFailed
    /// Status 253: kernel panic.
    case panic
    /// Any other status.
    case other(Int32)
    /// QEMU did not exit before the deadline and was killed.
    case timeout

    init(status: Int32, timedOut: Bool) {
        if timedOut { self = .timeout; return }
        switch status {
        case 1: self = .poweroff
        case 3...127 where status & 1 == 1: self = .initExited((status - 1) / 2)
        case 129: self = .initExitedHigh
        case 131: self = .initKilled
        case 251: self = .ktestFailed
        case 253: self = .panic
        default: self = .other(status)
        }
    }

    var description: String {
        switch self {
        case .poweroff: "poweroff (status 1)"
        case .initExited(let code): "init exited with code \(code) (status \(code * 2 + 1))"
        case .initExitedHigh: "init exited with code >= 64 (status 129)"
        case .initKilled: "init killed by a signal (status 131)"
        case .ktestFailed: "self-tests failed (status 251)"
        case .panic: "kernel panic (status 253)"
        case .other(let status): "unexpected QEMU status \(status)"
        case .timeout: "TIMEOUT (QEMU killed)"
        }
    }
}
