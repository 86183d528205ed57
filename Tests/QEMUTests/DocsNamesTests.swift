import Foundation
import Testing

/// Every doc in docs/ names only functions and files that exist (no QEMU, no build).
///
/// - A function, written `` `name()` `` in a .md file or `name()` in a diagram's .dot source,
///   must be declared in the repository (a Swift `func`, an assembly label or nasm macro, a C
///   function of the runtime or the Userland programs), or be a Linux function: one in the
///   Linux column of docs/linux-map.md, in its "What MiniKernel deliberately does not have"
///   section, or on its "- Linux functions the docs name that MiniKernel does not have:" line.
///   So renaming or removing a function without fixing the docs fails here.
/// - A file, written `` `path.ext` `` or as a Markdown link, must exist: the path from the
///   repository root, or a tail of a tracked path (`kernel/exit.swift`, `de_thread.c`).
///   C, header and assembler paths that are not in the repository are Linux's own
///   (`kernel/exit.c`) and are not checked.
@Suite("Docs name what exists (docs/)")
struct DocsNamesTests {
    /// The repository's files, from the root, as git tracks them (plus untracked, not ignored).
    static func repoFiles() throws -> [String] {
        let root = Repo.root.path
        var files: [String] = []
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        for case let path as String in e {
            if path.hasPrefix(".") || path.hasPrefix("build") || path.contains("/.") { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDir), !isDir.boolValue {
                files.append(path)
            }
        }
        return files
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOf: Repo.root.appendingPathComponent(path), encoding: .utf8)) ?? ""
    }

    /// The names `text` declares: Swift functions, assembly labels and nasm macros, C functions.
    static func declarations(_ path: String, _ text: String) -> Set<String> {
        var names = Set<String>()
        if path.hasSuffix(".swift") { names.formUnion(LinuxMapTests.declaredFunctions(text)) }
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if path.hasSuffix(".asm") || path.hasSuffix(".inc") || path.hasSuffix(".S") {
                if raw.first.map({ $0.isLetter || $0 == "_" || $0 == "." }) == true, let colon = raw.firstIndex(of: ":") {
                    names.insert(String(raw[..<colon]))
                }
                if line.hasPrefix("%macro ") { names.insert(String(line.dropFirst(7).prefix { $0.isLetter || $0.isNumber || $0 == "_" })) }
            }
            if path.hasSuffix(".c") || path.hasSuffix(".h") {
                // `type name(args) {`, `#define name(`: the name before the first `(`.
                guard let paren = line.firstIndex(of: "("), !line.hasPrefix("//"), !line.hasPrefix("*") else { continue }
                let head = line[..<paren]
                let isDefine = head.hasPrefix("#define ")
                if !isDefine && (head.contains("=") || head.hasPrefix("return") || head.hasPrefix("if") || !head.contains(" ")) { continue }
                let name = String(head.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
                if !name.isEmpty { names.insert(name) }
            }
        }
        return names
    }

    /// `name()` occurrences: in backticks for Markdown, bare in Graphviz sources.
    static func functionsNamed(_ text: String, markdown: Bool) -> Set<String> {
        var found = Set<String>()
        if markdown {
            for word in LinuxMapTests.backticked(text[...]) where word.hasSuffix("()") {
                let name = String(word.dropLast(2))
                // `NAME()` is the placeholder of the map's format description.
                if LinuxMapTests.isIdentifier(name) && name != "NAME" { found.insert(name) }
            }
        } else {
            // Graphviz labels break lines with a literal \n: not part of the name after it.
            let scalars = Array(text.replacingOccurrences(of: "\\n", with: " ").unicodeScalars)
            var i = 0
            while i < scalars.count {
                if scalars[i] == "(", i + 1 < scalars.count, scalars[i + 1] == ")" {
                    var j = i
                    while j > 0, scalars[j - 1] == "_" || CharacterSet.alphanumerics.contains(scalars[j - 1]) { j -= 1 }
                    if j < i { found.insert(String(String.UnicodeScalarView(scalars[j..<i]))) }
                }
                i += 1
            }
        }
        return found
    }

    /// Paths a Markdown text names: backticked words with a file extension, and link targets.
    static func filesNamed(_ text: String) -> Set<String> {
        let extensions = [".swift", ".asm", ".inc", ".md", ".dot", ".svg", ".c", ".h", ".S", ".py", ".sh", ".ld"]
        var found = Set<String>()
        for word in LinuxMapTests.backticked(text[...]) where extensions.contains(where: { word.hasSuffix($0) && word.count > $0.count }) {
            if word.allSatisfy({ $0.isLetter || $0.isNumber || "_-./".contains($0) }) { found.insert(word) }
        }
        var rest = text[...]
        while let open = rest.range(of: "](") {
            let target = rest[open.upperBound...].prefix { $0 != ")" && $0 != "#" && $0 != " " }
            if !target.isEmpty && !target.contains(":") { found.insert(String(target)) }
            rest = rest[open.upperBound...]
        }
        return found
    }

    @Test("every function a doc names is MiniKernel's or a named Linux function")
    func functionsExist() throws {
        let files = try Self.repoFiles()
        var declared = Set<String>()
        for f in files where f.hasPrefix("Sources/") || f.hasPrefix("Userland/") || f.hasPrefix("tools/") {
            declared.formUnion(Self.declarations(f, Self.read(f)))
        }
        let map = try LinuxMapTests.parse()
        let known = declared.union(map.linuxNames).union(map.linuxOnly)
        var missing: [String] = []
        for doc in files.filter({ $0.hasPrefix("docs/") && ($0.hasSuffix(".md") || $0.hasSuffix(".dot")) }).sorted() {
            for name in Self.functionsNamed(Self.read(doc), markdown: doc.hasSuffix(".md")).sorted() where !known.contains(name) {
                missing.append("\(doc): \(name)()")
            }
        }
        #expect(missing.isEmpty, """
            docs name functions that no source declares and that are not known as Linux's (fix the doc, \
            or if it is a Linux function, put it in docs/linux-map.md: a row, or the line \
            '- Linux functions the docs name that MiniKernel does not have:'):
            \(missing.joined(separator: "\n"))
            """)
    }

    @Test("every file a doc names exists")
    func filesExist() throws {
        let files = try Self.repoFiles()
        let linuxExtensions = [".c", ".h", ".S"]
        var missing: [String] = []
        for doc in files.filter({ $0.hasPrefix("docs/") && $0.hasSuffix(".md") }).sorted() {
            let dir = (doc as NSString).deletingLastPathComponent
            for path in Self.filesNamed(Self.read(doc)).sorted() {
                let relative = ((dir as NSString).appendingPathComponent(path) as NSString).standardizingPath
                let exists = files.contains(path) || files.contains(relative)
                    || files.contains { $0.hasSuffix("/" + path) }
                let linuxPath = linuxExtensions.contains { path.hasSuffix($0) }
                    && !path.hasPrefix("Userland/") && !path.hasPrefix("Sources/") && !path.hasPrefix("tools/")
                    && path.contains("/")
                if !exists && !linuxPath { missing.append("\(doc): \(path)") }
            }
        }
        #expect(missing.isEmpty, "docs name files that do not exist:\n\(missing.joined(separator: "\n"))")
    }

    @Test("the scanners find names")
    func scanners() {
        #expect(Self.functionsNamed("see `do_exit()` and `x` and `a.b()`", markdown: true) == ["do_exit"])
        #expect(Self.functionsNamed("label=\"exit_notify()\\nrelease_task()\"", markdown: false) == ["exit_notify", "release_task"])
        #expect(Self.filesNamed("`kernel/exit.swift`, [map](linux-map.md), `kernel/exit.c` and `x`")
                == ["kernel/exit.swift", "linux-map.md", "kernel/exit.c"])
        #expect(Self.declarations("a.c", "static int foo(int x) {\n    return bar(x);\n}\n#define BAZ(x) x\n") == ["foo", "BAZ"])
        #expect(Self.declarations("a.asm", "global x\nentry_x:\n  call y\n%macro PUSH_REGS 0-1 rax\n") == ["entry_x", "PUSH_REGS"])
    }
}
