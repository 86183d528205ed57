// Until later issues fill them in: the current CPU and task as seen by
// printk and oops reports, user-mode traps, and the exit from an interrupt.

import CShim
func smp_processor_id() -> Int { 0 }
func smp_send_stop() {}
func current_pid_for_oops() -> Int { 0 }
func current_comm_for_oops() -> StaticString { "swapper/0" }

func do_user_trap(_ regs: UnsafeMutablePointer<PtRegs>, vector: Int) { die(trap_name(vector), regs, errorCode: regs.pointee.orig_rax) }
func irq_exit(_ regs: UnsafeMutablePointer<PtRegs>) {}

/// Whether `va` lies in the guard page under a kernel stack.
func is_stack_guard_page(_ va: UInt64) -> Bool {
    va >= sym_boot_stack_guard() && va < sym_boot_stack_guard() + PAGE_SIZE
}
