// ioctl() on the terminal. Linux: drivers/tty/tty_io.c (tty_ioctl),
// drivers/tty/tty_ioctl.c (termios), drivers/tty/serial/serial_core.c
// (TIOCGSERIAL).
//
// Changing the settings (TCSETS*, TCFLSH, TCXONC, TIOCSPGRP, TCSBRK) is
// "using" the terminal: a background group is stopped with SIGTTOU first
// (tty_check_change). Output is written synchronously unless ^S or TCOOFF
// holds it, so the "wait until sent" of TCSETSW, TCSETSF and TCSBRK waits
// only for held output.

import CShim

let TCGETS: UInt32 = 0x5401, TCSETS: UInt32 = 0x5402, TCSETSW: UInt32 = 0x5403, TCSETSF: UInt32 = 0x5404
let TCGETS2: UInt32 = 0x802c_542a, TCSETS2: UInt32 = 0x402c_542b, TCSETSW2: UInt32 = 0x402c_542c
let TCSETSF2: UInt32 = 0x402c_542d
let TCSBRK: UInt32 = 0x5409, TCXONC: UInt32 = 0x540a, TCFLSH: UInt32 = 0x540b
let TIOCOUTQ: UInt32 = 0x5411, TIOCGWINSZ: UInt32 = 0x5413, TIOCSWINSZ: UInt32 = 0x5414
let TIOCGSERIAL: UInt32 = 0x541e, TIOCGETD: UInt32 = 0x5424, TIOCSETD: UInt32 = 0x5423
let TCSBRKP: UInt32 = 0x5425, TIOCVHANGUP: UInt32 = 0x5437

/// tty_termios_baud_rate(): the speed a Bnnn code in c_cflag stands for.
private func baud_rate(_ code: UInt32) -> UInt32 {
    let low: InlineArray<16, UInt32> = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
                                        19200, 38400]
    let high: InlineArray<15, UInt32> = [0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000,
                                         1152000, 1500000, 2000000, 2500000, 3000000, 3500000]
    if code & 0o10000 == 0 { return low[Int(code & 0o17)] }
    let i = Int(code & 0o17)
    return i < 15 ? high[i] : 4000000
}

/// set_termios(): TCSETS and friends. TCSETSF also drops typed-ahead input.
private func set_termios(_ tty: TtyStruct, _ arg: UInt64, flush: Bool, wait: Bool, v2: Bool) -> Int {
    let r = tty_check_change(tty)
    if r != 0 { return r }
    var t = tty.lock.withLock { tty.termios }
    // struct termios is struct termios2 without the two speeds.
    let ok = withUnsafeMutableBytes(of: &t) { copy_from_user($0.baseAddress.unsafelyUnwrapped, arg, v2 ? 44 : 36) }
    guard ok else { return Errno.EFAULT.negated }
    if !v2 || t.cflag & CBAUD != 0o10000 {                  // not BOTHER: the speed is the code's
        t.ospeed = baud_rate(t.cflag & CBAUD)
        let ibaud = (t.cflag >> 16) & CBAUD
        t.ispeed = ibaud == 0 ? t.ospeed : baud_rate(ibaud)
    }
    if wait && !tty_wait_until_sent(tty) { return Errno.ERESTARTSYS.negated }
    tty.lock.withLock {
        if flush { n_tty_flush_input(tty) }
        let old = tty.termios
        tty.termios = t
        n_tty_set_termios(tty, old: old)
    }
    tty_wakeup_readers(tty)        // VMIN, VTIME or ICANON may have made input readable
    return 0
}

/// struct serial_struct, as uart_get_info() fills it for the 16550A on COM1:
/// busybox's cttyhack learns the console's real name (ttyS<line>) from it.
private func tty_tiocgserial(_ arg: UInt64) -> Int {
    var s = InlineArray<18, UInt32>(repeating: 0)
    s[0] = 4                       // type: PORT_16550A
    s[1] = 0                       // line: ttyS0
    s[2] = 0x3f8                   // port
    s[3] = 4                       // irq
    s[4] = 0x1000_0040             // flags: UPF_BOOT_AUTOCONF | UPF_SKIP_TEST
    s[5] = 16                      // xmit_fifo_size
    s[7] = 115200                  // baud_base
    s[8] = 50                      // close_delay (centiseconds); io_type UPIO_PORT
    s[10] = 3000                   // closing_wait
    return withUnsafeBytes(of: &s) { copy_to_user(arg, $0.baseAddress.unsafelyUnwrapped, 72) } ? 0 : Errno.EFAULT.negated
}

/// tty_ioctl(): the terminal's requests, in Linux's order: the generic
/// ones, job control, then the line discipline's (n_tty_ioctl and
/// tty_mode_ioctl). Unknown requests are -ENOTTY.
func tty_ioctl(_ tty: TtyStruct, _ f: File, _ cmd: UInt32, _ arg: UInt64) -> Int {
    switch cmd {
    case TIOCSETD, TCSBRK, TCSBRKP:
        let r = tty_check_change(tty)
        if r != 0 { return r }
        if !tty_wait_until_sent(tty) { return Errno.EINTR.negated }
    default: break
    }
    switch cmd {
    case TIOCGWINSZ:
        let ws = tty.lock.withLock { tty.winsize }
        return copy_to_user(arg, from: ws) ? 0 : Errno.EFAULT.negated
    case TIOCSWINSZ:                                            // tty_do_resize()
        var ws = WinSize()
        guard copy_from_user(&ws, arg) else { return Errno.EFAULT.negated }
        let (changed, pgrp) = tty.lock.withLock { () -> (Bool, Int32) in
            let changed = tty.winsize != ws
            tty.winsize = ws
            return (changed, tty.pgrp)
        }
        if changed && pgrp != 0 { kill_pgrp(pgrp, SIGWINCH, priv: true) }
        return 0
    case TIOCGETD:
        return put_user(Int32(0), arg) ? 0 : Errno.EFAULT.negated           // N_TTY
    case TIOCSETD:
        guard let disc = (get_user(arg) as Int32?) else { return Errno.EFAULT.negated }
        return disc == 0 ? 0 : Errno.EINVAL.negated                        // N_TTY is the only one
    case TIOCVHANGUP:
        tty_vhangup(tty)
        return 0
    case TCSBRK, TCSBRKP:
        return 0                       // tcdrain() (TCSBRK 1) waited above; a break (0) is not put on the line
    case TIOCGSERIAL:
        return tty_tiocgserial(arg)
    case UInt32(truncatingIfNeeded: FIONREAD):
        return put_user(Int32(n_tty_inq(tty)), arg) ? 0 : Errno.EFAULT.negated
    case TIOCOUTQ:                                              // tty_chars_in_buffer()
        return put_user(Int32(tty.lock.withLock { tty.xmitCount }), arg) ? 0 : Errno.EFAULT.negated
    default:
        break
    }
    if let r = tty_jobctrl_ioctl(tty, f, cmd, arg) { return r }
    switch cmd {
    case TCXONC:
        let r = tty_check_change(tty)
        if r != 0 { return r }
        switch arg {
        case 0:                                                 // TCOOFF
            tty.lock.withLock { if !tty.tcoStopped { tty.tcoStopped = true; tty.stopped = true } }
        case 1:                                                 // TCOON
            tty.lock.withLock {
                if tty.tcoStopped { tty.tcoStopped = false; start_tty(tty) }
            }
        case 2, 3:                                              // TCIOFF, TCION: send STOP/START
            let c = tty.lock.withLock { tty.termios[arg == 2 ? VSTOP : VSTART] }
            if c != 0 { serial_putc(c) }
        default:
            return Errno.EINVAL.negated
        }
        return 0
    case TCFLSH:
        let r = tty_check_change(tty)
        if r != 0 { return r }
        guard arg <= 2 else { return Errno.EINVAL.negated }      // TCIFLUSH, TCOFLUSH, TCIOFLUSH
        tty.lock.withLock {
            if arg != 1 { n_tty_flush_input(tty) }
            if arg != 0 { tty_driver_flush_buffer(tty) }
        }
        tty_wakeup_writers(tty)
        return 0
    case TCGETS, TCGETS2:
        var t = tty.lock.withLock { tty.termios }
        let n = cmd == TCGETS ? 36 : 44
        return withUnsafeBytes(of: &t) { copy_to_user(arg, $0.baseAddress.unsafelyUnwrapped, n) } ? 0 : Errno.EFAULT.negated
    case TCSETS, TCSETSW, TCSETSF, TCSETS2, TCSETSW2, TCSETSF2:
        return set_termios(tty, arg, flush: cmd == TCSETSF || cmd == TCSETSF2, wait: cmd != TCSETS && cmd != TCSETS2,
                           v2: cmd > 0xffff)
    default:
        return Errno.ENOTTY.negated
    }
}
