// /dev/null, /dev/zero, /dev/urandom. Linux: drivers/char/mem.c,
// drivers/char/random.c. (The console is a terminal: drivers/tty/.)

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
