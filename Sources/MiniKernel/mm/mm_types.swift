// The address space of a process: mm_struct and vm_area_struct.
// Linux: include/linux/mm_types.h, include/linux/mm.h (VM_* flags).
//
// Shaped by Embedded Swift in the upper half (see mm/slab.swift): both types
// are `final class`es whose lifetimes are explicit — an MMStruct is freed by
// the mmput() that drops its last user, and every VMArea by whoever unlinks
// it (do_munmap, exit_mmap) with kfree_object(). The VMAs form an
// address-ordered singly-linked list through `next` (Linux had the same list
// before the maple tree; a process has a handful of areas), so no Array ever
// grows on a per-process path.
//
// Locking (simplified mmap_lock): `mmapLock` is a spinlock taken by every
// public entry point that reads or changes the VMA list or the user page
// tables (do_mmap, do_munmap, do_mprotect, sys_brk, handle_mm_fault,
// dup_mm). It is never held while touching user memory through the
// usercopy routines, so a fault inside copy_to_user cannot deadlock on it.
// `mmUsers` is atomic: the SMP work will mmget/mmput from several CPUs.

import CShim
import Synchronization

/// vm_flags. Linux: include/linux/mm.h (VM_READ ... VM_GROWSDOWN).
struct VMFlags: OptionSet {
    let rawValue: UInt32
    static let read = VMFlags(rawValue: 0x1)
    static let write = VMFlags(rawValue: 0x2)
    static let exec = VMFlags(rawValue: 0x4)
    static let shared = VMFlags(rawValue: 0x8)
    static let mayRead = VMFlags(rawValue: 0x10)
    static let mayWrite = VMFlags(rawValue: 0x20)
    static let mayExec = VMFlags(rawValue: 0x40)
    static let mayShare = VMFlags(rawValue: 0x80)
    static let growsDown = VMFlags(rawValue: 0x100)
    /// The ELF loader's mappings of the executable (informational).
    static let exe = VMFlags(rawValue: 0x1000)
    /// The brk heap (informational: vma_is_brk()).
    static let brk = VMFlags(rawValue: 0x2000)
    /// The initial stack (informational: vma_is_stack()).
    static let stack = VMFlags(rawValue: 0x4000)

    static let accessFlags: VMFlags = [.read, .write, .exec]
    static let mayFlags: VMFlags = [.mayRead, .mayWrite, .mayExec]
}

/// vm_area_struct: one run of pages [start, end) with one set of permissions.
final class VMArea {
    var start: UInt64
    var end: UInt64
    var flags: VMFlags
    /// The next area up in the address space, or nil.
    var next: VMArea?
    /// vm_file and vm_pgoff: the file its missing pages are read from (mm/filemap.swift),
    /// the file offset of `start`, and where the file's bytes end for this area.
    var file: Dentry? = nil
    var pgoff: UInt64 = 0
    var fileEnd: UInt64 = 0
    /// anon_vma, reduced to whether it exists: some page of this private area
    /// is its own (a copy or a zeroed page) rather than the file's. fork copies
    /// the entries of such areas only (vma_needs_copy).
    var anonVma = false
    /// The mm this area belongs to, and its neighbours among the areas
    /// mapping the same file (the file's i_mmap list, fs_lock): how truncate
    /// finds every mapping.
    unowned(unsafe) var mm: MMStruct? = nil
    unowned(unsafe) var iMmapNext: VMArea? = nil
    unowned(unsafe) var iMmapPrev: VMArea? = nil
    /// The last truncate that unmapped this area's tail (unmap_mapping_range).
    var truncateSeq = 0
    /// vm_ops == &shm_vm_ops: the area attaches a System V segment
    /// (ipc/shm.swift) and is one of its shm_nattch; it is counted by
    /// shm_open() when made and shm_close() when gone (vma_copy_file, vma_put_file).
    unowned(unsafe) var shm: ShmidKernel? = nil

    init(start: UInt64, end: UInt64, flags: VMFlags) {
        self.start = start
        self.end = end
        self.flags = flags
        self.next = nil
    }

    var isShared: Bool { flags.contains(.shared) }
    var length: UInt64 { end - start }
}

/// mm_struct: page tables, areas, and the layout fields exec fills in.
final class MMStruct {
    /// The PML4. Entries 256..511 are init_pgd's (the kernel half never
    /// changes after paging_init), entries 0..255 are this process's own.
    let pgd: PageTable
    /// The lowest area; the list is sorted by address and never overlaps.
    var mmap: VMArea? = nil
    var mapCount = 0
    /// Users of the address space (tasks sharing it, plus temporary holds).
    let mmUsers = Atomic<Int>(1)
    /// mm->exe_file: the program this address space was exec'd from (/proc/self/exe).
    var exeFile: Dentry? = nil
    let mmapLock = SpinLock(name: "mmap_lock")
    /// mm_cpumask(): the CPUs that have this address space loaded in CR3,
    /// and so may hold its translations in their TLBs (arch/x86_64/mm/tlb.swift).
    let cpuMask = Atomic<UInt64>(0)

    /// Top of the top-down mmap area (Linux: mm->mmap_base).
    var mmapBase: UInt64 = MMAP_BASE
    var startCode: UInt64 = 0, endCode: UInt64 = 0
    var startData: UInt64 = 0, endData: UInt64 = 0
    var startBrk: UInt64 = 0, brk: UInt64 = 0
    var startStack: UInt64 = 0
    var argStart: UInt64 = 0, argEnd: UInt64 = 0
    var envStart: UInt64 = 0, envEnd: UInt64 = 0

    /// Page-table pages below the PGD that this mm owns (PUD, PMD, PT).
    var nrPtes = 0
    /// The page tables below the PGD, linked through their Pages (pfns, -1
    /// ends): exit frees them from this list instead of scanning for them.
    var ptPages: Int32 = -1
    /// get_dumpable(): SUID_DUMP_USER, or SUID_DUMP_DISABLE after
    /// prctl(PR_SET_DUMPABLE, 0); copied by fork, reset by exec (fs/coredump.swift).
    var dumpable: Int32 = 1
    /// Where exec put the auxiliary vector on the stack, and its length in
    /// words (AT_NULL pair included), for a core dump's NT_AUXV note. Linux
    /// copies it into mm->saved_auxv; reading it back from the stack keeps
    /// the mm small, and programs do not write over it.
    var auxvStart: UInt64 = 0
    var auxvWords = 0
    /// Resident user frames mapped (each mapping counted once per mm).
    var rss = 0
    /// The most `rss` has been, brought up to date before pages are unmapped.
    var hiwaterRss = 0

    init(pgd: PageTable) { self.pgd = pgd }
}

/// update_hiwater_rss(): remember the peak before rss goes down.
func update_hiwater_rss(_ mm: MMStruct) {
    if mm.hiwaterRss < mm.rss { mm.hiwaterRss = mm.rss }
}

/// get_mm_hiwater_rss(): the peak, counting pages mapped since the last update.
func get_mm_hiwater_rss(_ mm: MMStruct) -> Int { max(mm.hiwaterRss, mm.rss) }

/// setmax_mm_hiwater_rss(): raise `maxrss` to the mm's peak (getrusage,
/// and signal->maxrss at exec and at the group's death).
func setmax_mm_hiwater_rss(_ maxrss: inout Int, _ mm: MMStruct) {
    let hiwater = get_mm_hiwater_rss(mm)
    if maxrss < hiwater { maxrss = hiwater }
}

/// STACK_TOP on x86-64 without randomisation: the last user page below
/// TASK_SIZE (arch/x86/include/asm/processor.h: STACK_TOP = TASK_SIZE_LOW).
let STACK_TOP: UInt64 = TASK_SIZE
/// The initial stack VMA's size (RLIMIT_STACK's default, 8 MiB).
let STACK_SIZE_MAX: UInt64 = 8 << 20
/// The gap Linux leaves between STACK_TOP and mmap_base: RLIMIT_STACK plus
/// the guard gap, clamped to at least MIN_GAP = 128 MiB (mm/util.c mmap_base()).
let MMAP_MIN_GAP: UInt64 = 128 << 20
/// mmap_base without randomisation: 0x7ffff7fff000, as Linux under `setarch -R`.
let MMAP_BASE: UInt64 = page_align_down(TASK_SIZE - MMAP_MIN_GAP)
/// vm.mmap_min_addr's default: nothing is mapped below 64 KiB unless MAP_FIXED asks.
let MMAP_MIN_ADDR: UInt64 = 0x10000
/// vm.max_map_count's default.
let MAX_MAP_COUNT = 65530
