// personality(2). Linux: kernel/exec_domain.c.
//
// A process's personality: flags that change how the kernel treats it. This
// kernel knows ADDR_NO_RANDOMIZE (`setarch -R`): exec then lays the address
// space out without randomisation (fs/binfmt_elf.swift, ExecLayout). Fork
// copies it and exec keeps it; other flags are stored and read back only.

/// personality(persona): the old personality; 0xffffffff only asks.
func sys_personality(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let persona = UInt32(truncatingIfNeeded: regs.arg0)
    let me = current
    let old = me.personality
    if persona != 0xffff_ffff { me.personality = persona }
    return Int(Int32(bitPattern: old))
}
