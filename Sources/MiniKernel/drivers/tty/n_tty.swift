// The line discipline N_TTY: received bytes become lines, echo and
// signals; written bytes become output. Linux: drivers/tty/n_tty.c.
//
// Input arrives from the UART's interrupt one byte at a time
// (n_tty_receive_byte). In canonical mode (ICANON) the bytes collect into a
// line that ERASE, WERASE and KILL edit and that a newline, EOL or EOF ends;
// read() returns at most one line. Otherwise read() returns bytes as they
// come, after VMIN bytes or VTIME tenths of a second. ISIG turns INTR, QUIT
// and SUSP into SIGINT, SIGQUIT and SIGTSTP for the foreground process group;
// IXON makes STOP/START hold and release output. ECHO sends what was typed
// back, control characters as ^X (ECHOCTL). The input ring holds 4096 bytes:
// a canonical line longer than 4095 keeps its first 4095 and its end (later
// bytes overwrite the last slot, as Linux does); otherwise a full ring turns
// the receive interrupt off (throttle) and the bytes wait in the UART and
// QEMU until a reader makes room.
//
// Simplified: no ECHOPRT, PARMRK, IUTF8, EXTPROC or packet mode; echoes go
// to the UART driver at once rather than through Linux's echo buffer (while
// output is stopped they join the held output, and are dropped when that
// 4 KiB is full, where Linux would keep them in the echo buffer).

import CShim

let N_TTY_BUF_SIZE = 4096
/// An EOF in the ring: a line end that read() does not copy (__DISABLED_CHAR).
private let DISABLED_CHAR: UInt8 = 0

@inline(__always) private func MASK(_ i: Int) -> Int { i & (N_TTY_BUF_SIZE - 1) }
private func iscntrl(_ c: UInt8) -> Bool { c < 32 || c == 127 }
private func isalnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) }

/// Bytes on their way to the UART (uart_write()), written in batches.
/// Used with the tty lock held.
struct TtyOutput: ~Copyable {
    private let tty: TtyStruct
    private var buf = InlineArray<128, UInt8>(repeating: 0)
    private var n = 0
    init(_ tty: TtyStruct) { self.tty = tty }
    mutating func put(_ c: UInt8) {
        if n == 128 { flush() }
        buf[n] = c
        n += 1
    }
    mutating func flush() {
        guard n > 0 else { return }
        let count = n
        withUnsafeBytes(of: &buf) { uart_write(tty, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        n = 0
    }
    /// The rest goes out when the batch ends.
    deinit {
        let count = n
        if count > 0 { withUnsafeBytes(of: buf) { uart_write(tty, UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
    }
}

extension TtyStruct {
    var icanon: Bool { has(lflag: ICANON) }
    func readCnt() -> Int { ldata.readHead - ldata.readTail }
    func isEol(_ i: Int) -> Bool { ldata.readFlags[MASK(i) >> 6] & (1 << UInt64(MASK(i) & 63)) != 0 }
    func setEol(_ i: Int, _ on: Bool) {
        let bit: UInt64 = 1 << UInt64(MASK(i) & 63)
        if on { ldata.readFlags[MASK(i) >> 6] |= bit } else { ldata.readFlags[MASK(i) >> 6] &= ~bit }
    }
    /// `c` is the (enabled) control character `idx`.
    func isChar(_ c: UInt8, _ idx: Int) -> Bool { c != 0 && c == termios[idx] }

    /// ldata->char_map: the bytes n_tty_receive_char_special() looks at, as
    /// n_tty_set_termios() marks them; all others take the plain path.
    func isSpecial(_ c: UInt8) -> Bool {
        if c == 0 { return false }
        if c == 13 && (has(iflag: IGNCR) || has(iflag: ICRNL)) { return true }
        if c == 10 && (has(iflag: INLCR) || icanon) { return true }
        if icanon && (isChar(c, VERASE) || isChar(c, VKILL) || isChar(c, VEOF) || isChar(c, VEOL)) { return true }
        if icanon && has(lflag: IEXTEN) && (isChar(c, VWERASE) || isChar(c, VLNEXT) || isChar(c, VEOL2)
                                            || (has(lflag: ECHO) && isChar(c, VREPRINT))) { return true }
        if has(iflag: IXON) && (isChar(c, VSTART) || isChar(c, VSTOP)) { return true }
        return has(lflag: ISIG) && (isChar(c, VINTR) || isChar(c, VQUIT) || isChar(c, VSUSP))
    }
}

// MARK: - Output

/// do_output_char(): one byte through OPOST, keeping the column.
func do_output_char(_ tty: TtyStruct, _ cIn: UInt8, _ out: inout TtyOutput) {
    var c = cIn
    switch c {
    case 10:
        if tty.has(oflag: ONLRET) { tty.ldata.column = 0 }
        if tty.has(oflag: ONLCR) {
            tty.ldata.canonColumn = 0
            tty.ldata.column = 0
            out.put(13)
            out.put(10)
            return
        }
        tty.ldata.canonColumn = tty.ldata.column
    case 13:
        if tty.has(oflag: ONOCR) && tty.ldata.column == 0 { return }
        if tty.has(oflag: OCRNL) {
            c = 10
            if tty.has(oflag: ONLRET) { tty.ldata.canonColumn = 0; tty.ldata.column = 0 }
        } else {
            tty.ldata.canonColumn = 0
            tty.ldata.column = 0
        }
    case 9:
        let spaces = 8 - (tty.ldata.column & 7)
        tty.ldata.column += spaces
        if tty.termios.oflag & TABDLY == XTABS {
            for _ in 0..<spaces { out.put(32) }
            return
        }
    case 8:
        if tty.ldata.column > 0 { tty.ldata.column -= 1 }
    default:
        if !iscntrl(c) {
            if tty.has(oflag: OLCUC) && c >= 97 && c <= 122 { c -= 32 }
            tty.ldata.column += 1
        }
    }
    out.put(c)
}

/// A written or echoed byte: through OPOST when it is on.
private func output_char(_ tty: TtyStruct, _ c: UInt8, _ out: inout TtyOutput) {
    if tty.has(oflag: OPOST) { do_output_char(tty, c, &out) } else { out.put(c) }
}

/// echo_char(): a typed byte as it is shown, control characters as ^X.
private func echo_char(_ tty: TtyStruct, _ c: UInt8, _ out: inout TtyOutput) {
    if tty.has(lflag: ECHOCTL) && iscntrl(c) && c != 9 {
        out.put(94)                                  // '^'
        out.put(c ^ 0o100)
        tty.ldata.column += 2
    } else {
        output_char(tty, c, &out)
    }
}

/// "\b \b": one column rubbed out.
private func echo_rubout(_ tty: TtyStruct, _ out: inout TtyOutput) {
    output_char(tty, 8, &out)
    output_char(tty, 32, &out)
    output_char(tty, 8, &out)
}

// MARK: - Input

/// reset_buffer_flags(): the input ring empties (a flush, ISIG without NOFLSH).
func n_tty_flush_input(_ tty: TtyStruct) {
    tty.ldata.readHead = 0
    tty.ldata.canonHead = 0
    tty.ldata.readTail = 0
    tty.ldata.readFlags = InlineArray<64, UInt64>(repeating: 0)
    tty.ldata.lnext = false
    n_tty_check_unthrottle(tty)
}

/// n_tty_receive_buf_common()'s room: how many bytes the ring takes now,
/// asked when a byte is waiting. A canonical line with no end yet always
/// takes one more, overwriting its last byte once the ring is full, so that
/// ERASE and the newline still work.
func n_tty_receive_room(_ tty: TtyStruct) -> Int {
    let room = N_TTY_BUF_SIZE - tty.readCnt() - 1
    if room > 0 { return room }
    let overflow = tty.icanon && tty.ldata.canonHead == tty.ldata.readTail
    if overflow && room < 0 { tty.ldata.readHead -= 1 }
    return overflow ? 1 : 0
}

/// The receive interrupt back on once a reader has made room.
func n_tty_check_unthrottle(_ tty: TtyStruct) {
    if tty.ldata.throttled && N_TTY_BUF_SIZE - tty.readCnt() - 1 > 0 {
        tty.ldata.throttled = false
        serial8250_throttle(false)
    }
}

private func put_tty_queue(_ tty: TtyStruct, _ c: UInt8) {
    tty.readBuf[MASK(tty.ldata.readHead)] = c
    tty.ldata.readHead += 1
}

/// A line ends at `c` (newline, EOL, or DISABLED_CHAR for EOF).
private func n_tty_end_line(_ tty: TtyStruct, _ c: UInt8) {
    tty.setEol(tty.ldata.readHead, true)
    put_tty_queue(tty, c)
    tty.ldata.canonHead = tty.ldata.readHead
}

/// eraser(): ERASE takes back a character, WERASE a word (and the blanks
/// after it), KILL the line; with ECHOE/ECHOKE the screen follows.
private func eraser(_ tty: TtyStruct, _ c: UInt8, _ out: inout TtyOutput) {
    if tty.ldata.readHead == tty.ldata.canonHead { return }      // nothing to erase
    let erase = tty.isChar(c, VERASE), werase = !erase && tty.isChar(c, VWERASE)
    let echo = tty.has(lflag: ECHO)
    if !erase && !werase {                                       // KILL
        if !echo { tty.ldata.readHead = tty.ldata.canonHead; return }
        if !tty.has(lflag: ECHOK) || !tty.has(lflag: ECHOKE) || !tty.has(lflag: ECHOE) {
            tty.ldata.readHead = tty.ldata.canonHead
            echo_char(tty, c, &out)
            if tty.has(lflag: ECHOK) { output_char(tty, 10, &out) }
            return
        }
    }
    var seenAlnums = 0
    while tty.ldata.readHead != tty.ldata.canonHead {
        let head = tty.ldata.readHead - 1
        let ch = tty.readBuf[MASK(head)]
        if werase {
            if isalnum(ch) || ch == 95 { seenAlnums += 1 } else if seenAlnums > 0 { break }
        }
        tty.ldata.readHead = head
        if echo {
            if erase && !tty.has(lflag: ECHOE) {
                echo_char(tty, tty.termios[VERASE], &out)
            } else if ch == 9 {
                echo_erase_tab(tty, &out)
            } else {
                if iscntrl(ch) && tty.has(lflag: ECHOCTL) { echo_rubout(tty, &out) }
                if !iscntrl(ch) || tty.has(lflag: ECHOCTL) { echo_rubout(tty, &out) }
            }
        }
        if erase { break }
    }
}

/// A tab rubbed out: back to the column it started at, counted from the
/// previous tab or from where the line began (echo_erase_tab and its
/// process_echoes() half).
private func echo_erase_tab(_ tty: TtyStruct, _ out: inout TtyOutput) {
    var numChars = 0, afterTab = false
    var tail = tty.ldata.readHead
    while tail != tty.ldata.canonHead {
        tail -= 1
        let c = tty.readBuf[MASK(tail)]
        if c == 9 { afterTab = true; break }
        if iscntrl(c) { if tty.has(lflag: ECHOCTL) { numChars += 2 } } else { numChars += 1 }
    }
    if !afterTab { numChars += tty.ldata.canonColumn }
    let backspaces = min(8 - (numChars & 7), tty.ldata.column)
    for _ in 0..<backspaces {
        out.put(8)
        tty.ldata.column -= 1
    }
}

/// n_tty_receive_char(): an ordinary byte, echoed and queued.
private func n_tty_receive_char(_ tty: TtyStruct, _ c: UInt8, _ out: inout TtyOutput) {
    if tty.stopped && !tty.tcoStopped && tty.has(iflag: IXON) && tty.has(iflag: IXANY) { start_tty(tty) }
    if tty.has(lflag: ECHO) {
        if tty.ldata.canonHead == tty.ldata.readHead { tty.ldata.canonColumn = tty.ldata.column }
        echo_char(tty, c, &out)
    }
    put_tty_queue(tty, c)
}

/// n_tty_receive_char_special(): a byte of char_map. Returns the signal
/// the byte raises (ISIG), for the caller to send once the tty lock is
/// dropped; 0 for none.
private func n_tty_receive_char_special(_ tty: TtyStruct, _ cIn: UInt8, _ out: inout TtyOutput) -> Int32 {
    var c = cIn
    if tty.has(iflag: IXON) {
        if tty.isChar(c, VSTOP) { stop_tty(tty); return 0 }
        if tty.isChar(c, VSTART) { start_tty(tty); return 0 }
    }
    if tty.has(lflag: ISIG) {
        let sig = tty.isChar(c, VINTR) ? SIGINT : tty.isChar(c, VQUIT) ? SIGQUIT : tty.isChar(c, VSUSP) ? SIGTSTP : 0
        if sig != 0 {
            // isig(): unless NOFLSH, the signal also throws away the typed-ahead input
            // and the held output. (Linux signals first and echoes after; here the echo
            // is written under the lock and the signal follows once it is dropped, so
            // "^C" always comes first.)
            if !tty.has(lflag: NOFLSH) { n_tty_flush_input(tty); tty_driver_flush_buffer(tty) }
            if tty.has(iflag: IXON) { start_tty(tty) }
            if tty.has(lflag: ECHO) { echo_char(tty, c, &out) }
            return sig
        }
    }
    if tty.stopped && !tty.tcoStopped && tty.has(iflag: IXON) && tty.has(iflag: IXANY) { start_tty(tty) }
    if c == 13 {
        if tty.has(iflag: IGNCR) { return 0 }
        if tty.has(iflag: ICRNL) { c = 10 }
    } else if c == 10 && tty.has(iflag: INLCR) {
        c = 13
    }
    if tty.icanon {
        if tty.isChar(c, VERASE) || tty.isChar(c, VKILL) || (tty.isChar(c, VWERASE) && tty.has(lflag: IEXTEN)) {
            eraser(tty, c, &out)
            return 0
        }
        if tty.isChar(c, VLNEXT) && tty.has(lflag: IEXTEN) {
            tty.ldata.lnext = true
            if tty.has(lflag: ECHO) && tty.has(lflag: ECHOCTL) {
                output_char(tty, 94, &out)
                output_char(tty, 8, &out)
            }
            return 0
        }
        if tty.isChar(c, VREPRINT) && tty.has(lflag: ECHO) && tty.has(lflag: IEXTEN) {
            echo_char(tty, c, &out)
            output_char(tty, 10, &out)
            var tail = tty.ldata.canonHead
            while tail != tty.ldata.readHead { echo_char(tty, tty.readBuf[MASK(tail)], &out); tail += 1 }
            return 0
        }
        if c == 10 {
            if tty.has(lflag: ECHO) || tty.has(lflag: ECHONL) { output_char(tty, 10, &out) }
            n_tty_end_line(tty, c)
            return 0
        }
        if tty.isChar(c, VEOF) {
            n_tty_end_line(tty, DISABLED_CHAR)
            return 0
        }
        if tty.isChar(c, VEOL) || (tty.isChar(c, VEOL2) && tty.has(lflag: IEXTEN)) {
            if tty.has(lflag: ECHO) {
                if tty.ldata.canonHead == tty.ldata.readHead { tty.ldata.canonColumn = tty.ldata.column }
                echo_char(tty, c, &out)
            }
            n_tty_end_line(tty, c)
            return 0
        }
    }
    if tty.has(lflag: ECHO) {
        if c == 10 {
            output_char(tty, 10, &out)
        } else {
            if tty.ldata.canonHead == tty.ldata.readHead { tty.ldata.canonColumn = tty.ldata.column }
            echo_char(tty, c, &out)
        }
    }
    put_tty_queue(tty, c)
    return 0
}

/// n_tty_receive_buf_standard() for one byte, called with the tty lock held
/// from the UART's interrupt once n_tty_receive_room() said there is room.
/// Returns the signal the byte raises (ISIG), 0 for none.
func n_tty_receive_byte(_ tty: TtyStruct, _ byte: UInt8) -> Int32 {
    var c = byte, sig: Int32 = 0
    var out = TtyOutput(tty)
    if tty.has(iflag: ISTRIP) { c &= 0x7f }
    if tty.has(iflag: IUCLC) && tty.has(lflag: IEXTEN) && c >= 65 && c <= 90 { c += 32 }
    if tty.ldata.lnext {
        tty.ldata.lnext = false
        n_tty_receive_char(tty, c, &out)
    } else if tty.isSpecial(c) {
        sig = n_tty_receive_char_special(tty, c, &out)
    } else {
        n_tty_receive_char(tty, c, &out)
    }
    return sig
}

/// stop_tty() / start_tty(): output held by ^S (or TCOOFF), released by
/// ^Q (TCOON) with what was written meanwhile. The tty lock is held.
func stop_tty(_ tty: TtyStruct) { tty.stopped = true }
func start_tty(_ tty: TtyStruct) {
    guard tty.stopped && !tty.tcoStopped else { return }
    tty.stopped = false
    console_write(UnsafeRawBufferPointer(start: tty.xmitBuf, count: tty.xmitCount))
    tty.xmitCount = 0
    tty_wakeup_writers(tty)
}

/// Room for `n` more bytes of output, each of which may become up to 8
/// (a tab under XTABS): always while output runs, and in the transmit
/// buffer while it is stopped.
private func n_tty_write_room(_ tty: TtyStruct) -> Int {
    tty.stopped ? (UART_XMIT_SIZE - tty.xmitCount) / 8 : 256
}

/// tty_wait_until_sent(): until output stopped by ^S has been sent (a
/// signal ends the wait: false). Running output is written at once.
func tty_wait_until_sent(_ tty: TtyStruct) -> Bool {
    wait_event(tty.writeWait, state: .interruptible) { tty.lock.withLock { tty.xmitCount == 0 } } == .done
}

// MARK: - read(), write(), poll()

/// input_available_p(): a whole line (canonical), else a byte — or, for
/// poll() with VMIN and no VTIME, VMIN bytes.
private func input_available_p(_ tty: TtyStruct, poll: Bool) -> Bool {
    if tty.icanon { return tty.ldata.canonHead != tty.ldata.readTail }
    let min = Int(tty.termios[VMIN]), time = tty.termios[VTIME]
    return tty.readCnt() >= (poll && time == 0 && min > 0 ? min : 1)
}

/// canon_copy_from_read_buf() and copy_from_read_buf(): up to `room` bytes
/// of the ring into `kbuf`. In canonical mode it stops after a line end
/// (`lineDone`), and an EOF is consumed but not copied.
private func n_tty_copy(_ tty: TtyStruct, _ kbuf: UnsafeMutablePointer<UInt8>, _ room: Int, _ lineDone: inout Bool) -> Int {
    let avail = tty.icanon ? tty.ldata.canonHead - tty.ldata.readTail : tty.readCnt()
    var n = 0, consumed = 0
    while consumed < min(avail, room) {
        let pos = tty.ldata.readTail + consumed
        let c = tty.readBuf[MASK(pos)]
        consumed += 1
        if tty.icanon && tty.isEol(pos) {
            tty.setEol(pos, false)
            lineDone = true
            if c != DISABLED_CHAR { kbuf[n] = c; n += 1 }
            break
        }
        kbuf[n] = c
        n += 1
    }
    tty.ldata.readTail += consumed
    return n
}

/// n_tty_read(). In canonical mode one line (or as much of it as fits);
/// otherwise by VMIN and VTIME: MIN > 0 waits for MIN bytes, with TIME the
/// longest pause between two of them; MIN = 0 waits TIME for the first byte
/// (no wait at all when TIME is 0). A hung-up file reads end of file.
func n_tty_read(_ tty: TtyStruct, _ f: File, _ ubuf: UInt64, _ count: Int) -> Int {
    if f.kind == .tty {                                          // job_control(): never on /dev/console
        let r = __tty_check_change(tty, SIGTTIN)
        if r < 0 { return r }
    }
    var minimum = 0, interval: UInt64 = 0, timeout: UInt64? = nil      // nil: for ever
    let (canon, vmin, vtime) = tty.lock.withLock {
        (tty.icanon, Int(tty.termios[VMIN]), UInt64(tty.termios[VTIME]) * 100_000_000)
    }
    if !canon {
        if vmin > 0 { minimum = vmin; interval = vtime } else { timeout = vtime; minimum = 1 }
    }
    var kbuf = InlineArray<256, UInt8>(repeating: 0)
    var done = 0, ret = 0
    while done < count {
        let flags = tty.lock.lockIrqSave()
        if !input_available_p(tty, poll: false) {
            tty.lock.unlockIrqRestore(flags)
            if tty_hung_up_p(f) || timeout == 0 { break }
            if f.flags & O_NONBLOCK != 0 { ret = Errno.EAGAIN.negated; break }
            if signal_pending(current) { ret = Errno.ERESTARTSYS.negated; break }
            let deadline = timeout.map { ktime_get_ns() + $0 } ?? 0
            if deadline != 0 { hrtimer_arm_current(deadline) }
            _ = wait_event(tty.readWait, state: .interruptible) {
                tty_hung_up_p(f) || (deadline != 0 && ktime_get_ns() >= deadline)
                    || tty.lock.withLock { input_available_p(tty, poll: false) }
            }
            if deadline != 0 {
                hrtimer_arm_current(0)
                if ktime_get_ns() >= deadline { timeout = 0 }
            }
            continue
        }
        var lineDone = false
        let n = withUnsafeMutableBytes(of: &kbuf) { raw in
            n_tty_copy(tty, raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self),
                       min(256, count - done), &lineDone)
        }
        n_tty_check_unthrottle(tty)
        tty.lock.unlockIrqRestore(flags)
        let copied = withUnsafeBytes(of: &kbuf) { copy_to_user(ubuf + UInt64(done), $0.baseAddress.unsafelyUnwrapped, n) }
        if !copied { ret = Errno.EFAULT.negated; break }
        done += n
        if canon ? lineDone : done >= minimum { break }
        if interval != 0 { timeout = interval }
    }
    if done > 0 { return done }
    return ret
}

/// n_tty_write(): with TOSTOP, a background writer is stopped first
/// (never through /dev/console); while ^S holds output, writes fill the
/// transmit buffer, then wait for room.
func n_tty_write(_ tty: TtyStruct, _ f: File, _ ubuf: UInt64, _ count: Int) -> Int {
    if f.kind == .tty && tty.lock.withLock({ tty.has(lflag: TOSTOP) }) {
        let r = __tty_check_change(tty, SIGTTOU)
        if r != 0 { return r }
    }
    var kbuf = InlineArray<256, UInt8>(repeating: 0)
    var done = 0, ret = 0
    while done < count {
        if signal_pending(current) { ret = Errno.ERESTARTSYS.negated; break }
        if tty_hung_up_p(f) { ret = Errno.EIO.negated; break }
        let room = tty.lock.withLock { n_tty_write_room(tty) }
        if room == 0 {
            if f.flags & O_NONBLOCK != 0 { ret = Errno.EAGAIN.negated; break }
            _ = wait_event(tty.writeWait, state: .interruptible) {
                tty_hung_up_p(f) || tty.lock.withLock { n_tty_write_room(tty) } > 0
            }
            continue
        }
        let n = min(room, count - done)
        let ok = withUnsafeMutableBytes(of: &kbuf) { copy_from_user($0.baseAddress.unsafelyUnwrapped, ubuf + UInt64(done), n) }
        if !ok { ret = Errno.EFAULT.negated; break }
        tty.lock.withLock {
            var out = TtyOutput(tty)
            for i in 0..<n { output_char(tty, kbuf[i], &out) }
        }
        done += n
    }
    if done > 0 { return done }
    return ret
}

/// n_tty_poll().
func n_tty_poll(_ tty: TtyStruct, _ f: File) -> UInt32 {
    var mask = POLLOUT | POLLWRNORM
    if tty.lock.withLock({ input_available_p(tty, poll: true) }) { mask |= POLLIN | POLLRDNORM }
    return mask
}

/// inq_canon() / read_cnt(): FIONREAD's answer, EOF marks not counted.
func n_tty_inq(_ tty: TtyStruct) -> Int {
    tty.lock.withLock { () -> Int in
        guard tty.icanon else { return tty.readCnt() }
        var n = tty.ldata.canonHead - tty.ldata.readTail
        var pos = tty.ldata.readTail
        while pos != tty.ldata.canonHead {
            if tty.isEol(pos) && tty.readBuf[MASK(pos)] == DISABLED_CHAR { n -= 1 }
            pos += 1
        }
        return n
    }
}

/// n_tty_set_termios()'s part for ICANON turned on or off: the pending
/// input becomes one line (when turned on) or plain bytes.
func n_tty_set_termios(_ tty: TtyStruct, old: KTermios) {
    guard (old.lflag ^ tty.termios.lflag) & ICANON != 0 else { return }
    tty.ldata.readFlags = InlineArray<64, UInt64>(repeating: 0)
    if !tty.icanon || tty.readCnt() == 0 {
        tty.ldata.canonHead = tty.ldata.readTail
    } else {
        tty.setEol(tty.ldata.readHead - 1, true)
        tty.ldata.canonHead = tty.ldata.readHead
    }
    tty.ldata.lnext = false
}
