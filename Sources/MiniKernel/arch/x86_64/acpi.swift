// The few ACPI tables MiniKernel reads: the FADT for power-off, the MADT for
// the CPUs' local APICs, the HPET table for a clock. Linux: drivers/acpi/tables.c.
//
// The RSDP's address comes in the PVH start info; tables are reached through
// the direct map (they sit in RAM that firmware reserved).

import CShim

struct AcpiTables {
    var fadt: PhysAddr? = nil
    var madt: PhysAddr? = nil
    var hpet: PhysAddr? = nil
}

var acpiTables = AcpiTables()

private func signature(_ p: PhysAddr) -> UInt32 { p.load(as: UInt32.self) }
private func sig(_ s: StaticString) -> UInt32 {
    s.withUTF8Buffer { UInt32($0[0]) | UInt32($0[1]) << 8 | UInt32($0[2]) << 16 | UInt32($0[3]) << 24 }
}

/// acpi_table_init(): walk the RSDT or XSDT and remember the tables we use.
func acpi_table_init(rsdp: PhysAddr) {
    guard rsdp.value != 0, rsdp.load(as: UInt64.self) == 0x2052_5450_2044_5352 else {   // "RSD PTR "
        pr_warn("ACPI: no RSDP")
        return
    }
    let revision = rsdp.load(15, as: UInt8.self)
    var count = 0
    let useXsdt = revision >= 2 && rsdp.load(24, as: UInt64.self) != 0
    let root = PhysAddr(useXsdt ? rsdp.load(24, as: UInt64.self) : UInt64(rsdp.load(16, as: UInt32.self)))
    let length = Int(root.load(4, as: UInt32.self))
    let entrySize = useXsdt ? 8 : 4
    var off = 36
    while off + entrySize <= length {
        let a = useXsdt ? root.load(off, as: UInt64.self) : UInt64(root.load(off, as: UInt32.self))
        let t = PhysAddr(a)
        switch signature(t) {
        case sig("FACP"): acpiTables.fadt = t
        case sig("APIC"): acpiTables.madt = t
        case sig("HPET"): acpiTables.hpet = t
        default: break
        }
        count += 1
        off += entrySize
    }
    pr_info("ACPI: \(count) tables, FADT \(acpiTables.fadt != nil) MADT \(acpiTables.madt != nil) HPET \(acpiTables.hpet != nil)")
}

/// S5 (soft off): write SLP_TYPa | SLP_EN to PM1a_CNT. SLP_TYPa comes from the
/// \_S5 package in the DSDT's AML; we find it by its name, as most small
/// kernels do, instead of running an AML interpreter.
func acpi_power_off() {
    guard let fadt = acpiTables.fadt else { return }
    let pm1aCnt = UInt16(truncatingIfNeeded: fadt.load(64, as: UInt32.self))
    var dsdt = PhysAddr(UInt64(fadt.load(40, as: UInt32.self)))
    if fadt.load(4, as: UInt32.self) >= 148, fadt.load(140, as: UInt64.self) != 0 {
        dsdt = PhysAddr(fadt.load(140, as: UInt64.self))
    }
    guard pm1aCnt != 0, dsdt.value != 0 else { return }
    let len = Int(dsdt.load(4, as: UInt32.self))
    var slpTyp: UInt16 = 0
    var i = 36
    while i + 8 < len {
        if dsdt.load(i, as: UInt32.self) == sig("_S5_") && dsdt.load(i + 4, as: UInt8.self) == 0x12 {
            // PackageOp, PkgLength (1 byte here), NumElements, then SLP_TYPa
            // as BytePrefix (0x0a) + byte, or a bare ZeroOp/OneOp.
            var j = i + 5
            j += Int((dsdt.load(j, as: UInt8.self) >> 6) & 3) + 1   // PkgLength
            j += 1                                                   // NumElements
            var b = dsdt.load(j, as: UInt8.self)
            if b == 0x0a { j += 1; b = dsdt.load(j, as: UInt8.self) }
            slpTyp = UInt16(b)
            break
        }
        i += 1
    }
    outw(pm1aCnt, (slpTyp << 10) | (1 << 13))
}

/// The MADT's entries, each as its type and its address (for entry.load(offset)).
func acpi_madt_entries(_ body: (UInt8, PhysAddr) -> Void) {
    guard let madt = acpiTables.madt else { return }
    let length = Int(madt.load(4, as: UInt32.self))
    var off = 44
    while off + 2 <= length {
        let len = Int(madt.load(off + 1, as: UInt8.self))
        if len < 2 { break }
        body(madt.load(off, as: UInt8.self), PhysAddr(madt.value + UInt64(off)))
        off += len
    }
}

/// acpi_parse_madt(): the local APIC ids of the usable CPUs, in table order
/// (the firmware lists the boot CPU first; smp_prepare_cpus() checks). Each
/// "Processor Local APIC" entry (type 0) that is enabled, or that firmware
/// marks online-capable, is one CPU. Linux: arch/x86/kernel/acpi/boot.c.
func acpi_parse_madt(_ body: (Int) -> Void) {
    acpi_madt_entries { type, entry in
        if type == 0 && entry.load(1, as: UInt8.self) >= 8 && entry.load(4, as: UInt32.self) & 0b11 != 0 {
            body(Int(entry.load(3, as: UInt8.self)))
        }
    }
}
