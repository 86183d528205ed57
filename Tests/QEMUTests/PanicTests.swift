import Testing

/// `crashtest=` makes the kernel fault on purpose after boot, to prove the
/// panic path works: a Linux-style oops report, then status 253. A hang or a
/// silent power-off here would hide every real crash later.
@Suite("Kernel panic path")
struct PanicTests {
    struct Crash: Sendable, CustomTestStringConvertible {
        /// Value of `crashtest=`.
        var param: String
        /// Text naming the exception, as Linux prints it.
        var exception: String
        /// A page fault must also report the faulting address.
        var reportsCR2: Bool
        var testDescription: String { "crashtest=\(param)" }
    }

    static let crashes = [
        Crash(param: "ud2", exception: "invalid opcode", reportsCR2: false),
        Crash(param: "pagefault", exception: "page fault", reportsCR2: true),
    ]

    @Test("a deliberate fault panics with an oops report", arguments: crashes)
    func deliberateFault(_ crash: Crash) async throws {
        let boot = try await QEMU.boot(append: "console=ttyS0 crashtest=\(crash.param)")
        expectOutcome(boot, .panic)
        expectKernelLine(boot, containing: "Kernel panic - not syncing")
        expectKernelLine(boot, containing: crash.exception)
        expectKernelLine(boot, containing: "RIP:")
        if crash.reportsCR2 { expectKernelLine(boot, containing: "CR2:") }
        expectKernelLine(boot, containing: "Call Trace:")
    }
}
