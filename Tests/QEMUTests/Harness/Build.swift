import Foundation

/// Builds the kernel, host tools and user programs with `make -s all`,
/// exactly once per test process.
///
/// Every test that needs a build output starts with `try await Build.ensure()`.
/// The first caller starts make; everyone else awaits the same task, so make
/// never runs twice concurrently on the same tree. A failed build fails every
/// such test with make's output (the same failure, reported where it matters).
///
/// Set `MINIKERNEL_SKIP_BUILD=1` to test whatever is already in build/
/// (useful while iterating on the harness or when make ran just before).
enum Build {
    /// Throws `HarnessError` (with make's output) when `make -s all` failed.
    static func ensure() async throws {
        if let message = await once.value { throw HarnessError(message) }
    }

    /// nil on success, else the failure message. Started on first use.
    private static let once = Task<String?, Never> { await runMake() }

    private static func runMake() async -> String? {
        if ProcessInfo.processInfo.environment["MINIKERNEL_SKIP_BUILD"] == "1" { return nil }
        do {
            let r = try await Subprocess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                arguments: ["make", "-s", "all"],
                currentDirectory: Repo.root,
                mergeStderr: true,
                timeout: 30 * 60
            )
            if r.status == 0 && !r.signaled && !r.timedOut { return nil }
            let output = String(decoding: r.stdout, as: UTF8.self)
            let why = r.timedOut ? "timed out" : "exited with status \(r.status)"
            return "`make -s all` in \(Repo.root.path) \(why). Its output (last 150 lines):\n"
                + Console.lastLines(of: output, 150)
        } catch {
            return "cannot run make: \(error)"
        }
    }
}
