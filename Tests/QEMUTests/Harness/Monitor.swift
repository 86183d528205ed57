import Foundation

/// Where the vCPUs of a hung boot are. A quiet boot that never finishes has printed nothing
/// (Linux with `quiet` prints nothing before init), so at the deadline, before the kill,
/// `QEMU.boot` asks QEMU's human monitor (on a Unix socket) for `info registers -a` and
/// names each RIP from the kernel's symbols; then it injects an NMI, which MiniKernel
/// answers on the console with every task's state and where each one sleeps.
enum QEMUMonitor {
    /// The monitor's answer to `info registers -a` on the socket at `path`, or a line
    /// saying why there is none. Waits at most 5 s.
    static func registers(socket path: String) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "(monitor: socket: \(String(cString: strerror(errno))))" }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return "(monitor: path too long)" }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { return "(monitor: connect \(path): \(String(cString: strerror(errno))))" }
        let command = Array("info registers -a\n".utf8)
        guard write(fd, command, command.count) == command.count else { return "(monitor: write failed)" }

        // The answer is done when the monitor prompts again after it ("(qemu) " opens the
        // session, echoes the command and follows the registers).
        var answer = [UInt8](), buffer = [UInt8](repeating: 0, count: 16384)
        let prompt = Array("(qemu) ".utf8)
        func prompts() -> Int {
            guard answer.count >= prompt.count else { return 0 }
            return (0...(answer.count - prompt.count)).reduce(0) { n, i in
                answer[i..<(i + prompt.count)].elementsEqual(prompt) ? n + 1 : n
            }
        }
        let start = Date()
        while Date().timeIntervalSince(start) < 5, prompts() < 2 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 || errno == EINTR else { break }
            guard p.revents != 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        // Then an NMI: MiniKernel answers it with every CPU's trace and every task's state
        // and kernel stack (arch/x86_64/nmi.swift), printed in the seconds before the kill.
        let nmi = Array("nmi\n".utf8)
        _ = write(fd, nmi, nmi.count)
        // The monitor echoes with cursor-movement escapes; the register lines are plain.
        // (CR goes first: Swift reads CR LF as one Character, which is not "\n".)
        let text = String(decoding: answer, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        let lines = text.split(separator: "\n")
            .filter { !$0.contains("\u{1b}") && !$0.hasPrefix("(qemu)") && !$0.hasPrefix("QEMU ") }
        return lines.isEmpty ? "(monitor: no answer within 5 s)" : lines.joined(separator: "\n")
    }

    /// One line per vCPU of a `registers` answer: "CPU#1 RIP=ffffffff81e3a1b2 default_idle+0x12 (HLT)".
    static func summary(_ registers: String, symbols: KernelSymbols?) -> String {
        var out: [String] = []
        var cpu = "CPU#?"
        for line in registers.split(separator: "\n") {
            if let r = line.range(of: "CPU#") {
                cpu = String(line[r.lowerBound...].prefix { $0 != " " })
            }
            if let r = line.range(of: "RIP="), case let hex = line[r.upperBound...].prefix(while: \.isHexDigit),
               let rip = UInt64(hex, radix: 16) {
                let name = symbols?.name(of: rip).map { " \($0)" } ?? ""
                let mode = line.contains("CPL=3") ? " (user)" : line.contains("HLT=1") ? " (HLT)" : ""
                out.append("\(cpu) RIP=\(hex)\(name)\(mode)")
            }
        }
        return out.isEmpty ? registers : out.joined(separator: "\n")
    }
}

/// A kernel's text symbols, sorted by address, from `nm -n` of its ELF: MiniKernel's. (Debian's
/// vmlinux is stripped and its package's System.map is a placeholder, so Linux's RIPs stay
/// numbers, to be read against its -dbg package.)
struct KernelSymbols: Sendable {
    private var addresses: [UInt64] = []
    private var names: [String] = []

    init?(kernel: URL) {
        guard let text = try? Self.nm(kernel) else { return nil }
        var pairs: [(UInt64, String)] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3, "tTwW".contains(f[1]), let a = UInt64(f[0], radix: 16) else { continue }
            pairs.append((a, String(f[2])))
        }
        guard !pairs.isEmpty else { return nil }
        pairs.sort { $0.0 < $1.0 }
        addresses = pairs.map(\.0)
        names = pairs.map(\.1)
    }

    /// "function+0xoffset" for a kernel-half `address`, or nil (user space, below the first symbol).
    func name(of address: UInt64) -> String? {
        guard address >= 0xffff_8000_0000_0000 else { return nil }
        var lo = 0, hi = addresses.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if addresses[mid] <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        return "\(names[lo - 1])+0x\(String(address - addresses[lo - 1], radix: 16))"
    }

    private static func nm(_ kernel: URL) throws -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["nm", "-n", kernel.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
