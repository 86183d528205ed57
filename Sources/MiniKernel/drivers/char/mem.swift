// /dev/null, /dev/zero, /dev/urandom, and the console as a file.
// Linux: drivers/char/mem.c, drivers/char/random.c, drivers/tty/tty_io.c.
//
// The console (/dev/console, /dev/tty, init's fds 0-2) writes to COM1 and
// reads what COM1 has already received: with nothing waiting a read is end
// of file, because the test harness gives init no input and a blocking read
// would hang a boot. There is no tty layer (termios, job control), so
// terminal ioctls answer -ENOTTY, as on a file.

import CShim

private func null_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int { 0 }
private func null_write(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int { count }
private func null_lseek(_ f: File, _ off: Int64, _ whence: Int32) -> Int64 { f.pos = 0; return 0 }

private func zero_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    clear_user(buf, count) ? count : Errno.EFAULT.negated
}

private func urandom_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    get_random_bytes_user(buf, count)
}

let null_fops = FileOperations(read: null_read, write: null_write, llseek: null_lseek)
let zero_fops = FileOperations(read: zero_read, write: null_write, llseek: null_lseek)
let urandom_fops = FileOperations(read: urandom_read, write: null_write, llseek: null_lseek)

private func console_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    var n = 0
    while n < count, let c = serial_getc() {
        var b = c
        guard withUnsafeBytes(of: &b, { copy_to_user(buf + UInt64(n), $0.baseAddress!, 1) }) else {
            return n > 0 ? n : Errno.EFAULT.negated
        }
        n += 1
    }
    return n
}

private func console_write_file(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    var buffer = InlineArray<256, UInt8>(repeating: 0)
    var done = 0
    while done < count {
        let n = min(256, count - done)
        let ok = withUnsafeMutableBytes(of: &buffer) { raw -> Bool in
            guard copy_from_user(raw.baseAddress!, buf + UInt64(done), n) else { return false }
            console_write(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            return true
        }
        if !ok { return done > 0 ? done : Errno.EFAULT.negated }
        done += n
    }
    return done
}

private func console_poll(_ f: File) -> UInt32 { POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM }

let console_fops = FileOperations(read: console_read, write: console_write_file, poll: console_poll)
