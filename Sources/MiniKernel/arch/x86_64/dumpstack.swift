// Call traces. Linux: arch/x86/kernel/dumpstack.c, unwind_frame.c, kernel/kallsyms.c.
//
// The kernel is built with frame pointers, so each frame starts with the
// caller's RBP and is followed by the return address. Names come from the
// kallsyms table that the second link stage embeds (scripts/kallsyms.sh).

import CShim

/// How far up the stack a trace goes before giving up.
private let maxFrames = 24

/// A frame pointer is followed only while it stays inside kernel memory and
/// moves up the stack: a trace must never fault.
private func plausibleFrame(_ rbp: UInt64, above prev: UInt64) -> Bool {
    rbp & 7 == 0 && rbp > prev && rbp >= PAGE_OFFSET && rbp < 0xffff_ffff_ffff_f000
        && kernel_address_mapped(rbp) && kernel_address_mapped(rbp + 8)
}

func show_trace(rip: UInt64, rbp: UInt64) {
    printk_unlocked("Call Trace:")
    printk_unlocked(" <TASK>")
    var line = LineBuffer()
    kallsyms_format(rip, into: &line)
    printk_unlocked(" \(line)")
    var frame = rbp
    var prev: UInt64 = 0
    var n = 0
    while n < maxFrames && plausibleFrame(frame, above: prev) {
        let ret = peek64(frame + 8)
        if ret < START_KERNEL_MAP { break }
        var l = LineBuffer()
        // A return address points after the call; name the call's own
        // function (Linux's %pB does the same).
        kallsyms_format(ret - 1, into: &l)
        printk_unlocked(" \(l)")
        prev = frame
        frame = peek64(frame)
        n += 1
    }
    printk_unlocked(" </TASK>")
}

/// dump_stack(): a trace of the caller.
func dump_stack(rbp: UInt64) {
    show_trace(rip: peek64(rbp + 8), rbp: peek64(rbp))
}

/// "name+0xoff/0xsize" for a kernel text address, or the bare address.
func kallsyms_format(_ addr: UInt64, into out: inout LineBuffer) {
    guard let (index, offset) = kallsyms_lookup(addr) else {
        out.appendHex(addr, width: 16)
        return
    }
    let name = ByteString(cString: UnsafeRawPointer(kallsyms_name(index)).assumingMemoryBound(to: UInt8.self), limit: 200)
    out.append(name)
    out.append("+0x")
    out.appendHex(offset, width: 1)
    if index + 1 < kallsyms_count() {
        out.append("/0x")
        out.appendHex(kallsyms_address(index + 1) - kallsyms_address(index), width: 1)
    }
}

/// Binary search of the address-sorted table.
func kallsyms_lookup(_ addr: UInt64) -> (UInt64, UInt64)? {
    let n = kallsyms_count()
    guard n > 0, addr >= kallsyms_address(0), addr < sym_text_end() else { return nil }
    var lo: UInt64 = 0, hi = n
    while hi - lo > 1 {
        let mid = (lo + hi) / 2
        if kallsyms_address(mid) <= addr { lo = mid } else { hi = mid }
    }
    return (lo, addr - kallsyms_address(lo))
}
