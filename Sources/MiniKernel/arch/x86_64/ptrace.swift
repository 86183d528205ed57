// The saved user or kernel registers (struct pt_regs, declared in C in
// Sources/SwiftRuntimeShim/include/shim.h so that entry code and C function
// pointers can name it). Linux: arch/x86/include/asm/ptrace.h.

import CShim

public typealias PtRegs = pt_regs

extension pt_regs {
    /// user_mode(): the CPU was in ring 3 when it entered the kernel.
    var user_mode: Bool { cs & 3 == 3 }
}
