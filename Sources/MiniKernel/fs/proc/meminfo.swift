// /proc/meminfo. Linux: fs/proc/meminfo.c (meminfo_proc_show).
//
// The first lines of Linux's, in its format ("%-16s%8lu kB"): memory the page
// allocator manages, what is free of it (MemAvailable too: nothing here can be
// reclaimed), and zeros for buffers, page cache and swap, counted nowhere here.

func meminfo_proc_show(_ m: inout SeqFile) -> Int {
    let total = UInt64(buddy.nrManaged) * PAGE_SIZE / 1024
    let free = UInt64(nr_free_pages()) * PAGE_SIZE / 1024
    m.puts("MemTotal:       \(total, width: 8) kB\nMemFree:        \(free, width: 8) kB\n")
    m.puts("MemAvailable:   \(free, width: 8) kB\nBuffers:        \(0, width: 8) kB\n")
    m.puts("Cached:         \(0, width: 8) kB\nSwapCached:     \(0, width: 8) kB\n")
    m.puts("SwapTotal:      \(0, width: 8) kB\nSwapFree:       \(0, width: 8) kB\n")
    return 0
}
