import Foundation

/// Fresh scratch directories, one per use, so tests running in parallel never
/// share files. All live under `$TMPDIR/minikernel-tests/`.
enum TempDir {
    /// Creates and returns a new empty directory.
    static func make(_ label: String = "run") throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("minikernel-tests")
            .appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Removes a directory made by `make` (errors ignored: it is scratch).
    static func remove(_ dir: URL) {
        try? FileManager.default.removeItem(at: dir)
    }
}
