// GDT, TSS and IDT. Linux: arch/x86/kernel/cpu/common.c, arch/x86/include/asm/desc.h.
//
// The GDT is laid out as Linux's, in the order SYSCALL/SYSRET require:
// SYSRET loads CS from STAR[63:48]+16 and SS from STAR[63:48]+8, so the user
// data segment must sit right below the 64-bit user code segment.

import CShim

let GDT_ENTRY_KERNEL32_CS = 1
let __KERNEL_CS: UInt16 = 0x10
let __KERNEL_DS: UInt16 = 0x18
let __USER32_CS: UInt16 = 0x23
let __USER_DS: UInt16 = 0x2b
let __USER_CS: UInt16 = 0x33
let GDT_ENTRY_TSS = 8
let GDT_ENTRIES = 10

/// Interrupt stack table slots (TSS.ist[n-1]).
let IST_DOUBLE_FAULT = 1
let IST_NMI = 2

/// The x86-64 TSS: only rsp0 (the stack for entries from user mode) and the
/// IST stacks matter in long mode.
struct TSSLayout {
    static let rsp0 = 4
    static let ist1 = 36
    static let iomapBase = 102
    static let size = 104
}

/// One CPU's descriptor tables, wherever they live.
struct CpuDescriptors {
    let gdt: UInt64        // GDT_ENTRIES * 8 bytes
    let tss: UInt64        // 104 bytes
    let istStacksTop: (UInt64, UInt64)

    /// Builds the GDT and TSS and loads them on the calling CPU.
    func load() {
        let entries: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
            0,
            0x00cf_9a00_0000_ffff,   // 0x08 kernel code, 32-bit (unused, Linux keeps it)
            0x00af_9b00_0000_ffff,   // 0x10 __KERNEL_CS, 64-bit
            0x00cf_9300_0000_ffff,   // 0x18 __KERNEL_DS
            0x00cf_fb00_0000_ffff,   // 0x23 __USER32_CS
            0x00cf_f300_0000_ffff,   // 0x2b __USER_DS
            0x00af_fb00_0000_ffff,   // 0x33 __USER_CS, 64-bit
            0)
        withUnsafeBytes(of: entries) { raw in
            for i in 0..<8 { poke64(gdt + UInt64(i * 8), raw.load(fromByteOffset: i * 8, as: UInt64.self)) }
        }
        // A 16-byte available 64-bit TSS descriptor.
        let limit = UInt64(TSSLayout.size - 1)
        let lo = (limit & 0xffff) | ((tss & 0xff_ffff) << 16) | (0x89 << 40) | ((tss >> 24) & 0xff) << 56
        poke64(gdt + UInt64(GDT_ENTRY_TSS * 8), lo)
        poke64(gdt + UInt64(GDT_ENTRY_TSS * 8 + 8), tss >> 32)

        for off in stride(from: 0, to: TSSLayout.size, by: 4) { poke32(tss + UInt64(off), 0) }
        poke64(tss + UInt64(TSSLayout.ist1 + (IST_DOUBLE_FAULT - 1) * 8), istStacksTop.0)
        poke64(tss + UInt64(TSSLayout.ist1 + (IST_NMI - 1) * 8), istStacksTop.1)
        poke16(tss + UInt64(TSSLayout.iomapBase), UInt16(TSSLayout.size))   // no I/O bitmap

        load_gdt(gdt, UInt16(GDT_ENTRIES * 8 - 1))
        load_kernel_segments(__KERNEL_CS, __KERNEL_DS)
        load_tr(UInt16(GDT_ENTRY_TSS * 8))
    }

    /// The stack the CPU switches to on an interrupt or exception from user mode.
    func setKernelStack(_ top: UInt64) { poke64(tss + UInt64(TSSLayout.rsp0), top) }
}

/// The boot CPU's tables live in the image's .bss (head_64.asm).
let bootCpuDescriptors = CpuDescriptors(
    gdt: sym_boot_gdt_page(), tss: sym_boot_tss(),
    istStacksTop: (sym_boot_ist_stacks() + PAGE_SIZE, sym_boot_ist_stacks_end()))

// MARK: - IDT

enum GateType: UInt64 {
    case interrupt = 0xE   // clears IF on entry
    case trap = 0xF
}

/// idt_setup(): every vector points at its stub in entry_64.asm. The IDT is
/// shared by all CPUs, as in Linux.
func idt_setup() {
    let idt = sym_idt_table()
    for v in 0..<256 {
        let handler = isr_stub(Int32(v))
        var ist: UInt64 = 0
        if v == 8 { ist = UInt64(IST_DOUBLE_FAULT) }
        if v == 2 { ist = UInt64(IST_NMI) }
        // int3 (3), and the legacy int 0x80 gate are callable from user mode.
        let dpl: UInt64 = (v == 3 || v == 4 || v == 0x80) ? 3 : 0
        let type = GateType.interrupt.rawValue
        let lo = (handler & 0xffff) | (UInt64(__KERNEL_CS) << 16) | (ist << 32)
            | (type << 40) | (dpl << 45) | (1 << 47) | ((handler >> 16) & 0xffff) << 48
        poke64(idt + UInt64(v * 16), lo)
        poke64(idt + UInt64(v * 16 + 8), handler >> 32)
    }
    load_idt_table()
}

/// lidt on the calling CPU (APs call this too).
func load_idt_table() {
    load_idt(sym_idt_table(), 256 * 16 - 1)
}
