// Delivering a signal to a user handler on x86-64, and coming back.
// Linux: arch/x86/kernel/signal.c, signal_64.c, uapi/asm/sigcontext.h.
//
// The frame is Linux's struct rt_sigframe, so a handler may read its
// siginfo and ucontext as on Linux:
//
//   frame+0    pretcode: the SA_RESTORER trampoline (calls rt_sigreturn)
//   frame+8    struct ucontext: uc_flags, uc_link, uc_stack (24 bytes),
//              uc_mcontext (struct sigcontext, 256 bytes), uc_sigmask
//   frame+312  struct siginfo (128 bytes)
//   ...        the FXSAVE image, 64-byte aligned, where sigcontext.fpstate points
//
// A system call the signal interrupted is restarted or fails with EINTR
// according to its -ERESTART* code and the handler's SA_RESTART.

import CShim

private let UC_OFF = 8
private let MCONTEXT_OFF = 8 + 8 + 8 + 24          // uc_flags, uc_link, uc_stack
private let SIGMASK_OFF = MCONTEXT_OFF + 256
private let INFO_OFF = 8 + 304
private let FRAME_SIZE = INFO_OFF + 128
private let FPSTATE_SIZE = 512

/// get_sigframe_size(): the most a signal frame takes on the stack (frame, FXSAVE
/// image, both alignments): AT_MINSIGSTKSZ, the least an alternate stack must hold.
func get_sigframe_size() -> Int { (FRAME_SIZE + 15 + 8 + FPSTATE_SIZE + 63 + 15) & ~15 }

let NR_restart_syscall_x86 = 219
let NR_restart_syscall_generic = 128

/// sigcontext_64, in field order.
private struct SigContext {
    var r8: UInt64 = 0, r9: UInt64 = 0, r10: UInt64 = 0, r11: UInt64 = 0
    var r12: UInt64 = 0, r13: UInt64 = 0, r14: UInt64 = 0, r15: UInt64 = 0
    var rdi: UInt64 = 0, rsi: UInt64 = 0, rbp: UInt64 = 0, rbx: UInt64 = 0
    var rdx: UInt64 = 0, rax: UInt64 = 0, rcx: UInt64 = 0, rsp: UInt64 = 0
    var rip: UInt64 = 0, eflags: UInt64 = 0
    var cs: UInt16 = 0, gs: UInt16 = 0, fs: UInt16 = 0, ss: UInt16 = 0
    var err: UInt64 = 0, trapno: UInt64 = 0, oldmask: UInt64 = 0, cr2: UInt64 = 0
    var fpstate: UInt64 = 0
    var reserved = InlineArray<8, UInt64>(repeating: 0)
}

/// The 128-byte user siginfo, filled from the kernel's KSigInfo
/// (copy_siginfo_to_user: signal frames, sigtimedwait).
func siginfoBytes(_ i: KSigInfo) -> InlineArray<16, UInt64> {
    var w = InlineArray<16, UInt64>(repeating: 0)
    w[0] = UInt64(UInt32(bitPattern: i.signo)) | UInt64(UInt32(bitPattern: i.errno)) << 32
    w[1] = UInt64(UInt32(bitPattern: i.code))
    if i.isFault {
        w[2] = i.addr
    } else {
        w[2] = UInt64(UInt32(bitPattern: i.pid)) | UInt64(i.uid) << 32
        if i.isChld {
            w[3] = UInt64(UInt32(bitPattern: i.status))
            w[4] = UInt64(bitPattern: i.utime)
            w[5] = UInt64(bitPattern: i.stime)
        } else {
            w[3] = i.value
        }
    }
    return w
}

/// What a system call's -ERESTART* result becomes.
private func syscall_restart_fixup(_ regs: UnsafeMutablePointer<PtRegs>, handler: KSigAction?) {
    guard regs.pointee.vector == SYSCALL_VECTOR || regs.pointee.vector == UInt64(IA32_SYSCALL_VECTOR) else { return }
    let ret = Int64(bitPattern: regs.pointee.rax)
    let restart: Bool
    switch Int(-ret) {
    case Errno.ERESTARTNOHAND.rawValue: restart = handler == nil
    case Errno.ERESTARTSYS.rawValue: restart = handler.map { $0.flags & SA_RESTART != 0 } ?? true
    case Errno.ERESTARTNOINTR.rawValue: restart = true
    case Errno.ERESTART_RESTARTBLOCK.rawValue:
        if handler == nil {
            // restart_syscall() continues the interrupted sleep.
            regs.pointee.rax = UInt64(regs.pointee.vector == SYSCALL_VECTOR ? NR_restart_syscall_x86 : NR_restart_syscall_generic)
            regs.pointee.rip -= 2
            return
        }
        restart = false
    default: return
    }
    if restart {
        regs.pointee.rax = regs.pointee.orig_rax
        regs.pointee.rip -= 2          // both `syscall` and `int $0x80` are two bytes
    } else {
        regs.pointee.rax = UInt64(bitPattern: Int64(Errno.EINTR.negated))
    }
    // Only once: a second signal must not fix the same call up again.
    regs.pointee.vector = 0
}

/// arch_do_signal_or_restart(): deliver one signal to its handler, or
/// restart the interrupted call when no handler runs.
func arch_do_signal_or_restart(_ regs: UnsafeMutablePointer<PtRegs>) {
    var ksig = KSignal()
    if get_signal(&ksig) {
        syscall_restart_fixup(regs, handler: ksig.action)
        handle_signal(&ksig, regs)
        return
    }
    syscall_restart_fixup(regs, handler: nil)
    restore_saved_sigmask()
}

/// handle_signal(): build the frame; the handler runs with its mask.
private func handle_signal(_ ksig: inout KSignal, _ regs: UnsafeMutablePointer<PtRegs>) {
    let t = current
    if !setup_rt_frame(ksig, regs) {
        // The user stack is unusable: Linux kills with SIGSEGV.
        force_sig_fault(SIGSEGV, address: regs.pointee.rsp)
        return
    }
    var mask = t.blocked
    mask.bits |= ksig.action.mask.bits
    if ksig.action.flags & SA_NODEFER == 0 { mask.insert(ksig.sig) }
    set_current_blocked(mask)
    t.savedSigmask = nil       // it is in the frame now: sigreturn restores it
}

private func setup_rt_frame(_ ksig: KSignal, _ regs: UnsafeMutablePointer<PtRegs>) -> Bool {
    let t = current
    let r = regs.pointee
    // Below the red zone, FPU image first, then the frame, aligned so that
    // the handler starts as if called (rsp + 8 is 16-byte aligned).
    var sp = r.rsp &- 128
    // get_sigframe(): SA_ONSTACK moves to the alternate stack unless the
    // thread is already on it; a frame that would run off the bottom of the
    // alternate stack it is on fails (and the thread dies of SIGSEGV).
    let nested = on_sig_stack(t, r.rsp)
    if ksig.action.flags & SA_ONSTACK != 0 && sas_ss_flags(t, sp) == 0 {
        sp = t.sasSsSp &+ t.sasSsSize
    }
    let fpAddr = (sp &- UInt64(FPSTATE_SIZE)) & ~63
    sp = ((fpAddr &- UInt64(FRAME_SIZE)) & ~15) &- 8
    guard sp < TASK_SIZE, sp > 4096 else { return false }
    if nested && !on_sig_stack(t, sp) { return false }

    // The FPU registers are still the user's: the kernel never touches them.
    var fxbuf = InlineArray<528, UInt8>(repeating: 0)
    let ok = withUnsafeMutableBytes(of: &fxbuf) { raw -> Bool in
        let aligned = (UInt64(UInt(bitPattern: raw.baseAddress.unsafelyUnwrapped)) + 15) & ~15
        fxsave(aligned)
        return copy_to_user(fpAddr, UnsafeRawPointer(bitPattern: UInt(aligned))!, FPSTATE_SIZE)
    }
    guard ok else { return false }

    var sc = SigContext()
    sc.r8 = r.r8; sc.r9 = r.r9; sc.r10 = r.r10; sc.r11 = r.r11
    sc.r12 = r.r12; sc.r13 = r.r13; sc.r14 = r.r14; sc.r15 = r.r15
    sc.rdi = r.rdi; sc.rsi = r.rsi; sc.rbp = r.rbp; sc.rbx = r.rbx
    sc.rdx = r.rdx; sc.rax = r.rax; sc.rcx = r.rcx; sc.rsp = r.rsp
    sc.rip = r.rip; sc.eflags = r.rflags
    sc.cs = UInt16(truncatingIfNeeded: r.cs); sc.ss = UInt16(truncatingIfNeeded: r.ss)
    sc.trapno = ksig.info.isFault ? 14 : 0
    sc.oldmask = (t.savedSigmask ?? t.blocked).bits
    sc.cr2 = ksig.info.isFault ? ksig.info.addr : 0
    sc.fpstate = fpAddr

    var head = InlineArray<6, UInt64>(repeating: 0)     // pretcode, uc_flags, uc_link, uc_stack
    head[0] = ksig.action.flags & SA_RESTORER != 0 ? ksig.action.restorer : 0
    head[1] = 0x2          // UC_FP_XSTATE is not claimed; UC_SIGCONTEXT_SS
    // uc_stack: __save_altstack(), the stack as the interrupted code had it.
    head[3] = t.sasSsSp
    head[4] = UInt64(t.sasSsFlags)
    head[5] = t.sasSsSize
    let mask = (t.savedSigmask ?? t.blocked).bits     // sigmask_to_save()
    guard copy_to_user(sp, from: head),
          copy_to_user(sp + UInt64(MCONTEXT_OFF), from: sc),
          put_user(mask, sp + UInt64(SIGMASK_OFF)),
          copy_to_user(sp + UInt64(INFO_OFF), from: siginfoBytes(ksig.info)) else {
        return false
    }
    if t.sasSsFlags & SS_AUTODISARM != 0 { sas_ss_reset(t) }    // signal_delivered()
    regs.pointee.rdi = UInt64(ksig.sig)
    regs.pointee.rsi = sp + UInt64(INFO_OFF)
    regs.pointee.rdx = sp + UInt64(UC_OFF)
    regs.pointee.rax = 0
    regs.pointee.rsp = sp
    regs.pointee.rip = ksig.action.handler
    regs.pointee.rflags &= ~((1 << 8) | (1 << 10) | (1 << 16))    // TF, DF, RF
    regs.pointee.cs = UInt64(__USER_CS)
    regs.pointee.ss = UInt64(__USER_DS)
    return true
}

/// rt_sigreturn(): back from the handler: registers, mask and FPU state as
/// the frame holds them (the handler may have changed them on purpose).
func sys_rt_sigreturn(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let frame = regs.pointee.rsp &- 8          // the handler's `ret` popped pretcode
    var sc = SigContext()
    var mask: UInt64 = 0
    guard copy_from_user(&sc, frame + UInt64(MCONTEXT_OFF)), copy_from_user(&mask, frame + UInt64(SIGMASK_OFF)) else {
        force_sig_fault(SIGSEGV, address: frame)
        return 0
    }
    set_current_blocked(SigSet(bits: mask))
    // restore_altstack(): the stack as uc_stack says, errors but EFAULT
    // ignored, judged from the handler's stack pointer (Linux restores the
    // altstack before the registers).
    var ss = StackT()
    guard copy_from_user(&ss, frame + UInt64(UC_OFF + 16)) else {
        force_sig_fault(SIGSEGV, address: frame)
        return 0
    }
    _ = do_sigaltstack(ss, old: nil, sp: regs.pointee.rsp)
    var r = regs.pointee
    r.r8 = sc.r8; r.r9 = sc.r9; r.r10 = sc.r10; r.r11 = sc.r11
    r.r12 = sc.r12; r.r13 = sc.r13; r.r14 = sc.r14; r.r15 = sc.r15
    r.rdi = sc.rdi; r.rsi = sc.rsi; r.rbp = sc.rbp; r.rbx = sc.rbx
    r.rdx = sc.rdx; r.rax = sc.rax; r.rcx = sc.rcx; r.rsp = sc.rsp
    r.rip = sc.rip
    // Only the flags user code may change (Linux's FIX_EFLAGS).
    let userFlags: UInt64 = 0x4_0DD5
    r.rflags = (r.rflags & ~userFlags) | (sc.eflags & userFlags)
    r.cs = UInt64(__USER_CS)
    r.ss = UInt64(__USER_DS)
    r.vector = 0                      // not a system call any more: no restart
    regs.pointee = r
    if sc.fpstate != 0 {
        var fxbuf = InlineArray<528, UInt8>(repeating: 0)
        withUnsafeMutableBytes(of: &fxbuf) { raw in
            let aligned = (UInt64(UInt(bitPattern: raw.baseAddress.unsafelyUnwrapped)) + 15) & ~15
            if copy_from_user(UnsafeMutableRawPointer(bitPattern: UInt(aligned))!, sc.fpstate, FPSTATE_SIZE) {
                // MXCSR reserved bits would fault in fxrstor: clear them.
                poke32(aligned + 24, peek32(aligned + 24) & 0xffff)
                fxrstor(aligned)
            }
        }
    }
    return Int(bitPattern: UInt(r.rax))
}

/// restart_syscall(): finish an interrupted nanosleep.
func sys_restart_syscall(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let t = current
    guard t.restartDeadline != 0 else { return Errno.EINTR.negated }
    let deadline = t.restartDeadline
    t.restartDeadline = 0
    return nanosleep_until(deadline, remAddr: t.restartRemAddr)
}
