import Foundation

/// One leaf test from KTAP output: a test case, named by its path `suite.case`.
struct KTAPResult: Sendable, Equatable, CustomStringConvertible {
    enum Status: String, Sendable { case pass, fail, skip }

    /// Path of test names below the top level, joined with ".": `suite.case`.
    var name: String
    var status: Status
    /// The lines the kernel printed for this test before its result line
    /// (typically `# case: EXPECTATION FAILED at ...`), indentation removed.
    var diagnostics: [String]
    /// The reason after `# SKIP`, for skipped tests.
    var skipReason: String?
    /// Console line (1-based) of the result line; 0 when it never came.
    var line: Int

    var description: String {
        var s = "\(status) \(name)"
        if let skipReason, !skipReason.isEmpty { s += " (SKIP: \(skipReason))" }
        for d in diagnostics { s += "\n    \(d)" }
        return s
    }
}

/// The outcome of parsing one console log.
struct KTAPReport: Sendable {
    /// Every leaf test, in output order.
    var results: [KTAPResult]
    /// Grammar violations (missing plan, plan/count mismatch, wrong test
    /// numbers, missing result lines, no KTAP at all, ...). A test must treat
    /// any of these as a failure: the results may then be incomplete.
    var errors: [String]

    var failures: [KTAPResult] { results.filter { $0.status == .fail } }
    var passed: Bool { errors.isEmpty && failures.isEmpty && !results.isEmpty }
}

/// A Swift reading of the grammar implemented by Linux's
/// `tools/testing/kunit/kunit_parser.py` (KTAP version 1, also TAP 13/14).
///
///     KTAP version 1                 <- top-level header
///     1..2                           <- plan: number of subtests
///         KTAP version 1             <- a nested test: version and/or
///         # Subtest: suite_a         <-   "# Subtest:" header,
///         1..2                       <-   its plan,
///         ok 1 case_one              <-   its subtests (any depth),
///         # case_two: oops           <-   diagnostics for the next result,
///         not ok 2 case_two          <-
///     ok 1 suite_a                   <-   and its own result line
///     ok 2 suite_b # SKIP no disk    <- a leaf at top level, skipped
///
/// As in kunit_parser.py: the output starts at the first line containing
/// `KTAP version N` (or `TAP version N`) and ends at a line containing
/// `List of all partitions:`, `Kernel panic - not syncing: VFS:` or
/// `reboot: System halted`. Whatever stands before the version text on the
/// header line (the dmesg prefix) is cut, by length, from every later line.
/// Indentation is not significant to the grammar (nesting comes from headers,
/// plans and result lines); any line that is not a header, plan or result is
/// a diagnostic attached to the test that follows.
///
/// Stricter than kunit_parser.py (the brief wants these as errors): no KTAP
/// output at all, a missing plan on the top level or on a nested test, more
/// top-level results than the plan announced, and a line where a result line
/// was required.
enum KTAP {
    static func parse(_ console: String) -> KTAPReport {
        var parser = Parser(lines: extract(console))
        return parser.run()
    }

    /// One line of KTAP, prefix removed, with its console line number.
    struct Line {
        var number: Int
        var text: String
    }

    /// Isolates the KTAP lines of a kernel log and strips their prefix.
    static func extract(_ console: String) -> [Line] {
        let g = Grammar()
        var out: [Line] = []
        var prefixLength: Int?
        for (i, raw) in Console.lines(console.replacingOccurrences(of: "\r\n", with: "\n")).enumerated() {
            let line = String(raw).trimmingTrailingWhitespace
            if let n = prefixLength {
                if line.firstMatch(of: g.end) != nil { break }
                out.append(Line(number: i + 1, text: String(line.dropFirst(n))))
            } else if let keyword = versionKeyword(line, g) {
                // Python: len(line.split('KTAP version')[0]) — the text before the keyword.
                let start = line.range(of: keyword)!.lowerBound
                prefixLength = line.distance(from: line.startIndex, to: start)
                out.append(Line(number: i + 1, text: String(line[start...])))
            }
        }
        return out
    }

    /// "KTAP version" or "TAP version" when `line` ends with such a header
    /// (after any prefix), else nil. KTAP is tried first, as "TAP version"
    /// also occurs inside "KTAP version".
    private static func versionKeyword(_ line: String, _ g: Grammar) -> String? {
        if line.firstMatch(of: g.ktapAnywhere) != nil { return "KTAP version" }
        if line.firstMatch(of: g.tapAnywhere) != nil { return "TAP version" }
        return nil
    }

    /// The regular expressions of kunit_parser.py, anchored the same way
    /// (`re.match` = anchored at the start; `re.search` = anywhere). One
    /// instance per parse: `Regex` is not Sendable, so it cannot be a global.
    fileprivate struct Grammar {
        let ktapAnywhere = #/\s*KTAP version ([0-9]+)$/#
        let tapAnywhere = #/\s*TAP version ([0-9]+)$/#
        let ktapStart = #/^\s*KTAP version ([0-9]+)$/#
        let tapStart = #/^\s*TAP version ([0-9]+)$/#
        let end = #/\s*(List of all partitions:|Kernel panic - not syncing: VFS:|reboot: System halted)/#
        let header = #/^\s*# Subtest: (.*)$/#
        let plan = #/^\s*1\.\.([0-9]+)/#
        let result = #/^\s*(ok|not ok) ([0-9]+) ?(- )?([^#]*)( # .*)?$/#
        let resultSkip = #/^\s*(ok|not ok) ([0-9]+) ?(- )?(.*) # SKIP ?(.*)$/#

        /// Lines that are structure, not diagnostics.
        func isStructural(_ s: String) -> Bool {
            s.prefixMatch(of: result) != nil || s.prefixMatch(of: header) != nil
                || s.prefixMatch(of: ktapStart) != nil || s.prefixMatch(of: tapStart) != nil
                || s.prefixMatch(of: plan) != nil
        }
    }
}

/// A test while parsing: the top level ("main"), a nested test, or a leaf.
private final class Node {
    enum Status { case success, failure, skipped, crashed, noTests }

    var name = ""
    /// As in kunit_parser.py, a test is "crashed" until its result line says otherwise.
    var status = Status.crashed
    var expectedCount: Int?
    var subtests: [Node] = []
    var log: [String] = []
    var skipReason: String?
    var resultLine = 0
    /// For a "missing expected subtest" placeholder: the number it should have had.
    var missingNumber: Int?
}

/// Recursive-descent parser mirroring kunit_parser.py's `parse_test`.
private struct Parser {
    let g = KTAP.Grammar()
    let lines: [KTAP.Line]
    var pos = 0
    var errors: [String] = []

    init(lines: [KTAP.Line]) { self.lines = lines }

    var atEnd: Bool { pos >= lines.count }
    func peek() -> String { atEnd ? "" : lines[pos].text }
    mutating func pop() -> String {
        defer { pos += 1 }
        return lines[pos].text
    }
    var lineNumber: Int { atEnd ? (lines.last?.number ?? 0) : lines[pos].number }

    mutating func error(_ test: Node, _ message: String) {
        let where_ = atEnd ? "end of output" : "console line \(lineNumber)"
        errors.append("KTAP: \(where_): test '\(test.name)': \(message)")
    }

    mutating func run() -> KTAPReport {
        guard !lines.isEmpty else {
            return KTAPReport(results: [], errors: ["KTAP: no 'KTAP version 1' (or 'TAP version 14') line found. Did the self-tests run?"])
        }
        let main = parseTest(expectedNumber: 0, log: [], isSubtest: false)
        // kunit_parser.py stops at the plan and ignores the rest; a result after
        // it means the plan was wrong, which we report.
        while !atEnd {
            let line = pop()
            if line.prefixMatch(of: g.result) != nil || line.prefixMatch(of: g.header) != nil {
                pos -= 1
                error(main, "more tests than the plan 1..\(main.expectedCount ?? 0) announced: '\(line.trimmingLeadingWhitespace)'")
                break
            }
        }
        var results: [KTAPResult] = []
        flatten(main, path: [], into: &results)
        return KTAPReport(results: results, errors: errors)
    }

    // MARK: the grammar

    /// parse_diagnostic: every line up to the next structural one.
    mutating func parseDiagnostic() -> [String] {
        var log: [String] = []
        while !atEnd && !g.isStructural(peek()) { log.append(pop()) }
        return log
    }

    /// parse_ktap_header: `KTAP version 1` / `TAP version 13|14`.
    mutating func parseVersion(_ test: Node) -> Bool {
        let line = peek()
        if let m = line.prefixMatch(of: g.ktapStart) {
            if Int(m.1) != 1 { error(test, "KTAP version \(m.1) is not 1") }
        } else if let m = line.prefixMatch(of: g.tapStart) {
            if Int(m.1) != 13 && Int(m.1) != 14 { error(test, "TAP version \(m.1) is not 13 or 14") }
        } else {
            return false
        }
        _ = pop()
        return true
    }

    /// parse_test_header: `# Subtest: NAME`.
    mutating func parseHeader(_ test: Node) -> Bool {
        guard let m = peek().prefixMatch(of: g.header) else { return false }
        test.name = String(m.1)
        _ = pop()
        return true
    }

    /// parse_test_plan: `1..N`.
    mutating func parsePlan(_ test: Node) -> Bool {
        guard let m = peek().prefixMatch(of: g.plan) else {
            test.expectedCount = nil
            return false
        }
        test.expectedCount = Int(m.1)
        _ = pop()
        return true
    }

    /// peek_test_name_match: is the next line the result line of `test`?
    func nextIsResult(of test: Node) -> Bool {
        guard let m = peek().prefixMatch(of: g.result), !m.4.isEmpty else { return false }
        return String(m.4) == test.name
    }

    /// parse_test_result: `ok|not ok N [- ]NAME [# SKIP reason]`.
    mutating func parseResult(_ test: Node, expectedNumber: Int) -> Bool {
        let line = peek()
        guard let m = line.prefixMatch(of: g.result) else { return false }
        let skip = line.prefixMatch(of: g.resultSkip)
        test.resultLine = lineNumber
        _ = pop()
        if let skip {
            test.name = skip.4.isEmpty ? String(skip.5) : String(skip.4)
            test.skipReason = String(skip.5)
        } else {
            test.name = String(m.4)
        }
        if let n = Int(m.2), n != expectedNumber {
            error(test, "expected test number \(expectedNumber) but found \(m.2)")
        }
        test.status = skip != nil ? .skipped : (m.1 == "ok" ? .success : .failure)
        return true
    }

    /// parse_test: one test with everything below it.
    mutating func parseTest(expectedNumber: Int, log: [String], isSubtest: Bool) -> Node {
        let start = pos
        let test = Node()
        test.log = log + parseDiagnostic()

        let isParent: Bool
        if !isSubtest {
            test.name = "main"
            _ = parseVersion(test)
            test.log += parseDiagnostic()
            if !parsePlan(test) { error(test, "missing test plan '1..N' after the KTAP version line") }
            isParent = true
        } else {
            let hasVersion = parseVersion(test)
            let hasHeader = parseHeader(test)
            test.log += parseDiagnostic()
            let hasPlan = parsePlan(test)
            isParent = hasVersion || hasHeader
            if isParent && !hasPlan { error(test, "missing test plan '1..N' for a nested test") }
        }

        var number = 1
        while isParent, test.expectedCount.map({ number <= $0 }) ?? true {
            let subLog = parseDiagnostic()
            var sub = Node()
            if atEnd || (isSubtest && nextIsResult(of: test)) {
                if let expected = test.expectedCount, number <= expected {
                    error(test, "missing expected subtest \(number) of \(expected)")
                    sub.log = subLog
                    sub.missingNumber = number
                } else {
                    test.log += subLog
                    break
                }
            } else {
                sub = parseTest(expectedNumber: number, log: subLog, isSubtest: true)
            }
            test.subtests.append(sub)
            number += 1
        }

        if isSubtest {
            test.log += parseDiagnostic()
            if !test.name.isEmpty && !nextIsResult(of: test) {
                error(test, "missing result line 'ok|not ok \(expectedNumber) \(test.name)'")
            } else if atEnd {
                test.status = .noTests
                error(test, "output ended before its result line")
            } else if !parseResult(test, expectedNumber: expectedNumber) {
                error(test, "expected a result line, found '\(peek().trimmingLeadingWhitespace)'")
            }
        }

        if isParent && test.subtests.isEmpty && (test.status == .crashed || test.status == .success) {
            test.status = .noTests
            error(test, "0 tests run")
        }
        // Guarantee progress on input the grammar cannot place (e.g. a stray plan line).
        if pos == start && !atEnd {
            error(test, "unexpected line '\(pop())'")
        }
        return test
    }

    // MARK: flattening

    /// Leaves become results named by their path. A nested test that reported
    /// `not ok` while none of its subtests failed also becomes a (failed)
    /// result, as kunit_parser.py counts it as a failure.
    func flatten(_ test: Node, path: [String], into results: inout [KTAPResult]) {
        let isMain = path.isEmpty && test.name == "main"
        let myPath = isMain ? [] : path + [test.name.isEmpty ? "<missing #\(test.missingNumber ?? 0)>" : test.name]
        let name = myPath.joined(separator: ".")
        let diagnostics = test.log.map { $0.trimmingLeadingWhitespace }.filter { !$0.isEmpty }

        if test.subtests.isEmpty {
            guard !isMain else { return }
            let status: KTAPResult.Status
            var notes = diagnostics
            switch test.status {
            case .success: status = .pass
            case .skipped: status = .skip
            case .failure: status = .fail
            case .crashed: status = .fail; notes.append(test.missingNumber != nil ? "(missing: the output ended or the suite closed before this test)" : "(no result line: crashed?)")
            case .noTests: status = .fail; notes.append("(no tests run)")
            }
            results.append(KTAPResult(name: name, status: status, diagnostics: notes, skipReason: test.skipReason, line: test.resultLine))
            return
        }

        let before = results.count
        for sub in test.subtests { flatten(sub, path: myPath, into: &results) }
        let childFailed = results[before...].contains { $0.status == .fail }
        if !isMain && !childFailed && (test.status == .failure || test.status == .crashed) {
            results.append(KTAPResult(name: name, status: .fail,
                                      diagnostics: diagnostics + ["(the test reported not ok, though none of its subtests failed)"],
                                      skipReason: nil, line: test.resultLine))
        }
    }
}

private extension StringProtocol {
    var trimmingLeadingWhitespace: String { String(drop { $0.isWhitespace }) }
    var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
