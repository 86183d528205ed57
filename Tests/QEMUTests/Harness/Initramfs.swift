import Foundation

/// Builds initramfs images with the project's own `build/host/gen_init_cpio`
/// (so the tests exercise the same writer as `make run`).
enum Initramfs {
    /// Writes a cpio `newc` archive holding `files` and returns its path.
    ///
    /// Each `dest` is the absolute path inside the archive (`/init`,
    /// `/bin/child`); `src` a host file, `->TARGET` (a symbolic link) or
    /// `c:MODE:MAJOR:MINOR` (a character device). gen_init_cpio adds the parent
    /// directories itself. The archive goes in a fresh temp directory; pass
    /// the returned path to `discard` when done.
    static func make(files: [(dest: String, src: String)], tool: URL = Repo.genInitCpio) async throws -> String {
        try await Build.ensure()
        for file in files {
            guard file.dest.hasPrefix("/"), !file.dest.contains("=") else {
                throw HarnessError("Initramfs: destination must be absolute and contain no '=': \(file.dest)")
            }
            // "->TARGET" is a symbolic link, "c:MODE:MAJOR:MINOR" a character device (gen_init_cpio).
            let special = file.src.hasPrefix("->") || file.src.hasPrefix("c:")
            guard special || FileManager.default.fileExists(atPath: file.src) else {
                throw HarnessError("Initramfs: no such source file \(file.src) (for \(file.dest))")
            }
        }
        let out = try TempDir.make("initramfs").appendingPathComponent("initramfs.cpio")
        let r = try await HostJobs.run {
            try await Subprocess.run(
            tool,
                arguments: [out.path] + files.map { "\($0.dest)=\($0.src)" },
                mergeStderr: true,
                timeout: 60
            )
        }
        guard r.status == 0, !r.signaled, !r.timedOut else {
            throw HarnessError("\(tool.path) \(r.ending):\n" + String(decoding: r.stdout, as: UTF8.self))
        }
        return out.path
    }

    /// Deletes an archive made by `make`, with its temp directory.
    static func discard(_ path: String) {
        TempDir.remove(URL(fileURLWithPath: path).deletingLastPathComponent())
    }
}

/// FNV-1a, 32-bit: the hash the kernel prints for `rdlist`
/// (offset basis 0x811c9dc5, prime 0x01000193).
enum FNV1a32 {
    static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var h: UInt32 = 0x811c_9dc5
        for b in bytes {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }

    /// The kernel's spelling: 8 lowercase hex digits.
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let s = String(hash(bytes), radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
