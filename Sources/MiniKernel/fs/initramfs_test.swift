// Self-tests: the cpio newc parser, on archives built here byte by byte.

import CShim
/// A newc writer just big enough for the tests.
private struct CpioWriter {
    var buf: UnsafeMutablePointer<UInt8>
    var count = 0
    var ino: UInt32 = 1

    mutating func byte(_ b: UInt8) { buf[count] = b; count += 1 }
    mutating func hex8(_ v: UInt32) {
        for i in (0..<8).reversed() {
            let d = UInt8((v >> UInt32(i * 4)) & 0xf)
            byte(d < 10 ? 48 + d : 87 + d)
        }
    }
    mutating func pad4() { while count % 4 != 0 { byte(0) } }
    mutating func entry(_ name: StaticString, mode: UInt32, data: StaticString) {
        ("070701" as StaticString).withUTF8Buffer { for c in $0 { byte(c) } }
        for field in [ino, mode, 0, 0, 1, 0, UInt32(data.utf8CodeUnitCount), 0, 0, 0, 0,
                      UInt32(name.utf8CodeUnitCount + 1), 0] { hex8(field) }
        name.withUTF8Buffer { for c in $0 { byte(c) } }
        byte(0)
        pad4()
        data.withUTF8Buffer { for c in $0 { byte(c) } }
        pad4()
        ino += 1
    }
    var bytes: ByteString { ByteString(UnsafePointer(buf), count: count) }
}

private func withArchive(_ body: (inout CpioWriter) -> Void, _ check: (ByteString) -> Void) {
    guard let mem = kmalloc(4096) else { return }
    var w = CpioWriter(buf: mem.assumingMemoryBound(to: UInt8.self))
    body(&w)
    check(w.bytes)
    kfree(mem)
}

let cpio_suite = KUnitSuite(name: "cpio", cases: [
    KUnitCase(name: "parses_files_and_dirs") { t in
        withArchive({ w in
            w.entry("bin", mode: 0o040755, data: "")
            w.entry("bin/hello", mode: 0o100755, data: "hello world\n")
            w.entry("init", mode: 0o100755, data: "x")
            w.entry("TRAILER!!!", mode: 0, data: "")
        }) { archive in
            var names = 0, sizes = 0, dirs = 0
            let r = cpio_parse(archive) { e in
                names += 1; sizes += e.data.count
                if e.isDirectory { dirs += 1 }
                if e.path.equals("bin/hello") { t.expect(e.data.slice(0, 5).equals("hello"), "file content") }
                return true
            }
            if case .success(let n) = r { t.expectEqual(n, 3, "entries") } else { t.expect(false, "parse failed") }
            t.expectEqual(names, 3, "callbacks")
            t.expectEqual(sizes, 13, "data bytes")
            t.expectEqual(dirs, 1, "directories")
        }
    },
    KUnitCase(name: "rejects_bad_magic") { t in
        withArchive({ w in
            w.entry("a", mode: 0o100644, data: "1")
            w.buf[3] = 57     // "070901"
        }) { archive in
            if case .failure(let e) = cpio_parse(archive, { _ in true }), case .badMagic(let off) = e.error {
                t.expectEqual(off, 0, "offset of the bad header")
            } else { t.expect(false, "bad magic not detected") }
        }
    },
    KUnitCase(name: "rejects_truncation") { t in
        withArchive({ w in
            w.entry("a", mode: 0o100644, data: "0123456789")
        }) { archive in
            let cut = archive.slice(0, archive.count - 8)
            if case .failure(let e) = cpio_parse(cut, { _ in true }), case .truncated = e.error {
                t.expect(true, "")
            } else { t.expect(false, "truncation not detected") }
        }
    },
    KUnitCase(name: "archive_without_trailer_is_truncated") { t in
        withArchive({ w in w.entry("a", mode: 0o100644, data: "1") }) { archive in
            if case .failure = cpio_parse(archive, { _ in true }) { t.expect(true, "") }
            else { t.expect(false, "missing trailer accepted") }
        }
    },
])
