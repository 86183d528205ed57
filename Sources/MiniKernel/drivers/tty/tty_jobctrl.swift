// Job control and the controlling terminal. Linux: drivers/tty/tty_jobctrl.c.
//
// A session has at most one controlling terminal, and a terminal belongs to
// at most one session (tty->session; every process of the session points at
// it through signal->tty, which fork copies). The terminal's foreground
// process group (tty->pgrp) is the one that reads it, and the one that ^C,
// ^\ and ^Z signal. A process of another group of the session that reads
// the terminal is stopped with SIGTTIN, and one that writes it with TOSTOP
// set, or changes its settings, with SIGTTOU (__tty_check_change) — unless
// it ignores or blocks the signal (a read then fails with EIO, a write goes
// through) or its group is orphaned, with nobody left to continue it (EIO).
// /dev/console bypasses all of this: it is never a controlling terminal by
// opening, and reads and writes through it never stop.
//
// The session ends its hold on the terminal in disassociate_ctty(), which
// do_exit() calls when the session leader's last thread exits (and
// TIOCNOTTY, with on_exit = 0):
//  - on exit, for a terminal that is not a pseudo-terminal (ours, the serial
//    line), the session is hung up (tty_vhangup_session): its files on the
//    terminal read end-of-file and fail writes with EIO from then on, every
//    process of the session loses its controlling terminal, and the
//    foreground group gets SIGHUP (and the session leader SIGHUP and SIGCONT,
//    which matter only when it is not the one exiting);
//  - on TIOCNOTTY the foreground group gets SIGHUP then SIGCONT and the
//    session loses the terminal, without a hangup;
//  - a leader whose terminal was already hung up sends SIGHUP and SIGCONT,
//    at its exit, to the foreground group it had then (tty_old_pgrp).
// Linux before 3.19 hung up the whole terminal (tty_vhangup) on exit rather
// than the session; before 2.6.36 the SIGHUP on exit came from
// disassociate_ctty() itself.

import CShim

/// is_ignored(): the caller blocks `sig` or ignores it.
private func is_ignored(_ sig: Int32) -> Bool {
    let me = current
    return me.blocked.contains(sig) || me.sighand.actionFor(sig).handler == SIG_IGN
}

/// __tty_check_change(): may the caller use its controlling terminal
/// `tty`? 0, or -ERESTARTSYS after stopping its group with `sig`, or -EIO.
func __tty_check_change(_ tty: TtyStruct, _ sig: Int32) -> Int {
    let me = current
    guard me.signal.tty === tty else { return 0 }
    let pgrp = me.signal.pgrp
    let ttyPgrp = tty.lock.withLock { tty.pgrp }
    guard ttyPgrp != 0 && pgrp != ttyPgrp else { return 0 }
    if is_ignored(sig) { return sig == SIGTTIN ? Errno.EIO.negated : 0 }
    if is_current_pgrp_orphaned() { return Errno.EIO.negated }
    kill_pgrp(pgrp, sig, priv: true)
    return Errno.ERESTARTSYS.negated
}

/// tty_check_change(): for writes under TOSTOP and for changing settings.
func tty_check_change(_ tty: TtyStruct) -> Int { __tty_check_change(tty, SIGTTOU) }

/// tty_get_pgrp(): the foreground group, with a reference (0: none).
private func tty_get_pgrp(_ tty: TtyStruct) -> Int32 {
    let pgrp = tty.lock.withLock { tty.pgrp }
    get_pid(pgrp)
    return pgrp
}

/// The terminal controls no session and has no foreground group any more;
/// their pid references go (the ctrl.session/ctrl.pgrp puts).
private func tty_clear_ctrl(_ tty: TtyStruct) {
    let old = tty.lock.withLock { () -> (Int32, Int32) in
        let o = (tty.session, tty.pgrp)
        tty.session = 0
        tty.pgrp = 0
        return o
    }
    put_pid(old.0)
    put_pid(old.1)
}

/// The caller's tty_old_pgrp, taken (with its reference) and cleared.
private func take_tty_old_pgrp(_ sig: SignalStruct) -> Int32 {
    siglock.withLock { () -> Int32 in
        let o = sig.ttyOldPgrp
        sig.ttyOldPgrp = 0
        return o
    }
}

/// proc_clear_tty(): `p`'s process no longer has a controlling terminal.
func proc_clear_tty(_ p: Task) {
    let tty = siglock.withLock { () -> TtyStruct? in
        let t = p.signal.tty
        p.signal.tty = nil
        return t
    }
    tty_kref_put(tty)
}

/// session_clear_tty(): nobody in `session` keeps a controlling terminal.
/// Preconditions: tasklist_lock.
private func session_clear_tty(_ session: Int32) {
    guard session != 0 else { return }
    for p in for_each_process() where p.signal.session == session && p.signal.threadHead != nil { proc_clear_tty(p) }
}

/// __proc_set_tty(): `tty` becomes the caller's session's terminal, its
/// group the foreground one. Preconditions: tasklist_lock and siglock.
private func __proc_set_tty(_ tty: TtyStruct) {
    let me = current
    get_pid(me.signal.session)
    get_pid(me.signal.pgrp)
    let old = tty.lock.withLock { () -> (Int32, Int32) in
        let o = (tty.session, tty.pgrp)
        tty.session = me.signal.session
        tty.pgrp = me.signal.pgrp
        return o
    }
    put_pid(old.0)
    put_pid(old.1)
    tty_kref_put(me.signal.tty)
    put_pid(me.signal.ttyOldPgrp)
    tty_kref_get(tty)
    me.signal.tty = tty
    me.signal.ttyOldPgrp = 0
}

/// tty_open_proc_set_tty(): a session leader without a terminal that opens
/// one nobody controls (for reading, and without O_NOCTTY) acquires it.
func tty_open_proc_set_tty(_ f: File, _ tty: TtyStruct) {
    tasklistLock.withLock {
        siglock.withLock {
            let sig = current.signal
            if sig.leader && sig.tty == nil && tty.lock.withLock({ tty.session == 0 }) && f.readable {
                __proc_set_tty(tty)
            }
        }
    }
}

/// tty_signal_session_leader(): at a hangup every process of the session
/// loses the terminal, its leader gets SIGHUP and SIGCONT and remembers the
/// foreground group, and (a session ending) that group gets SIGHUP.
/// Returns how many signal->tty references were dropped.
private func tty_signal_session_leader(_ tty: TtyStruct, exitSession: Bool) -> Int {
    var refs = 0
    var fgPgrp: Int32 = 0
    tasklistLock.withLock {
        let session = tty.lock.withLock { tty.session }
        guard session != 0 else { return }
        for p in for_each_process() where p.signal.session == session && p.signal.threadHead != nil {
            siglock.withLock {
                if p.signal.tty === tty { p.signal.tty = nil; refs += 1 }
                guard p.signal.leader else { return }
                send_signal_locked(SIGHUP, info_kernel(SIGHUP), to: p, group: true)
                send_signal_locked(SIGCONT, info_kernel(SIGCONT), to: p, group: true)
                let pgrp = tty.lock.withLock { tty.pgrp }
                put_pid(p.signal.ttyOldPgrp)
                get_pid(pgrp)
                p.signal.ttyOldPgrp = pgrp
                if fgPgrp == 0 { fgPgrp = pgrp; get_pid(pgrp) }
            }
        }
    }
    if fgPgrp != 0 {
        if exitSession { kill_pgrp(fgPgrp, SIGHUP, priv: true) }
        put_pid(fgPgrp)
    }
    return refs
}

/// __tty_hangup(): the line is gone. Every file opened on the terminal
/// (except through /dev/console) is hung up: reads see end of file, writes
/// and most ioctls EIO. The session loses the terminal (above), the typed-
/// ahead input is dropped, and sleepers wake to see it.
func __tty_hangup(_ tty: TtyStruct, exitSession: Bool) {
    tty.lock.withLock { tty.hangups &+= 1 }
    let refs = tty_signal_session_leader(tty, exitSession: exitSession)
    for _ in 0..<refs { tty_kref_put(tty) }
    tty.lock.withLock {
        n_tty_flush_input(tty)                       // tty_ldisc_hangup()
        tty_driver_flush_buffer(tty)
        tty.ldata.column = 0
        tty.stopped = false
        tty.tcoStopped = false
    }
    tty_clear_ctrl(tty)
    tty_wakeup_readers(tty)
    tty_wakeup_writers(tty)
}

/// disassociate_ctty(): the session leader gives up its terminal — at its
/// exit (`onExit`, do_exit() for a dead group) or by TIOCNOTTY. The rules
/// are at the top of this file.
func disassociate_ctty(_ onExit: Bool) {
    let me = current
    guard me.signal.leader else { return }
    let tty = siglock.withLock { () -> TtyStruct? in    // get_current_tty()
        if let t = me.signal.tty { tty_kref_get(t); return t }
        return nil
    }
    if let tty {
        if onExit {
            trace_disassociate_ctty(me, hangup: true, pgrp: tty.lock.withLock { tty.pgrp })
            __tty_hangup(tty, exitSession: true)     // tty_vhangup_session(): not a pty
        } else {
            let pgrp = tty_get_pgrp(tty)
            trace_disassociate_ctty(me, hangup: false, pgrp: pgrp)
            if pgrp != 0 {
                kill_pgrp(pgrp, SIGHUP, priv: false)
                kill_pgrp(pgrp, SIGCONT, priv: false)
                put_pid(pgrp)
            }
        }
        tty_kref_put(tty)
    } else if onExit {
        let old = take_tty_old_pgrp(me.signal)
        if old != 0 {
            trace_disassociate_ctty(me, hangup: false, pgrp: old)
            kill_pgrp(old, SIGHUP, priv: true)
            kill_pgrp(old, SIGCONT, priv: true)
            put_pid(old)
        }
        return
    }
    put_pid(take_tty_old_pgrp(me.signal))
    if let t = siglock.withLock({ me.signal.tty }) { tty_clear_ctrl(t) }
    tasklistLock.withLock { session_clear_tty(me.signal.session) }
}

/// no_tty(): TIOCNOTTY — the caller gives up its controlling terminal.
private func no_tty() {
    disassociate_ctty(false)
    proc_clear_tty(current)
}

/// The terminal has no session any more (its last file closed).
func tty_release_session(_ tty: TtyStruct) {
    let session = tty.lock.withLock { tty.session }
    tasklistLock.withLock { session_clear_tty(session) }
    tty_clear_ctrl(tty)
}

// MARK: - ioctls

/// TIOCSCTTY: a session leader without a terminal takes `tty`; `steal` (as
/// root, which everyone is here) takes it from another session.
private func tiocsctty(_ tty: TtyStruct, _ f: File, _ steal: UInt64) -> Int {
    tasklistLock.withLock { () -> Int in
        let sig = current.signal
        let session = tty.lock.withLock { tty.session }
        if sig.leader && sig.session == session { return 0 }
        if !sig.leader || sig.tty != nil { return Errno.EPERM.negated }
        if session != 0 {
            guard steal == 1 else { return Errno.EPERM.negated }
            session_clear_tty(session)
        }
        siglock.withLock { __proc_set_tty(tty) }
        return 0
    }
}

/// session_of_pgrp(): the session of group `nr` — or of process `nr`.
/// Preconditions: tasklist_lock.
private func session_of_pgrp(_ nr: Int32) -> Int32? {
    for p in for_each_process() where p.signal.pgrp == nr { return p.signal.session }
    return find_task_by_vpid(nr)?.signal.session
}

/// TIOCSPGRP: a group of the caller's session becomes the foreground one.
private func tiocspgrp(_ tty: TtyStruct, _ arg: UInt64) -> Int {
    let r = tty_check_change(tty)
    if r == Errno.EIO.negated { return Errno.ENOTTY.negated }
    if r != 0 { return r }
    guard let nr = (get_user(arg) as Int32?) else { return Errno.EFAULT.negated }
    if nr < 0 { return Errno.EINVAL.negated }
    return tasklistLock.withLock { () -> Int in
        let sig = current.signal
        guard sig.tty === tty, tty.lock.withLock({ tty.session }) == sig.session else { return Errno.ENOTTY.negated }
        guard let session = session_of_pgrp(nr) else { return Errno.ESRCH.negated }
        guard session == sig.session else { return Errno.EPERM.negated }
        get_pid(nr)
        let old = tty.lock.withLock { () -> Int32 in
            let o = tty.pgrp
            tty.pgrp = nr
            return o
        }
        put_pid(old)
        return 0
    }
}

let TIOCSCTTY: UInt32 = 0x540e, TIOCGPGRP: UInt32 = 0x540f, TIOCSPGRP: UInt32 = 0x5410
let TIOCNOTTY: UInt32 = 0x5422, TIOCGSID: UInt32 = 0x5429

/// tty_jobctrl_ioctl(): the session and process-group requests; nil for others.
func tty_jobctrl_ioctl(_ tty: TtyStruct, _ f: File, _ cmd: UInt32, _ arg: UInt64) -> Int? {
    let me = current
    switch cmd {
    case TIOCNOTTY:
        guard me.signal.tty === tty else { return Errno.ENOTTY.negated }
        no_tty()
        return 0
    case TIOCSCTTY:
        return tiocsctty(tty, f, arg)
    case TIOCGPGRP:
        guard me.signal.tty === tty else { return Errno.ENOTTY.negated }
        return put_user(tty.lock.withLock { tty.pgrp }, arg) ? 0 : Errno.EFAULT.negated
    case TIOCSPGRP:
        return tiocspgrp(tty, arg)
    case TIOCGSID:
        guard me.signal.tty === tty else { return Errno.ENOTTY.negated }
        let sid = tty.lock.withLock { tty.session }
        guard sid != 0 else { return Errno.ENOTTY.negated }
        return put_user(sid, arg) ? 0 : Errno.EFAULT.negated
    default:
        return nil
    }
}
