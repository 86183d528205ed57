// Self-tests: ByteString and printk's number formatting.

import CShim
private func bs(_ s: StaticString) -> ByteString {
    ByteString(s.utf8Start, count: s.utf8CodeUnitCount)
}

let bytestring_suite = KUnitSuite(name: "bytestring", cases: [
    KUnitCase(name: "integer_value") { t in
        t.expect(bs("42").integerValue == 42, "decimal")
        t.expect(bs("0x1f").integerValue == 31, "hex")
        t.expect(bs("").integerValue == nil, "empty is not a number")
        t.expect(bs("12a").integerValue == nil, "trailing garbage")
        t.expect(bs("99999999999999999999999").integerValue == nil, "overflow is rejected")
    },
    KUnitCase(name: "compare_and_slice") { t in
        let s = bs("init=/bin/sh")
        t.expect(s.hasPrefix("init="), "prefix")
        t.expect(s.slice(5, s.count).equals("/bin/sh"), "slice")
        t.expect(s.firstIndex(of: 61) == 4, "index of =")
        t.expect(s.slice(20, 30).isEmpty, "slice past the end is empty")
    },
    KUnitCase(name: "fnv1a32") { t in
        t.expectEqual(bs("").fnv1a32, 0x811c9dc5, "fnv1a32(\"\")")
        t.expectEqual(bs("a").fnv1a32, 0xe40c292c, "fnv1a32(\"a\")")
    },
])

let printk_suite = KUnitSuite(name: "printk", cases: [
    KUnitCase(name: "decimal_formatting") { t in
        var b = LineBuffer()
        b.appendDecimal(-1234)
        b.append(" ")
        b.appendDecimal(Int64.min)
        b.append(" ")
        b.appendDecimal(7, width: 3, zeroPad: true)
        t.expect(lineEquals(b, "-1234 -9223372036854775808 007"), "decimal formatting")
    },
    KUnitCase(name: "hex_formatting") { t in
        var b = LineBuffer()
        b.appendHex(0xdead, width: 8)
        b.append(" ")
        b.appendHex(0, width: 1)
        b.append(" ")
        b.appendHex(UInt64.max, width: 4)
        t.expect(lineEquals(b, "0000dead 0 ffffffffffffffff"), "hex formatting")
    },
    KUnitCase(name: "truncates_long_lines") { t in
        var b = LineBuffer()
        for _ in 0..<100 { b.append("abcdef") }
        t.expectEqual(b.count, KLine.capacity, "line length")
    },
])

func lineEquals(_ b: LineBuffer, _ s: StaticString) -> Bool {
    var i = 0
    var same = b.count == s.utf8CodeUnitCount
    s.withUTF8Buffer { lit in b.forEachByte { c in if i < lit.count && lit[i] != c { same = false }; i += 1 } }
    return same
}
