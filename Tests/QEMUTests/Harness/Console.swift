import Foundation

/// Reading the serial console.
///
/// Kernel lines carry Linux's dmesg prefix plus the CPU (docs/interfaces.md):
///
///     [    0.001234][    C0] text
///
/// User programs' writes reach the same port unprefixed. Everything here
/// works on text already normalized by `Console.text(_:)`.
enum Console {
    /// Decodes raw serial bytes. Invalid UTF-8 becomes U+FFFD; CR LF becomes LF,
    /// because a serial driver may emit CR LF while a host pipe never does, and
    /// because Swift treats "\r\n" as one Character (so it would not split on "\n").
    static func text(_ bytes: Data) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// The console split into lines, without their "\n". A final newline does
    /// not produce an empty last line.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The last `n` lines, joined, for failure messages.
    static func lastLines(of text: String, _ n: Int) -> String {
        lines(text).suffix(n).joined(separator: "\n")
    }

    /// Length of the kernel prefix `[ SECONDS.MICROS][ CPU] ` at the start of
    /// `line`, or nil when the line does not start with one. Whitespace padding
    /// and digit counts are accepted loosely; the shape is checked exactly.
    static func kernelPrefixLength<S: StringProtocol>(_ line: S) -> Int? {
        var scanner = ASCIIScanner(Array(line.utf8.prefix(64)))
        guard scanner.take("["), scanner.skipSpaces(), scanner.digits() > 0, scanner.take("."),
              scanner.digits() > 0, scanner.take("]"), scanner.take("["), scanner.skipSpaces(),
              scanner.take("C") || scanner.take("T"), scanner.digits() > 0, scanner.take("]"),
              scanner.take(" ")
        else { return nil }
        return scanner.position
    }

    /// True for a line the kernel printed (it starts with the dmesg prefix).
    static func isKernelLine<S: StringProtocol>(_ line: S) -> Bool {
        kernelPrefixLength(line) != nil
    }

    /// The text of every kernel line, prefix removed, in console order.
    static func kernelMessages(_ text: String) -> [String] {
        lines(text).compactMap { line in
            kernelPrefixLength(line).map { String(line.dropFirst($0)) }
        }
    }

    /// Where a kernel prefix starts inside `line` (at 0 or later), if anywhere.
    /// A user program that ends its output without "\n" leaves the cursor
    /// mid-line, so the kernel's next line is glued to the user text.
    static func kernelPrefixStart(in line: Substring) -> Substring.Index? {
        var i = line.startIndex
        while let open = line[i...].firstIndex(of: "[") {
            if isKernelLine(line[open...]) { return open }
            i = line.index(after: open)
        }
        return nil
    }

    /// Tiny byte scanner for `kernelPrefixLength` (no Regex: keeps it obvious and fast).
    private struct ASCIIScanner {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func take(_ c: Character) -> Bool {
            guard position < bytes.count, bytes[position] == c.asciiValue else { return false }
            position += 1
            return true
        }
        mutating func skipSpaces() -> Bool {
            while position < bytes.count, bytes[position] == 0x20 { position += 1 }
            return true
        }
        mutating func digits() -> Int {
            let start = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
            return position - start
        }
    }
}
