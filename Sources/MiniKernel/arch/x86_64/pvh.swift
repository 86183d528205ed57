// The PVH boot protocol's start info. Linux: arch/x86/platform/pvh/enlighten.c,
// include/xen/interface/hvm/start_info.h.
//
// QEMU hands us, in EBX at entry, the physical address of `hvm_start_info`:
// the command line, the modules (our initramfs), the RSDP and the memory map.

import CShim
let XEN_HVM_START_MAGIC_VALUE: UInt32 = 0x336e_c578

/// One range of the E820-style memory map.
struct MemoryRange {
    var base: UInt64
    var size: UInt64
    var type: UInt32
    static let ram: UInt32 = 1
}

struct BootParams {
    var cmdline: ByteString = .empty
    var initrd: PhysAddr? = nil
    var initrdSize: UInt64 = 0
    var rsdp = PhysAddr(0)
    var memmap = PhysAddr(0)
    var memmapEntries = 0

    func memoryRange(_ i: Int) -> MemoryRange {
        let e = memmap + UInt64(i * 24)
        return MemoryRange(base: e.load(0, as: UInt64.self), size: e.load(8, as: UInt64.self),
                           type: e.load(16, as: UInt32.self))
    }
}

var boot_params = BootParams()

/// Reads the start info; a wrong magic means we were not booted through PVH.
func pvh_parse_start_info(_ pa: UInt32) {
    let si = PhysAddr(UInt64(pa))
    guard si.load(0, as: UInt32.self) == XEN_HVM_START_MAGIC_VALUE else {
        panic("PVH: bad start info magic (booted without a PVH loader?)")
    }
    let version = si.load(4, as: UInt32.self)
    let nrModules = si.load(12, as: UInt32.self)
    let modlist = PhysAddr(si.load(16, as: UInt64.self))
    let cmdline = PhysAddr(si.load(24, as: UInt64.self))
    boot_params.rsdp = PhysAddr(si.load(32, as: UInt64.self))
    if version >= 1 {
        boot_params.memmap = PhysAddr(si.load(40, as: UInt64.self))
        boot_params.memmapEntries = Int(si.load(48, as: UInt32.self))
    }
    if cmdline.value != 0 {
        boot_params.cmdline = ByteString(cString: UnsafePointer(cmdline.pointer.assumingMemoryBound(to: UInt8.self)), limit: 2048)
    }
    if nrModules > 0 && modlist.value != 0 {
        boot_params.initrd = PhysAddr(modlist.load(0, as: UInt64.self))
        boot_params.initrdSize = modlist.load(8, as: UInt64.self)
    }
}
