import Foundation

/// Files a program under MiniKernel sends back over the serial console, for the host's own
/// tools to read (a core file for readelf and gdb, an acct(2) file for dump-acct): busybox's
/// sh prints `begin NAME`, then `gzip -c NAME | base64`, then `end NAME`.
enum ConsoleFile {
    /// The shell lines that send NAME from the current directory.
    static func sendScript(_ name: String) -> String {
        "echo \"begin \(name)\"\ngzip -c \(name) | base64\necho \"end \(name)\"\n"
    }

    /// NAME, decoded and unzipped into `dir`; nil when the console does not hold it whole.
    static func receive(_ name: String, from output: String, into dir: URL) async throws -> URL? {
        let lines = output.split(separator: "\n").map(String.init)
        guard let b = lines.firstIndex(of: "begin \(name)"), let e = lines.firstIndex(of: "end \(name)"), b < e,
              let gz = Data(base64Encoded: lines[(b + 1)..<e].joined()) else { return nil }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try gz.write(to: dir.appendingPathComponent("\(name).gz"))
        let unzip = try await Subprocess.run(URL(fileURLWithPath: "/bin/gzip"), arguments: ["-d", "-f", "\(name).gz"],
                                             currentDirectory: dir, mergeStderr: true, timeout: 60)
        guard unzip.status == 0, !unzip.signaled else {
            throw HarnessError("gzip -d \(name).gz: \(unzip.ending): \(String(decoding: unzip.stdout, as: UTF8.self))")
        }
        return dir.appendingPathComponent(name)
    }
}
