// The terminal: struct tty_struct, struct termios and their constants.
// Linux: include/linux/tty.h, include/uapi/asm-generic/termbits.h.
//
// MiniKernel has one terminal, the serial console ttyS0 (COM1). It is three
// layers, as in Linux: the UART driver (serial_8250.swift) moves bytes in
// and out; the line discipline (n_tty.swift) turns received bytes into lines,
// echo and signals, and written bytes into output (ONLCR and friends); the
// tty core (tty_io.swift, tty_ioctl.swift, tty_jobctrl.swift) is the file
// that user space opens, and the controlling terminal of at most one
// session. The tty lives as long as the kernel; `kref` still counts its
// users (open files, sessions' signal->tty) as Linux's tty_kref does, so
// that leakcheck can see a reference nobody dropped.

import Synchronization

// c_iflag
let ISTRIP: UInt32 = 0o40, INLCR: UInt32 = 0o100
let IGNCR: UInt32 = 0o200, ICRNL: UInt32 = 0o400, IUCLC: UInt32 = 0o1000, IXON: UInt32 = 0o2000
let IXANY: UInt32 = 0o4000
// c_oflag
let OPOST: UInt32 = 0o1, OLCUC: UInt32 = 0o2, ONLCR: UInt32 = 0o4, OCRNL: UInt32 = 0o10
let ONOCR: UInt32 = 0o20, ONLRET: UInt32 = 0o40, TABDLY: UInt32 = 0o14000, XTABS: UInt32 = 0o14000
// c_cflag
let CBAUD: UInt32 = 0o10017, B9600: UInt32 = 0o15, CS8: UInt32 = 0o60, CREAD: UInt32 = 0o200
let HUPCL: UInt32 = 0o2000, CLOCAL: UInt32 = 0o4000
// c_lflag
let ISIG: UInt32 = 0o1, ICANON: UInt32 = 0o2, ECHO: UInt32 = 0o10, ECHOE: UInt32 = 0o20
let ECHOK: UInt32 = 0o40, ECHONL: UInt32 = 0o100, NOFLSH: UInt32 = 0o200, TOSTOP: UInt32 = 0o400
let ECHOCTL: UInt32 = 0o1000, ECHOKE: UInt32 = 0o4000, IEXTEN: UInt32 = 0o100000
// c_cc
let VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6
let VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VWERASE = 14, VLNEXT = 15, VEOL2 = 16
let NCCS = 19

/// struct termios2 (the kernel's; struct termios is its first 36 bytes).
struct KTermios: BitwiseCopyable {
    var iflag: UInt32 = ICRNL | IXON
    var oflag: UInt32 = OPOST | ONLCR
    /// The 8250 driver's default, 9600 8N1 (console=ttyS0 without options).
    var cflag: UInt32 = B9600 | CS8 | CREAD | HUPCL | CLOCAL
    var lflag: UInt32 = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
    var line: UInt8 = 0                                   // N_TTY
    /// tty_std_termios's INIT_C_CC: ^C ^\ ^? ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, ^R ^O ^W ^V.
    var cc: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
             UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0, 0, 0)
    var ispeed: UInt32 = 9600
    var ospeed: UInt32 = 9600

    subscript(_ i: Int) -> UInt8 {
        withUnsafeBytes(of: cc) { $0[i] }
    }
}

/// struct winsize.
struct WinSize: BitwiseCopyable, Equatable {
    var row: UInt16 = 0, col: UInt16 = 0, xpixel: UInt16 = 0, ypixel: UInt16 = 0
}

/// The line discipline's state (struct n_tty_data). Positions count up for
/// ever and are masked into the ring: the data between readTail and
/// readHead is received, that before canonHead is complete lines.
struct NTtyData {
    var readHead = 0, canonHead = 0, readTail = 0
    /// The bit of each position that ends a line (newline, EOF, EOL).
    var readFlags = InlineArray<64, UInt64>(repeating: 0)
    /// The output column, and the column the current input line began at
    /// (for erasing a tab).
    var column = 0, canonColumn = 0
    var lnext = false
    /// The UART's receive interrupt is off until a reader makes room.
    var throttled = false
}

/// struct tty_struct.
final class TtyStruct {
    /// Guards everything below: termios, the line discipline's buffer and
    /// columns, the flow-control state, and the controlling session and
    /// foreground group (Linux's termios_rwsem, the ldisc's locks and
    /// ctrl.lock, one lock here). Taken with interrupts off: the UART's
    /// receive interrupt takes it. Never held while signals are sent (they
    /// take tasklist_lock and siglock, which nest outside it).
    let lock = SpinLock(name: "tty->lock")
    var termios = KTermios()
    var winsize = WinSize()
    var ldata = NTtyData()
    /// The 4096-byte input ring (N_TTY_BUF_SIZE).
    let readBuf: UnsafeMutablePointer<UInt8>
    /// The session whose controlling terminal this is and its foreground
    /// process group (ctrl.session, ctrl.pgrp), each holding a pid reference;
    /// 0 for none.
    var session: Int32 = 0
    var pgrp: Int32 = 0
    /// Output stopped by ^S or TCOOFF (flow.stopped, flow.tco_stopped), and
    /// what was written meanwhile: the UART driver's transmit buffer
    /// (UART_XMIT_SIZE), sent when output starts again.
    var stopped = false, tcoStopped = false
    let xmitBuf: UnsafeMutablePointer<UInt8>
    var xmitCount = 0
    /// Bumped by each hangup: a file opened before it is hung up (Linux
    /// points each such file's f_op at hung_up_tty_fops; we compare numbers).
    var hangups: UInt32 = 0
    /// Open files on the terminal (tty->count).
    var count = 0
    let readWait = WaitQueueHead()
    let writeWait = WaitQueueHead()
    /// tty_kref: the driver's own reference, open files, sessions.
    let kref = Atomic<Int>(1)

    init(readBuf: UnsafeMutablePointer<UInt8>, xmitBuf: UnsafeMutablePointer<UInt8>) {
        self.readBuf = readBuf
        self.xmitBuf = xmitBuf
    }

    func has(iflag f: UInt32) -> Bool { termios.iflag & f != 0 }
    func has(oflag f: UInt32) -> Bool { termios.oflag & f != 0 }
    func has(lflag f: UInt32) -> Bool { termios.lflag & f != 0 }
}

/// ttyS0, made by tty_init().
var console_tty: TtyStruct? = nil

let UART_XMIT_SIZE = 4096

/// tty_init(): the one terminal, its input ring and its transmit buffer.
func tty_init() {
    console_tty = TtyStruct(readBuf: UnsafeMutablePointer<UInt8>.allocate(capacity: N_TTY_BUF_SIZE),
                            xmitBuf: UnsafeMutablePointer<UInt8>.allocate(capacity: UART_XMIT_SIZE))
}

/// uart_write(): bytes for the line, with the tty lock held — sent at once,
/// or kept while output is stopped (what does not fit is dropped; writers
/// wait for room first, so only echoes can be).
func uart_write(_ tty: TtyStruct, _ bytes: UnsafeRawBufferPointer) {
    guard tty.stopped else { console_write(bytes); return }
    let n = min(bytes.count, UART_XMIT_SIZE - tty.xmitCount)
    for i in 0..<n { tty.xmitBuf[tty.xmitCount + i] = bytes[i] }
    tty.xmitCount += n
}

/// tty_driver_flush_buffer(): what output holds is thrown away (TCOFLUSH,
/// ISIG without NOFLSH, a hangup).
func tty_driver_flush_buffer(_ tty: TtyStruct) {
    tty.xmitCount = 0
}

func tty_kref_get(_ tty: TtyStruct) { tty.kref.wrappingAdd(1, ordering: .relaxed) }
func tty_kref_put(_ tty: TtyStruct?) {
    guard let tty else { return }
    let left = tty.kref.wrappingSubtract(1, ordering: .releasing).newValue
    BUG_ON(left < 1, "tty_kref_put: the console tty's last reference")
}
