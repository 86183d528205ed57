// ByteString — a borrowed run of bytes (a command-line word, a cpio file name,
// a user path copied into a kernel buffer). It owns nothing: whoever made it
// keeps the bytes alive. Used instead of `String`, which Embedded Swift cannot
// keep at upper-half addresses.

import CShim
struct ByteString: Equatable {
    let base: UnsafePointer<UInt8>?
    let count: Int

    init(_ base: UnsafePointer<UInt8>?, count: Int) {
        self.base = base
        self.count = count
    }

    init(_ buf: UnsafeRawBufferPointer) {
        self.base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self)
        self.count = buf.count
    }

    /// A NUL-terminated C string at `p`, at most `limit` bytes.
    init(cString p: UnsafePointer<UInt8>, limit: Int = 4096) {
        var n = 0
        while n < limit && p[n] != 0 { n += 1 }
        self.init(p, count: n)
    }

    static let empty = ByteString(nil, count: 0)

    subscript(i: Int) -> UInt8 { base.map { $0[i] } ?? 0 }

    var isEmpty: Bool { count == 0 }

    func slice(_ from: Int, _ to: Int) -> ByteString {
        let lo = max(0, min(from, count)), hi = max(lo, min(to, count))
        return ByteString(base.map { $0 + lo }, count: hi - lo)
    }

    static func == (a: ByteString, b: ByteString) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    func equals(_ s: StaticString) -> Bool {
        s.withUTF8Buffer { lit in
            guard lit.count == count else { return false }
            for i in 0..<count where lit[i] != self[i] { return false }
            return true
        }
    }

    func hasPrefix(_ s: StaticString) -> Bool {
        s.withUTF8Buffer { lit in
            guard lit.count <= count else { return false }
            for i in 0..<lit.count where lit[i] != self[i] { return false }
            return true
        }
    }

    func firstIndex(of c: UInt8) -> Int? {
        for i in 0..<count where self[i] == c { return i }
        return nil
    }

    /// Decimal (or 0x-prefixed hex) value, if the whole string is a number.
    var integerValue: Int? {
        var i = 0, base = 10, v = 0
        guard count > 0 else { return nil }
        if count > 2 && self[0] == 48 && (self[1] == 120 || self[1] == 88) { i = 2; base = 16 }
        guard i < count else { return nil }
        while i < count {
            let c = self[i]
            let d: Int
            switch c {
            case 48...57: d = Int(c) - 48
            case 97...102 where base == 16: d = Int(c) - 87
            case 65...70 where base == 16: d = Int(c) - 55
            default: return nil
            }
            let (m, o1) = v.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return v
    }

    /// FNV-1a, 32 bits: a cheap content fingerprint (`rdlist`).
    var fnv1a32: UInt32 {
        var h: UInt32 = 0x811c9dc5
        for i in 0..<count { h = (h ^ UInt32(self[i])) &* 0x0100_0193 }
        return h
    }
}

/// A record laid out byte by byte in little-endian order, as on-disk and
/// on-wire formats want (a core file's headers and notes, an acct(2) record).
struct LEWriter {
    let base: UnsafeMutableRawPointer
    func put<T: FixedWidthInteger>(_ off: Int, _ v: T) {
        base.storeBytes(of: v.littleEndian, toByteOffset: off, as: T.self)
    }
}
