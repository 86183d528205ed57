// The terminal as a file. Linux: drivers/tty/tty_io.c.
//
// Three device numbers open the one terminal: /dev/ttyS0 (4:64) by name,
// /dev/tty (5:0) as "my controlling terminal" (ENXIO without one), and
// /dev/console (5:1), which never becomes a controlling terminal by being
// opened and which job control leaves alone (FileKind.console; Linux marks
// such files with redirected_tty_write). Init's fds 0-2 are /dev/console.
// tty->count counts the open files; the last close ends the session's hold.

import CShim

let TTY_MAJOR: UInt32 = 4, TTYAUX_MAJOR: UInt32 = 5

/// tty_hung_up_p(): was `f` hung up (opened before the last hangup)?
/// /dev/console files never are.
func tty_hung_up_p(_ f: File) -> Bool {
    guard f.kind == .tty, let tty = console_tty else { return false }
    return f.ttyHangups != tty.lock.withLock { tty.hangups }
}

func tty_wakeup_readers(_ tty: TtyStruct) {
    wake_up_all(tty.readWait)
    poll_wake_all()
}

func tty_wakeup_writers(_ tty: TtyStruct) {
    wake_up_all(tty.writeWait)
    poll_wake_all()
}

/// tty_open(), from dentry_open(): -ENXIO for /dev/tty without a
/// controlling terminal; a session leader's first terminal becomes its
/// controlling one unless O_NOCTTY (or /dev/console, or /dev/tty) says no.
func tty_open(_ f: File, _ rdev: UInt32, _ flags: UInt32) -> Int {
    guard let tty = console_tty else { return Errno.ENXIO.negated }
    let major = rdev >> 20, minor = rdev & 0xfffff
    if major == TTYAUX_MAJOR && minor == 0 && siglock.withLock({ current.signal.tty }) !== tty {
        return Errno.ENXIO.negated                              // tty_open_current_tty()
    }
    tty_add_file(tty, f)
    let noctty = flags & O_NOCTTY != 0 || major == TTYAUX_MAJOR
    if !noctty { tty_open_proc_set_tty(f, tty) }
    return 0
}

/// tty_add_file(): one more open file on the terminal.
func tty_add_file(_ tty: TtyStruct, _ f: File) {
    tty_kref_get(tty)
    f.ttyHangups = tty.lock.withLock { () -> UInt32 in
        tty.count += 1
        return tty.hangups
    }
}

/// tty_release(): the last close of the terminal leaves no session holding
/// it and forgets its window size, unread input and held output (Linux frees
/// the tty_struct then, after up to 30 s for held output to drain; the
/// line's termios survive, as the driver keeps them).
private func tty_release(_ f: File) {
    guard let tty = console_tty else { return }
    let last = tty.lock.withLock { () -> Bool in
        tty.count -= 1
        return tty.count == 0
    }
    if last {
        tty_release_session(tty)
        tty.lock.withLock {
            n_tty_flush_input(tty)
            tty_driver_flush_buffer(tty)
            tty.winsize = WinSize()
        }
    }
    tty_kref_put(tty)
}

private func tty_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let tty = console_tty, !tty_hung_up_p(f) else { return 0 }   // hung_up_tty_read()
    return n_tty_read(tty, f, buf, count)
}

private func tty_write(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let tty = console_tty, !tty_hung_up_p(f) else { return Errno.EIO.negated }
    return n_tty_write(tty, f, buf, count)
}

private func tty_poll(_ f: File) -> UInt32 {
    guard let tty = console_tty, !tty_hung_up_p(f) else {
        return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM
    }
    return n_tty_poll(tty, f)
}

private func tty_ioctl_file(_ f: File, _ cmd: UInt32, _ arg: UInt64) -> Int {
    guard let tty = console_tty else { return Errno.ENOTTY.negated }
    if tty_hung_up_p(f) { return cmd == TIOCSPGRP ? Errno.ENOTTY.negated : Errno.EIO.negated }
    return tty_ioctl(tty, f, cmd, arg)
}

let tty_fops = FileOperations(read: tty_read, write: tty_write, poll: tty_poll, ioctl: tty_ioctl_file,
                              release: tty_release)

/// tty_vhangup(): TIOCVHANGUP — hang the line up as if the modem had.
func tty_vhangup(_ tty: TtyStruct) { __tty_hangup(tty, exitSession: false) }
