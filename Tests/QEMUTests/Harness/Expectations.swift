import Testing

// Expectation helpers for boots. Each failure carries the BootResult's
// description (outcome, QEMU command, console tail), so a reader never has to
// re-run a test to see what the kernel printed.

/// Records a failure with the boot's context unless `condition` holds.
func expect(_ boot: BootResult, _ condition: Bool, _ what: @autoclosure () -> String,
            sourceLocation: SourceLocation = #_sourceLocation) {
    if !condition {
        Issue.record(Comment(rawValue: "\(what())\n\(boot)"), sourceLocation: sourceLocation)
    }
}

/// Expects QEMU to have exited with `outcome` (see docs/interfaces.md).
func expectOutcome(_ boot: BootResult, _ outcome: BootOutcome,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    expect(boot, boot.outcome == outcome, "expected \(outcome), got \(boot.outcome)", sourceLocation: sourceLocation)
}

/// Expects some kernel line (dmesg prefix removed) to contain `text`.
func expectKernelLine(_ boot: BootResult, containing text: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    expect(boot, boot.kernelSaid(text), "no kernel line contains \"\(text)\"", sourceLocation: sourceLocation)
}

/// Expects some kernel line (dmesg prefix removed) to be exactly `text`.
func expectKernelLine(_ boot: BootResult, exactly text: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    expect(boot, boot.kernelMessages.contains(text), "no kernel line is exactly \"\(text)\"", sourceLocation: sourceLocation)
}

/// The real-program check (busybox, glibc, dynamic programs, CPython): the guest's output
/// is the native run's (`nativeOutput`, `nil` to skip), init ended with the native wait
/// status, and `leakcheck`'s line shows every counter back where it began.
func expectSameAsLinux(_ boot: BootResult, nativeOutput: String?, nativeStatus: Int32,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    if let nativeOutput, let diff = TextDiff.unified(nativeOutput, UserOutput.extract(boot.console)) {
        Issue.record(Comment(rawValue: "output differs from Linux's; \(diff)\n\(boot)"), sourceLocation: sourceLocation)
    }
    let status = UserOutput.initExitStatus(boot.console)
    expect(boot, status == nativeStatus, "init's wait status \(status.map { String($0, radix: 16) } ?? "none"), "
           + "natively \(String(nativeStatus, radix: 16))", sourceLocation: sourceLocation)
    expectNoLeaks(boot, sourceLocation: sourceLocation)
}

/// `leakcheck`'s line is there, every counter back where it began.
func expectNoLeaks(_ boot: BootResult, sourceLocation: SourceLocation = #_sourceLocation) {
    if let problem = LeakCheck.problem(boot.kernelMessages) {
        Issue.record(Comment(rawValue: "\(problem)\n\(boot)"), sourceLocation: sourceLocation)
    }
}
