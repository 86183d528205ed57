// The page-fault handler's policy. Linux: arch/x86/mm/fault.c
// (do_user_addr_fault, do_kern_addr_fault, fault_in_kernel_space).
//
// traps.swift's do_page_fault() asks this first; when it answers false for a
// kernel-mode fault, it tries the exception table (search_exception_tables)
// and otherwise oopses, exactly the order of Linux's page_fault_oops path.
//
//  - user mode: the current mm resolves the fault (demand paging, COW), or
//    the task gets SIGSEGV (SIGBUS for a page past the end of a mapped
//    file); either way the fault is "handled" (true).
//  - kernel mode at a user address from inside a user-copy routine (an
//    instruction the exception table covers): the kernel is touching user
//    memory on the user's behalf — writing wait4's status into a page not yet
//    faulted in, or into a copy-on-write page — so resolve it like a user
//    fault; if that is impossible return false and let the fixup make the
//    copy routine report failure (-EFAULT).
//  - anything else (kernel addresses, user addresses touched outside the
//    copy routines): false, and traps.swift oopses.

import CShim

/// Self-tests only: called instead of force_sig_fault_segv() for a user
/// fault nothing resolved (mm_user_faults uses it to end a ring-3 excursion).
var ktest_user_fault_hook: (@convention(c) (UnsafeMutablePointer<PtRegs>, UInt64, UInt64) -> Void)? = nil

func handle_page_fault(_ regs: UnsafeMutablePointer<PtRegs>, _ ec: PFErrorCode, _ address: UInt64) -> Bool {
    if regs.pointee.user_mode {
        let r = mm_of_current().map { handle_mm_fault($0, address, ec) } ?? .sigsegv
        if r == .ok { return true }
        if let hook = ktest_user_fault_hook {
            hook(regs, address, ec.rawValue)
            return true
        }
        // do_sigbus(): a mapped file page that does not exist.
        if r == .sigbus { force_sig_fault(SIGBUS, code: BUS_ADRERR, address: address) }
        else { force_sig_fault_segv(address) }
        return true
    }
    // Kernel mode.
    guard address < TASK_SIZE, !ec.contains(.reserved),
          search_exception_tables(regs.pointee.rip) != nil,
          let mm = mm_of_current() else { return false }
    return handle_mm_fault(mm, address, ec) == .ok
}
