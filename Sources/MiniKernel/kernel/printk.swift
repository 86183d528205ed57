// printk — the kernel's one way to speak. Linux: kernel/printk/printk.c.
//
// A line is built on the caller's stack by Swift string interpolation into a
// fixed buffer (no `String`: Embedded Swift packs flags into the top bits of a
// String's pointer, which breaks for our upper-half addresses), then written
// to the console under `consoleLock`, with Linux's dmesg prefix and the CPU:
//     [    0.001234][    C0] message
// so that lines from different CPUs never interleave.

import CShim
import Synchronization

/// Linux's console log levels. `quiet` sets the console level to 4 (warnings
/// and worse are shown), exactly as Linux's `quiet` does.
enum LogLevel: Int {
    case emerg = 0, alert, crit, err, warning, notice, info, debug
}

/// Console loglevel: messages with a level numerically below it are printed.
var consoleLoglevel = 7

/// Serialises whole lines on the console. Taken with interrupts off so that an
/// interrupt handler that prints cannot deadlock against the code it interrupted.
let consoleLock = SpinLock(name: "console_lock")

/// A kernel message under construction: fixed capacity, truncated if longer.
struct KLine: ExpressibleByStringInterpolation {
    static let capacity = 240
    var buf = LineBuffer()

    init(stringLiteral s: StaticString) { buf.append(s) }
    init(stringInterpolation: StringInterpolation) { buf = stringInterpolation.buf }

    struct StringInterpolation: StringInterpolationProtocol {
        var buf = LineBuffer()
        init(literalCapacity: Int, interpolationCount: Int) {}
        mutating func appendLiteral(_ s: StaticString) { buf.append(s) }
        mutating func appendInterpolation(_ s: StaticString) { buf.append(s) }
        mutating func appendInterpolation<I: BinaryInteger>(_ v: I) { buf.appendDecimal(v) }
        mutating func appendInterpolation<I: BinaryInteger>(_ v: I, width: Int, zeroPad: Bool = false) { buf.appendDecimal(v, width: width, zeroPad: zeroPad) }
        /// `\(hex: v)`: lowercase hex, zero-padded to `width` digits (16 by default, as Linux prints registers).
        mutating func appendInterpolation<I: FixedWidthInteger>(hex v: I, width: Int = 16) { buf.appendHex(UInt64(truncatingIfNeeded: v), width: width) }
        /// `\(v, octal: 6)`: zero-padded octal (file modes).
        mutating func appendInterpolation<I: FixedWidthInteger>(_ v: I, octal width: Int) {
            var digits = InlineArray<22, UInt8>(repeating: 48)
            var x = UInt64(truncatingIfNeeded: v), n = 0
            repeat { digits[n] = UInt8(48 + x & 7); x >>= 3; n += 1 } while x > 0
            n = max(n, min(width, 22))
            while n > 0 { n -= 1; buf.append(digits[n]) }
        }
        /// A task's comm (NUL-padded name).
        mutating func appendInterpolation(comm c: InlineArray<16, UInt8>) {
            for i in 0..<16 { if c[i] == 0 { break }; buf.append(c[i]) }
        }
        /// One byte as it is (a state letter).
        mutating func appendInterpolation(char c: UInt8) { buf.append(c) }
        mutating func appendInterpolation(_ b: Bool) { buf.append(b ? "true" : "false") }
        mutating func appendInterpolation(_ s: ByteString) { buf.append(s) }
        mutating func appendInterpolation(_ s: LineBuffer) { s.forEachByte { buf.append($0) } }
    }
}

/// A fixed-size byte buffer that formats numbers without allocating.
struct LineBuffer {
    private var storage = InlineArray<240, UInt8>(repeating: 0)
    private(set) var count = 0

    mutating func append(_ c: UInt8) {
        guard count < KLine.capacity else { return }
        storage[count] = c
        count += 1
    }
    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { for c in $0 { append(c) } }
    }
    mutating func append(_ s: ByteString) {
        for i in 0..<s.count { append(s[i]) }
    }
    mutating func appendDecimal<I: BinaryInteger>(_ v: I, width: Int = 0, zeroPad: Bool = false) {
        var digits = InlineArray<20, UInt8>(repeating: 0)
        var n = 0
        var negative = false
        var mag: UInt64
        if v < 0 {
            // Two's complement negation in unsigned arithmetic: Int64.min has no positive twin.
            negative = true
            mag = 0 &- UInt64(truncatingIfNeeded: Int64(truncatingIfNeeded: v))
        } else {
            mag = UInt64(truncatingIfNeeded: v)
        }
        repeat {
            digits[n] = UInt8(48 + mag % 10); n += 1; mag /= 10
        } while mag > 0
        var pad = width - n - (negative ? 1 : 0)
        if negative { append(45) }
        while pad > 0 { append(zeroPad ? 48 : 32); pad -= 1 }
        while n > 0 { n -= 1; append(digits[n]) }
    }
    mutating func appendHex(_ v: UInt64, width: Int) {
        var n = 16
        while n > 1 && (v >> UInt64((n - 1) * 4)) == 0 { n -= 1 }
        if n < width { n = min(width, 16) }
        while n > 0 {
            n -= 1
            let d = UInt8((v >> UInt64(n * 4)) & 0xf)
            append(d < 10 ? 48 + d : 87 + d)
        }
    }
    func forEachByte(_ body: (UInt8) -> Void) {
        for i in 0..<count { body(storage[i]) }
    }
    /// The text as a ByteString, for the length of `body`.
    func withBytes<R>(_ body: (ByteString) -> R) -> R {
        var copy = storage
        return withUnsafeBytes(of: &copy) { body(ByteString($0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)) }
    }

}

/// printk(level, "fmt \(x)"): the prefix is Linux's `[seconds.micros]` plus `[    Cn]`.
func printk(_ level: LogLevel, _ line: KLine) {
    if level.rawValue >= consoleLoglevel { return }
    emitLine(line.buf, prefixed: true)
}

func pr_emerg(_ line: KLine) { printk(.emerg, line) }
func pr_alert(_ line: KLine) { printk(.alert, line) }
func pr_err(_ line: KLine) { printk(.err, line) }
func pr_warn(_ line: KLine) { printk(.warning, line) }
func pr_notice(_ line: KLine) { printk(.notice, line) }
func pr_info(_ line: KLine) { printk(.info, line) }

/// Writes one prefixed line whatever the log level (self-test output, panics).
func printk_always(_ line: KLine) { emitLine(line.buf, prefixed: true) }

private func formatPrefix(_ prefix: inout LineBuffer) {
    let us = ktime_get_ns() / 1000
    prefix.append("[")
    prefix.appendDecimal(us / 1_000_000, width: 5)
    prefix.append(".")
    prefix.appendDecimal(us % 1_000_000, width: 6, zeroPad: true)
    prefix.append("][")
    let cpu = smp_processor_id()
    var pad = 5 - (cpu >= 100 ? 3 : cpu >= 10 ? 2 : 1)
    while pad > 0 { prefix.append(32); pad -= 1 }
    prefix.append("C")
    prefix.appendDecimal(cpu)
    prefix.append("] ")
}

private func emitLine(_ buf: LineBuffer, prefixed: Bool) {
    var prefix = LineBuffer()
    if prefixed { formatPrefix(&prefix) }
    // The CPU saying the last words holds the lock for good (below).
    let mine = lastWordsCPU.load(ordering: .relaxed) == Int(this_cpu_number()) + 1
    let flags = mine ? local_irq_save() : console_lock()
    prefix.forEachByte { serial_putc($0) }
    buf.forEachByte { serial_putc($0) }
    serial_putc(10)
    if mine { local_irq_restore(flags) } else { console_unlock(flags) }
}

/// The CPU (plus one) holding `consoleLock`, 0 when free: the last words wait for
/// another CPU's line, never for their own.
private let consoleOwner = Atomic<Int>(0)

private func console_lock() -> IrqFlags {
    let flags = consoleLock.lockIrqSave()
    consoleOwner.store(Int(this_cpu_number()) + 1, ordering: .relaxed)
    return flags
}

private func console_unlock(_ flags: IrqFlags) {
    consoleOwner.store(0, ordering: .relaxed)
    consoleLock.unlockIrqRestore(flags)
}

/// The CPU (plus one) whose last words own the console: the first to panic, oops,
/// BUG or end init. Set once, never cleared: the machine powers off after them.
private let lastWordsCPU = Atomic<Int>(0)

/// Takes the console for the machine's last words, and keeps it.
///
/// Another CPU may be in the middle of a line, or of a user program's write: its
/// characters would interleave with ours. So wait for it to finish. It finishes however
/// long the host keeps its vCPU from running (a quarter second was seen not to be enough
/// under load); the bound of 10 s is only for a CPU stuck inside the lock, which is
/// itself a bug. When this CPU holds the lock (it faulted in console code), waiting
/// cannot help and the last words go out over it at once (Linux: bust_spinlocks(), and
/// the console's takeover at panic). Every other CPU's printk and console write then
/// waits for ever, so nothing interleaves with the report and nothing follows it. A
/// second CPU with last words of its own halts.
func console_take_for_last_words() {
    let me = Int(this_cpu_number()) + 1
    let (won, owner) = lastWordsCPU.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing)
    if !won {
        if owner == me { return }
        local_irq_disable()
        while true { halt() }
    }
    let deadline = ktime_get_ns() + 10_000_000_000
    var spins = 0
    // Unchecked: the lock-order checker may be what is reporting.
    while consoleOwner.load(ordering: .relaxed) != me, !consoleLock.tryLockUnchecked() {
        spins += 1
        if ktime_get_ns() > deadline || spins > 500_000_000 { break }   // (no clock yet: count)
        cpu_relax()
    }
}

/// A prefixed line without waiting for the console lock (lockcheck's own message,
/// which can come from inside an acquisition of it).
func printk_raw_prefixed(_ buf: LineBuffer) {
    var prefix = LineBuffer()
    formatPrefix(&prefix)
    prefix.forEachByte { serial_putc($0) }
    buf.forEachByte { serial_putc($0) }
    serial_putc(10)
}

/// Raw console output for user programs' write(1/2) and for panic paths that
/// cannot take locks. Bytes go out as they are.
func console_write(_ bytes: UnsafeRawBufferPointer) {
    let flags = console_lock()
    for b in bytes { serial_putc(b) }
    console_unlock(flags)
}

@_cdecl("console_putchar")
public func console_putchar(_ c: Int32) { serial_putc(UInt8(truncatingIfNeeded: c)) }
