// Per-task architecture state: kernel stacks, the register frame a new task
// starts from, FPU state, the FS base. Linux: arch/x86/kernel/process_64.c,
// process.c, kernel/fork.c (alloc_thread_stack_node).
//
// A kernel stack is THREAD_SIZE bytes mapped in the vmalloc area with an
// unmapped guard page below it, so an overflow faults (and reports itself,
// traps.swift) instead of overwriting the neighbour. Its lowest bytes hold
// the saved stack pointer, an end-of-stack magic and the task's FPU area:
//
//   stackBase + 0    saved RSP while switched out (__switch_to_asm)
//   stackBase + 8    STACK_END_MAGIC, checked at every switch
//   stackBase + 64   FXSAVE area, 512 bytes
//   ...              the stack proper, growing down from stackTop

import CShim

let STACK_END_MAGIC: UInt64 = 0x57AC_6E9D
private let FPU_AREA_OFFSET: UInt64 = 64
/// Guard page + stack, per slot of the vmalloc area.
private let STACK_SLOT_SIZE = THREAD_SIZE + PAGE_SIZE
let MAX_KERNEL_STACKS = 4096

struct ThreadStruct {
    var fsbase: UInt64 = 0
    /// Whether the FXSAVE area holds user state worth restoring.
    var fpuValid = false
}

/// Slots of the stack area. A freed slot is `dirty` while other CPUs may
/// still hold its old translation (global entries survive CR3 reloads); it
/// is handed out again only after flush_tlb_kernel_all(), which is done in a
/// batch (Linux's lazy vmap purge does the same for vmalloc).
struct StackSlots {
    var bitmap = InlineArray<64, UInt64>(repeating: 0)
    var dirty = InlineArray<64, UInt64>(repeating: 0)
    var nrDirty = 0
    var inUse = 0
}
private let STACK_DIRTY_BATCH = 64
var stackSlots = StackSlots()
/// Guards stackSlots and the vmalloc-area page tables.
let vmallocLock = SpinLock(name: "vmap_area_lock")

/// Build the page tables of the whole stack area now, so that stack
/// allocation never allocates a page table (and never leaks one).
func thread_stack_cache_init() {
    var va = VMALLOC_START
    let end = VMALLOC_START + UInt64(MAX_KERNEL_STACKS) * STACK_SLOT_SIZE
    while va < end {
        guard let pud = init_pgd.next(pgd_index(va), create: true),
              let pmd = pud.next(pud_index(va), create: true),
              pmd.next(pmd_index(va), create: true) != nil else { panic("stack area: no memory") }
        va += 1 << 21
    }
}

/// alloc_thread_stack_node(): frames for a stack, mapped below a guard page.
func alloc_thread_stack() -> UInt64? {
    var slot = -1
    if stackSlots.nrDirty >= STACK_DIRTY_BATCH || stackSlots.inUse + stackSlots.nrDirty >= MAX_KERNEL_STACKS {
        purge_dirty_stack_slots()
    }
    vmallocLock.withLock {
        for w in 0..<64 where stackSlots.bitmap[w] != ~0 {
            let bit = (~stackSlots.bitmap[w]).trailingZeroBitCount
            stackSlots.bitmap[w] |= 1 << UInt64(bit)
            stackSlots.inUse += 1
            slot = w * 64 + bit
            break
        }
    }
    guard slot >= 0 else { return nil }
    let base = VMALLOC_START + UInt64(slot) * STACK_SLOT_SIZE + PAGE_SIZE
    var mapped: UInt64 = 0
    while mapped < THREAD_SIZE {
        guard let frame = alloc_page(), let pte = lookup_pte(init_pgd, base + mapped) else {
            free_thread_stack(base, mappedBytes: mapped)
            return nil
        }
        pte.pointee = frame.value | PTEFlags.kernelData.rawValue
        mapped += PAGE_SIZE
    }
    poke64(base + 8, STACK_END_MAGIC)
    return base
}

/// Unmap and free a stack (the guard page was never mapped).
func free_thread_stack(_ base: UInt64, mappedBytes: UInt64 = THREAD_SIZE) {
    var off: UInt64 = 0
    while off < mappedBytes {
        if let pte = lookup_pte(init_pgd, base + off), pte.pointee & PTEFlags.present.rawValue != 0 {
            let frame = PhysAddr(pte.pointee & PTE_ADDR_MASK)
            pte.pointee = 0
            invlpg(base + off)
            free_page(frame)
        }
        off += PAGE_SIZE
    }
    let slot = Int((base - PAGE_SIZE - VMALLOC_START) / STACK_SLOT_SIZE)
    let smp = num_online_cpus() > 1
    vmallocLock.withLock {
        if smp {
            stackSlots.dirty[slot / 64] |= 1 << UInt64(slot % 64)
            stackSlots.nrDirty += 1
        } else {
            stackSlots.bitmap[slot / 64] &= ~(1 << UInt64(slot % 64))
        }
        stackSlots.inUse -= 1
    }
}

/// Every CPU forgets the freed stacks' translations; their slots are free again.
private func purge_dirty_stack_slots() {
    flush_tlb_kernel_all()
    vmallocLock.withLock {
        for w in 0..<64 where stackSlots.dirty[w] != 0 {
            stackSlots.bitmap[w] &= ~stackSlots.dirty[w]
            stackSlots.dirty[w] = 0
        }
        stackSlots.nrDirty = 0
    }
}

func is_stack_guard_page(_ va: UInt64) -> Bool {
    if va >= sym_boot_stack_guard() && va < sym_boot_stack_guard() + PAGE_SIZE { return true }
    guard va >= VMALLOC_START && va < VMALLOC_START + UInt64(MAX_KERNEL_STACKS) * STACK_SLOT_SIZE else { return false }
    return (va - VMALLOC_START) % STACK_SLOT_SIZE < PAGE_SIZE
}

/// The FPU state a fresh program starts with (FCW 0x37f, MXCSR 0x1f80).
func fpu_init_state(_ t: Task) {
    let area = t.stackBase + FPU_AREA_OFFSET
    for off in stride(from: UInt64(0), to: 512, by: 8) { poke64(area + off, 0) }
    poke16(area, 0x037f)
    poke32(area + 24, 0x1f80)
    t.thread.fpuValid = true
}

/// copy_thread(): the child's kernel stack, laid out so that its first
/// switch-in "returns" into ret_from_fork and from there to user mode with
/// the parent's registers, RAX = 0 (fork's return value in the child).
func copy_thread(_ child: Task, parentRegs: UnsafeMutablePointer<PtRegs>, newSp: UInt64, tls: UInt64?) {
    copy_thread_initial(child, parentRegs)
    let childRegs = task_pt_regs(child)
    childRegs.pointee.rax = 0
    if newSp != 0 { childRegs.pointee.rsp = newSp }

    let parent = current
    child.thread = parent.thread
    if let tls { child.thread.fsbase = tls }
    // The parent's live FPU registers are the state to copy.
    fxsave(child.stackBase + FPU_AREA_OFFSET)
    child.thread.fpuValid = true
}

/// The stack of a task that has never run: `regs` at the top, and below it
/// the frame __switch_to_asm pops (r15, r14, r13, r12, rbx, rbp, then the
/// return address, ret_from_fork).
func copy_thread_initial(_ t: Task, _ regs: UnsafeMutablePointer<PtRegs>) {
    let regsAddr = t.stackTop - UInt64(MemoryLayout<PtRegs>.stride)
    task_pt_regs(t).pointee = regs.pointee
    let frame = regsAddr - 7 * 8
    for i in 0..<6 { poke64(frame + UInt64(i * 8), 0) }
    poke64(frame + 48, sym_ret_from_fork())
    poke64(t.stackBase, frame)
}

/// TSS.rsp0: the stack an interrupt from user mode lands on.
func cpu_tss_set_rsp0(_ top: UInt64) { this_cpu_area().desc.setKernelStack(top) }

/// The registers of the user context this task will return to.
func task_pt_regs(_ t: Task) -> UnsafeMutablePointer<PtRegs> {
    UnsafeMutableRawPointer(bitPattern: UInt(t.stackTop - UInt64(MemoryLayout<PtRegs>.stride)))
        .unsafelyUnwrapped.assumingMemoryBound(to: PtRegs.self)
}

/// xfpregs_get(): the task's FXSAVE image (512 bytes) to `dst` — the live
/// registers for the running task, else what its last switch away saved.
/// For a core dump's NT_PRFPREG note.
func xfpregs_get(_ t: Task, _ dst: UnsafeMutableRawPointer) {
    if t === current { fxsave(t.stackBase + FPU_AREA_OFFSET) }
    dst.copyMemory(from: UnsafeRawPointer(bitPattern: UInt(t.stackBase + FPU_AREA_OFFSET)).unsafelyUnwrapped, byteCount: 512)
}

/// The task's FS base: the MSR for the running task, else the saved value.
func task_fsbase(_ t: Task) -> UInt64 {
    t === current ? rdmsr(UInt32(MSR_FS_BASE)) : t.thread.fsbase
}

/// start_thread(): after execve, return to user mode at `ip` with stack `sp`
/// and every other register zero.
func start_thread(_ regs: UnsafeMutablePointer<PtRegs>, ip: UInt64, sp: UInt64) {
    regs.pointee = PtRegs()
    regs.pointee.rip = ip
    regs.pointee.rsp = sp
    regs.pointee.cs = UInt64(__USER_CS)
    regs.pointee.ss = UInt64(__USER_DS)
    regs.pointee.rflags = 0x202        // IF
    regs.pointee.vector = 0x100
    let t = current
    t.thread.fsbase = 0
    wrmsr(UInt32(MSR_FS_BASE), 0)
    fpu_init_state(t)
    fxrstor(t.stackBase + FPU_AREA_OFFSET)
}

/// __switch_to(): the outgoing task's FPU registers and FS base are saved,
/// the incoming task's loaded. The stack-end magic is checked here: a
/// corrupted one means a stack overflowed past what the guard page caught.
func switch_to_prepare(_ prev: Task, _ next: Task) {
    if !prev.isIdle {
        BUG_ON(peek64(prev.stackBase + 8) != STACK_END_MAGIC, "kernel stack of pid \(prev.pid) overflowed")
        fxsave(prev.stackBase + FPU_AREA_OFFSET)
        prev.thread.fsbase = rdmsr(UInt32(MSR_FS_BASE))
    }
    if !next.isIdle {
        if next.thread.fpuValid { fxrstor(next.stackBase + FPU_AREA_OFFSET) }
        wrmsr(UInt32(MSR_FS_BASE), next.thread.fsbase)
    }
}

/// switch_to(): from `prev` to `next` on this CPU — FPU and FS base
/// (switch_to_prepare), `current`, the stack the next entry from user mode
/// lands on (the SYSCALL path's per-CPU top of stack and TSS.rsp0), then the
/// stacks themselves: __switch_to_asm saves prev's stack pointer in the slot
/// at the bottom of its stack and loads next's. Returns the task switched
/// away from when `next` last ran, as __switch_to_asm hands it over.
/// Linux: arch/x86/include/asm/switch_to.h, __switch_to() in process_64.c.
func switch_to(_ prev: Task, _ next: Task) -> Task {
    switch_to_prepare(prev, next)
    set_current(next)
    this_cpu_set_top_of_stack(next.stackTop)
    cpu_tss_set_rsp0(next.stackTop)
    let lastRaw = __switch_to_asm(
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(prev.stackBase)),
        peek64(next.stackBase),
        UInt64(UInt(bitPattern: Unmanaged.passUnretained(prev).toOpaque())))
    return unsafeBitCast(UInt(lastRaw), to: Task.self)
}

let ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004

/// arch_prctl(2): the FS base (thread-local storage) — and reading it back.
func sys_arch_prctl(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let code = Int(truncatingIfNeeded: regs.arg0)
    let addr = regs.arg1
    switch code {
    case ARCH_SET_FS:
        // Linux refuses addresses outside user space with EPERM.
        guard addr < TASK_SIZE else { return Errno.EPERM.negated }
        current.thread.fsbase = addr
        wrmsr(UInt32(MSR_FS_BASE), addr)
        return 0
    case ARCH_GET_FS:
        let v = current.thread.fsbase
        return put_user(v, addr) ? 0 : Errno.EFAULT.negated
    case ARCH_SET_GS, ARCH_GET_GS:
        return Errno.EINVAL.negated
    default:
        return Errno.EINVAL.negated
    }
}
