// Exceptions and the interrupt dispatcher. Linux: arch/x86/kernel/traps.c,
// arch/x86/mm/fault.c, arch/x86/kernel/dumpstack.c.
//
// Every vector enters through entry_64.asm and arrives here with the saved
// registers. An exception in kernel mode that nothing expected is an oops:
// print what Linux prints (the exception, the registers, the call trace) and
// panic. Exceptions in user mode become signals (kernel/signal.swift).

import CShim

let X86_TRAP_DE = 0, X86_TRAP_DB = 1, X86_TRAP_NMI = 2, X86_TRAP_BP = 3
let X86_TRAP_UD = 6, X86_TRAP_DF = 8, X86_TRAP_GP = 13, X86_TRAP_PF = 14
let FIRST_EXTERNAL_VECTOR = 32

/// Linux's names for the exceptions, as its oops messages print them.
func trap_name(_ v: Int) -> StaticString {
    switch v {
    case 0: return "divide error"
    case 1: return "debug"
    case 2: return "nmi"
    case 3: return "int3"
    case 4: return "overflow"
    case 5: return "bounds"
    case 6: return "invalid opcode"
    case 7: return "device not available"
    case 8: return "double fault"
    case 9: return "coprocessor segment overrun"
    case 10: return "invalid TSS"
    case 11: return "segment not present"
    case 12: return "stack segment"
    case 13: return "general protection fault"
    case 14: return "page fault"
    case 16: return "coprocessor error"
    case 17: return "alignment check"
    case 18: return "machine check"
    case 19: return "SIMD coprocessor error"
    default: return "reserved exception"
    }
}

/// vector -> handler for external interrupts (timer, IPIs). Plain C function
/// pointers: an interrupt must not allocate. Linux: request_irq().
typealias IrqHandler = @convention(c) (UnsafeMutablePointer<PtRegs>) -> Void

private let irqVectorTable: UnsafeMutablePointer<IrqHandler?> = {
    let t = UnsafeMutablePointer<IrqHandler?>.allocate(capacity: 256)
    t.initialize(repeating: nil, count: 256)
    return t
}()

func request_irq(vector: Int, _ h: IrqHandler) {
    BUG_ON(vector < FIRST_EXTERNAL_VECTOR || vector > 255, "bad vector \(vector)")
    irqVectorTable[vector] = h
}

/// Called by common_interrupt for every vector.
@_cdecl("do_IRQ_or_trap")
public func do_IRQ_or_trap(_ regs: UnsafeMutablePointer<PtRegs>) {
    let vector = Int(regs.pointee.vector)
    if vector == IA32_SYSCALL_VECTOR && regs.pointee.user_mode {
        do_int80_syscall(regs)
        irq_exit(regs)
        return
    }
    if vector >= FIRST_EXTERNAL_VECTOR {
        let lockdepSaved = lockdep_irq_enter()
        if let h = irqVectorTable[vector] {
            h(regs)
        } else {
            pr_warn("spurious interrupt on vector \(vector)")
        }
        lockdep_irq_exit(lockdepSaved)
        irq_exit(regs)
        return
    }
    if vector == X86_TRAP_NMI {
        do_nmi(regs)
        return
    }
    if vector == X86_TRAP_PF {
        do_page_fault(regs, errorCode: regs.pointee.orig_rax, address: read_cr2())
    } else if vector == X86_TRAP_DF {
        // The usual cause: a kernel stack ran into its guard page, the page
        // fault could not push its frame, and the CPU escalated. Linux says so.
        let cr2 = read_cr2()
        if is_stack_guard_page(cr2) {
            printk_unlocked("BUG: stack guard page was hit at \(hex: cr2)")
            die("kernel stack overflow (double-fault)", regs, errorCode: regs.pointee.orig_rax, cr2: cr2)
        }
        die(trap_name(vector), regs, errorCode: regs.pointee.orig_rax)
    } else if regs.pointee.user_mode {
        do_user_trap(regs, vector: vector)
    } else {
        die(trap_name(vector), regs, errorCode: regs.pointee.orig_rax)
    }
    irq_exit(regs)
}

/// Page-fault error-code bits. Linux: arch/x86/include/asm/trap_pf.h.
struct PFErrorCode: OptionSet {
    let rawValue: UInt64
    static let present = PFErrorCode(rawValue: 1 << 0)
    static let write = PFErrorCode(rawValue: 1 << 1)
    static let user = PFErrorCode(rawValue: 1 << 2)
    static let reserved = PFErrorCode(rawValue: 1 << 3)
    static let instr = PFErrorCode(rawValue: 1 << 4)
}

/// do_page_fault → (user) handle_mm_fault or SIGSEGV; (kernel) an exception-table
/// fixup for user copies, else an oops. Linux: arch/x86/mm/fault.c.
func do_page_fault(_ regs: UnsafeMutablePointer<PtRegs>, errorCode: UInt64, address: UInt64) {
    let ec = PFErrorCode(rawValue: errorCode)
    // Fault with interrupts on if the faulting code had them on (Linux:
    // do_user_addr_fault's local_irq_enable): resolving it may flush TLBs.
    let irqsWereOn = regs.pointee.rflags & (1 << 9) != 0
    if irqsWereOn { local_irq_enable() }
    let handled = handle_page_fault(regs, ec, address)
    if irqsWereOn { local_irq_disable() }
    if handled { return }
    // A kernel access to a bad user address inside copy_from_user and friends.
    if !regs.pointee.user_mode, let fixup = search_exception_tables(regs.pointee.rip) {
        regs.pointee.rip = fixup
        return
    }
    if regs.pointee.user_mode { return }   // handle_page_fault queued SIGSEGV
    printk_unlocked("BUG: unable to handle page fault for address: \(hex: address)")
    let kind: StaticString = ec.contains(.instr) ? "instruction fetch" : ec.contains(.write) ? "write" : "read"
    printk_unlocked("#PF: supervisor \(kind) access in kernel mode")
    let why: StaticString = ec.contains(.present) ? (ec.contains(.reserved) ? "reserved bit violation" : "permissions violation") : "not-present page"
    printk_unlocked("#PF: error_code(\(hex: errorCode, width: 4)) - \(why)")
    die("Oops", regs, errorCode: errorCode, cr2: address)
}

private var dieCounter = 0

/// die(): the oops report, then panic. Linux: arch/x86/kernel/dumpstack.c.
func die(_ what: StaticString, _ regs: UnsafeMutablePointer<PtRegs>, errorCode: UInt64, cr2: UInt64? = nil) -> Never {
    local_irq_disable()
    oops_in_progress = true
    dieCounter += 1
    let r = regs.pointee
    printk_unlocked("\(what): \(hex: errorCode, width: 4) [#\(dieCounter)] SMP")
    printk_unlocked("CPU: \(smp_processor_id()) PID: \(current_pid_for_oops()) Comm: \(comm: current_comm_for_oops())")
    var sym = LineBuffer()
    kallsyms_format(r.rip, into: &sym)
    printk_unlocked("RIP: \(hex: r.cs, width: 4):\(sym)")
    printk_unlocked("RSP: \(hex: r.ss, width: 4):\(hex: r.rsp) EFLAGS: \(hex: r.rflags, width: 8)")
    printk_unlocked("RAX: \(hex: r.rax) RBX: \(hex: r.rbx) RCX: \(hex: r.rcx)")
    printk_unlocked("RDX: \(hex: r.rdx) RSI: \(hex: r.rsi) RDI: \(hex: r.rdi)")
    printk_unlocked("RBP: \(hex: r.rbp) R08: \(hex: r.r8) R09: \(hex: r.r9)")
    printk_unlocked("R10: \(hex: r.r10) R11: \(hex: r.r11) R12: \(hex: r.r12)")
    printk_unlocked("R13: \(hex: r.r13) R14: \(hex: r.r14) R15: \(hex: r.r15)")
    printk_unlocked("CR2: \(hex: cr2 ?? read_cr2()) CR3: \(hex: read_cr3()) CR4: \(hex: read_cr4())")
    if regs.pointee.vector == UInt64(X86_TRAP_UD) {
        printk_unlocked("(a Swift runtime trap — overflow, bounds, nil unwrap — is a ud2)")
    }
    show_trace(rip: r.rip, rbp: r.rbp)
    panic("Fatal exception")
}

/// A user-mode exception becomes the signal Linux sends for it.
func do_user_trap(_ regs: UnsafeMutablePointer<PtRegs>, vector: Int) {
    let sig: Int32
    switch vector {
    case 0, 16, 19: sig = SIGFPE           // divide error, x87 and SIMD errors
    case 1, 3: sig = SIGTRAP
    case 6: sig = SIGILL
    case 10, 11, 12, 17: sig = SIGBUS      // segment not present, stack segment, alignment
    default: sig = SIGSEGV                 // general protection and the rest
    }
    force_sig_fault(sig, address: regs.pointee.rip)
}

/// The end of every interrupt and exception: on the way back to user mode,
/// the same work as after a system call (reschedule, signals).
/// (Before the scheduler runs there is no task to do it for: only the mm
/// self-tests visit user mode then, see arch/x86_64/mm/fault_test.swift.)
func irq_exit(_ regs: UnsafeMutablePointer<PtRegs>) {
    // The way back to user mode runs with interrupts on, as Linux's
    // exit_to_user_mode_loop(): signal delivery may fault on the user stack
    // and take locks a TLB flush on another CPU waits behind.
    if regs.pointee.user_mode && scheduler_running {
        local_irq_enable()
        exit_to_user_mode(regs)
        local_irq_disable()
    }
}

/// For oops reports: who was running.
func current_pid_for_oops() -> Int { scheduler_running ? Int(current.pid) : 0 }
func current_comm_for_oops() -> InlineArray<16, UInt8> {
    if scheduler_running { return current.comm }
    var c = InlineArray<16, UInt8>(repeating: 0)
    var i = 0
    ("swapper/0" as StaticString).withUTF8Buffer { for b in $0 { c[i] = b; i += 1 } }
    return c
}

