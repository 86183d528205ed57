import Foundation
import Testing

/// docs/linux-map.md stays true (no QEMU, no build): every MiniKernel function it names is
/// declared in the file it names, and every function with a Linux name in every Swift file the
/// map names is in the map. The format and the naming rule are written at the top of the map
/// itself; this file only enforces them.
@Suite("Linux map (docs/linux-map.md)")
struct LinuxMapTests {
    static let header = "| Linux | MiniKernel | File | Notes |"
    static let separator = "| --- | --- | --- | --- |"
    static let leftOutHeading = "## What MiniKernel deliberately does not have"
    /// Files that must stay in the map (and so stay checked) whatever its rows say.
    static let requiredCheckedFiles = [
        "Sources/MiniKernel/kernel/exit.swift",
        "Sources/MiniKernel/kernel/signal.swift",
        "Sources/MiniKernel/kernel/wait.swift",
    ]

    /// One row of a map table.
    struct Row: CustomStringConvertible {
        var line: Int
        var linux: String
        var name: String          // MiniKernel function or label, without `()`
        var isLabel: Bool         // written without `()`: an assembly label
        var file: String
        var description: String { "docs/linux-map.md:\(line): \(linux) → \(name) in \(file)" }
    }

    struct Map {
        var rows: [Row] = []
        var problems: [String] = []
        var allowlist: Set<String> = []
        /// Linux functions the docs may name although MiniKernel has none of that name.
        var linuxOnly: Set<String> = []
        /// Every Swift file some row names: all of their Linux names must be mapped.
        var checkedFiles: [String] { Set(rows.map(\.file)).filter { $0.hasSuffix(".swift") }.sorted() }
        /// The names in the Linux column, without `()`.
        var linuxNames: Set<String> {
            Set(rows.flatMap { LinuxMapTests.backticked($0.linux[...]) }.map { $0.hasSuffix("()") ? String($0.dropLast(2)) : $0 })
        }
    }

    static func read(_ relative: String) throws -> String {
        try String(contentsOf: Repo.root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// The backticked words of a line, in order.
    static func backticked(_ s: Substring) -> [String] {
        let parts = s.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count, by: 2).map { String(parts[$0]) }
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || CharacterSet.alphanumerics.contains($0) }
    }

    /// Parses the map by the rules at its top.
    static func parse() throws -> Map {
        var map = Map()
        let lines = try read("docs/linux-map.md").split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        var inLeftOut = false
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("## ") { inLeftOut = line.hasPrefix(Self.leftOutHeading) }
            if inLeftOut {
                // Everything the "does not have" section names in backticks is Linux's alone.
                map.linuxOnly.formUnion(backticked(line[...]).filter { $0.hasSuffix("()") }.map { String($0.dropLast(2)) })
            }
            if line.hasPrefix("- Linux names without an underscore:") {
                map.allowlist = Set(backticked(line[...]))
            } else if line.hasPrefix("- Linux functions the docs name that MiniKernel does not have:") {
                map.linuxOnly.formUnion(backticked(line[...]).map { $0.hasSuffix("()") ? String($0.dropLast(2)) : $0 })
            }
            guard line == header else { i += 1; continue }
            i += 1
            if i >= lines.count || lines[i].trimmingCharacters(in: .whitespaces) != separator {
                map.problems.append("docs/linux-map.md:\(i + 1): a map table header must be followed by \(separator)")
                continue
            }
            i += 1
            while i < lines.count, lines[i].hasPrefix("|") {
                let number = i + 1
                let text = lines[i].trimmingCharacters(in: .whitespaces)
                i += 1
                guard text.hasSuffix("|") else {
                    map.problems.append("docs/linux-map.md:\(number): a row must end with |")
                    continue
                }
                let cells = text.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard cells.count == 4 else {
                    map.problems.append("docs/linux-map.md:\(number): \(cells.count) cells, want 4 (no | inside a cell)")
                    continue
                }
                let (linux, mk, file) = (cells[0], cells[1], cells[2])
                if linux != "(none)" && !(linux.hasPrefix("`") && linux.hasSuffix("`") && linux.count > 2) {
                    map.problems.append("docs/linux-map.md:\(number): Linux cell must be `name()` in backticks or (none): \(linux)")
                }
                guard mk.hasPrefix("`"), mk.hasSuffix("`"), mk.count > 2 else {
                    map.problems.append("docs/linux-map.md:\(number): MiniKernel cell must be one name in backticks: \(mk)")
                    continue
                }
                var name = String(mk.dropFirst().dropLast())
                let isLabel = !name.hasSuffix("()")
                if !isLabel { name.removeLast(2) }
                guard isIdentifier(name) else {
                    map.problems.append("docs/linux-map.md:\(number): not a function or label name: \(mk)")
                    continue
                }
                guard file.hasPrefix("`"), file.hasSuffix("`"), file.count > 2 else {
                    map.problems.append("docs/linux-map.md:\(number): File cell must be a path in backticks: \(file)")
                    continue
                }
                let path = String(file.dropFirst().dropLast())
                if isLabel != path.hasSuffix(".asm") {
                    map.problems.append("docs/linux-map.md:\(number): `name()` is for Swift files, `name` for .asm labels: \(mk) in \(path)")
                }
                map.rows.append(Row(line: number, linux: linux, name: name, isLabel: isLabel, file: path))
            }
        }
        return map
    }

    /// Names declared with `func NAME(` or `func NAME<`, outside `//` comment lines.
    static func declaredFunctions(_ source: String) -> [String] {
        var names: [String] = []
        for raw in source.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("//") { continue }
            var rest = line[...]
            while let r = rest.range(of: "func ") {
                // `func` must start a word (not e.g. `myfunc `).
                if r.lowerBound > rest.startIndex {
                    let before = rest[rest.index(before: r.lowerBound)]
                    if before.isLetter || before.isNumber || before == "_" { rest = rest[r.upperBound...]; continue }
                }
                let tail = rest[r.upperBound...]
                let name = String(tail.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                let after = tail.dropFirst(name.count).first
                if !name.isEmpty, after == "(" || after == "<" { names.append(name) }
                rest = tail
            }
        }
        return names
    }

    static func declaresLabel(_ source: String, _ name: String) -> Bool {
        source.split(separator: "\n").contains { $0.hasPrefix(name + ":") }
    }

    @Test("the map parses: every map table row has four well-formed cells")
    func wellFormed() throws {
        let map = try Self.parse()
        #expect(map.problems.isEmpty, "\(map.problems.joined(separator: "\n"))")
        #expect(map.rows.count > 100, "only \(map.rows.count) rows found: is the header still \(Self.header)?")
        for f in Self.requiredCheckedFiles {
            #expect(map.checkedFiles.contains(f), "the map must keep rows for \(f)")
        }
    }

    @Test("every MiniKernel function and file the map names exists in the source")
    func namesExist() throws {
        let map = try Self.parse()
        var sources: [String: String] = [:]
        var missing: [String] = []
        for row in map.rows {
            if sources[row.file] == nil {
                guard let text = try? Self.read(row.file) else {
                    missing.append("\(row): no such file")
                    continue
                }
                sources[row.file] = text
            }
            let text = sources[row.file]!
            let found = row.isLabel ? Self.declaresLabel(text, row.name)
                                    : Self.declaredFunctions(text).contains(row.name)
            if !found {
                missing.append("\(row): " + (row.isLabel ? "no line starting with \(row.name):" : "no `func \(row.name)(`"))
            }
        }
        #expect(missing.isEmpty, "the map names what the source does not have (update docs/linux-map.md):\n\(missing.joined(separator: "\n"))")
    }

    @Test("every Linux-named function of the checked files is in the map")
    func linuxNamesMapped() throws {
        let map = try Self.parse()
        let mapped = Set(map.rows.filter { !$0.isLabel }.map { "\($0.file)|\($0.name)" })
        var unmapped: [String] = []
        for file in map.checkedFiles {
            let names = Self.declaredFunctions(try Self.read(file))
            for name in names where name.contains("_") || map.allowlist.contains(name) {
                if !mapped.contains("\(file)|\(name)") { unmapped.append("\(file): \(name)()") }
            }
        }
        #expect(unmapped.isEmpty, """
            these functions have Linux names (snake_case, or on the map's allowlist) but no row in \
            docs/linux-map.md with that file; add one (Linux cell `(none)` if it has no Linux counterpart):
            \(unmapped.joined(separator: "\n"))
            """)
    }

    @Test("the source scanner finds declarations and skips comments")
    func scanner() {
        let src = """
            // func commented_out(
            private func a_b(_ x: Int) -> Int { x }
            @discardableResult func c<T>(_ t: T) {}
                func nested_one() { func inner_two() {} }
            let f = myfunc (1)
            """
        #expect(Self.declaredFunctions(src) == ["a_b", "c", "nested_one", "inner_two"])
        #expect(Self.declaresLabel("global x\nentry_SYSCALL_64:\n  swapgs\n", "entry_SYSCALL_64"))
        #expect(!Self.declaresLabel("  call entry_SYSCALL_64\n", "entry_SYSCALL_64"))
    }
}
