// pidfds: a file descriptor that names a process (or, with PIDFD_THREAD, a
// thread). Linux: fs/pidfs.c (the file and its poll), kernel/pid.c
// (pidfd_open, pidfd_get_pid), kernel/signal.c (pidfd_send_signal),
// kernel/exit.c (waitid's P_PIDFD), kernel/fork.c (CLONE_PIDFD).
//
// A pidfd holds its pid number (get_pid()), so that the number is not given
// to another process while the descriptor is open. Linux holds struct pid,
// whose number may be reused while the old struct stays behind, dead; either
// way a pidfd never comes to name a newer process: once its own is reaped,
// every lookup by it finds nothing (ESRCH, ECHILD).
//
// What poll says, the exit path's part (do_notify_pidfd() wakes pollers):
//   - nothing while the process runs, and nothing while its leader has
//     exited but threads remain (delay_group_leader: the process is alive);
//   - POLLIN | POLLRDNORM once the process (the thread, for a thread's pidfd)
//     has exited: a zombie waiting for its parent;
//   - POLLHUP as well once it has been reaped: the task is gone.

import Synchronization

/// pidfd_open()'s and CLONE_PIDFD's flags, kept in the file's f_flags.
let PIDFD_NONBLOCK: UInt32 = O_NONBLOCK
let PIDFD_THREAD: UInt32 = O_EXCL

/// Open pidfds (leakcheck's `pidfds`).
let nr_pidfds = Atomic<Int>(0)

let pidfs_file_operations = FileOperations(poll: pidfd_poll, release: pidfs_release)

/// pidfd_prepare(): a pidfd file for the task with number `nr`, or an error:
/// ESRCH if it is gone, ENOENT for a thread that leads no group unless
/// PIDFD_THREAD asks for a thread's pidfd. Called with tasklist_lock held,
/// so the task cannot be released between the check and get_pid().
func pidfd_prepare(_ nr: Int32, flags: UInt32, _ error: inout Errno) -> File? {
    lockdep_assert_held(tasklistLock)
    guard let t = find_task_by_vpid(nr) else { error = .ESRCH; return nil }
    if flags & PIDFD_THREAD == 0 && !t.isGroupLeader { error = .ENOENT; return nil }
    return __pidfd_prepare(nr, flags: flags)
}

/// __pidfd_prepare(): the pidfd file, without the checks — for CLONE_PIDFD,
/// whose child is not findable yet.
func __pidfd_prepare(_ nr: Int32, flags: UInt32) -> File {
    get_pid(nr)
    let f = File(kind: .pidfd, flags: O_RDWR | flags & (PIDFD_NONBLOCK | PIDFD_THREAD))
    f.pidNr = nr
    nr_pidfds.wrappingAdd(1, ordering: .relaxed)
    return f
}

/// The file's release: the number may be reused now.
private func pidfs_release(_ f: File) {
    put_pid(f.pidNr)
    nr_pidfds.wrappingSubtract(1, ordering: .relaxed)
}

/// pidfd_pid(): the number a pidfd names, or nil for any other file.
func pidfd_pid(_ f: File) -> Int32? { f.kind == .pidfd ? f.pidNr : nil }

/// pidfd_poll(): see the top of this file.
private func pidfd_poll(_ f: File) -> UInt32 {
    tasklistLock.withLock {
        guard let task = find_task_by_vpid(f.pidNr) else { return POLLIN | POLLRDNORM | POLLHUP }
        if task.exitState != .none && !delay_group_leader(task) { return POLLIN | POLLRDNORM }
        return 0
    }
}

/// do_notify_pidfd(): pollers of `task`'s pidfds look again. (Our poll has
/// one wait queue for every file, so this wakes all pollers.)
func do_notify_pidfd(_ task: Task) {
    if nr_pidfds.load(ordering: .relaxed) != 0 { poll_wake_all() }
}

/// pidfd_open(pid, flags).
func sys_pidfd_open(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0)
    let flags = UInt32(truncatingIfNeeded: regs.arg1)
    if flags & ~(PIDFD_NONBLOCK | PIDFD_THREAD) != 0 { return Errno.EINVAL.negated }
    if pid <= 0 { return Errno.EINVAL.negated }
    var error = Errno.ESRCH
    guard let f = tasklistLock.withLock({ pidfd_prepare(pid, flags: flags, &error) }) else { return error.negated }
    let fd = install_new_fd(f, cloexec: true)
    if fd < 0 { fput(f) }
    return fd
}

/// pidfd_get_pid(): the number named by descriptor `fd` and the file's
/// flags, for waitid(P_PIDFD); EBADF for a descriptor that is not a pidfd.
func pidfd_get_pid(_ fd: UInt64, _ error: inout Errno) -> (nr: Int32, flags: UInt32)? {
    guard let f = fget(fd) else { error = .EBADF; return nil }
    defer { fput(f) }
    guard let nr = pidfd_pid(f) else { error = .EBADF; return nil }
    return (nr, f.flags)
}
