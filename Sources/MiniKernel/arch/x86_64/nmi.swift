// An NMI from outside the kernel — QEMU's monitor command `nmi`, which the
// test harness sends to a boot that missed its deadline — is a request to say
// where everything is: each CPU that takes it prints its own trace, and the
// first one (QEMU delivers it to one CPU or to all) also every task's state
// and where each sleeping task sleeps in the kernel. A machine that hangs
// with interrupts off or every CPU idle can be asked no other way. Linux:
// arch/x86/kernel/nmi.c (unknown_nmi_error with its "Dazed and confused, but
// trying to continue"), lib/nmi_backtrace.c (nmi_cpu_backtrace),
// kernel/sched/core.c (show_state, sysrq-t).
//
// Nothing here takes a lock: the interrupted code may hold any of them. The
// console is taken for good (printk_unlocked), so the kernel goes on running
// but its later messages may be lost: this is for a boot about to be killed.

import CShim
import Synchronization

/// CPUs print in the order they took the NMI, one after the other.
private let nmiArrivals = Atomic<Int>(0)
private let nmiTurn = Atomic<Int>(0)
/// When the task list was last shown: once per NMI, however many CPUs take it.
private let nmiShownAt = Atomic<UInt64>(0)

/// The NMI vector's handler (do_IRQ_or_trap).
func do_nmi(_ regs: UnsafeMutablePointer<PtRegs>) {
    let me = nmiArrivals.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
    while nmiTurn.load(ordering: .acquiring) != me { cpu_relax() }
    let r = regs.pointee
    printk_unlocked("NMI backtrace for cpu \(smp_processor_id()): pid \(current.pid) \(comm: current.comm)")
    if r.user_mode {
        printk_unlocked("in user mode: RIP: 0033:\(hex: r.rip) RSP: \(hex: r.rsp)")
    } else {
        show_trace(rip: r.rip, rbp: r.rbp)
    }
    let now = ktime_get_ns(), last = nmiShownAt.load(ordering: .relaxed)
    if last == 0 || now &- last > 1_000_000_000 {
        nmiShownAt.store(now, ordering: .relaxed)
        show_state()
    }
    nmiTurn.store(me + 1, ordering: .releasing)
}
