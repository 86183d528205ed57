import Foundation

/// Where things live in the repository.
///
/// The test binary can be run from anywhere (SwiftPM runs it from the package
/// root, IDEs may not), so the root is derived from this source file's path
/// rather than from the current directory.
enum Repo {
    /// The repository root: the nearest ancestor of this file holding `Package.swift`.
    static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        fatalError("QEMUTests: no Package.swift above \(#filePath)")
    }()

    /// `build/` — every output of `make all` (see docs/interfaces.md).
    static var buildDir: URL { root.appendingPathComponent("build") }

    /// The kernel image booted with `qemu -kernel`: build/minikernel, or
    /// `$MINIKERNEL_KERNEL` when set (to test another image; pair it with
    /// `MINIKERNEL_SKIP_BUILD=1`).
    static var kernel: URL {
        if let path = ProcessInfo.processInfo.environment["MINIKERNEL_KERNEL"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return buildDir.appendingPathComponent("minikernel")
    }

    /// Host tool writing cpio `newc` archives: `gen_init_cpio OUT DEST=SRC...`.
    static var genInitCpio: URL { buildDir.appendingPathComponent("host/gen_init_cpio") }
    /// Host tool: `run_as_init PROGRAM ARGS...` execs PROGRAM as init starts (fds 0-2, default signals).
    static var runAsInit: URL { buildDir.appendingPathComponent("host/run_as_init") }

    /// Directory of the static user programs, one file per `Userland/*.c`.
    static var userlandDir: URL { buildDir.appendingPathComponent("userland") }

    /// One user program, `build/userland/NAME`.
    static func userland(_ name: String) -> URL { userlandDir.appendingPathComponent(name) }
}
