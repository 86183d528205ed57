// Text made on demand, read like a file. Linux: fs/seq_file.c (single_open,
// seq_read_iter, seq_lseek, seq_printf).
//
// Each read() builds the whole text again and hands out the part from the
// file's position on, as Linux's single_open() files do when a read starts
// past what is buffered: a reader reading in small pieces may see a number
// change between two, as on Linux. Nothing is kept between calls.

/// A page of text under construction; what does not fit is dropped.
struct SeqFile: ~Copyable {
    let buf: UnsafeMutablePointer<UInt8>
    let size: Int
    private(set) var count = 0

    init?(size: Int = Int(PAGE_SIZE)) {
        guard let mem = kmalloc(size) else { return nil }
        buf = mem.assumingMemoryBound(to: UInt8.self)
        self.size = size
    }
    deinit { kfree(UnsafeMutableRawPointer(buf)) }

    /// seq_printf(): one formatted piece.
    mutating func puts(_ line: KLine) { line.buf.forEachByte { putc($0) } }
    mutating func putc(_ c: UInt8) {
        guard count < size else { return }
        buf[count] = c
        count += 1
    }
    /// Room for `n` bytes written straight into the buffer (then `commit`).
    var tail: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: buf + count, count: size - count) }
    mutating func commit(_ n: Int) { count = min(size, count + n) }

    /// seq_read(): the text from `pos` on, at most `len` bytes, to user memory.
    func read(to ubuf: UInt64, _ len: Int, _ pos: inout Int64) -> Int {
        guard pos >= 0, pos < Int64(count) else { return 0 }
        let n = min(len, count - Int(pos))
        guard copy_to_user(ubuf, UnsafeRawPointer(buf + Int(pos)), n) else { return Errno.EFAULT.negated }
        pos += Int64(n)
        return n
    }
}

/// seq_lseek(): SEEK_SET and SEEK_CUR; the text has no end to seek from.
func seq_lseek(_ f: File, _ off: Int64, _ whence: Int32) -> Int64 {
    guard whence == SEEK_SET || whence == SEEK_CUR else { return Int64(Errno.EINVAL.negated) }
    return generic_file_llseek(f, off, whence)
}
