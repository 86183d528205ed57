// The memory system calls as the syscall table calls them: arguments from
// the saved registers (x86-64 order: addr, len, prot, flags, fd, offset).

import CShim
import Synchronization

func sys_mmap_regs(_ r: UnsafeMutablePointer<PtRegs>) -> Int { sys_mmap(r.arg0, r.arg1, r.arg2, r.arg3, r.arg4, r.arg5) }
func sys_munmap_regs(_ r: UnsafeMutablePointer<PtRegs>) -> Int { sys_munmap(r.arg0, r.arg1) }
func sys_mprotect_regs(_ r: UnsafeMutablePointer<PtRegs>) -> Int { sys_mprotect(r.arg0, r.arg1, r.arg2) }
func sys_brk_regs(_ r: UnsafeMutablePointer<PtRegs>) -> Int { sys_brk(r.arg0) }

/// current->mm.
func current_mm() -> MMStruct? { scheduler_running ? current.mm : nil }

/// Leave the user half behind: run on the kernel's own page tables.
func switch_to_kernel_mm() { switch_mm(nil) }


/// mm_users, read once (the count may change right after on SMP).
func mm_users(_ mm: MMStruct) -> Int { mm.mmUsers.load(ordering: .relaxed) }
