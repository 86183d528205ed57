import Testing

/// What a boot with no initramfs must end in: with nothing to run as init,
/// Linux panics with "No working init found." (status 253).
enum NoInitBoot {
    static let outcome: BootOutcome = .panic
    /// A kernel line the boot must print; nil for none.
    static let requiredMessage: String? = "Kernel panic - not syncing: No working init found."
}

@Suite("Boot")
struct BootTests {
    /// The smallest possible boot: no initramfs, default options. Run on 1 and
    /// 4 CPUs (bringing up the APs is part of booting).
    @Test("boots, prints the MiniKernel banner, ends as NoInitBoot says", arguments: [1, 4])
    func bootsWithoutInitramfs(smp: Int) async throws {
        let boot = try await QEMU.boot(append: "console=ttyS0", smp: smp)
        expectKernelLine(boot, containing: "MiniKernel")
        expectOutcome(boot, NoInitBoot.outcome)
        if let message = NoInitBoot.requiredMessage {
            expectKernelLine(boot, containing: message)
        }
    }
}
