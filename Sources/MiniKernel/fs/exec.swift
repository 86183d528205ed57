// execve(2). Linux: fs/exec.c.
//
// The order is Linux's, and it is what user programs can observe: the file
// is found first (a missing one is -ENOENT even if argv is bad), then the
// argument and environment strings are copied in (-EFAULT, -E2BIG), then the
// new image is built in a fresh address space. Up to there, failure returns
// to the old program. After that is the point of no return: the old address
// space is dropped (completing a vfork parent's wait), and the task returns
// to user mode at the new entry point.

import CShim

let PATH_MAX = 4096

/// Resolve `path` in the initramfs the way path walking fails in Linux:
/// a missing file is ENOENT, a file used as a directory ENOTDIR, and a
/// directory (or anything but a regular file) EACCES.
func lookup_exec_file(_ path: ByteString, _ error: inout Errno) -> RootfsEntry? {
    if path.isEmpty { error = .ENOENT; return nil }
    // Every proper prefix must be a directory.
    for i in 1..<max(1, path.count) where path[i] == 47 {
        if let e = rootfs.lookup(path.slice(0, i)), !e.isDirectory { error = .ENOTDIR; return nil }
    }
    guard let e = rootfs.lookup(path) else {
        // "/" is the root directory even though the archive has no entry for it.
        var onlySlashes = true
        for i in 0..<path.count where path[i] != 47 { onlySlashes = false }
        error = onlySlashes ? .EACCES : .ENOENT
        return nil
    }
    guard e.isRegular else { error = .EACCES; return nil }
    return e
}

/// do_execveat_common() for a path already in kernel memory.
func do_execve(_ path: ByteString, argvAddr: UInt64, envpAddr: UInt64,
               regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = Errno.ENOENT
    guard let file = lookup_exec_file(path, &err) else { return err.negated }
    // Linux's order: count both vectors, then copy envp's strings, then argv's.
    let argc = count_user_vector(argvAddr)
    if argc < 0 { return argc }
    let envc = count_user_vector(envpAddr)
    if envc < 0 { return envc }
    var argv = ArgBuffer()
    var envp = ArgBuffer()
    defer { argv.release(); envp.release() }
    let e = copy_strings(&envp, userVector: envpAddr, count: envc)
    if e < 0 { return e }
    let a = copy_strings(&argv, userVector: argvAddr, count: argc)
    if a < 0 { return a }
    // An empty argv still gives the program an argv[0] (Linux 5.18+: "").
    if argv.count == 0 && !argv.append(ByteString.empty) { return Errno.ENOMEM.negated }
    return bprm_execve(file, path, argv: argv, envp: envp, regs: regs)
}

/// kernel_execve(): exec from the kernel (init), with kernel-side strings.
func kernel_execve(_ path: ByteString, argv: ArgBuffer, envp: ArgBuffer, regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = Errno.ENOENT
    guard let file = lookup_exec_file(path, &err) else { return err.negated }
    return bprm_execve(file, path, argv: argv, envp: envp, regs: regs)
}

/// bprm_execve(): build the new image; past success there is no way back.
func bprm_execve(_ file: RootfsEntry, _ path: ByteString, argv: ArgBuffer, envp: ArgBuffer,
                 regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var image = ElfImage()
    let r = load_elf_binary(file.data, argv: argv, envp: envp, execfn: path, into: &image)
    if r < 0 { return r }
    guard let newMM = image.mm else { return Errno.ENOMEM.negated }

    // The point of no return.
    let me = current
    exec_mm_release(me)
    let old = me.mm
    me.mm = newMM
    switch_mm(newMM)
    if let old { mmput(old) }
    me.setComm(path)
    me.flags.remove(.forkNoExec)
    flush_signal_handlers(me)
    start_thread(regs, ip: image.entry, sp: image.sp)
    trace_sched_process_exec(me)
    return 0
}

/// exec_mm_release(): as at exit, a vfork parent may run again — our
/// memory is no longer its memory.
func exec_mm_release(_ tsk: Task) {
    mm_release(tsk)
}

/// flush_signal_handlers(): handlers point into the old image; ignored
/// signals stay ignored (POSIX).
func flush_signal_handlers(_ t: Task) {
    for i in 0..<Int(_NSIG) {
        var a = t.sighand.action[i]
        if a.handler != SIG_IGN { a.handler = SIG_DFL }
        a.flags = 0
        a.restorer = 0
        a.mask = SigSet()
        t.sighand.action[i] = a
    }
}

/// execve(filename, argv, envp).
func sys_execve(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let buf = kmalloc(PATH_MAX) else { return Errno.ENOMEM.negated }
    defer { kfree(buf) }
    let n = strncpy_from_user(buf, regs.arg0, PATH_MAX)
    if n < 0 { return n }
    if n >= PATH_MAX { return Errno.ENAMETOOLONG.negated }
    let path = ByteString(UnsafePointer(buf.assumingMemoryBound(to: UInt8.self)), count: n)
    return do_execve(path, argvAddr: regs.arg1, envpAddr: regs.arg2, regs: regs)
}
