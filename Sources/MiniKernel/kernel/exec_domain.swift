// personality(2). Linux: kernel/exec_domain.c.
//
// A process's personality is a set of flags that change how the kernel
// treats it; this kernel knows one of them, ADDR_NO_RANDOMIZE (`setarch
// -R`): the next exec lays the address space out without randomisation
// (fs/binfmt_elf.swift, ExecLayout). Fork copies the personality and exec
// keeps it, so it holds for everything the process goes on to run. The
// other flags and execution domains are stored and read back, with no
// effect here.

/// personality(persona): the old personality; 0xffffffff only asks.
func sys_personality(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let persona = UInt32(truncatingIfNeeded: regs.arg0)
    let me = current
    let old = me.personality
    if persona != 0xffff_ffff { me.personality = persona }
    return Int(Int32(bitPattern: old))
}
