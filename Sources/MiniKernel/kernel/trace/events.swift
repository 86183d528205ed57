// Lifecycle trace events, printed in the format of Linux's ftrace events
// (include/trace/events/sched.h) when the command line says trace=exit or
// trace=all. Off by default; then each hook is one test of a global.

import CShim

var traceExit = false

private func tracePrefix(_ t: Task) -> LineBuffer {
    var b = LineBuffer()
    b.append("trace: ")
    var n = 0
    while n < 16 && t.comm[n] != 0 { b.append(t.comm[n]); n += 1 }
    b.append("-")
    b.appendDecimal(t.pid)
    b.append(" [")
    b.appendDecimal(smp_processor_id(), width: 3, zeroPad: true)
    b.append("]")
    return b
}

func trace_sched_process_fork(_ parent: Task, _ child: Task) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(parent)) sched_process_fork: comm=\(comm: parent.comm) pid=\(parent.pid) child_comm=\(comm: child.comm) child_pid=\(child.pid)")
}

func trace_sched_process_exec(_ t: Task) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) sched_process_exec: filename=\(comm: t.comm) pid=\(t.pid)")
}

func trace_sched_process_exit(_ t: Task, groupDead: Bool) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) sched_process_exit: comm=\(comm: t.comm) pid=\(t.pid) prio=120 group_dead=\(groupDead)")
}

func trace_sched_process_wait(_ child: Task) {
    guard traceExit else { return }
    let me = current
    printk_always("\(tracePrefix(me)) sched_process_wait: comm=\(comm: child.comm) pid=\(child.pid) prio=120")
}

func trace_sched_process_free(_ t: Task) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(current)) sched_process_free: comm=\(comm: t.comm) pid=\(t.pid) prio=120")
}

func trace_reparent(_ child: Task, from: Task, to: Task) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(from)) reparent: pid=\(child.pid) from=\(from.pid) to=\(to.pid)")
}

/// One line per do_exit() step: the task's state, exit_state and flags.
func trace_do_exit_step(_ t: Task, _ step: StaticString) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) do_exit: \(step) state=\(hex: t.state.rawValue, width: 4) exit_state=\(exitStateName(t.exitState)) flags=\(hex: t.flags.rawValue, width: 8)\(t.flags.contains(.exiting) ? " PF_EXITING" : "")")
}

/// exit_itimers() and the real timer's cancel: shown only when the dying
/// group had a timer armed or created.
func trace_exit_itimers(_ t: Task, realArmed: Bool, posixTimers: Int) {
    guard traceExit, realArmed || posixTimers > 0 else { return }
    printk_always("\(tracePrefix(t)) do_exit: exit_itimers real_timer=\(realArmed ? 1 : 0) posix_timers=\(posixTimers)")
}

/// exit_robust_list(): shown only when the thread died holding robust locks.
func trace_exit_robust_list(_ t: Task, released: Int) {
    guard traceExit, released > 0 else { return }
    printk_always("\(tracePrefix(t)) do_exit: exit_robust_list released=\(released)")
}

/// vfs_coredump(): a core file was written, and how long it is.
func trace_coredump(_ t: Task, bytes: Int) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) vfs_coredump: core bytes=\(bytes)")
}

/// exit_sem(): shown only when the task's exit gave back SEM_UNDO adjustments.
func trace_exit_sem(_ t: Task, arrays: Int) {
    guard traceExit, arrays > 0 else { return }
    printk_always("\(tracePrefix(t)) do_exit: exit_sem undone_arrays=\(arrays)")
}

/// exit_files(): how many files the task's put_files_struct() closed (0 when the table is still shared).
func trace_exit_files(_ t: Task, closed: Int) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) do_exit: exit_files closed=\(closed)")
}

/// disassociate_ctty(): a session leader lets go of its terminal — by a
/// hangup of its session (at exit) or by SIGHUP to the foreground group.
func trace_disassociate_ctty(_ t: Task, hangup: Bool, pgrp: @autoclosure () -> Int32) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) disassociate_ctty: \(hangup ? "tty_vhangup_session" : "kill_pgrp") sid=\(t.signal.session) fg_pgrp=\(pgrp())")
}

/// kill_orphaned_pgrp(): a group with stopped members lost its last link to
/// its session's job control, and is sent SIGHUP and SIGCONT.
func trace_kill_orphaned_pgrp(_ t: Task, pgrp: Int32) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(t)) kill_orphaned_pgrp: pgrp=\(pgrp) SIGHUP SIGCONT")
}

func exitStateName(_ s: ExitState) -> StaticString {
    switch s {
    case .none: return "0"
    case .zombie: return "EXIT_ZOMBIE"
    case .dead: return "EXIT_DEAD"
    }
}

func trace_signal_generate(_ sig: Int32, _ t: Task, group: Bool) {
    guard traceExit else { return }
    printk_always("\(tracePrefix(current)) signal_generate: sig=\(sig) errno=0 code=0 comm=\(comm: t.comm) pid=\(t.pid) grp=\(group ? 1 : 0) res=0")
}

func trace_signal_deliver(_ sig: Int32, _ t: Task) {
    guard traceExit else { return }
    let act = t.sighand.actionFor(sig)
    printk_always("\(tracePrefix(t)) signal_deliver: sig=\(sig) errno=0 code=0 sa_handler=\(hex: act.handler, width: 1) sa_flags=\(hex: act.flags, width: 1)")
}
