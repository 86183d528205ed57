// "#!" scripts. Linux: fs/binfmt_script.c.
//
// The first line names an interpreter and at most one argument (everything
// after the interpreter's name, trimmed, is that one argument). The program
// run is the interpreter, with argv = [interpreter, (argument,) the script's
// path, the original argv[1...]]. Interpreters may themselves be scripts, up
// to BINPRM_MAX_RECURSION levels (-ELOOP beyond).

import CShim

let BINPRM_BUF_SIZE = 256
let BINPRM_MAX_RECURSION = 4

private func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }

func load_script(_ data: ByteString, _ path: ByteString, argv: ArgBuffer, envp: ArgBuffer,
                 regs: UnsafeMutablePointer<PtRegs>, depth: Int) -> Int {
    if depth >= BINPRM_MAX_RECURSION { return Errno.ELOOP.negated }
    let buf = data.slice(0, BINPRM_BUF_SIZE)
    // The line ends at a newline; without one in the buffer, the
    // interpreter's name must end (in whitespace) within it (Linux 5.0+).
    var end = buf.firstIndex(of: 10) ?? buf.count
    var i = 2
    while i < end && isSpace(buf[i]) { i += 1 }
    let nameStart = i
    while i < end && !isSpace(buf[i]) && buf[i] != 0 { i += 1 }
    if buf.firstIndex(of: 10) == nil && i >= buf.count { return Errno.ENOEXEC.negated }
    let interp = buf.slice(nameStart, i)
    if interp.isEmpty { return Errno.ENOEXEC.negated }
    while i < end && isSpace(buf[i]) { i += 1 }
    while end > i && (isSpace(buf[end - 1]) || buf[end - 1] == 0) { end -= 1 }
    let arg = buf.slice(i, end)

    var newArgv = ArgBuffer()
    defer { newArgv.release() }
    guard newArgv.append(interp), arg.isEmpty || newArgv.append(arg), newArgv.append(path) else { return Errno.E2BIG.negated }
    var k = 0
    var ok = true
    argv.forEach { s in
        if k > 0 && !newArgv.append(s) { ok = false }
        k += 1
    }
    if !ok { return Errno.E2BIG.negated }
    var err = 0
    guard let file = open_exec(interp, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(file) } }
    return bprm_execve(file, path, argv: newArgv, envp: envp, regs: regs, depth: depth + 1)
}
