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
