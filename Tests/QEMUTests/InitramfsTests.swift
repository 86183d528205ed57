import Foundation
import Testing

/// The kernel finds the initramfs, unpacks cpio `newc` correctly (names,
/// sizes, 4-byte padding, nested directories) and echoes the command line.
/// `rdlist` makes it print `initramfs: MODE SIZE HASH /path` per entry; the
/// FNV-1a hash proves every byte of every file arrived.
@Suite("Command line and initramfs")
struct InitramfsTests {
    @Test("rdlist lists each file with its size and FNV-1a hash; Command line is echoed")
    func rdlist() async throws {
        let dir = try TempDir.make("rdlist")
        defer { TempDir.remove(dir) }

        // Sizes chosen to exercise cpio padding (not multiples of 4) and a
        // file larger than a page; content includes NUL and high bytes.
        var rng = LCG(seed: 42)
        let files: [(dest: String, content: [UInt8])] = [
            ("/etc/motd", Array("Welcome to MiniKernel.\n".utf8)),
            ("/bin/hello", (0..<5001).map { _ in rng.nextByte() }),
            ("/init", [0x7f, 0x45, 0x4c, 0x46, 0x00, 0xff, 0x0a]),
        ]
        var entries: [(dest: String, src: String)] = []
        for (i, file) in files.enumerated() {
            let src = dir.appendingPathComponent("file\(i)")
            try Data(file.content).write(to: src)
            entries.append((dest: file.dest, src: src.path))
        }
        let cpio = try await Initramfs.make(files: entries)
        defer { Initramfs.discard(cpio) }

        let cmdline = "console=ttyS0 rdlist foo=bar"
        let boot = try await QEMU.boot(initrd: URL(fileURLWithPath: cpio), append: cmdline)

        expect(boot, !boot.timedOut, "the kernel hung")
        expectKernelLine(boot, exactly: "Command line: \(cmdline)")
        for file in files {
            let line = "initramfs: 100755 \(file.content.count) \(FNV1a32.hex(file.content)) \(file.dest)"
            expectKernelLine(boot, exactly: line)
        }
        // gen_init_cpio creates the parent directories as entries (mode 040755, no data).
        for directory in ["/etc", "/bin"] {
            expectKernelLine(boot, exactly: "initramfs: 040755 0 \(FNV1a32.hex([])) \(directory)")
        }
    }
}

/// A tiny deterministic generator: the test content is the same every run.
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextByte() -> UInt8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}
