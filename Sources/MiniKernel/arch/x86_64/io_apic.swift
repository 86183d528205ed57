// The I/O APIC: routes a device's interrupt line to a vector on a CPU.
// Linux: arch/x86/kernel/apic/io_apic.c, arch/x86/kernel/acpi/boot.c.
//
// Only what the serial port needs: the MADT names the I/O APIC (entry type
// 1: its address and first GSI) and any ISA interrupt that is wired to a
// different GSI or polarity (type 2, an interrupt source override). An ISA
// line is edge-triggered and active high unless the override says
// otherwise. The interrupt goes to the boot CPU (physical destination).

import CShim

private let IOREGSEL: UInt64 = 0x00
private let IOWIN: UInt64 = 0x10
private let IOAPIC_REDTBL: UInt32 = 0x10

private func io_apic_write(_ base: UInt64, _ reg: UInt32, _ v: UInt32) {
    poke32(base + IOREGSEL, reg)
    poke32(base + IOWIN, v)
}

/// ISA interrupt `irq` → `vector` on the boot CPU, unmasked.
func io_apic_route_isa_irq(_ irq: Int, vector: Int) {
    var ioapic: (addr: UInt64, gsiBase: Int)? = nil
    var gsi = irq
    var low = UInt32(vector)                 // fixed delivery, physical, edge, active high
    acpi_madt_entries { type, entry in
        if type == 1 {
            ioapic = (UInt64(entry.load(4, as: UInt32.self)), Int(entry.load(8, as: UInt32.self)))
        } else if type == 2 && Int(entry.load(3, as: UInt8.self)) == irq {
            gsi = Int(entry.load(4, as: UInt32.self))
            let flags = entry.load(8, as: UInt16.self)
            if flags & 0b11 == 0b11 { low |= 1 << 13 }          // active low
            if (flags >> 2) & 0b11 == 0b11 { low |= 1 << 15 }   // level triggered
        }
    }
    guard let io = ioapic, gsi >= io.gsiBase else {
        pr_warn("io_apic: no I/O APIC for IRQ \(irq): serial input is off")
        return
    }
    let base = PhysAddr(io.addr).virt
    let pin = UInt32(gsi - io.gsiBase)
    io_apic_write(base, IOAPIC_REDTBL + 2 * pin + 1, UInt32(apic_id()) << 24)
    io_apic_write(base, IOAPIC_REDTBL + 2 * pin, low)
}
