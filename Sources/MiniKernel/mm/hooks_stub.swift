// TEMPORARY STUB — the lead deletes this file when merging the mm-work branch.
//
// The memory-management code needs two things from the task and signal code
// that is being written in parallel (issue 3): the current task's address
// space, and a way to send SIGSEGV for a user fault nothing can resolve.
// Nothing else in the tree refers to this file's contents except through
// these two functions. (The self-tests do not need it: they use
// `ktest_current_mm`, mm/mmap.swift, which outlives this stub.)

import CShim

/// current->mm: the address space of the task running on this CPU (nil for
/// kernel threads and before user space exists).
func current_mm() -> MMStruct? { nil }

/// force_sig_fault(SIGSEGV, SEGV_MAPERR/SEGV_ACCERR, address) on current.
/// There are no user tasks yet, so a user fault cannot happen: say so loudly.
func force_sig_fault_segv(_ address: UInt64) {
    panic("force_sig_fault_segv(\(hex: address)) called before signals exist")
}
