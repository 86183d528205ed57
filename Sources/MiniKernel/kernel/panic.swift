// panic() and BUG(). Linux: kernel/panic.c, include/asm-generic/bug.h.
//
// A broken invariant stops the machine loudly: the reason, a backtrace, and
// QEMU's exit status QEMU_EXIT_PANIC, so a test harness can never mistake it
// for success or a hang.

import CShim
import Synchronization

/// The CPU (plus one) that is panicking. A second panic on that CPU (a fault
/// while panicking) goes straight to power-off; one on another CPU waits,
/// halted, for the first to finish its report.
private let panicking = Atomic<Int>(0)

/// Set by die(): the oops already printed the registers and the trace.
var oops_in_progress = false

func panic(_ why: KLine, file: StaticString = #fileID, line: UInt = #line) -> Never {
    local_irq_disable()
    let me = Int(this_cpu_number()) + 1
    let (won, owner) = panicking.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing)
    if !won {
        if owner == me { machine_power_off(code: .panic) }
        while true { halt() }
    }
    // Stop the other CPUs. A line one of them is writing ends first, then the
    // console is ours (printk_unlocked).
    smp_send_stop()
    printk_unlocked("Kernel panic - not syncing: \(why.buf)")
    if !oops_in_progress { dump_stack(rbp: read_rbp()) }
    printk_unlocked("---[ end Kernel panic - not syncing: \(why.buf) ]---")
    machine_power_off(code: .panic)
}

/// BUG(): an invariant the code relies on does not hold.
func BUG(_ what: KLine = "", file: StaticString = #fileID, line: UInt = #line) -> Never {
    printk_unlocked("kernel BUG at \(file):\(line)! \(what.buf)")
    panic("BUG: \(what.buf)")
}

/// BUG_ON(cond): Linux's assertion. Cheap enough to keep in production paths.
@inline(__always)
func BUG_ON(_ cond: Bool, _ what: @autoclosure () -> KLine = "", file: StaticString = #fileID, line: UInt = #line) {
    if cond { BUG(what(), file: file, line: line) }
}

/// Printing for the machine's last words (panic, oops, BUG, init's exit): the
/// console is taken for good, without waiting on a lock the faulting code may
/// hold (console_take_for_last_words).
func printk_unlocked(_ line: KLine) {
    console_take_for_last_words()
    printk_raw_prefixed(line.buf)
}

/// The Embedded Swift runtime's fatal errors (failed unwrap, bad cast) land here.
@_cdecl("swift_runtime_abort")
public func swift_runtime_abort(_ why: UnsafePointer<CChar>?) {
    panic("Swift runtime abort")
}
